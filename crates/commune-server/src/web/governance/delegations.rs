//! The delegation page: whom a member delegates to, by domain, and revoking it.

use crate::web::frame::{Form, Page, Web, WebError, WebResult, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use commune_app::governance::{self};
use commune_app::state::AppState;
use commune_store::{Delegation, Org};
use std::collections::BTreeMap;

#[derive(Template)]
#[template(path = "delegations.html")]
pub(crate) struct DelegationsPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) mine: Vec<Delegation>,
    /// Delegations to the viewer: who trusts them with their vote.
    pub(crate) to_me: Vec<Delegation>,
    pub(crate) domains: Vec<String>,
    pub(crate) handles: Vec<String>,
    pub(crate) received: Vec<(String, i64)>,
    pub(crate) max_received: i64,
    pub(crate) errors: Vec<String>,
}

pub(crate) async fn delegations_page(
    state: &AppState,
    web: &Web,
    slug: &str,
    errors: Vec<String>,
) -> Result<DelegationsPage, WebError> {
    let (org, all) = governance::delegations(state, &web.caller, slug).await?;
    let me = web.caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for d in &all {
        *counts.entry(d.delegate_handle.clone()).or_default() += 1;
    }
    let mut received: Vec<(String, i64)> = counts.into_iter().collect();
    received.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let max_received = received.first().map_or(0, |r| r.1);
    let handles = state.store.org_members(&org.id).await?.into_iter().map(|m| format!("@{}", m.handle)).collect();
    let to_me = all.iter().filter(|d| d.delegate_id == me).cloned().collect();
    Ok(DelegationsPage {
        page: web.page("Delegation", "orgs"),
        domains: commune_app::service::known_domains(state).await?,
        handles,
        to_me,
        org,
        mine: all.into_iter().filter(|d| d.delegator_id == me).collect(),
        received,
        max_received,
        errors,
    })
}

pub async fn delegations(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&delegations_page(&state, &web, &slug, Vec::new()).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct DelegateForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) delegate: String,
    #[serde(default)]
    pub(crate) domain: String,
}

pub async fn delegate(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<DelegateForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match governance::delegate(&state, &web.caller, &slug, &form.delegate, &form.domain).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}/delegations?done=delegated")).into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = crate::web::frame::form_problems(e)?;
            Ok((status, render(&delegations_page(&state, &web, &slug, errors).await?)).into_response())
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) org: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    governance::revoke_delegation(&state, &web.caller, &id).await?;
    let org = commune_domain::org::parse_slug(&form.org).unwrap_or_default();
    Ok(Redirect::to(&format!("/orgs/{org}/delegations?done=revoked")).into_response())
}
