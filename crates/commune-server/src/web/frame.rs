//! The frame every page shares: who is looking (the [`Web`] extractor), the layout's [`Page`],
//! form extraction, errors rendered as pages, and the small formatting helpers templates call.

use crate::auth::{Caller, caller_from_cookie, constant_time_eq};
use crate::error::AppError;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use commune_app::state::AppState;
use commune_domain::authz::Denied;

/// The CSRF token of a visitor without a session, from (or for) the `commune_csrf` cookie.
#[derive(Clone)]
pub struct AnonCsrf(pub String);

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
    /// `dark` (the default), `light` or `system` (the device's preference): the visitor's
    /// choice, from a cookie.
    pub theme: &'static str,
    /// Unread notifications of the signed-in member (0 for visitors).
    pub unread: i64,
    /// The time zone the member reads times in (their setting; UTC for visitors).
    pub tz: jiff::tz::TimeZone,
    /// Whether the reader's language writes `1.234,56` (from the browser's Accept-Language).
    pub decimal_comma: bool,
}

/// Languages that write a decimal comma and group thousands with a point or a space.
const DECIMAL_COMMA: [&str; 22] = [
    "de", "fr", "it", "es", "pt", "nl", "pl", "cs", "sk", "ru", "uk", "sv", "da", "nb", "nn", "fi", "tr", "id", "ro",
    "hu", "el", "ca",
];

/// Whether the browser's first language writes a decimal comma.
pub fn decimal_comma(accept_language: Option<&str>) -> bool {
    let first = accept_language.unwrap_or("").split(',').next().unwrap_or("").trim();
    let language = first.split(['-', '_', ';']).next().unwrap_or("").to_ascii_lowercase();
    DECIMAL_COMMA.contains(&language.as_str())
}

/// An amount for people: thousands grouped, the currency's symbol where it has a common one,
/// in the reader's number style (`€1,234.50` or `1.234,50 €`), a true minus sign.
pub fn format_money(minor: i128, scale: u32, currency: &str, decimal_comma: bool) -> String {
    let plain = commune_domain::ledger::amount::format(minor.abs(), scale);
    let (whole, fraction) = plain.split_once('.').unwrap_or((plain.as_str(), ""));
    let (group, point) = if decimal_comma { ('.', ',') } else { (',', '.') };
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    let number = if fraction.is_empty() { grouped } else { format!("{grouped}{point}{fraction}") };
    let sign = if minor < 0 { "−" } else { "" };
    let symbol = match currency {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        "INR" => Some("₹"),
        _ => None,
    };
    match (symbol, decimal_comma) {
        (Some(symbol), false) => format!("{sign}{symbol}{number}"),
        (Some(symbol), true) => format!("{sign}{number}\u{a0}{symbol}"),
        (None, _) => format!("{sign}{number}\u{a0}{currency}"),
    }
}

impl Page {
    /// Money for this reader (see [`format_money`]).
    pub fn money(&self, minor: &i128, scale: &u32, currency: &str) -> String {
        format_money(*minor, *scale, currency, self.decimal_comma)
    }

    pub fn money_u(&self, minor: &u64, scale: &u32, currency: &str) -> String {
        format_money(i128::from(*minor), *scale, currency, self.decimal_comma)
    }

    /// A time as the member reads it: in their time zone, with UTC on hover and in the
    /// machine-readable attribute (HTML-safe; render with `|safe`).
    pub fn when(&self, ms: &i64) -> String {
        self.time_element(*ms, "%Y-%m-%d %H:%M")
    }

    /// A date as the member reads it (HTML-safe; render with `|safe`).
    pub fn day(&self, ms: &i64) -> String {
        self.time_element(*ms, "%Y-%m-%d")
    }

