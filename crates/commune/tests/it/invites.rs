//! Invite links: made by stewards and shown once, accepted with or without an account, used
//! exactly as often as they allow even when opened at once, refused once revoked or spent, and
//! never stored or logged in clear.

use crate::support::{TestApp, check_error};
use crate::web::Browser;
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_link_admits_as_often_as_it_allows_and_no_more() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let (status, made) = app
        .call(Method::POST, "/api/v1/orgs/root/invites", &root, Some(json!({ "max_uses": 2, "note": "the crew" })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("inv_") && made["path"] == format!("/join/{secret}"));

    // A newcomer with no account signs up and joins in one step, through the page.
    let mut newcomer = Browser::new(&app);
    let landing = newcomer.get(&format!("/join/{secret}")).await;
    assert!(landing.html.contains("Sign up and join") && landing.html.contains("Test Commune"), "{}", landing.html);
    let joined = newcomer
        .submit(
            &format!("/join/{secret}"),
            &format!("/join/{secret}/signup"),
            &[("handle", "newbie"), ("display_name", "New Bie"), ("password", crate::support::PASSWORD)],
        )
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.html);
    assert_eq!(joined.location.as_deref(), Some("/orgs/root?done=joined"));
    let newbie = app.store.member_by_handle("newbie").await.expect("read").expect("signed up");
    let root_org = app.store.org_by_slug("root").await.expect("read").expect("org");
    assert!(app.store.role_in(&root_org.id, &newbie.id).await.expect("read").is_some(), "a member now");

    // A member with an account accepts through the API; the link is then used up.
    let ada = app.member("ada").await;
    let (status, org) = app.call(Method::POST, &format!("/api/v1/invites/{secret}/accept"), &ada, None).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["slug"], "root");
    let bruno = app.member("bruno").await;
    let refused = app.call(Method::POST, &format!("/api/v1/invites/{secret}/accept"), &bruno, None).await;
    assert!(refused.1.to_string().contains("used as many times as it allows"), "{}", refused.1);
    // A spent link makes no account either.
    let mut late = Browser::new(&app);
    let page = late
        .submit(
            &format!("/join/{secret}"),
            &format!("/join/{secret}/signup"),
            &[("handle", "latecomer"), ("display_name", "Late"), ("password", crate::support::PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.store.member_by_handle("latecomer").await.expect("read").is_none());

    let (_, list) = app.call(Method::GET, "/api/v1/orgs/root/invites", &root, None).await;
    assert_eq!((list[0]["uses"].as_i64(), list[0]["max_uses"].as_i64()), (Some(2), Some(2)), "{list}");
    assert!(!list.to_string().contains(&secret), "the list never shows a secret");
    // Neither the audit log nor the database holds the secret.
    for entry in app.store.audit_tail(200).await.expect("tail") {
        assert!(!entry.payload.contains(&secret[4..]), "the audit log holds the secret: {}", entry.action);
    }
}

#[tokio::test]
async fn racing_newcomers_take_exactly_the_uses_a_link_allows() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let (_, made) = app.call(Method::POST, "/api/v1/orgs/root/invites", &root, Some(json!({ "max_uses": 3 }))).await;
    let secret = made["secret"].as_str().expect("secret").to_owned();
    let mut people = Vec::new();
    for i in 0..8 {
        people.push(app.member(&format!("racer{i}")).await);
    }
    let mut racers = tokio::task::JoinSet::new();
    for who in people {
        let router = app.router.clone();
        let request = app.request(Method::POST, &format!("/api/v1/invites/{secret}/accept"), &who, None);
        racers.spawn(async move { tower::ServiceExt::oneshot(router, request).await.expect("answer").status() });
    }
    let mut joined = 0;
    while let Some(status) = racers.join_next().await {
        let status = status.expect("racer");
        assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "{status}");
        joined += usize::from(status == StatusCode::OK);
    }
    assert_eq!(joined, 3, "three uses, three members");
    let org = app.store.org_by_slug("root").await.expect("read").expect("org");
    assert_eq!(org.member_count, 4, "the steward and three newcomers");
}

#[tokio::test]
async fn revoked_expired_and_malformed_links_admit_nobody() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let bad = app
        .call(Method::POST, "/api/v1/orgs/root/invites", &root, Some(json!({ "max_uses": 0, "expires_in_days": 91 })))
        .await;
    check_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let (_, made) = app.call(Method::POST, "/api/v1/orgs/root/invites", &root, Some(json!({}))).await;
    let (secret, id) = (made["secret"].as_str().expect("secret"), made["invite"]["id"].as_str().expect("id"));
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/orgs/root/invites/{id}"), &root, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let ada = app.member("ada").await;
    let refused = app.call(Method::POST, &format!("/api/v1/invites/{secret}/accept"), &ada, None).await;
    assert!(refused.1.to_string().contains("revoked"), "{}", refused.1);
    let page = Browser::new(&app).get(&format!("/join/{secret}")).await;
    assert!(page.html.contains("This invite link was revoked"), "{}", page.html);
    for malformed in ["nope", "inv_12", "inv_zz00000000000000000000000000000000000000000000000000000000000000"] {
        let (status, _) = app.call(Method::POST, &format!("/api/v1/invites/{malformed}/accept"), &ada, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{malformed}");
    }
    // A link whose time has passed (written as the store would, an hour ago, for an hour).
    let secret = format!("inv_{}", "ab".repeat(32));
    let org = app.store.org_by_slug("root").await.expect("read").expect("org");
    let steward = app.store.member_by_handle("root").await.expect("read").expect("root");
    let mut tx = app.store.write(&steward.id).await.expect("write");
    let now = commune_store::now_ms();
    tx.create_invite(&org.id, &commune_domain::token::secret_hash(&secret), &steward.id, "", 5, now - 1)
        .await
        .expect("store");
    tx.commit().await.expect("commit");
    let refused = app.call(Method::POST, &format!("/api/v1/invites/{secret}/accept"), &ada, None).await;
    assert!(refused.1.to_string().contains("expired"), "{}", refused.1);
    assert!(
        app.store
            .role_in(&org.id, &app.store.member_by_handle("ada").await.expect("r").expect("ada").id)
            .await
            .expect("r")
            .is_none()
    );
}
