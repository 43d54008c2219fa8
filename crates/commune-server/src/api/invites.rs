//! Invite links over the API: stewards make, list and revoke them; a signed-in member accepts one.

use super::extract::{Json, Path, created};
use super::views::OrgView;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commune_app::invites::{self, CreatedInvite, InviteInput};
use commune_app::state::AppState;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InviteView {
    pub id: String,
    /// Who it is for (stewards' note).
    pub note: String,
    pub max_uses: i64,
    pub uses: i64,
    pub expires_at: i64,
    pub revoked: bool,
    pub created_at: i64,
}

impl From<commune_store::Invite> for InviteView {
    fn from(i: commune_store::Invite) -> InviteView {
        InviteView {
            id: i.id,
            note: i.note,
            max_uses: i.max_uses,
            uses: i.uses,
            expires_at: i.expires_at,
            revoked: i.revoked_at.is_some(),
            created_at: i.created_at,
        }
    }
}

/// Make an invite link: its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/invites", tag = "organisations", request_body = InviteInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 201, description = "The link, with its secret shown this once", body = CreatedInvite),
        (status = 403, description = "Only stewards make invite links", body = ErrorBody),
        (status = 422, description = "Invalid terms", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<InviteInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(invites::create(&state, &caller, &slug, &input).await?))
}

/// An organisation's invite links, newest first (never their secrets).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/invites", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The links", body = Vec<InviteView>),
        (status = 403, description = "Only stewards see invite links", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<InviteView>>> {
    let (_, list) = invites::list(&state, &caller, &slug).await?;
    Ok(Json(list.into_iter().map(InviteView::from).collect()))
}

/// Revoke an invite link: it admits nobody from now on.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/invites/{id}", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The link's id")),
    security(("session" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No live link with this id", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    invites::revoke(&state, &caller, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept an invite link: join its organisation as a member.
#[utoipa::path(post, path = "/api/v1/invites/{secret}/accept", tag = "organisations",
    params(("secret" = String, Path, description = "The link's secret (inv_…)")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Joined", body = OrgView),
        (status = 404, description = "No such link", body = ErrorBody),
        (status = 422, description = "The link is spent, or you are already a member", body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(secret): Path<String>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(invites::accept(&state, &caller, &secret).await?.into()))
}
