//! Learned matching of people and problems. Every reviewed outcome updates the member's skill
//! posterior in the task's domains (`domain::work::skill`); from it come P(success) for any
//! member on any task, recommendations (people for a task, tasks for a member) by expected
//! value, a Thompson-sampled pick, and the period's global assignment (a min-cost flow within
//! capacities, or the stable matching of stated preferences). Every randomised choice is logged
//! with its propensity. Outcomes are also performance evidence for believability
//! ([`WorkEvidence`], the `PerformanceEvidence` plug-in).

use super::logs::loads;
use super::tasks::{handles, task_of};
use crate::caller::Caller;
use crate::error::AppError;
use crate::plugins::{BoxFuture, Evidence, PerformanceEvidence};
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::work::recommend::{self, Candidate, Capacity, EXPLORATION, Ranked, TaskFacts};
use commune_domain::work::skill::{self, Outcome, Skill};
use commune_domain::work::stable;
use commune_domain::work::task::{self, Review};
use commune_store::{Org, Store, Task, TaskFilter, WorkChoice};
use std::collections::{BTreeMap, HashMap};

/// Task outcomes as evidence for believability: one item per domain of each reviewed task, the
/// review's score on the 1–10 scale (`Review::evidence_score`), from the pseudo-rater `work`.
pub struct WorkEvidence;

impl PerformanceEvidence for WorkEvidence {
    fn evidence<'a>(&'a self, store: &'a Store) -> BoxFuture<'a, Result<Vec<Evidence>, AppError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for o in store.work_outcomes().await? {
                let score = Review { success: o.review.success, quality: o.review.quality, on_time: o.review.on_time }
                    .evidence_score();
                for d in &o.domains {
                    out.push(("work".to_owned(), o.review.doer_id.clone(), d.clone(), score, o.review.at));
                }
            }
            // Forecasting track records per domain count too (see learn::forecasting).
            for org in store.list_orgs().await? {
                out.extend(crate::learn::forecasting::evidence_in(store, &org.id).await?);
            }
            Ok(out)
        })
    }
}

/// Skill posteriors of every member with outcomes: (member id, domain) → skill.
pub async fn skills(state: &AppState) -> Result<HashMap<(String, String), Skill>, AppError> {
    let mut seen: HashMap<(String, String), Vec<Outcome>> = HashMap::new();
    for o in state.store.work_outcomes().await? {
        for d in &o.domains {
            seen.entry((o.review.doer_id.clone(), d.clone()))
                .or_default()
                .push(Outcome { difficulty: o.difficulty, success: o.review.success });
        }
    }
    // Every graded exercise is an outcome too (a course's exercises are of difficulty 2).
    for org in state.store.list_orgs().await? {
        for a in state.store.learn_outcomes(&org.id).await? {
            if let Some(correct) = a.correct {
                seen.entry((a.member_id.clone(), a.skill.clone()))
                    .or_default()
                    .push(Outcome { difficulty: 2, success: correct });
            }
        }
    }
    Ok(seen.into_iter().map(|(k, v)| (k, skill::posterior(&v))).collect())
}

fn skill_for(skills: &HashMap<(String, String), Skill>, member: &str, domains: &[String]) -> Skill {
    let per: Vec<Skill> =
        domains.iter().map(|d| skills.get(&(member.to_owned(), d.clone())).copied().unwrap_or(Skill::PRIOR)).collect();
    skill::combine(&per)
}

async fn impact_value(state: &AppState, org: &Org) -> Result<f64, AppError> {
    Ok(crate::policy::of_org(&state.store, &org.id).await?.get("work_impact_value"))
}

async fn facts_of(state: &AppState, org: &Org, tasks: &[Task]) -> Result<Vec<TaskFacts>, AppError> {
    let impact: HashMap<String, (i64, i64)> =
        state.store.work_impact(&org.id).await?.into_iter().map(|(t, s, n)| (t, (s, n))).collect();
    let scale = crate::payments::parties::ledger_named(state, None).await?.scale;
    Ok(tasks
        .iter()
        .map(|t| {
            let (sum, n) = impact.get(&t.id).copied().unwrap_or((0, 0));
            TaskFacts {
                id: t.id.clone(),
                difficulty: t.difficulty,
                value: t.value_minor as f64 / 10f64.powi(scale as i32),
                impact: if n > 0 { sum as f64 / n as f64 } else { 0.0 },
                impact_votes: usize::try_from(n).unwrap_or(0),
                effort_minutes: t.effort_minutes,
                seats: usize::try_from(t.seats).unwrap_or(1),
            }
        })
        .collect())
}

