//! Payments for people and businesses, shared by the JSON API, the web UI and the scheduler:
//! wallets, sending money, revenue bookings with the funnel share to the common pot in the same
//! linked chain, deposits and payouts through settlement, holds (two-phase transfers), payment
//! requests, the execution of passed allocation and budget proposals, and statements.
//!
//! Every movement is a request to the [`crate::ledger::LedgerWriter`]; the wallets it needs are
//! created in the same batch (their ids are derived, so this is idempotent). A retried request
//! with the same id is answered as a replay, never applied twice.

use crate::auth::Caller;
use crate::error::AppError;
use crate::ledger::{Answer, Request};
use crate::state::AppState;
use commune_domain::ledger::payments::{self, Owner, Payer, derive_id, transfer_code};
use commune_domain::ledger::{
    CreateAccountResult, CreateTransferResult as R, PendingState, Transfer, TransferFlags, amount,
};
use commune_domain::org::{OrgKind, Role};
use commune_domain::token::Scope;
use commune_domain::validation::Invalid;
use commune_store::{AccountRow, LedgerInfo, NewAccount, NewPaymentRequest, Note, PaymentRequest, Settle};
use std::collections::HashMap;

/// Longest memo kept with a transfer.
const MAX_MEMO_CHARS: usize = 280;
/// Longest hold, in seconds (30 days).
const MAX_HOLD_TIMEOUT_S: u32 = 30 * 24 * 3600;

/// An account owner with the words to show for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Party {
    /// `member`, `org`, `pot`, `settlement` or `budget`.
    pub kind: String,
    /// A member's handle or an organisation's slug; empty for the pot and settlement.
    pub handle: String,
    pub name: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub owner: Option<Owner>,
    #[serde(skip)]
    #[schema(ignore)]
    pub is_business: bool,
}

impl Party {
    pub fn owner(&self) -> Result<&Owner, AppError> {
        self.owner.as_ref().ok_or_else(|| AppError::internal(anyhow::anyhow!("a party without an owner")))
    }
}

/// `ada`, `member:ada`, `org:solar-forge` or `solar-forge`: a member first, then an organisation.
pub async fn resolve_party(state: &AppState, raw: &str, field: &'static str) -> Result<Party, AppError> {
    let raw = raw.trim();
    let (kind, key) = raw.split_once(':').unwrap_or(("", raw));
    if key.is_empty() {
        return Err(Invalid::new(field, "name a member (handle) or an organisation (org:slug)").into());
    }
    if kind != "org"
        && let Some(m) = state.store.member_by_handle(key).await?
    {
        return Ok(Party {
            kind: "member".into(),
            handle: m.handle,
            name: m.display_name,
            owner: Some(Owner::Member(m.id)),
            is_business: false,
        });
    }
    if kind != "member"
        && let Some(org) = state.store.org_by_slug(key).await?
    {
        return Ok(Party {
            kind: "org".into(),
            handle: org.slug,
            name: org.name,
            is_business: org.kind == OrgKind::Business,
            owner: Some(Owner::Org(org.id)),
        });
    }
    Err(Invalid::new(field, format!("no member or organisation called '{key}'")).into())
}

/// The words for an owner (a member's handle, an organisation's name, "common pot").
pub async fn party_of(state: &AppState, owner: &Owner) -> Result<Party, AppError> {
    let (handle, name, is_business) = match owner {
        Owner::Member(id) => match state.store.member_by_id(id).await? {
            Some(m) => (m.handle, m.display_name, false),
            None => (String::new(), "a former member".into(), false),
        },
        Owner::Org(id) => match state.store.org_by_id(id).await? {
            Some(o) => (o.slug, o.name, o.kind == OrgKind::Business),
            None => (String::new(), "a former organisation".into(), false),
        },
        Owner::Pot => (String::new(), "Common pot".into(), false),
        Owner::Settlement => (String::new(), "Outside the commune".into(), false),
        Owner::Budget(id) => (id.clone(), "Budget round".into(), false),
    };
    Ok(Party { kind: owner.kind().into(), handle, name, owner: Some(owner.clone()), is_business })
}

/// Who is paying, for [`payments::may_debit`].
pub async fn payer_of(state: &AppState, caller: &Caller) -> Result<Payer, AppError> {
    match caller {
        Caller::Member(signed_in) => {
            let stewards = state
                .store
                .memberships_of(&signed_in.member.id)
                .await?
                .into_iter()
                .filter(|m| m.role == Role::Steward)
                .map(|m| m.org.id)
                .collect();
            Ok(Payer::Member { id: signed_in.member.id.clone(), stewards })
        }
        Caller::Token(token) => Ok(Payer::Token {
            org_id: token.org_id.clone(),
            payments_write: token.scopes.contains(&Scope::PaymentsWrite),
        }),
        Caller::Anonymous { .. } => {
            caller.require_member()?;
            Err(AppError::Denied(commune_domain::authz::Denied::NotAuthenticated))
        }
    }
}

