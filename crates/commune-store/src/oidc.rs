//! The OpenID Connect provider's rows: signing keys (the private half sealed by the operations
//! layer), clients, consents, grants with their one-time codes, and refresh tokens. Codes,
//! client secrets and refresh tokens are stored as SHA-256 hashes only. Every use of a code or a
//! refresh token is a compare-and-set, so of two racing uses exactly one wins.

use crate::sql::MAX_LIST;
use crate::{Result, Store, StoreError, WriteTx, conflict_as, one_row};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A signing key as stored.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    pub public_jwk: String,
    pub sealed_private: String,
    pub state: String,
    pub created_at: i64,
    pub retire_at: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct OidcClient {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub kind: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// One authorization: its code, and the tokens issued from it.
#[derive(Debug, Clone)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub member_id: String,
    pub scopes: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub code_expires_at: i64,
    pub code_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub struct NewGrant<'a> {
    pub client_id: &'a str,
    pub member_id: &'a str,
    pub scopes: &'a str,
    pub nonce: Option<&'a str>,
    pub auth_time: i64,
    pub code_hash: &'a str,
    pub redirect_uri: &'a str,
    pub challenge: Option<&'a str>,
    pub code_expires_at: i64,
}

/// A refresh token's row with its grant.
#[derive(Debug, Clone)]
pub struct RefreshRow {
    pub grant: Grant,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// An app a member signed in to, for the member's own list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberApp {
    pub client_id: String,
    pub name: String,
    pub org_slug: String,
    pub scopes: String,
    pub granted_at: i64,
}

const KEY_COLUMNS: &str = "kid, alg, public_jwk, sealed_private, state, created_at, retire_at";
const CLIENT_COLUMNS: &str =
    "id, org_id, name, kind, secret_hash, redirect_uris, post_logout_uris, created_by, created_at, revoked_at";
const GRANT_COLUMNS: &str = "g.id, g.client_id, g.member_id, g.scopes, g.nonce, g.auth_time, g.redirect_uri, g.challenge, g.code_expires_at, g.code_used_at, g.revoked_at";

fn key_from(r: &AnyRow) -> Result<SigningKey> {
    Ok(SigningKey {
        kid: r.try_get("kid")?,
        alg: r.try_get("alg")?,
        public_jwk: r.try_get("public_jwk")?,
        sealed_private: r.try_get("sealed_private")?,
        state: r.try_get("state")?,
        created_at: r.try_get("created_at")?,
        retire_at: r.try_get("retire_at")?,
    })
}

