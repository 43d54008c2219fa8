//! Learning through the API: the library (revisions, suggestions merged by a maintainer or put
//! to a vote, diffs, drafts, search, citations, ratings), spaced repetition (decks, reviews,
//! retention, fitted parameters), courses with exercises, peer review and mastery gating a task,
//! what to learn next, forecasting (scores, aggregates, resolution, disputes, calibration) and
//! study circles — and what a hostile member tries.

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

struct School {
    app: TestApp,
    ada: Auth,
    bob: Auth,
    cleo: Auth,
    dan: Auth,
    eve: Auth,
}

/// The bakery: ada stewards it; bob, cleo and dan are members; eve is an outsider.
async fn school() -> School {
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
    School { app, ada, bob, cleo, dan, eve }
}

/// A close date a month from now.
fn soon() -> String {
    commune_domain::ledger::export::date_of(commune_store::now_ms() + 30 * 86_400_000)
}

async fn lesson(s: &School, who: &Auth, title: &str, body: &str) -> String {
    let input = json!({ "title": title, "body": body, "domains": "baking" });
    let (status, d) = call(&s.app, Method::POST, "/api/v1/orgs/bakery/library", who, input).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    d["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn lessons_are_revised_by_maintainers_suggested_by_others_and_searched() {
    let s = school().await;
    let app = &s.app;
    let id =
        lesson(&s, &s.bob, "Sourdough starters", "Feed the starter {{twice}} a day.\nQ: What flour?\nA: Rye.").await;
    let view = get(app, &format!("/api/v1/learn/{id}"), &s.cleo).await;
    assert_eq!(view["doc"]["revision"], 1);
    assert_eq!(view["cards"], 2, "a cloze and a question");
    // The author (a maintainer) edits: merged at once.
    let edit = json!({ "base": 1, "title": "Sourdough starters", "body": "Feed the starter {{twice}} a day at 24 °C.\nQ: What flour?\nA: Rye.", "note": "temperature" });
    let (status, e) = call(app, Method::PUT, &format!("/api/v1/learn/{id}"), &s.bob, edit.clone()).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["status"], "merged");
    // A stale base is refused and changes nothing.
    check_error(
        call(app, Method::PUT, &format!("/api/v1/learn/{id}"), &s.cleo, edit).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    // Someone else's edit is a suggestion a maintainer merges; its author cannot merge it.
    let suggestion = json!({ "base": 2, "title": "Sourdough starters", "body": "Feed the starter {{twice}} a day at 24–26 °C.\nQ: What flour?\nA: Rye.", "note": "a range" });
    let (_, e) = call(app, Method::PUT, &format!("/api/v1/learn/{id}"), &s.cleo, suggestion).await;
    assert_eq!(e["status"], "pending", "{e}");
    let rev = e["revision"]["id"].as_str().unwrap().to_owned();
    let again = json!({ "base": 2, "title": "Sourdough starters", "body": "Something else entirely.", "note": "spam" });
    check_error(
        call(app, Method::PUT, &format!("/api/v1/learn/{id}"), &s.cleo, again).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    check_error(
        call(app, Method::POST, &format!("/api/v1/revisions/{rev}/decision"), &s.cleo, json!({ "decision": "merge" }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let d = get(app, &format!("/api/v1/learn/{id}/diff?to={rev}"), &s.dan).await;
    let tags: String = d["lines"].as_array().unwrap().iter().map(|l| l["tag"].as_str().unwrap().to_owned()).collect();
    assert!(tags.contains('-') && tags.contains('+'), "{d}");
    let (status, r) =
        call(app, Method::POST, &format!("/api/v1/revisions/{rev}/decision"), &s.ada, json!({ "decision": "merge" }))
            .await;
    assert_eq!(status, StatusCode::OK, "a steward maintains every document: {r}");
    assert_eq!(r["number"], 3);
    let view = get(app, &format!("/api/v1/learn/{id}"), &s.dan).await;
    assert!(view["doc"]["body"].as_str().unwrap().contains("24–26"));
    // The inbox: the document's author heard of the suggestion, its author of the merge.
    let inbox = get(app, "/api/v1/inbox", &s.cleo).await.to_string();
    assert!(inbox.contains("Your change to “Sourdough starters” was merged"), "{inbox}");
    let inbox = get(app, "/api/v1/inbox", &s.bob).await.to_string();
    assert!(inbox.contains("suggested a change to “Sourdough starters”"), "{inbox}");
    let contributors: Vec<&str> =
        view["contributors"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(contributors, ["bob", "cleo"], "authors credited");
    let d = get(app, &format!("/api/v1/learn/{id}/diff?from=1&to=3"), &s.dan).await;
    assert!(d["lines"].as_array().unwrap().iter().any(|l| l["tag"] == "+"));
    // Search finds the body's words (stemmed), not other organisations' documents.
    let found = get(app, "/api/v1/orgs/bakery/library?q=feeding%20starter", &s.dan).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let none = get(app, "/api/v1/orgs/bakery/library?q=croissant", &s.dan).await;
    assert!(none.as_array().unwrap().is_empty());
    let hostile = get(app, "/api/v1/orgs/bakery/library?q=%22%20OR%20*", &s.dan).await;
    assert!(hostile.as_array().unwrap().is_empty(), "query syntax is quoted away: {hostile}");
    // Outsiders read nothing.
    check_error(
        app.call(Method::GET, &format!("/api/v1/learn/{id}"), &s.eve, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

#[tokio::test]
async fn principles_change_by_vote_and_drafts_stay_private() {
    let s = school().await;
    let app = &s.app;
    let input = json!({ "kind": "principle", "title": "Pain plus reflection equals progress", "body": "Look hard at mistakes.", "domains": "baking" });
    check_error(
        call(app, Method::POST, "/api/v1/orgs/bakery/library", &s.bob, input.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let mut input = input;
    input["examples"] = json!("The burnt batch taught us the oven's hot spot.");
    let (status, p) = call(app, Method::POST, "/api/v1/orgs/bakery/library", &s.bob, input).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    // Even its author's change to a principle goes to a vote.
    let edit = json!({ "base": 1, "title": "Pain plus reflection equals progress", "body": "Look hard at mistakes, together.", "examples": "The burnt batch." });
    let (_, e) = call(app, Method::PUT, &format!("/api/v1/learn/{id}"), &s.bob, edit).await;
    assert_eq!(e["status"], "voting", "{e}");
    let proposal = e["proposal_id"].as_str().unwrap().to_owned();
    let now = commune_store::now_ms();
    commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN).await.expect("open");
    for who in [&s.ada, &s.bob, &s.cleo, &s.dan] {
        let (status, b) = call(
            app,
            Method::POST,
            &format!("/api/v1/proposals/{proposal}/ballot"),
            who,
            json!({ "kind": "yes_no", "stance": "yes" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}");
    }
    for _ in 0..3 {
        commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN).await.expect("close");
    }
    let view = get(app, &format!("/api/v1/learn/{id}"), &s.cleo).await;
    assert_eq!(view["doc"]["body"], "Look hard at mistakes, together.", "the vote merged it: {view}");
    assert_eq!(view["doc"]["revision"], 2);

    // A private draft: invisible to others (not listed, not found), then published.
    let draft = json!({ "title": "Half-baked idea", "body": "Not ready.", "draft": true });
    let (_, d) = call(app, Method::POST, "/api/v1/orgs/bakery/library", &s.cleo, draft).await;
    let draft_id = d["id"].as_str().unwrap().to_owned();
    check_error(
        app.call(Method::GET, &format!("/api/v1/learn/{draft_id}"), &s.dan, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let listed = get(app, "/api/v1/orgs/bakery/library", &s.dan).await;
    assert!(!listed.to_string().contains("Half-baked"));
    assert!(get(app, "/api/v1/orgs/bakery/library", &s.cleo).await.to_string().contains("Half-baked"));
    check_error(
        call(app, Method::POST, &format!("/api/v1/learn/{draft_id}/publish"), &s.dan, json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, _) = call(app, Method::POST, &format!("/api/v1/learn/{draft_id}/publish"), &s.cleo, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    get(app, &format!("/api/v1/learn/{draft_id}"), &s.dan).await;
}

#[tokio::test]
async fn documents_are_cited_and_rated_with_both_tallies() {
    let s = school().await;
    let app = &s.app;
    let id = lesson(&s, &s.bob, "Proofing", "Proof until it springs back slowly.").await;
    let (_, p) = call(
        app,
        Method::POST,
        "/api/v1/orgs/bakery/proposals",
        &s.ada,
        {
            let now = commune_store::now_ms();
            json!({ "title": "Longer proofs", "body": "Per the lesson.", "kind": "decision", "domain": "baking",
                "method": { "method": "yes_no", "threshold": 0.5 },
                "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN })
        },
    )
    .await;
    let proposal = p["id"].as_str().unwrap_or_default().to_owned();
    let (status, c) = call(
        app,
        Method::POST,
        &format!("/api/v1/learn/{id}/citations"),
        &s.cleo,
        json!({ "source_kind": "proposal", "source_id": proposal }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{c} {p}");
    check_error(
        call(
            app,
            Method::POST,
            &format!("/api/v1/learn/{id}/citations"),
            &s.cleo,
            json!({ "source_kind": "proposal", "source_id": proposal }),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    check_error(
        call(
            app,
            Method::POST,
            &format!("/api/v1/learn/{id}/citations"),
            &s.cleo,
            json!({ "source_kind": "proposal", "source_id": "nope" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let view = get(app, &format!("/api/v1/learn/{id}"), &s.dan).await;
    assert_eq!(view["citations"].as_array().unwrap().len(), 1);
    // Ratings: not one's own document, scores 1-10, known attributes; both tallies shown.
    check_error(
        call(
            app,
            Method::PUT,
            &format!("/api/v1/learn/{id}/rating"),
            &s.bob,
            json!({ "attribute": "communication", "score": 9 }),
        )
        .await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    for bad in [json!({ "attribute": "communication", "score": 11 }), json!({ "attribute": "charm", "score": 5 })] {
        check_error(
            call(app, Method::PUT, &format!("/api/v1/learn/{id}/rating"), &s.cleo, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    call(
        app,
        Method::PUT,
        &format!("/api/v1/learn/{id}/rating"),
        &s.cleo,
        json!({ "attribute": "communication", "score": 8 }),
    )
    .await;
    let (_, t) = call(
        app,
        Method::PUT,
        &format!("/api/v1/learn/{id}/rating"),
        &s.dan,
        json!({ "attribute": "communication", "score": 4 }),
    )
    .await;
    let tally = &t.as_array().unwrap()[0];
    assert_eq!(tally["raters"], 2, "{t}");
    assert_eq!(tally["equal"], 6.0);
    assert!(tally["believability"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn cards_are_reviewed_on_schedule_and_a_member_gets_their_own_parameters() {
    let s = school().await;
    let app = &s.app;
    let id = lesson(
        &s,
        &s.bob,
        "Hydration",
        "Bread dough is {{65 to 75}} percent water.\nQ: Ciabatta hydration?\nA: About 80%.",
    )
    .await;
    let (status, n) = call(app, Method::POST, &format!("/api/v1/learn/{id}/study"), &s.cleo, json!({})).await;
    assert_eq!((status, n), (StatusCode::OK, json!(2)));
    let (_, again) = call(app, Method::POST, &format!("/api/v1/learn/{id}/study"), &s.cleo, json!({})).await;
    assert_eq!(again, json!(0), "cards already in the deck stay");
    let deck = get(app, "/api/v1/cards", &s.cleo).await;
    assert_eq!(deck["due"].as_array().unwrap().len(), 2);
    assert_eq!(deck["retention_permille"], 900);
    let card = deck["due"][0]["card"]["id"].as_str().unwrap().to_owned();
    for bad in ["5", "0", "great", ""] {
        check_error(
            call(app, Method::POST, &format!("/api/v1/cards/{card}/reviews"), &s.cleo, json!({ "rating": bad })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    check_error(
        call(app, Method::POST, &format!("/api/v1/cards/{card}/reviews"), &s.dan, json!({ "rating": "3" })).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Two reviews of one card race: one counts.
    let path = format!("/api/v1/cards/{card}/reviews");
    let (a, b) = tokio::join!(
        call(app, Method::POST, &path, &s.cleo, json!({ "rating": "3" })),
        call(app, Method::POST, &path, &s.cleo, json!({ "rating": "3" })),
    );
    let ok = [&a, &b].iter().filter(|r| r.0 == StatusCode::OK).count();
    assert_eq!(ok, 1, "{a:?} {b:?}");
    let reviewed = if a.0 == StatusCode::OK { a.1 } else { b.1 };
    assert!(reviewed["interval"].as_i64().unwrap() >= 1, "{reviewed}");
    check_error(
        call(app, Method::POST, &format!("/api/v1/cards/{card}/reviews"), &s.cleo, json!({ "rating": "good" })).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    assert_eq!(get(app, "/api/v1/cards", &s.cleo).await["due"].as_array().unwrap().len(), 1);
    // Retention is bounded.
    for bad in ["50", "100", "x"] {
        check_error(
            call(app, Method::PUT, "/api/v1/cards/settings", &s.cleo, json!({ "retention": bad })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    let (_, d) = call(app, Method::PUT, "/api/v1/cards/settings", &s.cleo, json!({ "retention": "95%" })).await;
    assert_eq!(d["retention_permille"], 950);
    // An again keeps the card due today; after enough reviews the member's own parameters are fitted.
    let other = get(app, "/api/v1/cards", &s.cleo).await["due"][0]["card"]["id"].as_str().unwrap().to_owned();
    let mut refitted = false;
    for _ in 0..commune_domain::learn::memory::MIN_REVIEWS_TO_FIT {
        let (status, r) =
            call(app, Method::POST, &format!("/api/v1/cards/{other}/reviews"), &s.cleo, json!({ "rating": "1" })).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["interval"], 0);
        refitted |= r["refitted"].as_bool().unwrap();
    }
    assert!(refitted);
    let deck = get(app, "/api/v1/cards", &s.cleo).await;
    assert_eq!(deck["personal_parameters"], true, "{deck}");
    assert_eq!(deck["retention_permille"], 950, "fitting keeps the retention");
}

#[tokio::test]
async fn exercises_grade_peer_reviews_settle_and_mastery_gates_a_task() {
    let s = school().await;
    let app = &s.app;
    let l = lesson(&s, &s.ada, "Baker's percentages", "Flour is 100%.").await;
    let (status, c) = call(
        app,
        Method::POST,
        "/api/v1/orgs/bakery/courses",
        &s.ada,
        json!({ "title": "Bread basics", "lessons": [l] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let course = c["id"].as_str().unwrap().to_owned();
    check_error(
        call(app, Method::POST, "/api/v1/orgs/bakery/courses", &s.ada, json!({ "title": "Bad", "lessons": ["nope"] }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let exercises = format!("/api/v1/courses/{course}/exercises");
    let add = |who: &'static str, body: Value| {
        let who = match who {
            "ada" => &s.ada,
            _ => &s.bob,
        };
        call(app, Method::POST, &exercises, who, body)
    };
    check_error(
        add("bob", json!({ "kind": "choice", "prompt": "Which?", "skill": "baking", "choices": "a\n*b" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (_, mc) = add("ada", json!({ "kind": "choice", "prompt": "Water at 70% for 1 kg flour?", "skill": "baking", "choices": "500 g\n*700 g\n1 kg", "lesson": l })).await;
    let (_, num) = add("ada", json!({ "kind": "numeric", "prompt": "Salt at 2% of 500 g flour, in grams?", "skill": "baking", "answer": "10", "tolerance": "0.5" })).await;
    let (_, txt) = add("ada", json!({ "kind": "text", "prompt": "Why autolyse?", "skill": "baking", "rubric": "gluten forms without kneading" })).await;
    let (mc, num, txt) = (mc["id"].as_str().unwrap(), num["id"].as_str().unwrap(), txt["id"].as_str().unwrap());
    let view = get(app, &format!("/api/v1/courses/{course}"), &s.bob).await;
    assert_eq!(view["exercises"][0]["choices"].as_array().unwrap().len(), 3);
    assert!(!view.to_string().contains("\"answer\""), "the right answer is never shown: {view}");
    let attempt = |who: &Auth, ex: &str, answer: &str| {
        let (who, ex, answer) = (who.clone(), ex.to_owned(), answer.to_owned());
        async move {
            call(app, Method::POST, &format!("/api/v1/exercises/{ex}/attempts"), &who, json!({ "answer": answer }))
                .await
        }
    };
    for bad in ["3", "x", "-1"] {
        check_error(attempt(&s.bob, mc, bad).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    check_error(attempt(&s.bob, num, "1e1").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let (_, a) = attempt(&s.bob, mc, "0").await;
    assert_eq!(a["attempt"]["correct"], false);
    let (_, a) = attempt(&s.bob, num, "10.4").await;
    assert_eq!(a["attempt"]["correct"], true);
    // Free text: not graded until two peers agree; never by its author.
    let (_, a) = attempt(&s.bob, txt, "It lets the gluten form before kneading.").await;
    let att = a["attempt"]["id"].as_str().unwrap().to_owned();
    assert_eq!(a["attempt"]["correct"], Value::Null);
    check_error(
        call(app, Method::POST, &format!("/api/v1/attempts/{att}/reviews"), &s.bob, json!({ "pass": true })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let queue = get(app, "/api/v1/orgs/bakery/answers", &s.cleo).await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert!(get(app, "/api/v1/orgs/bakery/answers", &s.bob).await.as_array().unwrap().is_empty());
    call(app, Method::POST, &format!("/api/v1/attempts/{att}/reviews"), &s.cleo, json!({ "pass": true })).await;
    check_error(
        call(app, Method::POST, &format!("/api/v1/attempts/{att}/reviews"), &s.cleo, json!({ "pass": true })).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let (_, r) =
        call(app, Method::POST, &format!("/api/v1/attempts/{att}/reviews"), &s.dan, json!({ "pass": false })).await;
    assert_eq!(r["correct"], Value::Null, "a split waits for a third");
    let (_, r) =
        call(app, Method::POST, &format!("/api/v1/attempts/{att}/reviews"), &s.ada, json!({ "pass": true })).await;
    assert_eq!(r["correct"], true, "{r}");
    let inbox = get(app, "/api/v1/inbox", &s.bob).await.to_string();
    assert!(inbox.contains("Your answer to “Why autolyse?” passed its peer review"), "{inbox}");

    // A task needs mastery of baking: bob cannot take it until nine right in a row.
    let (_, p) = call(app, Method::POST, "/api/v1/orgs/bakery/projects", &s.ada, json!({ "name": "Oven" })).await;
    let project = p["id"].as_str().unwrap();
    let body = json!({ "title": "Run the night bake", "domains": "baking", "effort_hours": "3", "value": "10.00", "difficulty": 3 });
    let (_, t) = call(app, Method::POST, &format!("/api/v1/projects/{project}/tasks"), &s.ada, body).await;
    let task = t["task"]["id"].as_str().unwrap().to_owned();
    check_error(
        call(app, Method::PUT, &format!("/api/v1/tasks/{task}/prerequisite"), &s.bob, json!({ "skill": "baking" }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, pre) =
        call(app, Method::PUT, &format!("/api/v1/tasks/{task}/prerequisite"), &s.ada, json!({ "skill": "baking" }))
            .await;
    assert_eq!((status, pre), (StatusCode::OK, json!(["baking"])));
    let next = get(app, "/api/v1/learn/next", &s.bob).await;
    assert_eq!(next[0]["doc_id"], l.as_str(), "{next}");
    assert!(next[0]["why"].as_str().unwrap().contains("baking"));
    check_error(
        call(app, Method::POST, &format!("/api/v1/tasks/{task}/steps"), &s.bob, json!({ "step": "take" })).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    // Repeating one exercise the same day counts once: no mastery by rote.
    for _ in 0..12 {
        attempt(&s.bob, num, "10").await;
    }
    assert_eq!(get(app, "/api/v1/learn/mastery", &s.bob).await["baking"]["mastered"], false);
    for k in 0..9 {
        let (_, e) = add("ada", json!({ "kind": "numeric", "prompt": format!("{k} + 1?"), "skill": "baking", "answer": (k + 1).to_string() })).await;
        let (_, a) = attempt(&s.bob, e["id"].as_str().unwrap(), &(k + 1).to_string()).await;
        assert_eq!(a["attempt"]["correct"], true, "{a}");
    }
    let mastery = get(app, "/api/v1/learn/mastery", &s.bob).await;
    assert_eq!(mastery["baking"]["mastered"], true, "{mastery}");
    let (status, t) =
        call(app, Method::POST, &format!("/api/v1/tasks/{task}/steps"), &s.bob, json!({ "step": "take" })).await;
    assert_eq!(status, StatusCode::OK, "{t}");
}

#[tokio::test]
async fn forecasts_score_aggregate_resolve_and_can_be_disputed() {
    let s = school().await;
    let app = &s.app;
    let q = json!({ "title": "Will rye sell out on Saturday?", "criteria": "Yes if the rye shelf is empty before 14:00 on Saturday.", "domain": "sales", "closes": soon() });
    let (status, question) = call(app, Method::POST, "/api/v1/orgs/bakery/questions", &s.bob, q).await;
    assert_eq!(status, StatusCode::CREATED, "{question}");
    let id = question["id"].as_str().unwrap().to_owned();
    for bad in
        [json!({ "p": ["1.2"] }), json!({ "p": ["-0.1"] }), json!({ "p": ["NaN"] }), json!({ "p": ["0.5", "0.6"] })]
    {
        check_error(
            call(app, Method::POST, &format!("/api/v1/questions/{id}/forecasts"), &s.cleo, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    call(app, Method::POST, &format!("/api/v1/questions/{id}/forecasts"), &s.cleo, json!({ "p": ["0.6"] })).await;
    call(app, Method::POST, &format!("/api/v1/questions/{id}/forecasts"), &s.cleo, json!({ "p": ["90%"] })).await;
    let (_, v) =
        call(app, Method::POST, &format!("/api/v1/questions/{id}/forecasts"), &s.dan, json!({ "p": ["0.3"] })).await;
    assert_eq!(v["forecasts"].as_array().unwrap().len(), 2, "an update replaces: {v}");
    let equal = v["equal"][1].as_f64().unwrap();
    let logit = |p: f64| (p / (1.0 - p)).ln();
    let expected = 1.0 / (1.0 + (-(logit(0.9) + logit(0.3)) / 2.0).exp());
    assert!((equal - expected).abs() < 1e-6, "{v}");
    assert!(v["community"][1].as_f64().unwrap() > equal, "extremized (×1.5) with no records yet");
    // Its author cannot resolve it, nor can a member; another steward does.
    check_error(
        call(app, Method::POST, &format!("/api/v1/questions/{id}/resolution"), &s.cleo, json!({ "outcome": "1" }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    check_error(
        call(app, Method::POST, &format!("/api/v1/questions/{id}/resolution"), &s.ada, json!({ "outcome": "7" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let (status, v) =
        call(app, Method::POST, &format!("/api/v1/questions/{id}/resolution"), &s.ada, json!({ "outcome": "1" })).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let scores = v["scores"].as_array().unwrap();
    let cleo = scores.iter().find(|s| s[0] == "cleo").unwrap();
    assert!((cleo[1].as_f64().unwrap() - 0.01).abs() < 1e-9, "Brier (0.9 − 1)²: {v}");
    assert!((cleo[2].as_f64().unwrap() - 0.9f64.ln()).abs() < 1e-9);
    check_error(
        call(app, Method::POST, &format!("/api/v1/questions/{id}/forecasts"), &s.cleo, json!({ "p": ["0.5"] })).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let cal = get(app, "/api/v1/orgs/bakery/calibration/cleo", &s.dan).await;
    assert_eq!(cal["bins"][9]["count"], 1, "{cal}");
    assert_eq!(cal["records"][0][0], "sales");
    // Track records weigh the next community forecast: cleo (sharp) counts more than dan.
    let q2 = json!({ "title": "Will the new oven arrive by Friday?", "criteria": "Yes if delivered by Friday 18:00.", "domain": "sales", "closes": soon() });
    let (_, q2) = call(app, Method::POST, "/api/v1/orgs/bakery/questions", &s.bob, q2).await;
    let q2 = q2["id"].as_str().unwrap().to_owned();
    call(app, Method::POST, &format!("/api/v1/questions/{q2}/forecasts"), &s.cleo, json!({ "p": ["0.8"] })).await;
    let (_, v2) =
        call(app, Method::POST, &format!("/api/v1/questions/{q2}/forecasts"), &s.dan, json!({ "p": ["0.2"] })).await;
    let weights: Vec<(String, f64)> = v2["forecasts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["handle"].as_str().unwrap().to_owned(), f["weight"].as_f64().unwrap()))
        .collect();
    let w = |h: &str| weights.iter().find(|x| x.0 == h).unwrap().1;
    assert!(w("cleo") > w("dan"), "{weights:?}");
    assert!(v2["community"][1].as_f64().unwrap() > v2["equal"][1].as_f64().unwrap());
    // A dispute goes to a vote; the members annul it.
    let (status, d) = call(app, Method::POST, &format!("/api/v1/questions/{id}/dispute"), &s.dan, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["state"], "disputed");
    let proposal = d["question"]["proposal_id"].as_str().unwrap().to_owned();
    let now = commune_store::now_ms();
    commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN).await.expect("open");
    for who in [&s.ada, &s.bob, &s.cleo, &s.dan] {
        call(
            app,
            Method::POST,
            &format!("/api/v1/proposals/{proposal}/ballot"),
            who,
            json!({ "kind": "yes_no", "stance": "no" }),
        )
        .await;
    }
    for _ in 0..3 {
        commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN).await.expect("close");
    }
    let v = get(app, &format!("/api/v1/questions/{id}"), &s.dan).await;
    assert_eq!(v["state"], "annulled", "{v}");
    check_error(
        call(app, Method::POST, &format!("/api/v1/questions/{id}/dispute"), &s.dan, json!({})).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    // Numeric and multiple-choice questions.
    let numeric = json!({ "title": "How many loaves on Saturday?", "criteria": "The till count at closing.", "kind": "numeric", "low": "100", "high": "300", "bins": 4, "domain": "sales", "closes": soon() });
    let (status, n) = call(app, Method::POST, "/api/v1/orgs/bakery/questions", &s.bob, numeric).await;
    assert_eq!(status, StatusCode::CREATED, "{n}");
    assert_eq!(n["options"].as_array().unwrap().len(), 6);
    let nid = n["id"].as_str().unwrap().to_owned();
    call(
        app,
        Method::POST,
        &format!("/api/v1/questions/{nid}/forecasts"),
        &s.cleo,
        json!({ "p": ["0", "0.1", "0.6", "0.2", "0.1", "0"] }),
    )
    .await;
    let (_, v) =
        call(app, Method::POST, &format!("/api/v1/questions/{nid}/resolution"), &s.ada, json!({ "outcome": "180" }))
            .await;
    assert_eq!(v["question"]["outcome"], 2, "180 is in the 150–200 bin: {v}");
    check_error(
        call(
            app,
            Method::POST,
            "/api/v1/orgs/bakery/questions",
            &s.bob,
            json!({ "title": "Past?", "criteria": "whatever happens", "domain": "sales", "closes": "2001-01-01" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
}

#[tokio::test]
async fn study_circles_have_threads_and_a_weekly_digest() {
    let s = school().await;
    let app = &s.app;
    let l = lesson(&s, &s.ada, "Shaping", "Tension on the surface.").await;
    let (_, c) =
        call(app, Method::POST, "/api/v1/orgs/bakery/courses", &s.ada, json!({ "title": "Shaping", "lessons": [l] }))
            .await;
    let course = c["id"].as_str().unwrap();
    let (_, e) = call(
        app,
        Method::POST,
        &format!("/api/v1/courses/{course}/exercises"),
        &s.ada,
        json!({ "kind": "numeric", "prompt": "Folds per batard?", "skill": "baking", "answer": "3" }),
    )
    .await;
    let (status, circle) = call(
        app,
        Method::POST,
        "/api/v1/orgs/bakery/circles",
        &s.bob,
        json!({ "name": "Night shift", "course_id": course, "schedule": "Tuesdays 18:00" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{circle}");
    let id = circle["id"].as_str().unwrap().to_owned();
    check_error(
        call(app, Method::POST, &format!("/api/v1/circles/{id}/posts"), &s.cleo, json!({ "lesson": l, "body": "hi" }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    call(app, Method::POST, &format!("/api/v1/circles/{id}/members"), &s.cleo, json!({})).await;
    check_error(
        call(app, Method::POST, &format!("/api/v1/circles/{id}/members"), &s.cleo, json!({})).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    check_error(
        call(app, Method::POST, &format!("/api/v1/circles/{id}/members"), &s.eve, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, v) = call(
        app,
        Method::POST,
        &format!("/api/v1/circles/{id}/posts"),
        &s.cleo,
        json!({ "lesson": l, "body": "Pre-shape first!" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    call(
        app,
        Method::POST,
        &format!("/api/v1/exercises/{}/attempts", e["id"].as_str().unwrap()),
        &s.cleo,
        json!({ "answer": "3" }),
    )
    .await;
    let v = get(app, &format!("/api/v1/circles/{id}"), &s.bob).await;
    assert_eq!(v["members"], json!(["bob", "cleo"]));
    assert_eq!(v["threads"][0]["posts"].as_array().unwrap().len(), 1);
    assert_eq!(v["digest"]["posts"], 1);
    assert_eq!(v["digest"]["attempts"], 1);
    assert_eq!(v["digest"]["correct"], 1);
    assert!(v["digest"]["lines"][0].as_str().unwrap().starts_with("cleo"));
}

#[tokio::test]
async fn racing_merges_and_resolutions_apply_once() {
    let s = school().await;
    let app = &s.app;
    // Make cleo a second steward, so two maintainers race.
    let (status, body) =
        call(app, Method::PUT, "/api/v1/orgs/bakery/members/cleo/role", &s.ada, json!({ "role": "steward" })).await;
    assert!(status.is_success(), "{body}");
    let id = lesson(&s, &s.bob, "Crumb", "An open crumb needs {{high hydration}}.").await;
    let mut revisions = Vec::new();
    let (_, e) = call(
        app,
        Method::PUT,
        &format!("/api/v1/learn/{id}"),
        &s.dan,
        json!({ "base": 1, "title": "Crumb", "body": "An open crumb needs {{high hydration}} and gentle shaping." }),
    )
    .await;
    revisions.push(e["revision"]["id"].as_str().expect("a suggestion").to_owned());
    app.admit(&s.ada, &s.eve, "bakery").await;
    let (_, e) = call(
        app,
        Method::PUT,
        &format!("/api/v1/learn/{id}"),
        &s.eve,
        json!({ "base": 1, "title": "Crumb", "body": "An open crumb needs {{high hydration}} and a long proof." }),
    )
    .await;
    revisions.push(e["revision"]["id"].as_str().expect("a second suggestion on the same base").to_owned());
    let (first, second) = (
        format!("/api/v1/revisions/{}/decision", revisions[0]),
        format!("/api/v1/revisions/{}/decision", revisions[1]),
    );
    let (a, b) = tokio::join!(
        call(app, Method::POST, &first, &s.ada, json!({ "decision": "merge" })),
        call(app, Method::POST, &second, &s.cleo, json!({ "decision": "merge" })),
    );
    let merged = [&a, &b].iter().filter(|r| r.0 == StatusCode::OK).count();
    assert_eq!(merged, 1, "two suggestions on one base: one merges, the other must be redone: {a:?} {b:?}");
    let loser = if a.0 == StatusCode::OK { &b } else { &a };
    assert_eq!(loser.1["error"]["code"], "conflict", "{loser:?}");
    assert_eq!(get(app, &format!("/api/v1/learn/{id}"), &s.dan).await["doc"]["revision"], 2);

    let q = json!({ "title": "Will the levain peak by noon?", "criteria": "Yes if it doubles by 12:00.", "domain": "baking", "closes": soon() });
    let (_, q) = call(app, Method::POST, "/api/v1/orgs/bakery/questions", &s.bob, q).await;
    let qid = q["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/questions/{qid}/resolution");
    let (a, b) = tokio::join!(
        call(app, Method::POST, &path, &s.ada, json!({ "outcome": "1" })),
        call(app, Method::POST, &path, &s.cleo, json!({ "outcome": "0" })),
    );
    assert_eq!([&a, &b].iter().filter(|r| r.0 == StatusCode::OK).count(), 1, "{a:?} {b:?}");
}
