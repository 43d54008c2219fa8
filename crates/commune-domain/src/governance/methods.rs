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
use super::weight;

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
            VotingMethod::Ranked { rule: RankedRule::RankedPairs } if options > ranked::MAX_RANKED_PAIRS_SEARCH => {
                Err(format!(
                    "ranked pairs counts at most {} options; choose Schulze for more",
                    ranked::MAX_RANKED_PAIRS_SEARCH
                ))
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
            } else if ranking.iter().any(|tier| tier.len() > ranked::MAX_SPLIT_TIE) {
                bad(format!("at most {} options may share one rank", ranked::MAX_SPLIT_TIE))
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

/// A counted ballot: its weight in micro-votes (own plus delegated) and the ballot.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted<'a> {
    pub weight: u64,
    pub ballot: &'a Ballot,
    /// Whether this ballot counts toward the quorum (not when it is the author's own ballot on
    /// a proposal that benefits its author).
    pub for_quorum: bool,
    /// The people whose weight it carries: its voter and everyone who delegated to them.
    pub people: usize,
}

/// Who could have voted, and what participation the tally needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Electorate {
    /// Micro-votes of every eligible member.
    pub eligible_weight: u64,
    /// Participation needed, in parts per million of the eligible weight.
    pub quorum_ppm: u64,
    /// People whose weight was cast (direct voters and the members who delegated to them),
    /// counted toward the quorum, needed however quiet the rest are.
    pub min_voters: usize,
}

/// The outcome of one tally under one set of weights. Every decision in it (winners, passed,
/// quorum) is made in exact integer arithmetic; the `f64` fields are the same numbers in votes
/// and shares, for people and charts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// Winning options (indices), empty for yes/no and consent or below quorum.
    pub winners: Vec<usize>,
    /// Per option, in votes (weighted points for score, quadratic and points ballots); for
    /// yes/no `[yes, no, abstain]`, for consent `[consent, object]`.
    pub scores: Vec<f64>,
    /// Whether the proposal passes: yes/no and consent by their rules; other methods when
    /// quorum is met and there is a winner.
    pub passed: bool,
    pub quorum_met: bool,
    /// Weight cast / eligible weight.
    pub participation: f64,
    /// Yes/no only: yes / (yes + no).
    pub support: Option<f64>,
    /// Micro-votes cast (own and delegated) and eligible.
    pub cast_weight: u64,
    pub eligible_weight: u64,
    /// Direct voters; the micro-votes and the people (voters and their delegators) that counted
    /// toward the quorum.
    pub voters: usize,
    pub quorum_weight: u64,
    pub quorum_voters: usize,
    /// Instant runoff only: each round's tallies in votes (`None` once eliminated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<Vec<Option<f64>>>,
    /// Pairwise ranked methods only: `margins[a][b]` in votes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub margins: Vec<Vec<f64>>,
}

