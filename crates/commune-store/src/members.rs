//! Members and their profiles.

use crate::{Result, Store, StoreError, WriteTx, conflict_as, one_row};
use commune_domain::identity::{Handle, Profile};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub id: String,
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub place: String,
    pub domains: Vec<String>,
    pub created_at: i64,
}

/// What logging in needs; kept apart from [`Member`] so the hash never travels further.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub member_id: String,
    pub password_hash: String,
}

const MEMBER_COLUMNS: &str = "id, handle, display_name, bio, place, created_at";

pub(crate) fn member_from(row: &AnyRow) -> Result<Member> {
    Ok(Member {
        id: row.try_get("id")?,
        handle: row.try_get("handle")?,
        display_name: row.try_get("display_name")?,
        bio: row.try_get("bio")?,
        place: row.try_get("place")?,
        domains: Vec::new(),
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    pub async fn member_by_handle(&self, handle: &str) -> Result<Option<Member>> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE handle = $1");
        self.one_member(sqlx::query(&sql).bind(handle)).await
    }

    pub async fn member_by_id(&self, id: &str) -> Result<Option<Member>> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1");
        self.one_member(sqlx::query(&sql).bind(id)).await
    }

    async fn one_member<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<Option<Member>> {
        let Some(row) = query.fetch_optional(self.reader()).await? else {
            return Ok(None);
        };
        let mut member = member_from(&row)?;
        member.domains = self.member_domains(&member.id).await?;
        Ok(Some(member))
    }

    /// Every domain in use in members' profiles, proposals and delegations, in order (at most
    /// 1,000), for pickers and "did you mean".
    pub async fn known_domains(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT domain FROM member_domains UNION SELECT domain FROM proposals
             UNION SELECT domain FROM delegations WHERE domain <> ''
             ORDER BY 1 LIMIT 1000",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    async fn member_domains(&self, member_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT domain FROM member_domains WHERE member_id = $1 ORDER BY position")
            .bind(member_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn credentials(&self, handle: &str) -> Result<Option<Credentials>> {
        let row = sqlx::query("SELECT id, password_hash FROM members WHERE handle = $1")
            .bind(handle)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok(Credentials { member_id: r.try_get(0)?, password_hash: r.try_get(1)? })).transpose()
    }

    /// Members ordered by handle, `limit` at a time (bounded at 500).
    /// Members by handle: at most `limit` (1–500) after the handle `after` (keyset: the cost does
    /// not grow with the page's position), skipping `offset` more.
    pub async fn list_members(&self, limit: i64, offset: i64, after: &str) -> Result<Vec<Member>> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE handle > $1 ORDER BY handle LIMIT $2 OFFSET $3");
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(limit.clamp(1, 500))
            .bind(offset.max(0))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(member_from).collect()
    }

    /// Members matching a directory search, by handle: `text` in the handle or name, a domain,
    /// a place, membership of an organisation (and a role in it). Returns the page (at most
    /// `limit`, 1–500, after `offset`) and how many match in all.
    pub async fn search_members(&self, q: &MemberSearch, limit: i64, offset: i64) -> Result<(Vec<Member>, i64)> {
        let like = |raw: &str| {
            let escaped = raw.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            if escaped.is_empty() { String::new() } else { format!("%{escaped}%") }
        };
        let filter =
            "WHERE ($1 = '' OR LOWER(m.handle) LIKE $1 ESCAPE '\\' OR LOWER(m.display_name) LIKE $1 ESCAPE '\\')
              AND ($2 = '' OR EXISTS (SELECT 1 FROM member_domains d WHERE d.member_id = m.id AND d.domain = $2))
              AND ($3 = '' OR LOWER(m.place) LIKE $3 ESCAPE '\\')
              AND ($4 = '' OR EXISTS (SELECT 1 FROM memberships ms JOIN orgs o ON o.id = ms.org_id
                                      WHERE ms.member_id = m.id AND o.slug = $4 AND ($5 = '' OR ms.role = $5)))";
        let (text, place) = (like(&q.text), like(&q.place));
        let columns = MEMBER_COLUMNS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", ");
        let page_sql = format!("SELECT {columns} FROM members m {filter} ORDER BY m.handle LIMIT $6 OFFSET $7");
        let rows = sqlx::query(&page_sql)
            .bind(&text)
            .bind(q.domain.trim())
            .bind(&place)
            .bind(q.org.trim())
            .bind(q.role.trim())
            .bind(limit.clamp(1, 500))
            .bind(offset.max(0))
            .fetch_all(self.reader())
            .await?;
        let count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM members m {filter}");
        let total: i64 = sqlx::query(&count_sql)
            .bind(&text)
            .bind(q.domain.trim())
            .bind(&place)
            .bind(q.org.trim())
            .bind(q.role.trim())
            .fetch_one(self.reader())
            .await?
            .try_get(0)?;
        Ok((rows.iter().map(member_from).collect::<Result<_>>()?, total))
    }

    /// The handles of these members, in handle order.
    pub async fn handles_of(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut handles = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let list = crate::sql::list_placeholders(self.backend(), 0, chunk.len());
            let sql = format!("SELECT handle FROM members WHERE id IN ({list})");
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(self.reader()).await? {
                handles.push(row.try_get(0)?);
            }
        }
        handles.sort();
        Ok(handles)
    }

    /// The domains and stewardships of these members, for their directory cards.
    pub async fn card_facts(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, (Vec<String>, Vec<String>)>> {
        let mut facts: std::collections::HashMap<String, (Vec<String>, Vec<String>)> =
            ids.iter().map(|id| (id.clone(), (Vec::new(), Vec::new()))).collect();
        for chunk in ids.chunks(200) {
            let list = crate::sql::list_placeholders(self.backend(), 0, chunk.len());
            let sql = format!(
                "SELECT member_id, domain FROM member_domains WHERE member_id IN ({list}) ORDER BY member_id, position"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(self.reader()).await? {
                let id: String = row.try_get(0)?;
                facts.entry(id).or_default().0.push(row.try_get(1)?);
            }
            let sql = format!(
                "SELECT ms.member_id, o.name FROM memberships ms JOIN orgs o ON o.id = ms.org_id
                 WHERE ms.role = 'steward' AND ms.member_id IN ({list}) ORDER BY ms.member_id, o.name"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(self.reader()).await? {
                let id: String = row.try_get(0)?;
                facts.entry(id).or_default().1.push(row.try_get(1)?);
            }
        }
        Ok(facts)
    }

    pub async fn count(&self, table: Counted) -> Result<i64> {
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {}", table.table());
        Ok(sqlx::query(&sql).fetch_one(self.reader()).await?.try_get(0)?)
    }
}

/// A directory search; empty fields match everyone.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MemberSearch {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub place: String,
    /// An organisation's slug.
    #[serde(default)]
    pub org: String,
    /// `member` or `steward` (with `org`).
    #[serde(default)]
    pub role: String,
}

