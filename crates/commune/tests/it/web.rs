//! The web UI, driven like a browser without JavaScript: cookies, CSRF fields, redirects.

use crate::support::{PASSWORD, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use std::collections::BTreeMap;

/// A cookie-keeping client over the in-process router.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    /// The value of the first `csrf` hidden field.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let Some(start) = self.html.find(marker).map(|i| i + marker.len()) else {
            panic!("a form with a CSRF field ({} {:?}):\n{}", self.status, self.location, self.html)
        };
        self.html[start..].split('"').next().unwrap_or_default().to_owned()
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser { app, cookies: BTreeMap::new() }
    }

    async fn send(&mut self, method: Method, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let mut request = Request::builder().method(method).uri(path).header(header::COOKIE, cookie);
        let body = match form {
            Some(fields) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                let encoded: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
                Body::from(encoded.join("&"))
            }
            None => Body::empty(),
        };
        let response = self.app.send(request.body(body).expect("request")).await;
        for set in response.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if set.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let status = response.status();
        let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        Page { status, location, html: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(fields)).await
    }

    /// Posts a form with the CSRF token of the page at `form_page`.
    pub async fn submit(&mut self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(form_page).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Answers an OpenID consent page (`consent`, just fetched) with "Allow".
    pub async fn allow_consent(&mut self, consent: &Page) -> Page {
        assert_eq!(consent.status, StatusCode::OK, "the consent page: {}", consent.html);
        assert!(consent.html.contains("wants to sign you in"), "{}", consent.html);
        let mut fields = hidden_fields(&consent.html);
        fields.push(("decision".into(), "allow".into()));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post("/oauth/authorize", &pairs).await
    }

    /// Logs in as `handle` (with the test password) through the log-in form.
    pub async fn log_in(&mut self, handle: &str) {
        let page = self.submit("/login", "/login", &[("handle", handle), ("password", PASSWORD)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "log-in of {handle}: {}", page.html);
    }
}

/// A page's hidden form fields, `(name, value)`, their values unescaped.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|input| {
            let name = input.split("name=\"").nth(1).and_then(|r| r.split('"').next()).expect("name");
            let value = input.split("value=\"").nth(1).and_then(|r| r.split('"').next()).expect("value");
            let value =
                value.replace("&amp;", "&").replace("&#x2f;", "/").replace("&#x3a;", ":").replace("&#x3d;", "=");
            (name.to_owned(), value)
        })
        .collect()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn first_run_page_creates_the_commune_and_signs_the_steward_in() {
    let app = TestApp::empty().await;
    let mut browser = Browser::new(&app);
    let home = browser.get("/").await;
    assert_eq!((home.status, home.location.as_deref()), (StatusCode::SEE_OTHER, Some("/setup")));
    let setup = browser.get("/setup").await;
    assert!(setup.html.contains("Load the demo commune"), "the demo is one click away");

    let fields = [
        ("commune_name", "Harbour Commune"),
        ("commune_slug", "harbour"),
        ("handle", "hana"),
        ("display_name", "Hana"),
        ("password", PASSWORD),
    ];
    let forged = browser.post("/setup", &[&[("csrf", "forged")][..], &fields[..]].concat()).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "a missing or wrong CSRF token is refused");
    assert_eq!(app.audit_len().await, 0);

    let short = browser
        .submit(
            "/setup",
            "/setup",
            &[
                ("commune_name", "Harbour Commune"),
                ("commune_slug", "harbour"),
                ("handle", "hana"),
                ("display_name", "Hana"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.html.contains("password: must be at least 10 characters"), "the problem is shown");
    assert!(short.html.contains("value=\"Harbour Commune\""), "entered values are kept");

    let done = browser.submit("/setup", "/setup", &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let home = browser.get(done.location.as_deref().unwrap_or("/")).await;
    assert!(home.html.contains("Daily docket") && home.html.contains("Hana"), "signed in on the docket");
    assert!(home.html.contains("Harbour Commune"));
    let admin = browser.get("/admin").await;
    assert_eq!(admin.status, StatusCode::OK, "the first steward administers the instance");
    assert!(browser.get("/setup").await.location.is_some(), "setup happens once");
}

#[tokio::test]
async fn the_demo_loads_with_one_click_and_members_can_work_in_it() {
    let app = TestApp::empty().await;
    let mut browser = Browser::new(&app);
    let loaded = browser.submit("/setup", "/setup/demo", &[]).await;
    assert_eq!(loaded.status, StatusCode::SEE_OTHER);
    let members = app.store.count(commune_store::Counted::Members).await.expect("count");
    assert!((45..=60).contains(&members), "about 50 members: {members}");
    let orgs = app.store.list_orgs().await.expect("orgs");
    let kinds: Vec<&str> = orgs.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "business").count(), 5, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "chapter").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "commune").count(), 1);
    // The demo's point: a vote decided by merit where headcount would have decided otherwise,
    // counted by the scheduler's own steps.
    let hire: String =
        sqlx::query_scalar("SELECT id FROM proposals WHERE title = 'Hire a part-time bookkeeper for the pot'")
            .fetch_one(app.store.pool())
            .await
            .expect("the bookkeeper proposal");
    let tally = app.store.tally(&hire).await.expect("read").expect("counted");
    assert!(tally.modes_differ && tally.primary_mode == "merit", "merit and headcount disagree: {tally:?}");
    assert_eq!(commune_app::tally::verify_tally(&app.store, &hire).await.expect("verify"), Ok(()));

    let wrong = browser.submit("/login", "/login", &[("handle", "ada"), ("password", "not the password")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("wrong handle or password"));
    let login =
        browser.submit("/login", "/login", &[("handle", "ada"), ("password", commune_app::demo::DEMO_PASSWORD)]).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let home = browser.get("/").await;
    assert!(home.html.contains("Your organisations") && home.html.contains("Common Code"), "ada sees her orgs");
    assert!(home.html.contains("Waiting for your decision"), "ada stewards an org with pending requests");
    let orgs_page = browser.get("/orgs").await;
    assert!(orgs_page.html.contains("Solar Forge Co-op") && orgs_page.html.contains("Riverside Chapter"));
    assert!(orgs_page.html.contains("class=\"bar\""), "members per organisation as a chart");
    assert_eq!(browser.get("/members").await.status, StatusCode::OK);
    assert!(browser.get("/m/bayo").await.html.contains("Bayo"));
    assert_eq!(browser.get("/m/nobody").await.status, StatusCode::NOT_FOUND);

    // Tokens: the secret is on the creation page only.
    let created = browser
        .submit(
            "/orgs/common-code/tokens",
            "/orgs/common-code/tokens",
            &[("name", "ci"), ("scopes", "members:read"), ("scopes", "members:write")],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.html);
    let start = created.html.find("cmn_").expect("the secret is shown");
    let secret: String = created.html[start..].chars().take(68).collect();
    let listed = browser.get("/orgs/common-code/tokens").await;
    assert!(!listed.html.contains(&secret) && listed.html.contains("members:write"));

    // Escaping: a hostile display name is text, never markup.
    let profile = browser
        .submit(
            "/settings/profile",
            "/settings/profile",
            &[("display_name", "<script>alert(1)</script>"), ("bio", ""), ("place", ""), ("domains", "design")],
        )
        .await;
    assert_eq!(profile.status, StatusCode::SEE_OTHER);
    let page = browser.get("/m/ada").await;
    assert!(!page.html.contains("<script>alert(1)</script>") && page.html.contains("script&#62;alert(1)"), "escaped");

    // Money: the demo's books, paying an invoice, a refused overdraft, the commune's pot.
    let wallet = browser.get("/wallet").await;
    assert!(wallet.html.contains("Sourdough subscription, December") && wallet.html.contains("Bike repair deposit"));
    let marker = "action=\"/wallet/requests/";
    let start = wallet.html.find(marker).map(|i| i + marker.len()).expect("an open request with a Pay button");
    let pay_path = format!("/wallet/requests/{}", wallet.html[start..].split('"').next().unwrap_or_default());
    assert!(pay_path.ends_with("/pay"), "{pay_path}");
    let paid = browser.post(&pay_path, &[("csrf", &wallet.csrf())]).await;
    assert_eq!((paid.status, paid.location.as_deref()), (StatusCode::SEE_OTHER, Some("/wallet?done=paid")));
    assert!(browser.get("/wallet?done=paid").await.html.contains("Paid. The request is settled."));
    // The form shows the parsed amount back first; nothing moves until the person confirms.
    let asked =
        browser.submit("/wallet", "/wallet/send", &[("to", "bayo"), ("amount", "999999"), ("memo", "too much")]).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.html.contains("Send €999,999.00 to Bayo"), "the confirmation names the amount and the payee");
    let refused = browser
        .submit(
            "/wallet",
            "/wallet/send",
            &[("to", "bayo"), ("amount", "999999"), ("memo", "too much"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("not enough money"), "the ledger's reason, on the form");
    // A long history does not fit one page: it pages back through older lines.
    let ada = app.store.member_by_handle("ada").await.expect("read").expect("ada");
    let as_ada = commune_app::caller::Caller::Member(commune_app::caller::SignedIn {
        member: ada,
        session_hash: String::new(),
        csrf: String::new(),
        instance_steward: false,
        signed_in_at: 0,
    });
    for _ in 0..50 {
        let tip = commune_app::payments::PaymentInput {
            to: "bayo".into(),
            amount_minor: Some(1),
            ..commune_app::payments::PaymentInput::default()
        };
        commune_app::payments::pay(&app.state, &as_ada, tip).await.expect("a tip");
    }
    let marker = "href=\"/wallet?before=";
    let wallet = browser.get("/wallet").await;
    let start = wallet.html.find(marker).map(|i| i + marker.len() - "/wallet?before=".len()).expect("an older page");
    let older_path = wallet.html[start..].split('"').next().unwrap_or_default().replace("&amp;", "&");
    let older = browser.get(older_path.split('#').next().unwrap_or_default()).await;
    assert_eq!(older.status, StatusCode::OK);
    assert!(older.html.contains("id=\"history\"") && older.html.contains("class=\"num"), "older lines are shown");
    let pot = browser.get("/orgs/neon-valley/treasury").await;
    assert!(pot.html.contains("Common pot history") && pot.html.contains("class=\"bar month\""), "{}", pot.status);

    // Learning: a revised library, a course, cards due, calibrated forecasts, a circle.
    let hub = browser.get("/orgs/common-code/learn").await;
    assert_eq!(hub.status, StatusCode::OK);
    for expected in [
        "Designing charts for dark mode",
        "Pain plus reflection equals progress",
        "Design for everyone",
        "Answers to review",
        "Your calibration",
        "Thursday design circle",
    ] {
        assert!(hub.html.contains(expected), "the learning hub shows {expected}");
    }
    let doc_path = format!("/learn/{}", link_after(&hub.html, "href=\"/learn/"));
    let doc = browser.get(&doc_path).await;
    assert!(doc.html.contains("Revision 2") && doc.html.contains("By believability"), "{}", doc.html);
    let review = browser.get("/review").await;
    assert!(review.html.contains("id=\"flashcard\"") && review.html.contains("due today"), "cards due today");
    let mine = browser.get("/learn").await;
    assert!(mine.html.contains("toward mastery") && mine.html.contains("open task"), "mastery and what to learn next");
    let question = browser.get(&format!("/questions/{}", link_after(&hub.html, "href=\"/questions/"))).await;
    assert!(question.html.contains("Equal weights") && question.html.contains("Community"));
    let card = browser.get("/m/ada").await;
    assert!(card.html.contains("Mastery") && card.html.contains("design"), "mastery on the member's card");

    // Ideas: the idea only bridging ranks first; an opinion map with three groups and consensus;
    // an issue log with a diagnosis to a principle; a year of dashboards; the public numbers.
    let board: serde_json::Value =
        serde_json::from_str(&browser.get("/api/v1/orgs/neon-valley/ideas").await.html).expect("board JSON");
    let card = |title: &str| {
        board["ideas"].as_array().expect("ideas").iter().find(|c| c["idea"]["title"] == title).expect("idea").clone()
    };
    let bridge = card("A tool library in every district");
    assert_eq!(bridge["bridging"]["status"], "helpful", "{bridge}");
    assert_eq!(bridge["ranks"][2], 1, "first on bridging: {bridge}");
    assert!(bridge["ranks"][0].as_u64().unwrap_or(0) > 1, "not first on equal weight: {bridge}");
    let helpful =
        board["ideas"].as_array().expect("ideas").iter().filter(|c| c["bridging"]["status"] == "helpful").count();
    assert_eq!(helpful, 1, "only one idea bridges: {board}");
    assert!(card("Car-free Sundays in the centre")["ranks"][0] == 1);
    let page = browser.get("/orgs/neon-valley/ideas").await;
    assert!(page.html.contains("status-helpful") && page.html.contains("Bridging"));
    let maps = browser.get("/orgs/neon-valley/conversations").await;
    let map_path = format!("/conversations/{}", link_after(&maps.html, "href=\"/conversations/"));
    let map: serde_json::Value =
        serde_json::from_str(&browser.get(&format!("/api/v1{map_path}")).await.html).expect("map JSON");
    assert_eq!(map["groups"].as_array().map(Vec::len), Some(3), "three opinion groups: {}", map["groups"]);
    assert!(map["consensus"].as_array().map_or(0, Vec::len) >= 2, "{}", map["consensus"]);
    assert_eq!(map["pending"].as_array().map(Vec::len), Some(1), "one statement waits for ada's moderation");
    let map_page = browser.get(&map_path).await;
    assert!(map_page.html.contains("class=\"g2") && map_page.html.contains("data-live"), "the map is drawn");
    let log = browser.get("/orgs/common-code/problems").await;
    assert!(log.html.contains("Production outage after the Friday deploy") && log.html.contains("By team"));
    let outage = browser.get(&format!("/problems/{}", link_after(&log.html, "href=\"/problems/"))).await;
    assert_eq!(outage.status, StatusCode::OK);
    let refused: serde_json::Value =
        serde_json::from_str(&browser.get("/api/v1/orgs/common-code/analytics?from=2000-01-01").await.html)
            .expect("an error");
    assert_eq!(refused["error"]["code"], "invalid_input", "a range over ten years is refused");
    let year = commune_domain::ideas::analytics::day_label(commune_store::now_ms().div_euclid(86_400_000) - 364);
    let dash: serde_json::Value =
        serde_json::from_str(&browser.get(&format!("/api/v1/orgs/common-code/analytics?from={year}")).await.html)
            .expect("dashboard JSON");
    let series = |key: &str| {
        dash["activity"]
            .as_array()
            .into_iter()
            .chain(dash["custom"].as_array())
            .flatten()
            .find(|s| s["key"] == key)
            .cloned()
            .expect(key)
    };
    let logged: f64 =
        series("problems_logged")["values"].as_array().expect("v").iter().filter_map(|v| v.as_f64()).sum();
    assert!(logged >= 15.0, "a year of problems: {logged}");
    assert_eq!(series("active.users")["values"].as_array().map(Vec::len), Some(365));
    let chart = browser.get("/orgs/common-code/analytics").await;
    assert!(chart.html.contains("<polyline") && chart.html.contains("class=\"bar\""), "charts are drawn");
    let numbers = browser.get("/numbers").await;
    assert_eq!(numbers.status, StatusCode::OK, "the demo shows its numbers in public");
    // Common Code publishes to the fediverse: its account, its actor and its proposals as Questions.
    let fedi = browser.get("/orgs/common-code/federation").await;
    assert!(fedi.html.contains("id=\"fedi-account\">@common-code@"), "the fediverse page names the account");
    let actor = browser.get("/ap/orgs/common-code").await;
    assert!(actor.html.contains("\"type\":\"Group\""), "{}", actor.html);
    commune_app::federation::outbox::fan_out(&browser.app.state).await.expect("fan out");
    let outbox = browser.get("/ap/orgs/common-code/outbox").await;
    assert!(outbox.html.contains("\"type\":\"Question\""), "the demo's proposals are in the outbox");

    let out = browser.submit("/", "/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = browser.get("/orgs").await;
    assert_eq!(after.location.as_deref(), Some("/login?next=/orgs"), "signed-out visitors log in, then come back");
}

#[tokio::test]
async fn join_and_admit_through_pages() {
    let app = TestApp::set_up().await;
    let mut steward = Browser::new(&app);
    let signup = steward
        .submit(
            "/signup",
            "/signup",
            &[
                ("handle", "sam"),
                ("display_name", "Sam"),
                ("password", PASSWORD),
                ("place", "Harbour"),
                ("domains", "food, energy"),
            ],
        )
        .await;
    assert_eq!(signup.status, StatusCode::SEE_OTHER, "{}", signup.html);
    let dup = Browser::new(&app)
        .submit("/signup", "/signup", &[("handle", "sam"), ("display_name", "Sam 2"), ("password", PASSWORD)])
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.html.contains("already exists"));

    let founded = steward
        .submit(
            "/orgs/new",
            "/orgs/new",
            &[
                ("name", "Byte Bakery"),
                ("slug", "byte-bakery"),
                ("kind", "business"),
                ("place", ""),
                ("description", "Bread."),
            ],
        )
        .await;
    assert_eq!(founded.location.as_deref(), Some("/orgs/byte-bakery?done=org"));

    let mut joiner = Browser::new(&app);
    joiner.submit("/signup", "/signup", &[("handle", "joe"), ("display_name", "Joe"), ("password", PASSWORD)]).await;
    let asked = joiner.submit("/orgs/byte-bakery", "/orgs/byte-bakery/join", &[("message", "I knead this")]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    assert!(joiner.get("/orgs/byte-bakery").await.html.contains("your request is pending"));
    assert_eq!(joiner.get("/orgs/byte-bakery/requests").await.status, StatusCode::FORBIDDEN, "only stewards review");

    let requests = steward.get("/orgs/byte-bakery/requests").await;
    assert!(requests.html.contains("I knead this"));
    let marker = "/orgs/byte-bakery/requests/";
    let start = requests.html.find(marker).expect("an admit form") + marker.len();
    let id: String = requests.html[start..].chars().take_while(|c| *c != '/').collect();
    let admitted = steward.post(&format!("/orgs/byte-bakery/requests/{id}/admit"), &[("csrf", &requests.csrf())]).await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER);
    let org = joiner.get("/orgs/byte-bakery").await;
    assert!(org.html.contains("you are a member") && org.html.contains("@joe"), "the new member sees the member list");
}

#[tokio::test]
async fn voting_through_the_page_keeps_the_ballot_for_replacement() {
    let app = TestApp::set_up().await;
    let mut browser = Browser::new(&app);
    browser.submit("/signup", "/signup", &[("handle", "vera"), ("display_name", "Vera"), ("password", PASSWORD)]).await;
    browser.submit("/orgs/new", "/orgs/new", &[("name", "Vote Lab"), ("slug", "vote-lab"), ("kind", "business")]).await;
    let auth = crate::support::Auth::Session {
        cookie: format!("commune_session={}", browser.cookies.get("commune_session").expect("signed in")),
        csrf: browser.get("/").await.csrf(),
    };
    let now = commune_store::now_ms();
    let body = serde_json::json!({ "title": "Paint it black", "kind": "decision", "method": { "method": "yes_no", "threshold": 0.5 },
        "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN });
    let (_, p) = app.call(Method::POST, "/api/v1/orgs/vote-lab/proposals", &auth, Some(body)).await;
    let id = p["id"].as_str().expect("id").to_owned();
    app.call(Method::POST, &format!("/api/v1/proposals/{id}/publish"), &auth, None).await;
    commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN + 1_000).await.expect("open voting");
    let page = format!("/p/{id}");
    let bad = browser.submit(&page, &format!("/p/{id}/vote"), &[("stance", "maybe")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "a ballot that fits no method is refused on the page");
    let voted = browser.submit(&page, &format!("/p/{id}/vote"), &[("stance", "no")]).await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER);
    let shown = browser.get(&page).await;
    assert!(shown.html.contains("value=\"no\" checked"), "the current ballot is pre-selected");
    assert!(shown.html.contains("Replace my ballot") && shown.html.contains("Your receipt"));
}

/// The proposal wizard: the kind first, then only that kind's fields; typed text survives an
/// error, each error sits on its field; times are read in the member's zone; the draft page is
/// the review, and the draft can be edited by its author only.
#[tokio::test]
async fn the_proposal_wizard_asks_only_what_the_kind_needs_and_drafts_can_be_edited() {
    let app = TestApp::set_up().await;
    let ada = app.member("ada").await;
    app.admit(&app.login("root").await, &ada, "root").await;
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/me/prefs",
            &ada,
            Some(serde_json::json!({ "digest": "off", "email": "", "time_zone": "America/Bogota" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut browser = Browser::new(&app);
    browser.log_in("ada").await;

    let picker = browser.get("/orgs/root/proposals/new").await;
    assert!(picker.html.contains("Policy change") && picker.html.contains("?kind=allocation"), "{}", picker.html);
    let policy = browser.get("/orgs/root/proposals/new?kind=policy").await;
    assert!(policy.html.contains("Funnel rate (share of business revenue"), "rules by name");
    assert!(
        !policy.html.contains("name=\"amount\"") && !policy.html.contains("name=\"admit\""),
        "only the policy's fields"
    );
    assert!(policy.html.contains("value=\"yes_no\" selected"), "a motion by default, not a ranked vote");
    assert!(!policy.html.contains("value=\"ranked:schulze\""), "a rule change is a motion");
    assert!(policy.html.contains("America/Bogota"), "times are typed in the member's zone");

    let long_title = "A".repeat(150);
    let fields = [
        ("kind", "policy"),
        ("title", long_title.as_str()),
        ("body", "Why we should"),
        ("method", "yes_no"),
        ("threshold", "50%"),
        ("policy_key", "funnel_rate"),
        ("policy_value", "banana"),
        ("opens", "2030-01-01T10:00"),
        ("closes", "2030-01-08T10:00"),
        ("weighting", "equal"),
    ];
    let audit = app.audit_len().await;
    let page = browser.submit("/orgs/root/proposals/new?kind=policy", "/orgs/root/proposals/new", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("at most 140 characters (this one has 150)"), "{}", page.html);
    assert!(page.html.contains(&long_title), "the typed title is kept, not cut");
    assert!(page.html.contains("150 / 140"), "the counter shows the overflow");
    assert!(
        page.html.contains("a share like 50% (or 0.5)") && page.html.contains("aria-invalid=\"true\""),
        "{}",
        page.html
    );
    assert_eq!(app.audit_len().await, audit, "nothing was written");

    let mut fields = fields.to_vec();
    fields[1] = ("title", "Raise the funnel to 30%");
    fields[6] = ("policy_value", "30%");
    let page = browser.submit("/orgs/root/proposals/new?kind=policy", "/orgs/root/proposals/new", &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let location = page.location.expect("to the draft");
    assert!(location.ends_with("?done=drafted"), "{location}");
    let id = location.trim_start_matches("/p/").split('?').next().expect("id").to_owned();
    let stored = app.store.proposal(&id).await.expect("read").expect("stored");
    // 10:00 in Bogotá (UTC−5) is 15:00 UTC.
    assert_eq!(stored.voting_opens_at, 1_893_510_000_000, "opens 2030-01-01T15:00Z");
    assert!(
        matches!(stored.effect, commune_domain::governance::proposal::Effect::SetPolicy { value, .. } if (value - 0.3).abs() < 1e-9)
    );
    let review = browser.get(&location).await;
    assert!(review.html.contains("Step 3 of 3") && review.html.contains(&format!("/p/{id}/edit")), "{}", review.html);

    let edit = browser.get(&format!("/p/{id}/edit")).await;
    assert!(edit.html.contains("value=\"30%\"") && edit.html.contains("2030-01-01T10:00"), "{}", edit.html);
    fields[1] = ("title", "Raise the funnel to 25%");
    fields[6] = ("policy_value", "25%");
    let saved = browser.submit(&format!("/p/{id}/edit"), &format!("/p/{id}/edit"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let stored = app.store.proposal(&id).await.expect("read").expect("stored");
    assert_eq!(stored.title, "Raise the funnel to 25%");

    let mut other = Browser::new(&app);
    app.member("bruno").await;
    other.log_in("bruno").await;
    assert_eq!(other.get(&format!("/p/{id}/edit")).await.status, StatusCode::NOT_FOUND, "a draft is its author's");
}

/// A new steward, from the first page: the checklist says what to do; an invite link, a
/// business, a first deposit (confirmed, with its reference) and a first proposal tick it off;
/// a wallet form that fails keeps what was typed; handles may be written with `@`.
#[tokio::test]
async fn a_new_steward_gets_going_from_the_checklist() {
    let app = TestApp::set_up().await;
    let mut steward = Browser::new(&app);
    steward.log_in("root").await;
    let home = steward.get("/").await;
    for step in
        ["Invite members with a link", "Found a first business", "Open a first proposal", "Record a first deposit"]
    {
        assert!(home.html.contains(step), "{step} is on the checklist:\n{}", home.html);
    }
    assert!(!home.html.contains("class=\"done\""), "nothing is done yet");

    // An invite link, shown once.
    let made = steward
        .submit(
            "/orgs/root/invites",
            "/orgs/root/invites",
            &[("max_uses", "5"), ("expires_in_days", "7"), ("note", "first crew")],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.html);
    let start = made.html.find("/join/inv_").expect("the link is shown");
    let link = made.html[start..].split('<').next().expect("link").to_owned();
    let mut ada = Browser::new(&app);
    let joined = ada
        .submit(&link, &format!("{link}/signup"), &[("handle", "ada"), ("display_name", "Ada"), ("password", PASSWORD)])
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.html);

    // A first deposit: the page asks first, then records it with its reference.
    let asked = steward
        .submit(
            "/admin/books",
            "/admin/books/deposit",
            &[("to", "@ada"), ("amount", "1250.50"), ("currency", "EUR"), ("reference", "BANK-0042"), ("memo", "dues")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(
        asked.html.contains("Record €1,250.50 arriving from outside into Ada") && asked.html.contains("BANK-0042"),
        "{}",
        asked.html
    );
    let balance_before = app.call(Method::GET, "/api/v1/wallet", &app.login("ada").await, None).await.1;
    assert!(
        balance_before.as_array().is_none_or(|w| w.iter().all(|w| w["balance_minor"] == 0)),
        "nothing moved before confirming"
    );
    let done = steward
        .submit(
            "/admin/books",
            "/admin/books/deposit",
            &[
                ("to", "@ada"),
                ("amount", "1250.50"),
                ("currency", "EUR"),
                ("reference", "BANK-0042"),
                ("memo", "dues"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/admin/books?done=deposited"), "{}", done.html);
    let books = steward.get("/admin/books").await;
    assert!(books.html.contains("dues (ref BANK-0042)"), "the reference stays with the money");

    // A business, and a first proposal: the checklist is done and goes away.
    let org =
        steward.submit("/orgs/new", "/orgs/new", &[("slug", "bakery"), ("name", "Bakery"), ("kind", "business")]).await;
    assert_eq!(org.status, StatusCode::SEE_OTHER, "{}", org.html);
    let fields = [
        ("kind", "decision"),
        ("title", "Open on Sundays"),
        ("method", "yes_no"),
        ("threshold", "50%"),
        ("opens", "2099-01-01T10:00"),
        ("closes", "2099-01-08T10:00"),
    ];
    let drafted = steward.submit("/orgs/root/proposals/new?kind=decision", "/orgs/root/proposals/new", &fields).await;
    assert_eq!(drafted.status, StatusCode::SEE_OTHER, "{}", drafted.html);
    let home = steward.get("/").await;
    assert!(!home.html.contains("Get your commune going"), "every step done: {}", home.html);

    // A wallet form that fails comes back with what was typed.
    ada.log_in("ada").await;
    let refused = ada
        .submit(
            "/wallet",
            "/wallet/send",
            &[("to", "@nobody_here"), ("amount", "12.50"), ("memo", "for the flour"), ("currency", "EUR")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(
        refused.html.contains("value=\"@nobody_here\"") && refused.html.contains("value=\"for the flour\""),
        "{}",
        refused.html
    );
    let ok = ada.submit("/wallet", "/wallet/send", &[("to", "@root"), ("amount", "12.50"), ("currency", "EUR")]).await;
    assert!(ok.html.contains("Send €12.50 to Root Steward"), "@handles are names: {}", ok.html);
}

/// The directory finds people by name, domain, place and role, with avatars and stewardships on
/// the cards; a delegation in a misspelt domain is refused with the right spelling; the
/// delegate sees who delegated to them.
#[tokio::test]
async fn members_are_findable_and_delegations_name_real_domains() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    for (handle, domain, place) in
        [("ada", "finance", "Turin"), ("bruno", "energy", "Lyon"), ("chiara", "finance", "Lyon")]
    {
        let who = app.member(handle).await;
        let (status, body) = app
            .call(
                Method::PUT,
                "/api/v1/me/profile",
                &who,
                Some(serde_json::json!({ "display_name": handle.to_uppercase(), "bio": "", "place": place, "domains": [domain] })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.admit(&root, &who, "root").await;
    }
    let mut browser = Browser::new(&app);
    browser.log_in("ada").await;
    let lyon_finance = browser.get("/members?domain=finance&place=lyo").await;
    let card = |h: &str| format!("class=\"card person\" href=\"/m/{h}\"");
    assert!(lyon_finance.html.contains(&card("chiara")), "{}", lyon_finance.html);
    assert!(!lyon_finance.html.contains(&card("bruno")) && !lyon_finance.html.contains(&card("ada")));
    assert!(lyon_finance.html.contains("1 member matches") && lyon_finance.html.contains("/avatars/chiara.svg"));
    let stewards = browser.get("/members?org=root&role=steward").await;
    assert!(stewards.html.contains(&card("root")) && !stewards.html.contains(&card("chiara")), "{}", stewards.html);
    let by_name = app.call(Method::GET, "/api/v1/members?q=BRU", &root, None).await.1;
    assert_eq!(by_name.as_array().map(|a| a.len()), Some(1), "{by_name}");
    // A hostile query is only text: LIKE wildcards match themselves.
    let wild = app.call(Method::GET, "/api/v1/members?q=%25", &root, None).await.1;
    assert_eq!(wild.as_array().map(|a| a.len()), Some(0), "{wild}");

    let typo = browser
        .submit("/orgs/root/delegations", "/orgs/root/delegations", &[("delegate", "@chiara"), ("domain", "finanse")])
        .await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", typo.html);
    assert!(typo.html.contains("did you mean &#39;finance&#39;?"), "{}", typo.html);
    let done = browser
        .submit("/orgs/root/delegations", "/orgs/root/delegations", &[("delegate", "@chiara"), ("domain", "finance")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let mut chiara = Browser::new(&app);
    chiara.log_in("chiara").await;
    let page = chiara.get("/orgs/root/delegations").await;
    assert!(page.html.contains("Delegated to you") && page.html.contains("@ada</a> — finance"), "{}", page.html);
}

/// The commune's treasury tells the pot's story: where its money came from per business, what
/// open proposals would spend, what proposals funded, a button to propose spending, paged history.
#[tokio::test]
async fn the_pot_tells_its_story() {
    let app = TestApp::set_up().await;
    let root = app.login("root").await;
    app.org(&root, "bakery").await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/orgs/bakery/revenue",
            &root,
            Some(serde_json::json!({ "amount": "1000.00", "memo": "market" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, treasury) = app.call(Method::GET, "/api/v1/orgs/root/treasury", &root, None).await;
    let story = &treasury["pot_story"];
    assert_eq!(story["in_minor"], 20_000, "{treasury}");
    assert_eq!(story["by_business"][0], serde_json::json!(["BAKERY", 20_000]));
    assert_eq!(story["available_minor"], 20_000);
    let mut browser = Browser::new(&app);
    browser.log_in("root").await;
    let page = browser.get("/orgs/root/treasury").await;
    assert!(
        page.html.contains("Propose spending from the pot") && page.html.contains("?kind=allocation"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("Where the pot&#39;s money came from")
            || page.html.contains("Where the pot's money came from")
    );
    assert!(page.html.contains("€200.00"), "money with its symbol");
}

/// A member's picture: an upload replaces the identicon, its type read from its bytes; an SVG
/// or an oversized file is refused and changes nothing; removing it brings the identicon back.
#[tokio::test]
async fn a_picture_replaces_the_identicon_and_only_pictures_are_accepted() {
    let app = TestApp::set_up().await;
    let ada = app.member("ada").await;
    let crate::support::Auth::Session { cookie, csrf } = &ada else { panic!("a session") };
    let upload = |name: &str, bytes: &[u8], extra: &str| {
        let boundary = "commune-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n{extra}--{boundary}\r\n\
             Content-Disposition: form-data; name=\"avatar\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        axum::http::Request::builder()
            .method(Method::POST)
            .uri("/settings/avatar")
            .header(axum::http::header::COOKIE, cookie.as_str())
            .header(axum::http::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    async fn fetch(app: &TestApp) -> (String, axum::body::Bytes) {
        let request = app.request(Method::GET, "/avatars/ada.svg", &crate::support::Auth::None, None);
        let response = app.send(request).await;
        let kind = response.headers()[axum::http::header::CONTENT_TYPE].to_str().expect("type").to_owned();
        (kind, response.into_body().collect().await.expect("body").to_bytes())
    }
    assert_eq!(fetch(&app).await.0, "image/svg+xml", "an identicon to begin with");
    let png = include_bytes!("../../../commune-server/assets/social.png");
    let done = app.send(upload("me.png", png, "")).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let (kind, bytes) = fetch(&app).await;
    assert_eq!((kind.as_str(), bytes.as_ref()), ("image/png", &png[..]));

    let audit = app.audit_len().await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    assert_eq!(app.send(upload("evil.png", svg, "")).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let huge = vec![0x89u8; 300 * 1024];
    assert!(app.send(upload("huge.png", &huge, "")).await.status().is_client_error());
    assert_eq!(app.audit_len().await, audit, "refused uploads change nothing");
    assert_eq!(fetch(&app).await.0, "image/png");

    let remove = "--commune-test-boundary\r\nContent-Disposition: form-data; name=\"remove\"\r\n\r\n1\r\n";
    assert_eq!(app.send(upload("none.png", b"", remove)).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(fetch(&app).await.0, "image/svg+xml", "the identicon is back");
    let entry = app
        .store
        .audit_tail(2)
        .await
        .expect("tail")
        .into_iter()
        .find(|e| e.action == "member.avatar")
        .expect("audited");
    assert!(entry.payload.len() < 200, "the audit entry holds the picture's digest, not the picture");
}

#[tokio::test]
async fn work_pages_create_edit_move_and_refuse_bad_hours_without_javascript() {
    let app = TestApp::set_up().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    app.org(&ada, "bakery").await;
    app.admit(&ada, &bob, "bakery").await;
    let mut web = Browser::new(&app);
    web.log_in("ada").await;
    let page = web.submit("/orgs/bakery/work", "/orgs/bakery/projects", &[("name", "Oven")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let board = web.get("/orgs/bakery/work").await;
    let marker = "name=\"project_id\"><option value=\"";
    let start = board.html.find(marker).expect("a project to choose") + marker.len();
    let project = board.html[start..].split('"').next().unwrap().to_owned();
    let fields =
        [("project_id", project.as_str()), ("title", "Fix the oven"), ("effort_hours", "2"), ("domains", "baking")];
    let page = web.submit("/orgs/bakery/work", "/orgs/bakery/tasks", &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let task = page.location.expect("to the task");
    // Bad hours: the form comes back with the problem on its field, nothing created.
    let bad = [("project_id", project.as_str()), ("title", "Bad"), ("effort_hours", "-3")];
    let page = web.submit("/orgs/bakery/work", "/orgs/bakery/tasks", &bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("hours as a number"), "{}", page.html);
    // Edit it: the creator sees the form.
    let shown = web.get(&task).await;
    assert!(shown.html.contains("Edit the task") && shown.html.contains("value=\"Fix the oven\""), "{}", shown.html);
    let edit = [("title", "Fix the big oven"), ("effort_hours", "3"), ("domains", "baking"), ("difficulty", "4")];
    let page = web.submit(&task, &format!("{task}/edit"), &edit).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let shown = web.get(&task).await;
    assert!(shown.html.contains("Fix the big oven") && shown.html.contains("4 of 5"), "{}", shown.html);
    // The board's move form (what a card's keyboard or drag move submits): take it.
    let moved = [("step", "move"), ("to", "assigned"), ("back", "/orgs/bakery/work")];
    let page = web.submit("/orgs/bakery/work", &format!("{task}/step"), &moved).await;
    assert_eq!(page.location.as_deref(), Some("/orgs/bakery/work"), "{}", page.html);
    let board = web.get("/orgs/bakery/work").await;
    let assigned = board.html.find("data-status=\"assigned\" aria-labelledby").expect("the assigned column");
    assert!(board.html[assigned..].contains("Fix the big oven"), "the card sits in Assigned");
    // A member who did not create it sees no edit form.
    let mut bob_web = Browser::new(&app);
    bob_web.log_in("bob").await;
    assert!(!bob_web.get(&task).await.html.contains("Edit the task"));
}

/// The id after the first `marker` in a page (up to the closing quote, `?` or `#`).
fn link_after(html: &str, marker: &str) -> String {
    let start = html.find(marker).expect("a link") + marker.len();
    html[start..].chars().take_while(|c| !matches!(c, '"' | '?' | '#')).collect()
}

/// Learning without JavaScript: write a lesson, suggest and merge a change, study its cards and
/// rate one, take an exercise, forecast — each form re-shows typed text and errors on a problem.
#[tokio::test]
async fn learning_works_from_forms_alone() {
    let app = TestApp::set_up().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    app.org(&ada, "bakery").await;
    app.admit(&ada, &bob, "bakery").await;
    let mut web = Browser::new(&app);
    web.log_in("ada").await;
    let bad = web.submit("/orgs/bakery/learn", "/orgs/bakery/learn/docs", &[("title", "x"), ("body", "")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("title: must be at least 3 characters"), "{}", bad.html);
    let fields = [
        ("kind", "lesson"),
        ("title", "Scoring dough"),
        ("body", "Score at a {{30 degree}} angle.\nQ: Blade?\nA: A lame."),
        ("domains", "baking"),
    ];
    let made = web.submit("/orgs/bakery/learn", "/orgs/bakery/learn/docs", &fields).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let doc = made.location.clone().expect("to the document");
    let page = web.get(&doc).await;
    assert!(page.html.contains("2 review cards"), "{}", page.html);
    let studied = web.submit(&doc, &format!("{doc}/study"), &[]).await;
    assert_eq!(studied.location.as_deref(), Some("/review"));
    let queue = web.get("/review").await;
    let card = link_after(&queue.html, "action=\"/cards/");
    let card = card.trim_end_matches("/review").to_owned();
    let rated = web.submit("/review", &format!("/cards/{card}/review"), &[("rating", "3")]).await;
    assert_eq!(rated.location.as_deref(), Some("/review"));
    assert!(web.get("/review").await.html.contains("1 of 2 cards due today"));
    // bob suggests; ada merges.
    let mut bob_web = Browser::new(&app);
    bob_web.log_in("bob").await;
    let suggested = bob_web
        .submit(
            &doc,
            &format!("{doc}/edit"),
            &[
                ("base", "1"),
                ("title", "Scoring dough"),
                ("body", "Score at a {{30 degree}} angle, quickly.\nQ: Blade?\nA: A lame."),
                ("note", "speed"),
            ],
        )
        .await;
    assert_eq!(suggested.status, StatusCode::SEE_OTHER, "{}", suggested.html);
    let page = web.get(&doc).await;
    assert!(page.html.contains("waiting for a maintainer"));
    let rev = link_after(&page.html, "action=\"/revisions/");
    let rev = rev.trim_end_matches("/decision").to_owned();
    let merged = web.submit(&doc, &format!("/revisions/{rev}/decision"), &[("decision", "merge")]).await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER);
    assert!(web.get(&doc).await.html.contains("quickly"));
    // A forecast out of range is refused on the page, with the question still there.
    let q = web
        .submit(
            "/orgs/bakery/learn",
            "/orgs/bakery/learn/questions",
            &[
                ("title", "Will it rain on market day?"),
                ("criteria", "Yes if the market is cancelled for rain."),
                ("kind", "binary"),
                ("domain", "sales"),
                ("closes", &commune_domain::ledger::export::date_of(commune_store::now_ms() + 5 * 86_400_000)),
            ],
        )
        .await;
    let q = q.location.expect("to the question");
    let refused = bob_web.submit(&q, &format!("{q}/forecast"), &[("p", "1.5")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("between 0 and 1"));
    let ok = bob_web.submit(&q, &format!("{q}/forecast"), &[("p", "30%")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(bob_web.get(&q).await.html.contains("Update"));
}

/// The ideas pages work from forms alone: log a problem (a bad one comes back with its error),
/// diagnose it, post and rate an idea, keep a journal, start an opinion map and vote on it, and
/// read the dashboard; the journal page of another member never shows one's entries.
#[tokio::test]
async fn ideas_work_from_forms_alone() {
    let app = TestApp::set_up().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    app.org(&ada, "bakery").await;
    app.admit(&ada, &bob, "bakery").await;
    let mut web = Browser::new(&app);
    web.log_in("ada").await;
    let bad = web
        .submit(
            "/orgs/bakery/problems",
            "/orgs/bakery/problems",
            &[("title", "Late"), ("what_happened", "x"), ("severity", "awful")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("severity is minor, moderate, major or critical"), "{}", bad.html);
    let made = web
        .submit(
            "/orgs/bakery/problems",
            "/orgs/bakery/problems",
            &[
                ("title", "The van was late"),
                ("what_happened", "It left at ten."),
                ("severity", "major"),
                ("responsible", "bob"),
                ("team", "logistics"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let problem = made.location.expect("to the problem");
    let diagnosed = web
        .submit(
            &problem,
            &format!("{problem}/diagnose"),
            &[
                ("diagnosis", "No schedule owner."),
                ("new_principle", "Every job has one owner"),
                ("principle_example", "The late van."),
            ],
        )
        .await;
    assert_eq!(diagnosed.status, StatusCode::SEE_OTHER, "{}", diagnosed.html);
    let page = web.get(&problem).await;
    assert!(page.html.contains("Root cause") && page.html.contains("Every job has one owner"));
    let posted = web
        .submit("/orgs/bakery/ideas", "/orgs/bakery/ideas", &[("title", "Rye on Sundays"), ("body", "People ask.")])
        .await;
    let idea = posted.location.expect("to the idea");
    let mut bob_web = Browser::new(&app);
    bob_web.log_in("bob").await;
    let rated = bob_web.submit(&idea, &format!("{idea}/rate"), &[("helpful", "yes")]).await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER);
    let refused = web.submit(&idea, &format!("{idea}/rate"), &[("helpful", "yes")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "one's own idea");
    assert!(refused.html.contains("cannot rate your own idea"));
    let journal = web.submit("/journal", "/journal", &[("pain", "The inspector's questions rattled me")]).await;
    assert_eq!(journal.status, StatusCode::SEE_OTHER);
    assert!(web.get("/journal").await.html.contains("rattled me"));
    assert!(!bob_web.get("/journal").await.html.contains("rattled me"), "private");
    let opened =
        web.submit("/orgs/bakery/conversations", "/orgs/bakery/conversations", &[("topic", "Opening hours")]).await;
    let map = opened.location.expect("to the map");
    web.submit(&map, &format!("{map}/statements"), &[("body", "Open at seven.")]).await;
    let view = bob_web.get(&map).await;
    let statement = view
        .html
        .split("action=\"/statements/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("a statement")
        .to_owned();
    let voted = bob_web.submit(&map, &format!("/statements/{statement}/vote"), &[("vote", "agree")]).await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER);
    assert!(bob_web.get(&map).await.html.contains("aria-pressed=\"true\""), "the vote shows");
    let dash = web.get("/orgs/bakery/analytics").await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.html.contains("Problems logged") && dash.html.contains("analytics.csv"));
    let csv = web.get("/orgs/bakery/analytics.csv?table=turnout").await;
    assert!(csv.html.starts_with("proposal_id,title"), "{}", csv.html);
}
