//! The ledger's storage. A batch is applied by the pure engine to exactly the state it touches,
//! loaded inside the batch's own write transaction (which holds the audit chain's head, so no
//! other writer can change that state meanwhile, on either backend), and written back in the
//! same transaction with multi-row statements: the transfers, the fates of pending transfers,
//! the new balances, memos, and one audit entry carrying a SHA-256 digest of the batch's rows.
//! A batch commits whole or not at all: a process killed mid-batch leaves no trace of it.

use crate::{Backend, Result, StoreError, WriteTx, list_placeholders, values_placeholders};
use commune_domain::ledger::check::StoredTransfer;
use commune_domain::ledger::engine::{Ledger, Recorded};
use commune_domain::ledger::{
    Account, AccountFlags, CreateAccountResult, CreateTransferResult, PendingState, Transfer, TransferFlags,
};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Storage-only flag bits: which fields of a post or void were left 0 (inherited from the
/// pending transfer). The row keeps the effective values, so statements need no join, and the
/// input is rebuilt exactly for idempotency checks.
const INHERITED_DEBIT: u16 = 1 << 8;
const INHERITED_CREDIT: u16 = 1 << 9;
const INHERITED_LEDGER: u16 = 1 << 10;
const INHERITED_CODE: u16 = 1 << 11;

/// Rows per multi-row statement: 16 parameters a row stays under SQLite's 32,766 limit.
const ROWS_PER_STATEMENT: usize = 2_000;
/// Ids per `IN (...)` lookup.
const IDS_PER_LOOKUP: usize = 4_000;

/// At most this many accounts are cached; beyond it, misses are read from the database.
const CACHE_MAX_ACCOUNTS: usize = 2_000_000;

/// Ledger accounts as they stood at ledger version `version`. Every transaction that changes
/// balances bumps the version in `ledger_head` while it holds the write lock; a transaction
/// that finds the version it expects uses the cache, any other clears it (another process or an
/// unfinished commit got in between). A transaction's own changes enter the cache only after
/// its commit succeeded.
#[derive(Debug, Default)]
pub(crate) struct AccountCache {
    version: i64,
    accounts: HashMap<u128, AccountRow>,
    /// The largest transfer id stored, when known: a batch's ids above it cannot be retries,
    /// so only the others are looked up (clients that use time-ordered ids, as TigerBeetle
    /// recommends, skip the lookup altogether).
    max_transfer_id: Option<u128>,
}

impl AccountCache {
    fn reset(&mut self, version: i64) {
        self.accounts.clear();
        self.max_transfer_id = None;
        self.version = version;
    }
}

type Cache = std::sync::Mutex<AccountCache>;

fn with_cache<T>(cache: &Cache, f: impl FnOnce(&mut AccountCache) -> T) -> T {
    let mut guard = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

/// After a commit from `base`: the cache moves to `base + 1` with the changed rows, unless
/// something else moved it meanwhile (then it is dropped).
fn after_commit(cache: &Cache, base: i64, changed: Vec<AccountRow>, max_written: Option<u128>) {
    with_cache(cache, |c| {
        if c.version == base {
            for row in changed {
                c.accounts.insert(row.account.id, row);
            }
            if let (Some(max), Some(written)) = (c.max_transfer_id, max_written) {
                c.max_transfer_id = Some(max.max(written));
            }
            c.version = base + 1;
        } else {
            c.reset(-1);
        }
    });
}

fn sorted_unique(ids: &mut Vec<u128>) {
    ids.sort_unstable();
    ids.dedup();
}

pub fn id_bytes(id: u128) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

fn id_from(bytes: &[u8]) -> Result<u128> {
    let array: [u8; 16] =
        bytes.try_into().map_err(|_| StoreError::Corrupt(format!("a ledger id of {} bytes", bytes.len())))?;
    Ok(u128::from_be_bytes(array))
}

fn opt_id(row: &AnyRow, column: &str) -> Result<u128> {
    row.try_get::<Option<Vec<u8>>, _>(column)?.map_or(Ok(0), |b| id_from(&b))
}

/// u64 amounts are stored bit for bit in BIGINT.
fn amount_in(v: u64) -> i64 {
    v as i64
}

fn amount_out(v: i64) -> u64 {
    v as u64
}

fn small<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T> {
    T::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v} is out of range")))
}

/// A currency or unit: integer minor units, `scale` decimals when shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerInfo {
    pub id: u32,
    pub asset: String,
    pub scale: u32,
    pub name: String,
}

/// A stored account and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub account: Account,
    pub owner_kind: Arc<str>,
    pub owner_id: Arc<str>,
    /// The seq of the last transfer on this account (0: none yet): the head of its history.
    pub last_seq: i64,
    pub created_at: i64,
}

/// A transfer exactly as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferRecord {
    pub seq: i64,
    pub id: u128,
    pub debit_account_id: u128,
    pub credit_account_id: u128,
    /// What it moved.
    pub amount: u64,
    /// What was asked (0 on a post means "all of it"; a balancing transfer may move less).
    pub requested: u64,
    pub pending_id: u128,
    pub timeout: u32,
    pub ledger: u32,
    pub code: u16,
    /// Flag bits plus the storage-only "inherited" bits.
    pub flags: u16,
    pub user_data: u128,
    pub at_ms: i64,
    pub expires_at: Option<i64>,
    /// The previous transfer on the debit account, and on the credit account (0: none).
    pub debit_prev_seq: i64,
    pub credit_prev_seq: i64,
}

