//! The OpenID Connect protocol: discovery, the authorization code flow with PKCE and consent,
//! the token endpoint (codes once, refresh tokens rotated with reuse detection), userinfo and
//! RP-initiated logout. The rules are the domain's (`commune_domain::oidc`); this resolves
//! clients, members and grants, and writes each step in one audited transaction.
//!
//! Refusals are logged with their reason (never with a code, token or secret) and answered with
//! the protocol's error codes.

use super::keys::{self, Expect};
use crate::caller::{Caller, SignedIn};
use crate::error::AppError;
use crate::secrets::{constant_time_eq, random_token};
use crate::state::AppState;
use commune_domain::oidc::{
    ACCESS_TTL_MS, AuthError, AuthRequest, CODE_TTL_MS, ClientKind, ClientView, ID_TTL_MS, OidcScope, OrgClaim, Prompt,
    REFRESH_TTL_MS, RefreshOutcome, Subject, at_hash, check_authorization, claims, consent_covers, needs_fresh_login,
    pkce_ok, refresh_outcome,
};
use commune_domain::token::secret_hash;
use commune_store::{Grant, NewGrant, OidcClient};
use serde_json::{Value, json};

/// A refusal in the protocol's terms (RFC 6749 §5.2, RFC 6750 §3.1).
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> OAuthError {
        let description = description.into();
        tracing::warn!(error, %description, "OpenID Connect request refused");
        OAuthError { status, error, description }
    }

    fn grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "invalid_grant", description)
    }
}

impl From<AppError> for OAuthError {
    fn from(err: AppError) -> OAuthError {
        tracing::error!(error = %err, "OpenID Connect request failed");
        OAuthError {
            status: 500,
            error: "server_error",
            description: "the server could not complete the request".into(),
        }
    }
}

impl From<commune_store::StoreError> for OAuthError {
    fn from(err: commune_store::StoreError) -> OAuthError {
        OAuthError::from(AppError::from(err))
    }
}

