//! The JSON API: set-up, identity, organisations, admission, tokens, and bad input.

use crate::support::{Auth, PASSWORD, TestApp, check_error};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn first_run_setup_happens_once() {
    let app = TestApp::empty().await;
    let (status, body) = app.call(Method::GET, "/api/v1/setup", &Auth::None, None).await;
    assert_eq!((status, body["needed"].as_bool()), (StatusCode::OK, Some(true)));

    let bad =
        json!({ "commune_name": "", "commune_slug": "-x", "handle": "r", "display_name": "", "password": "short" });
    let result = app.call(Method::POST, "/api/v1/setup", &Auth::None, Some(bad)).await;
    let fields: Vec<&str> =
        result.1["error"]["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(fields, ["handle", "password", "display_name", "slug", "name"], "every problem at once");
    check_error(result, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(app.audit_len().await, 0, "refused input writes nothing");

    let good = json!({ "commune_name": "River Commune", "commune_slug": "river", "handle": "root", "display_name": "Root", "password": PASSWORD });
    let (status, body) = app.call(Method::POST, "/api/v1/setup", &Auth::None, Some(good.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["commune"]["kind"], "commune");
    assert_eq!(body["commune"]["is_root"], true);
    let written = app.audit_len().await;

    let again = json!({ "commune_name": "Second", "commune_slug": "second", "handle": "other", "display_name": "O", "password": PASSWORD });
    check_error(
        app.call(Method::POST, "/api/v1/setup", &Auth::None, Some(again)).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_eq!(app.audit_len().await, written);
    let (_, body) = app.call(Method::GET, "/api/v1/setup", &Auth::None, None).await;
    assert_eq!(body["needed"], false);
}

#[tokio::test]
async fn sign_up_validates_and_refuses_duplicates() {
    let app = TestApp::set_up().await;
    let before = app.audit_len().await;
    let cases = [
        (json!({ "handle": "ab", "display_name": "A", "password": PASSWORD }), "handle"),
        (json!({ "handle": "Bad-Handle", "display_name": "A", "password": PASSWORD }), "handle"),
        (json!({ "handle": "okay", "display_name": "A", "password": "short" }), "password"),
        (json!({ "handle": "okay", "display_name": "  ", "password": PASSWORD }), "display_name"),
        (json!({ "handle": "okay", "display_name": "A", "password": PASSWORD, "bio": "x".repeat(2001) }), "bio"),
        (json!({ "handle": "okay", "display_name": "A\u{0007}", "password": PASSWORD }), "display_name"),
        (json!({ "handle": "okay", "display_name": "A", "password": PASSWORD, "domains": ["no/slash"] }), "domains"),
        (json!({ "handle": "okay", "display_name": "A", "password": "x".repeat(300) }), "password"),
    ];
    for (body, field) in cases {
        let result = app.call(Method::POST, "/api/v1/members", &Auth::None, Some(body.clone())).await;
        assert_eq!(result.1["error"]["fields"][0]["field"], field, "{body}");
        check_error(result, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    assert_eq!(app.audit_len().await, before, "no refused sign-up wrote anything");

    let alice = app.member("alice").await;
    let dup = json!({ "handle": "ALICE", "display_name": "Other", "password": PASSWORD });
    check_error(
        app.call(Method::POST, "/api/v1/members", &Auth::None, Some(dup)).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let (status, me) = app.call(Method::GET, "/api/v1/me", &alice, None).await;
    assert_eq!(
        (status, me["kind"].as_str(), me["member"]["handle"].as_str()),
        (StatusCode::OK, Some("member"), Some("alice"))
    );
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_clear_4xx() {
    let app = TestApp::set_up().await;
    let before = app.audit_len().await;
    let raw = |body: &str, content_type: Option<&str>| {
        let mut request = Request::builder().method(Method::POST).uri("/api/v1/members");
        if let Some(ct) = content_type {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        request.body(Body::from(body.to_owned())).expect("request")
    };
    let cases = [
        (raw("{not json", Some("application/json")), StatusCode::BAD_REQUEST, "invalid_json"),
        (raw(r#"{"handle": 5}"#, Some("application/json")), StatusCode::BAD_REQUEST, "invalid_json"),
        (raw(r#"{"handle":"a"}"#, None), StatusCode::BAD_REQUEST, "expected_json"),
        (
            raw(&format!(r#"{{"handle":"{}"}}"#, "a".repeat(70_000)), Some("application/json")),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (request, status, code) in cases {
        let response = app.send(request).await;
        assert_eq!(response.status(), status, "{code}");
        let bytes = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("errors are JSON");
        assert_eq!(body["error"]["code"], code);
    }
    check_error(app.call(Method::GET, "/api/v1/nowhere", &Auth::None, None).await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.audit_len().await, before);
}

#[tokio::test]
async fn login_refuses_wrong_passwords_and_limits_attempts() {
    let app = TestApp::set_up().await;
    app.member("bob").await;
    let before = app.audit_len().await;
    let attempt = |handle: &str, password: &str| json!({ "handle": handle, "password": password });
    check_error(
        app.call(Method::POST, "/api/v1/sessions", &Auth::None, Some(attempt("bob", "wrong password"))).await,
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    );
    check_error(
        app.call(Method::POST, "/api/v1/sessions", &Auth::None, Some(attempt("nobody", PASSWORD))).await,
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    );
    // Five attempts per handle per minute: bob used two (one above, one in `member`), three more fail…
    for _ in 0..3 {
        check_error(
            app.call(Method::POST, "/api/v1/sessions", &Auth::None, Some(attempt("bob", "wrong again!"))).await,
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
        );
    }
    // …and then even the right password is refused until the window passes.
    let request = app.request(Method::POST, "/api/v1/sessions", &Auth::None, Some(attempt("bob", PASSWORD)));
    let response = app.send(request).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get(header::RETRY_AFTER).is_some(), "says when to retry");
    assert_eq!(app.audit_len().await, before, "failed logins change nothing");
}

#[tokio::test]
async fn sessions_end_on_logout_and_expiry_and_need_csrf_for_writes() {
    let app = TestApp::set_up().await;
    let carol = app.member("carol").await;
    let update =
        json!({ "display_name": "Carol C", "bio": "Bakes.", "place": "Harbour", "domains": ["food", "Finance"] });

    let before = app.audit_len().await;
    let cookie_only = Auth::CookieOnly(carol.cookie().to_owned());
    check_error(
        app.call(Method::PUT, "/api/v1/me/profile", &cookie_only, Some(update.clone())).await,
        StatusCode::FORBIDDEN,
        "csrf_failed",
    );
    let forged = Auth::Session { cookie: carol.cookie().to_owned(), csrf: "0".repeat(64) };
    check_error(
        app.call(Method::PUT, "/api/v1/me/profile", &forged, Some(update.clone())).await,
        StatusCode::FORBIDDEN,
        "csrf_failed",
    );
    assert_eq!(app.audit_len().await, before, "a write without CSRF proof changes nothing");

    let (status, body) = app.call(Method::PUT, "/api/v1/me/profile", &carol, Some(update)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["domains"], json!(["food", "finance"]));
    let (_, profile) = app.call(Method::GET, "/api/v1/members/carol", &carol, None).await;
    assert_eq!((profile["bio"].as_str(), profile["place"].as_str()), (Some("Bakes."), Some("Harbour")));

    let (status, _) = app.call(Method::DELETE, "/api/v1/sessions/current", &carol, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    check_error(app.call(Method::GET, "/api/v1/me", &carol, None).await, StatusCode::UNAUTHORIZED, "session_expired");

    let carol = app.login("carol").await;
    sqlx::query("UPDATE sessions SET expires_at = 1").execute(app.store.pool()).await.expect("expire sessions");
    check_error(app.call(Method::GET, "/api/v1/me", &carol, None).await, StatusCode::UNAUTHORIZED, "session_expired");
    check_error(
        app.call(Method::GET, "/api/v1/me", &Auth::None, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

#[tokio::test]
async fn organisations_admit_members_through_stewards() {
    let app = TestApp::set_up().await;
    let steward = app.member("stella").await;
    let dora = app.member("dora").await;
    let org = app.org(&steward, "acme").await;
    assert_eq!((org["kind"].as_str(), org["member_count"].as_i64()), (Some("business"), Some(1)));

    let before = app.audit_len().await;
    let dup = json!({ "slug": "ACME", "name": "Other", "kind": "business" });
    check_error(app.call(Method::POST, "/api/v1/orgs", &dora, Some(dup)).await, StatusCode::CONFLICT, "conflict");
    let second_root = json!({ "slug": "root2", "name": "Root 2", "kind": "commune" });
    check_error(
        app.call(Method::POST, "/api/v1/orgs", &dora, Some(second_root)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(app.call(Method::GET, "/api/v1/orgs/nope", &dora, None).await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.audit_len().await, before);

    let (status, request) =
        app.call(Method::POST, "/api/v1/orgs/acme/join-requests", &dora, Some(json!({ "message": "Hi!" }))).await;
    assert_eq!((status, request["status"].as_str()), (StatusCode::CREATED, Some("pending")));
    check_error(
        app.call(Method::POST, "/api/v1/orgs/acme/join-requests", &dora, Some(json!({}))).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let (_, pending) = app.call(Method::GET, "/api/v1/orgs/acme/join-requests", &steward, None).await;
    assert_eq!(pending.as_array().map(Vec::len), Some(1));

    let id = request["id"].as_str().expect("id");
    let (status, decided) =
        app.call(Method::POST, &format!("/api/v1/orgs/acme/join-requests/{id}/admit"), &steward, None).await;
    assert_eq!((status, decided["status"].as_str()), (StatusCode::OK, Some("admitted")));
    check_error(
        app.call(Method::POST, &format!("/api/v1/orgs/acme/join-requests/{id}/reject"), &steward, None).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let (_, members) = app.call(Method::GET, "/api/v1/orgs/acme/members", &dora, None).await;
    let handles: Vec<&str> = members.as_array().expect("list").iter().filter_map(|m| m["handle"].as_str()).collect();
    assert_eq!(handles, ["stella", "dora"], "stewards first");
    check_error(
        app.call(Method::POST, "/api/v1/orgs/acme/join-requests", &dora, Some(json!({}))).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // The last steward cannot leave or step down; after appointing another, they can.
    check_error(
        app.call(Method::DELETE, "/api/v1/orgs/acme/members/me", &steward, None).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    check_error(
        app.call(Method::PUT, "/api/v1/orgs/acme/members/stella/role", &steward, Some(json!({ "role": "member" })))
            .await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    check_error(
        app.call(Method::PUT, "/api/v1/orgs/acme/members/dora/role", &steward, Some(json!({ "role": "king" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let (status, _) = app
        .call(Method::PUT, "/api/v1/orgs/acme/members/dora/role", &steward, Some(json!({ "role": "steward" })))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::DELETE, "/api/v1/orgs/acme/members/me", &steward, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, org) = app.call(Method::GET, "/api/v1/orgs/acme", &dora, None).await;
    assert_eq!(org["member_count"], 1);

    // A rejected request leaves the requester outside.
    let eve = app.member("eve").await;
    let (_, request) = app.call(Method::POST, "/api/v1/orgs/acme/join-requests", &eve, Some(json!({}))).await;
    let id = request["id"].as_str().expect("id");
    let (_, decided) =
        app.call(Method::POST, &format!("/api/v1/orgs/acme/join-requests/{id}/reject"), &dora, None).await;
    assert_eq!(decided["status"], "rejected");
    check_error(
        app.call(Method::GET, "/api/v1/orgs/acme/members", &eve, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

#[tokio::test]
async fn tokens_are_shown_once_hashed_at_rest_scoped_and_revocable() {
    let app = TestApp::set_up().await;
    let steward = app.member("tess").await;
    app.org(&steward, "acme").await;
    app.org(&steward, "other").await;

    let before = app.audit_len().await;
    for (body, field) in [
        (json!({ "name": "x", "scopes": [] }), "scopes"),
        (json!({ "name": "x", "scopes": ["root"] }), "scopes"),
        (json!({ "name": "", "scopes": ["members:read"] }), "name"),
    ] {
        let result = app.call(Method::POST, "/api/v1/orgs/acme/tokens", &steward, Some(body)).await;
        assert_eq!(result.1["error"]["fields"][0]["field"], field);
        check_error(result, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    assert_eq!(app.audit_len().await, before);

    let (status, created) = app
        .call(
            Method::POST,
            "/api/v1/orgs/acme/tokens",
            &steward,
            Some(json!({ "name": "shop", "scopes": ["members:read"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("cmn_") && secret.len() == 68, "{secret}");
    let token = Auth::Bearer(secret.clone());

    let (_, listed) = app.call(Method::GET, "/api/v1/orgs/acme/tokens", &steward, None).await;
    assert!(!listed.to_string().contains(&secret), "the secret is never listed");
    for table in ["api_tokens", "audit_log", "sessions"] {
        let rows = sqlx::query(&format!("SELECT * FROM {table}")).fetch_all(app.store.pool()).await.expect("read");
        let dump = format!(
            "{:?}",
            rows.iter()
                .map(|r| (0..sqlx::Row::len(r))
                    .map(|i| sqlx::Row::try_get::<Option<String>, _>(r, i).ok().flatten())
                    .collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
        assert!(!dump.contains(&secret[4..]), "no clear secret in {table}");
        assert!(!dump.contains(PASSWORD), "no clear password in {table}");
    }
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM members WHERE handle = 'tess'")
        .fetch_one(app.store.pool())
        .await
        .expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    let (status, me) = app.call(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(
        (status, me["kind"].as_str(), me["token"]["name"].as_str()),
        (StatusCode::OK, Some("token"), Some("shop"))
    );
    let (status, _) = app.call(Method::GET, "/api/v1/orgs/acme/members", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    check_error(
        app.call(Method::GET, "/api/v1/orgs/other/members", &token, None).await,
        StatusCode::FORBIDDEN,
        "wrong_org",
    );
    check_error(
        app.call(Method::POST, "/api/v1/orgs/acme/join-requests/x/admit", &token, None).await,
        StatusCode::FORBIDDEN,
        "missing_scope",
    );
    check_error(
        app.call(
            Method::POST,
            "/api/v1/orgs/acme/tokens",
            &token,
            Some(json!({ "name": "n", "scopes": ["members:read"] })),
        )
        .await,
        StatusCode::FORBIDDEN,
        "members_only",
    );
    check_error(
        app.call(Method::GET, "/api/v1/me", &Auth::Bearer("cmn_nonsense".into()), None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );

    let id = created["token"]["id"].as_str().expect("id");
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/orgs/acme/tokens/{id}"), &steward, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    check_error(app.call(Method::GET, "/api/v1/me", &token, None).await, StatusCode::UNAUTHORIZED, "invalid_token");
    check_error(
        app.call(Method::DELETE, &format!("/api/v1/orgs/acme/tokens/{id}"), &steward, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Another organisation's steward cannot revoke it either (it is not theirs to find).
    check_error(
        app.call(Method::DELETE, &format!("/api/v1/orgs/other/tokens/{id}"), &steward, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn health_metrics_and_directory() {
    let app = TestApp::set_up().await;
    let (status, health) = app.call(Method::GET, "/healthz", &Auth::None, None).await;
    assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, metrics) =
        app.call(Method::GET, "/metrics", &Auth::Bearer(crate::support::METRICS_TOKEN.into()), None).await;
    assert_eq!(status, StatusCode::OK);
    let text = metrics.as_str().expect("text format");
    assert!(text.contains("commune_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("commune_audit_entries"), "{text}");

    let member = app.member("finn").await;
    let (status, list) = app.call(Method::GET, "/api/v1/members?limit=1", &member, None).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    // Keyset paging: the page after the first handle starts with the next one.
    let first = list[0]["handle"].as_str().expect("a handle").to_owned();
    let (_, next) = app.call(Method::GET, &format!("/api/v1/members?limit=1&after={first}"), &member, None).await;
    assert!(next[0]["handle"].as_str().is_some_and(|h| h > first.as_str()), "{next}");
    check_error(
        app.call(Method::GET, "/api/v1/members?limit=abc", &member, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    let (_, orgs) = app.call(Method::GET, "/api/v1/orgs", &member, None).await;
    assert_eq!(orgs[0]["slug"], "root", "the commune comes first");
}
