//! Two-phase transfers between a commune and its chapter on another instance, each a real
//! server on loopback: money sent is held on both ledgers, then posted on both — and when
//! either instance is killed mid-transfer (its server stopped, its state dropped, then started
//! again over the same database), both ledgers still balance and end the same way: posted on
//! both or voided on both. Nothing is created or lost across the two.

use crate::federation::{agree_to_north, instance_at, link_north, north_chapter, post_signed, pump};
use crate::support::{Auth, TestApp, check_error};
use axum::http::{Method, StatusCode};
use commune_app::federation::transfers;
use commune_app::state::AppState;
use commune_domain::federation::httpsig::Dialect;
use commune_domain::federation::transfers as protocol;
use commune_domain::ledger::payments::{Owner, Payer};
use serde_json::{Value, json};

fn now() -> i64 {
    commune_store::now_ms()
}

/// An instance whose server can be killed and started again over the same database.
struct Live {
    app: TestApp,
    base: String,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Live {
    fn port(&self) -> u16 {
        self.base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port")
    }

    /// Stops the server and drops everything the process held in memory.
    async fn kill(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
        let config = self.app.state.config.clone();
        // A fresh state that nothing serves: the old one (caches, writers) is gone.
        let store = commune_store::Store::connect(&self.app.db.url).await.expect("connect");
        self.app.state = AppState::new(store.clone(), config);
        self.app.store = store;
    }

    /// Starts the server again, on the same address, over the same database.
    async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port())).await.expect("rebind");
        self.app.router = commune_server::app(self.app.state.clone());
        let router = self.app.router.clone();
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        }));
    }
}

async fn live() -> (Live, Auth) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (app, base, root) = instance_at(&listener).await;
    let router = app.router.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (Live { app, base, server: Some(server) }, root)
}

/// `(posted, pending)` of an owner's account on the first ledger: credits less debits.
async fn balance(app: &TestApp, owner: &Owner) -> (i128, i128) {
    let ledger = app.store.ledgers().await.expect("ledgers")[0].id;
    match app.store.ledger_account(owner.wallet(ledger).id).await.expect("account") {
        Some(row) => {
            let a = row.account;
            (a.credits_posted as i128 - a.debits_posted as i128, a.credits_pending as i128 - a.debits_pending as i128)
        }
        None => (0, 0),
    }
}

/// Each ledger re-derived from its history: no problem, debits equal credits.
async fn balanced(app: &TestApp) {
    let report = commune_app::export::verify_ledger(&app.store, |_| {}).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    for (ledger, (debits, credits)) in &report.totals {
        assert_eq!(debits, credits, "ledger {ledger}");
    }
}

struct World {
    a: Live,
    b: Live,
    a_root: Auth,
    root_id: String,
    north_id: String,
    commune: String,
    chapter: String,
}

