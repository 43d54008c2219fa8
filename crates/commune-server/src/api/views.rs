//! The JSON shapes of members, organisations, memberships, join requests and tokens.

use commune_store::{ApiToken, JoinRequest, Member, Org, OrgMember};

/// A member's public profile.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: String,
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub place: String,
    pub domains: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> MemberView {
        MemberView {
            id: m.id,
            handle: m.handle,
            display_name: m.display_name,
            bio: m.bio,
            place: m.place,
            domains: m.domains,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// `commune` (the root, exactly one), `business` or `chapter`.
    pub kind: String,
    pub description: String,
    pub place: String,
    /// How new members are admitted: `steward`.
    pub admission: String,
    pub is_root: bool,
    pub member_count: i64,
    pub created_at: i64,
}

impl From<Org> for OrgView {
    fn from(o: Org) -> OrgView {
        OrgView {
            id: o.id,
            slug: o.slug,
            name: o.name,
            kind: o.kind.as_str().to_owned(),
            description: o.description,
            place: o.place,
            admission: o.admission,
            is_root: o.is_root,
            member_count: o.member_count,
            created_at: o.created_at,
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OrgMemberView {
    pub member_id: String,
    pub handle: String,
    pub display_name: String,
    /// `member` or `steward`.
    pub role: String,
    pub joined_at: i64,
}

impl From<OrgMember> for OrgMemberView {
    fn from(m: OrgMember) -> OrgMemberView {
        OrgMemberView {
            member_id: m.member_id,
            handle: m.handle,
            display_name: m.display_name,
            role: m.role.as_str().to_owned(),
            joined_at: m.joined_at,
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct JoinRequestView {
    pub id: String,
    pub org_id: String,
    pub member_id: String,
    pub handle: String,
    pub display_name: String,
    pub message: String,
    /// `pending`, `admitted` or `rejected`.
    pub status: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

impl From<JoinRequest> for JoinRequestView {
    fn from(j: JoinRequest) -> JoinRequestView {
        JoinRequestView {
            id: j.id,
            org_id: j.org_id,
            member_id: j.member_id,
            handle: j.handle,
            display_name: j.display_name,
            message: j.message,
            status: j.status.as_str().to_owned(),
            created_at: j.created_at,
            decided_at: j.decided_at,
        }
    }
}

/// An API token as listed: never its secret.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub display_prefix: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> TokenView {
        TokenView {
            id: t.id,
            org_id: t.org_id,
            name: t.name,
            display_prefix: t.display_prefix,
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_by: t.created_by,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        }
    }
}
