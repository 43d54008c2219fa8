//! Projects and tasks (DESIGN.md §2.5): creating and editing them (members, or a business's API
//! token with `work:write`), moving them along `open → assigned → in progress → review → done |
//! dropped` as `domain::work::task::decide` allows, reviews that record the outcome once,
//! comments and members' impact scores. Every change is one audited write (a later webhook can
//! carry it); a status change is a compare-and-set, so racing moves apply once.

use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::parties::ledger_named;
use crate::service::{org, org_for};
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::ledger::amount;
use commune_domain::org::Role;
use commune_domain::validation::{Invalid, Violations, text};
use commune_domain::work::task::{self, Facts, Refusal, Review, Status, Step, TaskForm, Who};
use commune_store::{NewTask, Org, Project, Task, TaskComment, TaskEvent, TaskFilter, TaskReview};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ProjectInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A budget of the organisation that logged hours are paid against (optional).
    pub budget_id: Option<String>,
    /// What an hour is paid, in currency units (optional; without it hours are not paid).
    #[serde(default)]
    pub hourly_rate: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TaskInput {
    pub title: String,
    /// Markdown.
    #[serde(default)]
    pub description: String,
    /// Comma- or space-separated domains, at most five (e.g. `baking, ops`).
    #[serde(default)]
    pub domains: String,
    /// Estimated hours (e.g. `6` or `1.5`; default 1).
    #[serde(default)]
    pub effort_hours: String,
    /// Story points, 0–100 (separate from the estimate).
    pub points: Option<i64>,
    /// What success is worth, in currency units (default 0).
    #[serde(default)]
    pub value: String,
    /// 1 (easy) to 5 (hard); default 3.
    pub difficulty: Option<i64>,
    /// How many people it takes at most (1–10, default 1).
    pub seats: Option<i64>,
    /// `YYYY-MM-DD` or empty.
    #[serde(default)]
    pub due: String,
}

/// A step on a task: `assign` (with `member`; yourself when absent), `unassign`, `start`,
/// `submit`, `send_back`, `drop`, `reopen`, `set_reviewer` (with `member`), or `move` (with
/// `to`, a status: what a board drag or key press sends).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    pub step: String,
    /// A handle, for `assign` and `set_reviewer`.
    pub member: Option<String>,
    /// A status, for `move`.
    pub to: Option<String>,
    /// Why (shown in the history), optional.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    pub success: bool,
    /// 1 (poor) to 5 (excellent).
    pub quality: i64,
    /// Whether it was handed in on time; default: by the due date (always, without one).
    pub on_time: Option<bool>,
    #[serde(default)]
    pub note: String,
}

/// A task as lists and the board show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TaskCard {
    #[schema(value_type = Object)]
    pub task: Task,
    pub project: String,
    pub doer: Option<String>,
    pub reviewer: Option<String>,
    /// Members' mean impact score (0–5) and how many scored it.
    pub impact: f64,
    pub impact_votes: i64,
    pub effort: String,
    pub value: String,
    pub due: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub card: TaskCard,
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<TaskEvent>,
    #[schema(value_type = Vec<Object>)]
    pub comments: Vec<TaskComment>,
    /// (handle, score) of every impact vote.
    pub impact_votes: Vec<(String, i64)>,
    #[schema(value_type = Object)]
    pub review: Option<TaskReview>,
    /// Hours logged, per member handle.
    pub hours: Vec<(String, String)>,
    /// The steps the caller may take now (`start`, `submit`, ...).
    pub steps: Vec<String>,
    /// Whether the caller is its reviewer and it is in review.
    pub may_review: bool,
    /// Whether the caller may edit its fields (its creator or a steward, until it is finished).
    pub may_edit: bool,
    /// Members of the organisation (handles), for choosing a doer or reviewer.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectSummary {
    #[schema(value_type = Object)]
    pub project: Project,
    /// Tasks per status, in `Status::ALL` order.
    pub counts: Vec<(String, i64)>,
    pub hourly_rate: String,
}

