//! The ledger's rows: accounts and transfers as stored, how they are encoded and decoded, and
//! the multi-row insert of transfers.

use crate::error::{Result, StoreError};
use crate::sql::{Backend, values_placeholders};
use commune_domain::ledger::check::StoredTransfer;
use commune_domain::ledger::engine::Recorded;
use commune_domain::ledger::{
    Account, AccountFlags, CreateAccountResult, CreateTransferResult, PendingState, Transfer, TransferFlags,
};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;
use std::sync::Arc;

/// Storage-only flag bits: which fields of a post or void were left 0 (inherited from the
/// pending transfer). The row keeps the effective values, so statements need no join, and the
/// input is rebuilt exactly for idempotency checks.
pub(crate) const INHERITED_DEBIT: u16 = 1 << 8;
pub(crate) const INHERITED_CREDIT: u16 = 1 << 9;
pub(crate) const INHERITED_LEDGER: u16 = 1 << 10;
pub(crate) const INHERITED_CODE: u16 = 1 << 11;

/// Rows per multi-row statement: 16 parameters a row stays under SQLite's 32,766 limit.
pub(crate) const ROWS_PER_STATEMENT: usize = 2_000;
/// Ids per `IN (...)` lookup.
pub(crate) const IDS_PER_LOOKUP: usize = 4_000;

pub(crate) fn sorted_unique(ids: &mut Vec<u128>) {
    ids.sort_unstable();
    ids.dedup();
}

pub fn id_bytes(id: u128) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

pub(crate) fn id_from(bytes: &[u8]) -> Result<u128> {
    let array: [u8; 16] =
        bytes.try_into().map_err(|_| StoreError::Corrupt(format!("a ledger id of {} bytes", bytes.len())))?;
    Ok(u128::from_be_bytes(array))
}

pub(crate) fn opt_id(row: &AnyRow, column: &str) -> Result<u128> {
    row.try_get::<Option<Vec<u8>>, _>(column)?.map_or(Ok(0), |b| id_from(&b))
}

/// u64 amounts are stored bit for bit in BIGINT.
pub(crate) fn amount_in(v: u64) -> i64 {
    v as i64
}

pub(crate) fn amount_out(v: i64) -> u64 {
    v as u64
}

pub(crate) fn small<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T> {
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
    /// How many transfers touched this account (a checkpoint is stored after every
    /// [`CHECKPOINT_EVERY`](commune_domain::ledger::statement::CHECKPOINT_EVERY)th).
    pub transfers: i64,
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
    pub(crate) fn recorded(&self) -> Recorded {
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
    pub(crate) fn from_recorded(seq: i64, r: &Recorded, pending: Option<&Recorded>) -> TransferRecord {
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

    pub(crate) fn digest_into(&self, hash: &mut Sha256) {
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

pub(crate) const TRANSFER_COLUMNS: &str = "t.seq, t.id, t.debit_account_id, t.credit_account_id, t.amount, t.requested, \
     t.pending_id, t.timeout, t.ledger, t.code, t.flags, t.user_data, t.at_ms, t.expires_at, t.debit_prev_seq, \
     t.credit_prev_seq";
pub(crate) const ACCOUNT_COLUMNS: &str = "id, ledger, code, flags, user_data, owner_kind, owner_id, debits_pending, \
     debits_posted, credits_pending, credits_posted, last_seq, created_at, transfer_count";

pub(crate) fn transfer_record(r: &AnyRow) -> Result<TransferRecord> {
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

pub(crate) fn transfer_row(r: &AnyRow) -> Result<TransferRow> {
    let state: Option<String> = r.try_get("state")?;
    Ok(TransferRow {
        record: transfer_record(r)?,
        state: state
            .map(|s| PendingState::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("pending state '{s}'"))))
            .transpose()?,
        memo: r.try_get("memo")?,
    })
}

pub(crate) fn account_row(r: &AnyRow) -> Result<AccountRow> {
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
        transfers: r.try_get("transfer_count")?,
    })
}

pub(crate) fn ledger_info(r: &AnyRow) -> Result<LedgerInfo> {
    Ok(LedgerInfo {
        id: small(r.try_get("id")?, "ledger")?,
        asset: r.try_get("asset")?,
        scale: small(r.try_get("scale")?, "scale")?,
        name: r.try_get("name")?,
    })
}

pub(crate) const SELECT_TRANSFERS: &str = "SELECT t.seq, t.id, t.debit_account_id, t.credit_account_id, t.amount, t.requested, \
     t.pending_id, t.timeout, t.ledger, t.code, t.flags, t.user_data, t.at_ms, t.expires_at, t.debit_prev_seq, \
     t.credit_prev_seq, p.state, n.memo \
     FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.id = t.id \
     LEFT JOIN ledger_notes n ON n.transfer_id = t.id";

pub(crate) async fn insert_rows(
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