/// The caller's own wallet owner: a member's, or a token's organisation; `from_org` (a slug)
/// names an organisation's wallet instead (whether the caller may spend it is checked later).
pub async fn own_owner(state: &AppState, caller: &Caller, from_org: Option<&str>) -> Result<Owner, AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.require_member()?;
    }
    match (caller, from_org.map(str::trim).filter(|s| !s.is_empty())) {
        (_, Some(slug)) => {
            let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
            Ok(Owner::Org(org.id))
        }
        (Caller::Token(t), None) => Ok(Owner::Org(t.org_id.clone())),
        (Caller::Member(s), None) => Ok(Owner::Member(s.member.id.clone())),
        (Caller::Anonymous { .. }, None) => Err(AppError::Denied(commune_domain::authz::Denied::NotAuthenticated)),
    }
}

/// A ledger by asset code; the first ledger when none is named.
pub async fn ledger_named(state: &AppState, asset: Option<&str>) -> Result<LedgerInfo, AppError> {
    let asset = asset.map(str::trim).filter(|a| !a.is_empty());
    match asset {
        Some(asset) => state
            .store
            .ledger_by_asset(&asset.to_ascii_uppercase())
            .await?
            .ok_or_else(|| Invalid::new("currency", format!("there is no ledger for '{asset}'")).into()),
        None => state
            .store
            .ledgers()
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("no ledger exists"))),
    }
}

/// A client-chosen id (the idempotency key): a UUID, 32 hex digits or a decimal u128. Absent,
/// a fresh time-ordered id is made.
pub fn parse_id(raw: Option<&str>, field: &'static str) -> Result<u128, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(uuid::Uuid::now_v7().as_u128());
    };
    let id = uuid::Uuid::parse_str(raw)
        .map(|u| u.as_u128())
        .ok()
        .or_else(|| (raw.len() == 32).then(|| u128::from_str_radix(raw, 16).ok()).flatten())
        .or_else(|| raw.parse::<u128>().ok())
        .ok_or_else(|| Invalid::new(field, "use a UUID, 32 hex digits or a decimal number"))?;
    if id == 0 || id == u128::MAX {
        return Err(Invalid::new(field, "must not be 0 or all ones").into());
    }
    Ok(id)
}

/// Ids are shown as UUIDs.
pub fn show_id(id: u128) -> String {
    uuid::Uuid::from_u128(id).to_string()
}

fn memo(raw: &str) -> Result<String, AppError> {
    let memo = raw.trim();
    if memo.chars().count() > MAX_MEMO_CHARS {
        return Err(Invalid::new("memo", format!("at most {MAX_MEMO_CHARS} characters")).into());
    }
    Ok(memo.chars().filter(|c| !c.is_control()).collect())
}

/// The commune's funnel rate (policy `funnel_rate`, default 20%).
pub async fn funnel_rate(state: &AppState) -> Result<f64, AppError> {
    let default = commune_domain::governance::proposal::POLICY_PARAMETERS
        .iter()
        .find(|p| p.key == "funnel_rate")
        .map_or(0.2, |p| p.default);
    let Some(root) = state.store.root_org().await? else { return Ok(default) };
    Ok(state.store.policy(&root.id, "funnel_rate").await?.unwrap_or(default))
}

fn wallet_request(owners: &[&Owner], ledger: u32, only_if_used: bool) -> Vec<NewAccount> {
    let mut accounts: Vec<NewAccount> = Vec::new();
    for owner in owners {
        let account = owner.wallet(ledger);
        if !accounts.iter().any(|a| a.account.id == account.id) {
            accounts.push(NewAccount {
                account,
                owner_kind: owner.kind().into(),
                owner_id: owner.id().into(),
                only_if_used,
            });
        }
    }
    accounts
}

/// What happened to a movement of money.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The transfer's id (the client's idempotency key).
    pub id: String,
    /// Every transfer written: the movement, and the funnel share when there is one.
    pub transfers: Vec<String>,
    pub amount_minor: u64,
    /// The share that went to the common pot.
    pub funnel_minor: u64,
    pub currency: String,
    /// `posted`, or `pending` for a hold.
    pub status: String,
    /// True when this id had already been applied: nothing moved this time.
    pub replayed: bool,
    pub at_ms: i64,
}

/// Submits transfers with the wallets they need; maps the engine's verdict to an error.
async fn submit(
    state: &AppState,
    actor: &str,
    owners: &[&Owner],
    ledger: u32,
    transfers: Vec<Transfer>,
    note: &str,
    settles: Option<String>,
) -> Result<(Answer, bool), AppError> {
    let notes = if note.is_empty() {
        HashMap::new()
    } else {
        transfers.iter().map(|t| (t.id, Note { memo: note.to_owned(), actor: actor.to_owned() })).collect()
    };
    let settles = settles.map(|request_id| Settle {
        request_id,
        transfer_id: transfers[0].id,
        chain: transfers.iter().map(|t| t.id).collect(),
    });
    let request = Request { accounts: wallet_request(owners, ledger, true), transfers, notes, settles };
    let answer = state.ledger().submit(request).await?;
    if let Some(bad) =
        answer.accounts.iter().find(|r| !matches!(r, CreateAccountResult::Ok | CreateAccountResult::Exists))
    {
        return Err(AppError::internal(anyhow::anyhow!("a wallet could not be created: {}", bad.as_str())));
    }
    let replayed = verdict(&answer.transfers)?;
    Ok((answer, replayed))
}

