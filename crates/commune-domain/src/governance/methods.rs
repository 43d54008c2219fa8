//! Every voting method a proposal can use, with its ballots and weighted tally.
//!
//! Rules per method (weights multiply every count; an unweighted vote is weight 1):
//! - **yes/no/abstain**: support = yes / (yes + no) must be *greater than* the threshold;
//!   participation = (yes + no + abstain) / eligible must be *at least* the quorum. With no yes or
//!   no votes, support is 0 and the motion fails.
//! - **consent**: fails when the objecting weight reaches `objection_limit` × eligible weight
//!   (silence consents); otherwise passes (quorum still applies).
//! - **single choice**: the option(s) with the most weight win; ties give co-winners.
//! - **approval**: each approved option gets the ballot's full weight; most weight wins.
//! - **score** (0–5): each option gets Σ weight × score; an option a ballot leaves unscored
//!   counts 0; the highest total wins.
//! - **ranked**: see [`super::ranked`] (Schulze by default); partial rankings allowed.
//! - **quadratic**: a ballot spends at most `credits`, casting v votes on an option for v²
//!   credits; each option gets Σ weight × votes.
//! - **points**: a ballot allocates at most `budget` points; each option gets Σ weight × points.
//!
//! Quorum applies to every method: a tally below quorum has no winner and does not pass.

use super::profile::Profile;
use super::ranked::{self, Method as RankedMethod};

/// A proposal's counting rule with its parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum VotingMethod {
    YesNo { threshold: f64 },
    Consent { objection_limit: f64 },
    SingleChoice,
    Approval,
    Score,
    Ranked { rule: RankedRule },
    Quadratic { credits: u32 },
    Points { budget: u32 },
}

/// The ranked rules a proposal can use (the CLI names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RankedRule {
    Schulze,
    Irv,
    Borda,
    Copeland,
    RankedPairs,
    Minimax,
    Plurality,
}

impl RankedRule {
    pub fn method(self) -> RankedMethod {
        match self {
            RankedRule::Schulze => RankedMethod::Schulze,
            RankedRule::Irv => RankedMethod::InstantRunoff,
            RankedRule::Borda => RankedMethod::Borda,
            RankedRule::Copeland => RankedMethod::Copeland,
            RankedRule::RankedPairs => RankedMethod::RankedPairs,
            RankedRule::Minimax => RankedMethod::Minimax,
            RankedRule::Plurality => RankedMethod::Plurality,
        }
    }
}

impl VotingMethod {
    /// A short human name.
    pub fn label(&self) -> String {
        match self {
            VotingMethod::YesNo { threshold } => format!("yes/no/abstain (support > {:.0}%)", threshold * 100.0),
            VotingMethod::Consent { objection_limit } => {
                format!("consent (fails at {:.0}% objections)", objection_limit * 100.0)
            }
            VotingMethod::SingleChoice => "single choice".into(),
            VotingMethod::Approval => "approval".into(),
            VotingMethod::Score => "score 0–5".into(),
            VotingMethod::Ranked { rule } => format!("ranked ({})", rule.method().name()),
            VotingMethod::Quadratic { credits } => format!("quadratic ({credits} credits)"),
            VotingMethod::Points { budget } => format!("points ({budget} to allocate)"),
        }
    }

    /// Whether the method chooses among options (as opposed to passing or failing one motion).
    pub fn has_options(&self) -> bool {
        !matches!(self, VotingMethod::YesNo { .. } | VotingMethod::Consent { .. })
    }

    /// Checks the parameters themselves.
    pub fn check(&self, options: usize) -> Result<(), String> {
        match self {
            VotingMethod::YesNo { threshold } if !(0.0..1.0).contains(threshold) => {
                Err("the threshold must be at least 0 and below 1 (support must be greater than it)".into())
            }
            VotingMethod::Consent { objection_limit } if !(*objection_limit > 0.0 && *objection_limit <= 1.0) => {
                Err("the objection limit must be above 0 and at most 1".into())
            }
            VotingMethod::Quadratic { credits } if *credits == 0 || *credits > 1_000_000 => {
                Err("quadratic credits must be between 1 and 1,000,000".into())
            }
            VotingMethod::Points { budget } if *budget == 0 || *budget > 1_000_000 => {
                Err("the points budget must be between 1 and 1,000,000".into())
            }
            m if m.has_options() && !(2..=MAX_OPTIONS).contains(&options) => {
                Err(format!("this method needs between 2 and {MAX_OPTIONS} options"))
            }
            m if !m.has_options() && options != 0 => Err("yes/no and consent proposals take no options".into()),
            _ => Ok(()),
        }
    }
}