/// Handle of every member of an organisation, by member id.
pub(crate) async fn handles(state: &AppState, org_id: &str) -> Result<HashMap<String, String>, AppError> {
    Ok(state.store.org_members(org_id).await?.into_iter().map(|m| (m.member_id, m.handle)).collect())
}

pub(crate) fn money(minor: i64, scale: u32) -> String {
    amount::format(i128::from(minor), scale)
}

async fn scale(state: &AppState) -> Result<u32, AppError> {
    Ok(ledger_named(state, None).await?.scale)
}

pub(crate) async fn cards(state: &AppState, org: &Org, tasks: Vec<Task>) -> Result<Vec<TaskCard>, AppError> {
    let names = handles(state, &org.id).await?;
    let projects: HashMap<String, String> =
        state.store.work_projects(&org.id).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let impact: HashMap<String, (i64, i64)> =
        state.store.work_impact(&org.id).await?.into_iter().map(|(t, sum, n)| (t, (sum, n))).collect();
    let scale = scale(state).await?;
    let now = commune_store::now_ms();
    Ok(tasks
        .into_iter()
        .map(|t| {
            let (sum, votes) = impact.get(&t.id).copied().unwrap_or((0, 0));
            let status = Status::parse(&t.status).unwrap_or(Status::Open);
            TaskCard {
                project: projects.get(&t.project_id).cloned().unwrap_or_default(),
                doer: t.doer_id.as_ref().and_then(|d| names.get(d).cloned()),
                reviewer: t.reviewer_id.as_ref().and_then(|d| names.get(d).cloned()),
                impact: if votes > 0 { sum as f64 / votes as f64 } else { 0.0 },
                impact_votes: votes,
                effort: task::hours_text(t.effort_minutes),
                value: money(t.value_minor, scale),
                due: t.due_at.map(commune_domain::ledger::export::date_of),
                overdue: t.due_at.is_some_and(|d| d + 86_400_000 <= now)
                    && !status.finished()
                    && status != Status::Review,
                task: t,
            }
        })
        .collect())
}

pub async fn projects(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<ProjectSummary>), AppError> {
    let org = org_for(state, caller, slug, Action::ReadWork).await?;
    let scale = scale(state).await?;
    let tasks = state.store.work_tasks(&TaskFilter { org_id: &org.id, ..TaskFilter::default() }).await?;
    let mut out = Vec::new();
    for project in state.store.work_projects(&org.id).await? {
        let counts = Status::ALL
            .iter()
            .map(|s| {
                let n = tasks.iter().filter(|t| t.project_id == project.id && t.status == s.name()).count();
                (s.name().to_owned(), n as i64)
            })
            .collect();
        out.push(ProjectSummary { hourly_rate: money(project.hourly_rate_minor, scale), project, counts });
    }
    Ok((org, out))
}

pub async fn create_project(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &ProjectInput,
) -> Result<Project, AppError> {
    let org = org_for(state, caller, slug, Action::ManageWork).await?;
    let me = caller.require_member()?;
    let scale = scale(state).await?;
    let mut problems = Violations::default();
    let name = problems.check(text("name", &input.name, 1, 120, false));
    let description = problems.check(text("description", &input.description, 0, 5_000, true));
    let rate = if input.hourly_rate.trim().is_empty() {
        Some(0)
    } else {
        problems.check(amount::parse(&input.hourly_rate, scale, "hourly_rate").and_then(|m| {
            i64::try_from(m)
                .ok()
                .filter(|&m| m <= 10_000 * 10i64.pow(scale))
                .ok_or_else(|| Invalid::new("hourly_rate", "at most 10,000 an hour"))
        }))
    };
    let budget = input.budget_id.as_deref().map(str::trim).filter(|b| !b.is_empty());
    if let Some(b) = budget
        && !state.store.budgets_of(&org.id).await?.iter().any(|(x, _)| x.id == b)
    {
        problems.0.push(Invalid::new("budget_id", "not a budget of this organisation"));
    }
    problems.into_result()?;
    let (Some(name), Some(description), Some(rate)) = (name, description, rate) else { unreachable!("validated") };
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.create_work_project(&org.id, &name, &description, budget, rate).await?;
    tx.commit().await?;
    state.store.work_project(&id).await?.ok_or(AppError::NotFound("project"))
}

