//! Commune as an OpenID Connect provider: the rules, with no crypto and no clock.
//!
//! What a registered client may look like (redirect URIs matched exactly, public clients must use
//! PKCE), which authorization requests are acceptable and where their errors go, the PKCE check
//! (S256 only: `plain` is a downgrade and refused), the scopes and the claims they release, the
//! refresh-token rule (a token is used once; a second use revokes the whole grant) and which
//! signing keys are published during a rotation.

use crate::validation::{Invalid, Violations};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// An authorization code lives this long and is used once.
pub const CODE_TTL_MS: i64 = 60_000;
/// Access tokens (JWTs the userinfo endpoint accepts) live this long.
pub const ACCESS_TTL_MS: i64 = 10 * 60_000;
/// ID tokens live this long.
pub const ID_TTL_MS: i64 = 60 * 60_000;
/// A grant's refresh tokens last this long from their issue, each used once.
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 3_600_000;
/// A key that stopped signing stays published this long, so every token it signed still verifies.
pub const KEY_GRACE_MS: i64 = ID_TTL_MS + 5 * 60_000;
// A key stays published longer than any token it signed lives.
const _: () = assert!(KEY_GRACE_MS > ID_TTL_MS && KEY_GRACE_MS > ACCESS_TTL_MS);
// A rotation (publish ahead, then the grace) ends long before the next one starts.
const _: () = assert!(PUBLISH_AHEAD_MS + KEY_GRACE_MS < KEY_LIFETIME_MS);
/// The active key is replaced after this long (the scheduler starts a rotation).
pub const KEY_LIFETIME_MS: i64 = 90 * 24 * 3_600_000;
/// A new key is published this long before it signs anything, so every client's cached key set
/// (openid-client keeps one up to five minutes; our JWKS says `max-age=60`) already holds it.
pub const PUBLISH_AHEAD_MS: i64 = 10 * 60_000;
/// At most this many redirect URIs per client.
pub const MAX_URIS: usize = 10;

/// Whether a client can keep a secret (a server) or not (a single-page or native app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Public,
    Confidential,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Public => "public",
            ClientKind::Confidential => "confidential",
        }
    }

    pub fn parse(raw: &str) -> Result<ClientKind, Invalid> {
        match raw.trim() {
            "public" => Ok(ClientKind::Public),
            "confidential" => Ok(ClientKind::Confidential),
            other => Err(Invalid::new("kind", format!("'{other}' is not a client kind: use public or confidential"))),
        }
    }
}

/// A client as a steward registers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    pub name: String,
    pub kind: ClientKind,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
}

impl NewClient {
    /// Validates a registration; URIs come one per line (or separated by spaces).
    pub fn parse(name: &str, kind: &str, redirect_uris: &str, post_logout_uris: &str) -> Result<NewClient, Violations> {
        let mut v = Violations::default();
        let name = v.check(crate::validation::text("name", name, 1, 80, false));
        let kind = v.check(ClientKind::parse(kind));
        let redirect_uris = v.check(uri_list("redirect_uris", redirect_uris, true));
        let post_logout_uris = v.check(uri_list("post_logout_uris", post_logout_uris, false));
        v.into_result()?;
        Ok(NewClient {
            name: name.unwrap_or_default(),
            kind: kind.unwrap_or(ClientKind::Public),
            redirect_uris: redirect_uris.unwrap_or_default(),
            post_logout_uris: post_logout_uris.unwrap_or_default(),
        })
    }
}

fn uri_list(field: &'static str, raw: &str, required: bool) -> Result<Vec<String>, Invalid> {
    let mut uris: Vec<String> = raw.split_whitespace().map(str::to_owned).collect();
    uris.dedup();
    if required && uris.is_empty() {
        return Err(Invalid::new(field, "give at least one redirect URI"));
    }
    if uris.len() > MAX_URIS {
        return Err(Invalid::new(field, format!("at most {MAX_URIS} URIs")));
    }
    for uri in &uris {
        redirect_uri_ok(uri).map_err(|why| Invalid::new(field, format!("'{uri}': {why}")))?;
    }
    Ok(uris)
}

