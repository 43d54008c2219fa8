//! Browser sessions. Only the SHA-256 of the session secret is stored.

use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Session {
    pub member_id: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

impl Store {
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query("SELECT member_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Session { member_id: r.try_get(0)?, csrf_token: r.try_get(1)?, expires_at: r.try_get(2)? }))
            .transpose()
    }
}

impl Store {
    /// A session and its member in one query: the cost of every authenticated request. The
    /// member's `domains` are left empty; pages that show them read them with `member_by_id`.
    pub async fn session_member(&self, token_hash: &str) -> Result<Option<(Session, crate::Member)>> {
        let row = sqlx::query(
            "SELECT s.member_id, s.csrf_token, s.expires_at, m.id, m.handle, m.display_name, m.bio, m.place, m.created_at
             FROM sessions s JOIN members m ON m.id = s.member_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session = Session { member_id: row.try_get(0)?, csrf_token: row.try_get(1)?, expires_at: row.try_get(2)? };
        let member = crate::members::member_from(&row)?;
        Ok(Some((session, member)))
    }
}

impl WriteTx {
    pub async fn create_session(
        &mut self,
        token_hash: &str,
        member_id: &str,
        csrf_token: &str,
        ttl_ms: i64,
    ) -> Result<()> {
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO sessions (token_hash, member_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(member_id)
        .bind(csrf_token)
        .bind(at)
        .bind(at.saturating_add(ttl_ms))
        .execute(&mut *self.tx)
        .await?;
        // Expired sessions of this member are swept on each login, so the table stays bounded.
        sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND expires_at < $2")
            .bind(member_id)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.audit("session.create", member_id, json!({ "expires_at": at.saturating_add(ttl_ms) })).await
    }

    pub async fn delete_session(&mut self, token_hash: &str, member_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *self.tx).await?;
        self.audit("session.delete", member_id, json!({})).await
    }
}
