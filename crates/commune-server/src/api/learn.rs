//! Learning over the API: the library (documents, revisions, diffs, suggestions, citations,
//! ratings, search), spaced repetition, courses and exercises with peer review and mastery,
//! what to learn next, forecasting and study circles. Members only (no token scope reaches it).

use super::extract::{Json, Path, Query, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::response::IntoResponse;
use commune_app::learn::{cards, circles, forecasting, library, practice};
use commune_app::state::AppState;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Words every result's title or body contains (full-text search).
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct DiffQuery {
    /// A merged revision's number (default: the pending revision's base).
    pub from: Option<i64>,
    /// A merged revision's number or a pending revision's id.
    pub to: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PrerequisiteInput {
    /// A skill (domain); empty clears it.
    #[serde(default)]
    pub skill: String,
}

/// The organisation's library (published lessons and principles, and your drafts), or a full-text search with `q`.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/library", tag = "learn",
    params(("slug" = String, Path), SearchQuery),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn library(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(query): Query<SearchQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(library::list(&state, &caller, &slug, query.q.as_deref()).await?.1).into_response())
}

/// Write a lesson or principle (a draft stays private until published).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/library", tag = "learn", request_body = library::DocInput,
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create_doc(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<library::DocInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(library::create(&state, &caller, &slug, &input).await?))
}

/// A document with its revisions, contributors, citations, links, ratings (both tallies) and cards.
#[utoipa::path(get, path = "/api/v1/learn/{id}", tag = "learn",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn doc(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(library::view(&state, &caller, &id).await?.1).into_response())
}

/// Edit a document: a maintainer's small edit merges; anyone else's is a suggested revision; a principle or a big change goes to a vote.
#[utoipa::path(put, path = "/api/v1/learn/{id}", tag = "learn", request_body = library::EditInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn edit_doc(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<library::EditInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(library::edit(&state, &caller, &id, &input).await?).into_response())
}

/// Publish your draft.
#[utoipa::path(post, path = "/api/v1/learn/{id}/publish", tag = "learn",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn publish_doc(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(library::publish(&state, &caller, &id).await?).into_response())
}

/// The line diff between two revisions (`from` a number; `to` a number or a pending revision's id).
#[utoipa::path(get, path = "/api/v1/learn/{id}/diff", tag = "learn",
    params(("id" = String, Path), DiffQuery),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn diff(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Query(query): Query<DiffQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(library::diff(&state, &caller, &id, query.from.unwrap_or(0), &query.to).await?).into_response())
}

/// Merge or reject a pending suggested revision (its document's author or a steward).
#[utoipa::path(post, path = "/api/v1/revisions/{id}/decision", tag = "learn", request_body = library::DecideInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn decide_revision(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<library::DecideInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(library::decide(&state, &caller, &id, &input).await?).into_response())
}

/// Cite a document from a proposal, task or meeting of its organisation.
#[utoipa::path(post, path = "/api/v1/learn/{id}/citations", tag = "learn", request_body = library::CiteInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn cite(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<library::CiteInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(library::cite(&state, &caller, &id, &input).await?))
}

/// Rate a document on one of the commune's attributes (1-10).
#[utoipa::path(put, path = "/api/v1/learn/{id}/rating", tag = "learn", request_body = library::RateInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn rate_doc(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<library::RateInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(library::rate(&state, &caller, &id, &input).await?).into_response())
}

/// Put a document's cards in your deck (due today); returns how many were added.
#[utoipa::path(post, path = "/api/v1/learn/{id}/study", tag = "learn",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn study(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(cards::study(&state, &caller, &id).await?).into_response())
}

/// Your review queue: cards due today, your retention and whether your own parameters schedule you.
#[utoipa::path(get, path = "/api/v1/cards", tag = "learn",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn deck(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(cards::deck(&state, &caller).await?).into_response())
}

/// Review a due card: rating 1 again, 2 hard, 3 good, 4 easy (FSRS-6).
#[utoipa::path(post, path = "/api/v1/cards/{id}/reviews", tag = "learn", request_body = cards::ReviewInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn review_card(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<cards::ReviewInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(cards::review(&state, &caller, &id, &input).await?).into_response())
}

/// Set your desired retention (70-99%).
#[utoipa::path(put, path = "/api/v1/cards/settings", tag = "learn", request_body = cards::SettingsInput,
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn card_settings(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<cards::SettingsInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(cards::settings(&state, &caller, &input).await?).into_response())
}

/// The organisation's courses.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/courses", tag = "learn",
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn courses(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(practice::courses(&state, &caller, &slug).await?).into_response())
}

/// Make a course: an ordered path of published lessons.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/courses", tag = "learn", request_body = practice::CourseInput,
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create_course(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<practice::CourseInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(practice::create_course(&state, &caller, &slug, &input).await?))
}

/// A course with its lessons, exercises (answers hidden), your attempts and your mastery.
#[utoipa::path(get, path = "/api/v1/courses/{id}", tag = "learn",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn course(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(practice::course(&state, &caller, &id).await?.1).into_response())
}