/// Ok(false) when everything applied, Ok(true) when the first transfer had been applied before
/// (a client retry), or the first specific refusal.
fn verdict(results: &[R]) -> Result<bool, AppError> {
    if results.iter().all(|r| *r == R::Ok) {
        return Ok(false);
    }
    if results.first() == Some(&R::Exists)
        && results.iter().skip(1).all(|r| matches!(r, R::Exists | R::LinkedEventFailed))
    {
        return Ok(true);
    }
    let first =
        results.iter().copied().find(|r| !matches!(r, R::Ok | R::LinkedEventFailed)).unwrap_or(R::LinkedEventFailed);
    Err(refusal(first))
}

pub fn refusal(result: R) -> AppError {
    let message = match result {
        R::ExceedsCredits => "not enough money: the balance (less what is held) does not cover this".to_owned(),
        R::ExceedsDebits => "this account may not take more credits than its debits".to_owned(),
        R::ExistsWithDifferentAmount
        | R::ExistsWithDifferentCreditAccountId
        | R::ExistsWithDifferentDebitAccountId
        | R::ExistsWithDifferentFlags
        | R::ExistsWithDifferentCode
        | R::ExistsWithDifferentUserData
        | R::ExistsWithDifferentPendingId
        | R::ExistsWithDifferentTimeout => {
            "a different transfer was already made with this id; use a new id for a new transfer".to_owned()
        }
        R::AccountsMustBeDifferent => "you cannot pay yourself".to_owned(),
        R::AccountsMustHaveTheSameLedger | R::TransferMustHaveTheSameLedgerAsAccounts => {
            "both accounts must be in the same currency".to_owned()
        }
        R::DebitAccountAlreadyClosed | R::CreditAccountAlreadyClosed => "the account is closed".to_owned(),
        R::PendingTransferExpired => "the hold has expired".to_owned(),
        R::PendingTransferAlreadyPosted => "the hold was already captured".to_owned(),
        R::PendingTransferAlreadyVoided => "the hold was already released".to_owned(),
        R::ExceedsPendingTransferAmount => "you cannot capture more than was held".to_owned(),
        R::OverflowsCreditsPosted
        | R::OverflowsDebitsPosted
        | R::OverflowsCredits
        | R::OverflowsDebits
        | R::OverflowsCreditsPending
        | R::OverflowsDebitsPending => "the amount would overflow a balance".to_owned(),
        other => format!("the ledger refused this transfer ({})", other.as_str()),
    };
    AppError::Ledger { result, message }
}

/// A movement of money, before authorization.
#[derive(Debug, Clone)]
pub struct Movement {
    pub id: u128,
    pub from: Owner,
    pub to: Owner,
    pub amount: u64,
    pub ledger: LedgerInfo,
    pub code: u16,
    pub memo: String,
    /// A hold: pending until captured or released, expiring after this many seconds (0 = never).
    pub hold_timeout_s: Option<u32>,
    /// Whether the funnel share goes to the pot (revenue of a business).
    pub funnel: bool,
    /// The payment request this movement pays: its state changes with the transfer, or the
    /// transfer is not attempted (see [`commune_store::Settle`]).
    pub settles: Option<String>,
}

/// Money to move: the amount as a decimal (`"12.50"`) or in minor units (`1250`).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PaymentInput {
    /// Your idempotency key (UUID): the same id again is applied once. Made up when absent.
    pub id: Option<String>,
    /// A member's handle, or `org:slug`.
    #[serde(default)]
    pub to: String,
    pub amount: Option<String>,
    pub amount_minor: Option<u64>,
    /// Asset code; the first ledger when absent.
    pub currency: Option<String>,
    #[serde(default)]
    pub memo: String,
    /// Pay from this organisation's wallet (you must steward it, or be its token).
    pub from_org: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RevenueInput {
    pub id: Option<String>,
    pub amount: Option<String>,
    pub amount_minor: Option<u64>,
    pub currency: Option<String>,
    #[serde(default)]
    pub memo: String,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct HoldInput {
    #[serde(flatten)]
    pub payment: PaymentInput,
    /// Seconds until the hold expires and the money is released (0 or absent = never; at most 30 days).
    pub timeout_s: Option<u32>,
}

/// How much of a hold to capture: say it, either as `amount_minor` (more than zero; the rest is
/// released) or as `"all": true`. A zero never means "everything".
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CaptureInput {
    pub amount_minor: Option<u64>,
    /// Capture the whole hold.
    #[serde(default)]
    pub all: bool,
}

/// What a settlement of a hold does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    CaptureAll,
    Capture(u64),
    Release,
}

impl CaptureInput {
    pub fn settlement(&self) -> Result<Settlement, AppError> {
        match (self.all, self.amount_minor) {
            (true, None) => Ok(Settlement::CaptureAll),
            (false, Some(0)) => Err(Invalid::new(
                "amount_minor",
                "capture more than zero, or send \"all\": true to capture the whole hold",
            )
            .into()),
            (false, Some(n)) => Ok(Settlement::Capture(n)),
            (true, Some(_)) => Err(Invalid::new("amount_minor", "give an amount or \"all\": true, not both").into()),
            (false, None) => Err(Invalid::new(
                "amount_minor",
                "say how much to capture: an amount_minor above zero, or \"all\": true",
            )
            .into()),
        }
    }
}

