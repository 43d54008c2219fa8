//! Reading the ledger: ledgers, accounts, transfers and an account's history.

use crate::error::{Result, StoreError};

use super::rows::*;
use commune_domain::ledger::statement::CHECKPOINT_EVERY;
use sqlx::Row;

impl crate::Store {
    pub async fn ledgers(&self) -> Result<Vec<LedgerInfo>> {
        let rows =
            sqlx::query("SELECT id, asset, scale, name FROM ledgers ORDER BY id").fetch_all(self.reader()).await?;
        rows.iter().map(ledger_info).collect()
    }

    pub async fn ledger_by_asset(&self, asset: &str) -> Result<Option<LedgerInfo>> {
        let row = sqlx::query("SELECT id, asset, scale, name FROM ledgers WHERE asset = $1")
            .bind(asset)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(ledger_info).transpose()
    }

    pub async fn ledger_account(&self, id: u128) -> Result<Option<AccountRow>> {
        let row = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1"))
            .bind(id_bytes(id))
            .fetch_optional(self.reader())
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
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(account_row).collect()
    }

    pub async fn ledger_accounts(&self) -> Result<Vec<AccountRow>> {
        let rows = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts ORDER BY id"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(account_row).collect()
    }

    pub async fn ledger_transfer(&self, id: u128) -> Result<Option<TransferRow>> {
        let row = sqlx::query(&format!("{SELECT_TRANSFERS} WHERE t.id = $1"))
            .bind(id_bytes(id))
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(transfer_row).transpose()
    }

    /// Up to `limit` transfers after `after_seq`, in order: for streaming the whole log.
    pub async fn transfers_after(&self, after_seq: i64, limit: i64) -> Result<Vec<TransferRow>> {
        let rows = sqlx::query(&format!("{SELECT_TRANSFERS} WHERE t.seq > $1 ORDER BY t.seq LIMIT $2"))
            .bind(after_seq)
            .bind(limit)
            .fetch_all(self.reader())
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
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(transfer_record).collect()
    }

