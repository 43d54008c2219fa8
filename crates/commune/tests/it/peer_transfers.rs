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
    b_root: Auth,
    /// The credit line B extended to the commune (minor units).
    credit: std::cell::Cell<i128>,
    root_id: String,
    north_id: String,
    commune: String,
    chapter: String,
}

impl World {
    /// A commune on A and its chapter North on B, linked; A's root holds 100.00, and B extends
    /// the commune a credit line of 100.00 (what A may send North).
    async fn new() -> World {
        let w = World::without_credit().await;
        let (status, credit) = w.extend("100.00", false).await;
        assert_eq!(status, StatusCode::OK, "{credit}");
        w
    }

    /// B's steward extends (or withdraws) the commune's credit line at B.
    async fn extend(&self, amount: &str, withdraw: bool) -> (StatusCode, Value) {
        let answer = self
            .b
            .app
            .call(
                Method::POST,
                "/api/v1/orgs/north/federation/credit",
                &self.b_root,
                Some(json!({"remote": self.commune, "amount": amount, "withdraw": withdraw})),
            )
            .await;
        if answer.0 == StatusCode::OK {
            let minor = i128::from(commune_domain::ledger::amount::parse(amount, 2, "amount").expect("amount"));
            self.credit.set(self.credit.get() + if withdraw { -minor } else { minor });
        }
        answer
    }

    async fn without_credit() -> World {
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
            b_root,
            credit: std::cell::Cell::new(0),
            commune,
            chapter,
        }
    }

    /// The four accounts the transfers touch: A's root wallet and its clearing account for North,
    /// B's clearing account for the commune (less the credit line B extended) and North's wallet
    /// (posted, pending each).
    async fn books(&self) -> [(i128, i128); 4] {
        let (posted, pending) = balance(&self.b.app, &Owner::Peer(self.commune.clone())).await;
        [
            balance(&self.a.app, &Owner::Org(self.root_id.clone())).await,
            balance(&self.a.app, &Owner::Peer(self.chapter.clone())).await,
            (posted - self.credit.get(), pending),
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

/// A linked instance sends no more than the receiving side trusts it for: with no credit line
/// B refuses A's transfer (voided on both, nothing moved, the reason named); B's stewards extend
/// credit (a member may not); two transfers racing for the same credit get exactly it — one
/// posted, one voided; credit in use cannot be withdrawn, unused credit can; and money A sent
/// back the other way is credit too (North may return it).
#[tokio::test]
async fn a_linked_instance_sends_only_what_the_receiver_extends_credit_for() {
    let w = World::without_credit().await;
    let before = w.books().await;
    let (status, refused) = w.send("10.00").await;
    check_error((status, refused.clone()), StatusCode::CONFLICT, "rule_violation");
    assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains("credit line")), "{refused}");
    assert_eq!(w.conserved().await, before, "voided on both: nothing moved");

    // Only B's stewards extend credit; bad amounts are refused.
    let bo = w.b.app.member("bodil").await;
    w.b.app.admit(&w.b_root, &bo, "north").await;
    let by_member =
        w.b.app
            .call(
                Method::POST,
                "/api/v1/orgs/north/federation/credit",
                &bo,
                Some(json!({"remote": w.commune, "amount": "10.00"})),
            )
            .await;
    check_error(by_member, StatusCode::FORBIDDEN, "forbidden");
    check_error(w.extend("-1.00", false).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(w.extend("0", false).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    check_error(w.extend("1.001", false).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let (status, credit) = w.extend("10.00", false).await;
    assert_eq!((status, credit["available_minor"].as_i64()), (StatusCode::OK, Some(1_000)), "{credit}");

    // Two transfers race for the same 10.00 of credit: exactly one gets it.
    let (one, two) = tokio::join!(w.send("7.00"), w.send("7.00"));
    let posted = [&one, &two].iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(posted, 1, "{one:?} {two:?}");
    let books = w.conserved().await;
    assert_eq!(books, [(9_300, 0), (700, 0), (-700, 0), (700, 0)]);

    // 3.00 of credit is unused: withdrawing 5.00 is refused, 3.00 is not; then no more arrives.
    check_error(w.extend("5.00", true).await, StatusCode::CONFLICT, "rule_violation");
    let (status, credit) = w.extend("3.00", true).await;
    assert_eq!((status, credit["available_minor"].as_i64()), (StatusCode::OK, Some(0)), "{credit}");
    check_error(w.send("0.01").await, StatusCode::CONFLICT, "rule_violation");
    assert_eq!(w.conserved().await, books);

    // North sends 2.00 back to the commune: A extended no credit, but A sent North 7.00, so A
    // takes it; and that return is credit for A at B again.
    let (status, back) =
        w.b.app
            .call(
                Method::POST,
                "/api/v1/orgs/north/federation/transfers",
                &w.b_root,
                Some(json!({"to": w.commune, "amount": "2.00"})),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{back}");
    assert_eq!(w.conserved().await, [(9_500, 0), (500, 0), (-500, 0), (500, 0)]);
    let (status, sent) = w.send("2.00").await;
    assert_eq!(status, StatusCode::CREATED, "the returned 2.00 may travel again: {sent}");

    // From B's Fediverse page: the credit left (none), and its steward extends 1.00 more.
    let mut steward = crate::web::Browser::new(&w.b.app);
    steward.log_in("root").await;
    let page = steward.get("/orgs/north/federation").await.html;
    assert!(page.contains("May still send here") && page.contains("0.00 EUR"), "{page}");
    let fields = [("remote", w.commune.as_str()), ("amount", "1.00"), ("change", "extend")];
    let done = steward.submit("/orgs/north/federation", "/orgs/north/federation/credit", &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert!(steward.get("/orgs/north/federation").await.html.contains("1.00 EUR"));
}
