//! Words instead of keys: how policies, their values and proposal kinds read to people, and the
//! nearest known name for a typo (so "finanse" is answered with "did you mean finance?").

use super::methods::{Ballot, Stance};
use super::proposal::{Kind, policy_parameter};

/// How a policy's number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share from 0 to 1, shown as a percentage.
    Share,
    Hours,
    Days,
    /// A count of people.
    People,
    /// A plain factor (the weight ceiling c).
    Factor,
    /// An amount in currency units.
    Money,
    /// A count of characters.
    Characters,
}

/// The unit of a policy key.
pub fn unit(key: &str) -> Unit {
    if key.ends_with("_hours") {
        Unit::Hours
    } else if key.ends_with("_days") {
        Unit::Days
    } else if key == "floor_min_voters" || key == "expense_approvals" {
        Unit::People
    } else if key == "expense_vote_threshold" || key == "work_impact_value" || key.starts_with("campaign_cap_") {
        Unit::Money
    } else if key == "merit_cap" || key == "forecast_extremize" || key.starts_with("season_weight_") {
        Unit::Factor
    } else if key == "learn_vote_chars" {
        Unit::Characters
    } else {
        Unit::Share
    }
}

/// A policy's name for people: "Funnel rate", "Decision floor: discussion time".
pub fn policy_label(key: &str) -> String {
    let fixed = match key {
        "funnel_rate" => "Funnel rate (share of business revenue into the common pot)",
        "merit_lambda" => "Merit share of each vote weight (λ)",
        "merit_cap" => "Weight ceiling (nobody above c ÷ members)",
        "default_quorum" => "Default quorum",
        "default_threshold" => "Default support threshold",
        "believability_half_life_days" => "How fast old ratings fade (half-life)",
        "floor_min_voters" => "Floor: voters every proposal needs",
        "expense_approvals" => "Stewards who approve an expense",
        "expense_vote_threshold" => "Expenses put to a vote from",
        "patronage_reserve_share" => "Patronage: share kept as the indivisible reserve",
        "patronage_commune_share" => "Patronage: share to the commune",
        "patronage_cash_share" => "Patronage: share of an allocation paid in cash",
        "work_impact_value" => "Matching: value of one impact point",
        "learn_vote_chars" => "Library: characters a maintainer may merge without a vote",
        "forecast_extremize" => "Forecasting: extremizing factor of the community forecast",
        "campaign_cap_per_candidate" => "Campaigns: the most one candidate may receive",
        "campaign_cap_per_election" => "Campaigns: the most one election's campaigns may receive",
        "campaign_blackout_days" => "Campaigns: blackout before an election",
        "season_weight_revenue" => "Seasons: weight of revenue to the pot",
        "season_weight_impact" => "Seasons: weight of impact delivered",
        "season_weight_lessons" => "Seasons: weight of lessons mastered",
        "season_weight_participation" => "Seasons: weight of ballots cast",
        "season_weight_coops" => "Seasons: weight of co-ops founded",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_owned();
    }
    if let Some(rest) = key.strip_prefix("floor_") {
        for (suffix, what) in [
            ("_discussion_hours", "discussion time"),
            ("_voting_hours", "voting time"),
            ("_quorum", "quorum"),
            ("_support", "support"),
        ] {
            if let Some(kind) = rest.strip_suffix(suffix).and_then(|k| Kind::parse(k).ok()) {
                return format!("{} floor: {what}", kind_label(kind));
            }
        }
    }
    key.replace('_', " ")
}

/// A policy's value in its unit: "22%", "48 hours", "180 days", "3 people", "×3".
pub fn policy_value(key: &str, value: f64) -> String {
    let trimmed = |x: f64| {
        let text = format!("{x:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    match unit(key) {
        Unit::Share => format!("{}%", trimmed(value * 100.0)),
        Unit::Hours => plural(value, "hour"),
        Unit::Days => plural(value, "day"),
        Unit::People => plural(value, "person").replace("persons", "people"),
        Unit::Factor => format!("×{}", trimmed(value)),
        Unit::Money => trimmed(value),
        Unit::Characters => plural(value, "character"),
    }
}

/// "1 hour", "48 hours", "1.5 hours".
fn plural(value: f64, noun: &str) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "1" { format!("1 {noun}") } else { format!("{text} {noun}s") }
}

/// "Funnel rate (…) is now 22%": the outcome of a passed policy proposal, in words.
pub fn policy_outcome(key: &str, value: f64) -> String {
    if policy_parameter(key).is_none() {
        return format!("{key} is now {value}");
    }
    format!("{} is now {}", policy_label(key), policy_value(key, value))
}

/// A proposal kind for people.
pub fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Decision => "Decision",
        Kind::Policy => "Policy change",
        Kind::Allocation => "Spending from the pot",
        Kind::Budget => "Budget",
        Kind::Admission => "Admission",
        Kind::Election => "Election",
        Kind::Endorsement => "Endorsement",
    }
}

/// What choosing a kind means, for the proposal wizard's first step.
pub fn kind_explained(kind: Kind) -> &'static str {
    match kind {
        Kind::Decision => "Decide something together: yes or no, or choose between options.",
        Kind::Policy => "Change one of the rules, such as the funnel rate or a default quorum.",
        Kind::Allocation => "Pay an amount from the treasury to a member or a business.",
        Kind::Budget => "Set money aside for a purpose, spent later by its own votes.",
        Kind::Admission => "Admit a person as a member.",
        Kind::Election => "Elect people to a role (steward) from a list of candidates.",
        Kind::Endorsement => "Say, as a commune, that you support a candidate or a campaign.",
    }
}

