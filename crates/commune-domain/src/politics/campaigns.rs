//! Endorsements with substance and campaign funding with rules: candidates (people or
//! campaigns) and their profiles, the questionnaire drawn from the commune's principles and the
//! answers, and the rules money for a campaign must meet when it moves — per-candidate and
//! per-election caps and a blackout window before election day, each off until a commune sets
//! it to match its local law.

use crate::validation::{Invalid, text};

/// The most questions one questionnaire may hold.
pub const MAX_QUESTIONS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateKind {
    Person,
    Campaign,
}

impl CandidateKind {
    pub fn parse(raw: &str) -> Result<CandidateKind, Invalid> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "person" => Ok(CandidateKind::Person),
            "campaign" => Ok(CandidateKind::Campaign),
            _ => Err(Invalid::new("kind", "person or campaign")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CandidateKind::Person => "person",
            CandidateKind::Campaign => "campaign",
        }
    }
}

/// A candidate's profile, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub kind: CandidateKind,
    pub office: String,
    pub bio: String,
    pub website: String,
}

impl Profile {
    pub fn parse(name: &str, kind: &str, office: &str, bio: &str, website: &str) -> Result<Profile, crate::Violations> {
        let mut v = crate::Violations::default();
        let name = v.check(text("name", name, 2, 100, false));
        let kind = v.check(CandidateKind::parse(kind));
        let office = v.check(text("office", office, 2, 100, false));
        let bio = v.check(text("bio", bio, 0, 4_000, true));
        let website = v.check(website_of(website));
        v.into_result()?;
        match (name, kind, office, bio, website) {
            (Some(name), Some(kind), Some(office), Some(bio), Some(website)) => {
                Ok(Profile { name, kind, office, bio, website })
            }
            _ => Err(crate::Violations(vec![Invalid::new("name", "the profile is incomplete")])),
        }
    }
}

/// An `https://` address (or nothing): shown as a link, so nothing else is accepted.
fn website_of(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    let ok = raw.len() <= 200
        && raw.strip_prefix("https://").is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if ok { Ok(raw.to_owned()) } else { Err(Invalid::new("website", "an https:// address of at most 200 characters")) }
}

/// A question of the questionnaire: its text, and the principle it is drawn from.
pub fn check_question(raw: &str) -> Result<String, Invalid> {
    text("question", raw, 8, 300, false)
}

/// A candidate's position on a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Agree,
    Disagree,
    Unsure,
}

impl Stance {
    pub fn parse(raw: &str) -> Result<Stance, Invalid> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "agree" => Ok(Stance::Agree),
            "disagree" => Ok(Stance::Disagree),
            "unsure" => Ok(Stance::Unsure),
            _ => Err(Invalid::new("stance", "agree, disagree or unsure")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Agree => "agree",
            Stance::Disagree => "disagree",
            Stance::Unsure => "unsure",
        }
    }
}

/// What one transfer to a campaign must meet. Amounts in minor units; a cap of 0 and a
/// blackout of 0 days are off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingRules {
    pub cap_per_candidate_minor: i64,
    pub cap_per_election_minor: i64,
    pub blackout_days: i64,
}

/// What was given already, and when the candidate's election is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Funded {
    pub candidate_minor: i64,
    /// Everything given to the election's candidates (this one included).
    pub election_minor: i64,
    /// The election's day (days since 1970-01-01), when the candidate stands in an imported one.
    pub election_day: Option<i64>,
}

/// Whether `amount_minor` may go to the campaign on `today`: within both caps and outside the
/// blackout window (the days before election day, and election day itself). Checked when a
/// funding proposal is drafted and again when the money moves.
pub fn may_fund(amount_minor: i64, funded: &Funded, rules: &FundingRules, today: i64) -> Result<(), String> {
    if amount_minor <= 0 {
        return Err("the amount must be positive".into());
    }
    if rules.cap_per_candidate_minor > 0
        && funded.candidate_minor.saturating_add(amount_minor) > rules.cap_per_candidate_minor
    {
        return Err(format!(
            "the per-candidate cap ({} minor units) would be exceeded: {} given already, {} more asked",
            rules.cap_per_candidate_minor, funded.candidate_minor, amount_minor
        ));
    }
    if rules.cap_per_election_minor > 0
        && funded.election_minor.saturating_add(amount_minor) > rules.cap_per_election_minor
    {
        return Err(format!(
            "the per-election cap ({} minor units) would be exceeded: {} given to this election's candidates already, {} more asked",
            rules.cap_per_election_minor, funded.election_minor, amount_minor
        ));
    }
    if rules.blackout_days > 0
        && let Some(day) = funded.election_day
        && (day - rules.blackout_days..=day).contains(&today)
    {
        return Err(format!(
            "the blackout window is on: no money moves to a campaign in the {} days before its election ({})",
            rules.blackout_days,
            crate::ideas::analytics::day_label(day)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_checked() {
        assert!(Profile::parse("Clara Weiss", "person", "district council", "", "https://clara.example").is_ok());
        let bad = Profile::parse("C", "party", "", "", "javascript:alert(1)").unwrap_err();
        let fields: Vec<&str> = bad.0.iter().map(|i| i.field).collect();
        assert_eq!(fields, vec!["name", "kind", "office", "website"]);
        assert!(Profile::parse("Clara", "person", "mayor", "", "https://x.example/\"><script>").is_err());
        assert!(Stance::parse("maybe").is_err());
        assert!(check_question("Why?").is_err());
    }

    #[test]
    fn caps_and_blackouts_bound_campaign_money() {
        let off = FundingRules { cap_per_candidate_minor: 0, cap_per_election_minor: 0, blackout_days: 0 };
        let funded = Funded { candidate_minor: 900, election_minor: 1_500, election_day: Some(100) };
        assert!(may_fund(1_000_000, &funded, &off, 100).is_ok(), "every rule is off by default");
        let rules = FundingRules { cap_per_candidate_minor: 1_000, cap_per_election_minor: 2_000, blackout_days: 7 };
        assert!(may_fund(100, &funded, &rules, 50).is_ok(), "exactly at the cap is allowed");
        assert!(may_fund(101, &funded, &rules, 50).unwrap_err().contains("per-candidate"));
        let other = Funded { candidate_minor: 0, ..funded };
        assert!(may_fund(501, &other, &rules, 50).unwrap_err().contains("per-election"));
        assert!(may_fund(10, &other, &rules, 93).unwrap_err().contains("blackout"));
        assert!(may_fund(10, &other, &rules, 100).unwrap_err().contains("blackout"), "election day itself");
        assert!(may_fund(10, &other, &rules, 92).is_ok());
        assert!(may_fund(10, &other, &rules, 101).is_ok(), "after the election");
        assert!(may_fund(0, &other, &rules, 50).is_err());
    }
}
