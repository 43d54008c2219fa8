//! Two-phase transfers between linked organisations on two instances (the protocol is in
//! `commune_domain::federation::transfers`). This side's hold and its record are each durable;
//! [`resolve`] (the scheduler, every second) finishes whatever a crash, a timeout or a lost
//! message left open, the same way on both sides: the sender decides, the receiver follows.

use super::chapters::{base_of, post_json, signed_json};
use super::inbox::Request;
use super::{remote, urls};
use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::holds::settle_hold_as;
use crate::payments::movement::{Movement, amount_of, authorize_debit, move_money};
use crate::payments::parties::{ledger_named, payer_of};
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::authz::Denied;
use commune_domain::federation::activity::Local;
use commune_domain::federation::transfers::{self as protocol, Prepare, State, Step};
use commune_domain::ledger::PendingState;
use commune_domain::ledger::payments::{Owner, Payer, derive_id, transfer_code};
use commune_domain::ledger::plan::{self, Settlement};
use commune_store::{LedgerInfo, Org, PeerTransfer};
use serde_json::{Value, json};

const PREPARE_PATH: &str = "/ap/chapters/transfers";
const DECISION_PATH: &str = "/ap/chapters/transfers/decision";
const STATUS_PATH: &str = "/ap/chapters/transfers/status";

/// Money to send to a linked organisation on another instance.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SendInput {
    /// The linked organisation: its actor IRI or `name@host`.
    pub to: String,
    /// A decimal amount (`"25.00"`), or `amount_minor`.
    pub amount: Option<String>,
    pub amount_minor: Option<u64>,
    /// The asset code; both instances must keep a ledger in it. Default: the first ledger.
    pub currency: Option<String>,
    /// How long the other instance has to take it (5–3600 s, default 60); after that it is
    /// voided on both sides.
    pub timeout_s: Option<u32>,
    #[serde(default)]
    pub memo: String,
}

/// A change to the credit line this side extends to a linked organisation.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CreditInput {
    /// The linked organisation: its actor IRI or `name@host`.
    pub remote: String,
    /// A decimal amount (`"500.00"`), or `amount_minor`: how much to extend (or withdraw).
    pub amount: Option<String>,
    pub amount_minor: Option<u64>,
    /// The asset code. Default: the first ledger.
    pub currency: Option<String>,
    /// Withdraw this much of the unused credit instead of extending it.
    #[serde(default)]
    pub withdraw: bool,
}

/// What a linked organisation may still send here: the clearing account's balance (credit
/// extended plus what this side sent it, less what it sent here, counting holds).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Credit {
    pub remote: String,
    pub currency: String,
    pub available_minor: i64,
}

/// The credit a linked organisation has here now, in one ledger.
pub async fn available(state: &AppState, remote: &str, ledger: &LedgerInfo) -> Result<Credit, AppError> {
    let account = state.store.ledger_account(Owner::Peer(remote.to_string()).wallet(ledger.id).id).await?;
    let available = account.map_or(0, |row| row.account.available());
    Ok(Credit {
        remote: remote.to_string(),
        currency: ledger.asset.clone(),
        available_minor: i64::try_from(available).map_err(AppError::internal)?,
    })
}

/// Extends (or withdraws) the credit line of a linked organisation: how much it may send here
/// beyond what this side sent it. The organisation's stewards decide; the ledger moves the
/// amount between settlement and the clearing account (code `credit`), and refuses a withdrawal
/// of credit that is in use. With no credit, a linked instance can send back only what it was
/// sent.
pub async fn extend_credit(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: CreditInput,
) -> Result<Credit, AppError> {
    let org = super::org_for(state, caller, slug, commune_domain::authz::Action::ManageTokens).await?;
    let remote = linked(state, &org, &input.remote).await?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let amount = amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?;
    let (from, to, payer) = if input.withdraw {
        (Owner::Peer(remote.clone()), Owner::Settlement, Payer::Federation)
    } else {
        (Owner::Settlement, Owner::Peer(remote.clone()), Payer::Settlement)
    };
    let right = authorize_debit(&payer, &from)?;
    let movement = Movement {
        what: plan::Movement {
            id: uuid::Uuid::now_v7().as_u128(),
            from,
            to,
            amount,
            ledger: ledger.id,
            code: transfer_code::CREDIT,
            hold_timeout_s: None,
            payee_is_business: false,
        },
        memo: format!("credit line of {remote}"),
        ledger: ledger.clone(),
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement, &right).await.map_err(|e| match e.code().as_ref() {
        "exceeds_credits" => AppError::Rule("only unused credit can be withdrawn, and less than that is unused".into()),
        _ => e,
    })?;
    tracing::info!(org = %org.slug, %remote, amount, withdraw = input.withdraw, "credit line changed");
    available(state, &remote, &ledger).await
}

