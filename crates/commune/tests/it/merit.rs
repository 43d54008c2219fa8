//! Merit through the API: dots and their rules, the Dot Collector, believability, baseball
//! cards, weight distributions, and merit weights in governance's dual tally.

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn team(app: &TestApp, n: usize) -> Vec<Auth> {
    let steward = app.member("steward").await;
    app.org(&steward, "coop").await;
    let mut all = vec![steward.clone()];
    for i in 0..n {
        let m = app.member(&format!("member{i}")).await;
        app.admit(&steward, &m, "coop").await;
        all.push(m);
    }
    all
}

fn dot(ratee: &str, attribute: &str, score: i64) -> Value {
    json!({ "ratee": ratee, "attribute": attribute, "score": score, "context": "task", "comment": "Solid work." })
}

#[tokio::test]
async fn dots_follow_their_rules_and_comments_stay_private() {
    let app = TestApp::set_up().await;
    let m = team(&app, 3).await;
    let outsider = app.member("outsider").await;
    let (status, attributes) = app.call(Method::GET, "/api/v1/attributes", &m[0], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(attributes.as_array().is_some_and(|a| a.len() >= 8), "the default set is seeded: {attributes}");

    let before = app.audit_len().await;
    for (body, field) in [
        (dot("steward", "reliability", 7), "ratee"),
        (dot("outsider", "reliability", 7), "ratee"),
        (dot("member0", "reliability", 11), "score"),
        (dot("member0", "reliability", 0), "score"),
        (dot("member0", "charm", 7), "attribute"),
    ] {
        let result = app.call(Method::POST, "/api/v1/orgs/coop/dots", &m[0], Some(body)).await;
        assert_eq!(result.1["error"]["fields"][0]["field"], field, "{}", result.1);
        check_error(result, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    check_error(
        app.call(Method::POST, "/api/v1/orgs/coop/dots", &outsider, Some(dot("member0", "reliability", 7))).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(app.audit_len().await, before, "refused dots write nothing");

    let (status, given) =
        app.call(Method::POST, "/api/v1/orgs/coop/dots", &m[1], Some(dot("member1", "integrity", 9))).await;
    assert_eq!(status, StatusCode::CREATED, "{given}");
    let (_, seen_by_ratee) = app.call(Method::GET, "/api/v1/orgs/coop/dots?ratee=member1", &m[2], None).await;
    assert_eq!(seen_by_ratee[0]["comment"], "Solid work.", "the rated person reads the comment");
    let (_, seen_by_other) = app.call(Method::GET, "/api/v1/orgs/coop/dots", &m[3], None).await;
    assert_eq!(seen_by_other[0]["comment"], "", "others see the score, not the comment");
    check_error(
        app.call(Method::GET, "/api/v1/orgs/coop/dots", &outsider, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Withdrawing: only the rater, only within 24 hours.
    let id = given["id"].as_str().expect("id");
    check_error(
        app.call(Method::DELETE, &format!("/api/v1/dots/{id}"), &m[2], None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, second) =
        app.call(Method::POST, "/api/v1/orgs/coop/dots", &m[1], Some(dot("member2", "reliability", 6))).await;
    let old = second["id"].as_str().expect("id");
    sqlx::query(&format!("UPDATE dots SET created_at = created_at - 90000000 WHERE id = '{old}'"))
        .execute(app.store.pool())
        .await
        .expect("age it");
    check_error(
        app.call(Method::DELETE, &format!("/api/v1/dots/{old}"), &m[1], None).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/dots/{id}"), &m[1], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    check_error(
        app.call(Method::DELETE, &format!("/api/v1/dots/{id}"), &m[1], None).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );

    // A flood of dots hits the per-minute limit.
    let mut limited = false;
    for _ in 0..70 {
        let (status, _) =
            app.call(Method::POST, "/api/v1/orgs/coop/dots", &m[3], Some(dot("member0", "communication", 5))).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(status, StatusCode::CREATED);
    }
    assert!(limited, "dot floods are rate-limited");
}

#[tokio::test]
async fn a_dot_collector_meeting_then_believability_cards_and_weights() {
    let app = TestApp::set_up().await;
    let m = team(&app, 4).await;
    let (status, meeting) =
        app.call(Method::POST, "/api/v1/orgs/coop/meetings", &m[0], Some(json!({ "title": "Planning" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let id = meeting["id"].as_str().expect("id").to_owned();
    for who in &m[1..] {
        let (status, _) = app.call(Method::POST, &format!("/api/v1/meetings/{id}/join"), who, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    // member0 is rated highly by everyone, member3 low.
    for (i, rater) in m.iter().enumerate() {
        for (ratee, score) in [("member0", 9), ("member3", 3), ("member1", 6)] {
            if format!("member{}", i.wrapping_sub(1)) == ratee {
                continue;
            }
            let body = json!({ "ratee": ratee, "attribute": "reliability", "score": score, "context": "meeting", "context_id": id });
            let (status, d) = app.call(Method::POST, "/api/v1/orgs/coop/dots", rater, Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{d}");
        }
    }
    let (_, live) = app.call(Method::GET, &format!("/api/v1/meetings/{id}"), &m[2], None).await;
    assert_eq!(live["participants"].as_array().map(Vec::len), Some(5));
    assert!(live["dots"].as_array().is_some_and(|d| d.len() >= 10), "{live}");
    check_error(
        app.call(Method::POST, &format!("/api/v1/meetings/{id}/end"), &m[2], None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, _) = app.call(Method::POST, &format!("/api/v1/meetings/{id}/end"), &m[0], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let late =
        json!({ "ratee": "member0", "attribute": "reliability", "score": 5, "context": "meeting", "context_id": id });
    check_error(
        app.call(Method::POST, "/api/v1/orgs/coop/dots", &m[2], Some(late)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );

    let stored = commune_app::merit::recompute(&app.state, commune_store::now_ms()).await.expect("recompute");
    assert!(stored >= 3, "{stored}");
    let (_, top) = app.call(Method::GET, "/api/v1/members/member0/card", &m[1], None).await;
    let (_, low) = app.call(Method::GET, "/api/v1/members/member3/card", &m[1], None).await;
    let general = |card: &Value| {
        card["believability"]
            .as_array()
            .and_then(|b| b.iter().find(|x| x["domain"] == "general").cloned())
            .expect("general")
    };
    assert!(general(&top)["estimate"].as_f64() > general(&low)["estimate"].as_f64(), "{top}\n{low}");
    assert!(general(&top)["lower"].as_f64() < general(&top)["estimate"].as_f64());
    assert_eq!(top["evidence"][0]["attribute"], "reliability");

    let (_, dist) = app.call(Method::GET, "/api/v1/orgs/coop/weights", &m[1], None).await;
    let weights: Vec<f64> = dist["weights"].as_array().expect("weights").iter().filter_map(|w| w[1].as_f64()).collect();
    let n = weights.len() as f64;
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(weights.iter().all(|w| *w >= 0.5 / n - 1e-12 && *w <= 3.0 / n + 1e-12), "{dist}");
    assert_eq!(dist["weights"][0][0], "member0", "the most believable member weighs most: {dist}");

    // A merit-mode proposal snapshots these weights and shows both tallies.
    let now = commune_store::now_ms();
    let body = json!({ "title": "Who leads the next sprint?", "kind": "decision", "weighting": "merit", 
        "method": { "method": "single_choice" }, "options": ["member0's plan", "member3's plan"],
        "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN });
    let (_, p) = app.call(Method::POST, "/api/v1/orgs/coop/proposals", &m[1], Some(body)).await;
    let pid = p["id"].as_str().expect("id").to_owned();
    app.call(Method::POST, &format!("/api/v1/proposals/{pid}/publish"), &m[1], None).await;
    commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN + 1_000).await.expect("open");
    // member0 votes for their plan; member3 and member2 for the other: headcount says 1, merit says 0.
    for (who, option) in [(1, 0), (4, 1), (3, 1)] {
        let (status, r) = app
            .call(
                Method::POST,
                &format!("/api/v1/proposals/{pid}/ballot"),
                &m[who],
                Some(json!({ "kind": "single", "option": option })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
    }
    commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN + 1_000).await.expect("close");
    commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN + 1_000).await.expect("finish");
    let (_, results) = app.call(Method::GET, &format!("/api/v1/proposals/{pid}/results"), &m[1], None).await;
    assert_eq!(results["primary_mode"], "merit");
    assert_eq!(results["equal"]["tally"]["winners"], json!([1]), "{results}");
    let merit_scores = &results["merit"]["tally"]["scores"];
    assert!(merit_scores[0].as_f64().is_some_and(|s| s > 0.0), "{results}");
    assert_eq!(results["modes_differ"], results["equal"]["tally"]["winners"] != results["merit"]["tally"]["winners"]);
}

#[tokio::test]
async fn attributes_change_only_through_constitutional_policy_proposals() {
    let app = TestApp::set_up().await;
    let m = team(&app, 2).await;
    let now = commune_store::now_ms();
    let effect = json!({ "effect": "set_attribute", "key": "mentoring", "name": "Mentoring", "description": "Helps others grow.",
        "domain_weights": { "general": 1.0, "education": 2.0 }, "active": true });
    let bad = json!({ "title": "Count mentoring", "kind": "decision", "method": { "method": "yes_no", "threshold": 0.5 },
        "effect": effect, "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN });
    check_error(
        app.call(Method::POST, "/api/v1/orgs/coop/proposals", &m[1], Some(bad)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let body = json!({ "title": "Count mentoring", "kind": "policy", "weighting": "merit",
        "method": { "method": "yes_no", "threshold": 0.7 }, "effect": effect, "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN });
    check_error(
        app.call(Method::POST, "/api/v1/orgs/coop/proposals", &m[1], Some(body.clone())).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    // The attributes are the commune's: proposed there, by its members.
    let root = app.login("root").await;
    for who in &m {
        let (_, r) = app.call(Method::POST, "/api/v1/orgs/root/join-requests", who, Some(json!({}))).await;
        let rid = r["id"].as_str().expect("request").to_owned();
        app.call(Method::POST, &format!("/api/v1/orgs/root/join-requests/{rid}/admit"), &root, None).await;
    }
    let (status, p) = app.call(Method::POST, "/api/v1/orgs/root/proposals", &m[1], Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["constitutional"], true);
    let id = p["id"].as_str().expect("id").to_owned();
    app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), &m[1], None).await;
    commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN + 1_000).await.expect("open");
    for who in &m {
        app.call(
            Method::POST,
            &format!("/api/v1/proposals/{id}/ballot"),
            who,
            Some(json!({ "kind": "yes_no", "stance": "yes" })),
        )
        .await;
    }
    commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN + 1_000).await.expect("close");
    commune_app::scheduler::tick(&app.state, now + crate::support::CLOSES_IN + 1_000).await.expect("finish");
    let (_, results) = app.call(Method::GET, &format!("/api/v1/proposals/{id}/results"), &m[0], None).await;
    assert_eq!(results["primary_mode"], "equal", "the metric is decided one member, one vote");
    let (_, attributes) = app.call(Method::GET, "/api/v1/attributes", &m[0], None).await;
    assert!(
        attributes
            .as_array()
            .expect("list")
            .iter()
            .any(|a| a["key"] == "mentoring" && a["domain_weights"]["education"] == 2.0),
        "{attributes}"
    );
}
