//! Work through the API: a business's token files a task; it flows from open to a reviewed
//! outcome that changes the doer's skill and believability; hours are logged, reported and paid
//! once; capacities, recommendations and the period's assignment (both rules) — and what a
//! hostile member tries: reviewing their own task, assigning outsiders, bad hours, races.

#![allow(clippy::inconsistent_digit_grouping)] // amounts read as euros_cents

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn call(app: &TestApp, method: Method, path: &str, who: &Auth, body: Value) -> (StatusCode, Value) {
    app.call(method, path, who, Some(body)).await
}

async fn balance(app: &TestApp, who: &Auth) -> i64 {
    let (_, w) = app.call(Method::GET, "/api/v1/wallet", who, None).await;
    w.as_array().and_then(|w| w.first()).map_or(0, |w| w["balance_minor"].as_i64().unwrap())
}

struct Shop {
    app: TestApp,
    ada: Auth,
    bob: Auth,
    cleo: Auth,
    dan: Auth,
    project: String,
}

/// The bakery: ada stewards it, bob and cleo are members, dan is an outsider; a project paid
/// 20.00 an hour and 500.00 in the bakery's wallet.
async fn shop() -> Shop {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let (ada, bob, cleo, dan) =
        (app.member("ada").await, app.member("bob").await, app.member("cleo").await, app.member("dan").await);
    app.org(&ada, "bakery").await;
    app.admit(&ada, &bob, "bakery").await;
    app.admit(&ada, &cleo, "bakery").await;
    let (status, body) =
        call(&app, Method::POST, "/api/v1/deposits", &root, json!({ "to": "org:bakery", "amount": "500.00" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, p) = call(
        &app,
        Method::POST,
        "/api/v1/orgs/bakery/projects",
        &ada,
        json!({ "name": "Oven", "hourly_rate": "20.00" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let project = p["id"].as_str().expect("project id").to_owned();
    Shop { app, ada, bob, cleo, dan, project }
}

async fn step(app: &TestApp, who: &Auth, task: &str, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, &format!("/api/v1/tasks/{task}/steps"), who, body).await
}

async fn new_task(s: &Shop, who: &Auth, title: &str) -> String {
    let body = json!({ "title": title, "domains": "baking", "effort_hours": "3", "value": "80.00", "difficulty": 4, "due": "2099-01-01" });
    let (status, t) = call(&s.app, Method::POST, &format!("/api/v1/projects/{}/tasks", s.project), who, body).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["task"]["id"].as_str().expect("task id").to_owned()
}

#[tokio::test]
async fn a_task_flows_from_a_business_token_to_a_reviewed_outcome_that_teaches_the_model() {
    let s = shop().await;
    let app = &s.app;
    // The business files the task with its own token.
    let token = app.token(&s.ada, "bakery", &["work:write", "work:read"]).await;
    let task = new_task(&s, &token, "Rebuild the proofing cabinet").await;
    let (_, t) = app.call(Method::GET, &format!("/api/v1/tasks/{task}"), &token, None).await;
    assert_eq!(t["card"]["task"]["status"], "open");
    assert!(t["card"]["task"]["creator"].as_str().unwrap().starts_with("token:"));
    // A token cannot take steps (members only).
    check_error(step(app, &token, &task, json!({ "step": "assign" })).await, StatusCode::FORBIDDEN, "members_only");

    // Before any outcome bob is a newcomer to baking.
    let (_, rec) = app.call(Method::GET, &format!("/api/v1/tasks/{task}/recommendations"), &s.ada, None).await;
    let bob_before = rec["people"].as_array().unwrap().iter().find(|p| p["name"] == "bob").expect("bob ranked").clone();
    assert_eq!(bob_before["ranked"]["outcomes"], 0);
    assert!(bob_before["ranked"]["why"].as_str().unwrap().contains("newcomer"));
    assert!(rec["pick"]["propensity"].as_f64().unwrap() > 0.0);

    // bob takes it; ada makes cleo the reviewer; the doer cannot be the reviewer.
    let (status, c) = step(app, &s.bob, &task, json!({ "step": "move", "to": "assigned" })).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["doer"], "bob");
    check_error(
        step(app, &s.ada, &task, json!({ "step": "set_reviewer", "member": "bob" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    check_error(
        step(app, &s.ada, &task, json!({ "step": "set_reviewer", "member": "dan" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let (status, _) = step(app, &s.ada, &task, json!({ "step": "set_reviewer", "member": "cleo" })).await;
    assert_eq!(status, StatusCode::OK);
    check_error(step(app, &s.cleo, &task, json!({ "step": "start" })).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(step(app, &s.bob, &task, json!({ "step": "start" })).await.0, StatusCode::OK);
    // Hours: strict, bounded, on the task.
    for bad in ["-2", "0", "25", "2.345", "two", "1e2"] {
        let before = app.audit_len().await;
        let r =
            call(app, Method::POST, &format!("/api/v1/tasks/{task}/worklogs"), &s.bob, json!({ "hours": bad })).await;
        check_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert_eq!(app.audit_len().await, before, "{bad} wrote nothing");
    }
    check_error(
        call(
            app,
            Method::POST,
            &format!("/api/v1/tasks/{task}/worklogs"),
            &s.bob,
            json!({ "hours": "1", "day": "2999-01-01" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let (status, log) = call(
        app,
        Method::POST,
        &format!("/api/v1/tasks/{task}/worklogs"),
        &s.bob,
        json!({ "hours": "2.5", "note": "frame" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{log}");
    assert_eq!(log["minutes"], 150);
    check_error(
        call(app, Method::POST, &format!("/api/v1/tasks/{task}/worklogs"), &s.dan, json!({ "hours": "1" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(step(app, &s.bob, &task, json!({ "step": "move", "to": "review" })).await.0, StatusCode::OK);
    // Nobody reviews their own task; only the reviewer reviews.
    let review = json!({ "success": true, "quality": 5 });
    check_error(
        call(app, Method::POST, &format!("/api/v1/tasks/{task}/review"), &s.bob, review.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    check_error(
        call(app, Method::POST, &format!("/api/v1/tasks/{task}/review"), &s.ada, review.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    check_error(
        call(
            app,
            Method::POST,
            &format!("/api/v1/tasks/{task}/review"),
            &s.cleo,
            json!({ "success": true, "quality": 9 }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let (status, r) = call(app, Method::POST, &format!("/api/v1/tasks/{task}/review"), &s.cleo, review.clone()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!((r["success"].as_bool(), r["on_time"].as_bool()), (Some(true), Some(true)));
    // Recorded once.
    check_error(
        call(app, Method::POST, &format!("/api/v1/tasks/{task}/review"), &s.cleo, review).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let (_, t) = app.call(Method::GET, &format!("/api/v1/tasks/{task}"), &s.bob, None).await;
    assert_eq!(t["card"]["task"]["status"], "done");
    let kinds: Vec<&str> = t["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "open → assigned",
            "changed",
            "assigned → in_progress",
            "logged",
            "in_progress → review",
            "review → done",
            "reviewed"
        ]
    );

    // bob heard about it: given the task (by himself: no notice), reviewed (a notice); cleo was
    // asked to review.
    commune_app::inbox::catch_up(&app.state).await.expect("fan out");
    let (_, inbox) = app.call(Method::GET, "/api/v1/inbox", &s.bob, None).await;
    assert!(inbox.to_string().contains("@cleo reviewed your task “Rebuild the proofing cabinet”"), "{inbox}");
    let (_, inbox) = app.call(Method::GET, "/api/v1/inbox", &s.cleo, None).await;
    assert!(inbox.to_string().contains("@bob handed in “Rebuild the proofing cabinet” for your review"), "{inbox}");

    // The outcome changed bob's skill in baking: a second baking task now ranks him higher.
    let next = new_task(&s, &s.ada, "Tune the oven").await;
    let (_, rec) = app.call(Method::GET, &format!("/api/v1/tasks/{next}/recommendations"), &s.ada, None).await;
    let people = rec["people"].as_array().unwrap();
    assert_eq!(people[0]["name"], "bob", "{rec}");
    assert_eq!(people[0]["ranked"]["outcomes"], 1);
    assert!(people[0]["ranked"]["p"].as_f64().unwrap() > bob_before["ranked"]["p"].as_f64().unwrap());
    // ... and is evidence for believability in baking.
    commune_app::merit::recompute(&app.state, commune_store::now_ms()).await.expect("recompute");
    let bob_id = app.store.member_by_handle("bob").await.unwrap().unwrap().id;
    let b = app.store.believability_of(&bob_id).await.unwrap();
    assert!(b.iter().any(|b| b.domain == "baking"), "{b:?}");

    // The worklog report, and the payout: paid once, even when two stewards race.
    let (status, csv) = app.call(Method::GET, "/api/v1/orgs/bakery/worklogs.csv?from=2000-01-01", &s.ada, None).await;
    assert_eq!(status, StatusCode::OK);
    let csv = csv.as_str().map(str::to_owned).unwrap_or_else(|| csv.to_string());
    assert!(csv.contains("Oven,Rebuild the proofing cabinet,bob,2.5,frame,no"), "{csv}");
    let before = balance(app, &s.bob).await;
    let ada2 = app.login("ada").await;
    let pay = format!("/api/v1/projects/{}/payouts", s.project);
    let (a, b) = tokio::join!(app.call(Method::POST, &pay, &s.ada, None), app.call(Method::POST, &pay, &ada2, None));
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{} {}", a.1, b.1);
    assert_eq!(balance(app, &s.bob).await - before, 50_00, "2.5 h at 20.00, once");
    let (_, again) = app.call(Method::POST, &pay, &s.ada, None).await;
    assert_eq!(again, json!([]));
    check_error(app.call(Method::POST, &pay, &s.bob, None).await, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn two_members_racing_for_one_task_get_it_once() {
    let s = shop().await;
    let task = new_task(&s, &s.ada, "Deliver bread").await;
    let (a, b) = tokio::join!(
        step(&s.app, &s.bob, &task, json!({ "step": "assign" })),
        step(&s.app, &s.cleo, &task, json!({ "step": "assign" }))
    );
    // The loser finds it taken: a conflict (it read it open) or refused (it read it assigned).
    let mut codes = [a.0.as_u16(), b.0.as_u16()];
    codes.sort();
    assert!(codes == [200, 403] || codes == [200, 409], "{codes:?}: {} {}", a.1, b.1);
    let (_, t) = s.app.call(Method::GET, &format!("/api/v1/tasks/{task}"), &s.ada, None).await;
    let doer = t["card"]["doer"].as_str().unwrap();
    assert!(doer == "bob" || doer == "cleo");
    assert_eq!(t["history"].as_array().unwrap().len(), 2, "one move recorded");
}

#[tokio::test]
async fn outsiders_bad_input_and_the_wrong_token_change_nothing() {
    let s = shop().await;
    let app = &s.app;
    let task = new_task(&s, &s.ada, "Paint the sign").await;
    let before = app.audit_len().await;
    // Assigning someone outside the organisation; an outsider taking it; bad forms.
    check_error(
        step(app, &s.ada, &task, json!({ "step": "assign", "member": "dan" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        step(app, &s.ada, &task, json!({ "step": "assign", "member": "nobody" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(step(app, &s.dan, &task, json!({ "step": "assign" })).await, StatusCode::FORBIDDEN, "forbidden");
    check_error(
        step(app, &s.bob, &task, json!({ "step": "assign", "member": "cleo" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    check_error(
        step(app, &s.bob, &task, json!({ "step": "move", "to": "done" })).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    for body in [
        json!({ "title": "x", "effort_hours": "-1" }),
        json!({ "title": "x", "value": "-5" }),
        json!({ "title": "x", "value": "1.234" }),
        json!({ "title": "x", "seats": 0 }),
        json!({ "title": "x", "difficulty": 6 }),
        json!({ "title": "x", "due": "2026-02-30" }),
        json!({ "title": "x", "domains": "a b c d e f" }),
    ] {
        let r = call(app, Method::POST, &format!("/api/v1/projects/{}/tasks", s.project), &s.bob, body.clone()).await;
        check_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    for hours in ["-1", "81", "abc", ""] {
        let r =
            call(app, Method::PUT, "/api/v1/orgs/bakery/capacity", &s.bob, json!({ "hours_per_week": hours })).await;
        check_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    check_error(
        call(
            app,
            Method::PUT,
            "/api/v1/orgs/bakery/capacity",
            &s.bob,
            json!({ "hours_per_week": "5", "member": "cleo" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    check_error(
        call(app, Method::PUT, &format!("/api/v1/tasks/{task}/impact"), &s.bob, json!({ "score": -1 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        call(app, Method::PUT, &format!("/api/v1/tasks/{task}/impact"), &s.dan, json!({ "score": 3 })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(app.audit_len().await, before, "refusals wrote nothing");
    // A valid score counts, once per member (a second one replaces the first).
    for (who, score) in [(&s.bob, 2), (&s.cleo, 5), (&s.bob, 4)] {
        let (status, card) =
            call(app, Method::PUT, &format!("/api/v1/tasks/{task}/impact"), who, json!({ "score": score })).await;
        assert_eq!(status, StatusCode::OK, "{card}");
    }
    let (_, t) = app.call(Method::GET, &format!("/api/v1/tasks/{task}"), &s.ada, None).await;
    assert_eq!((t["card"]["impact"].as_f64(), t["card"]["impact_votes"].as_i64()), (Some(4.5), Some(2)), "{t}");
    let before = app.audit_len().await;
    // A token of another organisation, or without the scope.
    app.org(&s.dan, "elsewhere").await;
    let other = app.token(&s.dan, "elsewhere", &["work:write"]).await;
    let body = json!({ "title": "Spam" });
    check_error(
        call(app, Method::POST, &format!("/api/v1/projects/{}/tasks", s.project), &other, body.clone()).await,
        StatusCode::FORBIDDEN,
        "wrong_org",
    );
    let read_only = app.token(&s.ada, "bakery", &["work:read"]).await;
    let audit_now = app.audit_len().await;
    check_error(
        call(app, Method::POST, &format!("/api/v1/projects/{}/tasks", s.project), &read_only, body).await,
        StatusCode::FORBIDDEN,
        "missing_scope",
    );
    assert_eq!(app.audit_len().await, audit_now);
    // Only the two organisations and two tokens were written.
    assert_eq!(app.audit_len().await - before, 4, "only the organisation and the tokens were written");
}

#[tokio::test]
async fn the_period_plan_respects_capacity_logs_propensities_and_the_stable_rule_has_no_blocking_pair() {
    let s = shop().await;
    let app = &s.app;
    let mut tasks = Vec::new();
    for title in ["Knead", "Shape", "Bake", "Sell"] {
        tasks.push(new_task(&s, &s.ada, title).await);
    }
    // bob can give 6 hours (two 3-hour tasks), cleo 3 (one); ada none.
    for (who, hours) in [(&s.bob, "6"), (&s.cleo, "3")] {
        let (status, body) =
            call(app, Method::PUT, "/api/v1/orgs/bakery/capacity", who, json!({ "hours_per_week": hours })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, preview) = call(app, Method::POST, "/api/v1/orgs/bakery/assignment", &s.ada, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["applied"], false);
    let pairs = preview["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 3, "6 + 3 hours hold three 3-hour tasks: {preview}");
    assert_eq!(pairs.iter().filter(|p| p["member"] == "bob").count(), 2);
    assert_eq!(preview["unassigned"], 1);
    for p in pairs {
        let propensity = p["propensity"].as_f64().unwrap();
        assert!(propensity > 0.0 && propensity <= 1.0);
        assert!(p["why"].as_str().unwrap().contains("Thompson"));
    }
    let (_, open) = app.call(Method::GET, "/api/v1/orgs/bakery/tasks?status=open", &s.ada, None).await;
    assert_eq!(open.as_array().unwrap().len(), 4, "a preview assigns nothing");
    let (status, applied) =
        call(app, Method::POST, "/api/v1/orgs/bakery/assignment", &s.ada, json!({ "apply": true })).await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    let (_, choices) = app.call(Method::GET, "/api/v1/orgs/bakery/choices", &s.bob, None).await;
    assert_eq!(choices.as_array().unwrap().len(), 3, "{choices}");
    assert!(choices.as_array().unwrap().iter().all(|c| c["propensity_ppm"].as_i64().unwrap() > 0));
    let (_, loads) = app.call(Method::GET, "/api/v1/orgs/bakery/capacity", &s.bob, None).await;
    assert!(loads.as_array().unwrap().iter().all(|l| l["overloaded"] == false), "{loads}");
    // Overload shows: bob takes the last open task on top.
    let (_, open) = app.call(Method::GET, "/api/v1/orgs/bakery/tasks?status=open", &s.ada, None).await;
    let last = open[0]["task"]["id"].as_str().unwrap().to_owned();
    assert_eq!(step(app, &s.bob, &last, json!({ "step": "assign" })).await.0, StatusCode::OK);
    let (_, loads) = app.call(Method::GET, "/api/v1/orgs/bakery/capacity", &s.bob, None).await;
    let bob = loads.as_array().unwrap().iter().find(|l| l["handle"] == "bob").unwrap().clone();
    assert_eq!(bob["overloaded"], true, "{bob}");
    // The stable rule on fresh tasks with stated preferences.
    let (x, y) = (new_task(&s, &s.ada, "Mill").await, new_task(&s, &s.ada, "Sift").await);
    let (_, _) = call(
        app,
        Method::PUT,
        "/api/v1/orgs/bakery/capacity",
        &s.cleo,
        json!({ "hours_per_week": "20", "preferences": [y, x] }),
    )
    .await;
    let (status, stable) =
        call(app, Method::POST, "/api/v1/orgs/bakery/assignment", &s.ada, json!({ "rule": "stable" })).await;
    assert_eq!(status, StatusCode::OK, "{stable}");
    assert_eq!(stable["blocking_pairs"], 0);
    assert!(
        stable["pairs"].as_array().unwrap().iter().any(|p| p["member"] == "cleo" && p["task_id"] == y.as_str()),
        "{stable}"
    );
    check_error(
        call(
            app,
            Method::PUT,
            "/api/v1/orgs/bakery/capacity",
            &s.cleo,
            json!({ "hours_per_week": "5", "preferences": ["no-such-task"] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
}