/// Add an exercise (multiple choice, numeric with tolerance, or peer-reviewed free text).
#[utoipa::path(post, path = "/api/v1/courses/{id}/exercises", tag = "learn", request_body = practice::ExerciseInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn add_exercise(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<practice::ExerciseInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(practice::add_exercise(&state, &caller, &id, &input).await?))
}

/// Answer an exercise: graded at once, or by two peers for free text.
#[utoipa::path(post, path = "/api/v1/exercises/{id}/attempts", tag = "learn", request_body = practice::AttemptInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn attempt(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<practice::AttemptInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(practice::attempt(&state, &caller, &id, &input).await?))
}

/// Free-text answers you may review (not your own).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/answers", tag = "learn",
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn to_review(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(practice::to_review(&state, &caller, &slug).await?).into_response())
}

/// Review a peer's free-text answer (two agreeing reviews grade it).
#[utoipa::path(post, path = "/api/v1/attempts/{id}/reviews", tag = "learn", request_body = practice::PeerReviewInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn review_attempt(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<practice::PeerReviewInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(practice::review_attempt(&state, &caller, &id, &input).await?).into_response())
}

/// Set the skill a task needs mastered before anyone takes it (stewards; empty clears).
#[utoipa::path(put, path = "/api/v1/tasks/{id}/prerequisite", tag = "learn", request_body = PrerequisiteInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn prerequisite(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<PrerequisiteInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(practice::set_prerequisite(&state, &caller, &id, &input.skill).await?).into_response())
}

/// What to learn next: lessons ranked by what open tasks need and how close you are to mastery, with the reason.
#[utoipa::path(get, path = "/api/v1/learn/next", tag = "learn",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn next(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(practice::next(&state, &caller).await?).into_response())
}

/// Your mastery per skill (EMA of graded attempts, mastered at 0.95).
#[utoipa::path(get, path = "/api/v1/learn/mastery", tag = "learn",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn mastery(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(practice::my_mastery(&state, &caller.require_member()?.member.id).await?).into_response())
}

/// The organisation's forecasting questions.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/questions", tag = "learn",
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn questions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(forecasting::list(&state, &caller, &slug).await?.1).into_response())
}

/// Ask a question with resolution criteria and a close date (binary, numeric range or multiple choice).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/questions", tag = "learn", request_body = forecasting::QuestionInput,
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create_question(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<forecasting::QuestionInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(forecasting::create(&state, &caller, &slug, &input).await?))
}

/// A question with the community forecast (track-record weighted, extremized), the equal-weight one, forecasts and scores.
#[utoipa::path(get, path = "/api/v1/questions/{id}", tag = "learn",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn question(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(forecasting::view(&state, &caller, &id).await?.1).into_response())
}

/// Forecast (or update your forecast) while the question is open.
#[utoipa::path(post, path = "/api/v1/questions/{id}/forecasts", tag = "learn", request_body = forecasting::ForecastInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn forecast(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<forecasting::ForecastInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(forecasting::forecast(&state, &caller, &id, &input).await?).into_response())
}

/// Resolve a question by its criteria (a steward who did not ask it).
#[utoipa::path(post, path = "/api/v1/questions/{id}/resolution", tag = "learn", request_body = forecasting::ResolveInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<forecasting::ResolveInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(forecasting::resolve(&state, &caller, &id, &input).await?).into_response())
}

/// Dispute a resolution: a vote upholds or annuls it.
#[utoipa::path(post, path = "/api/v1/questions/{id}/dispute", tag = "learn",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn dispute(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(forecasting::dispute(&state, &caller, &id).await?).into_response())
}

/// A member's forecasting track record per domain and calibration bins.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/calibration/{handle}", tag = "learn",
    params(("slug" = String, Path), ("handle" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn calibration(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, handle)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(forecasting::calibration(&state, &caller, &slug, &handle).await?).into_response())
}

/// The organisation's study circles.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/circles", tag = "learn",
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn circles(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(circles::list(&state, &caller, &slug).await?).into_response())
}

/// Start a study circle on a course with a schedule.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/circles", tag = "learn", request_body = circles::CircleInput,
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create_circle(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<circles::CircleInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(circles::create(&state, &caller, &slug, &input).await?))
}

/// A circle: members, a thread per lesson and this week's digest.
#[utoipa::path(get, path = "/api/v1/circles/{id}", tag = "learn",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn circle(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(circles::view(&state, &caller, &id).await?).into_response())
}

/// Join a circle (at most twelve members).
#[utoipa::path(post, path = "/api/v1/circles/{id}/members", tag = "learn",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn join_circle(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(circles::join(&state, &caller, &id).await?).into_response())
}

/// Post in a lesson's thread (members of the circle).
#[utoipa::path(post, path = "/api/v1/circles/{id}/posts", tag = "learn", request_body = circles::PostInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn circle_post(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<circles::PostInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(circles::post(&state, &caller, &id, &input).await?))
}
