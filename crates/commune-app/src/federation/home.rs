//! A linked chapter's members sign in at the commune with their home account: the chapter's
//! instance is their OpenID provider and this instance its relying party. The authorization code
//! flow with PKCE (S256) against the public client the chapter registered for this instance when
//! it linked (its roster names the issuer, the client and each member's subject). What the flow
//! keeps between the two legs (state, nonce, verifier) travels in a cookie sealed with the
//! instance key, so nothing is written until the member is back with a valid ID token. The ID
//! token's signature, issuer, audience and expiry are checked with `jsonwebtoken` against the
//! provider's published keys (RS256 only); the subject then names one remote member of that
//! chapter, who must still be a member of the commune.

use super::remote;
use crate::error::AppError;
use crate::secrets::random_token;
use crate::service::{NewSession, Origin};
use crate::state::AppState;
use commune_domain::authz::Denied;
use commune_domain::federation::activity::MAX_BODY;
use commune_domain::federation::chapters::{self, host_of};
use commune_store::Link;
use serde_json::Value;

/// How long a member has to come back from their home instance.
pub const PENDING_TTL_MS: i64 = 10 * 60 * 1000;
/// The cookie that carries the pending sign-in (sealed), and what it is sealed for.
pub const COOKIE: &str = "commune_home_sign_in";
const PURPOSE: &str = "home-sign-in";
/// Clock skew allowed on the ID token's expiry.
const LEEWAY_S: u64 = 60;

/// A linked chapter whose members may sign in here with their home account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeChoice {
    /// The chapter's actor IRI.
    pub chapter: String,
    pub label: String,
}

/// The linked chapters that offered their instance as their members' OpenID provider.
pub async fn choices(state: &AppState) -> Result<Vec<HomeChoice>, AppError> {
    let mut out: Vec<HomeChoice> = Vec::new();
    for link in state.store.active_links("commune").await? {
        if link.oidc_issuer.is_empty() || out.iter().any(|c| c.chapter == link.remote) {
            continue;
        }
        let label = match state.store.remote_actor(&link.remote).await? {
            Some(actor) => format!("{} ({})", chapters::display_name(&actor.name, &actor.id), actor.host),
            None => link.remote.clone(),
        };
        out.push(HomeChoice { chapter: link.remote, label });
    }
    Ok(out)
}

/// What the sealed cookie holds between the two legs.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Pending {
    chapter: String,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    expires_at: i64,
}

/// Where to send the member, and the sealed cookie to set.
#[derive(Debug)]
pub struct Started {
    pub authorize_url: String,
    pub cookie: String,
}

/// The provider's endpoints, from its discovery document.
struct Provider {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

fn refused(why: String) -> AppError {
    tracing::warn!(%why, "sign-in with a home instance refused");
    AppError::Rule(why)
}

/// The active link to `chapter` that offers sign-in.
async fn link_to(state: &AppState, chapter: &str) -> Result<Link, AppError> {
    state
        .store
        .active_links("commune")
        .await?
        .into_iter()
        .find(|l| l.remote == chapter && !l.oidc_issuer.is_empty())
        .ok_or(AppError::NotFound("linked chapter"))
}

/// Reads the provider's discovery document: it must name the issuer the roster gave, and every
/// endpoint must be on the issuer's own host.
async fn discover(state: &AppState, issuer: &str) -> Result<Provider, AppError> {
    let http = remote::client(state);
    let url = format!("{issuer}/.well-known/openid-configuration");
    let doc = remote::get_json(state, &http, &url, "application/json")
        .await
        .map_err(|why| refused(format!("the home instance's OpenID configuration could not be read: {why}")))?;
    let field = |name: &str| doc.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let provider = Provider {
        issuer: field("issuer").trim_end_matches('/').to_string(),
        authorization_endpoint: field("authorization_endpoint"),
        token_endpoint: field("token_endpoint"),
        jwks_uri: field("jwks_uri"),
    };
    if provider.issuer != issuer {
        return Err(refused(format!("the home instance names itself {}, not {issuer}", provider.issuer)));
    }
    let home = host_of(issuer);
    for endpoint in [&provider.authorization_endpoint, &provider.token_endpoint, &provider.jwks_uri] {
        if home.is_none() || host_of(endpoint) != home {
            return Err(refused(format!("the home instance's endpoint '{endpoint}' is not on {issuer}")));
        }
    }
    Ok(provider)
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}{}", state.config.public_url.trim_end_matches('/'), chapters::HOME_SIGN_IN_CALLBACK)
}

