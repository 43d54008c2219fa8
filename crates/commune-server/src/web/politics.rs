//! Chapters and politics pages: the map (with your place and its precision), seasons and their
//! leaderboards, and the leverage view. Stewards of the commune import places and elections and
//! open seasons from the same pages.

use super::frame::{Form, Page, Web, WebResult, form_problems, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::politics::{elections, endorsements, places, seasons, transparency};
use commune_app::state::AppState;
use commune_domain::politics::places::Precision;

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    page: Page,
    view: places::MapView,
    mine: Option<places::MyPlace>,
    known: Vec<places::PlaceInfo>,
    precisions: Vec<&'static str>,
    errors: Vec<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct FocusQuery {
    #[serde(default)]
    focus: Option<String>,
}

async fn map_page(
    state: &AppState,
    web: &Web,
    focus: Option<&str>,
    errors: Vec<String>,
) -> Result<MapPage, super::frame::WebError> {
    let view = places::map(state, &web.caller, focus).await?;
    let mine = match web.caller.member() {
        Some(_) => Some(places::my_place(state, &web.caller).await?),
        None => None,
    };
    Ok(MapPage {
        page: web.page("Map", "politics"),
        view,
        mine,
        known: places::list(state, &web.caller).await?.into_iter().filter(|p| p.level != "country").collect(),
        precisions: Precision::ALL.iter().map(|p| p.as_str()).collect(),
        errors,
    })
}

pub async fn map(State(state): State<AppState>, web: Web, Query(q): Query<FocusQuery>) -> WebResult {
    Ok(render(&map_page(&state, &web, q.focus.as_deref(), Vec::new()).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    shown_as: String,
}

pub async fn set_place(State(state): State<AppState>, web: Web, Form(form): Form<PlaceForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = places::MyPlaceInput { place: form.place, shown_as: form.shown_as };
    match places::set_my_place(&state, &web.caller, &input).await {
        Ok(_) => Ok(Redirect::to("/map?done=place").into_response()),
        Err(e) => unprocessable(render(&map_page(&state, &web, None, form_problems(e)?).await?)),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct OrgPlaceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    place: String,
}

/// An organisation's stewards set where it is, from its page.
pub async fn set_org_place(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<OrgPlaceForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = places::OrgPlaceInput { place: form.place };
    match places::set_org_place(&state, &web.caller, &slug, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}?done=place")).into_response()),
        Err(e) => unprocessable(render(&super::pages::orgs::org_page(&state, &web, &slug, form_problems(e)?).await?)),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    geojson: String,
    /// One `code,name` per line.
    #[serde(default)]
    places: String,
}

pub async fn import_places(State(state): State<AppState>, web: Web, Form(form): Form<ImportForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let named = form
        .places
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (code, name) = l.split_once(',').unwrap_or((l, ""));
            places::NamedPlace { code: code.trim().to_owned(), name: name.trim().to_owned() }
        })
        .collect();
    let input = places::PlacesImport { geojson: form.geojson, places: named };
    match places::import(&state, &web.caller, &input).await {
        Ok(_) => Ok(Redirect::to("/map?done=places").into_response()),
        Err(e) => unprocessable(render(&map_page(&state, &web, None, form_problems(e)?).await?)),
    }
}

fn unprocessable(page: axum::response::Response) -> WebResult {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template)]
#[template(path = "seasons.html")]
struct SeasonsPage {
    page: Page,
    seasons: Vec<seasons::SeasonSummary>,
    errors: Vec<String>,
}

async fn seasons_page(state: &AppState, web: &Web, errors: Vec<String>) -> Result<SeasonsPage, super::frame::WebError> {
    Ok(SeasonsPage { page: web.page("Seasons", "politics"), seasons: seasons::list(state, &web.caller).await?, errors })
}

pub async fn seasons_list(State(state): State<AppState>, web: Web) -> WebResult {
    Ok(render(&seasons_page(&state, &web, Vec::new()).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SeasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    goal_measure: String,
    #[serde(default)]
    goal_target: String,
}

fn whole(field: &'static str, raw: &str) -> Result<u64, commune_app::error::AppError> {
    raw.trim().parse().map_err(|_| commune_domain::validation::Invalid::new(field, "a whole number").into())
}

pub async fn create_season(State(state): State<AppState>, web: Web, Form(form): Form<SeasonForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = async {
        let input = seasons::SeasonInput {
            name: form.name.clone(),
            starts_on: form.starts_on.clone(),
            ends_on: form.ends_on.clone(),
            goal: form.goal.clone(),
            goal_measure: form.goal_measure.clone(),
            goal_target: whole("goal_target", &form.goal_target)?,
        };
        seasons::create(&state, &web.caller, &input).await
    }
    .await;
    match result {
        Ok(s) => Ok(Redirect::to(&format!("/seasons/{}", s.id)).into_response()),
        Err(e) => unprocessable(render(&seasons_page(&state, &web, form_problems(e)?).await?)),
    }
}

#[derive(Template)]
#[template(path = "season.html")]
struct SeasonPage {
    page: Page,
    view: seasons::SeasonView,
    chapters: Vec<(String, String)>,
    errors: Vec<String>,
}

impl SeasonPage {
    /// A measure's amount in words: money in currency units, impact in points.
    fn amount(&self, measure: &str, value: &u64) -> String {
        match measure {
            "revenue" => format!("{}.{:02}", value / 100, value % 100),
            "impact" => format!("{:.1}", *value as f64 / 1000.0),
            _ => value.to_string(),
        }
    }

    fn pct(&self, ppm: &u64) -> String {
        format!("{:.1}", *ppm as f64 / 10_000.0)
    }

    fn rel(&self, r: &f64) -> String {
        format!("{:.0}", r * 100.0)
    }
}

async fn season_page(
    state: &AppState,
    web: &Web,
    id: &str,
    errors: Vec<String>,
) -> Result<SeasonPage, super::frame::WebError> {
    let view = seasons::view(state, &web.caller, id).await?;
    let chapters = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == commune_domain::org::OrgKind::Chapter)
        .map(|o| (o.slug, o.name))
        .collect();
    Ok(SeasonPage { page: web.page(view.summary.name.clone(), "politics"), view, chapters, errors })
}

pub async fn season(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&season_page(&state, &web, &id, Vec::new()).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ChallengeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    chapter_a: String,
    #[serde(default)]
    target_a: String,
    #[serde(default)]
    chapter_b: String,
    #[serde(default)]
    target_b: String,
    #[serde(default)]
    note: String,
}

pub async fn challenge(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<ChallengeForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = async {
        let input = seasons::ChallengeInput {
            measure: form.measure.clone(),
            chapter_a: form.chapter_a.clone(),
            target_a: whole("target_a", &form.target_a)?,
            chapter_b: form.chapter_b.clone(),
            target_b: whole("target_b", &form.target_b)?,
            note: form.note.clone(),
        };
        seasons::challenge(&state, &web.caller, &id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/seasons/{id}?done=challenge")).into_response()),
        Err(e) => unprocessable(render(&season_page(&state, &web, &id, form_problems(e)?).await?)),
    }
}

#[derive(Template)]
#[template(path = "leverage.html")]
struct LeveragePage {
    page: Page,
    view: elections::LeverageView,
    errors: Vec<String>,
}

impl LeveragePage {
    fn ratio(&self, ppm: &Option<u64>) -> String {
        match ppm {
            None => "—".into(),
            Some(u64::MAX) => "tied".into(),
            Some(p) => format!("{:.3}", *p as f64 / 1_000_000.0),
        }
    }

    /// The bar's width: our members as a share of the last margin, at most 100%.
    fn width(&self, ppm: &Option<u64>) -> u64 {
        ppm.map_or(0, |p| (p / 10_000).min(100))
    }
}

async fn leverage_page(
    state: &AppState,
    web: &Web,
    errors: Vec<String>,
) -> Result<LeveragePage, super::frame::WebError> {
    Ok(LeveragePage {
        page: web.page("Leverage", "politics"),
        view: elections::leverage(state, &web.caller).await?,
        errors,
    })
}

pub async fn leverage(State(state): State<AppState>, web: Web) -> WebResult {
    Ok(render(&leverage_page(&state, &web, Vec::new()).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ElectionsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    csv: String,
}

pub async fn import_elections(State(state): State<AppState>, web: Web, Form(form): Form<ElectionsForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match elections::import(&state, &web.caller, &elections::ElectionsImport { csv: form.csv }).await {
        Ok(_) => Ok(Redirect::to("/leverage?done=elections").into_response()),
        Err(e) => unprocessable(render(&leverage_page(&state, &web, form_problems(e)?).await?)),
    }
}

#[derive(Template)]
#[template(path = "candidates.html")]
struct CandidatesPage {
    page: Page,
    view: endorsements::Candidates,
    comparing: bool,
    errors: Vec<String>,
}

impl CandidatesPage {
    fn stance_of(&self, c: &endorsements::CandidateView, question: &str) -> String {
        c.answers.iter().find(|a| a.question_id == question).and_then(|a| a.stance.clone()).unwrap_or_default()
    }

    fn comment_of(&self, c: &endorsements::CandidateView, question: &str) -> String {
        c.answers.iter().find(|a| a.question_id == question).map(|a| a.comment.clone()).unwrap_or_default()
    }
}

async fn candidates_page(
    state: &AppState,
    web: &Web,
    ids: &[String],
    errors: Vec<String>,
) -> Result<CandidatesPage, super::frame::WebError> {
    Ok(CandidatesPage {
        page: web.page("Candidates", "politics"),
        view: endorsements::candidates(state, &web.caller, ids).await?,
        comparing: !ids.is_empty(),
        errors,
    })
}

pub async fn candidates(State(state): State<AppState>, web: Web, Query(q): Query<Vec<(String, String)>>) -> WebResult {
    let ids: Vec<String> = q.into_iter().filter(|(k, _)| k == "compare").map(|(_, v)| v).take(20).collect();
    Ok(render(&candidates_page(&state, &web, &ids, Vec::new()).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct CandidateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    office: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    election_on: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    member: String,
}

pub async fn add_candidate(State(state): State<AppState>, web: Web, Form(f): Form<CandidateForm>) -> WebResult {
    web.check_csrf(&f.csrf)?;
    let input = endorsements::CandidateInput {
        name: f.name,
        kind: f.kind,
        office: f.office,
        district: f.district,
        election_on: f.election_on,
        bio: f.bio,
        website: f.website,
        member: f.member,
    };
    match endorsements::add_candidate(&state, &web.caller, &input).await {
        Ok(c) => Ok(Redirect::to(&format!("/candidates/{}", c.id)).into_response()),
        Err(e) => unprocessable(render(&candidates_page(&state, &web, &[], form_problems(e)?).await?)),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct QuestionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    principle_id: String,
}

pub async fn add_question(State(state): State<AppState>, web: Web, Form(f): Form<QuestionForm>) -> WebResult {
    web.check_csrf(&f.csrf)?;
    let input = endorsements::QuestionInput { question: f.question, principle_id: f.principle_id };
    match endorsements::add_question(&state, &web.caller, &input).await {
        Ok(_) => Ok(Redirect::to("/candidates?done=question").into_response()),
        Err(e) => unprocessable(render(&candidates_page(&state, &web, &[], form_problems(e)?).await?)),
    }
}

#[derive(Template)]
#[template(path = "candidate.html")]
struct CandidatePage {
    page: Page,
    c: endorsements::CandidateView,
    questions: Vec<endorsements::QuestionView>,
    errors: Vec<String>,
}

async fn candidate_page(
    state: &AppState,
    web: &Web,
    id: &str,
    errors: Vec<String>,
) -> Result<CandidatePage, super::frame::WebError> {
    let c = endorsements::candidate(state, &web.caller, id).await?;
    let questions = endorsements::candidates(state, &web.caller, std::slice::from_ref(&c.id)).await?.questions;
    Ok(CandidatePage { page: web.page(c.name.clone(), "politics"), c, questions, errors })
}

pub async fn candidate(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&candidate_page(&state, &web, &id, Vec::new()).await?))
}

pub async fn answer(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let field = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    web.check_csrf(&field("csrf"))?;
    let answers = fields
        .iter()
        .filter_map(|(n, v)| {
            let q = n.strip_prefix("stance_")?;
            (!v.is_empty()).then(|| endorsements::AnswerInput {
                question_id: q.to_owned(),
                stance: v.clone(),
                comment: field(&format!("comment_{q}")),
            })
        })
        .collect();
    match endorsements::answer(&state, &web.caller, &id, &endorsements::AnswersInput { answers }).await {
        Ok(_) => Ok(Redirect::to(&format!("/candidates/{id}?done=answers")).into_response()),
        Err(e) => unprocessable(render(&candidate_page(&state, &web, &id, form_problems(e)?).await?)),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
}

pub async fn endorse(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> WebResult {
    web.check_csrf(&f.csrf)?;
    match endorsements::propose_endorsement(&state, &web.caller, &id).await {
        Ok(p) => Ok(Redirect::to(&format!("/p/{}?done=drafted", p.id)).into_response()),
        Err(e) => unprocessable(render(&candidate_page(&state, &web, &id, form_problems(e)?).await?)),
    }
}

pub async fn fund(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> WebResult {
    web.check_csrf(&f.csrf)?;
    let input = endorsements::FundingInput { amount: f.amount, currency: f.currency };
    match endorsements::propose_funding(&state, &web.caller, &id, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/p/{}?done=drafted", p.id)).into_response()),
        Err(e) => unprocessable(render(&candidate_page(&state, &web, &id, form_problems(e)?).await?)),
    }
}

#[derive(Template)]
#[template(path = "disclosures.html")]
struct DisclosuresPage {
    page: Page,
    rows: Vec<endorsements::Disclosure>,
}

pub async fn disclosures(State(state): State<AppState>, web: Web) -> WebResult {
    let rows = endorsements::disclosures(&state, &web.caller).await?;
    Ok(render(&DisclosuresPage { page: web.page("Disclosures", "politics"), rows }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    /// One content item per line: `title, owner, YYYY-MM-DD`.
    #[serde(default)]
    content: String,
}

pub async fn campaign_project(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(f): Form<PlanForm>,
) -> WebResult {
    web.check_csrf(&f.csrf)?;
    let content = f
        .content
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.split(',').map(str::trim);
            endorsements::PlanItem {
                title: parts.next().unwrap_or_default().to_owned(),
                owner: parts.next().unwrap_or_default().to_owned(),
                due: parts.next().unwrap_or_default().to_owned(),
                seats: None,
            }
        })
        .collect();
    let input = endorsements::CampaignPlanInput { org: String::new(), volunteer: Vec::new(), content };
    match endorsements::campaign_project(&state, &web.caller, &id, &input).await {
        Ok(p) => Ok(Redirect::to(&p.board).into_response()),
        Err(e) => unprocessable(render(&candidate_page(&state, &web, &id, form_problems(e)?).await?)),
    }
}

#[derive(Template)]
#[template(path = "transparency.html")]
struct TransparencyPage {
    page: Page,
    view: Option<transparency::Transparency>,
}

impl TransparencyPage {
    fn pct(&self, ppm: &u64) -> String {
        format!("{:.1}", *ppm as f64 / 10_000.0)
    }
}

/// The public page: anyone may read it once the commune's stewards switched it on; before, only
/// they see it (with the switch), and everyone else a 404.
pub async fn transparency_page(State(state): State<AppState>, web: Web) -> WebResult {
    let on = transparency::is_on(&state).await?;
    let view = if on { Some(transparency::page(&state).await?) } else { None };
    if !on && !web.page("", "").is_admin {
        return Err(commune_app::error::AppError::NotFound("page").into());
    }
    Ok(render(&TransparencyPage { page: web.page("Transparency", "politics"), view }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    on: String,
}

pub async fn switch_transparency(State(state): State<AppState>, web: Web, Form(f): Form<SwitchForm>) -> WebResult {
    web.check_csrf(&f.csrf)?;
    transparency::switch(&state, &web.caller, f.on == "1").await?;
    Ok(Redirect::to("/transparency").into_response())
}