fn hold_of(direction: &str, remote: &str, id: &str) -> u128 {
    derive_id(&["federation", direction, remote, id])
}

fn hex(id: u128) -> String {
    format!("{id:032x}")
}

fn parse_hold(t: &PeerTransfer) -> Result<u128, AppError> {
    u128::from_str_radix(&t.hold_id, 16).map_err(AppError::internal)
}

/// The linked organisation an input names: one of `org`'s active links.
async fn linked(state: &AppState, org: &Org, to: &str) -> Result<String, AppError> {
    let links = state.store.ap_links(&org.id).await?;
    let active = |iri: &str| links.iter().any(|l| l.remote == iri && l.status == "active");
    let not_linked = || AppError::Rule("that organisation is not linked to this one".into());
    if active(to.trim()) {
        return Ok(to.trim().to_string());
    }
    // An IRI must be a link's own; only `name@host` is looked up (and only when there are links).
    if to.trim().starts_with("http") || !links.iter().any(|l| l.status == "active") {
        return Err(not_linked());
    }
    let http = remote::client(state);
    let actor = remote::resolve_account(state, &http, to, commune_store::now_ms()).await?;
    if active(&actor.id) {
        return Ok(actor.id);
    }
    Err(not_linked())
}

/// Sends money to a linked organisation on another instance (its stewards, or a token with
/// `payments:write`): a hold here, a hold there, then posted on both — or voided on both.
pub async fn send(state: &AppState, caller: &Caller, slug: &str, input: SendInput) -> Result<PeerTransfer, AppError> {
    let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
    let right = authorize_debit(&payer_of(state, caller).await?, &Owner::Org(org.id.clone()))?;
    let remote = linked(state, &org, &input.to).await?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let amount = amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?;
    let timeout = protocol::timeout_s(input.timeout_s)?;
    let memo = crate::payments::movement::memo(&input.memo)?;
    let id = hex(uuid::Uuid::now_v7().as_u128());
    let t = begin(state, &caller.audit_actor(), &org, &remote, &ledger, amount, timeout, &memo, &id, &right).await?;
    let (t, why) = prepare_saying_why(state, &org, t).await?;
    let t = finish(state, t, commune_store::now_ms()).await?;
    if t.state == State::Voided.as_str() {
        let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
        return Err(AppError::Rule(format!(
            "the other instance did not take the transfer{why}: it was voided on both sides"
        )));
    }
    Ok(t)
}

/// Phase one here: the hold (expiring at the deadline), then the record. A crash between them
/// leaves a hold that expires on its own; nothing was asked of the other side.
#[allow(clippy::too_many_arguments)]
pub async fn begin(
    state: &AppState,
    actor: &str,
    org: &Org,
    remote: &str,
    ledger: &LedgerInfo,
    amount: u64,
    timeout_s: u32,
    memo: &str,
    id: &str,
    right: &plan::DebitRight,
) -> Result<PeerTransfer, AppError> {
    let hold = hold_of("out", remote, id);
    let movement = Movement {
        what: plan::Movement {
            id: hold,
            from: Owner::Org(org.id.clone()),
            to: Owner::Peer(remote.to_string()),
            amount,
            ledger: ledger.id,
            code: transfer_code::FEDERATION,
            hold_timeout_s: Some(timeout_s),
            payee_is_business: false,
        },
        ledger: ledger.clone(),
        memo: memo.to_string(),
        settles: None,
    };
    let receipt = move_money(state, actor, movement, right).await?;
    let t = PeerTransfer {
        remote: remote.to_string(),
        id: id.to_string(),
        direction: "out".into(),
        org_id: org.id.clone(),
        amount: i64::try_from(amount).map_err(AppError::internal)?,
        ledger: i64::from(ledger.id),
        currency: ledger.asset.clone(),
        hold_id: hex(hold),
        state: State::Pending.as_str().into(),
        told: false,
        deadline: receipt.at_ms + i64::from(timeout_s) * 1000,
        asked_at: 0,
        memo: memo.to_string(),
        created_at: receipt.at_ms,
        decided_at: None,
    };
    let mut tx = state.store.write(actor).await?;
    tx.put_peer_transfer(&t).await?;
    tx.commit().await?;
    Ok(t)
}

