//! The inbox: what needs the member now, their notifications (read and unread), and their
//! inbox settings (digest by email, time zone); the theme switch.

use crate::auth::set_cookie;
use crate::web::frame::{
    Form, Page, Problems, THEME_COOKIE, Web, WebResult, field_problems, render, safe_next, theme_of, with_status,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect};
use commune_app::inbox::{self, NeedsYou};
use commune_app::state::AppState;
use commune_store::Notification;

#[derive(Template)]
#[template(path = "inbox.html")]
pub(crate) struct InboxPage {
    pub(crate) page: Page,
    pub(crate) needs: NeedsYou,
    pub(crate) notifications: Vec<Notification>,
    pub(crate) unread_only: bool,
    /// The `before` cursor of the next (older) page, when there is one.
    pub(crate) older: Option<i64>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    pub(crate) unread: Option<String>,
    #[serde(default)]
    pub(crate) before: Option<i64>,
}

pub async fn inbox(State(state): State<AppState>, web: Web, Query(q): Query<InboxQuery>) -> WebResult {
    let me = web.caller.require_member()?;
    let unread_only = q.unread.as_deref().is_some_and(|u| u == "1");
    let notifications = inbox::notifications(&state, &me.member.id, q.before, unread_only).await?;
    let needs = inbox::needs_you(&state, &me.member.id).await?;
    let older = (notifications.len() >= 50).then(|| notifications.last().map(|n| n.created_at)).flatten();
    // The count in the top bar is read after catching up, so it matches the list.
    let mut page = web.page("Inbox", "inbox");
    page.unread = inbox::unread_count(&state, &me.member.id).await?;
    Ok(render(&InboxPage { page, needs, notifications, unread_only, older }))
}

/// `GET /inbox/open/{id}`: marks the notification read and goes where it points.
pub async fn open(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let me = web.caller.require_member()?;
    let link = state
        .store
        .notification(&me.member.id, &id)
        .await?
        .map(|n| n.link)
        .ok_or(commune_app::AppError::NotFound("notification"))?;
    inbox::mark_read(&state, &me.member.id, Some(&id)).await?;
    Ok(Redirect::to(safe_next(&link)).into_response())
}

#[derive(Debug, serde::Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) id: Option<String>,
}

/// `POST /inbox/read`: marks one notification (`id`) or all of them read.
pub async fn read(State(state): State<AppState>, web: Web, Form(form): Form<ReadForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let me = web.caller.require_member()?;
    inbox::mark_read(&state, &me.member.id, form.id.as_deref().filter(|i| !i.is_empty())).await?;
    Ok(Redirect::to("/inbox").into_response())
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct PrefsForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) digest: String,
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) time_zone: String,
}

#[derive(Template)]
#[template(path = "inbox_settings.html")]
pub(crate) struct PrefsPage {
    pub(crate) page: Page,
    pub(crate) form: PrefsForm,
    pub(crate) problems: Problems,
    pub(crate) mail_configured: bool,
    pub(crate) zones: &'static [&'static str],
}

/// Zones offered first in the picker (any IANA name is accepted).
const COMMON_ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Rome",
    "Europe/Madrid",
    "Europe/Athens",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "America/Bogota",
    "America/Mexico_City",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
];

pub async fn prefs_page(State(state): State<AppState>, web: Web) -> WebResult {
    let prefs = inbox::prefs(&state, &web.caller).await?;
    let form = PrefsForm { csrf: String::new(), digest: prefs.digest, email: prefs.email, time_zone: prefs.time_zone };
    Ok(render(&prefs_view(&state, &web, form, Problems::default())))
}

fn prefs_view(state: &AppState, web: &Web, form: PrefsForm, problems: Problems) -> PrefsPage {
    PrefsPage {
        page: web.page("Inbox settings", "inbox"),
        form,
        problems,
        mail_configured: state.config.mail.is_some(),
        zones: COMMON_ZONES,
    }
}

pub async fn prefs(State(state): State<AppState>, web: Web, Form(form): Form<PrefsForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match inbox::set_prefs(&state, &web.caller, &form.digest, &form.email, &form.time_zone).await {
        Ok(_) => Ok(Redirect::to("/settings/inbox?done=prefs").into_response()),
        Err(e) => {
            let problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&prefs_view(&state, &web, form, problems))))
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ThemeForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) theme: String,
}

/// `POST /settings/theme`: remembers the visitor's theme in a cookie (signed in or not) and goes
/// back to the page they were on.
pub async fn theme(web: Web, headers: HeaderMap, Form(form): Form<ThemeForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let theme = theme_of(Some(form.theme.as_str()));
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .map(|path| safe_next(&path).to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let cookie = set_cookie(THEME_COOKIE, theme, 365 * 24 * 3600, false);
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to(&back)).into_response())
}
