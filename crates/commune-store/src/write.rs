//! Write transactions. Each one first claims the audit chain's head row: that serialises writers
//! on both backends (a row lock on PostgreSQL; on SQLite the first statement takes the write lock,
//! so no transaction ever has to upgrade a read lock and fail with `SQLITE_BUSY`). Entries are
//! chained as they are appended and the head is moved in the same commit.

use crate::{Result, StoreError};
use commune_domain::audit::{Draft, Entry};
use sqlx::{Any, Row, Transaction};

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// An open write transaction on behalf of `actor`. Dropping it without [`WriteTx::commit`]
/// rolls everything back, audit entries included.
pub struct WriteTx {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) backend: crate::Backend,
    actor: String,
    at_ms: i64,
    head_seq: i64,
    head_hash: String,
    appended: usize,
}

impl crate::Store {
    /// Begins a write transaction for `actor` (a member id, `token:<id>`, or `system`).
    pub async fn write(&self, actor: &str) -> Result<WriteTx> {
        self.write_at(actor, now_ms()).await
    }

    /// Begins a write transaction that happens at `at_ms`: the scheduler's own clock (the instant
    /// it was asked to act for), or imported history such as the demo commune's past season.
    /// Every row and audit entry it writes carries that instant.
    /// On a cluster whose primary is away (a failover), it waits for the new primary: nothing
    /// was written yet, so beginning again is safe.
    pub async fn write_at(&self, actor: &str, at_ms: i64) -> Result<WriteTx> {
        let since = std::time::Instant::now();
        loop {
            match self.begin_write(actor, at_ms).await {
                Err(e) if e.is_unavailable() && self.wait_for_primary(since).await => continue,
                begun => return begun,
            }
        }
    }

    async fn begin_write(&self, actor: &str, at_ms: i64) -> Result<WriteTx> {
        let mut tx = self.pool.begin().await?;
        let row =
            sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash").fetch_one(&mut *tx).await?;
        Ok(WriteTx {
            tx,
            backend: self.backend(),
            actor: actor.to_owned(),
            at_ms,
            head_seq: row.try_get(0)?,
            head_hash: row.try_get(1)?,
            appended: 0,
        })
    }
}

impl WriteTx {
    /// The time of this transaction: every row it writes carries the same instant.
    pub fn at_ms(&self) -> i64 {
        self.at_ms
    }

    /// How many audit entries this transaction has appended so far.
    pub fn appended(&self) -> usize {
        self.appended
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Appends an audit entry: `action` like `org.create`, `subject` the id it concerns, and the
    /// change itself as JSON (never a secret or a secret's hash).
    pub async fn audit(&mut self, action: &str, subject: &str, change: serde_json::Value) -> Result<()> {
        let payload = change.to_string();
        let entry: Entry = Draft {
            seq: self.head_seq + 1,
            at_ms: self.at_ms,
            actor: &self.actor,
            action,
            subject,
            payload: &payload,
            prev_hash: &self.head_hash,
        }
        .seal();
        sqlx::query(
            "INSERT INTO audit_log (seq, at_ms, actor, action, subject, payload, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entry.seq)
        .bind(entry.at_ms)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.subject)
        .bind(&entry.payload)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *self.tx)
        .await?;
        self.head_seq = entry.seq;
        self.head_hash = entry.hash;
        self.appended += 1;
        Ok(())
    }

    /// Appends many audit entries with multi-row inserts: `(actor, action, subject, change)`.
    pub async fn audit_many(&mut self, items: &[(String, &str, String, serde_json::Value)]) -> Result<()> {
        let mut entries: Vec<Entry> = Vec::with_capacity(items.len());
        for (actor, action, subject, change) in items {
            let payload = change.to_string();
            let entry = Draft {
                seq: self.head_seq + 1,
                at_ms: self.at_ms,
                actor,
                action,
                subject,
                payload: &payload,
                prev_hash: &self.head_hash,
            }
            .seal();
            self.head_seq = entry.seq;
            self.head_hash.clone_from(&entry.hash);
            entries.push(entry);
        }
        // 8 parameters a row; 500 rows stay far below both backends' parameter limits.
        for chunk in entries.chunks(500) {
            let rows = crate::values_placeholders(self.backend, chunk.len(), 8);
            let sql = format!(
                "INSERT INTO audit_log (seq, at_ms, actor, action, subject, payload, prev_hash, hash) VALUES {}",
                rows
            );
            let mut query = sqlx::query(&sql);
            for e in chunk {
                query = query
                    .bind(e.seq)
                    .bind(e.at_ms)
                    .bind(e.actor.clone())
                    .bind(e.action.clone())
                    .bind(e.subject.clone())
                    .bind(e.payload.clone())
                    .bind(e.prev_hash.clone())
                    .bind(e.hash.clone());
            }
            query.execute(&mut *self.tx).await?;
        }
        self.appended += entries.len();
        Ok(())
    }

    /// Commits the change and its audit entries together. A transaction that changed state must
    /// have audited it: committing with no entry is refused (and rolled back).
    pub async fn commit(mut self) -> Result<()> {
        if self.appended == 0 {
            return Err(StoreError::Corrupt("a write transaction tried to commit without an audit entry".into()));
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(self.head_seq)
            .bind(&self.head_hash)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

impl WriteTx {
    /// What a one-time form key already made, if anything: the key a form carried when it was
    /// rendered makes its second submission (a double click, a retry) find the first one's
    /// result instead of creating it again. Read inside the write transaction, which serialises
    /// two submissions of one form.
    pub async fn form_result(&mut self, member_id: &str, form_key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT location FROM form_submissions WHERE member_id = $1 AND form_key = $2")
            .bind(member_id)
            .bind(form_key)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Records what a one-time form key made (its id or its page).
    pub async fn remember_form(&mut self, member_id: &str, form_key: &str, location: &str) -> Result<()> {
        sqlx::query("INSERT INTO form_submissions (member_id, form_key, location, created_at) VALUES ($1, $2, $3, $4)")
            .bind(member_id)
            .bind(form_key)
            .bind(location)
            .bind(self.at_ms)
            .execute(&mut *self.tx)
            .await
            .map_err(crate::conflict_as("a submission of this form"))?;
        Ok(())
    }
}
