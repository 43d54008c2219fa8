//! The outside review's attacks, each reproduced through the public surface and shown refused:
//! governance capture by one member, misread amounts, payment requests racing their cancellation,
//! tallies that depended on summation order, secret ballots that named voters, executions that
//! claimed success, hostile `next=` targets, lock-outs, slow clients, and more.

use crate::support::{Auth, CLOSES_IN, OPENS_IN, PASSWORD, TestApp, check_error};
use axum::http::{Method, StatusCode, header};
use commune_app::scheduler::tick;
use serde_json::{Value, json};

fn now() -> i64 {
    commune_store::now_ms()
}

/// The commune `root` with `n` plain members besides its steward, plus a business `works` whose
/// members are the same people (its steward is `m0`).
async fn commune(app: &TestApp, n: usize) -> Vec<(String, Auth)> {
    let root = app.login("root").await;
    let mut people = Vec::new();
    for i in 0..n {
        let handle = format!("mem{i}");
        let auth = app.member(&handle).await;
        let (_, r) = app.call(Method::POST, "/api/v1/orgs/root/join-requests", &auth, Some(json!({}))).await;
        let rid = r["id"].as_str().expect("request").to_owned();
        let (status, _) =
            app.call(Method::POST, &format!("/api/v1/orgs/root/join-requests/{rid}/admit"), &root, None).await;
        assert_eq!(status, StatusCode::OK);
        people.push((handle, auth));
    }
    app.org(&people[0].1, "works").await;
    for (_, auth) in &people[1..] {
        app.admit(&people[0].1, auth, "works").await;
    }
    people
}

/// A capture attempt as the review made it: quorum 0, support 0, a one-second vote, at once.
fn reckless(kind: &str, effect: Value, options: &[&str], method: Value) -> Value {
    json!({ "title": "Decided by me alone", "kind": kind, "method": method, "options": options,
        "quorum": 0.0, "voting_opens_at": now() + 100, "voting_closes_at": now() + 1_100, "effect": effect })
}

/// The same proposal with parameters at its floors, so it is published and voted on.
fn careful(kind: &str, effect: Value, options: &[&str], method: Value) -> Value {
    json!({ "title": "Decided by me alone", "kind": kind, "method": method, "options": options,
        "voting_opens_at": now() + OPENS_IN, "voting_closes_at": now() + CLOSES_IN, "effect": effect })
}

/// The attacker votes alone on a proposal at its floors; it must fail. Returns the proposal.
async fn alone(app: &TestApp, attacker: &Auth, org: &str, body: Value, ballot: Value) -> Value {
    let (status, p) = app.call(Method::POST, &format!("/api/v1/orgs/{org}/proposals"), attacker, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().expect("id").to_owned();
    let (status, p) = app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), attacker, None).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    tick(&app.state, now() + OPENS_IN + 1_000).await.expect("open");
    let (status, r) = app.call(Method::POST, &format!("/api/v1/proposals/{id}/ballot"), attacker, Some(ballot)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    for _ in 0..2 {
        tick(&app.state, now() + CLOSES_IN + 1_000).await.expect("close and finish");
    }
    let (_, p) = app.call(Method::GET, &format!("/api/v1/proposals/{id}"), attacker, None).await;
    assert_eq!(p["phase"], "failed", "one member alone decides nothing: {p}");
    p
}

