//! The scheduler: opens, closes and executes proposals on time, each step exactly once.
//!
//! Every step is a compare-and-set on the proposal's phase inside one audited transaction, so a
//! step taken twice (two servers, a restart, a retry) changes nothing the second time. Closing
//! counts the ballots in the same transaction, so a closed proposal always has its tally; the
//! effects of a passed proposal are applied in the transaction that marks it executed.
//!
//! Two interfaces plug in here: [`WeightSource`] (merit weights; equal for now, the merit engine
//! replaces it) and [`Treasury`] (money effects: an outbox, consumed on every tick by
//! [`crate::payments::execute_pending`], which moves the money through the ledger exactly once).

use crate::error::AppError;
use crate::state::AppState;
use commune_domain::governance::count::{CountInput, dual_tally};
use commune_domain::governance::methods::Ballot;
use commune_domain::governance::proposal::{Effect, Phase, Weighting};
use commune_domain::org::Role;
use commune_store::{Proposal, Store, TallyRow, WriteTx};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where merit-mode vote weights come from, snapshotted when voting opens.
pub trait WeightSource: Send + Sync {
    /// One merit weight per member of `members`, in the proposal's `domain`.
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

/// Carries out the money effects of passed `allocation` and `budget` proposals.
pub trait Treasury: Send + Sync {
    /// Executes (or durably schedules) `effect` inside `tx`; returns a note for the outcome.
    fn execute<'a>(
        &'a self,
        tx: &'a mut WriteTx,
        proposal: &'a Proposal,
        effect: &'a Effect,
    ) -> BoxFuture<'a, Result<String, AppError>>;
}

/// Records an execution request (one per proposal, by a unique key) for the treasury to consume.
pub struct Outbox;

impl Treasury for Outbox {
    fn execute<'a>(
        &'a self,
        tx: &'a mut WriteTx,
        proposal: &'a Proposal,
        effect: &'a Effect,
    ) -> BoxFuture<'a, Result<String, AppError>> {
        Box::pin(async move {
            tx.request_execution(&proposal.id, effect).await?;
            Ok("handed to the treasury".to_owned())
        })
    }
}

/// Proposals handled per tick; the rest wait for the next one.
const BATCH: i64 = 100;

/// Takes every step due at `now_ms`; returns how many it took.
pub async fn tick(state: &AppState, now_ms: i64) -> Result<usize, AppError> {
    let mut taken = 0;
    for (id, phase) in state.store.due_proposals(now_ms, BATCH).await? {
        let done = match phase {
            Phase::Discussion => open_voting(state, &id).await?,
            Phase::Voting => close_and_count(state, &id).await?,
            Phase::Closed => finish(state, &id).await?,
            _ => false,
        };
        taken += usize::from(done);
    }
    // Money effects of passed proposals, then holds whose timeout has passed (each exactly once).
    taken += crate::payments::execute_pending(state).await?;
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
            if let Err(e) = tick(&state, commune_store::now_ms()).await {
                e.log();
                tracing::warn!(error = %e, "scheduler tick failed; retrying next second");
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

/// Opens voting and snapshots who may vote with what weight.
async fn open_voting(state: &AppState, id: &str) -> Result<bool, AppError> {
    let proposal = load(state, id).await?;
    let mut tx = state.store.write("scheduler").await?;
    if !tx.advance(id, Phase::Discussion, Phase::Voting, "").await? {
        return Ok(false);
    }
    let members = tx.member_ids(&proposal.org_id).await?;
    let merit = state.weights.merit_weights(&state.store, &proposal.org_id, &proposal.domain, &members).await?;
    let snapshot: Vec<(String, f64, f64)> = members.into_iter().zip(merit).map(|(m, w)| (m, 1.0, w)).collect();
    tx.snapshot_weights(id, &snapshot).await?;
    tx.commit().await?;
    Ok(true)
}

/// Delegation edges as counted: `(delegator, domain or "", delegate)`.
pub type Edge = (String, String, String);

pub fn edges_of(delegations: &[commune_store::Delegation]) -> Vec<Edge> {
    delegations.iter().map(|d| (d.delegator_id.clone(), d.domain.clone(), d.delegate_id.clone())).collect()
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
            return Ok(Err(format!("the ballot of {} does not match its receipt", row.voter_handle)));
        }
    }
    let ballots: Vec<(String, String)> = rows.into_iter().map(|b| (b.voter_id, b.ballot)).collect();
    let edges: Vec<Edge> = serde_json::from_str(&stored.delegations).map_err(AppError::internal)?;
    let parts = count(&proposal, &weights, &ballots, &edges)?;
    if parts.primary != stored.primary_mode {
        return Ok(Err(format!("decided by {} weights, recount says {}", stored.primary_mode, parts.primary)));
    }
    if parts.equal != stored.equal_result {
        return Ok(Err("the equal-weight tally differs from a recount of the stored ballots".into()));
    }
    if parts.merit != stored.merit_result {
        return Ok(Err("the merit-weight tally differs from a recount of the stored ballots".into()));
    }
    Ok(Ok(()))
}

