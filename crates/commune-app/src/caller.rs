//! Who is asking: a signed-in member, an org-scoped API token, or nobody; and the one way to ask
//! the domain's authorization rules about them.

use crate::error::AppError;
use crate::state::AppState;
use commune_domain::authz::{self, Action, Actor};
use commune_domain::token::secret_hash;
use commune_store::{ApiToken, Member, Org};

/// A signed-in member and their session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub member: Member,
    pub session_hash: String,
    pub csrf: String,
    /// Whether they steward the commune, as read with their session.
    pub instance_steward: bool,
    /// When they signed in (the session's start, unix ms): an OpenID `auth_time`.
    pub signed_in_at: i64,
}

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Caller {
    /// Nobody signed in; `expired` when a session cookie was sent but is no longer valid.
    Anonymous {
        expired: bool,
    },
    Member(SignedIn),
    Token(ApiToken),
}

impl Caller {
    /// The caller holding an API token's secret (`cmn_...`); unknown or revoked tokens are refused.
    pub async fn from_token(state: &AppState, secret: &str) -> Result<Caller, AppError> {
        let token = state.store.live_token(&secret_hash(secret)).await?.ok_or(AppError::BadToken)?;
        Ok(Caller::Token(token))
    }

    /// The caller holding a session cookie's secret, if any: anonymous without one, anonymous and
    /// `expired` when the session is unknown or over.
    pub async fn from_session(state: &AppState, secret: Option<&str>) -> Result<Caller, AppError> {
        let Some(secret) = secret else {
            return Ok(Caller::Anonymous { expired: false });
        };
        let session_hash = secret_hash(secret);
        let Some((session, member)) = state.store.session_member(&session_hash).await? else {
            return Ok(Caller::Anonymous { expired: true });
        };
        if session.expires_at <= commune_store::now_ms() {
            return Ok(Caller::Anonymous { expired: true });
        }
        Ok(Caller::Member(SignedIn {
            member,
            session_hash,
            csrf: session.csrf_token,
            instance_steward: session.instance_steward,
            signed_in_at: session.created_at,
        }))
    }

    pub fn member(&self) -> Option<&SignedIn> {
        match self {
            Caller::Member(signed_in) => Some(signed_in),
            _ => None,
        }
    }

    /// The actor id written to the audit log.
    pub fn audit_actor(&self) -> String {
        match self {
            Caller::Anonymous { .. } => "anonymous".to_owned(),
            Caller::Member(s) => s.member.id.clone(),
            Caller::Token(t) => format!("token:{}", t.id),
        }
    }

    /// Describes the caller relative to `org` (or to the instance when `None`).
    pub async fn actor(&self, state: &AppState, org: Option<&Org>) -> Result<Actor, AppError> {
        Ok(match self {
            Caller::Anonymous { .. } => Actor::Anonymous,
            Caller::Token(token) => {
                Actor::Token { same_org: org.is_some_and(|o| o.id == token.org_id), scopes: token.scopes.clone() }
            }
            Caller::Member(signed_in) => {
                let role = match org {
                    Some(org) => state.store.role_in(&org.id, &signed_in.member.id).await?,
                    None => None,
                };
                Actor::Member { role, instance_steward: signed_in.instance_steward }
            }
        })
    }

    /// Authorizes `action` on `org`; an expired session is reported as such.
    pub async fn authorize(&self, state: &AppState, org: Option<&Org>, action: Action) -> Result<(), AppError> {
        let actor = self.actor(state, org).await?;
        authz::authorize(&actor, action).map_err(|denied| match self {
            Caller::Anonymous { expired: true } => AppError::SessionExpired,
            _ => AppError::Denied(denied),
        })
    }

    /// The signed-in member, for actions only members take; tokens get `members_only`.
    pub fn require_member(&self) -> Result<&SignedIn, AppError> {
        match self {
            Caller::Member(signed_in) => Ok(signed_in),
            Caller::Token(_) => Err(AppError::Denied(authz::Denied::MembersOnly)),
            Caller::Anonymous { expired: true } => Err(AppError::SessionExpired),
            Caller::Anonymous { expired: false } => Err(AppError::Denied(authz::Denied::NotAuthenticated)),
        }
    }
}