#[tokio::test]
async fn one_member_alone_captures_nothing() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 5).await;
    let (handle, attacker) = (&people[2].0, &people[2].1);
    let yes = json!({ "kind": "yes_no", "stance": "yes" });
    let yes_no = json!({ "method": "yes_no", "threshold": 0.0 });
    let motion = json!({ "method": "yes_no", "threshold": 0.7 });
    let audit = app.audit_len().await;

    // 1. Electing herself steward of the commune.
    let elect = json!({ "effect": "elect", "role": "steward", "seats": 1 });
    let candidates = [handle.as_str(), "mem3"];
    let refused = app
        .call(
            Method::POST,
            "/api/v1/orgs/root/proposals",
            attacker,
            Some(reckless("election", elect.clone(), &candidates, json!({ "method": "approval" }))),
        )
        .await;
    check_error(refused.clone(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let fields: Vec<&str> =
        refused.1["error"]["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(
        fields.contains(&"quorum") && fields.contains(&"voting_closes_at") && fields.contains(&"voting_opens_at"),
        "{fields:?}"
    );
    let p = alone(
        &app,
        attacker,
        "root",
        careful("election", elect, &candidates, json!({ "method": "approval" })),
        json!({ "kind": "approval", "options": [0] }),
    )
    .await;
    assert!(p["self_interest"].as_str().is_some_and(|s| s.contains("elect its author")), "{p}");
    check_error(
        app.call(Method::GET, "/api/v1/admin/overview", attacker, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // 2. Changing the commune's funnel rate.
    let funnel = json!({ "effect": "set_policy", "key": "funnel_rate", "value": 0.0 });
    check_error(
        app.call(
            Method::POST,
            "/api/v1/orgs/root/proposals",
            attacker,
            Some(reckless("policy", funnel.clone(), &[], yes_no.clone())),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    alone(&app, attacker, "root", careful("policy", funnel, &[], motion.clone()), yes.clone()).await;
    let funnel_rate: Option<String> = sqlx::query_scalar("SELECT value FROM policies WHERE key = 'funnel_rate'")
        .fetch_optional(app.store.pool())
        .await
        .expect("policy");
    assert_eq!(funnel_rate, None, "the funnel rate never changed");

    // 3. Admitting an outsider.
    let _outsider = app.member("outsider").await;
    let outsider_id: String = sqlx::query_scalar("SELECT id FROM members WHERE handle = 'outsider'")
        .fetch_one(app.store.pool())
        .await
        .expect("id");
    let admit = json!({ "effect": "admit", "member_id": outsider_id });
    check_error(
        app.call(
            Method::POST,
            "/api/v1/orgs/root/proposals",
            attacker,
            Some(reckless("admission", admit.clone(), &[], yes_no.clone())),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    alone(&app, attacker, "root", careful("admission", admit, &[], motion.clone()), yes.clone()).await;
    let (_, members) = app.call(Method::GET, "/api/v1/orgs/root/members", attacker, None).await;
    assert!(!members.as_array().expect("list").iter().any(|m| m["handle"] == "outsider"));

    // 4. Allocating a business's money to himself.
    let root = app.login("root").await;
    let (status, _) = app
        .call(Method::POST, "/api/v1/deposits", &root, Some(json!({ "to": "org:works", "amount": "1000.00" })))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let pay_me = json!({ "effect": "allocate", "amount_minor": 50_000, "currency": "EUR", "recipient": handle });
    check_error(
        app.call(
            Method::POST,
            "/api/v1/orgs/works/proposals",
            attacker,
            Some(reckless("allocation", pay_me.clone(), &[], yes_no)),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let p = alone(&app, attacker, "works", careful("allocation", pay_me, &[], motion), yes).await;
    assert_eq!(p["self_interest"], "it pays its author");
    let (_, wallet) = app.call(Method::GET, "/api/v1/wallet", attacker, None).await;
    assert!(wallet.as_array().is_none_or(|w| w.iter().all(|w| w["balance_minor"] == 0)), "{wallet}");
    assert!(app.audit_len().await > audit);
}

#[tokio::test]
async fn the_proposal_form_refuses_parameters_below_the_floors() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 3).await;
    let mut browser = crate::web::Browser::new(&app);
    browser.log_in(&people[1].0).await;
    let fields = [
        ("title", "Raise the funnel"),
        ("kind", "policy"),
        ("method", "yes_no"),
        ("threshold", "0"),
        ("quorum", "0"),
        ("policy_key", "funnel_rate"),
        ("policy_value", "0.5"),
        ("opens", "2099-01-01T00:00"),
        ("closes", "2099-01-01T00:01"),
    ];
    let audit = app.audit_len().await;
    let page = browser.submit("/orgs/root/proposals/new", "/orgs/root/proposals/new", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.html.contains("stays open at least 3 days") && page.html.contains("quorum of at least 30%"),
        "{}",
        page.html
    );
    assert_eq!(app.audit_len().await, audit, "nothing was written");
}

/// Random proposal parameters, through the API: none below a floor ever opens.
#[tokio::test]
async fn no_proposal_below_a_floor_ever_opens() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 3).await;
    let author = &people[1].1;
    let mut rng = commune_domain::seeded::SplitMix64(20261129);
    let hour = 3_600_000;
    let base = now();
    let mut published = 0;
    for i in 0..40 {
        let opens = base + (rng.below(200) as i64) * hour + 60_000;
        let closes = opens + (rng.below(200) as i64 + 1) * hour;
        let quorum = rng.below(60) as f64 / 100.0;
        let threshold = rng.below(90) as f64 / 100.0;
        let kind = ["decision", "policy"][rng.below(2) as usize];
        let effect = if kind == "policy" {
            json!({ "effect": "set_policy", "key": "default_quorum", "value": 0.3 })
        } else {
            json!({ "effect": "none" })
        };
        let body = json!({ "title": format!("Random proposal {i}"), "kind": kind, "method": { "method": "yes_no", "threshold": threshold },
            "quorum": quorum, "voting_opens_at": opens, "voting_closes_at": closes, "effect": effect });
        let (status, p) = app.call(Method::POST, "/api/v1/orgs/works/proposals", author, Some(body)).await;
        if status != StatusCode::CREATED {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
            continue;
        }
        let id = p["id"].as_str().expect("id");
        let (status, _) = app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), author, None).await;
        published += usize::from(status == StatusCode::OK);
    }
    assert!(published > 0, "some random proposals meet the floors");
    tick(&app.state, base + 500 * hour).await.expect("open everything due");
    let opened: Vec<(String, String, String, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT kind, quorum, method, voting_opens_at, voting_closes_at, published_at FROM proposals WHERE phase IN ('voting', 'closed', 'executed', 'failed')",
    )
    .fetch_all(app.store.pool())
    .await
    .expect("proposals");
    for (kind, quorum, method, opens, closes, published_at) in opened {
        let floors = commune_domain::governance::floors::of(
            commune_domain::governance::proposal::Kind::parse(&kind).expect("kind"),
            &commune_domain::governance::proposal::Effect::None,
            commune_domain::governance::proposal::policy_default,
        );
        let method: Value = serde_json::from_str(&method).expect("method");
        let threshold = method["threshold"].as_f64().expect("yes/no");
        let quorum: f64 = quorum.parse().expect("quorum");
        assert!(closes - opens >= floors.voting_ms && opens - published_at.expect("published") >= floors.discussion_ms);
        assert!(commune_domain::governance::weight::ppm(quorum) >= floors.quorum_ppm);
        assert!(commune_domain::governance::weight::ppm(threshold) >= floors.support_ppm);
    }
}

#[tokio::test]
async fn amounts_have_one_strict_grammar() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let ada = app.member("ada").await;
    let _bruno = app.member("bruno").await;
    let (status, _) =
        app.call(Method::POST, "/api/v1/deposits", &root, Some(json!({ "to": "ada", "amount": "100" }))).await;
    assert_eq!(status, StatusCode::CREATED);
    for (typed, minor) in [("1,00", 100), ("1,5", 150), ("2.25", 225), (" 3 ", 300)] {
        let (status, r) =
            app.call(Method::POST, "/api/v1/payments", &ada, Some(json!({ "to": "bruno", "amount": typed }))).await;
        assert_eq!((status, r["amount_minor"].as_u64()), (StatusCode::CREATED, Some(minor)), "{typed}: {r}");
    }
    let audit = app.audit_len().await;
    for endpoint in ["/api/v1/payments", "/api/v1/payment-requests", "/api/v1/holds"] {
        for typed in ["1,000.50", "1_000", ",1", "_1", "1.", "-1", "+1", "1.234", "1 000", "1e3", "0,00"] {
            let body = json!({ "to": "bruno", "payer": "bruno", "amount": typed });
            let (status, r) = app.call(Method::POST, endpoint, &ada, Some(body)).await;
            assert!(
                status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
                "{endpoint} {typed}: {r}"
            );
            let message = r["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("12,50") || message.contains("more than zero") || message.contains("decimal"),
                "{typed}: {message}"
            );
        }
    }
    assert_eq!(app.audit_len().await, audit, "no refused amount moved or wrote anything");
}

/// Paying a request while its payee cancels it (or its payer declines it): `paid` holds exactly
/// when the transfer exists, in every interleaving, and `commune verify` agrees.
#[tokio::test]
async fn paying_races_cancelling_and_declining_and_paid_means_the_money_moved() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let payer = app.member("payer").await;
    let payee = app.member("payee").await;
    let (status, _) =
        app.call(Method::POST, "/api/v1/deposits", &root, Some(json!({ "to": "payer", "amount": "10000" }))).await;
    assert_eq!(status, StatusCode::CREATED);
    for trial in 0..10 {
        let mut ids = Vec::new();
        for _ in 0..20 {
            let (status, r) = app
                .call(
                    Method::POST,
                    "/api/v1/payment-requests",
                    &payee,
                    Some(json!({ "payer": "payer", "amount": "1.00" })),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{r}");
            ids.push(r["id"].as_str().expect("id").to_owned());
        }
        let mut handles = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let (closer, verb) = if (i + trial) % 2 == 0 { (&payee, "cancel") } else { (&payer, "decline") };
            for (who, path) in [
                (&payer, format!("/api/v1/payment-requests/{id}/pay")),
                (closer, format!("/api/v1/payment-requests/{id}/{verb}")),
            ] {
                let request = app.request(Method::POST, &path, who, None);
                let router = app.router.clone();
                handles.push(tokio::spawn(async move {
                    tower::ServiceExt::oneshot(router, request).await.map(|r| r.status())
                }));
            }
        }
        for h in handles {
            let status = h.await.expect("join").expect("response");
            assert!(status.is_success() || status == StatusCode::CONFLICT, "{status}");
        }
        for id in &ids {
            let (status, transfer_id): (String, Option<Vec<u8>>) =
                sqlx::query_as("SELECT status, transfer_id FROM payment_requests WHERE id = $1")
                    .bind(id)
                    .fetch_one(app.store.pool())
                    .await
                    .expect("request");
            let derived = commune_domain::ledger::payments::derive_id(&["payment-request", id]);
            let moved = app.store.ledger_transfer(derived).await.expect("lookup").is_some();
            assert_eq!(status == "paid", moved, "request {id} is {status}; transfer exists: {moved}");
            assert_eq!(transfer_id.is_some(), moved);
        }
        let verified = std::process::Command::new(env!("CARGO_BIN_EXE_commune"))
            .args(["verify", "--database-url", &app.db.url])
            .output()
            .expect("verify");
        assert!(verified.status.success(), "trial {trial}: {}", String::from_utf8_lossy(&verified.stdout));
    }
}

/// A database with delegation chains and (old, stored) cycles: `commune verify` gives one verdict,
/// every time.
#[tokio::test]
async fn verify_gives_one_verdict_on_delegation_cycles_and_chains() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 9).await;
    let auths: Vec<&Auth> = people.iter().map(|(_, a)| a).collect();
    for (from, to) in [(1, 2), (2, 3), (4, 3)] {
        let (status, d) = app
            .call(
                Method::POST,
                "/api/v1/orgs/works/delegations",
                auths[from],
                Some(json!({ "delegate": format!("mem{to}") })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
    }
    // A cycle written before cycles were refused (the API refuses it now, see below).
    for (from, to) in [(5, 6), (6, 7), (7, 5)] {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM members WHERE handle IN ($1, $2) ORDER BY handle")
            .bind(format!("mem{from}"))
            .bind(format!("mem{to}"))
            .fetch_all(app.store.pool())
            .await
            .expect("ids");
        let (a, b) = if format!("mem{from}") < format!("mem{to}") { (&ids[0], &ids[1]) } else { (&ids[1], &ids[0]) };
        let org: String = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = 'works'")
            .fetch_one(app.store.pool())
            .await
            .expect("org");
        sqlx::query("INSERT INTO delegations (id, org_id, delegator_id, delegate_id, domain, created_at) VALUES ($1, $2, $3, $4, '', 0)")
            .bind(commune_store::new_id())
            .bind(org)
            .bind(a)
            .bind(b)
            .execute(app.store.pool())
            .await
            .expect("insert");
    }
    let body = json!({ "title": "Merit by a hair", "kind": "decision", "weighting": "merit", "method": { "method": "yes_no", "threshold": 0.5 },
        "voting_opens_at": now() + OPENS_IN, "voting_closes_at": now() + CLOSES_IN });
    let (_, p) = app.call(Method::POST, "/api/v1/orgs/works/proposals", auths[0], Some(body)).await;
    let id = p["id"].as_str().expect("id").to_owned();
    app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), auths[0], None).await;
    tick(&app.state, now() + OPENS_IN + 1_000).await.expect("open");
    for (i, who) in auths.iter().enumerate() {
        if [0, 3, 8].contains(&i) {
            let stance = if i == 3 { "no" } else { "yes" };
            app.call(
                Method::POST,
                &format!("/api/v1/proposals/{id}/ballot"),
                who,
                Some(json!({ "kind": "yes_no", "stance": stance })),
            )
            .await;
        }
    }
    for _ in 0..2 {
        tick(&app.state, now() + CLOSES_IN + 1_000).await.expect("close");
    }
    let mut verdicts = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_commune"))
            .args(["verify", "--database-url", &app.db.url])
            .output()
            .expect("verify");
        let said = String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("tallies")).collect::<String>();
        verdicts.insert((out.status.success(), said));
    }
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    assert!(verdicts.iter().all(|(ok, _)| *ok), "{verdicts:?}");
}

