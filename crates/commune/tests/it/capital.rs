//! Capital management through the API: a participatory-budgeting round on a passed budget's
//! escrow, from projects to explained result to awards held, paid and voided — and every way
//! around it a hostile member might try.

#![allow(clippy::inconsistent_digit_grouping)] // amounts read as euros_cents

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, who: &Auth, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, path, who, Some(body)).await
}

async fn balance(app: &TestApp, who: &Auth, query: &str) -> i64 {
    let (status, body) = app.call(Method::GET, &format!("/api/v1/wallet{query}"), who, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().and_then(|w| w.first()).map_or(0, |w| w["balance_minor"].as_i64().expect("balance"))
}

/// The bakery (ada stewards it; bob and cleo are members) with a passed 600.00 EUR budget whose
/// escrow holds the money. Returns the app, the three members, an outsider and the budget's id.
pub(crate) async fn funded_budget() -> (TestApp, Auth, Auth, Auth, Auth, String) {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cleo = app.member("cleo").await;
    let dan = app.member("dan").await;
    app.org(&ada, "bakery").await;
    app.admit(&ada, &bob, "bakery").await;
    app.admit(&ada, &cleo, "bakery").await;
    let (status, body) =
        post(&app, "/api/v1/deposits", &root, json!({ "to": "org:bakery", "amount_minor": 1000_00 })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let now = commune_store::now_ms();
    let (status, p) = post(
        &app,
        "/api/v1/orgs/bakery/proposals",
        &ada,
        json!({
            "title": "Neighbourhood budget", "body": "Members choose what we fund.", "domain": "finance",
            "kind": "budget", "method": { "method": "yes_no", "threshold": 0.7 }, "options": [],
            "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN,
            "effect": { "effect": "budget", "total_minor": 600_00, "currency": "EUR" },
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().expect("id").to_owned();
    let (status, p) = post(&app, &format!("/api/v1/proposals/{id}/publish"), &ada, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN + 1_000).await.expect("open");
    for who in [&ada, &bob, &cleo] {
        let ballot = json!({ "kind": "yes_no", "stance": "yes" });
        let (status, b) = post(&app, &format!("/api/v1/proposals/{id}/ballot"), who, ballot).await;
        assert_eq!(status, StatusCode::OK, "{b}");
    }
    for _ in 0..3 {
        commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN + 1_000).await.expect("execute");
    }
    let (_, p) = app.call(Method::GET, &format!("/api/v1/proposals/{id}"), &ada, None).await;
    assert_eq!(p["phase"], "executed", "{p}");
    (app, ada, bob, cleo, dan, id)
}

async fn propose(app: &TestApp, round: &str, who: &Auth, title: &str, cost: &str) -> (StatusCode, Value) {
    post(
        app,
        &format!("/api/v1/rounds/{round}/projects"),
        who,
        json!({ "title": title, "cost": cost, "place": "Main St" }),
    )
    .await
}

#[tokio::test]
async fn a_round_spends_its_escrow_only_through_votes_and_delivered_milestones() {
    let (app, ada, bob, cleo, dan, budget) = funded_budget().await;
    let open = json!({ "budget_id": budget, "title": "Spring round", "ballot": "approval", "max_projects": 2 });
    check_error(post(&app, "/api/v1/orgs/bakery/rounds", &bob, open.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    let bad = json!({ "budget_id": budget, "title": "", "ballot": "ranked", "rule": "fairest" });
    let (status, body) = post(&app, "/api/v1/orgs/bakery/rounds", &ada, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, round) = post(&app, "/api/v1/orgs/bakery/rounds", &ada, open.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{round}");
    let round = round["id"].as_str().expect("id").to_owned();
    check_error(post(&app, "/api/v1/orgs/bakery/rounds", &ada, open).await, StatusCode::CONFLICT, "conflict");

    // Costs are parsed strictly and bounded by the budget; outsiders cannot propose.
    for cost in ["0", "-5", "12.345", "abc", "600.01"] {
        let (status, body) = propose(&app, &round, &bob, "Bad", cost).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{cost}: {body}");
    }
    check_error(propose(&app, &round, &dan, "Mine", "10").await, StatusCode::FORBIDDEN, "forbidden");
    let audit_before = app.audit_len().await;
    let mut projects = Vec::new();
    for (who, title, cost) in
        [(&bob, "Bench", "200"), (&cleo, "Trees", "300"), (&bob, "Mural", "250"), (&ada, "Moon", "500")]
    {
        let (status, p) = propose(&app, &round, who, title, cost).await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        projects.push(p["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(app.audit_len().await, audit_before + 4, "one audited write per project");
    let advance = |who: &Auth| {
        let (app, who, round) = (&app, who.clone(), round.clone());
        async move { post(app, &format!("/api/v1/rounds/{round}/advance"), &who, json!({ "voting_days": 3 })).await }
    };
    check_error(advance(&bob).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(advance(&ada).await.0, StatusCode::OK);
    check_error(propose(&app, &round, &bob, "Late", "10").await, StatusCode::CONFLICT, "rule_violation");
    check_error(advance(&ada).await, StatusCode::CONFLICT, "rule_violation");
    let review = |id: String, feasible: bool| {
        let (app, ada) = (&app, ada.clone());
        async move {
            let body = json!({ "feasible": feasible, "reason": "checked with the city" });
            post(app, &format!("/api/v1/round-projects/{id}/review"), &ada, body).await
        }
    };
    check_error(
        post(
            &app,
            &format!("/api/v1/round-projects/{}/review", projects[0]),
            &bob,
            json!({ "feasible": true, "reason": "mine" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    for (i, id) in projects.iter().enumerate() {
        assert_eq!(review(id.clone(), i != 3).await.0, StatusCode::OK);
    }
    assert_eq!(advance(&ada).await.0, StatusCode::OK, "voting opens");

    // Ballots: limits, only feasible projects, only eligible members.
    let cast = |who: &Auth, picks: Value| {
        let (app, who, round) = (&app, who.clone(), round.clone());
        async move {
            app.call(Method::PUT, &format!("/api/v1/rounds/{round}/ballot"), &who, Some(json!({ "picks": picks })))
                .await
        }
    };
    let (p0, p1, p2, moon) = (&projects[0], &projects[1], &projects[2], &projects[3]);
    check_error(
        cast(&bob, json!([[p0, 1], [p1, 1], [p2, 1]])).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(cast(&bob, json!([[moon, 1]])).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(cast(&bob, json!([[p0, 1], [p0, 1]])).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(cast(&bob, json!([[p0, 2]])).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(cast(&dan, json!([[p0, 1]])).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(cast(&bob, json!([[p0, 1], [p2, 1]])).await.0, StatusCode::NO_CONTENT);
    assert_eq!(cast(&cleo, json!([[p1, 1], [p0, 1]])).await.0, StatusCode::NO_CONTENT);
    assert_eq!(cast(&ada, json!([[p0, 1]])).await.0, StatusCode::NO_CONTENT);
    assert_eq!(cast(&ada, json!([[p0, 1], [p1, 1]])).await.0, StatusCode::NO_CONTENT, "a ballot can be replaced");

    // Close: the rule picks; each winner's cost is held in the escrow for its proposer.
    let bob_before = balance(&app, &bob, "").await;
    let (status, closed) = advance(&ada).await;
    assert_eq!((status, closed["phase"].as_str()), (StatusCode::OK, Some("closed")), "{closed}");
    check_error(cast(&bob, json!([[p0, 1]])).await, StatusCode::CONFLICT, "rule_violation");
    let (_, view) = app.call(Method::GET, &format!("/api/v1/rounds/{round}"), &bob, None).await;
    let result = &view["result"];
    let winners: Vec<&str> =
        result["winners"].as_array().expect("winners").iter().map(|w| w.as_str().unwrap()).collect();
    assert!(winners.contains(&p0.as_str()), "the bench has three votes: {result}");
    let spent = result["spent_minor"].as_i64().expect("spent");
    assert!(spent <= 600_00 && !winners.contains(&moon.as_str()));
    let bench = view["projects"].as_array().unwrap().iter().find(|p| p["id"] == *p0).unwrap().clone();
    assert_eq!(bench["award"], "pending", "{bench}");
    let paid: f64 = result["projects"].as_array().unwrap().iter().find(|p| p["id"] == *p0).unwrap()["paid_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[1].as_f64().unwrap())
        .sum();
    assert!((paid - 200_00.0).abs() < 0.05, "who paid adds up to the cost: {paid}");
    assert!(view["budget_minor"].as_i64().unwrap() == 600_00 - spent, "the awards are held: {view}");
    assert_eq!(balance(&app, &bob, "").await, bob_before, "held, not yet paid");

    // The proposer cannot capture their own award; nobody but the round spends the escrow.
    let hold = bench["transfer_id"].as_str().expect("transfer").to_owned();
    check_error(
        post(&app, &format!("/api/v1/holds/{hold}/capture"), &bob, json!({ "all": true })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    check_error(
        post(&app, &format!("/api/v1/holds/{hold}/capture"), &ada, json!({ "all": true })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let deliver = |who: &Auth, id: &str, done: bool| {
        let (app, who, id) = (&app, who.clone(), id.to_owned());
        async move { post(app, &format!("/api/v1/round-projects/{id}/delivery"), &who, json!({ "done": done })).await }
    };
    check_error(deliver(&bob, p0, true).await, StatusCode::FORBIDDEN, "forbidden");
    check_error(deliver(&ada, moon, true).await, StatusCode::CONFLICT, "rule_violation");
    let (status, done) = deliver(&ada, p0, true).await;
    assert_eq!((status, done["award"].as_str()), (StatusCode::OK, Some("done")), "{done}");
    assert_eq!(balance(&app, &bob, "").await, bob_before + 200_00, "paid on delivery");
    check_error(deliver(&ada, p0, false).await, StatusCode::CONFLICT, "rule_violation");
    for other in winners.iter().filter(|w| **w != p0.as_str()) {
        let (status, failed) = deliver(&ada, other, false).await;
        assert_eq!((status, failed["award"].as_str()), (StatusCode::OK, Some("failed")));
    }
    let (_, view) = app.call(Method::GET, &format!("/api/v1/rounds/{round}"), &ada, None).await;
    assert_eq!(view["budget_minor"], 600_00 - 200_00, "a failed award returns to the escrow");

    // The round exports as a .pb file the offline rule reads back to the same winners.
    let response = app.send(app.request(Method::GET, &format!("/api/v1/rounds/{round}/export.pb"), &ada, None)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let election = commune_domain::capital::pb::parse(std::str::from_utf8(&bytes).expect("utf-8")).expect("a .pb file");
    let outcome = commune_domain::capital::rules::run(
        commune_domain::capital::rules::Rule::EqualShares,
        &election,
        Default::default(),
        &mut |_, _| {},
    )
    .expect("count");
    let mut offline = outcome.ids(&election);
    let mut equal: Vec<String> =
        result["equal_weight_winners"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect();
    offline.sort();
    equal.sort();
    assert_eq!(offline, equal, "the file recounts to the equal-weight outcome");
    let report = commune_app::export::verify_ledger(&app.store, |_| {}).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// Ballots racing the close: every ballot either counts or is refused; none lands after.
#[tokio::test]
async fn ballots_racing_the_close_never_land_in_a_closed_round() {
    let (app, ada, bob, cleo, _dan, budget) = funded_budget().await;
    let app = std::sync::Arc::new(app);
    let open = json!({ "budget_id": budget, "title": "Race", "ballot": "knapsack", "rule": "greedy" });
    let (_, round) = post(&app, "/api/v1/orgs/bakery/rounds", &ada, open).await;
    let round = round["id"].as_str().expect("id").to_owned();
    let (_, p) = propose(&app, &round, &bob, "Oven", "100").await;
    let project = p["id"].as_str().expect("id").to_owned();
    post(&app, &format!("/api/v1/rounds/{round}/advance"), &ada, json!({})).await;
    post(&app, &format!("/api/v1/round-projects/{project}/review"), &ada, json!({ "feasible": true, "reason": "ok" }))
        .await;
    post(&app, &format!("/api/v1/rounds/{round}/advance"), &ada, json!({})).await;
    let mut tasks = Vec::new();
    for who in [bob.clone(), cleo.clone(), ada.clone()] {
        let (app, round, project) = (app.clone(), round.clone(), project.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({ "picks": [[project, 1]] });
            app.call(Method::PUT, &format!("/api/v1/rounds/{round}/ballot"), &who, Some(body)).await.0
        }));
    }
    let closer = {
        let (app, round, ada) = (app.clone(), round.clone(), ada.clone());
        tokio::spawn(async move { post(&app, &format!("/api/v1/rounds/{round}/advance"), &ada, json!({})).await.0 })
    };
    let statuses: Vec<StatusCode> = futures_join(tasks).await;
    assert_eq!(closer.await.expect("close"), StatusCode::OK);
    let accepted = statuses.iter().filter(|s| **s == StatusCode::NO_CONTENT).count() as i64;
    let counted = app.store.pb_ballots(&round).await.expect("ballots").len() as i64;
    assert_eq!(accepted, counted, "every accepted ballot is stored: {statuses:?}");
    let (_, view) = app.call(Method::GET, &format!("/api/v1/rounds/{round}"), &ada, None).await;
    let support = view["result"]["projects"][0]["support"].as_f64().expect("support");
    let counted_at_close = view["ballots_cast"].as_i64().unwrap();
    assert_eq!(counted_at_close, counted);
    assert!(support <= counted as f64 + 1e-9, "no ballot after the count: {view}");
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<StatusCode>>) -> Vec<StatusCode> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

async fn step(app: &TestApp, who: &Auth, id: &str, step: &str, body: Value) -> (StatusCode, Value) {
    post(app, &format!("/api/v1/expenses/{id}/{step}"), who, body).await
}

/// Expenses: budgets with lines and actuals from the ledger; the submitter, the approvers and the
/// payer are three people; the line warning; receipts typed by their bytes; a vote above the
/// threshold; and nothing written by a refusal.
#[tokio::test]
async fn expenses_need_three_people_and_pay_once() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cleo = app.member("cleo").await;
    let dan = app.member("dan").await;
    let eve = app.member("eve").await;
    app.org(&ada, "bakery").await;
    for (who, handle) in [(&bob, "bob"), (&cleo, "cleo"), (&dan, "dan")] {
        app.admit(&ada, who, "bakery").await;
        if handle != "bob" {
            let body = Some(json!({ "role": "steward" }));
            let (status, _) =
                app.call(Method::PUT, &format!("/api/v1/orgs/bakery/members/{handle}/role"), &ada, body).await;
            assert_eq!(status, StatusCode::NO_CONTENT);
        }
    }
    post(&app, "/api/v1/deposits", &root, json!({ "to": "org:bakery", "amount_minor": 100_000 })).await;
    let budget = json!({ "name": "Spring", "starts_on": "2026-01-01", "ends_on": "2026-06-30",
        "lines": [{ "name": "Supplies", "amount": "100" }, { "name": "Repairs", "amount": "300" }] });
    check_error(
        post(&app, "/api/v1/orgs/bakery/budgets", &bob, budget.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let bad = json!({ "name": "X", "starts_on": "2026-13-01", "ends_on": "2026-01-01", "lines": [{ "name": "A", "amount": "0" }] });
    assert_eq!(post(&app, "/api/v1/orgs/bakery/budgets", &ada, bad).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = post(&app, "/api/v1/orgs/bakery/budgets", &ada, budget).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, budgets) = app.call(Method::GET, "/api/v1/orgs/bakery/budgets", &bob, None).await;
    let supplies = budgets[0]["lines"][0]["line"]["id"].as_str().expect("line").to_owned();

    let before = app.audit_len().await;
    for amount in ["0", "-1", "abc", "1.234"] {
        let (status, _) =
            post(&app, "/api/v1/orgs/bakery/expenses", &bob, json!({ "title": "Flour", "amount": amount })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
    }
    let foreign = json!({ "title": "Flour", "amount": "5", "line_id": "nope" });
    assert_eq!(post(&app, "/api/v1/orgs/bakery/expenses", &bob, foreign).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    check_error(
        post(&app, "/api/v1/orgs/bakery/expenses", &eve, json!({ "title": "Mine", "amount": "5" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(app.audit_len().await, before, "refusals write nothing");
    let file = |title: &str, amount: &str| {
        let body = json!({ "title": title, "amount": amount, "line_id": supplies });
        let (app, bob) = (&app, bob.clone());
        async move {
            let (status, e) = post(app, "/api/v1/orgs/bakery/expenses", &bob, body).await;
            assert_eq!(status, StatusCode::CREATED, "{e}");
            e["id"].as_str().expect("id").to_owned()
        }
    };
    let flour = file("Flour", "80").await;

    // Receipts: typed by their bytes, bounded, hashed.
    let upload = |who: &Auth, bytes: Vec<u8>| {
        let request = app.request(Method::POST, &format!("/api/v1/expenses/{flour}/receipts"), who, None);
        let (mut parts, _) = request.into_parts();
        parts.headers.insert(axum::http::header::CONTENT_TYPE, "application/octet-stream".parse().unwrap());
        let request = axum::http::Request::from_parts(parts, axum::body::Body::from(bytes));
        let app = &app;
        async move { app.send(request).await.status() }
    };
    assert_eq!(upload(&bob, b"<svg onload=alert(1)></svg>".to_vec()).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        upload(&bob, [b"%PDF-".to_vec(), vec![0; 2 * 1024 * 1024]].concat()).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(upload(&eve, b"%PDF-1.7".to_vec()).await, StatusCode::FORBIDDEN);
    assert_eq!(upload(&bob, b"%PDF-1.7 receipt".to_vec()).await, StatusCode::CREATED);
    let (_, view) = app.call(Method::GET, &format!("/api/v1/expenses/{flour}"), &bob, None).await;
    assert_eq!(view["receipts"][0]["content_type"], "application/pdf");
    assert_eq!(view["receipts"][0]["sha256"].as_str().map(str::len), Some(64));

    // Submit, two stewards approve (never the submitter, never twice), a third pays.
    check_error(step(&app, &ada, &flour, "submit", json!({})).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(step(&app, &bob, &flour, "submit", json!({})).await.0, StatusCode::OK);
    check_error(step(&app, &bob, &flour, "approve", json!({})).await, StatusCode::FORBIDDEN, "forbidden");
    check_error(step(&app, &ada, &flour, "pay", json!({})).await, StatusCode::CONFLICT, "rule_violation");
    let (status, e) = step(&app, &ada, &flour, "approve", json!({})).await;
    assert_eq!((status, e["status"].as_str()), (StatusCode::OK, Some("pending")), "one of two approvals");
    check_error(step(&app, &ada, &flour, "approve", json!({})).await, StatusCode::CONFLICT, "rule_violation");
    let (_, e) = step(&app, &cleo, &flour, "approve", json!({})).await;
    assert_eq!(e["status"], "approved");
    check_error(step(&app, &ada, &flour, "pay", json!({})).await, StatusCode::FORBIDDEN, "forbidden");
    check_error(step(&app, &bob, &flour, "pay", json!({})).await, StatusCode::FORBIDDEN, "forbidden");
    let bob_before = balance(&app, &bob, "").await;
    let (status, paid) = step(&app, &dan, &flour, "pay", json!({})).await;
    assert_eq!((status, paid["status"].as_str()), (StatusCode::OK, Some("paid")), "{paid}");
    check_error(step(&app, &dan, &flour, "pay", json!({})).await, StatusCode::CONFLICT, "rule_violation");
    assert_eq!(balance(&app, &bob, "").await, bob_before + 80_00, "paid once");
    let (_, budgets) = app.call(Method::GET, "/api/v1/orgs/bakery/budgets", &bob, None).await;
    assert_eq!(budgets[0]["lines"][0]["actual_minor"], 80_00, "actuals from the ledger");
    let (status, csv) = app.call(Method::GET, "/orgs/bakery/budgets.csv", &bob, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.as_str().is_some_and(|c| c.contains("\"Supplies\",100.00,80.00,80.00,EUR")), "{csv}");
    let (status, csv) = app.call(Method::GET, "/orgs/bakery/treasury.csv", &ada, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.as_str().is_some_and(|c| c.starts_with("month,in,funnel,out,balance,currency")), "{csv}");

    // Past the line: approval needs saying so.
    let butter = file("Butter", "50").await;
    step(&app, &bob, &butter, "submit", json!({})).await;
    check_error(step(&app, &ada, &butter, "approve", json!({})).await, StatusCode::CONFLICT, "rule_violation");
    step(&app, &ada, &butter, "approve", json!({ "confirm_over_budget": true })).await;
    let (_, e) = step(&app, &cleo, &butter, "approve", json!({ "confirm_over_budget": true })).await;
    assert_eq!(e["status"], "approved");
    let (_, e) = step(&app, &bob, &butter, "cancel", json!({ "note": "found butter" })).await;
    assert_eq!(e["status"], "cancelled");

    // At or above the threshold (500 by default), a weighted vote decides.
    let now = commune_store::now_ms();
    let oven = {
        let body = json!({ "title": "Oven", "amount": "600" });
        let (_, e) = post(&app, "/api/v1/orgs/bakery/expenses", &bob, body).await;
        e["id"].as_str().expect("id").to_owned()
    };
    step(&app, &bob, &oven, "submit", json!({})).await;
    check_error(step(&app, &ada, &oven, "approve", json!({})).await, StatusCode::CONFLICT, "rule_violation");
    check_error(step(&app, &bob, &oven, "vote", json!({})).await, StatusCode::FORBIDDEN, "forbidden");
    let (status, e) = step(&app, &ada, &oven, "vote", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let proposal = e["proposal_id"].as_str().expect("a vote").to_owned();
    commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN).await.expect("open");
    for who in [&ada, &bob, &cleo, &dan] {
        let ballot = json!({ "kind": "yes_no", "stance": "yes" });
        let (status, b) = post(&app, &format!("/api/v1/proposals/{proposal}/ballot"), who, ballot).await;
        assert_eq!(status, StatusCode::OK, "{b}");
    }
    for _ in 0..3 {
        commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN).await.expect("close");
    }
    let (_, e) = app.call(Method::GET, &format!("/api/v1/expenses/{oven}"), &ada, None).await;
    let (_, p) = app.call(Method::GET, &format!("/api/v1/proposals/{proposal}"), &ada, None).await;
    assert_eq!(e["expense"]["status"], "approved", "{e} {p}");
    let (_, e) = step(&app, &ada, &oven, "pay", json!({})).await;
    assert_eq!(e["status"], "paid", "approved by vote: any steward but the submitter pays");
    check_error(
        app.call(Method::GET, &format!("/api/v1/expenses/{oven}"), &eve, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let report = commune_app::export::verify_ledger(&app.store, |_| {}).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// The pot moves only through passed votes, finished rounds and approved expenses: every other
/// way a member, a steward, the instance steward or a payments token might try is refused, and
/// the pot does not move; an approved expense of the commune is paid from it, once.
#[tokio::test]
async fn the_pot_moves_only_through_votes_rounds_and_approved_expenses() {
    // Leaked for the test's length, so the balance helper can borrow it across awaits.
    let app: &'static TestApp = Box::leak(Box::new(TestApp::set_up().await));
    let root = app.login("root").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cleo = app.member("cleo").await;
    app.org(&ada, "bakery").await;
    let (status, body) = post(app, "/api/v1/orgs/bakery/revenue", &ada, json!({ "amount": "1000.00" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let pot_account = uuid::Uuid::from_u128(commune_domain::ledger::payments::Owner::Pot.wallet(1).id).to_string();
    let pot = |app: &'static TestApp| {
        let (app, root, account) = (app, root.clone(), pot_account.clone());
        async move {
            let (status, a) = app.call(Method::GET, &format!("/api/v1/ledger/accounts/{account}"), &root, None).await;
            assert_eq!(status, StatusCode::OK, "{a}");
            (a["credits_posted"].as_u64().unwrap_or(0) as i64)
                - (a["debits_posted"].as_u64().unwrap_or(0) as i64)
                - (a["debits_pending"].as_u64().unwrap_or(0) as i64)
        }
    };
    let start = pot(app).await;
    assert!(start > 0, "the funnel filled the pot");
    post(app, "/api/v1/deposits", &root, json!({ "to": "ada", "amount_minor": 100 })).await;
    let (_, w) = app.call(Method::GET, "/api/v1/wallet", &ada, None).await;
    let ada_wallet = w[0]["account_id"].as_str().expect("account").to_owned();
    let root_token = app.token(&root, "root", &["payments:read", "payments:write"]).await;
    let bakery_token = app.token(&ada, "bakery", &["payments:read", "payments:write"]).await;
    for (n, who) in [&root, &ada, &bob, &root_token, &bakery_token].into_iter().enumerate() {
        for (m, flags) in [json!([]), json!(["pending"])].into_iter().enumerate() {
            let transfer = json!([{ "id": format!("0190c2a4-5a8e-7000-8000-0000000{n}{m}f00"), "debit_account_id": pot_account,
                "credit_account_id": ada_wallet, "amount": 100, "ledger": 1, "code": 1, "flags": flags }]);
            let (status, body) = post(app, "/api/v1/ledger/transfers", who, transfer).await;
            let refused = status == StatusCode::FORBIDDEN
                || status == StatusCode::UNAUTHORIZED
                || body[0]["result"].as_str().is_some_and(|r| r != "ok");
            assert!(refused, "a raw transfer out of the pot went through: {status} {body}");
        }
        for body in [json!({ "to": "ada", "amount": "1.00", "from_org": "pot" })] {
            let (status, _) = post(app, "/api/v1/payments", who, body.clone()).await;
            assert_ne!(status, StatusCode::CREATED, "{body}");
            let (status, _) = post(app, "/api/v1/holds", who, body.clone()).await;
            assert_ne!(status, StatusCode::CREATED, "{body}");
        }
        let request = json!({ "payer": "pot", "amount": "1.00" });
        let (status, _) = post(app, "/api/v1/payment-requests", who, request).await;
        assert_ne!(status, StatusCode::CREATED);
    }
    assert_eq!(pot(app).await, start, "nothing moved the pot");

    // The commune's own expense, approved by two stewards and paid by a third: from the pot.
    app.admit(&root, &ada, "root").await;
    app.admit(&root, &bob, "root").await;
    app.admit(&root, &cleo, "root").await;
    for handle in ["ada", "bob"] {
        let body = Some(json!({ "role": "steward" }));
        let (status, _) = app.call(Method::PUT, &format!("/api/v1/orgs/root/members/{handle}/role"), &root, body).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (_, e) = post(app, "/api/v1/orgs/root/expenses", &cleo, json!({ "title": "Signs", "amount": "12.00" })).await;
    let id = e["id"].as_str().expect("id").to_owned();
    step(app, &cleo, &id, "submit", json!({})).await;
    step(app, &ada, &id, "approve", json!({})).await;
    step(app, &bob, &id, "approve", json!({})).await;
    let (status, paid) = step(app, &root, &id, "pay", json!({})).await;
    assert_eq!((status, paid["status"].as_str()), (StatusCode::OK, Some("paid")), "{paid}");
    assert_eq!(pot(app).await, start - 12_00, "an approved expense of the commune is paid from the pot");
}

/// A year's patronage: split by the organisation's policies (30% reserve, 10% commune, 20% of
/// each allocation in cash by default), cash paid and the commune's share moved once, the rest
/// credited to capital accounts; declared once per year; the basis must be members.
#[tokio::test]
async fn patronage_splits_a_year_once_into_reserve_cash_capital_and_the_commune() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let eve = app.member("eve").await;
    app.org(&ada, "bakery").await;
    app.admit(&ada, &bob, "bakery").await;
    post(&app, "/api/v1/deposits", &root, json!({ "to": "org:bakery", "amount_minor": 200_000 })).await;
    let declare = |basis: Value| json!({ "year": 2026, "surplus": "1000.00", "basis": basis, "basis_unit": "hours" });
    check_error(
        post(&app, "/api/v1/orgs/bakery/patronage", &bob, declare(json!([["ada", 10]]))).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let before = app.audit_len().await;
    for basis in [json!([]), json!([["eve", 10]]), json!([["ada", 10], ["ada", 5]])] {
        let (status, body) = post(&app, "/api/v1/orgs/bakery/patronage", &ada, declare(basis)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(app.audit_len().await, before);
    let bob_before = balance(&app, &bob, "").await;
    let (status, year) =
        post(&app, "/api/v1/orgs/bakery/patronage", &ada, declare(json!([["ada", 300], ["bob", 100]]))).await;
    assert_eq!(status, StatusCode::CREATED, "{year}");
    assert_eq!((year["reserve_minor"].as_u64(), year["commune_minor"].as_u64()), (Some(300_00), Some(100_00)));
    // Members' 600.00 split 3:1 → bob 150.00: 30.00 cash, 120.00 to his capital account.
    assert_eq!(balance(&app, &bob, "").await, bob_before + 30_00);
    let (_, view) = app.call(Method::GET, "/api/v1/orgs/bakery/patronage", &bob, None).await;
    assert_eq!(view["balance_minor"], 120_00, "{view}");
    check_error(
        post(&app, "/api/v1/orgs/bakery/patronage", &ada, declare(json!([["ada", 300], ["bob", 100]]))).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_eq!(balance(&app, &bob, "").await, bob_before + 30_00, "paid once");
    check_error(
        app.call(Method::GET, "/api/v1/orgs/bakery/patronage", &eve, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Redemption by vote: never more than the account holds; paid when the vote passes.
    let redeem = |amount: &str| json!({ "member": "bob", "amount": amount });
    check_error(
        post(&app, "/api/v1/orgs/bakery/redemptions", &bob, redeem("50.00")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(
        post(&app, "/api/v1/orgs/bakery/redemptions", &ada, redeem("120.01")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let now = commune_store::now_ms();
    let (status, r) = post(&app, "/api/v1/orgs/bakery/redemptions", &ada, redeem("50.00")).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let proposal = r["proposal_id"].as_str().expect("a vote").to_owned();
    commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN).await.expect("open");
    for who in [&ada, &bob] {
        let ballot = json!({ "kind": "yes_no", "stance": "yes" });
        let (status, b) = post(&app, &format!("/api/v1/proposals/{proposal}/ballot"), who, ballot).await;
        assert_eq!(status, StatusCode::OK, "{b}");
    }
    for _ in 0..3 {
        commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN).await.expect("close");
    }
    let (_, view) = app.call(Method::GET, "/api/v1/orgs/bakery/patronage", &bob, None).await;
    assert_eq!(
        (view["balance_minor"].as_i64(), view["redemptions"][0]["status"].as_str()),
        (Some(70_00), Some("paid")),
        "{view}"
    );
    assert_eq!(balance(&app, &bob, "").await, bob_before + 30_00 + 50_00, "redeemed once");
    let report = commune_app::export::verify_ledger(&app.store, |_| {}).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// A funding round: contributions from wallets (never above them), plain QF's match on the
/// budget escrow, paid once at the close; one round per escrow.
#[tokio::test]
async fn funding_rounds_match_broad_support_from_the_escrow_once() {
    let (app, ada, bob, cleo, dan, budget) = funded_budget().await;
    let root = app.login("root").await;
    for who in ["bob", "cleo"] {
        post(&app, "/api/v1/deposits", &root, json!({ "to": who, "amount_minor": 5_000 })).await;
    }
    let open = json!({ "budget_id": budget, "title": "Matching", "rule": "plain", "cap_share": 0.5 });
    check_error(
        post(&app, "/api/v1/orgs/bakery/funding-rounds", &bob, open.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, round) = post(&app, "/api/v1/orgs/bakery/funding-rounds", &ada, open.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{round}");
    let round = round["id"].as_str().expect("id").to_owned();
    check_error(post(&app, "/api/v1/orgs/bakery/funding-rounds", &ada, open).await, StatusCode::CONFLICT, "conflict");
    let pb = json!({ "budget_id": budget, "title": "Also", "ballot": "approval" });
    check_error(post(&app, "/api/v1/orgs/bakery/rounds", &ada, pb).await, StatusCode::CONFLICT, "conflict");
    let project = |title: &str, recipient: &str| {
        let body = json!({ "title": title, "recipient": recipient });
        let (app, ada, round) = (&app, ada.clone(), round.clone());
        async move { post(app, &format!("/api/v1/funding-rounds/{round}/projects"), &ada, body).await }
    };
    assert_eq!(project("Nobody", "nobody-here").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, p0) = project("Oven", "org:bakery").await;
    let (_, p1) = project("Cleo's stall", "cleo").await;
    let (p0, p1) = (p0["id"].as_str().unwrap().to_owned(), p1["id"].as_str().unwrap().to_owned());
    let give = |who: &Auth, project: &str, amount: &str| {
        let body = json!({ "project_id": project, "amount": amount });
        let (app, who, round) = (&app, who.clone(), round.clone());
        async move { post(app, &format!("/api/v1/funding-rounds/{round}/contributions"), &who, body).await }
    };
    let before = app.audit_len().await;
    assert_eq!(give(&bob, &p0, "51.00").await.0, StatusCode::UNPROCESSABLE_ENTITY, "above the wallet");
    check_error(give(&dan, &p0, "1.00").await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(give(&bob, &p0, "0").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, view) = app.call(Method::GET, &format!("/api/v1/funding-rounds/{round}"), &ada, None).await;
    assert_eq!(view["projects"][0]["contributed_minor"], 0, "a refused contribution is not counted: {view}");
    assert!(app.audit_len().await >= before);
    assert_eq!(give(&bob, &p0, "10.00").await.0, StatusCode::NO_CONTENT);
    assert_eq!(give(&cleo, &p0, "10.00").await.0, StatusCode::NO_CONTENT);
    assert_eq!(give(&bob, &p1, "5.00").await.0, StatusCode::NO_CONTENT);
    let (_, view) = app.call(Method::GET, &format!("/api/v1/funding-rounds/{round}"), &bob, None).await;
    // (√1000 + √1000)² − 2000 = 2000: broad support is matched; a lone giver is not.
    assert_eq!(
        (view["projects"][0]["match_minor"].as_u64(), view["projects"][1]["match_minor"].as_u64()),
        (Some(2000), Some(0)),
        "{view}"
    );
    let bakery_before = balance(&app, &ada, "?org=bakery").await;
    check_error(
        post(&app, &format!("/api/v1/funding-rounds/{round}/close"), &bob, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    for _ in 0..2 {
        let (status, closed) = post(&app, &format!("/api/v1/funding-rounds/{round}/close"), &ada, json!({})).await;
        assert_eq!((status, closed["phase"].as_str()), (StatusCode::OK, Some("closed")), "{closed}");
    }
    assert_eq!(balance(&app, &ada, "?org=bakery").await, bakery_before + 20_00, "matched once");
    check_error(give(&bob, &p0, "1.00").await, StatusCode::CONFLICT, "rule_violation");
    let report = commune_app::export::verify_ledger(&app.store, |_| {}).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
