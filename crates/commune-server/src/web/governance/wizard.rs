//! The proposal list and the proposal wizard: first what kind of decision, then only that
//! kind's fields (its usual method preselected, amounts in currency units, rules by name, times
//! in the member's zone), saved as a draft whose page is the review; drafts can be edited.

use super::form::{MAX_TITLE, ProposalForm, field, input_of, methods_for};
use crate::web::frame::{Form, Page, Problems, Web, WebResult, field_problems, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::governance;
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_domain::governance::proposal::{self, Effect, Kind, Phase};
use commune_domain::governance::words;
use commune_store::{Org, Proposal};

#[derive(Template)]
#[template(path = "proposals.html")]
pub(crate) struct ProposalsPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) proposals: Vec<Proposal>,
}

pub async fn list(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    let org = commune_app::service::org_for(&state, &web.caller, &slug, Action::ReadProposals).await?;
    let viewer = web.caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    let proposals = state.store.org_proposals(&org.id, &viewer).await?;
    Ok(render(&ProposalsPage { page: web.page("Proposals", "orgs"), org, proposals }))
}

/// Step one: what kind of decision.
#[derive(Template)]
#[template(path = "proposal_kind.html")]
pub(crate) struct KindPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    /// (kind, label, what it means)
    pub(crate) kinds: Vec<(&'static str, &'static str, &'static str)>,
}

/// Step two: that kind's fields.
#[derive(Template)]
#[template(path = "proposal_new.html")]
pub(crate) struct NewPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) form: ProposalForm,
    pub(crate) problems: Problems,
    pub(crate) kind: &'static str,
    pub(crate) kind_label: &'static str,
    pub(crate) kind_explained: &'static str,
    pub(crate) methods: Vec<(&'static str, &'static str)>,
    /// (key, label, unit hint) of the rules this organisation can change.
    pub(crate) policies: Vec<(&'static str, String, &'static str)>,
    pub(crate) currencies: Vec<String>,
    pub(crate) domains: Vec<String>,
    pub(crate) handles: Vec<String>,
    /// The commune's candidates (id, "name — office, district"): endorsement drafts pick one, and
    /// allocations may pay one's campaign (`campaign:<id>`).
    pub(crate) candidates: Vec<(String, String)>,
    pub(crate) action: String,
    /// Where "back" goes: the draft when editing, the kind picker when new.
    pub(crate) back: String,
    pub(crate) editing: bool,
    pub(crate) zone: String,
    pub(crate) max_title: usize,
}