#[tokio::test]
async fn delegation_cycles_are_refused_also_when_made_at_once() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 6).await;
    let auth = |i: usize| &people[i].1;
    let delegate = |who: usize, to: usize, domain: &'static str| {
        let body = json!({ "delegate": format!("mem{to}"), "domain": domain });
        app.call(Method::POST, "/api/v1/orgs/works/delegations", auth(who), Some(body))
    };
    let audit_before = app.audit_len().await;
    assert_eq!(delegate(1, 2, "").await.0, StatusCode::CREATED);
    let two = delegate(2, 1, "").await;
    check_error(two.clone(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(two.1["error"]["message"].as_str().is_some_and(|m| m.contains("@mem2 → @mem1 → @mem2")), "{}", two.1);
    assert_eq!(delegate(3, 1, "").await.0, StatusCode::CREATED);
    check_error(delegate(2, 3, "").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    // Per domain: a finance loop is refused; the same people may delegate in other domains.
    assert_eq!(delegate(4, 5, "finance").await.0, StatusCode::CREATED);
    check_error(delegate(5, 4, "finance").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(delegate(5, 4, "").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(delegate(5, 4, "ecology").await.0, StatusCode::CREATED, "no loop in ecology");
    assert_eq!(app.audit_len().await, audit_before + 4, "refusals write nothing");
    // Two delegations made at once that would close a cycle together: exactly one is kept.
    for round in 0..5 {
        let domain = ["design", "energy", "food", "education", "logistics"][round];
        let (a, b) = tokio::join!(delegate(0, 1, domain), delegate(1, 0, domain));
        let kept = [a.0, b.0].iter().filter(|s| **s == StatusCode::CREATED).count();
        assert_eq!(kept, 1, "{domain}: {a:?} {b:?}");
    }
}

#[tokio::test]
async fn secret_ballots_tie_nobody_to_a_choice() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 5).await;
    let auths: Vec<&Auth> = people.iter().map(|(_, a)| a).collect();
    app.call(Method::POST, "/api/v1/orgs/works/delegations", auths[4], Some(json!({ "delegate": "mem1" }))).await;
    app.call(Method::POST, "/api/v1/orgs/works/delegations", auths[3], Some(json!({ "delegate": "mem2" }))).await;
    let body = json!({ "title": "Rename the works", "kind": "decision", "secret": true, "method": { "method": "single_choice" },
        "options": ["Forge", "Mill"], "voting_opens_at": now() + OPENS_IN, "voting_closes_at": now() + CLOSES_IN });
    let (_, p) = app.call(Method::POST, "/api/v1/orgs/works/proposals", auths[0], Some(body)).await;
    let id = p["id"].as_str().expect("id").to_owned();
    app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), auths[0], None).await;
    tick(&app.state, now() + OPENS_IN + 1_000).await.expect("open");
    for (i, who) in auths.iter().enumerate().take(3) {
        let ballot = json!({ "kind": "single", "option": i % 2 });
        let (status, _) = app.call(Method::POST, &format!("/api/v1/proposals/{id}/ballot"), who, Some(ballot)).await;
        assert_eq!(status, StatusCode::OK);
    }
    for _ in 0..2 {
        tick(&app.state, now() + CLOSES_IN + 1_000).await.expect("close");
    }
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM members").fetch_all(app.store.pool()).await.expect("ids");
    let handles: Vec<String> = people.iter().map(|(h, _)| format!("\"{h}\"")).collect();
    let root = app.login("root").await;
    let steward = auths[0];
    for (who, auth) in [("steward", steward), ("member", auths[2]), ("instance steward", &root)] {
        for path in [format!("/api/v1/proposals/{id}/results"), format!("/api/v1/proposals/{id}/ballots")] {
            let (status, body) = app.call(Method::GET, &path, auth, None).await;
            if !status.is_success() {
                assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}");
                continue;
            }
            let text = body.to_string();
            for member in ids.iter().map(String::as_str).chain(handles.iter().map(String::as_str)) {
                assert!(!text.contains(member), "{who} reads a member at {path}: {text}");
            }
        }
        // The audit log (the admin overview shows its newest entries): nobody cast these ballots,
        // and the tally keeps aggregates only.
        let (status, overview) = app.call(Method::GET, "/api/v1/admin/overview", auth, None).await;
        if status.is_success() {
            for entry in overview["recent_audit"].as_array().expect("entries") {
                if entry["action"] == "ballot.cast" {
                    assert_eq!(entry["actor"], "secret-ballot", "{entry}");
                }
                if entry["action"] == "proposal.tally" {
                    let payload: Value =
                        serde_json::from_str(entry["payload"].as_str().expect("payload")).expect("json");
                    for mode in ["equal", "merit"] {
                        let tally: Value = serde_json::from_str(payload[mode].as_str().expect("mode")).expect("json");
                        assert_eq!(
                            (tally["received"].as_array().map(Vec::len), tally["lost"].as_array().map(Vec::len)),
                            (Some(0), Some(0))
                        );
                    }
                }
            }
        }
    }
    let (_, results) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/results"), steward, None).await;
    assert!(results["equal"]["received"].as_array().is_some_and(Vec::is_empty));
    assert!(results["equal"]["lost"].as_array().is_some_and(Vec::is_empty));
    let cast_actors: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT actor FROM audit_log WHERE action = 'ballot.cast'")
            .fetch_all(app.store.pool())
            .await
            .expect("actors");
    assert_eq!(cast_actors, ["secret-ballot"], "the audit log does not say who cast a secret ballot");
    let mut browser = crate::web::Browser::new(&app);
    browser.log_in("mem1").await;
    let page = browser.get(&format!("/p/{id}")).await;
    for h in ["@mem1 +", "@mem2 +", "@mem0 +"] {
        assert!(!page.html.contains(h), "the page names a delegate who voted: {h}");
    }
}

