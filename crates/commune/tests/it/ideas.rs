//! Ideas and analytics through the API: the issue log (diagnosis to a principle, resolution,
//! metrics), the private journal on every read path, the idea board's three rankings with
//! bridging finding what both camps like, promotion once, opinion maps (moderation, one vote
//! each, groups, consensus seeding a proposal), dashboards with pushed metrics and CSV, the
//! public page — and what a hostile member tries, races included.

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn call(app: &TestApp, method: Method, path: &str, who: &Auth, body: Value) -> (StatusCode, Value) {
    app.call(method, path, who, Some(body)).await
}

async fn get(app: &TestApp, path: &str, who: &Auth) -> Value {
    let (status, body) = app.call(Method::GET, path, who, None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

struct Co {
    app: TestApp,
    ada: Auth,
    bob: Auth,
    cleo: Auth,
    dan: Auth,
    eve: Auth,
}

/// The bakery: ada stewards it; bob, cleo and dan are members; eve is an outsider.
async fn bakery() -> Co {
    let app = TestApp::set_up().await;
    let (ada, bob, cleo, dan, eve) = (
        app.member("ada").await,
        app.member("bob").await,
        app.member("cleo").await,
        app.member("dan").await,
        app.member("eve").await,
    );
    app.org(&ada, "bakery").await;
    for m in [&bob, &cleo, &dan] {
        app.admit(&ada, m, "bakery").await;
    }
    Co { app, ada, bob, cleo, dan, eve }
}

#[tokio::test]
async fn problems_are_diagnosed_to_a_principle_resolved_and_measured() {
    let c = bakery().await;
    let app = &c.app;
    let log = |who: &Auth, body: Value| {
        let who = who.clone();
        async move { call(app, Method::POST, "/api/v1/orgs/bakery/problems", &who, body).await }
    };
    // Bad input is refused whole and changes nothing.
    let before = app.audit_len().await;
    check_error(
        log(&c.cleo, json!({ "title": "Late", "what_happened": "Bread was late.", "severity": "apocalyptic" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        log(
            &c.cleo,
            json!({ "title": "Late", "what_happened": "Bread was late.", "severity": "minor", "responsible": "eve" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        log(&c.eve, json!({ "title": "Late", "what_happened": "x", "severity": "minor" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(app.audit_len().await, before);
    let (status, p) = log(
        &c.cleo,
        json!({ "title": "The delivery was late", "what_happened": "The van left at ten.", "severity": "major", "responsible": "@bob", "team": "logistics", "domain": "delivery" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["problem"]["id"].as_str().expect("id").to_owned();
    assert_eq!(p["responsible"], "bob");
    log(
        &c.dan,
        json!({ "title": "Flour ran out", "what_happened": "No rye.", "severity": "minor", "team": "logistics" }),
    )
    .await;
    // The member named responsible hears of it.
    let inbox = get(app, "/api/v1/inbox", &c.bob).await;
    assert!(inbox.to_string().contains("naming you responsible"), "{inbox}");
    // The diagnosis thread, then the diagnosis with a new principle as the root cause.
    let (status, _) = call(
        app,
        Method::POST,
        &format!("/api/v1/problems/{id}/comments"),
        &c.dan,
        json!({ "body": "The driver had no schedule." }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, d) = call(
        app,
        Method::POST,
        &format!("/api/v1/problems/{id}/diagnosis"),
        &c.bob,
        json!({ "diagnosis": "Nobody owned the schedule.", "new_principle": "Every recurring job has one owner", "principle_example": "The van left late when nobody owned the schedule." }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["problem"]["state"], "diagnosed");
    assert_eq!(d["root_cause"], "Every recurring job has one owner");
    let doc = d["problem"]["root_cause_doc_id"].as_str().expect("principle").to_owned();
    let principle = get(app, &format!("/api/v1/learn/{doc}"), &c.dan).await;
    assert_eq!(principle["doc"]["kind"], "principle");
    assert!(principle.to_string().contains(&id), "the principle shows where it was cited: {principle}");
    // An existing principle of another organisation cannot be named.
    check_error(
        call(
            app,
            Method::POST,
            &format!("/api/v1/problems/{id}/diagnosis"),
            &c.bob,
            json!({ "diagnosis": "Again.", "principle_id": "nope" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    // The resolution as a draft proposal, once (two racing: one wins).
    let body = json!({ "kind": "proposal" });
    let path = format!("/api/v1/problems/{id}/resolution");
    let (a, b) = tokio::join!(
        call(app, Method::POST, &path, &c.cleo, body.clone()),
        call(app, Method::POST, &path, &c.dan, body)
    );
    let wins = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(wins, 1, "{a:?} {b:?}");
    let view = get(app, &format!("/api/v1/problems/{id}"), &c.dan).await;
    let link = view["resolution_link"].as_str().expect("linked");
    let proposal_id = link.trim_start_matches("/proposals/");
    let author = if a.0 == StatusCode::OK { &c.cleo } else { &c.dan };
    let proposal = get(app, &format!("/api/v1/proposals/{proposal_id}"), author).await;
    assert!(proposal.to_string().contains(&format!("/problems/{id}")), "{proposal}");
    // Only its author, the member responsible or a steward closes it; once.
    check_error(
        call(app, Method::POST, &format!("/api/v1/problems/{id}/close"), &c.dan, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, v) = call(app, Method::POST, &format!("/api/v1/problems/{id}/close"), &c.bob, json!({})).await;
    assert_eq!((status, v["problem"]["state"].as_str()), (StatusCode::OK, Some("resolved")));
    check_error(
        call(app, Method::POST, &format!("/api/v1/problems/{id}/close"), &c.ada, json!({})).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    // Metrics per member and per team.
    let list = get(app, "/api/v1/orgs/bakery/problems", &c.ada).await;
    assert_eq!(list["overall"]["logged"], 2);
    assert_eq!(list["overall"]["resolved"], 1);
    assert_eq!(list["by_member"][0][0], "bob");
    assert_eq!(list["by_member"][0][1]["weighted"], 4);
    assert_eq!(list["by_team"][0][0], "logistics");
    assert_eq!(list["by_team"][0][1]["logged"], 2);
    assert_eq!(list["by_team"][0][1]["weighted"], 5);
}

#[tokio::test]
async fn the_journal_is_private_on_every_read_path() {
    let c = bakery().await;
    let app = &c.app;
    let secret = "I froze when the inspector asked about the ovens";
    let (status, e) = call(app, Method::POST, "/api/v1/journal", &c.bob, json!({ "pain": secret })).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = e["id"].as_str().expect("id").to_owned();
    // Nobody else reads it, whatever they try.
    for who in [&c.cleo, &c.ada, &c.eve] {
        check_error(
            app.call(Method::GET, &format!("/api/v1/journal/{id}"), who, None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert!(!get(app, "/api/v1/journal", who).await.to_string().contains(secret));
        check_error(
            call(
                app,
                Method::PUT,
                &format!("/api/v1/journal/{id}/reflection"),
                who,
                json!({ "reflection": "Mine now." }),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        check_error(
            call(
                app,
                Method::POST,
                &format!("/api/v1/journal/{id}/publish"),
                who,
                json!({ "org": "bakery", "statement": "Leak it", "example": "An example." }),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    check_error(
        app.call(Method::GET, "/api/v1/journal", &Auth::None, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let token = app.token(&c.ada, "bakery", &["members:read", "metrics:read"]).await;
    check_error(app.call(Method::GET, "/api/v1/journal", &token, None).await, StatusCode::FORBIDDEN, "members_only");
    // Not in the pages of others, not in the library search, not in the audit chain.
    let page = app.send(app.request(Method::GET, "/journal", &c.cleo, None)).await;
    let html = String::from_utf8(axum::body::to_bytes(page.into_body(), usize::MAX).await.expect("body").to_vec())
        .expect("utf8");
    assert!(!html.contains(secret));
    let audit = app.store.audit_tail(10_000).await.expect("audit");
    assert!(!format!("{audit:?}").contains("inspector"), "the pain is in the audit chain");
    // Publishing needs a reflection first; then the reflection — never the pain — goes public.
    check_error(
        call(app, Method::POST, &format!("/api/v1/journal/{id}/publish"), &c.bob, json!({ "org": "bakery", "statement": "Prepare the answers", "example": "Before an inspection, rehearse." })).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let (status, _) = call(
        app,
        Method::PUT,
        &format!("/api/v1/journal/{id}/reflection"),
        &c.bob,
        json!({ "reflection": "Preparation beats nerves: rehearse the likely questions." }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, published) = call(
        app,
        Method::POST,
        &format!("/api/v1/journal/{id}/publish"),
        &c.bob,
        json!({ "org": "bakery", "statement": "Prepare the answers", "example": "Before an inspection, rehearse." }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    let doc = published[1]["id"].as_str().expect("doc").to_owned();
    let d = get(app, &format!("/api/v1/learn/{doc}"), &c.cleo).await;
    assert!(d.to_string().contains("rehearse the likely questions") && !d.to_string().contains("inspector"));
    let search = get(app, "/api/v1/orgs/bakery/library?q=inspector", &c.cleo).await;
    assert_eq!(search.as_array().map(Vec::len), Some(0), "{search}");
    check_error(
        call(
            app,
            Method::POST,
            &format!("/api/v1/journal/{id}/publish"),
            &c.bob,
            json!({ "org": "bakery", "statement": "Again", "example": "Again and again." }),
        )
        .await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
}

#[tokio::test]
async fn ideas_rank_three_ways_and_are_promoted_once() {
    let c = bakery().await;
    let app = &c.app;
    let (status, i) = call(
        app,
        Method::POST,
        "/api/v1/orgs/bakery/ideas",
        &c.bob,
        json!({ "title": "Bake rye on Sundays", "body": "People ask for it.", "domain": "baking" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{i}");
    let id = i["card"]["idea"]["id"].as_str().expect("id").to_owned();
    let rate = |who: &Auth, h: &str| {
        let (who, path, h) = (who.clone(), format!("/api/v1/ideas/{id}/rating"), h.to_owned());
        async move { call(app, Method::PUT, &path, &who, json!({ "helpful": h })).await }
    };
    check_error(rate(&c.bob, "yes").await, StatusCode::CONFLICT, "rule_violation");
    check_error(rate(&c.cleo, "very").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(rate(&c.cleo, "2").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(rate(&c.eve, "yes").await, StatusCode::FORBIDDEN, "forbidden");
    // One rating per member, changeable — even when sent twice at once.
    let (a, b) = tokio::join!(rate(&c.cleo, "no"), rate(&c.cleo, "yes"));
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    rate(&c.cleo, "somewhat").await;
    rate(&c.dan, "yes").await;
    let (_, v) = rate(&c.ada, "yes").await;
    assert_eq!(v["card"]["ratings"], 3, "{v}");
    assert_eq!(v["card"]["equal"], json!((0.5 + 1.0 + 1.0) / 3.0));
    assert!(v["card"]["merit"].is_number() && v["card"]["bridging"]["status"] == "needs_more", "{v}");
    assert_eq!(v["card"]["ranks"][0], 1);
    // Promotion: the author or a steward, once; the proposal links back.
    check_error(
        call(app, Method::POST, &format!("/api/v1/ideas/{id}/promote"), &c.dan, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let path = format!("/api/v1/ideas/{id}/promote");
    let (a, b) = tokio::join!(
        call(app, Method::POST, &path, &c.bob, json!({})),
        call(app, Method::POST, &path, &c.ada, json!({}))
    );
    let wins = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(wins, 1, "{a:?} {b:?}");
    let idea = get(app, &format!("/api/v1/ideas/{id}"), &c.dan).await;
    let proposal = idea["card"]["idea"]["proposal_id"].as_str().expect("promoted").to_owned();
    // A draft is its author's: whoever won the race.
    let author = if a.0 == StatusCode::OK { &c.bob } else { &c.ada };
    let p = get(app, &format!("/api/v1/proposals/{proposal}"), author).await;
    assert_eq!(p["phase"], "draft", "{p}");
    assert!(p["body"].as_str().unwrap_or("").contains(&format!("/ideas/{id}")));
    let drafts = get(app, "/api/v1/orgs/bakery/proposals", author).await;
    let live = drafts
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["title"] == "Bake rye on Sundays" && p["phase"] != "cancelled")
        .count();
    assert_eq!(live, 1, "the losing promotion left no second draft: {drafts}");
}

/// Twelve members in two camps rate ideas. The idea both camps find helpful is `helpful` across
/// perspectives; the ones only one camp likes are not, whatever their average.
#[tokio::test]
async fn bridging_finds_what_both_camps_find_helpful() {
    let app = TestApp::set_up().await;
    let steward = app.member("host").await;
    app.org(&steward, "town").await;
    let mut members = Vec::new();
    for i in 0..12 {
        let m = app.member(&format!("member{i}")).await;
        app.admit(&steward, &m, "town").await;
        members.push(m);
    }
    let mut ideas = Vec::new();
    for title in [
        "A shared tool library",
        "Cars out of the centre",
        "More parking",
        "Ban dogs",
        "Longer opening hours",
        "Shorter opening hours",
    ] {
        let (_, i) = call(
            &app,
            Method::POST,
            "/api/v1/orgs/town/ideas",
            &steward,
            json!({ "title": title, "body": "Discuss." }),
        )
        .await;
        ideas.push(i["card"]["idea"]["id"].as_str().expect("id").to_owned());
    }
    for (n, m) in members.iter().enumerate() {
        let camp_a = n < 6;
        let says = |idea: usize| -> &str {
            match (idea, camp_a) {
                (0, _) if n % 4 == 0 => "somewhat",
                (0, _) | (1 | 4, true) | (2 | 5, false) => "yes",
                _ => "no",
            }
        };
        for (k, id) in ideas.iter().enumerate() {
            let (status, v) =
                call(&app, Method::PUT, &format!("/api/v1/ideas/{id}/rating"), m, json!({ "helpful": says(k) })).await;
            assert_eq!(status, StatusCode::OK, "{v}");
        }
    }
    let board = get(&app, "/api/v1/orgs/town/ideas", &steward).await;
    let status_of = |id: &str| {
        let card =
            board["ideas"].as_array().expect("ideas").iter().find(|c| c["idea"]["id"] == id).expect("card").clone();
        card["bridging"]["status"].as_str().expect("status").to_owned()
    };
    assert_eq!(status_of(&ideas[0]), "helpful", "{board}");
    for k in [1, 2, 4, 5] {
        assert_ne!(status_of(&ideas[k]), "helpful", "idea {k}: {board}");
    }
    assert_eq!(status_of(&ideas[3]), "not_helpful");
    // The bridging favourite is first on the board; the camp favourites rank high on equal weight.
    assert_eq!(board["ideas"][0]["idea"]["id"], ideas[0]);
}

#[tokio::test]
async fn opinion_maps_moderate_count_one_vote_each_and_find_groups() {
    let app = TestApp::set_up().await;
    let steward = app.member("host").await;
    app.org(&steward, "town").await;
    let mut members = Vec::new();
    for i in 0..8 {
        let m = app.member(&format!("voter{i}")).await;
        app.admit(&steward, &m, "town").await;
        members.push(m);
    }
    let outsider = app.member("stranger").await;
    let (status, v) =
        call(&app, Method::POST, "/api/v1/orgs/town/conversations", &steward, json!({ "topic": "The market square" }))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["conversation"]["id"].as_str().expect("id").to_owned();
    let submit = |who: &Auth, body: &str| {
        let (who, path, body) = (who.clone(), format!("/api/v1/conversations/{id}/statements"), body.to_owned());
        let app = &app;
        async move { call(app, Method::POST, &path, &who, json!({ "body": body })).await }
    };
    check_error(submit(&members[0], "no").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(submit(&members[0], &"x".repeat(281)).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(submit(&outsider, "Let me in.").await, StatusCode::FORBIDDEN, "forbidden");
    // Racing submissions all land with distinct numbers.
    let texts: Vec<String> = (0..8).map(|k| format!("Statement number {k} about the square")).collect();
    let results = futures_join(texts.iter().map(|t| submit(&steward, t))).await;
    assert!(results.iter().all(|(s, _)| *s == StatusCode::OK), "{results:?}");
    // A member's statement waits, hidden from everyone but its author and the stewards.
    let (_, mine) = submit(&members[0], "Trees, not cars").await;
    let pending = mine["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["state"] == "pending")
        .expect("mine")
        .clone();
    let pending_id = pending["id"].as_str().expect("id").to_owned();
    for k in 1..10 {
        let (status, _) = submit(&members[0], &format!("Flood number {k}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    check_error(submit(&members[0], "One too many").await, StatusCode::CONFLICT, "rule_violation");
    let other = get(&app, &format!("/api/v1/conversations/{id}"), &members[1]).await;
    assert!(!other.to_string().contains("Trees, not cars"), "{other}");
    check_error(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/statements/{pending_id}/vote"),
            &members[1],
            json!({ "vote": "agree" }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check_error(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/statements/{pending_id}/moderation"),
            &members[1],
            json!({ "decision": "approve" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/statements/{pending_id}/moderation"),
        &steward,
        json!({ "decision": "reject" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    check_error(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/statements/{pending_id}/moderation"),
            &steward,
            json!({ "decision": "approve" }),
        )
        .await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let inbox = get(&app, "/api/v1/inbox", &members[0]).await;
    assert!(inbox.to_string().contains("was not approved"), "the author learns what happened: {inbox}");
    // Two camps vote on the eight statements; statement 0 everyone agrees with.
    let view = get(&app, &format!("/api/v1/conversations/{id}"), &steward).await;
    let statements: Vec<String> = view["statements"]
        .as_array()
        .expect("s")
        .iter()
        .filter(|s| s["state"] == "approved")
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(statements.len(), 8);
    for (n, m) in members.iter().enumerate() {
        for (k, s) in statements.iter().enumerate() {
            let vote = if k == 0 || (k % 2 == 0) == (n < 4) { "agree" } else { "disagree" };
            let path = format!("/api/v1/statements/{s}/vote");
            if k == 1 {
                // Sent twice at once, with different votes: one vote remains.
                let (a, b) = tokio::join!(
                    call(&app, Method::PUT, &path, m, json!({ "vote": "pass" })),
                    call(&app, Method::PUT, &path, m, json!({ "vote": vote }))
                );
                assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
            }
            let (status, v) = call(&app, Method::PUT, &path, m, json!({ "vote": vote })).await;
            assert_eq!(status, StatusCode::OK, "{v}");
        }
    }
    check_error(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/statements/{}/vote", statements[0]),
            &members[0],
            json!({ "vote": "strongly" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let map = get(&app, &format!("/api/v1/conversations/{id}"), &members[0]).await;
    let s0 = &map["statements"].as_array().expect("s").iter().find(|s| s["id"] == statements[0]).expect("s0").clone();
    assert_eq!((s0["agree"].as_u64(), s0["disagree"].as_u64()), (Some(8), Some(0)), "{s0}");
    let s1 = &map["statements"].as_array().expect("s").iter().find(|s| s["id"] == statements[1]).expect("s1").clone();
    assert_eq!(
        s1["agree"].as_u64().unwrap_or(0) + s1["disagree"].as_u64().unwrap_or(0) + s1["pass"].as_u64().unwrap_or(0),
        8,
        "one vote each: {s1}"
    );
    assert_eq!(map["groups"].as_array().map(Vec::len), Some(2), "{map}");
    assert_eq!(map["points"].as_array().map(Vec::len), Some(8));
    assert_eq!(map["points"].as_array().expect("p").iter().filter(|p| p["me"] == true).count(), 1);
    assert!(map["consensus"].as_array().expect("c").iter().any(|c| c[0] == 1 && c[2] == "agree"), "{map}");
    // The map names nobody.
    assert!(!map["points"].to_string().contains("voter"));
    // A consensus statement seeds a draft proposal; a divisive one does not.
    let (status, p) =
        call(&app, Method::POST, &format!("/api/v1/statements/{}/proposal", statements[0]), &members[2], json!({}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["phase"], "draft");
    check_error(
        call(&app, Method::POST, &format!("/api/v1/statements/{}/proposal", statements[1]), &members[2], json!({}))
            .await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    // Polled together on one task: their writes interleave at every await.
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = handles.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if done[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => done[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    out.extend(done.into_iter().map(|d| d.expect("every future finished")));
    out
}

#[tokio::test]
async fn dashboards_chart_pushed_metrics_export_csv_and_go_public_on_request() {
    let c = bakery().await;
    let app = &c.app;
    let writer = app.token(&c.ada, "bakery", &["metrics:write"]).await;
    let reader = app.token(&c.ada, "bakery", &["metrics:read"]).await;
    let push = |who: &Auth, body: Value| {
        let who = who.clone();
        async move { call(app, Method::POST, "/api/v1/orgs/bakery/metrics", &who, body).await }
    };
    let today = commune_domain::ideas::analytics::day_label(commune_store::now_ms().div_euclid(86_400_000));
    let (status, v) = push(&writer, json!({ "name": "loaves.sold", "unit": "loaves", "points": [{ "date": today, "value": "120" }, { "at": commune_store::now_ms() - 86_400_000, "value": 95.5 }] })).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 2);
    // Strict values, bounded batches, one unit per metric, the right scope — and nothing written otherwise.
    let before = app.audit_len().await;
    for bad in [json!("1e3"), json!("NaN"), json!("12,5"), json!(true), json!("10000000000000000")] {
        let (status, e) = push(&writer, json!({ "name": "loaves.sold", "unit": "loaves", "points": [{ "date": today, "value": 1 }, { "date": today, "value": bad }] })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e.to_string().contains("point 1"), "the bad point is named: {e}");
    }
    check_error(
        push(&writer, json!({ "name": "Loaves Sold", "unit": "loaves", "points": [{ "date": today, "value": 1 }] }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        push(&writer, json!({ "name": "loaves.sold", "unit": "kg", "points": [{ "date": today, "value": 1 }] })).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    check_error(
        push(&writer, json!({ "name": "x", "unit": "u", "points": [] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        push(&writer, json!({ "name": "x", "unit": "u", "points": [{ "date": "2999-01-01", "value": 1 }] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        push(&reader, json!({ "name": "x", "unit": "u", "points": [{ "date": today, "value": 1 }] })).await,
        StatusCode::FORBIDDEN,
        "missing_scope",
    );
    check_error(
        push(&c.bob, json!({ "name": "x", "unit": "u", "points": [{ "date": today, "value": 1 }] })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(app.audit_len().await, before);
    // The dashboard: money, activity and the pushed series per day over the range.
    app.call(
        Method::POST,
        "/api/v1/orgs/bakery/problems",
        &c.bob,
        Some(json!({ "title": "Oven", "what_happened": "Cold.", "severity": "minor" })),
    )
    .await;
    let d = get(app, "/api/v1/orgs/bakery/analytics", &reader).await;
    assert_eq!(d["days"].as_array().map(Vec::len), Some(90));
    let custom = &d["custom"][0];
    assert_eq!((custom["key"].as_str(), custom["unit"].as_str()), (Some("loaves.sold"), Some("loaves")));
    let values = custom["values"].as_array().expect("values");
    assert_eq!(values[values.len() - 1], json!(120.0));
    assert_eq!(values[values.len() - 2], json!(95.5));
    let logged =
        d["activity"].as_array().expect("a").iter().find(|s| s["key"] == "problems_logged").expect("problems").clone();
    assert_eq!(logged["values"].as_array().expect("v").iter().map(|v| v.as_f64().unwrap_or(0.0)).sum::<f64>(), 1.0);
    check_error(
        app.call(Method::GET, "/api/v1/orgs/bakery/analytics?from=2026-02-30", &c.bob, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        app.call(Method::GET, "/api/v1/orgs/bakery/analytics?from=2001-01-01&to=2026-01-01", &c.bob, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        app.call(Method::GET, "/api/v1/orgs/bakery/analytics", &c.eve, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Every table as CSV.
    let r = app.send(app.request(Method::GET, "/api/v1/orgs/bakery/analytics.csv?table=daily", &c.bob, None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv =
        String::from_utf8(axum::body::to_bytes(r.into_body(), usize::MAX).await.expect("body").to_vec()).expect("utf8");
    let header = csv.lines().next().expect("header");
    assert!(
        header.starts_with("date,") && header.contains("loaves.sold (loaves)") && header.contains("problems_logged"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), 91);
    check_error(
        app.call(Method::GET, "/api/v1/orgs/bakery/analytics.csv?table=secrets", &c.bob, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    // The public page exists only once the instance's steward switches it on.
    check_error(app.call(Method::GET, "/api/v1/numbers", &Auth::None, None).await, StatusCode::NOT_FOUND, "not_found");
    check_error(
        call(app, Method::PUT, "/api/v1/admin/numbers", &c.ada, json!({ "on": true })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let root = app.login("root").await;
    let (status, _) = call(app, Method::PUT, "/api/v1/admin/numbers", &root, json!({ "on": true })).await;
    assert_eq!(status, StatusCode::OK);
    let public = get(app, "/api/v1/numbers", &Auth::None).await;
    assert_eq!(public["days"].as_array().map(Vec::len), Some(365));
    assert_eq!(public["commune"], true);
}

/// A problem resolved by a task closes itself once the task is done (the scheduler follows it).
#[tokio::test]
async fn a_problem_closes_when_its_task_is_done() {
    let c = bakery().await;
    let app = &c.app;
    let (_, p) = call(
        app,
        Method::POST,
        "/api/v1/orgs/bakery/problems",
        &c.bob,
        json!({ "title": "Oven too cold", "what_happened": "Bread came out pale.", "severity": "moderate" }),
    )
    .await;
    let id = p["problem"]["id"].as_str().expect("id").to_owned();
    let (_, project) =
        call(app, Method::POST, "/api/v1/orgs/bakery/projects", &c.ada, json!({ "name": "Ovens" })).await;
    let project = project["id"].as_str().expect("project").to_owned();
    check_error(
        call(
            app,
            Method::POST,
            &format!("/api/v1/problems/{id}/resolution"),
            &c.cleo,
            json!({ "kind": "task", "project_id": "elsewhere" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let (status, v) = call(
        app,
        Method::POST,
        &format!("/api/v1/problems/{id}/resolution"),
        &c.cleo,
        json!({ "kind": "task", "project_id": project }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let task = v["resolution_link"].as_str().expect("task").trim_start_matches("/tasks/").to_owned();
    let t = app.store.work_task(&task).await.expect("read").expect("task");
    assert!(t.title.starts_with("Fix: Oven too cold") && t.description.contains(&format!("/problems/{id}")));
    commune_app::scheduler::tick(&app.state, commune_store::now_ms()).await.expect("tick");
    assert_eq!(get(app, &format!("/api/v1/problems/{id}"), &c.bob).await["problem"]["state"], "open");
    let mut tx = app.store.write("test").await.expect("tx");
    assert!(tx.move_task(&task, &t.status, "done", None, None, "done").await.expect("move"));
    tx.commit().await.expect("commit");
    commune_app::scheduler::tick(&app.state, commune_store::now_ms()).await.expect("tick");
    let after = get(app, &format!("/api/v1/problems/{id}"), &c.bob).await;
    assert_eq!(after["problem"]["state"], "resolved", "{after}");
}
