//! Worklogs and capacities: members log hours on tasks; a project's hours are reported per
//! period as CSV for invoicing, feed patronage as each member's hours for a year, and are paid
//! at the project's hourly rate from its organisation's wallet through the ledger (once: the
//! transfer id is derived from the worklogs it pays, and each worklog is marked paid by a
//! compare-and-set). Capacities are hours per week; the work in hand past them is an overload.

use super::tasks::{handles, money, task_of};
use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::movement::{Movement, authorize_debit, move_money};
use crate::payments::parties::{ledger_named, show_id};
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::ledger::export::{csv_field, date_of};
use commune_domain::ledger::payments::{Owner, Payer, derive_id, transfer_code};
use commune_domain::ledger::plan;
use commune_domain::validation::{Invalid, Violations, text};
use commune_domain::work::task::{self, MAX_LOG_MINUTES, Status};
use commune_store::{Org, TaskFilter, Worklog};
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct LogInput {
    /// Hours worked (e.g. `2` or `1.5`; more than 0, at most 24).
    pub hours: String,
    /// `YYYY-MM-DD` (default today); not in the future, at most a year back.
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub note: String,
}

/// Logs hours on a task (a member of its organisation; not on a dropped task).
pub async fn log_hours(
    state: &AppState,
    caller: &Caller,
    task_id: &str,
    input: &LogInput,
) -> Result<Worklog, AppError> {
    let me = caller.require_member()?;
    let (t, org) = task_of(state, caller, task_id, Action::DoWork).await?;
    if Status::parse(&t.status) == Some(Status::Dropped) {
        return Err(AppError::Rule("hours are not logged on a dropped task".into()));
    }
    let now = commune_store::now_ms();
    let today = now - now.rem_euclid(DAY_MS);
    let mut problems = Violations::default();
    let minutes = problems.check(task::hours("hours", &input.hours, MAX_LOG_MINUTES));
    let day = if input.day.trim().is_empty() {
        Some(today)
    } else {
        problems.check(task::day("day", &input.day).and_then(|d| {
            if d > today {
                Err(Invalid::new("day", "not in the future"))
            } else if d < today - 366 * DAY_MS {
                Err(Invalid::new("day", "at most a year back"))
            } else {
                Ok(d)
            }
        }))
    };
    let note = problems.check(text("note", &input.note, 0, 500, false));
    problems.into_result()?;
    let (Some(minutes), Some(day), Some(note)) = (minutes, day, note) else { unreachable!("validated") };
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.log_work(task_id, &org.id, &me.member.id, minutes, day, &note).await?;
    let at = tx.at_ms();
    tx.commit().await?;
    Ok(Worklog {
        id,
        task_id: task_id.to_owned(),
        org_id: org.id,
        member_id: me.member.id.clone(),
        minutes,
        day,
        note,
        at,
        paid_transfer: None,
    })
}

/// A period for reports: `from` and `to` as `YYYY-MM-DD`, both inclusive (default: this month
/// so far).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct PeriodQuery {
    pub project: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn period(query: &PeriodQuery) -> Result<(i64, i64), AppError> {
    let now = commune_store::now_ms();
    let today = now - now.rem_euclid(DAY_MS);
    let month_start = task::day("from", &format!("{}-01", &date_of(today)[..7]))?;
    let pick = |raw: &Option<String>, field, default| match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => task::day(field, s),
        None => Ok(default),
    };
    let mut problems = Violations::default();
    let from = problems.check(pick(&query.from, "from", month_start));
    let to = problems.check(pick(&query.to, "to", today));
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        problems.0.push(Invalid::new("to", "the period ends on or after it starts"));
    }
    problems.into_result()?;
    Ok((from.unwrap_or(month_start), to.unwrap_or(today) + DAY_MS))
}

