//! Ideas and analytics over the API: the issue log, the private journal, the idea board with
//! bridging-based ranking (also for proposal comments), opinion maps, dashboards and the
//! metrics businesses push. Members only, except dashboards (`metrics:read` tokens) and pushing
//! metrics (`metrics:write` tokens); the public "commune in numbers" needs no sign-in when on.

use super::extract::{Json, Path, Query, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use commune_app::ideas::{analytics, board, journal, opinions, problems};
use commune_app::state::AppState;

/// The organisation's issue log with per-member and per-team problem metrics.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/problems", tag = "ideas",
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn problems(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(problems::list(&state, &caller, &slug).await?))
}

/// Log a problem: what happened, severity, the member or team responsible, the domain.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/problems", tag = "ideas", request_body = problems::ProblemInput,
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn log_problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<problems::ProblemInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(problems::log(&state, &caller, &slug, &input).await?))
}

/// A problem with its diagnosis thread, root cause and resolution.
#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "ideas",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(problems::view(&state, &caller, &id).await?))
}

/// Add to a problem's diagnosis thread.
#[utoipa::path(post, path = "/api/v1/problems/{id}/comments", tag = "ideas", request_body = problems::CommentInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn comment_problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<problems::CommentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(problems::comment(&state, &caller, &id, &input).await?))
}

/// Record the diagnosis and name the root cause: an existing principle or a new one.
#[utoipa::path(post, path = "/api/v1/problems/{id}/diagnosis", tag = "ideas", request_body = problems::DiagnoseInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn diagnose_problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<problems::DiagnoseInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(problems::diagnose(&state, &caller, &id, &input).await?))
}

/// Resolve with a task or a draft proposal, linked both ways.
#[utoipa::path(post, path = "/api/v1/problems/{id}/resolution", tag = "ideas", request_body = problems::ResolutionInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn resolve_problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<problems::ResolutionInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(problems::resolve_with(&state, &caller, &id, &input).await?))
}

/// Mark a problem resolved (its author, the member responsible or a steward).
#[utoipa::path(post, path = "/api/v1/problems/{id}/close", tag = "ideas",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn close_problem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(problems::close(&state, &caller, &id).await?))
}

/// Your private journal, newest first (nobody else can read it).
#[utoipa::path(get, path = "/api/v1/journal", tag = "ideas",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn journal(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(journal::list(&state, &caller).await?))
}

/// Log a painful moment in your private journal.
#[utoipa::path(post, path = "/api/v1/journal", tag = "ideas", request_body = journal::PainInput,
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn add_pain(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<journal::PainInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(journal::add(&state, &caller, &input).await?))
}

/// One of your journal entries (anyone else's is not found).
#[utoipa::path(get, path = "/api/v1/journal/{id}", tag = "ideas",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn journal_entry(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(journal::entry(&state, &caller, &id).await?))
}

/// Write the reflection on one of your journal entries.
#[utoipa::path(put, path = "/api/v1/journal/{id}/reflection", tag = "ideas", request_body = journal::ReflectInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn reflect(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<journal::ReflectInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(journal::reflect(&state, &caller, &id, &input).await?))
}

/// Publish a reflection (not the pain) as a principle in an organisation's library.
#[utoipa::path(post, path = "/api/v1/journal/{id}/publish", tag = "ideas", request_body = journal::PublishInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn publish_reflection(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<journal::PublishInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(journal::publish(&state, &caller, &id, &input).await?))
}

/// The idea board: each idea with its equal, merit and bridging rankings.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/ideas", tag = "ideas",
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn ideas(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(board::board(&state, &caller, &slug).await?))
}

/// Post an idea.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/ideas", tag = "ideas", request_body = board::IdeaInput,
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn post_idea(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<board::IdeaInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(board::post(&state, &caller, &slug, &input).await?))
}

/// An idea with its discussion and three rankings.
#[utoipa::path(get, path = "/api/v1/ideas/{id}", tag = "ideas",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn idea(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(board::view(&state, &caller, &id).await?))
}

/// Comment on an idea.
#[utoipa::path(post, path = "/api/v1/ideas/{id}/comments", tag = "ideas", request_body = board::CommentInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn comment_idea(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<board::CommentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(board::comment(&state, &caller, &id, &input).await?))
}

/// Rate an idea's helpfulness (yes, somewhat, no; not your own); changeable.
#[utoipa::path(put, path = "/api/v1/ideas/{id}/rating", tag = "ideas", request_body = board::RatingInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn rate_idea(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<board::RatingInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(board::rate(&state, &caller, &id, &input).await?))
}

/// Promote an idea to a draft proposal (its author or a steward; once).
#[utoipa::path(post, path = "/api/v1/ideas/{id}/promote", tag = "ideas",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn promote_idea(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(board::promote(&state, &caller, &id).await?))
}

