//! Which requests may read from a replica, and how a member's own writes follow them there.
//!
//! GET and HEAD requests (not `/healthz`, which checks the primary) run inside
//! [`commune_store::reading`] with the WAL position the member last wrote at, read from the
//! `commune_read_after` cookie; any other request that succeeds sets that cookie to the primary's
//! position after it. The cookie holds no secret: a forged one can only send its own reads to
//! the primary, or to a replica within the lag bound.

use crate::auth::{cookie, set_cookie};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use commune_app::AppState;

const COOKIE: &str = "commune_read_after";

pub async fn route(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.store.has_replicas() {
        return next.run(request).await;
    }
    if matches!(*request.method(), Method::GET | Method::HEAD) && request.uri().path() != "/healthz" {
        let after = last_write(&request).unwrap_or(0);
        return commune_store::reading(after, next.run(request)).await;
    }
    let mut response = next.run(request).await;
    let status = response.status();
    if (status.is_success() || status.is_redirection())
        && let Ok(position) = state.store.write_position().await
        && let Ok(value) =
            HeaderValue::from_str(&set_cookie(COOKIE, &format!("{position:x}"), 300, state.config.secure_cookies))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The WAL position in the request's cookie (hexadecimal), if any.
fn last_write(request: &Request) -> Option<u64> {
    cookie(request.headers(), COOKIE).and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
}
