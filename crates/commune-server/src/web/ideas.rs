//! Ideas and analytics in the browser: a hub (`/ideas`) for the member's organisations and
//! their private journal; an organisation's issue log with problem metrics, a problem with its
//! diagnosis, root cause and resolution; the idea board with its three rankings side by side;
//! opinion maps drawn server-side (the page refreshes its map while open); dashboards with SVG
//! charts, date ranges and CSV links; and the public "commune in numbers".

use crate::web::frame::{
    Form, HasProblems, Page, Pairs, Problems, Web, WebError, WebResult, checked, done, field, render,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use commune_app::AppError;
use commune_app::ideas::analytics::{self, Dashboard, RangeQuery, Series};
use commune_app::ideas::{board, journal, opinions, problems};
use commune_app::state::AppState;
use commune_store::{Conversation, JournalEntry, Org};

macro_rules! has_problems {
    ($($t:ty),*) => {$(impl HasProblems for $t { fn set(&mut self, problems: Problems) { self.problems = problems; } })*};
}
has_problems!(LogPage, ProblemPage, JournalPage, BoardPage, IdeaPage, MapsPage, MapPage);

/// A chart of one daily series, drawn in a 100 × 40 box: bars for counts and flows, a line for
/// levels (balances, pushed metrics).
pub(crate) struct Chart {
    pub label: String,
    pub unit: String,
    /// The total (bars) or the latest value (lines), as people read it.
    pub headline: String,
    pub max: f64,
    pub line: bool,
    /// `x1,y1 x2,y2 …` for a line.
    pub points: String,
    /// `(x, y, width, height)` per day for bars.
    pub bars: Vec<(f64, f64, f64, f64)>,
    pub first_day: String,
    pub last_day: String,
}

pub(crate) fn chart(s: &Series, days: &[String], line: bool) -> Chart {
    let n = s.values.len().max(1) as f64;
    let max = s.values.iter().copied().fold(0.0f64, |a, v| a.max(v.abs()));
    let scale = if max > 0.0 { 38.0 / max } else { 0.0 };
    let width = 100.0 / n;
    let points = s
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.2},{:.2}", (i as f64 + 0.5) * width, 39.0 - v.max(0.0) * scale))
        .collect::<Vec<_>>()
        .join(" ");
    let bars = s
        .values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > 0.0)
        .map(|(i, v)| (i as f64 * width, 39.0 - v * scale, (width * 0.8).max(0.2), v * scale))
        .collect();
    let shown = |v: f64| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
    Chart {
        label: s.label.clone(),
        unit: s.unit.clone(),
        headline: if line { format!("now {}", shown(s.last())) } else { format!("total {}", shown(s.total())) },
        max,
        line,
        points,
        bars,
        first_day: days.first().cloned().unwrap_or_default(),
        last_day: days.last().cloned().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "ideas_hub.html")]
pub(crate) struct HubPage {
    page: Page,
    orgs: Vec<(String, String)>,
}

pub async fn hub(State(state): State<AppState>, web: Web) -> WebResult {
    let me = web.caller.require_member()?;
    let orgs = state.store.memberships_of(&me.member.id).await?.into_iter().map(|m| (m.org.slug, m.org.name)).collect();
    Ok(render(&HubPage { page: web.page("Ideas", "ideas"), orgs }))
}

// ——— The issue log ———

#[derive(Template)]
#[template(path = "problems.html")]
pub(crate) struct LogPage {
    page: Page,
    log: problems::ProblemLog,
    problems: Problems,
}

async fn log_page(state: &AppState, web: &Web, slug: &str) -> Result<LogPage, WebError> {
    let log = problems::list(state, &web.caller, slug).await?;
    Ok(LogPage {
        page: web.page(format!("Issue log · {}", log.org_name), "ideas"), log, problems: Problems::default()
    })
}

pub async fn problem_log(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&log_page(&state, &web, &slug).await?))
}

pub async fn log_problem(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = problems::ProblemInput {
        title: field(&form, "title").into(),
        what_happened: field(&form, "what_happened").into(),
        severity: field(&form, "severity").into(),
        responsible: field(&form, "responsible").into(),
        team: field(&form, "team").into(),
        domain: field(&form, "domain").into(),
    };
    let r = problems::log(&state, &web.caller, &slug, &input).await;
    done(r, |p| format!("/problems/{}", p.problem.id), log_page(&state, &web, &slug)).await
}

