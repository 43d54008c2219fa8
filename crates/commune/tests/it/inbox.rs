//! The inbox: notifications fanned out from what happened, "needs you" computed live, read
//! state, preferences checked strictly, the fan-out idempotent under racing readers, and the
//! email digest delivered to a local SMTP sink.

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn inbox(app: &TestApp, who: &Auth) -> Value {
    let (status, body) = app.call(Method::GET, "/api/v1/inbox", who, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn titles(inbox: &Value) -> Vec<String> {
    inbox["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .map(|n| n["title"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn what_happened_reaches_whom_it_concerns_once_and_can_be_read() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let ada = app.member("ada").await;
    // A join request reaches the commune's steward, and its answer reaches the member.
    let (status, body) = app.call(Method::POST, "/api/v1/orgs/root/join-requests", &ada, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let steward_view = inbox(&app, &root).await;
    assert!(titles(&steward_view).iter().any(|t| t == "@ada asks to join Test Commune"), "{steward_view}");
    assert_eq!(steward_view["needs_you"]["join_requests"].as_array().map(Vec::len), Some(1), "{steward_view}");
    assert!(titles(&inbox(&app, &ada).await).is_empty(), "nobody is told of their own action");

    let (status, _) = app.call(Method::POST, &format!("/api/v1/orgs/root/join-requests/{id}/admit"), &root, None).await;
    assert_eq!(status, StatusCode::OK);
    let ada_view = inbox(&app, &ada).await;
    assert_eq!(titles(&ada_view), ["You were admitted to Test Commune"], "{ada_view}");
    assert_eq!(ada_view["unread"], 1);
    assert!(inbox(&app, &root).await["needs_you"]["join_requests"].as_array().is_some_and(Vec::is_empty));

    // A payment request reaches the payer, and needs them until it is answered.
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/payment-requests",
            &root,
            Some(json!({ "payer": "@ada", "amount": "12.50", "memo": "the co-op dinner" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ada_view = inbox(&app, &ada).await;
    assert!(
        titles(&ada_view).iter().any(|t| t.contains("@root asks you to pay 12.50") && t.contains("co-op dinner")),
        "{ada_view}"
    );
    assert_eq!(ada_view["needs_you"]["to_pay"].as_array().map(Vec::len), Some(1), "{ada_view}");

    // Read state: one, then all; another member cannot touch ada's.
    let first = ada_view["notifications"][0]["id"].as_str().expect("id").to_owned();
    let (_, marked) = app.call(Method::POST, "/api/v1/inbox/read", &root, Some(json!({ "id": first }))).await;
    assert_eq!(marked["marked"], 0, "root cannot read ada's notification");
    let (_, marked) = app.call(Method::POST, "/api/v1/inbox/read", &ada, Some(json!({ "id": first }))).await;
    assert_eq!(marked["marked"], 1);
    let (_, marked) = app.call(Method::POST, "/api/v1/inbox/read", &ada, Some(json!({}))).await;
    assert_eq!(marked["marked"], 1);
    assert_eq!(inbox(&app, &ada).await["unread"], 0);
    let (_, unread) = app.call(Method::GET, "/api/v1/inbox?unread=true", &ada, None).await;
    assert!(titles(&unread).is_empty(), "{unread}");

    // Money held for ada needs her too, until she captures it.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/deposits",
            &root,
            Some(json!({ "to": "root", "amount": "50.00", "memo": "float" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, held) = app
        .call(
            Method::POST,
            "/api/v1/holds",
            &root,
            Some(json!({ "to": "@ada", "amount": "20.00", "memo": "the mural" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let ada_view = inbox(&app, &ada).await;
    let holds = ada_view["needs_you"]["holds"].as_array().expect("holds").clone();
    assert_eq!(holds.len(), 1, "{ada_view}");
    assert_eq!((holds[0]["amount_minor"].as_i64(), holds[0]["memo"].as_str()), (Some(2000), Some("the mural")));

    // The web inbox says the same, and the count shows in the navigation.
    let (status, page) = app.call(Method::GET, "/inbox", &ada, None).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().expect("html").to_owned();
    assert!(page.contains("asks you to pay") && page.contains("Needs you"), "{page}");
}

#[tokio::test]
async fn racing_readers_store_every_notification_once() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let mut members = Vec::new();
    for i in 0..6 {
        let member = app.member(&format!("member{i}")).await;
        app.admit(&root, &member, "root").await;
        members.push(member);
    }
    // Eight readers catch up at once over the same backlog.
    let mut readers = tokio::task::JoinSet::new();
    for who in members.iter().cloned().chain([root.clone(), root.clone()]) {
        let router = app.router.clone();
        let request = app.request(Method::GET, "/api/v1/inbox", &who, None);
        readers.spawn(async move { tower::ServiceExt::oneshot(router, request).await.expect("answer").status() });
    }
    while let Some(status) = readers.join_next().await {
        assert_eq!(status.expect("reader"), StatusCode::OK);
    }
    let root_view = inbox(&app, &root).await;
    let requests: Vec<String> = titles(&root_view).into_iter().filter(|t| t.contains("asks to join")).collect();
    assert_eq!(requests.len(), 6, "one per join request, never twice: {requests:?}");
    for member in &members {
        assert_eq!(titles(&inbox(&app, member).await), ["You were admitted to Test Commune"]);
    }
}

#[tokio::test]
async fn preferences_are_checked_and_bad_ones_change_nothing() {
    let app = TestApp::set_up().await;
    let ada = app.member("ada").await;
    let before = app.audit_len().await;
    let bad = app
        .call(
            Method::PUT,
            "/api/v1/me/prefs",
            &ada,
            Some(json!({ "digest": "hourly", "email": "ada@example.org\r\nBcc: all@example.org", "time_zone": "Mars/Olympus" })),
        )
        .await;
    let fields: Vec<&str> = bad.1["error"]["fields"]
        .as_array()
        .map_or(Vec::new(), |f| f.iter().filter_map(|x| x["field"].as_str()).collect());
    check_error(bad.clone(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(fields, ["digest", "email", "time_zone"], "{}", bad.1);
    assert_eq!(app.audit_len().await, before, "nothing was written");
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/me/prefs",
            &ada,
            Some(json!({ "digest": "daily", "email": "ada@example.org", "time_zone": "America/Bogota" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, read) = app.call(Method::GET, "/api/v1/me/prefs", &ada, None).await;
    assert_eq!(read, json!({ "digest": "daily", "email": "ada@example.org", "time_zone": "America/Bogota" }));
    // Pages now show times in Bogotá (UTC−5), with UTC on hover.
    let (_, page) = app.call(Method::GET, "/style", &ada, None).await;
    let page = page.as_str().expect("html");
    assert!(page.contains("-05") && page.contains(" UTC\""), "times carry the zone and UTC on hover");
    let entry = app.store.audit_tail(1).await.expect("tail").remove(0);
    assert_eq!(entry.action, "member.prefs");
    assert!(!entry.payload.contains("ada@example.org"), "the address never enters the audit log: {}", entry.payload);
}

/// A minimal SMTP server on loopback that records each message it is given.
async fn smtp_sink() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        for _ in 0..8 {
            let Ok((socket, _)) = listener.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut message = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            let _ = tx.send(std::mem::take(&mut message));
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (address, rx)
}

#[tokio::test]
async fn the_digest_goes_to_the_relay_once_per_period() {
    let (relay, mut received) = smtp_sink().await;
    let mail = commune_app::state::Mail::parse(&relay, "Commune <commune@example.org>", "http://commune.test")
        .expect("mail settings");
    let app = TestApp::with_config(commune_app::Config { mail: Some(mail), ..commune_app::Config::default() }).await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/setup",
            &Auth::None,
            Some(json!({ "commune_name": "Mail Commune", "commune_slug": "root", "handle": "root",
                          "display_name": "Root", "password": crate::support::PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let root = app.login("root").await;
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/me/prefs",
            &root,
            Some(json!({ "digest": "daily", "email": "root@example.org", "time_zone": "UTC" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ada = app.member("ada").await;
    app.call(Method::POST, "/api/v1/orgs/root/join-requests", &ada, Some(json!({}))).await;

    let now = commune_store::now_ms();
    let day = 24 * 3600 * 1000;
    let sent = commune_app::digest::send_due(&app.state, now).await.expect("send");
    assert_eq!(sent, 0, "not due yet: the first digest comes a day after choosing one");
    // Two servers' schedulers at once: one digest.
    let (a, b) = tokio::join!(
        commune_app::digest::send_due(&app.state, now + day + 1),
        commune_app::digest::send_due(&app.state, now + day + 1)
    );
    assert_eq!(a.expect("send") + b.expect("send"), 1, "sent once");
    let message = tokio::time::timeout(std::time::Duration::from_secs(5), received.recv())
        .await
        .expect("the sink got a message")
        .expect("message");
    assert!(message.contains("To: root@example.org"), "{message}");
    assert!(message.contains("@ada asks to join Mail Commune"), "{message}");
    assert!(message.contains("http://commune.test/orgs/root/requests"), "{message}");
    assert_eq!(commune_app::digest::send_due(&app.state, now + day + 2).await.expect("send"), 0, "once per period");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(received.try_recv().is_err(), "no second message reached the relay");
}
