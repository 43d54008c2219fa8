//! Constitutional floors: no member decides anything alone, however quiet the commune is.
//!
//! Every proposal meets the floors of its kind — a minimum discussion time before voting opens,
//! a minimum voting window, a minimum quorum and a minimum support — and needs a minimum number
//! of distinct direct voters toward its quorum. The floors are policies of the commune
//! (`floor_<kind>_*`, `floor_min_voters`), changed only by constitutional votes, which meet the
//! fixed floors in [`CONSTITUTION`] (no vote can lower those). An author may raise any parameter,
//! never lower it below its floor.
//!
//! Money proposals scale their floors with the amount relative to the source's balance
//! ([`for_money`]): moving the whole pot needs half the commune to take part, a two-thirds
//! majority, three times the voting window and twice the discussion.
//!
//! Support applies to motions: a yes/no threshold must be at least the support floor, and a
//! consent vote may allow objections up to `1 − support` at most. Proposals that choose among
//! options have no support parameter; their floors are the times, the quorum and the voters.

use super::methods::VotingMethod;
use super::proposal::{Effect, Kind};
use super::weight::{self, PPM};
use crate::validation::{Invalid, Violations};

const HOUR_MS: i64 = 3_600_000;

/// The floors one proposal must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Floors {
    /// Between publication and the opening of the vote.
    pub discussion_ms: i64,
    /// Between the opening and the close of the vote.
    pub voting_ms: i64,
    /// Participation, in parts per million of the eligible weight.
    pub quorum_ppm: u64,
    /// Support of a motion, in parts per million.
    pub support_ppm: u64,
    /// Distinct direct voters toward the quorum (fewer only when fewer may vote).
    pub min_voters: usize,
}

impl Floors {
    /// The stricter of two sets of floors, parameter by parameter.
    pub fn max(self, other: Floors) -> Floors {
        Floors {
            discussion_ms: self.discussion_ms.max(other.discussion_ms),
            voting_ms: self.voting_ms.max(other.voting_ms),
            quorum_ppm: self.quorum_ppm.max(other.quorum_ppm),
            support_ppm: self.support_ppm.max(other.support_ppm),
            min_voters: self.min_voters.max(other.min_voters),
        }
    }

    /// The quorum an author gets when they set none: the organisation's default, never below
    /// the floor.
    pub fn default_quorum(&self, org_default: f64) -> f64 {
        (org_default.max(self.quorum_ppm as f64 / PPM as f64) * 1e6).ceil() / 1e6
    }
}

/// The fixed floors of constitutional changes (λ, c, the attributes, the floors themselves).
pub const CONSTITUTION: Floors = Floors {
    discussion_ms: 7 * 24 * HOUR_MS,
    voting_ms: 7 * 24 * HOUR_MS,
    quorum_ppm: 500_000,
    support_ppm: 666_667,
    min_voters: 3,
};

/// The floors of a proposal of `kind` with `effect`, reading the commune's policy values
/// through `policy` (key → value, its default when never set).
pub fn of(kind: Kind, effect: &Effect, policy: impl Fn(&str) -> f64) -> Floors {
    let min_voters = policy("floor_min_voters").round().clamp(2.0, 50.0) as usize;
    if effect.changes_constitution() {
        return Floors { min_voters: min_voters.max(CONSTITUTION.min_voters), ..CONSTITUTION };
    }
    let value = |what: &str| policy(&format!("floor_{}_{what}", kind.as_str()));
    Floors {
        discussion_ms: (value("discussion_hours") * HOUR_MS as f64).round() as i64,
        voting_ms: (value("voting_hours") * HOUR_MS as f64).round() as i64,
        quorum_ppm: weight::ppm(value("quorum")),
        support_ppm: weight::ppm(value("support")),
        min_voters,
    }
}