/// Sends money from the caller's wallet (or an organisation's they may spend). Paying a business
/// counts as its revenue: the funnel share goes to the common pot in the same linked chain.
pub async fn pay(state: &AppState, caller: &Caller, input: PaymentInput) -> Result<Receipt, AppError> {
    let from = own_owner(state, caller, input.from_org.as_deref()).await?;
    authorize_debit(&payer_of(state, caller).await?, &from)?;
    let to = resolve_party(state, &input.to, "to").await?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let amount = amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?;
    let id = parse_id(input.id.as_deref(), "id")?;
    let funnel = to.is_business && to.owner()? != &from;
    let movement = Movement {
        id,
        from,
        to: to.owner()?.clone(),
        amount,
        ledger,
        code: transfer_code::PAYMENT,
        memo: input.memo,
        hold_timeout_s: None,
        funnel,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement).await
}

/// Books revenue from outside for an organisation (its stewards or its payments token).
pub async fn book_revenue(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: RevenueInput,
) -> Result<Receipt, AppError> {
    let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
    let owner = Owner::Org(org.id.clone());
    authorize_debit(&payer_of(state, caller).await?, &owner)?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let movement = Movement {
        id: parse_id(input.id.as_deref(), "id")?,
        from: Owner::Settlement,
        to: owner,
        amount: amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?,
        ledger,
        code: transfer_code::REVENUE,
        memo: input.memo,
        hold_timeout_s: None,
        funnel: org.kind == OrgKind::Business,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement).await
}

/// Pays money out of the commune from the caller's wallet (or an organisation's).
pub async fn payout(state: &AppState, caller: &Caller, input: PaymentInput) -> Result<Receipt, AppError> {
    let from = own_owner(state, caller, input.from_org.as_deref()).await?;
    authorize_debit(&payer_of(state, caller).await?, &from)?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let movement = Movement {
        id: parse_id(input.id.as_deref(), "id")?,
        from,
        to: Owner::Settlement,
        amount: amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?,
        ledger,
        code: transfer_code::PAYOUT,
        memo: input.memo,
        hold_timeout_s: None,
        funnel: false,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement).await
}

/// Places a hold: money reserved for the payee until captured, released or expired.
pub async fn hold(state: &AppState, caller: &Caller, input: HoldInput) -> Result<Receipt, AppError> {
    let p = input.payment;
    let from = own_owner(state, caller, p.from_org.as_deref()).await?;
    authorize_debit(&payer_of(state, caller).await?, &from)?;
    let to = resolve_party(state, &p.to, "to").await?;
    let ledger = ledger_named(state, p.currency.as_deref()).await?;
    let movement = Movement {
        id: parse_id(p.id.as_deref(), "id")?,
        from,
        to: to.owner()?.clone(),
        amount: amount_of(p.amount.as_deref(), p.amount_minor, &ledger)?,
        ledger,
        code: transfer_code::HOLD,
        memo: p.memo,
        hold_timeout_s: Some(input.timeout_s.unwrap_or(0)),
        funnel: false,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement).await
}

/// Moves money after the caller's right to debit `from` has been checked by the caller of this
/// function (see [`authorize_debit`]).
pub async fn move_money(state: &AppState, actor: &str, m: Movement) -> Result<Receipt, AppError> {
    if m.amount == 0 {
        return Err(refusal(R::AmountMustNotBeZero));
    }
    let memo = memo(&m.memo)?;
    let l = m.ledger.id;
    let (from, to, pot) = (m.from.wallet(l), m.to.wallet(l), Owner::Pot.wallet(l));
    let share = if m.funnel && m.hold_timeout_s.is_none() {
        payments::funnel(m.amount, funnel_rate(state).await?).1
    } else {
        0
    };
    let mut main = Transfer {
        id: m.id,
        debit_account_id: from.id,
        credit_account_id: to.id,
        amount: m.amount,
        ledger: l,
        code: m.code,
        ..Transfer::default()
    };
    if let Some(timeout) = m.hold_timeout_s {
        if timeout > MAX_HOLD_TIMEOUT_S {
            return Err(Invalid::new("timeout_s", format!("at most {MAX_HOLD_TIMEOUT_S} seconds (30 days)")).into());
        }
        main.flags.pending = true;
        main.timeout = timeout;
    }
    let mut transfers = vec![main];
    if share > 0 {
        transfers[0].flags.linked = true;
        transfers.push(funnel_transfer(m.id, to.id, pot.id, share, l));
    }
    let ids: Vec<String> = transfers.iter().map(|t| show_id(t.id)).collect();
    let (answer, replayed) =
        submit(state, actor, &[&m.from, &m.to, &Owner::Pot], l, transfers, &memo, m.settles.clone()).await?;
    Ok(Receipt {
        id: show_id(m.id),
        transfers: ids,
        amount_minor: m.amount,
        funnel_minor: share,
        currency: m.ledger.asset.clone(),
        status: if m.hold_timeout_s.is_some() { "pending" } else { "posted" }.into(),
        replayed,
        at_ms: answer.at_ms,
    })
}

