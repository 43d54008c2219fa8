//! Authentication over HTTP: session cookies, bearer tokens and CSRF, and the [`ApiCaller`]
//! extractor that tells every API handler who is asking (the [`Caller`] itself, and who may do
//! what, live in the operations layer).
//!
//! A request is authenticated by exactly one of: an `Authorization: Bearer cmn_...` API token
//! (org-scoped), or the `commune_session` cookie. Cookie-authenticated API writes must carry the
//! session's CSRF token in `X-CSRF-Token`; web forms carry it in a `csrf` field.

use crate::error::{ApiError, AppError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
pub use commune_app::caller::{Caller, SignedIn};
pub use commune_app::secrets::constant_time_eq;
use commune_app::state::AppState;

pub const SESSION_COOKIE: &str = "commune_session";
pub const CSRF_COOKIE: &str = "commune_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

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

/// Resolves the caller from headers: a bearer token wins over a cookie.
pub async fn caller_from_headers(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| AppError::bad_request("bad_authorization", "use 'Authorization: Bearer cmn_...'"))?;
        return Caller::from_token(state, secret).await;
    }
    caller_from_cookie(state, headers).await
}

/// Resolves the caller from the session cookie alone (web pages ignore bearer tokens).
pub async fn caller_from_cookie(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    Caller::from_session(state, cookie(headers, SESSION_COOKIE)).await
}

/// The API's extractor: resolves the caller and, for cookie-authenticated writes, checks the
/// `X-CSRF-Token` header against the session.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ApiCaller, ApiError> {
        let caller = caller_from_headers(state, &parts.headers).await?;
        if let Caller::Member(signed_in) = &caller {
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            let header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !safe && !constant_time_eq(header.unwrap_or(""), &signed_in.csrf) {
                return Err(AppError::Csrf.into());
            }
        }
        Ok(ApiCaller(caller))
    }
}

/// The client's `User-Agent`, for the member's list of sessions (empty when absent or not text).
pub fn user_agent(headers: &HeaderMap) -> &str {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The client's address, when the server knows it (not in in-process tests).
pub fn client_key(parts_ext: &axum::http::Extensions) -> Option<String> {
    parts_ext.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip().to_string())
}
