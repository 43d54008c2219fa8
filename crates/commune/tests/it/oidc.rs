//! Commune as an OpenID Connect provider, through its public surface: discovery and keys, app
//! registration by stewards, the code flow with PKCE and consent, tokens, userinfo, refresh
//! rotation with reuse detection (raced in parallel), key rotation, logout and revocation — and
//! what a hostile app or member tries. Independent clients (the `openidconnect` crate, authlib,
//! openid-client) check the same server in `crosscheck/oidc/`.

use crate::support::{Auth, TestApp, check_error};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt;
use serde_json::{Value, json};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:9999/cb";

struct Raw {
    status: StatusCode,
    location: String,
    text: String,
    cookies: Vec<String>,
}

async fn raw(app: &TestApp, request: Request<Body>) -> Raw {
    let response = app.send(request).await;
    let status = response.status();
    let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Raw { status, location, text: String::from_utf8_lossy(&bytes).into_owned(), cookies }
}

fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

fn query_of(location: &str, name: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).expect("hex"));
                    i += 3;
                } else {
                    out.push(if b[i] == b'+' { b' ' } else { b[i] });
                    i += 1;
                }
            }
            String::from_utf8(out).expect("utf-8")
        })
    })
}

fn get_as(who: &Auth, uri: &str) -> Request<Body> {
    Request::builder().uri(uri).header(header::COOKIE, who.cookie()).body(Body::empty()).expect("request")
}

fn post_form(uri: &str, cookie: &str, body: String) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request")
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

fn kid_of(jwt: &str) -> String {
    let header = jwt.split('.').next().expect("a JWT");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url")).expect("json");
    header["kid"].as_str().expect("kid").to_owned()
}

struct Shop {
    app: TestApp,
    ada: Auth,
    bob: Auth,
    public_id: String,
    confidential_id: String,
    secret: String,
}

/// The bakery (ada stewards it, bob is a member) registers a public app and a confidential one.
async fn shop() -> Shop {
    let app = TestApp::set_up().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    app.org(&ada, "bakery").await;
    app.admit(&ada, &bob, "bakery").await;
    let register = |kind: &'static str| {
        json!({ "name": format!("Wiki ({kind})"), "kind": kind, "redirect_uris": [REDIRECT],
                "post_logout_redirect_uris": ["http://127.0.0.1:9999/bye"] })
    };
    let (status, public) = app.call(Method::POST, "/api/v1/orgs/bakery/apps", &ada, Some(register("public"))).await;
    assert_eq!(status, StatusCode::CREATED, "{public}");
    assert!(public["client_secret"].is_null(), "a public app has no secret");
    let (status, confidential) =
        app.call(Method::POST, "/api/v1/orgs/bakery/apps", &ada, Some(register("confidential"))).await;
    assert_eq!(status, StatusCode::CREATED, "{confidential}");
    let secret = confidential["client_secret"].as_str().expect("a secret, shown once").to_owned();
    assert!(secret.starts_with("cmnc_"));
    Shop {
        public_id: public["app"]["id"].as_str().expect("id").to_owned(),
        confidential_id: confidential["app"]["id"].as_str().expect("id").to_owned(),
        secret,
        app,
        ada,
        bob,
    }
}

fn authorize_uri(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email commune:orgs"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        pairs.retain(|(name, _)| name != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    format!("/oauth/authorize?{}", form(&pairs))
}

/// Runs the browser part: the consent page, then "Allow"; returns the code.
async fn consent_and_code(app: &TestApp, who: &Auth, client_id: &str) -> String {
    let page = raw(app, get_as(who, &authorize_uri(client_id, &[]))).await;
    assert_eq!(page.status, StatusCode::OK, "the consent page: {}", page.text);
    assert!(page.text.contains("wants to sign you in"), "{}", page.text);
    let mut pairs = crate::web::hidden_fields(&page.text);
    pairs.push(("decision".into(), "allow".into()));
    let body = pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
    let answer = raw(app, post_form("/oauth/authorize", who.cookie(), body)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    assert!(answer.location.starts_with(REDIRECT), "{}", answer.location);
    assert_eq!(query_of(&answer.location, "state").as_deref(), Some("st-1"));
    assert_eq!(query_of(&answer.location, "iss").as_deref(), Some("http://127.0.0.1:8080"));
    query_of(&answer.location, "code").expect("a code")
}

async fn token(app: &TestApp, basic: Option<(&str, &str)>, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        builder = builder.header(header::AUTHORIZATION, format!("Basic {credentials}"));
    }
    let r = raw(app, builder.body(Body::from(form(pairs))).expect("request")).await;
    (r.status, serde_json::from_str(&r.text).unwrap_or(Value::String(r.text)))
}