impl World {
    async fn new() -> World {
        let (a, a_root) = live().await;
        let (b, b_root) = live().await;
        let b_host = b.base.trim_start_matches("http://").to_string();
        let a_host = a.base.trim_start_matches("http://").to_string();
        let north = north_chapter(&b.app, &b_root).await;
        agree_to_north(&a.app, &a_root, &b_host).await;
        let (status, linked) = link_north(&b.app, &b_root, &a_host).await;
        assert_eq!(status, StatusCode::OK, "{linked}");
        let (status, deposit) = a
            .app
            .call(Method::POST, "/api/v1/deposits", &a_root, Some(json!({"to": "org:root", "amount": "100.00"})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{deposit}");
        let root = a.app.store.org_by_slug("root").await.expect("read").expect("root");
        let commune = format!("{}/ap/orgs/root", a.base);
        let chapter = format!("{}/ap/orgs/north", b.base);
        World {
            root_id: root.id,
            north_id: north["id"].as_str().expect("id").to_string(),
            a,
            b,
            a_root,
            commune,
            chapter,
        }
    }

    /// The four accounts the transfers touch: A's root wallet and its clearing account for North,
    /// B's clearing account for the commune and North's wallet (posted, pending each).
    async fn books(&self) -> [(i128, i128); 4] {
        [
            balance(&self.a.app, &Owner::Org(self.root_id.clone())).await,
            balance(&self.a.app, &Owner::Peer(self.chapter.clone())).await,
            balance(&self.b.app, &Owner::Peer(self.commune.clone())).await,
            balance(&self.b.app, &Owner::Org(self.north_id.clone())).await,
        ]
    }

    /// Both ledgers balance, and what left A is exactly what reached B, counting what is held
    /// (posted plus pending) — true at every point both sides agree on, also mid-transfer.
    async fn conserved(&self) -> [(i128, i128); 4] {
        balanced(&self.a.app).await;
        balanced(&self.b.app).await;
        let books = self.books().await;
        let total = |i: usize| books[i].0 + books[i].1;
        assert_eq!(total(1) + total(2), 0, "the clearing accounts mirror each other: {books:?}");
        assert_eq!(total(0) + total(1), 10_000, "A's money is in its wallet or on its way: {books:?}");
        assert_eq!(total(2) + total(3), 0, "B's chapter has exactly what B's clearing account gave: {books:?}");
        books
    }

    async fn send(&self, amount: &str) -> (StatusCode, Value) {
        self.a
            .app
            .call(
                Method::POST,
                "/api/v1/orgs/root/federation/transfers",
                &self.a_root,
                Some(json!({"to": self.chapter, "amount": amount, "memo": "workshop tools"})),
            )
            .await
    }

    /// Phase one at A alone (the hold and the record), as `send` starts it.
    async fn begin(&self, amount: u64) -> commune_store::PeerTransfer {
        let state = &self.a.app.state;
        let org = state.store.org_by_slug("root").await.expect("read").expect("root");
        let ledger = state.store.ledgers().await.expect("ledgers")[0].clone();
        let right = commune_domain::ledger::plan::authorize_debit(
            &Payer::Member { id: "steward".into(), stewards: vec![org.id.clone()] },
            &Owner::Org(org.id.clone()),
        )
        .expect("right");
        let id = format!("{:032x}", uuid::Uuid::now_v7().as_u128());
        transfers::begin(state, "test", &org, &self.chapter, &ledger, amount, 60, "", &id, &right).await.expect("begin")
    }

    async fn state_of(app: &TestApp, remote: &str, id: &str, direction: &str) -> String {
        app.store.peer_transfer(remote, id, direction).await.expect("read").map(|t| t.state).unwrap_or_default()
    }
}

#[tokio::test]
async fn a_transfer_between_instances_posts_on_both_ledgers() {
    let w = World::new().await;
    let (status, sent) = w.send("25.00").await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["state"], "posted");
    assert_eq!(sent["told"], true);
    assert_eq!(w.conserved().await, [(7_500, 0), (2_500, 0), (-2_500, 0), (2_500, 0)]);
    let (_, theirs) =
        w.b.app.call(Method::GET, "/api/v1/orgs/north/federation/transfers", &w.b.app.login("root").await, None).await;
    assert_eq!(theirs[0]["id"], sent["id"], "{theirs}");
    assert_eq!(theirs[0]["state"], "posted");
    assert_eq!(theirs[0]["direction"], "in");

    // The same from the Fediverse page: A's steward sends 5.00; both pages list it.
    let mut browser = crate::web::Browser::new(&w.a.app);
    browser.log_in("root").await;
    let sent_page = browser
        .submit(
            "/orgs/root/federation",
            "/orgs/root/federation/transfers",
            &[("to", &w.chapter), ("amount", "5.00"), ("timeout_s", "60"), ("memo", "")],
        )
        .await;
    assert_eq!(sent_page.status, StatusCode::SEE_OTHER, "{}", sent_page.html);
    assert_eq!(w.conserved().await, [(7_000, 0), (3_000, 0), (-3_000, 0), (3_000, 0)]);
    let mut theirs = crate::web::Browser::new(&w.b.app);
    theirs.log_in("root").await;
    let page = theirs.get("/orgs/north/federation").await.html;
    assert!(page.contains("received") && page.contains("5.00 EUR") && page.contains("25.00 EUR"), "{page}");

    // Refused before anything moves: too much, a zero, not linked, a bad timeout.
    let before = w.books().await;
    check_error(w.send("1000.00").await, StatusCode::UNPROCESSABLE_ENTITY, "exceeds_credits");
    check_error(w.send("0").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(w.send("-5").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let (status, body) =
        w.a.app
            .call(
                Method::POST,
                "/api/v1/orgs/root/federation/transfers",
                &w.a_root,
                Some(json!({"to": format!("{}/ap/orgs/root", w.b.base), "amount": "1.00"})),
            )
            .await;
    check_error((status, body), StatusCode::CONFLICT, "rule_violation");
    let (status, body) =
        w.a.app
            .call(
                Method::POST,
                "/api/v1/orgs/root/federation/transfers",
                &w.a_root,
                Some(json!({"to": w.chapter, "amount": "1.00", "timeout_s": 0})),
            )
            .await;
    check_error((status, body), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(w.books().await, before);

    // A forged prepare (signed by B's commune-side key for A's root) is refused at B.
    let (a_key, _) = commune_app::federation::instance_key(&w.a.app.state).await.expect("key");
    let forged = protocol::prepare_json(&protocol::Prepare {
        id: format!("{:032x}", 99u128),
        from: format!("{}/ap/orgs/other", w.a.base),
        to: w.chapter.clone(),
        amount_minor: 1_000_000,
        currency: "EUR".into(),
        deadline_ms: now() + 60_000,
    })
    .to_string();
    let from = format!("{}/ap/orgs/other", w.a.base);
    let status = post_signed(&w.b.base, "/ap/chapters/transfers", &a_key, &from, &forged, Dialect::Rfc9421).await;
    assert!(matches!(status, 401 | 403 | 404), "{status}");
    assert_eq!(w.books().await, before);
}

#[tokio::test]
async fn killing_the_receiver_mid_transfer_leaves_both_ledgers_balanced() {
    let mut w = World::new().await;

    // B is down before it is asked: A voids at once; nothing moved anywhere.
    w.b.kill().await;
    check_error(w.send("10.00").await, StatusCode::CONFLICT, "rule_violation");
    w.b.restart().await;
    assert_eq!(w.conserved().await, [(10_000, 0), (0, 0), (0, 0), (0, 0)]);

    // B holds the money, then dies before hearing the decision.
    let t = w.begin(1_000).await;
    let org = w.a.app.store.org_by_slug("root").await.expect("read").expect("root");
    let t = transfers::prepare(&w.a.app.state, &org, t).await.expect("prepare");
    assert_eq!(t.state, "prepared");
    assert_eq!(w.conserved().await, [(10_000, -1_000), (0, 1_000), (0, -1_000), (0, 1_000)]);
    w.b.kill().await;
    let t = transfers::finish(&w.a.app.state, t, now()).await.expect("finish");
    assert_eq!((t.state.as_str(), t.told), ("posted", false), "A decided; B has not heard");
    // While B is down: A posted, B still holds. Each ledger balances on its own.
    assert_eq!(w.conserved().await, [(9_000, 0), (1_000, 0), (0, -1_000), (0, 1_000)]);
    // B comes back; A tells it; B posts.
    w.b.restart().await;
    pump(&[&w.a.app, &w.b.app]).await;
    transfers::resolve(&w.a.app.state, now()).await.expect("resolve");
    assert_eq!(World::state_of(&w.b.app, &w.commune, &t.id, "in").await, "posted");
    assert_eq!(w.conserved().await, [(9_000, 0), (1_000, 0), (-1_000, 0), (1_000, 0)]);
}

#[tokio::test]
async fn killing_the_sender_mid_transfer_leaves_both_ledgers_balanced() {
    let mut w = World::new().await;
    let org = w.a.app.store.org_by_slug("root").await.expect("read").expect("root");

    // A hears B prepared, records it, and dies before posting. B asks while A is down: nothing
    // changes (the receiver never decides). A comes back and finishes: posted on both.
    let t = w.begin(1_500).await;
    let t = transfers::prepare(&w.a.app.state, &org, t).await.expect("prepare");
    w.a.kill().await;
    transfers::resolve(&w.b.app.state, now()).await.expect("B asks");
    assert_eq!(World::state_of(&w.b.app, &w.commune, &t.id, "in").await, "pending");
    assert_eq!(w.conserved().await, [(10_000, -1_500), (0, 1_500), (0, -1_500), (0, 1_500)]);
    w.a.restart().await;
    transfers::resolve(&w.a.app.state, now()).await.expect("A finishes");
    assert_eq!(World::state_of(&w.a.app, &w.chapter, &t.id, "out").await, "posted");
    assert_eq!(World::state_of(&w.b.app, &w.commune, &t.id, "in").await, "posted");
    assert_eq!(w.conserved().await, [(8_500, 0), (1_500, 0), (-1_500, 0), (1_500, 0)]);

    // A dies after B prepared but before it recorded B's answer (the prepare below is the one A
    // sent). When A comes back after the deadline, it voids; B, asking, voids too.
    let t = w.begin(700).await;
    let body = protocol::prepare_json(&protocol::Prepare {
        id: t.id.clone(),
        from: w.commune.clone(),
        to: w.chapter.clone(),
        amount_minor: 700,
        currency: t.currency.clone(),
        deadline_ms: t.deadline,
    })
    .to_string();
    let (a_key, _) = commune_app::federation::instance_key(&w.a.app.state).await.expect("key");
    assert_eq!(post_signed(&w.b.base, "/ap/chapters/transfers", &a_key, &w.commune, &body, Dialect::Cavage).await, 200);
    w.a.kill().await;
    assert_eq!(w.conserved().await, [(8_500, -700), (1_500, 700), (-1_500, -700), (1_500, 700)]);
    w.a.restart().await;
    let after_deadline = t.deadline + 1;
    transfers::resolve(&w.a.app.state, after_deadline).await.expect("A voids");
    assert_eq!(World::state_of(&w.a.app, &w.chapter, &t.id, "out").await, "voided");
    assert_eq!(World::state_of(&w.b.app, &w.commune, &t.id, "in").await, "voided", "A told B");
    assert_eq!(w.conserved().await, [(8_500, 0), (1_500, 0), (-1_500, 0), (1_500, 0)]);
}