#[derive(Template)]
#[template(path = "problem.html")]
pub(crate) struct ProblemPage {
    page: Page,
    view: problems::ProblemView,
    principles: Vec<(String, String)>,
    projects: Vec<(String, String)>,
    problems: Problems,
}

async fn problem_page(state: &AppState, web: &Web, id: &str) -> Result<ProblemPage, WebError> {
    let view = problems::view(state, &web.caller, id).await?;
    let (principles, projects) = problems::choices(state, &web.caller, id).await?;
    Ok(ProblemPage {
        page: web.page(format!("Problem · {}", view.problem.title), "ideas"),
        view,
        principles,
        projects,
        problems: Problems::default(),
    })
}

pub async fn problem(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&problem_page(&state, &web, &id).await?))
}

pub async fn problem_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let c = &web.caller;
    let r = match action.as_str() {
        "comment" => {
            problems::comment(&state, c, &id, &problems::CommentInput { body: field(&form, "body").into() }).await
        }
        "diagnose" => {
            let input = problems::DiagnoseInput {
                diagnosis: field(&form, "diagnosis").into(),
                principle_id: field(&form, "principle_id").into(),
                new_principle: field(&form, "new_principle").into(),
                principle_example: field(&form, "principle_example").into(),
            };
            problems::diagnose(&state, c, &id, &input).await
        }
        "resolve" => {
            let input = problems::ResolutionInput {
                kind: field(&form, "kind").into(),
                project_id: field(&form, "project_id").into(),
                title: field(&form, "title").into(),
            };
            problems::resolve_with(&state, c, &id, &input).await
        }
        "close" => problems::close(&state, c, &id).await,
        _ => return Err(AppError::NotFound("page").into()),
    };
    done(r, |v| format!("/problems/{}", v.problem.id), problem_page(&state, &web, &id)).await
}

// ——— The journal ———

#[derive(Template)]
#[template(path = "journal.html")]
pub(crate) struct JournalPage {
    page: Page,
    entries: Vec<JournalEntry>,
    orgs: Vec<(String, String)>,
    problems: Problems,
}

async fn journal_page(state: &AppState, web: &Web) -> Result<JournalPage, WebError> {
    let entries = journal::list(state, &web.caller).await?;
    let me = web.caller.require_member()?;
    let orgs = state.store.memberships_of(&me.member.id).await?.into_iter().map(|m| (m.org.slug, m.org.name)).collect();
    Ok(JournalPage { page: web.page("Journal", "ideas"), entries, orgs, problems: Problems::default() })
}

pub async fn journal_view(State(state): State<AppState>, web: Web) -> WebResult {
    Ok(render(&journal_page(&state, &web).await?))
}

pub async fn journal_add(State(state): State<AppState>, web: Web, Form(form): Form<Pairs>) -> WebResult {
    checked(&web, &form)?;
    let r = journal::add(&state, &web.caller, &journal::PainInput { pain: field(&form, "pain").into() }).await;
    done(r, |e| format!("/journal#j-{}", e.id), journal_page(&state, &web)).await
}

pub async fn journal_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let c = &web.caller;
    let r = match action.as_str() {
        "reflect" => {
            journal::reflect(&state, c, &id, &journal::ReflectInput { reflection: field(&form, "reflection").into() })
                .await
                .map(|_| ())
        }
        "publish" => {
            let input = journal::PublishInput {
                org: field(&form, "org").into(),
                statement: field(&form, "statement").into(),
                example: field(&form, "example").into(),
            };
            journal::publish(&state, c, &id, &input).await.map(|_| ())
        }
        _ => return Err(AppError::NotFound("page").into()),
    };
    done(r, |_| format!("/journal#j-{id}"), journal_page(&state, &web)).await
}

// ——— The idea board ———

#[derive(Template)]
#[template(path = "ideas.html")]
pub(crate) struct BoardPage {
    page: Page,
    board: board::Board,
    problems: Problems,
}