/// The worklog report of an organisation (or one project) for a period, as CSV:
/// `date,project,task,member,hours,note,paid`.
pub async fn worklog_csv(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    query: &PeriodQuery,
) -> Result<String, AppError> {
    let org = org_for(state, caller, slug, Action::ReadWork).await?;
    let (from, to) = period(query)?;
    let project = query.project.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let logs = state.store.worklogs(&org.id, project, from, to).await?;
    let names = handles(state, &org.id).await?;
    let tasks = state.store.work_tasks(&TaskFilter { org_id: &org.id, ..TaskFilter::default() }).await?;
    let projects: BTreeMap<String, String> =
        state.store.work_projects(&org.id).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let mut out = String::from("date,project,task,member,hours,note,paid\n");
    let mut total = 0;
    for log in &logs {
        let t = tasks.iter().find(|t| t.id == log.task_id);
        let project = t.and_then(|t| projects.get(&t.project_id)).map(String::as_str).unwrap_or("");
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            date_of(log.day),
            csv_field(project),
            csv_field(t.map(|t| t.title.as_str()).unwrap_or("")),
            csv_field(names.get(&log.member_id).map(String::as_str).unwrap_or(&log.member_id)),
            task::hours_text(log.minutes),
            csv_field(&log.note),
            if log.paid_transfer.is_some() { "yes" } else { "no" }
        ));
        total += log.minutes;
    }
    out.push_str(&format!("total,,,,{},,\n", task::hours_text(total)));
    Ok(out)
}

