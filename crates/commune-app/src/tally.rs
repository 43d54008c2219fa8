//! Counting a proposal from what is stored: the one function that closes a vote and that
//! verifies it later, the floors it is held to, and the delegation graph it is counted over.
//! Counting is pure over its arguments (no store, no clock); [`verify_tally`] reads what it
//! recounts. The rules themselves are the domain's.

use crate::error::AppError;
use commune_domain::governance::count::{CountInput, dual_tally, min_voters};
use commune_domain::governance::delegation::{self, Delegations};
use commune_domain::governance::floors::{self, Floors};
use commune_domain::governance::methods::Ballot;
use commune_domain::governance::proposal::{Weighting, policy_default};
use commune_domain::governance::weight;
use commune_store::{Proposal, Store};
use std::collections::HashMap;

/// The floors a published proposal meets: those recorded at publication (or, for one published
/// before floors were recorded, the default ones of its kind).
pub fn floors_of(proposal: &Proposal) -> Floors {
    proposal.floors.unwrap_or_else(|| floors::of(proposal.kind, &proposal.effect, policy_default))
}

/// The proposal's own parameters, measured as it was published.
pub fn parameters(proposal: &Proposal) -> floors::Parameters<'_> {
    floors::Parameters {
        discussion_ms: proposal.voting_opens_at - proposal.published_at.unwrap_or(proposal.voting_opens_at),
        voting_ms: proposal.voting_closes_at - proposal.voting_opens_at,
        quorum: proposal.quorum,
        method: &proposal.method,
    }
}

/// Delegation edges as counted: `(delegator, domain or "", delegate)`.
pub type Edge = (String, String, String);

pub fn edges_of(delegations: &[commune_store::Delegation]) -> Vec<Edge> {
    delegations.iter().map(|d| (d.delegator_id.clone(), d.domain.clone(), d.delegate_id.clone())).collect()
}

fn graph(edges: &[Edge]) -> Delegations {
    let mut graph = Delegations::default();
    for (delegator, domain, delegate) in edges {
        graph.add(delegator, (!domain.is_empty()).then_some(domain.as_str()), delegate);
    }
    graph
}

/// The live delegations of an organisation as a graph.
pub fn graph_of(delegations: &[commune_store::Delegation]) -> Delegations {
    graph(&edges_of(delegations))
}

/// Recounts a tallied proposal from its stored ballots, weights and delegations and compares
/// with the stored tally; `Err` names what differs. Also rechecks every ballot's receipt.
pub async fn verify_tally(store: &Store, proposal_id: &str) -> Result<Result<(), String>, AppError> {
    let proposal = store.proposal(proposal_id).await?.ok_or(AppError::NotFound("proposal"))?;
    let Some(stored) = store.tally(proposal_id).await? else { return Ok(Err("no stored tally".into())) };
    let weights = store.weights(proposal_id).await?;
    let rows = store.ballots(proposal_id).await?;
    for row in &rows {
        let expected =
            commune_domain::governance::count::ballot_receipt(proposal_id, &row.voter_id, &row.ballot, &row.nonce);
        if expected != row.receipt {
            let who = if proposal.secret { "a secret ballot" } else { row.voter_handle.as_str() };
            return Ok(Err(format!("the ballot of {who} does not match its receipt")));
        }
    }
    if let Err(why) = verify_remote_ballots(store, proposal_id, &rows).await? {
        return Ok(Err(why));
    }
    let ballots: Vec<(String, String)> = rows.into_iter().map(|b| (b.voter_id, b.ballot)).collect();
    let edges: Vec<Edge> = serde_json::from_str(&stored.delegations).map_err(AppError::internal)?;
    let parts = count(&proposal, &weights, &ballots, &edges)?;
    if parts.primary.as_str() != stored.primary_mode {
        return Ok(Err(format!("decided by {} weights, recount says {}", stored.primary_mode, parts.primary.as_str())));
    }
    if parts.equal != stored.equal_result {
        return Ok(Err("the equal-weight tally differs from a recount of the stored ballots".into()));
    }
    if parts.merit != stored.merit_result {
        return Ok(Err("the merit-weight tally differs from a recount of the stored ballots".into()));
    }
    if parts.differ != stored.modes_differ {
        return Ok(Err("whether merit and headcount disagree differs from a recount".into()));
    }
    Ok(Ok(()))
}

fn parse_ballots(ballots: &[(String, String)]) -> Result<Vec<(String, Ballot)>, AppError> {
    ballots
        .iter()
        .map(|(voter, json)| Ok((voter.clone(), serde_json::from_str(json).map_err(AppError::internal)?)))
        .collect()
}