/// One member's skills, per domain with outcomes (for their card and "my work").
pub async fn member_skills(state: &AppState, member_id: &str) -> Result<Vec<(String, Skill, f64)>, AppError> {
    let mut out: Vec<(String, Skill, f64)> = skills(state)
        .await?
        .into_iter()
        .filter(|((m, _), _)| m == member_id)
        .map(|((_, d), s)| (d, s, skill::p_success(s, 3).0))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    #[schema(value_type = Object)]
    pub ranked: Ranked,
    /// The member's handle (for people) or the task's title (for tasks).
    pub name: String,
    /// For people: hours of work in hand and their weekly capacity.
    pub load: Option<(String, String, bool)>,
}

/// The best-suited people for a task (members of its organisation, not its reviewer), by
/// expected value, and a Thompson-sampled pick with its propensity.
pub async fn people_for(
    state: &AppState,
    caller: &Caller,
    task_id: &str,
) -> Result<(Vec<Suggestion>, Option<recommend::Pick>), AppError> {
    let (t, org) = task_of(state, caller, task_id, Action::ReadWork).await?;
    let names = handles(state, &org.id).await?;
    let skills = skills(state).await?;
    let facts = facts_of(state, &org, std::slice::from_ref(&t)).await?.remove(0);
    let loads: HashMap<String, (String, String, bool)> = loads(state, &org)
        .await?
        .into_iter()
        .map(|l| (l.handle.clone(), (l.committed_hours, l.capacity_hours, l.overloaded)))
        .collect();
    let candidates: Vec<Candidate> = names
        .keys()
        .filter(|id| t.reviewer_id.as_ref() != Some(*id))
        .map(|id| Candidate { member_id: id.clone(), skill: skill_for(&skills, id, &t.domains) })
        .collect();
    let value = impact_value(state, &org).await?;
    let ranked = recommend::rank_people(&facts, &candidates, value);
    let seed = seed_of(&[task_id, &commune_store::now_ms().to_string()]);
    let pick = recommend::thompson_pick(&facts, &candidates, EXPLORATION, seed).map(|mut p| {
        p.member_id = names.get(&p.member_id).cloned().unwrap_or_default();
        p
    });
    let out = ranked
        .into_iter()
        .take(12)
        .map(|r| {
            let name = names.get(&r.id).cloned().unwrap_or_default();
            Suggestion { load: loads.get(&name).cloned(), name, ranked: r }
        })
        .collect();
    Ok((out, pick))
}

fn seed_of(parts: &[&str]) -> u64 {
    let id = commune_domain::ledger::payments::derive_id(parts);
    (id as u64) ^ ((id >> 64) as u64)
}

