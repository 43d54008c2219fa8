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

/// Parameters that `policy` proposals may change, with their bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolicyParameter {
    pub key: &'static str,
    pub describe: &'static str,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    /// Changing it changes how votes are weighted: always decided with equal weights.
    pub constitutional: bool,
}

pub const POLICY_PARAMETERS: [PolicyParameter; 6] = [
    PolicyParameter {
        key: "funnel_rate",
        describe: "share of business revenue that flows into the common pot",
        min: 0.0,
        max: 1.0,
        default: 0.2,
        constitutional: false,
    },
    PolicyParameter {
        key: "merit_lambda",
        describe: "λ: how much of each vote weight comes from merit",
        min: 0.0,
        max: 1.0,
        default: 0.5,
        constitutional: true,
    },
    PolicyParameter {
        key: "merit_cap",
        describe: "c: nobody's weight exceeds c/N",
        min: 1.0,
        max: 100.0,
        default: 3.0,
        constitutional: true,
    },
    PolicyParameter {
        key: "default_quorum",
        describe: "participation a proposal needs unless it sets its own",
        min: 0.0,
        max: 1.0,
        default: 0.2,
        constitutional: false,
    },
    PolicyParameter {
        key: "default_threshold",
        describe: "support a yes/no proposal needs unless it sets its own",
        min: 0.0,
        max: 0.99,
        default: 0.5,
        constitutional: false,
    },
    PolicyParameter {
        key: "believability_half_life_days",
        describe: "how fast old ratings fade",
        min: 1.0,
        max: 3650.0,
        default: 180.0,
        constitutional: false,
    },
];

pub fn policy_parameter(key: &str) -> Option<&'static PolicyParameter> {
    POLICY_PARAMETERS.iter().find(|p| p.key == key)
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
    /// Whether deciding it with merit weights would let merit rewrite the rules of merit.
    pub fn is_constitutional(&self, kind: Kind) -> bool {
        match (kind, self) {
            (Kind::Admission, _) | (_, Effect::SetAttribute { .. }) => true,
            (_, Effect::SetPolicy { key, .. }) => policy_parameter(key).is_some_and(|p| p.constitutional),
            _ => false,
        }
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
    }
}
