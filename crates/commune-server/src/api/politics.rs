//! Chapters and politics over the API: places and the map, where members and organisations
//! are, imported elections and the leverage view, seasons and challenges. Reading is for
//! members (the map for anyone signed in); importing and opening seasons for stewards of the
//! commune.

use super::extract::{Json, Path, Query, created};
use super::proposals::ProposalView;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use commune_app::politics::{elections, endorsements, places, seasons, transparency};
use commune_app::state::AppState;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct MapQuery {
    /// A place to zoom to (e.g. `de`); everything of ours when absent.
    pub focus: Option<String>,
}

/// Every place the instance knows: the shipped countries and the regions, cities and districts the commune imported.
#[utoipa::path(get, path = "/api/v1/places", tag = "politics",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn places(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(places::list(&state, &caller).await?))
}

/// Import places (stewards of the commune): a GeoJSON FeatureCollection of outlines (each feature with `code` and `name`), and places without one. Parents must be known or come along.
#[utoipa::path(post, path = "/api/v1/places", tag = "politics", request_body = places::PlacesImport,
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn import_places(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<places::PlacesImport>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(places::import(&state, &caller, &input).await?))
}

/// Where you live, how precisely others see it, and what they see.
#[utoipa::path(get, path = "/api/v1/me/place", tag = "politics",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn my_place(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(places::my_place(&state, &caller).await?))
}

/// Say where you live (a known place; empty to forget it) and how precisely others may see it.
#[utoipa::path(put, path = "/api/v1/me/place", tag = "politics", request_body = places::MyPlaceInput,
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn set_my_place(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<places::MyPlaceInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(places::set_my_place(&state, &caller, &input).await?))
}

/// Say where an organisation is (its stewards). An organisation's place is public: it places chapters and businesses on the map and in seasons.
#[utoipa::path(put, path = "/api/v1/orgs/{slug}/place", tag = "politics", request_body = places::OrgPlaceInput,
    params(("slug" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn set_org_place(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<places::OrgPlaceInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(places::set_org_place(&state, &caller, &slug, &input).await?))
}

/// The map: outlines as SVG path data and a dot per place with members, chapters and businesses in it, counted from what members show.
#[utoipa::path(get, path = "/api/v1/map", tag = "politics",
    params(MapQuery),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn map(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<MapQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(places::map(&state, &caller, query.focus.as_deref()).await?))
}

/// Import elections (stewards of the commune): CSV `district,date,office,candidate,votes,turnout`; an upcoming election is a row with no candidate and no votes. The whole file is refused at the first bad line.
#[utoipa::path(post, path = "/api/v1/elections", tag = "politics", request_body = elections::ElectionsImport,
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn import_elections(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<elections::ElectionsImport>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(elections::import(&state, &caller, &input).await?))
}

/// The leverage view: upcoming elections ranked by members who visibly live in the district against the last margin of victory and the turnout, with the arithmetic.
#[utoipa::path(get, path = "/api/v1/leverage", tag = "politics",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn leverage(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(elections::leverage(&state, &caller).await?))
}

/// The seasons of competitive altruism between chapters.
#[utoipa::path(get, path = "/api/v1/seasons", tag = "politics",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn seasons(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(seasons::list(&state, &caller).await?))
}

/// Open a season (stewards of the commune): its dates and the goal every chapter shares.
#[utoipa::path(post, path = "/api/v1/seasons", tag = "politics", request_body = seasons::SeasonInput,
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create_season(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<seasons::SeasonInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(seasons::create(&state, &caller, &input).await?))
}

/// A season: the shared goal, the leaderboards of chapters and countries (live, or frozen once it is over), and its challenges.
#[utoipa::path(get, path = "/api/v1/seasons/{id}", tag = "politics",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn season(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(seasons::view(&state, &caller, &id).await?))
}

/// Record a challenge (stewards of the commune): two chapters each pledge a target of one measure; both win only if both deliver.
#[utoipa::path(post, path = "/api/v1/seasons/{id}/challenges", tag = "politics", request_body = seasons::ChallengeInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn challenge(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<seasons::ChallengeInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(seasons::challenge(&state, &caller, &id, &input).await?))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct CompareQuery {
    /// Candidate ids separated by commas (all candidates when absent).
    pub compare: Option<String>,
}

fn ids(q: &CompareQuery) -> Vec<String> {
    q.compare
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(20)
        .map(str::to_owned)
        .collect()
}

/// Candidates with their answers side by side, the questionnaire and the commune's principles; `compare` (comma-separated ids) picks whom to compare.
#[utoipa::path(get, path = "/api/v1/candidates", tag = "politics",
    params(CompareQuery),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn candidates(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<CompareQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(endorsements::candidates(&state, &caller, &ids(&query)).await?))
}

/// Add a candidate (stewards of the commune): a person or a campaign, its office and district, and the imported election it stands in.
#[utoipa::path(post, path = "/api/v1/candidates", tag = "politics", request_body = endorsements::CandidateInput,
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn add_candidate(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<endorsements::CandidateInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(endorsements::add_candidate(&state, &caller, &input).await?))
}

