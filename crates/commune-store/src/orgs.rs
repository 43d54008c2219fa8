//! Organisations, memberships and join requests.

use crate::sql::MAX_LIST;
use crate::{Result, Store, StoreError, WriteTx, conflict_as, one_row};
use commune_domain::org::{JoinStatus, NewOrg, OrgKind, Role};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Org {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: OrgKind,
    pub description: String,
    pub place: String,
    pub admission: String,
    pub is_root: bool,
    pub created_at: i64,
    pub member_count: i64,
}

/// A member of an organisation, as its member list shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrgMember {
    pub member_id: String,
    pub handle: String,
    pub display_name: String,
    pub role: Role,
    pub joined_at: i64,
}

/// An organisation a member belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    pub org: Org,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JoinRequest {
    pub id: String,
    pub org_id: String,
    pub member_id: String,
    pub handle: String,
    pub display_name: String,
    pub message: String,
    pub status: JoinStatus,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const ORG_SELECT: &str =
    "SELECT o.id, o.slug, o.name, o.kind, o.description, o.place, o.admission, o.is_root, o.created_at,
        (SELECT CAST(COUNT(*) AS BIGINT) FROM memberships m WHERE m.org_id = o.id) AS member_count
    FROM orgs o";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn org_from(row: &AnyRow) -> Result<Org> {
    let kind: String = row.try_get("kind")?;
    let is_root: i64 = row.try_get("is_root")?;
    Ok(Org {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        kind: OrgKind::parse(&kind).map_err(corrupt)?,
        description: row.try_get("description")?,
        place: row.try_get("place")?,
        admission: row.try_get("admission")?,
        is_root: is_root == 1,
        created_at: row.try_get("created_at")?,
        member_count: row.try_get("member_count")?,
    })
}

fn role_from(raw: &str) -> Result<Role> {
    Role::parse(raw).map_err(corrupt)
}

fn join_request_from(row: &AnyRow) -> Result<JoinRequest> {
    let status: String = row.try_get("status")?;
    Ok(JoinRequest {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        member_id: row.try_get("member_id")?,
        handle: row.try_get("handle")?,
        display_name: row.try_get("display_name")?,
        message: row.try_get("message")?,
        status: JoinStatus::parse(&status).ok_or_else(|| corrupt(format!("join request status '{status}'")))?,
        created_at: row.try_get("created_at")?,
        decided_at: row.try_get("decided_at")?,
    })
}

const JOIN_SELECT: &str =
    "SELECT j.id, j.org_id, j.member_id, m.handle, m.display_name, j.message, j.status, j.created_at, j.decided_at
    FROM join_requests j JOIN members m ON m.id = j.member_id";

impl Store {
    pub async fn org_by_slug(&self, slug: &str) -> Result<Option<Org>> {
        let sql = format!("{ORG_SELECT} WHERE o.slug = $1");
        sqlx::query(&sql).bind(slug).fetch_optional(self.reader()).await?.as_ref().map(org_from).transpose()
    }

