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
//! Merit weights come from the [`crate::plugins::WeightSource`] plug-in, snapshotted at opening.

use crate::error::AppError;
use crate::state::AppState;
use crate::tally::{count, edges_of, floors_of, parameters};
use commune_domain::governance::floors;
use commune_domain::governance::proposal::{Effect, Phase};
use commune_domain::governance::weight::{self, UNIT};
use commune_domain::org::Role;
use commune_store::{Proposal, TallyRow, WriteTx};
use std::time::Duration;

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
    // Participatory-budgeting rounds whose voting has ended.
    taken += crate::rounds::tick(state, now_ms).await?;
    // Expenses whose weighted vote has finished.
    taken += crate::expenses::follow_votes(state).await?;
    taken += crate::learn::library::follow_votes(state).await?;
    taken += crate::learn::forecasting::follow_votes(state).await?;
    taken += crate::ideas::problems::follow_resolutions(state).await?;
    // Capital redemptions whose vote has finished.
    taken += crate::patronage::follow_redemptions(state).await?;
    // Seasons that are over get their results frozen (each exactly once).
    taken += crate::politics::seasons::finish_due(state, now_ms).await?;
    Ok(taken)
}

/// Runs [`tick`] every second until the process stops.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seconds: u64 = 0;
        spawn_webhooks(state.clone());
        spawn_federation(state.clone());
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
            // Notifications fan out every few seconds; due digests go out once a minute.
            if seconds.is_multiple_of(5)
                && let Err(e) = crate::inbox::catch_up(&state).await
            {
                e.log();
            }
            if seconds % 60 == 30
                && let Err(e) = crate::digest::send_due(&state, commune_store::now_ms()).await
            {
                e.log();
            }
            // Signing keys past their grace are unpublished, and an old key rotated, once a minute.
            if seconds % 60 == 45
                && let Err(e) = crate::oidc::keys::tick(&state, commune_store::now_ms()).await
            {
                e.log();
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

/// Webhooks run beside the tick: the audit log fanned out into the outbox and due messages
/// delivered, every second, so a slow endpoint never delays opening or closing a vote.
fn spawn_webhooks(state: AppState) {
    tokio::spawn(async move {
        let http = crate::webhooks::client(&state.config.webhook_allow);
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = crate::webhooks::fan_out(&state).await {
                e.log();
            }
            if let Err(e) = crate::webhooks::deliver_due(&state, &http, commune_store::now_ms()).await {
                e.log();
            }
        }
    });
}

/// ActivityPub publishing runs beside the tick like webhooks: the audit log fanned out into the
/// outbox and due activities delivered, every second.
/// How often (seconds) the chapters here check whether their roster changed.
const ROSTER_SYNC_EVERY_S: u64 = 5;

fn spawn_federation(state: AppState) {
    tokio::spawn(async move {
        let http = crate::federation::outbox::client(&state);
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for tick in 0u64.. {
            interval.tick().await;
            // A linked chapter's roster goes again to its commune when its members changed.
            if tick % ROSTER_SYNC_EVERY_S == 0
                && let Err(e) = crate::federation::chapters::sync_rosters(&state).await
            {
                e.log();
            }
            if let Err(e) = crate::federation::outbox::fan_out(&state).await {
                e.log();
            }
            if let Err(e) = crate::federation::outbox::deliver_due(&state, &http, commune_store::now_ms()).await {
                e.log();
            }
            if let Err(e) = crate::federation::transfers::resolve(&state, commune_store::now_ms()).await {
                e.log();
            }
        }
    });
}

async fn load(state: &AppState, id: &str) -> Result<Proposal, AppError> {
    state.store.proposal(id).await?.ok_or(AppError::NotFound("proposal"))
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
    let mut members = tx.member_ids(&proposal.org_id).await?;
    // An endorsement is decided by the members living in the candidate's district.
    if let Effect::Endorse { candidate_id } = &proposal.effect {
        members = crate::politics::endorsements::electorate(&mut tx, candidate_id, members).await?;
    }
    let shares = state.weights.merit_weights(&state.store, &proposal.org_id, &proposal.domain, &members).await?;
    let total = UNIT * members.len() as u64;
    let merit = weight::apportion(&shares, total);
    let snapshot: Vec<(String, u64, u64)> = members.into_iter().zip(merit).map(|(m, w)| (m, UNIT, w)).collect();
    assert_eq!(snapshot.iter().map(|s| s.2).sum::<u64>(), total, "merit and equal weights share one total");
    tx.snapshot_weights(id, &snapshot).await?;
    tx.commit().await?;
    Ok(true)
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
    if why_not.is_none() && matches!(proposal.effect, Effect::Fund { .. }) {
        match crate::politics::endorsements::execute_funding(state, &proposal, now).await? {
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
        Effect::None if proposal.method.has_options() => {
            let names: Vec<&str> =
                winners.iter().filter_map(|&w| proposal.options.get(w).map(String::as_str)).collect();
            format!("chose {}", names.join(" and "))
        }
        Effect::None => "passed".to_owned(),
        Effect::SetPolicy { key, value } => {
            tx.set_policy(&proposal.org_id, key, *value, &proposal.id).await?;
            commune_domain::governance::words::policy_outcome(key, *value)
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
        Effect::Endorse { candidate_id } => {
            crate::politics::endorsements::publish(tx, candidate_id, &proposal.id).await?
        }
        Effect::Allocate { .. } | Effect::Budget { .. } | Effect::Fund { .. } => {
            unreachable!("money effects are carried out before the proposal's transaction")
        }
    })
}
