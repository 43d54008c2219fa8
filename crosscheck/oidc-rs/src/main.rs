//! The `openidconnect` crate against Commune's provider: a confidential client
//! (`client_secret_post`) with PKCE. The crate does the protocol and every check on the ID token
//! (signature from the discovered JWKS, iss, aud, nonce, exp, at_hash); this program only plays
//! its part of the line protocol of `oidc_check.py` and reports what the crate accepted or
//! refused. HTTP goes over a plain loopback TCP connection (the provider runs on 127.0.0.1).

use openidconnect::core::{CoreClient, CoreGenderClaim, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthType, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, HttpRequest, HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope,
    TokenResponse, UserInfoClaims,
};
use std::io::{BufRead, Read, Write};
use std::str::FromStr;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
struct CommuneClaims {
    #[serde(rename = "commune:orgs", default)]
    orgs: Vec<serde_json::Value>,
}
impl AdditionalClaims for CommuneClaims {}

/// HTTP/1.1 over one loopback TCP connection per request.
#[derive(Debug, Clone, Copy)]
struct Plain;

impl openidconnect::SyncHttpClient for Plain {
    type Error = std::io::Error;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, Self::Error> {
        let uri = request.uri();
        let host = uri.host().unwrap_or("127.0.0.1");
        let port = uri.port_u16().unwrap_or(80);
        let mut stream = std::net::TcpStream::connect((host, port))?;
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let mut head =
            format!("{} {} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n", request.method(), path);
        for (name, value) in request.headers() {
            head.push_str(&format!("{}: {}\r\n", name, value.to_str().unwrap_or("")));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body().len()));
        stream.write_all(head.as_bytes())?;
        stream.write_all(request.body())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(std::io::ErrorKind::InvalidData)?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut body = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(500);
        let mut builder = openidconnect::http::Response::builder().status(status);
        let mut chunked = false;
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                chunked |= name.eq_ignore_ascii_case("transfer-encoding") && value.trim() == "chunked";
                builder = builder.header(name.trim(), value.trim());
            }
        }
        if chunked {
            body = dechunk(&body);
        }
        builder.body(body).map_err(std::io::Error::other)
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
    out
}

struct Driver {
    input: std::io::Lines<std::io::StdinLock<'static>>,
}

impl Driver {
    fn ask(&mut self, line: &str) -> String {
        println!("{line}");
        let answer = self.input.next().expect("an answer").expect("a line");
        answer.split_once(' ').map(|(_, rest)| rest.to_owned()).unwrap_or_default()
    }
}

fn check(name: &str, ok: bool, detail: &str) {
    println!("CHECK {} {} {detail}", name.replace(' ', "_"), if ok { "ok" } else { "FAIL" });
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

type Client = openidconnect::core::CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn discover() -> Client {
    let issuer = IssuerUrl::new(env("OIDC_ISSUER")).expect("issuer");
    let metadata = CoreProviderMetadata::discover(&issuer, &Plain).expect("discovery");
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(env("OIDC_CLIENT_ID")),
        Some(ClientSecret::new(env("OIDC_CLIENT_SECRET"))),
    )
    .set_redirect_uri(RedirectUrl::new(env("OIDC_REDIRECT")).expect("redirect"))
    .set_auth_type(AuthType::RequestBody)
}

