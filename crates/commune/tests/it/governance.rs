//! Governance through the API: proposals of every kind, ballots of every method, delegation,
//! the scheduler's exactly-once steps, dual tallies, exports and recounts.

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use commune_app::scheduler::tick;
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

fn now() -> i64 {
    commune_store::now_ms()
}

/// An organisation `coop` with a steward and `n` more members, returned as sessions.
async fn coop(app: &TestApp, n: usize) -> Vec<Auth> {
    let steward = app.member("steward").await;
    app.org(&steward, "coop").await;
    let mut members = vec![steward.clone()];
    for i in 0..n {
        let m = app.member(&format!("member{i}")).await;
        app.admit(&steward, &m, "coop").await;
        members.push(m);
    }
    members
}

fn proposal(method: Value, options: &[&str], extra: Value) -> Value {
    let mut body = json!({
        "title": "Paint the bakery green", "body": "**Green** is calm.", "domain": "design", "kind": "decision",
        "method": method, "options": options,
        "voting_opens_at": now() + crate::support::OPENS_IN, "voting_closes_at": now() + crate::support::CLOSES_IN,
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

/// Creates and publishes a proposal, then opens voting with the scheduler; returns its id.
async fn open(app: &TestApp, author: &Auth, body: Value) -> String {
    open_in(app, author, "coop", body).await
}

async fn open_in(app: &TestApp, author: &Auth, org: &str, body: Value) -> String {
    let (status, p) = app.call(Method::POST, &format!("/api/v1/orgs/{org}/proposals"), author, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["phase"], "draft");
    let id = p["id"].as_str().expect("id").to_owned();
    let (status, p) = app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), author, None).await;
    assert_eq!((status, p["phase"].as_str()), (StatusCode::OK, Some("discussion")), "{p}");
    assert_eq!(tick(&app.state, now() + crate::support::OPENS_IN + 1_000).await.expect("tick"), 1, "voting opens");
    id
}

async fn vote(app: &TestApp, who: &Auth, id: &str, ballot: Value) -> (StatusCode, Value) {
    app.call(Method::POST, &format!("/api/v1/proposals/{id}/ballot"), who, Some(ballot)).await
}

/// Runs the scheduler past the close: counts, then executes or fails.
async fn close(app: &TestApp, id: &str) -> Value {
    let later = now() + crate::support::CLOSES_IN + HOUR;
    assert!(tick(&app.state, later).await.expect("tick") >= 1);
    tick(&app.state, later).await.expect("tick");
    let (_, p) = app.call(Method::GET, &format!("/api/v1/proposals/{id}"), &app.login("steward").await, None).await;
    assert!(matches!(p["phase"].as_str(), Some("executed" | "failed")), "{p}");
    p
}

#[tokio::test]
async fn a_ranked_vote_from_draft_to_verified_result() {
    let app = TestApp::set_up().await;
    let m = coop(&app, 4).await;
    let id = open(
        &app,
        &m[1],
        proposal(json!({ "method": "ranked", "rule": "schulze" }), &["Green", "Blue", "Red"], json!({})),
    )
    .await;
    let ranked = |r: Value| json!({ "kind": "ranked", "ranking": r });
    for (who, ranking) in [
        (0, json!([[0], [1], [2]])),
        (1, json!([[0], [2], [1]])),
        (2, json!([[1], [0], [2]])),
        (3, json!([[2], [1], [0]])),
    ] {
        let (status, receipt) = vote(&app, &m[who], &id, ranked(ranking)).await;
        assert_eq!(status, StatusCode::OK, "{receipt}");
        assert_eq!(receipt["receipt"].as_str().map(str::len), Some(64));
    }
    // A second ballot replaces the first, never adds.
    let (status, _) = vote(&app, &m[3], &id, ranked(json!([[1], [2]]))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/ballot"), &m[3], None).await;
    assert_eq!(mine["ballot"]["ranking"], json!([[1], [2]]));
    check_error(
        app.call(Method::GET, &format!("/api/v1/proposals/{id}/results"), &m[0], None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    let p = close(&app, &id).await;
    assert_eq!(p["phase"], "executed");
    let (status, results) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/results"), &m[0], None).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    // Green and Blue tie 2:2 (member3 left Green unranked); both beat Red 3:1: co-winners.
    assert_eq!(results["equal"]["tally"]["winners"], json!([0, 1]), "{results}");
    assert_eq!(results["merit"]["tally"]["winners"], results["equal"]["tally"]["winners"]);
    assert_eq!(results["modes_differ"], false);
    assert_eq!(results["receipts"].as_array().map(Vec::len), Some(4));

    // The PrefLib export recounts to the same winners with the offline tool.
    let request = app.request(Method::GET, &format!("/api/v1/proposals/{id}/ballots.toi"), &m[0], None);
    let response = app.send(request).await;
    let text = String::from_utf8(
        http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes().to_vec(),
    )
    .expect("utf8");
    let dir = crate::support::TempDir::new();
    let file = dir.0.join("export.toi");
    std::fs::write(&file, &text).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_commune"))
        .args(["tally", "--method", "schulze"])
        .arg(&file)
        .output()
        .expect("tally");
    let counted: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(counted["winners"], json!([1, 2]), "{text}");

    let (_, export) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/ballots"), &m[0], None).await;
    assert_eq!(export["ballots"].as_array().map(Vec::len), Some(4));
    assert!(export["ballots"][0]["voter"].is_string(), "public ballots name their voters");

    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_commune"))
        .args(["verify", "--database-url", &app.db.url])
        .output()
        .expect("verify");
    let said = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert!(verified.status.success() && said.contains("tallies: OK (1 recounted"), "{said}");

    // Tampering with a stored ballot is caught by its receipt.
    sqlx::query("UPDATE ballots SET ballot = '{\"kind\":\"ranked\",\"ranking\":[[2]]}' WHERE voter_id = (SELECT id FROM members WHERE handle = 'member0')")
        .execute(app.store.pool())
        .await
        .expect("tamper");
    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_commune"))
        .args(["verify", "--database-url", &app.db.url])
        .output()
        .expect("verify");
    let said = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert!(!verified.status.success() && said.contains("MISMATCH"), "{said}");
}

#[tokio::test]
async fn ballots_outside_the_rules_are_refused_and_change_nothing() {
    let app = TestApp::set_up().await;
    let m = coop(&app, 2).await;
    let outsider = app.member("outsider").await;
    let body = proposal(json!({ "method": "quadratic", "credits": 10 }), &["A", "B"], json!({}));
    let (_, draft) = app.call(Method::POST, "/api/v1/orgs/coop/proposals", &m[1], Some(body.clone())).await;
    let draft_id = draft["id"].as_str().expect("id");
    // Voting is not open on a draft; only the author edits it.
    check_error(
        vote(&app, &m[1], draft_id, json!({ "kind": "quadratic", "votes": [1, 1] })).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    // Drafts are invisible to everyone but their author, so others cannot even find them.
    check_error(
        app.call(Method::PUT, &format!("/api/v1/proposals/{draft_id}"), &m[2], Some(body.clone())).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check_error(
        app.call(Method::GET, &format!("/api/v1/proposals/{draft_id}"), &m[2], None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    let id = open(&app, &m[1], body.clone()).await;
    check_error(
        app.call(Method::PUT, &format!("/api/v1/proposals/{id}"), &m[1], Some(body)).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let before = app.audit_len().await;
    check_error(
        vote(&app, &m[0], &id, json!({ "kind": "quadratic", "votes": [3, 2] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        vote(&app, &m[0], &id, json!({ "kind": "single", "option": 0 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        vote(&app, &m[0], &id, json!({ "kind": "quadratic", "votes": [1] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(vote(&app, &m[0], &id, json!({ "nonsense": true })).await, StatusCode::BAD_REQUEST, "invalid_json");
    check_error(
        vote(&app, &outsider, &id, json!({ "kind": "quadratic", "votes": [1, 1] })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let token = app.token(&m[0], "coop", &["proposals:read"]).await;
    check_error(
        vote(&app, &token, &id, json!({ "kind": "quadratic", "votes": [1, 1] })).await,
        StatusCode::FORBIDDEN,
        "members_only",
    );
    // Joining after voting opened does not make someone eligible.
    let late = app.member("late").await;
    app.admit(&m[0], &late, "coop").await;
    let after_admission = app.audit_len().await;
    check_error(
        vote(&app, &late, &id, json!({ "kind": "quadratic", "votes": [1, 1] })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(app.audit_len().await, after_admission, "no refused ballot was recorded");
    assert!(after_admission > before);
    let (status, _) = vote(&app, &m[0], &id, json!({ "kind": "quadratic", "votes": [3, 1] })).await;
    assert_eq!(status, StatusCode::OK, "9 + 1 = 10 credits");

    close(&app, &id).await;
    check_error(
        vote(&app, &m[0], &id, json!({ "kind": "quadratic", "votes": [1, 1] })).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let (status, results) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/results"), &token, None).await;
    assert_eq!(
        (status, results["equal"]["tally"]["scores"].clone()),
        (StatusCode::OK, json!([3.0, 1.0])),
        "tokens with proposals:read read results"
    );
}

#[tokio::test]
async fn delegation_flows_to_voters_and_direct_votes_override() {
    let app = TestApp::set_up().await;
    let m = coop(&app, 4).await;
    let outsider = app.member("outsider").await;
    let _ = outsider;
    check_error(
        app.call(Method::POST, "/api/v1/orgs/coop/delegations", &m[1], Some(json!({ "delegate": "member0" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        app.call(Method::POST, "/api/v1/orgs/coop/delegations", &m[1], Some(json!({ "delegate": "outsider" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    // member0 → member1 (design), member2 → member0 (global): a chain, member3 → member1 too.
    for (who, to, domain) in [(1, "member1", "design"), (3, "member0", ""), (4, "member1", "")] {
        let (status, d) = app
            .call(
                Method::POST,
                "/api/v1/orgs/coop/delegations",
                &m[who],
                Some(json!({ "delegate": to, "domain": domain })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
    }
    let (_, all) = app.call(Method::GET, "/api/v1/orgs/coop/delegations", &m[0], None).await;
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    let yes_no = json!({ "method": "yes_no", "threshold": 0.5 });
    let id = open(&app, &m[1], proposal(yes_no, &[], json!({}))).await;
    // member1 (m[2]) votes yes and receives member0's, member2's (via member0) and member3's weight;
    // member3 (m[4]) votes directly too, overriding their delegation.
    vote(&app, &m[2], &id, json!({ "kind": "yes_no", "stance": "yes" })).await;
    vote(&app, &m[4], &id, json!({ "kind": "yes_no", "stance": "no" })).await;
    let (_, receipt) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/ballot"), &m[4], None).await;
    assert_eq!(receipt["delegation_overridden"], "member1", "the receipt shows the overridden delegation");
    close(&app, &id).await;
    let (_, results) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/results"), &m[0], None).await;
    let tally = &results["equal"]["tally"];
    assert_eq!(tally["scores"], json!([3.0, 1.0, 0.0]), "{results}");
    assert_eq!(results["equal"]["received"].as_array().map(Vec::len), Some(1));
    assert_eq!(results["equal"]["received"][0][1], 2_000_000, "two votes, in micro-votes");
    assert_eq!(tally["participation"], 0.8, "the steward neither voted nor delegated");
}

#[tokio::test]
async fn policy_and_admission_proposals_execute_when_they_pass() {
    let app = TestApp::set_up().await;
    let m = coop(&app, 2).await;
    let newcomer = app.member("newcomer").await;
    let _ = newcomer;
    let yes_no = json!({ "method": "yes_no", "threshold": 0.5 });
    check_error(
        app.call(
            Method::POST,
            "/api/v1/orgs/coop/proposals",
            &m[1],
            Some(proposal(
                yes_no.clone(),
                &[],
                json!({ "kind": "policy", "effect": { "effect": "set_policy", "key": "funnel_rate", "value": 1.5 } }),
            )),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    // λ belongs to the whole commune: a business cannot change it, the commune can, under the
    // constitution's own floors (two-thirds support among them).
    let lambda = json!({ "kind": "policy", "weighting": "merit", "effect": { "effect": "set_policy", "key": "merit_lambda", "value": 0.3 } });
    check_error(
        app.call(
            Method::POST,
            "/api/v1/orgs/coop/proposals",
            &m[1],
            Some(proposal(json!({ "method": "yes_no", "threshold": 0.7 }), &[], lambda.clone())),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let root = app.login("root").await;
    for (i, who) in m.iter().enumerate() {
        let (status, body) = app.call(Method::POST, "/api/v1/orgs/root/join-requests", who, Some(json!({}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let rid = body["id"].as_str().expect("request").to_owned();
        let (status, _) =
            app.call(Method::POST, &format!("/api/v1/orgs/root/join-requests/{rid}/admit"), &root, None).await;
        assert_eq!(status, StatusCode::OK, "member {i} joins the commune");
    }
    let policy = proposal(json!({ "method": "yes_no", "threshold": 0.7 }), &[], lambda);
    let id = open_in(&app, &m[1], "root", policy).await;
    let (_, p) = app.call(Method::GET, &format!("/api/v1/proposals/{id}"), &m[1], None).await;
    assert_eq!(p["constitutional"], true);
    for who in &m[..3] {
        vote(&app, who, &id, json!({ "kind": "yes_no", "stance": "yes" })).await;
    }
    let p = close(&app, &id).await;
    assert_eq!(p["outcome"], "Merit share of each vote weight (λ) is now 30%");
    let (_, results) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/results"), &m[0], None).await;
    assert_eq!(results["primary_mode"], "equal", "constitutional changes count equally");
    let lambda: String = sqlx::query_scalar("SELECT value FROM policies WHERE key = 'merit_lambda'")
        .fetch_one(app.store.pool())
        .await
        .expect("policy");
    assert_eq!(lambda, "0.3");

    let newcomer_id: String = sqlx::query_scalar("SELECT id FROM members WHERE handle = 'newcomer'")
        .fetch_one(app.store.pool())
        .await
        .expect("id");
    let admission = proposal(
        yes_no,
        &[],
        json!({ "kind": "admission", "effect": { "effect": "admit", "member_id": newcomer_id } }),
    );
    let id = open(&app, &m[1], admission).await;
    for who in &m {
        vote(&app, who, &id, json!({ "kind": "yes_no", "stance": "yes" })).await;
    }
    let p = close(&app, &id).await;
    assert_eq!(p["outcome"], "admitted");
    let (_, members) = app.call(Method::GET, "/api/v1/orgs/coop/members", &m[0], None).await;
    assert!(members.as_array().expect("list").iter().any(|x| x["handle"] == "newcomer"));
}

#[tokio::test]
async fn each_step_happens_exactly_once_across_servers_and_restarts() {
    let app = TestApp::set_up().await;
    let m = coop(&app, 2).await;
    let id =
        open(&app, &m[1], proposal(json!({ "method": "single_choice" }), &["A", "B"], json!({ "secret": true }))).await;
    for who in &m {
        vote(&app, who, &id, json!({ "kind": "single", "option": 1 })).await;
    }
    // Two servers on the same database (a second process, or the first after a restart) both
    // find the proposal due and race to close it.
    let second = commune_server::AppState::new(
        commune_store::Store::connect(&app.db.url).await.expect("connect"),
        commune_server::Config::default(),
    );
    let later = now() + crate::support::CLOSES_IN + HOUR;
    let (a, b) = tokio::join!(tick(&app.state, later), tick(&second, later));
    let (a, b) = (a.expect("tick"), b.expect("tick"));
    assert!(a + b >= 1);
    for _ in 0..3 {
        tick(&second, later).await.expect("tick");
        tick(&app.state, later).await.expect("tick");
    }
    let closes: i64 = sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'proposal.advance' AND subject = '{id}' AND payload LIKE '%\"to\":\"closed\"%'"))
        .fetch_one(app.store.pool())
        .await
        .expect("count");
    let finishes: i64 = sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'proposal.advance' AND subject = '{id}' AND payload LIKE '%\"to\":\"executed\"%'"))
        .fetch_one(app.store.pool())
        .await
        .expect("count");
    let tallies: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM tallies")
        .fetch_one(app.store.pool())
        .await
        .expect("count");
    assert_eq!((closes, finishes, tallies), (1, 1, 1));
    // Secret: the export names nobody, the audit log holds receipts, not ballots.
    let (_, export) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/ballots"), &m[0], None).await;
    assert!(export["ballots"][0].get("voter").is_none(), "{export}");
    let cast: String = sqlx::query_scalar("SELECT payload FROM audit_log WHERE action = 'ballot.cast'")
        .fetch_one(app.store.pool())
        .await
        .expect("payload");
    assert!(!cast.contains("option"), "{cast}");
}

#[tokio::test]
async fn concurrent_ballots_are_group_committed_and_each_acknowledged() {
    let app = TestApp::set_up().await;
    let m = coop(&app, 24).await;
    let id = open(&app, &m[1], proposal(json!({ "method": "approval" }), &["A", "B", "C"], json!({}))).await;
    let mut handles = Vec::new();
    for (i, who) in m.iter().enumerate() {
        for round in 0..2 {
            let request = app.request(
                Method::POST,
                &format!("/api/v1/proposals/{id}/ballot"),
                who,
                Some(json!({ "kind": "approval", "options": [(i + round) % 3] })),
            );
            let router = app.router.clone();
            handles.push(tokio::spawn(async move {
                tower::ServiceExt::oneshot(router, request).await.expect("response").status()
            }));
        }
    }
    for h in handles {
        assert_eq!(h.await.expect("join"), StatusCode::OK);
    }
    let ballots: i64 =
        sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM ballots WHERE proposal_id = '{id}'"))
            .fetch_one(app.store.pool())
            .await
            .expect("count");
    assert_eq!(ballots, m.len() as i64, "one ballot per voter: a second replaces the first");
    let casts: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'ballot.cast'")
        .fetch_one(app.store.pool())
        .await
        .expect("count");
    assert_eq!(casts, 2 * m.len() as i64, "every acknowledged cast is audited");
    close(&app, &id).await;
    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_commune"))
        .args(["verify", "--database-url", &app.db.url])
        .output()
        .expect("verify");
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stdout));
}
