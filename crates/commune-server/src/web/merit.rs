//! Merit pages: the live Dot Collector (htmx polling keeps the grid current for everyone in the
//! room; without JavaScript the page still works, refreshed by hand).

use super::frame::{Form, Page, Web, WebError, WebResult, render};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect};
use commune_app::merit::{self, DotInput};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_store::{Dot, Meeting, Org};
use std::collections::BTreeMap;

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    page: Page,
    org: Org,
    meetings: Vec<Meeting>,
    errors: Vec<String>,
}

async fn meetings_page(state: &AppState, web: &Web, slug: &str, errors: Vec<String>) -> Result<MeetingsPage, WebError> {
    let org = commune_app::service::org_for(state, &web.caller, slug, Action::Participate).await?;
    let meetings = state.store.org_meetings(&org.id).await?;
    Ok(MeetingsPage { page: web.page("Dot Collector", "orgs"), org, meetings, errors })
}

pub async fn meetings(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&meetings_page(&state, &web, &slug, Vec::new()).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct TitleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    form_key: String,
}

pub async fn open(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<TitleForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match merit::create_meeting(&state, &web.caller, &slug, &form.title, Some(&form.form_key)).await {
        Ok(m) => Ok(Redirect::to(&format!("/meetings/{}", m.id)).into_response()),
        Err(e) => {
            let errors = super::frame::form_problems(e)?;
            let org = commune_app::service::org_for(&state, &web.caller, &slug, Action::Participate).await?;
            let meetings = state.store.org_meetings(&org.id).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&MeetingsPage { page: web.page("Dot Collector", "orgs"), org, meetings, errors }),
            )
                .into_response())
        }
    }
}

pub struct Cell {
    count: usize,
    average: String,
    heat: String,
    split: bool,
}

pub struct Row {
    handle: String,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "meeting_grid.html")]
struct Grid {
    meeting_id: String,
    live: bool,
    total: usize,
    attributes: Vec<String>,
    rows: Vec<Row>,
}

/// Scores per (ratee, attribute) in a meeting.
fn scores_by(dots: &[Dot]) -> BTreeMap<(String, String), Vec<i64>> {
    let mut by: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for d in dots {
        by.entry((d.ratee_handle.clone(), d.attribute.clone())).or_default().push(d.score);
    }
    by
}

fn spread(scores: &[i64]) -> i64 {
    scores.iter().max().unwrap_or(&0) - scores.iter().min().unwrap_or(&0)
}

async fn grid(state: &AppState, meeting: &Meeting) -> Result<Grid, WebError> {
    let dots = state.store.context_dots("meeting", &meeting.id).await?;
    let participants = state.store.meeting_participants(&meeting.id).await?;
    let names: BTreeMap<String, String> =
        state.store.attributes().await?.into_iter().map(|a| (a.key, a.name)).collect();
    let mut keys: Vec<String> = dots.iter().map(|d| d.attribute.clone()).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        keys = ["reliability", "communication", "creativity", "integrity"].iter().map(|k| (*k).to_owned()).collect();
    }
    let by = scores_by(&dots);
    let rows = participants
        .iter()
        .map(|(_, handle, _)| Row {
            handle: handle.clone(),
            cells: keys
                .iter()
                .map(|k| match by.get(&(handle.clone(), k.clone())) {
                    Some(scores) => {
                        let avg = scores.iter().sum::<i64>() as f64 / scores.len() as f64;
                        Cell {
                            count: scores.len(),
                            average: format!("{avg:.1}"),
                            heat: format!("{:.2}", (avg - 1.0) / 9.0),
                            split: scores.len() > 1 && spread(scores) >= 4,
                        }
                    }
                    None => Cell { count: 0, average: String::new(), heat: "0".into(), split: false },
                })
                .collect(),
        })
        .collect();
    Ok(Grid {
        meeting_id: meeting.id.clone(),
        live: meeting.ended_at.is_none(),
        total: dots.len(),
        attributes: keys.iter().map(|k| names.get(k).cloned().unwrap_or_else(|| k.clone())).collect(),
        rows,
    })
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    page: Page,
    org: Org,
    meeting: Meeting,
    live: bool,
    joined: bool,
    can_end: bool,
    me: String,
    participants: Vec<String>,
    attribute_choices: Vec<(String, String)>,
    grid: String,
    disagreements: Vec<String>,
    errors: Vec<String>,
}