/// Asks the other side to prepare; `prepared` when it holds the money too. Any failure voids
/// the transfer at once (the other side, if it held anything, learns so by [`resolve`]).
pub async fn prepare(state: &AppState, org: &Org, t: PeerTransfer) -> Result<PeerTransfer, AppError> {
    Ok(prepare_saying_why(state, org, t).await?.0)
}

/// [`prepare`], and what the other side answered when it did not prepare.
async fn prepare_saying_why(
    state: &AppState,
    org: &Org,
    t: PeerTransfer,
) -> Result<(PeerTransfer, Option<String>), AppError> {
    let from = urls(state).org(&org.slug);
    let body = protocol::prepare_json(&Prepare {
        id: t.id.clone(),
        from: from.clone(),
        to: t.remote.clone(),
        amount_minor: u64::try_from(t.amount).map_err(AppError::internal)?,
        currency: t.currency.clone(),
        deadline_ms: t.deadline,
    });
    let answer = post_json(state, &from, &format!("{}{PREPARE_PATH}", base_of(&t.remote)?), &body).await;
    match &answer {
        Ok(v) if v.get("state").and_then(Value::as_str) == Some("prepared") => {
            let mut tx = state.store.write("federation").await?;
            tx.move_peer_transfer(&t, &[State::Pending.as_str()], State::Prepared.as_str()).await?;
            tx.commit().await?;
            Ok((reread(state, &t).await?, None))
        }
        Ok(other) => {
            tracing::warn!(transfer = %t.id, remote = %t.remote, answer = %other, "transfer not prepared: voiding");
            Ok((void(state, &t).await?, Some(format!("it answered {other}"))))
        }
        Err(why) => {
            tracing::warn!(transfer = %t.id, remote = %t.remote, %why, "transfer not prepared: voiding");
            Ok((void(state, &t).await?, Some(why.clone())))
        }
    }
}

/// The sender voids: decided first (a compare-and-set from `pending`, so a late answer cannot
/// post it), then its hold released.
async fn void(state: &AppState, t: &PeerTransfer) -> Result<PeerTransfer, AppError> {
    let mut tx = state.store.write("federation").await?;
    tx.move_peer_transfer(t, &[State::Pending.as_str()], State::Voided.as_str()).await?;
    tx.commit().await?;
    let t = reread(state, t).await?;
    if t.state == State::Voided.as_str() {
        settle(state, &t, Settlement::Release).await?;
    }
    Ok(t)
}

async fn reread(state: &AppState, t: &PeerTransfer) -> Result<PeerTransfer, AppError> {
    state.store.peer_transfer(&t.remote, &t.id, &t.direction).await?.ok_or(AppError::NotFound("transfer"))
}

/// Settles this side's hold; returns how it ended — as asked, or as the ledger had already ended
/// it (posted, or voided or expired: the engine refuses to post after the deadline).
async fn settle(state: &AppState, t: &PeerTransfer, settlement: Settlement) -> Result<State, AppError> {
    let hold = parse_hold(t)?;
    let result = settle_hold_as(state, "federation", &Payer::Federation, hold, settlement).await;
    if result.is_ok() {
        return Ok(if settlement == Settlement::Release { State::Voided } else { State::Posted });
    }
    // Refused: the ledger says how the hold ended (or that it never was, or expired unswept).
    let now = commune_store::now_ms();
    match state.store.ledger_transfer(hold).await? {
        None if settlement == Settlement::Release => Ok(State::Voided),
        Some(row) => match row.state {
            Some(PendingState::Posted) => Ok(State::Posted),
            Some(PendingState::Voided | PendingState::Expired) => Ok(State::Voided),
            _ if row.record.expires_at.is_some_and(|at| at <= now) => Ok(State::Voided),
            _ => Err(result.err().unwrap_or(AppError::NotFound("hold"))),
        },
        None => Err(result.err().unwrap_or(AppError::NotFound("hold"))),
    }
}

