//! Authentication: Argon2id passwords, session cookies, bearer tokens, CSRF, and the [`Caller`]
//! extractor that tells every handler who is asking.
//!
//! A request is authenticated by exactly one of: an `Authorization: Bearer cmn_...` API token
//! (org-scoped), or the `commune_session` cookie. Cookie-authenticated API writes must carry the
//! session's CSRF token in `X-CSRF-Token`; web forms carry it in a `csrf` field.

use crate::error::AppError;
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use commune_domain::authz::{self, Action, Actor};
use commune_domain::org::Role;
use commune_domain::token::secret_hash;
use commune_store::{ApiToken, Member, Org};
use rand::RngCore;

pub const SESSION_COOKIE: &str = "commune_session";
pub const CSRF_COOKIE: &str = "commune_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// 32 random bytes from a CSPRNG seeded by the operating system (rand's ThreadRng).
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

pub fn random_token() -> String {
    hex::encode(random_bytes())
}

/// Hashes a password with Argon2id (OWASP's parameters, the crate default), off the async runtime.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&random_bytes()[..16]).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::Internal)
}

/// A valid hash of a random password, verified against when the handle is unknown so that
/// unknown and known handles take the same time.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Q3J4e0qTvIHxCz7iJ4h8I4nlgQ4qRvfKdJ9ZbqS3b2c";

pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DECOY_HASH.to_owned());
        let ok = match PasswordHash::new(&stored) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        };
        known && ok
    })
    .await
    .map_err(AppError::internal)
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value; `max_age_s = 0` deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}")
}

/// A signed-in member and their session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub member: Member,
    pub session_hash: String,
    pub csrf: String,
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
    /// Resolves the caller from headers: a bearer token wins over a cookie.
    pub async fn from_headers(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let secret = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| AppError::bad_request("bad_authorization", "use 'Authorization: Bearer cmn_...'"))?;
            let token = state.store.live_token(&secret_hash(secret)).await?.ok_or(AppError::BadToken)?;
            return Ok(Caller::Token(token));
        }
        Caller::from_cookie(state, headers).await
    }

    /// Resolves the caller from the session cookie alone (web pages ignore bearer tokens).
    pub async fn from_cookie(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
        let Some(secret) = cookie(headers, SESSION_COOKIE) else {
            return Ok(Caller::Anonymous { expired: false });
        };
        let session_hash = secret_hash(secret);
        let Some((session, member)) = state.store.session_member(&session_hash).await? else {
            return Ok(Caller::Anonymous { expired: true });
        };
        if session.expires_at <= commune_store::now_ms() {
            return Ok(Caller::Anonymous { expired: true });
        }
        Ok(Caller::Member(SignedIn { member, session_hash, csrf: session.csrf_token }))
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
                let id = &signed_in.member.id;
                let role = match org {
                    Some(org) => state.store.role_in(&org.id, id).await?,
                    None => None,
                };
                let instance_steward = match state.store.root_org().await? {
                    Some(root) if org.is_some_and(|o| o.id == root.id) => role == Some(Role::Steward),
                    Some(root) => state.store.role_in(&root.id, id).await? == Some(Role::Steward),
                    None => false,
                };
                Actor::Member { role, instance_steward }
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

/// The API's extractor: resolves the caller and, for cookie-authenticated writes, checks the
/// `X-CSRF-Token` header against the session.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ApiCaller, AppError> {
        let caller = Caller::from_headers(state, &parts.headers).await?;
        if let Caller::Member(signed_in) = &caller {
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            let header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !safe && !constant_time_eq(header.unwrap_or(""), &signed_in.csrf) {
                return Err(AppError::Csrf);
            }
        }
        Ok(ApiCaller(caller))
    }
}

/// Compares secrets without an early exit on the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's `User-Agent`, for the member's list of sessions (empty when absent or not text).
pub fn user_agent(headers: &HeaderMap) -> &str {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The client's address, when the server knows it (not in in-process tests).
pub fn client_key(parts_ext: &axum::http::Extensions) -> Option<String> {
    parts_ext.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip().to_string())
}
