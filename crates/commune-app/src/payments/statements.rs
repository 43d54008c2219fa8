//! Wallets and statements: balances as shown, and the history of one account, a page at a time,
//! with running balances, filtered, and as CSV.

use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::parties::{Party, ledger_named, owner_of, party_of, readable_owner, show_id, unknown_party};
use crate::state::AppState;
use commune_domain::ledger::payments::{Owner, transfer_code};
use commune_domain::ledger::statement::{self, Line, Page};
use commune_domain::ledger::{PendingState, amount};
use commune_domain::validation::Invalid;
use commune_store::{AccountRow, LedgerInfo, MAX_PAGE_LINES, TransferRecord, TransferRow};
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

/// Which statement, and which page of it: up to `limit` lines older than `before`, of your wallet
/// (or an organisation's) in one currency. Filters apply within the page; follow `older` for more.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct StatementQuery {
    /// Show an organisation's wallet (its slug) instead of your own.
    pub org: Option<String>,
    /// The currency (asset code); the first ledger when absent.
    pub currency: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Only lines at or after this instant (unix ms).
    pub from_ms: Option<i64>,
    /// Only lines before this instant (unix ms).
    pub to_ms: Option<i64>,
    /// Only this kind (`payment`, `revenue`, `funnel`, `deposit`, `payout`, `hold`, `invoice`, `allocation`).
    pub kind: Option<String>,
    /// Only lines with this counterparty (handle or slug).
    pub counterparty: Option<String>,
    /// Lines per page, newest first (default 100, at most 1,000).
    pub limit: Option<usize>,
    /// The `older` cursor of the page before: the lines older than it.
    pub before: Option<String>,
}

/// Lines per statement page unless asked otherwise.
pub const DEFAULT_PAGE_LINES: usize = 100;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub wallet: WalletView,
    /// The posted balance before the oldest line of this page.
    pub opening_minor: i128,
    /// The posted balance after the newest line of this page.
    pub closing_minor: i128,
    /// This page's lines, oldest first.
    pub lines: Vec<StatementLine>,
    /// Holds still reserving money, placed by or for this wallet (the newest 200).
    pub pending: Vec<StatementLine>,
    /// Pass as `before` for the page of older lines; absent on the oldest page.
    pub older: Option<String>,
}

/// The statement the caller asks for: theirs, or an organisation's they may read.
pub async fn statement_for(state: &AppState, caller: &Caller, query: &StatementQuery) -> Result<Statement, AppError> {
    let owner = readable_owner(state, caller, query.org.as_deref()).await?;
    let ledger = ledger_named(state, query.currency.as_deref()).await?;
    let Some(row) = state.store.ledger_account(owner.wallet(ledger.id).id).await? else {
        return Err(AppError::NotFound("wallet in this currency"));
    };
    statement(state, &row, query).await
}