impl TransferRecord {
    pub fn flags(&self) -> TransferFlags {
        TransferFlags::from_bits(self.flags & 0xff)
    }

    pub fn stored(&self) -> StoredTransfer {
        StoredTransfer {
            seq: self.seq,
            id: self.id,
            debit_account_id: self.debit_account_id,
            credit_account_id: self.credit_account_id,
            amount: self.amount,
            pending_id: self.pending_id,
            ledger: self.ledger,
            code: self.code,
            flags: self.flags(),
            at_ms: self.at_ms,
        }
    }

    /// The transfer as it was submitted, for the engine.
    fn recorded(&self) -> Recorded {
        let keep = |bit: u16, v: u128| if self.flags & bit != 0 { 0 } else { v };
        Recorded {
            transfer: Transfer {
                id: self.id,
                debit_account_id: keep(INHERITED_DEBIT, self.debit_account_id),
                credit_account_id: keep(INHERITED_CREDIT, self.credit_account_id),
                amount: self.requested,
                pending_id: self.pending_id,
                timeout: self.timeout,
                ledger: keep(INHERITED_LEDGER, u128::from(self.ledger)) as u32,
                code: keep(INHERITED_CODE, u128::from(self.code)) as u16,
                flags: self.flags(),
                user_data: self.user_data,
            },
            amount: self.amount,
            timestamp_ms: self.at_ms,
            expires_at_ms: self.expires_at,
        }
    }

    /// What the engine recorded, with a post's or void's inherited fields filled in.
    fn from_recorded(seq: i64, r: &Recorded, pending: Option<&Recorded>) -> TransferRecord {
        let t = r.transfer;
        let mut flags = t.flags.bits();
        let (mut debit, mut credit, mut ledger, mut code) = (t.debit_account_id, t.credit_account_id, t.ledger, t.code);
        if let Some(p) = pending {
            let p = p.transfer;
            for (field, bit, inherited) in [
                (&mut debit, INHERITED_DEBIT, p.debit_account_id),
                (&mut credit, INHERITED_CREDIT, p.credit_account_id),
            ] {
                if *field == 0 {
                    *field = inherited;
                    flags |= bit;
                }
            }
            if ledger == 0 {
                ledger = p.ledger;
                flags |= INHERITED_LEDGER;
            }
            if code == 0 {
                code = p.code;
                flags |= INHERITED_CODE;
            }
        }
        TransferRecord {
            seq,
            id: t.id,
            debit_account_id: debit,
            credit_account_id: credit,
            amount: r.amount,
            requested: t.amount,
            pending_id: t.pending_id,
            timeout: t.timeout,
            ledger,
            code,
            flags,
            user_data: t.user_data,
            at_ms: r.timestamp_ms,
            expires_at: r.expires_at_ms,
            debit_prev_seq: 0,
            credit_prev_seq: 0,
        }
    }

    fn digest_into(&self, hash: &mut Sha256) {
        hash.update(self.seq.to_be_bytes());
        hash.update(self.id.to_be_bytes());
        hash.update(self.debit_account_id.to_be_bytes());
        hash.update(self.credit_account_id.to_be_bytes());
        hash.update(self.amount.to_be_bytes());
        hash.update(self.requested.to_be_bytes());
        hash.update(self.pending_id.to_be_bytes());
        hash.update(self.timeout.to_be_bytes());
        hash.update(self.ledger.to_be_bytes());
        hash.update(self.code.to_be_bytes());
        hash.update(self.flags.to_be_bytes());
        hash.update(self.user_data.to_be_bytes());
        hash.update(self.at_ms.to_be_bytes());
        hash.update(self.expires_at.unwrap_or(-1).to_be_bytes());
        hash.update(self.debit_prev_seq.to_be_bytes());
        hash.update(self.credit_prev_seq.to_be_bytes());
    }
}

/// SHA-256 over a run of transfer rows, as the batch's audit entry records it.
pub fn digest(rows: &[TransferRecord]) -> String {
    let mut hash = Sha256::new();
    for row in rows {
        row.digest_into(&mut hash);
    }
    hex::encode(hash.finalize())
}

/// A transfer row with what became of it (pending transfers) and its memo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRow {
    pub record: TransferRecord,
    pub state: Option<PendingState>,
    pub memo: Option<String>,
}

/// A new account and its owner.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub account: Account,
    pub owner_kind: String,
    pub owner_id: String,
    /// Create it only if a transfer of the same batch succeeds on it (a wallet made on the way
    /// to a payment): a refused payment then leaves no trace at all.
    pub only_if_used: bool,
}

/// A memo kept beside a transfer, and who asked for the transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub memo: String,
    pub actor: String,
}

/// Everything one batch asks for: accounts first, then transfers in order, and notes to keep
/// beside the transfers that succeed.
#[derive(Debug, Clone, Default)]
pub struct LedgerBatch {
    pub accounts: Vec<NewAccount>,
    pub transfers: Vec<Transfer>,
    pub notes: HashMap<u128, Note>,
    /// Historical data (TigerBeetle's `imported`): the batch's time, in the past and not
    /// before the last stored transfer, so the log stays in time order.
    pub imported_at_ms: Option<i64>,
    /// Payment requests this batch pays: each one's state and its transfers commit together.
    pub settles: Vec<Settle>,
}

