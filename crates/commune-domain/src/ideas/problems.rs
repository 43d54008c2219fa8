//! The issue log's rules (Bridgewater's): what went wrong, how bad it was, and who or which
//! team was responsible — and the metrics that come from it.

use crate::validation::Invalid;

/// How bad a problem was. The weight is what a problem counts for in the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Moderate,
    Major,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Minor, Self::Moderate, Self::Major, Self::Critical];

    pub fn weight(self) -> u32 {
        match self {
            Self::Minor => 1,
            Self::Moderate => 2,
            Self::Major => 4,
            Self::Critical => 8,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minor => "minor",
            Self::Moderate => "moderate",
            Self::Major => "major",
            Self::Critical => "critical",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("severity", "severity is minor, moderate, major or critical"))
    }
}

/// One problem as the metrics see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Logged {
    pub severity: Severity,
    pub opened_ms: i64,
    pub resolved_ms: Option<i64>,
}

/// A member's or team's problem metrics.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metrics {
    pub logged: usize,
    pub open: usize,
    pub resolved: usize,
    /// Σ severity weight (minor 1, moderate 2, major 4, critical 8).
    pub weighted: u32,
    /// The weighted count of those still open.
    pub weighted_open: u32,
    /// Median days from logging to resolution, over resolved problems.
    pub median_days_to_resolve: Option<f64>,
}

pub fn metrics(problems: &[Logged]) -> Metrics {
    let mut days: Vec<f64> =
        problems.iter().filter_map(|p| p.resolved_ms.map(|r| (r - p.opened_ms).max(0) as f64 / 86_400_000.0)).collect();
    days.sort_by(f64::total_cmp);
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
    };
    Metrics {
        logged: problems.len(),
        open: problems.iter().filter(|p| p.resolved_ms.is_none()).count(),
        resolved: problems.iter().filter(|p| p.resolved_ms.is_some()).count(),
        weighted: problems.iter().map(|p| p.severity.weight()).sum(),
        weighted_open: problems.iter().filter(|p| p.resolved_ms.is_none()).map(|p| p.severity.weight()).sum(),
        median_days_to_resolve: median,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_count_weigh_and_take_the_median() {
        let day = 86_400_000;
        let m = metrics(&[
            Logged { severity: Severity::Minor, opened_ms: 0, resolved_ms: Some(2 * day) },
            Logged { severity: Severity::Critical, opened_ms: 0, resolved_ms: None },
            Logged { severity: Severity::Major, opened_ms: day, resolved_ms: Some(5 * day) },
        ]);
        assert_eq!((m.logged, m.open, m.resolved, m.weighted, m.weighted_open), (3, 1, 2, 13, 8));
        assert_eq!(m.median_days_to_resolve, Some(3.0));
        assert!(Severity::parse("huge").is_err());
        assert_eq!(metrics(&[]).median_days_to_resolve, None);
    }
}
