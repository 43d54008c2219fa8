//! The ledger in TigerBeetle's own terms: raw transfer batches (authorized debit by debit) and
//! lookups of one account or one transfer.

use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::movement::authorize_debit;
use crate::payments::parties::{Party, may_read, owner_of, parse_id, party_of, payer_of, show_id, signed_in};
use crate::state::AppState;
use commune_domain::ledger::payments::Payer;
use commune_domain::ledger::plan;
use commune_domain::ledger::{Transfer, TransferFlags};
use commune_domain::validation::Invalid;

/// One transfer in TigerBeetle's shape; ids as UUIDs (or 32 hex digits, or decimal).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TransferInput {
    pub id: String,
    #[serde(default)]
    pub debit_account_id: Option<String>,
    #[serde(default)]
    pub credit_account_id: Option<String>,
    #[serde(default)]
    pub amount: u64,
    #[serde(default)]
    pub pending_id: Option<String>,
    /// Seconds, pending transfers only.
    #[serde(default)]
    pub timeout: u32,
    #[serde(default)]
    pub ledger: u32,
    #[serde(default)]
    pub code: u16,
    /// Any of `linked`, `pending`, `post_pending_transfer`, `void_pending_transfer`,
    /// `balancing_debit`, `balancing_credit`, `closing_debit`, `closing_credit` (closing
    /// transfers must be pending; voiding one reopens the account).
    #[serde(default)]
    pub flags: Vec<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TransferResultView {
    pub index: usize,
    pub id: String,
    /// `ok`, or TigerBeetle's result name (`exceeds_credits`, `exists`, `linked_event_failed`, ...).
    pub result: String,
}

/// Whether `payer` may submit `t`: its debit account must be theirs; a post or void must be
/// by the hold's payer or payee. Unknown accounts are left to the engine (it names them).
async fn authorize_raw(state: &AppState, payer: &Payer, t: &Transfer) -> Result<(), AppError> {
    if t.flags.settles() {
        let Some(hold) = state.store.ledger_transfer(t.pending_id).await? else { return Ok(()) };
        let payer_account = state.store.ledger_account(hold.record.debit_account_id).await?;
        let payee_account = state.store.ledger_account(hold.record.credit_account_id).await?;
        let (Some(payer_account), Some(payee_account)) = (payer_account, payee_account) else { return Ok(()) };
        return plan::may_settle(payer, &owner_of(&payer_account)?, &owner_of(&payee_account)?)
            .map(|_| ())
            .map_err(|why| AppError::Denied(commune_domain::authz::Denied::Forbidden(why)));
    }
    if let Some(row) = state.store.ledger_account(t.debit_account_id).await? {
        authorize_debit(payer, &owner_of(&row)?)?;
    }
    // Closing an account is its owner's decision, also on the credit side.
    if t.flags.closing_credit
        && let Some(row) = state.store.ledger_account(t.credit_account_id).await?
    {
        authorize_debit(payer, &owner_of(&row)?)?;
    }
    Ok(())
}

/// An account with its balances, as TigerBeetle's `lookup_accounts` returns it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub ledger: u32,
    pub code: u16,
    /// Set flags: `debits_must_not_exceed_credits`, `credits_must_not_exceed_debits`, `history`, `closed`.
    pub flags: Vec<String>,
    pub owner: Party,
    pub debits_pending: u64,
    pub debits_posted: u64,
    pub credits_pending: u64,
    pub credits_posted: u64,
    pub created_at: i64,
}

/// A transfer as stored, as TigerBeetle's `lookup_transfers` returns it (accounts, ledger and
/// code filled in for a post or void).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TransferView {
    pub id: String,
    pub seq: i64,
    pub debit_account_id: String,
    pub credit_account_id: String,
    /// What it moved.
    pub amount: u64,
    pub pending_id: Option<String>,
    pub ledger: u32,
    pub code: u16,
    pub flags: Vec<String>,
    pub timestamp_ms: i64,
    /// For a pending transfer: `pending`, `posted`, `voided` or `expired`.
    pub state: Option<String>,
    pub memo: Option<String>,
}

fn flag_names(bits: &[(bool, &str)]) -> Vec<String> {
    bits.iter().filter(|(on, _)| *on).map(|(_, name)| (*name).to_owned()).collect()
}