/// A redirect URI may be `https://…`, or `http://` on a loopback host (a developer's machine or a
/// native app); never with a fragment, user information or whitespace, at most 512 characters.
pub fn redirect_uri_ok(uri: &str) -> Result<(), &'static str> {
    if uri.len() > 512 {
        return Err("longer than 512 characters");
    }
    if uri.contains('#') {
        return Err("a redirect URI has no fragment (#)");
    }
    if uri.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'\\' || b >= 0x80) {
        return Err("contains spaces, backslashes or non-ASCII characters");
    }
    let (scheme, rest) = uri.split_once("://").ok_or("not an absolute URI")?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.is_empty() {
        return Err("no host");
    }
    if authority.contains('@') {
        return Err("user information (user@host) is not allowed");
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(host, _)| host)
    };
    match scheme {
        "https" => Ok(()),
        "http" if matches!(host, "127.0.0.1" | "::1" | "localhost") => Ok(()),
        "http" => Err("plain http is allowed only on a loopback host (127.0.0.1, [::1], localhost)"),
        _ => Err("use https (or http on a loopback host)"),
    }
}

/// The scopes a client may ask for; others are ignored, as OpenID Connect asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OidcScope {
    OpenId,
    Profile,
    Email,
    /// Organisations and roles, as the `commune:orgs` claim.
    Orgs,
    /// Ask for a refresh token.
    OfflineAccess,
}

impl OidcScope {
    pub const ALL: [OidcScope; 5] =
        [OidcScope::OpenId, OidcScope::Profile, OidcScope::Email, OidcScope::Orgs, OidcScope::OfflineAccess];

    pub fn as_str(self) -> &'static str {
        match self {
            OidcScope::OpenId => "openid",
            OidcScope::Profile => "profile",
            OidcScope::Email => "email",
            OidcScope::Orgs => "commune:orgs",
            OidcScope::OfflineAccess => "offline_access",
        }
    }

    /// What a member is told on the consent page.
    pub fn describe(self) -> &'static str {
        match self {
            OidcScope::OpenId => "know that you are the same member each time (an id that never changes)",
            OidcScope::Profile => "see your handle and display name",
            OidcScope::Email => "see the email address in your inbox settings (not verified by Commune)",
            OidcScope::Orgs => "see which organisations you belong to and your role in each",
            OidcScope::OfflineAccess => "stay signed in when you are away (refresh tokens, revocable here)",
        }
    }

    /// The known scopes in `raw` (space separated), sorted and deduplicated.
    pub fn parse_set(raw: &str) -> Vec<OidcScope> {
        let mut scopes: Vec<OidcScope> =
            raw.split(' ').filter_map(|s| OidcScope::ALL.into_iter().find(|k| k.as_str() == s)).collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }

    pub fn join(scopes: &[OidcScope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// A client as an authorization request sees it.
#[derive(Debug, Clone)]
pub struct ClientView<'a> {
    pub kind: ClientKind,
    pub redirect_uris: &'a [String],
}

/// An acceptable authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub redirect_uri: String,
    pub scopes: Vec<OidcScope>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The S256 code challenge, when the client sent one (always, for public clients).
    pub challenge: Option<String>,
    /// `prompt=consent` asks again even when the member consented before; `none` never shows a
    /// page; `login` has the member sign in again.
    pub prompt: Prompt,
    /// `max_age` (seconds): a sign-in older than this is made again.
    pub max_age_s: Option<i64>,
}

/// A sign-in at most this old counts as made for the request that sent the member to sign in
/// (`prompt=login` is then satisfied).
pub const FRESH_LOGIN_MS: i64 = 5 * 60 * 1000;
/// The largest `max_age` accepted (a year, in seconds).
pub const MAX_AGE_LIMIT_S: i64 = 366 * 24 * 3600;

/// Whether the member must sign in again before the request goes on: `prompt=login` unless they
/// signed in within [`FRESH_LOGIN_MS`], or `max_age` seconds have passed since they signed in.
pub fn needs_fresh_login(request: &AuthRequest, signed_in_at: i64, now: i64) -> bool {
    let age = now - signed_in_at;
    (request.prompt == Prompt::Login && age > FRESH_LOGIN_MS) || request.max_age_s.is_some_and(|max| age > max * 1000)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Default,
    Consent,
    Login,
    None,
}