/// Tallies `ballots` (already validated) for a proposal with `options` options.
pub fn tally(method: &VotingMethod, options: usize, ballots: &[Counted<'_>], electorate: Electorate) -> Tally {
    let cast_weight: u64 = ballots.iter().map(|b| b.weight).sum();
    assert!(
        cast_weight <= electorate.eligible_weight,
        "cast {cast_weight} exceeds eligible {}",
        electorate.eligible_weight
    );
    let quorum_weight: u64 = ballots.iter().filter(|b| b.for_quorum).map(|b| b.weight).sum();
    let quorum_voters = ballots.iter().filter(|b| b.for_quorum).map(|b| b.people).sum();
    let quorum_met = weight::reaches(quorum_weight, electorate.eligible_weight, electorate.quorum_ppm)
        && quorum_voters >= electorate.min_voters
        && !ballots.is_empty();
    let participation =
        if electorate.eligible_weight > 0 { cast_weight as f64 / electorate.eligible_weight as f64 } else { 0.0 };
    let mut t = Tally {
        winners: Vec::new(),
        scores: Vec::new(),
        passed: false,
        quorum_met,
        participation,
        support: None,
        cast_weight,
        eligible_weight: electorate.eligible_weight,
        voters: ballots.len(),
        quorum_weight,
        quorum_voters,
        rounds: Vec::new(),
        margins: Vec::new(),
    };
    match method {
        VotingMethod::YesNo { threshold } => {
            let mut s = [0u64; 3];
            for b in ballots {
                let Ballot::YesNo { stance } = b.ballot else { unreachable!("validated: a yes/no ballot") };
                s[*stance as usize] += b.weight;
            }
            assert_eq!(s.iter().sum::<u64>(), cast_weight, "every weight cast counts once");
            let decided = s[0] + s[1];
            t.support = Some(if decided > 0 { s[0] as f64 / decided as f64 } else { 0.0 });
            t.passed = quorum_met && weight::exceeds(s[0], decided, weight::ppm(*threshold));
            t.scores = s.iter().map(|&x| weight::votes(x)).collect();
        }
        VotingMethod::Consent { objection_limit } => {
            let mut s = [0u64; 2];
            for b in ballots {
                let Ballot::Consent { object } = b.ballot else { unreachable!("validated: a consent ballot") };
                s[usize::from(*object)] += b.weight;
            }
            assert_eq!(s.iter().sum::<u64>(), cast_weight, "every weight cast counts once");
            let blocked = weight::reaches(s[1], electorate.eligible_weight, weight::ppm(*objection_limit));
            t.passed = quorum_met && !blocked;
            t.scores = s.iter().map(|&x| weight::votes(x)).collect();
        }
        VotingMethod::Ranked { rule } => {
            let mut profile = Profile::new((1..=options as i64).collect());
            for b in ballots {
                let Ballot::Ranked { ranking } = b.ballot else { unreachable!("validated: a ranked ballot") };
                let tiers: Vec<Vec<i64>> = ranking.iter().map(|t| t.iter().map(|&o| o as i64 + 1).collect()).collect();
                let pushed = profile.push(b.weight, &tiers);
                assert!(pushed.is_ok(), "a validated ranked ballot fits its profile: {pushed:?}");
            }
            match ranked::tally(rule.method(), &profile) {
                Ok(outcome) => {
                    t.winners = if quorum_met { outcome.winners } else { Vec::new() };
                    t.scores = outcome.scores;
                    t.rounds = outcome.rounds;
                    t.margins = outcome.margins;
                }
                // Validation keeps proposals inside the ranked core's bounds; a tally it still
                // cannot count has no winner rather than a wrong one.
                Err(_) => t.scores = vec![0.0; options],
            }
            t.passed = !t.winners.is_empty();
        }
        _ => {
            let mut s = vec![0u128; options];
            for b in ballots {
                add_scores(&mut s, b);
            }
            if matches!(method, VotingMethod::SingleChoice) {
                assert_eq!(s.iter().sum::<u128>(), u128::from(cast_weight), "every weight cast counts once");
            }
            if quorum_met && cast_weight > 0 {
                t.winners = top(&s);
            }
            t.passed = !t.winners.is_empty();
            t.scores = s.iter().map(|&x| x as f64 / weight::UNIT as f64).collect();
        }
    }
    t
}

fn add_scores(s: &mut [u128], b: &Counted<'_>) {
    let w = u128::from(b.weight);
    match b.ballot {
        Ballot::Single { option } => s[*option] += w,
        Ballot::Approval { options } => options.iter().for_each(|&o| s[o] += w),
        Ballot::Score { scores } => scores.iter().enumerate().for_each(|(o, v)| s[o] += w * u128::from(v.unwrap_or(0))),
        Ballot::Quadratic { votes } => votes.iter().enumerate().for_each(|(o, &v)| s[o] += w * u128::from(v)),
        Ballot::Points { points } => points.iter().enumerate().for_each(|(o, &p)| s[o] += w * u128::from(p)),
        Ballot::YesNo { .. } | Ballot::Consent { .. } | Ballot::Ranked { .. } => {
            unreachable!("validated: an option ballot")
        }
    }
}

/// Options with the highest score (all of them when tied).
fn top(scores: &[u128]) -> Vec<usize> {
    let Some(&best) = scores.iter().max() else { return Vec::new() };
    (0..scores.len()).filter(|&i| scores[i] == best).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tallies ballots given with weights in votes, against an electorate of `eligible` votes.
    fn tally(method: &VotingMethod, options: usize, ballots: &[(f64, Ballot)], eligible: f64, quorum: f64) -> Tally {
        let units = |v: f64| (v * weight::UNIT as f64).round() as u64;
        let counted: Vec<Counted<'_>> = ballots
            .iter()
            .map(|(w, b)| Counted { weight: units(*w), ballot: b, for_quorum: true, people: 1 })
            .collect();
        let electorate =
            Electorate { eligible_weight: units(eligible), quorum_ppm: weight::ppm(quorum), min_voters: 0 };
        super::tally(method, options, &counted, electorate)
    }

    #[test]
    fn yes_no_support_is_strictly_greater_and_quorum_at_least() {
        let yes = Ballot::YesNo { stance: Stance::Yes };
        let no = Ballot::YesNo { stance: Stance::No };
        let abstain = Ballot::YesNo { stance: Stance::Abstain };
        let method = VotingMethod::YesNo { threshold: 0.5 };
        // Exactly 50% support does not pass.
        let t = tally(&method, 0, &[(1.0, yes.clone()), (1.0, no.clone())], 4.0, 0.5);
        assert_eq!((t.support, t.quorum_met, t.passed), (Some(0.5), true, false));
        // Abstentions count for quorum, not for support: participation 3/6 = 0.5 ≥ 0.5.
        let t = tally(&method, 0, &[(2.0, yes.clone()), (1.0, abstain.clone())], 6.0, 0.5);
        assert_eq!((t.support, t.participation, t.passed), (Some(1.0), 0.5, true));
        // Below quorum fails whatever the support.
        let t = tally(&method, 0, &[(2.0, yes)], 6.0, 0.5);
        assert!(!t.passed && !t.quorum_met);
        assert_eq!(tally(&method, 0, &[(1.0, abstain)], 1.0, 0.0).support, Some(0.0));
    }

    #[test]
    fn consent_fails_when_objections_reach_the_limit() {
        let method = VotingMethod::Consent { objection_limit: 0.25 };
        let object = Ballot::Consent { object: true };
        let consent = Ballot::Consent { object: false };
        assert!(tally(&method, 0, &[(1.0, object.clone()), (2.0, consent.clone())], 5.0, 0.0).passed, "1 < 1.25");
        assert!(!tally(&method, 0, &[(1.25, object), (2.0, consent)], 5.0, 0.0).passed, "1.25 reaches 1.25");
    }

    #[test]
    fn weighted_option_methods_and_ties() {
        let t = tally(
            &VotingMethod::SingleChoice,
            3,
            &[(2.0, Ballot::Single { option: 0 }), (2.0, Ballot::Single { option: 2 })],
            4.0,
            0.0,
        );
        assert_eq!((t.winners, t.scores), (vec![0, 2], vec![2.0, 0.0, 2.0]));
        let t = tally(
            &VotingMethod::Approval,
            3,
            &[(0.5, Ballot::Approval { options: vec![0, 1] }), (1.0, Ballot::Approval { options: vec![1] })],
            1.5,
            0.0,
        );
        assert_eq!(t.winners, [1]);
        let t = tally(
            &VotingMethod::Score,
            2,
            &[
                (1.0, Ballot::Score { scores: vec![Some(5), None] }),
                (3.0, Ballot::Score { scores: vec![Some(1), Some(2)] }),
            ],
            4.0,
            0.0,
        );
        assert_eq!(t.scores, [8.0, 6.0]);
        let t = tally(
            &VotingMethod::Quadratic { credits: 9 },
            2,
            &[(1.0, Ballot::Quadratic { votes: vec![3, 0] }), (1.0, Ballot::Quadratic { votes: vec![2, 2] })],
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
    fn a_knife_edge_does_not_depend_on_the_order_of_addition() {
        // 0.1 + 0.2 yes against 0.3 no: in floating point 0.1 + 0.2 > 0.3, in micro-votes it is
        // exactly half, and exactly half does not pass.
        let yes = Ballot::YesNo { stance: Stance::Yes };
        let no = Ballot::YesNo { stance: Stance::No };
        let method = VotingMethod::YesNo { threshold: 0.5 };
        let ballots = [(0.1, yes.clone()), (0.2, yes), (0.3, no)];
        let t = tally(&method, 0, &ballots, 1.0, 0.0);
        assert_eq!((t.support, t.passed), (Some(0.5), false));
        let mut reversed = ballots.to_vec();
        reversed.reverse();
        assert_eq!(tally(&method, 0, &reversed, 1.0, 0.0), t, "bit for bit in any order");
    }

    #[test]
    fn quorum_counts_voters_and_leaves_out_the_beneficiary() {
        let yes = Ballot::YesNo { stance: Stance::Yes };
        let method = VotingMethod::YesNo { threshold: 0.5 };
        let counted = |for_quorum: bool| Counted { weight: weight::UNIT, ballot: &yes, for_quorum, people: 1 };
        let electorate = Electorate { eligible_weight: 10 * weight::UNIT, quorum_ppm: 0, min_voters: 2 };
        // One voter alone never meets the quorum, however low it is set.
        assert!(!super::tally(&method, 0, &[counted(true)], electorate).passed);
        // The author's own ballot on a proposal that benefits them does not count toward it.
        let t = super::tally(&method, 0, &[counted(false), counted(true)], electorate);
        assert_eq!((t.quorum_voters, t.quorum_met, t.voters), (1, false, 2));
        assert!(super::tally(&method, 0, &[counted(true), counted(true)], electorate).passed);
    }

    proptest::proptest! {
        /// Any order of the same ballots gives the same tally, bit for bit.
        #[test]
        fn tallies_ignore_ballot_order(
            weights in proptest::collection::vec(1u64..5_000_000, 1..30),
            picks in proptest::collection::vec(0usize..4, 30),
            rotate in 0usize..30,
        ) {
            let ballots: Vec<Ballot> = picks.iter().map(|&p| Ballot::Ranked { ranking: vec![vec![p], vec![(p + 1) % 4]] }).collect();
            let counted: Vec<Counted<'_>> =
                weights.iter().zip(&ballots).map(|(&w, b)| Counted { weight: w, ballot: b, for_quorum: true, people: 1 }).collect();
            let eligible = counted.iter().map(|c| c.weight).sum();
            let electorate = Electorate { eligible_weight: eligible, quorum_ppm: 0, min_voters: 1 };
            for rule in [RankedRule::Schulze, RankedRule::Irv, RankedRule::Borda, RankedRule::Plurality] {
                let method = VotingMethod::Ranked { rule };
                let mut turned = counted.clone();
                turned.rotate_left(rotate % counted.len());
                proptest::prop_assert_eq!(super::tally(&method, 4, &counted, electorate), super::tally(&method, 4, &turned, electorate));
            }
        }
    }

    #[test]
    fn ranked_proposals_use_the_ranked_core() {
        let method = VotingMethod::Ranked { rule: RankedRule::Schulze };
        let a = Ballot::Ranked { ranking: vec![vec![0], vec![1], vec![2]] };
        let b = Ballot::Ranked { ranking: vec![vec![1], vec![2], vec![0]] };
        let t = tally(&method, 3, &[(3.0, a), (2.0, b)], 5.0, 0.0);
        assert_eq!(t.winners, [0]);
        assert!(t.passed);
    }
}