/// A payment request paid by transfers of the same batch. Inside the batch's transaction (which
/// every writer, cancellation and decline included, serialises behind): if the request is no
/// longer open, its transfers are not attempted; if its transfer is written, it becomes `paid`.
/// So `paid` holds exactly when the transfer exists, in every interleaving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settle {
    pub request_id: String,
    /// The transfer that pays it (its id is derived from the request).
    pub transfer_id: u128,
    /// Every transfer of the payment's linked chain (the payment and its funnel share).
    pub chain: Vec<u128>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    pub accounts: Vec<CreateAccountResult>,
    pub transfers: Vec<CreateTransferResult>,
    /// The batch's time: every transfer it wrote carries it.
    pub at_ms: i64,
    /// Requests of `settles` that were no longer open: their transfers were not attempted (and
    /// are answered `linked_event_failed`).
    pub closed_requests: Vec<String>,
}

const TRANSFER_COLUMNS: &str = "t.seq, t.id, t.debit_account_id, t.credit_account_id, t.amount, t.requested, \
     t.pending_id, t.timeout, t.ledger, t.code, t.flags, t.user_data, t.at_ms, t.expires_at, t.debit_prev_seq, \
     t.credit_prev_seq";
const ACCOUNT_COLUMNS: &str = "id, ledger, code, flags, user_data, owner_kind, owner_id, debits_pending, \
     debits_posted, credits_pending, credits_posted, last_seq, created_at";

fn transfer_record(r: &AnyRow) -> Result<TransferRecord> {
    Ok(TransferRecord {
        seq: r.try_get("seq")?,
        id: id_from(&r.try_get::<Vec<u8>, _>("id")?)?,
        debit_account_id: id_from(&r.try_get::<Vec<u8>, _>("debit_account_id")?)?,
        credit_account_id: id_from(&r.try_get::<Vec<u8>, _>("credit_account_id")?)?,
        amount: amount_out(r.try_get("amount")?),
        requested: amount_out(r.try_get("requested")?),
        pending_id: opt_id(r, "pending_id")?,
        timeout: small(r.try_get("timeout")?, "timeout")?,
        ledger: small(r.try_get("ledger")?, "ledger")?,
        code: small(r.try_get("code")?, "code")?,
        flags: small(r.try_get("flags")?, "flags")?,
        user_data: opt_id(r, "user_data")?,
        at_ms: r.try_get("at_ms")?,
        expires_at: r.try_get("expires_at")?,
        debit_prev_seq: r.try_get("debit_prev_seq")?,
        credit_prev_seq: r.try_get("credit_prev_seq")?,
    })
}

fn transfer_row(r: &AnyRow) -> Result<TransferRow> {
    let state: Option<String> = r.try_get("state")?;
    Ok(TransferRow {
        record: transfer_record(r)?,
        state: state
            .map(|s| PendingState::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("pending state '{s}'"))))
            .transpose()?,
        memo: r.try_get("memo")?,
    })
}

fn account_row(r: &AnyRow) -> Result<AccountRow> {
    Ok(AccountRow {
        account: Account {
            id: id_from(&r.try_get::<Vec<u8>, _>("id")?)?,
            ledger: small(r.try_get("ledger")?, "ledger")?,
            code: small(r.try_get("code")?, "code")?,
            flags: AccountFlags::from_bits(small(r.try_get("flags")?, "flags")?),
            user_data: opt_id(r, "user_data")?,
            debits_pending: amount_out(r.try_get("debits_pending")?),
            debits_posted: amount_out(r.try_get("debits_posted")?),
            credits_pending: amount_out(r.try_get("credits_pending")?),
            credits_posted: amount_out(r.try_get("credits_posted")?),
        },
        owner_kind: r.try_get::<String, _>("owner_kind")?.into(),
        owner_id: r.try_get::<String, _>("owner_id")?.into(),
        last_seq: r.try_get("last_seq")?,
        created_at: r.try_get("created_at")?,
    })
}

fn ledger_info(r: &AnyRow) -> Result<LedgerInfo> {
    Ok(LedgerInfo {
        id: small(r.try_get("id")?, "ledger")?,
        asset: r.try_get("asset")?,
        scale: small(r.try_get("scale")?, "scale")?,
        name: r.try_get("name")?,
    })
}

const SELECT_TRANSFERS: &str = "SELECT t.seq, t.id, t.debit_account_id, t.credit_account_id, t.amount, t.requested, \
     t.pending_id, t.timeout, t.ledger, t.code, t.flags, t.user_data, t.at_ms, t.expires_at, t.debit_prev_seq, \
     t.credit_prev_seq, p.state, n.memo \
     FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.id = t.id \
     LEFT JOIN ledger_notes n ON n.transfer_id = t.id";

impl crate::Store {
    pub async fn ledgers(&self) -> Result<Vec<LedgerInfo>> {
        let rows = sqlx::query("SELECT id, asset, scale, name FROM ledgers ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(ledger_info).collect()
    }

    pub async fn ledger_by_asset(&self, asset: &str) -> Result<Option<LedgerInfo>> {
        let row = sqlx::query("SELECT id, asset, scale, name FROM ledgers WHERE asset = $1")
            .bind(asset)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ledger_info).transpose()
    }

