//! Organisations, memberships, join requests and API tokens.

use super::extract::{Json, Path, Query, created};
use super::views::{JoinRequestView, OrgMemberView, OrgView, TokenView};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, AppError, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commune_app::service::{self, CreateOrgInput, CreateTokenInput};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_domain::org::JoinStatus;

/// List organisations, the commune first.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "organisations",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every organisation, the commune first", body = Vec<OrgView>),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn list_orgs(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<Vec<OrgView>>> {
    caller.authorize(&state, None, Action::ReadDirectory).await?;
    Ok(Json(state.store.list_orgs().await?.into_iter().map(OrgView::from).collect()))
}

/// Found an organisation (a co-op business or a chapter); the caller becomes its steward.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "organisations", request_body = CreateOrgInput,
    security(("session" = [])),
    responses(
        (status = 201, description = "Created; the caller is its first steward", body = OrgView),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create_org(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<CreateOrgInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(OrgView::from(service::create_org(&state, &caller, &input).await?)))
}

/// An organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The organisation", body = OrgView),
        (status = 404, description = "No such organisation", body = ErrorBody)))]
pub async fn get_org(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(service::org_for(&state, &caller, &slug, Action::ReadDirectory).await?.into()))
}

/// An organisation's members and their roles.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/members", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = ["members:read"])),
    responses(
        (status = 200, description = "Members with their roles, stewards first", body = Vec<OrgMemberView>),
        (status = 403, description = "Not a member, another organisation's token, or a missing scope", body = ErrorBody)))]
pub async fn org_members(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<OrgMemberView>>> {
    let org = service::org_for(&state, &caller, &slug, Action::ReadOrgMembers).await?;
    Ok(Json(state.store.org_members(&org.id).await?.into_iter().map(OrgMemberView::from).collect()))
}

/// Leave an organisation.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/members/me", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Left the organisation"),
        (status = 409, description = "The last steward cannot leave", body = ErrorBody)))]
pub async fn leave_org(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    service::leave(&state, &caller, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct RoleInput {
    /// `member` or `steward`.
    pub role: String,
}

/// Change a member's role (stewards only).
#[utoipa::path(put, path = "/api/v1/orgs/{slug}/members/{handle}/role", tag = "organisations", request_body = RoleInput,
    params(("slug" = String, Path, description = "The organisation's slug"), ("handle" = String, Path, description = "The member's handle")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Role changed"),
        (status = 403, description = "Only stewards change roles", body = ErrorBody),
        (status = 409, description = "The organisation would lose its last steward", body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, handle)): Path<(String, String)>,
    Json(input): Json<RoleInput>,
) -> ApiResult<StatusCode> {
    service::set_role(&state, &caller, &slug, &handle, &input.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct JoinInput {
    /// A note to the stewards, up to 1,000 characters.
    #[serde(default)]
    pub message: String,
}

/// Ask to join an organisation.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/join-requests", tag = "organisations", request_body = JoinInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 201, description = "Requested", body = JoinRequestView),
        (status = 403, description = "Already a member", body = ErrorBody),
        (status = 409, description = "A request is already pending", body = ErrorBody)))]
pub async fn request_to_join(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<JoinInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(JoinRequestView::from(service::request_to_join(&state, &caller, &slug, &input.message).await?)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct StatusFilter {
    /// `pending` (default), `admitted` or `rejected`.
    pub status: Option<String>,
}

/// An organisation's join requests.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/join-requests", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug"), StatusFilter),
    security(("session" = []), ("bearer" = ["members:read"])),
    responses(
        (status = 200, description = "Join requests, oldest first", body = Vec<JoinRequestView>),
        (status = 403, description = "Not a steward, or a missing scope", body = ErrorBody)))]
pub async fn list_join_requests(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(filter): Query<StatusFilter>,
) -> ApiResult<Json<Vec<JoinRequestView>>> {
    let status = match filter.status.as_deref() {
        None => JoinStatus::Pending,
        Some(raw) => JoinStatus::parse(raw)
            .ok_or_else(|| AppError::bad_request("invalid_query", "status must be pending, admitted or rejected"))?,
    };
    let (_, requests) = service::join_requests(&state, &caller, &slug, status).await?;
    Ok(Json(requests.into_iter().map(JoinRequestView::from).collect()))
}

/// Admit a pending join request.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/join-requests/{id}/admit", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The request's id")),
    security(("session" = []), ("bearer" = ["members:write"])),
    responses(
        (status = 200, description = "Admitted: the requester is now a member", body = JoinRequestView),
        (status = 403, description = "Not a steward, or a missing scope", body = ErrorBody),
        (status = 409, description = "Already decided", body = ErrorBody)))]
pub async fn admit(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<JoinRequestView>> {
    Ok(Json(service::decide(&state, &caller, &slug, &id, true).await?.into()))
}

/// Reject a pending join request.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/join-requests/{id}/reject", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The request's id")),
    security(("session" = []), ("bearer" = ["members:write"])),
    responses(
        (status = 200, description = "Rejected", body = JoinRequestView),
        (status = 403, description = "Not a steward, or a missing scope", body = ErrorBody),
        (status = 409, description = "Already decided", body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<JoinRequestView>> {
    Ok(Json(service::decide(&state, &caller, &slug, &id, false).await?.into()))
}

/// An organisation's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/tokens", tag = "tokens",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The organisation's tokens, newest first, never their secrets", body = Vec<TokenView>),
        (status = 403, description = "Only stewards manage tokens", body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<TokenView>>> {
    let org = service::org_for(&state, &caller, &slug, Action::ManageTokens).await?;
    Ok(Json(state.store.org_tokens(&org.id).await?.into_iter().map(TokenView::from).collect()))
}

/// A new token with its secret: shown this once, stored only as a hash.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenCreated {
    pub token: TokenView,
    /// Use as `Authorization: Bearer <secret>`. It cannot be shown again.
    pub secret: String,
}

/// Create an API token; its secret is returned this once.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/tokens", tag = "tokens", request_body = CreateTokenInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 201, description = "Created", body = TokenCreated),
        (status = 403, description = "Only stewards manage tokens", body = ErrorBody),
        (status = 422, description = "Invalid name or scopes", body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<CreateTokenInput>,
) -> ApiResult<impl IntoResponse> {
    let made = service::create_token(&state, &caller, &slug, &input).await?;
    Ok(created(TokenCreated { token: made.token.into(), secret: made.secret }))
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/tokens/{id}", tag = "tokens",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The token's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Revoked; the token stops working at once"),
        (status = 404, description = "No live token with this id", body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    service::revoke_token(&state, &caller, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
