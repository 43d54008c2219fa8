//! Chapters and politics through the API: places and their precision (never more precise than a
//! member chose, on any read path, the audit log included), GeoJSON and election CSVs refused
//! whole with the feature or line named, the leverage ranking, seasons and challenges, results
//! frozen once under a race and recomputed by `verify` — and the demo's whole loop.

use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn get(app: &TestApp, path: &str, who: &Auth) -> Value {
    let (status, body) = app.call(Method::GET, path, who, None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

fn day(offset: i64) -> String {
    commune_domain::ideas::analytics::day_label(commune_store::now_ms().div_euclid(86_400_000) + offset)
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[13.30,52.50],[13.42,52.50],[13.42,52.56],[13.30,52.50]]]}"#;

fn geojson(features: &[(&str, &str, &str)]) -> String {
    let f: Vec<String> = features
        .iter()
        .map(|(code, name, geometry)| {
            format!(r#"{{"type":"Feature","properties":{{"code":"{code}","name":"{name}"}},"geometry":{geometry}}}"#)
        })
        .collect();
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, f.join(","))
}

/// A commune (root stewards it) with Berlin's two districts imported, and three members.
async fn berlin() -> (TestApp, Auth, Auth, Auth) {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    let body = json!({
        "geojson": geojson(&[("de/be/berlin/mitte", "Mitte", SQUARE), ("de/be/berlin/pankow", "Pankow", SQUARE)]),
        "places": [{ "code": "de/be", "name": "Berlin (state)" }, { "code": "de/be/berlin", "name": "Berlin" }],
    });
    let (status, v) = app.call(Method::POST, "/api/v1/places", &root, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!((v["imported"].as_u64(), v["outlined"].as_u64()), (Some(4), Some(2)));
    let mira = app.member("mira").await;
    let otto = app.member("otto").await;
    (app, root, mira, otto)
}

#[tokio::test]
async fn a_place_is_never_shown_more_precisely_than_its_member_chose() {
    let (app, root, mira, otto) = berlin().await;
    let set = |who: &Auth, place: &str, shown_as: &str| {
        let (who, body) = (who.clone(), json!({ "place": place, "shown_as": shown_as }));
        let app = &app;
        async move { app.call(Method::PUT, "/api/v1/me/place", &who, Some(body)).await }
    };
    let (status, me) = set(&mira, "de/be/berlin/mitte", "city").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!((me["place"].as_str(), me["shown"].as_str()), (Some("de/be/berlin/mitte"), Some("de/be/berlin")));
    assert_eq!(set(&otto, "de/be/berlin/pankow", "hidden").await.0, StatusCode::OK);
    let map = get(&app, "/api/v1/map", &root).await;
    let rows = map["places"].as_array().expect("rows");
    let count = |code: &str| rows.iter().find(|r| r["code"] == code).and_then(|r| r["members"].as_u64());
    assert_eq!(count("de/be/berlin"), Some(1), "mira counts in her city: {map}");
    assert_eq!(count("de/be/berlin/mitte"), None, "but not in her district");
    assert_eq!(count("de/be/berlin/pankow"), None, "otto hides");
    assert_eq!(map["hidden_members"], 1);
    // The audit log records what is shown, never the precise place.
    let entries = app.store.audit_entries("member.place").await.expect("audit");
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| !e.payload.contains("mitte") && !e.payload.contains("pankow")), "{entries:?}");
    // Unknown places and precisions are refused and change nothing.
    let before = app.audit_len().await;
    check_error(
        set(&mira, "de/be/berlin/atlantis", "district").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(set(&mira, "de/be/berlin/mitte", "street").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(set(&mira, "../../etc", "city").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(app.audit_len().await, before);
    // Each member reads only their own place.
    assert_eq!(get(&app, "/api/v1/me/place", &otto).await["place"], "de/be/berlin/pankow");
    assert_eq!(get(&app, "/api/v1/me/place", &root).await["place"], Value::Null);
}

#[tokio::test]
async fn bad_geojson_and_csv_are_refused_whole_naming_the_feature_or_line() {
    let (app, root, mira, _) = berlin().await;
    let before = app.audit_len().await;
    let places_before = app.store.places().await.expect("places").len();
    let cases = [
        (geojson(&[("de/be/berlin/wedding", "Wedding", SQUARE), ("not a code", "X", SQUARE)]), "feature 1"),
        (geojson(&[("de/be/berlin/wedding", "Wedding", r#"{"type":"Point","coordinates":[1,2]}"#)]), "feature 0"),
        (geojson(&[("de/hh/hamburg", "Hamburg", SQUARE)]), "'de/hh', which is not known"),
        ("{\"type\":\"FeatureCollection\",\"features\":[".to_owned(), "not JSON"),
    ];
    for (doc, expected) in cases {
        let (status, v) = app.call(Method::POST, "/api/v1/places", &root, Some(json!({ "geojson": doc }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains(expected)), "{expected}: {v}");
    }
    let huge = " ".repeat(commune_domain::politics::places::MAX_GEOJSON_BYTES + 10);
    let (status, _) = app.call(Method::POST, "/api/v1/places", &root, Some(json!({ "geojson": huge }))).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::PAYLOAD_TOO_LARGE, "{status}");
    let head = "district,date,office,candidate,votes,turnout\n";
    let csvs = [
        (
            format!(
                "{head}de/be/berlin/mitte,2021-09-26,mayor,A,10,100\nde/be/berlin/mitte,2021-09-26,mayor,B,1O,100\n"
            ),
            "line 3",
        ),
        (format!("{head}de/be/berlin/mitte,2021-09-26,mayor,A,200,100\n"), "line 2"),
        (format!("{head}de/be/berlin/wedding,2031-01-01,mayor,,,\n"), "is not a place this commune knows"),
        ("district,date,office\nde,2031-01-01,mayor\n".to_owned(), "line 1"),
    ];
    for (csv, expected) in csvs {
        let (status, v) = app.call(Method::POST, "/api/v1/elections", &root, Some(json!({ "csv": csv }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains(expected)), "{expected}: {v}");
    }
    assert_eq!(app.audit_len().await, before, "nothing was written");
    assert_eq!(app.store.places().await.expect("places").len(), places_before);
    assert!(app.store.elections().await.expect("elections").is_empty());
    // A member is not a steward of the commune.
    let (status, _) = app
        .call(Method::POST, "/api/v1/places", &mira, Some(json!({ "places": [{ "code": "de/x", "name": "X" }] })))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn leverage_ranks_districts_by_members_against_the_last_margin() {
    let (app, root, mira, otto) = berlin().await;
    for (who, place) in [(&mira, "de/be/berlin/mitte"), (&otto, "de/be/berlin/mitte"), (&root, "de/be/berlin/pankow")] {
        let body = json!({ "place": place, "shown_as": "district" });
        assert_eq!(app.call(Method::PUT, "/api/v1/me/place", who, Some(body)).await.0, StatusCode::OK);
    }
    let csv = format!(
        "district,date,office,candidate,votes,turnout
de/be/berlin/mitte,2021-09-26,council,A,500,1000
de/be/berlin/mitte,2021-09-26,council,B,480,1000
de/be/berlin/mitte,{soon},council,,,
de/be/berlin/pankow,2021-09-26,council,C,700,1000
de/be/berlin/pankow,2021-09-26,council,D,200,1000
de/be/berlin/pankow,{later},council,,,
",
        soon = day(20),
        later = day(40)
    );
    let (status, v) = app.call(Method::POST, "/api/v1/elections", &root, Some(json!({ "csv": csv }))).await;
    assert_eq!((status, v["upcoming"].as_u64()), (StatusCode::CREATED, Some(2)), "{v}");
    let view = get(&app, "/api/v1/leverage", &root).await;
    let rows = view["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    // Mitte: 2 members ÷ margin 20 = 0.1; Pankow: 1 ÷ 500 = 0.002.
    assert_eq!(rows[0]["district"], "de/be/berlin/mitte");
    assert_eq!(rows[0]["members"], 2);
    assert_eq!(rows[0]["margin_ppm"], 100_000);
    assert!(rows[0]["explain"].as_str().is_some_and(|e| e.contains("2 members ÷ margin of 20 votes")), "{view}");
    assert_eq!(rows[1]["margin_ppm"], 2_000);
    assert_eq!(view["past"].as_array().map(Vec::len), Some(2));
    // Importing the same file again replaces, never duplicates.
    app.call(Method::POST, "/api/v1/elections", &root, Some(json!({ "csv": csv }))).await;
    assert_eq!(app.store.elections().await.expect("elections").len(), 4);
}

#[tokio::test]
async fn seasons_are_bounded_challenges_need_two_chapters_and_results_freeze_once() {
    let (app, root, mira, otto) = berlin().await;
    for (who, slug, place) in [(&mira, "mitte-chapter", "de/be/berlin/mitte"), (&otto, "lyon-chapter", "fr")] {
        let body = json!({ "slug": slug, "name": slug, "kind": "chapter" });
        assert_eq!(app.call(Method::POST, "/api/v1/orgs", who, Some(body)).await.0, StatusCode::CREATED);
        let (status, v) =
            app.call(Method::PUT, &format!("/api/v1/orgs/{slug}/place"), who, Some(json!({ "place": place }))).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    let season = |name: &str, from: i64, to: i64| {
        json!({ "name": name, "starts_on": day(from), "ends_on": day(to), "goal": "Everyone votes",
                "goal_measure": "participation", "goal_target": 10 })
    };
    for bad in [season("Too short", 0, 3), season("Too long", 0, 400), season("x", 0, 30)] {
        check_error(
            app.call(Method::POST, "/api/v1/seasons", &root, Some(bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    let (status, live) = app.call(Method::POST, "/api/v1/seasons", &root, Some(season("Live", -3, 30))).await;
    assert_eq!(status, StatusCode::CREATED, "{live}");
    let id = live["id"].as_str().expect("id");
    let challenge = |a: &str, b: &str| json!({ "measure": "participation", "chapter_a": a, "target_a": 3, "chapter_b": b, "target_b": 2 });
    let path = format!("/api/v1/seasons/{id}/challenges");
    for bad in [
        challenge("mitte-chapter", "mitte-chapter"),
        challenge("mitte-chapter", "root"),
        challenge("nope", "lyon-chapter"),
    ] {
        check_error(
            app.call(Method::POST, &path, &root, Some(bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    let (status, c) = app.call(Method::POST, &path, &root, Some(challenge("mitte-chapter", "lyon-chapter"))).await;
    assert_eq!((status, c["outcome"].as_str()), (StatusCode::CREATED, Some("running")), "{c}");
    let view = get(&app, &format!("/api/v1/seasons/{id}"), &root).await;
    assert_eq!(view["state"], "live");
    assert_eq!(view["results"]["chapters"].as_array().map(Vec::len), Some(2));
    assert_eq!(view["results"]["countries"].as_array().map(Vec::len), Some(2), "Germany and France: {view}");
    // Impact: a task mira finished in her chapter, scored by otto; the latest score counts.
    app.admit(&mira, &otto, "mitte-chapter").await;
    let (_, project) =
        app.call(Method::POST, "/api/v1/orgs/mitte-chapter/projects", &mira, Some(json!({ "name": "Street" }))).await;
    let project = project["id"].as_str().expect("project").to_owned();
    let (_, t) = app
        .call(
            Method::POST,
            &format!("/api/v1/projects/{project}/tasks"),
            &mira,
            Some(json!({ "title": "Plant trees" })),
        )
        .await;
    let task = t["task"]["id"].as_str().expect("task").to_owned();
    for step in [
        json!({ "step": "move", "to": "assigned" }),
        json!({ "step": "set_reviewer", "member": "otto" }),
        json!({ "step": "start" }),
        json!({ "step": "move", "to": "review" }),
    ] {
        let (status, v) = app.call(Method::POST, &format!("/api/v1/tasks/{task}/steps"), &mira, Some(step)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    let review = json!({ "success": true, "quality": 4 });
    let (status, v) = app.call(Method::POST, &format!("/api/v1/tasks/{task}/review"), &otto, Some(review)).await;
    assert!(status.is_success(), "{v}");
    let impact_of = |score: i64| {
        let (app, otto, root, task) = (&app, otto.clone(), root.clone(), task.clone());
        async move {
            let body = json!({ "score": score });
            let (status, v) = app.call(Method::PUT, &format!("/api/v1/tasks/{task}/impact"), &otto, Some(body)).await;
            assert!(status.is_success(), "{v}");
            let view = get(app, &format!("/api/v1/seasons/{id}"), &root).await;
            let chapters = view["results"]["chapters"].as_array().cloned().unwrap_or_default();
            chapters.iter().find(|c| c["name"] == "mitte-chapter").map(|c| c["given"][1].clone()).unwrap_or_default()
        }
    };
    assert_eq!(impact_of(4).await, 4_000, "impact in thousandths of a point");
    assert_eq!(impact_of(2).await, 2_000, "the latest score counts");
    // A season that ended: two schedulers race to freeze it; exactly one does.
    let (_, past) = app.call(Method::POST, "/api/v1/seasons", &root, Some(season("Past", -40, -2))).await;
    let past_id = past["id"].as_str().expect("id").to_owned();
    let now = commune_store::now_ms();
    let (a, b) = tokio::join!(
        commune_app::politics::seasons::finish_due(&app.state, now),
        commune_app::politics::seasons::finish_due(&app.state, now)
    );
    assert_eq!(a.expect("first") + b.expect("second"), 1, "frozen exactly once");
    assert_eq!(app.store.audit_entries("season.finish").await.expect("audit").len(), 1);
    let frozen = get(&app, &format!("/api/v1/seasons/{past_id}"), &root).await;
    assert_eq!((frozen["frozen"].as_bool(), frozen["state"].as_str()), (Some(true), Some("finished")));
    check_error(
        app.call(
            Method::POST,
            &format!("/api/v1/seasons/{past_id}/challenges"),
            &root,
            Some(challenge("mitte-chapter", "lyon-chapter")),
        )
        .await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    let verdicts = commune_app::politics::seasons::verify(&app.store).await.expect("verify");
    assert_eq!(verdicts, vec![("Past".to_owned(), Ok(()))]);
}

/// The demo's loop: three chapters in two countries on the map, a finished season that `verify`
/// recomputes (and a tampered one it catches), a live challenge, and two upcoming elections.
#[tokio::test]
async fn the_demo_runs_the_loop_from_chapters_to_seasons_to_leverage() {
    let app = TestApp::empty().await;
    commune_app::demo::load(&app.state).await.expect("the demo loads");
    let ada = app.login_with("ada", commune_app::demo::DEMO_PASSWORD).await;
    let map = get(&app, "/api/v1/map", &ada).await;
    let rows = map["places"].as_array().expect("rows");
    let chapters = |code: &str| rows.iter().find(|r| r["code"] == code).and_then(|r| r["chapters"].as_u64());
    assert_eq!((chapters("de"), chapters("fr")), (Some(2), Some(1)), "three chapters in two countries: {map}");
    assert!(map["hidden_members"].as_u64().is_some_and(|n| n > 0));
    assert!(map["map"]["shapes"].as_array().is_some_and(|s| s.iter().any(|s| s["code"] == "de/nv/neon-city/harbour")));
    let seasons = get(&app, "/api/v1/seasons", &ada).await;
    let state_of = |name: &str| {
        seasons
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == name))
            .map(|s| (s["id"].clone(), s["state"].clone()))
    };
    let (finished, state) = state_of("Autumn race").expect("a finished season");
    assert_eq!(state, "finished");
    let season = get(&app, &format!("/api/v1/seasons/{}", finished.as_str().expect("id")), &ada).await;
    assert_eq!(season["frozen"], true);
    let standings = season["results"]["chapters"].as_array().expect("chapters");
    assert_eq!(standings.len(), 3);
    assert!(standings.iter().any(|s| s["given"][3].as_u64().is_some_and(|n| n > 0)), "ballots were cast: {season}");
    assert!(standings.iter().any(|s| s["given"][0].as_u64().is_some_and(|n| n > 0)), "revenue reached the pot");
    assert!(standings.iter().any(|s| s["given"][4] == 1), "Canal Kitchen was founded mid-season");
    for measure in [1, 2] {
        assert!(
            standings.iter().all(|s| s["given"][measure].as_u64().is_some_and(|n| n > 0)),
            "every chapter delivered impact and mastered lessons: {season}"
        );
    }
    let (live, state) = state_of("Winter race").expect("a live season");
    assert_eq!(state, "live");
    let live = get(&app, &format!("/api/v1/seasons/{}", live.as_str().expect("id")), &ada).await;
    assert_eq!(live["challenges"][0]["outcome"], "running");
    let leverage = get(&app, "/api/v1/leverage", &ada).await;
    assert!(leverage["rows"].as_array().is_some_and(|r| r.len() >= 2), "{leverage}");
    assert!(leverage["rows"][0]["explain"].as_str().is_some_and(|e| e.contains("÷ margin")));
    // `verify` recomputes the finished season from the ledger and the audit log…
    let verdicts = commune_app::politics::seasons::verify(&app.store).await.expect("verify");
    assert_eq!(verdicts, vec![("Autumn race".to_owned(), Ok(()))]);
    // …and notices frozen results that were edited afterwards.
    let stored = app.store.season(finished.as_str().expect("id")).await.expect("read").expect("season");
    let mut results: Value = serde_json::from_str(stored.results.as_deref().expect("frozen")).expect("json");
    results["chapters"][0]["given"][3] = json!(999_999);
    sqlx::query("UPDATE seasons SET results = $1 WHERE id = $2")
        .bind(results.to_string())
        .bind(&stored.id)
        .execute(app.store.pool())
        .await
        .expect("tamper");
    let verdicts = commune_app::politics::seasons::verify(&app.store).await.expect("verify");
    assert!(verdicts[0].1.is_err(), "{verdicts:?}");
    // An endorsement with the answers it was based on, and the funded campaign's disclosure.
    let listed = get(&app, "/api/v1/candidates", &ada).await;
    let greta = listed["candidates"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "Greta Vogel"))
        .cloned()
        .expect("Greta Vogel");
    assert!(greta["endorsed_by"].is_string(), "{greta}");
    assert!(greta["answers"].as_array().is_some_and(|a| a.len() == 3 && a.iter().all(|a| a["stance"].is_string())));
    assert!(
        greta["project_board"].as_str().is_some_and(|b| b.ends_with("/work")),
        "the campaign is a project: {greta}"
    );
    let disclosed = get(&app, "/api/v1/disclosures", &ada).await;
    assert_eq!(disclosed.as_array().map(Vec::len), Some(1), "{disclosed}");
    assert_eq!(
        (disclosed[0]["candidate"].as_str(), disclosed[0]["amount"].as_str()),
        (Some("Greta Vogel"), Some("300.00"))
    );
    // The public page: on in the demo, readable without signing in, every figure with a source,
    // no member's place or name in it; an endorsed candidate's answers are public, others are not.
    let (status, public) = app.call(Method::GET, "/api/v1/transparency", &Auth::None, None).await;
    assert_eq!(status, StatusCode::OK, "{public}");
    assert_eq!(public["chapters"].as_array().map(Vec::len), Some(3));
    assert_eq!(public["endorsements"][0]["name"], "Greta Vogel");
    assert!(public["endorsements"][0]["support_ppm"].as_u64().is_some_and(|s| s > 500_000), "{public}");
    let text = public.to_string();
    assert!(!text.contains("/riverside\",\"shown_as") && !text.contains("Ada Okafor"), "no member in it");
    for source in public["seasons"]
        .as_array()
        .expect("seasons")
        .iter()
        .map(|s| s["source"].as_str().expect("source").to_owned())
        .chain([public["endorsements"][0]["source"].as_str().expect("source").to_owned()])
    {
        let (status, _) = app.call(Method::GET, &source, &Auth::None, None).await;
        assert_eq!(status, StatusCode::OK, "{source}");
    }
    let paul =
        listed["candidates"].as_array().and_then(|c| c.iter().find(|c| c["name"] == "Paul Richter")).expect("Paul");
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/transparency/candidates/{}", paul["id"].as_str().expect("id")),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only endorsed candidates are on the public page");
    let (status, csv) = app.call(Method::GET, "/api/v1/transparency/disclosures.csv", &Auth::None, None).await;
    assert!(status == StatusCode::OK && csv.as_str().is_some_and(|c| c.contains("300.00")), "{csv}");
    let (status, _) = app.call(Method::GET, "/transparency", &Auth::None, None).await;
    assert_eq!(status, StatusCode::OK);
    let greta_page = format!("/candidates/{}", greta["id"].as_str().expect("id"));
    // The pages render.
    for page in ["/map", "/map?focus=de", "/seasons", "/leverage", "/candidates", greta_page.as_str(), "/disclosures"] {
        let (status, _) = app.call(Method::GET, page, &ada, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }
}

/// Publishes a drafted motion and opens it: its closing time.
async fn publish_and_open(app: &TestApp, author: &Auth, id: &str) -> i64 {
    let (status, p) = app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), author, None).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let opens = p["voting_opens_at"].as_i64().expect("opens");
    commune_app::scheduler::tick(&app.state, opens + 1_000).await.expect("open");
    p["voting_closes_at"].as_i64().expect("closes")
}

/// `voters` say yes, and the scheduler runs past the close: counted, then executed or failed.
async fn vote_and_close(app: &TestApp, id: &str, voters: &[&Auth], closes: i64) -> Value {
    for who in voters {
        let ballot = json!({ "kind": "yes_no", "stance": "yes" });
        let (status, r) = app.call(Method::POST, &format!("/api/v1/proposals/{id}/ballot"), who, Some(ballot)).await;
        assert!(status.is_success(), "{r}");
    }
    commune_app::scheduler::tick(&app.state, closes + 1_000).await.expect("count");
    commune_app::scheduler::tick(&app.state, closes + 2_000).await.expect("execute");
    let p = app.store.proposal(id).await.expect("read").expect("proposal");
    json!([p.phase.as_str(), p.outcome])
}

#[tokio::test]
async fn endorsements_are_voted_by_the_district_and_campaign_money_obeys_the_caps_when_it_moves() {
    let (app, root, mira, otto) = berlin().await;
    let nils = app.member("nils").await;
    let ola = app.member("ola").await;
    for (who, place) in [(&mira, "mitte"), (&otto, "pankow"), (&nils, "mitte"), (&ola, "mitte")] {
        app.admit(&root, who, "root").await;
        let body = json!({ "place": format!("de/be/berlin/{place}"), "shown_as": "city" });
        assert_eq!(app.call(Method::PUT, "/api/v1/me/place", who, Some(body)).await.0, StatusCode::OK);
    }
    // The pot: a business's revenue, a fifth of it funnelled.
    app.org(&mira, "kiosk").await;
    let (status, v) =
        app.call(Method::POST, "/api/v1/orgs/kiosk/revenue", &mira, Some(json!({ "amount": "10000.00" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    // A principle, a question drawn from it, a candidate and their answers.
    let body = json!({ "kind": "principle", "title": "Those affected decide", "body": "A decision belongs to those who live with it.",
        "examples": "The street votes on its own trees." });
    let (status, doc) = app.call(Method::POST, "/api/v1/orgs/root/library", &root, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let principle = doc["id"].as_str().or_else(|| doc["doc"]["id"].as_str()).expect("doc id").to_owned();
    let q = json!({ "question": "Should district budgets be decided by the district?", "principle_id": principle });
    let (status, q) = app.call(Method::POST, "/api/v1/questionnaire", &root, Some(q)).await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    let question = q["id"].as_str().expect("question").to_owned();
    let candidate = |name: &str, district: &str, website: &str| json!({ "name": name, "kind": "person", "office": "council", "district": district, "website": website });
    for bad in [
        candidate("Clara", "de/be/berlin/atlantis", ""),
        candidate("Clara", "de/be/berlin/mitte", "javascript:alert(1)"),
    ] {
        check_error(
            app.call(Method::POST, "/api/v1/candidates", &root, Some(bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    let good = candidate("Clara Weiss", "de/be/berlin/mitte", "https://clara.example");
    assert_eq!(app.call(Method::POST, "/api/v1/candidates", &mira, Some(good.clone())).await.0, StatusCode::FORBIDDEN);
    let (status, c) = app.call(Method::POST, "/api/v1/candidates", &root, Some(good)).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().expect("candidate").to_owned();
    let answers =
        json!({ "answers": [{ "question_id": question, "stance": "agree", "comment": "Yes, with open books." }] });
    let path = format!("/api/v1/candidates/{id}/answers");
    assert_eq!(app.call(Method::PUT, &path, &mira, Some(answers.clone())).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.call(Method::PUT, &path, &root, Some(answers)).await.0, StatusCode::OK);
    let compared = get(&app, &format!("/api/v1/candidates?compare={id}"), &mira).await;
    assert_eq!(compared["candidates"][0]["answers"][0]["stance"], "agree", "{compared}");
    // The endorsement: only members living in Mitte vote (whatever precision they show).
    let (status, p) = app.call(Method::POST, &format!("/api/v1/candidates/{id}/endorsement"), &mira, None).await;
    assert_eq!((status, p["kind"].as_str()), (StatusCode::CREATED, Some("endorsement")), "{p}");
    let pid = p["id"].as_str().expect("proposal").to_owned();
    let (status, published) = app.call(Method::POST, &format!("/api/v1/proposals/{pid}/publish"), &mira, None).await;
    assert_eq!(status, StatusCode::OK);
    let opens = published["voting_opens_at"].as_i64().expect("opens");
    let closes = published["voting_closes_at"].as_i64().expect("closes");
    commune_app::scheduler::tick(&app.state, opens + 1_000).await.expect("open");
    let yes = json!({ "kind": "yes_no", "stance": "yes" });
    let ballot = format!("/api/v1/proposals/{pid}/ballot");
    let before = app.audit_len().await;
    for outside in [&otto, &root] {
        let refused = app.call(Method::POST, &ballot, outside, Some(yes.clone())).await;
        assert_eq!(refused.0, StatusCode::FORBIDDEN, "{}", refused.1);
        assert!(refused.1["error"]["message"].as_str().is_some_and(|m| m.contains("district")), "{}", refused.1);
    }
    assert_eq!(app.audit_len().await, before, "refused ballots wrote nothing");
    for inside in [&mira, &nils, &ola] {
        assert!(app.call(Method::POST, &ballot, inside, Some(yes.clone())).await.0.is_success());
    }
    commune_app::scheduler::tick(&app.state, closes + 1_000).await.expect("count");
    commune_app::scheduler::tick(&app.state, closes + 2_000).await.expect("execute");
    let weights = app.store.weights(&pid).await.expect("weights");
    assert_eq!(weights.len(), 3, "the electorate is Mitte's three members");
    let view = get(&app, &format!("/api/v1/candidates/{id}"), &mira).await;
    assert_eq!(view["endorsed_by"], pid.as_str(), "{view}");
    assert_eq!(commune_app::tally::verify_tally(&app.store, &pid).await.expect("verify"), Ok(()));
    // Funding: drafted under no cap; the cap set before the vote ends is enforced when the money moves.
    let funding = format!("/api/v1/candidates/{id}/funding");
    let (status, f) = app.call(Method::POST, &funding, &mira, Some(json!({ "amount": "150.00" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let root_org = app.store.root_org().await.expect("read").expect("root");
    let set_cap = |value: f64| {
        let (store, org) = (app.store.clone(), root_org.id.clone());
        async move {
            let mut tx = store.write("test").await.expect("tx");
            tx.set_policy(&org, "campaign_cap_per_candidate", value, "test").await.expect("cap");
            tx.commit().await.expect("commit");
        }
    };
    let fid = f["id"].as_str().expect("id").to_owned();
    let closes = publish_and_open(&app, &mira, &fid).await;
    set_cap(100.0).await;
    let everyone = [&root, &mira, &otto, &nils, &ola];
    let outcome = vote_and_close(&app, &fid, &everyone, closes).await;
    assert_eq!(outcome[0], "failed", "{outcome}");
    assert!(outcome[1].as_str().is_some_and(|o| o.contains("per-candidate cap")), "{outcome}");
    check_error(
        app.call(Method::POST, &funding, &mira, Some(json!({ "amount": "150.00" }))).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    assert!(get(&app, "/api/v1/disclosures", &mira).await.as_array().is_some_and(Vec::is_empty));
    // Two funding proposals race to execute under a cap that admits one: exactly one pays.
    set_cap(200.0).await;
    let mut drafts = Vec::new();
    for _ in 0..2 {
        let (_, f) = app.call(Method::POST, &funding, &mira, Some(json!({ "amount": "150.00" }))).await;
        drafts.push(app.store.proposal(f["id"].as_str().expect("id")).await.expect("read").expect("draft"));
    }
    let now = commune_store::now_ms();
    let (a, b) = tokio::join!(
        commune_app::politics::endorsements::execute_funding(&app.state, &drafts[0], now),
        commune_app::politics::endorsements::execute_funding(&app.state, &drafts[1], now)
    );
    let paid = [a.expect("first"), b.expect("second")];
    assert_eq!(paid.iter().filter(|r| r.is_ok()).count(), 1, "{paid:?}");
    let disclosed = get(&app, "/api/v1/disclosures", &otto).await;
    assert_eq!(disclosed.as_array().map(Vec::len), Some(1), "{disclosed}");
    assert_eq!(disclosed[0]["amount"], "150.00");
    let (status, csv) = app.call(Method::GET, "/api/v1/disclosures.csv", &otto, None).await;
    assert_eq!(status, StatusCode::OK);
    let csv = csv.as_str().expect("csv").to_owned();
    assert!(
        csv.starts_with("date,candidate,")
            && csv.contains("Clara Weiss")
            && csv.contains(disclosed[0]["proposal_id"].as_str().expect("vote")),
        "{csv}"
    );
    let report = commune_app::export::verify_ledger(&app.store, |_| {}).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The campaign becomes a project: a bad owner leaves nothing behind; then the default
    // volunteer tasks and one content item owned by nils.
    let project = format!("/api/v1/candidates/{id}/project");
    let projects_before = app.store.audit_entries("project.create").await.expect("audit").len();
    let bad = json!({ "content": [{ "title": "Launch video", "owner": "nobody", "due": "2031-01-01" }] });
    check_error(
        app.call(Method::POST, &project, &root, Some(bad)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert_eq!(app.store.audit_entries("project.create").await.expect("audit").len(), projects_before);
    let plan = json!({ "content": [{ "title": "Launch video", "owner": "nils", "due": "2031-01-01" }] });
    assert_eq!(app.call(Method::POST, &project, &mira, Some(plan.clone())).await.0, StatusCode::FORBIDDEN);
    let (status, made) = app.call(Method::POST, &project, &root, Some(plan.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["tasks"].as_array().map(Vec::len), Some(4), "{made}");
    check_error(app.call(Method::POST, &project, &root, Some(plan)).await, StatusCode::CONFLICT, "rule_violation");
}

/// A blackout window set while a funding vote runs stops the money when it would move, not only
/// when it is asked for: the proposal fails naming the window, nothing is paid or disclosed, and a
/// new request inside the window is refused.
#[tokio::test]
async fn the_blackout_window_stops_campaign_money_when_it_would_move() {
    let (app, root, mira, otto) = berlin().await;
    for who in [&mira, &otto] {
        app.admit(&root, who, "root").await;
    }
    app.org(&mira, "kiosk").await;
    let (status, v) =
        app.call(Method::POST, "/api/v1/orgs/kiosk/revenue", &mira, Some(json!({ "amount": "10000.00" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let election = day(90);
    let csv = format!("district,date,office,candidate,votes,turnout\nde/be/berlin/pankow,{election},council,,,\n");
    let (status, v) = app.call(Method::POST, "/api/v1/elections", &root, Some(json!({ "csv": csv }))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let body = json!({ "name": "Pankow Commons", "kind": "campaign", "office": "council",
        "district": "de/be/berlin/pankow", "election_on": election });
    let (status, c) = app.call(Method::POST, "/api/v1/candidates", &root, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let funding = format!("/api/v1/candidates/{}/funding", c["id"].as_str().expect("id"));
    let (status, f) = app.call(Method::POST, &funding, &mira, Some(json!({ "amount": "50.00" }))).await;
    assert_eq!(status, StatusCode::CREATED, "drafted with the window off: {f}");
    let fid = f["id"].as_str().expect("id").to_owned();
    let closes = publish_and_open(&app, &mira, &fid).await;
    let closes_day = closes.div_euclid(86_400_000);
    let election_day = commune_store::now_ms().div_euclid(86_400_000) + 90;
    assert!(closes_day < election_day, "the vote ends before the election");
    // The commune sets a 90-day window while the vote runs: today and the vote's end fall inside it.
    let root_org = app.store.root_org().await.expect("read").expect("root");
    let mut tx = app.store.write("test").await.expect("tx");
    tx.set_policy(&root_org.id, "campaign_blackout_days", 90.0, "test").await.expect("blackout");
    tx.commit().await.expect("commit");
    let pot_before = get(&app, "/api/v1/orgs/root/treasury", &mira).await;
    let outcome = vote_and_close(&app, &fid, &[&root, &mira, &otto], closes).await;
    assert_eq!(outcome[0], "failed", "{outcome}");
    assert!(outcome[1].as_str().is_some_and(|o| o.contains("blackout")), "{outcome}");
    assert!(get(&app, "/api/v1/disclosures", &mira).await.as_array().is_some_and(Vec::is_empty));
    let pot_after = get(&app, "/api/v1/orgs/root/treasury", &mira).await;
    assert_eq!(pot_after["pot"][0]["balance_minor"], pot_before["pot"][0]["balance_minor"], "the pot did not move");
    assert_eq!(pot_before["pot_story"]["committed_minor"], 5_000, "the open vote held its amount: {pot_before}");
    assert_eq!(pot_after["pot_story"]["committed_minor"], 0, "the failed vote let it go: {pot_after}");
    check_error(
        app.call(Method::POST, &funding, &mira, Some(json!({ "amount": "50.00" }))).await,
        StatusCode::CONFLICT,
        "rule_violation",
    );
    // A window that starts tomorrow: today is outside it, but the vote would end inside it, so
    // the draft is refused at once rather than failing when the money would move.
    let mut tx = app.store.write("test").await.expect("tx");
    tx.set_policy(&root_org.id, "campaign_blackout_days", 89.0, "test").await.expect("blackout");
    tx.commit().await.expect("commit");
    let before = app.audit_len().await;
    let (status, refused) = app.call(Method::POST, &funding, &mira, Some(json!({ "amount": "50.00" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("when the vote ends"), "{refused}");
    assert_eq!(app.audit_len().await, before, "nothing drafted");
}

/// An organisation's own stewards (not only the commune's) set where it is from its page; a bad
/// place is refused naming it and writes nothing; a member who is not a steward sees no form and
/// is refused.
#[tokio::test]
async fn an_organisations_stewards_set_its_place_from_its_page() {
    let (app, root, mira, otto) = berlin().await;
    app.admit(&root, &mira, "root").await;
    app.org(&mira, "kiosk").await;
    app.admit(&mira, &otto, "kiosk").await;
    let mut steward = crate::web::Browser::new(&app);
    steward.log_in("mira").await;
    let page = steward.get("/orgs/kiosk").await;
    assert!(page.html.contains("action=\"/orgs/kiosk/place\"") && page.html.contains("de/be/berlin/mitte"));
    let before = app.audit_len().await;
    let bad = steward.submit("/orgs/kiosk", "/orgs/kiosk/place", &[("place", "de/be/berlin/atlantis")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("atlantis"), "the error names the place: {}", bad.html);
    assert_eq!(app.audit_len().await, before, "a refused place writes nothing");
    let done = steward.submit("/orgs/kiosk", "/orgs/kiosk/place", &[("place", "de/be/berlin/mitte")]).await;
    assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/orgs/kiosk?done=place")));
    let kiosk = app.store.org_by_slug("kiosk").await.expect("read").expect("kiosk");
    let places = app.store.org_places().await.expect("places");
    assert!(places.contains(&(kiosk.id.clone(), "de/be/berlin/mitte".to_owned())), "{places:?}");
    assert!(steward.get("/orgs/kiosk").await.html.contains("/map?focus=de/be/berlin/mitte"));
    let mut member = crate::web::Browser::new(&app);
    member.log_in("otto").await;
    assert!(!member.get("/orgs/kiosk").await.html.contains("action=\"/orgs/kiosk/place\""));
    let refused = member.submit("/orgs/kiosk", "/orgs/kiosk/place", &[("place", "de/be/berlin/pankow")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    let places = app.store.org_places().await.expect("places");
    assert!(places.contains(&(kiosk.id, "de/be/berlin/mitte".to_owned())), "unchanged: {places:?}");
}

/// Derived figures (a live season's standings) are remembered only while the audit log stands
/// still: reads between writes reuse them, any write makes the next read recompute.
#[tokio::test]
async fn derived_figures_are_recomputed_after_every_write_and_only_then() {
    let (app, root, mira, _) = berlin().await;
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let probe = || {
        app.state.derived("probe", || async {
            Ok::<_, commune_app::error::AppError>(calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
        })
    };
    assert_eq!((probe().await.expect("first"), probe().await.expect("again")), (1, 1), "no write: remembered");
    app.admit(&root, &mira, "root").await;
    assert_eq!(probe().await.expect("after a write"), 2, "a write: recomputed");
    assert_eq!(probe().await.expect("again"), 2);
}

/// The proposal wizard picks the candidate an endorsement is about (and offers campaigns as an
/// allocation's recipient): the draft it makes is scoped to the candidate's district.
#[tokio::test]
async fn the_proposal_wizard_picks_a_candidate_for_an_endorsement() {
    let (app, root, _, _) = berlin().await;
    let body =
        json!({ "name": "Clara Weiss", "kind": "person", "office": "council", "district": "de/be/berlin/mitte" });
    let (status, c) = app.call(Method::POST, "/api/v1/candidates", &root, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().expect("id").to_owned();
    let mut browser = crate::web::Browser::new(&app);
    browser.log_in("root").await;
    let form = browser.get("/orgs/root/proposals/new?kind=endorsement").await;
    assert!(
        form.html.contains(&format!("<option value=\"{id}\"")) && form.html.contains("Clara Weiss"),
        "{}",
        form.html
    );
    let allocation = browser.get("/orgs/root/proposals/new?kind=allocation").await;
    assert!(allocation.html.contains(&format!("value=\"campaign:{id}\"")), "{}", allocation.html);
    let fields = [
        ("kind", "endorsement"),
        ("title", "Endorse Clara Weiss"),
        ("candidate", id.as_str()),
        ("method", "yes_no"),
        ("threshold", "50%"),
        ("opens", "2099-01-01T10:00"),
        ("closes", "2099-01-08T10:00"),
    ];
    let drafted =
        browser.submit("/orgs/root/proposals/new?kind=endorsement", "/orgs/root/proposals/new", &fields).await;
    assert_eq!(drafted.status, StatusCode::SEE_OTHER, "{}", drafted.html);
    let draft = drafted.location.as_deref().and_then(|l| l.strip_prefix("/p/")).expect("the draft's page").to_owned();
    let draft = app.store.proposal(draft.split(['/', '?']).next().unwrap_or_default()).await.expect("read");
    let effect = draft.map(|p| p.effect);
    assert_eq!(
        effect,
        Some(commune_domain::governance::proposal::Effect::Endorse { candidate_id: id }),
        "the draft endorses the candidate picked"
    );
}