async fn board_page(state: &AppState, web: &Web, slug: &str) -> Result<BoardPage, WebError> {
    let board = board::board(state, &web.caller, slug).await?;
    Ok(BoardPage {
        page: web.page(format!("Ideas · {}", board.org_name), "ideas"),
        board,
        problems: Problems::default(),
    })
}

pub async fn idea_board(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&board_page(&state, &web, &slug).await?))
}

pub async fn post_idea(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = board::IdeaInput {
        title: field(&form, "title").into(),
        body: field(&form, "body").into(),
        domain: field(&form, "domain").into(),
    };
    let r = board::post(&state, &web.caller, &slug, &input).await;
    done(r, |v| format!("/ideas/{}", v.card.idea.id), board_page(&state, &web, &slug)).await
}

#[derive(Template)]
#[template(path = "idea.html")]
pub(crate) struct IdeaPage {
    page: Page,
    view: board::IdeaView,
    problems: Problems,
}

async fn idea_page(state: &AppState, web: &Web, id: &str) -> Result<IdeaPage, WebError> {
    let view = board::view(state, &web.caller, id).await?;
    Ok(IdeaPage {
        page: web.page(format!("Idea · {}", view.card.idea.title), "ideas"),
        view,
        problems: Problems::default(),
    })
}

pub async fn idea(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&idea_page(&state, &web, &id).await?))
}

pub async fn idea_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let c = &web.caller;
    let r = match action.as_str() {
        "comment" => board::comment(&state, c, &id, &board::CommentInput { body: field(&form, "body").into() }).await,
        "rate" => board::rate(&state, c, &id, &board::RatingInput { helpful: field(&form, "helpful").into() }).await,
        "promote" => board::promote(&state, c, &id).await,
        _ => return Err(AppError::NotFound("page").into()),
    };
    let promoted = action == "promote";
    done(
        r,
        |v| match (&v.card.idea.proposal_id, promoted) {
            (Some(p), true) => format!("/proposals/{p}"),
            _ => format!("/ideas/{}", v.card.idea.id),
        },
        idea_page(&state, &web, &id),
    )
    .await
}

/// Rates a proposal's discussion comment, back to the proposal.
pub async fn rate_comment(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = board::RatingInput { helpful: field(&form, "helpful").into() };
    board::rate_comment(&state, &web.caller, &id, &input).await?;
    let proposal = state.store.comment_proposal(&id).await?.map(|p| p.0).unwrap_or_default();
    Ok(Redirect::to(&format!("/proposals/{proposal}#c-{id}")).into_response())
}

// ——— Opinion maps ———

#[derive(Template)]
#[template(path = "conversations.html")]
pub(crate) struct MapsPage {
    page: Page,
    org: Org,
    list: Vec<Conversation>,
    problems: Problems,
}

async fn maps_page(state: &AppState, web: &Web, slug: &str) -> Result<MapsPage, WebError> {
    let (org, list) = opinions::list(state, &web.caller, slug).await?;
    Ok(MapsPage {
        page: web.page(format!("Opinion maps · {}", org.name), "ideas"),
        org,
        list,
        problems: Problems::default(),
    })
}

pub async fn maps(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&maps_page(&state, &web, &slug).await?))
}

pub async fn open_map(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let input = opinions::ConversationInput {
        topic: field(&form, "topic").into(),
        proposal_id: field(&form, "proposal_id").into(),
    };
    let r = opinions::open(&state, &web.caller, &slug, &input).await;
    done(r, |v| format!("/conversations/{}", v.conversation.id), maps_page(&state, &web, &slug)).await
}

/// A point of the map in the SVG's 0–100 box.
pub(crate) struct Dot {
    pub x: f64,
    pub y: f64,
    pub group: Option<usize>,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "conversation.html")]
pub(crate) struct MapPage {
    page: Page,
    view: opinions::ConversationView,
    dots: Vec<Dot>,
    placed: bool,
    problems: Problems,
}

fn dots(view: &opinions::ConversationView) -> Vec<Dot> {
    let span = view.points.iter().fold(1e-9f64, |m, p| m.max(p.x.abs()).max(p.y.abs()));
    view.points
        .iter()
        .map(|p| Dot { x: 50.0 + 45.0 * p.x / span, y: 50.0 - 45.0 * p.y / span, group: p.group, me: p.me })
        .collect()
}

