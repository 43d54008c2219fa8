//! The instance steward's pages: the overview, the audit chain check and recovery links.

use crate::web::frame::{CsrfOnly, Form, Page, Web, WebResult, render};
use askama::Template;
use axum::extract::State;
use commune_app::service::{self};
use commune_app::state::AppState;

#[derive(Template)]
#[template(path = "admin.html")]
pub(crate) struct AdminPage {
    pub(crate) page: Page,
    pub(crate) overview: commune_app::admin::AdminOverview,
    pub(crate) chain: Option<commune_app::admin::ChainView>,
    /// A recovery link just issued: `(handle, path)`, shown this once.
    pub(crate) recovery: Option<(String, String)>,
}

pub async fn admin(State(state): State<AppState>, web: Web) -> WebResult {
    let overview = commune_app::admin::overview(&state, &web.caller).await?;
    Ok(render(&AdminPage { page: web.page("Admin", "admin"), overview, chain: None, recovery: None }))
}

pub async fn admin_verify(State(state): State<AppState>, web: Web, Form(form): Form<CsrfOnly>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let chain = commune_app::admin::verify_chain(&state, &web.caller).await?;
    let overview = commune_app::admin::overview(&state, &web.caller).await?;
    Ok(render(&AdminPage { page: web.page("Admin", "admin"), overview, chain: Some(chain), recovery: None }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct HandleForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) handle: String,
}

/// Issues a recovery link and shows it in this one response (never stored in clear).
pub async fn admin_recovery(State(state): State<AppState>, web: Web, Form(form): Form<HandleForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let link = service::issue_recovery(&state, &web.caller, &form.handle).await?;
    let overview = commune_app::admin::overview(&state, &web.caller).await?;
    let recovery = Some((link.member.handle, format!("/recover?token={}", link.secret)));
    Ok(render(&AdminPage { page: web.page("Admin", "admin"), overview, chain: None, recovery }))
}
