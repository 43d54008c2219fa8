//! Organisation-scoped API tokens. Only the SHA-256 of the secret is stored.

use crate::sql::MAX_LIST;
use crate::{Result, Store, StoreError, WriteTx, one_row};
use commune_domain::token::Scope;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub display_prefix: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, org_id, name, display_prefix, scopes, created_by, created_at, revoked_at";

fn token_from(row: &AnyRow) -> Result<ApiToken> {
    let scopes: String = row.try_get("scopes")?;
    let scopes = scopes
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| Scope::parse(s).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect::<Result<_>>()?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        display_prefix: row.try_get("display_prefix")?,
        scopes,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl Store {
    /// The live (unrevoked) token with this secret hash.
    pub async fn live_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
        let row = sqlx::query(&sql).bind(token_hash).fetch_optional(self.reader()).await?;
        row.as_ref().map(token_from).transpose()
    }

    pub async fn org_tokens(&self, org_id: &str) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT {MAX_LIST}"
        );
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?;
        rows.iter().map(token_from).collect()
    }
}

impl WriteTx {
    pub async fn create_token(
        &mut self,
        org_id: &str,
        name: &str,
        token_hash: &str,
        display_prefix: &str,
        scopes: &[Scope],
        created_by: &str,
    ) -> Result<ApiToken> {
        let token = ApiToken {
            id: crate::new_id(),
            org_id: org_id.to_owned(),
            name: name.to_owned(),
            display_prefix: display_prefix.to_owned(),
            scopes: scopes.to_vec(),
            created_by: created_by.to_owned(),
            created_at: self.at_ms(),
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO api_tokens (id, org_id, name, token_hash, display_prefix, scopes, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&token.id)
        .bind(org_id)
        .bind(name)
        .bind(token_hash)
        .bind(display_prefix)
        .bind(Scope::join(scopes))
        .bind(created_by)
        .bind(token.created_at)
        .execute(&mut *self.tx)
        .await
        .map_err(crate::conflict_as("a token with this secret"))?;
        self.audit(
            "token.create",
            &token.id,
            json!({ "org_id": org_id, "name": name, "scopes": scopes, "display_prefix": display_prefix }),
        )
        .await?;
        Ok(token)
    }

    /// Revokes a live token of `org_id`; `NotFound` if there is none with that id.
    pub async fn revoke_token(&mut self, org_id: &str, token_id: &str) -> Result<()> {
        let at = self.at_ms();
        let result =
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
                .bind(at)
                .bind(token_id)
                .bind(org_id)
                .execute(&mut *self.tx)
                .await?;
        one_row(result, "live token")?;
        self.audit("token.revoke", token_id, json!({ "org_id": org_id })).await
    }
}