#[tokio::test]
async fn recipients_are_checked_when_drafting() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 3).await;
    for recipient in ["nobody_zz", "org:nope", "member:nope", ""] {
        let effect = json!({ "effect": "allocate", "amount_minor": 100, "currency": "EUR", "recipient": recipient });
        let body = careful("allocation", effect, &[], json!({ "method": "yes_no", "threshold": 0.7 }));
        let refused = app.call(Method::POST, "/api/v1/orgs/works/proposals", &people[1].1, Some(body)).await;
        check_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
}

#[tokio::test]
async fn a_zero_capture_is_refused_and_all_must_be_said() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    app.call(Method::POST, "/api/v1/deposits", &root, Some(json!({ "to": "ada", "amount": "10" }))).await;
    let (_, hold) = app.call(Method::POST, "/api/v1/holds", &ada, Some(json!({ "to": "bob", "amount": "5" }))).await;
    let id = hold["id"].as_str().expect("hold").to_owned();
    let audit = app.audit_len().await;
    for body in [json!({ "amount_minor": 0 }), json!({}), json!({ "all": true, "amount_minor": 5 })] {
        check_error(
            app.call(Method::POST, &format!("/api/v1/holds/{id}/capture"), &bob, Some(body)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    assert_eq!(app.audit_len().await, audit);
    let (status, r) =
        app.call(Method::POST, &format!("/api/v1/holds/{id}/capture"), &bob, Some(json!({ "all": true }))).await;
    assert_eq!((status, r["amount_minor"].as_u64()), (StatusCode::OK, Some(500)), "{r}");
}

#[tokio::test]
async fn next_goes_only_to_this_site_and_bad_input_is_never_a_500() {
    let app = TestApp::set_up().await;
    for (i, next) in [
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
        "/\u{0b}/evil.example",
        " /evil",
        "\\\\evil.example",
        "/%0a/x\n",
    ]
    .into_iter()
    .enumerate()
    {
        // A fresh member each time: the log-in limit per handle is not what this tests.
        let handle = format!("nina{i}");
        let _ = app.member(&handle).await;
        let mut browser = crate::web::Browser::new(&app);
        let page =
            browser.submit("/login", "/login", &[("handle", &handle), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(page.location.as_deref(), Some("/?done=login"), "{next:?} is not followed");
        let escaped: String = next.bytes().map(|b| format!("%{b:02X}")).collect();
        let shown = browser.get(&format!("/login?next={escaped}")).await;
        assert!(shown.status.is_success() || shown.status.is_redirection(), "{next:?}: {}", shown.status);
    }
    let _ = app.member("nina").await;
    let mut browser = crate::web::Browser::new(&app);
    let page = browser
        .submit("/login", "/login", &[("handle", "nina"), ("password", PASSWORD), ("next", "/wallet?x=1")])
        .await;
    assert_eq!(page.location.as_deref(), Some("/wallet?x=1"));
    // A logged-out visit remembers the page and the log-in returns there.
    let mut stranger = crate::web::Browser::new(&app);
    let away = stranger.get("/wallet").await;
    assert_eq!(away.location.as_deref(), Some("/login?next=/wallet"));
    let login = stranger.get("/login?next=/wallet").await;
    assert!(login.html.contains("value=\"/wallet\""));
}

#[tokio::test]
async fn passwords_change_sessions_end_and_stewards_issue_one_time_recovery_links() {
    let app = TestApp::set_up().await;
    let nina = app.member("nina").await;
    let other = app.login("nina").await;
    let (_, sessions) = app.call(Method::GET, "/api/v1/me/sessions", &nina, None).await;
    assert_eq!(sessions.as_array().map(Vec::len), Some(2), "{sessions}");
    check_error(
        app.call(
            Method::POST,
            "/api/v1/me/password",
            &nina,
            Some(json!({ "current_password": "wrong one!!", "new_password": "a brand new secret" })),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let (status, changed) = app
        .call(
            Method::POST,
            "/api/v1/me/password",
            &nina,
            Some(json!({ "current_password": PASSWORD, "new_password": "a brand new secret" })),
        )
        .await;
    assert_eq!((status, changed["sessions_ended"].as_u64()), (StatusCode::OK, Some(1)), "{changed}");
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", &other, None).await.0,
        StatusCode::UNAUTHORIZED,
        "the other session ended"
    );
    assert_eq!(app.call(Method::GET, "/api/v1/me", &nina, None).await.0, StatusCode::OK, "this one stays");
    let (_, mine) = app.call(Method::GET, "/api/v1/me/sessions", &nina, None).await;
    let id = mine[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(mine[0]["current"], true);

    // Recovery: only stewards of the commune issue it; it works once.
    let root = app.login("root").await;
    check_error(
        app.call(Method::POST, "/api/v1/recovery-links", &nina, Some(json!({ "handle": "root" }))).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, link) =
        app.call(Method::POST, "/api/v1/recovery-links", &root, Some(json!({ "handle": "@nina" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let token = link["link"].as_str().and_then(|l| l.strip_prefix("/recover?token=")).expect("a link").to_owned();
    let stored: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM recovery_links WHERE token_hash = '{token}'"
    ))
    .fetch_one(app.store.pool())
    .await
    .expect("count");
    assert_eq!(stored, 0, "only the hash is stored");
    let audit: String = sqlx::query_scalar("SELECT payload FROM audit_log WHERE action = 'recovery.issue'")
        .fetch_one(app.store.pool())
        .await
        .expect("audited");
    assert!(!audit.contains(&token));
    let recover = json!({ "token": token, "new_password": "recovered at last" });
    let (status, _) = app.call(Method::POST, "/api/v1/recovery", &Auth::None, Some(recover.clone())).await;
    assert_eq!(status, StatusCode::CREATED);
    check_error(
        app.call(Method::POST, "/api/v1/recovery", &Auth::None, Some(recover)).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", &nina, None).await.0,
        StatusCode::UNAUTHORIZED,
        "recovery ends every session"
    );
    let _ = id;
}

#[tokio::test]
async fn a_full_transfer_batch_fits_the_body_limit_and_metrics_need_their_token() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    // 8,190 transfers as documented (each refused by the engine, which is fine: the body is read).
    let transfers: Vec<Value> = (1..=8_190u32)
        .map(|i| json!({ "id": format!("00000000-0000-7000-8000-{i:012}"), "debit_account_id": "00000000-0000-7000-8000-000000000001",
            "credit_account_id": "00000000-0000-7000-8000-000000000002", "amount": 1, "ledger": 1, "code": 1 }))
        .collect();
    let (status, body) =
        app.call(Method::POST, "/api/v1/ledger/transfers", &root, Some(json!({ "transfers": transfers }))).await;
    assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(status.is_success() || status.is_client_error(), "{status}");
    let (status, _) = app.call(Method::GET, "/metrics", &Auth::None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::GET, "/metrics", &Auth::Bearer("wrong".into()), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let closed = TestApp::with_config(commune_server::Config::default()).await;
    assert_eq!(closed.call(Method::GET, "/metrics", &Auth::None, None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn authenticated_responses_are_never_cached() {
    let app = TestApp::set_up().await;
    let nina = app.member("nina").await;
    for path in ["/wallet", "/api/v1/wallet", "/api/v1/me", "/"] {
        let response = app.send(app.request(Method::GET, path, &nina, None)).await;
        assert_eq!(
            response.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_dot_form_sent_twice_records_one_dot() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 3).await;
    let body = json!({ "ratee": "mem2", "attribute": "integrity", "score": 7, "form_key": "k-0001" });
    let (a, b) = tokio::join!(
        app.call(Method::POST, "/api/v1/orgs/works/dots", &people[1].1, Some(body.clone())),
        app.call(Method::POST, "/api/v1/orgs/works/dots", &people[1].1, Some(body.clone())),
    );
    assert!(a.0.is_success() && b.0.is_success(), "{a:?} {b:?}");
    let dots: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM dots")
        .fetch_one(app.store.pool())
        .await
        .expect("count");
    assert_eq!(dots, 1);
}

/// A real server on loopback: the client's address matters for logins, and slow clients are cut.
mod served {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn serve(config: commune_server::Config) -> (TestApp, std::net::SocketAddr) {
        let app = TestApp::with_config(config).await;
        app.call(
            Method::POST,
            "/api/v1/setup",
            &Auth::None,
            Some(json!({ "commune_name": "Served", "commune_slug": "root", "handle": "root", "display_name": "Root", "password": PASSWORD })),
        )
        .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let state = app.state.clone();
        tokio::spawn(commune_server::serve(listener, state, std::future::pending()));
        (app, address)
    }

    /// One request from `source` (a loopback address); the status code.
    async fn login_from(source: &str, server: std::net::SocketAddr, handle: &str, password: &str) -> u16 {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind(format!("{source}:0").parse().expect("source")).expect("bind the source address");
        let mut stream = socket.connect(server).await.expect("connect");
        let body = json!({ "handle": handle, "password": password }).to_string();
        let request = format!(
            "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    #[tokio::test]
    async fn a_stranger_cannot_lock_the_owner_out() {
        let (_app, server) = serve(commune_server::Config::default()).await;
        let mut statuses = Vec::new();
        for _ in 0..8 {
            statuses.push(login_from("127.0.0.2", server, "root", "not the password").await);
        }
        assert!(statuses.contains(&429), "the guesser is slowed and limited: {statuses:?}");
        assert_eq!(login_from("127.0.0.3", server, "root", PASSWORD).await, 201, "the owner logs in from elsewhere");
    }

    #[tokio::test]
    async fn idle_and_half_sent_connections_are_closed() {
        let config = commune_server::Config { read_timeout_ms: 600, ..commune_server::Config::default() };
        let (_app, server) = serve(config).await;
        let half_body = "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"handle\"";
        for sent in ["", "GET /healthz HTTP/1.1\r\nHost: x\r\n", half_body] {
            let mut stream = tokio::net::TcpStream::connect(server).await.expect("connect");
            stream.write_all(sent.as_bytes()).await.expect("write");
            let mut buffer = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
            assert!(read.is_ok(), "the server closed the connection that sent {sent:?}");
        }
        // A prompt request on a fresh connection is still served.
        let mut stream = tokio::net::TcpStream::connect(server).await.expect("connect");
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}

#[tokio::test]
async fn proposal_and_comment_forms_sent_twice_make_one_and_members_see_votes_on_their_docket() {
    let app = TestApp::set_up().await;
    let people = commune(&app, 3).await;
    let mut body =
        careful("decision", json!({ "effect": "none" }), &[], json!({ "method": "yes_no", "threshold": 0.5 }));
    body["form_key"] = json!("form-once-1");
    let (a, b) = tokio::join!(
        app.call(Method::POST, "/api/v1/orgs/works/proposals", &people[1].1, Some(body.clone())),
        app.call(Method::POST, "/api/v1/orgs/works/proposals", &people[1].1, Some(body.clone())),
    );
    assert!(a.0.is_success() && b.0.is_success(), "{a:?} {b:?}");
    assert_eq!(a.1["id"], b.1["id"], "one proposal");
    let id = a.1["id"].as_str().expect("id").to_owned();
    app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), &people[1].1, None).await;
    let mut browser = crate::web::Browser::new(&app);
    browser.log_in("mem2").await;
    let page = browser.get(&format!("/p/{id}")).await;
    let marker = "name=\"form_key\" value=\"";
    let start = page.html.find(marker).map(|i| i + marker.len()).expect("a one-time key in the comment form");
    let key = page.html[start..].split('"').next().unwrap_or_default().to_owned();
    let csrf = page
        .html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    for _ in 0..2 {
        browser.post(&format!("/p/{id}/comment"), &[("csrf", &csrf), ("form_key", &key), ("body", "Twice?")]).await;
    }
    let comments: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM comments")
        .fetch_one(app.store.pool())
        .await
        .expect("count");
    assert_eq!(comments, 1);
    // Voting opens: every member of the organisation finds it on their docket.
    tick(&app.state, now() + OPENS_IN + 1_000).await.expect("open");
    for (handle, auth) in &people {
        let (_, docket) = app.call(Method::GET, "/api/v1/docket", auth, None).await;
        assert!(docket.to_string().contains(&id), "{handle}'s docket: {docket}");
    }
}
