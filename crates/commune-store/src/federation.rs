//! ActivityPub state. Audited: the instance key, which organisations publish, follows in both
//! directions, blocks, and what remote actors sent (each with the id of the activity that
//! carried it, claimed in the same transaction so a replay writes nothing). Derived and
//! unaudited: the remote-actor cache, the outbox fanned out from the audit log (a cursor with
//! a compare-and-set, like webhooks), delivery attempts, and the dialect each instance answered.

use crate::sql::values_placeholders;
use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A remote actor as last fetched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemoteActor {
    pub id: String,
    pub host: String,
    pub kind: String,
    pub username: String,
    pub name: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub key_id: String,
    pub public_pem: String,
    pub url: Option<String>,
    pub fetched_at: i64,
}

impl RemoteActor {
    /// `@user@host`, as people write it.
    pub fn handle(&self) -> String {
        handle_in(self.username.as_str(), self.host.as_str())
    }
}

fn handle_in(username: &str, host: &str) -> String {
    format!("@{username}@{host}")
}

/// The `@user@host` of the actor a row joins (its `username` and `host` columns).
fn handle_of(r: &AnyRow) -> Result<String> {
    Ok(handle_in(&r.try_get::<String, _>("username")?, &r.try_get::<String, _>("host")?))
}

/// A local actor's follow of a remote one.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Following {
    pub remote: RemoteActor,
    pub follow_id: String,
    /// `pending`, `accepted` or `rejected`.
    pub state: String,
    pub created_at: i64,
}

/// A proposal another instance published, as last received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RemoteQuestionRow {
    pub id: String,
    pub actor: String,
    pub actor_handle: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub multiple: bool,
    /// `(option, count)`.
    pub options: Vec<(String, u64)>,
    pub end_time: Option<i64>,
    pub closed_at: Option<i64>,
    pub outcome: Option<String>,
    pub receipt_digest: Option<String>,
    /// Whether the counting instance's signed result was fetched and checked with its key (and
    /// names this proposal and this receipt digest).
    pub result_verified: bool,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

/// A reply from another instance to one of our proposals.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RemoteReply {
    pub id: String,
    pub actor: String,
    pub actor_handle: String,
    pub actor_url: Option<String>,
    pub body: String,
    pub url: Option<String>,
    pub received_at: i64,
}

/// An activity to publish and the inboxes it goes to.
pub struct NewActivity {
    pub id: String,
    pub audit_seq: i64,
    pub actor: String,
    pub object_id: String,
    pub activity: String,
    pub created_at: i64,
    pub inboxes: Vec<String>,
}

/// A delivery due.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub activity_id: String,
    pub actor: String,
    pub activity: String,
    pub inbox: String,
    pub attempts: i64,
}

/// A remote instance as this one knows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Instance {
    pub host: String,
    pub dialect: Option<String>,
    pub blocked_at: Option<i64>,
    pub reason: String,
}

const ACTOR_COLUMNS: &str =
    "a.id, a.host, a.kind, a.username, a.name, a.inbox, a.shared_inbox, a.key_id, a.public_pem, a.url, a.fetched_at";

fn actor_from(r: &AnyRow) -> Result<RemoteActor> {
    Ok(RemoteActor {
        id: r.try_get("id")?,
        host: r.try_get("host")?,
        kind: r.try_get("kind")?,
        username: r.try_get("username")?,
        name: r.try_get("name")?,
        inbox: r.try_get("inbox")?,
        shared_inbox: r.try_get("shared_inbox")?,
        key_id: r.try_get("key_id")?,
        public_pem: r.try_get("public_pem")?,
        url: r.try_get("url")?,
        fetched_at: r.try_get("fetched_at")?,
    })
}

fn instance_from(r: &AnyRow) -> Result<Instance> {
    Ok(Instance {
        host: r.try_get("host")?,
        dialect: r.try_get("dialect")?,
        blocked_at: r.try_get("blocked_at")?,
        reason: r.try_get("reason")?,
    })
}