/// `n` things with the right plural: "1 member", "3 members", "1 person", "2 people".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// The known name nearest to `typed` (at most two edits away, and not the same), for "did you
/// mean …?"; `None` when nothing is close or `typed` is itself known.
pub fn nearest<'a>(typed: &str, known: &'a [String]) -> Option<&'a str> {
    if known.iter().any(|k| k == typed) {
        return None;
    }
    known
        .iter()
        .map(|k| (edit_distance(typed, k), k))
        .filter(|(d, _)| *d <= 2)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance over characters (names are short: at most a few dozen characters).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A ballot as the voter chose it, in words, with options by name ("1. Pink neon, 2. Blue
/// neon; not ranked: Green neon").
pub fn ballot_words(ballot: &Ballot, options: &[String]) -> String {
    let name = |i: &usize| options.get(*i).cloned().unwrap_or_else(|| format!("option {}", i + 1));
    let list = |items: &[usize]| items.iter().map(name).collect::<Vec<_>>().join(", ");
    let per_option = |values: &[u32], one: &str, many: &str| {
        let chosen: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0)
            .map(|(i, v)| format!("{} {}", name(&i), count(*v as usize, one, many)))
            .collect();
        if chosen.is_empty() { "nothing given".to_owned() } else { chosen.join(", ") }
    };
    match ballot {
        Ballot::YesNo { stance: Stance::Yes } => "Yes".to_owned(),
        Ballot::YesNo { stance: Stance::No } => "No".to_owned(),
        Ballot::YesNo { stance: Stance::Abstain } => "Abstain".to_owned(),
        Ballot::Consent { object: false } => "I consent".to_owned(),
        Ballot::Consent { object: true } => "I object".to_owned(),
        Ballot::Single { option } => name(option),
        Ballot::Approval { options: chosen } if chosen.is_empty() => "Approved none".to_owned(),
        Ballot::Approval { options: chosen } => format!("Approved: {}", list(chosen)),
        Ballot::Score { scores } => {
            let given: Vec<String> =
                scores.iter().enumerate().filter_map(|(i, s)| s.map(|s| format!("{} {s}/5", name(&i)))).collect();
            if given.is_empty() { "No scores".to_owned() } else { given.join(", ") }
        }
        Ballot::Ranked { ranking } => {
            let ranked: Vec<String> =
                ranking.iter().enumerate().map(|(place, tier)| format!("{}. {}", place + 1, list(tier))).collect();
            let unranked: Vec<usize> = (0..options.len()).filter(|i| !ranking.iter().any(|t| t.contains(i))).collect();
            let mut text = ranked.join("  ");
            if !unranked.is_empty() {
                text.push_str(&format!("; not ranked: {}", list(&unranked)));
            }
            text
        }
        Ballot::Quadratic { votes } => per_option(votes, "vote", "votes"),
        Ballot::Points { points } => per_option(points, "point", "points"),
    }
}

/// A receipt's short code: its first eight hex digits in two groups (`3F9A-12BC`), enough to
/// find it in the published list; the full receipt stays available.
pub fn short_code(receipt: &str) -> String {
    let head: String = receipt.chars().filter(char::is_ascii_hexdigit).take(8).collect::<String>().to_uppercase();
    if head.len() < 8 { head } else { format!("{}-{}", &head[..4], &head[4..]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_read_as_words_with_their_units() {
        assert_eq!(
            policy_outcome("funnel_rate", 0.22),
            "Funnel rate (share of business revenue into the common pot) is now 22%"
        );
        assert_eq!(policy_value("floor_policy_voting_hours", 72.0), "72 hours");
        assert_eq!(policy_value("floor_min_voters", 1.0), "1 person");
        assert_eq!(policy_value("floor_min_voters", 3.0), "3 people");
        assert_eq!(policy_value("believability_half_life_days", 180.0), "180 days");
        assert_eq!(policy_value("merit_cap", 3.0), "×3");
        assert_eq!(policy_label("floor_allocation_quorum"), "Spending from the pot floor: quorum");
        for p in super::super::proposal::policy_parameters() {
            assert!(!policy_label(p.key).contains('_'), "{} has no label", p.key);
        }
    }

    #[test]
    fn ballots_read_in_words_with_option_names() {
        let options: Vec<String> = ["Blue neon", "Pink neon", "Green neon"].iter().map(|s| s.to_string()).collect();
        let ranked = Ballot::Ranked { ranking: vec![vec![1], vec![0]] };
        assert_eq!(ballot_words(&ranked, &options), "1. Pink neon  2. Blue neon; not ranked: Green neon");
        assert_eq!(
            ballot_words(&Ballot::Approval { options: vec![0, 2] }, &options),
            "Approved: Blue neon, Green neon"
        );
        assert_eq!(ballot_words(&Ballot::YesNo { stance: Stance::Abstain }, &[]), "Abstain");
        assert_eq!(
            ballot_words(&Ballot::Quadratic { votes: vec![0, 3, 1] }, &options),
            "Pink neon 3 votes, Green neon 1 vote"
        );
        assert_eq!(short_code("3f9a12bc77"), "3F9A-12BC");
    }

    #[test]
    fn typos_get_the_nearest_known_name() {
        let known: Vec<String> = ["finance", "energy", "design"].iter().map(|s| s.to_string()).collect();
        assert_eq!(nearest("finanse", &known), Some("finance"));
        assert_eq!(nearest("finance", &known), None);
        assert_eq!(nearest("gardening", &known), None);
        assert_eq!(count(1, "member", "members"), "1 member");
        assert_eq!(count(2, "rater", "raters"), "2 raters");
    }
}