/// Takes the sender's next steps at `now` until it must wait: post or void, then tell the
/// receiver.
pub async fn finish(state: &AppState, mut t: PeerTransfer, now: i64) -> Result<PeerTransfer, AppError> {
    for _ in 0..4 {
        let current = State::parse(&t.state).ok_or_else(|| AppError::internal(anyhow::anyhow!("transfer state")))?;
        match protocol::sender_step(current, t.told, t.deadline, now) {
            Step::Wait | Step::Done => return Ok(t),
            Step::Void => t = void(state, &t).await?,
            Step::Post => {
                let ended = settle(state, &t, Settlement::CaptureAll).await?;
                if ended == State::Voided {
                    settle(state, &t, Settlement::Release).await?;
                }
                let mut tx = state.store.write("federation").await?;
                tx.move_peer_transfer(&t, &[State::Prepared.as_str()], ended.as_str()).await?;
                tx.commit().await?;
                t = reread(state, &t).await?;
            }
            Step::Tell(decision) => {
                if decision == State::Voided {
                    // A crash between deciding and releasing leaves the hold: release (again).
                    settle(state, &t, Settlement::Release).await?;
                }
                let org = state.store.org_by_id(&t.org_id).await?.ok_or(AppError::NotFound("organisation"))?;
                let from = urls(state).org(&org.slug);
                let body = protocol::decision_json(&t.id, &from, &t.remote, decision);
                match post_json(state, &from, &format!("{}{DECISION_PATH}", base_of(&t.remote)?), &body).await {
                    Ok(_) => {
                        let mut tx = state.store.write("federation").await?;
                        tx.peer_transfer_told(&t).await?;
                        tx.commit().await?;
                        t = reread(state, &t).await?;
                    }
                    Err(why) => {
                        tracing::info!(transfer = %t.id, remote = %t.remote, %why, "decision not delivered yet");
                        return Ok(t);
                    }
                }
            }
        }
    }
    Ok(t)
}

/// The receiver's side of phase one: the record, then a hold with no timeout (only the sender's
/// decision ends it). Retried prepares are answered from the record.
pub async fn receive_prepare(state: &AppState, req: Request<'_>) -> Result<Value, AppError> {
    let (body, _) = signed_json(state, &req, "from").await?;
    let p = protocol::parse_prepare(&body)?;
    let org = local_org(state, &p.to).await?;
    match state.store.ap_link(&org.id, &p.from).await? {
        Some(link) if link.status == "active" => {}
        _ => {
            tracing::warn!(from = %p.from, "transfer refused: not a linked organisation");
            return Err(AppError::Denied(Denied::Forbidden("this organisation is not linked to the sender")));
        }
    }
    let ledger = state
        .store
        .ledger_by_asset(&p.currency)
        .await?
        .ok_or_else(|| Invalid::new("currency", format!("this instance keeps no ledger in {}", p.currency)))?;
    if let Some(known) = state.store.peer_transfer(&p.from, &p.id, "in").await? {
        return Ok(json!({ "state": if known.state == "pending" { "prepared" } else { known.state.as_str() } }));
    }
    let hold = hold_of("in", &p.from, &p.id);
    let t = PeerTransfer {
        remote: p.from.clone(),
        id: p.id.clone(),
        direction: "in".into(),
        org_id: org.id.clone(),
        amount: i64::try_from(p.amount_minor).map_err(AppError::internal)?,
        ledger: i64::from(ledger.id),
        currency: ledger.asset.clone(),
        hold_id: hex(hold),
        state: State::Pending.as_str().into(),
        told: false,
        deadline: p.deadline_ms,
        asked_at: 0,
        memo: String::new(),
        created_at: 0,
        decided_at: None,
    };
    let actor = format!("ap:{}", p.from);
    let mut tx = state.store.write(&actor).await?;
    tx.put_peer_transfer(&t).await?;
    tx.commit().await?;
    let right = authorize_debit(&Payer::Federation, &Owner::Peer(p.from.clone()))?;
    let movement = Movement {
        what: plan::Movement {
            id: hold,
            from: Owner::Peer(p.from.clone()),
            to: Owner::Org(org.id.clone()),
            amount: p.amount_minor,
            ledger: ledger.id,
            code: transfer_code::FEDERATION,
            hold_timeout_s: Some(0),
            payee_is_business: false,
        },
        ledger,
        memo: format!("from {}", p.from),
        settles: None,
    };
    move_money(state, &actor, movement, &right).await.map_err(|e| match e.code().as_ref() {
        "exceeds_credits" => {
            tracing::warn!(transfer = %p.id, from = %p.from, amount = p.amount_minor, "transfer refused: beyond the credit line");
            AppError::Rule(
                "this is more than the receiving organisation takes from yours: its stewards extend a credit line".into(),
            )
        }
        _ => e,
    })?;
    tracing::info!(transfer = %p.id, from = %p.from, amount = p.amount_minor, "transfer prepared");
    Ok(json!({ "state": "prepared" }))
}

