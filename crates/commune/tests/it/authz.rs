//! Who may do what, through the API: every role against every endpoint. A refused request must
//! say why with a stable code and must write nothing.

use crate::support::{Auth, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    Outsider,
    Member,
    Steward,
    InstanceSteward,
    TokenRead,
    TokenWrite,
    TokenOtherOrg,
}

const ROLES: [Role; 8] = [
    Role::Anonymous,
    Role::Outsider,
    Role::Member,
    Role::Steward,
    Role::InstanceSteward,
    Role::TokenRead,
    Role::TokenWrite,
    Role::TokenOtherOrg,
];

struct World {
    app: TestApp,
    auth: Vec<(Role, Auth)>,
    steward: Auth,
    applicant_seq: std::cell::Cell<u32>,
    voting: String,
    meeting: String,
    dot: String,
    /// The member's delegation to the helper, a draft of the steward's, a hold and a payment
    /// request from the member to the helper, one of the member's transfers, the member's
    /// account, and a token of acme.
    delegation: String,
    draft: String,
    hold: String,
    request: String,
    transfer: String,
    account: String,
    token: String,
    /// A round in voting with one feasible project, and one in review with an unreviewed one.
    round: String,
    round_project: String,
    reviewing: String,
    /// The member's draft expense in acme, with a receipt.
    expense: String,
    receipt: String,
    /// A funding round of acme on its own budget escrow.
    funding: String,
    /// A project of acme and an open task in it.
    project: String,
    task: String,
    learn: Learning,
    ideas: Ideas,
    /// A live season of the commune, and a candidate.
    season: String,
    candidate: String,
}

/// The helper's problem, idea and comment on the voting proposal; the member's journal entry;
/// the steward's conversation with an approved statement and the member's pending one.
struct Ideas {
    problem: String,
    entry: String,
    idea: String,
    comment: String,
    conversation: String,
    statement: String,
    pending: String,
}

async fn ideas(app: &TestApp, steward: &Auth, member: &Auth, helper: &Auth, voting: &str) -> Ideas {
    let id = |v: &Value| v["id"].as_str().expect("an id").to_owned();
    let post = |path: &str, who: &Auth, body: Value| {
        let (path, who) = (path.to_owned(), who.clone());
        async move {
            let (status, v) = app.call(Method::POST, &path, &who, Some(body)).await;
            assert!(status.is_success(), "{path}: {v}");
            v
        }
    };
    let p = post(
        "/api/v1/orgs/acme/problems",
        helper,
        json!({ "title": "The oven broke", "what_happened": "It stopped mid-bake.", "severity": "major" }),
    )
    .await;
    let problem = p["problem"]["id"].as_str().expect("problem").to_owned();
    let entry = id(&post("/api/v1/journal", member, json!({ "pain": "A private pain." })).await);
    let i = post("/api/v1/orgs/acme/ideas", helper, json!({ "title": "Bake on Sundays", "body": "More bread." })).await;
    let idea = i["card"]["idea"]["id"].as_str().expect("idea").to_owned();
    post(&format!("/api/v1/proposals/{voting}/comments"), helper, json!({ "body": "I am for it." })).await;
    let (_, c) = app.call(Method::GET, &format!("/api/v1/proposals/{voting}/comments"), helper, None).await;
    let comment = c[0]["id"].as_str().map(str::to_owned).unwrap_or_else(|| panic!("comment id: {c}"));
    let v = post("/api/v1/orgs/acme/conversations", steward, json!({ "topic": "Opening hours" })).await;
    let conversation = v["conversation"]["id"].as_str().expect("conversation").to_owned();
    let v =
        post(&format!("/api/v1/conversations/{conversation}/statements"), steward, json!({ "body": "Open at eight." }))
            .await;
    let statement = v["statements"][0]["id"].as_str().expect("statement").to_owned();
    post(&format!("/api/v1/conversations/{conversation}/statements"), member, json!({ "body": "Close at six." })).await;
    let st = app.store.statements(&conversation).await.expect("statements");
    let pending = st.iter().find(|s| s.state == "pending").expect("pending").id.clone();
    Ideas { problem, entry, idea, comment, conversation, statement, pending }
}

/// The member's lesson (with cards, in their deck), a suggestion of theirs on the steward's
/// lesson, the steward's course with a numeric and a free-text exercise, the member's answer to
/// the latter, the member's question and the steward's study circle.
struct Learning {
    doc: String,
    revision: String,
    course: String,
    exercise: String,
    attempt: String,
    card: String,
    question: String,
    circle: String,
}

async fn learning(app: &TestApp, steward: &Auth, member: &Auth) -> Learning {
    let id = |v: &Value| v["id"].as_str().expect("an id").to_owned();
    let post = |path: &str, who: &Auth, body: Value| {
        let (path, who) = (path.to_owned(), who.clone());
        async move {
            let (status, v) = app.call(Method::POST, &path, &who, Some(body)).await;
            assert!(status.is_success(), "{path}: {v}");
            v
        }
    };
    let doc = id(&post("/api/v1/orgs/acme/library", member, json!({ "title": "Ops manual", "body": "Restart with {{systemctl}}.\nQ: Who is on call?\nA: The steward.", "domains": "ops" })).await);
    let theirs =
        id(&post("/api/v1/orgs/acme/library", steward, json!({ "title": "Opening hours", "body": "Nine to five." }))
            .await);
    let (_, e) = app
        .call(
            Method::PUT,
            &format!("/api/v1/learn/{theirs}"),
            member,
            Some(json!({ "base": 1, "title": "Opening hours", "body": "Nine to six." })),
        )
        .await;
    let revision = e["revision"]["id"].as_str().expect("a suggestion").to_owned();
    let course = id(&post("/api/v1/orgs/acme/courses", steward, json!({ "title": "Ops 101", "lessons": [doc] })).await);
    let exercise = id(&post(
        &format!("/api/v1/courses/{course}/exercises"),
        steward,
        json!({ "kind": "numeric", "prompt": "How many ovens?", "skill": "ops", "answer": "3" }),
    )
    .await);
    let text = id(&post(
        &format!("/api/v1/courses/{course}/exercises"),
        steward,
        json!({ "kind": "text", "prompt": "Why restart?", "skill": "ops", "rubric": "names the cause" }),
    )
    .await);
    let a =
        post(&format!("/api/v1/exercises/{text}/attempts"), member, json!({ "answer": "It clears the stuck queue." }))
            .await;
    let attempt = a["attempt"]["id"].as_str().expect("attempt").to_owned();
    post(&format!("/api/v1/learn/{doc}/study"), member, json!({})).await;
    let (_, deck) = app.call(Method::GET, "/api/v1/cards", member, None).await;
    let card = deck["due"][0]["card"]["id"].as_str().expect("a card").to_owned();
    let closes = commune_domain::ledger::export::date_of(commune_store::now_ms() + 30 * 86_400_000);
    let question = id(&post("/api/v1/orgs/acme/questions", member, json!({ "title": "Will the oven be fixed by Friday?", "criteria": "Yes if it bakes on Friday morning.", "domain": "ops", "closes": closes })).await);
    let circle = id(&post(
        "/api/v1/orgs/acme/circles",
        steward,
        json!({ "name": "Ops circle", "course_id": course, "schedule": "Mondays 9:00" }),
    )
    .await);
    Learning { doc, revision, course, exercise, attempt, card, question, circle }
}