    pub async fn ledger_account(&self, id: u128) -> Result<Option<AccountRow>> {
        let row = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1"))
            .bind(id_bytes(id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_row).transpose()
    }

    /// Every account of an owner (`member`, `org`, `pot`, `settlement`, `budget`).
    pub async fn ledger_accounts_of(&self, owner_kind: &str, owner_id: &str) -> Result<Vec<AccountRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE owner_kind = $1 AND owner_id = $2 ORDER BY ledger, code"
        ))
        .bind(owner_kind)
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(account_row).collect()
    }

    pub async fn ledger_accounts(&self) -> Result<Vec<AccountRow>> {
        let rows = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(account_row).collect()
    }

    pub async fn ledger_transfer(&self, id: u128) -> Result<Option<TransferRow>> {
        let row = sqlx::query(&format!("{SELECT_TRANSFERS} WHERE t.id = $1"))
            .bind(id_bytes(id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(transfer_row).transpose()
    }

    /// Every transfer that touched `account`, oldest first: its history chain, walked from the
    /// account's last transfer by primary key.
    pub async fn account_transfers(&self, account: u128) -> Result<Vec<TransferRow>> {
        let rows = sqlx::query(&format!(
            "WITH RECURSIVE chain (seq) AS ( \
                 SELECT last_seq FROM ledger_accounts WHERE id = $1 AND last_seq > 0 \
                 UNION ALL \
                 SELECT CASE WHEN h.debit_account_id = $2 THEN h.debit_prev_seq ELSE h.credit_prev_seq END \
                 FROM ledger_transfers h JOIN chain c ON h.seq = c.seq \
                 WHERE (CASE WHEN h.debit_account_id = $3 THEN h.debit_prev_seq ELSE h.credit_prev_seq END) > 0) \
             {SELECT_TRANSFERS} JOIN chain c ON t.seq = c.seq ORDER BY t.seq"
        ))
        .bind(id_bytes(account))
        .bind(id_bytes(account))
        .bind(id_bytes(account))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(transfer_row).collect()
    }

    /// Up to `limit` transfers after `after_seq`, in order: for streaming the whole log.
    pub async fn transfers_after(&self, after_seq: i64, limit: i64) -> Result<Vec<TransferRow>> {
        let rows = sqlx::query(&format!("{SELECT_TRANSFERS} WHERE t.seq > $1 ORDER BY t.seq LIMIT $2"))
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(transfer_row).collect()
    }

    /// The raw rows of `[first, last]`, to recompute a batch's digest.
    pub async fn transfer_records(&self, first: i64, last: i64) -> Result<Vec<TransferRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TRANSFER_COLUMNS} FROM ledger_transfers t WHERE t.seq >= $1 AND t.seq <= $2 ORDER BY t.seq"
        ))
        .bind(first)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(transfer_record).collect()
    }

    /// Applies one batch in one audited transaction (see the module comment).
    pub async fn ledger_batch(&self, actor: &str, batch: &LedgerBatch) -> Result<BatchOutcome> {
        let mut tx = self.write(actor).await?;
        let base = tx.claim_ledger().await?;
        let closed = tx.closed_requests(&batch.settles).await?;
        let skipped: HashSet<u128> = batch
            .settles
            .iter()
            .filter(|s| closed.contains(&s.request_id))
            .flat_map(|s| s.chain.iter().copied())
            .collect();
        let (outcome, changed) = if skipped.is_empty() {
            tx.apply_batch(batch, &self.ledger_cache, base).await?
        } else {
            let kept = LedgerBatch {
                transfers: batch.transfers.iter().filter(|t| !skipped.contains(&t.id)).copied().collect(),
                ..batch.clone()
            };
            let (kept_outcome, changed) = tx.apply_batch(&kept, &self.ledger_cache, base).await?;
            let mut answers = kept_outcome.transfers.iter();
            let transfers = batch
                .transfers
                .iter()
                .map(|t| {
                    if skipped.contains(&t.id) {
                        CreateTransferResult::LinkedEventFailed
                    } else {
                        *answers.next().expect("one answer per kept transfer")
                    }
                })
                .collect();
            (BatchOutcome { transfers, ..kept_outcome }, changed)
        };
        tx.mark_paid(batch, &outcome).await?;
        let outcome = BatchOutcome { closed_requests: closed, ..outcome };
        if tx.appended() > 0 {
            let max_written = batch
                .transfers
                .iter()
                .zip(&outcome.transfers)
                .filter(|(_, r)| **r == CreateTransferResult::Ok)
                .map(|(t, _)| t.id)
                .max();
            self.commit_ledger(tx, base, changed, max_written).await?;
        }
        Ok(outcome)
    }

    async fn commit_ledger(
        &self,
        tx: WriteTx,
        base: i64,
        changed: Vec<AccountRow>,
        max_written: Option<u128>,
    ) -> Result<()> {
        match tx.commit().await {
            Ok(()) => {
                after_commit(&self.ledger_cache, base, changed, max_written);
                Ok(())
            }
            Err(e) => {
                // A failed commit may or may not have landed: trust nothing cached.
                with_cache(&self.ledger_cache, |c| c.reset(-1));
                Err(e)
            }
        }
    }

    /// Expires every pending transfer due at `now_ms` (at most `limit`), each exactly once.
    pub async fn ledger_expire(&self, now_ms: i64, limit: i64) -> Result<Vec<u128>> {
        let mut tx = self.write("system").await?;
        let rows = sqlx::query(&format!(
            "{SELECT_TRANSFERS} WHERE t.id IN \
             (SELECT id FROM ledger_pending WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2)"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *tx.tx)
        .await?;
        let due: Vec<TransferRow> = rows.iter().map(transfer_row).collect::<Result<_>>()?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let base = tx.claim_ledger().await?;
        let mut engine = Ledger::default();
        let mut account_ids = Vec::with_capacity(due.len() * 2);
        for row in &due {
            account_ids.extend([row.record.debit_account_id, row.record.credit_account_id]);
            engine.restore_transfer(row.record.recorded(), row.state);
        }
        let accounts = tx.cached_accounts(&account_ids, &self.ledger_cache, base).await?;
        for a in accounts.values() {
            engine.restore_account(a.account);
        }
        let expired = engine.expire(now_ms);
        let states: Vec<(u128, PendingState, Option<i64>)> = due
            .iter()
            .filter(|r| expired.contains(&r.record.id))
            .map(|r| (r.record.id, PendingState::Expired, r.record.expires_at))
            .collect();
        tx.upsert_pending(&states).await?;
        let touched: Vec<AccountRow> = accounts
            .values()
            .filter_map(|a| engine.account(a.account.id).map(|now| AccountRow { account: *now, ..a.clone() }))
            .collect();
        tx.update_balances(&touched).await?;
        let ids: Vec<String> = expired.iter().map(|id| format!("{id:032x}")).collect();
        tx.audit("ledger.expire", "ledger", serde_json::json!({ "expired": ids })).await?;
        self.commit_ledger(tx, base, touched, None).await?;
        Ok(expired)
    }
}