fn funnel_transfer(of: u128, business: u128, pot: u128, share: u64, ledger: u32) -> Transfer {
    Transfer {
        id: derive_id(&["funnel", &format!("{of:032x}")]),
        debit_account_id: business,
        credit_account_id: pot,
        amount: share,
        ledger,
        code: transfer_code::FUNNEL,
        ..Transfer::default()
    }
}

pub fn authorize_debit(payer: &Payer, owner: &Owner) -> Result<(), AppError> {
    payments::may_debit(payer, owner).map_err(|why| AppError::Denied(commune_domain::authz::Denied::Forbidden(why)))
}

/// Parses an amount typed by a person or sent as minor units.
pub fn amount_of(decimal: Option<&str>, minor: Option<u64>, ledger: &LedgerInfo) -> Result<u64, AppError> {
    match (minor, decimal.map(str::trim).filter(|d| !d.is_empty())) {
        (Some(0), _) => Err(refusal(R::AmountMustNotBeZero)),
        (Some(minor), None) => Ok(minor),
        (None, Some(decimal)) => Ok(amount::parse(decimal, ledger.scale, "amount")?),
        (Some(_), Some(_)) => Err(Invalid::new("amount", "give either amount or amount_minor, not both").into()),
        (None, None) => Err(Invalid::new("amount", "enter an amount").into()),
    }
}

/// Captures (all or `amount` of) a hold, or releases it. The payer or the payee may release; the
/// payee captures (the payer agreed when placing the hold), and so may the payer.
pub async fn settle_hold(
    state: &AppState,
    caller: &Caller,
    hold_id: u128,
    settlement: Settlement,
) -> Result<Receipt, AppError> {
    let (capture, amount) = match settlement {
        Settlement::CaptureAll => (true, 0),
        Settlement::Capture(n) => (true, n),
        Settlement::Release => (false, 0),
    };
    let hold = state.store.ledger_transfer(hold_id).await?.ok_or(AppError::NotFound("hold"))?;
    if !hold.record.flags().pending {
        return Err(AppError::NotFound("hold"));
    }
    let payer_account =
        state.store.ledger_account(hold.record.debit_account_id).await?.ok_or(AppError::NotFound("account"))?;
    let payee_account =
        state.store.ledger_account(hold.record.credit_account_id).await?.ok_or(AppError::NotFound("account"))?;
    let (payer_owner, payee_owner) = (owner_of(&payer_account)?, owner_of(&payee_account)?);
    let payer = payer_of(state, caller).await?;
    authorize_debit(&payer, &payer_owner).or_else(|e| authorize_debit(&payer, &payee_owner).map_err(|_| e))?;
    let ledger = state
        .store
        .ledgers()
        .await?
        .into_iter()
        .find(|l| l.id == hold.record.ledger)
        .ok_or(AppError::NotFound("ledger"))?;
    let id = derive_id(&[if capture { "capture" } else { "release" }, &format!("{hold_id:032x}")]);
    let mut settle = Transfer { id, pending_id: hold_id, amount, ..Transfer::default() };
    settle.flags =
        TransferFlags { post_pending_transfer: capture, void_pending_transfer: !capture, ..TransferFlags::default() };
    let posted = if amount == 0 { hold.record.amount } else { amount };
    let is_business = party_of(state, &payee_owner).await?.is_business;
    let share = if capture && is_business && payer_owner != payee_owner {
        payments::funnel(posted, funnel_rate(state).await?).1
    } else {
        0
    };
    let mut transfers = vec![settle];
    if share > 0 {
        transfers[0].flags.linked = true;
        transfers.push(funnel_transfer(
            id,
            payee_account.account.id,
            Owner::Pot.wallet(ledger.id).id,
            share,
            ledger.id,
        ));
    }
    let ids = transfers.iter().map(|t| show_id(t.id)).collect();
    let (answer, replayed) = submit(
        state,
        &caller.audit_actor(),
        &[&payer_owner, &payee_owner, &Owner::Pot],
        ledger.id,
        transfers,
        "",
        None,
    )
    .await?;
    Ok(Receipt {
        id: show_id(id),
        transfers: ids,
        amount_minor: if capture { posted } else { 0 },
        funnel_minor: share,
        currency: ledger.asset,
        status: if capture { "posted" } else { "voided" }.into(),
        replayed,
        at_ms: answer.at_ms,
    })
}

pub fn owner_of(row: &AccountRow) -> Result<Owner, AppError> {
    Owner::from_parts(&row.owner_kind, &row.owner_id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an account owned by '{}'", row.owner_kind)))
}

/// A wallet as shown: balances at the ledger's scale.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WalletView {
    pub account_id: String,
    pub currency: String,
    pub scale: u32,
    pub owner: Party,
    /// Posted credits minus posted debits.
    pub balance_minor: i128,
    /// Reserved by holds this wallet placed.
    pub held_minor: u64,
    /// Incoming holds not yet captured.
    pub incoming_held_minor: u64,
    /// What can be spent now: balance less holds.
    pub available_minor: i128,
}

