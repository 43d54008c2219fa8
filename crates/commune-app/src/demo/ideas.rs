//! The demo's ideas and analytics, through the real operations where they exist: in the
//! commune, an idea board where two camps rate seven ideas so that one idea — liked by both
//! camps, though less loudly than the big camp's favourite — is the only one bridging calls
//! helpful (second on equal weight, first on bridging), one idea promoted to a draft proposal,
//! and an opinion map of the market square with three opinion groups and statements everyone
//! agrees on (one statement waiting for moderation, one rejected). In Common Code, the issue
//! log: an outage diagnosed to a new principle and fixed by a task, a double invoice resolved
//! by a proposal, open problems; and a year of history — problems logged and resolved, and the
//! business's own metrics pushed daily — for the dashboards.

use super::people::{DAY, Staffed, caller};
use crate::caller::Caller;
use crate::error::AppError;
use crate::ideas::analytics::{self, MetricPoint, MetricPush};
use crate::ideas::{board, opinions, problems};
use crate::state::AppState;
use commune_domain::seeded::SplitMix64;
use commune_store::{Member, NewProblem};

const IDEAS: [(&str, &str); 7] = [
    (
        "A tool library in every district",
        "Borrow a drill, a ladder or a pasta machine instead of buying one. Run by volunteers, insured by the commune.",
    ),
    ("Car-free Sundays in the centre", "Close the centre to cars every Sunday from spring to autumn."),
    ("A second co-working space downtown", "Rent the empty bank building for members who work remotely."),
    ("More parking at the edge of town", "A car park by the ring road, with a shuttle to the market."),
    ("A commune radio station", "Three hours a day of member-made radio."),
    ("Gold-plated name signs for stewards", "Stewards deserve to be recognised."),
    ("Replace the pot with a lottery", "Let chance decide what we fund."),
];

/// How member `u` (in camp A or not) rates idea `k`; `h` is a per-pair pseudo-random digit.
fn rating(k: usize, camp_a: bool, h: u64) -> &'static str {
    match (k, camp_a) {
        (0, _) if h < 5 => "somewhat",
        (0, _) | (1, true) | (3, false) => "yes",
        (2, true) if h < 8 => "yes",
        (2, true) => "somewhat",
        (4 | 5, _) if h >= 7 => "somewhat",
        _ => "no",
    }
}

const SQUARE: [&str; 12] = [
    "Whatever we decide, the square stays open to everyone.",
    "Local growers should get the first market stalls.",
    "Take the cars out of the square.",
    "Plant trees where the parking is now.",
    "Host a weekly repair café on the square.",
    "Keep the shops on the square open until 22:00.",
    "Rent the stalls by auction.",
    "Add parking for customers next to the square.",
    "Keep the square quiet after 20:00.",
    "No amplified music on the square.",
    "Benches and shade come first.",
    "Hold the autumn fair on the square.",
];