    fn time_element(&self, ms: i64, format: &str) -> String {
        let Ok(instant) = jiff::Timestamp::from_millisecond(ms) else { return "?".to_owned() };
        let local = instant.to_zoned(self.tz.clone());
        let zone = self.tz.iana_name().unwrap_or("UTC");
        let shown = local.strftime(format).to_string();
        let utc = instant.strftime("%Y-%m-%d %H:%M UTC").to_string();
        let label = if zone == "UTC" {
            String::new()
        } else {
            format!(" <small class=\"muted\">{}</small>", local.strftime("%Z"))
        };
        format!("<time datetime=\"{}\" title=\"{utc}\">{shown}{label}</time>", instant.strftime("%Y-%m-%dT%H:%M:%SZ"))
    }
}

/// The cookie that remembers the visitor's theme.
pub const THEME_COOKIE: &str = "commune_theme";

/// The theme a cookie value names; anything else is `dark`.
pub fn theme_of(raw: Option<&str>) -> &'static str {
    match raw {
        Some("light") => "light",
        Some("system") => "system",
        _ => "dark",
    }
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
    theme: &'static str,
    unread: i64,
    tz: jiff::tz::TimeZone,
    decimal_comma: bool,
}

impl FromRequestParts<AppState> for Web {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Web, WebError> {
        let caller = caller_from_cookie(state, &parts.headers).await?;
        let csrf = match &caller {
            Caller::Member(signed_in) => signed_in.csrf.clone(),
            _ => parts.extensions.get::<AnonCsrf>().map(|c| c.0.clone()).unwrap_or_default(),
        };
        let is_admin = caller.member().is_some_and(|s| s.instance_steward);
        let facts = state.instance_facts().await?;
        let (instance, demo) = (facts.name, facts.demo);
        let flash = parts.uri.query().and_then(|q| {
            q.split('&').find_map(|kv| kv.strip_prefix("done=")).and_then(flash_message).map(str::to_owned)
        });
        let theme = theme_of(crate::auth::cookie(&parts.headers, THEME_COOKIE));
        let (unread, tz) = match caller.member() {
            Some(signed_in) => commune_app::inbox::reading_facts(state, &signed_in.member.id).await?,
            None => (0, jiff::tz::TimeZone::UTC),
        };
        let language = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(Web {
            caller,
            csrf,
            is_admin,
            instance,
            demo,
            flash,
            theme,
            unread,
            tz,
            decimal_comma: decimal_comma(language),
        })
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
        "prefs" => "Inbox settings saved.",
        "avatar" => "Picture saved.",
        "deposited" => "Deposit recorded: the money is in the wallet.",
        "joined" => "Welcome in! You are a member now.",
        "cast" => "Ballot cast. You can change it until voting ends.",
        "drafted" => "Draft saved. Check it reads right below, then publish it (or edit it first).",
        "draft_saved" => "Draft updated.",
        "place" => "Your place is saved; others see it only as precisely as you chose.",
        "places" => "Places imported.",
        "elections" => "Elections imported; the leverage view is up to date.",
        "challenge" => "Challenge recorded: both win only if both deliver.",
        "question" => "Question added to the questionnaire.",
        "answers" => "Answers saved.",
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
            theme: self.theme,
            unread: self.unread,
            tz: self.tz.clone(),
            decimal_comma: self.decimal_comma,
        }
    }

    /// Whether the viewer's language writes `1.234,56`.
    pub fn decimal_comma(&self) -> bool {
        self.decimal_comma
    }

    /// The time zone the viewer reads and types times in.
    pub fn tz(&self) -> jiff::tz::TimeZone {
        self.tz.clone()
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

impl From<crate::error::ApiError> for WebError {
    fn from(e: crate::error::ApiError) -> WebError {
        WebError(e.0)
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
        let status = crate::error::status(&err);
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
            theme: "dark",
            unread: 0,
            tz: jiff::tz::TimeZone::UTC,
            decimal_comma: false,
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

/// `n` things with the right plural, for templates: "1 member", "3 members".
pub fn plural(n: &i64, one: &str, many: &str) -> String {
    commune_domain::governance::words::count(usize::try_from(*n).unwrap_or(0), one, many)
}

/// `part / whole` as a whole percentage for bar widths (0 when `whole` is 0).
pub fn percent(part: &i64, whole: &i64) -> i64 {
    if *whole <= 0 { 0 } else { (part * 100 / whole).clamp(0, 100) }
}

/// Money `part / whole` as a whole percentage for bar widths (0 when `whole` is 0).
pub fn money_percent(part: &i128, whole: &i128) -> i64 {
    if *whole <= 0 { 0 } else { (part * 100 / whole).clamp(0, 100) as i64 }
}

/// Re-renders a form with its problems (422) when the error is the user's to fix; other errors
/// become error pages.
pub fn form_problems(err: AppError) -> Result<Vec<String>, WebError> {
    match err {
        AppError::Invalid(v) => Ok(v.0.iter().map(|i| i.to_string()).collect()),
        e @ (AppError::Conflict(_) | AppError::Rule(_) | AppError::BadCredentials | AppError::RateLimited { .. }) => {
            Ok(vec![e.to_string()])
        }
        other => Err(other.into()),
    }
}

/// A form's problems: each on its field (shown under it), and every one in the summary.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    pub all: Vec<String>,
    fields: Vec<(&'static str, String)>,
}

impl Problems {
    /// The message for `field`, when it has one.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
}

/// Like [`form_problems`], keeping which field each problem belongs to.
pub fn field_problems(err: AppError) -> Result<Problems, WebError> {
    let fields: Vec<(&'static str, String)> = err.fields().iter().map(|i| (i.field, i.message.clone())).collect();
    let all = form_problems(err)?;
    Ok(Problems { all, fields })
}

pub fn with_status(status: StatusCode, response: Response) -> Response {
    (status, response).into_response()
}

/// A form that carries only its CSRF token (buttons that post).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// Only same-origin paths are followed after logging in, never another host: a path that starts
/// with one `/` (not `//`, which browsers read as another host), with no backslash (some browsers
/// read it as a slash) and no control character or space (browsers drop tabs and newlines, which
/// turns `/\t/evil.example` into `//evil.example`, and a newline would break the header).
pub fn safe_next(next: &str) -> &str {
    let bytes = next.as_bytes();
    let same_origin = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && next.len() <= 2_000
        && !next.bytes().any(|b| b == b'\\' || b.is_ascii_control() || b == b' ' || b >= 0x80);
    if same_origin { next } else { "/?done=login" }
}

/// Percent-encodes everything but unreserved characters and `/`, for a value inside a query.
pub(crate) fn query_escape(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// Form helpers shared by the pages.

pub(crate) type Pairs = Vec<(String, String)>;

pub(crate) fn field<'a>(form: &'a Pairs, name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

pub(crate) fn checked(web: &Web, form: &Pairs) -> Result<(), WebError> {
    web.check_csrf(field(form, "csrf"))
}

/// On success a redirect; on a problem the user can fix, `page` again with the problems (422).
pub(crate) async fn done<T, P, F>(result: Result<T, AppError>, to: impl FnOnce(&T) -> String, page: F) -> WebResult
where
    P: Template + HasProblems,
    F: std::future::Future<Output = Result<P, WebError>>,
{
    match result {
        Ok(v) => Ok(Redirect::to(&to(&v)).into_response()),
        Err(e) => {
            let problems = field_problems(e)?;
            let mut p = page.await?;
            p.set(problems);
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&p)))
        }
    }
}

pub(crate) trait HasProblems {
    fn set(&mut self, problems: Problems);
}

#[cfg(test)]
mod tests {
    use super::{decimal_comma, format_money};

    #[test]
    fn money_reads_in_the_readers_number_style() {
        assert_eq!(format_money(12_345_678, 2, "EUR", false), "€123,456.78");
        assert_eq!(format_money(12_345_678, 2, "EUR", true), "123.456,78\u{a0}€");
        assert_eq!(format_money(-5_00, 2, "USD", false), "−$5.00");
        assert_eq!(format_money(1_234, 0, "HOURS", false), "1,234\u{a0}HOURS");
        assert_eq!(format_money(99, 2, "EUR", false), "€0.99");
        assert!(decimal_comma(Some("de-DE,de;q=0.9,en;q=0.8")) && !decimal_comma(Some("en-GB,en;q=0.9")));
        assert!(!decimal_comma(None));
    }
}
