//! The dual tally: one proposal counted with equal weights and with merit weights, after
//! resolving delegations, so everyone sees when merit and headcount disagree. The server counts
//! with this at close and `commune verify` recounts with it from stored data.

use super::delegation::{self, Delegations};
use super::methods::{self, Ballot, Counted, Electorate, Tally, VotingMethod};

use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Everything a count needs, as stored.
#[derive(Debug, Clone)]
pub struct CountInput<'a> {
    pub method: &'a VotingMethod,
    pub options: usize,
    /// Participation needed, in parts per million of the eligible weight.
    pub quorum_ppm: u64,
    /// People whose weight must be cast toward the quorum (see [`min_voters`]).
    pub min_voters: usize,
    /// A member whose own ballot does not count toward the quorum: the author of a proposal that
    /// benefits them.
    pub beneficiary: Option<&'a str>,
    pub domain: &'a str,
    /// `(member, equal weight, merit weight)` in micro-votes for every eligible member.
    pub weights: &'a [(String, u64, u64)],
    /// `(voter, ballot)`; voters outside `weights` are ignored (not eligible).
    pub ballots: &'a [(String, Ballot)],
    pub delegations: &'a Delegations,
}

/// Direct voters a tally needs: the floor `at_least`, but never more than the members who may
/// count toward it (the eligible, less a beneficiary author), and never fewer than one.
pub fn min_voters(at_least: usize, eligible: usize, beneficiary_eligible: bool) -> usize {
    at_least.min(eligible.saturating_sub(usize::from(beneficiary_eligible))).max(1)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeTally {
    pub tally: Tally,
    /// Micro-votes each direct voter received from delegators (empty on a secret proposal).
    pub received: Vec<(String, u64)>,
    /// Eligible members whose delegation chain cycled or ended at a non-voter (empty on a
    /// secret proposal).
    pub lost: Vec<String>,
    /// Micro-votes that reached a voter through delegation, and that were lost on the way.
    pub delegated_weight: u64,
    pub lost_weight: u64,
}

impl ModeTally {
    /// The tally without anything that ties a member to a choice: who received delegated
    /// weight (they voted) and whose delegation was lost (their delegate did not).
    pub fn anonymised(mut self) -> ModeTally {
        self.received.clear();
        self.lost.clear();
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DualTally {
    pub equal: ModeTally,
    pub merit: ModeTally,
    /// Whether the two modes name different winners or disagree on passing.
    pub differ: bool,
}

pub fn dual_tally(input: &CountInput<'_>) -> DualTally {
    let equal = count_mode(input, |(_, e, _)| *e);
    let merit = count_mode(input, |(_, _, m)| *m);
    let differ = equal.tally.winners != merit.tally.winners || equal.tally.passed != merit.tally.passed;
    DualTally { equal, merit, differ }
}

fn count_mode(input: &CountInput<'_>, pick: impl Fn(&(String, u64, u64)) -> u64) -> ModeTally {
    let weights: HashMap<String, u64> = input.weights.iter().map(|w| (w.0.clone(), pick(w))).collect();
    let by_voter: HashMap<&str, &Ballot> =
        input.ballots.iter().filter(|(v, _)| weights.contains_key(v)).map(|(v, b)| (v.as_str(), b)).collect();
    let voted = |m: &str| by_voter.contains_key(m);
    let resolution = delegation::resolve(&weights, &voted, input.delegations, input.domain);
    // Integer weights make every sum independent of order; the order by voter id keeps the
    // ranked profile (and so its displayed rounds) the same on every recount.
    let mut voters: Vec<&str> = by_voter.keys().copied().collect();
    voters.sort_unstable();
    let mut delegators: HashMap<&str, usize> = HashMap::new();
    for route in resolution.routes.values() {
        if let delegation::Route::Delegated(chain) = route
            && let Some(voter) = chain.last()
        {
            *delegators.entry(voter.as_str()).or_default() += 1;
        }
    }
    let counted: Vec<Counted<'_>> = voters
        .iter()
        .map(|v| Counted {
            weight: resolution.effective.get(*v).copied().unwrap_or(0),
            ballot: by_voter[v],
            for_quorum: input.beneficiary != Some(*v),
            people: 1 + delegators.get(v).copied().unwrap_or(0),
        })
        .collect();
    let eligible: u64 = weights.values().sum();
    let electorate =
        Electorate { eligible_weight: eligible, quorum_ppm: input.quorum_ppm, min_voters: input.min_voters };
    let tally = methods::tally(input.method, input.options, &counted, electorate);
    let mut received: Vec<(String, u64)> = resolution.received.into_iter().collect();
    received.sort();
    let mut lost: Vec<String> = resolution
        .routes
        .into_iter()
        .filter(|(_, r)| matches!(r, delegation::Route::Lost(_)))
        .map(|(m, _)| m)
        .collect();
    lost.sort();
    let delegated_weight = received.iter().map(|(_, w)| w).sum();
    let lost_weight = lost.iter().map(|m| weights[m]).sum();
    assert_eq!(
        tally.cast_weight,
        counted.iter().map(|c| c.weight).sum::<u64>(),
        "the tally counts exactly the weight the ballots carry"
    );
    ModeTally { tally, received, lost, delegated_weight, lost_weight }
}

/// The receipt of a ballot: a hash the voter keeps and can find among a proposal's receipts.
/// It commits to the proposal, the voter, the exact ballot and a secret nonce.
pub fn ballot_receipt(proposal_id: &str, voter_id: &str, ballot_json: &str, nonce: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"commune-ballot-v1");
    for part in [proposal_id, voter_id, ballot_json, nonce] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::methods::Stance;
    use crate::governance::weight;

    #[test]
    fn merit_and_headcount_can_disagree_and_delegation_moves_weight() {
        let method = VotingMethod::YesNo { threshold: 0.5 };
        let unit = weight::UNIT;
        let weights =
            vec![("a".to_owned(), unit, 1_800_000), ("b".to_owned(), unit, 600_000), ("c".to_owned(), unit, 600_000)];
        let yes = Ballot::YesNo { stance: Stance::Yes };
        let no = Ballot::YesNo { stance: Stance::No };
        let ballots = vec![("a".to_owned(), yes), ("b".to_owned(), no)];
        let mut delegations = Delegations::default();
        delegations.add("c", None, "b");
        let input = CountInput {
            method: &method,
            options: 0,
            quorum_ppm: 500_000,
            min_voters: 1,
            beneficiary: None,
            domain: "general",
            weights: &weights,
            ballots: &ballots,
            delegations: &delegations,
        };
        let dual = dual_tally(&input);
        // Equal: a 1 yes, b 1 + c 1 no → fails. Merit: a 1.8 yes vs b 0.6 + c 0.6 no → passes.
        assert!(!dual.equal.tally.passed);
        assert!(dual.merit.tally.passed);
        assert!(dual.differ);
        assert_eq!(dual.equal.received, [("b".to_owned(), unit)]);
        assert_eq!(dual.equal.tally.participation, 1.0);
        assert_eq!((dual.equal.delegated_weight, dual.equal.lost_weight), (unit, 0));
        let secret = dual.merit.clone().anonymised();
        assert!(secret.received.is_empty() && secret.lost.is_empty());
        assert_eq!(secret.tally, dual.merit.tally, "the aggregate stays");
    }

    #[test]
    fn receipts_commit_to_every_part() {
        let r = ballot_receipt("p", "v", "{}", "n");
        assert_eq!(r.len(), 64);
        assert_ne!(r, ballot_receipt("p", "v", "{ }", "n"));
        assert_ne!(r, ballot_receipt("p", "w", "{}", "n"));
        assert_ne!(ballot_receipt("pv", "", "{}", "n"), ballot_receipt("p", "v", "{}", "n"), "length-prefixed");
    }
}
