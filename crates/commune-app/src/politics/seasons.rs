//! Seasons: stewards open one (dates and the goal everyone shares) and record challenges
//! between two chapters; members watch the leaderboard of chapters and countries; when the
//! season is over the scheduler freezes its results once, and `commune verify` recomputes them.
//!
//! What each chapter gave is read from history that does not change afterwards: posted funnel
//! transfers in the first ledger (a business belongs to the chapter whose place holds its own),
//! tasks members first finished and their impact scores (replayed from the audit log), skills they mastered (replaying graded attempts), ballots they
//! cast, businesses founded in the chapter's place. A chapter's members, and every
//! organisation's place, are replayed from the audit log up to the season's end. A member of
//! two chapters counts in both.

use super::commune_for;
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::audit::Entry;
use commune_domain::authz::Action;
use commune_domain::ideas::analytics::{DAY_MS, day_label, parse_day};
use commune_domain::learn::practice::{Graded, first_mastered_at};
use commune_domain::ledger::payments::transfer_code;
use commune_domain::org::OrgKind;
use commune_domain::politics::places::{self, PlaceCode};
use commune_domain::politics::season::{
    self as rules, ChallengeOutcome, Given, Goal, Measure, Pledge, Results, Team, Weights,
};
use commune_domain::validation::{Invalid, Violations, text};
use commune_store::{ChallengeRow, SeasonRow, Store};
use std::collections::{BTreeMap, BTreeSet};