/// Why an authorization request is refused. Errors before the redirect URI is known to be the
/// client's are shown to the member, never sent to an unverified address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Shown on a page: the client or its redirect URI is unknown or does not match.
    Page(String),
    /// Sent back to the client's redirect URI as `error` and `error_description`.
    Redirect { redirect_uri: String, state: Option<String>, error: &'static str, description: String },
}

/// Checks an authorization request's parameters (`get` reads one; a repeated parameter is an
/// error the caller reports before this).
pub fn check_authorization(
    get: &dyn Fn(&str) -> Option<String>,
    client: &ClientView,
) -> Result<AuthRequest, AuthError> {
    let redirect_uri = get("redirect_uri").ok_or_else(|| AuthError::Page("the request has no redirect_uri".into()))?;
    if !client.redirect_uris.contains(&redirect_uri) {
        return Err(AuthError::Page(format!(
            "'{redirect_uri}' is not a redirect URI registered for this app (they must match exactly)"
        )));
    }
    let state = get("state").filter(|s| !s.is_empty());
    let fail = |error: &'static str, description: String| AuthError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description,
    };
    match get("response_type").as_deref() {
        Some("code") => {}
        Some(other) => return Err(fail("unsupported_response_type", format!("response_type '{other}': only code"))),
        None => return Err(fail("invalid_request", "response_type is missing".into())),
    }
    if get("request").is_some() || get("request_uri").is_some() {
        return Err(fail("request_not_supported", "request objects are not supported".into()));
    }
    let scopes = OidcScope::parse_set(&get("scope").unwrap_or_default());
    if !scopes.contains(&OidcScope::OpenId) {
        return Err(fail("invalid_scope", "the scope must include openid".into()));
    }
    let challenge = get("code_challenge");
    let method = get("code_challenge_method");
    let challenge = match (challenge, method.as_deref()) {
        (None, None) if client.kind == ClientKind::Confidential => None,
        (None, _) => return Err(fail("invalid_request", "PKCE is required: send code_challenge with S256".into())),
        (Some(_), Some("plain") | None) => {
            return Err(fail("invalid_request", "code_challenge_method must be S256 (plain is refused)".into()));
        }
        (Some(_), Some(m)) if m != "S256" => {
            return Err(fail("invalid_request", format!("code_challenge_method '{m}' is not supported: use S256")));
        }
        (Some(c), Some(_)) if !is_challenge(&c) => {
            return Err(fail("invalid_request", "code_challenge must be 43 base64url characters (S256)".into()));
        }
        (Some(c), Some(_)) => Some(c),
    };
    let nonce = get("nonce").filter(|n| !n.is_empty());
    if nonce.as_ref().is_some_and(|n| n.len() > 255) || state.as_ref().is_some_and(|s| s.len() > 1024) {
        return Err(fail("invalid_request", "nonce or state is too long".into()));
    }
    let prompt = match get("prompt").as_deref() {
        None | Some("") => Prompt::Default,
        Some("consent") => Prompt::Consent,
        Some("login") => Prompt::Login,
        Some("none") => Prompt::None,
        Some(other) => return Err(fail("invalid_request", format!("prompt '{other}' is not supported"))),
    };
    let max_age_s = match get("max_age") {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (0..=MAX_AGE_LIMIT_S).contains(&n) && raw.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => {
                return Err(fail(
                    "invalid_request",
                    format!("max_age must be whole seconds from 0 to {MAX_AGE_LIMIT_S}"),
                ));
            }
        },
    };
    Ok(AuthRequest { redirect_uri, scopes, state, nonce, challenge, prompt, max_age_s })
}