/// Rate a proposal's discussion comment (yes, somewhat, no; not your own); returns every comment's bridging status.
#[utoipa::path(put, path = "/api/v1/comments/{id}/rating", tag = "ideas", request_body = board::RatingInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn rate_comment(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<board::RatingInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(board::rate_comment(&state, &caller, &id, &input).await?))
}

/// The organisation's opinion maps (conversations).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/conversations", tag = "ideas",
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn conversations(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(opinions::list(&state, &caller, &slug).await.map(|(_, l)| l)?))
}

/// Open an opinion map, standalone or for a proposal (one per proposal).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/conversations", tag = "ideas", request_body = opinions::ConversationInput,
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn open_conversation(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<opinions::ConversationInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(opinions::open(&state, &caller, &slug, &input).await?))
}

/// An opinion map: statements, the 2-D map, groups, representative and consensus statements.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "ideas",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn conversation(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(opinions::view(&state, &caller, &id).await?))
}

/// Submit a statement (hidden until a steward approves it, unless you are one).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/statements", tag = "ideas", request_body = opinions::StatementInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn submit_statement(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<opinions::StatementInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(opinions::submit(&state, &caller, &id, &input).await?))
}

/// Approve or reject a pending statement (stewards; once).
#[utoipa::path(post, path = "/api/v1/statements/{id}/moderation", tag = "ideas", request_body = opinions::ModerateInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn moderate_statement(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<opinions::ModerateInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(opinions::moderate(&state, &caller, &id, &input).await?))
}

/// Vote agree, disagree or pass on an approved statement (one vote each, changeable).
#[utoipa::path(put, path = "/api/v1/statements/{id}/vote", tag = "ideas", request_body = opinions::VoteInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn vote_statement(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<opinions::VoteInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(opinions::vote(&state, &caller, &id, &input).await?))
}

/// Seed a draft proposal from a consensus statement.
#[utoipa::path(post, path = "/api/v1/statements/{id}/proposal", tag = "ideas",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn seed_proposal(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(opinions::seed_proposal(&state, &caller, &id).await?))
}

/// The organisation's dashboard over a range of days (members; tokens with metrics:read).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/analytics", tag = "ideas",
    params(("slug" = String, Path), analytics::RangeQuery),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn analytics(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(query): Query<analytics::RangeQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(analytics::dashboard(&state, &caller, &slug, &query).await?))
}

/// Push the business's own metric points (stewards; tokens with metrics:write).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/metrics", tag = "ideas", request_body = analytics::MetricPush,
    params(("slug" = String, Path)),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn push_metrics(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<analytics::MetricPush>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(analytics::push(&state, &caller, &slug, &input).await?))
}

/// A dashboard table as CSV: `daily` (every series per day), `turnout` or `believability`.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/analytics.csv", tag = "ideas",
    params(("slug" = String, Path), analytics::RangeQuery, TableQuery),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 422, description = "Invalid range or table", body = ErrorBody)))]
pub async fn analytics_csv(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(query): Query<analytics::RangeQuery>,
    Query(table): Query<TableQuery>,
) -> ApiResult<impl IntoResponse> {
    let dashboard = analytics::dashboard(&state, &caller, &slug, &query).await?;
    let table = table.table.unwrap_or_else(|| "daily".into());
    let csv = analytics::csv(&dashboard, &table)?;
    let disposition = format!("attachment; filename=\"{slug}-{table}.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        csv,
    ))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct TableQuery {
    /// `daily` (default), `turnout` or `believability`.
    pub table: Option<String>,
}

/// One pushed metric's points over a range (members; tokens with metrics:read).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/metrics/{name}", tag = "ideas",
    params(("slug" = String, Path), ("name" = String, Path), analytics::RangeQuery),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn metric(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, name)): Path<(String, String)>,
    Query(query): Query<analytics::RangeQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(analytics::metric(&state, &caller, &slug, &name, &query).await?))
}

/// The public "commune in numbers" (the commune's dashboard over the last year), when a steward of the instance has switched it on; 404 otherwise.
#[utoipa::path(get, path = "/api/v1/numbers", tag = "ideas",
    responses((status = 200, description = "Done", body = Object), (status = 404, description = "Not switched on", body = ErrorBody)))]
pub async fn numbers(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(analytics::public_numbers(&state).await?))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NumbersSwitch {
    pub on: bool,
}

/// Switch the public "commune in numbers" page on or off (stewards of the instance).
#[utoipa::path(put, path = "/api/v1/admin/numbers", tag = "ideas", request_body = NumbersSwitch,
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn switch_numbers(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<NumbersSwitch>,
) -> ApiResult<impl IntoResponse> {
    analytics::set_public_numbers(&state, &caller, input.on).await?;
    Ok(Json(serde_json::json!({ "public_numbers": input.on })))
}
