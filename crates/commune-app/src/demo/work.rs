//! The demo's work, through the real operations: a business's projects with a past of reviewed
//! tasks whose outcomes taught the skill model (one member reliably good at a domain, one who
//! struggled, newcomers with no record), tasks in every status now (open ones scored for impact,
//! assigned, in progress with hours logged, waiting for review by the visitor, done, dropped),
//! capacities (one member overloaded), a Thompson-sampled plan whose choices are logged with
//! their propensities, and hours paid at the project's rate.

use super::people::{Staffed, caller};
use crate::error::AppError;
use crate::state::AppState;
use crate::work::logs::{self, CapacityInput, LogInput};
use crate::work::matching::{self, PlanInput};
use crate::work::tasks::{self, ImpactInput, ProjectInput, ReviewInput, StepInput, TaskInput};
use commune_store::Member;

fn step(name: &str, member: Option<&Member>) -> StepInput {
    StepInput { step: name.into(), member: member.map(|m| m.handle.clone()), to: None, note: String::new() }
}

fn task(title: &str, domains: &str, hours: &str, value: &str, difficulty: i64, due: &str) -> TaskInput {
    TaskInput {
        title: title.into(),
        description: format!("**{title}.** Agreed at the weekly meeting; see the project notes for the details."),
        domains: domains.into(),
        effort_hours: hours.into(),
        points: Some(difficulty * 2),
        value: value.into(),
        difficulty: Some(difficulty),
        seats: Some(1),
        due: due.into(),
    }
}

