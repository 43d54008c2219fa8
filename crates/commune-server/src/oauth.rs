//! The OpenID Connect provider's JSON endpoints: discovery, the key set, the token endpoint and
//! userinfo. They speak the protocol (form bodies, `error`/`error_description`, `no-store`), not
//! the `/api/v1` conventions; the rules are in `commune_app::oidc`. The consent and sign-out pages
//! are in `crate::web`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use commune_app::oidc::flow::{self, ClientAuth, OAuthError};
use commune_app::oidc::keys;
use commune_app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth/jwks", get(jwks))
        .route("/oauth/token", axum::routing::post(token))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
}

fn json(status: StatusCode, body: &serde_json::Value, cache: &'static str) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

fn refusal(err: OAuthError, challenge: Option<&'static str>) -> Response {
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::json!({ "error": err.error, "error_description": err.description });
    let mut response = json(status, &body, "no-store");
    if let Some(scheme) = challenge.filter(|_| status == StatusCode::UNAUTHORIZED) {
        let value = format!("{scheme} error=\"{}\"", err.error);
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

async fn discovery(State(state): State<AppState>) -> Response {
    json(StatusCode::OK, &flow::discovery(&state), "public, max-age=300")
}

async fn jwks(State(state): State<AppState>) -> Response {
    match keys::jwks(&state, commune_store::now_ms()).await {
        Ok(set) => json(StatusCode::OK, &set, "public, max-age=60"),
        Err(e) => refusal(OAuthError::from(e), None),
    }
}

/// Decodes `application/x-www-form-urlencoded` text (RFC 6749 encodes Basic credentials so).
fn form_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The pairs of an `application/x-www-form-urlencoded` body; `None` when it is not one.
fn form_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            Some((form_decode(k)?, form_decode(v)?))
        })
        .collect()
}

/// `client_secret_basic` credentials, if the request sent `Authorization: Basic …`.
fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let bad = || OAuthError { status: 401, error: "invalid_client", description: "malformed Basic credentials".into() };
    let encoded = value.to_str().ok().and_then(|v| v.strip_prefix("Basic ")).ok_or_else(bad)?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some((form_decode(id).ok_or_else(bad)?, form_decode(secret).ok_or_else(bad)?)))
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let Some(params) = form_pairs(&body) else {
        let err = OAuthError { status: 400, error: "invalid_request", description: "send a form-encoded body".into() };
        return refusal(err, None);
    };
    let auth = match basic(&headers) {
        Ok(basic) => ClientAuth { basic },
        Err(err) => return refusal(err, Some("Basic")),
    };
    match flow::token(&state, &auth, &params, commune_store::now_ms()).await {
        Ok(tokens) => {
            let mut response = json(StatusCode::OK, &serde_json::to_value(&tokens).unwrap_or_default(), "no-store");
            response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(err) => refusal(err, auth.basic.as_ref().map(|_| "Basic")),
    }
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match flow::userinfo(&state, bearer, commune_store::now_ms()).await {
        Ok(claims) => json(StatusCode::OK, &claims, "no-store"),
        Err(err) => refusal(err, Some("Bearer")),
    }
}

#[cfg(test)]
mod tests {
    use super::{form_decode, form_pairs};

    #[test]
    fn basic_credentials_are_form_decoded() {
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
        let pairs = form_pairs(b"grant_type=authorization_code&code=a%2Bb&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb")
            .expect("form");
        assert_eq!(pairs[1], ("code".to_owned(), "a+b".to_owned()));
        assert_eq!(pairs[2].1, "http://127.0.0.1/cb");
        assert_eq!(form_pairs(&[0xff]), None, "not UTF-8");
    }
}