pub const MAX_OPTIONS: usize = 50;

/// A member's ballot. Option numbers are 0-based indices into the proposal's options.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ballot {
    YesNo {
        stance: Stance,
    },
    Consent {
        object: bool,
    },
    Single {
        option: usize,
    },
    Approval {
        options: Vec<usize>,
    },
    /// One entry per option: `None` leaves it unscored.
    Score {
        scores: Vec<Option<u8>>,
    },
    /// Tiers best first; options in one tier are tied; unlisted options are unranked.
    Ranked {
        ranking: Vec<Vec<usize>>,
    },
    Quadratic {
        votes: Vec<u32>,
    },
    Points {
        points: Vec<u32>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Yes,
    No,
    Abstain,
}

/// Why a ballot does not fit its proposal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidBallot(pub String);

fn bad(message: impl Into<String>) -> Result<(), InvalidBallot> {
    Err(InvalidBallot(message.into()))
}

/// Checks that `ballot` is a valid ballot for `method` over `options` options.
pub fn validate(method: &VotingMethod, options: usize, ballot: &Ballot) -> Result<(), InvalidBallot> {
    let in_range = |o: usize| o < options;
    let unique = |xs: &[usize]| {
        let mut seen = xs.to_vec();
        seen.sort_unstable();
        seen.windows(2).all(|w| w[0] != w[1])
    };
    match (method, ballot) {
        (VotingMethod::YesNo { .. }, Ballot::YesNo { .. }) | (VotingMethod::Consent { .. }, Ballot::Consent { .. }) => {
            Ok(())
        }
        (VotingMethod::SingleChoice, Ballot::Single { option }) if in_range(*option) => Ok(()),
        (VotingMethod::SingleChoice, Ballot::Single { option }) => bad(format!("there is no option {}", option + 1)),
        (VotingMethod::Approval, Ballot::Approval { options: chosen }) => {
            if !chosen.iter().all(|&o| in_range(o)) {
                bad("an approved option does not exist")
            } else if !unique(chosen) {
                bad("an option is approved twice")
            } else {
                Ok(())
            }
        }
        (VotingMethod::Score, Ballot::Score { scores }) => {
            if scores.len() != options {
                bad(format!("give one score (or none) per option: {options} expected"))
            } else if scores.iter().flatten().any(|&s| s > 5) {
                bad("scores go from 0 to 5")
            } else {
                Ok(())
            }
        }
        (VotingMethod::Ranked { .. }, Ballot::Ranked { ranking }) => {
            let flat: Vec<usize> = ranking.iter().flatten().copied().collect();
            if flat.is_empty() {
                bad("rank at least one option")
            } else if ranking.iter().any(Vec::is_empty) {
                bad("a rank is empty")
            } else if !flat.iter().all(|&o| in_range(o)) {
                bad("a ranked option does not exist")
            } else if !unique(&flat) {
                bad("an option is ranked twice")
            } else {
                Ok(())
            }
        }
        (VotingMethod::Quadratic { credits }, Ballot::Quadratic { votes }) => {
            let cost: u64 = votes.iter().map(|&v| u64::from(v) * u64::from(v)).sum();
            if votes.len() != options {
                bad(format!("give a number of votes per option: {options} expected"))
            } else if cost > u64::from(*credits) {
                bad(format!("these votes cost {cost} credits (votes², summed); the budget is {credits}"))
            } else {
                Ok(())
            }
        }
        (VotingMethod::Points { budget }, Ballot::Points { points }) => {
            let spent: u64 = points.iter().map(|&p| u64::from(p)).sum();
            if points.len() != options {
                bad(format!("give points per option: {options} expected"))
            } else if spent > u64::from(*budget) {
                bad(format!("{spent} points allocated; the budget is {budget}"))
            } else {
                Ok(())
            }
        }
        _ => bad(format!("this proposal is counted by {}; send a ballot of that kind", method.label())),
    }
}

/// A counted ballot: its weight (own plus delegated) and the ballot.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted<'a> {
    pub weight: f64,
    pub ballot: &'a Ballot,
}

/// The outcome of one tally under one set of weights.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// Winning options (indices), empty for yes/no and consent or below quorum.
    pub winners: Vec<usize>,
    /// Per option; for yes/no `[yes, no, abstain]`, for consent `[consent, object]`.
    pub scores: Vec<f64>,
    /// Whether the proposal passes: yes/no and consent by their rules; other methods when
    /// quorum is met and there is a winner.
    pub passed: bool,
    pub quorum_met: bool,
    /// Weight cast / eligible weight.
    pub participation: f64,
    /// Yes/no only: yes / (yes + no).
    pub support: Option<f64>,
    pub cast_weight: f64,
    pub eligible_weight: f64,
}