async fn map_page(state: &AppState, web: &Web, id: &str) -> Result<MapPage, WebError> {
    let view = opinions::view(state, &web.caller, id).await?;
    Ok(MapPage {
        page: web.page(format!("Opinion map · {}", view.conversation.topic), "ideas"),
        dots: dots(&view),
        placed: view.points.iter().any(|p| p.me),
        view,
        problems: Problems::default(),
    })
}

pub async fn map(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&map_page(&state, &web, &id).await?))
}

pub async fn submit_statement(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let r = opinions::submit(&state, &web.caller, &id, &opinions::StatementInput { body: field(&form, "body").into() })
        .await;
    done(r, |v| format!("/conversations/{}#statements", v.conversation.id), map_page(&state, &web, &id)).await
}

pub async fn statement_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Pairs>,
) -> WebResult {
    checked(&web, &form)?;
    let c = &web.caller;
    let conversation = state.store.statement(&id).await?.map(|s| s.conversation_id).unwrap_or_default();
    let r = match action.as_str() {
        "vote" => opinions::vote(&state, c, &id, &opinions::VoteInput { vote: field(&form, "vote").into() }).await,
        "moderate" => {
            opinions::moderate(&state, c, &id, &opinions::ModerateInput { decision: field(&form, "decision").into() })
                .await
        }
        "proposal" => {
            let p = opinions::seed_proposal(&state, c, &id).await?;
            return Ok(Redirect::to(&format!("/proposals/{}", p.id)).into_response());
        }
        _ => return Err(AppError::NotFound("page").into()),
    };
    done(r, |v| format!("/conversations/{}#statements", v.conversation.id), map_page(&state, &web, &conversation)).await
}

// ——— Dashboards ———

#[derive(Template)]
#[template(path = "analytics.html")]
pub(crate) struct DashboardPage {
    page: Page,
    d: Dashboard,
    money: Vec<Chart>,
    activity: Vec<Chart>,
    custom: Vec<Chart>,
    /// The query string the CSV links carry.
    range: String,
    public: bool,
    public_on: bool,
}

fn dashboard_page(web: &Web, d: Dashboard, public: bool, public_on: bool) -> DashboardPage {
    let money = d.money.iter().map(|s| chart(s, &d.days, s.key == "balance")).collect();
    let activity = d.activity.iter().map(|s| chart(s, &d.days, false)).collect();
    let custom = d.custom.iter().map(|s| chart(s, &d.days, true)).collect();
    let title = if public { "The commune in numbers".to_owned() } else { format!("Dashboard · {}", d.org_name) };
    DashboardPage {
        page: web.page(title, if public { "numbers" } else { "ideas" }),
        range: format!("from={}&to={}", d.from, d.to),
        d,
        money,
        activity,
        custom,
        public,
        public_on,
    }
}

pub async fn dashboard(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Query(q): Query<RangeQuery>,
) -> WebResult {
    let d = analytics::dashboard(&state, &web.caller, &slug, &q).await?;
    let on = analytics::public_numbers_on(&state).await?;
    Ok(render(&dashboard_page(&web, d, false, on)))
}

pub async fn dashboard_csv(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Query(q): Query<RangeQuery>,
    Query(t): Query<crate::api::ideas::TableQuery>,
) -> WebResult {
    let d = analytics::dashboard(&state, &web.caller, &slug, &q).await?;
    let table = t.table.unwrap_or_else(|| "daily".into());
    let csv = analytics::csv(&d, &table)?;
    let disposition = format!("attachment; filename=\"{slug}-{table}.csv\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

/// The public "commune in numbers" (no sign-in; 404 unless switched on).
pub async fn numbers(State(state): State<AppState>, web: Web) -> WebResult {
    let d = analytics::public_numbers(&state).await?;
    Ok(render(&dashboard_page(&web, d, true, true)))
}

/// Switches the public page on or off (stewards of the instance).
pub async fn switch_numbers(State(state): State<AppState>, web: Web, Form(form): Form<Pairs>) -> WebResult {
    checked(&web, &form)?;
    let on = field(&form, "on") == "on";
    analytics::set_public_numbers(&state, &web.caller, on).await?;
    Ok(Redirect::to(if on { "/numbers" } else { "/" }).into_response())
}