fn is_challenge(c: &str) -> bool {
    c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636: a verifier is 43 to 128 unreserved characters.
pub fn verifier_ok(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `BASE64URL(SHA256(verifier))`, the S256 challenge of a verifier.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether a token request's verifier answers the code's challenge. A code issued with a
/// challenge needs its verifier; a code issued without one refuses a verifier (no downgrade in
/// either direction).
pub fn pkce_ok(challenge: Option<&str>, verifier: Option<&str>) -> bool {
    match (challenge, verifier) {
        (Some(c), Some(v)) => verifier_ok(v) && s256(v) == c,
        (None, None) => true,
        _ => false,
    }
}

/// The left half of the SHA-256 of an access token, base64url: the `at_hash` claim for RS256.
pub fn at_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
}

/// What presenting a refresh token does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Fresh: issue new tokens and mark this one used.
    Rotate,
    /// Used before: someone replayed it. The whole grant is revoked.
    Reuse,
    /// Past its lifetime, or its grant was revoked.
    Dead,
}

/// The rule for a presented refresh token of this client.
pub fn refresh_outcome(used: bool, grant_revoked: bool, expires_at: i64, now: i64) -> RefreshOutcome {
    if grant_revoked || now >= expires_at {
        RefreshOutcome::Dead
    } else if used {
        RefreshOutcome::Reuse
    } else {
        RefreshOutcome::Rotate
    }
}

/// A signing key's place in a rotation: next (published ahead) → active → previous → retired.
/// At most one key is in each of the first three states; outside a rotation two are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not yet signing: clients' cached key sets pick it up before it is used.
    Next,
    /// Signs every new token.
    Active,
    /// Signed tokens that may still be alive: still published until `retire_at`.
    Previous,
    /// No token it signed can be alive: no longer published.
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Previous => "previous",
            KeyState::Retired => "retired",
        }
    }

    pub fn parse(raw: &str) -> Option<KeyState> {
        [KeyState::Next, KeyState::Active, KeyState::Previous, KeyState::Retired]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// Whether a key in `state`, retiring at `retire_at`, is published (and so verifies) at `now`.
pub fn published(state: KeyState, retire_at: i64, now: i64) -> bool {
    match state {
        KeyState::Next | KeyState::Active => true,
        KeyState::Previous => now < retire_at,
        KeyState::Retired => false,
    }
}

/// Whether the active key, activated at `since`, is due for rotation at `now`.
pub fn rotation_due(since: i64, now: i64) -> bool {
    now - since >= KEY_LIFETIME_MS
}

/// Whether a next key published at `since` may start signing at `now`.
pub fn promotion_due(since: i64, now: i64) -> bool {
    now - since >= PUBLISH_AHEAD_MS
}

/// One organisation a member belongs to, for the `commune:orgs` claim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrgClaim {
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub role: String,
}

/// The member facts the claims are made from.
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: String,
    pub handle: String,
    pub display_name: String,
    pub email: String,
    pub profile_url: String,
    pub orgs: Vec<OrgClaim>,
}

/// The claims the granted scopes release (the userinfo response, and the identity claims of the
/// ID token): `sub` always; `preferred_username`, `name`, `profile` with `profile`; `email` (never
/// claimed verified) with `email` when the member gave one; `commune:orgs` with that scope.
pub fn claims(subject: &Subject, scopes: &[OidcScope]) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    out.insert("sub".into(), subject.id.clone().into());
    if scopes.contains(&OidcScope::Profile) {
        out.insert("preferred_username".into(), subject.handle.clone().into());
        let name = if subject.display_name.is_empty() { &subject.handle } else { &subject.display_name };
        out.insert("name".into(), name.clone().into());
        out.insert("profile".into(), subject.profile_url.clone().into());
    }
    if scopes.contains(&OidcScope::Email) && !subject.email.is_empty() {
        out.insert("email".into(), subject.email.clone().into());
        out.insert("email_verified".into(), false.into());
    }
    if scopes.contains(&OidcScope::Orgs) {
        out.insert("commune:orgs".into(), serde_json::to_value(&subject.orgs).unwrap_or_default());
    }
    out
}

