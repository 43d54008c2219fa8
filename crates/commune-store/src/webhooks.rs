//! Webhook endpoints (audited changes), and the outbox derived from the audit log: one message per
//! event and endpoint (unique, so a racing fan-out stores each once), claimed for delivery by a
//! compare-and-set on its attempt count, with every attempt logged.

use crate::sql::{MAX_LIST, values_placeholders};
use crate::{Result, Store, WriteTx, one_row};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, serde::Serialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    #[serde(skip)]
    pub secret_sealed: String,
    #[serde(skip)]
    pub previous_sealed: Option<String>,
    pub previous_until: i64,
    pub created_by: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WebhookMessage {
    pub id: String,
    pub endpoint_id: String,
    pub event_type: String,
    pub payload: String,
    pub created_at: i64,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: String,
    pub delivered_at: Option<i64>,
}

/// A message to store for an endpoint.
pub struct NewMessage {
    pub endpoint_id: String,
    pub audit_seq: i64,
    pub event_type: &'static str,
    pub payload: String,
    pub created_at: i64,
}

/// What one attempt found.
pub struct AttemptOutcome {
    pub status: Option<i64>,
    pub error: String,
    pub duration_ms: i64,
    /// `None`: delivered; `Some(Some(at))`: retry at; `Some(None)`: dead.
    pub retry: Option<Option<i64>>,
}

const ENDPOINT_COLUMNS: &str = "id, org_id, url, description, events, secret_sealed, previous_sealed, previous_until, created_by, created_at, disabled_at";
const MESSAGE_COLUMNS: &str = "id, endpoint_id, event_type, payload, created_at, status, attempts, next_attempt_at, last_status, last_error, delivered_at";

fn endpoint_from(r: &AnyRow) -> Result<WebhookEndpoint> {
    let events: String = r.try_get("events")?;
    Ok(WebhookEndpoint {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        url: r.try_get("url")?,
        description: r.try_get("description")?,
        events: events.split(' ').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
        secret_sealed: r.try_get("secret_sealed")?,
        previous_sealed: r.try_get("previous_sealed")?,
        previous_until: r.try_get("previous_until")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        disabled_at: r.try_get("disabled_at")?,
    })
}

