//! Reading and verifying the audit chain.

use crate::{Result, Store};
use commune_domain::audit::{Broken, Entry, Verifier};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The outcome of a full chain verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact { entries: i64 },
    Broken(Broken),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditStats {
    pub entries: i64,
    pub head_hash: String,
}

pub(crate) fn entry_from(row: &AnyRow) -> Result<Entry> {
    Ok(Entry {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        payload: row.try_get("payload")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

pub(crate) const ENTRY_COLUMNS: &str = "seq, at_ms, actor, action, subject, payload, prev_hash, hash";

/// Entries are read this many at a time, so verification runs in bounded memory.
const PAGE: i64 = 5_000;

impl Store {
    pub async fn audit_head(&self) -> Result<AuditStats> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(self.reader()).await?;
        Ok(AuditStats { entries: row.try_get(0)?, head_hash: row.try_get(1)? })
    }

    /// The newest `limit` entries, newest first.
    pub async fn audit_tail(&self, limit: i64) -> Result<Vec<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT $1");
        sqlx::query(&sql).bind(limit.clamp(1, 1000)).fetch_all(self.reader()).await?.iter().map(entry_from).collect()
    }

    /// Every entry of one action (e.g. `ledger.batch`), oldest first.
    pub async fn audit_entries(&self, action: &str) -> Result<Vec<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE action = $1 ORDER BY seq");
        sqlx::query(&sql).bind(action).fetch_all(self.reader()).await?.iter().map(entry_from).collect()
    }

    /// Recomputes the whole chain, page by page, and names the first broken link.
    /// `progress` is called with the number of entries checked so far.
    pub async fn verify_audit(&self, mut progress: impl FnMut(i64)) -> Result<ChainReport> {
        let head = self.audit_head().await?;
        let mut verifier = Verifier::default();
        let mut after = 0_i64;
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        loop {
            let rows = sqlx::query(&sql).bind(after).bind(PAGE).fetch_all(self.reader()).await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("seq")?;
            for row in &rows {
                let entry = entry_from(row)?;
                if let Err(broken) = verifier.push(&entry) {
                    return Ok(ChainReport::Broken(broken));
                }
            }
            progress(after);
        }
        Ok(match verifier.finish(head.entries, &head.head_hash) {
            Ok(entries) => ChainReport::Intact { entries },
            Err(broken) => ChainReport::Broken(broken),
        })
    }
}