/// What a task list shows: status, project, a member's work (handle), a domain.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub project: Option<String>,
    pub status: Option<String>,
    /// A handle: tasks they do or review.
    pub member: Option<String>,
    pub domain: Option<String>,
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    query: &ListQuery,
) -> Result<(Org, Vec<TaskCard>), AppError> {
    let org = org_for(state, caller, slug, Action::ReadWork).await?;
    let blank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let status = match blank(&query.status) {
        Some(s) => Some(
            Status::parse(&s)
                .ok_or_else(|| Invalid::new("status", "open, assigned, in_progress, review, done or dropped"))?,
        ),
        None => None,
    };
    let member = match blank(&query.member) {
        Some(h) => {
            Some(state.store.member_by_handle(h.trim_start_matches('@')).await?.ok_or(AppError::NotFound("member"))?.id)
        }
        None => None,
    };
    let (project, domain) = (blank(&query.project), blank(&query.domain).map(|d| d.to_ascii_lowercase()));
    let tasks = state
        .store
        .work_tasks(&TaskFilter {
            org_id: &org.id,
            project_id: project.as_deref(),
            status: status.map(Status::name),
            member_id: member.as_deref(),
            domain: domain.as_deref(),
        })
        .await?;
    let cards = cards(state, &org, tasks).await?;
    Ok((org, cards))
}

async fn validated(state: &AppState, input: &TaskInput) -> Result<task::TaskInput, AppError> {
    let scale = scale(state).await?;
    let value = if input.value.trim().is_empty() {
        Ok(0)
    } else {
        amount::parse(&input.value, scale, "value").map(|m| i64::try_from(m).unwrap_or(i64::MAX))
    };
    let form = TaskForm {
        title: input.title.clone(),
        description: input.description.clone(),
        domains: input.domains.clone(),
        effort_hours: input.effort_hours.clone(),
        points: input.points,
        difficulty: input.difficulty,
        seats: input.seats,
        due: input.due.clone(),
    };
    Ok(form.validate(value)?)
}

fn new_task<'a>(project: &'a Project, t: &'a task::TaskInput) -> NewTask<'a> {
    NewTask {
        project_id: &project.id,
        org_id: &project.org_id,
        title: &t.title,
        description: &t.description,
        domains: &t.domains,
        effort_minutes: t.effort_minutes,
        points: t.points,
        value_minor: t.value_minor,
        difficulty: t.difficulty,
        seats: t.seats,
        due_at: t.due_ms,
    }
}

async fn project_of(
    state: &AppState,
    caller: &Caller,
    project_id: &str,
    action: Action,
) -> Result<(Project, Org), AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, action).await?;
    }
    let project = state.store.work_project(project_id).await?.ok_or(AppError::NotFound("project"))?;
    let org = state.store.org_by_id(&project.org_id).await?.ok_or(AppError::NotFound("project"))?;
    caller.authorize(state, Some(&org), action).await?;
    Ok((project, org))
}

/// Creates a task in a project (a member of its organisation, or its API token with `work:write`).
pub async fn create_task(
    state: &AppState,
    caller: &Caller,
    project_id: &str,
    input: &TaskInput,
) -> Result<TaskCard, AppError> {
    let (project, org) = project_of(state, caller, project_id, Action::DoWork).await?;
    let valid = validated(state, input).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    let id = tx.create_task(new_task(&project, &valid)).await?;
    tx.commit().await?;
    card(state, &org, &id).await
}

async fn card(state: &AppState, org: &Org, id: &str) -> Result<TaskCard, AppError> {
    let t = state.store.work_task(id).await?.ok_or(AppError::NotFound("task"))?;
    cards(state, org, vec![t]).await?.pop().ok_or(AppError::NotFound("task"))
}

