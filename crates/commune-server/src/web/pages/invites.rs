//! Invite links: a steward makes, lists and revokes them; whoever opens one joins the
//! organisation — signing up on the spot when they have no account yet.

use super::account::SignupForm;
use super::home::sign_in_and_go;
use crate::auth::client_key;
use crate::web::frame::{Form, Page, Problems, Web, WebResult, field_problems, render, with_status};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use commune_app::invites::{self, InviteInput};
use commune_app::service::{self, SignupInput};
use commune_app::state::AppState;
use commune_store::{Invite, Org};

#[derive(Template)]
#[template(path = "invites.html")]
pub(crate) struct InvitesPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) invites: Vec<Invite>,
    /// The link just made, shown this once.
    pub(crate) new_link: Option<String>,
    pub(crate) form: InviteForm,
    pub(crate) problems: Problems,
    pub(crate) now: i64,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) max_uses: String,
    #[serde(default)]
    pub(crate) expires_in_days: String,
    #[serde(default)]
    pub(crate) note: String,
}

impl Default for InviteForm {
    fn default() -> InviteForm {
        InviteForm { csrf: String::new(), max_uses: "1".into(), expires_in_days: "7".into(), note: String::new() }
    }
}

async fn invites_page(state: &AppState, web: &Web, slug: &str) -> Result<InvitesPage, crate::web::WebError> {
    let (org, invites) = invites::list(state, &web.caller, slug).await?;
    Ok(InvitesPage {
        page: web.page("Invite links", "orgs"),
        org,
        invites,
        new_link: None,
        form: InviteForm::default(),
        problems: Problems::default(),
        now: commune_store::now_ms(),
    })
}

pub async fn list(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&invites_page(&state, &web, &slug).await?))
}

pub async fn create(
    State(state): State<AppState>,
    web: Web,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<InviteForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let whole = |raw: &str| raw.trim().parse::<u32>().ok().or(if raw.trim().is_empty() { None } else { Some(0) });
    let input = InviteInput {
        max_uses: whole(&form.max_uses),
        expires_in_days: whole(&form.expires_in_days),
        note: form.note.clone(),
    };
    let result = invites::create(&state, &web.caller, &slug, &input).await;
    let mut page = invites_page(&state, &web, &slug).await?;
    match result {
        // The link is rendered into this one response; only its hash is stored.
        Ok(made) => {
            let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            let scheme = if state.config.secure_cookies { "https" } else { "http" };
            page.new_link = Some(format!("{scheme}://{host}{}", made.path));
            Ok(with_status(StatusCode::CREATED, render(&page)))
        }
        Err(e) => {
            page.problems = field_problems(e)?;
            page.form = form;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<crate::web::frame::CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    invites::revoke(&state, &web.caller, &slug, &id).await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/invites?done=revoked")).into_response())
}

#[derive(Template)]
#[template(path = "join.html")]
pub(crate) struct JoinPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) secret: String,
    /// Why the link no longer admits, when it does not.
    pub(crate) spent: Option<String>,
    pub(crate) already: bool,
    pub(crate) form: SignupForm,
    pub(crate) problems: Problems,
}

async fn join_page(state: &AppState, web: &Web, secret: &str) -> Result<JoinPage, crate::web::WebError> {
    let (_, org, usable) = invites::look(state, secret).await?;
    let already = match web.caller.member() {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await?.is_some(),
        None => false,
    };
    Ok(JoinPage {
        page: web.page(format!("Join {}", org.name), "orgs"),
        org,
        secret: secret.to_owned(),
        spent: usable.err().map(|s| s.to_string()),
        already,
        form: SignupForm::default(),
        problems: Problems::default(),
    })
}

/// `GET /join/{secret}`: what the link leads to, and how to accept it.
pub async fn landing(State(state): State<AppState>, web: Web, Path(secret): Path<String>) -> WebResult {
    Ok(render(&join_page(&state, &web, &secret).await?))
}

/// `POST /join/{secret}`: a signed-in member accepts.
pub async fn accept(
    State(state): State<AppState>,
    web: Web,
    Path(secret): Path<String>,
    Form(form): Form<SignupForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match invites::accept(&state, &web.caller, &secret).await {
        Ok(org) => Ok(Redirect::to(&format!("/orgs/{}?done=joined", org.slug)).into_response()),
        Err(e) => {
            let mut page = join_page(&state, &web, &secret).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

/// `POST /join/{secret}/signup`: someone without an account signs up and joins in one step.
pub async fn signup_and_join(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    web: Web,
    Path(secret): Path<String>,
    Form(form): Form<SignupForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let client = client_key(&ext);
    let input = SignupInput {
        handle: form.handle.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        ..Default::default()
    };
    match invites::signup_and_accept(&state, &input, &secret, client.as_deref()).await {
        Ok((member, org)) => {
            let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
            sign_in_and_go(&state, &member.handle, &form.password, origin, &format!("/orgs/{}?done=joined", org.slug))
                .await
        }
        Err(e) => {
            let mut page = join_page(&state, &web, &secret).await?;
            page.problems = field_problems(e)?;
            page.form = SignupForm { password: String::new(), ..form };
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}