fn kid_of(token: &CoreIdToken) -> String {
    let text = token.to_string();
    let header = text.split('.').next().unwrap_or("");
    let bytes = base64url(header);
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|h| h["kid"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn base64url(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let Some(v) = alphabet.iter().position(|&a| a == c) else { continue };
        bits = (bits << 6) | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn main() {
    let mut driver = Driver { input: std::io::stdin().lock().lines() };
    let client = discover();
    check("discovery", true, "");
    let sub = env("OIDC_SUB");

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("commune:orgs".into()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = driver.ask(&format!("AUTHORIZE {url}"));
    let callback = openidconnect::url::Url::parse(&callback).expect("callback URL");
    let param = |name: &str| callback.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    assert_eq!(param("state").as_deref(), Some(state.secret().as_str()), "state");
    let tokens = client
        .exchange_code(AuthorizationCode::new(param("code").expect("code")))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request(&Plain)
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).expect("a valid ID token");
    let hash_ok = claims.access_token_hash().is_some_and(|expected| {
        let signing = id_token.signing_alg().expect("alg");
        let key = id_token.signing_key(&verifier).expect("key");
        AccessTokenHash::from_token(tokens.access_token(), signing, key).is_ok_and(|h| &h == expected)
    });
    check(
        "code + PKCE, ID token validated (signature, iss, aud, nonce, exp, at_hash)",
        claims.subject().as_str() == sub && hash_ok,
        "",
    );

    let info: UserInfoClaims<CommuneClaims, CoreGenderClaim> = client
        .user_info(tokens.access_token().clone(), None)
        .expect("userinfo endpoint")
        .request(&Plain)
        .expect("userinfo");
    let orgs: Vec<String> =
        info.additional_claims().orgs.iter().filter_map(|o| o["slug"].as_str().map(str::to_owned)).collect();
    check(
        "userinfo (sub, commune:orgs)",
        info.subject().as_str() == sub && orgs.contains(&"bakery".into()),
        &orgs.join(","),
    );

    let first_refresh = tokens.refresh_token().expect("a refresh token").clone();
    let refreshed = client.exchange_refresh_token(&first_refresh).expect("endpoint").request(&Plain).expect("refresh");
    let no_nonce = |_: Option<&Nonce>| Ok(());
    let ok = refreshed.refresh_token().is_some_and(|r| r.secret() != first_refresh.secret())
        && refreshed.id_token().expect("id").claims(&verifier, no_nonce).is_ok();
    check("refresh (rotated refresh token, new ID token validated)", ok, "");

    for kind in ["wrong_iss", "wrong_aud", "expired", "tampered"] {
        let jwt = driver.ask(&format!("MINT {kind} {} {}", env("OIDC_CLIENT_ID"), nonce.secret()));
        let result = CoreIdToken::from_str(&jwt)
            .map_err(|e| e.to_string())
            .and_then(|t| t.claims(&verifier, &nonce).map(|_| ()).map_err(|e| e.to_string()));
        check(
            &format!("refuses {}", kind.replace('_', " ")),
            result.is_err(),
            &result.err().unwrap_or_else(|| "accepted".into()),
        );
    }
    let good = driver.ask(&format!("MINT good {} {}", env("OIDC_CLIENT_ID"), nonce.secret()));
    let control = CoreIdToken::from_str(&good)
        .map_err(|e| e.to_string())
        .and_then(|t| t.claims(&verifier, &nonce).map(|_| ()).map_err(|e| e.to_string()));
    check(
        "accepts the control token minted the same way",
        control.is_ok(),
        &control.err().unwrap_or_else(|| "accepted".into()),
    );

    // A rotation: the next key is published first; a client that discovered the key set while
    // both were published verifies the new key's tokens without fetching it again.
    let next_kid = driver.ask("ROTATE");
    let client = discover();
    let verifier = client.id_token_verifier();
    let during = client
        .exchange_refresh_token(refreshed.refresh_token().expect("refresh"))
        .expect("endpoint")
        .request(&Plain)
        .expect("refresh during the rotation");
    let during_kid = kid_of(during.id_token().expect("id"));
    check(
        "rotation: the next key is published before it signs",
        during_kid != next_kid,
        &format!("signed by {during_kid}"),
    );
    let kid = driver.ask("PROMOTE");
    let previous = driver.ask(&format!("MINT previous_key {} -", env("OIDC_CLIENT_ID")));
    let old = CoreIdToken::from_str(&previous)
        .map_err(|e| e.to_string())
        .and_then(|t| t.claims(&verifier, no_nonce).map(|_| ()).map_err(|e| e.to_string()));
    check("rotation: a token of the previous key still verifies", old.is_ok(), &old.err().unwrap_or_default());
    let newer = client
        .exchange_refresh_token(during.refresh_token().expect("refresh"))
        .expect("endpoint")
        .request(&Plain)
        .expect("refresh after the rotation");
    let newer_id = newer.id_token().expect("id");
    let ok = kid_of(newer_id) == kid && kid == next_kid && newer_id.claims(&verifier, no_nonce).is_ok();
    check("rotation: a token of the new key verifies without fetching the key set again", ok, &kid_of(newer_id));

    let reuse = client.exchange_refresh_token(&first_refresh).expect("endpoint").request(&Plain);
    let after =
        client.exchange_refresh_token(newer.refresh_token().expect("refresh")).expect("endpoint").request(&Plain);
    check("reused refresh token refused and the grant revoked", reuse.is_err() && after.is_err(), "");
    println!("DONE");
}
