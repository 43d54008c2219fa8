//! Learning in the browser: an organisation's library with search, courses, forecasting
//! questions and study circles (`/orgs/{slug}/learn`); a document with its history, diffs,
//! suggestions, ratings and cards; the review queue, keyboard-driven (space reveals, 1–4 rate)
//! and usable without JavaScript; a course with its exercises; a question with the community
//! forecast beside the equal-weight one; a circle with its threads and digest; and "my
//! learning": what to learn next, mastery and the retention setting.

use crate::web::frame::{
    Form, HasProblems, Page, Pairs, Problems, Web, WebError, WebResult, checked, done, field, field_problems, render,
    with_status,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::AppError;
use commune_app::learn::{cards, circles, forecasting, library, practice};
use commune_app::state::AppState;
use commune_domain::learn::forecast::Bin;
use commune_domain::learn::practice::Mastery;
use commune_store::{Circle, Course, Doc, Org, Question};
use std::collections::BTreeMap;

macro_rules! has_problems {
    ($($t:ty),*) => {$(impl HasProblems for $t { fn set(&mut self, problems: Problems) { self.problems = problems; } })*};
}
has_problems!(HubPage, DocPage, CoursePage, QuestionPage, CirclePage, MinePage);

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct HubQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "learn.html")]
pub(crate) struct HubPage {
    page: Page,
    org: Org,
    q: String,
    docs: Vec<Doc>,
    courses: Vec<Course>,
    questions: Vec<(Question, String)>,
    circles: Vec<Circle>,
    answers: Vec<practice::ToReview>,
    calibration: Option<forecasting::Calibration>,
    /// The calibration chart's points: (mean forecast %, 100 − observed %, radius).
    points: Vec<(i64, i64, i64)>,
    problems: Problems,
    closes: String,
}

async fn hub_page(state: &AppState, web: &Web, slug: &str, q: &str) -> Result<HubPage, WebError> {
    let (org, docs) = library::list(state, &web.caller, slug, Some(q)).await?;
    let courses = practice::courses(state, &web.caller, slug).await?;
    let now = commune_store::now_ms();
    let questions = forecasting::list(state, &web.caller, slug)
        .await?
        .1
        .into_iter()
        .map(|q| {
            let st = if q.status == "open" && q.close_at <= now { "closed".to_owned() } else { q.status.clone() };
            (q, st)
        })
        .collect();
    let circles = circles::list(state, &web.caller, slug).await?;
    let answers = practice::to_review(state, &web.caller, slug).await?;
    let handle = web.caller.member().map(|m| m.member.handle.clone()).unwrap_or_default();
    let calibration =
        forecasting::calibration(state, &web.caller, slug, &handle).await.ok().filter(|c| !c.records.is_empty());
    Ok(HubPage {
        page: web.page(format!("Learn · {}", org.name), "learn"),
        org,
        q: q.to_owned(),
        docs,
        courses,
        questions,
        circles,
        answers,
        points: calibration.as_ref().map(|c| points(&c.bins)).unwrap_or_default(),
        calibration,
        problems: Problems::default(),
        closes: commune_domain::ledger::export::date_of(now + 30 * 86_400_000),
    })
}

pub async fn hub(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Query(q): Query<HubQuery>,
) -> WebResult {
    Ok(render(&hub_page(&state, &web, &slug, &q.q).await?))
}

pub async fn create_doc(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = library::DocInput {
        kind: field(&form, "kind").into(),
        title: field(&form, "title").into(),
        body: field(&form, "body").into(),
        examples: field(&form, "examples").into(),
        counter_examples: field(&form, "counter_examples").into(),
        domains: field(&form, "domains").into(),
        tags: field(&form, "tags").into(),
        draft: !field(&form, "draft").is_empty(),
    };
    let r = library::create(&state, &web.caller, &slug, &input).await;
    done(r, |d| format!("/learn/{}", d.id), hub_page(&state, &web, &slug, "")).await
}

