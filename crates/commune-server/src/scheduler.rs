//! The scheduler: opens, closes and executes proposals on time, each step exactly once.
//!
//! Every step is a compare-and-set on the proposal's phase inside one audited transaction, so a
//! step taken twice (two servers, a restart, a retry) changes nothing the second time. Opening
//! checks the proposal against the constitutional floors again (those recorded at publication,
//! raised for money by what its source holds now) and fails it instead of opening when it falls
//! below them. Closing counts the ballots in the same transaction, so a closed proposal always
//! has its tally. A passed proposal is `executed` only once its effect has happened: rules and
//! memberships change in the transaction that marks it, and money moves through the ledger first
//! (with a transfer id derived from the proposal, so a retry moves nothing twice); a ledger
//! refusal marks it `failed` with the reason.
//!
//! [`WeightSource`] is the plug-in point for merit weights.

use crate::error::AppError;
use crate::state::AppState;
use commune_domain::governance::count::{CountInput, dual_tally, min_voters};
use commune_domain::governance::delegation::{self, Delegations};
use commune_domain::governance::floors::{self, Floors};
use commune_domain::governance::methods::Ballot;
use commune_domain::governance::proposal::{Effect, Phase, Weighting, policy_default};
use commune_domain::governance::weight::{self, UNIT};
use commune_domain::org::Role;
use commune_store::{Proposal, Store, TallyRow, WriteTx};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where merit-mode vote weights come from, snapshotted when voting opens.
pub trait WeightSource: Send + Sync {
    /// One merit share per member of `members` (shares sum to 1), in the proposal's `domain`.
    fn merit_weights<'a>(
        &'a self,
        store: &'a Store,
        org_id: &'a str,
        domain: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<f64>, AppError>>;
}

/// Everyone weighs the same (for tests and instances that want no merit mode).
pub struct EqualWeights;

impl WeightSource for EqualWeights {
    fn merit_weights<'a>(
        &'a self,
        _: &'a Store,
        _: &'a str,
        _: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<f64>, AppError>> {
        Box::pin(async move { Ok(vec![1.0; members.len()]) })
    }
}

/// Proposals handled per tick; the rest wait for the next one.
const BATCH: i64 = 100;

/// Takes every step due at `now_ms`; returns how many it took.
pub async fn tick(state: &AppState, now_ms: i64) -> Result<usize, AppError> {
    let mut taken = 0;
    for (id, phase) in state.store.due_proposals(now_ms, BATCH).await? {
        let done = match phase {
            Phase::Discussion => open_voting(state, &id, now_ms).await?,
            Phase::Voting => close_and_count(state, &id, now_ms).await?,
            Phase::Closed => finish(state, &id, now_ms).await?,
            _ => false,
        };
        taken += usize::from(done);
    }
    // Holds whose timeout has passed (each exactly once).
    taken += state.store.ledger_expire(now_ms, BATCH).await?.len();
    Ok(taken)
}

/// Runs [`tick`] every second until the process stops.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seconds: u64 = 0;
        loop {
            interval.tick().await;
            // Each tick runs as its own task: a broken invariant (an assertion) stops that
            // tick, is logged, and the next second tries again, instead of ending the scheduler.
            let ticking = state.clone();
            match tokio::spawn(async move { tick(&ticking, commune_store::now_ms()).await }).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    e.log();
                    tracing::warn!(error = %e, "scheduler tick failed; retrying next second");
                }
                Err(panic) => {
                    tracing::error!(error = %panic, "scheduler tick broke an invariant; retrying next second")
                }
            }
            // Believability is refitted every minute, off the request path.
            if seconds.is_multiple_of(60)
                && let Err(e) = crate::merit::recompute(&state, commune_store::now_ms()).await
            {
                e.log();
            }
            seconds += 1;
        }
    })
}

async fn load(state: &AppState, id: &str) -> Result<Proposal, AppError> {
    state.store.proposal(id).await?.ok_or(AppError::NotFound("proposal"))
}