/// The task and its organisation, for a caller who may `action` there.
pub(crate) async fn task_of(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<(Task, Org), AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, action).await?;
    }
    let t = state.store.work_task(id).await?.ok_or(AppError::NotFound("task"))?;
    let org = state.store.org_by_id(&t.org_id).await?.ok_or(AppError::NotFound("task"))?;
    caller.authorize(state, Some(&org), action).await?;
    Ok((t, org))
}

async fn is_steward(state: &AppState, org: &Org, member_id: &str) -> Result<bool, AppError> {
    Ok(state.store.role_in(&org.id, member_id).await? == Some(Role::Steward))
}

/// Edits a task's fields (its creator or a steward; a token of its organisation).
pub async fn update_task(state: &AppState, caller: &Caller, id: &str, input: &TaskInput) -> Result<TaskCard, AppError> {
    let (t, org) = task_of(state, caller, id, Action::DoWork).await?;
    if let Some(me) = caller.member()
        && t.creator != me.member.id
        && !is_steward(state, &org, &me.member.id).await?
    {
        return Err(AppError::Denied(commune_domain::authz::Denied::Forbidden(
            "only the task's creator or a steward edits it",
        )));
    }
    let project = state.store.work_project(&t.project_id).await?.ok_or(AppError::NotFound("project"))?;
    let valid = validated(state, input).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    if !tx.update_task(id, new_task(&project, &valid)).await? {
        return Err(AppError::Conflict("the task is done or dropped: it is not edited any more"));
    }
    tx.commit().await?;
    card(state, &org, id).await
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<(Org, TaskView), AppError> {
    let (t, org) = task_of(state, caller, id, Action::ReadWork).await?;
    let names = handles(state, &org.id).await?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut history = state.store.work_events(id).await?;
    for e in &mut history {
        e.actor = name(&e.actor);
    }
    let mut comments = state.store.work_comments(id).await?;
    for c in &mut comments {
        c.author = name(&c.author);
    }
    let impact_votes = state.store.work_impact_votes(id).await?.into_iter().map(|(m, s)| (name(&m), s)).collect();
    let mut by_member: Vec<(String, i64)> = Vec::new();
    for log in state.store.worklogs_of_task(id).await? {
        match by_member.iter_mut().find(|(m, _)| *m == log.member_id) {
            Some(entry) => entry.1 += log.minutes,
            None => by_member.push((log.member_id.clone(), log.minutes)),
        }
    }
    let hours = by_member.into_iter().map(|(m, minutes)| (name(&m), task::hours_text(minutes))).collect();
    let review = state.store.work_review(id).await?;
    let finished = Status::parse(&t.status).is_none_or(Status::finished);
    let may_edit = !finished
        && match caller.member() {
            Some(me) => t.creator == me.member.id || is_steward(state, &org, &me.member.id).await?,
            None => true,
        };
    let (steps, may_review) = match caller.member() {
        Some(me) => {
            let who = Who { member_id: me.member.id.clone(), steward: is_steward(state, &org, &me.member.id).await? };
            let f = facts(&t);
            let candidates = [
                ("take", Step::Assign(me.member.id.clone())),
                ("unassign", Step::Unassign),
                ("start", Step::Start),
                ("submit", Step::Submit),
                ("send_back", Step::SendBack),
                ("drop", Step::Drop),
                ("reopen", Step::Reopen),
            ];
            let mut steps: Vec<String> = candidates
                .iter()
                .filter(|(_, s)| task::decide(&f, &who, s).is_ok())
                .map(|(n, _)| (*n).to_owned())
                .collect();
            if task::decide(&f, &who, &Step::SetReviewer(String::new())).is_ok() {
                steps.push("set_reviewer".into());
                if matches!(f.status, Status::Open | Status::Assigned) {
                    steps.push("assign".into());
                }
            }
            (steps, task::decide(&f, &who, &Step::Review).is_ok())
        }
        None => (Vec::new(), false),
    };
    let mut members: Vec<String> = names.values().cloned().collect();
    members.sort();
    let card = cards(state, &org, vec![t]).await?.pop().ok_or(AppError::NotFound("task"))?;
    Ok((org, TaskView { card, history, comments, impact_votes, review, hours, steps, may_review, may_edit, members }))
}

fn facts(t: &Task) -> Facts {
    Facts {
        status: Status::parse(&t.status).unwrap_or(Status::Open),
        creator: t.creator.clone(),
        doer: t.doer_id.clone(),
        reviewer: t.reviewer_id.clone(),
    }
}

fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::NotAllowed(m) => AppError::Denied(commune_domain::authz::Denied::Forbidden(m)),
        Refusal::WrongState(m) => AppError::Rule(m.to_owned()),
    }
}

