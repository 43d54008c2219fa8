//! Participatory-budgeting rounds over the API: stewards open and run them, members propose
//! projects and vote; results carry their explanation; rounds export as Pabulib `.pb`.

use super::extract::{Json, Path, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use commune_app::rounds::{self, ProjectInput, RoundInput, RoundView};
use commune_app::state::AppState;

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    pub feasible: bool,
    /// The public reason (1–500 characters).
    pub reason: String,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AdvanceInput {
    /// When opening voting: for how many days (1–30, default 7).
    pub voting_days: Option<u32>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RoundBallotInput {
    /// `[[project_id, points], ...]`; approval and knapsack picks carry 1.
    pub picks: Vec<(String, u32)>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DeliveryInput {
    /// True: the milestone was delivered and the award is paid; false: it failed and the money
    /// returns to the budget.
    pub done: bool,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportInput {
    /// A Pabulib `.pb` file's text; its projects join the round as proposals to review.
    pub pb: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub projects: usize,
}

/// Open a round on a passed budget's escrow (stewards).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/rounds", tag = "capital", request_body = RoundInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 201, description = "The round, in submission", body = Object),
        (status = 403, description = "Only stewards open rounds", body = ErrorBody),
        (status = 409, description = "This budget already has a round", body = ErrorBody),
        (status = 422, description = "Invalid round", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<RoundInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(rounds::create(&state, &caller, &slug, &input).await?))
}

/// An organisation's rounds, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/rounds", tag = "capital",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The rounds", body = Vec<Object>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<commune_store::PbRound>>> {
    Ok(Json(rounds::list(&state, &caller, &slug).await?.1))
}

/// A round: its projects, budget, the caller's ballot and, once closed, the explained result.
#[utoipa::path(get, path = "/api/v1/rounds/{id}", tag = "capital",
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The round", body = RoundView), (status = 404, description = "No such round", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<RoundView>> {
    Ok(Json(rounds::view(&state, &caller, &id).await?.0))
}

/// Propose a project (members, during submission).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/projects", tag = "capital", request_body = ProjectInput,
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = [])),
    responses(
        (status = 201, description = "The project, awaiting review", body = Object),
        (status = 422, description = "Invalid project (a cost must be above zero and within the budget)", body = ErrorBody)))]
pub async fn propose(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<ProjectInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(rounds::submit_project(&state, &caller, &id, &input).await?))
}

/// Review a project: feasible or not, with a public reason (stewards).
#[utoipa::path(post, path = "/api/v1/round-projects/{id}/review", tag = "capital", request_body = ReviewInput,
    params(("id" = String, Path, description = "The project's id")),
    security(("session" = [])),
    responses((status = 200, description = "The reviewed project", body = Object), (status = 403, description = "Only stewards review", body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<ReviewInput>,
) -> ApiResult<Json<commune_store::PbProject>> {
    Ok(Json(rounds::review(&state, &caller, &id, input.feasible, &input.reason).await?))
}

/// Move the round on: submission → review → voting → closed (closing counts and holds each
/// winner's cost in the escrow).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/advance", tag = "capital", request_body = AdvanceInput,
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = [])),
    responses((status = 200, description = "The round in its new phase", body = Object), (status = 403, description = "Only stewards move rounds", body = ErrorBody)))]
pub async fn advance(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<AdvanceInput>,
) -> ApiResult<Json<commune_store::PbRound>> {
    Ok(Json(rounds::advance(&state, &caller, &id, input.voting_days).await?))
}

/// Cast or replace the caller's ballot (members eligible when voting opened).
#[utoipa::path(put, path = "/api/v1/rounds/{id}/ballot", tag = "capital", request_body = RoundBallotInput,
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = [])),
    responses((status = 204, description = "Cast"), (status = 422, description = "The ballot breaks a limit", body = ErrorBody)))]