async fn exchange(app: &TestApp, client_id: &str, code: &str) -> (StatusCode, Value) {
    token(
        app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> (StatusCode, Value) {
    token(app, None, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)])
        .await
}

async fn userinfo(app: &TestApp, access: &str) -> (StatusCode, Value) {
    app.call(Method::GET, "/oauth/userinfo", &Auth::Bearer(access.to_owned()), None).await
}

#[tokio::test]
async fn discovery_and_keys_describe_a_code_flow_provider() {
    let app = TestApp::set_up().await;
    let (status, doc) = app.call(Method::GET, "/.well-known/openid-configuration", &Auth::None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["issuer"], "http://127.0.0.1:8080");
    assert_eq!(doc["token_endpoint"], "http://127.0.0.1:8080/oauth/token");
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert!(doc["scopes_supported"].as_array().expect("scopes").contains(&json!("commune:orgs")));
    let (status, jwks) = app.call(Method::GET, "/oauth/jwks", &Auth::None, None).await;
    assert_eq!(status, StatusCode::OK);
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "RSA");
    assert_eq!(keys[0]["alg"], "RS256");
    assert!(keys[0].get("d").is_none() && keys[0].get("p").is_none(), "no private part is published");
    let n = URL_SAFE_NO_PAD.decode(keys[0]["n"].as_str().expect("n")).expect("base64url");
    assert_eq!(n.len(), 384, "RSA-3072");
    let (_, again) = app.call(Method::GET, "/oauth/jwks", &Auth::None, None).await;
    assert_eq!(again, jwks, "the key is made once and kept");
}