async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
    rows: &[TransferRecord],
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO {table} (seq, id, debit_account_id, credit_account_id, amount, requested, pending_id, \
             timeout, ledger, code, flags, user_data, at_ms, expires_at, debit_prev_seq, credit_prev_seq) VALUES {}",
            values_placeholders(backend, chunk.len(), 16)
        );
        let mut query = sqlx::query(&sql);
        for r in chunk {
            query = query
                .bind(r.seq)
                .bind(id_bytes(r.id))
                .bind(id_bytes(r.debit_account_id))
                .bind(id_bytes(r.credit_account_id))
                .bind(amount_in(r.amount))
                .bind(amount_in(r.requested))
                .bind((r.pending_id != 0).then(|| id_bytes(r.pending_id)))
                .bind(i64::from(r.timeout))
                .bind(i64::from(r.ledger))
                .bind(i64::from(r.code))
                .bind(i64::from(r.flags))
                .bind((r.user_data != 0).then(|| id_bytes(r.user_data)))
                .bind(r.at_ms)
                .bind(r.expires_at)
                .bind(r.debit_prev_seq)
                .bind(r.credit_prev_seq);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

impl crate::Store {
    /// The benchmark's raw limit: creates `table` as a twin of the transfer log (same columns,
    /// types and indexes: the primary key and the unique id), replacing any earlier one.
    pub async fn create_raw_twin(&self, table: &str) -> Result<()> {
        let blob = match self.backend() {
            crate::Backend::Sqlite => "BLOB",
            crate::Backend::Postgres => "BYTEA",
        };
        sqlx::query(&format!("DROP TABLE IF EXISTS {table}")).execute(&self.pool).await?;
        sqlx::query(&format!(
            "CREATE TABLE {table} (seq BIGINT PRIMARY KEY NOT NULL, id {blob} NOT NULL UNIQUE, \
             debit_account_id {blob} NOT NULL, credit_account_id {blob} NOT NULL, amount BIGINT NOT NULL, \
             requested BIGINT NOT NULL, pending_id {blob}, timeout BIGINT NOT NULL, ledger BIGINT NOT NULL, \
             code BIGINT NOT NULL, flags BIGINT NOT NULL, user_data {blob}, at_ms BIGINT NOT NULL, expires_at BIGINT, \
             debit_prev_seq BIGINT NOT NULL, credit_prev_seq BIGINT NOT NULL)"
        ))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Inserts rows into a raw twin in one plain transaction: no engine, no audit.
    pub async fn insert_raw_rows(&self, table: &str, rows: &[TransferRecord]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_rows(&mut tx, self.backend(), table, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The backend's durability settings, in words, for benchmark reports.
    pub async fn durability(&self) -> Result<String> {
        Ok(match self.backend() {
            crate::Backend::Sqlite => {
                let mode: String = sqlx::query("PRAGMA journal_mode").fetch_one(&self.pool).await?.try_get(0)?;
                let sync: i64 = sqlx::query("PRAGMA synchronous").fetch_one(&self.pool).await?.try_get(0)?;
                let sync = match sync {
                    0 => "OFF",
                    1 => "NORMAL",
                    2 => "FULL",
                    _ => "EXTRA",
                };
                format!("journal_mode={mode} synchronous={sync}")
            }
            crate::Backend::Postgres => {
                let commit: String = sqlx::query("SHOW synchronous_commit").fetch_one(&self.pool).await?.try_get(0)?;
                let fsync: String = sqlx::query("SHOW fsync").fetch_one(&self.pool).await?.try_get(0)?;
                format!("synchronous_commit={commit} fsync={fsync}")
            }
        })
    }
}

impl WriteTx {
    /// Bumps the ledger version; returns the version this transaction starts from.
    async fn claim_ledger(&mut self) -> Result<i64> {
        let row = sqlx::query("UPDATE ledger_head SET version = version + 1 WHERE id = 1 RETURNING version")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.try_get::<i64, _>(0)? - 1)
    }

    /// The accounts named, from the cache when it is at `base`, else from the database (and
    /// then cached: what this transaction reads is the state at `base`).
    async fn cached_accounts(&mut self, ids: &[u128], cache: &Cache, base: i64) -> Result<HashMap<u128, AccountRow>> {
        let (mut found, missing) = with_cache(cache, |c| {
            if c.version != base {
                c.reset(base);
            }
            let mut found = HashMap::with_capacity(ids.len());
            let mut missing = Vec::new();
            for id in ids {
                match c.accounts.get(id) {
                    Some(row) => {
                        found.insert(*id, row.clone());
                    }
                    None => missing.push(*id),
                }
            }
            (found, missing)
        });
        if missing.is_empty() {
            return Ok(found);
        }
        let loaded = self.load_accounts(&missing).await?;
        with_cache(cache, |c| {
            if c.version == base && c.accounts.len() + loaded.len() <= CACHE_MAX_ACCOUNTS {
                c.accounts.extend(loaded.iter().map(|(id, row)| (*id, row.clone())));
            }
        });
        found.extend(loaded);
        Ok(found)
    }

    /// Checks an imported batch's time: not in the future, not before the last transfer.
    async fn imported_time(&mut self, at: i64) -> Result<i64> {
        if at > self.at_ms() {
            return Err(StoreError::Rule("imported transfers cannot be dated in the future".into()));
        }
        let last = sqlx::query("SELECT at_ms FROM ledger_transfers ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?;
        if last.is_some_and(|last| at < last) {
            return Err(StoreError::Rule("imported transfers must not be dated before the last transfer".into()));
        }
        Ok(at)
    }

    /// The largest stored transfer id (None: no transfer yet), cached per ledger version.
    async fn max_transfer_id(&mut self, cache: &Cache, base: i64) -> Result<Option<u128>> {
        let known = with_cache(cache, |c| {
            if c.version != base {
                c.reset(base);
            }
            c.max_transfer_id
        });
        if known.is_some() {
            return Ok(known);
        }
        // PostgreSQL has no MAX(bytea); the unique index answers this on both backends.
        let row = sqlx::query("SELECT id FROM ledger_transfers ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await?;
        let max = row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?.map(|b| id_from(&b)).transpose()?;
        with_cache(cache, |c| {
            if c.version == base {
                c.max_transfer_id = max;
            }
        });
        Ok(max)
    }

    async fn load_accounts(&mut self, ids: &[u128]) -> Result<HashMap<u128, AccountRow>> {
        let ids: Vec<u128> = ids.iter().copied().filter(|id| *id != 0).collect();
        let mut found = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id IN ({})",
                list_placeholders(self.backend, 0, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id_bytes(*id));
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                let a = account_row(&row)?;
                found.insert(a.account.id, a);
            }
        }
        Ok(found)
    }

    async fn load_transfers(&mut self, ids: &[u128]) -> Result<Vec<TransferRow>> {
        let ids: Vec<u128> = ids.iter().copied().filter(|id| *id != 0).collect();
        let mut found = Vec::new();
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let sql = format!(
                "SELECT {TRANSFER_COLUMNS}, p.state, NULL AS memo FROM ledger_transfers t \
                 LEFT JOIN ledger_pending p ON p.id = t.id WHERE t.id IN ({})",
                list_placeholders(self.backend, 0, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id_bytes(*id));
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                found.push(transfer_row(&row)?);
            }
        }
        Ok(found)
    }

    /// Creates ledgers (currencies); an existing asset code is a conflict.
    pub async fn create_ledger(&mut self, asset: &str, scale: u32, name: &str) -> Result<LedgerInfo> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM ledgers").fetch_one(&mut *self.tx).await?;
        let id: i64 = row.try_get(0)?;
        sqlx::query("INSERT INTO ledgers (id, asset, scale, name, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(asset)
            .bind(i64::from(scale))
            .bind(name)
            .bind(self.at_ms())
            .execute(&mut *self.tx)
            .await
            .map_err(crate::conflict_as("a ledger with this asset code"))?;
        let info = LedgerInfo { id: small(id, "ledger")?, asset: asset.to_owned(), scale, name: name.to_owned() };
        self.audit(
            "ledger.create",
            asset,
            serde_json::json!({ "id": id, "asset": asset, "scale": scale, "name": name }),
        )
        .await?;
        Ok(info)
    }

    /// The engine's work for one batch, inside this transaction: the outcome, and every account
    /// row created or changed. Appends audit entries only when something was written; the
    /// caller commits.
    async fn apply_batch(
        &mut self,
        batch: &LedgerBatch,
        cache: &Cache,
        base: i64,
    ) -> Result<(BatchOutcome, Vec<AccountRow>)> {
        let now = match batch.imported_at_ms {
            None => self.at_ms(),
            Some(at) => self.imported_time(at).await?,
        };
        let mut engine = Ledger::default();
        // What the batch touches: its own transfer ids (retries), the pending transfers it
        // settles, and every account either of those names.
        let max_stored = self.max_transfer_id(cache, base).await?;
        let mut transfer_ids: Vec<u128> =
            batch.transfers.iter().map(|t| t.id).filter(|id| max_stored.is_none_or(|max| *id <= max)).collect();
        transfer_ids.extend(batch.transfers.iter().map(|t| t.pending_id).filter(|id| *id != 0));
        sorted_unique(&mut transfer_ids);
        let loaded = self.load_transfers(&transfer_ids).await?;
        let mut account_ids: Vec<u128> = batch.accounts.iter().map(|a| a.account.id).collect();
        for t in &batch.transfers {
            account_ids.extend([t.debit_account_id, t.credit_account_id]);
        }
        for row in &loaded {
            account_ids.extend([row.record.debit_account_id, row.record.credit_account_id]);
            engine.restore_transfer(row.record.recorded(), row.state);
        }
        sorted_unique(&mut account_ids);
        let mut accounts = self.cached_accounts(&account_ids, cache, base).await?;
        for a in accounts.values() {
            engine.restore_account(a.account);
        }
        let account_inputs: Vec<Account> = batch.accounts.iter().map(|a| a.account).collect();
        let account_results = engine.create_accounts(&account_inputs);
        let results = engine.create_transfers(&batch.transfers, now);
        let used: HashSet<u128> = batch
            .transfers
            .iter()
            .zip(&results)
            .filter(|(_, r)| **r == CreateTransferResult::Ok)
            .flat_map(|(t, _)| [t.debit_account_id, t.credit_account_id])
            .collect();
        let mut created = Vec::new();
        for (new, result) in batch.accounts.iter().zip(&account_results) {
            // A wallet made on the way to a refused payment is not kept; a post or void names no
            // accounts, but its pending transfer's accounts exist already.
            if *result == CreateAccountResult::Ok && (!new.only_if_used || used.contains(&new.account.id)) {
                let row = AccountRow {
                    account: new.account,
                    owner_kind: new.owner_kind.as_str().into(),
                    owner_id: new.owner_id.as_str().into(),
                    last_seq: 0,
                    created_at: now,
                };
                accounts.insert(new.account.id, row.clone());
                created.push(row);
            }
        }
        self.insert_accounts(&created).await?;
        let (written, mut changed) = self.write_transfers(&engine, batch, &results, &mut accounts).await?;
        let untouched: Vec<AccountRow> =
            created.iter().filter(|c| !changed.iter().any(|r| r.account.id == c.account.id)).cloned().collect();
        changed.extend(untouched);
        if !created.is_empty() {
            let ids: Vec<String> = created.iter().map(|a| format!("{:032x}", a.account.id)).collect();
            self.audit("ledger.accounts", "ledger", serde_json::json!({ "created": ids })).await?;
        }
        if let (Some(first), Some(last)) = (written.first(), written.last()) {
            let subject = format!("seq:{}-{}", first.seq, last.seq);
            let change = serde_json::json!({
                "first_seq": first.seq,
                "last_seq": last.seq,
                "transfers": written.len(),
                "refused": results.len() - written.len(),
                "digest": digest(&written),
            });
            self.audit("ledger.batch", &subject, change).await?;
        }
        Ok((
            BatchOutcome { accounts: account_results, transfers: results, at_ms: now, closed_requests: Vec::new() },
            changed,
        ))
    }

    async fn write_transfers(
        &mut self,
        engine: &Ledger,
        batch: &LedgerBatch,
        results: &[CreateTransferResult],
        accounts: &mut HashMap<u128, AccountRow>,
    ) -> Result<(Vec<TransferRecord>, Vec<AccountRow>)> {
        let ok: Vec<&Transfer> = batch
            .transfers
            .iter()
            .zip(results)
            .filter(|(_, r)| **r == CreateTransferResult::Ok)
            .map(|(t, _)| t)
            .collect();
        if ok.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM ledger_transfers").fetch_one(&mut *self.tx).await?;
        let mut seq: i64 = row.try_get(0)?;
        let mut written = Vec::with_capacity(ok.len());
        let mut fates: Vec<(u128, PendingState, Option<i64>)> = Vec::new();
        let mut touched: Vec<u128> = Vec::with_capacity(ok.len() * 2);
        for t in ok {
            let recorded = engine
                .transfer(t.id)
                .ok_or_else(|| StoreError::Corrupt(format!("transfer {:032x} succeeded but is missing", t.id)))?;
            let pending = engine.transfer(t.pending_id).filter(|_| t.flags.settles());
            seq += 1;
            let mut record = TransferRecord::from_recorded(seq, recorded, pending);
            touched.extend([record.debit_account_id, record.credit_account_id]);
            // Link the transfer into both accounts' history chains.
            for (account, prev) in [
                (record.debit_account_id, &mut record.debit_prev_seq),
                (record.credit_account_id, &mut record.credit_prev_seq),
            ] {
                let row = accounts.get_mut(&account).ok_or_else(|| {
                    StoreError::Corrupt(format!("account {account:032x} moved money but was not loaded"))
                })?;
                *prev = row.last_seq;
                row.last_seq = seq;
            }
            if t.flags.pending {
                fates.push((t.id, PendingState::Pending, recorded.expires_at_ms));
            }
            written.push(record);
        }
        // The final fate of every pending transfer this batch created or settled.
        for (id, state, _) in fates.iter_mut() {
            *state = engine.pending_state(*id).unwrap_or(*state);
        }
        for t in
            batch.transfers.iter().zip(results).filter(|(t, r)| **r == CreateTransferResult::Ok && t.flags.settles())
        {
            let pending_id = t.0.pending_id;
            if !fates.iter().any(|f| f.0 == pending_id) {
                let state = engine.pending_state(pending_id).unwrap_or(PendingState::Pending);
                let expires = engine.transfer(pending_id).and_then(|p| p.expires_at_ms);
                fates.push((pending_id, state, expires));
            }
        }
        self.insert_transfer_rows("ledger_transfers", &written).await?;
        self.upsert_pending(&fates).await?;
        sorted_unique(&mut touched);
        let changed: Vec<AccountRow> = touched
            .iter()
            .filter_map(|id| {
                let now_account = engine.account(*id)?;
                let row = accounts.get_mut(id)?;
                row.account = *now_account;
                Some(row.clone())
            })
            .collect();
        self.update_balances(&changed).await?;
        let memos: Vec<(u128, &Note)> =
            written.iter().filter_map(|r| batch.notes.get(&r.id).map(|m| (r.id, m))).collect();
        for chunk in memos.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO ledger_notes (transfer_id, memo, actor) VALUES {}",
                values_placeholders(self.backend, chunk.len(), 3)
            );
            let mut query = sqlx::query(&sql);
            for (id, note) in chunk {
                query = query.bind(id_bytes(*id)).bind(note.memo.clone()).bind(note.actor.clone());
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok((written, changed))
    }

    /// The requests among `settles` that can no longer be paid by their transfer: not open, and
    /// not already paid by that very transfer (a retry, which the engine answers `exists`).
    async fn closed_requests(&mut self, settles: &[Settle]) -> Result<Vec<String>> {
        let mut closed = Vec::new();
        for s in settles {
            let row = sqlx::query("SELECT status, transfer_id FROM payment_requests WHERE id = $1")
                .bind(&s.request_id)
                .fetch_optional(&mut *self.tx)
                .await?;
            let open = match row {
                Some(r) => {
                    let status: String = r.try_get(0)?;
                    let paid_by: Option<Vec<u8>> = r.try_get(1)?;
                    status == "open" || (status == "paid" && paid_by == Some(id_bytes(s.transfer_id)))
                }
                None => false,
            };
            if !open {
                closed.push(s.request_id.clone());
            }
        }
        Ok(closed)
    }

    /// Marks paid every request whose paying transfer this batch wrote (or found written).
    async fn mark_paid(&mut self, batch: &LedgerBatch, outcome: &BatchOutcome) -> Result<()> {
        for s in &batch.settles {
            let result =
                batch.transfers.iter().zip(&outcome.transfers).find(|(t, _)| t.id == s.transfer_id).map(|(_, r)| *r);
            if matches!(result, Some(CreateTransferResult::Ok | CreateTransferResult::Exists)) {
                // False when it is already paid by this transfer: a retry changes nothing.
                self.decide_payment_request(&s.request_id, "paid", Some(s.transfer_id)).await?;
            }
        }
        Ok(())
    }

    /// Multi-row insert of transfer rows into `table` (the ledger's, or the benchmark's raw twin).
    pub async fn insert_transfer_rows(&mut self, table: &str, rows: &[TransferRecord]) -> Result<()> {
        insert_rows(&mut self.tx, self.backend, table, rows).await
    }

    async fn upsert_pending(&mut self, fates: &[(u128, PendingState, Option<i64>)]) -> Result<()> {
        let now = self.at_ms();
        for chunk in fates.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO ledger_pending (id, state, expires_at, updated_at) VALUES {} \
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                values_placeholders(self.backend, chunk.len(), 4)
            );
            let mut query = sqlx::query(&sql);
            for (id, state, expires) in chunk {
                query = query.bind(id_bytes(*id)).bind(state.as_str()).bind(*expires).bind(now);
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Writes the balances, flags and history heads of existing accounts, seven parameters a row.
    async fn update_balances(&mut self, rows: &[AccountRow]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "WITH v (id, flags, debits_pending, debits_posted, credits_pending, credits_posted, last_seq) \
                 AS (VALUES {}) \
                 UPDATE ledger_accounts SET flags = v.flags, debits_pending = v.debits_pending, \
                 debits_posted = v.debits_posted, credits_pending = v.credits_pending, \
                 credits_posted = v.credits_posted, last_seq = v.last_seq FROM v WHERE ledger_accounts.id = v.id",
                values_placeholders(self.backend, chunk.len(), 7)
            );
            let mut query = sqlx::query(&sql);
            for r in chunk {
                let a = &r.account;
                query = query
                    .bind(id_bytes(a.id))
                    .bind(i64::from(a.flags.bits()))
                    .bind(amount_in(a.debits_pending))
                    .bind(amount_in(a.debits_posted))
                    .bind(amount_in(a.credits_pending))
                    .bind(amount_in(a.credits_posted))
                    .bind(r.last_seq);
            }
            let updated = query.execute(&mut *self.tx).await?.rows_affected();
            if updated != chunk.len() as u64 {
                return Err(StoreError::Corrupt(format!("{updated} of {} account balances updated", chunk.len())));
            }
        }
        Ok(())
    }

    async fn insert_accounts(&mut self, rows: &[AccountRow]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO ledger_accounts ({ACCOUNT_COLUMNS}) VALUES {}",
                values_placeholders(self.backend, chunk.len(), 13)
            );
            let mut query = sqlx::query(&sql);
            for r in chunk {
                let a = &r.account;
                query = query
                    .bind(id_bytes(a.id))
                    .bind(i64::from(a.ledger))
                    .bind(i64::from(a.code))
                    .bind(i64::from(a.flags.bits()))
                    .bind((a.user_data != 0).then(|| id_bytes(a.user_data)))
                    .bind(r.owner_kind.to_string())
                    .bind(r.owner_id.to_string())
                    .bind(amount_in(a.debits_pending))
                    .bind(amount_in(a.debits_posted))
                    .bind(amount_in(a.credits_pending))
                    .bind(amount_in(a.credits_posted))
                    .bind(r.last_seq)
                    .bind(r.created_at);
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}
