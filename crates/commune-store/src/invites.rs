//! Invite links: only the SHA-256 of a link's secret is stored. Using a link moves its count
//! with a compare-and-set in the transaction that admits the member, so a link for five is used
//! five times however many people open it at once.

use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Invite {
    pub id: String,
    pub org_id: String,
    pub created_by: String,
    pub note: String,
    pub max_uses: i64,
    pub uses: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, org_id, created_by, note, max_uses, uses, expires_at, revoked_at, created_at";

fn invite(r: &sqlx::any::AnyRow) -> Result<Invite> {
    Ok(Invite {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        created_by: r.try_get("created_by")?,
        note: r.try_get("note")?,
        max_uses: r.try_get("max_uses")?,
        uses: r.try_get("uses")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// An organisation's invite links, newest first (at most 200).
    pub async fn invites_of(&self, org_id: &str) -> Result<Vec<Invite>> {
        let sql = format!("SELECT {COLUMNS} FROM invites WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT 200");
        sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?.iter().map(invite).collect()
    }

    pub async fn invite_by_hash(&self, token_hash: &str) -> Result<Option<Invite>> {
        let sql = format!("SELECT {COLUMNS} FROM invites WHERE token_hash = $1");
        sqlx::query(&sql).bind(token_hash).fetch_optional(self.reader()).await?.as_ref().map(invite).transpose()
    }
}

impl WriteTx {
    /// Stores a new link (its secret's hash only); the audit entry never holds the secret.
    pub async fn create_invite(
        &mut self,
        org_id: &str,
        token_hash: &str,
        created_by: &str,
        note: &str,
        max_uses: u32,
        expires_at: i64,
    ) -> Result<Invite> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO invites (id, token_hash, org_id, created_by, note, max_uses, uses, expires_at, revoked_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, NULL, $8)",
        )
        .bind(&id)
        .bind(token_hash)
        .bind(org_id)
        .bind(created_by)
        .bind(note)
        .bind(i64::from(max_uses))
        .bind(expires_at)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("invite.create", &id, json!({ "org_id": org_id, "max_uses": max_uses, "expires_at": expires_at }))
            .await?;
        Ok(Invite {
            id,
            org_id: org_id.to_owned(),
            created_by: created_by.to_owned(),
            note: note.to_owned(),
            max_uses: i64::from(max_uses),
            uses: 0,
            expires_at,
            revoked_at: None,
            created_at: at,
        })
    }

    /// Revokes a live link of the organisation; false when there was none to revoke.
    pub async fn revoke_invite(&mut self, org_id: &str, id: &str) -> Result<bool> {
        let at = self.at_ms();
        let done =
            sqlx::query("UPDATE invites SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
                .bind(at)
                .bind(id)
                .bind(org_id)
                .execute(&mut *self.tx)
                .await?
                .rows_affected()
                == 1;
        if done {
            self.audit("invite.revoke", id, json!({ "org_id": org_id })).await?;
        }
        Ok(done)
    }

    /// Takes one use of a link if it still admits at this transaction's time; false otherwise.
    pub async fn use_invite(&mut self, id: &str, member_id: &str) -> Result<bool> {
        let at = self.at_ms();
        let taken = sqlx::query(
            "UPDATE invites SET uses = uses + 1
             WHERE id = $1 AND uses < max_uses AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(id)
        .bind(at)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if taken {
            self.audit("invite.use", id, json!({ "member_id": member_id })).await?;
        }
        Ok(taken)
    }
}