/// Counts a proposal from stored data: the same function closes a vote and verifies it. A secret
/// proposal's tallies keep only aggregates (nobody's delegation route or received weight).
pub fn count(
    proposal: &Proposal,
    weights: &[(String, u64, u64)],
    ballots: &[(String, String)],
    edges: &[Edge],
) -> Result<TallyParts, AppError> {
    let parsed = parse_ballots(ballots)?;
    let graph = graph(edges);
    let floors = floors_of(proposal);
    let beneficiary = (!proposal.self_interest.is_empty()).then_some(proposal.author_id.as_str());
    let beneficiary_eligible = beneficiary.is_some_and(|b| weights.iter().any(|(m, _, _)| m == b));
    let dual = dual_tally(&CountInput {
        method: &proposal.method,
        options: proposal.options.len(),
        quorum_ppm: weight::ppm(proposal.quorum).max(floors.quorum_ppm),
        min_voters: min_voters(floors.min_voters, weights.len(), beneficiary_eligible),
        beneficiary,
        domain: &proposal.domain,
        weights,
        ballots: &parsed,
        delegations: &graph,
    });
    let (equal, merit) =
        if proposal.secret { (dual.equal.anonymised(), dual.merit.anonymised()) } else { (dual.equal, dual.merit) };
    let primary = proposal.deciding_mode();
    let decided = if primary == Weighting::Merit { &merit } else { &equal };
    Ok(TallyParts {
        primary,
        passed: decided.tally.passed,
        winners: decided.tally.winners.clone(),
        equal: serde_json::to_string(&equal).map_err(AppError::internal)?,
        merit: serde_json::to_string(&merit).map_err(AppError::internal)?,
        differ: dual.differ,
        delegations: serde_json::to_string(edges).map_err(AppError::internal)?,
    })
}

/// Each direct voter's weight in `mode` (own plus delegated), as counted.
pub fn effective_weights(
    proposal: &Proposal,
    weights: &[(String, u64, u64)],
    ballots: &[(String, String)],
    edges: &[Edge],
    mode: &str,
) -> Result<HashMap<String, u64>, AppError> {
    let merit = mode == Weighting::Merit.as_str();
    let own: HashMap<String, u64> = weights.iter().map(|(m, e, w)| (m.clone(), if merit { *w } else { *e })).collect();
    let voters: std::collections::HashSet<&str> = ballots.iter().map(|(v, _)| v.as_str()).collect();
    let voted = |m: &str| voters.contains(m);
    Ok(delegation::resolve(&own, &voted, &graph(edges), &proposal.domain).effective)
}

/// A computed tally, ready to store or to compare with a stored one.
pub struct TallyParts {
    pub primary: Weighting,
    pub equal: String,
    pub merit: String,
    pub differ: bool,
    pub delegations: String,
    pub passed: bool,
    pub winners: Vec<usize>,
}

/// Rechecks the home signature of every remote ballot a proposal counted, with the chapters'
/// keys as last fetched: the signed ballot and nonce must be the ones stored. `Err` names the
/// first that fails.
async fn verify_remote_ballots(
    store: &Store,
    proposal_id: &str,
    rows: &[commune_store::BallotRow],
) -> Result<Result<usize, String>, AppError> {
    let remote = store.remote_ballots(proposal_id).await?;
    if remote.is_empty() {
        return Ok(Ok(0));
    }
    let stored: HashMap<&str, &commune_store::BallotRow> = rows.iter().map(|b| (b.voter_id.as_str(), b)).collect();
    for (voter, chapter, signed) in &remote {
        let Some(actor) = store.remote_actor(chapter).await? else {
            return Ok(Err(format!("no key is known for the chapter {chapter}")));
        };
        let key =
            commune_domain::federation::httpsig::PublicKey::from_pem(&actor.public_pem).map_err(AppError::internal)?;
        let signed: serde_json::Value = serde_json::from_str(signed).map_err(AppError::internal)?;
        let Ok((_, payload)) = commune_domain::federation::activity::verify_document(&signed, &key) else {
            return Ok(Err(format!("a ballot from {chapter} does not verify with the chapter's key")));
        };
        let Some(row) = stored.get(voter.as_str()) else {
            return Ok(Err(format!("a ballot from {chapter} is signed but not counted")));
        };
        let counted: serde_json::Value = serde_json::from_str(&row.ballot).map_err(AppError::internal)?;
        if payload.get("ballot") != Some(&counted)
            || payload.get("nonce").and_then(serde_json::Value::as_str) != Some(row.nonce.as_str())
        {
            return Ok(Err(format!("a ballot from {chapter} differs from what its home instance signed")));
        }
    }
    Ok(Ok(remote.len()))
}
