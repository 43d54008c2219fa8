//! The web UI: server-rendered pages (askama), enhanced by htmx, working without JavaScript.
//! Forms post back to the same shell operations as the API (`crate::service`).

mod governance;
mod merit;
mod pages;
mod reference;
pub mod wallet;

use crate::auth::{CSRF_COOKIE, Caller, constant_time_eq, cookie, random_token, set_cookie};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use commune_domain::authz::Denied;

/// Routes of the web UI.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/setup", get(pages::setup_page).post(pages::setup))
        .route("/setup/demo", post(pages::setup_demo))
        .route("/signup", get(pages::signup_page).post(pages::signup))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/members", get(pages::members))
        .route("/m/{handle}", get(pages::member))
        .route("/settings/profile", get(pages::profile_page).post(pages::profile))
        .route("/orgs", get(pages::orgs))
        .route("/orgs/new", get(pages::org_new_page).post(pages::org_new))
        .route("/orgs/{slug}", get(pages::org))
        .route("/orgs/{slug}/join", post(pages::join))
        .route("/orgs/{slug}/leave", post(pages::leave))
        .route("/orgs/{slug}/members/{handle}/role", post(pages::set_role))
        .route("/orgs/{slug}/requests", get(pages::requests))
        .route("/orgs/{slug}/requests/{id}/{decision}", post(pages::decide))
        .route("/orgs/{slug}/tokens", get(pages::tokens).post(pages::create_token))
        .route("/orgs/{slug}/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/orgs/{slug}/proposals", get(governance::list))
        .route("/orgs/{slug}/proposals/new", get(governance::new_form).post(governance::create))
        .route("/orgs/{slug}/delegations", get(governance::delegations).post(governance::delegate))
        .route("/delegations/{id}/revoke", post(governance::revoke))
        .route("/p/{id}", get(governance::show))
        .route("/p/{id}/vote", post(governance::vote))
        .route("/p/{id}/publish", post(governance::publish))
        .route("/p/{id}/cancel", post(governance::cancel))
        .route("/p/{id}/comment", post(governance::comment))
        .route("/orgs/{slug}/meetings", get(merit::meetings).post(merit::open))
        .route("/meetings/{id}", get(merit::show))
        .route("/meetings/{id}/grid", get(merit::grid_fragment))
        .route("/meetings/{id}/dot", post(merit::dot))
        .route("/meetings/{id}/join", post(merit::join))
        .route("/meetings/{id}/end", post(merit::end))
        .route("/wallet", get(wallet::wallet))
        .route("/wallet/send", post(wallet::send))
        .route("/wallet/request", post(wallet::request))
        .route("/wallet/payout", post(wallet::payout))
        .route("/wallet/hold", post(wallet::hold))
        .route("/wallet/requests/{id}/{action}", post(wallet::request_action))
        .route("/wallet/holds/{id}/{action}", post(wallet::hold_action))
        .route("/orgs/{slug}/treasury", get(wallet::treasury))
        .route("/orgs/{slug}/treasury/{action}", post(wallet::treasury_action))
        .route("/admin", get(pages::admin))
        .route("/admin/verify", post(pages::admin_verify))
        .route("/admin/recovery", post(pages::admin_recovery))
        .route("/settings/security", get(pages::security))
        .route("/settings/security/password", post(pages::change_password))
        .route("/settings/security/sessions/{id}/revoke", post(pages::revoke_session))
        .route("/recover", get(pages::recover_page).post(pages::recover))
        .route("/api", get(reference::page))
        .layer(axum::middleware::from_fn_with_state(state, csrf_cookie))
        .layer(axum::middleware::from_fn(remember_destination))
}