pub async fn wallet_view(state: &AppState, row: &AccountRow, ledgers: &[LedgerInfo]) -> Result<WalletView, AppError> {
    let a = row.account;
    let ledger = ledgers.iter().find(|l| l.id == a.ledger).ok_or(AppError::NotFound("ledger"))?;
    let balance = i128::from(a.credits_posted) - i128::from(a.debits_posted);
    Ok(WalletView {
        account_id: show_id(a.id),
        currency: ledger.asset.clone(),
        scale: ledger.scale,
        owner: party_of(state, &owner_of(row)?).await?,
        balance_minor: balance,
        held_minor: a.debits_pending,
        incoming_held_minor: a.credits_pending,
        available_minor: balance - i128::from(a.debits_pending),
    })
}

/// Every wallet of an owner, one per ledger it has used.
pub async fn wallets_of(state: &AppState, owner: &Owner) -> Result<Vec<WalletView>, AppError> {
    let ledgers = state.store.ledgers().await?;
    let mut out = Vec::new();
    for row in state.store.ledger_accounts_of(owner.kind(), owner.id()).await? {
        out.push(wallet_view(state, &row, &ledgers).await?);
    }
    Ok(out)
}

/// One line of a statement.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StatementLine {
    pub seq: i64,
    pub at_ms: i64,
    pub transfer_id: String,
    /// `payment`, `revenue`, `funnel`, `deposit`, `payout`, `hold`, `invoice`, `allocation`, `budget`.
    pub kind: String,
    pub counterparty: Party,
    pub memo: String,
    /// Positive when money came in, negative when it went out.
    pub amount_minor: i128,
    /// The posted balance after this line (holds do not change it).
    pub balance_minor: i128,
    /// `posted`; for a hold: `held` (still reserving), `captured`, `released` or `expired`.
    pub status: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StatementFilter {
    /// Only lines at or after this instant (unix ms).
    pub from_ms: Option<i64>,
    /// Only lines before this instant (unix ms).
    pub to_ms: Option<i64>,
    /// Only this kind (`payment`, `revenue`, `funnel`, ...).
    pub kind: Option<String>,
    /// Only lines with this counterparty (handle or slug).
    pub counterparty: Option<String>,
    /// At most this many lines, newest kept (default 500, at most 10,000).
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub wallet: WalletView,
    /// The posted balance before the first line shown.
    pub opening_minor: i128,
    pub closing_minor: i128,
    pub lines: Vec<StatementLine>,
    /// Holds still reserving money, placed by or for this wallet.
    pub pending: Vec<StatementLine>,
}

/// A statement with running balances: the running balance is computed over the whole history,
/// then the filter picks lines, so balances are always true.
pub async fn statement(state: &AppState, row: &AccountRow, filter: &StatementFilter) -> Result<Statement, AppError> {
    let ledgers = state.store.ledgers().await?;
    let wallet = wallet_view(state, row, &ledgers).await?;
    let me = row.account.id;
    let history = state.store.account_transfers(me).await?;
    let mut parties: HashMap<u128, Party> = HashMap::new();
    let mut balance: i128 = 0;
    // Each line with whether it moved the posted balance (a hold does not; its capture does).
    let mut lines: Vec<(StatementLine, bool)> = Vec::new();
    let mut pending = Vec::new();
    for t in &history {
        let r = t.record;
        let flags = r.flags();
        if flags.void_pending_transfer {
            continue;
        }
        let incoming = r.credit_account_id == me;
        let other = if incoming { r.debit_account_id } else { r.credit_account_id };
        if let std::collections::hash_map::Entry::Vacant(slot) = parties.entry(other) {
            let party = match state.store.ledger_account(other).await? {
                Some(acct) => party_of(state, &owner_of(&acct)?).await?,
                None => unknown_party(),
            };
            slot.insert(party);
        }
        let signed = if incoming { i128::from(r.amount) } else { -i128::from(r.amount) };
        let status = match (flags.pending, t.state) {
            (true, Some(PendingState::Pending)) => "held",
            (true, Some(PendingState::Posted)) => "captured",
            (true, Some(PendingState::Voided)) => "released",
            (true, _) => "expired",
            (false, _) => "posted",
        };
        if !flags.pending {
            balance += signed;
        }
        let line = StatementLine {
            seq: r.seq,
            at_ms: r.at_ms,
            transfer_id: show_id(r.id),
            kind: transfer_code::name(r.code).into(),
            counterparty: parties.get(&other).cloned().unwrap_or_else(unknown_party),
            memo: t.memo.clone().unwrap_or_default(),
            amount_minor: signed,
            balance_minor: balance,
            status: status.into(),
        };
        if status == "held" {
            pending.push(line.clone());
        }
        lines.push((line, !flags.pending));
    }
    let keep = |l: &StatementLine| {
        let who = filter.counterparty.as_deref().map(|c| c.trim_start_matches("org:").trim_start_matches("member:"));
        filter.from_ms.is_none_or(|from| l.at_ms >= from)
            && filter.to_ms.is_none_or(|to| l.at_ms < to)
            && filter.kind.as_deref().is_none_or(|k| k.is_empty() || l.kind == k)
            && who.is_none_or(|c| c.is_empty() || l.counterparty.handle == c)
    };
    let mut shown: Vec<(StatementLine, bool)> = lines.into_iter().filter(|(l, _)| keep(l)).collect();
    let limit = filter.limit.unwrap_or(500).clamp(1, 10_000);
    if shown.len() > limit {
        shown.drain(..shown.len() - limit);
    }
    let opening = shown.first().map_or(balance, |(l, moved)| l.balance_minor - if *moved { l.amount_minor } else { 0 });
    Ok(Statement {
        wallet,
        opening_minor: opening,
        closing_minor: balance,
        lines: shown.into_iter().map(|(l, _)| l).collect(),
        pending,
    })
}

