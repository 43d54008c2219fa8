//! Browser sessions, password changes and recovery links. Only the SHA-256 of a session secret or
//! a recovery secret is stored; a session also has a public id, by which its member lists and
//! revokes it.

use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Session {
    pub member_id: String,
    pub csrf_token: String,
    pub expires_at: i64,
    /// Whether the member stewards the commune (the root organisation) now: read with the
    /// session, so authorizing an instance-wide action costs no further query.
    pub instance_steward: bool,
    /// When the member signed in (unix ms).
    pub created_at: i64,
}

/// A session as its member sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub user_agent: String,
}

impl Store {
    /// A member's live sessions, newest first (at most 100).
    pub async fn sessions_of(&self, member_id: &str, now_ms: i64) -> Result<Vec<SessionInfo>> {
        let rows = sqlx::query(
            "SELECT id, created_at, expires_at, user_agent FROM sessions WHERE member_id = $1 AND expires_at > $2
             ORDER BY created_at DESC, id LIMIT 100",
        )
        .bind(member_id)
        .bind(now_ms)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionInfo {
                    id: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    expires_at: r.try_get(2)?,
                    user_agent: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// The public id of the session with this hash.
    pub async fn session_id(&self, token_hash: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }
}

impl Store {
    /// A session and its member in one query: the cost of every authenticated request. The
    /// member's `domains` are left empty; pages that show them read them with `member_by_id`.
    pub async fn session_member(&self, token_hash: &str) -> Result<Option<(Session, crate::Member)>> {
        let row = sqlx::query(
            "SELECT s.member_id, s.csrf_token, s.expires_at, s.created_at AS signed_in_at, m.id, m.handle, m.display_name, m.bio, m.place, m.created_at,
                (SELECT mb.role FROM memberships mb JOIN orgs o ON o.id = mb.org_id
                  WHERE o.is_root = 1 AND mb.member_id = m.id) AS root_role
             FROM sessions s JOIN members m ON m.id = s.member_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let root_role: Option<String> = row.try_get("root_role")?;
        let session = Session {
            member_id: row.try_get(0)?,
            csrf_token: row.try_get(1)?,
            expires_at: row.try_get(2)?,
            instance_steward: root_role.as_deref() == Some(commune_domain::org::Role::Steward.as_str()),
            created_at: row.try_get("signed_in_at")?,
        };
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
        user_agent: &str,
    ) -> Result<String> {
        let at = self.at_ms();
        let id = crate::new_id();
        let user_agent: String = user_agent.chars().filter(|c| !c.is_control()).take(200).collect();
        sqlx::query(
            "INSERT INTO sessions (token_hash, member_id, csrf_token, created_at, expires_at, id, user_agent)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(member_id)
        .bind(csrf_token)
        .bind(at)
        .bind(at.saturating_add(ttl_ms))
        .bind(&id)
        .bind(&user_agent)
        .execute(&mut *self.tx)
        .await?;
        // Expired sessions of this member are swept on each login, so the table stays bounded.
        sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND expires_at < $2")
            .bind(member_id)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.audit("session.create", member_id, json!({ "session": id, "expires_at": at.saturating_add(ttl_ms) }))
            .await?;
        Ok(id)
    }

    /// Ends one of `member_id`'s sessions by its public id; `NotFound` if they have none such.
    pub async fn revoke_session(&mut self, member_id: &str, id: &str) -> Result<()> {
        let result = sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND id = $2 AND id <> ''")
            .bind(member_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        crate::one_row(result, "session")?;
        self.audit("session.revoke", member_id, json!({ "session": id })).await
    }

    /// Replaces a member's password hash and ends every session but `keep` (a session hash).
    pub async fn set_password(&mut self, member_id: &str, password_hash: &str, keep: Option<&str>) -> Result<u64> {
        let result = sqlx::query("UPDATE members SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(member_id)
            .execute(&mut *self.tx)
            .await?;
        crate::one_row(result, "member")?;
        let ended = sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2")
            .bind(member_id)
            .bind(keep.unwrap_or(""))
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        self.audit("member.password", member_id, json!({ "sessions_ended": ended })).await?;
        Ok(ended)
    }

    /// Records a recovery link for `member_id`, issued by `issued_by` (a steward of the commune);
    /// any earlier unused link of the member stops working.
    pub async fn create_recovery(
        &mut self,
        token_hash: &str,
        member_id: &str,
        issued_by: &str,
        ttl_ms: i64,
    ) -> Result<i64> {
        let at = self.at_ms();
        sqlx::query("UPDATE recovery_links SET used_at = $1 WHERE member_id = $2 AND used_at IS NULL")
            .bind(at)
            .bind(member_id)
            .execute(&mut *self.tx)
            .await?;
        let expires = at.saturating_add(ttl_ms);
        sqlx::query(
            "INSERT INTO recovery_links (token_hash, member_id, issued_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(member_id)
        .bind(issued_by)
        .bind(at)
        .bind(expires)
        .execute(&mut *self.tx)
        .await?;
        self.audit("recovery.issue", member_id, json!({ "issued_by": issued_by, "expires_at": expires })).await?;
        Ok(expires)
    }

    /// Uses a recovery link once: the member it recovers, if it is unused and unexpired.
    pub async fn use_recovery(&mut self, token_hash: &str) -> Result<Option<String>> {
        let at = self.at_ms();
        let row = sqlx::query(
            "UPDATE recovery_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING member_id",
        )
        .bind(at)
        .bind(token_hash)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let member_id: String = row.try_get(0)?;
        self.audit("recovery.use", &member_id, json!({})).await?;
        Ok(Some(member_id))
    }

    pub async fn delete_session(&mut self, token_hash: &str, member_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *self.tx).await?;
        self.audit("session.delete", member_id, json!({})).await
    }
}