/// The most challenges one season may hold.
pub const MAX_CHALLENGES: usize = 200;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SeasonInput {
    pub name: String,
    /// `YYYY-MM-DD`, the first day.
    pub starts_on: String,
    /// `YYYY-MM-DD`, the last day (7 to 366 days after the first).
    pub ends_on: String,
    /// The goal everyone shares, in words ("€50,000 to the pot together").
    pub goal: String,
    /// The measure the goal sums over every chapter: `revenue`, `impact`, `lessons`,
    /// `participation` or `coops`.
    pub goal_measure: String,
    /// The target of that sum (minor units for revenue, thousandths of a point for impact).
    pub goal_target: u64,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ChallengeInput {
    pub measure: String,
    /// The chapters' slugs and what each pledges to give this season.
    pub chapter_a: String,
    pub target_a: u64,
    pub chapter_b: String,
    pub target_b: u64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SeasonSummary {
    pub id: String,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    /// `upcoming`, `live` or `finished`.
    pub state: String,
    pub goal: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ChallengeView {
    pub id: String,
    pub measure: String,
    pub measure_label: String,
    pub chapter_a: String,
    pub chapter_a_name: String,
    pub target_a: u64,
    pub given_a: u64,
    pub chapter_b: String,
    pub chapter_b_name: String,
    pub target_b: u64,
    pub given_b: u64,
    /// `running`, `both_won` or `neither_won`.
    pub outcome: String,
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SeasonView {
    #[serde(flatten)]
    pub summary: SeasonSummary,
    pub goal_measure: String,
    pub goal_measure_label: String,
    /// Live standings while the season runs; the frozen ones after.
    #[schema(value_type = Object)]
    pub results: Results,
    /// Chapter slugs by id, for links.
    pub slugs: BTreeMap<String, String>,
    pub challenges: Vec<ChallengeView>,
    /// The five measures in order: (key, label, weight policy).
    pub measures: Vec<(String, String, String)>,
    pub frozen: bool,
}

fn state_of(s: &SeasonRow, today: i64) -> &'static str {
    if s.results.is_some() || today > s.ends_day {
        "finished"
    } else if today < s.starts_day {
        "upcoming"
    } else {
        "live"
    }
}

fn summary(s: &SeasonRow, today: i64) -> SeasonSummary {
    SeasonSummary {
        id: s.id.clone(),
        name: s.name.clone(),
        starts_on: day_label(s.starts_day),
        ends_on: day_label(s.ends_day),
        state: state_of(s, today).to_owned(),
        goal: s.goal.clone(),
    }
}

/// A season's summary as of today.
pub fn summary_of(s: &SeasonRow) -> SeasonSummary {
    summary(s, today())
}

fn today() -> i64 {
    commune_store::now_ms().div_euclid(DAY_MS)
}

pub async fn create(state: &AppState, caller: &Caller, input: &SeasonInput) -> Result<SeasonSummary, AppError> {
    commune_for(state, caller, Action::ManagePolitics).await?;
    let me = caller.require_member()?;
    let mut v = Violations::default();
    let starts = v.check(parse_day("starts_on", &input.starts_on));
    let ends = v.check(parse_day("ends_on", &input.ends_on));
    let goal = v.check(text("goal", &input.goal, 3, 200, false));
    let measure = v.check(Measure::parse("goal_measure", &input.goal_measure));
    let target = v.check(i64::try_from(input.goal_target).map_err(|_| Invalid::new("goal_target", "too large")));
    v.into_result()?;
    let (Some(starts), Some(ends), Some(goal), Some(measure), Some(target)) = (starts, ends, goal, measure, target)
    else {
        unreachable!("every field was checked")
    };
    let name = rules::check_season(&input.name, starts, ends, input.goal_target)?;
    let row = SeasonRow {
        id: String::new(),
        name,
        starts_day: starts,
        ends_day: ends,
        goal,
        goal_measure: measure.as_str().to_owned(),
        goal_target: target,
        created_by: me.member.id.clone(),
        created_at: 0,
        results: None,
        finished_at: None,
    };
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.create_season(&row).await?;
    tx.commit().await?;
    let stored = state.store.season(&id).await?.ok_or(AppError::NotFound("season"))?;
    Ok(summary(&stored, today()))
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<SeasonSummary>, AppError> {
    commune_for(state, caller, Action::ReadProposals).await?;
    let today = today();
    Ok(state.store.seasons().await?.iter().map(|s| summary(s, today)).collect())
}

async fn chapter(state: &AppState, field: &'static str, slug: &str) -> Result<commune_store::Org, AppError> {
    match state.store.org_by_slug(&slug.trim().to_ascii_lowercase()).await? {
        Some(org) if org.kind == OrgKind::Chapter => Ok(org),
        _ => Err(Invalid::new(field, format!("'{}' is not a chapter", slug.trim())).into()),
    }
}

/// Records a challenge: two chapters each pledge a target of one measure for the season.
pub async fn challenge(
    state: &AppState,
    caller: &Caller,
    season_id: &str,
    input: &ChallengeInput,
) -> Result<ChallengeView, AppError> {
    commune_for(state, caller, Action::ManagePolitics).await?;
    let me = caller.require_member()?;
    let season = state.store.season(season_id).await?.ok_or(AppError::NotFound("season"))?;
    if state_of(&season, today()) == "finished" {
        return Err(AppError::Rule("this season is over; challenge each other in the next one".into()));
    }
    let measure = Measure::parse("measure", &input.measure)?;
    let a = chapter(state, "chapter_a", &input.chapter_a).await?;
    let b = chapter(state, "chapter_b", &input.chapter_b).await?;
    if a.id == b.id {
        return Err(Invalid::new("chapter_b", "a challenge is between two different chapters").into());
    }
    let target = |field: &'static str, t: u64| {
        i64::try_from(t).ok().filter(|t| *t > 0).ok_or_else(|| Invalid::new(field, "a positive target"))
    };
    let (target_a, target_b) = (target("target_a", input.target_a)?, target("target_b", input.target_b)?);
    let note = text("note", &input.note, 0, 200, false)?;
    if state.store.challenges(season_id).await?.len() >= MAX_CHALLENGES {
        return Err(AppError::Rule(format!("a season holds at most {MAX_CHALLENGES} challenges")));
    }
    let row = ChallengeRow {
        id: String::new(),
        season_id: season.id.clone(),
        measure: measure.as_str().to_owned(),
        chapter_a: a.id,
        target_a,
        chapter_b: b.id,
        target_b,
        note,
        created_at: 0,
    };
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.add_challenge(&row).await?;
    tx.commit().await?;
    let view = view(state, caller, season_id).await?;
    view.challenges.into_iter().find(|c| c.id == id).ok_or(AppError::NotFound("challenge"))
}

/// A season's leaderboard, goal and challenges.
pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<SeasonView, AppError> {
    commune_for(state, caller, Action::ReadProposals).await?;
    let season = state.store.season(id).await?.ok_or(AppError::NotFound("season"))?;
    let today = today();
    let (results, frozen) = (standings(state, &season).await?, season.results.is_some());
    let orgs = state.store.list_orgs().await?;
    let slugs: BTreeMap<String, String> = orgs.iter().map(|o| (o.id.clone(), o.slug.clone())).collect();
    let names: BTreeMap<&str, &str> = orgs.iter().map(|o| (o.id.as_str(), o.name.as_str())).collect();
    let given = |chapter: &str| results.chapters.iter().find(|s| s.id == chapter).map(|s| s.given).unwrap_or_default();
    let over = state_of(&season, today) == "finished";
    let challenges = state
        .store
        .challenges(id)
        .await?
        .into_iter()
        .map(|c| {
            let measure = Measure::parse("measure", &c.measure).unwrap_or(Measure::Revenue);
            let pa = Pledge { chapter_id: c.chapter_a.clone(), target: c.target_a.max(0) as u64 };
            let pb = Pledge { chapter_id: c.chapter_b.clone(), target: c.target_b.max(0) as u64 };
            let (amounts, outcome) = rules::challenge(measure, [&pa, &pb], given, over);
            ChallengeView {
                id: c.id,
                measure: measure.as_str().to_owned(),
                measure_label: measure.label().to_owned(),
                chapter_a_name: names.get(c.chapter_a.as_str()).copied().unwrap_or("a former chapter").to_owned(),
                chapter_a: slugs.get(&c.chapter_a).cloned().unwrap_or_default(),
                target_a: pa.target,
                given_a: amounts[0],
                chapter_b_name: names.get(c.chapter_b.as_str()).copied().unwrap_or("a former chapter").to_owned(),
                chapter_b: slugs.get(&c.chapter_b).cloned().unwrap_or_default(),
                target_b: pb.target,
                given_b: amounts[1],
                outcome: match outcome {
                    ChallengeOutcome::Running => "running",
                    ChallengeOutcome::BothWon => "both_won",
                    ChallengeOutcome::NeitherWon => "neither_won",
                }
                .to_owned(),
                note: c.note,
            }
        })
        .collect();
    let goal_measure = Measure::parse("goal_measure", &season.goal_measure).unwrap_or(Measure::Revenue);
    Ok(SeasonView {
        summary: summary(&season, today),
        goal_measure: goal_measure.as_str().to_owned(),
        goal_measure_label: goal_measure.label().to_owned(),
        results,
        slugs,
        challenges,
        measures: Measure::ALL
            .iter()
            .map(|m| (m.as_str().to_owned(), m.label().to_owned(), m.policy().to_owned()))
            .collect(),
        frozen,
    })
}

/// The weights in force now: the commune's `season_weight_*` policies.
pub async fn weights(state: &AppState) -> Result<Weights, AppError> {
    let policies = crate::policy::commune(&state.store).await?;
    Ok(Weights(Measure::ALL.map(|m| policies.get(m.policy()))))
}

/// Replays membership entries: each organisation's members at the end of the history given.
fn members_at(history: &[Entry]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in history {
        let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let Some(member) = payload.get("member_id").and_then(|m| m.as_str()) else { continue };
        let set = out.entry(e.subject.clone()).or_default();
        if e.action == "membership.add" {
            set.insert(member.to_owned());
        } else {
            set.remove(member);
        }
    }
    out
}

/// Replays `org.place` entries before `to_ms`: each organisation's place then.
async fn org_places_at(store: &Store, to_ms: i64) -> Result<BTreeMap<String, PlaceCode>, AppError> {
    let mut out = BTreeMap::new();
    for e in store.audit_entries("org.place").await?.into_iter().filter(|e| e.at_ms < to_ms) {
        let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
        if let Some(code) =
            payload.get("place").and_then(|p| p.as_str()).and_then(|p| PlaceCode::parse("place", p).ok())
        {
            out.insert(e.subject, code);
        }
    }
    Ok(out)
}

/// Tasks first finished in `[from_ms, to_ms)` and their impact as scored before `to_ms`, both
/// replayed from the audit log (`task.move` to done, with its doer; each member's latest
/// `task.impact` score), since a task's row and its scores may change after the season: (doer,
/// the mean score in thousandths).
async fn impacts_at(store: &Store, from_ms: i64, to_ms: i64) -> Result<Vec<(String, u64)>, AppError> {
    let payload = |e: &Entry| serde_json::from_str::<serde_json::Value>(&e.payload).unwrap_or_default();
    let mut finished: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for e in store.audit_entries("task.move").await?.into_iter().filter(|e| e.at_ms < to_ms) {
        let p = payload(&e);
        if p["to"] == "done"
            && p["from"] != "done"
            && let Some(doer) = p["doer_id"].as_str()
        {
            finished.entry(e.subject.clone()).or_insert((e.at_ms, doer.to_owned()));
        }
    }
    let mut scores: BTreeMap<(String, String), i64> = BTreeMap::new();
    for e in store.audit_entries("task.impact").await?.into_iter().filter(|e| e.at_ms < to_ms) {
        let p = payload(&e);
        if let (Some(member), Some(score)) = (p["member_id"].as_str(), p["score"].as_i64()) {
            scores.insert((e.subject.clone(), member.to_owned()), score);
        }
    }
    Ok(finished
        .into_iter()
        .filter(|(_, (at, _))| *at >= from_ms)
        .filter_map(|(task, (_, doer))| {
            let given: Vec<i64> = scores
                .range((task.clone(), String::new())..)
                .take_while(|((t, _), _)| *t == task)
                .map(|(_, s)| *s)
                .collect();
            (!given.is_empty()).then(|| (doer, (given.iter().sum::<i64>().max(0) * 1000 / given.len() as i64) as u64))
        })
        .collect())
}

/// The chapter a place belongs to: the one with the deepest place holding it (the earliest
/// founded on a tie).
fn chapter_of<'a>(place: &PlaceCode, chapters: &'a [(String, PlaceCode, i64)]) -> Option<&'a str> {
    chapters
        .iter()
        .filter(|(_, p, _)| p.contains(place))
        .max_by(|a, b| a.1.level().cmp(&b.1.level()).then(b.2.cmp(&a.2)).then(b.0.cmp(&a.0)))
        .map(|c| c.0.as_str())
}

/// A season's standings: frozen once it finished, else computed from history under today's
/// weights (remembered until the next write, so a busy leaderboard is not replayed per view).
pub async fn standings(state: &AppState, season: &SeasonRow) -> Result<Results, AppError> {
    match &season.results {
        Some(json) => serde_json::from_str::<Results>(json).map_err(AppError::internal),
        None => {
            state
                .derived(&format!("season:{}", season.id), || async {
                    compute(&state.store, season, &weights(state).await?).await
                })
                .await
        }
    }
}

/// What every chapter gave in the season, and its standings under `weights`.
pub async fn compute(store: &Store, season: &SeasonRow, weights: &Weights) -> Result<Results, AppError> {
    let (from_ms, to_ms) = (season.starts_day * DAY_MS, (season.ends_day + 1) * DAY_MS);
    let orgs: Vec<commune_store::Org> = store.list_orgs().await?.into_iter().filter(|o| o.created_at < to_ms).collect();
    let members = members_at(&store.membership_history(to_ms).await?);
    let org_places = org_places_at(store, to_ms).await?;
    let chapters: Vec<&commune_store::Org> = orgs.iter().filter(|o| o.kind == OrgKind::Chapter).collect();
    let placed: Vec<(String, PlaceCode, i64)> =
        chapters.iter().filter_map(|c| Some((c.id.clone(), org_places.get(&c.id)?.clone(), c.created_at))).collect();
    let mut given: BTreeMap<&str, Given> = chapters.iter().map(|c| (c.id.as_str(), Given::default())).collect();
    // A member's chapters at the season's end.
    let mut chapters_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &chapters {
        for m in members.get(&c.id).into_iter().flatten() {
            chapters_of.entry(m.as_str()).or_default().push(c.id.as_str());
        }
    }
    let mut credit_member = |member: &str, measure: Measure, amount: u64| {
        for c in chapters_of.get(member).into_iter().flatten() {
            if let Some(g) = given.get_mut(c) {
                g.add(measure, amount);
            }
        }
    };
    for (doer, impact_milli) in impacts_at(store, from_ms, to_ms).await? {
        credit_member(&doer, Measure::Impact, impact_milli);
    }
    for (voter, n) in store.ballots_by_voter(from_ms, to_ms).await? {
        credit_member(&voter, Measure::Participation, n.max(0) as u64);
    }
    let mut by_skill: BTreeMap<(String, String), Vec<(Graded, i64)>> = BTreeMap::new();
    for a in store.graded_attempts_before(to_ms).await? {
        let graded = Graded { exercise: a.exercise_id, day: a.at.div_euclid(DAY_MS), correct: a.correct };
        by_skill.entry((a.member_id, a.skill)).or_default().push((graded, a.at));
    }
    for ((member, _), attempts) in &by_skill {
        if first_mastered_at(attempts).is_some_and(|at| at >= from_ms) {
            credit_member(member, Measure::Lessons, 1);
        }
    }
    let mut credit_place = |org_id: &str, measure: Measure, amount: u64| {
        if let Some(c) = org_places.get(org_id).and_then(|p| chapter_of(p, &placed))
            && let Some(g) = given.get_mut(c)
        {
            g.add(measure, amount);
        }
    };
    if let Some(ledger) = store.ledgers().await?.into_iter().next() {
        for (org, amount) in
            store.funnel_by_org(i64::from(ledger.id), i64::from(transfer_code::FUNNEL), from_ms, to_ms).await?
        {
            credit_place(&org, Measure::Revenue, amount.max(0) as u64);
        }
    }
    for org in store.businesses_founded(from_ms, to_ms).await? {
        credit_place(&org, Measure::Coops, 1);
    }
    let teams: Vec<Team> = chapters
        .iter()
        .map(|c| Team {
            id: c.id.clone(),
            name: c.name.clone(),
            country: org_places.get(&c.id).map(|p| p.country().to_owned()).unwrap_or_default(),
            members: members.get(&c.id).map_or(0, |m| m.len() as u64),
            given: given.get(c.id.as_str()).copied().unwrap_or_default(),
        })
        .collect();
    let goal = Goal {
        measure: Measure::parse("goal_measure", &season.goal_measure).unwrap_or(Measure::Revenue),
        target: season.goal_target.max(0) as u64,
    };
    let country_name = |code: &str| places::country(code).map_or_else(|| code.to_uppercase(), |b| b.name.clone());
    Ok(rules::results(&teams, weights, &goal, country_name))
}

/// Freezes the results of seasons that ended before today (the scheduler's step). Returns how
/// many it froze.
pub async fn finish_due(state: &AppState, now_ms: i64) -> Result<usize, AppError> {
    let mut frozen = 0;
    for season in state.store.seasons_to_finish(now_ms.div_euclid(DAY_MS)).await? {
        let results = compute(&state.store, &season, &weights(state).await?).await?;
        let json = serde_json::to_string(&results).map_err(AppError::internal)?;
        let mut tx = state.store.write_at("scheduler", now_ms).await?;
        if tx.finish_season(&season.id, &json).await? {
            tx.commit().await?;
            frozen += 1;
        }
    }
    Ok(frozen)
}

/// Recomputes every finished season from the ledger and the audit log with the weights it was
/// frozen with: `(season name, Ok or what differs)`.
pub async fn verify(store: &Store) -> Result<Vec<(String, Result<(), String>)>, AppError> {
    let mut out = Vec::new();
    for season in store.seasons().await?.into_iter().rev() {
        let Some(json) = &season.results else { continue };
        let frozen: Results = serde_json::from_str(json).map_err(AppError::internal)?;
        let again = compute(store, &season, &frozen.weights).await?;
        let differences = frozen.differences(&again);
        let verdict = if differences.is_empty() { Ok(()) } else { Err(differences.join("; ")) };
        out.push((season.name.clone(), verdict));
    }
    Ok(out)
}