/// Each member's logged hours in an organisation for a calendar year: the patronage basis.
pub async fn hours_for_year(state: &AppState, org: &Org, year: i32) -> Result<Vec<(String, u64)>, AppError> {
    let from = task::day("year", &format!("{year:04}-01-01"))?;
    let to = task::day("year", &format!("{:04}-01-01", year + 1))?;
    let names = handles(state, &org.id).await?;
    let mut by: BTreeMap<String, i64> = BTreeMap::new();
    for log in state.store.worklogs(&org.id, None, from, to).await? {
        *by.entry(names.get(&log.member_id).cloned().unwrap_or(log.member_id)).or_default() += log.minutes;
    }
    Ok(by.into_iter().map(|(h, m)| (h, u64::try_from((m + 30) / 60).unwrap_or(0))).filter(|(_, h)| *h > 0).collect())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Payout {
    pub handle: String,
    pub hours: String,
    pub amount: String,
    pub transfer_id: String,
    pub worklogs: usize,
}

/// Pays a project's unpaid hours at its hourly rate from its organisation's wallet (stewards).
pub async fn pay_worklogs(state: &AppState, caller: &Caller, project_id: &str) -> Result<Vec<Payout>, AppError> {
    let me = caller.require_member()?;
    let project = state.store.work_project(project_id).await?.ok_or(AppError::NotFound("project"))?;
    let org = state.store.org_by_id(&project.org_id).await?.ok_or(AppError::NotFound("project"))?;
    caller.authorize(state, Some(&org), Action::ManageWork).await?;
    if project.hourly_rate_minor <= 0 {
        return Err(AppError::Rule("this project has no hourly rate: its hours are not paid".into()));
    }
    if org.is_root {
        return Err(AppError::Rule(
            "the commune's pot moves only by passed proposals: pay its hours through an expense".into(),
        ));
    }
    let ledger = ledger_named(state, None).await?;
    let names = handles(state, &org.id).await?;
    let logs = state.store.worklogs(&org.id, Some(project_id), 0, i64::MAX).await?;
    let mut by: BTreeMap<String, Vec<Worklog>> = BTreeMap::new();
    for log in logs.into_iter().filter(|l| l.paid_transfer.is_none()) {
        by.entry(log.member_id.clone()).or_default().push(log);
    }
    let from = Owner::Org(org.id.clone());
    let right = authorize_debit(&Payer::Worklogs, &from)?;
    let mut out = Vec::new();
    for (member, logs) in by {
        let minutes: i64 = logs.iter().map(|l| l.minutes).sum();
        let amount = u64::try_from(i128::from(minutes) * i128::from(project.hourly_rate_minor) / 60).unwrap_or(0);
        if amount == 0 {
            continue;
        }
        let mut ids: Vec<String> = logs.iter().map(|l| l.id.clone()).collect();
        ids.sort();
        let key: Vec<&str> =
            ["wages", project_id, member.as_str()].into_iter().chain(ids.iter().map(String::as_str)).collect();
        let id = derive_id(&key);
        let handle = names.get(&member).cloned().unwrap_or_default();
        let movement = Movement {
            what: plan::Movement {
                id,
                from: from.clone(),
                to: Owner::Member(member.clone()),
                amount,
                ledger: ledger.id,
                code: transfer_code::WAGES,
                hold_timeout_s: None,
                payee_is_business: false,
            },
            ledger: ledger.clone(),
            memo: format!("{} hours on {}", task::hours_text(minutes), project.name),
            settles: None,
        };
        move_money(state, &me.member.id, movement, &right).await?;
        let mut tx = state.store.write(&me.member.id).await?;
        let marked = tx.mark_worklogs_paid(&ids, &show_id(id)).await?;
        tx.commit().await?;
        out.push(Payout {
            handle,
            hours: task::hours_text(minutes),
            amount: money(i64::try_from(amount).unwrap_or(i64::MAX), ledger.scale),
            transfer_id: show_id(id),
            worklogs: marked.len(),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CapacityInput {
    /// Hours a week you can give (0 to 80; 0 means not available).
    pub hours_per_week: String,
    /// Task ids in order of preference, for the stable matching (optional).
    #[serde(default)]
    pub preferences: Vec<String>,
    /// A steward may set another member's capacity (their handle).
    pub member: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Load {
    pub handle: String,
    pub capacity_hours: String,
    /// Estimated hours of their assigned and in-progress tasks.
    pub committed_hours: String,
    pub overloaded: bool,
    pub preferences: Vec<String>,
}

/// Sets a member's weekly capacity and preferences in an organisation.
pub async fn set_capacity(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &CapacityInput,
) -> Result<Load, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::DoWork).await?;
    let member_id = match input.member.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) if h.trim_start_matches('@') != me.member.handle => {
            caller.authorize(state, Some(&org), Action::ManageWork).await?;
            let m = state.store.member_by_handle(h.trim_start_matches('@')).await?;
            match m {
                Some(m) if state.store.role_in(&org.id, &m.id).await?.is_some() => m.id,
                _ => {
                    return Err(Invalid::new(
                        "member",
                        format!("@{} is not a member of {}", h.trim_start_matches('@'), org.name),
                    )
                    .into());
                }
            }
        }
        _ => me.member.id.clone(),
    };
    let raw = input.hours_per_week.trim();
    let minutes =
        if raw == "0" || raw == "0.0" || raw == "0.00" { 0 } else { task::hours("hours_per_week", raw, 80 * 60)? };
    if input.preferences.len() > 50 {
        return Err(Invalid::new("preferences", "at most 50 tasks").into());
    }
    let open =
        state.store.work_tasks(&TaskFilter { org_id: &org.id, status: Some("open"), ..TaskFilter::default() }).await?;
    let mut prefs: Vec<String> = Vec::new();
    for p in &input.preferences {
        let p = p.trim();
        if !open.iter().any(|t| t.id == p) {
            return Err(Invalid::new("preferences", format!("'{p}' is not an open task of {}", org.name)).into());
        }
        if !prefs.iter().any(|x| x == p) {
            prefs.push(p.to_owned());
        }
    }
    let mut tx = state.store.write(&me.member.id).await?;
    tx.set_capacity(&org.id, &member_id, minutes, &prefs).await?;
    tx.commit().await?;
    let handle = handles(state, &org.id).await?.remove(&member_id);
    loads(state, &org)
        .await?
        .into_iter()
        .find(|l| Some(&l.handle) == handle.as_ref())
        .ok_or(AppError::NotFound("member"))
}

/// Every member's capacity and committed hours (members without a stated capacity count 0).
pub async fn loads(state: &AppState, org: &Org) -> Result<Vec<Load>, AppError> {
    let names = handles(state, &org.id).await?;
    let capacities = state.store.work_capacities(&org.id).await?;
    let tasks = state.store.work_tasks(&TaskFilter { org_id: &org.id, ..TaskFilter::default() }).await?;
    let mut out: Vec<Load> = names
        .iter()
        .map(|(id, handle)| {
            let cap = capacities.iter().find(|c| &c.member_id == id);
            let capacity = cap.map_or(0, |c| c.minutes_per_week);
            let committed: i64 = tasks
                .iter()
                .filter(|t| t.doer_id.as_ref() == Some(id) && (t.status == "assigned" || t.status == "in_progress"))
                .map(|t| t.effort_minutes)
                .sum();
            Load {
                handle: handle.clone(),
                capacity_hours: task::hours_text(capacity),
                committed_hours: task::hours_text(committed),
                overloaded: task::overloaded(committed, capacity),
                preferences: cap.map(|c| c.preferences.clone()).unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.handle.cmp(&b.handle));
    Ok(out)
}

pub async fn capacity_page(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<Load>), AppError> {
    let org = org_for(state, caller, slug, Action::ReadWork).await?;
    let loads = loads(state, &org).await?;
    Ok((org, loads))
}