/// Raises `base` for a proposal moving `amount` out of a source holding `balance` (both in minor
/// units; an empty or overdrawn source counts as the whole of it). With `f = min(1, amount /
/// balance)`: quorum → `q + (max(q, ½) − q)·f`, support → `s + (max(s, ⅔) − s)·f`, voting
/// window → `v·(1 + 2f)`, discussion → `d·(1 + f)`. Integer arithmetic, rounded up.
pub fn for_money(base: Floors, amount: u64, balance: i128) -> Floors {
    let f_ppm: u128 = if balance <= 0 {
        u128::from(PPM)
    } else {
        (u128::from(amount) * u128::from(PPM)).div_ceil(balance as u128).min(u128::from(PPM))
    };
    let toward = |from: u64, to: u64| -> u64 {
        let to = to.max(from);
        from + (u128::from(to - from) * f_ppm).div_ceil(u128::from(PPM)) as u64
    };
    let stretch =
        |ms: i64, factor: u128| -> i64 { ms + ((ms.max(0) as u128) * factor * f_ppm).div_ceil(u128::from(PPM)) as i64 };
    Floors {
        discussion_ms: stretch(base.discussion_ms, 1),
        voting_ms: stretch(base.voting_ms, 2),
        quorum_ppm: toward(base.quorum_ppm, 500_000),
        support_ppm: toward(base.support_ppm, 666_667),
        min_voters: base.min_voters,
    }
}

/// The parameters of a proposal that floors bind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parameters<'a> {
    /// From publication (or now, for a draft) to the opening of the vote.
    pub discussion_ms: i64,
    pub voting_ms: i64,
    pub quorum: f64,
    pub method: &'a VotingMethod,
}

fn hours(ms: i64) -> String {
    let h = ms as f64 / HOUR_MS as f64;
    if h >= 48.0 && (h / 24.0).fract() == 0.0 {
        format!("{} days", h / 24.0)
    } else if h.fract() == 0.0 {
        format!("{h} hours")
    } else {
        format!("{:.1} hours", h)
    }
}

fn percent(ppm: u64) -> String {
    let p = ppm as f64 / 10_000.0;
    if p.fract() == 0.0 { format!("{p}%") } else { format!("{p:.2}%") }
}

/// Checks a proposal's parameters against its floors, naming every parameter that is below
/// its floor and the floor itself.
pub fn check(p: &Parameters<'_>, floors: &Floors, kind: Kind) -> Result<(), Violations> {
    let mut v = Violations::default();
    let what = kind.as_str();
    let a = if matches!(kind, Kind::Allocation | Kind::Admission | Kind::Election | Kind::Endorsement) {
        "an"
    } else {
        "a"
    };
    if p.discussion_ms < floors.discussion_ms {
        v.0.push(Invalid::new(
            "voting_opens_at",
            format!(
                "{a} {what} proposal is discussed for at least {} before voting opens; set the opening at least that long after publishing",
                hours(floors.discussion_ms)
            ),
        ));
    }
    if p.voting_ms < floors.voting_ms {
        v.0.push(Invalid::new(
            "voting_closes_at",
            format!("the vote on {a} {what} proposal stays open at least {}", hours(floors.voting_ms)),
        ));
    }
    if weight::ppm(p.quorum) < floors.quorum_ppm || p.quorum.is_nan() {
        v.0.push(Invalid::new(
            "quorum",
            format!(
                "{a} {what} proposal needs a quorum of at least {} (its floor); you may raise it",
                percent(floors.quorum_ppm)
            ),
        ));
    }
    match p.method {
        VotingMethod::YesNo { threshold } if weight::ppm(*threshold) < floors.support_ppm => v.0.push(Invalid::new(
            "threshold",
            format!(
                "support must be more than {} for {a} {what} proposal (its floor); you may raise it",
                percent(floors.support_ppm)
            ),
        )),
        VotingMethod::Consent { objection_limit } if weight::ppm(*objection_limit) > PPM - floors.support_ppm => {
            v.0.push(Invalid::new(
                "objection_limit",
                format!(
                    "{a} {what} consent vote may allow objections of at most {} (its floor); you may lower it",
                    percent(PPM - floors.support_ppm)
                ),
            ))
        }
        _ => {}
    }
    v.into_result()
}

