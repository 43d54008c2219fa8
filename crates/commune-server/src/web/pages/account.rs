//! A member's account: joining, logging in and out, the profile, password and sessions, and
//! recovering a lost password.

use super::home::{go_with_session, sign_in_and_go};
use crate::auth::{SESSION_COOKIE, client_key, set_cookie};
use crate::error::AppError;
use crate::web::frame::{
    CsrfOnly, Form, Page, Web, WebError, WebResult, form_problems, render, safe_next, with_status,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect};
use commune_app::federation::home;
use commune_app::service::{self, ProfileUpdate, SignupInput};
use commune_app::state::AppState;

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) handle: String,
    #[serde(default)]
    pub(crate) display_name: String,
    #[serde(default)]
    pub(crate) password: String,
    #[serde(default)]
    pub(crate) place: String,
    #[serde(default)]
    pub(crate) domains: String,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub(crate) struct SignupPage {
    pub(crate) page: Page,
    pub(crate) form: SignupForm,
    pub(crate) errors: Vec<String>,
}

pub async fn signup_page(web: Web) -> WebResult {
    Ok(render(&SignupPage { page: web.page("Join", "home"), form: SignupForm::default(), errors: Vec::new() }))
}

pub async fn signup(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    web: Web,
    Form(form): Form<SignupForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let client = client_key(&ext);
    let input = SignupInput {
        handle: form.handle.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        bio: String::new(),
        place: form.place.clone(),
        domains: vec![form.domains.clone()],
    };
    match service::signup(&state, &input, client.as_deref()).await {
        Ok(member) => {
            let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
            sign_in_and_go(&state, &member.handle, &form.password, origin, "/?done=welcome").await
        }
        Err(e) => {
            let errors = form_problems(e)?;
            let form = SignupForm { password: String::new(), ..form };
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&SignupPage { page: web.page("Join", "home"), form, errors }),
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub(crate) page: Page,
    pub(crate) handle: String,
    pub(crate) next: String,
    pub(crate) expired: bool,
    pub(crate) again: bool,
    pub(crate) errors: Vec<String>,
    /// Linked chapters whose members sign in here with their home account.
    pub(crate) homes: Vec<commune_app::federation::home::HomeChoice>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginQuery {
    pub(crate) next: Option<String>,
    pub(crate) expired: Option<String>,
    /// An app asked for a fresh sign-in (OpenID `prompt=login` or `max_age`).
    pub(crate) again: Option<String>,
}

pub async fn login_page(State(state): State<AppState>, web: Web, Query(q): Query<LoginQuery>) -> WebResult {
    let page = LoginPage {
        page: web.page("Log in", "home"),
        handle: String::new(),
        next: q.next.map(|n| safe_next(&n).to_owned()).filter(|n| n != "/?done=login").unwrap_or_default(),
        expired: q.expired.is_some(),
        again: q.again.is_some(),
        errors: Vec::new(),
        homes: home::choices(&state).await?,
    };
    Ok(render(&page))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    pub(crate) chapter: String,
    #[serde(default)]
    pub(crate) next: String,
}

/// `GET /login/home?chapter=IRI`: a linked chapter's member goes to sign in at home; the
/// pending sign-in waits in a sealed cookie, for this path only, ten minutes at most.
pub async fn home_sign_in(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    Query(q): Query<HomeQuery>,
) -> WebResult {
    let client = client_key(&ext);
    let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
    let next = safe_next(&q.next);
    let started = home::begin(&state, &q.chapter, next, origin, commune_store::now_ms()).await?;
    let cookie = home_cookie(&state, &started.cookie, home::PENDING_TTL_MS / 1000);
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to(&started.authorize_url)).into_response())
}

fn home_cookie(state: &AppState, value: &str, max_age_s: i64) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{}={value}; Path=/login/home; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}", home::COOKIE)
}

