//! Proposals: kinds, phases and the rules that move a proposal through them.
//!
//! draft → discussion → voting → closed → executed | failed, or cancelled before voting opens.
//! Times are explicit. [`due`] says which single step is due at a given instant, so a scheduler
//! can apply each step exactly once with a compare-and-set on the phase.

use super::methods::VotingMethod;
use crate::validation::{self, Invalid, Violations};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Decision,
    Policy,
    Allocation,
    Budget,
    Admission,
    Election,
    Endorsement,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Decision,
        Kind::Policy,
        Kind::Allocation,
        Kind::Budget,
        Kind::Admission,
        Kind::Election,
        Kind::Endorsement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Decision => "decision",
            Kind::Policy => "policy",
            Kind::Allocation => "allocation",
            Kind::Budget => "budget",
            Kind::Admission => "admission",
            Kind::Election => "election",
            Kind::Endorsement => "endorsement",
        }
    }

    pub fn parse(raw: &str) -> Result<Kind, Invalid> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new(
                "kind",
                "must be one of decision, policy, allocation, budget, admission, election, endorsement",
            )
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Draft,
    Discussion,
    Voting,
    Closed,
    Executed,
    Failed,
    Cancelled,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Draft,
        Phase::Discussion,
        Phase::Voting,
        Phase::Closed,
        Phase::Executed,
        Phase::Failed,
        Phase::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Draft => "draft",
            Phase::Discussion => "discussion",
            Phase::Voting => "voting",
            Phase::Closed => "closed",
            Phase::Executed => "executed",
            Phase::Failed => "failed",
            Phase::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// Whether the result is final (tallied or abandoned).
    pub fn is_final(self) -> bool {
        matches!(self, Phase::Closed | Phase::Executed | Phase::Failed | Phase::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    Equal,
    Merit,
}

impl Weighting {
    pub fn as_str(self) -> &'static str {
        match self {
            Weighting::Equal => "equal",
            Weighting::Merit => "merit",
        }
    }

    pub fn parse(raw: &str) -> Result<Weighting, Invalid> {
        match raw.trim() {
            "equal" | "" => Ok(Weighting::Equal),
            "merit" => Ok(Weighting::Merit),
            _ => Err(Invalid::new("weighting", "must be equal or merit")),
        }
    }
}

/// Where a policy parameter applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyScope {
    /// The whole commune: set only by proposals of the commune (the root organisation).
    Commune,
    /// Each organisation for itself.
    Org,
}

/// A parameter that `policy` proposals may change, with its bounds and its one default.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PolicyParameter {
    pub key: &'static str,
    pub describe: &'static str,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    /// Part of the constitution: changing it is decided with equal weights under the fixed
    /// constitutional floors (see [`super::floors::CONSTITUTION`]).
    pub constitutional: bool,
    pub scope: PolicyScope,
}

const fn parameter(
    key: &'static str,
    describe: &'static str,
    (min, max, default): (f64, f64, f64),
    constitutional: bool,
    scope: PolicyScope,
) -> PolicyParameter {
    PolicyParameter { key, describe, min, max, default, constitutional, scope }
}

