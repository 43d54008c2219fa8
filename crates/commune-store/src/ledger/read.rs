//! Reading the ledger: ledgers, accounts, transfers and an account's history.

use crate::error::Result;

use super::rows::*;

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

}