/// A logged-out visit to a page that needs a member is sent to the log-in page with the page to
/// return to (`/login?next=...`): the log-in then comes back here.
async fn remember_destination(request: Request, next: Next) -> Response {
    let is_get = request.method() == axum::http::Method::GET;
    let here = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let mut response = next.run(request).await;
    let to_login = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).map(|l| l.to_owned());
    if let Some(location) = to_login
        && is_get
        && (location == "/login" || location == "/login?expired=1")
        && pages::safe_next(&here) == here
    {
        let joiner = if location.contains('?') { '&' } else { '?' };
        let target = format!("{location}{joiner}next={}", query_escape(&here));
        if let Ok(value) = target.parse() {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    response
}

/// Percent-encodes everything but unreserved characters and `/`, for a value inside a query.
fn query_escape(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The CSRF token of a visitor without a session, from (or for) the `commune_csrf` cookie.
#[derive(Clone)]
struct AnonCsrf(String);

/// Makes sure every visitor has a CSRF cookie, so even the log-in form is protected.
async fn csrf_cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let existing = cookie(request.headers(), CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    let fresh = existing.is_none();
    let value = existing.unwrap_or_else(random_token);
    request.extensions_mut().insert(AnonCsrf(value.clone()));
    let mut response = next.run(request).await;
    if fresh {
        let cookie = set_cookie(CSRF_COOKIE, &value, 365 * 24 * 3600, state.config.secure_cookies);
        if let Ok(cookie) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// The signed-in viewer, as the top bar shows them.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub handle: String,
    pub display_name: String,
}

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    pub nav: &'static str,
    pub viewer: Option<Viewer>,
    pub is_admin: bool,
    pub csrf: String,
    pub flash: Option<String>,
    pub instance: String,
    pub demo: bool,
}

/// The web extractor: the caller (from the session cookie), their CSRF token, and what the
/// layout shows.
pub struct Web {
    pub caller: Caller,
    pub csrf: String,
    is_admin: bool,
    instance: String,
    demo: bool,
    flash: Option<String>,
}

impl FromRequestParts<AppState> for Web {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Web, WebError> {
        let caller = Caller::from_cookie(state, &parts.headers).await?;
        let csrf = match &caller {
            Caller::Member(signed_in) => signed_in.csrf.clone(),
            _ => parts.extensions.get::<AnonCsrf>().map(|c| c.0.clone()).unwrap_or_default(),
        };
        let is_admin = match caller.actor(state, None).await? {
            commune_domain::authz::Actor::Member { instance_steward, .. } => instance_steward,
            _ => false,
        };
        let instance = state.store.root_org().await?.map_or_else(|| "Commune".to_owned(), |o| o.name);
        let demo = state.store.setting("demo").await?.is_some();
        let flash = parts.uri.query().and_then(|q| {
            q.split('&').find_map(|kv| kv.strip_prefix("done=")).and_then(flash_message).map(str::to_owned)
        });
        Ok(Web { caller, csrf, is_admin, instance, demo, flash })
    }
}

/// Messages shown after a redirect (`?done=code`); only known codes are shown, so the query
/// string cannot inject text.
fn flash_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "setup" => "Your commune exists. Welcome, steward.",
        "demo" => "The demo commune is loaded. Log in as ada / commune-demo.",
        "welcome" => "Welcome! Your account is ready.",
        "login" => "You are logged in.",
        "logout" => "You are logged out.",
        "profile" => "Profile saved.",
        "org" => "Organisation founded. You are its first steward.",
        "requested" => "Request sent. A steward will decide.",
        "left" => "You left the organisation.",
        "role" => "Role changed.",
        "admitted" => "Admitted: they are a member now.",
        "rejected" => "Request rejected.",
        "revoked" => "Revoked.",
        "voted" => "Your ballot is in. Your receipt is below; you can change your ballot until voting closes.",
        "published" => "Published: discussion is open, and voting opens at its time.",
        "cancelled" => "Cancelled.",
        "delegated" => "Delegated. Your own vote still overrides it on any proposal.",
        "sent" => "Sent. The money has moved.",
        "paid" => "Paid. The request is settled.",
        "paid_out" => "Paid out of the commune.",
        "held" => "Held: the money is reserved until it is captured, released or expires.",
        "requested_money" => "Request sent.",
        "declined" => "Request declined.",
        "request_cancelled" => "Request cancelled.",
        "captured" => "Hold captured.",
        "released" => "Hold released.",
        "revenue" => "Revenue booked; the funnel share went to the common pot.",
        "password" => "Password changed. Every other session of yours has ended.",
        "session_ended" => "That session has ended.",
        "recovered" => "Your new password is set, and you are logged in.",
        _ => return None,
    })
}

