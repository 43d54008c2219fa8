//! Standard Webhooks through the public surface: a steward subscribes a receiver on loopback
//! (allowed for the test), events from the audit log arrive signed, a failing receiver is retried
//! on the schedule and ends dead, a replay sends it again, a rotated secret signs beside the old
//! one, and addresses a webhook may not reach are refused, changing nothing. The Python
//! `standardwebhooks` package verifies the same deliveries in `crosscheck/webhooks_check.py`.

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use commune_app::Config;
use commune_domain::webhooks::{AllowedRange, MAX_ATTEMPTS, parse_secret, verify};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the receiver got: its headers (lower-cased names) and body.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

/// A receiver on loopback that answers each request with the next status of `statuses`
/// (then 200), recording what it got.
async fn receiver(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/hooks", listener.local_addr().expect("addr").port());
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    tokio::spawn(async move {
        let mut statuses = statuses.into_iter();
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body) = loop {
                let n = stream.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), String::new());
                }
                raw.extend_from_slice(&buf[..n]);
                let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                let head = String::from_utf8_lossy(&raw[..split]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if raw.len() >= split + 4 + length {
                    break (head, String::from_utf8_lossy(&raw[split + 4..split + 4 + length]).into_owned());
                }
            };
            let headers = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            log.lock().expect("log").push(Received { headers, body });
            let status = statuses.next().unwrap_or(200);
            let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    (url, got)
}

/// A receiver that, when a request arrives, opens `opens` and answers 200 once `waits` is open
/// too (500 if it stays shut for 20 s). How many requests it got.
async fn gated_receiver(
    opens: Arc<tokio::sync::Notify>,
    waits: Arc<tokio::sync::Notify>,
) -> (String, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/hooks", listener.local_addr().expect("addr").port());
    let got = Arc::new(Mutex::new(0));
    let count = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf).await;
            *count.lock().expect("count") += 1;
            opens.notify_one();
            let open = tokio::time::timeout(std::time::Duration::from_secs(20), waits.notified()).await.is_ok();
            let status = if open { 200 } else { 500 };
            let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    (url, got)
}