fn issuer(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

/// The discovery document (`/.well-known/openid-configuration`).
pub fn discovery(state: &AppState) -> Value {
    let iss = issuer(state);
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth/authorize"),
        "token_endpoint": format!("{iss}/oauth/token"),
        "userinfo_endpoint": format!("{iss}/oauth/userinfo"),
        "jwks_uri": format!("{iss}/oauth/jwks"),
        "end_session_endpoint": format!("{iss}/oauth/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": OidcScope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash",
            "preferred_username", "name", "profile", "email", "email_verified", "commune:orgs"],
        "prompt_values_supported": ["none", "consent", "login"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    })
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = uri.to_owned();
    for (i, (k, v)) in pairs.iter().enumerate() {
        out.push(if i == 0 && !uri.contains('?') { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// Where an authorization request goes next.
#[derive(Debug)]
pub enum Authorize {
    /// Nobody is signed in: sign in, then come back to the same request.
    Login,
    /// The client asked for a fresh sign-in (`prompt=login`, or `max_age` passed): sign in
    /// again, then go to this local URL (the same request without `prompt`).
    SignInAgain(String),
    /// Ask the member (the consent page).
    Consent(ConsentView),
    /// Send the browser to the client (with a code, or an error).
    Redirect(String),
    /// Show this error: the client or its redirect URI cannot be trusted with it.
    Refuse(String),
}

/// What the consent page shows and posts back.
#[derive(Debug)]
pub struct ConsentView {
    pub client_name: String,
    pub org_name: String,
    pub redirect_host: String,
    /// Where the answer sends the member (the page lets its form go there).
    pub redirect_uri: String,
    pub scopes: Vec<(&'static str, &'static str)>,
    /// The request's parameters, posted back with the decision (and checked again).
    pub params: Vec<(String, String)>,
}

/// Reads parameters, refusing repeats (RFC 6749 §3.1).
fn single<'a>(params: &'a [(String, String)]) -> Result<impl Fn(&str) -> Option<String> + 'a, String> {
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in params {
        if !seen.insert(k.as_str()) {
            return Err(format!("the parameter '{k}' appears more than once"));
        }
    }
    Ok(move |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

async fn live_client(state: &AppState, client_id: Option<&str>) -> Result<OidcClient, String> {
    let id = client_id.filter(|id| !id.is_empty()).ok_or("the request has no client_id")?;
    match state.store.oidc_client(id).await {
        Ok(Some(client)) if client.revoked_at.is_none() => Ok(client),
        Ok(_) => Err(format!("no app with client_id '{id}' is registered here (or it was revoked)")),
        Err(e) => {
            tracing::error!(error = %e, "reading an OpenID Connect client");
            Err("the server could not read the app; try again".into())
        }
    }
}

fn kind_of(client: &OidcClient) -> ClientKind {
    if client.kind == ClientKind::Confidential.as_str() { ClientKind::Confidential } else { ClientKind::Public }
}

/// Checks an authorization request and the caller's session and consent.
async fn resolve(state: &AppState, params: &[(String, String)]) -> Result<(OidcClient, AuthRequest), Authorize> {
    let get = single(params).map_err(Authorize::Refuse)?;
    let client = live_client(state, get("client_id").as_deref()).await.map_err(|why| {
        tracing::warn!(%why, "authorization request refused");
        Authorize::Refuse(why)
    })?;
    let view = ClientView { kind: kind_of(&client), redirect_uris: &client.redirect_uris };
    match check_authorization(&get, &view) {
        Ok(request) => Ok((client, request)),
        Err(AuthError::Page(why)) => {
            tracing::warn!(%why, client = %client.id, "authorization request refused");
            Err(Authorize::Refuse(why))
        }
        Err(AuthError::Redirect { redirect_uri, state: st, error, description }) => {
            tracing::warn!(error, %description, client = %client.id, "authorization request refused");
            Err(Authorize::Redirect(error_redirect(state, &redirect_uri, st.as_deref(), error, &description)))
        }
    }
}

fn error_redirect(state: &AppState, uri: &str, st: Option<&str>, error: &str, description: &str) -> String {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(s) = st {
        pairs.push(("state", s));
    }
    pairs.push(("iss", issuer(state)));
    with_query(uri, &pairs)
}

/// Sends an acceptable request's browser back to its app with an error.
fn send_back(state: &AppState, request: &AuthRequest, error: &str, description: &str) -> Authorize {
    Authorize::Redirect(error_redirect(state, &request.redirect_uri, request.state.as_deref(), error, description))
}

/// `GET /oauth/authorize`: sign in, ask, or answer with a code.
pub async fn authorize(state: &AppState, caller: &Caller, params: &[(String, String)], now: i64) -> Authorize {
    let (client, request) = match resolve(state, params).await {
        Ok(ok) => ok,
        Err(next) => return next,
    };
    let Some(me) = caller.member() else {
        if request.prompt == Prompt::None {
            return send_back(state, &request, "login_required", "nobody is signed in");
        }
        return Authorize::Login;
    };
    if needs_fresh_login(&request, me.signed_in_at, now) {
        if request.prompt == Prompt::None {
            return send_back(state, &request, "login_required", "the member must sign in again");
        }
        let again: Vec<(&str, &str)> =
            params.iter().filter(|(k, _)| k != "prompt").map(|(k, v)| (k.as_str(), v.as_str())).collect();
        return Authorize::SignInAgain(with_query("/oauth/authorize", &again));
    }
    let granted = match state.store.consent(&me.member.id, &client.id).await {
        Ok(granted) => granted.map(|g| OidcScope::parse_set(&g)),
        Err(e) => return Authorize::Refuse(format!("the server could not read your consent: {e}")),
    };
    let covered = granted.is_some_and(|g| consent_covers(&g, &request.scopes));
    if covered && request.prompt != Prompt::Consent {
        return issue_code(state, me, &client, &request, false, now).await;
    }
    if request.prompt == Prompt::None {
        return send_back(state, &request, "consent_required", "the member has not consented to this app");
    }
    let org_name = match state.store.org_by_id(&client.org_id).await {
        Ok(Some(org)) => org.name,
        _ => String::new(),
    };
    let redirect_host = request.redirect_uri.split("://").nth(1).and_then(|r| r.split(['/', '?']).next()).unwrap_or("");
    Authorize::Consent(ConsentView {
        client_name: client.name.clone(),
        org_name,
        redirect_host: redirect_host.to_owned(),
        redirect_uri: request.redirect_uri.clone(),
        scopes: request.scopes.iter().map(|s| (s.as_str(), s.describe())).collect(),
        params: params.to_vec(),
    })
}

/// `POST /oauth/authorize`: the member's answer on the consent page. The request is checked
/// again from scratch (hidden fields are the member's browser's, not ours).
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    params: &[(String, String)],
    allow: bool,
    now: i64,
) -> Authorize {
    let (client, request) = match resolve(state, params).await {
        Ok(ok) => ok,
        Err(next) => return next,
    };
    let Some(me) = caller.member() else {
        return Authorize::Login;
    };
    if !allow {
        return send_back(state, &request, "access_denied", "the member declined");
    }
    issue_code(state, me, &client, &request, true, now).await
}

async fn issue_code(
    state: &AppState,
    me: &SignedIn,
    client: &OidcClient,
    request: &AuthRequest,
    remember_consent: bool,
    now: i64,
) -> Authorize {
    let code = random_token();
    let scopes = OidcScope::join(&request.scopes);
    let written = async {
        let mut tx = state.store.write_at(&me.member.id, now).await?;
        if remember_consent {
            tx.set_consent(&me.member.id, &client.id, &scopes).await?;
        }
        tx.create_grant(&NewGrant {
            client_id: &client.id,
            member_id: &me.member.id,
            scopes: &scopes,
            nonce: request.nonce.as_deref(),
            auth_time: me.signed_in_at,
            code_hash: &secret_hash(&code),
            redirect_uri: &request.redirect_uri,
            challenge: request.challenge.as_deref(),
            code_expires_at: now + CODE_TTL_MS,
        })
        .await?;
        tx.commit().await
    };
    if let Err(e) = written.await {
        tracing::error!(error = %e, "writing an authorization grant");
        return send_back(state, request, "server_error", "the server could not record the sign-in");
    }
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = request.state.as_deref() {
        pairs.push(("state", s));
    }
    pairs.push(("iss", issuer(state)));
    Authorize::Redirect(with_query(&request.redirect_uri, &pairs))
}

/// How the client authenticated at the token endpoint.
#[derive(Debug, Default)]
pub struct ClientAuth {
    /// From HTTP Basic (`client_secret_basic`): id and secret.
    pub basic: Option<(String, String)>,
}

/// A successful token response (RFC 6749 §5.1 with the ID token).
#[derive(Debug, serde::Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    pub refresh_token: String,
    pub scope: String,
}

async fn authenticate(
    state: &AppState,
    auth: &ClientAuth,
    get: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<OidcClient, OAuthError> {
    let body_id = get("client_id");
    let body_secret = get("client_secret");
    let (id, secret) = match (&auth.basic, body_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(400, "invalid_request", "use one client authentication method, not two"));
        }
        (Some((id, secret)), None) => {
            if body_id.as_ref().is_some_and(|b| b != id) {
                return Err(OAuthError::new(401, "invalid_client", "client_id differs from the authenticated client"));
            }
            (id.clone(), Some(secret.clone()))
        }
        (None, secret) => (body_id.unwrap_or_default(), secret),
    };
    let client = live_client(state, Some(&id)).await.map_err(|why| OAuthError::new(401, "invalid_client", why))?;
    match (kind_of(&client), secret) {
        (ClientKind::Confidential, Some(secret)) if constant_time_eq(&secret_hash(&secret), &client.secret_hash) => {
            Ok(client)
        }
        (ClientKind::Confidential, _) => Err(OAuthError::new(401, "invalid_client", "wrong or missing client secret")),
        (ClientKind::Public, None) => Ok(client),
        (ClientKind::Public, Some(_)) => {
            Err(OAuthError::new(401, "invalid_client", "a public client has no secret; authenticate with PKCE"))
        }
    }
}

/// `POST /oauth/token`.
pub async fn token(
    state: &AppState,
    auth: &ClientAuth,
    params: &[(String, String)],
    now: i64,
) -> Result<Tokens, OAuthError> {
    let get = single(params).map_err(|why| OAuthError::new(400, "invalid_request", why))?;
    let client = authenticate(state, auth, &get).await?;
    match get("grant_type").as_deref() {
        Some("authorization_code") => exchange_code(state, &client, &get, now).await,
        Some("refresh_token") => refresh(state, &client, &get, now).await,
        Some(other) => Err(OAuthError::new(400, "unsupported_grant_type", format!("grant_type '{other}'"))),
        None => Err(OAuthError::new(400, "invalid_request", "grant_type is missing")),
    }
}

async fn exchange_code(
    state: &AppState,
    client: &OidcClient,
    get: &(dyn Fn(&str) -> Option<String> + Sync),
    now: i64,
) -> Result<Tokens, OAuthError> {
    let code = get("code").ok_or_else(|| OAuthError::new(400, "invalid_request", "code is missing"))?;
    let grant =
        state.store.grant_by_code(&secret_hash(&code)).await?.ok_or_else(|| OAuthError::grant("unknown code"))?;
    if grant.client_id != client.id {
        return Err(OAuthError::grant("the code was issued to another client"));
    }
    if grant.revoked_at.is_some() {
        return Err(OAuthError::grant("the code's grant was revoked"));
    }
    if grant.code_used_at.is_some() {
        revoke(state, &grant.id, "authorization code replayed").await?;
        return Err(OAuthError::grant("the code was already used; the tokens issued from it are revoked"));
    }
    if now >= grant.code_expires_at {
        return Err(OAuthError::grant("the code has expired"));
    }
    if get("redirect_uri").as_deref() != Some(grant.redirect_uri.as_str()) {
        return Err(OAuthError::grant("redirect_uri differs from the authorization request's"));
    }
    if !pkce_ok(grant.challenge.as_deref(), get("code_verifier").as_deref()) {
        return Err(OAuthError::grant("PKCE verification failed (code_verifier)"));
    }
    let (tokens, refresh_hash) = mint(state, client, &grant, grant.nonce.as_deref(), now).await?;
    let mut tx = state.store.write_at(&grant.member_id, now).await?;
    if !tx.use_code(&grant.id).await? {
        tx.revoke_grant(&grant.id, "authorization code used twice at once").await?;
        tx.commit().await?;
        return Err(OAuthError::grant("the code was already used; the tokens issued from it are revoked"));
    }
    tx.insert_refresh_token(&refresh_hash, &grant.id, now + REFRESH_TTL_MS).await?;
    tx.commit().await?;
    Ok(tokens)
}

async fn refresh(
    state: &AppState,
    client: &OidcClient,
    get: &(dyn Fn(&str) -> Option<String> + Sync),
    now: i64,
) -> Result<Tokens, OAuthError> {
    let presented =
        get("refresh_token").ok_or_else(|| OAuthError::new(400, "invalid_request", "refresh_token is missing"))?;
    let hash = secret_hash(&presented);
    let row = state.store.refresh_token(&hash).await?.ok_or_else(|| OAuthError::grant("unknown refresh token"))?;
    if row.grant.client_id != client.id {
        return Err(OAuthError::grant("the refresh token was issued to another client"));
    }
    match refresh_outcome(row.used_at.is_some(), row.grant.revoked_at.is_some(), row.expires_at, now) {
        RefreshOutcome::Dead => return Err(OAuthError::grant("the refresh token has expired or was revoked")),
        RefreshOutcome::Reuse => {
            revoke(state, &row.grant.id, "refresh token reused").await?;
            return Err(OAuthError::grant("the refresh token was already used: the whole grant is now revoked"));
        }
        RefreshOutcome::Rotate => {}
    }
    let (tokens, next_hash) = mint(state, client, &row.grant, None, now).await?;
    let mut tx = state.store.write_at(&row.grant.member_id, now).await?;
    if !tx.use_refresh_token(&hash).await? {
        tx.revoke_grant(&row.grant.id, "refresh token used twice at once").await?;
        tx.commit().await?;
        return Err(OAuthError::grant("the refresh token was already used: the whole grant is now revoked"));
    }
    tx.insert_refresh_token(&next_hash, &row.grant.id, now + REFRESH_TTL_MS).await?;
    tx.audit_token_issue(&row.grant.id, "refresh_token").await?;
    tx.commit().await?;
    Ok(tokens)
}

async fn revoke(state: &AppState, grant_id: &str, why: &str) -> Result<(), OAuthError> {
    tracing::warn!(grant = %grant_id, %why, "revoking an OpenID Connect grant");
    let mut tx = state.store.write("system").await?;
    tx.revoke_grant(grant_id, why).await?;
    tx.commit().await?;
    Ok(())
}

/// The member's facts for the claims.
async fn subject(state: &AppState, member_id: &str) -> Result<Subject, AppError> {
    let member = state.store.member_by_id(member_id).await?.ok_or(AppError::NotFound("member"))?;
    let email = state.store.prefs(member_id).await?.email;
    let orgs = state
        .store
        .memberships_of(member_id)
        .await?
        .into_iter()
        .map(|m| OrgClaim {
            slug: m.org.slug,
            name: m.org.name,
            kind: m.org.kind.as_str().into(),
            role: m.role.as_str().into(),
        })
        .collect();
    Ok(Subject {
        profile_url: format!("{}/m/{}", issuer(state), member.handle),
        id: member.id,
        handle: member.handle,
        display_name: member.display_name,
        email,
        orgs,
    })
}

/// Signs an access token and an ID token for a grant, and draws the next refresh token.
async fn mint(
    state: &AppState,
    client: &OidcClient,
    grant: &Grant,
    nonce: Option<&str>,
    now: i64,
) -> Result<(Tokens, String), OAuthError> {
    let scopes = OidcScope::parse_set(&grant.scopes);
    let who = subject(state, &grant.member_id).await?;
    let iss = issuer(state);
    let iat = now / 1000;
    let access = keys::sign(
        state,
        now,
        "at+jwt",
        &json!({
            "iss": iss, "sub": who.id, "aud": client.id, "client_id": client.id,
            "scope": grant.scopes, "grant": grant.id, "jti": random_token(),
            "iat": iat, "exp": (now + ACCESS_TTL_MS) / 1000,
        }),
    )
    .await?;
    let mut id_claims = claims(&who, &scopes);
    for (k, v) in [
        ("iss", json!(iss)),
        ("aud", json!(client.id)),
        ("azp", json!(client.id)),
        ("iat", json!(iat)),
        ("exp", json!((now + ID_TTL_MS) / 1000)),
        ("auth_time", json!(grant.auth_time / 1000)),
        ("at_hash", json!(at_hash(&access))),
    ] {
        id_claims.insert(k.into(), v);
    }
    if let Some(nonce) = nonce {
        id_claims.insert("nonce".into(), json!(nonce));
    }
    let id_token = keys::sign(state, now, "JWT", &Value::Object(id_claims)).await?;
    let refresh_token = random_token();
    let hash = secret_hash(&refresh_token);
    Ok((
        Tokens {
            access_token: access,
            token_type: "Bearer",
            expires_in: ACCESS_TTL_MS / 1000,
            id_token,
            refresh_token,
            scope: grant.scopes.clone(),
        },
        hash,
    ))
}

#[derive(serde::Deserialize)]
struct AccessClaims {
    sub: String,
    scope: String,
    grant: String,
}

/// `GET|POST /oauth/userinfo` with a bearer access token.
pub async fn userinfo(state: &AppState, bearer: Option<&str>, now: i64) -> Result<Value, OAuthError> {
    let token =
        bearer.ok_or_else(|| OAuthError::new(401, "invalid_token", "send the access token as a Bearer token"))?;
    let expect = Expect { issuer: issuer(state), audience: None, check_exp: true };
    let access: AccessClaims = keys::verify(state, now, token, expect)
        .await
        .ok_or_else(|| OAuthError::new(401, "invalid_token", "the access token is invalid or expired"))?;
    let grant = state.store.grant(&access.grant).await?;
    let live = grant.is_some_and(|g| g.revoked_at.is_none() && g.member_id == access.sub);
    if !live {
        return Err(OAuthError::new(401, "invalid_token", "the access token's grant was revoked"));
    }
    let who = subject(state, &access.sub).await?;
    Ok(Value::Object(claims(&who, &OidcScope::parse_set(&access.scope))))
}

/// Where a logout request goes.
#[derive(Debug)]
pub enum Logout {
    /// Ask the member before signing them out (no valid `id_token_hint` for their session).
    Confirm { client_name: Option<String>, params: Vec<(String, String)>, back: Option<String> },
    /// Signed out (or nobody was signed in): go here.
    Done(String),
    /// The request names a redirect the client did not register, or is malformed.
    Refuse(String),
}

#[derive(serde::Deserialize)]
struct HintClaims {
    sub: String,
    aud: Value,
}

/// `GET /oauth/logout` (RP-initiated logout), and with `confirmed` its confirmation form.
pub async fn logout(
    state: &AppState,
    caller: &Caller,
    params: &[(String, String)],
    confirmed: bool,
    now: i64,
) -> Logout {
    let get = match single(params) {
        Ok(get) => get,
        Err(why) => return Logout::Refuse(why),
    };
    let hint: Option<HintClaims> = match get("id_token_hint") {
        Some(token) => {
            let expect = Expect { issuer: issuer(state), audience: None, check_exp: false };
            match keys::verify(state, now, &token, expect).await {
                Some(claims) => Some(claims),
                None => return Logout::Refuse("the id_token_hint was not issued by this provider".into()),
            }
        }
        None => None,
    };
    let hinted_client = hint.as_ref().and_then(|h| match &h.aud {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
        _ => None,
    });
    let client_id = match (get("client_id"), hinted_client) {
        (Some(a), Some(b)) if a != b => {
            return Logout::Refuse("client_id differs from the id_token_hint's audience".into());
        }
        (a, b) => a.or(b),
    };
    let client = match client_id {
        Some(id) => match live_client(state, Some(&id)).await {
            Ok(c) => Some(c),
            Err(why) => return Logout::Refuse(why),
        },
        None => None,
    };
    let back = match get("post_logout_redirect_uri") {
        Some(uri) => match &client {
            Some(c) if c.post_logout_uris.contains(&uri) => {
                let st = get("state");
                Some(match st.as_deref() {
                    Some(s) => with_query(&uri, &[("state", s)]),
                    None => uri,
                })
            }
            Some(_) => {
                return Logout::Refuse(format!("'{uri}' is not a post-logout redirect URI registered for this app"));
            }
            None => return Logout::Refuse("post_logout_redirect_uri needs client_id or id_token_hint".into()),
        },
        None => None,
    };
    let done = back.clone().unwrap_or_else(|| "/?done=logout".into());
    let Some(me) = caller.member() else {
        return Logout::Done(done);
    };
    let hinted_me = hint.is_some_and(|h| h.sub == me.member.id);
    if !(confirmed || hinted_me) {
        return Logout::Confirm { client_name: client.map(|c| c.name), params: params.to_vec(), back };
    }
    if let Err(e) = crate::service::logout(state, me).await {
        tracing::error!(error = %e, "signing out");
        return Logout::Refuse("the server could not sign you out; try again".into());
    }
    Logout::Done(done)
}