fn words(raw: String) -> Vec<String> {
    raw.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn client_from(r: &AnyRow) -> Result<OidcClient> {
    Ok(OidcClient {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        secret_hash: r.try_get("secret_hash")?,
        redirect_uris: words(r.try_get("redirect_uris")?),
        post_logout_uris: words(r.try_get("post_logout_uris")?),
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

fn grant_from(r: &AnyRow) -> Result<Grant> {
    Ok(Grant {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        member_id: r.try_get("member_id")?,
        scopes: r.try_get("scopes")?,
        nonce: r.try_get("nonce")?,
        auth_time: r.try_get("auth_time")?,
        redirect_uri: r.try_get("redirect_uri")?,
        challenge: r.try_get("challenge")?,
        code_expires_at: r.try_get("code_expires_at")?,
        code_used_at: r.try_get("code_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

impl Store {
    /// The next, active and previous keys (not yet retired), newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM oidc_keys WHERE state IN ('next', 'active', 'previous') ORDER BY created_at DESC LIMIT {MAX_LIST}"
        );
        let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
        rows.iter().map(key_from).collect()
    }

    pub async fn oidc_client(&self, id: &str) -> Result<Option<OidcClient>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(client_from).transpose()
    }

    pub async fn org_oidc_clients(&self, org_id: &str) -> Result<Vec<OidcClient>> {
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT {MAX_LIST}"
        );
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?;
        rows.iter().map(client_from).collect()
    }

    /// The scopes a member consented to for a client, if any.
    pub async fn consent(&self, member_id: &str, client_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT scopes FROM oidc_consents WHERE member_id = $1 AND client_id = $2")
            .bind(member_id)
            .bind(client_id)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn member_apps(&self, member_id: &str) -> Result<Vec<MemberApp>> {
        let sql = format!(
            "SELECT c.id, c.name, o.slug, k.scopes, k.granted_at FROM oidc_consents k
             JOIN oidc_clients c ON c.id = k.client_id JOIN orgs o ON o.id = c.org_id
             WHERE k.member_id = $1 ORDER BY k.granted_at DESC LIMIT {MAX_LIST}"
        );
        let rows = sqlx::query(&sql).bind(member_id).fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                Ok(MemberApp {
                    client_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    org_slug: r.try_get(2)?,
                    scopes: r.try_get(3)?,
                    granted_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn grant(&self, id: &str) -> Result<Option<Grant>> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(grant_from).transpose()
    }

    pub async fn grant_by_code(&self, code_hash: &str) -> Result<Option<Grant>> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.code_hash = $1");
        let row = sqlx::query(&sql).bind(code_hash).fetch_optional(self.reader()).await?;
        row.as_ref().map(grant_from).transpose()
    }

    pub async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshRow>> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS}, t.expires_at AS t_expires, t.used_at AS t_used FROM oidc_refresh_tokens t
             JOIN oidc_grants g ON g.id = t.grant_id WHERE t.token_hash = $1"
        );
        let row = sqlx::query(&sql).bind(token_hash).fetch_optional(self.reader()).await?;
        row.as_ref()
            .map(|r| {
                Ok(RefreshRow {
                    grant: grant_from(r)?,
                    expires_at: r.try_get("t_expires")?,
                    used_at: r.try_get("t_used")?,
                })
            })
            .transpose()
    }
}

impl WriteTx {
    /// Adds a key: the first active one, or the next one of a rotation. At most one key is
    /// active and one next (unique indexes): a racing second insert gets a conflict.
    pub async fn insert_signing_key(&mut self, key: &SigningKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_keys (kid, alg, public_jwk, sealed_private, state, created_at, retire_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.public_jwk)
        .bind(&key.sealed_private)
        .bind(&key.state)
        .bind(self.at_ms())
        .bind(key.retire_at)
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("signing key in this state"))?;
        self.audit("oidc.key.create", &key.kid, json!({ "alg": key.alg, "state": key.state })).await
    }

    /// Finishes a rotation: the active key `old_kid` becomes previous (published until
    /// `retire_at`) and the next key `next_kid` signs from now on; a compare-and-set on both.
    pub async fn promote_signing_key(&mut self, old_kid: &str, next_kid: &str, retire_at: i64) -> Result<()> {
        let moved =
            sqlx::query("UPDATE oidc_keys SET state = 'previous', retire_at = $1 WHERE kid = $2 AND state = 'active'")
                .bind(retire_at)
                .bind(old_kid)
                .execute(&mut *self.tx)
                .await?
                .rows_affected();
        let promoted =
            sqlx::query("UPDATE oidc_keys SET state = 'active', created_at = $1 WHERE kid = $2 AND state = 'next'")
                .bind(self.at_ms())
                .bind(next_kid)
                .execute(&mut *self.tx)
                .await?
                .rows_affected();
        if moved != 1 || promoted != 1 {
            return Err(StoreError::Rule("the signing keys were rotated by someone else meanwhile".into()));
        }
        self.audit("oidc.key.rotate", next_kid, json!({ "previous": old_kid, "retire_at": retire_at })).await
    }

    /// Stops publishing previous keys past their grace period; how many.
    pub async fn retire_signing_keys(&mut self, now: i64) -> Result<u64> {
        let keys: Vec<String> =
            sqlx::query_scalar("SELECT kid FROM oidc_keys WHERE state = 'previous' AND retire_at <= $1 ORDER BY kid")
                .bind(now)
                .fetch_all(&mut *self.tx)
                .await?;
        for kid in &keys {
            sqlx::query("UPDATE oidc_keys SET state = 'retired' WHERE kid = $1 AND state = 'previous'")
                .bind(kid)
                .execute(&mut *self.tx)
                .await?;
            self.audit("oidc.key.retire", kid, json!({})).await?;
        }
        Ok(keys.len() as u64)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_oidc_client(
        &mut self,
        org_id: &str,
        name: &str,
        kind: &str,
        secret_hash: &str,
        redirect_uris: &[String],
        post_logout_uris: &[String],
        created_by: &str,
    ) -> Result<OidcClient> {
        let client = OidcClient {
            id: crate::new_id(),
            org_id: org_id.to_owned(),
            name: name.to_owned(),
            kind: kind.to_owned(),
            secret_hash: secret_hash.to_owned(),
            redirect_uris: redirect_uris.to_vec(),
            post_logout_uris: post_logout_uris.to_vec(),
            created_by: created_by.to_owned(),
            created_at: self.at_ms(),
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO oidc_clients (id, org_id, name, kind, secret_hash, redirect_uris, post_logout_uris, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&client.id)
        .bind(org_id)
        .bind(name)
        .bind(kind)
        .bind(secret_hash)
        .bind(redirect_uris.join(" "))
        .bind(post_logout_uris.join(" "))
        .bind(created_by)
        .bind(client.created_at)
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "oidc.client.create",
            &client.id,
            json!({ "org": org_id, "name": name, "kind": kind, "redirect_uris": redirect_uris }),
        )
        .await?;
        Ok(client)
    }

    /// Revokes a client of this organisation and every grant it holds.
    pub async fn revoke_oidc_client(&mut self, org_id: &str, id: &str) -> Result<()> {
        let at = self.at_ms();
        let done =
            sqlx::query("UPDATE oidc_clients SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
                .bind(at)
                .bind(id)
                .bind(org_id)
                .execute(&mut *self.tx)
                .await?;
        one_row(done, "app")?;
        sqlx::query("UPDATE oidc_grants SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.audit("oidc.client.revoke", id, json!({ "org": org_id })).await
    }

    pub async fn set_consent(&mut self, member_id: &str, client_id: &str, scopes: &str) -> Result<()> {
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO oidc_consents (member_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (member_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
        )
        .bind(member_id)
        .bind(client_id)
        .bind(scopes)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("oidc.consent", client_id, json!({ "member": member_id, "scopes": scopes })).await
    }

    /// Forgets a member's consent to an app and revokes every grant the app holds for them.
    pub async fn forget_app(&mut self, member_id: &str, client_id: &str) -> Result<()> {
        let gone = sqlx::query("DELETE FROM oidc_consents WHERE member_id = $1 AND client_id = $2")
            .bind(member_id)
            .bind(client_id)
            .execute(&mut *self.tx)
            .await?;
        one_row(gone, "app")?;
        sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $1 WHERE member_id = $2 AND client_id = $3 AND revoked_at IS NULL",
        )
        .bind(self.at_ms())
        .bind(member_id)
        .bind(client_id)
        .execute(&mut *self.tx)
        .await?;
        self.audit("oidc.consent.revoke", client_id, json!({ "member": member_id })).await
    }

    pub async fn create_grant(&mut self, grant: &NewGrant<'_>) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO oidc_grants (id, client_id, member_id, scopes, nonce, auth_time, code_hash, redirect_uri, challenge, code_expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(grant.client_id)
        .bind(grant.member_id)
        .bind(grant.scopes)
        .bind(grant.nonce)
        .bind(grant.auth_time)
        .bind(grant.code_hash)
        .bind(grant.redirect_uri)
        .bind(grant.challenge)
        .bind(grant.code_expires_at)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "oidc.authorize",
            &id,
            json!({ "client": grant.client_id, "member": grant.member_id, "scopes": grant.scopes }),
        )
        .await?;
        Ok(id)
    }

    /// Uses a grant's code once: false when it was used already (or by a racing request).
    pub async fn use_code(&mut self, grant_id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE oidc_grants SET code_used_at = $1 WHERE id = $2 AND code_used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(self.at_ms())
        .bind(grant_id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if done == 1 {
            self.audit("oidc.code.use", grant_id, json!({})).await?;
        }
        Ok(done == 1)
    }

    /// Revokes a grant (a replayed code or refresh token, or a logout): its tokens stop working.
    pub async fn revoke_grant(&mut self, grant_id: &str, why: &str) -> Result<()> {
        sqlx::query("UPDATE oidc_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(self.at_ms())
            .bind(grant_id)
            .execute(&mut *self.tx)
            .await?;
        self.audit("oidc.grant.revoke", grant_id, json!({ "why": why })).await
    }

    pub async fn insert_refresh_token(&mut self, token_hash: &str, grant_id: &str, expires_at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_refresh_tokens (token_hash, grant_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(grant_id)
        .bind(expires_at)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Uses a refresh token once: false when it was used already (or by a racing request).
    pub async fn use_refresh_token(&mut self, token_hash: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE oidc_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(self.at_ms())
            .bind(token_hash)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(done == 1)
    }

    /// Records a token issue on the grant (the audit entry of a refresh).
    pub async fn audit_token_issue(&mut self, grant_id: &str, how: &str) -> Result<()> {
        self.audit("oidc.token", grant_id, json!({ "grant_type": how })).await
    }
}