/// The floors a published proposal meets: those recorded at publication (or, for one published
/// before floors were recorded, the default ones of its kind).
pub fn floors_of(proposal: &Proposal) -> Floors {
    proposal.floors.unwrap_or_else(|| floors::of(proposal.kind, &proposal.effect, policy_default))
}

/// The proposal's own parameters, measured as it was published.
fn parameters(proposal: &Proposal) -> floors::Parameters<'_> {
    floors::Parameters {
        discussion_ms: proposal.voting_opens_at - proposal.published_at.unwrap_or(proposal.voting_opens_at),
        voting_ms: proposal.voting_closes_at - proposal.voting_opens_at,
        quorum: proposal.quorum,
        method: &proposal.method,
    }
}

/// Why a proposal may not go on: below the floors recorded at its publication, raised for money
/// by what its source holds now.
async fn below_floors(state: &AppState, proposal: &Proposal) -> Result<Option<String>, AppError> {
    let mut floors = floors_of(proposal);
    if let Some(org) = state.store.org_by_id(&proposal.org_id).await? {
        floors = floors.max(crate::governance::floors_now(state, &org, proposal.kind, &proposal.effect).await?);
    }
    Ok(floors::check(&parameters(proposal), &floors, proposal.kind).err().map(|v| {
        let problems: Vec<String> = v.0.iter().map(|i| i.message.clone()).collect();
        format!("below the constitutional floors: {}", problems.join("; "))
    }))
}

