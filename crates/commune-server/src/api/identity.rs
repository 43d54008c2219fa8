//! Set-up, sign-up, sessions, profiles and the member directory.

use super::{Json, MemberView, OrgView, Path, Query, TokenView, created};
use crate::auth::{ApiCaller, CSRF_COOKIE, Caller, SESSION_COOKIE, client_key, set_cookie};
use crate::error::{ApiResult, AppError, ErrorBody};
use crate::service::{self, ProfileUpdate, SetupInput, SignupInput};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{Extensions, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse};
use commune_domain::authz::Action;

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SetupStatus {
    /// True until the commune and its first steward exist.
    pub needed: bool,
}

/// Whether first-run setup is still needed.
#[utoipa::path(get, path = "/api/v1/setup", tag = "identity",
    responses((status = 200, description = "Whether first-run setup is still needed", body = SetupStatus)))]
pub async fn setup_status(State(state): State<AppState>) -> ApiResult<Json<SetupStatus>> {
    Ok(Json(SetupStatus { needed: service::needs_setup(&state).await? }))
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SetupDone {
    pub steward: MemberView,
    pub commune: OrgView,
}

/// First-run setup: create the commune and its first steward.
#[utoipa::path(post, path = "/api/v1/setup", tag = "identity", request_body = SetupInput,
    responses(
        (status = 201, description = "The commune and its first steward were created", body = SetupDone),
        (status = 409, description = "The instance is already set up", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn setup(State(state): State<AppState>, Json(input): Json<SetupInput>) -> ApiResult<impl IntoResponse> {
    let (steward, commune) = service::setup(&state, &input).await?;
    Ok(created(SetupDone { steward: steward.into(), commune: commune.into() }))
}

/// Sign up as a new member.
#[utoipa::path(post, path = "/api/v1/members", tag = "identity", request_body = SignupInput,
    responses(
        (status = 201, description = "Signed up", body = MemberView),
        (status = 409, description = "The handle is taken", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
        (status = 429, description = "Too many sign-ups from this address", body = ErrorBody)))]
pub async fn signup(
    State(state): State<AppState>,
    ext: Extensions,
    Json(input): Json<SignupInput>,
) -> ApiResult<impl IntoResponse> {
    let member = service::signup(&state, &input, client_key(&ext).as_deref()).await?;
    Ok(created(MemberView::from(member)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Page {
    /// At most 500; default 100.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// List members, by handle.
#[utoipa::path(get, path = "/api/v1/members", tag = "identity", params(Page),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Members by handle", body = Vec<MemberView>),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<MemberView>>> {
    caller.authorize(&state, None, Action::ReadDirectory).await?;
    let members = state.store.list_members(page.limit.unwrap_or(100), page.offset.unwrap_or(0)).await?;
    Ok(Json(members.into_iter().map(MemberView::from).collect()))
}

/// A member's profile.
#[utoipa::path(get, path = "/api/v1/members/{handle}", tag = "identity",
    params(("handle" = String, Path, description = "The member's handle")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The member's profile", body = MemberView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody)))]
pub async fn get_member(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(handle): Path<String>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(service::member(&state, &caller, &handle).await?.into()))
}

/// Who the caller is: a signed-in member or an organisation's token.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MeView {
    /// `member` or `token`.
    pub kind: String,
    pub member: Option<MemberView>,
    pub token: Option<TokenView>,
}

/// Who is calling: the signed-in member or the token.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeView),
        (status = 401, description = "Not signed in, or the session expired", body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<MeView>> {
    caller.authorize(&state, None, Action::ReadDirectory).await?;
    Ok(Json(match caller {
        Caller::Member(s) => {
            let member = state.store.member_by_id(&s.member.id).await?.unwrap_or(s.member);
            MeView { kind: "member".into(), member: Some(member.into()), token: None }
        }
        Caller::Token(t) => MeView { kind: "token".into(), member: None, token: Some(t.into()) },
        Caller::Anonymous { .. } => {
            return Err(AppError::Denied(commune_domain::authz::Denied::NotAuthenticated));
        }
    }))
}

/// Replace the caller's profile.
#[utoipa::path(put, path = "/api/v1/me/profile", tag = "identity", request_body = ProfileUpdate,
    security(("session" = [])),
    responses(
        (status = 200, description = "The updated profile", body = MemberView),
        (status = 403, description = "Tokens cannot edit profiles, or the CSRF header is missing", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn update_profile(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<ProfileUpdate>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(service::update_profile(&state, &caller, &input).await?.into()))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct LoginInput {
    pub handle: String,
    pub password: String,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SessionCreated {
    pub member: MemberView,
    /// Send this as `X-CSRF-Token` with every cookie-authenticated write.
    pub csrf_token: String,
}

/// Log in: start a session (sets the session cookie).
#[utoipa::path(post, path = "/api/v1/sessions", tag = "identity", request_body = LoginInput,
    responses(
        (status = 201, description = "Signed in; the session cookie is set", body = SessionCreated),
        (status = 401, description = "Wrong handle or password", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ext: Extensions,
    Json(input): Json<LoginInput>,
) -> ApiResult<impl IntoResponse> {
    let client = client_key(&ext);
    let origin = service::Origin { client: client.as_deref(), user_agent: "" };
    let session = service::login(&state, &input.handle, &input.password, origin).await?;
    let max_age_s = state.config.session_ttl_ms / 1000;
    let cookie = set_cookie(SESSION_COOKIE, &session.secret, max_age_s, state.config.secure_cookies);
    let body = SessionCreated { member: session.member.into(), csrf_token: session.csrf };
    Ok((StatusCode::CREATED, AppendHeaders([(header::SET_COOKIE, cookie)]), Json(body)))
}

/// Log out: end the current session.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "identity",
    security(("session" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<impl IntoResponse> {
    service::logout(&state, caller.require_member()?).await?;
    let secure = state.config.secure_cookies;
    let cookies = [
        (header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, secure)),
        (header::SET_COOKIE, set_cookie(CSRF_COOKIE, "", 0, secure)),
    ];
    Ok((StatusCode::NO_CONTENT, AppendHeaders(cookies)))
}
