//! Work over the API: projects and tasks (a business creates and edits tasks with its token's
//! `work:write` scope), steps along the board, reviews, comments, impact scores, worklogs and
//! their CSV report, payouts of logged hours, capacities, recommendations and the period's
//! assignment with its logged propensities.

use super::extract::{Json, Path, Query, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use commune_app::state::AppState;
use commune_app::work::logs::{self, CapacityInput, Load, LogInput, Payout, PeriodQuery};
use commune_app::work::matching::{self, Plan, PlanInput, Suggestion};
use commune_app::work::tasks::{
    self, CommentInput, ImpactInput, ListQuery, ProjectInput, ProjectSummary, ReviewInput, StepInput, TaskCard,
    TaskInput, TaskView,
};

/// The organisation's projects with their tasks per status.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/projects", tag = "work",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The projects", body = Vec<ProjectSummary>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn projects(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<ProjectSummary>>> {
    Ok(Json(tasks::projects(&state, &caller, &slug).await?.1))
}

/// Start a project (stewards), optionally with a budget and an hourly rate for logged hours.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/projects", tag = "work", request_body = ProjectInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses((status = 201, description = "The project", body = Object), (status = 403, description = "Only stewards", body = ErrorBody), (status = 422, description = "Invalid project", body = ErrorBody)))]
pub async fn create_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<ProjectInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(tasks::create_project(&state, &caller, &slug, &input).await?))
}

/// The organisation's tasks, filtered by project, status, member (doer or reviewer) or domain.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/tasks", tag = "work", params(("slug" = String, Path), ListQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The tasks", body = Vec<TaskCard>), (status = 403, description = "Not a member", body = ErrorBody), (status = 422, description = "Invalid filter", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<TaskCard>>> {
    Ok(Json(tasks::list(&state, &caller, &slug, &query).await?.1))
}

/// Create a task in a project (members, or the organisation's token with `work:write`).
#[utoipa::path(post, path = "/api/v1/projects/{id}/tasks", tag = "work", request_body = TaskInput,
    params(("id" = String, Path, description = "The project's id")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 201, description = "The task", body = TaskCard), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "No such project", body = ErrorBody), (status = 422, description = "Invalid task", body = ErrorBody)))]
pub async fn create_task(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<TaskInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(tasks::create_task(&state, &caller, &id, &input).await?))
}

/// A task with its history, comments, impact votes, review and logged hours.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "work", params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The task", body = TaskView), (status = 404, description = "No such task", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(tasks::view(&state, &caller, &id).await?.1))
}

/// Edit a task's fields (its creator, a steward, or the organisation's token).
#[utoipa::path(put, path = "/api/v1/tasks/{id}", tag = "work", request_body = TaskInput, params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The task", body = TaskCard), (status = 403, description = "Not allowed", body = ErrorBody), (status = 409, description = "Done or dropped", body = ErrorBody), (status = 422, description = "Invalid task", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<TaskInput>,
) -> ApiResult<Json<TaskCard>> {
    Ok(Json(tasks::update_task(&state, &caller, &id, &input).await?))
}

/// Take a step: assign, unassign, start, submit, send_back, drop, reopen, set_reviewer, or move
/// to a status (what the board sends).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/steps", tag = "work", request_body = StepInput, params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "The task", body = TaskCard), (status = 403, description = "Not yours to take", body = ErrorBody), (status = 409, description = "Someone moved it first", body = ErrorBody), (status = 422, description = "Not a step from here", body = ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<StepInput>,
) -> ApiResult<Json<TaskCard>> {
    Ok(Json(tasks::act(&state, &caller, &id, &input).await?))
}

/// The reviewer records the outcome (once): the task is done and the outcome is evidence.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/review", tag = "work", request_body = ReviewInput, params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "The recorded review", body = Object), (status = 403, description = "Not its reviewer", body = ErrorBody), (status = 409, description = "Reviewed already", body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<ReviewInput>,
) -> ApiResult<Json<commune_store::TaskReview>> {
    Ok(Json(tasks::review(&state, &caller, &id, &input).await?))
}

/// Comment on a task (members, or the organisation's token with `work:write`).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/comments", tag = "work", request_body = CommentInput, params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 201, description = "The comment", body = Object), (status = 422, description = "Empty or too long", body = ErrorBody)))]
pub async fn comment(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<CommentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(tasks::comment(&state, &caller, &id, &input).await?))
}

