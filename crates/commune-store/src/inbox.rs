//! The inbox's storage: notifications fanned out from the audit log, members' inbox
//! preferences, and who an audience resolves to. Notifications are derived data (the audit log
//! is their source), so writing them appends no audit entry; preferences are a member's
//! choice, so changing them does.

use crate::audit::{ENTRY_COLUMNS, entry_from};
use crate::{Result, Store, WriteTx, values_placeholders};
use commune_domain::audit::Entry;
use serde_json::json;
use sqlx::Row;

/// One notification as its member sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notification {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// A notification to store, from the audit entry `audit_seq`.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub member_id: String,
    pub audit_seq: i64,
    pub kind: &'static str,
    pub title: String,
    pub link: String,
    pub created_at: i64,
}

/// A member's inbox preferences.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Prefs {
    /// `off`, `daily` or `weekly`.
    pub digest: String,
    /// Where the digest goes; empty when none is given.
    pub email: String,
    /// An IANA time zone name (`Europe/Rome`) or `UTC`.
    pub time_zone: String,
    pub last_digest_at: i64,
}

impl Default for Prefs {
    fn default() -> Prefs {
        Prefs { digest: "off".into(), email: String::new(), time_zone: "UTC".into(), last_digest_at: 0 }
    }
}

const COLUMNS: &str = "id, kind, title, link, created_at, read_at";