fn message_from(r: &AnyRow) -> Result<WebhookMessage> {
    Ok(WebhookMessage {
        id: r.try_get("id")?,
        endpoint_id: r.try_get("endpoint_id")?,
        event_type: r.try_get("event_type")?,
        payload: r.try_get("payload")?,
        created_at: r.try_get("created_at")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

impl Store {
    pub async fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>> {
        let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(endpoint_from).transpose()
    }

    pub async fn org_webhook_endpoints(&self, org_id: &str) -> Result<Vec<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT {MAX_LIST}"
        );
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?;
        rows.iter().map(endpoint_from).collect()
    }

    /// Live endpoints subscribed to `event_type` of the organisation.
    pub async fn subscribed_endpoints(&self, org_id: &str, event_type: &str) -> Result<Vec<WebhookEndpoint>> {
        let all = self.org_webhook_endpoints(org_id).await?;
        Ok(all.into_iter().filter(|e| e.disabled_at.is_none() && e.events.iter().any(|t| t == event_type)).collect())
    }

    pub async fn webhook_cursor(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT seq FROM webhook_cursor WHERE id = 1").fetch_one(self.reader()).await?.try_get(0)?)
    }

    /// Stores the messages of the audit entries in `(from, to]` and moves the cursor, in one
    /// transaction; false (nothing written) when another server moved it first.
    /// Each message is due from its event's time.
    pub async fn webhook_fan_out(&self, from: i64, to: i64, rows: &[NewMessage]) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query("UPDATE webhook_cursor SET seq = $1 WHERE id = 1 AND seq = $2")
            .bind(to)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        for chunk in rows.chunks(100) {
            let sql = format!(
                "INSERT INTO webhook_messages (id, endpoint_id, audit_seq, event_type, payload, created_at, status, next_attempt_at) VALUES {}
                 ON CONFLICT (endpoint_id, audit_seq) DO NOTHING",
                values_placeholders(self.backend(), chunk.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(format!("msg_{}", crate::new_id().replace('-', "")))
                    .bind(&row.endpoint_id)
                    .bind(row.audit_seq)
                    .bind(row.event_type)
                    .bind(&row.payload)
                    .bind(row.created_at)
                    .bind("pending")
                    .bind(row.created_at);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Pending messages due at `now`, oldest first, at most `limit`.
    pub async fn due_webhook_messages(&self, now: i64, limit: i64) -> Result<Vec<WebhookMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM webhook_messages WHERE status = 'pending' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, id LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(now).bind(limit.clamp(1, 500)).fetch_all(self.reader()).await?;
        rows.iter().map(message_from).collect()
    }

    pub async fn webhook_message(&self, id: &str) -> Result<Option<WebhookMessage>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM webhook_messages WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(message_from).transpose()
    }

    /// An endpoint's delivery log: its newest messages.
    pub async fn endpoint_messages(&self, endpoint_id: &str, limit: i64) -> Result<Vec<WebhookMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM webhook_messages WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(endpoint_id).bind(limit.clamp(1, MAX_LIST)).fetch_all(self.reader()).await?;
        rows.iter().map(message_from).collect()
    }

    /// Claims a message for an attempt: a compare-and-set on its attempt count, so two servers
    /// never send the same attempt. The claim pushes the next attempt out by `lease_ms`, so a
    /// server that dies mid-attempt leaves the message to be retried, not lost.
    pub async fn claim_webhook_message(&self, id: &str, attempts: i64, now: i64, lease_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE webhook_messages SET attempts = attempts + 1, next_attempt_at = $1
             WHERE id = $2 AND attempts = $3 AND status = 'pending'",
        )
        .bind(now + lease_ms)
        .bind(id)
        .bind(attempts)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Records an attempt and its outcome (delivered, retry at, or dead).
    pub async fn record_webhook_attempt(
        &self,
        id: &str,
        attempt: i64,
        at: i64,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (message_id, attempt, at_ms, status, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (message_id, attempt) DO NOTHING",
        )
        .bind(id)
        .bind(attempt)
        .bind(at)
        .bind(outcome.status)
        .bind(&outcome.error)
        .bind(outcome.duration_ms)
        .execute(&mut *tx)
        .await?;
        let (status, next, delivered) = match outcome.retry {
            None => ("delivered", at, Some(at)),
            Some(Some(retry_at)) => ("pending", retry_at, None),
            Some(None) => ("dead", at, None),
        };
        sqlx::query(
            "UPDATE webhook_messages SET status = $1, next_attempt_at = $2, delivered_at = $3, last_status = $4, last_error = $5
             WHERE id = $6 AND attempts = $7",
        )
        .bind(status)
        .bind(next)
        .bind(delivered)
        .bind(outcome.status)
        .bind(&outcome.error)
        .bind(id)
        .bind(attempt)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl WriteTx {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_webhook_endpoint(
        &mut self,
        id: &str,
        org_id: &str,
        url: &str,
        description: &str,
        events: &[&str],
        secret_sealed: &str,
        created_by: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, org_id, url, description, events, secret_sealed, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(org_id)
        .bind(url)
        .bind(description)
        .bind(events.join(" "))
        .bind(secret_sealed)
        .bind(created_by)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("webhook.create", id, json!({ "org": org_id, "url": url, "events": events })).await
    }

    /// A new secret; the old one keeps signing alongside it until `previous_until`.
    pub async fn rotate_webhook_secret(
        &mut self,
        org_id: &str,
        id: &str,
        sealed: &str,
        previous_until: i64,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET previous_sealed = secret_sealed, previous_until = $1, secret_sealed = $2
             WHERE id = $3 AND org_id = $4 AND disabled_at IS NULL",
        )
        .bind(previous_until)
        .bind(sealed)
        .bind(id)
        .bind(org_id)
        .execute(&mut *self.tx)
        .await?;
        one_row(done, "webhook endpoint")?;
        self.audit("webhook.rotate_secret", id, json!({ "previous_until": previous_until })).await
    }

    pub async fn disable_webhook_endpoint(&mut self, org_id: &str, id: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET disabled_at = $1 WHERE id = $2 AND org_id = $3 AND disabled_at IS NULL",
        )
        .bind(self.at_ms())
        .bind(id)
        .bind(org_id)
        .execute(&mut *self.tx)
        .await?;
        one_row(done, "webhook endpoint")?;
        self.audit("webhook.disable", id, json!({ "org": org_id })).await
    }

    /// Sends a delivered or dead message again (as a new series of attempts, same message id).
    pub async fn replay_webhook_message(&mut self, endpoint_id: &str, id: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE webhook_messages SET status = 'pending', next_attempt_at = $1
             WHERE id = $2 AND endpoint_id = $3 AND status IN ('delivered', 'dead')",
        )
        .bind(self.at_ms())
        .bind(id)
        .bind(endpoint_id)
        .execute(&mut *self.tx)
        .await?;
        one_row(done, "delivered or dead message")?;
        self.audit("webhook.replay", id, json!({ "endpoint": endpoint_id })).await
    }
}
