//! Wallets and statements: balances as shown, and the history of one account with running
//! balances, filtered, and as CSV.

use crate::error::AppError;
use crate::payments::parties::{Party, owner_of, party_of, show_id, unknown_party};
use crate::state::AppState;
use commune_domain::ledger::payments::{Owner, transfer_code};
use commune_domain::ledger::{PendingState, amount};
use commune_store::{AccountRow, LedgerInfo};
use std::collections::HashMap;

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