/// The work of one organisation; `visitor` (a member of it) gets a task in progress and one to
/// review.
pub(crate) async fn season(
    state: &AppState,
    staffed: &Staffed,
    members: &[Member],
    visitor: &Member,
) -> Result<(), AppError> {
    let (org, _) = staffed;
    let (stewards, others) = super::people::staff(state, staffed, members, visitor).await?;
    let (Some(steward), true) = (stewards.first().cloned(), others.len() >= 3) else { return Ok(()) };
    let boss = caller(&steward);
    let year = time::OffsetDateTime::now_utc().year();
    let next = |month: u8| format!("{}-{month:02}-15", year + 1);
    let build = tasks::create_project(
        state,
        &boss,
        &org.slug,
        &ProjectInput {
            name: "Members' app".into(),
            description: "The app our members use every day.".into(),
            budget_id: None,
            hourly_rate: "25.00".into(),
        },
    )
    .await?;
    let docs = tasks::create_project(
        state,
        &boss,
        &org.slug,
        &ProjectInput {
            name: "Docs and design".into(),
            description: "Guides, the style guide and the website.".into(),
            budget_id: None,
            hourly_rate: String::new(),
        },
    )
    .await?;
    // The past: reviewed outcomes. others[0] is reliably good at engineering, others[1] struggled
    // with it but shines at design, others[2] did a little of both.
    let (strong, mixed, light) = (&others[0], &others[1], &others[2]);
    let history: [(&Member, &Member, &str, &str, i64, bool, i64); 12] = [
        (strong, mixed, "Fix the login timeout", "engineering", 3, true, 5),
        (strong, light, "Speed up the ledger page", "engineering", 4, true, 4),
        (mixed, strong, "Migrate the database", "engineering", 4, false, 2),
        (strong, mixed, "Add CSV export", "engineering", 2, true, 4),
        (mixed, light, "Rewrite the sync job", "engineering", 3, false, 2),
        (mixed, strong, "New colour palette", "design", 3, true, 5),
        (mixed, light, "Icons for the board", "design", 2, true, 4),
        (light, strong, "Onboarding copy", "design", 2, true, 3),
        (strong, light, "Harden the API", "engineering", 5, true, 5),
        (light, mixed, "Fix flaky tests", "engineering", 3, false, 3),
        (mixed, strong, "Accessible forms", "design", 4, true, 4),
        (strong, mixed, "Backup and restore", "engineering", 4, true, 5),
    ];
    for (k, (doer, reviewer, title, domain, difficulty, success, quality)) in history.iter().enumerate() {
        let project = if *domain == "design" { &docs.id } else { &build.id };
        let card =
            tasks::create_task(state, &boss, project, &task(title, domain, "4", "120.00", *difficulty, "")).await?;
        let id = card.task.id;
        tasks::act(state, &boss, &id, &step("assign", Some(doer))).await?;
        tasks::act(state, &boss, &id, &step("set_reviewer", Some(reviewer))).await?;
        let (doing, reviewing) = (caller(doer), caller(reviewer));
        tasks::act(state, &doing, &id, &step("start", None)).await?;
        logs::log_hours(
            state,
            &doing,
            &id,
            &LogInput { hours: format!("{}", 2 + k % 4), day: String::new(), note: "worked on it".into() },
        )
        .await?;
        tasks::act(state, &doing, &id, &step("submit", None)).await?;
        let note = if *success { "Works, and it is documented." } else { "Does not hold up yet: see the comments." };
        tasks::review(
            state,
            &reviewing,
            &id,
            &ReviewInput { success: *success, quality: *quality, on_time: Some(k % 5 != 3), note: note.into() },
        )
        .await?;
    }
    // Hours on the members' app are paid at its rate.
    logs::pay_worklogs(state, &boss, &build.id).await.ok();

    // Capacities: the visitor and the three regulars have hours; the strong engineer little.
    for (m, hours) in [(strong, "4"), (mixed, "10"), (light, "8"), (visitor, "6")] {
        logs::set_capacity(
            state,
            &caller(m),
            &org.slug,
            &CapacityInput { hours_per_week: hours.into(), preferences: Vec::new(), member: None },
        )
        .await?;
    }
    for newcomer in others.iter().skip(3).take(2) {
        logs::set_capacity(
            state,
            &caller(newcomer),
            &org.slug,
            &CapacityInput { hours_per_week: "6".into(), preferences: Vec::new(), member: None },
        )
        .await?;
    }
    // The period's plan assigned two tasks (choices logged with their propensities).
    for (title, domain) in [("Offline mode", "engineering"), ("Print styles", "design")] {
        tasks::create_task(state, &boss, &build.id, &task(title, domain, "4", "150.00", 3, &next(1))).await?;
    }
    matching::plan(state, &boss, &org.slug, &PlanInput { rule: "thompson".into(), apply: true }).await?;

    // Now: in progress (the visitor, with hours logged), in review (the visitor reviews), and
    // the strong engineer overloaded.
    let visiting = caller(visitor);
    let doing = tasks::create_task(
        state,
        &boss,
        &docs.id,
        &task("Write the contributor guide", "design education", "3", "90.00", 2, &next(2)),
    )
    .await?;
    tasks::act(state, &boss, &doing.task.id, &step("assign", Some(visitor))).await?;
    tasks::act(state, &boss, &doing.task.id, &step("set_reviewer", Some(mixed))).await?;
    tasks::act(state, &visiting, &doing.task.id, &step("start", None)).await?;
    logs::log_hours(
        state,
        &visiting,
        &doing.task.id,
        &LogInput { hours: "1.5".into(), day: String::new(), note: "outline".into() },
    )
    .await?;
    let review = tasks::create_task(
        state,
        &boss,
        &build.id,
        &task("Dark mode for charts", "engineering design", "5", "200.00", 3, &next(1)),
    )
    .await?;
    tasks::act(state, &boss, &review.task.id, &step("assign", Some(light))).await?;
    tasks::act(state, &boss, &review.task.id, &step("set_reviewer", Some(visitor))).await?;
    let lighting = caller(light);
    tasks::act(state, &lighting, &review.task.id, &step("start", None)).await?;
    logs::log_hours(
        state,
        &lighting,
        &review.task.id,
        &LogInput { hours: "4".into(), day: String::new(), note: "charts and legend".into() },
    )
    .await?;
    tasks::act(state, &lighting, &review.task.id, &step("submit", None)).await?;
    tasks::comment(
        state,
        &lighting,
        &review.task.id,
        &tasks::CommentInput { body: "Ready: the legend follows the theme too.".into() },
    )
    .await?;
    for title in ["Audit the permissions", "Rate-limit the login"] {
        let t = tasks::create_task(state, &boss, &build.id, &task(title, "engineering", "6", "250.00", 4, &next(1)))
            .await?;
        tasks::act(state, &boss, &t.task.id, &step("assign", Some(strong))).await?;
    }
    let dropped =
        tasks::create_task(state, &boss, &docs.id, &task("Print a paper manual", "design", "10", "50.00", 2, ""))
            .await?;
    tasks::act(state, &boss, &dropped.task.id, &step("drop", None)).await?;

    // Open tasks the members scored for impact: the recommendations rank the strong engineer first
    // for engineering, the designer for design, and Thompson sampling still tries newcomers.
    let open = [
        ("Solar-powered server room plan", "engineering ecology", "8", "300.00", 4, 5),
        ("Translate the app", "design education", "6", "120.00", 2, 4),
        ("Fix the calendar export", "engineering", "2", "80.00", 2, 2),
        ("Newsletter template", "design", "3", "60.00", 1, 1),
    ];
    for (title, domains, hours, value, difficulty, impact) in open {
        let t = tasks::create_task(state, &boss, &build.id, &task(title, domains, hours, value, difficulty, &next(3)))
            .await?;
        for (k, m) in others.iter().chain(std::iter::once(visitor)).enumerate() {
            let score = (impact - (k as i64 % 3) + 1).clamp(0, 5);
            tasks::score_impact(state, &caller(m), &t.task.id, &ImpactInput { score }).await?;
        }
    }
    Ok(())
}