/// Creates a batch of transfers with TigerBeetle's semantics (at most [`crate::ledger::MAX_BATCH`]).
/// Every debited account (for a post or void: the hold's payer or payee) must be the caller's to
/// spend; otherwise the whole batch is refused and nothing is written.
pub async fn create_transfers(
    state: &AppState,
    caller: &Caller,
    input: &[TransferInput],
) -> Result<Vec<TransferResultView>, AppError> {
    let payer = payer_of(state, caller).await?;
    if input.is_empty() || input.len() > crate::ledger::MAX_BATCH {
        return Err(Invalid::new("transfers", format!("send 1 to {} transfers", crate::ledger::MAX_BATCH)).into());
    }
    let mut transfers = Vec::with_capacity(input.len());
    for t in input {
        let id_or_zero = |raw: &Option<String>, field| match raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(raw) => parse_id(Some(raw), field),
            None => Ok(0),
        };
        let mut flags = TransferFlags::default();
        for flag in &t.flags {
            match flag.as_str() {
                "linked" => flags.linked = true,
                "pending" => flags.pending = true,
                "post_pending_transfer" => flags.post_pending_transfer = true,
                "void_pending_transfer" => flags.void_pending_transfer = true,
                "balancing_debit" => flags.balancing_debit = true,
                "balancing_credit" => flags.balancing_credit = true,
                "closing_debit" => flags.closing_debit = true,
                "closing_credit" => flags.closing_credit = true,
                other => return Err(Invalid::new("flags", format!("unknown flag '{other}'")).into()),
            }
        }
        transfers.push(Transfer {
            id: parse_id(Some(&t.id), "id")?,
            debit_account_id: id_or_zero(&t.debit_account_id, "debit_account_id")?,
            credit_account_id: id_or_zero(&t.credit_account_id, "credit_account_id")?,
            amount: t.amount,
            pending_id: id_or_zero(&t.pending_id, "pending_id")?,
            timeout: t.timeout,
            ledger: t.ledger,
            code: t.code,
            flags,
            user_data: 0,
        });
    }
    for t in &transfers {
        authorize_raw(state, &payer, t).await?;
    }
    let answer =
        state.ledger().submit(crate::ledger::Request { transfers: transfers.clone(), ..Default::default() }).await?;
    Ok(transfers
        .iter()
        .zip(answer.transfers)
        .enumerate()
        .map(|(index, (t, r))| TransferResultView { index, id: show_id(t.id), result: r.as_str() })
        .collect())
}

/// Looks up one account (its owner, its organisation's readers, or an instance steward); others
/// are told it does not exist.
pub async fn account(state: &AppState, caller: &Caller, id: &str) -> Result<AccountView, AppError> {
    signed_in(caller)?;
    let id = parse_id(Some(id), "id")?;
    let row = state.store.ledger_account(id).await?.ok_or(AppError::NotFound("account"))?;
    may_read(state, caller, &row).await.map_err(|_| AppError::NotFound("account"))?;
    let a = row.account;
    let f = a.flags;
    Ok(AccountView {
        id: show_id(a.id),
        ledger: a.ledger,
        code: a.code,
        flags: flag_names(&[
            (f.debits_must_not_exceed_credits, "debits_must_not_exceed_credits"),
            (f.credits_must_not_exceed_debits, "credits_must_not_exceed_debits"),
            (f.history, "history"),
            (f.closed, "closed"),
        ]),
        owner: party_of(state, &owner_of(&row)?).await?,
        debits_pending: a.debits_pending,
        debits_posted: a.debits_posted,
        credits_pending: a.credits_pending,
        credits_posted: a.credits_posted,
        created_at: row.created_at,
    })
}

/// Looks up one transfer (readable by whoever may read either of its accounts).
pub async fn transfer(state: &AppState, caller: &Caller, id: &str) -> Result<TransferView, AppError> {
    signed_in(caller)?;
    let id = parse_id(Some(id), "id")?;
    let row = state.store.ledger_transfer(id).await?.ok_or(AppError::NotFound("transfer"))?;
    let r = row.record;
    let mut readable = false;
    for account in [r.debit_account_id, r.credit_account_id] {
        if let Some(acct) = state.store.ledger_account(account).await?
            && may_read(state, caller, &acct).await.is_ok()
        {
            readable = true;
            break;
        }
    }
    if !readable {
        return Err(AppError::NotFound("transfer"));
    }
    let f = r.flags();
    Ok(TransferView {
        id: show_id(r.id),
        seq: r.seq,
        debit_account_id: show_id(r.debit_account_id),
        credit_account_id: show_id(r.credit_account_id),
        amount: r.amount,
        pending_id: (r.pending_id != 0).then(|| show_id(r.pending_id)),
        ledger: r.ledger,
        code: r.code,
        flags: flag_names(&[
            (f.linked, "linked"),
            (f.pending, "pending"),
            (f.post_pending_transfer, "post_pending_transfer"),
            (f.void_pending_transfer, "void_pending_transfer"),
            (f.balancing_debit, "balancing_debit"),
            (f.balancing_credit, "balancing_credit"),
            (f.closing_debit, "closing_debit"),
            (f.closing_credit, "closing_credit"),
        ]),
        timestamp_ms: r.at_ms,
        state: row.state.map(|s| s.as_str().to_owned()),
        memo: row.memo,
    })
}
