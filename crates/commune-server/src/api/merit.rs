//! Merit: attributes, dots, Dot Collector meetings, baseball cards and weight distributions.

use super::extract::{Json, Path, Query, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, AppError, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commune_app::cards::{self, CardView, WeightDistribution};
use commune_app::merit::{self, DotInput};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_store::{Attribute, Dot, Meeting};
use std::collections::BTreeMap;

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AttributeView {
    pub key: String,
    pub name: String,
    pub description: String,
    /// `{domain: weight}`: how the attribute rolls up into domains.
    pub domain_weights: BTreeMap<String, f64>,
    pub active: bool,
}

impl From<Attribute> for AttributeView {
    fn from(a: Attribute) -> AttributeView {
        AttributeView {
            key: a.key,
            name: a.name,
            description: a.description,
            domain_weights: a.domain_weights.into_iter().collect(),
            active: a.active,
        }
    }
}

/// The attributes members rate each other on (changed only by policy proposals).
#[utoipa::path(get, path = "/api/v1/attributes", tag = "merit",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Attributes", body = Vec<AttributeView>)))]
pub async fn attributes(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<AttributeView>>> {
    caller.authorize(&state, None, Action::ReadDirectory).await?;
    Ok(Json(state.store.attributes().await?.into_iter().map(AttributeView::from).collect()))
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DotView {
    pub id: String,
    pub rater: String,
    pub ratee: String,
    pub attribute: String,
    pub score: i64,
    pub context: String,
    pub context_id: String,
    /// Shown only to the rated person and the rater.
    pub comment: String,
    pub created_at: i64,
}

impl From<Dot> for DotView {
    fn from(d: Dot) -> DotView {
        DotView {
            id: d.id,
            rater: d.rater_handle,
            ratee: d.ratee_handle,
            attribute: d.attribute,
            score: d.score,
            context: d.context_kind,
            context_id: d.context_id,
            comment: d.comment,
            created_at: d.created_at,
        }
    }
}

/// Rate a fellow member, 1–10, on an attribute, in a context.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/dots", tag = "merit", request_body = DotInput,
    params(("slug" = String, Path, description = "The organisation you share")),
    security(("session" = [])),
    responses(
        (status = 201, description = "Recorded", body = DotView),
        (status = 422, description = "Yourself, someone outside the organisation, a score out of range…", body = ErrorBody),
        (status = 429, description = "Too many dots", body = ErrorBody)))]
pub async fn give(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<DotInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(DotView::from(merit::give_dot(&state, &caller, &slug, &input).await?)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DotFilter {
    /// Only dots about this member (handle).
    pub ratee: Option<String>,
}

/// An organisation's dots, newest first (members only).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/dots", tag = "merit",
    params(("slug" = String, Path, description = "The organisation's slug"), DotFilter),
    security(("session" = []), ("bearer" = ["members:read"])),
    responses((status = 200, description = "Dots", body = Vec<DotView>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(filter): Query<DotFilter>,
) -> ApiResult<Json<Vec<DotView>>> {
    Ok(Json(
        merit::org_dots(&state, &caller, &slug, filter.ratee.as_deref())
            .await?
            .into_iter()
            .map(DotView::from)
            .collect(),
    ))
}

/// Withdraw one of your dots (within 24 hours).
#[utoipa::path(delete, path = "/api/v1/dots/{id}", tag = "merit",
    params(("id" = String, Path, description = "The dot's id")),
    security(("session" = [])),
    responses((status = 204, description = "Withdrawn"), (status = 404, description = "No dot of yours", body = ErrorBody), (status = 409, description = "Older than 24 hours", body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    merit::withdraw_dot(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct MeetingInput {
    pub title: String,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: String,
    pub title: String,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    pub participants: Vec<String>,
    pub dots: Vec<DotView>,
}

async fn meeting_view(state: &AppState, viewer: &str, m: Meeting) -> Result<MeetingView, AppError> {
    let participants = state.store.meeting_participants(&m.id).await?.into_iter().map(|(_, h, _)| h).collect();
    let dots = state
        .store
        .context_dots("meeting", &m.id)
        .await?
        .into_iter()
        .map(|d| merit::hide_comment(d, viewer).into())
        .collect();
    Ok(MeetingView { id: m.id, title: m.title, created_at: m.created_at, ended_at: m.ended_at, participants, dots })
}

/// Open a Dot Collector meeting.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/meetings", tag = "merit", request_body = MeetingInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses((status = 201, description = "Opened; you are its first participant", body = MeetingView)))]
pub async fn open_meeting(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<MeetingInput>,
) -> ApiResult<impl IntoResponse> {
    let m = merit::create_meeting(&state, &caller, &slug, &input.title, None).await?;
    let viewer = caller.require_member()?.member.id.clone();
    Ok(created(meeting_view(&state, &viewer, m).await?))
}

/// A meeting with its participants and the dots given in it so far.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "merit",
    params(("id" = String, Path, description = "The meeting's id")),
    security(("session" = [])),
    responses((status = 200, description = "The meeting", body = MeetingView)))]
pub async fn get_meeting(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<MeetingView>> {
    let (m, _) = merit::meeting(&state, &caller, &id).await?;
    let viewer = caller.member().map(|s| s.member.id.clone()).unwrap_or_default();
    Ok(Json(meeting_view(&state, &viewer, m).await?))
}

/// Join a meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/join", tag = "merit",
    params(("id" = String, Path, description = "The meeting's id")),
    security(("session" = [])),
    responses((status = 204, description = "Joined")))]
pub async fn join_meeting(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    merit::join_meeting(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End a meeting (whoever opened it, or a steward).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/end", tag = "merit",
    params(("id" = String, Path, description = "The meeting's id")),
    security(("session" = [])),
    responses((status = 204, description = "Ended")))]
pub async fn end_meeting(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    merit::end_meeting(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member's baseball card: believability per domain with its uncertainty, the evidence, and
/// how it became their vote weight.
#[utoipa::path(get, path = "/api/v1/members/{handle}/card", tag = "merit",
    params(("handle" = String, Path, description = "The member's handle")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The card", body = CardView), (status = 404, description = "No such member", body = ErrorBody)))]
pub async fn member_card(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(handle): Path<String>,
) -> ApiResult<Json<CardView>> {
    let member = commune_app::service::member(&state, &caller, &handle).await?;
    Ok(Json(cards::card(&state, &member).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DomainFilter {
    /// A domain; default `general`.
    pub domain: Option<String>,
}

/// Merit-mode vote weights in an organisation: the distribution, its Gini and largest share.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/weights", tag = "merit",
    params(("slug" = String, Path, description = "The organisation's slug"), DomainFilter),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "Weights", body = WeightDistribution)))]
pub async fn org_weights(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(filter): Query<DomainFilter>,
) -> ApiResult<Json<WeightDistribution>> {
    let org = commune_app::service::org_for(&state, &caller, &slug, Action::ReadProposals).await?;
    Ok(Json(cards::distribution(&state, &org, filter.domain.as_deref().unwrap_or("general")).await?))
}