async fn local_org(state: &AppState, iri: &str) -> Result<Org, AppError> {
    let Some(Local::Org(slug)) = urls(state).local(iri) else { return Err(AppError::NotFound("organisation")) };
    state.store.org_by_slug(&slug).await?.ok_or(AppError::NotFound("organisation"))
}

/// Follows the sender's decision on this side (idempotent).
async fn follow(state: &AppState, t: &PeerTransfer, decision: State) -> Result<PeerTransfer, AppError> {
    if t.state != State::Pending.as_str() {
        if t.state != decision.as_str() {
            return Err(AppError::Rule(format!("this transfer was already {}", t.state)));
        }
        return Ok(t.clone());
    }
    let settlement = if decision == State::Posted { Settlement::CaptureAll } else { Settlement::Release };
    let ended = settle(state, t, settlement).await?;
    let mut tx = state.store.write(&format!("ap:{}", t.remote)).await?;
    tx.move_peer_transfer(t, &[State::Pending.as_str()], ended.as_str()).await?;
    tx.commit().await?;
    reread(state, t).await
}

/// The receiver hears the sender's decision.
pub async fn receive_decision(state: &AppState, req: Request<'_>) -> Result<Value, AppError> {
    let (body, _) = signed_json(state, &req, "from").await?;
    let (id, from, _, decision) = protocol::parse_decision(&body)?;
    let Some(t) = state.store.peer_transfer(&from, &id, "in").await? else {
        // Never prepared here: a void needs nothing; a post cannot be.
        if decision == State::Voided {
            return Ok(json!({ "state": "voided" }));
        }
        return Err(AppError::Rule("this instance never prepared that transfer".into()));
    };
    let t = follow(state, &t, decision).await?;
    Ok(json!({ "state": t.state }))
}

/// The sender answers a receiver asking about a transfer.
pub async fn receive_status(state: &AppState, req: Request<'_>) -> Result<Value, AppError> {
    let (body, asker) = signed_json(state, &req, "from").await?;
    let id = body.get("id").and_then(Value::as_str).unwrap_or_default();
    protocol::check_id(id)?;
    let t = state.store.peer_transfer(&asker.id, id, "out").await?;
    Ok(json!({ "state": t.map_or("unknown".to_string(), |t| t.state) }))
}

/// Finishes open transfers: the sender posts, voids and tells; a receiver with a pending hold
/// asks the sender (at most every few seconds). Returns how many changed.
pub async fn resolve(state: &AppState, now: i64) -> Result<usize, AppError> {
    let mut changed = 0;
    for t in state.store.open_peer_transfers().await? {
        let before = (t.state.clone(), t.told);
        let result = if t.direction == "out" {
            finish(state, t.clone(), now).await
        } else if t.state == State::Pending.as_str() && now - t.asked_at >= protocol::ASK_EVERY_MS {
            ask(state, &t, now).await
        } else {
            Ok(t.clone())
        };
        match result {
            Ok(after) if (after.state.clone(), after.told) != before => changed += 1,
            Ok(_) => {}
            Err(e) => tracing::warn!(transfer = %t.id, error = %e, "transfer not finished yet"),
        }
    }
    Ok(changed)
}

async fn ask(state: &AppState, t: &PeerTransfer, now: i64) -> Result<PeerTransfer, AppError> {
    state.store.peer_transfer_asked(&t.remote, &t.id, now).await?;
    let org = state.store.org_by_id(&t.org_id).await?.ok_or(AppError::NotFound("organisation"))?;
    let me = urls(state).org(&org.slug);
    let body = json!({ "type": "CommuneTransferStatus", "id": t.id, "from": me });
    let answer = post_json(state, &me, &format!("{}{STATUS_PATH}", base_of(&t.remote)?), &body)
        .await
        .map_err(|why| AppError::Rule(format!("the sender did not answer: {why}")))?;
    match answer.get("state").and_then(Value::as_str).and_then(State::parse) {
        Some(decision) if decision.is_final() => follow(state, t, decision).await,
        _ => Ok(t.clone()),
    }
}

/// An organisation's transfers with other instances, newest first (its members).
pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<PeerTransfer>, AppError> {
    let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
    caller.authorize(state, Some(&org), commune_domain::authz::Action::Participate).await?;
    Ok(state.store.peer_transfers(&org.id).await?)
}
