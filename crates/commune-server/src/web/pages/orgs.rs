//! Organisations: the list, founding one, an organisation's page, joining, leaving, roles, join
//! requests and API tokens.

use crate::error::AppError;
use crate::web::frame::{CsrfOnly, Form, Page, Web, WebError, WebResult, form_problems, render, with_status};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::service::{self, CreateOrgInput, CreateTokenInput};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_domain::org::{JoinStatus, Role};
use commune_domain::token::Scope;
use commune_store::{ApiToken, JoinRequest, Org, OrgMember};

#[derive(Template)]
#[template(path = "orgs.html")]
pub(crate) struct OrgsPage {
    pub(crate) page: Page,
    pub(crate) orgs: Vec<Org>,
    pub(crate) max_members: i64,
}

pub async fn orgs(State(state): State<AppState>, web: Web) -> WebResult {
    web.caller.authorize(&state, None, Action::ReadDirectory).await?;
    let orgs = state.store.list_orgs().await?;
    let max_members = orgs.iter().map(|o| o.member_count).max().unwrap_or(0);
    Ok(render(&OrgsPage { page: web.page("Organisations", "orgs"), orgs, max_members }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) slug: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) place: String,
    #[serde(default)]
    pub(crate) description: String,
}

#[derive(Template)]
#[template(path = "org_new.html")]
pub(crate) struct OrgNewPage {
    pub(crate) page: Page,
    pub(crate) form: OrgForm,
    pub(crate) errors: Vec<String>,
}

pub async fn org_new_page(State(state): State<AppState>, web: Web) -> WebResult {
    web.caller.authorize(&state, None, Action::CreateOrg).await?;
    Ok(render(&OrgNewPage {
        page: web.page("Found an organisation", "orgs"),
        form: OrgForm::default(),
        errors: Vec::new(),
    }))
}

pub async fn org_new(State(state): State<AppState>, web: Web, Form(form): Form<OrgForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = CreateOrgInput {
        slug: form.slug.clone(),
        name: form.name.clone(),
        kind: form.kind.clone(),
        description: form.description.clone(),
        place: form.place.clone(),
    };
    match service::create_org(&state, &web.caller, &input).await {
        Ok(org) => Ok(Redirect::to(&format!("/orgs/{}?done=org", org.slug)).into_response()),
        Err(e) => {
            let errors = form_problems(e)?;
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&OrgNewPage { page: web.page("Found an organisation", "orgs"), form, errors }),
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "org.html")]
pub(crate) struct OrgPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) role: Option<Role>,
    pub(crate) is_steward: bool,
    pub(crate) stewards: usize,
    pub(crate) pending: usize,
    pub(crate) has_pending: bool,
    pub(crate) members: Option<Vec<OrgMember>>,
    pub(crate) weights: Option<commune_app::cards::WeightDistribution>,
    /// Where the organisation is on the map (a place code), if its stewards said.
    pub(crate) map_place: Option<String>,
    /// The places a steward may choose from (empty for everyone else).
    pub(crate) known_places: Vec<commune_app::politics::places::PlaceInfo>,
    pub(crate) errors: Vec<String>,
}

pub(crate) async fn org_page(
    state: &AppState,
    web: &Web,
    slug: &str,
    errors: Vec<String>,
) -> Result<OrgPage, WebError> {
    let org = service::org_for(state, &web.caller, slug, Action::ReadDirectory).await?;
    let me = web.caller.member();
    let role = match me {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await?,
        None => None,
    };
    let can_see_members = web.caller.authorize(state, Some(&org), Action::ReadOrgMembers).await.is_ok();
    let all = state.store.org_members(&org.id).await?;
    let stewards = all.iter().filter(|m| m.role == Role::Steward).count();
    let is_steward = role == Some(Role::Steward);
    let pending = if is_steward { state.store.join_requests(&org.id, JoinStatus::Pending).await?.len() } else { 0 };
    let has_pending = match me {
        Some(me) if role.is_none() => state.store.pending_request_of(&org.id, &me.member.id).await?.is_some(),
        _ => false,
    };
    let weights =
        if can_see_members { Some(commune_app::cards::distribution(state, &org, "general").await?) } else { None };
    let map_place = state.store.org_places().await?.into_iter().find(|(id, _)| *id == org.id).map(|(_, code)| code);
    let known_places = if is_steward {
        commune_app::politics::places::list(state, &web.caller)
            .await?
            .into_iter()
            .filter(|p| p.level != "country")
            .collect()
    } else {
        Vec::new()
    };
    Ok(OrgPage {
        weights,
        map_place,
        known_places,
        page: web.page(org.name.clone(), "orgs"),
        org,
        role,
        is_steward,
        stewards,
        pending,
        has_pending,
        members: can_see_members.then_some(all),
        errors,
    })
}