pub async fn cast(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<RoundBallotInput>,
) -> ApiResult<StatusCode> {
    rounds::cast(&state, &caller, &id, &input.picks).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark a winner's milestone: delivered (the award is paid) or failed (voided back).
#[utoipa::path(post, path = "/api/v1/round-projects/{id}/delivery", tag = "capital", request_body = DeliveryInput,
    params(("id" = String, Path, description = "The project's id")),
    security(("session" = [])),
    responses((status = 200, description = "The project", body = Object), (status = 403, description = "Only stewards", body = ErrorBody)))]
pub async fn deliver(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<DeliveryInput>,
) -> ApiResult<Json<commune_store::PbProject>> {
    Ok(Json(rounds::deliver(&state, &caller, &id, input.done).await?))
}

/// The round as a Pabulib `.pb` file (ballots under pseudonymous numbers).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/export.pb", tag = "capital",
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The .pb file", content_type = "text/plain")))]
pub async fn export(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let text = rounds::export(&state, &caller, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// Import a `.pb` file's projects into a round in submission (stewards).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/import", tag = "capital", request_body = ImportInput,
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = [])),
    responses((status = 200, description = "How many projects joined", body = Imported), (status = 422, description = "Not a valid .pb file", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<ImportInput>,
) -> ApiResult<Json<Imported>> {
    Ok(Json(Imported { projects: rounds::import(&state, &caller, &id, &input.pb).await? }))
}

/// Open a funding round with quadratic matching on a passed budget's escrow (stewards).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/funding-rounds", tag = "capital", request_body = commune_app::funding::FundingInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses((status = 201, description = "The round, open", body = Object), (status = 403, description = "Only stewards", body = ErrorBody),
        (status = 409, description = "This budget already has a round", body = ErrorBody), (status = 422, description = "Invalid round", body = ErrorBody)))]
pub async fn create_funding(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<commune_app::funding::FundingInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(commune_app::funding::create(&state, &caller, &slug, &input).await?))
}

/// An organisation's funding rounds, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/funding-rounds", tag = "capital",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The rounds", body = Vec<Object>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn list_funding(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<commune_store::FundingRound>>> {
    Ok(Json(commune_app::funding::list(&state, &caller, &slug).await?.1))
}

/// A funding round: per project what was contributed, by how many, and the match (estimated
/// while open, paid once closed) beside plain QF's.
#[utoipa::path(get, path = "/api/v1/funding-rounds/{id}", tag = "capital",
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The round", body = commune_app::funding::FundingView), (status = 404, description = "No such round", body = ErrorBody)))]
pub async fn get_funding(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<commune_app::funding::FundingView>> {
    Ok(Json(commune_app::funding::view(&state, &caller, &id).await?.0))
}

/// Add a project to an open funding round (stewards).
#[utoipa::path(post, path = "/api/v1/funding-rounds/{id}/projects", tag = "capital", request_body = commune_app::funding::FundingProjectInput,
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = [])),
    responses((status = 201, description = "The project", body = Object), (status = 403, description = "Only stewards", body = ErrorBody)))]
pub async fn add_funding_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<commune_app::funding::FundingProjectInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(commune_app::funding::add_project(&state, &caller, &id, &input).await?))
}

/// Contribute from your wallet to a project of an open round.
#[utoipa::path(post, path = "/api/v1/funding-rounds/{id}/contributions", tag = "capital", request_body = commune_app::funding::ContributionInput,
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = [])),
    responses((status = 204, description = "Paid and counted"), (status = 422, description = "Not a project of the round, or more than your wallet holds", body = ErrorBody)))]
pub async fn contribute(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<commune_app::funding::ContributionInput>,
) -> ApiResult<StatusCode> {
    commune_app::funding::contribute(&state, &caller, &id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Close the round: matches fixed and paid from the escrow (stewards; again pays what an
/// interruption left unpaid).
#[utoipa::path(post, path = "/api/v1/funding-rounds/{id}/close", tag = "capital",
    params(("id" = String, Path, description = "The round's id")),
    security(("session" = [])),
    responses((status = 200, description = "The closed round", body = Object), (status = 403, description = "Only stewards", body = ErrorBody)))]
pub async fn close_funding(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<commune_store::FundingRound>> {
    Ok(Json(commune_app::funding::close(&state, &caller, &id).await?))
}