pub async fn create_course(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = practice::CourseInput {
        title: field(&form, "title").into(),
        summary: field(&form, "summary").into(),
        lessons: form.iter().filter(|(k, _)| k == "lesson").map(|(_, v)| v.clone()).collect(),
    };
    let r = practice::create_course(&state, &web.caller, &slug, &input).await;
    done(r, |c| format!("/courses/{}", c.id), hub_page(&state, &web, &slug, "")).await
}

pub async fn create_question(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = forecasting::QuestionInput {
        title: field(&form, "title").into(),
        criteria: field(&form, "criteria").into(),
        kind: field(&form, "kind").into(),
        options: field(&form, "options").into(),
        low: field(&form, "low").into(),
        high: field(&form, "high").into(),
        bins: field(&form, "bins").trim().parse().ok(),
        domain: field(&form, "domain").into(),
        closes: field(&form, "closes").into(),
    };
    let r = forecasting::create(&state, &web.caller, &slug, &input).await;
    done(r, |q| format!("/questions/{}", q.id), hub_page(&state, &web, &slug, "")).await
}

pub async fn create_circle(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = circles::CircleInput {
        name: field(&form, "name").into(),
        course_id: field(&form, "course_id").into(),
        schedule: field(&form, "schedule").into(),
    };
    let r = circles::create(&state, &web.caller, &slug, &input).await;
    done(r, |c| format!("/circles/{}", c.id), hub_page(&state, &web, &slug, "")).await
}

pub async fn review_answer(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = practice::PeerReviewInput { pass: field(&form, "pass") == "yes", note: field(&form, "note").into() };
    let a = practice::review_attempt(&state, &web.caller, &id, &input).await?;
    let org = state.store.org_by_id(&a.org_id).await?.ok_or(AppError::NotFound("organisation"))?;
    Ok(Redirect::to(&format!("/orgs/{}/learn#answers", org.slug)).into_response())
}

#[derive(Template)]
#[template(path = "doc.html")]
pub(crate) struct DocPage {
    page: Page,
    org: Org,
    view: library::DocView,
    body: String,
    examples: String,
    counter_examples: String,
    diff: Option<library::Diff>,
    pending: Vec<commune_store::Revision>,
    attributes: Vec<(String, String)>,
    problems: Problems,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<String>,
}

async fn doc_page(state: &AppState, web: &Web, id: &str, diff: &DiffQuery) -> Result<DocPage, WebError> {
    let (org, view) = library::view(state, &web.caller, id).await?;
    let diff = match &diff.to {
        Some(to) => Some(library::diff(state, &web.caller, id, diff.from.unwrap_or(0), to).await?),
        None => None,
    };
    let attributes =
        state.store.attributes().await?.into_iter().filter(|a| a.active).map(|a| (a.key, a.name)).collect();
    Ok(DocPage {
        page: web.page(view.doc.title.clone(), "learn"),
        body: crate::markdown::to_html(&view.doc.body),
        examples: crate::markdown::to_html(&view.doc.examples),
        counter_examples: crate::markdown::to_html(&view.doc.counter_examples),
        pending: view.revisions.iter().filter(|r| r.status == "pending" || r.status == "voting").cloned().collect(),
        org,
        view,
        diff,
        attributes,
        problems: Problems::default(),
    })
}

pub async fn doc(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> WebResult {
    Ok(render(&doc_page(&state, &web, &id, &q).await?))
}

pub async fn edit_doc(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = library::EditInput {
        base: field(&form, "base").trim().parse().unwrap_or(-1),
        title: field(&form, "title").into(),
        body: field(&form, "body").into(),
        examples: field(&form, "examples").into(),
        counter_examples: field(&form, "counter_examples").into(),
        note: field(&form, "note").into(),
    };
    let r = library::edit(&state, &web.caller, &id, &input).await;
    done(r, |o| format!("/learn/{id}#{}", o.status), doc_page(&state, &web, &id, &DiffQuery::default())).await
}

pub async fn doc_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let r: Result<(), AppError> = match action.as_str() {
        "rate" => {
            let input = library::RateInput {
                attribute: field(&form, "attribute").into(),
                score: field(&form, "score").trim().parse().unwrap_or(0),
            };
            library::rate(&state, &web.caller, &id, &input).await.map(|_| ())
        }
        "study" => cards::study(&state, &web.caller, &id).await.map(|_| ()),
        "publish" => library::publish(&state, &web.caller, &id).await.map(|_| ()),
        "cite" => {
            let input = library::CiteInput {
                source_kind: field(&form, "source_kind").into(),
                source_id: field(&form, "source_id").into(),
                note: field(&form, "note").into(),
            };
            library::cite(&state, &web.caller, &id, &input).await.map(|_| ())
        }
        _ => return Err(AppError::NotFound("page").into()),
    };
    let to = if action == "study" { "/review".to_owned() } else { format!("/learn/{id}") };
    done(r, |_| to.clone(), doc_page(&state, &web, &id, &DiffQuery::default())).await
}

