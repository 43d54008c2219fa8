//! The inbox over the API: what needs the caller, their notifications and read state, and
//! their inbox preferences (email digest, time zone).

use super::extract::{Json, Query};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use commune_app::inbox::{self, NeedsYou};
use commune_app::state::AppState;
use commune_store::Notification;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// `discussion`, `voting_open`, `result`, `did_not_open`, `payment_requested`,
    /// `request_answered`, `join_requested`, `join_answered`, `delegated` or `comment`.
    pub kind: String,
    pub title: String,
    /// Where the notification points, a path on this instance.
    pub link: String,
    pub created_at: i64,
    pub read: bool,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> NotificationView {
        NotificationView {
            read: n.read_at.is_some(),
            id: n.id,
            kind: n.kind,
            title: n.title,
            link: n.link,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InboxView {
    pub needs_you: NeedsYou,
    /// Newest first, at most 50; pass the last `created_at` as `before` for older ones.
    pub notifications: Vec<NotificationView>,
    pub unread: i64,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct InboxQuery {
    /// Only notifications created before this instant (unix ms).
    pub before: Option<i64>,
    /// Only unread notifications.
    pub unread: Option<bool>,
}

/// Your inbox: what needs you now, and your notifications.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "identity", params(InboxQuery), security(("session" = [])),
    responses((status = 200, description = "The inbox", body = InboxView),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<InboxQuery>,
) -> ApiResult<Json<InboxView>> {
    let me = caller.require_member()?;
    let notifications = inbox::notifications(&state, &me.member.id, q.before, q.unread.unwrap_or(false)).await?;
    let needs_you = inbox::needs_you(&state, &me.member.id).await?;
    let unread = inbox::unread_count(&state, &me.member.id).await?;
    Ok(Json(InboxView { needs_you, notifications: notifications.into_iter().map(Into::into).collect(), unread }))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct MarkRead {
    /// The notification to mark read; without it, every notification is.
    pub id: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// How many notifications changed from unread to read.
    pub marked: u64,
}

/// Marks one notification, or all of yours, read.
#[utoipa::path(post, path = "/api/v1/inbox/read", tag = "identity", request_body = MarkRead, security(("session" = [])),
    responses((status = 200, description = "Marked", body = Marked),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<MarkRead>,
) -> ApiResult<Json<Marked>> {
    let me = caller.require_member()?;
    let marked = inbox::mark_read(&state, &me.member.id, input.id.as_deref()).await?;
    Ok(Json(Marked { marked }))
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PrefsView {
    /// `off`, `daily` or `weekly`.
    pub digest: String,
    /// Where the digest goes (empty for none).
    pub email: String,
    /// An IANA time zone (`Europe/Rome`) or `UTC`.
    pub time_zone: String,
}

impl From<commune_store::Prefs> for PrefsView {
    fn from(p: commune_store::Prefs) -> PrefsView {
        PrefsView { digest: p.digest, email: p.email, time_zone: p.time_zone }
    }
}

/// Your inbox preferences.
#[utoipa::path(get, path = "/api/v1/me/prefs", tag = "identity", security(("session" = [])),
    responses((status = 200, description = "Preferences", body = PrefsView),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn prefs(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<PrefsView>> {
    Ok(Json(inbox::prefs(&state, &caller).await?.into()))
}

/// Sets your inbox preferences.
#[utoipa::path(put, path = "/api/v1/me/prefs", tag = "identity", request_body = PrefsView, security(("session" = [])),
    responses((status = 200, description = "Saved", body = PrefsView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn set_prefs(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<PrefsView>,
) -> ApiResult<Json<PrefsView>> {
    Ok(Json(inbox::set_prefs(&state, &caller, &input.digest, &input.email, &input.time_zone).await?.into()))
}