fn notification(row: &sqlx::any::AnyRow) -> Result<Notification> {
    Ok(Notification {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        link: row.try_get("link")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

/// Preferences from a row whose columns from `first` are digest, email, time zone, last digest.
fn prefs_from(r: &sqlx::any::AnyRow, first: usize) -> Result<Prefs> {
    Ok(Prefs {
        digest: r.try_get(first)?,
        email: r.try_get(first + 1)?,
        time_zone: r.try_get(first + 2)?,
        last_digest_at: r.try_get(first + 3)?,
    })
}

impl Store {
    /// How far the audit log has been fanned out into notifications.
    pub async fn notify_cursor(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT seq FROM notify_cursor WHERE id = 1").fetch_one(self.reader()).await?.try_get(0)?)
    }

    /// Up to `limit` audit entries after `seq`, oldest first.
    pub async fn audit_after(&self, seq: i64, limit: i64) -> Result<Vec<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        sqlx::query(&sql)
            .bind(seq)
            .bind(limit.clamp(1, 5_000))
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(entry_from)
            .collect()
    }

    /// Stores the notifications of the audit entries in `(from, to]` and moves the cursor from
    /// `from` to `to`, in one transaction; false (and nothing written) when another server moved
    /// the cursor first. A notification already stored is not stored twice.
    pub async fn fan_out(&self, from: i64, to: i64, rows: &[NewNotification]) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // The compare-and-set comes first: it takes the write lock on SQLite before any read.
        let moved = sqlx::query("UPDATE notify_cursor SET seq = $1 WHERE id = 1 AND seq = $2")
            .bind(to)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        for chunk in rows.chunks(200) {
            let sql = format!(
                "INSERT INTO notifications (id, member_id, audit_seq, kind, title, link, created_at) VALUES {}
                 ON CONFLICT (member_id, audit_seq, kind) DO NOTHING",
                values_placeholders(self.backend(), chunk.len(), 7)
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(crate::new_id())
                    .bind(&row.member_id)
                    .bind(row.audit_seq)
                    .bind(row.kind)
                    .bind(&row.title)
                    .bind(&row.link)
                    .bind(row.created_at);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn unread_count(&self, member_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM notifications WHERE member_id = $1 AND read_at IS NULL")
            .bind(member_id)
            .fetch_one(self.reader())
            .await?;
        Ok(row.try_get(0)?)
    }

    /// A member's notifications, newest first: at most `limit`, older than `before` (a
    /// `created_at`) when given, only unread ones when asked.
    pub async fn notifications_of(
        &self,
        member_id: &str,
        limit: i64,
        before: Option<i64>,
        unread_only: bool,
    ) -> Result<Vec<Notification>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE member_id = $1 AND created_at < $2 {}
             ORDER BY created_at DESC, id DESC LIMIT $3",
            if unread_only { "AND read_at IS NULL" } else { "" }
        );
        let rows = sqlx::query(&sql)
            .bind(member_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit.clamp(1, crate::sql::MAX_LIST))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(notification).collect()
    }

    /// One of a member's notifications (another member's is not found).
    pub async fn notification(&self, member_id: &str, id: &str) -> Result<Option<Notification>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE member_id = $1 AND id = $2");
        sqlx::query(&sql)
            .bind(member_id)
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(notification)
            .transpose()
    }

    /// Marks one notification (or, with `None`, all of them) read; only the member's own.
    /// Returns how many changed.
    pub async fn mark_read(&self, member_id: &str, id: Option<&str>, at_ms: i64) -> Result<u64> {
        let result = match id {
            Some(id) => {
                sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE member_id = $2 AND id = $3 AND read_at IS NULL",
                )
                .bind(at_ms)
                .bind(member_id)
                .bind(id)
                .execute(&self.pool)
                .await?
            }
            None => {
                sqlx::query("UPDATE notifications SET read_at = $1 WHERE member_id = $2 AND read_at IS NULL")
                    .bind(at_ms)
                    .bind(member_id)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(result.rows_affected())
    }

    /// Marks every notification created before `before` read (the demo's past season).
    pub async fn mark_all_read_before(&self, before: i64) -> Result<u64> {
        Ok(sqlx::query("UPDATE notifications SET read_at = created_at WHERE read_at IS NULL AND created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    pub async fn prefs(&self, member_id: &str) -> Result<Prefs> {
        let row = sqlx::query("SELECT digest, email, time_zone, last_digest_at FROM member_prefs WHERE member_id = $1")
            .bind(member_id)
            .fetch_optional(self.reader())
            .await?;
        Ok(match row {
            Some(r) => prefs_from(&r, 0)?,
            None => Prefs::default(),
        })
    }

    /// Members whose digest is due: `daily` ones last sent before `daily_before`, `weekly`
    /// ones before `weekly_before`, with an address; at most 500 per call.
    pub async fn digests_due(&self, daily_before: i64, weekly_before: i64) -> Result<Vec<(String, Prefs)>> {
        let rows = sqlx::query(
            "SELECT member_id, digest, email, time_zone, last_digest_at FROM member_prefs
             WHERE email <> '' AND ((digest = 'daily' AND last_digest_at < $1) OR (digest = 'weekly' AND last_digest_at < $2))
             ORDER BY member_id LIMIT 500",
        )
        .bind(daily_before)
        .bind(weekly_before)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, prefs_from(r, 1)?))).collect()
    }

    /// The member's unread notifications not yet emailed, oldest first (at most 200).
    pub async fn undigested(&self, member_id: &str) -> Result<Vec<Notification>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE member_id = $1 AND read_at IS NULL AND emailed_at IS NULL
             ORDER BY created_at, id LIMIT 200"
        );
        sqlx::query(&sql).bind(member_id).fetch_all(self.reader()).await?.iter().map(notification).collect()
    }

    /// Claims a member's due digest for sending: moves their last digest time from `last` to
    /// `at_ms`. False when another server claimed it first, so each digest is sent once.
    pub async fn claim_digest(&self, member_id: &str, last: i64, at_ms: i64) -> Result<bool> {
        let claimed =
            sqlx::query("UPDATE member_prefs SET last_digest_at = $1 WHERE member_id = $2 AND last_digest_at = $3")
                .bind(at_ms)
                .bind(member_id)
                .bind(last)
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(claimed == 1)
    }

    /// Gives a claimed digest back (the relay refused it), so it is due again at the next try.
    pub async fn release_digest(&self, member_id: &str, last: i64, at_ms: i64) -> Result<()> {
        sqlx::query("UPDATE member_prefs SET last_digest_at = $1 WHERE member_id = $2 AND last_digest_at = $3")
            .bind(last)
            .bind(member_id)
            .bind(at_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks notifications as sent in a digest (they are not sent again).
    pub async fn mark_emailed(&self, member_id: &str, ids: &[String], at_ms: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            sqlx::query("UPDATE notifications SET emailed_at = $1 WHERE id = $2 AND member_id = $3")
                .bind(at_ms)
                .bind(id)
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ids of an organisation's members (only stewards when asked), at most 100,000.
    pub async fn org_member_ids(&self, org_id: &str, stewards_only: bool) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT member_id FROM memberships WHERE org_id = $1 {} ORDER BY member_id LIMIT 100000",
            if stewards_only { "AND role = 'steward'" } else { "" }
        );
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Who may vote on a proposal: its weight snapshot once voting has opened, else its
    /// organisation's members.
    pub async fn proposal_voter_ids(&self, proposal_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT member_id FROM weight_snapshots WHERE proposal_id = $1 ORDER BY member_id")
            .bind(proposal_id)
            .fetch_all(self.reader())
            .await?;
        if !rows.is_empty() {
            return rows.iter().map(|r| Ok(r.try_get(0)?)).collect();
        }
        let row = sqlx::query("SELECT org_id FROM proposals WHERE id = $1")
            .bind(proposal_id)
            .fetch_optional(self.reader())
            .await?;
        match row {
            Some(r) => self.org_member_ids(&r.try_get::<String, _>(0)?, false).await,
            None => Ok(Vec::new()),
        }
    }

    /// The member who asked to join, by join request id.
    pub async fn join_requester(&self, request_id: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT member_id, org_id FROM join_requests WHERE id = $1")
            .bind(request_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }
}

impl WriteTx {
    /// Saves a member's inbox preferences (the audit entry says what changed, never the address).
    pub async fn set_prefs(&mut self, member_id: &str, prefs: &Prefs) -> Result<()> {
        sqlx::query(
            "INSERT INTO member_prefs (member_id, digest, email, time_zone, last_digest_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (member_id) DO UPDATE SET digest = $2, email = $3, time_zone = $4",
        )
        .bind(member_id)
        .bind(&prefs.digest)
        .bind(&prefs.email)
        .bind(&prefs.time_zone)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "member.prefs",
            member_id,
            json!({ "digest": prefs.digest, "email_given": !prefs.email.is_empty(), "time_zone": prefs.time_zone }),
        )
        .await
    }
}