/// One page of an account's statement with true running balances: the store hands over a slice
/// of the account's chain from the nearest stored checkpoint, and the domain folds it
/// ([`commune_domain::ledger::statement::page`]); nothing walks the whole history.
pub async fn statement(state: &AppState, row: &AccountRow, query: &StatementQuery) -> Result<Statement, AppError> {
    let ledgers = state.store.ledgers().await?;
    let wallet = wallet_view(state, row, &ledgers).await?;
    let me = row.account.id;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_LINES).clamp(1, MAX_PAGE_LINES as usize);
    let before = match query.before.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| Invalid::new("before", "use the 'older' value of the page before"))?,
        ),
        None => None,
    };
    let slice = state.store.account_page(row, before, limit as i64).await.map_err(|e| match e {
        commune_store::StoreError::NotFound(_) => {
            AppError::from(Invalid::new("before", "not a line of this statement"))
        }
        other => other.into(),
    })?;
    let chain: Vec<Line> = slice.rows.iter().map(|t| line_of(&t.record)).collect();
    let walked = if slice.top == 0 {
        Page { balances: Vec::new(), older: None }
    } else {
        statement::page(me, slice.checkpoint_balance, &slice.crossed, &chain, slice.top, limit)
            .map_err(|why| AppError::internal(anyhow::anyhow!("account {me:032x}: {why}")))?
    };
    let mut parties = Parties::default();
    let mut shown = Vec::with_capacity(walked.balances.len());
    // A release (void) changes no balance and shows as its hold's status instead.
    for (i, balance) in walked.balances.iter().filter(|(i, _)| !chain[*i].flags.void_pending_transfer) {
        shown.push(parties.line(state, me, &slice.rows[*i], *balance).await?);
    }
    let closing = walked.balances.first().map_or(0, |(_, b)| *b);
    let opening = walked.balances.last().map_or(closing, |(i, b)| b - chain[*i].delta_for(me));
    let reached_from = query.from_ms.is_some_and(|from| shown.last().is_some_and(|l| l.at_ms < from));
    let mut lines: Vec<StatementLine> = shown.into_iter().filter(|l| keep(query, l)).collect();
    lines.reverse();
    let mut pending = Vec::new();
    let balance_now = i128::from(row.account.credits_posted) - i128::from(row.account.debits_posted);
    for t in state.store.pending_of(me, 200).await? {
        pending.push(parties.line(state, me, &t, balance_now).await?);
    }
    Ok(Statement {
        wallet,
        opening_minor: opening,
        closing_minor: closing,
        lines,
        pending,
        older: walked.older.filter(|_| !reached_from).map(|seq| seq.to_string()),
    })
}

/// Whether a line passes the query's filters.
fn keep(query: &StatementQuery, l: &StatementLine) -> bool {
    let who = query.counterparty.as_deref().map(|c| c.trim_start_matches("org:").trim_start_matches("member:"));
    query.from_ms.is_none_or(|from| l.at_ms >= from)
        && query.to_ms.is_none_or(|to| l.at_ms < to)
        && query.kind.as_deref().is_none_or(|k| k.is_empty() || l.kind == k)
        && who.is_none_or(|c| c.is_empty() || l.counterparty.handle == c)
}

fn line_of(r: &TransferRecord) -> Line {
    Line {
        seq: r.seq,
        debit_account_id: r.debit_account_id,
        credit_account_id: r.credit_account_id,
        amount: r.amount,
        flags: r.flags(),
        debit_prev_seq: r.debit_prev_seq,
        credit_prev_seq: r.credit_prev_seq,
    }
}

/// Counterparties resolved once per statement.
#[derive(Default)]
struct Parties(HashMap<u128, Party>);

impl Parties {
    async fn line(
        &mut self,
        state: &AppState,
        me: u128,
        t: &TransferRow,
        balance: i128,
    ) -> Result<StatementLine, AppError> {
        let r = t.record;
        let incoming = r.credit_account_id == me;
        let other = if incoming { r.debit_account_id } else { r.credit_account_id };
        if let std::collections::hash_map::Entry::Vacant(slot) = self.0.entry(other) {
            let party = match state.store.ledger_account(other).await? {
                Some(acct) => party_of(state, &owner_of(&acct)?).await?,
                None => unknown_party(),
            };
            slot.insert(party);
        }
        let flags = r.flags();
        let status = match (flags.pending, t.state) {
            (true, Some(PendingState::Pending)) => "held",
            (true, Some(PendingState::Posted)) => "captured",
            (true, Some(PendingState::Voided)) => "released",
            (true, _) => "expired",
            (false, _) => "posted",
        };
        Ok(StatementLine {
            seq: r.seq,
            at_ms: r.at_ms,
            transfer_id: show_id(r.id),
            kind: transfer_code::name(r.code).into(),
            counterparty: self.0.get(&other).cloned().unwrap_or_else(unknown_party),
            memo: t.memo.clone().unwrap_or_default(),
            amount_minor: if incoming { i128::from(r.amount) } else { -i128::from(r.amount) },
            balance_minor: balance,
            status: status.into(),
        })
    }
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