/// Opens voting and snapshots who may vote with what weight, both modes for everyone; or, when
/// the proposal no longer meets its floors, fails it with the reason.
async fn open_voting(state: &AppState, id: &str, now: i64) -> Result<bool, AppError> {
    let proposal = load(state, id).await?;
    if let Some(why) = below_floors(state, &proposal).await? {
        let mut tx = state.store.write_at("scheduler", now).await?;
        return Ok(tx.advance(id, Phase::Discussion, Phase::Failed, &format!("did not open: {why}")).await?
            && commit(tx).await?);
    }
    let mut tx = state.store.write_at("scheduler", now).await?;
    if !tx.advance(id, Phase::Discussion, Phase::Voting, "").await? {
        return Ok(false);
    }
    let members = tx.member_ids(&proposal.org_id).await?;
    let shares = state.weights.merit_weights(&state.store, &proposal.org_id, &proposal.domain, &members).await?;
    let total = UNIT * members.len() as u64;
    let merit = weight::apportion(&shares, total);
    let snapshot: Vec<(String, u64, u64)> = members.into_iter().zip(merit).map(|(m, w)| (m, UNIT, w)).collect();
    assert_eq!(snapshot.iter().map(|s| s.2).sum::<u64>(), total, "merit and equal weights share one total");
    tx.snapshot_weights(id, &snapshot).await?;
    tx.commit().await?;
    Ok(true)
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

/// Closes voting and counts, in one transaction.
async fn close_and_count(state: &AppState, id: &str, now: i64) -> Result<bool, AppError> {
    let proposal = load(state, id).await?;
    let mut tx = state.store.write_at("scheduler", now).await?;
    if !tx.advance(id, Phase::Voting, Phase::Closed, "").await? {
        return Ok(false);
    }
    let weights = tx.weights(id).await?;
    let ballots: Vec<(String, String)> = tx.ballots(id).await?.into_iter().map(|b| (b.voter_id, b.ballot)).collect();
    let edges = edges_of(&tx.live_delegations(&proposal.org_id).await?);
    let parts = count(&proposal, &weights, &ballots, &edges)?;
    tx.save_tally(&TallyRow {
        proposal_id: id.to_owned(),
        primary_mode: parts.primary.as_str().to_owned(),
        equal_result: parts.equal,
        merit_result: parts.merit,
        modes_differ: parts.differ,
        delegations: parts.delegations,
        computed_at: tx.at_ms(),
    })
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Marks a counted proposal executed (its effect applied) or failed (with the reason).
async fn finish(state: &AppState, id: &str, now: i64) -> Result<bool, AppError> {
    let proposal = load(state, id).await?;
    let tally = state
        .store
        .tally(id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("closed proposal {id} has no tally")))?;
    let primary: commune_domain::governance::count::ModeTally =
        serde_json::from_str(if tally.primary_mode == "merit" { &tally.merit_result } else { &tally.equal_result })
            .map_err(AppError::internal)?;
    let mut why_not = None;
    if !primary.tally.passed {
        why_not =
            Some(if primary.tally.quorum_met { "did not pass".to_owned() } else { "quorum not reached".to_owned() });
    } else if let Err(below) = floors::check(&parameters(&proposal), &floors_of(&proposal), proposal.kind) {
        let problems: Vec<String> = below.0.iter().map(|i| i.message.clone()).collect();
        why_not = Some(format!("below the constitutional floors: {}", problems.join("; ")));
    }
    // Money moves first, outside the proposal's transaction (the ledger commits its own
    // batches); its id is derived from the proposal, so doing this again after a crash is a
    // replay, and the proposal is marked only once the money has moved or been refused.
    let mut note = None;
    if why_not.is_none() && matches!(proposal.effect, Effect::Allocate { .. } | Effect::Budget { .. }) {
        match crate::payments::execute_effect(state, &proposal).await? {
            Ok(moved) => note = Some(moved),
            Err(refused) => why_not = Some(format!("the money could not move: {refused}")),
        }
    }
    let mut tx = state.store.write_at("scheduler", now).await?;
    if let Some(why) = why_not {
        return Ok(tx.advance(id, Phase::Closed, Phase::Failed, &why).await? && commit(tx).await?);
    }
    let note = match note {
        Some(note) => note,
        None => apply_effect(state, &mut tx, &proposal, &primary.tally.winners).await?,
    };
    Ok(tx.advance(id, Phase::Closed, Phase::Executed, &note).await? && commit(tx).await?)
}

async fn commit(tx: WriteTx) -> Result<bool, AppError> {
    tx.commit().await?;
    Ok(true)
}

/// Applies an effect that changes rules or memberships, inside the transaction that marks the
/// proposal executed.
async fn apply_effect(
    state: &AppState,
    tx: &mut WriteTx,
    proposal: &Proposal,
    winners: &[usize],
) -> Result<String, AppError> {
    Ok(match &proposal.effect {
        Effect::None => "passed".to_owned(),
        Effect::SetPolicy { key, value } => {
            tx.set_policy(&proposal.org_id, key, *value, &proposal.id).await?;
            format!("{key} is now {value}")
        }
        Effect::Admit { member_id } => {
            if state.store.role_in(&proposal.org_id, member_id).await?.is_some() {
                "already a member".to_owned()
            } else {
                tx.add_member(&proposal.org_id, member_id, Role::Member).await?;
                "admitted".to_owned()
            }
        }
        Effect::Elect { role, seats } => {
            let role = Role::parse(role).unwrap_or(Role::Member);
            let mut elected = Vec::new();
            for &w in winners.iter().take(*seats as usize) {
                let Some(handle) = proposal.options.get(w) else { continue };
                if let Some(member) = state.store.member_by_handle(handle).await?
                    && state.store.role_in(&proposal.org_id, &member.id).await?.is_some()
                {
                    tx.set_role(&proposal.org_id, &member.id, role).await?;
                    elected.push(format!("@{handle}"));
                }
            }
            format!("elected {} as {}", elected.join(", "), role.as_str())
        }
        Effect::SetAttribute { key, name, description, domain_weights, active } => {
            let weights: Vec<(String, f64)> = domain_weights.iter().map(|(d, w)| (d.clone(), *w)).collect();
            tx.set_attribute(key, name, description, &weights, *active, &proposal.id).await?;
            if *active { format!("attribute {key} is now counted") } else { format!("attribute {key} is retired") }
        }
        Effect::Allocate { .. } | Effect::Budget { .. } => {
            unreachable!("money effects are carried out before the proposal's transaction")
        }
    })
}