pub async fn decide_revision(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = library::DecideInput { decision: field(&form, "decision").into(), note: field(&form, "note").into() };
    let r = library::decide(&state, &web.caller, &id, &input).await?;
    Ok(Redirect::to(&format!("/learn/{}", r.doc_id)).into_response())
}

#[derive(Template)]
#[template(path = "review.html")]
pub(crate) struct ReviewPage {
    page: Page,
    deck: cards::Deck,
    problems: Problems,
}

pub async fn review_queue(State(state): State<AppState>, web: Web) -> WebResult {
    let deck = cards::deck(&state, &web.caller).await?;
    Ok(render(&ReviewPage { page: web.page("Review", "learn"), deck, problems: Problems::default() }))
}

pub async fn review_card(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = cards::ReviewInput { rating: field(&form, "rating").into() };
    match cards::review(&state, &web.caller, &id, &input).await {
        Ok(_) => Ok(Redirect::to("/review").into_response()),
        Err(e) => {
            let problems = field_problems(e)?;
            let deck = cards::deck(&state, &web.caller).await?;
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&ReviewPage { page: web.page("Review", "learn"), deck, problems }),
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "my_learning.html")]
pub(crate) struct MinePage {
    page: Page,
    deck: cards::Deck,
    next: Vec<practice::Suggestion>,
    mastery: BTreeMap<String, Mastery>,
    orgs: Vec<Org>,
    problems: Problems,
}

async fn mine_page(state: &AppState, web: &Web) -> Result<MinePage, WebError> {
    let me = web.caller.require_member()?;
    let orgs = state.store.memberships_of(&me.member.id).await?.into_iter().map(|m| m.org).collect();
    Ok(MinePage {
        page: web.page("My learning", "learn"),
        deck: cards::deck(state, &web.caller).await?,
        next: practice::next(state, &web.caller).await?,
        mastery: practice::my_mastery(state, &me.member.id).await?,
        orgs,
        problems: Problems::default(),
    })
}

pub async fn mine(State(state): State<AppState>, web: Web) -> WebResult {
    Ok(render(&mine_page(&state, &web).await?))
}

pub async fn settings(State(state): State<AppState>, web: Web, Form(form): Form<Pairs>) -> WebResult {
    checked(&web, &form)?;
    let input = cards::SettingsInput { retention: field(&form, "retention").into() };
    let r = cards::settings(&state, &web.caller, &input).await;
    done(r, |_| "/learn".to_owned(), mine_page(&state, &web)).await
}

#[derive(Template)]
#[template(path = "course.html")]
pub(crate) struct CoursePage {
    page: Page,
    org: Org,
    view: practice::CourseView,
    author: bool,
    problems: Problems,
}

async fn course_page(state: &AppState, web: &Web, id: &str) -> Result<CoursePage, WebError> {
    let (org, view) = practice::course(state, &web.caller, id).await?;
    let me = web.caller.require_member()?;
    let steward = state.store.role_in(&org.id, &me.member.id).await? == Some(commune_domain::org::Role::Steward);
    Ok(CoursePage {
        page: web.page(view.course.title.clone(), "learn"),
        author: steward || view.course.author_id == me.member.id,
        org,
        view,
        problems: Problems::default(),
    })
}

pub async fn course(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&course_page(&state, &web, &id).await?))
}