async fn app() -> TestApp {
    let app = TestApp::with_config(Config {
        webhook_allow: vec![AllowedRange::parse("127.0.0.1/32").expect("range")],
        ..Config::default()
    })
    .await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/setup",
            &Auth::None,
            Some(json!({ "commune_name": "C", "commune_slug": "root", "handle": "root", "display_name": "Root", "password": crate::support::PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app
}

/// Fans the audit log out and delivers what is due at `now`.
async fn pump(app: &TestApp, now: i64) {
    commune_app::webhooks::fan_out(&app.state).await.expect("fan out");
    let http = commune_app::webhooks::client(&app.state.config.webhook_allow);
    commune_app::webhooks::deliver_due(&app.state, &http, now).await.expect("deliver");
}

async fn subscribe(app: &TestApp, who: &Auth, url: &str, events: &[&str]) -> (String, String) {
    let (status, body) = app
        .call(Method::POST, "/api/v1/orgs/bakery/webhooks", who, Some(json!({ "url": url, "events": events })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["endpoint"]["id"].as_str().expect("id").to_owned(), body["secret"].as_str().expect("secret").to_owned())
}

fn verified(got: &Received, secret: &str) -> bool {
    let key = parse_secret(secret).expect("secret");
    let ts: i64 = got.header("webhook-timestamp").parse().expect("timestamp");
    verify(&key, got.header("webhook-id"), ts, &got.body, got.header("webhook-signature"), ts)
}

#[tokio::test]
async fn events_arrive_signed_once_each_and_failures_are_retried_then_dead_then_replayed() {
    let app = app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    app.org(&ada, "bakery").await;
    let (url, got) = receiver(vec![500]).await;
    let (endpoint, secret) = subscribe(&app, &ada, &url, &["member.admitted"]).await;

    app.admit(&ada, &bob, "bakery").await;
    let now = commune_store::now_ms();
    pump(&app, now).await;
    assert_eq!(got.lock().expect("log").len(), 1, "the first attempt");
    let (_, log) =
        app.call(Method::GET, &format!("/api/v1/orgs/bakery/webhooks/{endpoint}/messages"), &ada, None).await;
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["last_status"], 500);
    let retry_at = log[0]["next_attempt_at"].as_i64().expect("next");
    assert!((retry_at - now - 5_000).abs() <= 1_000, "the first retry after 5 s ± 20 %: {}", retry_at - now);
    pump(&app, now + 1_000).await;
    assert_eq!(got.lock().expect("log").len(), 1, "not due yet");
    pump(&app, retry_at).await;
    let deliveries = got.lock().expect("log").clone();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].header("webhook-id"), deliveries[1].header("webhook-id"), "a retry keeps its id");
    for d in &deliveries {
        assert!(d.header("webhook-id").starts_with("msg_"));
        assert!(verified(d, &secret), "signed with the endpoint's secret");
        assert!(!verified(d, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "and no other");
    }
    let body: Value = serde_json::from_str(&deliveries[1].body).expect("json");
    assert_eq!(body["type"], "member.admitted");
    assert_eq!(body["data"]["member"], "bob");
    assert_eq!(body["data"]["org"], "bakery");
    let (_, log) =
        app.call(Method::GET, &format!("/api/v1/orgs/bakery/webhooks/{endpoint}/messages"), &ada, None).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 2);
    pump(&app, retry_at + 3_600_000).await;
    assert_eq!(got.lock().expect("log").len(), 2, "delivered once: nothing more is sent");

    // A receiver that always fails: every attempt on the schedule, then dead; a replay sends it
    // again once the receiver is back.
    let (down, down_got) = receiver(vec![503; MAX_ATTEMPTS as usize]).await;
    let (dead_endpoint, _) = subscribe(&app, &ada, &down, &["member.admitted"]).await;
    let cleo = app.member("cleo").await;
    app.admit(&ada, &cleo, "bakery").await;
    let mut at = commune_store::now_ms();
    for _ in 0..MAX_ATTEMPTS {
        pump(&app, at).await;
        at += 13 * 3_600_000; // the longest wait, 10 h, plus its 20 % jitter
    }
    assert_eq!(down_got.lock().expect("log").len(), MAX_ATTEMPTS as usize);
    let path = format!("/api/v1/orgs/bakery/webhooks/{dead_endpoint}/messages");
    let (_, log) = app.call(Method::GET, &path, &ada, None).await;
    assert_eq!(log[0]["status"], "dead", "{log}");
    pump(&app, at + 48 * 3_600_000).await;
    assert_eq!(down_got.lock().expect("log").len(), MAX_ATTEMPTS as usize, "a dead message is not retried");
    let message = log[0]["id"].as_str().expect("id");
    let replay = format!("{path}/{message}/replay");
    let denied = app.call(Method::POST, &replay, &bob, None).await;
    check_error(denied, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = app.call(Method::POST, &replay, &ada, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    pump(&app, commune_store::now_ms() + 1).await;
    assert_eq!(down_got.lock().expect("log").len(), MAX_ATTEMPTS as usize + 1);
    let (_, log) = app.call(Method::GET, &path, &ada, None).await;
    assert_eq!(log[0]["status"], "delivered", "{log}");
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one() {
    let app = app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    app.org(&ada, "bakery").await;
    let (url, got) = receiver(Vec::new()).await;
    let (endpoint, old) = subscribe(&app, &ada, &url, &["member.admitted"]).await;
    let (status, rotated) =
        app.call(Method::POST, &format!("/api/v1/orgs/bakery/webhooks/{endpoint}/secret"), &ada, None).await;
    assert_eq!(status, StatusCode::OK);
    let new = rotated["secret"].as_str().expect("secret");
    assert_ne!(new, old);
    app.admit(&ada, &bob, "bakery").await;
    pump(&app, commune_store::now_ms()).await;
    let d = got.lock().expect("log")[0].clone();
    assert_eq!(d.header("webhook-signature").split(' ').count(), 2, "two signatures during a rotation");
    assert!(verified(&d, &old) && verified(&d, new));
}

#[tokio::test]
async fn destinations_webhooks_may_not_reach_are_refused_and_nothing_is_written() {
    let app = app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    app.org(&ada, "bakery").await;
    app.admit(&ada, &bob, "bakery").await;
    let before = app.audit_len().await;
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/hooks",
        "http://[::1]:9/hooks",
        "http://192.168.1.1/",
        "http://93.184.216.34/hooks",
        "https://user:pw@127.0.0.1/hooks",
        "ftp://127.0.0.1/hooks",
        "http://127.0.0.2:9/hooks",
    ] {
        let result = app
            .call(
                Method::POST,
                "/api/v1/orgs/bakery/webhooks",
                &ada,
                Some(json!({ "url": url, "events": ["task.done"] })),
            )
            .await;
        check_error(result, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/orgs/bakery/webhooks",
            &ada,
            Some(json!({ "url": "http://127.0.0.1:9/h", "events": ["everything"] })),
        )
        .await;
    check_error(unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let by_member = app
        .call(
            Method::POST,
            "/api/v1/orgs/bakery/webhooks",
            &bob,
            Some(json!({ "url": "http://127.0.0.1:9/h", "events": ["task.done"] })),
        )
        .await;
    check_error(by_member, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.audit_len().await, before, "refused subscriptions write nothing");
    let (_, types) = app.call(Method::GET, "/api/v1/webhooks/event-types", &bob, None).await;
    assert!(types.as_array().expect("types").iter().any(|t| t["name"] == "invoice.paid"));
}

/// The stewards' pages: subscribing from the form (the secret shown once), the delivery log of
/// a failing endpoint (attempts, last answer, dead), replay from the page, rotating the secret
/// and disabling; a member who is not a steward sees none of it, and a refused address writes
/// nothing.
#[tokio::test]
async fn stewards_subscribe_read_the_delivery_log_and_replay_from_the_pages() {
    let app = app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    app.org(&ada, "bakery").await;
    let (url, got) = receiver(vec![503; MAX_ATTEMPTS as usize]).await;
    let mut steward = crate::web::Browser::new(&app);
    steward.log_in("ada").await;
    let page = steward.get("/orgs/bakery/webhooks").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("member.admitted") && page.html.contains("No endpoints yet"), "{}", page.html);
    assert!(steward.get("/orgs/bakery").await.html.contains("/orgs/bakery/webhooks"), "linked from the org page");

    // A metadata address is refused on the form, with the reason, and nothing is written.
    let before = app.audit_len().await;
    let refused = steward
        .submit(
            "/orgs/bakery/webhooks",
            "/orgs/bakery/webhooks",
            &[("url", "http://169.254.169.254/latest"), ("events", "member.admitted")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains("value=\"member.admitted\" checked"), "the form keeps what was ticked");
    assert_eq!(app.audit_len().await, before);

    let made = steward
        .submit(
            "/orgs/bakery/webhooks",
            "/orgs/bakery/webhooks",
            &[("url", &url), ("description", "the shop"), ("events", "member.admitted"), ("events", "task.done")],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.html);
    let secret =
        made.html.split("id=\"new-endpoint-secret\">").nth(1).and_then(|r| r.split('<').next()).expect("secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let endpoint =
        made.html.split("id=\"new-endpoint-id\">").nth(1).and_then(|r| r.split('<').next()).expect("id").to_owned();
    assert!(!steward.get("/orgs/bakery/webhooks").await.html.contains(secret), "the secret is shown once");

    // Every attempt fails: the log shows the attempts, the last answer, and then dead.
    app.admit(&ada, &bob, "bakery").await;
    let mut at = commune_store::now_ms();
    for _ in 0..MAX_ATTEMPTS {
        pump(&app, at).await;
        at += 3 * 24 * 3600 * 1000;
    }
    let log_page = format!("/orgs/bakery/webhooks/{endpoint}");
    let log = steward.get(&log_page).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.html);
    assert!(log.html.contains("member.admitted") && log.html.contains("HTTP 503"), "{}", log.html);
    assert!(log.html.contains("delivery-dead") && log.html.contains(&format!(">{MAX_ATTEMPTS}<")), "{}", log.html);
    assert_eq!(got.lock().expect("log").len(), MAX_ATTEMPTS as usize);

    // Replay from the page: pending again, then delivered (the receiver answers 200 now).
    let message = log.html.split("/messages/").nth(1).and_then(|r| r.split('/').next()).expect("a message").to_owned();
    let replayed = steward.submit(&log_page, &format!("{log_page}/messages/{message}/replay"), &[]).await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER, "{}", replayed.html);
    assert!(steward.get(&log_page).await.html.contains("delivery-pending"));
    pump(&app, at).await;
    assert!(steward.get(&log_page).await.html.contains("delivery-delivered"));
    let last = got.lock().expect("log").last().cloned().expect("the replay");
    assert!(verified(&last, secret), "the replay is signed with the endpoint's secret");

    // Rotating shows the new secret once; disabling takes the endpoint out of service.
    let rotated = steward.submit(&log_page, &format!("{log_page}/secret"), &[]).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.html);
    assert!(rotated.html.contains("id=\"rotated-secret\">whsec_"), "{}", rotated.html);
    let disabled = steward.submit(&log_page, &format!("{log_page}/disable"), &[]).await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    assert!(steward.get("/orgs/bakery/webhooks").await.html.contains("disabled"));

    // bob is a member, not a steward: no page, no log, no replay.
    let mut member = crate::web::Browser::new(&app);
    member.log_in("bob").await;
    assert_eq!(member.get("/orgs/bakery/webhooks").await.status, StatusCode::FORBIDDEN);
    assert_eq!(member.get(&log_page).await.status, StatusCode::FORBIDDEN);
    let before = app.audit_len().await;
    let csrf_page = member.get("/").await;
    assert_eq!(csrf_page.status, StatusCode::OK);
    let denied = member.submit("/", &format!("{log_page}/messages/{message}/replay"), &[]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.html);
    assert_eq!(app.audit_len().await, before);
    let _ = bob;
}

/// A receiver that hangs does not hold up the others: each of two endpoints answers only once
/// the other has received its message, so delivering one endpoint after the other would fail
/// (whichever goes first waits for a message that never comes); side by side, both are
/// delivered in one run.
#[tokio::test]
async fn a_slow_receiver_does_not_hold_up_the_others() {
    let app = app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    app.org(&ada, "bakery").await;
    let (one, two) = (Arc::new(tokio::sync::Notify::new()), Arc::new(tokio::sync::Notify::new()));
    let (slow, slow_got) = gated_receiver(one.clone(), two.clone()).await;
    let (fast, fast_got) = gated_receiver(two, one).await;
    let (slow_id, _) = subscribe(&app, &ada, &slow, &["member.admitted"]).await;
    let (fast_id, _) = subscribe(&app, &ada, &fast, &["member.admitted"]).await;
    app.admit(&ada, &bob, "bakery").await;
    pump(&app, commune_store::now_ms()).await;
    assert_eq!((*slow_got.lock().expect("n"), *fast_got.lock().expect("n")), (1, 1));
    for id in [slow_id, fast_id] {
        let (_, log) = app.call(Method::GET, &format!("/api/v1/orgs/bakery/webhooks/{id}/messages"), &ada, None).await;
        assert_eq!(log[0]["status"], "delivered", "{log}");
    }
}