/// Stores an activity and a delivery per inbox, due at once (at the activity's time when that is
/// earlier); nothing when the activity is stored already.
async fn insert_activity(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: crate::Backend,
    a: &NewActivity,
) -> Result<()> {
    let stored = sqlx::query(
        "INSERT INTO ap_outbox (id, audit_seq, actor, object_id, activity, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING",
    )
    .bind(&a.id)
    .bind(a.audit_seq)
    .bind(&a.actor)
    .bind(&a.object_id)
    .bind(&a.activity)
    .bind(a.created_at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if stored != 1 {
        return Ok(());
    }
    for chunk in a.inboxes.chunks(100) {
        let sql = format!(
            "INSERT INTO ap_deliveries (id, activity_id, inbox, status, next_attempt_at) VALUES {} ON CONFLICT DO NOTHING",
            values_placeholders(backend, chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for inbox in chunk {
            query = query
                .bind(format!("dlv_{}", crate::new_id().replace('-', "")))
                .bind(&a.id)
                .bind(inbox)
                .bind("pending")
                .bind(crate::now_ms().min(a.created_at));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// The instance's actor key: public PEM and sealed private key.
    pub async fn ap_key(&self) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT public_pem, private_sealed FROM ap_key WHERE id = 1")
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// One discussion post with its proposal's id.
    pub async fn comment_by_id(&self, id: &str) -> Result<Option<(String, crate::Comment)>> {
        let row = sqlx::query(
            "SELECT c.proposal_id, c.id, m.handle, m.display_name, c.body, c.created_at
             FROM comments c JOIN members m ON m.id = c.author_id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok((
                r.try_get(0)?,
                crate::Comment {
                    id: r.try_get(1)?,
                    author_handle: r.try_get(2)?,
                    author_name: r.try_get(3)?,
                    body: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                },
            ))
        })
        .transpose()
    }

    pub async fn org_federated(&self, org_id: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM ap_orgs WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(self.reader())
            .await?
            .is_some())
    }

    /// Whether a member belongs to an organisation that publishes (only they are actors).
    pub async fn member_federated(&self, member_id: &str) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT 1 FROM memberships m JOIN ap_orgs f ON f.org_id = m.org_id WHERE m.member_id = $1
               AND NOT EXISTS (SELECT 1 FROM ap_remote_members r WHERE r.member_id = m.member_id) LIMIT 1",
        )
        .bind(member_id)
        .fetch_optional(self.reader())
        .await?
        .is_some())
    }

    pub async fn remote_actor(&self, id: &str) -> Result<Option<RemoteActor>> {
        let sql = format!("SELECT {ACTOR_COLUMNS} FROM ap_remote_actors a WHERE a.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(actor_from).transpose()
    }

    /// Caches a fetched actor (a newer fetch replaces it: that is how a rotated key arrives).
    pub async fn put_remote_actor(&self, a: &RemoteActor) -> Result<()> {
        sqlx::query(
            "INSERT INTO ap_remote_actors (id, host, kind, username, name, inbox, shared_inbox, key_id, public_pem, url, fetched_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (id) DO UPDATE SET host = excluded.host, kind = excluded.kind, username = excluded.username,
               name = excluded.name, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, key_id = excluded.key_id,
               public_pem = excluded.public_pem, url = excluded.url, fetched_at = excluded.fetched_at",
        )
        .bind(&a.id)
        .bind(&a.host)
        .bind(&a.kind)
        .bind(&a.username)
        .bind(&a.name)
        .bind(&a.inbox)
        .bind(&a.shared_inbox)
        .bind(&a.key_id)
        .bind(&a.public_pem)
        .bind(&a.url)
        .bind(a.fetched_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn ap_followers(&self, local_actor: &str) -> Result<Vec<RemoteActor>> {
        let sql = format!(
            "SELECT {ACTOR_COLUMNS} FROM ap_followers f JOIN ap_remote_actors a ON a.id = f.remote_actor
             WHERE f.local_actor = $1 ORDER BY f.created_at, a.id"
        );
        let rows = sqlx::query(&sql).bind(local_actor).fetch_all(self.reader()).await?;
        rows.iter().map(actor_from).collect()
    }

    pub async fn ap_following(&self, local_actor: &str) -> Result<Vec<Following>> {
        let sql = format!(
            "SELECT {ACTOR_COLUMNS}, f.follow_id, f.state, f.created_at AS followed_at
             FROM ap_following f JOIN ap_remote_actors a ON a.id = f.remote_actor
             WHERE f.local_actor = $1 ORDER BY f.created_at, a.id"
        );
        let rows = sqlx::query(&sql).bind(local_actor).fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                Ok(Following {
                    remote: actor_from(r)?,
                    follow_id: r.try_get("follow_id")?,
                    state: r.try_get("state")?,
                    created_at: r.try_get("followed_at")?,
                })
            })
            .collect()
    }

    /// The local actor a remote follow (by its id) was for.
    pub async fn ap_followers_by_follow(&self, follow_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT local_actor FROM ap_followers WHERE follow_id = $1")
            .bind(follow_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    /// Whether any local actor follows (or asked to follow) a remote one.
    pub async fn ap_followed(&self, remote_actor: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM ap_following WHERE remote_actor = $1 AND state <> 'rejected' LIMIT 1")
            .bind(remote_actor)
            .fetch_optional(self.reader())
            .await?
            .is_some())
    }

    /// The follow a local actor sent, by the follow's id.
    pub async fn ap_following_by_id(&self, follow_id: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT local_actor, remote_actor FROM ap_following WHERE follow_id = $1")
            .bind(follow_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// Proposals published by the actors `local_actor` follows, newest first.
    pub async fn remote_questions(&self, local_actor: &str, limit: i64) -> Result<Vec<RemoteQuestionRow>> {
        let rows = sqlx::query(
            "SELECT q.id, q.actor, a.username, a.host, q.title, q.body, q.url, q.multiple, q.options, q.end_time,
                    q.closed_at, q.outcome, q.receipt_digest, q.result_verified, q.published_at, q.updated_at
             FROM ap_remote_questions q
             JOIN ap_remote_actors a ON a.id = q.actor
             JOIN ap_following f ON f.remote_actor = q.actor AND f.local_actor = $1
             ORDER BY COALESCE(q.published_at, q.received_at) DESC, q.id LIMIT $2",
        )
        .bind(local_actor)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let options: String = r.try_get("options")?;
                Ok(RemoteQuestionRow {
                    id: r.try_get("id")?,
                    actor: r.try_get("actor")?,
                    actor_handle: handle_of(r)?,
                    title: r.try_get("title")?,
                    body: r.try_get("body")?,
                    url: r.try_get("url")?,
                    multiple: r.try_get::<i64, _>("multiple")? != 0,
                    options: serde_json::from_str(&options).unwrap_or_default(),
                    end_time: r.try_get("end_time")?,
                    closed_at: r.try_get("closed_at")?,
                    outcome: r.try_get("outcome")?,
                    receipt_digest: r.try_get("receipt_digest")?,
                    result_verified: r.try_get::<i64, _>("result_verified")? != 0,
                    published_at: r.try_get("published_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    pub async fn remote_replies(&self, proposal_id: &str) -> Result<Vec<RemoteReply>> {
        let rows = sqlx::query(
            "SELECT r.id, r.actor, a.username, a.host, a.url AS actor_url, r.body, r.url, r.received_at
             FROM ap_remote_replies r JOIN ap_remote_actors a ON a.id = r.actor
             WHERE r.proposal_id = $1 ORDER BY r.received_at, r.id",
        )
        .bind(proposal_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RemoteReply {
                    id: r.try_get("id")?,
                    actor: r.try_get("actor")?,
                    actor_handle: handle_of(r)?,
                    actor_url: r.try_get("actor_url")?,
                    body: r.try_get("body")?,
                    url: r.try_get("url")?,
                    received_at: r.try_get("received_at")?,
                })
            })
            .collect()
    }

    /// The activities an actor published, newest first.
    pub async fn ap_outbox(&self, actor: &str, limit: i64) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT activity FROM ap_outbox WHERE actor = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
                .bind(actor)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// One published activity by its id.
    pub async fn ap_activity(&self, id: &str) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT activity FROM ap_outbox WHERE id = $1").bind(id).fetch_optional(self.reader()).await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    pub async fn ap_cursor(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT seq FROM ap_cursor WHERE id = 1").fetch_one(self.reader()).await?.try_get(0)?)
    }

    /// Stores the activities of the audit entries in `(from, to]` with their deliveries (due at
    /// once) and moves the cursor, in one transaction; false (nothing written) when another server moved
    /// it first.
    pub async fn ap_fan_out(&self, from: i64, to: i64, activities: &[NewActivity]) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query("UPDATE ap_cursor SET seq = $1 WHERE id = 1 AND seq = $2")
            .bind(to)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        for a in activities {
            insert_activity(&mut tx, self.backend(), a).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Queues one activity now (a follow, an accept, an undo: sent outside the fan-out).
    pub async fn ap_send(&self, activity: &NewActivity) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_activity(&mut tx, self.backend(), activity).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn ap_due(&self, now_ms: i64, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.activity_id, o.actor, o.activity, d.inbox, d.attempts
             FROM ap_deliveries d JOIN ap_outbox o ON o.id = d.activity_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at, d.id LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    id: r.try_get("id")?,
                    activity_id: r.try_get("activity_id")?,
                    actor: r.try_get("actor")?,
                    activity: r.try_get("activity")?,
                    inbox: r.try_get("inbox")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Claims a delivery for one attempt (compare-and-set on its attempt count): false when
    /// another worker took it.
    pub async fn ap_claim(&self, id: &str, attempts: i64, lease_until: i64) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE ap_deliveries SET attempts = attempts + 1, next_attempt_at = $3
             WHERE id = $1 AND attempts = $2 AND status = 'pending'",
        )
        .bind(id)
        .bind(attempts)
        .bind(lease_until)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Records an attempt's end: delivered, retry at a time, or dead (`retry_at` `None`).
    pub async fn ap_finish(
        &self,
        id: &str,
        delivered_at: Option<i64>,
        retry_at: Option<i64>,
        error: &str,
    ) -> Result<()> {
        let status = match (delivered_at, retry_at) {
            (Some(_), _) => "delivered",
            (None, Some(_)) => "pending",
            (None, None) => "dead",
        };
        sqlx::query(
            "UPDATE ap_deliveries SET status = $2, delivered_at = $3, next_attempt_at = COALESCE($4, next_attempt_at), last_error = $5
             WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(delivered_at)
        .bind(retry_at)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Delivery counts by status (`pending`, `delivered`, `dead`).
    pub async fn ap_delivery_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) FROM ap_deliveries GROUP BY status ORDER BY status")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    pub async fn ap_instance(&self, host: &str) -> Result<Option<Instance>> {
        let row = sqlx::query("SELECT host, dialect, blocked_at, reason FROM ap_instances WHERE host = $1")
            .bind(host)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(instance_from).transpose()
    }

    pub async fn ap_instances(&self) -> Result<Vec<Instance>> {
        let rows = sqlx::query("SELECT host, dialect, blocked_at, reason FROM ap_instances ORDER BY host")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(instance_from).collect()
    }

    /// Remembers the signature dialect an instance accepted.
    pub async fn ap_remember_dialect(&self, host: &str, dialect: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO ap_instances (host, dialect) VALUES ($1, $2) ON CONFLICT (host) DO UPDATE SET dialect = excluded.dialect",
        )
        .bind(host)
        .bind(dialect)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl WriteTx {
    /// Stores the instance's actor key unless one exists (a racing server's stays); true when
    /// this one was stored.
    pub async fn put_ap_key(&mut self, public_pem: &str, private_sealed: &str) -> Result<bool> {
        let stored = sqlx::query(
            "INSERT INTO ap_key (id, public_pem, private_sealed, created_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(public_pem)
        .bind(private_sealed)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if stored {
            self.audit("federation.key", "ap_key", json!({ "public_pem": public_pem })).await?;
        }
        Ok(stored)
    }

    pub async fn set_org_federated(&mut self, org_id: &str, on: bool) -> Result<()> {
        if on {
            sqlx::query("INSERT INTO ap_orgs (org_id, enabled_at) VALUES ($1, $2) ON CONFLICT (org_id) DO NOTHING")
                .bind(org_id)
                .bind(self.at_ms())
                .execute(&mut *self.tx)
                .await?;
        } else {
            sqlx::query("DELETE FROM ap_orgs WHERE org_id = $1").bind(org_id).execute(&mut *self.tx).await?;
        }
        self.audit("federation.publish", org_id, json!({ "on": on })).await
    }

    /// Claims an inbound activity's id; false when it was seen before (a replay).
    pub async fn claim_activity(&mut self, activity_id: &str, actor: &str) -> Result<bool> {
        Ok(sqlx::query(
            "INSERT INTO ap_seen (activity_id, actor, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(activity_id)
        .bind(actor)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }

    pub async fn add_follower(&mut self, local_actor: &str, remote_actor: &str, follow_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO ap_followers (local_actor, remote_actor, follow_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (local_actor, remote_actor) DO UPDATE SET follow_id = excluded.follow_id",
        )
        .bind(local_actor)
        .bind(remote_actor)
        .bind(follow_id)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("federation.follower.add", local_actor, json!({ "remote": remote_actor, "follow": follow_id })).await
    }

    pub async fn remove_follower(&mut self, local_actor: &str, remote_actor: &str) -> Result<bool> {
        let removed = sqlx::query("DELETE FROM ap_followers WHERE local_actor = $1 AND remote_actor = $2")
            .bind(local_actor)
            .bind(remote_actor)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        self.audit("federation.follower.remove", local_actor, json!({ "remote": remote_actor })).await?;
        Ok(removed == 1)
    }

    /// Records a follow this instance sent; false when the local actor already follows.
    pub async fn add_following(&mut self, local_actor: &str, remote_actor: &str, follow_id: &str) -> Result<bool> {
        let added = sqlx::query(
            "INSERT INTO ap_following (local_actor, remote_actor, follow_id, state, created_at) VALUES ($1, $2, $3, 'pending', $4)
             ON CONFLICT (local_actor, remote_actor) DO NOTHING",
        )
        .bind(local_actor)
        .bind(remote_actor)
        .bind(follow_id)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if added {
            self.audit("federation.follow", local_actor, json!({ "remote": remote_actor, "follow": follow_id }))
                .await?;
        }
        Ok(added)
    }

    /// Marks a sent follow accepted or rejected, when `remote_actor` is the one it was sent to.
    pub async fn answer_following(&mut self, follow_id: &str, remote_actor: &str, accepted: bool) -> Result<bool> {
        let changed = sqlx::query(
            "UPDATE ap_following SET state = $3, accepted_at = $4 WHERE follow_id = $1 AND remote_actor = $2 AND state = 'pending'",
        )
        .bind(follow_id)
        .bind(remote_actor)
        .bind(if accepted { "accepted" } else { "rejected" })
        .bind(accepted.then_some(self.at_ms()))
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if changed {
            self.audit("federation.follow.answer", follow_id, json!({ "remote": remote_actor, "accepted": accepted }))
                .await?;
        }
        Ok(changed)
    }

    pub async fn remove_following(&mut self, local_actor: &str, remote_actor: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT follow_id FROM ap_following WHERE local_actor = $1 AND remote_actor = $2")
            .bind(local_actor)
            .bind(remote_actor)
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let follow_id: String = row.try_get(0)?;
        sqlx::query("DELETE FROM ap_following WHERE local_actor = $1 AND remote_actor = $2")
            .bind(local_actor)
            .bind(remote_actor)
            .execute(&mut *self.tx)
            .await?;
        self.audit("federation.unfollow", local_actor, json!({ "remote": remote_actor, "follow": follow_id })).await?;
        Ok(Some(follow_id))
    }

    /// Stores (or updates, when the same actor sends it again) a remote question.
    #[allow(clippy::too_many_arguments)]
    pub async fn put_remote_question(&mut self, q: &RemoteQuestionRow, received_at: i64) -> Result<bool> {
        let options = serde_json::to_string(&q.options).unwrap_or_else(|_| "[]".into());
        let changed = sqlx::query(
            "INSERT INTO ap_remote_questions (id, actor, title, body, url, multiple, options, end_time, closed_at, outcome,
                 receipt_digest, published_at, received_at, updated_at, result_verified)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, url = excluded.url,
               multiple = excluded.multiple, options = excluded.options, end_time = excluded.end_time,
               closed_at = excluded.closed_at, outcome = excluded.outcome, receipt_digest = excluded.receipt_digest,
               result_verified = excluded.result_verified, updated_at = excluded.updated_at
             WHERE ap_remote_questions.actor = excluded.actor",
        )
        .bind(&q.id)
        .bind(&q.actor)
        .bind(&q.title)
        .bind(&q.body)
        .bind(&q.url)
        .bind(i64::from(q.multiple))
        .bind(options)
        .bind(q.end_time)
        .bind(q.closed_at)
        .bind(&q.outcome)
        .bind(&q.receipt_digest)
        .bind(q.published_at)
        .bind(received_at)
        .bind(i64::from(q.result_verified))
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if changed {
            self.audit(
                "federation.question",
                &q.id,
                json!({ "actor": q.actor, "title": q.title, "closed": q.closed_at }),
            )
            .await?;
        }
        Ok(changed)
    }

    pub async fn add_remote_reply(
        &mut self,
        id: &str,
        actor: &str,
        proposal_id: &str,
        body: &str,
        url: Option<&str>,
        published_at: Option<i64>,
    ) -> Result<bool> {
        let added = sqlx::query(
            "INSERT INTO ap_remote_replies (id, actor, proposal_id, body, url, published_at, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(actor)
        .bind(proposal_id)
        .bind(body)
        .bind(url)
        .bind(published_at)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if added {
            self.audit("federation.reply", proposal_id, json!({ "id": id, "actor": actor, "body": body })).await?;
        }
        Ok(added)
    }

    /// Deletes what `actor` sent under `id` (a reply or a question); true when something went.
    pub async fn delete_remote_object(&mut self, id: &str, actor: &str) -> Result<bool> {
        let mut removed = 0;
        for table in ["ap_remote_replies", "ap_remote_questions"] {
            removed += sqlx::query(&format!("DELETE FROM {table} WHERE id = $1 AND actor = $2"))
                .bind(id)
                .bind(actor)
                .execute(&mut *self.tx)
                .await?
                .rows_affected();
        }
        if removed > 0 {
            self.audit("federation.delete", id, json!({ "actor": actor })).await?;
        }
        Ok(removed > 0)
    }

    pub async fn block_instance(&mut self, host: &str, reason: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO ap_instances (host, blocked_at, reason) VALUES ($1, $2, $3)
             ON CONFLICT (host) DO UPDATE SET blocked_at = excluded.blocked_at, reason = excluded.reason",
        )
        .bind(host)
        .bind(self.at_ms())
        .bind(reason)
        .execute(&mut *self.tx)
        .await?;
        self.audit("federation.block", host, json!({ "reason": reason })).await
    }

    pub async fn unblock_instance(&mut self, host: &str) -> Result<bool> {
        let changed = sqlx::query(
            "UPDATE ap_instances SET blocked_at = NULL, reason = '' WHERE host = $1 AND blocked_at IS NOT NULL",
        )
        .bind(host)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        self.audit("federation.unblock", host, json!({})).await?;
        Ok(changed)
    }
}