/// Which methods a kind may use: what a proposal does decides what its vote must say.
pub fn method_fits(kind: Kind, method: &VotingMethod) -> Result<(), Invalid> {
    let motion = !method.has_options();
    match kind {
        Kind::Policy | Kind::Allocation | Kind::Admission if !motion => Err(Invalid::new(
            "method",
            format!("a {} proposal is a motion: use yes/no/abstain or consent", kind.as_str()),
        )),
        Kind::Election if motion => Err(Invalid::new(
            "method",
            "an election chooses among candidates: use a method with options (e.g. ranked or approval)",
        )),
        _ => Ok(()),
    }
}

/// Someone or something a proposal's effect gives to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Beneficiary {
    /// A member, by id.
    Member(String),
    /// An organisation, by id.
    Org(String),
}

/// Why a proposal benefits its author, if it does: it elects, admits or pays them, or pays an
/// organisation they steward. Such a proposal is marked on every page and the author's own
/// ballot does not count toward its quorum.
pub fn benefits_author(
    effect: &Effect,
    beneficiaries: &[Beneficiary],
    author_id: &str,
    author_stewards: &[String],
) -> Option<&'static str> {
    let author = beneficiaries.iter().any(|b| *b == Beneficiary::Member(author_id.to_owned()));
    let stewarded = beneficiaries.iter().any(|b| matches!(b, Beneficiary::Org(o) if author_stewards.contains(o)));
    match effect {
        Effect::Elect { .. } if author => Some("it can elect its author"),
        Effect::Admit { .. } if author => Some("it admits its author"),
        Effect::Allocate { .. } if author => Some("it pays its author"),
        Effect::Allocate { .. } if stewarded => Some("it pays an organisation its author stewards"),
        Effect::Fund { .. } if author => Some("it funds its author's campaign"),
        Effect::Endorse { .. } if author => Some("it endorses its author"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::proposal::policy_default;
    use proptest::prelude::*;

    fn defaults(kind: Kind) -> Floors {
        of(kind, &Effect::None, policy_default)
    }

    #[test]
    fn kinds_read_their_floors_and_the_constitution_is_fixed() {
        let decision = defaults(Kind::Decision);
        assert_eq!(
            decision,
            Floors {
                discussion_ms: 24 * HOUR_MS,
                voting_ms: 48 * HOUR_MS,
                quorum_ppm: 200_000,
                support_ppm: 500_000,
                min_voters: 3
            }
        );
        let lambda = Effect::SetPolicy { key: "merit_lambda".into(), value: 0.9 };
        // Even a commune that lowered every kind's floors meets the constitution's own.
        let lowered = |key: &str| if key.starts_with("floor_") { 0.0 } else { policy_default(key) };
        assert_eq!(of(Kind::Policy, &lambda, lowered), Floors { min_voters: 3, ..CONSTITUTION });
    }

    #[test]
    fn money_floors_grow_with_the_share_of_the_source() {
        let base = defaults(Kind::Allocation);
        assert_eq!(for_money(base, 0, 1_000), base, "nothing moved, nothing raised");
        let all = for_money(base, 1_000, 1_000);
        assert_eq!((all.quorum_ppm, all.support_ppm), (500_000, 666_667));
        assert_eq!((all.voting_ms, all.discussion_ms), (3 * base.voting_ms, 2 * base.discussion_ms));
        assert_eq!(for_money(base, 5, 0), all, "an empty source: the whole of it");
        let tenth = for_money(base, 100, 1_000);
        assert!(tenth.quorum_ppm > base.quorum_ppm && tenth.quorum_ppm < all.quorum_ppm);
    }

    #[test]
    fn check_names_each_parameter_below_its_floor() {
        let floors = defaults(Kind::Policy);
        let low = VotingMethod::YesNo { threshold: 0.0 };
        let p = Parameters { discussion_ms: 0, voting_ms: 1_000, quorum: 0.0, method: &low };
        let problems = check(&p, &floors, Kind::Policy).expect_err("below every floor");
        let fields: Vec<&str> = problems.0.iter().map(|i| i.field).collect();
        assert_eq!(fields, ["voting_opens_at", "voting_closes_at", "quorum", "threshold"]);
        let ok = VotingMethod::YesNo { threshold: 0.6 };
        let p = Parameters { discussion_ms: 48 * HOUR_MS, voting_ms: 72 * HOUR_MS, quorum: 0.3, method: &ok };
        assert!(check(&p, &floors, Kind::Policy).is_ok(), "at the floor is allowed, above too");
        let consent = VotingMethod::Consent { objection_limit: 0.6 };
        assert!(check(&Parameters { method: &consent, ..p }, &floors, Kind::Policy).is_err());
    }

    #[test]
    fn self_interest_is_recognised() {
        let me = "m1".to_owned();
        let pay = Effect::Allocate { amount_minor: 5, currency: "EUR".into(), recipient: "ada".into() };
        assert_eq!(benefits_author(&pay, &[Beneficiary::Member(me.clone())], &me, &[]), Some("it pays its author"));
        let to_org = [Beneficiary::Org("o1".into())];
        assert!(benefits_author(&pay, &to_org, &me, &["o1".into()]).is_some());
        assert_eq!(benefits_author(&pay, &to_org, &me, &[]), None);
        let elect = Effect::Elect { role: "steward".into(), seats: 1 };
        assert!(
            benefits_author(&elect, &[Beneficiary::Member("m2".into()), Beneficiary::Member(me.clone())], &me, &[])
                .is_some()
        );
        assert_eq!(benefits_author(&Effect::None, &[Beneficiary::Member(me.clone())], &me, &[]), None);
    }

    #[test]
    fn motions_and_elections_take_their_methods() {
        let yes_no = VotingMethod::YesNo { threshold: 0.5 };
        let approval = VotingMethod::Approval;
        assert!(
            method_fits(Kind::Allocation, &approval).is_err(),
            "an allocation with options would pass on any winner"
        );
        assert!(method_fits(Kind::Allocation, &yes_no).is_ok());
        assert!(method_fits(Kind::Election, &yes_no).is_err());
        assert!(method_fits(Kind::Decision, &approval).is_ok());
    }

    proptest! {
        /// Whatever an author sets, parameters that pass the check are at or above every floor,
        /// for every kind and for any amount of money.
        #[test]
        fn nothing_below_a_floor_passes_the_check(
            kind in 0usize..7, discussion_h in 0i64..400, voting_h in 0i64..400, quorum in 0.0f64..1.0,
            threshold in 0.0f64..1.0, consent in any::<bool>(), amount in 0u64..10_000, balance in -5i128..10_000,
        ) {
            let kind = Kind::ALL[kind];
            let floors = for_money(defaults(kind), amount, balance);
            let method = if consent { VotingMethod::Consent { objection_limit: threshold.max(0.01) } } else { VotingMethod::YesNo { threshold } };
            let p = Parameters { discussion_ms: discussion_h * HOUR_MS, voting_ms: voting_h * HOUR_MS, quorum, method: &method };
            if check(&p, &floors, kind).is_ok() {
                prop_assert!(p.discussion_ms >= floors.discussion_ms && p.voting_ms >= floors.voting_ms);
                prop_assert!(weight::ppm(quorum) >= floors.quorum_ppm);
                match method {
                    VotingMethod::YesNo { threshold } => prop_assert!(weight::ppm(threshold) >= floors.support_ppm),
                    VotingMethod::Consent { objection_limit } => prop_assert!(weight::ppm(objection_limit) <= PPM - floors.support_ppm),
                    _ => unreachable!(),
                }
            }
        }
    }
}