impl NewPage {
    /// Whether the method field offers `value` selected.
    pub(crate) fn method_is(&self, value: &str) -> bool {
        self.form.method == value
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct KindQuery {
    #[serde(default)]
    pub(crate) kind: Option<String>,
}

async fn new_page(
    state: &AppState,
    web: &Web,
    org: Org,
    form: ProposalForm,
    problems: Problems,
    editing: Option<&str>,
) -> Result<NewPage, crate::web::WebError> {
    let kind = Kind::parse(&form.kind).unwrap_or(Kind::Decision);
    let in_commune = org.is_root;
    let policies = proposal::policy_parameters()
        .filter(|p| in_commune || p.scope == proposal::PolicyScope::Org)
        .map(|p| {
            let hint = match words::unit(p.key) {
                words::Unit::Share => "a share: type 22% (or 0.22)",
                words::Unit::Hours => "hours",
                words::Unit::Days => "days",
                words::Unit::People => "people",
                words::Unit::Factor => "a factor, like 3",
                words::Unit::Money => "an amount in currency units, like 500",
                words::Unit::Characters => "characters, like 2000",
            };
            (p.key, words::policy_label(p.key), hint)
        })
        .collect();
    let currencies = state.store.ledgers().await?.into_iter().map(|l| l.asset).collect();
    let domains = commune_app::service::known_domains(state).await?;
    let mut handles: Vec<String> =
        state.store.list_members(1000, 0, "").await?.into_iter().map(|m| format!("@{}", m.handle)).collect();
    if kind == Kind::Allocation {
        handles.extend(state.store.list_orgs().await?.into_iter().map(|o| format!("org:{}", o.slug)));
    }
    let candidates = if in_commune && matches!(kind, Kind::Endorsement | Kind::Allocation) {
        state
            .store
            .candidates()
            .await?
            .into_iter()
            .filter(|c| kind == Kind::Allocation || c.endorsed_by.is_none() || c.id == form.candidate)
            .map(|c| (c.id, format!("{} — {}, {}", c.name, c.office, c.district)))
            .collect()
    } else {
        Vec::new()
    };
    let (action, back) = match editing {
        Some(id) => (format!("/p/{id}/edit"), format!("/p/{id}")),
        None => (format!("/orgs/{}/proposals/new", org.slug), format!("/orgs/{}/proposals/new", org.slug)),
    };
    Ok(NewPage {
        page: web.page(if editing.is_some() { "Edit draft" } else { "New proposal" }, "orgs"),
        org,
        form,
        problems,
        kind: kind.as_str(),
        kind_label: words::kind_label(kind),
        kind_explained: words::kind_explained(kind),
        methods: methods_for(kind),
        policies,
        currencies,
        domains,
        handles,
        candidates,
        action,
        back,
        editing: editing.is_some(),
        zone: web.tz().iana_name().unwrap_or("UTC").to_owned(),
        max_title: MAX_TITLE,
    })
}

/// `GET /orgs/{slug}/proposals/new`: the kind picker, or (with `?kind=`) that kind's form.
pub async fn new_form(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Query(q): Query<KindQuery>,
) -> WebResult {
    let org = commune_app::service::org_for(&state, &web.caller, &slug, Action::Participate).await?;
    let Some(kind) = q.kind.as_deref().and_then(|k| Kind::parse(k).ok()) else {
        let kinds = Kind::ALL
            .iter()
            .filter(|k| org.is_root || !matches!(k, Kind::Endorsement))
            .map(|k| (k.as_str(), words::kind_label(*k), words::kind_explained(*k)))
            .collect();
        return Ok(render(&KindPage { page: web.page("New proposal", "orgs"), org, kinds }));
    };
    let tz = web.tz();
    let form = ProposalForm::fresh(commune_store::now_ms(), &tz, kind);
    Ok(render(&new_page(&state, &web, org, form, Problems::default(), None).await?))
}

pub async fn create(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(fields): Form<super::form::Fields>,
) -> WebResult {
    web.check_csrf(field(&fields, "csrf"))?;
    let org = commune_app::service::org_for(&state, &web.caller, &slug, Action::Participate).await?;
    let form = ProposalForm::from_fields(&fields);
    let tz = web.tz();
    let result = match input_of(&state, &form, &tz).await {
        Ok(input) => governance::create(&state, &web.caller, &slug, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/p/{}?done=drafted", p.id)).into_response()),
        Err(e) => {
            let problems = field_problems(e)?;
            let page = new_page(&state, &web, org, form, problems, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

/// `GET /p/{id}/edit`: the draft's form, filled in.
pub async fn edit_form(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let (p, org) = own_draft(&state, &web, &id).await?;
    let tz = web.tz();
    let mut form = ProposalForm::of(&p, &tz, &state.store.ledgers().await?);
    if let Effect::Admit { member_id } = &p.effect {
        form.admit = state.store.member_by_id(member_id).await?.map(|m| format!("@{}", m.handle)).unwrap_or_default();
    }
    Ok(render(&new_page(&state, &web, org, form, Problems::default(), Some(&id)).await?))
}

/// `POST /p/{id}/edit`: saves the draft.
pub async fn update(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<super::form::Fields>,
) -> WebResult {
    web.check_csrf(field(&fields, "csrf"))?;
    let (_, org) = own_draft(&state, &web, &id).await?;
    let mut form = ProposalForm::from_fields(&fields);
    form.form_key.clear();
    let tz = web.tz();
    let result = match input_of(&state, &form, &tz).await {
        Ok(input) => governance::update_draft(&state, &web.caller, &id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/p/{id}?done=draft_saved")).into_response()),
        Err(e) => {
            let problems = field_problems(e)?;
            let page = new_page(&state, &web, org, form, problems, Some(&id)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

/// The caller's own draft and its organisation; anything else is not found (a draft is private).
async fn own_draft(state: &AppState, web: &Web, id: &str) -> Result<(Proposal, Org), crate::web::WebError> {
    let me = web.caller.require_member()?;
    let p = state.store.proposal(id).await?.filter(|p| p.author_id == me.member.id && p.phase == Phase::Draft);
    let p = p.ok_or(commune_app::AppError::NotFound("draft"))?;
    let org = commune_app::service::org(state, &p.org_slug).await?;
    Ok((p, org))
}
