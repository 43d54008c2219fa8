//! Participatory-budgeting rounds in the browser: the list and the steward's form to open one;
//! the round page, which is whatever its phase needs — a form to propose projects, stewards'
//! reviews, the ballot with its live cost meter (which also works without JavaScript: the meter
//! is recomputed by the server when the ballot is sent), and the explained result with awards.

use crate::web::frame::{
    Form, Page, Problems, Web, WebError, WebResult, field_problems, format_money, render, with_status,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::rounds::{self, ProjectInput, RoundInput, RoundView};
use commune_app::state::AppState;
use commune_domain::capital::round::{Ballot, Phase};
use commune_domain::capital::rules::Rule;
use commune_domain::governance::proposal::{Effect, Kind, Phase as ProposalPhase};
use commune_store::{Org, PbRound};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "rounds.html")]
pub(crate) struct RoundsPage {
    page: Page,
    org: Org,
    rounds: Vec<PbRound>,
    steward: bool,
    /// Executed budget proposals without a round yet: (id, title, total).
    budgets: Vec<(String, String, String)>,
    rules: Vec<(&'static str, &'static str)>,
    form: RoundForm,
    problems: Problems,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RoundForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    budget_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    ballot: String,
    #[serde(default)]
    max_projects: String,
    #[serde(default)]
    max_cost: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    rule: String,
}

fn whole(raw: &str) -> Option<u32> {
    let raw = raw.trim();
    if raw.is_empty() { None } else { Some(raw.parse().unwrap_or(0)) }
}

async fn rounds_page(state: &AppState, web: &Web, slug: &str) -> Result<RoundsPage, WebError> {
    let (org, rounds) = rounds::list(state, &web.caller, slug).await?;
    let steward = match web.caller.member() {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await? == Some(commune_domain::org::Role::Steward),
        None => false,
    };
    let mut budgets = Vec::new();
    if steward {
        for p in state.store.org_proposals(&org.id, "").await? {
            if p.kind != Kind::Budget || p.phase != ProposalPhase::Executed || state.store.escrow_claimed(&p.id).await?
            {
                continue;
            }
            if let Effect::Budget { total_minor, currency } = &p.effect {
                let scale = state.store.ledger_by_asset(currency).await?.map_or(2, |l| l.scale);
                budgets.push((
                    p.id.clone(),
                    p.title.clone(),
                    format_money(i128::from(*total_minor), scale, currency, web.decimal_comma()),
                ));
            }
        }
    }
    Ok(RoundsPage {
        page: web.page(format!("Budget rounds · {}", org.name), "orgs"),
        org,
        rounds,
        steward,
        budgets,
        rules: Rule::ALL.iter().map(|r| (r.name(), r.explained())).collect(),
        form: RoundForm {
            ballot: "approval".into(),
            rule: "equal-shares".into(),
            points: "10".into(),
            ..RoundForm::default()
        },
        problems: Problems::default(),
    })
}

pub async fn list(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&rounds_page(&state, &web, &slug).await?))
}

