//! Work in the browser: an organisation's board (a column per status; cards move by drag, by
//! keyboard — arrow keys on a focused card — or by the move form on each card without
//! JavaScript), the list with filters, capacities with overload warnings and the period's
//! assignment; a task's page (steps, review, comments, impact, hours, history, recommended
//! people and why); and "my work" with suggested tasks, skills and why you were matched.

use crate::web::frame::{Form, Page, Problems, Web, WebError, WebResult, field_problems, render, with_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::state::AppState;
use commune_app::work::logs::{self, CapacityInput, Load, LogInput};
use commune_app::work::matching::{self, Plan, PlanInput, Suggestion};
use commune_app::work::tasks::{
    self, CommentInput, ImpactInput, ListQuery, ProjectInput, ProjectSummary, ReviewInput, StepInput, TaskCard,
    TaskInput, TaskView,
};
use commune_domain::work::recommend::Pick;
use commune_domain::work::task::Status;
use commune_store::{Org, WorkChoice};

/// A board column: status name, label, cards.
pub(crate) struct Column {
    status: &'static str,
    label: &'static str,
    cards: Vec<TaskCard>,
}

#[derive(Template)]
#[template(path = "work.html")]
pub(crate) struct BoardPage {
    page: Page,
    org: Org,
    projects: Vec<ProjectSummary>,
    columns: Vec<Column>,
    list: Vec<TaskCard>,
    view_list: bool,
    query: ListForm,
    loads: Vec<Load>,
    steward: bool,
    member: bool,
    plan: Option<Plan>,
    task_form: TaskForm,
    project_form: ProjectForm,
    problems: Problems,
    statuses: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListForm {
    #[serde(default)]
    project: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    view: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    effort_hours: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    difficulty: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    due: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProjectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    hourly_rate: String,
}

async fn roles(state: &AppState, web: &Web, org: &Org) -> Result<(bool, bool), WebError> {
    Ok(match web.caller.member() {
        Some(me) => {
            let role = state.store.role_in(&org.id, &me.member.id).await?;
            (role == Some(commune_domain::org::Role::Steward), role.is_some())
        }
        None => (false, false),
    })
}

async fn board_page(state: &AppState, web: &Web, slug: &str, query: ListForm) -> Result<BoardPage, WebError> {
    let list_query = ListQuery {
        project: Some(query.project.clone()),
        status: Some(query.status.clone()),
        member: Some(query.member.clone()),
        domain: Some(query.domain.clone()),
    };
    let (org, cards) = tasks::list(state, &web.caller, slug, &list_query).await?;
    let (_, projects) = tasks::projects(state, &web.caller, slug).await?;
    let loads = logs::loads(state, &org).await?;
    let (steward, member) = roles(state, web, &org).await?;
    let columns = Status::ALL
        .iter()
        .map(|s| Column {
            status: s.name(),
            label: s.label(),
            cards: cards.iter().filter(|c| c.task.status == s.name()).cloned().collect(),
        })
        .collect();
    Ok(BoardPage {
        page: web.page(format!("Work · {}", org.name), "orgs"),
        org,
        projects,
        columns,
        view_list: query.view == "list",
        list: cards,
        query,
        loads,
        steward,
        member,
        plan: None,
        task_form: TaskForm::default(),
        project_form: ProjectForm::default(),
        problems: Problems::default(),
        statuses: Status::ALL.iter().map(|s| (s.name(), s.label())).collect(),
    })
}

pub async fn board(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Query(query): Query<ListForm>,
) -> WebResult {
    Ok(render(&board_page(&state, &web, &slug, query).await?))
}

fn number(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() { None } else { Some(raw.parse().unwrap_or(-1)) }
}

fn task_input(form: &TaskForm) -> TaskInput {
    TaskInput {
        title: form.title.clone(),
        description: form.description.clone(),
        domains: form.domains.clone(),
        effort_hours: form.effort_hours.clone(),
        points: number(&form.points),
        value: form.value.clone(),
        difficulty: number(&form.difficulty),
        seats: number(&form.seats),
        due: form.due.clone(),
    }
}

pub async fn create_task(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<TaskForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match tasks::create_task(&state, &web.caller, &form.project_id, &task_input(&form)).await {
        Ok(card) => Ok(Redirect::to(&format!("/tasks/{}", card.task.id)).into_response()),
        Err(e) => {
            let mut page = board_page(&state, &web, &slug, ListForm::default()).await?;
            page.problems = field_problems(e)?;
            page.task_form = form;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

pub async fn create_project(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<ProjectForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = ProjectInput {
        name: form.name.clone(),
        description: form.description.clone(),
        budget_id: None,
        hourly_rate: form.hourly_rate.clone(),
    };
    match tasks::create_project(&state, &web.caller, &slug, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/orgs/{slug}/work?project={}", p.id)).into_response()),
        Err(e) => {
            let mut page = board_page(&state, &web, &slug, ListForm::default()).await?;
            page.problems = field_problems(e)?;
            page.project_form = form;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CapacityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    hours_per_week: String,
    #[serde(default)]
    member: String,
}

pub async fn set_capacity(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<CapacityForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let member = Some(form.member.clone()).filter(|m| !m.trim().is_empty());
    let input = CapacityInput { hours_per_week: form.hours_per_week.clone(), preferences: Vec::new(), member };
    match logs::set_capacity(&state, &web.caller, &slug, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}/work#capacity")).into_response()),
        Err(e) => {
            let mut page = board_page(&state, &web, &slug, ListForm::default()).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    apply: String,
}

pub async fn plan(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<PlanForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = PlanInput { rule: form.rule.clone(), apply: !form.apply.is_empty() };
    let result = matching::plan(&state, &web.caller, &slug, &input).await;
    let mut page = board_page(&state, &web, &slug, ListForm::default()).await?;
    match result {
        Ok(plan) => {
            page.plan = Some(plan);
            Ok(render(&page))
        }
        Err(e) => {
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Template)]
#[template(path = "task.html")]
pub(crate) struct TaskPage {
    page: Page,
    org: Org,
    view: TaskView,
    description: String,
    people: Vec<Suggestion>,
    pick: Option<Pick>,
    my_impact: Option<i64>,
    /// The edit form, filled with the task's values.
    edit: TaskForm,
    /// (score, the viewer's current one) for 0–5.
    impact_choices: Vec<(i64, bool)>,
    member: bool,
    problems: Problems,
    statuses: Vec<(&'static str, &'static str)>,
    /// Skills a member must have mastered to take it, and documents cited in it.
    prerequisites: Vec<String>,
    cited: Vec<(String, String)>,
}

async fn task_page(state: &AppState, web: &Web, id: &str) -> Result<TaskPage, WebError> {
    let (org, view) = tasks::view(state, &web.caller, id).await?;
    let (people, pick) = matching::people_for(state, &web.caller, id).await?;
    let me = web.caller.member().map(|m| m.member.handle.clone()).unwrap_or_default();
    let my_impact = view.impact_votes.iter().find(|(h, _)| *h == me).map(|(_, s)| *s);
    let (_, member) = roles(state, web, &org).await?;
    let t = &view.card.task;
    let edit = TaskForm {
        csrf: String::new(),
        project_id: t.project_id.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        domains: t.domains.join(", "),
        effort_hours: view.card.effort.clone(),
        points: t.points.to_string(),
        value: view.card.value.clone(),
        difficulty: t.difficulty.to_string(),
        seats: t.seats.to_string(),
        due: view.card.due.clone().unwrap_or_default(),
    };
    Ok(TaskPage {
        edit,
        page: web.page(view.card.task.title.clone(), "orgs"),
        description: crate::markdown::to_html(&view.card.task.description),
        org,
        view,
        people,
        pick,
        impact_choices: (0..=5).map(|n| (n, my_impact == Some(n))).collect(),
        my_impact,
        member,
        problems: Problems::default(),
        statuses: Status::ALL.iter().map(|s| (s.name(), s.label())).collect(),
        prerequisites: commune_app::learn::practice::prerequisites_of(state, id).await?,
        cited: commune_app::learn::library::cited_in(state, id).await?,
    })
}

pub async fn show(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&task_page(&state, &web, &id).await?))
}

async fn after(
    state: &AppState,
    web: &Web,
    id: &str,
    result: Result<(), commune_app::AppError>,
    back: &str,
) -> WebResult {
    match result {
        Ok(()) => {
            let to = if back.starts_with("/orgs/") && !back.contains("//") {
                back.to_owned()
            } else {
                format!("/tasks/{id}")
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let mut page = task_page(state, web, id).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    /// Where to go afterwards (the board, when moved from it).
    #[serde(default)]
    back: String,
}

pub async fn edit(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<TaskForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = tasks::update_task(&state, &web.caller, &id, &task_input(&form)).await.map(|_| ());
    after(&state, &web, &id, result, "").await
}

pub async fn step(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = StepInput {
        step: form.step.clone(),
        member: Some(form.member.clone()).filter(|m| !m.is_empty()),
        to: Some(form.to.clone()).filter(|m| !m.is_empty()),
        note: form.note.clone(),
    };
    let result = tasks::act(&state, &web.caller, &id, &input).await.map(|_| ());
    after(&state, &web, &id, result, &form.back).await
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    success: String,
    #[serde(default)]
    quality: String,
    #[serde(default)]
    on_time: String,
    #[serde(default)]
    note: String,
}

pub async fn review(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = ReviewInput {
        success: form.success == "yes",
        quality: form.quality.trim().parse().unwrap_or(0),
        on_time: match form.on_time.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        note: form.note.clone(),
    };
    let result = tasks::review(&state, &web.caller, &id, &input).await.map(|_| ());
    after(&state, &web, &id, result, "").await
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TextForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    note: String,
}

pub async fn comment(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = tasks::comment(&state, &web.caller, &id, &CommentInput { body: form.body.clone() }).await.map(|_| ());
    after(&state, &web, &id, result, "").await
}

pub async fn impact(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let score = form.score.trim().parse().unwrap_or(-1);
    let result = tasks::score_impact(&state, &web.caller, &id, &ImpactInput { score }).await.map(|_| ());
    after(&state, &web, &id, result, "").await
}

pub async fn log_hours(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = LogInput { hours: form.hours.clone(), day: form.day.clone(), note: form.note.clone() };
    let result = logs::log_hours(&state, &web.caller, &id, &input).await.map(|_| ());
    after(&state, &web, &id, result, "").await
}

#[derive(Template)]
#[template(path = "my_work.html")]
pub(crate) struct MyWorkPage {
    page: Page,
    tasks: Vec<(Org, TaskCard)>,
    suggested: Vec<(Org, Suggestion)>,
    /// (domain, mean, sd, outcomes, P(success) on a middling task in %).
    skills: Vec<(String, String, String, usize, i64)>,
    choices: Vec<(String, WorkChoice)>,
}

pub async fn mine(State(state): State<AppState>, web: Web) -> WebResult {
    let me = web.caller.require_member()?.member.clone();
    let tasks = tasks::my_work(&state, &web.caller).await?;
    let suggested = matching::tasks_for(&state, &web.caller).await?;
    let skills = matching::member_skills(&state, &me.id)
        .await?
        .into_iter()
        .map(|(d, s, p)| (d, format!("{:+.2}", s.mean), format!("{:.2}", s.sd), s.outcomes, (p * 100.0).round() as i64))
        .collect();
    let mut choices = Vec::new();
    for m in state.store.memberships_of(&me.id).await? {
        for c in state.store.work_choices(&m.org.id, Some(&me.id)).await?.into_iter().take(10) {
            choices.push((m.org.slug.clone(), c));
        }
    }
    let page = MyWorkPage { page: web.page("My work", "work"), tasks, suggested, skills, choices };
    Ok(render(&page))
}

pub async fn pay(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<crate::web::frame::CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let project = state.store.work_project(&id).await?.ok_or(commune_app::AppError::NotFound("project"))?;
    let org = state.store.org_by_id(&project.org_id).await?.ok_or(commune_app::AppError::NotFound("project"))?;
    match logs::pay_worklogs(&state, &web.caller, &id).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{}/work?project={id}", org.slug)).into_response()),
        Err(e) => {
            let mut page = board_page(&state, &web, &org.slug, ListForm::default()).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}