/// `GET /login/home/callback`: back from the home instance; signed in, or the log-in page with
/// what went wrong.
pub async fn home_callback(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    web: Web,
    Query(params): Query<Vec<(String, String)>>,
) -> WebResult {
    let client = client_key(&ext);
    let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
    let sealed = crate::auth::cookie(&headers, home::COOKIE);
    let clear = (header::SET_COOKIE, home_cookie(&state, "", 0));
    match home::finish(&state, sealed, &params, origin, commune_store::now_ms()).await {
        Ok((session, next)) => {
            let mut response = go_with_session(&state, &session, safe_next(&next));
            response.headers_mut().append(header::SET_COOKIE, clear.1.parse().map_err(AppError::internal)?);
            Ok(response)
        }
        Err(e) => {
            let status = crate::error::status(&e);
            let page = LoginPage {
                page: web.page("Log in", "home"),
                handle: String::new(),
                next: String::new(),
                expired: false,
                again: false,
                errors: vec![e.to_string()],
                homes: home::choices(&state).await?,
            };
            Ok((AppendHeaders([clear]), with_status(status, render(&page))).into_response())
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) handle: String,
    #[serde(default)]
    pub(crate) password: String,
    #[serde(default)]
    pub(crate) next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    web: Web,
    Form(form): Form<LoginForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let client = client_key(&ext);
    let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
    match sign_in_and_go(&state, &form.handle, &form.password, origin, safe_next(&form.next)).await {
        Ok(response) => Ok(response),
        Err(WebError(e)) => {
            let status = crate::error::status(&e);
            let errors = form_problems(e)?;
            let page = LoginPage {
                page: web.page("Log in", "home"),
                handle: form.handle,
                next: safe_next(&form.next).to_owned(),
                expired: false,
                again: false,
                errors,
                homes: home::choices(&state).await?,
            };
            Ok(with_status(status, render(&page)))
        }
    }
}

pub async fn logout(State(state): State<AppState>, web: Web, Form(form): Form<CsrfOnly>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    if let Some(me) = web.caller.member() {
        service::logout(&state, me).await?;
    }
    let cookie = set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies);
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to("/?done=logout")).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) display_name: String,
    #[serde(default)]
    pub(crate) bio: String,
    #[serde(default)]
    pub(crate) place: String,
    #[serde(default)]
    pub(crate) domains: String,
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
pub(crate) struct ProfilePage {
    pub(crate) page: Page,
    pub(crate) form: ProfileForm,
    pub(crate) errors: Vec<String>,
    /// Whether the member uploaded a picture (else the identicon shows).
    pub(crate) uploaded: bool,
}

pub async fn profile_page(State(state): State<AppState>, web: Web) -> WebResult {
    Ok(render(&profile_view(&state, &web).await?))
}

async fn profile_view(state: &AppState, web: &Web) -> Result<ProfilePage, WebError> {
    let me = web.caller.require_member()?;
    let domains = state.store.member_by_id(&me.member.id).await?.map(|m| m.domains).unwrap_or_default();
    let form = ProfileForm {
        csrf: String::new(),
        display_name: me.member.display_name.clone(),
        bio: me.member.bio.clone(),
        place: me.member.place.clone(),
        domains: domains.join(", "),
    };
    let uploaded = state.store.avatar(&me.member.handle).await?.is_some();
    Ok(ProfilePage { page: web.page("Your profile", "members"), form, errors: Vec::new(), uploaded })
}

pub async fn profile(State(state): State<AppState>, web: Web, Form(form): Form<ProfileForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let update = ProfileUpdate {
        display_name: form.display_name.clone(),
        bio: form.bio.clone(),
        place: form.place.clone(),
        domains: vec![form.domains.clone()],
    };
    match service::update_profile(&state, &web.caller, &update).await {
        Ok(member) => Ok(Redirect::to(&format!("/m/{}?done=profile", member.handle)).into_response()),
        Err(e) => {
            let errors = form_problems(e)?;
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&ProfilePage { page: web.page("Your profile", "members"), form, errors, uploaded: false }),
            ))
        }
    }
}