/// Counts a proposal from stored data: the same function closes a vote and verifies it.
pub fn count(
    proposal: &Proposal,
    weights: &[(String, f64, f64)],
    ballots: &[(String, String)],
    edges: &[Edge],
) -> Result<TallyParts, AppError> {
    let parsed: Vec<(String, Ballot)> = ballots
        .iter()
        .map(|(voter, json)| Ok((voter.clone(), serde_json::from_str(json).map_err(AppError::internal)?)))
        .collect::<Result<_, AppError>>()?;
    let mut graph = commune_domain::governance::delegation::Delegations::default();
    for (delegator, domain, delegate) in edges {
        graph.add(delegator, (!domain.is_empty()).then_some(domain.as_str()), delegate);
    }
    let dual = dual_tally(&CountInput {
        method: &proposal.method,
        options: proposal.options.len(),
        quorum: proposal.quorum,
        domain: &proposal.domain,
        weights,
        ballots: &parsed,
        delegations: &graph,
    });
    let primary = if proposal.weighting == Weighting::Merit && !proposal.effect.is_constitutional(proposal.kind) {
        "merit"
    } else {
        "equal"
    };
    Ok(TallyParts {
        primary: primary.to_owned(),
        equal: serde_json::to_string(&dual.equal).map_err(AppError::internal)?,
        merit: serde_json::to_string(&dual.merit).map_err(AppError::internal)?,
        differ: dual.differ,
        delegations: serde_json::to_string(edges).map_err(AppError::internal)?,
        passed: if primary == "merit" { dual.merit.tally.passed } else { dual.equal.tally.passed },
        winners: if primary == "merit" { dual.merit.tally.winners } else { dual.equal.tally.winners },
    })
}

/// A computed tally, ready to store or to compare with a stored one.
pub struct TallyParts {
    pub primary: String,
    pub equal: String,
    pub merit: String,
    pub differ: bool,
    pub delegations: String,
    pub passed: bool,
    pub winners: Vec<usize>,
}

/// Closes voting and counts, in one transaction.
async fn close_and_count(state: &AppState, id: &str) -> Result<bool, AppError> {
    let proposal = load(state, id).await?;
    let mut tx = state.store.write("scheduler").await?;
    if !tx.advance(id, Phase::Voting, Phase::Closed, "").await? {
        return Ok(false);
    }
    let weights = tx.weights(id).await?;
    let ballots: Vec<(String, String)> = tx.ballots(id).await?.into_iter().map(|b| (b.voter_id, b.ballot)).collect();
    let edges = edges_of(&tx.live_delegations(&proposal.org_id).await?);
    let parts = count(&proposal, &weights, &ballots, &edges)?;
    tx.save_tally(&TallyRow {
        proposal_id: id.to_owned(),
        primary_mode: parts.primary,
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

/// Marks a counted proposal executed (applying its effect) or failed.
async fn finish(state: &AppState, id: &str) -> Result<bool, AppError> {
    let proposal = load(state, id).await?;
    let tally = state
        .store
        .tally(id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("closed proposal {id} has no tally")))?;
    let primary: commune_domain::governance::count::ModeTally =
        serde_json::from_str(if tally.primary_mode == "merit" { &tally.merit_result } else { &tally.equal_result })
            .map_err(AppError::internal)?;
    let mut tx = state.store.write("scheduler").await?;
    if !primary.tally.passed {
        let why = if primary.tally.quorum_met { "did not pass" } else { "quorum not reached" };
        return Ok(tx.advance(id, Phase::Closed, Phase::Failed, why).await? && commit(tx).await?);
    }
    let note = apply_effect(state, &mut tx, &proposal, &primary.tally.winners).await?;
    Ok(tx.advance(id, Phase::Closed, Phase::Executed, &note).await? && commit(tx).await?)
}

async fn commit(tx: WriteTx) -> Result<bool, AppError> {
    tx.commit().await?;
    Ok(true)
}

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
        effect @ (Effect::Allocate { .. } | Effect::Budget { .. }) => {
            state.treasury.execute(tx, proposal, effect).await?
        }
    })
}