/// Score a task's impact 0–5 (again to change your score).
#[utoipa::path(put, path = "/api/v1/tasks/{id}/impact", tag = "work", request_body = ImpactInput, params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "The task", body = TaskCard), (status = 422, description = "Not 0–5", body = ErrorBody)))]
pub async fn impact(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<ImpactInput>,
) -> ApiResult<Json<TaskCard>> {
    Ok(Json(tasks::score_impact(&state, &caller, &id, &input).await?))
}

/// Log hours on a task.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/worklogs", tag = "work", request_body = LogInput, params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "The worklog", body = Object), (status = 422, description = "Invalid hours or day", body = ErrorBody)))]
pub async fn log_hours(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<LogInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(logs::log_hours(&state, &caller, &id, &input).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Recommendations {
    pub people: Vec<Suggestion>,
    /// A Thompson-sampled pick (newcomers get tried) with its propensity.
    #[schema(value_type = Object)]
    pub pick: Option<commune_domain::work::recommend::Pick>,
}

/// The best-suited people for a task by expected value, each with why, and a sampled pick.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/recommendations", tag = "work", params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Ranked people", body = Recommendations), (status = 404, description = "No such task", body = ErrorBody)))]
pub async fn recommendations(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Recommendations>> {
    let (people, pick) = matching::people_for(&state, &caller, &id).await?;
    Ok(Json(Recommendations { people, pick }))
}

/// The worklog report for a period as CSV (`date,project,task,member,hours,note,paid`).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/worklogs.csv", tag = "work", params(("slug" = String, Path), PeriodQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 422, description = "Invalid period", body = ErrorBody)))]
pub async fn worklog_csv(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> ApiResult<impl IntoResponse> {
    let csv = logs::worklog_csv(&state, &caller, &slug, &query).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"worklogs.csv\""),
        ],
        csv,
    ))
}

/// Pay a project's unpaid hours at its hourly rate from the organisation's wallet (stewards).
#[utoipa::path(post, path = "/api/v1/projects/{id}/payouts", tag = "work", params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "One payout per member", body = Vec<Payout>), (status = 403, description = "Only stewards", body = ErrorBody), (status = 422, description = "No hourly rate, or not enough money", body = ErrorBody)))]
pub async fn pay(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Payout>>> {
    Ok(Json(logs::pay_worklogs(&state, &caller, &id).await?))
}

/// Every member's weekly capacity, work in hand and whether they are overloaded.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/capacity", tag = "work", params(("slug" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Loads", body = Vec<Load>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn capacity(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<Load>>> {
    Ok(Json(logs::capacity_page(&state, &caller, &slug).await?.1))
}

/// Set your weekly capacity and task preferences (a steward may set anyone's).
#[utoipa::path(put, path = "/api/v1/orgs/{slug}/capacity", tag = "work", request_body = CapacityInput, params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "The load", body = Load), (status = 422, description = "Invalid hours or preferences", body = ErrorBody)))]
pub async fn set_capacity(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<CapacityInput>,
) -> ApiResult<Json<Load>> {
    Ok(Json(logs::set_capacity(&state, &caller, &slug, &input).await?))
}

/// The period's assignment of open tasks within capacities (stewards): preview, or apply and
/// log every choice with its propensity.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/assignment", tag = "work", request_body = PlanInput, params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "The plan", body = Plan), (status = 403, description = "Only stewards", body = ErrorBody)))]
pub async fn assignment(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<PlanInput>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(matching::plan(&state, &caller, &slug, &input).await?))
}

/// Every logged randomised choice with its propensity (for offline policy evaluation).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/choices", tag = "work", params(("slug" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Choices, newest first", body = Vec<Object>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn choices(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<commune_store::WorkChoice>>> {
    Ok(Json(matching::choices(&state, &caller, &slug).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MyWork {
    /// Tasks you do or review, with their organisation's slug.
    pub tasks: Vec<(String, TaskCard)>,
    /// Open tasks you are likely to do well and that matter.
    pub suggested: Vec<(String, Suggestion)>,
}

/// Your work in hand and the open tasks suggested for you.
#[utoipa::path(get, path = "/api/v1/work", tag = "work",
    security(("session" = [])),
    responses((status = 200, description = "Your work", body = MyWork), (status = 401, description = "Sign in", body = ErrorBody)))]
pub async fn mine(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<MyWork>> {
    let tasks = tasks::my_work(&state, &caller).await?.into_iter().map(|(o, c)| (o.slug, c)).collect();
    let suggested = matching::tasks_for(&state, &caller).await?.into_iter().map(|(o, s)| (o.slug, s)).collect();
    Ok(Json(MyWork { tasks, suggested }))
}