impl Web {
    pub fn page(&self, title: impl Into<String>, nav: &'static str) -> Page {
        Page {
            title: title.into(),
            nav,
            viewer: self
                .caller
                .member()
                .map(|s| Viewer { handle: s.member.handle.clone(), display_name: s.member.display_name.clone() }),
            is_admin: self.is_admin,
            csrf: self.csrf.clone(),
            flash: self.flash.clone(),
            instance: self.instance.clone(),
            demo: self.demo,
        }
    }

    /// Refuses a form whose `csrf` field does not match the visitor's token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        if self.csrf.is_empty() || !constant_time_eq(submitted, &self.csrf) {
            return Err(AppError::Csrf.into());
        }
        Ok(())
    }
}

/// A URL-encoded form; a malformed one is a `400` page.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(WebError))]
pub struct Form<T>(pub T);

impl From<FormRejection> for WebError {
    fn from(rejection: FormRejection) -> WebError {
        AppError::bad_request("invalid_form", rejection.body_text()).into()
    }
}

/// An error shown as a page; "sign in first" becomes a redirect to the log-in page.
#[derive(Debug)]
pub struct WebError(pub AppError);

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        WebError(e)
    }
}

impl From<commune_store::StoreError> for WebError {
    fn from(e: commune_store::StoreError) -> WebError {
        WebError(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    status: u16,
    heading: &'static str,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let err = self.0;
        err.log();
        match err {
            AppError::Denied(Denied::NotAuthenticated) => {
                return Redirect::to("/login").into_response();
            }
            AppError::SessionExpired => return Redirect::to("/login?expired=1").into_response(),
            _ => {}
        }
        let status = err.status();
        let heading = match status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::TOO_MANY_REQUESTS => "Slow down",
            s if s.is_server_error() => "Something broke",
            _ => "Bad request",
        };
        let page = Page {
            title: heading.to_owned(),
            nav: "",
            viewer: None,
            is_admin: false,
            csrf: String::new(),
            flash: None,
            instance: "Commune".to_owned(),
            demo: false,
        };
        let body = ErrorPage { page, status: status.as_u16(), heading, message: err.to_string() };
        (status, render(&body)).into_response()
    }
}

/// Renders a template; a template error is logged and becomes a plain 500.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

pub type WebResult = Result<Response, WebError>;

/// `YYYY-MM-DD` (UTC) of a unix-milliseconds time, for templates.
pub fn date(ms: &i64) -> String {
    format_ms(*ms, time::macros::format_description!("[year]-[month]-[day]"))
}

/// `YYYY-MM-DD HH:MM` (UTC), for templates.
pub fn datetime(ms: &i64) -> String {
    format_ms(*ms, time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"))
}

pub(crate) fn format_ms(ms: i64, format: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| "?".to_owned())
}

/// `part / whole` of two reals as a whole percentage for bar widths.
pub fn percent_of(part: &f64, whole: &f64) -> i64 {
    if *whole <= 0.0 { 0 } else { ((part / whole) * 100.0).round().clamp(0.0, 100.0) as i64 }
}

/// A 1–10 rating-scale value as a bar width.
pub fn scale_percent(value: &f64) -> i64 {
    percent_of(value, &10.0)
}

/// `part / whole` as a whole percentage for bar widths (0 when `whole` is 0).
pub fn percent(part: &i64, whole: &i64) -> i64 {
    if *whole <= 0 { 0 } else { (part * 100 / whole).clamp(0, 100) }
}
