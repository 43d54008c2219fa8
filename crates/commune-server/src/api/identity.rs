//! Set-up, sign-up, sessions, profiles and the member directory.

use super::extract::{Json, Path, Query, created};
use super::views::{MemberView, OrgView, TokenView};
use crate::auth::{ApiCaller, CSRF_COOKIE, Caller, SESSION_COOKIE, client_key, set_cookie};
use crate::error::{ApiResult, AppError, ErrorBody};
use axum::extract::State;
use axum::http::{Extensions, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse};
use commune_app::service::{self, ProfileUpdate, SetupInput, SignupInput};
use commune_app::state::AppState;
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
    /// Only members whose handle sorts after this one: pass the last handle of a page for the next.
    pub after: Option<String>,
    /// Search: these letters in the handle or the name (case does not matter).
    pub q: Option<String>,
    /// Only members who list this domain.
    pub domain: Option<String>,
    /// Only members whose place contains this.
    pub place: Option<String>,
    /// Only members of this organisation (its slug).
    pub org: Option<String>,
    /// With `org`: only its `steward`s or plain `member`s.
    pub role: Option<String>,
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
    let limit = page.limit.unwrap_or(100);
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").chars().take(64).collect::<String>();
    let search = commune_store::MemberSearch {
        text: text(&page.q),
        domain: text(&page.domain),
        place: text(&page.place),
        org: text(&page.org),
        role: text(&page.role),
    };
    let members =
        if [&search.text, &search.domain, &search.place, &search.org, &search.role].iter().all(|f| f.is_empty()) {
            let after = page.after.as_deref().unwrap_or("");
            state.store.list_members(limit, page.offset.unwrap_or(0), after).await?
        } else {
            state.store.search_members(&search, limit, page.offset.unwrap_or(0)).await?.0
        };
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
            return Err(AppError::Denied(commune_domain::authz::Denied::NotAuthenticated).into());
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
    headers: axum::http::HeaderMap,
    Json(input): Json<LoginInput>,
) -> ApiResult<impl IntoResponse> {
    let client = client_key(&ext);
    let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
    let session = service::login(&state, &input.handle, &input.password, origin).await?;
    Ok(signed_in(&state, session))
}

/// A new session as the API answers it: the cookie set, the member and the CSRF token.
fn signed_in(state: &AppState, session: service::NewSession) -> impl IntoResponse + use<> {
    let max_age_s = state.config.session_ttl_ms / 1000;
    let cookie = set_cookie(SESSION_COOKIE, &session.secret, max_age_s, state.config.secure_cookies);
    let body = SessionCreated { member: session.member.into(), csrf_token: session.csrf };
    (StatusCode::CREATED, AppendHeaders([(header::SET_COOKIE, cookie)]), Json(body))
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

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PasswordChanged {
    /// Every other session of yours was ended.
    pub sessions_ended: u64,
}

/// Change your password: the current one proves it is you; every other session ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "identity", request_body = service::PasswordChange,
    security(("session" = [])),
    responses(
        (status = 200, description = "Changed", body = PasswordChanged),
        (status = 403, description = "Tokens cannot change passwords", body = ErrorBody),
        (status = 422, description = "Wrong current password, or a weak new one", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<service::PasswordChange>,
) -> ApiResult<Json<PasswordChanged>> {
    Ok(Json(PasswordChanged { sessions_ended: service::change_password(&state, &caller, &input).await? }))
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub user_agent: String,
    /// The session making this request.
    pub current: bool,
}

/// Your live sessions, newest first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "identity", security(("session" = [])),
    responses((status = 200, description = "Sessions", body = Vec<SessionView>),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<SessionView>>> {
    let (list, current) = service::sessions(&state, &caller).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SessionView {
                current: s.id == current,
                id: s.id,
                created_at: s.created_at,
                expires_at: s.expires_at,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

/// End one of your sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "identity", params(("id" = String, Path)),
    security(("session" = [])),
    responses((status = 204, description = "Ended"), (status = 404, description = "No such session of yours", body = ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::revoke_session(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct RecoveryRequest {
    /// The member who lost their password.
    pub handle: String,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RecoveryIssued {
    pub handle: String,
    /// The one-time path to give the member (shown once; valid for an hour; single use).
    pub link: String,
    pub expires_at: i64,
}

/// Issue a one-time recovery link for a member (stewards of the commune only).
#[utoipa::path(post, path = "/api/v1/recovery-links", tag = "identity", request_body = RecoveryRequest,
    security(("session" = [])),
    responses((status = 201, description = "Issued; the link is shown this once", body = RecoveryIssued),
        (status = 403, description = "Not a steward of the commune", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody)))]
pub async fn issue_recovery(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<RecoveryRequest>,
) -> ApiResult<impl IntoResponse> {
    let link = service::issue_recovery(&state, &caller, &input.handle).await?;
    Ok(super::extract::created(RecoveryIssued {
        handle: link.member.handle,
        link: format!("/recover?token={}", link.secret),
        expires_at: link.expires_at,
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct RecoverInput {
    /// The token from the recovery link.
    pub token: String,
    pub new_password: String,
}

/// Use a recovery link: set a new password, end every other session, start a new one.
#[utoipa::path(post, path = "/api/v1/recovery", tag = "identity", request_body = RecoverInput,
    responses((status = 201, description = "Recovered and signed in", body = SessionCreated),
        (status = 409, description = "Unknown, used or expired link", body = ErrorBody),
        (status = 422, description = "A weak new password", body = ErrorBody)))]
pub async fn recover(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Json(input): Json<RecoverInput>,
) -> ApiResult<impl IntoResponse> {
    let session =
        service::recover(&state, &input.token, &input.new_password, crate::auth::user_agent(&headers)).await?;
    let cookie =
        set_cookie(SESSION_COOKIE, &session.secret, state.config.session_ttl_ms / 1000, state.config.secure_cookies);
    let body = SessionCreated { member: session.member.into(), csrf_token: session.csrf };
    Ok((StatusCode::CREATED, AppendHeaders([(header::SET_COOKIE, cookie)]), Json(body)))
}