pub async fn add_exercise(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = practice::ExerciseInput {
        kind: field(&form, "kind").into(),
        prompt: field(&form, "prompt").into(),
        skill: field(&form, "skill").into(),
        lesson: Some(field(&form, "lesson").to_owned()).filter(|l| !l.is_empty()),
        choices: field(&form, "choices").into(),
        answer: field(&form, "answer").into(),
        tolerance: field(&form, "tolerance").into(),
        rubric: field(&form, "rubric").into(),
    };
    let r = practice::add_exercise(&state, &web.caller, &id, &input).await;
    done(r, |_| format!("/courses/{id}#exercises"), course_page(&state, &web, &id)).await
}

pub async fn attempt(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let course_id =
        state.store.learn_exercise(&id).await?.map(|e| e.course_id).ok_or(AppError::NotFound("exercise"))?;
    let input = practice::AttemptInput { answer: field(&form, "answer").into() };
    let r = practice::attempt(&state, &web.caller, &id, &input).await;
    done(r, |_| format!("/courses/{course_id}#ex-{id}"), course_page(&state, &web, &course_id)).await
}

#[derive(Template)]
#[template(path = "question.html")]
pub(crate) struct QuestionPage {
    page: Page,
    org: Org,
    view: forecasting::QuestionView,
    criteria: String,
    problems: Problems,
}

async fn question_page(state: &AppState, web: &Web, id: &str) -> Result<QuestionPage, WebError> {
    let (org, view) = forecasting::view(state, &web.caller, id).await?;
    Ok(QuestionPage {
        page: web.page(view.question.title.clone(), "learn"),
        criteria: crate::markdown::to_html(&view.question.criteria),
        org,
        view,
        problems: Problems::default(),
    })
}

pub async fn question(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&question_page(&state, &web, &id).await?))
}

pub async fn question_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let r: Result<forecasting::QuestionView, AppError> = match action.as_str() {
        "forecast" => {
            let p: Vec<String> = form.iter().filter(|(k, _)| k == "p").map(|(_, v)| v.clone()).collect();
            forecasting::forecast(&state, &web.caller, &id, &forecasting::ForecastInput { p }).await
        }
        "resolve" => {
            forecasting::resolve(
                &state,
                &web.caller,
                &id,
                &forecasting::ResolveInput { outcome: field(&form, "outcome").into() },
            )
            .await
        }
        "dispute" => forecasting::dispute(&state, &web.caller, &id).await,
        _ => return Err(AppError::NotFound("page").into()),
    };
    done(r, |_| format!("/questions/{id}"), question_page(&state, &web, &id)).await
}

#[derive(Template)]
#[template(path = "circle.html")]
pub(crate) struct CirclePage {
    page: Page,
    view: circles::CircleView,
    joined: bool,
    problems: Problems,
}

async fn circle_page(state: &AppState, web: &Web, id: &str) -> Result<CirclePage, WebError> {
    let view = circles::view(state, &web.caller, id).await?;
    let me = web.caller.require_member()?;
    Ok(CirclePage {
        page: web.page(view.circle.name.clone(), "learn"),
        joined: view.members.contains(&me.member.handle),
        view,
        problems: Problems::default(),
    })
}

pub async fn circle(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&circle_page(&state, &web, &id).await?))
}

pub async fn circle_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let r = match action.as_str() {
        "join" => circles::join(&state, &web.caller, &id).await,
        "post" => {
            let input = circles::PostInput { lesson: field(&form, "lesson").into(), body: field(&form, "body").into() };
            circles::post(&state, &web.caller, &id, &input).await
        }
        _ => return Err(AppError::NotFound("page").into()),
    };
    done(r, |_| format!("/circles/{id}"), circle_page(&state, &web, &id)).await
}

/// Calibration points for the chart: (x, y, radius) in a 0–100 box per non-empty bin.
pub(crate) fn points(bins: &[Bin]) -> Vec<(i64, i64, i64)> {
    bins.iter()
        .filter_map(|b| {
            let (f, o) = (b.mean_forecast?, b.observed?);
            Some(((f * 100.0).round() as i64, (100.0 - o * 100.0).round() as i64, (2 + b.count.min(8)) as i64))
        })
        .collect()
}