/// Starts signing in a member of `chapter` at their home instance: the URL to send them to, and
/// the sealed cookie that remembers what to check when they come back. `next`: a local path.
pub async fn begin(
    state: &AppState,
    chapter: &str,
    next: &str,
    origin: Origin<'_>,
    now: i64,
) -> Result<Started, AppError> {
    state.client_limiter.check(&format!("login:{}", origin.client.unwrap_or("local")))?;
    let link = link_to(state, chapter).await?;
    let provider = discover(state, &link.oidc_issuer).await?;
    let pending = Pending {
        chapter: link.remote.clone(),
        state: random_token(),
        nonce: random_token(),
        verifier: random_token(),
        next: next.to_string(),
        expires_at: now + PENDING_TTL_MS,
    };
    let challenge = commune_domain::oidc::s256(&pending.verifier);
    let redirect = redirect_uri(state);
    let authorize_url = reqwest::Url::parse_with_params(
        &provider.authorization_endpoint,
        [
            ("response_type", "code"),
            ("client_id", link.oidc_client_id.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("scope", "openid profile"),
            ("state", pending.state.as_str()),
            ("nonce", pending.nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .map_err(|e| refused(format!("the home instance's authorization endpoint is not a URL: {e}")))?;
    let plain = serde_json::to_vec(&pending).map_err(AppError::internal)?;
    Ok(Started { authorize_url: authorize_url.into(), cookie: state.config.instance_key.seal(PURPOSE, &plain) })
}

#[derive(serde::Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
}

/// Finishes a sign-in when the member comes back (`params`: the callback's query): checks the
/// state against the sealed cookie, redeems the code with the PKCE verifier, checks the ID token
/// and starts a session for the remote member it names. Returns the session and where to go.
pub async fn finish(
    state: &AppState,
    sealed: Option<&str>,
    params: &[(String, String)],
    origin: Origin<'_>,
    now: i64,
) -> Result<(NewSession, String), AppError> {
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let pending: Pending = sealed
        .and_then(|s| state.config.instance_key.open(PURPOSE, s))
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .ok_or_else(|| refused("this sign-in was not started here (or the browser dropped its cookie)".into()))?;
    if now > pending.expires_at {
        return Err(refused("the sign-in took longer than 10 minutes: start again".into()));
    }
    if get("state") != Some(pending.state.as_str()) {
        tracing::warn!(chapter = %pending.chapter, "home sign-in refused: state does not match");
        return Err(AppError::Denied(Denied::Forbidden("the sign-in's state does not match the one sent")));
    }
    if let Some(error) = get("error") {
        let said: String =
            get("error_description").unwrap_or(error).chars().filter(|c| !c.is_control()).take(200).collect();
        return Err(refused(format!("your home instance did not sign you in: {said}")));
    }
    let code = get("code")
        .filter(|c| !c.is_empty() && c.len() <= 512)
        .ok_or_else(|| refused("the answer has no code".into()))?;
    let link = link_to(state, &pending.chapter).await?;
    let provider = discover(state, &link.oidc_issuer).await?;
    let id_token = redeem(state, &provider, &link, code, &pending.verifier).await?;
    let claims = check_id_token(state, &provider, &link, &id_token).await?;
    if claims.nonce.as_deref() != Some(pending.nonce.as_str()) {
        return Err(refused("the ID token's nonce is not the one sent".into()));
    }
    let account = state
        .store
        .remote_member_by_subject(&link.remote, &claims.sub)
        .await?
        .filter(|a| a.org_id == link.org_id)
        .ok_or(AppError::Denied(Denied::Forbidden("you are not on your chapter's roster at this commune")))?;
    if state.store.role_in(&link.org_id, &account.member_id).await?.is_none() {
        return Err(AppError::Denied(Denied::Forbidden("you are no longer a member of this commune")));
    }
    let member = state.store.member_by_id(&account.member_id).await?.ok_or(AppError::NotFound("member"))?;
    let session = crate::service::start_session(state, member, origin.user_agent).await?;
    tracing::info!(chapter = %link.remote, member = %account.member_id, "signed in with a home instance");
    Ok((session, pending.next))
}

/// Redeems the code at the provider's token endpoint (public client: the verifier, no secret).
async fn redeem(state: &AppState, p: &Provider, link: &Link, code: &str, verifier: &str) -> Result<String, AppError> {
    let (_, host, port) =
        commune_domain::webhooks::endpoint_url(&p.token_endpoint).map_err(|e| refused(e.to_string()))?;
    crate::webhooks::checked_addresses(state, &host, port).await.map_err(refused)?;
    let redirect = redirect_uri(state);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect.as_str()),
        ("client_id", link.oidc_client_id.as_str()),
        ("code_verifier", verifier),
    ];
    let response = remote::client(state)
        .post(&p.token_endpoint)
        .form(&form)
        .send()
        .await
        .map_err(|e| refused(format!("the home instance's token endpoint: {}", e.without_url())))?;
    let status = response.status();
    let raw = response.bytes().await.map_err(|e| refused(format!("reading the tokens: {}", e.without_url())))?;
    if raw.len() > MAX_BODY {
        return Err(refused("the home instance answered with too much".into()));
    }
    let answer: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    if !status.is_success() {
        let error = answer.get("error").and_then(Value::as_str).unwrap_or("no error given");
        return Err(refused(format!("the home instance refused the code ({status}): {error}")));
    }
    answer
        .get("id_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| refused("the home instance sent no ID token".into()))
}

/// The ID token's claims, if its signature (a key the provider publishes, RS256), issuer,
/// audience (this instance's client) and expiry check out.
async fn check_id_token(state: &AppState, p: &Provider, link: &Link, token: &str) -> Result<IdClaims, AppError> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
    let header = jsonwebtoken::decode_header(token).map_err(|e| refused(format!("the ID token is malformed: {e}")))?;
    if header.alg != Algorithm::RS256 {
        return Err(refused(format!("the ID token is signed with {:?}; only RS256 is accepted", header.alg)));
    }
    let http = remote::client(state);
    let keys = remote::get_json(state, &http, &p.jwks_uri, "application/json")
        .await
        .map_err(|why| refused(format!("the home instance's keys could not be read: {why}")))?;
    let keys: JwkSet = serde_json::from_value(keys).map_err(|e| refused(format!("the home instance's keys: {e}")))?;
    let jwk = keys
        .keys
        .iter()
        .find(|k| header.kid.is_some() && k.common.key_id == header.kid)
        .ok_or_else(|| refused("the ID token is signed with a key the home instance does not publish".into()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| refused(format!("the home instance's key: {e}")))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&p.issuer]);
    validation.set_audience(&[&link.oidc_client_id]);
    validation.leeway = LEEWAY_S;
    let data = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
        .map_err(|e| refused(format!("the ID token does not check out: {e}")))?;
    Ok(data.claims)
}