fn unknown_party() -> Party {
    Party { kind: "unknown".into(), handle: String::new(), name: "unknown".into(), owner: None, is_business: false }
}

/// A statement as CSV (RFC 4180), amounts at the ledger's scale.
pub fn statement_csv(s: &Statement) -> String {
    use commune_domain::ledger::export::csv_field;
    let scale = s.wallet.scale;
    let mut out = String::from("seq,date,time_ms,transfer_id,kind,counterparty,memo,amount,balance,currency,status\n");
    for l in &s.lines {
        let who =
            if l.counterparty.handle.is_empty() { l.counterparty.name.clone() } else { l.counterparty.handle.clone() };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            l.seq,
            commune_domain::ledger::export::date_of(l.at_ms),
            l.at_ms,
            l.transfer_id,
            l.kind,
            csv_field(&who),
            csv_field(&l.memo),
            amount::format(l.amount_minor, scale),
            amount::format(l.balance_minor, scale),
            s.wallet.currency,
            l.status
        ));
    }
    out
}

/// A payment request as shown.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentRequestView {
    pub id: String,
    pub payee: Party,
    pub payer: Party,
    pub amount_minor: u64,
    pub currency: String,
    pub scale: u32,
    pub memo: String,
    /// `open`, `paid`, `declined` or `cancelled`.
    pub status: String,
    pub created_at: i64,
    pub transfer_id: Option<String>,
}

pub async fn request_view(
    state: &AppState,
    r: &PaymentRequest,
    ledgers: &[LedgerInfo],
) -> Result<PaymentRequestView, AppError> {
    let ledger = ledgers.iter().find(|l| l.id == r.ledger).ok_or(AppError::NotFound("ledger"))?;
    let payee_row = state.store.ledger_account(r.payee_account).await?.ok_or(AppError::NotFound("account"))?;
    let payer = Owner::from_parts(&r.payer_kind, &r.payer_id).ok_or(AppError::NotFound("payer"))?;
    Ok(PaymentRequestView {
        id: r.id.clone(),
        payee: party_of(state, &owner_of(&payee_row)?).await?,
        payer: party_of(state, &payer).await?,
        amount_minor: r.amount,
        currency: ledger.asset.clone(),
        scale: ledger.scale,
        memo: r.memo.clone(),
        status: r.status.clone(),
        created_at: r.created_at,
        transfer_id: r.transfer_id.map(show_id),
    })
}

/// Asks `payer` for money into `payee`'s wallet (created if needed).
pub async fn request_payment(
    state: &AppState,
    caller: &Caller,
    payee: &Owner,
    payer: &Party,
    amount: u64,
    ledger: &LedgerInfo,
    memo_text: &str,
) -> Result<PaymentRequest, AppError> {
    let payer_owner = payer.owner()?.clone();
    if &payer_owner == payee {
        return Err(Invalid::new("payer", "you cannot ask yourself for money").into());
    }
    // Whoever may spend from the payee's wallet may issue requests for it.
    authorize_debit(&payer_of(state, caller).await?, payee)?;
    let memo = memo(memo_text)?;
    // The payee's wallet must exist for the request to point at it.
    let answer = state
        .ledger()
        .submit(Request { accounts: wallet_request(&[payee], ledger.id, false), ..Request::default() })
        .await?;
    if answer.accounts.iter().any(|r| !matches!(r, CreateAccountResult::Ok | CreateAccountResult::Exists)) {
        return Err(AppError::internal(anyhow::anyhow!("the payee's wallet could not be created")));
    }
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    let request = tx
        .create_payment_request(&NewPaymentRequest {
            payee_account: payee.wallet(ledger.id).id,
            payer_kind: payer_owner.kind().into(),
            payer_id: payer_owner.id().into(),
            ledger: ledger.id,
            amount,
            memo,
        })
        .await?;
    tx.commit().await?;
    Ok(request)
}