/// Tallies `ballots` (already validated) for a proposal with `options` options.
pub fn tally(
    method: &VotingMethod,
    options: usize,
    ballots: &[Counted<'_>],
    eligible_weight: f64,
    quorum: f64,
) -> Tally {
    let cast_weight: f64 = ballots.iter().map(|b| b.weight).sum();
    let participation = if eligible_weight > 0.0 { cast_weight / eligible_weight } else { 0.0 };
    let quorum_met = participation >= quorum;
    let mut support = None;
    let (scores, winners, passed) = match method {
        VotingMethod::YesNo { threshold } => {
            let mut s = [0.0; 3];
            for b in ballots {
                if let Ballot::YesNo { stance } = b.ballot {
                    s[*stance as usize] += b.weight;
                }
            }
            let decided = s[0] + s[1];
            let share = if decided > 0.0 { s[0] / decided } else { 0.0 };
            support = Some(share);
            (s.to_vec(), Vec::new(), quorum_met && share > *threshold)
        }
        VotingMethod::Consent { objection_limit } => {
            let mut s = [0.0; 2];
            for b in ballots {
                if let Ballot::Consent { object } = b.ballot {
                    s[usize::from(*object)] += b.weight;
                }
            }
            (s.to_vec(), Vec::new(), quorum_met && s[1] < objection_limit * eligible_weight)
        }
        VotingMethod::Ranked { rule } => {
            let mut profile = Profile::new((1..=options as i64).collect());
            for b in ballots {
                if let Ballot::Ranked { ranking } = b.ballot {
                    let tiers: Vec<Vec<i64>> =
                        ranking.iter().map(|t| t.iter().map(|&o| o as i64 + 1).collect()).collect();
                    // Validated ballots always fit; a misfit would be skipped rather than miscounted.
                    let _ = profile.push(b.weight, &tiers);
                }
            }
            match ranked::tally(rule.method(), &profile) {
                Ok(outcome) => {
                    let winners = if quorum_met && !ballots.is_empty() { outcome.winners } else { Vec::new() };
                    let passed = !winners.is_empty();
                    (outcome.scores, winners, passed)
                }
                Err(_) => (vec![0.0; options], Vec::new(), false),
            }
        }
        _ => {
            let mut s = vec![0.0; options];
            for b in ballots {
                add_scores(&mut s, b);
            }
            let winners = if quorum_met && cast_weight > 0.0 { top(&s) } else { Vec::new() };
            let passed = !winners.is_empty();
            (s, winners, passed)
        }
    };
    Tally { winners, scores, passed, quorum_met, participation, support, cast_weight, eligible_weight }
}

fn add_scores(s: &mut [f64], b: &Counted<'_>) {
    let w = b.weight;
    match b.ballot {
        Ballot::Single { option } => s[*option] += w,
        Ballot::Approval { options } => options.iter().for_each(|&o| s[o] += w),
        Ballot::Score { scores } => scores.iter().enumerate().for_each(|(o, v)| s[o] += w * f64::from(v.unwrap_or(0))),
        Ballot::Quadratic { votes } => votes.iter().enumerate().for_each(|(o, &v)| s[o] += w * f64::from(v)),
        Ballot::Points { points } => points.iter().enumerate().for_each(|(o, &p)| s[o] += w * f64::from(p)),
        Ballot::YesNo { .. } | Ballot::Consent { .. } | Ballot::Ranked { .. } => {}
    }
}

/// Options with the highest score (all of them when tied).
fn top(scores: &[f64]) -> Vec<usize> {
    let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (0..scores.len()).filter(|&i| scores[i] == best).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(ballots: &[(f64, Ballot)]) -> Vec<Counted<'_>> {
        ballots.iter().map(|(w, b)| Counted { weight: *w, ballot: b }).collect()
    }

    #[test]
    fn yes_no_support_is_strictly_greater_and_quorum_at_least() {
        let yes = Ballot::YesNo { stance: Stance::Yes };
        let no = Ballot::YesNo { stance: Stance::No };
        let abstain = Ballot::YesNo { stance: Stance::Abstain };
        let method = VotingMethod::YesNo { threshold: 0.5 };
        // Exactly 50% support does not pass.
        let t = tally(&method, 0, &counted(&[(1.0, yes.clone()), (1.0, no.clone())]), 4.0, 0.5);
        assert_eq!((t.support, t.quorum_met, t.passed), (Some(0.5), true, false));
        // Abstentions count for quorum, not for support: participation 3/6 = 0.5 ≥ 0.5.
        let t = tally(&method, 0, &counted(&[(2.0, yes.clone()), (1.0, abstain.clone())]), 6.0, 0.5);
        assert_eq!((t.support, t.participation, t.passed), (Some(1.0), 0.5, true));
        // Below quorum fails whatever the support.
        let t = tally(&method, 0, &counted(&[(2.0, yes)]), 6.0, 0.5);
        assert!(!t.passed && !t.quorum_met);
        assert_eq!(tally(&method, 0, &counted(&[(1.0, abstain)]), 1.0, 0.0).support, Some(0.0));
    }

    #[test]
    fn consent_fails_when_objections_reach_the_limit() {
        let method = VotingMethod::Consent { objection_limit: 0.25 };
        let object = Ballot::Consent { object: true };
        let consent = Ballot::Consent { object: false };
        assert!(
            tally(&method, 0, &counted(&[(1.0, object.clone()), (2.0, consent.clone())]), 5.0, 0.0).passed,
            "1 < 1.25"
        );
        assert!(!tally(&method, 0, &counted(&[(1.25, object), (2.0, consent)]), 5.0, 0.0).passed, "1.25 reaches 1.25");
    }

    #[test]
    fn weighted_option_methods_and_ties() {
        let t = tally(
            &VotingMethod::SingleChoice,
            3,
            &counted(&[(2.0, Ballot::Single { option: 0 }), (2.0, Ballot::Single { option: 2 })]),
            4.0,
            0.0,
        );
        assert_eq!((t.winners, t.scores), (vec![0, 2], vec![2.0, 0.0, 2.0]));
        let t = tally(
            &VotingMethod::Approval,
            3,
            &counted(&[(0.5, Ballot::Approval { options: vec![0, 1] }), (1.0, Ballot::Approval { options: vec![1] })]),
            1.5,
            0.0,
        );
        assert_eq!(t.winners, [1]);
        let t = tally(
            &VotingMethod::Score,
            2,
            &counted(&[
                (1.0, Ballot::Score { scores: vec![Some(5), None] }),
                (3.0, Ballot::Score { scores: vec![Some(1), Some(2)] }),
            ]),
            4.0,
            0.0,
        );
        assert_eq!(t.scores, [8.0, 6.0]);
        let t = tally(
            &VotingMethod::Quadratic { credits: 9 },
            2,
            &counted(&[(1.0, Ballot::Quadratic { votes: vec![3, 0] }), (1.0, Ballot::Quadratic { votes: vec![2, 2] })]),
            2.0,
            0.0,
        );
        assert_eq!((t.scores, t.winners), (vec![5.0, 2.0], vec![0]));
    }

    #[test]
    fn ballots_are_checked_against_their_method() {
        let q = VotingMethod::Quadratic { credits: 10 };
        assert!(validate(&q, 2, &Ballot::Quadratic { votes: vec![3, 1] }).is_ok(), "9 + 1 = 10 credits");
        assert!(validate(&q, 2, &Ballot::Quadratic { votes: vec![3, 2] }).is_err(), "13 credits");
        assert!(validate(&VotingMethod::Points { budget: 5 }, 2, &Ballot::Points { points: vec![3, 3] }).is_err());
        assert!(validate(&VotingMethod::SingleChoice, 2, &Ballot::Single { option: 2 }).is_err());
        assert!(validate(&VotingMethod::Approval, 3, &Ballot::Approval { options: vec![1, 1] }).is_err());
        let ranked = VotingMethod::Ranked { rule: RankedRule::Schulze };
        assert!(validate(&ranked, 3, &Ballot::Ranked { ranking: vec![vec![2], vec![0, 1]] }).is_ok());
        assert!(validate(&ranked, 3, &Ballot::Ranked { ranking: vec![vec![2], vec![2]] }).is_err());
        assert!(validate(&ranked, 3, &Ballot::Single { option: 0 }).is_err(), "wrong kind");
        assert!(validate(&VotingMethod::Score, 2, &Ballot::Score { scores: vec![Some(6), None] }).is_err());
    }

    #[test]
    fn ranked_proposals_use_the_ranked_core() {
        let method = VotingMethod::Ranked { rule: RankedRule::Schulze };
        let a = Ballot::Ranked { ranking: vec![vec![0], vec![1], vec![2]] };
        let b = Ballot::Ranked { ranking: vec![vec![1], vec![2], vec![0]] };
        let t = tally(&method, 3, &counted(&[(3.0, a), (2.0, b)]), 5.0, 0.0);
        assert_eq!(t.winners, [0]);
        assert!(t.passed);
    }
}