impl World {
    async fn new() -> World {
        let app = TestApp::set_up().await;
        let root = app.login("root").await;
        let steward = app.member("steward").await;
        let member = app.member("member").await;
        let outsider = app.member("outsider").await;
        app.org(&steward, "acme").await;
        app.org(&outsider, "elsewhere").await;
        app.admit(&steward, &member, "acme").await;
        let helper = app.member("helper").await;
        app.admit(&steward, &helper, "acme").await;
        let token_read = app.token(&steward, "acme", &["members:read", "proposals:read", "metrics:read"]).await;
        let token_write = app.token(&steward, "acme", &["members:write", "metrics:write"]).await;
        let token_other = app.token(&outsider, "elsewhere", &["members:read", "members:write"]).await;
        let auth = vec![
            (Role::Anonymous, Auth::None),
            (Role::Outsider, outsider),
            (Role::Member, member),
            (Role::Steward, steward.clone()),
            (Role::InstanceSteward, root),
            (Role::TokenRead, token_read),
            (Role::TokenWrite, token_write),
            (Role::TokenOtherOrg, token_other),
        ];
        // A proposal in its voting phase, for the governance endpoints.
        let now = commune_store::now_ms();
        let body = json!({ "title": "Open late on Fridays", "kind": "decision", "method": { "method": "yes_no", "threshold": 0.5 },
            "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN });
        let (_, p) = app.call(Method::POST, "/api/v1/orgs/acme/proposals", &steward, Some(body)).await;
        let voting = p["id"].as_str().expect("proposal id").to_owned();
        app.call(Method::POST, &format!("/api/v1/proposals/{voting}/publish"), &steward, None).await;
        commune_app::scheduler::tick(&app.state, now + crate::support::OPENS_IN + 1_000).await.expect("open voting");
        // A Dot Collector meeting, and a dot the member gave.
        let (_, meeting) =
            app.call(Method::POST, "/api/v1/orgs/acme/meetings", &steward, Some(json!({ "title": "Standup" }))).await;
        let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
        let member_auth = auth.iter().find(|(r, _)| *r == Role::Member).map(|(_, a)| a.clone()).expect("member");
        let (_, dot) = app
            .call(
                Method::POST,
                "/api/v1/orgs/acme/dots",
                &member_auth,
                Some(json!({ "ratee": "helper", "attribute": "integrity", "score": 8 })),
            )
            .await;
        let dot = dot["id"].as_str().expect("dot id").to_owned();
        let (_, d) = app
            .call(Method::POST, "/api/v1/orgs/acme/delegations", &member_auth, Some(json!({ "delegate": "helper" })))
            .await;
        let delegation = d["id"].as_str().expect("delegation id").to_owned();
        let body = json!({ "title": "A draft of the steward", "kind": "decision", "method": { "method": "yes_no", "threshold": 0.5 },
            "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN });
        let (_, p) = app.call(Method::POST, "/api/v1/orgs/acme/proposals", &steward, Some(body)).await;
        let draft = p["id"].as_str().expect("draft id").to_owned();
        let root = auth.iter().find(|(r, _)| *r == Role::InstanceSteward).map(|(_, a)| a.clone()).expect("root");
        app.call(Method::POST, "/api/v1/deposits", &root, Some(json!({ "to": "member", "amount": "100.00" }))).await;
        let (_, h) = app
            .call(Method::POST, "/api/v1/holds", &member_auth, Some(json!({ "to": "helper", "amount": "5.00" })))
            .await;
        let hold = h["id"].as_str().expect("hold id").to_owned();
        let (_, pay) = app
            .call(Method::POST, "/api/v1/payments", &member_auth, Some(json!({ "to": "helper", "amount": "1.00" })))
            .await;
        let transfer = pay["id"].as_str().expect("transfer id").to_owned();
        let helper_auth = app.login("helper").await;
        let (_, r) = app
            .call(
                Method::POST,
                "/api/v1/payment-requests",
                &helper_auth,
                Some(json!({ "payer": "member", "amount": "2.00" })),
            )
            .await;
        let request = r["id"].as_str().expect("request id").to_owned();
        let (_, w) = app.call(Method::GET, "/api/v1/wallet", &member_auth, None).await;
        let account = w[0]["account_id"].as_str().expect("account id").to_owned();
        let (_, t) = app
            .call(
                Method::POST,
                "/api/v1/orgs/acme/tokens",
                &steward,
                Some(json!({ "name": "to revoke", "scopes": ["members:read"] })),
            )
            .await;
        let token = t["token"]["id"].as_str().or_else(|| t["id"].as_str()).expect("token id").to_owned();
        let (round, round_project, reviewing, funding) = rounds(&app, &root, &steward, &member_auth).await;
        let (_, e) = app
            .call(
                Method::POST,
                "/api/v1/orgs/acme/expenses",
                &member_auth,
                Some(json!({ "title": "Tape", "amount": "3.00" })),
            )
            .await;
        let expense = e["id"].as_str().expect("expense id").to_owned();
        let receipt = commune_app::expenses::add_receipt(
            &app.state,
            &commune_app::caller::Caller::Member(commune_app::caller::SignedIn {
                member: app.store.member_by_handle("member").await.expect("read").expect("member"),
                session_hash: String::new(),
                csrf: String::new(),
                instance_steward: false,
                signed_in_at: 0,
            }),
            &expense,
            b"%PDF-1.7 tape",
        )
        .await
        .expect("a receipt")
        .id;
        let (_, p) =
            app.call(Method::POST, "/api/v1/orgs/acme/projects", &steward, Some(json!({ "name": "Ops" }))).await;
        let project = p["id"].as_str().expect("project id").to_owned();
        let (_, t) = app
            .call(
                Method::POST,
                &format!("/api/v1/projects/{project}/tasks"),
                &steward,
                Some(json!({ "title": "Fix the oven", "domains": "ops", "effort_hours": "2" })),
            )
            .await;
        let task = t["task"]["id"].as_str().expect("task id").to_owned();
        let learn = learning(&app, &steward, &member_auth).await;
        let ideas = ideas(&app, &steward, &member_auth, &helper, &voting).await;
        let today = commune_domain::ideas::analytics::day_label(now.div_euclid(86_400_000));
        let later = commune_domain::ideas::analytics::day_label(now.div_euclid(86_400_000) + 30);
        let body = json!({ "name": "Test season", "starts_on": today, "ends_on": later, "goal": "Vote together",
            "goal_measure": "participation", "goal_target": 10 });
        let (_, s) = app.call(Method::POST, "/api/v1/seasons", &root, Some(body)).await;
        let season = s["id"].as_str().expect("season id").to_owned();
        let body = json!({ "name": "Clara Weiss", "kind": "person", "office": "council", "district": "de" });
        let (_, c) = app.call(Method::POST, "/api/v1/candidates", &root, Some(body)).await;
        let candidate = c["id"].as_str().expect("candidate id").to_owned();
        World {
            season,
            candidate,
            learn,
            ideas,
            project,
            task,
            app,
            auth,
            steward,
            applicant_seq: std::cell::Cell::new(0),
            voting,
            meeting,
            dot,
            delegation,
            draft,
            hold,
            request,
            transfer,
            account,
            token,
            round,
            round_project,
            reviewing,
            expense,
            receipt,
            funding,
        }
    }

    fn auth(&self, role: Role) -> &Auth {
        &self.auth.iter().find(|(r, _)| *r == role).expect("every role has auth").1
    }

    /// A fresh pending join request to `acme`; returns its id.
    async fn pending_request(&self) -> String {
        let n = self.applicant_seq.get() + 1;
        self.applicant_seq.set(n);
        let applicant = self.app.member(&format!("applicant{n}")).await;
        let (_, body) =
            self.app.call(Method::POST, "/api/v1/orgs/acme/join-requests", &applicant, Some(json!({}))).await;
        body["id"].as_str().expect("request id").to_owned()
    }
}

/// Two participatory-budgeting rounds on escrows of acme's budget proposals (their money moved by
/// carrying out the budget effect directly, as a passed vote would): one voting with a feasible
/// project, one in review with a project not yet reviewed.
async fn rounds(app: &TestApp, root: &Auth, steward: &Auth, member: &Auth) -> (String, String, String, String) {
    app.call(Method::POST, "/api/v1/deposits", root, Some(json!({ "to": "org:acme", "amount": "100.00" }))).await;
    let now = commune_store::now_ms();
    let mut ids = Vec::new();
    for (title, stage) in [("Matrix round", 2), ("Reviewing round", 1)] {
        let body = json!({ "title": title, "kind": "budget", "method": { "method": "yes_no", "threshold": 0.7 },
            "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN,
            "effect": { "effect": "budget", "total_minor": 20_00, "currency": "EUR" } });
        let (_, p) = app.call(Method::POST, "/api/v1/orgs/acme/proposals", steward, Some(body)).await;
        let budget = app.store.proposal(p["id"].as_str().expect("budget id")).await.expect("read").expect("budget");
        let moved = commune_app::payments::effects::execute_effect(&app.state, &budget).await.expect("execute");
        assert!(moved.is_ok(), "{moved:?}");
        let body = json!({ "budget_id": budget.id, "title": title, "ballot": "approval" });
        let (_, round) = app.call(Method::POST, "/api/v1/orgs/acme/rounds", steward, Some(body)).await;
        let round = round["id"].as_str().expect("round id").to_owned();
        let body = json!({ "title": "Shade sails", "cost": "5.00", "place": "Yard" });
        let (_, project) =
            app.call(Method::POST, &format!("/api/v1/rounds/{round}/projects"), member, Some(body)).await;
        let project = project["id"].as_str().expect("project id").to_owned();
        app.call(Method::POST, &format!("/api/v1/rounds/{round}/advance"), steward, Some(json!({}))).await;
        if stage == 2 {
            let review = json!({ "feasible": true, "reason": "fits the yard" });
            app.call(Method::POST, &format!("/api/v1/round-projects/{project}/review"), steward, Some(review)).await;
            let (_, r) =
                app.call(Method::POST, &format!("/api/v1/rounds/{round}/advance"), steward, Some(json!({}))).await;
            assert_eq!(r["phase"], "voting", "{r}");
        }
        ids.push((round, project));
    }
    let now = commune_store::now_ms();
    let body = json!({ "title": "Matching pot", "kind": "budget", "method": { "method": "yes_no", "threshold": 0.7 },
        "voting_opens_at": now + crate::support::OPENS_IN, "voting_closes_at": now + crate::support::CLOSES_IN,
        "effect": { "effect": "budget", "total_minor": 10_00, "currency": "EUR" } });
    let (_, p) = app.call(Method::POST, "/api/v1/orgs/acme/proposals", steward, Some(body)).await;
    let budget = app.store.proposal(p["id"].as_str().expect("budget id")).await.expect("read").expect("budget");
    commune_app::payments::effects::execute_effect(&app.state, &budget).await.expect("execute").expect("moved");
    let body = json!({ "budget_id": budget.id, "title": "Matching", "rule": "cocm" });
    let (_, f) = app.call(Method::POST, "/api/v1/orgs/acme/funding-rounds", steward, Some(body)).await;
    let funding = f["id"].as_str().expect("funding round id").to_owned();
    (ids[0].0.clone(), ids[0].1.clone(), ids[1].0.clone(), funding)
}

/// One endpoint and, for each role, the status it must get (anything not listed: refused).
struct Case {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [(Role, u16)],
    /// Refusals of tokens for member-only actions and of members lacking rights.
    refused_code: fn(Role) -> &'static str,
}

fn member_action_refusal(role: Role) -> &'static str {
    match role {
        Role::Anonymous => "unauthenticated",
        Role::TokenRead | Role::TokenWrite | Role::TokenOtherOrg => "members_only",
        _ => "forbidden",
    }
}

fn org_read_refusal(role: Role) -> &'static str {
    match role {
        Role::Anonymous => "unauthenticated",
        Role::TokenOtherOrg => "wrong_org",
        Role::TokenRead | Role::TokenWrite => "missing_scope",
        _ => "forbidden",
    }
}

fn proposal_read_refusal(role: Role) -> &'static str {
    match role {
        Role::Anonymous => "unauthenticated",
        Role::TokenOtherOrg => "wrong_org",
        Role::TokenWrite => "missing_scope",
        _ => "forbidden",
    }
}

/// Member-only actions inside an organisation: tokens are refused before their organisation is.
fn token_or_member_refusal(role: Role) -> &'static str {
    match role {
        Role::TokenRead | Role::TokenWrite | Role::TokenOtherOrg => "members_only",
        r => member_action_refusal(r),
    }
}

