//! Attributes, dots, Dot Collector meetings and computed believability.

use crate::{Result, Store, StoreError, WriteTx, one_row};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Attribute {
    pub key: String,
    pub name: String,
    pub description: String,
    /// How this attribute rolls up into domains: `(domain, weight)`.
    pub domain_weights: Vec<(String, f64)>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dot {
    pub id: String,
    pub org_id: String,
    pub rater_id: String,
    pub rater_handle: String,
    pub ratee_id: String,
    pub ratee_handle: String,
    pub attribute: String,
    pub score: i64,
    pub context_kind: String,
    pub context_id: String,
    pub comment: String,
    pub created_at: i64,
    pub withdrawn_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDot<'a> {
    pub org_id: &'a str,
    pub rater_id: &'a str,
    pub ratee_id: &'a str,
    pub attribute: &'a str,
    pub score: i64,
    pub context_kind: &'a str,
    pub context_id: &'a str,
    pub comment: &'a str,
    /// When it was given: now, except for imported or demo history.
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Meeting {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub created_by: String,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Believability {
    pub member_id: String,
    pub domain: String,
    pub estimate: f64,
    pub lower: f64,
    pub sd: f64,
    pub raters: i64,
    pub computed_at: i64,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn num(raw: &str) -> Result<f64> {
    raw.parse().map_err(|_| corrupt(format!("number '{raw}'")))
}

fn attribute_from(r: &AnyRow) -> Result<Attribute> {
    let weights: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&r.try_get::<String, _>("domain_weights")?).map_err(corrupt)?;
    Ok(Attribute {
        key: r.try_get("key")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        domain_weights: weights.into_iter().map(|(d, w)| (d, w.as_f64().unwrap_or(0.0))).collect(),
        active: r.try_get::<i64, _>("active")? == 1,
    })
}

const DOT_SELECT: &str =
    "SELECT d.id, d.org_id, d.rater_id, a.handle AS rater_handle, d.ratee_id, b.handle AS ratee_handle,
        d.attribute, d.score, d.context_kind, d.context_id, d.comment, d.created_at, d.withdrawn_at
    FROM dots d JOIN members a ON a.id = d.rater_id JOIN members b ON b.id = d.ratee_id";

fn dot_from(r: &AnyRow) -> Result<Dot> {
    Ok(Dot {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        rater_id: r.try_get("rater_id")?,
        rater_handle: r.try_get("rater_handle")?,
        ratee_id: r.try_get("ratee_id")?,
        ratee_handle: r.try_get("ratee_handle")?,
        attribute: r.try_get("attribute")?,
        score: r.try_get("score")?,
        context_kind: r.try_get("context_kind")?,
        context_id: r.try_get("context_id")?,
        comment: r.try_get("comment")?,
        created_at: r.try_get("created_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
    })
}

impl Store {
    pub async fn attributes(&self) -> Result<Vec<Attribute>> {
        let rows = sqlx::query(
            "SELECT key, name, description, domain_weights, active FROM attributes ORDER BY created_at, key LIMIT 1000",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(attribute_from).collect()
    }

    pub async fn dot(&self, id: &str) -> Result<Option<Dot>> {
        let sql = format!("{DOT_SELECT} WHERE d.id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(dot_from).transpose()
    }

    /// Live dots of an organisation, newest first, optionally about one member.
    pub async fn org_dots(&self, org_id: &str, ratee_id: Option<&str>, limit: i64) -> Result<Vec<Dot>> {
        let sql = format!(
            "{DOT_SELECT} WHERE d.org_id = $1 AND d.withdrawn_at IS NULL AND ($2 = '' OR d.ratee_id = $2)
             ORDER BY d.created_at DESC, d.id DESC LIMIT $3"
        );
        sqlx::query(&sql)
            .bind(org_id)
            .bind(ratee_id.unwrap_or(""))
            .bind(limit.clamp(1, 5000))
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(dot_from)
            .collect()
    }

    /// Live dots about a member across every organisation (their baseball card).
    pub async fn dots_about(&self, ratee_id: &str) -> Result<Vec<Dot>> {
        let sql = format!(
            "{DOT_SELECT} WHERE d.ratee_id = $1 AND d.withdrawn_at IS NULL ORDER BY d.created_at DESC LIMIT 2000"
        );
        sqlx::query(&sql).bind(ratee_id).fetch_all(self.reader()).await?.iter().map(dot_from).collect()
    }

    /// Live dots given in one context (e.g. a meeting).
    pub async fn context_dots(&self, kind: &str, id: &str) -> Result<Vec<Dot>> {
        let sql = format!(
            "{DOT_SELECT} WHERE d.context_kind = $1 AND d.context_id = $2 AND d.withdrawn_at IS NULL ORDER BY d.created_at LIMIT 5000"
        );
        sqlx::query(&sql).bind(kind).bind(id).fetch_all(self.reader()).await?.iter().map(dot_from).collect()
    }

    /// Dots a rater gave since `since_ms` (for rate limits).
    pub async fn dots_given_since(&self, rater_id: &str, since_ms: i64) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM dots WHERE rater_id = $1 AND created_at >= $2")
            .bind(rater_id)
            .bind(since_ms)
            .fetch_one(self.reader())
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Every live dot, for the model: `(rater, ratee, attribute, score, created_at)`.
    pub async fn all_dots(&self) -> Result<Vec<(String, String, String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT rater_id, ratee_id, attribute, score, created_at FROM dots WHERE withdrawn_at IS NULL ORDER BY created_at, id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?))).collect()
    }

    pub async fn meeting(&self, id: &str) -> Result<Option<Meeting>> {
        let row = sqlx::query("SELECT id, org_id, title, created_by, created_at, ended_at FROM meetings WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(meeting_from).transpose()
    }

    pub async fn org_meetings(&self, org_id: &str) -> Result<Vec<Meeting>> {
        let rows = sqlx::query(
            "SELECT id, org_id, title, created_by, created_at, ended_at FROM meetings WHERE org_id = $1 ORDER BY created_at DESC LIMIT 100",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(meeting_from).collect()
    }

    /// A meeting's participants: `(member id, handle, display name)`.
    pub async fn meeting_participants(&self, meeting_id: &str) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT m.id, m.handle, m.display_name FROM meeting_participants p JOIN members m ON m.id = p.member_id
             WHERE p.meeting_id = $1 ORDER BY m.handle LIMIT 1000",
        )
        .bind(meeting_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    pub async fn believability_of(&self, member_id: &str) -> Result<Vec<Believability>> {
        let rows = sqlx::query(
            "SELECT member_id, domain, estimate, lower, sd, raters, computed_at FROM believability WHERE member_id = $1 ORDER BY domain LIMIT 1000",
        )
        .bind(member_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(believability_from).collect()
    }

    /// Believability of everyone in one domain.
    pub async fn believability_in(&self, domain: &str) -> Result<Vec<Believability>> {
        let rows = sqlx::query(
            "SELECT member_id, domain, estimate, lower, sd, raters, computed_at FROM believability WHERE domain = $1",
        )
        .bind(domain)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(believability_from).collect()
    }
}

fn meeting_from(r: &AnyRow) -> Result<Meeting> {
    Ok(Meeting {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        title: r.try_get(2)?,
        created_by: r.try_get(3)?,
        created_at: r.try_get(4)?,
        ended_at: r.try_get(5)?,
    })
}

fn believability_from(r: &AnyRow) -> Result<Believability> {
    Ok(Believability {
        member_id: r.try_get(0)?,
        domain: r.try_get(1)?,
        estimate: num(&r.try_get::<String, _>(2)?)?,
        lower: num(&r.try_get::<String, _>(3)?)?,
        sd: num(&r.try_get::<String, _>(4)?)?,
        raters: r.try_get(5)?,
        computed_at: r.try_get(6)?,
    })
}

impl WriteTx {
    pub async fn create_dot(&mut self, dot: &NewDot<'_>) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO dots (id, org_id, rater_id, ratee_id, attribute, score, context_kind, context_id, comment, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(dot.org_id)
        .bind(dot.rater_id)
        .bind(dot.ratee_id)
        .bind(dot.attribute)
        .bind(dot.score)
        .bind(dot.context_kind)
        .bind(dot.context_id)
        .bind(dot.comment)
        .bind(dot.at_ms)
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "dot.create",
            &id,
            json!({ "org_id": dot.org_id, "rater": dot.rater_id, "ratee": dot.ratee_id, "attribute": dot.attribute,
                "score": dot.score, "context": [dot.context_kind, dot.context_id], "comment": dot.comment }),
        )
        .await?;
        Ok(id)
    }

    /// Withdraws a live dot of `rater_id` created at or after `not_before_ms`.
    pub async fn withdraw_dot(&mut self, id: &str, rater_id: &str, not_before_ms: i64) -> Result<()> {
        let result = sqlx::query(
            "UPDATE dots SET withdrawn_at = $1 WHERE id = $2 AND rater_id = $3 AND withdrawn_at IS NULL AND created_at >= $4",
        )
        .bind(self.at_ms())
        .bind(id)
        .bind(rater_id)
        .bind(not_before_ms)
        .execute(&mut *self.tx)
        .await?;
        one_row(result, "dot of yours from the last 24 hours")?;
        self.audit("dot.withdraw", id, json!({})).await
    }

    pub async fn create_meeting(&mut self, org_id: &str, title: &str, created_by: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query("INSERT INTO meetings (id, org_id, title, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(org_id)
            .bind(title)
            .bind(created_by)
            .bind(self.at_ms())
            .execute(&mut *self.tx)
            .await?;
        self.audit("meeting.create", &id, json!({ "org_id": org_id, "title": title })).await?;
        self.join_meeting(&id, created_by).await?;
        Ok(id)
    }

    pub async fn join_meeting(&mut self, meeting_id: &str, member_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO meeting_participants (meeting_id, member_id, joined_at) VALUES ($1, $2, $3)
             ON CONFLICT (meeting_id, member_id) DO NOTHING",
        )
        .bind(meeting_id)
        .bind(member_id)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("meeting.join", meeting_id, json!({ "member": member_id })).await
    }

    pub async fn end_meeting(&mut self, meeting_id: &str) -> Result<()> {
        let result = sqlx::query("UPDATE meetings SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(self.at_ms())
            .bind(meeting_id)
            .execute(&mut *self.tx)
            .await?;
        one_row(result, "open meeting")?;
        self.audit("meeting.end", meeting_id, json!({})).await
    }

    /// Replaces the believability of one domain with a fresh computation.
    pub async fn replace_believability(&mut self, domain: &str, rows: &[Believability]) -> Result<()> {
        sqlx::query("DELETE FROM believability WHERE domain = $1").bind(domain).execute(&mut *self.tx).await?;
        for b in rows {
            sqlx::query(
                "INSERT INTO believability (member_id, domain, estimate, lower, sd, raters, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&b.member_id)
            .bind(domain)
            .bind(crate::weight_text(b.estimate))
            .bind(crate::weight_text(b.lower))
            .bind(crate::weight_text(b.sd))
            .bind(b.raters)
            .bind(b.computed_at)
            .execute(&mut *self.tx)
            .await?;
        }
        self.audit("believability.recompute", domain, json!({ "members": rows.len() })).await
    }

    /// Adds, re-weights or retires an attribute (by a passed policy proposal).
    pub async fn set_attribute(
        &mut self,
        key: &str,
        name: &str,
        description: &str,
        domain_weights: &[(String, f64)],
        active: bool,
        proposal_id: &str,
    ) -> Result<()> {
        let weights: serde_json::Map<String, serde_json::Value> =
            domain_weights.iter().map(|(d, w)| (d.clone(), json!(w))).collect();
        let weights = serde_json::Value::Object(weights).to_string();
        sqlx::query(
            "INSERT INTO attributes (key, name, description, domain_weights, active, created_at, changed_by_proposal)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (key) DO UPDATE SET name = excluded.name, description = excluded.description,
                domain_weights = excluded.domain_weights, active = excluded.active, changed_by_proposal = excluded.changed_by_proposal",
        )
        .bind(key)
        .bind(name)
        .bind(description)
        .bind(&weights)
        .bind(i64::from(active))
        .bind(self.at_ms())
        .bind(proposal_id)
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "attribute.set",
            key,
            json!({ "name": name, "domain_weights": weights, "active": active, "proposal_id": proposal_id }),
        )
        .await
    }
}