    pub async fn org_by_id(&self, id: &str) -> Result<Option<Org>> {
        let sql = format!("{ORG_SELECT} WHERE o.id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(org_from).transpose()
    }

    /// The commune itself; `None` until first-run setup.
    pub async fn root_org(&self) -> Result<Option<Org>> {
        let sql = format!("{ORG_SELECT} WHERE o.is_root = 1");
        sqlx::query(&sql).fetch_optional(self.reader()).await?.as_ref().map(org_from).transpose()
    }

    /// All organisations: the commune first, then by name.
    pub async fn list_orgs(&self) -> Result<Vec<Org>> {
        let sql = format!("{ORG_SELECT} ORDER BY o.is_root DESC, o.name LIMIT {MAX_LIST}");
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(org_from).collect()
    }

    pub async fn role_in(&self, org_id: &str, member_id: &str) -> Result<Option<Role>> {
        let row = sqlx::query("SELECT role FROM memberships WHERE org_id = $1 AND member_id = $2")
            .bind(org_id)
            .bind(member_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| role_from(&r.try_get::<String, _>(0)?)).transpose()
    }

    pub async fn org_members(&self, org_id: &str) -> Result<Vec<OrgMember>> {
        let rows = sqlx::query(
            "SELECT m.id, m.handle, m.display_name, ms.role, ms.joined_at
             FROM memberships ms JOIN members m ON m.id = ms.member_id
             WHERE ms.org_id = $1 ORDER BY ms.role DESC, m.handle LIMIT 10000",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrgMember {
                    member_id: r.try_get(0)?,
                    handle: r.try_get(1)?,
                    display_name: r.try_get(2)?,
                    role: role_from(&r.try_get::<String, _>(3)?)?,
                    joined_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn memberships_of(&self, member_id: &str) -> Result<Vec<Membership>> {
        let sql = format!(
            "{ORG_SELECT} JOIN memberships ms ON ms.org_id = o.id WHERE ms.member_id = $1 ORDER BY o.is_root DESC, o.name LIMIT {MAX_LIST}"
        );
        let rows = sqlx::query(&sql.replacen("SELECT o.id", "SELECT ms.role, o.id", 1))
            .bind(member_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok(Membership { role: role_from(&r.try_get::<String, _>("role")?)?, org: org_from(r)? }))
            .collect()
    }

    pub async fn join_requests(&self, org_id: &str, status: JoinStatus) -> Result<Vec<JoinRequest>> {
        let sql =
            format!("{JOIN_SELECT} WHERE j.org_id = $1 AND j.status = $2 ORDER BY j.created_at, j.id LIMIT {MAX_LIST}");
        let rows = sqlx::query(&sql).bind(org_id).bind(status.as_str()).fetch_all(self.reader()).await?;
        rows.iter().map(join_request_from).collect()
    }

    pub async fn join_request(&self, org_id: &str, id: &str) -> Result<Option<JoinRequest>> {
        let sql = format!("{JOIN_SELECT} WHERE j.org_id = $1 AND j.id = $2");
        sqlx::query(&sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(join_request_from)
            .transpose()
    }

    /// The pending request of `member_id` to join `org_id`, if any.
    pub async fn pending_request_of(&self, org_id: &str, member_id: &str) -> Result<Option<JoinRequest>> {
        let sql = format!("{JOIN_SELECT} WHERE j.org_id = $1 AND j.member_id = $2 AND j.status = 'pending'");
        sqlx::query(&sql)
            .bind(org_id)
            .bind(member_id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(join_request_from)
            .transpose()
    }

    /// Pending requests across every organisation `member_id` stewards, for the home page.
    pub async fn pending_requests_for_steward(&self, member_id: &str) -> Result<Vec<(String, JoinRequest)>> {
        let sql = format!(
            "{} JOIN memberships s ON s.org_id = j.org_id AND s.member_id = $1 AND s.role = 'steward'
             JOIN orgs o ON o.id = j.org_id
             WHERE j.status = 'pending' ORDER BY j.created_at LIMIT 50",
            JOIN_SELECT.replacen("SELECT j.id", "SELECT o.slug, j.id", 1)
        );
        let rows = sqlx::query(&sql).bind(member_id).fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok((r.try_get("slug")?, join_request_from(r)?))).collect()
    }
}

impl WriteTx {
    /// Creates an organisation with `founder` as its first steward.
    pub async fn create_org(&mut self, org: &NewOrg, founder: &str) -> Result<Org> {
        let id = crate::new_id();
        let at = self.at_ms();
        let is_root = org.kind == OrgKind::Commune;
        sqlx::query(
            "INSERT INTO orgs (id, slug, name, kind, description, place, admission, is_root, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(&org.slug)
        .bind(&org.name)
        .bind(org.kind.as_str())
        .bind(&org.description)
        .bind(&org.place)
        .bind(org.admission.as_str())
        .bind(i64::from(is_root))
        .bind(founder)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as(if is_root { "the commune" } else { "an organisation with this slug" }))?;
        self.audit("org.create", &id, json!({ "org": org, "founder": founder })).await?;
        self.add_member(&id, founder, Role::Steward).await?;
        Ok(Org {
            id,
            slug: org.slug.clone(),
            name: org.name.clone(),
            kind: org.kind,
            description: org.description.clone(),
            place: org.place.clone(),
            admission: org.admission.as_str().to_owned(),
            is_root,
            created_at: at,
            member_count: 1,
        })
    }

    pub async fn add_member(&mut self, org_id: &str, member_id: &str, role: Role) -> Result<()> {
        sqlx::query("INSERT INTO memberships (org_id, member_id, role, joined_at) VALUES ($1, $2, $3, $4)")
            .bind(org_id)
            .bind(member_id)
            .bind(role.as_str())
            .bind(self.at_ms())
            .execute(&mut *self.tx)
            .await
            .map_err(conflict_as("this membership"))?;
        self.audit("membership.add", org_id, json!({ "member_id": member_id, "role": role })).await
    }

    /// Removes a membership, refusing to leave an organisation without a steward.
    pub async fn remove_member(&mut self, org_id: &str, member_id: &str) -> Result<()> {
        let result = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND member_id = $2")
            .bind(org_id)
            .bind(member_id)
            .execute(&mut *self.tx)
            .await?;
        one_row(result, "membership")?;
        self.require_a_steward(org_id).await?;
        self.audit("membership.remove", org_id, json!({ "member_id": member_id })).await
    }

    pub async fn set_role(&mut self, org_id: &str, member_id: &str, role: Role) -> Result<()> {
        let result = sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND member_id = $3")
            .bind(role.as_str())
            .bind(org_id)
            .bind(member_id)
            .execute(&mut *self.tx)
            .await?;
        one_row(result, "membership")?;
        self.require_a_steward(org_id).await?;
        self.audit("membership.set_role", org_id, json!({ "member_id": member_id, "role": role })).await
    }

    /// Checked inside the transaction, after the change, so two concurrent demotions cannot
    /// both pass (writers are serialised by the audit head).
    async fn require_a_steward(&mut self, org_id: &str) -> Result<()> {
        let stewards: i64 =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM memberships WHERE org_id = $1 AND role = 'steward'")
                .bind(org_id)
                .fetch_one(&mut *self.tx)
                .await?
                .try_get(0)?;
        commune_domain::org::check_keeps_a_steward(usize::try_from(stewards).unwrap_or(0))
            .map_err(|e| StoreError::Rule(e.message))
    }

    pub async fn create_join_request(&mut self, org_id: &str, member_id: &str, message: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO join_requests (id, org_id, member_id, message, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(member_id)
        .bind(message)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("a pending request to join"))?;
        self.audit("join_request.create", &id, json!({ "org_id": org_id, "member_id": member_id, "message": message }))
            .await?;
        Ok(id)
    }

    /// Decides a pending request; admitting also adds the membership. `NotFound` unless pending.
    pub async fn decide_join_request(&mut self, request: &JoinRequest, admit: bool) -> Result<()> {
        let status = if admit { JoinStatus::Admitted } else { JoinStatus::Rejected };
        let result = sqlx::query(
            "UPDATE join_requests SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(self.at_ms())
        .bind(self.actor().to_owned())
        .bind(&request.id)
        .execute(&mut *self.tx)
        .await?;
        one_row(result, "pending join request")?;
        self.audit("join_request.decide", &request.id, json!({ "org_id": request.org_id, "status": status })).await?;
        if admit {
            self.add_member(&request.org_id, &request.member_id, Role::Member).await?;
        }
        Ok(())
    }
}