/// Ideas, bridging and the opinion map in the commune (`orgs[0]`, everyone a member).
pub(crate) async fn commune(state: &AppState, staffed: &Staffed, members: &[Member]) -> Result<(), AppError> {
    let (org, _) = staffed;
    if members.len() < 50 {
        return Ok(());
    }
    let slug = &org.slug;
    let host = caller(&members[1]);
    let mut ids = Vec::new();
    for (title, body) in IDEAS {
        let domain = if title.contains("pot") { "finance" } else { "general" };
        let input = board::IdeaInput { title: title.into(), body: body.into(), domain: domain.into() };
        ids.push(board::post(state, &host, slug, &input).await?.card.idea.id);
    }
    // Camp A: members 2–39; camp B: 40–49. The visitor (member 0) has not rated yet.
    let camp: Vec<(usize, bool)> = (2..50).map(|u| (u, u < 40)).collect();
    for &(u, a) in &camp {
        let mut tx_member = state.store.write(&members[u].id).await?;
        for (k, id) in ids.iter().enumerate() {
            if (u + k) % 6 == 0 {
                continue;
            }
            let h = (u as u64 * 7 + k as u64 * 13) % 10;
            let halves = match rating(k, a, h) {
                "yes" => 2,
                "somewhat" => 1,
                _ => 0,
            };
            tx_member.rate_helpfulness(&org.id, board::IDEA, id, halves).await?;
        }
        tx_member.commit().await?;
    }
    board::refit(state, &org.id, board::IDEA, "demo").await?;
    for (i, id) in ids.iter().take(3).enumerate() {
        let body = board::CommentInput {
            body: [
                "The library in Riverside already lends forty tools.",
                "Sundays are when the shops make their money.",
                "Who pays the rent?",
            ][i]
                .into(),
        };
        board::comment(state, &caller(&members[10 + i * 7]), id, &body).await?;
    }
    board::promote(state, &host, &ids[2]).await?;

    // The opinion map: three groups over twelve statements, two of them shared by everyone.
    let topic = opinions::ConversationInput {
        topic: "What should the market square become?".into(),
        proposal_id: String::new(),
    };
    let map = opinions::open(state, &host, slug, &topic).await?;
    let id = map.conversation.id.clone();
    for s in SQUARE {
        opinions::submit(state, &host, &id, &opinions::StatementInput { body: s.into() }).await?;
    }
    for (who, body) in [(5, "Let dogs run free on the square."), (6, "Paint the fountain gold.")] {
        opinions::submit(state, &caller(&members[who]), &id, &opinions::StatementInput { body: body.into() }).await?;
    }
    let statements = state.store.statements(&id).await?;
    if let Some(s) = statements.iter().find(|s| s.body.starts_with("Paint")) {
        opinions::moderate(state, &host, &s.id, &opinions::ModerateInput { decision: "reject".into() }).await?;
    }
    let approved: Vec<_> = statements.iter().filter(|s| s.state == "approved").collect();
    let mut rng = SplitMix64(20261130);
    for (u, member) in members.iter().enumerate().take(47).skip(2) {
        let group = (u - 2) / 15;
        let mut tx = state.store.write(&member.id).await?;
        for (k, s) in approved.iter().enumerate() {
            if rng.chance(8) {
                continue;
            }
            let lean: i64 = match k {
                0 | 1 => 1,
                11 => {
                    if group == 1 {
                        1
                    } else {
                        -1
                    }
                }
                _ => {
                    if (k - 2) / 3 == group {
                        1
                    } else {
                        -1
                    }
                }
            };
            let vote = if rng.chance(10) {
                0
            } else if rng.chance(6) {
                -lean
            } else {
                lean
            };
            tx.vote_statement(&s.id, vote).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The issue log and a year of history in Common Code (`orgs[4]`); `visitor` is a member.
pub(crate) async fn business(
    state: &AppState,
    staffed: &Staffed,
    members: &[Member],
    visitor: &Member,
) -> Result<(), AppError> {
    let (org, _) = staffed;
    let (stewards, others) = super::people::staff(state, staffed, members, visitor).await?;
    let (Some(steward), true) = (stewards.first().cloned(), others.len() >= 4) else { return Ok(()) };
    let (boss, me) = (caller(&steward), caller(visitor));
    let slug = &org.slug;
    let now = commune_store::now_ms();

    // A year of problems, logged and (mostly) resolved, backdated through the store.
    let mut rng = SplitMix64(4242);
    let teams = ["platform", "billing", "support", "design"];
    for d in (5..365).step_by(23) {
        let at = now - d * DAY;
        let who = &others[(d as usize) % others.len()];
        let severity = ["minor", "moderate", "major", "minor"][(d as usize / 23) % 4];
        let mut tx = state.store.write_at(&who.id, at).await?;
        let id = tx
            .log_problem(&NewProblem {
                org_id: org.id.clone(),
                title: format!("Missed deadline in week {}", 52 - d / 7),
                what_happened: "A client deliverable slipped by two days.".into(),
                severity: severity.into(),
                responsible_id: Some(others[(d as usize / 7) % others.len()].id.clone()),
                team: teams[(d as usize) % teams.len()].into(),
                domain: "engineering".into(),
            })
            .await?;
        tx.commit().await?;
        if d > 20 {
            let mut tx = state.store.write_at(&steward.id, at + (1 + rng.below(12) as i64) * DAY).await?;
            tx.resolve_problem(&id).await?;
            tx.commit().await?;
        }
    }

    // Today's issue log, through the operations.
    let log = |title: &str, what: &str, severity: &str, responsible: &str, team: &str| problems::ProblemInput {
        title: title.into(),
        what_happened: what.into(),
        severity: severity.into(),
        responsible: responsible.into(),
        team: team.into(),
        domain: "engineering".into(),
    };
    let outage = problems::log(
        state,
        &caller(&others[0]),
        slug,
        &log(
            "Production outage after the Friday deploy",
            "The 17:40 deploy took the client portal down for 3 hours; nobody on call knew how to roll back.",
            "critical",
            &others[1].handle,
            "platform",
        ),
    )
    .await?
    .problem
    .id;
    let comment = |body: &str| problems::CommentInput { body: body.into() };
    problems::comment(state, &caller(&others[2]), &outage, &comment("The migration was not reversible.")).await?;
    problems::comment(
        state,
        &caller(&others[1]),
        &outage,
        &comment("And the runbook still described the old cluster."),
    )
    .await?;
    problems::diagnose(
        state,
        &caller(&others[1]),
        &outage,
        &problems::DiagnoseInput {
            diagnosis: "An irreversible migration shipped late on a Friday, with an outdated runbook.".into(),
            new_principle: "Never ship what you cannot roll back".into(),
            principle_example: "The Friday outage: an irreversible migration and nobody who knew the way back.".into(),
            ..Default::default()
        },
    )
    .await?;
    let project = state.store.work_projects(&org.id).await?.into_iter().next();
    if let Some(project) = project {
        problems::resolve_with(
            state,
            &boss,
            &outage,
            &problems::ResolutionInput {
                kind: "task".into(),
                project_id: project.id,
                title: "Write and test a rollback for every migration".into(),
            },
        )
        .await?;
    }
    problems::close(state, &boss, &outage).await?;
    let invoice = problems::log(
        state,
        &me,
        slug,
        &log(
            "An invoice went out twice",
            "The March invoice to the library was sent and paid twice.",
            "major",
            "",
            "billing",
        ),
    )
    .await?
    .problem
    .id;
    problems::diagnose(
        state,
        &caller(&others[3]),
        &invoice,
        &problems::DiagnoseInput {
            diagnosis: "Two people ran the monthly billing script.".into(),
            ..Default::default()
        },
    )
    .await?;
    problems::resolve_with(
        state,
        &caller(&others[3]),
        &invoice,
        &problems::ResolutionInput {
            kind: "proposal".into(),
            title: "One owner for monthly billing".into(),
            ..Default::default()
        },
    )
    .await?;
    problems::log(
        state,
        &caller(&others[2]),
        slug,
        &log(
            "The onboarding guide is out of date",
            "New members still install the old toolchain.",
            "minor",
            "",
            "support",
        ),
    )
    .await?;

    // The business's own metrics, pushed daily for a year.
    let mut deploys = Vec::new();
    let mut users = Vec::new();
    let mut level = 180.0f64;
    for d in (0..365).rev() {
        let date = commune_domain::ideas::analytics::day_label((now - d * DAY).div_euclid(DAY));
        let weekday = (now / DAY - d + 4).rem_euclid(7) < 5;
        let n = if weekday { rng.below(5) } else { rng.below(2) };
        deploys.push(MetricPoint { date: Some(date.clone()), value: serde_json::json!(n), ..Default::default() });
        level = (level * (1.0 + (rng.uniform() - 0.42) * 0.02)).max(50.0);
        users.push(MetricPoint { date: Some(date), value: serde_json::json!(level.round()), ..Default::default() });
    }
    push(state, &boss, slug, "deploys", "deploys", deploys).await?;
    push(state, &boss, slug, "active.users", "users", users).await?;
    // The commune shows its numbers in public.
    let mut tx = state.store.write("demo").await?;
    tx.set_setting(analytics::PUBLIC_NUMBERS, "on").await?;
    tx.commit().await?;
    Ok(())
}

async fn push(
    state: &AppState,
    who: &Caller,
    slug: &str,
    name: &str,
    unit: &str,
    points: Vec<MetricPoint>,
) -> Result<(), AppError> {
    let input = MetricPush { name: name.into(), unit: unit.into(), points };
    analytics::push(state, who, slug, &input).await.map(|_| ())
}