/// Open tasks a member is likely to do well and that matter, across their organisations.
pub async fn tasks_for(state: &AppState, caller: &Caller) -> Result<Vec<(Org, Suggestion)>, AppError> {
    let me = caller.require_member()?;
    let skills = skills(state).await?;
    let mut out = Vec::new();
    for m in state.store.memberships_of(&me.member.id).await? {
        let tasks = state
            .store
            .work_tasks(&TaskFilter { org_id: &m.org.id, status: Some("open"), ..TaskFilter::default() })
            .await?;
        if tasks.is_empty() {
            continue;
        }
        let facts = facts_of(state, &m.org, &tasks).await?;
        let value = impact_value(state, &m.org).await?;
        let pairs: Vec<(TaskFacts, Skill)> =
            facts.into_iter().zip(&tasks).map(|(f, t)| (f, skill_for(&skills, &me.member.id, &t.domains))).collect();
        for r in recommend::rank_tasks(&pairs, value) {
            let name = tasks.iter().find(|t| t.id == r.id).map(|t| t.title.clone()).unwrap_or_default();
            out.push((m.org.clone(), Suggestion { ranked: r, name, load: None }));
        }
    }
    out.sort_by(|a, b| b.1.ranked.expected_value.total_cmp(&a.1.ranked.expected_value));
    out.truncate(12);
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    /// `thompson` (default: the flow within capacities, abilities drawn from their posteriors)
    /// or `stable` (members' stated preferences, deferred acceptance with members proposing).
    #[serde(default)]
    pub rule: String,
    /// Assign the plan's pairs (otherwise a preview).
    #[serde(default)]
    pub apply: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlannedTask {
    pub task_id: String,
    pub title: String,
    pub member: String,
    pub p: f64,
    pub propensity: f64,
    pub why: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub plan_id: String,
    pub rule: String,
    pub applied: bool,
    pub pairs: Vec<PlannedTask>,
    /// Open tasks the plan left unassigned.
    pub unassigned: usize,
    /// Blocking pairs of the stable matching (always 0 for `stable`).
    pub blocking_pairs: usize,
}

/// The period's assignment of open tasks to members within their remaining weekly hours
/// (stewards; preview or apply). Applying assigns each pair (compare-and-set: a task someone
/// took meanwhile is skipped) and logs every choice with its propensity.
pub async fn plan(state: &AppState, caller: &Caller, slug: &str, input: &PlanInput) -> Result<Plan, AppError> {
    let org = org_for(state, caller, slug, Action::ManageWork).await?;
    let me = caller.require_member()?;
    let rule = match input.rule.trim() {
        "" | "thompson" => "thompson",
        "stable" => "stable",
        other => {
            return Err(
                commune_domain::Invalid::new("rule", format!("unknown rule '{other}': thompson or stable")).into()
            );
        }
    };
    let names = handles(state, &org.id).await?;
    let all = state.store.work_tasks(&TaskFilter { org_id: &org.id, ..TaskFilter::default() }).await?;
    let tasks: Vec<Task> = all.iter().filter(|t| t.status == "open").cloned().collect();
    let capacities = state.store.work_capacities(&org.id).await?;
    let people: Vec<Capacity> = capacities
        .iter()
        .filter(|c| names.contains_key(&c.member_id))
        .map(|c| {
            let committed: i64 = all
                .iter()
                .filter(|t| {
                    t.doer_id.as_ref() == Some(&c.member_id) && (t.status == "assigned" || t.status == "in_progress")
                })
                .map(|t| t.effort_minutes)
                .sum();
            Capacity { member_id: c.member_id.clone(), minutes: (c.minutes_per_week - committed).max(0) }
        })
        .filter(|c| c.minutes > 0)
        .collect();
    let skills = skills(state).await?;
    let facts = facts_of(state, &org, &tasks).await?;
    let value = impact_value(state, &org).await?;
    let plan_id = commune_store::new_id();
    let seed = seed_of(&[&plan_id]);
    let nt = tasks.len();
    let grid: Vec<Option<Skill>> = people
        .iter()
        .flat_map(|p| tasks.iter().map(move |t| (p, t)))
        .map(|(p, t)| {
            (t.reviewer_id.as_ref() != Some(&p.member_id)).then(|| skill_for(&skills, &p.member_id, &t.domains))
        })
        .collect();
    let mut pairs: Vec<(usize, usize, f64, f64)> = Vec::new();
    let mut blocking = 0;
    if rule == "thompson" {
        for p in
            recommend::thompson_plan(&people, &facts, &grid, value, EXPLORATION, seed, recommend::PLAN_REPLICATIONS)
        {
            pairs.push((p.person, p.task, p.sampled_p, p.propensity));
        }
    } else {
        // Tasks rank people by expected value; people rank tasks as they stated.
        let stable_people: Vec<stable::Person> = people
            .iter()
            .map(|p| stable::Person {
                id: p.member_id.clone(),
                preferences: capacities
                    .iter()
                    .find(|c| c.member_id == p.member_id)
                    .map(|c| c.preferences.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let stable_tasks: Vec<stable::Task> = tasks
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let candidates: Vec<Candidate> = people
                    .iter()
                    .enumerate()
                    .filter(|(pi, p)| grid[pi * nt + k].is_some() && t.effort_minutes <= p.minutes)
                    .map(|(pi, p)| Candidate {
                        member_id: p.member_id.clone(),
                        skill: grid[pi * nt + k].unwrap_or(Skill::PRIOR),
                    })
                    .collect();
                let ranked = recommend::rank_people(&facts[k], &candidates, value);
                stable::Task {
                    id: t.id.clone(),
                    capacity: facts[k].seats,
                    preferences: ranked.into_iter().map(|r| r.id).collect(),
                }
            })
            .collect();
        let matching = stable::deferred_acceptance(&stable_people, &stable_tasks);
        blocking = stable::blocking_pairs(&stable_people, &stable_tasks, &matching).len();
        for (k, t) in tasks.iter().enumerate() {
            for m in &matching[&t.id] {
                if let Some(pi) = people.iter().position(|p| &p.member_id == m) {
                    let p = skill::p_success(grid[pi * nt + k].unwrap_or(Skill::PRIOR), t.difficulty).0;
                    pairs.push((pi, k, p, 1.0));
                }
            }
        }
    }
    let planned: Vec<PlannedTask> = pairs
        .iter()
        .map(|&(pi, k, p, propensity)| {
            let s = grid[pi * nt + k].unwrap_or(Skill::PRIOR);
            let (mean_p, lo, hi) = skill::p_success(s, tasks[k].difficulty);
            let why = format!(
                "{:.0}% likely to succeed ({:.0}–{:.0}%, {} reviewed outcome{} in {}), {} h of {} h left this week; {}",
                mean_p * 100.0,
                lo * 100.0,
                hi * 100.0,
                s.outcomes,
                if s.outcomes == 1 { "" } else { "s" },
                if tasks[k].domains.is_empty() { "any domain".to_owned() } else { tasks[k].domains.join(", ") },
                task::hours_text(tasks[k].effort_minutes),
                task::hours_text(people[pi].minutes),
                if rule == "stable" {
                    "matched by stated preferences (stable: nobody and no task would both rather swap)".to_owned()
                } else {
                    format!("drawn by Thompson sampling, chosen in {:.0}% of re-draws", propensity * 100.0)
                }
            );
            PlannedTask {
                task_id: tasks[k].id.clone(),
                title: tasks[k].title.clone(),
                member: names.get(&people[pi].member_id).cloned().unwrap_or_default(),
                p,
                propensity,
                why,
            }
        })
        .collect();
    let assigned_tasks: std::collections::HashSet<&str> = planned.iter().map(|p| p.task_id.as_str()).collect();
    let unassigned = tasks.len() - assigned_tasks.len();
    if input.apply {
        let mut tx = state.store.write(&me.member.id).await?;
        let at = tx.at_ms();
        let mut choices = Vec::new();
        // One doer per task on the board: the first planned person takes it.
        let mut given: BTreeMap<&str, ()> = BTreeMap::new();
        for (p, &(pi, k, ..)) in planned.iter().zip(&pairs) {
            if given.insert(p.task_id.as_str(), ()).is_some() {
                continue;
            }
            let member = &people[pi].member_id;
            if tasks[k].reviewer_id.as_ref() == Some(member) {
                continue;
            }
            let detail = format!("to @{} by the {rule} plan", p.member);
            if tx
                .move_task(&p.task_id, "open", "assigned", Some(member), tasks[k].reviewer_id.as_deref(), &detail)
                .await?
            {
                choices.push(WorkChoice {
                    plan_id: plan_id.clone(),
                    task_id: p.task_id.clone(),
                    member_id: member.clone(),
                    rule: rule.to_owned(),
                    propensity_ppm: (p.propensity * 1e6).round() as i64,
                    p_ppm: (p.p * 1e6).round() as i64,
                    why: p.why.clone(),
                    at,
                });
            }
        }
        tx.record_choices(&org.id, &plan_id, &choices).await?;
        tx.commit().await?;
    }
    Ok(Plan {
        plan_id,
        rule: rule.to_owned(),
        applied: input.apply,
        pairs: planned,
        unassigned,
        blocking_pairs: blocking,
    })
}

/// Why a member was matched: their logged choices in an organisation (newest first).
pub async fn why_matched(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<WorkChoice>, AppError> {
    let org = org_for(state, caller, slug, Action::ReadWork).await?;
    let me = caller.member().map(|m| m.member.id.clone());
    Ok(state.store.work_choices(&org.id, me.as_deref()).await?)
}

/// Every logged choice of an organisation with its propensity (for offline evaluation).
pub async fn choices(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<WorkChoice>, AppError> {
    let org = org_for(state, caller, slug, Action::ReadWork).await?;
    Ok(state.store.work_choices(&org.id, None).await?)
}
