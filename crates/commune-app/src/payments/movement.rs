//! Moving money: sending, booking revenue, paying out. Each operation resolves the parties,
//! obtains the right to debit the source, and hands a [`Movement`] to [`move_money`], which has
//! the domain plan the transfers and the ledger writer apply them.
//!
//! Every movement is a request to the [`crate::ledger::LedgerWriter`]; the wallets it needs are
//! created in the same batch (their ids are derived, so this is idempotent). A retried request
//! with the same id is answered as a replay, never applied twice.

use crate::caller::Caller;
use crate::error::AppError;
use crate::ledger::{Answer, Request};
use crate::payments::parties::{ledger_named, own_owner, parse_id, payer_of, resolve_party, show_id};
use crate::state::AppState;
use commune_domain::ledger::payments::{Owner, Payer, transfer_code};
use commune_domain::ledger::plan::{self, DebitRight};
use commune_domain::ledger::{CreateAccountResult, CreateTransferResult as R, Transfer, amount};
use commune_domain::org::OrgKind;
use commune_domain::validation::Invalid;
use commune_store::{LedgerInfo, NewAccount, Note, Settle};
use std::collections::HashMap;

/// Longest memo kept with a transfer.
const MAX_MEMO_CHARS: usize = 280;

pub fn memo(raw: &str) -> Result<String, AppError> {
    let memo = raw.trim();
    if memo.chars().count() > MAX_MEMO_CHARS {
        return Err(Invalid::new("memo", format!("at most {MAX_MEMO_CHARS} characters")).into());
    }
    Ok(memo.chars().filter(|c| !c.is_control()).collect())
}

/// The commune's funnel rate (policy `funnel_rate`).
pub async fn funnel_rate(state: &AppState) -> Result<f64, AppError> {
    Ok(crate::policy::commune(&state.store).await?.get("funnel_rate"))
}

pub fn wallet_request(owners: &[&Owner], ledger: u32, only_if_used: bool) -> Vec<NewAccount> {
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
pub async fn submit(
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

/// A movement of money as the operations resolve it: what the domain plans ([`plan::Movement`]),
/// and what only the shell knows: the ledger's name, the memo, the request it settles.
#[derive(Debug, Clone)]
pub struct Movement {
    pub what: plan::Movement,
    pub ledger: LedgerInfo,
    pub memo: String,
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

/// Sends money from the caller's wallet (or an organisation's they may spend). Paying a business
/// counts as its revenue: the funnel share goes to the common pot in the same linked chain.
pub async fn pay(state: &AppState, caller: &Caller, input: PaymentInput) -> Result<Receipt, AppError> {
    let from = own_owner(state, caller, input.from_org.as_deref()).await?;
    let right = authorize_debit(&payer_of(state, caller).await?, &from)?;
    let to = resolve_party(state, &input.to, "to").await?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let amount = amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?;
    let id = parse_id(input.id.as_deref(), "id")?;
    let movement = Movement {
        what: plan::Movement {
            id,
            from,
            to: to.owner()?.clone(),
            amount,
            ledger: ledger.id,
            code: transfer_code::PAYMENT,
            hold_timeout_s: None,
            payee_is_business: to.is_business,
        },
        ledger,
        memo: input.memo,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement, &right).await
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
    // Money arrives from outside: the booking is authorized against the organisation, and the
    // settlement account it is drawn on is the commune's edge, debited by settlement alone.
    let right = authorize_debit(&Payer::Settlement, &Owner::Settlement)?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let movement = Movement {
        what: plan::Movement {
            id: parse_id(input.id.as_deref(), "id")?,
            from: Owner::Settlement,
            to: owner,
            amount: amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?,
            ledger: ledger.id,
            code: transfer_code::REVENUE,
            hold_timeout_s: None,
            payee_is_business: org.kind == OrgKind::Business,
        },
        ledger,
        memo: input.memo,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement, &right).await
}

/// Records money arriving from outside into a wallet (instance stewards only): drawn on the
/// settlement account, which only settlement may debit.
pub async fn deposit(state: &AppState, caller: &Caller, input: PaymentInput) -> Result<Receipt, AppError> {
    caller.authorize(state, None, commune_domain::authz::Action::AdministerInstance).await?;
    let right = authorize_debit(&Payer::Settlement, &Owner::Settlement)?;
    let to = resolve_party(state, &input.to, "to").await?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let movement = Movement {
        what: plan::Movement {
            id: parse_id(input.id.as_deref(), "id")?,
            from: Owner::Settlement,
            to: to.owner()?.clone(),
            amount: amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?,
            ledger: ledger.id,
            code: transfer_code::DEPOSIT,
            hold_timeout_s: None,
            payee_is_business: to.is_business,
        },
        ledger,
        memo: input.memo,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement, &right).await
}

/// Pays money out of the commune from the caller's wallet (or an organisation's).
pub async fn payout(state: &AppState, caller: &Caller, input: PaymentInput) -> Result<Receipt, AppError> {
    let from = own_owner(state, caller, input.from_org.as_deref()).await?;
    let right = authorize_debit(&payer_of(state, caller).await?, &from)?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let movement = Movement {
        what: plan::Movement {
            id: parse_id(input.id.as_deref(), "id")?,
            from,
            to: Owner::Settlement,
            amount: amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?,
            ledger: ledger.id,
            code: transfer_code::PAYOUT,
            hold_timeout_s: None,
            payee_is_business: false,
        },
        ledger,
        memo: input.memo,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement, &right).await
}

/// Moves money with the right to debit its source (see [`authorize_debit`]): the domain plans the
/// transfers (with the funnel share when the rule says so), and the ledger writer applies them
/// in one linked chain with the wallets they need.
pub async fn move_money(state: &AppState, actor: &str, m: Movement, right: &DebitRight) -> Result<Receipt, AppError> {
    if m.what.amount == 0 {
        return Err(refusal(R::AmountMustNotBeZero));
    }
    assert_eq!(m.what.ledger, m.ledger.id, "a movement names one ledger");
    let memo = memo(&m.memo)?;
    let rate = crate::policy::commune(&state.store).await?.get("funnel_rate");
    let planned = plan::plan(&m.what, right, rate)?;
    let ids: Vec<String> = planned.transfers.iter().map(|t| show_id(t.id)).collect();
    let owners = [&m.what.from, &m.what.to, &Owner::Pot];
    let (answer, replayed) =
        submit(state, actor, &owners, m.ledger.id, planned.transfers, &memo, m.settles.clone()).await?;
    Ok(Receipt {
        id: show_id(m.what.id),
        transfers: ids,
        amount_minor: m.what.amount,
        funnel_minor: planned.funnel_minor,
        currency: m.ledger.asset.clone(),
        status: if m.what.hold_timeout_s.is_some() { "pending" } else { "posted" }.into(),
        replayed,
        at_ms: answer.at_ms,
    })
}

/// The right to debit `owner`'s wallets, or the refusal as an error; [`move_money`] needs it.
pub fn authorize_debit(payer: &Payer, owner: &Owner) -> Result<DebitRight, AppError> {
    plan::authorize_debit(payer, owner).map_err(|why| AppError::Denied(commune_domain::authz::Denied::Forbidden(why)))
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