/// Tables whose size the instance page reports.
#[derive(Debug, Clone, Copy)]
pub enum Counted {
    Members,
    Orgs,
    Memberships,
    AuditEntries,
    ActiveTokens,
    Businesses,
    Proposals,
    /// Transfers from or to outside the commune (deposits and payouts).
    SettlementTransfers,
}

impl Counted {
    fn table(self) -> &'static str {
        match self {
            Counted::Members => "members",
            Counted::Orgs => "orgs",
            Counted::Memberships => "memberships",
            Counted::AuditEntries => "audit_log",
            Counted::ActiveTokens => "api_tokens WHERE revoked_at IS NULL",
            Counted::Businesses => "orgs WHERE kind = 'business'",
            Counted::Proposals => "proposals",
            Counted::SettlementTransfers => "ledger_accounts WHERE owner_kind = 'settlement' AND transfer_count > 0",
        }
    }
}

impl WriteTx {
    /// Creates a member; `Conflict("handle")` if the handle is taken.
    pub async fn create_member(&mut self, handle: &Handle, profile: &Profile, password_hash: &str) -> Result<Member> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO members (id, handle, display_name, password_hash, bio, place, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(handle.as_str())
        .bind(&profile.display_name)
        .bind(password_hash)
        .bind(&profile.bio)
        .bind(&profile.place)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("a member with this handle"))?;
        self.replace_domains(&id, &profile.domains).await?;
        let member = Member {
            id: id.clone(),
            handle: handle.as_str().to_owned(),
            display_name: profile.display_name.clone(),
            bio: profile.bio.clone(),
            place: profile.place.clone(),
            domains: profile.domains.clone(),
            created_at: at,
        };
        self.audit("member.create", &id, json!({ "handle": handle.as_str(), "profile": profile })).await?;
        Ok(member)
    }

    pub async fn update_profile(&mut self, member_id: &str, profile: &Profile) -> Result<()> {
        let result = sqlx::query("UPDATE members SET display_name = $1, bio = $2, place = $3 WHERE id = $4")
            .bind(&profile.display_name)
            .bind(&profile.bio)
            .bind(&profile.place)
            .bind(member_id)
            .execute(&mut *self.tx)
            .await?;
        one_row(result, "member")?;
        self.replace_domains(member_id, &profile.domains).await?;
        self.audit("member.update_profile", member_id, json!({ "profile": profile })).await
    }

    async fn replace_domains(&mut self, member_id: &str, domains: &[String]) -> Result<()> {
        sqlx::query("DELETE FROM member_domains WHERE member_id = $1").bind(member_id).execute(&mut *self.tx).await?;
        for (position, domain) in domains.iter().enumerate() {
            sqlx::query("INSERT INTO member_domains (member_id, domain, position) VALUES ($1, $2, $3)")
                .bind(member_id)
                .bind(domain)
                .bind(i64::try_from(position).map_err(|_| StoreError::Corrupt("too many domains".into()))?)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

/// An uploaded avatar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub updated_at: i64,
}

impl Store {
    /// The avatar a member uploaded, by handle; `None` when they use their identicon.
    pub async fn avatar(&self, handle: &str) -> Result<Option<Avatar>> {
        let row = sqlx::query(
            "SELECT a.content_type, a.bytes, a.updated_at FROM avatars a JOIN members m ON m.id = a.member_id
             WHERE m.handle = $1",
        )
        .bind(handle)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| Ok(Avatar { content_type: r.try_get(0)?, bytes: r.try_get(1)?, updated_at: r.try_get(2)? }))
            .transpose()
    }
}

impl WriteTx {
    /// Sets (or, with `None`, removes) a member's uploaded avatar; the audit entry records its
    /// type, size and SHA-256, not the picture.
    pub async fn set_avatar(&mut self, member_id: &str, avatar: Option<(&str, &[u8])>) -> Result<()> {
        sqlx::query("DELETE FROM avatars WHERE member_id = $1").bind(member_id).execute(&mut *self.tx).await?;
        let change = match avatar {
            Some((content_type, bytes)) => {
                sqlx::query("INSERT INTO avatars (member_id, content_type, bytes, updated_at) VALUES ($1, $2, $3, $4)")
                    .bind(member_id)
                    .bind(content_type)
                    .bind(bytes)
                    .bind(self.at_ms())
                    .execute(&mut *self.tx)
                    .await?;
                use sha2::Digest;
                json!({ "content_type": content_type, "bytes": bytes.len(), "sha256": hex::encode(sha2::Sha256::digest(bytes)) })
            }
            None => json!({ "removed": true }),
        };
        self.audit("member.avatar", member_id, change).await
    }
}
