//! The dual tally: one proposal counted with equal weights and with merit weights, after
//! resolving delegations, so everyone sees when merit and headcount disagree. The server counts
//! with this at close and `commune verify` recounts with it from stored data.

use super::delegation::{self, Delegations};
use super::methods::{self, Ballot, Counted, Tally, VotingMethod};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Everything a count needs, as stored.
#[derive(Debug, Clone)]
pub struct CountInput<'a> {
    pub method: &'a VotingMethod,
    pub options: usize,
    pub quorum: f64,
    pub domain: &'a str,
    /// `(member, equal weight, merit weight)` for every eligible member.
    pub weights: &'a [(String, f64, f64)],
    /// `(voter, ballot)`; voters outside `weights` are ignored (not eligible).
    pub ballots: &'a [(String, Ballot)],
    pub delegations: &'a Delegations,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeTally {
    pub tally: Tally,
    /// Weight each direct voter received from delegators.
    pub received: Vec<(String, f64)>,
    /// Eligible members whose delegation chain cycled or ended at a non-voter.
    pub lost: Vec<String>,
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

fn count_mode(input: &CountInput<'_>, pick: impl Fn(&(String, f64, f64)) -> f64) -> ModeTally {
    let weights: HashMap<String, f64> = input.weights.iter().map(|w| (w.0.clone(), pick(w))).collect();
    let by_voter: HashMap<&str, &Ballot> =
        input.ballots.iter().filter(|(v, _)| weights.contains_key(v)).map(|(v, b)| (v.as_str(), b)).collect();
    let voted = |m: &str| by_voter.contains_key(m);
    let resolution = delegation::resolve(&weights, &voted, input.delegations, input.domain);
    // A deterministic order (by voter id) keeps floating-point sums reproducible on recount.
    let mut voters: Vec<&str> = by_voter.keys().copied().collect();
    voters.sort_unstable();
    let counted: Vec<Counted<'_>> = voters
        .iter()
        .map(|v| Counted { weight: resolution.effective.get(*v).copied().unwrap_or(0.0), ballot: by_voter[v] })
        .collect();
    let eligible: f64 = {
        let mut all: Vec<(&String, &f64)> = weights.iter().collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all.iter().map(|(_, w)| **w).sum()
    };
    let tally = methods::tally(input.method, input.options, &counted, eligible, input.quorum);
    let mut received: Vec<(String, f64)> = resolution.received.into_iter().collect();
    received.sort_by(|a, b| a.0.cmp(&b.0));
    let mut lost: Vec<String> = resolution
        .routes
        .into_iter()
        .filter(|(_, r)| matches!(r, delegation::Route::Lost(_)))
        .map(|(m, _)| m)
        .collect();
    lost.sort();
    ModeTally { tally, received, lost }
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

    #[test]
    fn merit_and_headcount_can_disagree_and_delegation_moves_weight() {
        let method = VotingMethod::YesNo { threshold: 0.5 };
        let weights = vec![("a".to_owned(), 1.0, 0.6), ("b".to_owned(), 1.0, 0.2), ("c".to_owned(), 1.0, 0.2)];
        let yes = Ballot::YesNo { stance: Stance::Yes };
        let no = Ballot::YesNo { stance: Stance::No };
        let ballots = vec![("a".to_owned(), yes), ("b".to_owned(), no)];
        let mut delegations = Delegations::default();
        delegations.add("c", None, "b");
        let input = CountInput {
            method: &method,
            options: 0,
            quorum: 0.5,
            domain: "general",
            weights: &weights,
            ballots: &ballots,
            delegations: &delegations,
        };
        let dual = dual_tally(&input);
        // Equal: a 1 yes, b 1 + c 1 no → fails. Merit: a 0.6 yes vs b 0.2 + c 0.2 no → passes.
        assert!(!dual.equal.tally.passed);
        assert!(dual.merit.tally.passed);
        assert!(dual.differ);
        assert_eq!(dual.equal.received, [("b".to_owned(), 1.0)]);
        assert_eq!(dual.equal.tally.participation, 1.0);
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