pub async fn org(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&org_page(&state, &web, &slug, Vec::new()).await?))
}

/// Runs an organisation action; a problem the user can fix re-renders the organisation page.
pub(crate) async fn org_action(
    state: &AppState,
    web: &Web,
    slug: &str,
    result: Result<(), AppError>,
    done: &str,
) -> WebResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{slug}?done={done}")).into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = form_problems(e)?;
            Ok(with_status(status, render(&org_page(state, web, slug, errors).await?)))
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) message: String,
}

pub async fn join(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<JoinForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = service::request_to_join(&state, &web.caller, &slug, &form.message).await.map(|_| ());
    org_action(&state, &web, &slug, result, "requested").await
}

pub async fn leave(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = service::leave(&state, &web.caller, &slug).await;
    org_action(&state, &web, &slug, result, "left").await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    web: Web,
    Path((slug, handle)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = service::set_role(&state, &web.caller, &slug, &handle, &form.role).await;
    org_action(&state, &web, &slug, result, "role").await
}

#[derive(Template)]
#[template(path = "requests.html")]
pub(crate) struct RequestsPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) requests: Vec<JoinRequest>,
}

pub async fn requests(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    let (org, requests) = service::join_requests(&state, &web.caller, &slug, JoinStatus::Pending).await?;
    Ok(render(&RequestsPage { page: web.page("Join requests", "orgs"), org, requests }))
}

pub async fn decide(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id, decision)): Path<(String, String, String)>,
    Form(form): Form<CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let admit = match decision.as_str() {
        "admit" => true,
        "reject" => false,
        _ => return Err(AppError::NotFound("page").into()),
    };
    service::decide(&state, &web.caller, &slug, &id, admit).await?;
    let done = if admit { "admitted" } else { "rejected" };
    Ok(Redirect::to(&format!("/orgs/{slug}/requests?done={done}")).into_response())
}

#[derive(Template)]
#[template(path = "tokens.html")]
pub(crate) struct TokensPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) tokens: Vec<ApiToken>,
    pub(crate) scopes: Vec<(&'static str, &'static str)>,
    pub(crate) new_secret: Option<String>,
    pub(crate) form_name: String,
    pub(crate) errors: Vec<String>,
}

pub(crate) async fn tokens_page(state: &AppState, web: &Web, slug: &str) -> Result<TokensPage, WebError> {
    let org = service::org_for(state, &web.caller, slug, Action::ManageTokens).await?;
    let tokens = state.store.org_tokens(&org.id).await?;
    Ok(TokensPage {
        page: web.page("API tokens", "orgs"),
        org,
        tokens,
        scopes: Scope::ALL.iter().map(|s| (s.as_str(), s.describe())).collect(),
        new_secret: None,
        form_name: String::new(),
        errors: Vec::new(),
    })
}

pub async fn tokens(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&tokens_page(&state, &web, &slug).await?))
}

/// The token form repeats `scopes` once per ticked box, so it is read as pairs.
pub async fn create_token(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    web.check_csrf(&field("csrf"))?;
    let input = CreateTokenInput {
        name: field("name"),
        scopes: pairs.iter().filter(|(k, _)| k == "scopes").map(|(_, v)| v.clone()).collect(),
    };
    let result = service::create_token(&state, &web.caller, &slug, &input).await;
    let mut page = tokens_page(&state, &web, &slug).await?;
    match result {
        // The secret is rendered into this one response and never stored in clear.
        Ok(made) => {
            page.new_secret = Some(made.secret);
            Ok(with_status(StatusCode::CREATED, render(&page)))
        }
        Err(e) => {
            page.errors = form_problems(e)?;
            page.form_name = input.name;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    service::revoke_token(&state, &web.caller, &slug, &id).await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/tokens?done=revoked")).into_response())
}