/// Whether a consent given earlier covers the scopes asked for now.
pub fn consent_covers(granted: &[OidcScope], asked: &[OidcScope]) -> bool {
    asked.iter().all(|s| granted.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&str, &str)], kind: ClientKind) -> Result<AuthRequest, AuthError> {
        let uris = vec!["https://wiki.example/cb".to_owned()];
        let map: std::collections::BTreeMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        check_authorization(&|k| map.get(k).cloned(), &ClientView { kind, redirect_uris: &uris })
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_7636_example_verifier_answers_its_challenge() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(s256(verifier), CHALLENGE);
        assert!(pkce_ok(Some(CHALLENGE), Some(verifier)));
        assert!(!pkce_ok(Some(CHALLENGE), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX")));
        assert!(!pkce_ok(Some(CHALLENGE), None), "a code with a challenge needs its verifier");
        assert!(!pkce_ok(None, Some(verifier)), "a verifier for a code without a challenge is refused");
        assert!(pkce_ok(None, None));
        assert!(!verifier_ok("short"));
    }

    #[test]
    fn public_clients_need_s256_and_plain_is_a_downgrade() {
        let base = [("redirect_uri", "https://wiki.example/cb"), ("response_type", "code"), ("scope", "openid")];
        let no_pkce = request(&base, ClientKind::Public);
        assert!(matches!(no_pkce, Err(AuthError::Redirect { error: "invalid_request", .. })));
        assert!(request(&base, ClientKind::Confidential).is_ok(), "a confidential client may skip PKCE");
        let mut plain = base.to_vec();
        plain.extend([("code_challenge", CHALLENGE), ("code_challenge_method", "plain")]);
        assert!(matches!(request(&plain, ClientKind::Confidential), Err(AuthError::Redirect { .. })));
        let mut missing_method = base.to_vec();
        missing_method.push(("code_challenge", CHALLENGE));
        assert!(request(&missing_method, ClientKind::Public).is_err(), "no method means plain: refused");
        let mut good = base.to_vec();
        good.extend([("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("state", "xyz")]);
        let ok = request(&good, ClientKind::Public).expect("acceptable");
        assert_eq!(ok.challenge.as_deref(), Some(CHALLENGE));
        assert_eq!(ok.state.as_deref(), Some("xyz"));
    }

    #[test]
    fn prompt_login_and_max_age_ask_for_a_fresh_sign_in() {
        let base = [("redirect_uri", "https://wiki.example/cb"), ("response_type", "code"), ("scope", "openid")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            request(&pairs, ClientKind::Confidential)
        };
        let now = 1_800_000_000_000;
        let plain = with(&[]).expect("ok");
        assert!(!needs_fresh_login(&plain, now - 86_400_000, now), "no prompt, no max_age: any session will do");
        let login = with(&[("prompt", "login")]).expect("ok");
        assert!(needs_fresh_login(&login, now - FRESH_LOGIN_MS - 1, now));
        assert!(!needs_fresh_login(&login, now - 1_000, now), "a sign-in just made for it");
        let max_age = with(&[("max_age", "60")]).expect("ok");
        assert_eq!(max_age.max_age_s, Some(60));
        assert!(needs_fresh_login(&max_age, now - 61_000, now));
        assert!(!needs_fresh_login(&max_age, now - 59_000, now));
        assert!(needs_fresh_login(&with(&[("max_age", "0")]).expect("ok"), now - 1, now));
        for bad in ["-1", "1.5", "+5", "x", "99999999999"] {
            let pairs = [base.as_slice(), &[("max_age", bad)]].concat();
            assert!(matches!(request(&pairs, ClientKind::Confidential), Err(AuthError::Redirect { .. })), "{bad}");
        }
    }

    #[test]
    fn a_redirect_uri_must_match_exactly_and_errors_before_that_stay_on_the_page() {
        for uri in [
            "https://wiki.example/cb/",
            "https://wiki.example/cb?x=1",
            "https://evil.example/cb",
            "HTTPS://wiki.example/cb",
        ] {
            let result = request(&[("redirect_uri", uri), ("response_type", "code")], ClientKind::Public);
            assert!(matches!(result, Err(AuthError::Page(_))), "{uri}");
        }
        let no_openid = request(
            &[("redirect_uri", "https://wiki.example/cb"), ("response_type", "code"), ("scope", "profile")],
            ClientKind::Confidential,
        );
        assert!(matches!(no_openid, Err(AuthError::Redirect { error: "invalid_scope", .. })));
        let token_flow =
            request(&[("redirect_uri", "https://wiki.example/cb"), ("response_type", "token")], ClientKind::Public);
        assert!(matches!(token_flow, Err(AuthError::Redirect { error: "unsupported_response_type", .. })));
    }

    #[test]
    fn registered_uris_are_https_or_loopback_http() {
        assert!(redirect_uri_ok("https://wiki.example/cb").is_ok());
        assert!(redirect_uri_ok("http://127.0.0.1:8000/cb").is_ok());
        assert!(redirect_uri_ok("http://[::1]:8000/cb").is_ok());
        assert!(redirect_uri_ok("http://localhost/cb").is_ok());
        assert!(redirect_uri_ok("http://wiki.example/cb").is_err());
        assert!(redirect_uri_ok("http://127.0.0.1.evil.example/cb").is_err());
        assert!(redirect_uri_ok("https://wiki.example/cb#frag").is_err());
        assert!(redirect_uri_ok("https://user@wiki.example/cb").is_err());
        assert!(redirect_uri_ok("javascript:alert(1)").is_err());
        assert!(redirect_uri_ok("wiki.example/cb").is_err());
        let client =
            NewClient::parse("Wiki", "public", "https://a.example/cb\nhttps://b.example/cb", "").expect("valid");
        assert_eq!(client.redirect_uris.len(), 2);
        let bad = NewClient::parse("", "secretive", "", "ftp://x").expect_err("invalid");
        let fields: Vec<&str> = bad.0.iter().map(|i| i.field).collect();
        assert_eq!(fields, ["name", "kind", "redirect_uris", "post_logout_uris"]);
    }

    #[test]
    fn a_used_refresh_token_is_a_replay_and_dead_tokens_stay_dead() {
        assert_eq!(refresh_outcome(false, false, 100, 50), RefreshOutcome::Rotate);
        assert_eq!(refresh_outcome(true, false, 100, 50), RefreshOutcome::Reuse);
        assert_eq!(refresh_outcome(false, true, 100, 50), RefreshOutcome::Dead);
        assert_eq!(refresh_outcome(false, false, 100, 100), RefreshOutcome::Dead);
    }

    #[test]
    fn a_retiring_key_is_published_through_its_grace_period() {
        assert!(published(KeyState::Active, 0, 10));
        assert!(published(KeyState::Next, 0, 10), "a next key is published before it signs");
        assert!(!promotion_due(0, PUBLISH_AHEAD_MS - 1) && promotion_due(0, PUBLISH_AHEAD_MS));
        assert!(published(KeyState::Previous, 100, 99));
        assert!(!published(KeyState::Previous, 100, 100));
        assert!(!published(KeyState::Retired, i64::MAX, 0));
        assert!(rotation_due(0, KEY_LIFETIME_MS) && !rotation_due(0, KEY_LIFETIME_MS - 1));
    }

    #[test]
    fn scopes_release_only_their_claims() {
        let subject = Subject {
            id: "m1".into(),
            handle: "ada".into(),
            display_name: "Ada".into(),
            email: "ada@example.org".into(),
            profile_url: "https://c.example/m/ada".into(),
            orgs: vec![OrgClaim {
                slug: "bakery".into(),
                name: "Bakery".into(),
                kind: "business".into(),
                role: "steward".into(),
            }],
        };
        let only_openid = claims(&subject, &[OidcScope::OpenId]);
        assert_eq!(only_openid.len(), 1);
        let all = claims(&subject, &OidcScope::parse_set("openid profile email commune:orgs bogus"));
        assert_eq!(all["preferred_username"], "ada");
        assert_eq!(all["email_verified"], false);
        assert_eq!(all["commune:orgs"][0]["role"], "steward");
        assert!(consent_covers(&OidcScope::parse_set("openid profile"), &OidcScope::parse_set("profile openid")));
        assert!(!consent_covers(&OidcScope::parse_set("openid"), &OidcScope::parse_set("openid email")));
    }
}