#[tokio::test]
async fn stewards_register_apps_and_bad_registrations_change_nothing() {
    let s = shop().await;
    let (status, list) = s.app.call(Method::GET, "/api/v1/orgs/bakery/apps", &s.ada, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().expect("apps").len(), 2);
    assert!(!list.to_string().contains(&s.secret), "the secret is never shown again");
    assert!(!list.to_string().contains("secret_hash"));
    let before = s.app.audit_len().await;
    let attempt = |uris: Value| json!({ "name": "x", "kind": "public", "redirect_uris": uris });
    for uris in [
        json!([]),
        json!(["http://wiki.example/cb"]),
        json!(["https://w.example/cb#x"]),
        json!(["javascript:alert(1)"]),
    ] {
        let result = s.app.call(Method::POST, "/api/v1/orgs/bakery/apps", &s.ada, Some(attempt(uris.clone()))).await;
        check_error(result, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    let by_member =
        s.app.call(Method::POST, "/api/v1/orgs/bakery/apps", &s.bob, Some(attempt(json!([REDIRECT])))).await;
    check_error(by_member, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(s.app.audit_len().await, before, "refused registrations write nothing");
}

#[tokio::test]
async fn a_member_signs_in_to_an_app_with_pkce_and_the_app_learns_only_what_was_granted() {
    let s = shop().await;
    // Not signed in: the authorize request goes to the log-in page and comes back after it.
    let anonymous = raw(&s.app, get_as(&Auth::None, &authorize_uri(&s.public_id, &[]))).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.location.starts_with("/login?next=/oauth/authorize%3F"), "{}", anonymous.location);

    let code = consent_and_code(&s.app, &s.bob, &s.public_id).await;
    let (status, tokens) = exchange(&s.app, &s.public_id, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    let id = claims_of(tokens["id_token"].as_str().expect("id token"));
    assert_eq!(id["iss"], "http://127.0.0.1:8080");
    assert_eq!(id["aud"], s.public_id.as_str());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["preferred_username"], "bob");
    assert_eq!(id["commune:orgs"][0]["slug"], "bakery");
    assert!(id["exp"].as_i64().expect("exp") > id["iat"].as_i64().expect("iat"));
    let (status, info) = userinfo(&s.app, tokens["access_token"].as_str().expect("access")).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["sub"], id["sub"]);
    let bakery = info["commune:orgs"].as_array().expect("orgs").iter().find(|o| o["slug"] == "bakery").cloned();
    assert_eq!(bakery.expect("bakery")["role"], "member");

    // Consent is remembered: the next sign-in goes straight back with a code.
    let again = raw(&s.app, get_as(&s.bob, &authorize_uri(&s.public_id, &[]))).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(query_of(&again.location, "code").is_some());
    // Fewer scopes: userinfo releases fewer claims.
    let (_, apps) = s.app.call(Method::GET, "/api/v1/me/apps", &s.bob, None).await;
    assert_eq!(apps[0]["name"], "Wiki (public)");
    assert_eq!(apps[0]["scopes"], "openid profile email commune:orgs");
}

#[tokio::test]
async fn codes_work_once_and_pkce_cannot_be_skipped_or_downgraded() {
    let s = shop().await;
    let code = consent_and_code(&s.app, &s.bob, &s.public_id).await;
    // A wrong verifier, a wrong redirect, the wrong client: refused, the code still unused.
    let wrong = token(
        &s.app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &s.public_id),
            ("code_verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX"),
        ],
    )
    .await;
    assert_eq!((wrong.0, wrong.1["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{}", wrong.1);
    let no_verifier = token(
        &s.app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &s.public_id),
        ],
    )
    .await;
    assert_eq!(no_verifier.1["error"], "invalid_grant");
    let other_client = token(
        &s.app,
        Some((&s.confidential_id, &s.secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(other_client.1["error"], "invalid_grant");
    let (status, tokens) = exchange(&s.app, &s.public_id, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    // The code again: refused, and what it issued is revoked.
    let replay = exchange(&s.app, &s.public_id, &code).await;
    assert_eq!(replay.1["error"], "invalid_grant");
    let (status, _) = userinfo(&s.app, tokens["access_token"].as_str().expect("access")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a replayed code revokes its tokens");
    let (_, after) = refresh(&s.app, &s.public_id, tokens["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(after["error"], "invalid_grant");

    // A public app without PKCE, or with plain: sent back with an error, no code.
    for extra in [vec![("code_challenge", ""), ("code_challenge_method", "")], vec![("code_challenge_method", "plain")]]
    {
        let r = raw(&s.app, get_as(&s.bob, &authorize_uri(&s.public_id, &extra))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(query_of(&r.location, "error").as_deref(), Some("invalid_request"), "{}", r.location);
        assert!(query_of(&r.location, "code").is_none());
    }
    // A redirect URI that does not match exactly is never redirected to.
    let before = s.app.audit_len().await;
    for uri in ["http://127.0.0.1:9999/cb/", "http://127.0.0.1:9999/cb?x=1", "https://evil.example/cb"] {
        let r = raw(&s.app, get_as(&s.bob, &authorize_uri(&s.public_id, &[("redirect_uri", uri)]))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.location.is_empty());
        assert!(r.text.contains("not a redirect URI registered"), "{}", r.text);
    }
    let unknown = raw(&s.app, get_as(&s.bob, &authorize_uri("no-such-app", &[]))).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.app.audit_len().await, before, "refused requests write nothing");
}

#[tokio::test]
async fn confidential_apps_authenticate_and_refresh_tokens_rotate_with_reuse_detection() {
    let s = shop().await;
    let code = consent_and_code(&s.app, &s.bob, &s.confidential_id).await;
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = token(&s.app, Some((&s.confidential_id, "cmnc_wrong")), &pairs).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, tokens) = token(&s.app, Some((&s.confidential_id, &s.secret)), &pairs).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let first = tokens["refresh_token"].as_str().expect("refresh").to_owned();
    // client_secret_post works too.
    let (status, second) = token(
        &s.app,
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first),
            ("client_id", &s.confidential_id),
            ("client_secret", &s.secret),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let next = second["refresh_token"].as_str().expect("rotated").to_owned();
    assert_ne!(next, first, "a refresh token is replaced on use");
    assert!(claims_of(second["id_token"].as_str().expect("id")).get("nonce").is_none());
    // The old one again: a replay. The whole grant dies, the rotated token and access too.
    let reuse = token(
        &s.app,
        Some((&s.confidential_id, &s.secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", &first)],
    )
    .await;
    assert_eq!(reuse.1["error"], "invalid_grant");
    let after = token(
        &s.app,
        Some((&s.confidential_id, &s.secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", &next)],
    )
    .await;
    assert_eq!(after.1["error"], "invalid_grant", "the grant was revoked");
    let (status, _) = userinfo(&s.app, second["access_token"].as_str().expect("access")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_racing_uses_of_one_refresh_token_give_one_success() {
    let s = shop().await;
    let code = consent_and_code(&s.app, &s.bob, &s.public_id).await;
    let (_, tokens) = exchange(&s.app, &s.public_id, &code).await;
    let presented = tokens["refresh_token"].as_str().expect("refresh").to_owned();
    let app = std::sync::Arc::new(s.app);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (app, id, presented) = (app.clone(), s.public_id.clone(), presented.clone());
            tokio::spawn(async move { refresh(&app, &id, &presented).await.0 })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        if task.await.expect("task") == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, 1, "exactly one racing refresh wins");
}

#[tokio::test]
async fn a_rotation_publishes_the_next_key_before_it_signs_and_old_tokens_keep_working() {
    let s = shop().await;
    let code = consent_and_code(&s.app, &s.bob, &s.public_id).await;
    let (_, before) = exchange(&s.app, &s.public_id, &code).await;
    let old_kid = kid_of(before["id_token"].as_str().expect("id"));
    let root = s.app.login("root").await;
    let rotate = |immediately: bool| json!({ "immediately": immediately });
    let denied = s.app.call(Method::POST, "/api/v1/admin/oidc/rotate", &s.ada, Some(rotate(false))).await;
    check_error(denied, StatusCode::FORBIDDEN, "forbidden");
    // Started: the next key is published but does not sign yet.
    let (status, staged) = s.app.call(Method::POST, "/api/v1/admin/oidc/rotate", &root, Some(rotate(false))).await;
    assert_eq!(status, StatusCode::OK, "{staged}");
    assert_eq!(staged["active"], old_kid.as_str());
    let next = staged["next"].as_str().expect("a next key").to_owned();
    assert!(staged["next_signs_at"].as_i64().is_some());
    let published = |jwks: &Value| -> Vec<String> {
        jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str().map(str::to_owned)).collect()
    };
    let (_, jwks) = s.app.call(Method::GET, "/oauth/jwks", &Auth::None, None).await;
    assert_eq!(published(&jwks).len(), 2);
    assert!(published(&jwks).contains(&next));
    let (_, during) = refresh(&s.app, &s.public_id, before["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(kid_of(during["id_token"].as_str().expect("id")), old_kid, "the next key does not sign yet");
    // Finished at once: the next key signs; the previous stays published; its tokens verify.
    let (status, done) = s.app.call(Method::POST, "/api/v1/admin/oidc/rotate", &root, Some(rotate(true))).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["active"], next.as_str());
    let (_, jwks) = s.app.call(Method::GET, "/oauth/jwks", &Auth::None, None).await;
    let kids = published(&jwks);
    assert_eq!(kids.len(), 2, "the active key and the previous one");
    assert!(kids.contains(&old_kid) && kids.contains(&next));
    let (status, _) = userinfo(&s.app, during["access_token"].as_str().expect("access")).await;
    assert_eq!(status, StatusCode::OK, "a token signed by the previous key still verifies");
    let (_, after) = refresh(&s.app, &s.public_id, during["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(kid_of(after["id_token"].as_str().expect("id")), next);
    // Tampered tokens are refused, and an ID token is no access token.
    let access = after["access_token"].as_str().expect("access");
    let mut tampered = access.to_owned();
    tampered.pop();
    tampered.push(if access.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(userinfo(&s.app, &tampered).await.0, StatusCode::UNAUTHORIZED);
    let id_as_access = userinfo(&s.app, after["id_token"].as_str().expect("id")).await.0;
    assert_eq!(id_as_access, StatusCode::UNAUTHORIZED, "an ID token is not an access token");
}

#[tokio::test]
async fn logout_with_a_hint_signs_out_and_revoking_an_app_ends_its_tokens() {
    let s = shop().await;
    let code = consent_and_code(&s.app, &s.bob, &s.public_id).await;
    let (_, tokens) = exchange(&s.app, &s.public_id, &code).await;
    let hint = tokens["id_token"].as_str().expect("id");
    // A post-logout URI the app did not register: refused.
    let bad = raw(
        &s.app,
        get_as(
            &s.bob,
            &format!(
                "/oauth/logout?{}",
                form(&[("id_token_hint", hint), ("post_logout_redirect_uri", "https://evil.example/")])
            ),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Without a hint, the member is asked first.
    let ask = raw(&s.app, get_as(&s.bob, "/oauth/logout")).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.text.contains("Sign out of Commune"));
    let out = raw(
        &s.app,
        get_as(
            &s.bob,
            &format!(
                "/oauth/logout?{}",
                form(&[
                    ("id_token_hint", hint),
                    ("post_logout_redirect_uri", "http://127.0.0.1:9999/bye"),
                    ("state", "s9")
                ])
            ),
        ),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text);
    assert_eq!(out.location, "http://127.0.0.1:9999/bye?state=s9");
    assert!(out.cookies.iter().any(|c| c.starts_with("commune_session=;")));
    let me = s.app.call(Method::GET, "/api/v1/me", &s.bob, None).await;
    assert_eq!(me.0, StatusCode::UNAUTHORIZED, "the session ended");

    // The member revokes the app: its tokens stop working at once.
    let bob = s.app.login("bob").await;
    let (status, _) = userinfo(&s.app, tokens["access_token"].as_str().expect("access")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.app.call(Method::DELETE, &format!("/api/v1/me/apps/{}", s.public_id), &bob, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(userinfo(&s.app, tokens["access_token"].as_str().expect("access")).await.0, StatusCode::UNAUTHORIZED);
    let (_, apps) = s.app.call(Method::GET, "/api/v1/me/apps", &bob, None).await;
    assert_eq!(apps, json!([]));
    // A steward revokes the app: it can no longer sign anyone in.
    let (status, _) =
        s.app.call(Method::DELETE, &format!("/api/v1/orgs/bakery/apps/{}", s.public_id), &s.ada, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let gone = raw(&s.app, get_as(&bob, &authorize_uri(&s.public_id, &[]))).await;
    assert_eq!(gone.status, StatusCode::BAD_REQUEST);
}

/// `prompt=login` and `max_age` make a member signed in an hour ago sign in again before the app
/// gets a code; the ID token's `auth_time` is when they signed in, not when the code was made;
/// `prompt=none` with an expired `max_age` answers `login_required` to the app.
#[tokio::test]
async fn prompt_login_and_max_age_make_the_member_sign_in_again() {
    let s = shop().await;
    let mut browser = crate::web::Browser::new(&s.app);
    browser.log_in("bob").await;
    let hour_ago = commune_store::now_ms() - 3_600_000;
    let bob = s.app.store.member_by_handle("bob").await.expect("read").expect("bob").id;
    sqlx::query("UPDATE sessions SET created_at = $1 WHERE member_id = $2")
        .bind(hour_ago)
        .bind(&bob)
        .execute(s.app.store.pool())
        .await
        .expect("age the sessions");
    for extra in [[("prompt", "login")], [("max_age", "600")]] {
        let asked = browser.get(&authorize_uri(&s.public_id, &extra)).await;
        assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.html);
        let location = asked.location.expect("to the log-in page");
        assert!(location.starts_with("/login?again=1&next=%2Foauth%2Fauthorize%3F"), "{location}");
        assert!(browser.get(&location).await.html.contains("confirm it is you"));
    }
    // prompt=none cannot show the log-in page: the app hears login_required.
    let silent = browser.get(&authorize_uri(&s.public_id, &[("prompt", "none"), ("max_age", "60")])).await;
    let location = silent.location.expect("back to the app");
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(query_of(&location, "error").as_deref(), Some("login_required"));

    // Signing in again goes on with the same request (without prompt), then the consent page.
    let asked = browser.get(&authorize_uri(&s.public_id, &[("prompt", "login")])).await;
    let next = query_of(&asked.location.expect("log-in"), "next").expect("next");
    assert!(!next.contains("prompt="), "{next}");
    let before_login = commune_store::now_ms() / 1000;
    let signed = browser
        .submit("/login", "/login", &[("handle", "bob"), ("password", crate::support::PASSWORD), ("next", &next)])
        .await;
    assert_eq!(signed.location.as_deref(), Some(next.as_str()));
    let consent = browser.get(&next).await;
    let allowed = browser.allow_consent(&consent).await;
    let code = query_of(&allowed.location.expect("to the app"), "code").expect("a code");
    let (status, tokens) = exchange(&s.app, &s.public_id, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let auth_time = claims_of(tokens["id_token"].as_str().expect("id token"))["auth_time"].as_i64().expect("auth_time");
    assert!(auth_time >= before_login, "auth_time is the fresh sign-in: {auth_time} < {before_login}");
}
