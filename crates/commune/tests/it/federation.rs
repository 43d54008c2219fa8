//! ActivityPub between two Commune instances on loopback, each a real server: they publish,
//! find each other by WebFinger, follow each other (Follow → Accept), and see each other's
//! proposals as Questions (a closed one with its counts, outcome and receipt digest); a remote
//! reply lands in a proposal's thread. Then a hostile peer: unsigned, badly signed, stale,
//! tampered, replayed, impersonating and blocked activities are refused and write nothing; a
//! peer that refuses RFC 9421 gets the cavage dialect on the second knock.

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use commune_app::Config;
use commune_app::federation::{self, outbox};
use commune_domain::federation::activity::{self, Urls};
use commune_domain::federation::chapters;
use commune_domain::federation::httpsig::Dialect;
use commune_domain::webhooks::AllowedRange;
use serde_json::{Value, json};

fn now() -> i64 {
    commune_store::now_ms()
}

/// An instance served on a loopback port, publishing its root organisation.
pub(crate) async fn instance() -> (TestApp, String, Auth) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (app, base, root) = instance_at(&listener).await;
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (app, base, root)
}

/// An instance for `listener`'s address, publishing its root organisation (not yet served).
pub(crate) async fn instance_at(listener: &tokio::net::TcpListener) -> (TestApp, String, Auth) {
    let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let config = Config {
        public_url: base.clone(),
        webhook_allow: vec![AllowedRange::parse("127.0.0.0/8").expect("range")],
        ..Config::default()
    };
    let app = TestApp::set_up_with(config).await;
    let root = app.login("root").await;
    let (status, body) =
        app.call(Method::PUT, "/api/v1/orgs/root/federation", &root, Some(json!({"publish": true}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    (app, base, root)
}

/// Publishes and delivers everything due on each instance, a few rounds (a delivery can cause
/// an answer on the other side).
pub(crate) async fn pump(apps: &[&TestApp]) {
    for _ in 0..3 {
        for app in apps {
            outbox::fan_out(&app.state).await.expect("fan out");
            let http = outbox::client(&app.state);
            outbox::deliver_due(&app.state, &http, now()).await.expect("deliver");
        }
    }
}

async fn overview(app: &TestApp, who: &Auth) -> Value {
    let (status, body) = app.call(Method::GET, "/api/v1/orgs/root/federation", who, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn open_proposal(app: &TestApp, who: &Auth, title: &str) -> String {
    let body = json!({
        "title": title, "body": "Shared with our sister commune.", "domain": "general", "kind": "decision",
        "method": { "method": "yes_no", "threshold": 0.5 }, "options": [],
        "voting_opens_at": now() + crate::support::OPENS_IN, "voting_closes_at": now() + crate::support::CLOSES_IN,
    });
    let (status, p) = app.call(Method::POST, "/api/v1/orgs/root/proposals", who, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().expect("id").to_owned();
    let (status, p) = app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), who, None).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    commune_app::scheduler::tick(&app.state, now() + crate::support::OPENS_IN + 1_000).await.expect("tick");
    id
}

#[tokio::test]
async fn two_instances_follow_each_other_and_see_each_others_proposals() {
    let (a, a_base, a_root) = instance().await;
    let (b, b_base, b_root) = instance().await;
    let b_host = b_base.trim_start_matches("http://");
    let a_host = a_base.trim_start_matches("http://");

    // WebFinger and the actor document.
    let (status, jrd) =
        b.call(Method::GET, &format!("/.well-known/webfinger?resource=acct:root@{b_host}"), &Auth::None, None).await;
    assert_eq!(status, StatusCode::OK, "{jrd}");
    assert_eq!(jrd["links"][0]["href"], format!("{b_base}/ap/orgs/root"));
    let (_, actor) = b.call(Method::GET, "/ap/orgs/root", &Auth::None, None).await;
    assert_eq!(actor["type"], "Group");
    assert!(actor["publicKey"]["publicKeyPem"].as_str().is_some_and(|p| p.starts_with("-----BEGIN PUBLIC KEY-----")));

    // B opened a proposal before anyone followed it.
    let early = open_proposal(&b, &b_root, "Start a tool library").await;
    pump(&[&a, &b]).await;

    // A follows B, B accepts; B follows A, A accepts.
    let (status, followed) = a
        .call(
            Method::POST,
            "/api/v1/orgs/root/federation/follows",
            &a_root,
            Some(json!({"account": format!("root@{b_host}")})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{followed}");
    assert_eq!(followed["handle"], format!("@root@{b_host}"));
    let (status, again) = a
        .call(
            Method::POST,
            "/api/v1/orgs/root/federation/follows",
            &a_root,
            Some(json!({"account": format!("root@{b_host}")})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, _) = b
        .call(
            Method::POST,
            "/api/v1/orgs/root/federation/follows",
            &b_root,
            Some(json!({"account": format!("{a_base}/ap/orgs/root")})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    pump(&[&a, &b]).await;
    let (oa, ob) = (overview(&a, &a_root).await, overview(&b, &b_root).await);
    assert_eq!(oa["following"][0]["state"], "accepted", "{oa}");
    assert_eq!(ob["following"][0]["state"], "accepted", "{ob}");
    assert_eq!(oa["followers"][0]["id"], format!("{b_base}/ap/orgs/root"));
    assert_eq!(ob["followers"][0]["id"], format!("{a_base}/ap/orgs/root"));
    assert_eq!(oa["account"], format!("@root@{a_host}"));
    // When B accepted, A read B's outbox: the earlier proposal is there too (backfill).
    let titles: Vec<&str> =
        oa["proposals"].as_array().expect("list").iter().filter_map(|q| q["title"].as_str()).collect();
    assert_eq!(titles, ["Start a tool library"], "{oa}");
    assert_eq!(oa["proposals"][0]["id"], format!("{b_base}/ap/proposals/{early}"));

    // B opens a proposal: A sees it as a Question.
    let b_id = open_proposal(&b, &b_root, "Share the delivery van").await;
    pump(&[&a, &b]).await;
    let oa = overview(&a, &a_root).await;
    let van = oa["proposals"]
        .as_array()
        .expect("list")
        .iter()
        .find(|q| q["title"] == "Share the delivery van")
        .unwrap_or_else(|| panic!("seen: {oa}"));
    assert_eq!(van["id"], format!("{b_base}/ap/proposals/{b_id}"));
    assert_eq!(van["options"][0][0], "Yes");

    // A opens, votes and closes one: B sees the counts, the outcome and the receipt digest.
    let a_id = open_proposal(&a, &a_root, "Pool our seed fund").await;
    let (status, receipt) = a
        .call(
            Method::POST,
            &format!("/api/v1/proposals/{a_id}/ballot"),
            &a_root,
            Some(json!({"kind": "yes_no", "stance": "yes"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    let later = now() + crate::support::CLOSES_IN + 3_600_000;
    commune_app::scheduler::tick(&a.state, later).await.expect("tick");
    commune_app::scheduler::tick(&a.state, later).await.expect("tick");
    pump(&[&a, &b]).await;
    let ob = overview(&b, &b_root).await;
    let seen =
        ob["proposals"].as_array().expect("list").iter().find(|q| q["title"] == "Pool our seed fund").expect("seen");
    assert!(seen["closed_at"].as_i64().is_some(), "{seen}");
    assert_eq!(seen["options"][0], json!(["Yes", 1]), "{seen}");
    let receipts = vec![receipt["receipt"].as_str().expect("receipt").to_string()];
    assert_eq!(seen["receipt_digest"].as_str(), Some(activity::receipt_digest(&receipts).as_str()));
    let (_, question) = a.call(Method::GET, &format!("/ap/proposals/{a_id}"), &Auth::None, None).await;
    assert_eq!(question["type"], "Question");
    assert_eq!(question["receiptDigest"], seen["receipt_digest"]);
    // The counting instance signed the result; B fetched it and checked it with A's key, and so
    // can anyone with the key in A's actor document.
    assert_eq!(seen["result_verified"], true, "{seen}");
    let (_, signed) = a.call(Method::GET, &format!("/ap/proposals/{a_id}/result"), &Auth::None, None).await;
    let (_, actor) = a.call(Method::GET, "/ap/orgs/root", &Auth::None, None).await;
    let key = commune_domain::federation::httpsig::PublicKey::from_pem(
        actor["publicKey"]["publicKeyPem"].as_str().expect("pem"),
    )
    .expect("key");
    let (kid, result) = activity::verify_document(&signed, &key).expect("the signed result verifies");
    assert_eq!(kid, format!("{a_base}/ap/orgs/root#main-key"));
    assert_eq!(result["outcome"], "passed", "{result}");
    assert_eq!(result["counts"]["equal"][0], 1.0);
    assert_eq!(result["receipt_digest"], seen["receipt_digest"]);
    let other = federation::instance_key(&b.state).await.expect("key").0.public();
    assert!(activity::verify_document(&signed, &other).is_err(), "another instance's key does not verify it");
    let (status, _) = a.call(Method::GET, &format!("/ap/proposals/{}/result", "nope"), &Auth::None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A remote member replies to A's proposal (B's root member, signed by B): it joins the thread.
    let (key, _) = federation::instance_key(&b.state).await.expect("key");
    let urls = Urls::new(&b_base);
    let note = activity::note(
        &format!("{b_base}/ap/comments/remote-1"),
        &urls.member("root"),
        &format!("{a_base}/ap/proposals/{a_id}"),
        "Count us in <script>x</script>",
        now(),
        &format!("{b_base}/x"),
        activity::PUBLIC,
    );
    let create = activity::wrap("Create", &format!("{b_base}/ap/activities/reply-1"), &urls.member("root"), &note);
    let body = create.to_string();
    for dialect in [Dialect::Cavage, Dialect::Rfc9421] {
        let status = post_signed(&a_base, "/ap/inbox", &key, &urls.member("root"), &body, dialect).await;
        let expected = if dialect == Dialect::Cavage { 202 } else { 409 }; // the second is a replay
        assert_eq!(status, expected, "{dialect:?}");
    }
    let (status, replies) = a.call(Method::GET, &format!("/api/v1/proposals/{a_id}/replies"), &a_root, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replies.as_array().map(Vec::len), Some(1), "{replies}");
    // The sender escaped the text as HTML; it is kept as the text it was (pages escape it again).
    assert_eq!(replies[0]["body"], "Count us in <script>x</script>");
    assert_eq!(replies[0]["actor_handle"], format!("@root@{b_host}"));

    // Unfollow: B is told, and stops listing A as a follower.
    let (status, _) = a
        .call(
            Method::DELETE,
            &format!("/api/v1/orgs/root/federation/follows?actor={b_base}/ap/orgs/root"),
            &a_root,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    pump(&[&a, &b]).await;
    assert_eq!(overview(&b, &b_root).await["followers"], json!([]));
}

/// POSTs `body` to `base{path}` signed as `actor` in `dialect`; returns the status.
pub(crate) async fn post_signed(
    base: &str,
    path: &str,
    key: &commune_domain::federation::httpsig::PrivateKey,
    actor: &str,
    body: &str,
    dialect: Dialect,
) -> u16 {
    let url = format!("{base}{path}");
    let headers =
        outbox::signed_headers(key, actor, "POST", &url, Some(body.as_bytes()), dialect, now() / 1000).expect("sign");
    send(&url, headers, body).await
}

async fn send(url: &str, headers: Vec<(String, String)>, body: &str) -> u16 {
    let mut request = reqwest::Client::new().post(url).body(body.to_string());
    for (name, value) in headers.into_iter().filter(|(n, _)| n != "host") {
        request = request.header(name, value);
    }
    request.send().await.expect("send").status().as_u16()
}

#[tokio::test]
async fn hostile_activities_are_refused_and_change_nothing() {
    let (a, a_base, a_root) = instance().await;
    let (b, b_base, _) = instance().await;
    let (key, _) = federation::instance_key(&b.state).await.expect("key");
    let b_actor = format!("{b_base}/ap/orgs/root");
    let follow = |n: u32| {
        activity::follow(&format!("{b_base}/ap/activities/f{n}"), &b_actor, &format!("{a_base}/ap/orgs/root"))
            .to_string()
    };
    let inbox = format!("{a_base}/ap/orgs/root/inbox");
    let before = a.audit_len().await;

    // Unsigned.
    assert_eq!(send(&inbox, vec![("content-type".into(), "application/activity+json".into())], &follow(1)).await, 401);
    // Signed over another body (the digest no longer matches).
    let mut headers = outbox::signed_headers(
        &key,
        &b_actor,
        "POST",
        &inbox,
        Some(follow(2).as_bytes()),
        Dialect::Rfc9421,
        now() / 1000,
    )
    .expect("sign");
    assert_eq!(send(&inbox, headers.clone(), &follow(3)).await, 401);
    // A tampered signature.
    for (name, value) in headers.iter_mut() {
        if name == "signature" {
            *value = value.replacen(":", ":AAAA", 1);
        }
    }
    assert_eq!(send(&inbox, headers, &follow(2)).await, 401);
    // Stale: signed two hours ago.
    let stale = outbox::signed_headers(
        &key,
        &b_actor,
        "POST",
        &inbox,
        Some(follow(4).as_bytes()),
        Dialect::Cavage,
        now() / 1000 - 7200,
    )
    .expect("sign");
    assert_eq!(send(&inbox, stale, &follow(4)).await, 401);
    // Signed by B's key but claiming another actor.
    let impostor = activity::follow(
        &format!("{b_base}/ap/activities/f5"),
        &format!("{b_base}/ap/members/root"),
        &format!("{a_base}/ap/orgs/root"),
    );
    assert_eq!(
        post_signed(&a_base, "/ap/orgs/root/inbox", &key, &b_actor, &impostor.to_string(), Dialect::Rfc9421).await,
        401
    );
    // A key on another instance than the actor's is refused before it is fetched.
    let elsewhere = activity::follow(
        "http://127.0.0.1:9/ap/activities/f9",
        "http://127.0.0.1:9/ap/orgs/x",
        &format!("{a_base}/ap/orgs/root"),
    );
    assert_eq!(
        post_signed(&a_base, "/ap/orgs/root/inbox", &key, &b_actor, &elsewhere.to_string(), Dialect::Rfc9421).await,
        401
    );
    // A note claiming an id on another instance (here, A's own).
    let squat = activity::wrap(
        "Create",
        &format!("{b_base}/ap/activities/c1"),
        &b_actor,
        &activity::note(
            &format!("{a_base}/ap/comments/x"),
            &b_actor,
            &format!("{a_base}/ap/proposals/x"),
            "mine",
            now(),
            &b_base,
            activity::PUBLIC,
        ),
    );
    assert_eq!(post_signed(&a_base, "/ap/inbox", &key, &b_actor, &squat.to_string(), Dialect::Rfc9421).await, 422);
    // Not JSON, and oversize.
    assert_eq!(post_signed(&a_base, "/ap/orgs/root/inbox", &key, &b_actor, "{nope", Dialect::Rfc9421).await, 422);
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    assert_eq!(post_signed(&a_base, "/ap/orgs/root/inbox", &key, &b_actor, &huge, Dialect::Rfc9421).await, 413);
    assert_eq!(a.audit_len().await, before, "refused activities write nothing");
    assert_eq!(overview(&a, &a_root).await["followers"], json!([]));

    // A good one is accepted once; its replay is refused.
    assert_eq!(post_signed(&a_base, "/ap/orgs/root/inbox", &key, &b_actor, &follow(6), Dialect::Rfc9421).await, 202);
    let after = a.audit_len().await;
    assert_eq!(post_signed(&a_base, "/ap/orgs/root/inbox", &key, &b_actor, &follow(6), Dialect::Cavage).await, 409);
    assert_eq!(a.audit_len().await, after);

    // Blocked: refused before anything is read; lifting the block lets it through again.
    let b_host = b_base.trim_start_matches("http://");
    let (status, body) = a
        .call(Method::POST, "/api/v1/admin/federation/blocks", &a_root, Some(json!({"host": b_host, "reason": "spam"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(post_signed(&a_base, "/ap/orgs/root/inbox", &key, &b_actor, &follow(7), Dialect::Rfc9421).await, 403);
    check_error(
        a.call(Method::POST, "/api/v1/admin/federation/blocks", &a_root, Some(json!({"host": "not a host/"}))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let (status, _) = a.call(Method::DELETE, &format!("/api/v1/admin/federation/blocks/{b_host}"), &a_root, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(post_signed(&a_base, "/ap/orgs/root/inbox", &key, &b_actor, &follow(8), Dialect::Rfc9421).await, 202);

    // An organisation that does not publish is not an actor.
    let (status, _) = b.call(Method::GET, "/ap/orgs/nobody", &Auth::None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        a.call(Method::GET, "/.well-known/webfinger?resource=acct:root@elsewhere.example", &Auth::None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_peer_that_refuses_rfc_9421_gets_cavage_on_the_second_knock() {
    let (a, a_base, a_root) = instance().await;
    // A peer that answers 401 to RFC 9421 and 202 to cavage.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let peer = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let router = axum::Router::new().route(
        "/inbox",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let log = log.clone();
            async move {
                let dialect = if headers.contains_key("signature-input") { "rfc9421" } else { "cavage" };
                log.lock().expect("lock").push(dialect.to_string());
                if dialect == "rfc9421" { StatusCode::UNAUTHORIZED } else { StatusCode::ACCEPTED }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let local = format!("{a_base}/ap/orgs/root");
    let body = activity::follow(&format!("{a_base}/ap/activities/knock"), &local, &format!("{peer}/actor"));
    let (key, _) = federation::instance_key(&a.state).await.expect("key");
    let http = outbox::client(&a.state);
    let dialect = outbox::post(
        &a.state,
        &http,
        &key,
        &local,
        &format!("{peer}/inbox"),
        body.to_string().as_bytes(),
        Dialect::Rfc9421,
    )
    .await
    .expect("delivered");
    assert_eq!(dialect, Dialect::Cavage);
    assert_eq!(*seen.lock().expect("lock"), vec!["rfc9421".to_string(), "cavage".to_string()]);
    let _ = a_root;
}

/// Signs a ballot as B's chapter would and posts it to A; returns the status.
async fn post_claim(
    a_base: &str,
    signer: &commune_domain::federation::httpsig::PrivateKey,
    http_key: &commune_domain::federation::httpsig::PrivateKey,
    claim: &chapters::BallotClaim,
) -> u16 {
    let signed =
        activity::sign_document(&chapters::claim_json(claim), &Urls::key_id(&claim.chapter), signer).expect("sign");
    let body = json!({ "signed": signed }).to_string();
    post_signed(a_base, "/ap/chapters/ballots", http_key, &claim.chapter, &body, Dialect::Rfc9421).await
}

#[tokio::test]
async fn a_chapter_on_another_instance_votes_on_its_communes_proposals() {
    let (a, a_base, a_root) = instance().await;
    let (b, b_base, b_root) = instance().await;
    let a_host = a_base.trim_start_matches("http://");
    let b_host = b_base.trim_start_matches("http://");

    // B has a chapter, North, publishing, with a member besides its steward; and someone who
    // is not in it.
    north_chapter(&b, &b_root).await;
    let bo = b.member("bodil").await;
    b.admit(&b_root, &bo, "north").await;
    let eve = b.member("eve").await;
    let chapter = format!("{b_base}/ap/orgs/north");

    // The chapter cannot link itself before the commune agrees; a business cannot be a chapter.
    check_error(link_north(&b, &b_root, a_host).await, StatusCode::CONFLICT, "rule_violation");
    agree_to_north(&a, &a_root, b_host).await;
    let (status, again) = a
        .call(Method::POST, "/api/v1/orgs/root/federation/chapters", &a_root, Some(json!({"account": chapter.clone()})))
        .await;
    check_error((status, again), StatusCode::CONFLICT, "conflict");

    // Linked: the roster arrives, A keeps an account for each of North's members, in the commune.
    let members_before = a.call(Method::GET, "/api/v1/orgs/root", &a_root, None).await.1["member_count"].as_i64();
    let (status, linked) = link_north(&b, &b_root, a_host).await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(linked["status"], "active");
    assert_eq!(linked["remote"], format!("{a_base}/ap/orgs/root"));
    let (_, links) = a.call(Method::GET, "/api/v1/orgs/root/federation/links", &a_root, None).await;
    assert_eq!(links[0]["status"], "active", "{links}");
    assert_eq!(links[0]["remote"], chapter);
    let members_after = a.call(Method::GET, "/api/v1/orgs/root", &a_root, None).await.1["member_count"].as_i64();
    assert_eq!(members_after.zip(members_before).map(|(x, y)| x - y), Some(2), "bo and B's root joined");
    // Their accounts are not actors of A, and nobody signs in to them.
    let account = chapters::account_handle(&format!("{b_base}/ap/members/bodil"));
    let (status, _) = a.call(Method::GET, &format!("/ap/members/{account}"), &Auth::None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // North follows the commune, so it receives the commune's proposals.
    let (status, _) = b
        .call(
            Method::POST,
            "/api/v1/orgs/north/federation/follows",
            &b_root,
            Some(json!({"account": format!("root@{a_host}")})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    pump(&[&a, &b]).await;
    let a_id = open_proposal(&a, &a_root, "Open a northern workshop").await;
    pump(&[&a, &b]).await;
    let question = format!("{a_base}/ap/proposals/{a_id}");

    // bo and B's root vote at home; A counts both, and each receipt commits to B's nonce.
    let mut receipts = Vec::new();
    let (status, sent) = b
        .call(
            Method::POST,
            "/api/v1/orgs/north/federation/ballots",
            &bo,
            Some(json!({"question": question, "ballot": {"kind": "yes_no", "stance": "yes"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["ballot"]["stance"], "yes");
    receipts.push(sent["receipt"].as_str().expect("receipt").to_string());
    let (_, kept) = b.call(Method::GET, "/api/v1/orgs/north/federation/ballots", &bo, None).await;
    assert_eq!(kept[0]["receipt"].as_str(), Some(receipts[0].as_str()), "{kept}");
    // B's steward votes from the chapter's Fediverse page.
    let mut browser = crate::web::Browser::new(&b);
    browser.log_in("root").await;
    let page = browser.get("/orgs/north/federation").await;
    assert!(page.html.contains("Open a northern workshop") && page.html.contains("value=\"abstain\""), "{}", page.html);
    let voted = browser
        .submit("/orgs/north/federation", "/orgs/north/federation/vote", &[("question", &question), ("choice", "no")])
        .await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER, "{}", voted.html);
    let (_, kept) = b.call(Method::GET, "/api/v1/orgs/north/federation/ballots", &b_root, None).await;
    assert_eq!(kept[0]["ballot"]["stance"], "no", "{kept}");
    let receipt = kept[0]["receipt"].as_str().expect("receipt").to_string();
    assert!(browser.get("/orgs/north/federation").await.html.contains(&receipt), "the page shows the receipt");
    receipts.push(receipt);
    // eve is not in North: B will not sign for her.
    let (status, _) = b
        .call(
            Method::POST,
            "/api/v1/orgs/north/federation/ballots",
            &eve,
            Some(json!({"question": question, "ballot": {"kind": "yes_no", "stance": "no"}})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Hostile ballots straight to A: each refused, nothing written.
    let (b_key, _) = federation::instance_key(&b.state).await.expect("key");
    let (a_key, _) = federation::instance_key(&a.state).await.expect("key");
    let claim = |voter: &str, issued_at: i64| chapters::BallotClaim {
        proposal: question.clone(),
        voter: format!("{b_base}/ap/members/{voter}"),
        chapter: chapter.clone(),
        ballot: json!({"kind": "yes_no", "stance": "no"}),
        nonce: "hostile-nonce-0123456789".into(),
        issued_at,
    };
    let before = a.audit_len().await;
    assert_eq!(post_claim(&a_base, &b_key, &b_key, &claim("eve", now() / 1000)).await, 403, "not on the roster");
    assert_eq!(post_claim(&a_base, &a_key, &b_key, &claim("bodil", now() / 1000)).await, 401, "signed by another key");
    assert_eq!(post_claim(&a_base, &b_key, &b_key, &claim("bodil", now() / 1000 - 3_600)).await, 422, "stale");
    assert_eq!(
        post_claim(&a_base, &b_key, &a_key, &claim("bodil", now() / 1000)).await,
        401,
        "request signed by another"
    );
    assert_eq!(
        post_claim(&a_base, &b_key, &b_key, &claim("bodil", now() / 1000 - 60)).await,
        409,
        "older than counted"
    );
    let mut elsewhere = claim("bodil", now() / 1000);
    elsewhere.proposal = format!("{a_base}/ap/proposals/nope");
    assert_eq!(post_claim(&a_base, &b_key, &b_key, &elsewhere).await, 404);
    assert_eq!(a.audit_len().await, before, "refused ballots wrote nothing");

    // A's own member votes yes; A closes and counts: 2 yes, 1 no, every receipt in the digest.
    let (status, own) = a
        .call(
            Method::POST,
            &format!("/api/v1/proposals/{a_id}/ballot"),
            &a_root,
            Some(json!({"kind": "yes_no", "stance": "yes"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    receipts.push(own["receipt"].as_str().expect("receipt").to_string());
    let later = now() + crate::support::CLOSES_IN + 3_600_000;
    commune_app::scheduler::tick(&a.state, later).await.expect("tick");
    commune_app::scheduler::tick(&a.state, later).await.expect("tick");
    let (_, signed) = a.call(Method::GET, &format!("/ap/proposals/{a_id}/result"), &Auth::None, None).await;
    let (_, result) = activity::verify_document(&signed, &a_key.public()).expect("the signed result verifies");
    assert_eq!(result["counts"]["equal"], json!([2.0, 1.0, 0.0]), "{result}");
    assert_eq!(result["receipts"], 3);
    assert_eq!(result["receipt_digest"], activity::receipt_digest(&receipts));
    // A recount rechecks every receipt and every home signature.
    assert_eq!(commune_app::tally::verify_tally(&a.state.store, &a_id).await.expect("verify"), Ok(()));
    pump(&[&a, &b]).await;
    let (_, ob) = b.call(Method::GET, "/api/v1/orgs/north/federation", &b_root, None).await;
    let seen = ob["proposals"].as_array().expect("list").iter().find(|q| q["id"] == question.as_str()).expect("seen");
    assert_eq!(seen["result_verified"], true, "{seen}");
    let (status, late) = b
        .call(
            Method::POST,
            "/api/v1/orgs/north/federation/ballots",
            &bo,
            Some(json!({"question": question, "ballot": {"kind": "yes_no", "stance": "no"}})),
        )
        .await;
    check_error((status, late), StatusCode::CONFLICT, "rule_violation");

    // A roster sync without bodil: bodil's account leaves the commune (and keeps its history).
    let roster = |members: Value| {
        json!({ "type": "CommuneRoster", "commune": format!("{a_base}/ap/orgs/root"), "chapter": chapter, "members": members })
            .to_string()
    };
    let root_only = roster(json!([{ "id": format!("{b_base}/ap/members/root"), "name": "Root" }]));
    let before = a.audit_len().await;
    // Hostile rosters first: a member of another instance, and one signed by another chapter.
    let foreign = roster(json!([{ "id": format!("{a_base}/ap/members/root"), "name": "Mallory" }]));
    assert_eq!(post_signed(&a_base, "/ap/chapters/roster", &b_key, &chapter, &foreign, Dialect::Cavage).await, 422);
    let other = format!("{b_base}/ap/orgs/root");
    assert_eq!(post_signed(&a_base, "/ap/chapters/roster", &b_key, &other, &root_only, Dialect::Cavage).await, 403);
    assert_eq!(a.audit_len().await, before, "refused rosters wrote nothing");
    assert_eq!(post_signed(&a_base, "/ap/chapters/roster", &b_key, &chapter, &root_only, Dialect::Cavage).await, 200);
    let members_synced = a.call(Method::GET, "/api/v1/orgs/root", &a_root, None).await.1["member_count"].as_i64();
    assert_eq!(members_synced.zip(members_after).map(|(x, y)| y - x), Some(1), "bodil left");
    // The counted ballot still verifies after bodil left.
    assert_eq!(commune_app::tally::verify_tally(&a.state.store, &a_id).await.expect("verify"), Ok(()));
    // A stored home signature that no longer matches is caught by the recount.
    let (signed,): (String,) = sqlx::query_as("SELECT signed FROM ap_remote_ballots WHERE proposal_id = $1 LIMIT 1")
        .bind(&a_id)
        .fetch_one(a.store.pool())
        .await
        .expect("read");
    let mut forged: Value = serde_json::from_str(&signed).expect("json");
    forged["signature"] = json!("AAAA");
    sqlx::query("UPDATE ap_remote_ballots SET signed = $1 WHERE proposal_id = $2")
        .bind(forged.to_string())
        .bind(&a_id)
        .execute(a.store.pool())
        .await
        .expect("tamper");
    let recount = commune_app::tally::verify_tally(&a.state.store, &a_id).await.expect("verify");
    assert!(recount.as_ref().is_err_and(|why| why.contains("does not verify")), "{recount:?}");
}

/// Creates North, a chapter of `b` that publishes; returns it.
pub(crate) async fn north_chapter(b: &TestApp, b_root: &Auth) -> Value {
    let (status, north) = b
        .call(Method::POST, "/api/v1/orgs", b_root, Some(json!({"slug": "north", "name": "North", "kind": "chapter"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{north}");
    let (status, _) =
        b.call(Method::PUT, "/api/v1/orgs/north/federation", b_root, Some(json!({"publish": true}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    north
}

/// The commune on `a` agrees to link North on `b_host`.
pub(crate) async fn agree_to_north(a: &TestApp, a_root: &Auth, b_host: &str) {
    let (status, body) = a
        .call(
            Method::POST,
            "/api/v1/orgs/root/federation/chapters",
            a_root,
            Some(json!({"account": format!("north@{b_host}")})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// North links itself to the commune on `a_host` (sending its roster).
pub(crate) async fn link_north(b: &TestApp, b_root: &Auth, a_host: &str) -> (StatusCode, Value) {
    b.call(
        Method::POST,
        "/api/v1/orgs/north/federation/commune",
        b_root,
        Some(json!({"account": format!("root@{a_host}")})),
    )
    .await
}

/// The path and query of an absolute URL on a loopback instance.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').map(|i| rest[i..].to_string()).unwrap_or_else(|| "/".into())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A chapter member at `a` goes to sign in at home (`b`, where `at_b` is logged in as them),
/// allows Commune there, and comes back: the callback's answer at `a`.
async fn sign_in_at_home(
    at_a: &mut crate::web::Browser<'_>,
    at_b: &mut crate::web::Browser<'_>,
    chapter: &str,
) -> crate::web::Page {
    let started = at_a.get(&format!("/login/home?chapter={}&next=/proposals", encode(chapter))).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.html);
    let authorize = started.location.expect("to the home instance");
    assert!(authorize.contains("/oauth/authorize?") && authorize.contains("code_challenge_method=S256"), "{authorize}");
    let consent = at_b.get(&path_of(&authorize)).await;
    let allowed = if consent.status == StatusCode::SEE_OTHER {
        consent // consented before: straight back
    } else {
        at_b.allow_consent(&consent).await
    };
    assert_eq!(allowed.status, StatusCode::SEE_OTHER, "{}", allowed.html);
    let back = allowed.location.expect("back to the commune");
    assert!(back.contains(chapters::HOME_SIGN_IN_CALLBACK), "{back}");
    at_a.get(&path_of(&back)).await
}

async fn sessions_of(app: &TestApp, member_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE member_id = $1")
        .bind(member_id)
        .fetch_one(app.store.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn a_chapter_member_signs_in_at_the_commune_with_their_home_account() {
    let (a, a_base, a_root) = instance().await;
    let (b, b_base, b_root) = instance().await;
    let a_host = a_base.trim_start_matches("http://");
    let b_host = b_base.trim_start_matches("http://");
    north_chapter(&b, &b_root).await;
    let bo = b.member("bodil").await;
    b.admit(&b_root, &bo, "north").await;
    b.member("eve").await;
    let chapter = format!("{b_base}/ap/orgs/north");
    // A takes at most one member from North: North's roster of two is refused whole.
    let agree = |max: i64| {
        a.call(
            Method::POST,
            "/api/v1/orgs/root/federation/chapters",
            &a_root,
            Some(json!({"account": format!("north@{b_host}"), "max_members": max})),
        )
    };
    let (status, offered) = agree(1).await;
    assert_eq!((status, offered["max_members"].as_i64()), (StatusCode::CREATED, Some(1)), "{offered}");
    check_error(agree(0).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(agree(10_001).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let members_before = a.call(Method::GET, "/api/v1/orgs/root", &a_root, None).await.1["member_count"].as_i64();
    let (status, refused) = link_north(&b, &b_root, a_host).await;
    check_error((status, refused.clone()), StatusCode::CONFLICT, "rule_violation");
    assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains("at most 1 members")), "{refused}");
    let members = a.call(Method::GET, "/api/v1/orgs/root", &a_root, None).await.1["member_count"].as_i64();
    assert_eq!(members, members_before, "nobody admitted");
    // A agrees to ten: the same roster is taken.
    let (status, raised) = agree(10).await;
    assert_eq!((status, raised["max_members"].as_i64()), (StatusCode::CREATED, Some(10)), "{raised}");
    let (status, linked) = link_north(&b, &b_root, a_host).await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    // B registered one public client for A, redirecting only to A's callback.
    let client_id = linked["oidc_client_id"].as_str().expect("a client").to_string();
    let (_, apps) = b.call(Method::GET, "/api/v1/orgs/north/apps", &b_root, None).await;
    let app = apps.as_array().and_then(|l| l.iter().find(|x| x["id"] == client_id.as_str())).expect("listed");
    assert_eq!(app["kind"], "public", "{app}");
    assert_eq!(app["redirect_uris"], json!([format!("{a_base}{}", chapters::HOME_SIGN_IN_CALLBACK)]));
    let (_, links) = a.call(Method::GET, "/api/v1/orgs/root/federation/links", &a_root, None).await;
    assert_eq!(
        (links[0]["oidc_issuer"].as_str(), links[0]["oidc_client_id"].as_str()),
        (Some(b_base.as_str()), Some(client_id.as_str()))
    );
    // Linking again keeps the one client.
    let (status, again) = link_north(&b, &b_root, a_host).await;
    assert_eq!((status, &again["oidc_client_id"]), (StatusCode::OK, &json!(client_id)), "{again}");

    // A's log-in page offers North; bodil signs in at B and is signed in at A as her account there.
    let bodil_at_a = a
        .store
        .remote_member_by_iri(&format!("{b_base}/ap/members/bodil"))
        .await
        .expect("read")
        .expect("bodil's account")
        .member_id;
    let mut at_a = crate::web::Browser::new(&a);
    assert!(at_a.get("/login").await.html.contains("Sign in at home"), "the log-in page offers home sign-in");
    let mut at_b = crate::web::Browser::new(&b);
    at_b.log_in("bodil").await;
    let before = sessions_of(&a, &bodil_at_a).await;
    let done = sign_in_at_home(&mut at_a, &mut at_b, &chapter).await;
    assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/proposals")), "{}", done.html);
    assert_eq!(sessions_of(&a, &bodil_at_a).await, before + 1);
    let handle = chapters::account_handle(&format!("{b_base}/ap/members/bodil"));
    assert!(at_a.get("/").await.html.contains(&format!("@{}", handle.as_str())), "signed in at A as her account");

    // Hostile callbacks: none signs anyone in.
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sessions").fetch_one(a.store.pool()).await.expect("count")
    };
    let all_before = sessions().await;
    // No pending sign-in in this browser (another browser's callback replayed here).
    let mut stranger = crate::web::Browser::new(&a);
    let replay = stranger.get(&format!("{}?code=x&state=y", chapters::HOME_SIGN_IN_CALLBACK)).await;
    assert_eq!(replay.status, StatusCode::CONFLICT, "{}", replay.html);
    // A state that is not the one sent.
    let started = stranger.get(&format!("/login/home?chapter={}", encode(&chapter))).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let forged = stranger.get(&format!("{}?code=x&state=not-the-one", chapters::HOME_SIGN_IN_CALLBACK)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.html);
    // The member said no at home: the callback says so, and signs no one in.
    let started = stranger.get(&format!("/login/home?chapter={}", encode(&chapter))).await;
    let location = started.location.expect("to the home instance");
    let state = location.split("state=").nth(1).and_then(|r| r.split('&').next()).expect("a state");
    let denied = stranger
        .get(&format!(
            "{}?error=access_denied&error_description=no+thanks&state={state}",
            chapters::HOME_SIGN_IN_CALLBACK
        ))
        .await;
    assert_eq!(denied.status, StatusCode::CONFLICT, "{}", denied.html);
    assert!(denied.html.contains("did not sign you in"), "{}", denied.html);
    // An unknown chapter is not offered.
    let unknown = stranger.get(&format!("/login/home?chapter={}", encode(&format!("{b_base}/ap/orgs/south")))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // eve signs in at B, but she is not in North: A refuses her.
    let mut eve_at_a = crate::web::Browser::new(&a);
    let mut eve_at_b = crate::web::Browser::new(&b);
    eve_at_b.log_in("eve").await;
    let refused = sign_in_at_home(&mut eve_at_a, &mut eve_at_b, &chapter).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    assert!(refused.html.contains("roster"), "{}", refused.html);
    assert_eq!(sessions().await, all_before, "no session for any hostile callback");

    // The roster follows North by itself: eve joins, bodil leaves; the next sync tells A.
    assert_eq!(chapters_sync(&b).await, 0, "nothing changed since the link");
    let eve = b.login("eve").await;
    b.admit(&b_root, &eve, "north").await;
    let (status, _) = b.call(Method::DELETE, "/api/v1/orgs/north/members/me", &bo, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(chapters_sync(&b).await, 1);
    assert_eq!(chapters_sync(&b).await, 0, "sent once");
    let mut eve_at_a = crate::web::Browser::new(&a);
    let done = sign_in_at_home(&mut eve_at_a, &mut eve_at_b, &chapter).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "eve is in now: {}", done.html);
    let mut at_a = crate::web::Browser::new(&a);
    let gone = sign_in_at_home(&mut at_a, &mut at_b, &chapter).await;
    assert_eq!(gone.status, StatusCode::FORBIDDEN, "bodil left: {}", gone.html);
}

async fn chapters_sync(b: &TestApp) -> usize {
    commune_app::federation::chapters::sync_rosters(&b.state).await.expect("sync")
}