/// A member of the organisation by handle (refused when not a member).
async fn member_in(state: &AppState, org: &Org, handle: &str, field: &'static str) -> Result<String, AppError> {
    let handle = handle.trim().trim_start_matches('@');
    let member = state.store.member_by_handle(handle).await?;
    match member {
        Some(m) if state.store.role_in(&org.id, &m.id).await?.is_some() => Ok(m.id),
        _ => Err(Invalid::new(field, format!("@{handle} is not a member of {}", org.name)).into()),
    }
}

/// Takes a step on a task (members only).
pub async fn act(state: &AppState, caller: &Caller, id: &str, input: &StepInput) -> Result<TaskCard, AppError> {
    let me = caller.require_member()?;
    let (t, org) = task_of(state, caller, id, Action::DoWork).await?;
    let who = Who { member_id: me.member.id.clone(), steward: is_steward(state, &org, &me.member.id).await? };
    let f = facts(&t);
    let note = text("note", &input.note, 0, 500, false)?;
    let org_ref = &org;
    let target = |field| async move {
        match input.member.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) => member_in(state, org_ref, h, field).await,
            None => Ok(me.member.id.clone()),
        }
    };
    let step = match input.step.trim() {
        "assign" | "take" => Step::Assign(target("member").await?),
        "unassign" => Step::Unassign,
        "start" => Step::Start,
        "submit" => Step::Submit,
        "send_back" => Step::SendBack,
        "drop" => Step::Drop,
        "reopen" => Step::Reopen,
        "set_reviewer" => {
            if input.member.as_deref().is_none_or(|m| m.trim().is_empty()) {
                return Err(Invalid::new("member", "name the reviewer").into());
            }
            Step::SetReviewer(target("member").await?)
        }
        "move" => {
            let to = input
                .to
                .as_deref()
                .and_then(Status::parse)
                .ok_or_else(|| Invalid::new("to", "a status to move the card to"))?;
            task::board_step(f.status, to, &who).map_err(refused)?
        }
        "review" => return Err(AppError::Rule("record a review with its ratings (POST …/review)".into())),
        other => {
            return Err(Invalid::new("step", format!("unknown step '{other}': assign, unassign, start, submit, send_back, drop, reopen, set_reviewer or move")).into());
        }
    };
    let to = task::decide(&f, &who, &step).map_err(refused)?;
    if let Step::Assign(m) = &step {
        crate::learn::practice::check_prerequisites(state, id, m).await?;
    }
    let (mut doer, mut reviewer) = (t.doer_id.clone(), t.reviewer_id.clone());
    let detail = match &step {
        Step::Assign(m) => {
            doer = Some(m.clone());
            format!("to {}", handle_of(state, m).await?)
        }
        Step::Unassign | Step::Reopen => {
            doer = None;
            note.clone()
        }
        Step::SetReviewer(m) => {
            reviewer = Some(m.clone());
            format!("reviewer {}", handle_of(state, m).await?)
        }
        _ => note.clone(),
    };
    let mut tx = state.store.write(&me.member.id).await?;
    if !tx.move_task(id, f.status.name(), to.name(), doer.as_deref(), reviewer.as_deref(), &detail).await? {
        return Err(AppError::Conflict("someone changed this task first: reload it and try again"));
    }
    tx.commit().await?;
    card(state, &org, id).await
}

