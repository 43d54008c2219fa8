//! The issue log (Bridgewater's): anyone logs what went wrong — what happened, how bad, who or
//! which team was responsible, in which domain; a diagnosis thread; the root cause named as a
//! principle of the library (an existing one or a new one); the resolution as a task or a
//! proposal; and per-member and per-team problem metrics.

use super::{draft_decision, org_by_id};
use crate::caller::Caller;
use crate::error::AppError;
use crate::learn::library::{self, DocInput};
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::ideas::problems::{self as rules, Logged, Metrics, Severity};
use commune_domain::validation::{Invalid, Violations, text};
use commune_store::{NewProblem, Org, Post, Problem};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ProblemInput {
    /// A one-line summary (3–160 characters).
    pub title: String,
    /// What happened, in Markdown.
    pub what_happened: String,
    /// `minor`, `moderate`, `major` or `critical`.
    pub severity: String,
    /// The handle of the member responsible (optional; a member of this organisation).
    #[serde(default)]
    pub responsible: String,
    /// The team responsible (optional, free text such as `bakery` or `logistics`).
    #[serde(default)]
    pub team: String,
    /// The domain (default `general`).
    #[serde(default)]
    pub domain: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemView {
    #[schema(value_type = Object)]
    pub problem: Problem,
    pub org_slug: String,
    pub author: String,
    pub responsible: Option<String>,
    /// The diagnosis thread: (handle, post).
    #[schema(value_type = Vec<Object>)]
    pub comments: Vec<(String, Post)>,
    /// The root-cause principle's title.
    pub root_cause: Option<String>,
    /// Where the resolution lives (`/tasks/…` or `/proposals/…`).
    pub resolution_link: Option<String>,
    /// Whether the caller may close it (author, responsible or a steward).
    pub may_close: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemRow {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub state: String,
    pub domain: String,
    pub responsible: Option<String>,
    pub team: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemLog {
    pub org_slug: String,
    pub org_name: String,
    pub problems: Vec<ProblemRow>,
    #[schema(value_type = Object)]
    pub overall: Metrics,
    /// Per responsible member (handle) and per team, most weighted first.
    #[schema(value_type = Vec<Object>)]
    pub by_member: Vec<(String, Metrics)>,
    #[schema(value_type = Vec<Object>)]
    pub by_team: Vec<(String, Metrics)>,
    /// The organisation's principles, for naming a root cause: (id, statement).
    pub principles: Vec<(String, String)>,
    /// The organisation's projects, for resolving with a task: (id, name).
    pub projects: Vec<(String, String)>,
}

fn logged(p: &Problem) -> Logged {
    Logged {
        severity: Severity::parse(&p.severity).unwrap_or(Severity::Minor),
        opened_ms: p.created_at,
        resolved_ms: p.resolved_at,
    }
}

fn ranked(groups: BTreeMap<String, Vec<Logged>>) -> Vec<(String, Metrics)> {
    let mut out: Vec<(String, Metrics)> = groups.into_iter().map(|(k, v)| (k, rules::metrics(&v))).collect();
    out.sort_by(|a, b| b.1.weighted.cmp(&a.1.weighted).then(a.0.cmp(&b.0)));
    out
}

pub async fn log(state: &AppState, caller: &Caller, slug: &str, input: &ProblemInput) -> Result<ProblemView, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Ideas).await?;
    let mut v = Violations::default();
    let title = v.check(text("title", &input.title, 3, 160, false));
    let what = v.check(text("what_happened", &input.what_happened, 3, 8_000, true));
    let severity = v.check(Severity::parse(&input.severity));
    let team = v.check(text("team", &input.team, 0, 60, false));
    let domain = v.check(super::domain(&input.domain));
    let mut responsible = None;
    let handle = input.responsible.trim().trim_start_matches('@');
    if !handle.is_empty() {
        match state.store.member_by_handle(handle).await? {
            Some(m) if state.store.role_in(&org.id, &m.id).await?.is_some() => responsible = Some(m.id),
            _ => v.0.push(Invalid::new("responsible", "the handle of a member of this organisation")),
        }
    }
    v.into_result()?;
    let new = NewProblem {
        org_id: org.id.clone(),
        title: title.unwrap_or_default(),
        what_happened: what.unwrap_or_default(),
        severity: severity.map(Severity::as_str).unwrap_or_default().to_owned(),
        responsible_id: responsible,
        team: team.unwrap_or_default(),
        domain: domain.unwrap_or_default(),
    };
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.log_problem(&new).await?;
    tx.commit().await?;
    view(state, caller, &id).await
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<ProblemLog, AppError> {
    let org = org_for(state, caller, slug, Action::Ideas).await?;
    let problems = state.store.problems(&org.id).await?;
    let handles = crate::learn::handles(state, &org.id).await?;
    let mut by_member: BTreeMap<String, Vec<Logged>> = BTreeMap::new();
    let mut by_team: BTreeMap<String, Vec<Logged>> = BTreeMap::new();
    for p in &problems {
        if let Some(r) = &p.responsible_id {
            let h = handles.get(r).cloned().unwrap_or_else(|| "former member".into());
            by_member.entry(h).or_default().push(logged(p));
        }
        if !p.team.is_empty() {
            by_team.entry(p.team.clone()).or_default().push(logged(p));
        }
    }
    let all: Vec<Logged> = problems.iter().map(logged).collect();
    let (principles, projects) = choices_in(state, &org).await?;
    Ok(ProblemLog {
        org_slug: org.slug.clone(),
        org_name: org.name.clone(),
        problems: problems
            .iter()
            .map(|p| ProblemRow {
                id: p.id.clone(),
                title: p.title.clone(),
                severity: p.severity.clone(),
                state: p.state.clone(),
                domain: p.domain.clone(),
                responsible: p.responsible_id.as_ref().and_then(|r| handles.get(r).cloned()),
                team: p.team.clone(),
                created_at: p.created_at,
            })
            .collect(),
        overall: rules::metrics(&all),
        by_member: ranked(by_member),
        by_team: ranked(by_team),
        principles,
        projects,
    })
}

/// What a diagnosis and a resolution choose from: the organisation's published principles and
/// its projects, as (id, name).
async fn choices_in(state: &AppState, org: &Org) -> Result<(Vec<(String, String)>, Vec<(String, String)>), AppError> {
    let principles = state
        .store
        .learn_docs(&org.id, "")
        .await?
        .into_iter()
        .filter(|d| d.kind == "principle" && d.published)
        .map(|d| (d.id, d.title))
        .collect();
    let projects = state.store.work_projects(&org.id).await?.into_iter().map(|p| (p.id, p.name)).collect();
    Ok((principles, projects))
}

/// The principles and projects a problem's diagnosis and resolution choose from.
pub async fn choices(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), AppError> {
    let (_, org) = problem_of(state, caller, id).await?;
    choices_in(state, &org).await
}

async fn problem_of(state: &AppState, caller: &Caller, id: &str) -> Result<(Problem, Org), AppError> {
    let p = state.store.problem(id).await?.ok_or(AppError::NotFound("problem"))?;
    let org = org_by_id(state, caller, &p.org_id, "problem", Action::Ideas).await?;
    Ok((p, org))
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<ProblemView, AppError> {
    let (p, org) = problem_of(state, caller, id).await?;
    let handles = crate::learn::handles(state, &org.id).await?;
    let name = |id: &str| handles.get(id).cloned().unwrap_or_else(|| "former member".into());
    let comments = state.store.problem_comments(&p.id).await?.into_iter().map(|c| (name(&c.author_id), c)).collect();
    let root_cause = match &p.root_cause_doc_id {
        Some(d) => state.store.learn_doc(d).await?.map(|d| d.title),
        None => None,
    };
    let resolution_link = match (p.resolution_kind.as_deref(), &p.resolution_id) {
        (Some("task"), Some(id)) => Some(format!("/tasks/{id}")),
        (Some("proposal"), Some(id)) => Some(format!("/proposals/{id}")),
        _ => None,
    };
    let may_close = may_close(state, caller, &p, &org).await?;
    Ok(ProblemView {
        author: name(&p.author_id),
        responsible: p.responsible_id.as_deref().map(name),
        org_slug: org.slug,
        comments,
        root_cause,
        resolution_link,
        may_close,
        problem: p,
    })
}

async fn may_close(state: &AppState, caller: &Caller, p: &Problem, org: &Org) -> Result<bool, AppError> {
    let Caller::Member(me) = caller else { return Ok(false) };
    let id = &me.member.id;
    Ok(p.author_id == *id || p.responsible_id.as_ref() == Some(id) || crate::learn::is_steward(state, org, id).await?)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CommentInput {
    pub body: String,
}

/// Adds to the diagnosis thread.
pub async fn comment(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &CommentInput,
) -> Result<ProblemView, AppError> {
    let me = caller.require_member()?;
    let (p, _) = problem_of(state, caller, id).await?;
    let body = text("body", &input.body, 1, 4_000, true)?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.comment_problem(&p.id, &body).await?;
    tx.commit().await?;
    view(state, caller, id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DiagnoseInput {
    /// What caused it, in Markdown.
    pub diagnosis: String,
    /// An existing principle of the library named as the root cause…
    #[serde(default)]
    pub principle_id: String,
    /// …or a new principle: its statement (with `principle_example`).
    #[serde(default)]
    pub new_principle: String,
    /// The new principle's example: this problem, in a sentence.
    #[serde(default)]
    pub principle_example: String,
}

/// Records the diagnosis and the root cause, a principle (existing or written now).
pub async fn diagnose(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &DiagnoseInput,
) -> Result<ProblemView, AppError> {
    let me = caller.require_member()?;
    let (p, org) = problem_of(state, caller, id).await?;
    let mut v = Violations::default();
    let diagnosis = v.check(text("diagnosis", &input.diagnosis, 3, 8_000, true));
    let (existing, new) = (input.principle_id.trim(), input.new_principle.trim());
    if !existing.is_empty() && !new.is_empty() {
        v.0.push(Invalid::new("principle_id", "name an existing principle or write a new one, not both"));
    }
    if !existing.is_empty() {
        let doc = state.store.learn_doc(existing).await?;
        if doc.is_none_or(|d| d.org_id != org.id || d.kind != "principle" || !d.published) {
            v.0.push(Invalid::new("principle_id", "a published principle of this organisation's library"));
        }
    }
    v.into_result()?;
    let root = if !new.is_empty() {
        let doc = library::create(
            state,
            caller,
            &org.slug,
            &DocInput {
                kind: "principle".into(),
                title: new.to_owned(),
                body: diagnosis.clone().unwrap_or_default(),
                examples: if input.principle_example.trim().is_empty() {
                    format!("The problem “{}”.", p.title)
                } else {
                    input.principle_example.clone()
                },
                counter_examples: String::new(),
                domains: p.domain.clone(),
                tags: "issue-log".into(),
                draft: false,
            },
        )
        .await?;
        Some(doc.id)
    } else if !existing.is_empty() {
        Some(existing.to_owned())
    } else {
        None
    };
    let mut tx = state.store.write(&me.member.id).await?;
    tx.diagnose_problem(&p.id, &diagnosis.unwrap_or_default(), root.as_deref()).await?;
    if let Some(doc) = &root {
        tx.cite(doc, "problem", &p.id, "root cause").await?;
    }
    tx.commit().await?;
    view(state, caller, id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ResolutionInput {
    /// `task` (a task in one of the organisation's projects) or `proposal` (a draft decision).
    pub kind: String,
    /// For a task: the project it goes in.
    #[serde(default)]
    pub project_id: String,
    /// The task's or proposal's title (default: "Fix: " and the problem's title).
    #[serde(default)]
    pub title: String,
}

/// Turns the problem's resolution into a task or a draft proposal, linked both ways (once).
pub async fn resolve_with(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &ResolutionInput,
) -> Result<ProblemView, AppError> {
    let me = caller.require_member()?;
    let (p, org) = problem_of(state, caller, id).await?;
    if p.resolution_id.is_some() {
        return Err(AppError::Rule("this problem already has a resolution".into()));
    }
    let title = if input.title.trim().is_empty() { format!("Fix: {}", p.title) } else { input.title.trim().to_owned() };
    let title = text("title", &title, 3, 120, false)?;
    let body = format!(
        "Resolves the problem [{}](/problems/{}) ({}).\n\n{}\n\n**Diagnosis.** {}",
        p.title,
        p.id,
        p.severity,
        p.what_happened,
        if p.diagnosis.is_empty() { "not yet diagnosed" } else { &p.diagnosis }
    );
    let (kind, resolution) = match input.kind.trim() {
        "task" => {
            let project = state.store.work_project(input.project_id.trim()).await?;
            if project.as_ref().is_none_or(|pr| pr.org_id != org.id) {
                return Err(Invalid::new("project_id", "a project of this organisation").into());
            }
            let task = crate::work::tasks::create_task(
                state,
                caller,
                input.project_id.trim(),
                &crate::work::tasks::TaskInput {
                    title,
                    description: body,
                    domains: p.domain.clone(),
                    ..Default::default()
                },
            )
            .await?;
            ("task", task.task.id)
        }
        "proposal" => ("proposal", draft_decision(state, caller, &org, &title, &body, &p.domain).await?.id),
        _ => return Err(Invalid::new("kind", "a resolution is a task or a proposal").into()),
    };
    let mut tx = state.store.write(&me.member.id).await?;
    if let Err(e) = tx.set_problem_resolution(&p.id, kind, &resolution).await {
        // Another resolution won the race: withdraw the draft this one made.
        drop(tx);
        if kind == "proposal" {
            crate::governance::cancel(state, caller, &resolution).await?;
        }
        return Err(e.into());
    }
    tx.commit().await?;
    view(state, caller, id).await
}

/// Marks the problem resolved (its author, the member responsible or a steward).
pub async fn close(state: &AppState, caller: &Caller, id: &str) -> Result<ProblemView, AppError> {
    let me = caller.require_member()?;
    let (p, org) = problem_of(state, caller, id).await?;
    if !may_close(state, caller, &p, &org).await? {
        return Err(AppError::Denied(Denied::Forbidden(
            "only the problem's author, the member responsible or a steward closes it",
        )));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    tx.resolve_problem(&p.id).await?;
    tx.commit().await?;
    view(state, caller, id).await
}

/// Marks resolved the problems whose task is done or whose proposal passed and was carried out
/// (called by the scheduler); a failed proposal leaves its problem open.
pub async fn follow_resolutions(state: &AppState) -> Result<usize, AppError> {
    let mut resolved = 0;
    for p in state.store.problems_awaiting_resolution(200).await? {
        let Some(id) = &p.resolution_id else { continue };
        let done = match p.resolution_kind.as_deref() {
            Some("task") => state.store.work_task(id).await?.is_some_and(|t| t.status == "done"),
            Some("proposal") => matches!(crate::governance::decided(state, id).await?, Some((true, _))),
            _ => false,
        };
        if !done {
            continue;
        }
        let mut tx = state.store.write("scheduler").await?;
        match tx.resolve_problem(&p.id).await {
            Ok(()) => {
                tx.commit().await?;
                resolved += 1;
            }
            // Closed by hand meanwhile.
            Err(commune_store::StoreError::Rule(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(resolved)
}