pub async fn create(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<RoundForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = RoundInput {
        budget_id: form.budget_id.clone(),
        title: form.title.clone(),
        description: form.description.clone(),
        ballot: form.ballot.clone(),
        max_projects: whole(&form.max_projects),
        max_cost: Some(form.max_cost.clone()),
        points: whole(&form.points),
        rule: Some(form.rule.clone()),
    };
    match rounds::create(&state, &web.caller, &slug, &input).await {
        Ok(round) => Ok(Redirect::to(&format!("/rounds/{}", round.id)).into_response()),
        Err(e) => {
            let mut page = rounds_page(&state, &web, &slug).await?;
            page.problems = field_problems(e)?;
            page.form = form;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

/// One project as the round page shows it.
pub(crate) struct Row {
    id: String,
    title: String,
    description: String,
    place: String,
    cost: String,
    cost_minor: i64,
    proposer: String,
    review: String,
    review_reason: String,
    award: String,
    /// Points (1 for an approval) the viewer's ballot gives it.
    points: u32,
    selected: bool,
    equal_selected: bool,
    support: String,
    effective: String,
    paid_by: Vec<(String, String)>,
    /// Share of the budget, for the result's bars.
    budget_percent: i64,
}

#[derive(Template)]
#[template(path = "round.html")]
pub(crate) struct RoundPage {
    page: Page,
    org: Org,
    view: RoundView,
    phase: &'static str,
    steward: bool,
    member: bool,
    rows: Vec<Row>,
    budget: String,
    /// The cost meter: what the ballot on screen costs (or the points it gives) against its limit.
    meter_used: i64,
    meter_limit: i64,
    meter_label: String,
    meter_unit: &'static str,
    ballot_kind: &'static str,
    ballot_rules: String,
    rule_explained: &'static str,
    spent: String,
    /// What the viewer helped fund: (project title, amount).
    mine: Vec<(String, String)>,
    members_funded: Vec<(String, String)>,
    form: ProjectForm,
    problems: Problems,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProjectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    cost: String,
}

async fn round_page(
    state: &AppState,
    web: &Web,
    id: &str,
    picks: Option<Vec<(String, u32)>>,
) -> Result<RoundPage, WebError> {
    let (view, org) = rounds::view(state, &web.caller, id).await?;
    let role = match web.caller.member() {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await?,
        None => None,
    };
    let money = |minor: i128| format_money(minor, view.scale, &view.round.currency, web.decimal_comma());
    let mut ids: Vec<String> = view.projects.iter().map(|p| p.proposer_id.clone()).collect();
    if let Some(result) = &view.result {
        ids.extend(result.members.iter().map(|m| m.0.clone()));
    }
    ids.sort();
    ids.dedup();
    let handles: HashMap<String, String> = ids.iter().cloned().zip(state.store.handles_of(&ids).await?).collect();
    let handle = |id: &str| handles.get(id).cloned().unwrap_or_else(|| "someone".into());
    let picks = picks.or_else(|| view.my_picks.clone()).unwrap_or_default();
    let budget_minor = view.result.as_ref().map_or(view.budget_minor, |r| i128::from(r.budget_minor));
    let rows: Vec<Row> = view
        .projects
        .iter()
        .map(|p| {
            let result = view.result.as_ref().and_then(|r| r.projects.iter().find(|x| x.id == p.id));
            Row {
                id: p.id.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                place: p.place.clone(),
                cost: money(i128::from(p.cost_minor)),
                cost_minor: p.cost_minor,
                proposer: handle(&p.proposer_id),
                review: p.review.clone(),
                review_reason: p.review_reason.clone(),
                award: p.award.clone(),
                points: picks.iter().find(|x| x.0 == p.id).map_or(0, |x| x.1),
                selected: result.is_some_and(|r| r.selected),
                equal_selected: view.result.as_ref().is_some_and(|r| r.equal_weight_winners.contains(&p.id)),
                support: result.map_or(String::new(), |r| format!("{:.1}", r.support)),
                effective: result.and_then(|r| r.effective_votes).map_or(String::new(), |e| format!("{e:.1}")),
                paid_by: result
                    .map(|r| r.paid_by.iter().map(|(m, x)| (handle(m), money(x.round() as i128))).collect())
                    .unwrap_or_default(),
                budget_percent: if budget_minor > 0 {
                    (i128::from(p.cost_minor) * 100 / budget_minor) as i64
                } else {
                    0
                },
            }
        })
        .collect();
    let on_ballot = |r: &&Row| r.review == "feasible";
    let cost_chosen: i64 = rows.iter().filter(on_ballot).filter(|r| r.points > 0).map(|r| r.cost_minor).sum();
    let (meter_used, meter_limit, meter_unit, ballot_rules) = match view.ballot {
        Ballot::Cumulative { points } => (
            picks.iter().map(|x| i64::from(x.1)).sum(),
            i64::from(points),
            "points",
            format!("Give up to {points} points; more points, more support."),
        ),
        Ballot::Knapsack => {
            (cost_chosen, budget_minor as i64, "money", "Choose projects whose total cost fits the budget.".into())
        }
        Ballot::Approval { max_projects, max_cost_minor } => {
            let mut words = vec!["Approve every project you support.".to_owned()];
            if let Some(n) = max_projects {
                words.push(format!("At most {n}."));
            }
            if let Some(limit) = max_cost_minor {
                words.push(format!("At most {} in total.", money(i128::from(limit))));
            }
            let limit = max_cost_minor.map_or(budget_minor as i64, |l| l as i64);
            (cost_chosen, limit, "money", words.join(" "))
        }
    };
    let meter_label = if meter_unit == "points" {
        format!("{meter_used} of {meter_limit} points")
    } else {
        format!("{} of {}", money(i128::from(meter_used)), money(i128::from(meter_limit)))
    };
    let me = web.caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    let title_of =
        |id: &str| view.projects.iter().find(|p| p.id == id).map_or_else(|| id.to_owned(), |p| p.title.clone());
    let (mine, members_funded) = match &view.result {
        Some(r) => (
            r.members
                .iter()
                .filter(|m| m.0 == me)
                .flat_map(|m| m.1.iter().map(|(p, x)| (title_of(p), money(x.round() as i128))))
                .collect(),
            r.members
                .iter()
                .map(|(m, funded)| (handle(m), money(funded.iter().map(|x| x.1).sum::<f64>().round() as i128)))
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let phase = Phase::parse(&view.round.phase).map_or("closed", Phase::name);
    Ok(RoundPage {
        page: web.page(view.round.title.clone(), "orgs"),
        phase,
        steward: role == Some(commune_domain::org::Role::Steward),
        member: role.is_some(),
        budget: money(budget_minor),
        spent: view.result.as_ref().map_or(String::new(), |r| money(i128::from(r.spent_minor))),
        rule_explained: Rule::parse(&view.round.rule).map_or("", Rule::explained),
        ballot_kind: view.ballot.name(),
        ballot_rules,
        meter_used,
        meter_limit,
        meter_label,
        meter_unit,
        rows,
        mine,
        members_funded,
        org,
        view,
        form: ProjectForm::default(),
        problems: Problems::default(),
    })
}

pub async fn show(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&round_page(&state, &web, &id, None).await?))
}

pub async fn propose(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<ProjectForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = ProjectInput {
        title: form.title.clone(),
        description: form.description.clone(),
        place: form.place.clone(),
        cost: form.cost.clone(),
    };
    match rounds::submit_project(&state, &web.caller, &id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/rounds/{id}#projects")).into_response()),
        Err(e) => {
            let mut page = round_page(&state, &web, &id, None).await?;
            page.problems = field_problems(e)?;
            page.form = form;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    feasible: String,
    #[serde(default)]
    reason: String,
}

pub async fn review(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let project = rounds::review(&state, &web.caller, &id, form.feasible == "yes", &form.reason).await?;
    Ok(Redirect::to(&format!("/rounds/{}#projects", project.round_id)).into_response())
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AdvanceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    voting_days: String,
}

pub async fn advance(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<AdvanceForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    rounds::advance(&state, &web.caller, &id, whole(&form.voting_days)).await?;
    Ok(Redirect::to(&format!("/rounds/{id}")).into_response())
}

/// A ballot as the form sends it: `pick` checkboxes (approval, knapsack) or `points_<id>`
/// numbers (cumulative).
pub async fn cast(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let csrf = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or_default();
    web.check_csrf(csrf)?;
    let mut picks: Vec<(String, u32)> = Vec::new();
    for (key, value) in &fields {
        if key == "pick" {
            picks.push((value.clone(), 1));
        } else if let Some(project) = key.strip_prefix("points_") {
            let value = value.trim();
            if value.is_empty() || value == "0" {
                continue;
            }
            let Ok(points) = value.parse::<u32>() else {
                let mut page = round_page(&state, &web, &id, None).await?;
                page.problems = field_problems(
                    commune_domain::validation::Invalid::new("ballot", "points are whole numbers of at least 0").into(),
                )?;
                return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)));
            };
            picks.push((project.to_owned(), points));
        }
    }
    match rounds::cast(&state, &web.caller, &id, &picks).await {
        Ok(()) => Ok(Redirect::to(&format!("/rounds/{id}?done=cast#ballot")).into_response()),
        Err(e) => {
            // What was typed stays on the form, with the meter recomputed from it.
            let mut page = round_page(&state, &web, &id, Some(picks)).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DeliveryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    done: String,
}

pub async fn deliver(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<DeliveryForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let project = rounds::deliver(&state, &web.caller, &id, form.done == "yes").await?;
    Ok(Redirect::to(&format!("/rounds/{}#result", project.round_id)).into_response())
}

/// `GET /rounds/{id}/export.pb` for people: the same file as the API's.
pub async fn export(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let text = rounds::export(&state, &web.caller, &id).await?;
    let disposition = format!("attachment; filename=\"round-{id}.pb\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "funding.html")]
pub(crate) struct FundingListPage {
    page: Page,
    org: Org,
    rounds: Vec<commune_store::FundingRound>,
    steward: bool,
    budgets: Vec<(String, String, String)>,
    problems: Problems,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct FundingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    budget_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    cap: String,
}

async fn funding_list_page(state: &AppState, web: &Web, slug: &str) -> Result<FundingListPage, WebError> {
    let (org, rounds) = commune_app::funding::list(state, &web.caller, slug).await?;
    let base = rounds_page(state, web, slug).await?;
    Ok(FundingListPage {
        page: web.page(format!("Funding rounds · {}", org.name), "orgs"),
        steward: base.steward,
        budgets: base.budgets,
        org,
        rounds,
        problems: Problems::default(),
    })
}

pub async fn funding_list(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&funding_list_page(&state, &web, &slug).await?))
}

pub async fn funding_create(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<FundingForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let cap = form.cap.trim().trim_end_matches('%').parse::<f64>().ok().map(|c| if c > 1.0 { c / 100.0 } else { c });
    let input = commune_app::funding::FundingInput {
        budget_id: form.budget_id.clone(),
        title: form.title.clone(),
        rule: form.rule.clone(),
        damping: None,
        cap_share: cap,
    };
    match commune_app::funding::create(&state, &web.caller, &slug, &input).await {
        Ok(round) => Ok(Redirect::to(&format!("/funding/{}", round.id)).into_response()),
        Err(e) => {
            let mut page = funding_list_page(&state, &web, &slug).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

/// One project of a funding round as the page shows it.
pub(crate) struct FundingRow {
    id: String,
    title: String,
    recipient: String,
    given: String,
    givers: usize,
    matched: String,
    plain: String,
    /// Gifts and match against the largest project's, for the bars.
    percent: i64,
}

#[derive(Template)]
#[template(path = "funding_round.html")]
pub(crate) struct FundingPage {
    page: Page,
    org: Org,
    view: commune_app::funding::FundingView,
    rows: Vec<FundingRow>,
    pot: String,
    steward: bool,
    member: bool,
    problems: Problems,
}

async fn funding_page(state: &AppState, web: &Web, id: &str) -> Result<FundingPage, WebError> {
    let (view, org) = commune_app::funding::view(state, &web.caller, id).await?;
    let role = match web.caller.member() {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await?,
        None => None,
    };
    let money = |minor: u64| format_money(i128::from(minor), view.scale, &view.round.currency, web.decimal_comma());
    let largest = view.projects.iter().map(|p| p.contributed_minor + p.match_minor).max().unwrap_or(0);
    let rows = view
        .projects
        .iter()
        .map(|p| {
            let total = p.contributed_minor + p.match_minor;
            FundingRow {
                id: p.project_id.clone(),
                title: p.title.clone(),
                recipient: p.recipient.clone(),
                given: money(p.contributed_minor),
                givers: p.contributors,
                matched: money(p.match_minor),
                plain: money(p.plain_match_minor),
                percent: (total * 100).checked_div(largest).unwrap_or(0) as i64,
            }
        })
        .collect();
    Ok(FundingPage {
        page: web.page(view.round.title.clone(), "orgs"),
        pot: format_money(view.pot_minor, view.scale, &view.round.currency, web.decimal_comma()),
        steward: role == Some(commune_domain::org::Role::Steward),
        member: role.is_some(),
        rows,
        org,
        view,
        problems: Problems::default(),
    })
}

pub async fn funding_show(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&funding_page(&state, &web, &id).await?))
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct FundingActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    recipient: String,
}

pub async fn funding_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<FundingActionForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = match action.as_str() {
        "contribute" => {
            let input = commune_app::funding::ContributionInput {
                project_id: form.project_id.clone(),
                amount: form.amount.clone(),
            };
            commune_app::funding::contribute(&state, &web.caller, &id, &input).await
        }
        "projects" => {
            let input = commune_app::funding::FundingProjectInput {
                title: form.title.clone(),
                recipient: form.recipient.clone(),
            };
            commune_app::funding::add_project(&state, &web.caller, &id, &input).await.map(|_| ())
        }
        "close" => commune_app::funding::close(&state, &web.caller, &id).await.map(|_| ()),
        _ => return Err(commune_app::error::AppError::NotFound("funding action").into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/funding/{id}")).into_response()),
        Err(e) => {
            let mut page = funding_page(&state, &web, &id).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}