    /// A slice of `account`'s history for a statement page: its transfers newest first, from the
    /// second checkpoint at or after `top` (the newest line the page shows: the line before
    /// `before`, or the account's last) down to `lines` lines at or below `top`, with the posted
    /// balance at that checkpoint. At most `2 × CHECKPOINT_EVERY + lines` rows are read.
    pub async fn account_page(&self, account: &AccountRow, before: Option<i64>, lines: i64) -> Result<AccountPage> {
        let me = account.account.id;
        let top = match before {
            None => account.last_seq,
            Some(cursor) => {
                let row = sqlx::query(
                    "SELECT debit_account_id, credit_account_id, debit_prev_seq, credit_prev_seq \
                     FROM ledger_transfers WHERE seq = $1",
                )
                .bind(cursor)
                .fetch_optional(self.reader())
                .await?
                .ok_or(StoreError::NotFound("statement cursor"))?;
                let (debit, credit) =
                    (id_from(&row.try_get::<Vec<u8>, _>(0)?)?, id_from(&row.try_get::<Vec<u8>, _>(1)?)?);
                match (debit == me, credit == me) {
                    (true, _) => row.try_get(2)?,
                    (_, true) => row.try_get(3)?,
                    _ => return Err(StoreError::NotFound("statement cursor")),
                }
            }
        };
        let checkpoint_balance = |debits: u64, credits: u64| i128::from(credits) - i128::from(debits);
        if top == 0 {
            return Ok(AccountPage { top, checkpoint_balance: 0, crossed: Vec::new(), rows: Vec::new() });
        }
        // Start from the second checkpoint at or after `top` (or the account row), so the walk
        // passes the nearest one and the fold checks it: no page rests on one stored value alone.
        let above = sqlx::query(
            "SELECT seq, debits_posted, credits_posted FROM ledger_checkpoints \
             WHERE account_id = $1 AND seq >= $2 ORDER BY seq LIMIT 2",
        )
        .bind(id_bytes(me))
        .bind(top)
        .fetch_all(self.reader())
        .await?;
        let (start, balance) = match above.get(1) {
            Some(c) => {
                (c.try_get::<i64, _>(0)?, checkpoint_balance(amount_out(c.try_get(1)?), amount_out(c.try_get(2)?)))
            }
            None => {
                (account.last_seq, checkpoint_balance(account.account.debits_posted, account.account.credits_posted))
            }
        };
        let depth = 2 * CHECKPOINT_EVERY + lines.clamp(1, MAX_PAGE_LINES);
        let rows = sqlx::query(&format!(
            "WITH RECURSIVE chain (seq, depth) AS ( \
                 SELECT CAST($1 AS BIGINT), CAST(1 AS BIGINT) \
                 UNION ALL \
                 SELECT CASE WHEN h.debit_account_id = $2 THEN h.debit_prev_seq ELSE h.credit_prev_seq END, c.depth + 1 \
                 FROM ledger_transfers h JOIN chain c ON h.seq = c.seq \
                 WHERE c.depth < $3 AND (CASE WHEN h.debit_account_id = $4 THEN h.debit_prev_seq ELSE h.credit_prev_seq END) > 0) \
             {SELECT_TRANSFERS} JOIN chain c ON t.seq = c.seq ORDER BY t.seq DESC"
        ))
        .bind(start)
        .bind(id_bytes(me))
        .bind(depth)
        .bind(id_bytes(me))
        .fetch_all(self.reader())
        .await?;
        let rows: Vec<TransferRow> = rows.iter().map(transfer_row).collect::<Result<_>>()?;
        // The other checkpoints the slice passes, so the fold can check the balance at each.
        let lowest = rows.last().map_or(start, |r| r.record.seq);
        let crossed = sqlx::query(
            "SELECT seq, debits_posted, credits_posted FROM ledger_checkpoints \
             WHERE account_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq",
        )
        .bind(id_bytes(me))
        .bind(lowest)
        .bind(start)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|c| Ok((c.try_get(0)?, checkpoint_balance(amount_out(c.try_get(1)?), amount_out(c.try_get(2)?)))))
        .collect::<Result<_>>()?;
        Ok(AccountPage { top, checkpoint_balance: balance, crossed, rows })
    }

    /// Every stored checkpoint `(account, seq, debits_posted, credits_posted)`, in seq order (one
    /// per 128 transfers of an account: the log's size over 64 at most), for `commune verify`.
    pub async fn ledger_checkpoints(&self) -> Result<Vec<(u128, i64, u64, u64)>> {
        let rows = sqlx::query(
            "SELECT account_id, seq, debits_posted, credits_posted FROM ledger_checkpoints ORDER BY seq, account_id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    id_from(&r.try_get::<Vec<u8>, _>(0)?)?,
                    r.try_get(1)?,
                    amount_out(r.try_get(2)?),
                    amount_out(r.try_get(3)?),
                ))
            })
            .collect()
    }

    /// Holds still reserving money on `account` (placed by it or for it), newest first, at most `limit`.
    pub async fn pending_of(&self, account: u128, limit: i64) -> Result<Vec<TransferRow>> {
        let rows = sqlx::query(&format!(
            "{SELECT_TRANSFERS} WHERE p.state = 'pending' AND (t.debit_account_id = $1 OR t.credit_account_id = $2) \
             ORDER BY t.seq DESC LIMIT $3"
        ))
        .bind(id_bytes(account))
        .bind(id_bytes(account))
        .bind(limit.clamp(1, MAX_PAGE_LINES))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(transfer_row).collect()
    }
}

/// The most lines one statement page may ask for.
pub const MAX_PAGE_LINES: i64 = 1_000;

/// A slice of one account's history (see [`crate::Store::account_page`]).
#[derive(Debug, Clone)]
pub struct AccountPage {
    /// The newest line the page shows (0: the account has no lines there).
    pub top: i64,
    /// The account's posted balance (credits − debits) after `rows[0]`.
    pub checkpoint_balance: i128,
    /// The other checkpoints inside the slice: `(seq, posted balance after it)`.
    pub crossed: Vec<(i64, i128)>,
    /// The account's transfers, newest first, from the checkpoint down.
    pub rows: Vec<TransferRow>,
}