async fn handle_of(state: &AppState, id: &str) -> Result<String, AppError> {
    Ok(state.store.member_by_id(id).await?.map(|m| format!("@{}", m.handle)).unwrap_or_default())
}

/// The reviewer records the outcome: the task is done and the outcome becomes evidence (once).
pub async fn review(state: &AppState, caller: &Caller, id: &str, input: &ReviewInput) -> Result<TaskReview, AppError> {
    let me = caller.require_member()?;
    let (t, org) = task_of(state, caller, id, Action::DoWork).await?;
    let who = Who { member_id: me.member.id.clone(), steward: is_steward(state, &org, &me.member.id).await? };
    task::decide(&facts(&t), &who, &Step::Review).map_err(refused)?;
    let on_time = input.on_time.unwrap_or_else(|| match (t.due_at, t.submitted_at) {
        (Some(due), Some(submitted)) => submitted < due + 86_400_000,
        _ => true,
    });
    let rating = Review::new(input.success, input.quality, on_time)?;
    let note = text("note", &input.note, 0, 2_000, true)?;
    let doer = t.doer_id.clone().ok_or(AppError::Rule("the task has no doer".into()))?;
    let mut tx = state.store.write(&me.member.id).await?;
    if !tx.move_task(id, "review", "done", Some(&doer), Some(&me.member.id), "reviewed").await? {
        return Err(AppError::Conflict("this task was reviewed or moved meanwhile"));
    }
    let recorded = TaskReview {
        task_id: id.to_owned(),
        reviewer_id: me.member.id.clone(),
        doer_id: doer,
        success: rating.success,
        quality: rating.quality,
        on_time: rating.on_time,
        note,
        at: tx.at_ms(),
    };
    tx.record_review(&recorded).await?;
    tx.commit().await?;
    Ok(recorded)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CommentInput {
    /// Markdown, 1–5,000 characters.
    pub body: String,
}

pub async fn comment(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &CommentInput,
) -> Result<TaskComment, AppError> {
    let (_, _) = task_of(state, caller, id, Action::DoWork).await?;
    let body = text("body", &input.body, 1, 5_000, true)?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    let comment_id = tx.comment_task(id, &body).await?;
    let at = tx.at_ms();
    tx.commit().await?;
    Ok(TaskComment { id: comment_id, author: caller.audit_actor(), body, at })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ImpactInput {
    /// 0 (none) to 5 (great social or ecological impact).
    pub score: i64,
}

/// A member scores a task's impact (again to change it).
pub async fn score_impact(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &ImpactInput,
) -> Result<TaskCard, AppError> {
    let me = caller.require_member()?;
    let (t, org) = task_of(state, caller, id, Action::DoWork).await?;
    if !(0..=5).contains(&input.score) {
        return Err(Invalid::new("score", "an impact score is 0 to 5").into());
    }
    if Status::parse(&t.status) == Some(Status::Dropped) {
        return Err(AppError::Rule("a dropped task is not scored".into()));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    tx.score_impact(id, &me.member.id, input.score).await?;
    tx.commit().await?;
    card(state, &org, id).await
}

/// A member's unfinished work (doing or reviewing), across organisations.
pub async fn my_work(state: &AppState, caller: &Caller) -> Result<Vec<(Org, TaskCard)>, AppError> {
    let me = caller.require_member()?;
    let mut out = Vec::new();
    for t in state.store.work_of_member(&me.member.id).await? {
        let o = match state.store.org_by_id(&t.org_id).await? {
            Some(o) => o,
            None => continue,
        };
        if let Some(c) = cards(state, &o, vec![t]).await?.pop() {
            out.push((o, c));
        }
    }
    Ok(out)
}

/// The organisation by slug for a reader of its work (for pages that list nothing else).
pub async fn org_of(state: &AppState, caller: &Caller, slug: &str) -> Result<Org, AppError> {
    let _ = org(state, slug).await?;
    org_for(state, caller, slug, Action::ReadWork).await
}
