//! The fediverse page of an organisation: whether it publishes, its account, who follows it,
//! whom it follows, and the proposals those communes published; stewards publish and follow.

use super::frame::{field, form_problems, with_status};
use super::{Page, Web, WebResult, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::federation::{self, Overview};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_store::Org;

#[derive(Template)]
#[template(path = "federation.html")]
struct FederationPage {
    page: Page,
    org: Org,
    view: Overview,
    steward: bool,
    errors: Vec<String>,
    form_account: String,
}

async fn federation_page(state: &AppState, web: &Web, slug: &str) -> Result<FederationPage, super::WebError> {
    let (org, view) = federation::overview(state, &web.caller, slug).await?;
    let steward = web.caller.authorize(state, Some(&org), Action::ManageTokens).await.is_ok();
    Ok(FederationPage {
        page: web.page("Fediverse", "orgs"),
        org,
        view,
        steward,
        errors: Vec::new(),
        form_account: String::new(),
    })
}

/// `GET /orgs/{slug}/federation`.
pub async fn page(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&federation_page(&state, &web, &slug).await?))
}

/// `POST /orgs/{slug}/federation/publish`: on or off.
pub async fn publish(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    federation::set_publish(&state, &web.caller, &slug, field(&pairs, "publish") == "on").await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/federation")).into_response())
}

/// `POST /orgs/{slug}/federation/follow`: follow `name@host`.
pub async fn follow(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    match federation::follow(&state, &web.caller, &slug, field(&pairs, "account")).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}/federation")).into_response()),
        Err(e) => {
            let mut page = federation_page(&state, &web, &slug).await?;
            page.errors = form_problems(e)?;
            page.form_account = field(&pairs, "account").to_owned();
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

/// `POST /orgs/{slug}/federation/unfollow`.
pub async fn unfollow(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    federation::unfollow(&state, &web.caller, &slug, field(&pairs, "actor")).await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/federation")).into_response())
}