/// Spending refusals: only the owner of the money (or its organisation's payments token).
fn spend_refusal(role: Role) -> &'static str {
    match role {
        Role::Anonymous => "unauthenticated",
        _ => "forbidden",
    }
}

fn wallet_refusal(role: Role) -> &'static str {
    match role {
        Role::Anonymous => "unauthenticated",
        _ => "missing_scope",
    }
}

fn participate_refusal(role: Role) -> &'static str {
    match role {
        Role::TokenRead => "members_only",
        r => proposal_read_refusal(r),
    }
}

/// Reading the commune's own pages: its members (here the instance steward alone); tokens of
/// other organisations are refused for their organisation.
fn commune_read_refusal(role: Role) -> &'static str {
    match role {
        Role::Anonymous => "unauthenticated",
        Role::TokenRead | Role::TokenWrite | Role::TokenOtherOrg => "wrong_org",
        _ => "forbidden",
    }
}

/// Taking part in the commune's own decisions: its members (here the instance steward alone).
fn commune_participate_refusal(role: Role) -> &'static str {
    match role {
        Role::TokenRead | Role::TokenWrite | Role::TokenOtherOrg => "members_only",
        r => member_action_refusal(r),
    }
}

fn cases() -> Vec<Case> {
    use Role::*;
    const EVERYONE: &[(Role, u16)] = &[
        (Outsider, 200),
        (Member, 200),
        (Steward, 200),
        (InstanceSteward, 200),
        (TokenRead, 200),
        (TokenWrite, 200),
        (TokenOtherOrg, 200),
    ];
    // The public pages while they are off: a 404 for everyone.
    const ALL_404: &[(Role, u16)] = &[
        (Anonymous, 404),
        (Outsider, 404),
        (Member, 404),
        (Steward, 404),
        (InstanceSteward, 404),
        (TokenRead, 404),
        (TokenWrite, 404),
        (TokenOtherOrg, 404),
    ];
    const MEMBERS: &[(Role, u16)] = &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)];
    vec![
        Case {
            method: Method::GET,
            path: "/api/v1/places",
            body: None,
            allowed: EVERYONE,
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/places",
            body: Some(json!({ "places": [{ "code": "de/{role}", "name": "A region" }] })),
            allowed: &[(InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/me/place",
            body: None,
            allowed: MEMBERS,
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/me/place",
            body: Some(json!({ "place": "de", "shown_as": "country" })),
            allowed: MEMBERS,
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/orgs/acme/place",
            body: Some(json!({ "place": "de" })),
            allowed: &[(Steward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/map",
            body: None,
            allowed: EVERYONE,
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/elections",
            body: Some(json!({ "csv": "district,date,office,candidate,votes,turnout\nde,2031-05-01,{role},,,\n" })),
            allowed: &[(InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/leverage",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: commune_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/seasons",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: commune_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/seasons",
            body: Some(json!({ "name": "Season of {role}", "starts_on": "2031-01-01", "ends_on": "2031-03-31",
                "goal": "Vote together", "goal_measure": "participation", "goal_target": 10 })),
            allowed: &[(InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/seasons/{season}",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: commune_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/candidates",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: commune_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/candidates",
            body: Some(json!({ "name": "Candidate {role}", "kind": "person", "office": "council", "district": "de" })),
            allowed: &[(InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/candidates/{candidate}",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: commune_read_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/candidates/{candidate}/answers",
            body: Some(json!({ "answers": [{ "question_id": "nope", "stance": "agree" }] })),
            allowed: &[(InstanceSteward, 422)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/candidates/{candidate}/endorsement",
            body: None,
            allowed: &[(InstanceSteward, 201)],
            refused_code: commune_participate_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/candidates/{candidate}/funding",
            body: Some(json!({ "amount": "0.00" })),
            allowed: &[(InstanceSteward, 422)],
            refused_code: commune_participate_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/candidates/{candidate}/project",
            body: Some(json!({ "content": [{ "title": "Launch video", "owner": "nobody" }] })),
            allowed: &[(InstanceSteward, 422)],
            refused_code: commune_read_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/transparency",
            body: Some(json!({ "on": false })),
            allowed: &[(InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/transparency",
            body: None,
            allowed: ALL_404,
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/transparency/seasons/{season}",
            body: None,
            allowed: ALL_404,
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/transparency/candidates/{candidate}",
            body: None,
            allowed: ALL_404,
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/transparency/disclosures.csv",
            body: None,
            allowed: ALL_404,
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/questionnaire",
            body: Some(json!({ "question": "Will you open the books?", "principle_id": "nope" })),
            allowed: &[(InstanceSteward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/disclosures",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: commune_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/disclosures.csv",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: commune_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/seasons/{season}/challenges",
            body: Some(
                json!({ "measure": "participation", "chapter_a": "acme", "target_a": 5, "chapter_b": "elsewhere", "target_b": 5 }),
            ),
            allowed: &[(InstanceSteward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/delegations/{delegation}",
            body: None,
            allowed: &[(Outsider, 404), (Member, 204), (Steward, 404), (InstanceSteward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/holds",
            body: Some(json!({ "to": "helper", "amount": "500.00" })),
            allowed: &[(Outsider, 422), (Member, 422), (Steward, 422), (InstanceSteward, 422)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/holds/{hold}/capture",
            body: Some(json!({ "amount_minor": 100 })),
            allowed: &[(Member, 200)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/holds/{hold}/release",
            body: None,
            allowed: &[(Member, 422)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/ledger/accounts/{account}",
            body: None,
            allowed: &[
                (Outsider, 404),
                (Member, 200),
                (Steward, 404),
                (InstanceSteward, 200),
                (TokenRead, 404),
                (TokenWrite, 404),
                (TokenOtherOrg, 404),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/ledger/transfers",
            body: Some(json!([{ "id": "00000000-0000-7000-8000-0000000000aa", "debit_account_id": "{account}",
                "credit_account_id": "{account}", "amount": 1, "ledger": 1, "code": 1 }])),
            allowed: &[(Member, 200)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/ledger/transfers/{transfer}",
            body: None,
            allowed: &[
                (Outsider, 404),
                (Member, 200),
                (Steward, 404),
                (InstanceSteward, 200),
                (TokenRead, 404),
                (TokenWrite, 404),
                (TokenOtherOrg, 404),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/ledgers",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/me",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/members",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/members",
            body: Some(json!({ "handle": "new_{role}", "display_name": "New", "password": crate::support::PASSWORD })),
            allowed: &[
                (Anonymous, 201),
                (Outsider, 201),
                (Member, 201),
                (Steward, 201),
                (InstanceSteward, 201),
                (TokenRead, 201),
                (TokenWrite, 201),
                (TokenOtherOrg, 201),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/orgs/acme/tokens/{token}",
            body: None,
            allowed: &[(Steward, 204)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/payment-requests",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: wallet_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/payment-requests",
            body: Some(json!({ "payer": "helper", "amount": "1.00" })),
            allowed: &[(Outsider, 201), (Member, 201), (Steward, 201), (InstanceSteward, 201)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/payment-requests/{request}/decline",
            body: None,
            allowed: &[(Member, 204)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/payment-requests/{request}/pay",
            body: None,
            allowed: &[(Member, 409)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/payment-requests/{request}/cancel",
            body: None,
            allowed: &[],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/payouts",
            body: Some(json!({ "amount": "500.00" })),
            allowed: &[(Outsider, 422), (Member, 422), (Steward, 422), (InstanceSteward, 422)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/proposals/{draft}",
            body: Some(
                json!({ "title": "Edited by {role}", "kind": "decision", "method": { "method": "yes_no", "threshold": 0.5 }, "voting_opens_at": 4_000_000_000_000_i64, "voting_closes_at": 4_000_259_200_000_i64 }),
            ),
            allowed: &[(Member, 404), (Steward, 200), (TokenRead, 404)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/proposals/{voting}/ballot",
            body: None,
            allowed: &[(Member, 404), (Steward, 404)],
            refused_code: participate_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/proposals/{voting}/ballots",
            body: None,
            allowed: &[(Member, 409), (Steward, 409), (TokenRead, 409)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/proposals/{voting}/ballots.toi",
            body: None,
            allowed: &[(Member, 409), (Steward, 409), (TokenRead, 409)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/proposals/{voting}/results",
            body: None,
            allowed: &[(Member, 404), (Steward, 404), (TokenRead, 404)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/proposals/{draft}/publish",
            body: None,
            allowed: &[(Member, 404), (Steward, 200)],
            refused_code: participate_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/recovery",
            body: Some(json!({ "token": "0000", "new_password": "long enough password" })),
            allowed: &[
                (Anonymous, 409),
                (Outsider, 409),
                (Member, 409),
                (Steward, 409),
                (InstanceSteward, 409),
                (TokenRead, 409),
                (TokenWrite, 409),
                (TokenOtherOrg, 409),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/sessions",
            body: Some(json!({ "handle": "nobody_{role}", "password": "wrong password" })),
            allowed: &[
                (Anonymous, 401),
                (Outsider, 401),
                (Member, 401),
                (Steward, 401),
                (InstanceSteward, 401),
                (TokenRead, 401),
                (TokenWrite, 401),
                (TokenOtherOrg, 401),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/setup",
            body: None,
            allowed: &[
                (Anonymous, 200),
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/setup",
            body: Some(
                json!({ "commune_name": "Again", "commune_slug": "again", "handle": "again_{role}", "display_name": "Again", "password": crate::support::PASSWORD }),
            ),
            allowed: &[
                (Anonymous, 409),
                (Outsider, 409),
                (Member, 409),
                (Steward, 409),
                (InstanceSteward, 409),
                (TokenRead, 409),
                (TokenWrite, 409),
                (TokenOtherOrg, 409),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/wallet/statement",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: wallet_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/members/member",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/members",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200), (TokenRead, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/join-requests",
            body: None,
            allowed: &[(Steward, 200), (TokenRead, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/join-requests/{pending}/admit",
            body: None,
            allowed: &[(Steward, 200), (TokenWrite, 200)],
            refused_code: |r| match r {
                Role::TokenRead => "missing_scope",
                r => org_read_refusal(r),
            },
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/join-requests/{pending}/reject",
            body: None,
            allowed: &[(Steward, 200), (TokenWrite, 200)],
            refused_code: |r| match r {
                Role::TokenRead => "missing_scope",
                r => org_read_refusal(r),
            },
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/invites",
            body: None,
            allowed: &[(Steward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/invites",
            body: Some(json!({ "max_uses": 2, "expires_in_days": 3, "note": "matrix" })),
            allowed: &[(Steward, 201)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/orgs/acme/invites/00000000-0000-7000-8000-000000000000",
            body: None,
            allowed: &[(Steward, 404)],
            refused_code: token_or_member_refusal,
        },
        Case {
            // An unknown link: every member gets as far as looking it up.
            method: Method::POST,
            path: "/api/v1/invites/inv_0000000000000000000000000000000000000000000000000000000000000000/accept",
            body: None,
            allowed: &[(Outsider, 404), (Member, 404), (Steward, 404), (InstanceSteward, 404)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/tokens",
            body: None,
            allowed: &[(Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/tokens",
            body: Some(json!({ "name": "n", "scopes": ["members:read"] })),
            allowed: &[(Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/orgs/acme/members/member/role",
            body: Some(json!({ "role": "member" })),
            allowed: &[(Steward, 204)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/join-requests",
            body: Some(json!({})),
            allowed: &[(Outsider, 201), (InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs",
            body: Some(json!({ "slug": "new-{role}", "name": "New", "kind": "chapter" })),
            allowed: &[(Outsider, 201), (Member, 201), (Steward, 201), (InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/me/profile",
            body: Some(json!({ "display_name": "Renamed" })),
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/admin/overview",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/admin/verify",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/proposals",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/proposals",
            body: Some(
                json!({ "title": "A proposal by {role}", "kind": "decision", "method": { "method": "approval" }, "options": ["a", "b"], "voting_opens_at": 4_000_000_000_000_i64, "voting_closes_at": 4_000_259_200_000_i64 }),
            ),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/proposals/{voting}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/proposals/{voting}/ballot",
            body: Some(json!({ "kind": "yes_no", "stance": "yes" })),
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/proposals/{voting}/comments",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/proposals/{voting}/replies",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/proposals/{voting}/comments",
            body: Some(json!({ "body": "I agree" })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: participate_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/proposals/{voting}/cancel",
            body: None,
            allowed: &[(Member, 403), (Steward, 409)],
            refused_code: participate_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/delegations",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/delegations",
            body: Some(json!({ "delegate": "helper" })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/docket",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/attributes",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/dots",
            body: Some(json!({ "ratee": "helper", "attribute": "reliability", "score": 7, "context": "task" })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/dots",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200), (TokenRead, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/meetings",
            body: Some(json!({ "title": "Sync" })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/members/helper/card",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/weights",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/meetings/{meeting}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/meetings/{meeting}/join",
            body: None,
            allowed: &[(Member, 204), (Steward, 204)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/meetings/{meeting}/end",
            body: None,
            allowed: &[(Member, 403), (Steward, 204)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/dots/{dot}",
            body: None,
            allowed: &[(Outsider, 404), (Member, 204), (Steward, 404), (InstanceSteward, 404)],
            refused_code: |r| match r {
                Role::Anonymous => "unauthenticated",
                _ => "members_only",
            },
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/treasury",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/revenue",
            body: Some(json!({ "amount": "12.00" })),
            allowed: &[(Steward, 201)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/deposits",
            body: Some(json!({ "to": "member", "amount": "1.00" })),
            allowed: &[(InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/wallet",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: wallet_refusal,
        },
        Case {
            // Everyone may try to spend their own money; nobody here holds 500.00.
            method: Method::POST,
            path: "/api/v1/payments",
            body: Some(json!({ "to": "helper", "amount": "500.00" })),
            allowed: &[(Outsider, 422), (Member, 422), (Steward, 422), (InstanceSteward, 422)],
            refused_code: spend_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/ledger/export",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/ledgers",
            body: Some(json!({ "asset": "HOURS", "scale": 0, "name": "Hours" })),
            allowed: &[(InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/inbox",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/inbox/read",
            body: Some(json!({})),
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/me/prefs",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/me/prefs",
            body: Some(json!({ "digest": "weekly", "email": "me@example.org", "time_zone": "Europe/Rome" })),
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/me/sessions",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            // A wrong current password: every member gets as far as the check, and nothing changes.
            method: Method::POST,
            path: "/api/v1/me/password",
            body: Some(json!({ "current_password": "not it at all", "new_password": "something long enough" })),
            allowed: &[(Outsider, 422), (Member, 422), (Steward, 422), (InstanceSteward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/me/sessions/00000000-0000-7000-8000-000000000000",
            body: None,
            allowed: &[(Outsider, 404), (Member, 404), (Steward, 404), (InstanceSteward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/recovery-links",
            body: Some(json!({ "handle": "helper" })),
            allowed: &[(InstanceSteward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/orgs/acme/members/me",
            body: None,
            allowed: &[(Member, 204), (Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/funding-rounds",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/funding-rounds",
            body: Some(json!({ "budget_id": "nope", "title": "F" })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/funding-rounds/{funding}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/funding-rounds/{funding}/projects",
            body: Some(json!({ "title": "P", "recipient": "nobody-here" })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/funding-rounds/{funding}/contributions",
            body: Some(json!({ "project_id": "nope", "amount": "1.00" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            // No contributions: closing pays no match; the steward may close (again).
            method: Method::POST,
            path: "/api/v1/funding-rounds/{funding}/close",
            body: None,
            allowed: &[(Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            // Nobody by that handle: the steward gets as far as the member check.
            method: Method::POST,
            path: "/api/v1/orgs/acme/redemptions",
            body: Some(json!({ "member": "nobody-here", "amount": "1.00" })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/patronage",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            // No basis: the steward gets as far as the form's checks.
            method: Method::POST,
            path: "/api/v1/orgs/acme/patronage",
            body: Some(json!({ "year": 2026, "surplus": "100.00", "basis": [] })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/budgets",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            // No lines: the steward gets as far as the form's checks.
            method: Method::POST,
            path: "/api/v1/orgs/acme/budgets",
            body: Some(json!({ "name": "B", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "lines": [] })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/expenses",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/expenses",
            body: Some(json!({ "title": "Glue", "amount": "2.00" })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/expenses/{expense}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            // A draft: members of acme get as far as the expense rule's state check.
            method: Method::POST,
            path: "/api/v1/expenses/{expense}/approve",
            body: Some(json!({})),
            allowed: &[(Member, 409), (Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            // Not a file of an accepted type: the submitter and stewards get as far as its bytes.
            method: Method::POST,
            path: "/api/v1/expenses/{expense}/receipts",
            body: Some(json!({ "not": "a receipt" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/receipts/{receipt}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/rounds",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            // An unknown budget: the steward gets as far as the form's checks.
            method: Method::POST,
            path: "/api/v1/orgs/acme/rounds",
            body: Some(json!({ "budget_id": "nope", "title": "T", "ballot": "approval" })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/rounds/{round}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/rounds/{round}/export.pb",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (TokenRead, 200)],
            refused_code: proposal_read_refusal,
        },
        Case {
            // Voting already: members get as far as the phase check.
            method: Method::POST,
            path: "/api/v1/rounds/{round}/projects",
            body: Some(json!({ "title": "Late", "cost": "1.00" })),
            allowed: &[(Member, 409), (Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/rounds/{round}/ballot",
            body: Some(json!({ "picks": [] })),
            allowed: &[(Member, 204), (Steward, 204)],
            refused_code: member_action_refusal,
        },
        Case {
            // A project not yet reviewed: the steward gets as far as that check.
            method: Method::POST,
            path: "/api/v1/rounds/{reviewing}/advance",
            body: Some(json!({})),
            allowed: &[(Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/rounds/{round}/import",
            body: Some(json!({ "pb": "not a pabulib file" })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/round-projects/{round_project}/review",
            body: Some(json!({ "feasible": false, "reason": "too late" })),
            allowed: &[(Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/round-projects/{round_project}/delivery",
            body: Some(json!({ "done": true })),
            allowed: &[(Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/projects",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/projects",
            body: Some(json!({ "name": "" })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/tasks",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            // No title: members get as far as the form's checks (a work:write token would too).
            method: Method::POST,
            path: "/api/v1/projects/{project}/tasks",
            body: Some(json!({ "title": "" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/tasks/{task}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            // The steward created it: only they (or a token) edit it; a member who did not is refused.
            method: Method::PUT,
            path: "/api/v1/tasks/{task}",
            body: Some(json!({ "title": "" })),
            allowed: &[(Steward, 422)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/tasks/{task}/steps",
            body: Some(json!({ "step": "no-such-step" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: token_or_member_refusal,
        },
        Case {
            // Open, not in review: members get as far as the task rule's state check.
            method: Method::POST,
            path: "/api/v1/tasks/{task}/review",
            body: Some(json!({ "success": true, "quality": 3 })),
            allowed: &[(Member, 409), (Steward, 409)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/tasks/{task}/comments",
            body: Some(json!({ "body": "" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/tasks/{task}/impact",
            body: Some(json!({ "score": 9 })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/tasks/{task}/worklogs",
            body: Some(json!({ "hours": "0" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/tasks/{task}/recommendations",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/worklogs.csv",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            // No hourly rate: the steward gets as far as that rule.
            method: Method::POST,
            path: "/api/v1/projects/{project}/payouts",
            body: None,
            allowed: &[(Steward, 409)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/capacity",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/orgs/acme/capacity",
            body: Some(json!({ "hours_per_week": "-1" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/assignment",
            body: Some(json!({ "rule": "bogus" })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/choices",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/work",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/library",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/library",
            body: Some(json!({ "title": "Notes of {role}", "body": "Some text." })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/learn/{doc}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/learn/{doc}",
            body: Some(json!({ "base": 99, "title": "Ops manual", "body": "Changed." })),
            allowed: &[(Member, 409), (Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/learn/{doc}/publish",
            body: None,
            allowed: &[(Member, 409), (Steward, 403)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/learn/{doc}/diff?from=1&to=1",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/revisions/{revision}/decision",
            body: Some(json!({ "decision": "reject" })),
            allowed: &[(Member, 403), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/learn/{doc}/citations",
            body: Some(json!({ "source_kind": "proposal", "source_id": "none" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/learn/{doc}/rating",
            body: Some(json!({ "attribute": "communication", "score": 7 })),
            allowed: &[(Member, 409), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/learn/{doc}/study",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/cards",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/cards/{card}/reviews",
            body: Some(json!({ "rating": "3" })),
            allowed: &[(Outsider, 404), (Member, 200), (Steward, 200), (InstanceSteward, 404)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/cards/settings",
            body: Some(json!({ "retention": "90" })),
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/courses",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/courses",
            body: Some(json!({ "title": "Course of {role}", "lessons": [] })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/courses/{course}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/courses/{course}/exercises",
            body: Some(json!({ "kind": "numeric", "prompt": "How many?", "skill": "ops", "answer": "2" })),
            allowed: &[(Member, 403), (Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/exercises/{exercise}/attempts",
            body: Some(json!({ "answer": "3" })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/answers",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/attempts/{attempt}/reviews",
            body: Some(json!({ "pass": true })),
            allowed: &[(Member, 403), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/tasks/{task}/prerequisite",
            body: Some(json!({ "skill": "" })),
            allowed: &[(Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/learn/next",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/learn/mastery",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/questions",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/questions",
            body: Some(
                json!({ "title": "Question of {role}?", "criteria": "Resolves on a date.", "domain": "ops", "closes": "2001-01-01" }),
            ),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/questions/{question}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/questions/{question}/forecasts",
            body: Some(json!({ "p": ["0.4"] })),
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/questions/{question}/resolution",
            body: Some(json!({ "outcome": "9" })),
            allowed: &[(Member, 403), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/questions/{question}/dispute",
            body: None,
            allowed: &[(Member, 409), (Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/calibration/member",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/circles",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/circles",
            body: Some(json!({ "name": "Circle of {role}", "course_id": "none", "schedule": "Mondays" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/circles/{circle}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/circles/{circle}/members",
            body: None,
            allowed: &[(Member, 200), (Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/circles/{circle}/posts",
            body: Some(json!({ "lesson": "none", "body": "Hello." })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/problems",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/problems",
            body: Some(json!({ "title": "Broken by {role}", "what_happened": "It broke.", "severity": "minor" })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/problems/{problem}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/problems/{problem}/comments",
            body: Some(json!({ "body": "The thermostat, I think." })),
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/problems/{problem}/diagnosis",
            body: Some(json!({ "diagnosis": "x" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/problems/{problem}/resolution",
            body: Some(json!({ "kind": "prayer" })),
            allowed: &[(Member, 422), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/problems/{problem}/close",
            body: None,
            allowed: &[(Member, 403), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/journal",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/journal",
            body: Some(json!({ "pain": "A hard moment for {role}." })),
            allowed: &[(Outsider, 201), (Member, 201), (Steward, 201), (InstanceSteward, 201)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/journal/{entry}",
            body: None,
            allowed: &[(Outsider, 404), (Member, 200), (Steward, 404), (InstanceSteward, 404)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/journal/{entry}/reflection",
            body: Some(json!({ "reflection": "Breathe first." })),
            allowed: &[(Outsider, 404), (Member, 200), (Steward, 404), (InstanceSteward, 404)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/journal/{entry}/publish",
            body: Some(json!({ "org": "acme", "statement": "x", "example": "An example." })),
            allowed: &[(Outsider, 404), (Member, 422), (Steward, 404), (InstanceSteward, 404)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/ideas",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/ideas",
            body: Some(json!({ "title": "An idea of {role}", "body": "Why not." })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/ideas/{idea}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/ideas/{idea}/comments",
            body: Some(json!({ "body": "Yes, and rye." })),
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/ideas/{idea}/rating",
            body: Some(json!({ "helpful": "yes" })),
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/ideas/{idea}/promote",
            body: None,
            allowed: &[(Member, 403), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/comments/{comment}/rating",
            body: Some(json!({ "helpful": "somewhat" })),
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/conversations",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/conversations",
            body: Some(json!({ "topic": "A talk by {role}" })),
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/conversations/{conversation}",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/conversations/{conversation}/statements",
            body: Some(json!({ "body": "Says {role}." })),
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/statements/{held_statement}/moderation",
            body: Some(json!({ "decision": "perhaps" })),
            allowed: &[(Member, 403), (Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/statements/{statement}/vote",
            body: Some(json!({ "vote": "agree" })),
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/statements/{statement}/proposal",
            body: None,
            allowed: &[(Member, 201), (Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/analytics",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200), (TokenRead, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/analytics.csv?table=turnout",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200), (TokenRead, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/metrics",
            body: Some(
                json!({ "name": "orders", "unit": "orders", "points": [{ "date": "2026-01-01", "value": "3" }] }),
            ),
            allowed: &[(Steward, 200), (TokenWrite, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/metrics/orders?from=2025-12-01&to=2026-01-31",
            body: None,
            allowed: &[(Member, 200), (Steward, 200), (InstanceSteward, 200), (TokenRead, 200)],
            refused_code: org_read_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/numbers",
            body: None,
            allowed: &[
                (Anonymous, 404),
                (Outsider, 404),
                (Member, 404),
                (Steward, 404),
                (InstanceSteward, 404),
                (TokenRead, 404),
                (TokenWrite, 404),
                (TokenOtherOrg, 404),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/admin/numbers",
            body: Some(json!({ "on": false })),
            allowed: &[(InstanceSteward, 200)],
            refused_code: token_or_member_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/apps",
            body: None,
            allowed: &[(Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/apps",
            body: Some(json!({ "name": "Wiki", "kind": "public", "redirect_uris": ["https://wiki.example/cb"] })),
            allowed: &[(Steward, 201)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/orgs/acme/apps/00000000-0000-7000-8000-000000000000",
            body: None,
            allowed: &[(Steward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/me/apps",
            body: None,
            allowed: &[(Outsider, 200), (Member, 200), (Steward, 200), (InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/me/apps/00000000-0000-7000-8000-000000000000",
            body: None,
            allowed: &[(Outsider, 404), (Member, 404), (Steward, 404), (InstanceSteward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/admin/oidc/rotate",
            body: Some(json!({ "immediately": false })),
            allowed: &[(InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/webhooks/event-types",
            body: None,
            allowed: &[
                (Outsider, 200),
                (Member, 200),
                (Steward, 200),
                (InstanceSteward, 200),
                (TokenRead, 200),
                (TokenWrite, 200),
                (TokenOtherOrg, 200),
            ],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/webhooks",
            body: None,
            allowed: &[(Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            // A destination webhooks may not reach: stewards get as far as the check.
            method: Method::POST,
            path: "/api/v1/orgs/acme/webhooks",
            body: Some(json!({ "url": "http://169.254.169.254/", "events": ["task.done"] })),
            allowed: &[(Steward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/orgs/acme/webhooks/00000000-0000-7000-8000-000000000000",
            body: None,
            allowed: &[(Steward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/webhooks/00000000-0000-7000-8000-000000000000/secret",
            body: None,
            allowed: &[(Steward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/webhooks/00000000-0000-7000-8000-000000000000/messages",
            body: None,
            allowed: &[(Steward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/orgs/acme/webhooks/00000000-0000-7000-8000-000000000000/messages/msg_0/replay",
            body: None,
            allowed: &[(Steward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/federation",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::PUT,
            path: "/api/v1/orgs/acme/federation",
            body: Some(json!({ "publish": false })),
            allowed: &[(Steward, 204)],
            refused_code: member_action_refusal,
        },
        Case {
            // acme does not publish, so a steward's follow stops at that rule.
            method: Method::POST,
            path: "/api/v1/orgs/acme/federation/follows",
            body: Some(json!({ "account": "co-op@127.0.0.1:9" })),
            allowed: &[(Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/orgs/acme/federation/follows?actor=http://127.0.0.1:9/ap/orgs/co-op",
            body: None,
            allowed: &[(Steward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/federation/links",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            // acme is a business, not the commune: a steward stops at that rule.
            method: Method::POST,
            path: "/api/v1/orgs/acme/federation/chapters",
            body: Some(json!({ "account": "north@127.0.0.1:9" })),
            allowed: &[(Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            // acme is not a chapter.
            method: Method::POST,
            path: "/api/v1/orgs/acme/federation/commune",
            body: Some(json!({ "account": "root@127.0.0.1:9" })),
            allowed: &[(Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            // acme is not a chapter linked to a commune.
            method: Method::POST,
            path: "/api/v1/orgs/acme/federation/ballots",
            body: Some(
                json!({ "question": "http://127.0.0.1:9/ap/proposals/x", "ballot": { "kind": "yes_no", "stance": "yes" } }),
            ),
            allowed: &[(Member, 409), (Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/federation/ballots",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/orgs/acme/federation/transfers",
            body: None,
            allowed: &[(Member, 200), (Steward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            // acme is linked to nothing: a steward stops at that rule, before anything moves.
            method: Method::POST,
            path: "/api/v1/orgs/acme/federation/transfers",
            body: Some(json!({ "to": "http://127.0.0.1:9/ap/orgs/north", "amount": "1.00" })),
            allowed: &[(Steward, 409)],
            refused_code: spend_refusal,
        },
        Case {
            // acme is linked to nothing: a steward stops at that rule, before anything moves.
            method: Method::POST,
            path: "/api/v1/orgs/acme/federation/credit",
            body: Some(json!({ "remote": "http://127.0.0.1:9/ap/orgs/north", "amount": "1.00" })),
            allowed: &[(Steward, 409)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::GET,
            path: "/api/v1/admin/federation/instances",
            body: None,
            allowed: &[(InstanceSteward, 200)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::POST,
            path: "/api/v1/admin/federation/blocks",
            body: Some(json!({ "host": "not a host/" })),
            allowed: &[(InstanceSteward, 422)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/admin/federation/blocks/unknown.example",
            body: None,
            allowed: &[(InstanceSteward, 404)],
            refused_code: member_action_refusal,
        },
        Case {
            method: Method::DELETE,
            path: "/api/v1/sessions/current",
            body: None,
            allowed: &[(Outsider, 204), (Member, 204), (Steward, 204), (InstanceSteward, 204)],
            refused_code: token_or_member_refusal,
        },
    ]
}

#[tokio::test]
async fn every_role_against_every_endpoint() {
    let world = World::new().await;
    let mut checked = 0;
    for case in cases() {
        for role in ROLES {
            let mut path = case.path.to_owned();
            path = path
                .replace("{voting}", &world.voting)
                .replace("{meeting}", &world.meeting)
                .replace("{dot}", &world.dot)
                .replace("{delegation}", &world.delegation)
                .replace("{draft}", &world.draft)
                .replace("{hold}", &world.hold)
                .replace("{request}", &world.request)
                .replace("{transfer}", &world.transfer)
                .replace("{account}", &world.account)
                .replace("{token}", &world.token)
                .replace("{round_project}", &world.round_project)
                .replace("{round}", &world.round)
                .replace("{reviewing}", &world.reviewing)
                .replace("{expense}", &world.expense)
                .replace("{receipt}", &world.receipt)
                .replace("{funding}", &world.funding)
                .replace("{project}", &world.project)
                .replace("{task}", &world.task)
                .replace("{doc}", &world.learn.doc)
                .replace("{revision}", &world.learn.revision)
                .replace("{course}", &world.learn.course)
                .replace("{exercise}", &world.learn.exercise)
                .replace("{attempt}", &world.learn.attempt)
                .replace("{card}", &world.learn.card)
                .replace("{question}", &world.learn.question)
                .replace("{circle}", &world.learn.circle)
                .replace("{problem}", &world.ideas.problem)
                .replace("{entry}", &world.ideas.entry)
                .replace("{idea}", &world.ideas.idea)
                .replace("{comment}", &world.ideas.comment)
                .replace("{conversation}", &world.ideas.conversation)
                .replace("{statement}", &world.ideas.statement)
                .replace("{held_statement}", &world.ideas.pending)
                .replace("{season}", &world.season)
                .replace("{candidate}", &world.candidate);
            if path.contains("{pending}") {
                path = path.replace("{pending}", &world.pending_request().await);
            }
            let body = case.body.as_ref().map(|b| {
                let text = b.to_string().replace("{role}", &format!("{role:?}").to_lowercase());
                serde_json::from_str(&text.replace("{account}", &world.account)).expect("json")
            });
            let before = world.app.audit_len().await;
            let (status, response) = world.app.call(case.method.clone(), &path, world.auth(role), body).await;
            let expected = case.allowed.iter().find(|(r, _)| *r == role).map(|(_, s)| *s);
            match expected {
                Some(code) => assert_eq!(status.as_u16(), code, "{role:?} {} {path}: {response}", case.method),
                None => {
                    let refused =
                        if role == Role::Anonymous { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
                    assert_eq!(status, refused, "{role:?} {} {path}: {response}", case.method);
                    assert_eq!(response["error"]["code"], (case.refused_code)(role), "{role:?} {} {path}", case.method);
                    assert_eq!(
                        world.app.audit_len().await,
                        before,
                        "{role:?} {} {path} was refused but wrote",
                        case.method
                    );
                }
            }
            checked += 1;
        }
        // Put back what an allowed call changed, so every role meets the same world.
        if case.path == "/api/v1/orgs/acme/members/me" {
            let member = world.auth(Role::Member).clone();
            world.app.admit(&world.steward, &member, "acme").await;
        }
    }
    assert_eq!(checked, cases().len() * ROLES.len());
}

#[tokio::test]
async fn stewards_cannot_act_for_other_organisations() {
    let world = World::new().await;
    // The steward of `elsewhere` (the outsider) has no power over `acme`'s requests or tokens.
    let id = world.pending_request().await;
    let outsider = world.auth(Role::Outsider);
    for (method, path) in [
        (Method::POST, format!("/api/v1/orgs/acme/join-requests/{id}/admit")),
        (Method::GET, "/api/v1/orgs/acme/tokens".to_owned()),
    ] {
        let (status, body) = world.app.call(method, &path, outsider, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{path}");
    }
}

/// The matrix covers the whole API: every operation in the committed `openapi.json` has a row.
#[test]
fn the_role_matrix_covers_every_operation_in_the_openapi_document() {
    let document: Value = serde_json::from_str(include_str!("../../../../openapi.json")).expect("openapi.json");
    let rows: Vec<(String, String)> = cases().iter().map(|c| (c.method.to_string(), c.path.to_owned())).collect();
    let fits = |template: &str, path: &str| {
        let (t, p): (Vec<&str>, Vec<&str>) =
            (template.split('/').collect(), path.split('?').next().unwrap_or("").split('/').collect());
        t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}')))
    };
    let mut missing = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            let method = method.to_uppercase();
            if !rows.iter().any(|(m, p)| *m == method && fits(path, p)) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "operations without a row in the role matrix: {missing:?}");
}
