//! The dashboards' arithmetic: date ranges, daily series, histograms, and the rules for the
//! metrics businesses push (names, units, strictly parsed values).

use crate::validation::Invalid;

pub const DAY_MS: i64 = 86_400_000;
/// The longest range a dashboard draws (ten years of days).
pub const MAX_RANGE_DAYS: i64 = 3_660;
/// Points one push may carry.
pub const MAX_POINTS_PER_PUSH: usize = 1_000;
/// Largest magnitude a pushed value may have.
pub const MAX_VALUE: f64 = 1e15;

/// The `YYYY-MM-DD` of a day number (days since 1970-01-01, UTC).
pub fn day_label(day: i64) -> String {
    crate::ledger::export::date_of(day * DAY_MS)
}

/// A `YYYY-MM-DD` date (years 2000–2999) as a day number; anything else is refused.
pub fn parse_day(field: &'static str, raw: &str) -> Result<i64, Invalid> {
    crate::work::task::day(field, raw).map(|ms| ms.div_euclid(DAY_MS))
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Range {
    pub from: i64,
    pub to: i64,
}

impl Range {
    /// The range from optional `from`/`to` dates; by default the last `default_days` up to today.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: i64, default_days: i64) -> Result<Self, Invalid> {
        let to = match to.filter(|s| !s.trim().is_empty()) {
            Some(t) => parse_day("to", t)?,
            None => today,
        };
        let from = match from.filter(|s| !s.trim().is_empty()) {
            Some(f) => parse_day("from", f)?,
            None => to - default_days + 1,
        };
        if from > to {
            return Err(Invalid::new("from", "the range starts after it ends"));
        }
        if to - from + 1 > MAX_RANGE_DAYS {
            return Err(Invalid::new("from", format!("a range is at most {MAX_RANGE_DAYS} days")));
        }
        Ok(Self { from, to })
    }

    pub fn days(&self) -> usize {
        (self.to - self.from + 1) as usize
    }

    pub fn start_ms(&self) -> i64 {
        self.from * DAY_MS
    }

    /// The first millisecond after the range.
    pub fn end_ms(&self) -> i64 {
        (self.to + 1) * DAY_MS
    }

    pub fn contains_ms(&self, ms: i64) -> bool {
        (self.start_ms()..self.end_ms()).contains(&ms)
    }
}

/// How a day's points become one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    Sum,
    /// The last value of the day, carried forward over days without one (balances, levels).
    Last,
}

/// One value per day of `range` from `(at_ms, value)` points.
pub fn daily(range: &Range, points: &[(i64, f64)], fold: Fold) -> Vec<f64> {
    let mut out = vec![0.0; range.days()];
    let mut seen: Vec<Option<(i64, f64)>> = vec![None; range.days()];
    let mut before: Option<(i64, f64)> = None;
    for &(at, v) in points {
        let day = at.div_euclid(DAY_MS);
        if day < range.from {
            if before.is_none_or(|(t, _)| at >= t) {
                before = Some((at, v));
            }
            continue;
        }
        if day > range.to {
            continue;
        }
        let i = (day - range.from) as usize;
        match fold {
            Fold::Sum => out[i] += v,
            Fold::Last => {
                if seen[i].is_none_or(|(t, _)| at >= t) {
                    seen[i] = Some((at, v));
                }
            }
        }
    }
    if fold == Fold::Last {
        let mut carry = before.map_or(0.0, |(_, v)| v);
        for i in 0..out.len() {
            if let Some((_, v)) = seen[i] {
                carry = v;
            }
            out[i] = carry;
        }
    }
    out
}

/// Counts of `values` in `bins` equal bins over `[lo, hi]` (the top edge in the last bin).
pub fn histogram(values: &[f64], bins: usize, lo: f64, hi: f64) -> Vec<usize> {
    let mut out = vec![0; bins.max(1)];
    let width = (hi - lo) / out.len() as f64;
    for &v in values {
        if !(lo..=hi).contains(&v) || width <= 0.0 {
            continue;
        }
        let i = (((v - lo) / width) as usize).min(out.len() - 1);
        out[i] += 1;
    }
    out
}

/// A metric's name: 1–64 of `a-z 0-9 _ . -`, starting with a letter.
pub fn metric_name(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    let ok = (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Invalid::new("name", "a metric name is 1–64 of a-z, 0-9, '_', '.', '-', starting with a letter"))
    }
}

/// A metric's unit: 1–16 printable characters (`EUR`, `orders`, `ms`, `%`).
pub fn metric_unit(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    if (1..=16).contains(&s.chars().count()) && !s.chars().any(char::is_control) {
        Ok(s.to_owned())
    } else {
        Err(Invalid::new("unit", "a unit is 1–16 printable characters"))
    }
}

/// A pushed value, strictly: an optional minus, digits, an optional fraction; no exponents,
/// no `NaN`, at most 10¹⁵ in magnitude.
pub fn metric_value(raw: &str) -> Result<f64, Invalid> {
    let s = raw.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|c| c.is_ascii_digit())
        && frac.bytes().all(|c| c.is_ascii_digit())
        && !(digits.contains('.') && frac.is_empty());
    match s.parse::<f64>() {
        Ok(v) if ok && v.abs() <= MAX_VALUE => Ok(v),
        _ => Err(Invalid::new("value", format!("'{s}' is not a plain number of at most 10^15 (write 12.5 or -3)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        assert_eq!(parse_day("d", "2000-01-02").unwrap(), 10_958);
        assert_eq!(day_label(parse_day("d", "2024-02-29").unwrap()), "2024-02-29");
        for bad in
            ["2023-02-29", "2024-13-01", "24-01-01", "2024-1-01", "2024-01-01T00", "", "+024-01-01", "1999-12-31"]
        {
            assert!(parse_day("d", bad).is_err(), "{bad}");
        }
        assert!(Range::parse(Some("2024-02-01"), Some("2024-01-01"), 0, 30).is_err());
        assert!(Range::parse(Some("2000-01-01"), Some("2024-01-01"), 0, 30).is_err());
        let r = Range::parse(None, None, 100, 30).unwrap();
        assert_eq!((r.from, r.to, r.days()), (71, 100, 30));
    }

    #[test]
    fn daily_sums_and_carries_levels_forward() {
        let r = Range { from: 10, to: 13 };
        let pts =
            [(9 * DAY_MS, 5.0), (10 * DAY_MS + 5, 1.0), (10 * DAY_MS + 9, 2.0), (12 * DAY_MS, 4.0), (20 * DAY_MS, 9.0)];
        assert_eq!(daily(&r, &pts, Fold::Sum), [3.0, 0.0, 4.0, 0.0]);
        assert_eq!(daily(&r, &pts, Fold::Last), [2.0, 2.0, 4.0, 4.0]);
        assert_eq!(histogram(&[0.0, 0.5, 1.0, 2.0], 2, 0.0, 1.0), [1, 2]);
    }

    #[test]
    fn pushed_metrics_are_parsed_strictly() {
        assert_eq!(metric_value("-12.50").unwrap(), -12.5);
        for bad in ["1e3", "NaN", "inf", "", "1.", ".5", "1,5", "2e16", "10000000000000000"] {
            assert!(metric_value(bad).is_err(), "{bad}");
        }
        assert!(metric_name("orders.daily").is_ok());
        assert!(metric_name("Orders").is_err() && metric_name("9x").is_err() && metric_name(&"a".repeat(65)).is_err());
        assert!(metric_unit("EUR").is_ok() && metric_unit("").is_err() && metric_unit("a\nb").is_err());
    }
}