async fn meeting_page(state: &AppState, web: &Web, id: &str, errors: Vec<String>) -> Result<MeetingPage, WebError> {
    let (meeting, org) = merit::meeting(state, &web.caller, id).await?;
    let me = web.caller.require_member()?;
    let participants: Vec<String> =
        state.store.meeting_participants(id).await?.into_iter().map(|(_, h, _)| h).collect();
    let steward = state.store.role_in(&org.id, &me.member.id).await? == Some(commune_domain::org::Role::Steward);
    let dots = state.store.context_dots("meeting", id).await?;
    let disagreements = scores_by(&dots)
        .into_iter()
        .filter(|(_, s)| s.len() > 1 && spread(s) >= 4)
        .map(|((who, attribute), s)| {
            format!(
                "@{who} on {attribute}: scores from {} to {} ({} dots)",
                s.iter().min().unwrap_or(&0),
                s.iter().max().unwrap_or(&0),
                s.len()
            )
        })
        .collect();
    let grid_html = grid(state, &meeting).await?.render().map_err(AppError::internal)?;
    Ok(MeetingPage {
        page: web.page(meeting.title.clone(), "orgs"),
        live: meeting.ended_at.is_none(),
        joined: participants.contains(&me.member.handle),
        can_end: meeting.created_by == me.member.id || steward,
        me: me.member.handle.clone(),
        participants,
        attribute_choices: state
            .store
            .attributes()
            .await?
            .into_iter()
            .filter(|a| a.active)
            .map(|a| (a.key, a.name))
            .collect(),
        grid: grid_html,
        disagreements,
        errors,
        org,
        meeting,
    })
}

pub async fn show(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&meeting_page(&state, &web, &id, Vec::new()).await?))
}

pub async fn grid_fragment(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let (meeting, _) = merit::meeting(&state, &web.caller, &id).await?;
    Ok(render(&grid(&state, &meeting).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct DotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ratee: String,
    #[serde(default)]
    attribute: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    form_key: String,
}

/// Gives a dot; htmx gets the fresh grid back, a plain form a redirect.
pub async fn dot(
    State(state): State<AppState>,
    web: Web,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DotForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let (meeting, org) = merit::meeting(&state, &web.caller, &id).await?;
    let input = DotInput {
        ratee: form.ratee,
        attribute: form.attribute,
        score: form.score.trim().parse().unwrap_or(0),
        context: "meeting".into(),
        context_id: meeting.id.clone(),
        comment: form.comment,
        form_key: Some(form.form_key),
    };
    let result = merit::give_dot(&state, &web.caller, &org.slug, &input).await;
    let htmx = headers.contains_key("hx-request");
    match result {
        Ok(_) if htmx => Ok(Html(grid(&state, &meeting).await?.render().map_err(AppError::internal)?).into_response()),
        Ok(_) => Ok(Redirect::to(&format!("/meetings/{id}")).into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = super::frame::form_problems(e)?;
            Ok((status, render(&meeting_page(&state, &web, &id, errors).await?)).into_response())
        }
    }
}

pub async fn join(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<super::frame::CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    merit::join_meeting(&state, &web.caller, &id).await?;
    Ok(Redirect::to(&format!("/meetings/{id}")).into_response())
}

pub async fn end(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<super::frame::CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    merit::end_meeting(&state, &web.caller, &id).await?;
    Ok(Redirect::to(&format!("/meetings/{id}")).into_response())
}