/// Pays an open request: the money moves with an id derived from the request, so paying twice
/// (a double click, a retry, two tabs) moves it once, and the request becomes `paid` in the same
/// transaction as the transfer, so a cancellation or decline racing it either wins (and nothing
/// moves) or loses (and the request is paid).
pub async fn pay_request(state: &AppState, caller: &Caller, request_id: &str) -> Result<Receipt, AppError> {
    let request = state.store.payment_request(request_id).await?.ok_or(AppError::NotFound("payment request"))?;
    let payer_owner = Owner::from_parts(&request.payer_kind, &request.payer_id).ok_or(AppError::NotFound("payer"))?;
    authorize_debit(&payer_of(state, caller).await?, &payer_owner)?;
    let id = derive_id(&["payment-request", &request.id]);
    if request.status != "open" && !(request.status == "paid" && request.transfer_id == Some(id)) {
        return Err(AppError::Rule(format!("this request is {}", request.status)));
    }
    let payee_row = state.store.ledger_account(request.payee_account).await?.ok_or(AppError::NotFound("account"))?;
    let payee = owner_of(&payee_row)?;
    let ledger = state
        .store
        .ledgers()
        .await?
        .into_iter()
        .find(|l| l.id == request.ledger)
        .ok_or(AppError::NotFound("ledger"))?;
    let funnel = party_of(state, &payee).await?.is_business;
    let receipt = move_money(
        state,
        &caller.audit_actor(),
        Movement {
            id,
            from: payer_owner,
            to: payee,
            amount: request.amount,
            ledger,
            code: transfer_code::INVOICE,
            memo: request.memo.clone(),
            hold_timeout_s: None,
            funnel,
            settles: Some(request.id.clone()),
        },
    )
    .await?;
    Ok(receipt)
}

/// Declines (the payer) or cancels (the payee) an open request.
pub async fn close_request(state: &AppState, caller: &Caller, request_id: &str, decline: bool) -> Result<(), AppError> {
    let request = state.store.payment_request(request_id).await?.ok_or(AppError::NotFound("payment request"))?;
    let payer = payer_of(state, caller).await?;
    if decline {
        let owner = Owner::from_parts(&request.payer_kind, &request.payer_id).ok_or(AppError::NotFound("payer"))?;
        authorize_debit(&payer, &owner)?;
    } else {
        let payee = state.store.ledger_account(request.payee_account).await?.ok_or(AppError::NotFound("account"))?;
        authorize_debit(&payer, &owner_of(&payee)?)?;
    }
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    if !tx.decide_payment_request(&request.id, if decline { "declined" } else { "cancelled" }, None).await? {
        return Err(AppError::Rule(format!("this request is already {}", request.status)));
    }
    tx.commit().await?;
    Ok(())
}

/// Carries out a passed allocation or budget proposal: the money moves from the pot (for the
/// commune) or the organisation's wallet, with a transfer id derived from the proposal, so doing
/// it again is a replay. `Ok(Ok(note))` when the money moved (now or before), `Ok(Err(reason))`
/// when the ledger or the recipient refused it.
pub async fn execute_effect(
    state: &AppState,
    proposal: &commune_store::Proposal,
) -> Result<Result<String, String>, AppError> {
    use commune_domain::governance::proposal::Effect;
    let from = match state.store.org_by_id(&proposal.org_id).await? {
        Some(org) if org.is_root => Owner::Pot,
        Some(org) => Owner::Org(org.id),
        None => return Ok(Err("its organisation no longer exists".into())),
    };
    let outcome = match &proposal.effect {
        Effect::Allocate { amount_minor, currency, recipient } => {
            allocate(state, &proposal.id, from, *amount_minor, currency, recipient, false).await
        }
        Effect::Budget { total_minor, currency } => {
            allocate(state, &proposal.id, from, *total_minor, currency, "", true).await
        }
        _ => return Ok(Err("this proposal moves no money".into())),
    };
    match outcome {
        Ok(note) => Ok(Ok(note)),
        Err(e @ (AppError::Ledger { .. } | AppError::Invalid(_))) => Ok(Err(e.to_string())),
        Err(e) => Err(e),
    }
}

async fn allocate(
    state: &AppState,
    proposal_id: &str,
    from: Owner,
    amount_minor: i64,
    currency: &str,
    recipient: &str,
    budget: bool,
) -> Result<String, AppError> {
    let ledger = ledger_named(state, Some(currency)).await?;
    let amount = u64::try_from(amount_minor).map_err(|_| refusal(R::AmountMustNotBeZero))?;
    let to = if budget {
        Owner::Budget(proposal_id.to_owned())
    } else {
        resolve_party(state, recipient, "recipient").await?.owner()?.clone()
    };
    authorize_debit(&Payer::Governance, &from)?;
    let receipt = move_money(
        state,
        "system",
        Movement {
            id: derive_id(&["execution", proposal_id]),
            from,
            to,
            amount,
            ledger: ledger.clone(),
            code: if budget { transfer_code::BUDGET } else { transfer_code::ALLOCATION },
            memo: format!("proposal {proposal_id}"),
            hold_timeout_s: None,
            funnel: false,
            settles: None,
        },
    )
    .await?;
    let to_whom = if budget { "the budget round".to_owned() } else { recipient.to_owned() };
    Ok(format!(
        "moved {} {} to {to_whom} (transfer {})",
        amount::format(i128::from(amount), ledger.scale),
        ledger.asset,
        receipt.id
    ))
}