/// A candidate's profile, answers, endorsement and the votes about them.
#[utoipa::path(get, path = "/api/v1/candidates/{id}", tag = "politics",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn candidate(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(endorsements::candidate(&state, &caller, &id).await?))
}

/// Record answers to the questionnaire: the candidate themselves (their member account) or a steward of the commune.
#[utoipa::path(put, path = "/api/v1/candidates/{id}/answers", tag = "politics", request_body = endorsements::AnswersInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<endorsements::AnswersInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(endorsements::answer(&state, &caller, &id, &input).await?))
}

/// Draft the endorsement vote: a yes/no motion of the commune, open only to members living in the candidate's district.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/endorsement", tag = "politics",
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn propose_endorsement(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(ProposalView::from(endorsements::propose_endorsement(&state, &caller, &id).await?)))
}

/// Draft a funding proposal for the candidate's campaign, paid from the pot if it passes, within the caps and outside the blackout window.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/funding", tag = "politics", request_body = endorsements::FundingInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn propose_funding(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<endorsements::FundingInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(ProposalView::from(endorsements::propose_funding(&state, &caller, &id, &input).await?)))
}

/// Add a question to the questionnaire (stewards of the commune), drawn from a principle of the commune's library.
#[utoipa::path(post, path = "/api/v1/questionnaire", tag = "politics", request_body = endorsements::QuestionInput,
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn add_question(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<endorsements::QuestionInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(endorsements::add_question(&state, &caller, &input).await?))
}

/// Every transfer to a campaign, with its date, amount and the vote that authorised it.
#[utoipa::path(get, path = "/api/v1/disclosures", tag = "politics",
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn disclosures(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    Ok(Json(endorsements::disclosures(&state, &caller).await?))
}

/// The disclosure report as CSV: date, candidate, office, district, election, amount, currency and the authorising vote.
#[utoipa::path(get, path = "/api/v1/disclosures.csv", tag = "politics",
    security(("session" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody)))]
pub async fn disclosures_csv(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<impl IntoResponse> {
    let rows = endorsements::disclosures(&state, &caller).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"campaign-disclosures.csv\""),
        ],
        endorsements::disclosure_csv(&rows)?,
    ))
}

/// Turn a campaign into a work project (stewards of the organisation it goes to, the commune by default): volunteer tasks and a content plan with owners and dates.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/project", tag = "politics", request_body = endorsements::CampaignPlanInput,
    params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 201, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn campaign_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<endorsements::CampaignPlanInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(endorsements::campaign_project(&state, &caller, &id, &input).await?))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TransparencySwitch {
    pub on: bool,
}

/// Switch the public transparency page on or off (stewards of the commune).
#[utoipa::path(put, path = "/api/v1/transparency", tag = "politics", request_body = TransparencySwitch,
    security(("session" = [])),
    responses((status = 200, description = "Done", body = Object), (status = 401, description = "Not signed in", body = ErrorBody), (status = 403, description = "Not allowed", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Refused by a rule or a race", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn switch_transparency(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<TransparencySwitch>,
) -> ApiResult<impl IntoResponse> {
    let on = transparency::switch(&state, &caller, input.on).await?;
    Ok(Json(serde_json::json!({ "transparency": on })))
}

/// The commune's public transparency page as JSON, when its stewards switched it on (404 otherwise): chapters, seasons, endorsements with their votes, and campaign disclosures.
#[utoipa::path(get, path = "/api/v1/transparency", tag = "politics",
    responses((status = 200, description = "Done", body = Object), (status = 404, description = "Not switched on", body = ErrorBody)))]
pub async fn transparency_page(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(transparency::page(&state).await?))
}

/// A season's standings and what each chapter gave, publicly (404 unless the page is on).
#[utoipa::path(get, path = "/api/v1/transparency/seasons/{id}", tag = "politics",
    params(("id" = String, Path)),
    responses((status = 200, description = "Done", body = Object), (status = 404, description = "Not switched on, or no such season", body = ErrorBody)))]
pub async fn transparency_season(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(transparency::season(&state, &id).await?))
}

/// An endorsed candidate's profile, answers and votes, publicly (404 unless the page is on and the candidate endorsed).
#[utoipa::path(get, path = "/api/v1/transparency/candidates/{id}", tag = "politics",
    params(("id" = String, Path)),
    responses((status = 200, description = "Done", body = Object), (status = 404, description = "Not switched on, or not endorsed", body = ErrorBody)))]
pub async fn transparency_candidate(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(transparency::candidate(&state, &id).await?))
}

/// The campaign disclosures as CSV, publicly (404 unless the page is on).
#[utoipa::path(get, path = "/api/v1/transparency/disclosures.csv", tag = "politics",
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 404, description = "Not switched on", body = ErrorBody)))]
pub async fn transparency_disclosures(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let rows = transparency::disclosures(&state).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"campaign-disclosures.csv\""),
        ],
        endorsements::disclosure_csv(&rows)?,
    ))
}