/// The ordinary policies.
pub const POLICY_PARAMETERS: [PolicyParameter; 23] = [
    parameter(
        "funnel_rate",
        "share of business revenue that flows into the common pot",
        (0.0, 1.0, 0.2),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "merit_lambda",
        "λ: how much of each vote weight comes from merit",
        (0.0, 1.0, 0.5),
        true,
        PolicyScope::Commune,
    ),
    parameter("merit_cap", "c: nobody's weight exceeds c/N", (1.0, 100.0, 3.0), true, PolicyScope::Commune),
    parameter(
        "default_quorum",
        "participation a proposal needs unless it sets its own (never below its floor)",
        (0.0, 1.0, 0.2),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "default_threshold",
        "support a yes/no proposal needs unless it sets its own (never below its floor)",
        (0.0, 0.99, 0.5),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "expense_approvals",
        "stewards who must approve an expense below the vote threshold (never its submitter)",
        (1.0, 10.0, 2.0),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "expense_vote_threshold",
        "expenses of at least this much (in currency units) are decided by a weighted vote, not by stewards",
        (0.0, 1_000_000_000.0, 500.0),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "patronage_reserve_share",
        "share of a year's patronage surplus kept as the indivisible reserve",
        (0.0, 1.0, 0.3),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "patronage_commune_share",
        "share of a year's patronage surplus given to the commune's pot",
        (0.0, 1.0, 0.1),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "patronage_cash_share",
        "share of each member's patronage allocation paid in cash (the rest is credited to their capital account)",
        (0.2, 1.0, 0.2),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "work_impact_value",
        "what one point of members' impact score (0-5) adds to a task's expected value when matching people and tasks, in currency units",
        (0.0, 1_000_000.0, 20.0),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "learn_vote_chars",
        "how many characters a suggested revision of a lesson may change before a vote, not a maintainer, decides it (every change to a principle is voted on)",
        (0.0, 1_000_000.0, 2000.0),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "forecast_extremize",
        "the factor the community forecast's mean log-odds are multiplied by (1 = none; above 1 sharpens it)",
        (1.0, 3.0, 1.5),
        false,
        PolicyScope::Org,
    ),
    parameter(
        "believability_half_life_days",
        "how fast old ratings fade",
        (1.0, 3650.0, 180.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "season_weight_revenue",
        "how much revenue funnelled to the pot per member counts in a season's score (0-10, against the other four measures)",
        (0.0, 10.0, 1.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "season_weight_impact",
        "how much impact delivered per member counts in a season's score (0-10, against the other four measures)",
        (0.0, 10.0, 1.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "season_weight_lessons",
        "how much lessons mastered per member counts in a season's score (0-10, against the other four measures)",
        (0.0, 10.0, 1.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "season_weight_participation",
        "how much ballots cast per member counts in a season's score (0-10, against the other four measures)",
        (0.0, 10.0, 1.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "season_weight_coops",
        "how much co-ops founded per member counts in a season's score (0-10, against the other four measures)",
        (0.0, 10.0, 1.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "campaign_cap_per_candidate",
        "the most the pot may give one candidate's campaign in all, in currency units (0: no cap; set it to match your local law)",
        (0.0, 1_000_000_000.0, 0.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "campaign_cap_per_election",
        "the most the pot may give all the campaigns of one election together, in currency units (0: no cap; set it to match your local law)",
        (0.0, 1_000_000_000.0, 0.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "campaign_blackout_days",
        "days before an election (and its day) in which no money moves to its campaigns (0: no blackout; set it to match your local law)",
        (0.0, 365.0, 0.0),
        false,
        PolicyScope::Commune,
    ),
    parameter(
        "floor_min_voters",
        "floor: direct voters every proposal needs toward its quorum, however quiet the commune",
        (2.0, 50.0, 3.0),
        true,
        PolicyScope::Commune,
    ),
];

/// The floors of one kind as policies: `floor_<kind>_discussion_hours`, `_voting_hours`,
/// `_quorum` and `_support`, with their defaults and the fixed limits a constitutional vote may
/// move them within.
macro_rules! floor_parameters {
    ($( $kind:literal => ($discussion:expr, $voting:expr, $quorum:expr, $support:expr) ),* $(,)?) => {
        [ $(
            parameter(
                concat!("floor_", $kind, "_discussion_hours"),
                concat!("floor: hours a ", $kind, " proposal is discussed before voting opens"),
                (1.0, 720.0, $discussion), true, PolicyScope::Commune,
            ),
            parameter(
                concat!("floor_", $kind, "_voting_hours"),
                concat!("floor: hours a ", $kind, " proposal's vote stays open"),
                (24.0, 2160.0, $voting), true, PolicyScope::Commune,
            ),
            parameter(
                concat!("floor_", $kind, "_quorum"),
                concat!("floor: participation a ", $kind, " proposal needs"),
                (0.05, 0.9, $quorum), true, PolicyScope::Commune,
            ),
            parameter(
                concat!("floor_", $kind, "_support"),
                concat!("floor: support a ", $kind, " motion needs (yes/no threshold; consent allows objections up to 1 − this)"),
                (0.5, 0.9, $support), true, PolicyScope::Commune,
            ),
        )* ]
    };
}

/// The constitutional floors per proposal kind.
pub const FLOOR_PARAMETERS: [PolicyParameter; 28] = floor_parameters! {
    "decision" => (24.0, 48.0, 0.2, 0.5),
    "policy" => (48.0, 72.0, 0.3, 0.5),
    "allocation" => (48.0, 72.0, 0.25, 0.5),
    "budget" => (48.0, 72.0, 0.25, 0.5),
    "admission" => (24.0, 48.0, 0.2, 0.5),
    "election" => (48.0, 72.0, 0.3, 0.5),
    "endorsement" => (24.0, 48.0, 0.2, 0.5),
};

/// Every policy parameter, ordinary ones first.
pub fn policy_parameters() -> impl Iterator<Item = &'static PolicyParameter> {
    POLICY_PARAMETERS.iter().chain(FLOOR_PARAMETERS.iter())
}

pub fn policy_parameter(key: &str) -> Option<&'static PolicyParameter> {
    policy_parameters().find(|p| p.key == key)
}

/// A parameter's default (0 for a key nobody defined; callers name only defined keys).
pub fn policy_default(key: &str) -> f64 {
    policy_parameter(key).map_or(0.0, |p| p.default)
}

/// What a proposal does when it passes, beyond recording its result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    None,
    /// Set a policy parameter.
    SetPolicy {
        key: String,
        value: f64,
    },
    /// Admit a member (by id) to the organisation.
    Admit {
        member_id: String,
    },
    /// Move money from the common pot (executed by the treasury).
    Allocate {
        amount_minor: i64,
        currency: String,
        recipient: String,
    },
    /// Open a participatory-budgeting round (executed by the treasury).
    Budget {
        total_minor: i64,
        currency: String,
    },
    /// The winners of an election take a role.
    Elect {
        role: String,
        seats: u32,
    },
    /// Endorse a candidate: the vote is open to members living in the candidate's district, and
    /// the endorsement is published when it passes.
    Endorse {
        candidate_id: String,
    },
    /// Pay a candidate's campaign from the pot (executed by the treasury, within the commune's
    /// caps and outside its blackout window, checked again when the money moves).
    Fund {
        candidate_id: String,
        amount_minor: i64,
        currency: String,
    },
    /// Add, re-weight or retire (`active: false`) a merit attribute: the metric itself is
    /// decided by the members.
    SetAttribute {
        key: String,
        name: String,
        description: String,
        domain_weights: std::collections::BTreeMap<String, f64>,
        active: bool,
    },
}

impl Effect {
    /// Whether deciding it with merit weights would let merit rewrite the rules of merit (or
    /// of membership): such proposals always count equal weights.
    pub fn is_constitutional(&self, kind: Kind) -> bool {
        kind == Kind::Admission || self.changes_constitution()
    }

    /// Whether it changes the constitution itself (λ, c, the attributes, the floors): such
    /// proposals meet the fixed constitutional floors instead of their kind's.
    pub fn changes_constitution(&self) -> bool {
        match self {
            Effect::SetAttribute { .. } => true,
            Effect::SetPolicy { key, .. } => policy_parameter(key).is_some_and(|p| p.constitutional),
            _ => false,
        }
    }
}

/// The mode whose tally decides: merit when the author asked for it, equal weights for every
/// constitutional proposal (merit may not rewrite the rules of merit or of membership).
pub fn deciding_mode(weighting: Weighting, kind: Kind, effect: &Effect) -> Weighting {
    if weighting == Weighting::Merit && !effect.is_constitutional(kind) { Weighting::Merit } else { Weighting::Equal }
}

/// The rules an effect meets on its own, before anything is looked up: the kind's own effect, a
/// known policy within its bounds and proposed where it applies, attributes only in the commune,
/// a positive amount, a role and a number of seats that leave a choice. `in_commune`: proposed in
/// the commune itself (the root organisation).
pub fn check_effect(kind: Kind, effect: &Effect, in_commune: bool, options: usize) -> Result<(), Invalid> {
    let bad = |m: String| Err(Invalid::new("effect", m));
    match (kind, effect) {
        (Kind::Decision | Kind::Endorsement, Effect::None) | (Kind::Admission, Effect::Admit { .. }) => Ok(()),
        (Kind::Endorsement, Effect::Endorse { .. }) if !in_commune => {
            bad("endorsements speak for the whole commune: propose them in the commune itself".into())
        }
        (Kind::Endorsement, Effect::Endorse { .. }) => Ok(()),
        (Kind::Allocation, Effect::Fund { .. }) if !in_commune => {
            bad("campaigns are funded from the common pot: propose it in the commune itself".into())
        }
        (Kind::Allocation, Effect::Fund { amount_minor, .. }) if *amount_minor <= 0 => {
            bad("the amount must be a positive number of minor units".into())
        }
        (Kind::Allocation, Effect::Fund { .. }) => Ok(()),
        (Kind::Policy, Effect::SetPolicy { key, value }) => match policy_parameter(key) {
            None => {
                let known: Vec<&str> = policy_parameters().map(|p| p.key).collect();
                bad(format!("unknown policy '{key}'; known: {}", known.join(", ")))
            }
            Some(p) if !(p.min..=p.max).contains(value) => {
                bad(format!("{key} must be between {} and {}", p.min, p.max))
            }
            Some(p) if p.scope == PolicyScope::Commune && !in_commune => {
                bad(format!("{key} is a policy of the whole commune: propose it in the commune itself"))
            }
            Some(_) => Ok(()),
        },
        (Kind::Policy, Effect::SetAttribute { key, name, domain_weights, active, .. }) => {
            if !in_commune {
                return bad("the attributes are the commune's: propose them in the commune itself".into());
            }
            check_attribute(key, name, domain_weights, *active)
        }
        (Kind::Allocation, Effect::Allocate { amount_minor, .. }) if *amount_minor <= 0 => {
            bad("the amount must be a positive number of minor units".into())
        }
        (Kind::Budget, Effect::Budget { total_minor, .. }) if *total_minor <= 0 => {
            bad("the budget needs a positive total".into())
        }
        (Kind::Allocation, Effect::Allocate { .. }) | (Kind::Budget, Effect::Budget { .. }) => Ok(()),
        (Kind::Election, Effect::Elect { role, seats }) => {
            if crate::org::Role::parse(role).is_err() {
                return bad("the role must be member or steward".into());
            }
            if *seats == 0 || *seats as usize >= options.max(1) {
                return bad("seats must be at least 1 and fewer than the candidates".into());
            }
            Ok(())
        }
        (kind, _) => bad(format!("a {} proposal needs its own kind of effect", kind.as_str())),
    }
}

/// Checks an attribute change: a key `[a-z0-9_]{2,40}`, a name, and domain weights from 0 to 10
/// (at least one positive unless the attribute is retired).
pub fn check_attribute(
    key: &str,
    name: &str,
    weights: &std::collections::BTreeMap<String, f64>,
    active: bool,
) -> Result<(), Invalid> {
    validation::identifier("effect", key, 2, 40, &['_'])?;
    validation::text("effect", name, 1, 60, false)?;
    for (domain, w) in weights {
        crate::identity::parse_domain(domain).map_err(|e| Invalid::new("effect", e.message))?;
        if !(0.0..=10.0).contains(w) {
            return Err(Invalid::new("effect", "attribute domain weights go from 0 to 10"));
        }
    }
    if active && !weights.values().any(|w| *w > 0.0) {
        return Err(Invalid::new("effect", "an active attribute must count towards at least one domain"));
    }
    Ok(())
}

/// The explicit times of a proposal (unix milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Schedule {
    pub voting_opens_at: i64,
    pub voting_closes_at: i64,
}

/// The longest a vote may stay open.
pub const MAX_VOTING_MS: i64 = 90 * 24 * 3600 * 1000;

impl Schedule {
    pub fn check(&self, now_ms: i64) -> Result<(), Invalid> {
        if self.voting_opens_at < now_ms {
            return Err(Invalid::new("voting_opens_at", "must not be in the past"));
        }
        if self.voting_closes_at <= self.voting_opens_at {
            return Err(Invalid::new("voting_closes_at", "must be after voting opens"));
        }
        if self.voting_closes_at - self.voting_opens_at > MAX_VOTING_MS {
            return Err(Invalid::new("voting_closes_at", "a vote stays open at most 90 days"));
        }
        Ok(())
    }
}

/// The step the scheduler must take now, if any.
pub fn due(phase: Phase, schedule: &Schedule, now_ms: i64) -> Option<Phase> {
    match phase {
        Phase::Discussion if now_ms >= schedule.voting_opens_at => Some(Phase::Voting),
        Phase::Voting if now_ms >= schedule.voting_closes_at => Some(Phase::Closed),
        _ => None,
    }
}

/// Validated text of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub title: String,
    pub body: String,
    pub domain: String,
    pub options: Vec<String>,
}

impl Text {
    pub fn parse(title: &str, body: &str, domain: &str, options: &[String]) -> Result<Text, Violations> {
        let mut v = Violations::default();
        let title = v.check(validation::text("title", title, 3, 140, false));
        let body = v.check(validation::text("body", body, 0, 20_000, true));
        let domain = v.check(
            crate::identity::parse_domain(if domain.trim().is_empty() { "general" } else { domain })
                .map_err(|e| Invalid::new("domain", e.message)),
        );
        let options: Vec<String> = options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        if options.iter().any(|o| o.chars().count() > 200) {
            v.0.push(Invalid::new("options", "each option is at most 200 characters"));
        }
        let mut sorted = options.clone();
        sorted.sort();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            v.0.push(Invalid::new("options", "options must differ"));
        }
        match (title, body, domain) {
            (Some(title), Some(body), Some(domain)) if v.is_empty() => Ok(Text { title, body, domain, options }),
            _ => Err(v),
        }
    }
}

/// Checks quorum and method parameters together.
pub fn check_rules(method: &VotingMethod, options: usize, quorum: f64) -> Result<(), Invalid> {
    if !(0.0..=1.0).contains(&quorum) {
        return Err(Invalid::new("quorum", "must be between 0 and 1"));
    }
    method.check(options).map_err(|m| Invalid::new("method", m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_due_once_their_time_comes() {
        let s = Schedule { voting_opens_at: 100, voting_closes_at: 200 };
        assert_eq!(due(Phase::Draft, &s, 150), None, "drafts wait for their author");
        assert_eq!(due(Phase::Discussion, &s, 99), None);
        assert_eq!(due(Phase::Discussion, &s, 100), Some(Phase::Voting));
        assert_eq!(due(Phase::Voting, &s, 199), None);
        assert_eq!(due(Phase::Voting, &s, 250), Some(Phase::Closed));
        assert_eq!(due(Phase::Closed, &s, 999), None, "execution follows the tally, not the clock");
    }

    #[test]
    fn schedules_and_texts_are_validated() {
        assert!(Schedule { voting_opens_at: 10, voting_closes_at: 5 }.check(0).is_err());
        assert!(Schedule { voting_opens_at: 10, voting_closes_at: 20 }.check(11).is_err());
        assert!(Schedule { voting_opens_at: 10, voting_closes_at: 20 }.check(10).is_ok());
        assert!(Text::parse("Hi", "", "", &[]).is_err(), "title too short");
        let t =
            Text::parse("Paint the bakery", "**Green**", "", &[" a ".into(), "".into(), "b".into()]).expect("valid");
        assert_eq!((t.domain.as_str(), t.options.len()), ("general", 2));
        assert!(Text::parse("Paint it", "", "", &["a".into(), "a".into()]).is_err());
    }

    #[test]
    fn constitutional_changes_are_recognised() {
        assert!(Effect::SetPolicy { key: "merit_lambda".into(), value: 0.3 }.is_constitutional(Kind::Policy));
        assert!(!Effect::SetPolicy { key: "funnel_rate".into(), value: 0.3 }.is_constitutional(Kind::Policy));
        assert!(Effect::None.is_constitutional(Kind::Admission));
        assert!(!Effect::None.changes_constitution(), "admissions count equal weights under their own floors");
        let floor = Effect::SetPolicy { key: "floor_policy_quorum".into(), value: 0.4 };
        assert!(floor.changes_constitution() && floor.is_constitutional(Kind::Policy));
    }

    #[test]
    fn every_kind_has_its_four_floors_and_keys_are_unique() {
        for kind in Kind::ALL {
            for what in ["discussion_hours", "voting_hours", "quorum", "support"] {
                let key = format!("floor_{}_{what}", kind.as_str());
                let p = policy_parameter(&key).unwrap_or_else(|| panic!("{key}"));
                assert!(p.constitutional && (p.min..=p.max).contains(&p.default), "{key}");
            }
        }
        let mut keys: Vec<&str> = policy_parameters().map(|p| p.key).collect();
        keys.sort_unstable();
        assert!(keys.windows(2).all(|w| w[0] != w[1]));
    }
}