/// `POST /settings/avatar` (multipart): uploads a picture (`avatar`), or with `remove` goes back
/// to the identicon. The picture's type is read from its bytes; anything but PNG, JPEG or WebP of
/// at most 256 KiB is refused and changes nothing.
pub async fn avatar(State(state): State<AppState>, web: Web, mut form: axum::extract::Multipart) -> WebResult {
    let (mut csrf, mut picture, mut remove) = (String::new(), None, false);
    while let Some(field) = form.next_field().await.map_err(|e| AppError::bad_request("invalid_form", e.body_text()))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(|e| AppError::bad_request("invalid_form", e.body_text()))?,
            "remove" => remove = true,
            "avatar" => {
                let bytes = field.bytes().await.map_err(|e| AppError::bad_request("invalid_form", e.body_text()))?;
                picture = Some(bytes);
            }
            _ => {}
        }
    }
    web.check_csrf(&csrf)?;
    let result = match (&picture, remove) {
        (_, true) => service::set_avatar(&state, &web.caller, None).await,
        (Some(bytes), false) if !bytes.is_empty() => service::set_avatar(&state, &web.caller, Some(bytes)).await,
        _ => Err(commune_domain::Invalid::new("avatar", "choose a picture to upload").into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/settings/profile?done=avatar").into_response()),
        Err(e) => {
            let errors = form_problems(e)?;
            let mut page = profile_view(&state, &web).await?;
            page.errors = errors;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Template)]
#[template(path = "security.html")]
pub(crate) struct SecurityPage {
    pub(crate) page: Page,
    pub(crate) sessions: Vec<commune_store::SessionInfo>,
    pub(crate) current: String,
    pub(crate) errors: Vec<String>,
}

pub(crate) async fn security_page(state: &AppState, web: &Web, errors: Vec<String>) -> Result<SecurityPage, WebError> {
    let (sessions, current) = service::sessions(state, &web.caller).await?;
    Ok(SecurityPage { page: web.page("Password and sessions", "members"), sessions, current, errors })
}

pub async fn security(State(state): State<AppState>, web: Web) -> WebResult {
    Ok(render(&security_page(&state, &web, Vec::new()).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) current_password: String,
    #[serde(default)]
    pub(crate) new_password: String,
}

pub async fn change_password(State(state): State<AppState>, web: Web, Form(form): Form<PasswordForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let change = service::PasswordChange { current_password: form.current_password, new_password: form.new_password };
    match service::change_password(&state, &web.caller, &change).await {
        Ok(_) => Ok(Redirect::to("/settings/security?done=password").into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = form_problems(e)?;
            Ok(with_status(status, render(&security_page(&state, &web, errors).await?)))
        }
    }
}

pub async fn revoke_session(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    service::revoke_session(&state, &web.caller, &id).await?;
    Ok(Redirect::to("/settings/security?done=session_ended").into_response())
}

#[derive(Template)]
#[template(path = "recover.html")]
pub(crate) struct RecoverPage {
    pub(crate) page: Page,
    pub(crate) token: String,
    pub(crate) errors: Vec<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RecoverQuery {
    #[serde(default)]
    pub(crate) token: String,
}

pub async fn recover_page(web: Web, Query(q): Query<RecoverQuery>) -> WebResult {
    Ok(render(&RecoverPage { page: web.page("Recover your account", "home"), token: q.token, errors: Vec::new() }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RecoverForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) token: String,
    #[serde(default)]
    pub(crate) new_password: String,
}

pub async fn recover(
    State(state): State<AppState>,
    headers: HeaderMap,
    web: Web,
    Form(form): Form<RecoverForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match service::recover(&state, &form.token, &form.new_password, crate::auth::user_agent(&headers)).await {
        Ok(session) => Ok(go_with_session(&state, &session, "/?done=recovered")),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = form_problems(e)?;
            let page = RecoverPage { page: web.page("Recover your account", "home"), token: form.token, errors };
            Ok(with_status(status, render(&page)))
        }
    }
}
