//! Courses and exercises: a course is an ordered path of lessons with exercises; an attempt at
//! a multiple-choice or numeric exercise is graded at once, a free-text answer by two peers
//! (never its author). Graded attempts are outcomes for the skill model (see
//! `work::matching::skills`) and mastery per skill follows the EMA rule of
//! `commune_domain::learn::practice` (the first attempt per exercise and day counts). Mastery can be a task's prerequisite. "What to learn
//! next" ranks lessons by what open tasks in the member's organisations need.

use super::{handles, is_steward, org_by_id};
use crate::caller::Caller;
use crate::error::AppError;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::governance::proposal::Phase;
use commune_domain::learn::practice::{self, Exercise, Mastery};
use commune_domain::validation::{Invalid, Violations, text};
use commune_domain::work::task;
use commune_store::{Attempt, Course, ExerciseRow, Org};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CourseInput {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Lesson ids in order (published lessons of the organisation).
    pub lessons: Vec<String>,
}

pub async fn create_course(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &CourseInput,
) -> Result<Course, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Learn).await?;
    let mut v = Violations::default();
    let title = v.check(text("title", &input.title, 3, 120, false));
    let summary = v.check(text("summary", &input.summary, 0, 2000, true));
    if input.lessons.is_empty() || input.lessons.len() > 50 {
        v.0.push(Invalid::new("lessons", "1 to 50 lessons"));
    }
    for id in &input.lessons {
        match state.store.learn_doc(id.trim()).await? {
            Some(d) if d.org_id == org.id && d.published => {}
            _ => v.0.push(Invalid::new("lessons", format!("'{id}' is not a published document of this organisation"))),
        }
    }
    v.into_result()?;
    let lessons: Vec<String> = input.lessons.iter().map(|l| l.trim().to_owned()).collect();
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.create_course(&org.id, &title.unwrap_or_default(), &summary.unwrap_or_default(), &lessons).await?;
    tx.commit().await?;
    state.store.learn_course(&id).await?.ok_or(AppError::NotFound("course"))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ExerciseInput {
    /// `choice`, `numeric` or `text`.
    pub kind: String,
    pub prompt: String,
    /// The skill (a domain) a graded attempt is evidence of.
    pub skill: String,
    /// The lesson it follows (one of the course's).
    #[serde(default)]
    pub lesson: Option<String>,
    /// For `choice`: one per line, the right one marked with a leading `*`.
    #[serde(default)]
    pub choices: String,
    /// For `numeric`: the right number and the tolerance.
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub tolerance: String,
    /// For `text`: what reviewers look for.
    #[serde(default)]
    pub rubric: String,
}

async fn course_of(state: &AppState, caller: &Caller, id: &str) -> Result<(Course, Org), AppError> {
    let course = state.store.learn_course(id).await?.ok_or(AppError::NotFound("course"))?;
    let org = org_by_id(state, caller, &course.org_id, "course").await?;
    Ok((course, org))
}

/// Adds an exercise (the course's author or a steward).
pub async fn add_exercise(
    state: &AppState,
    caller: &Caller,
    course_id: &str,
    input: &ExerciseInput,
) -> Result<ExerciseView, AppError> {
    let me = caller.require_member()?;
    let (course, org) = course_of(state, caller, course_id).await?;
    if course.author_id != me.member.id && !is_steward(state, &org, &me.member.id).await? {
        return Err(AppError::Denied(Denied::Forbidden("only the course's author or a steward adds exercises")));
    }
    let mut v = Violations::default();
    let prompt = v.check(text("prompt", &input.prompt, 3, 2000, true));
    let skill = v.check(task::domains(&input.skill).and_then(|d| {
        if d.len() == 1 {
            Ok(d[0].clone())
        } else {
            Err(Invalid::new("skill", "one skill (a domain such as bookkeeping)"))
        }
    }));
    let lesson = input.lesson.as_deref().map(str::trim).filter(|l| !l.is_empty());
    if let Some(l) = lesson
        && !course.lessons.iter().any(|c| c == l)
    {
        v.0.push(Invalid::new("lesson", "one of the course's lessons"));
    }
    let exercise =
        match Exercise::from_form(&input.kind, &input.choices, &input.answer, &input.tolerance, &input.rubric) {
            Ok(e) => Some(e),
            Err(e) => {
                v.0.extend(e.0);
                None
            }
        };
    v.into_result()?;
    let (Some(prompt), Some(skill), Some(exercise)) = (prompt, skill, exercise) else { unreachable!("validated") };
    let spec = serde_json::to_string(&exercise).map_err(|e| AppError::Rule(e.to_string()))?;
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.add_exercise(course_id, lesson, &skill, &prompt, &spec).await?;
    tx.commit().await?;
    let row = state.store.learn_exercise(&id).await?.ok_or(AppError::NotFound("exercise"))?;
    Ok(exercise_view(row))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ExerciseView {
    pub id: String,
    pub kind: String,
    pub prompt: String,
    pub skill: String,
    pub lesson: Option<String>,
    /// The options of a multiple-choice exercise (the right one is not shown).
    pub choices: Vec<String>,
}

fn spec(row: &ExerciseRow) -> Result<Exercise, AppError> {
    serde_json::from_str(&row.spec).map_err(|e| AppError::Rule(format!("a stored exercise is unreadable: {e}")))
}

fn exercise_view(row: ExerciseRow) -> ExerciseView {
    let e = spec(&row).ok();
    ExerciseView {
        kind: e.as_ref().map_or("text", |e| e.kind()).to_owned(),
        choices: match e {
            Some(Exercise::Choice { choices, .. }) => choices,
            _ => Vec::new(),
        },
        id: row.id,
        prompt: row.prompt,
        skill: row.skill,
        lesson: row.doc_id,
    }
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CourseView {
    #[schema(value_type = Object)]
    pub course: Course,
    /// (lesson id, title) in order.
    pub lessons: Vec<(String, String)>,
    pub exercises: Vec<ExerciseView>,
    /// The caller's latest attempt per exercise: (exercise id, correct: None while reviewed).
    pub mine: Vec<(String, Option<bool>)>,
    #[schema(value_type = Object)]
    pub mastery: BTreeMap<String, Mastery>,
}

pub async fn course(state: &AppState, caller: &Caller, id: &str) -> Result<(Org, CourseView), AppError> {
    let me = caller.require_member()?;
    let (course, org) = course_of(state, caller, id).await?;
    let mut lessons = Vec::new();
    for l in &course.lessons {
        if let Some(d) = state.store.learn_doc(l).await? {
            lessons.push((d.id, d.title));
        }
    }
    let exercises: Vec<ExerciseView> = state.store.learn_exercises(id).await?.into_iter().map(exercise_view).collect();
    let attempts = state.store.learn_attempts_of(&me.member.id).await?;
    let mine = exercises
        .iter()
        .filter_map(|e| attempts.iter().rev().find(|a| a.exercise_id == e.id).map(|a| (e.id.clone(), a.correct)))
        .collect();
    Ok((org, CourseView { course, lessons, exercises, mine, mastery: mastery_of(&attempts) }))
}

pub async fn courses(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<Course>, AppError> {
    let org = org_for(state, caller, slug, Action::Learn).await?;
    Ok(state.store.learn_courses(&org.id).await?)
}

/// Mastery per skill from a member's graded attempts (oldest first; the first graded attempt
/// per exercise and day counts).
pub fn mastery_of(attempts: &[Attempt]) -> BTreeMap<String, Mastery> {
    let mut by: BTreeMap<String, Vec<practice::Graded>> = BTreeMap::new();
    for a in attempts {
        if let Some(correct) = a.correct {
            let day = a.at.div_euclid(86_400_000);
            by.entry(a.skill.clone()).or_default().push(practice::Graded {
                exercise: a.exercise_id.clone(),
                day,
                correct,
            });
        }
    }
    by.into_iter().map(|(k, v)| (k, practice::mastery(practice::counted(&v)))).collect()
}

pub async fn my_mastery(state: &AppState, member_id: &str) -> Result<BTreeMap<String, Mastery>, AppError> {
    Ok(mastery_of(&state.store.learn_attempts_of(member_id).await?))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AttemptInput {
    /// The choice's index (from 0), the number, or the free-text answer.
    pub answer: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AttemptOutcome {
    #[schema(value_type = Object)]
    pub attempt: Attempt,
    #[schema(value_type = Object)]
    pub mastery: Mastery,
}

pub async fn attempt(
    state: &AppState,
    caller: &Caller,
    exercise_id: &str,
    input: &AttemptInput,
) -> Result<AttemptOutcome, AppError> {
    let me = caller.require_member()?;
    let row = state.store.learn_exercise(exercise_id).await?.ok_or(AppError::NotFound("exercise"))?;
    let (_, org) = course_of(state, caller, &row.course_id).await?;
    let correct = spec(&row)?.grade(&input.answer)?;
    let answer: String = input.answer.trim().chars().take(5000).collect();
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.record_attempt(exercise_id, &org.id, &row.skill, &answer, correct).await?;
    tx.commit().await?;
    let attempt = state.store.learn_attempt(&id).await?.ok_or(AppError::NotFound("attempt"))?;
    let mastery = my_mastery(state, &me.member.id).await?.get(&row.skill).copied().unwrap_or(practice::mastery([]));
    Ok(AttemptOutcome { attempt, mastery })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PeerReviewInput {
    pub pass: bool,
    #[serde(default)]
    pub note: String,
}

/// A peer reviews a free-text answer: never its author; two agreeing reviews grade it.
pub async fn review_attempt(
    state: &AppState,
    caller: &Caller,
    attempt_id: &str,
    input: &PeerReviewInput,
) -> Result<Attempt, AppError> {
    let me = caller.require_member()?;
    let a = state.store.learn_attempt(attempt_id).await?.ok_or(AppError::NotFound("attempt"))?;
    org_by_id(state, caller, &a.org_id, "attempt").await?;
    if a.member_id == me.member.id {
        return Err(AppError::Denied(Denied::Forbidden("nobody grades their own answer")));
    }
    if a.graded_at.is_some() {
        return Err(AppError::Rule("this answer is already graded".into()));
    }
    let note = text("note", &input.note, 0, 500, false)?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.review_attempt(attempt_id, input.pass, &note).await?;
    tx.commit().await?;
    let reviews: Vec<bool> = state.store.attempt_reviews(attempt_id).await?.into_iter().map(|r| r.1).collect();
    if let Some(verdict) = practice::verdict(&reviews) {
        let mut tx = state.store.write(&me.member.id).await?;
        if tx.grade_attempt(attempt_id, verdict).await? {
            tx.commit().await?;
        }
    }
    state.store.learn_attempt(attempt_id).await?.ok_or(AppError::NotFound("attempt"))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ToReview {
    #[schema(value_type = Object)]
    pub attempt: Attempt,
    pub prompt: String,
    pub rubric: String,
    pub author: String,
}

/// Free-text answers of an organisation the caller may review.
pub async fn to_review(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<ToReview>, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Learn).await?;
    let names = handles(state, &org.id).await?;
    let mut out = Vec::new();
    for a in state.store.attempts_to_review(&org.id, &me.member.id).await? {
        let Some(row) = state.store.learn_exercise(&a.exercise_id).await? else { continue };
        let rubric = match spec(&row)? {
            Exercise::Text { rubric } => rubric,
            _ => String::new(),
        };
        out.push(ToReview {
            author: names.get(&a.member_id).cloned().unwrap_or_default(),
            prompt: row.prompt,
            rubric,
            attempt: a,
        });
    }
    Ok(out)
}

/// Sets (or clears, with an empty skill) the mastery a task needs before anyone takes it
/// (its organisation's stewards).
pub async fn set_prerequisite(
    state: &AppState,
    caller: &Caller,
    task_id: &str,
    skill: &str,
) -> Result<Vec<String>, AppError> {
    let me = caller.require_member()?;
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, Action::ManageWork).await?;
    }
    let t = state.store.work_task(task_id).await?.ok_or(AppError::NotFound("task"))?;
    let org = state.store.org_by_id(&t.org_id).await?.ok_or(AppError::NotFound("task"))?;
    caller.authorize(state, Some(&org), Action::ManageWork).await?;
    let skill = if skill.trim().is_empty() {
        String::new()
    } else {
        let d = task::domains(skill)?;
        if d.len() != 1 {
            return Err(Invalid::new("skill", "one skill").into());
        }
        d[0].clone()
    };
    let mut tx = state.store.write(&me.member.id).await?;
    tx.set_prerequisite(task_id, &skill).await?;
    tx.commit().await?;
    Ok(state.store.prerequisites(task_id).await?)
}

/// Refuses giving a task to a member who has not mastered what it needs.
pub async fn check_prerequisites(state: &AppState, task_id: &str, member_id: &str) -> Result<(), AppError> {
    let needed = state.store.prerequisites(task_id).await?;
    if needed.is_empty() {
        return Ok(());
    }
    let mastery = my_mastery(state, member_id).await?;
    for skill in needed {
        if !mastery.get(&skill).is_some_and(|m| m.mastered) {
            return Err(AppError::Rule(format!(
                "this task needs mastery of {skill} (an EMA of graded exercises of at least {}); take the course first",
                practice::THRESHOLD
            )));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub doc_id: String,
    pub title: String,
    pub score: f64,
    pub why: String,
}

/// What to learn next: lessons ranked by how much the open tasks (a task whose prerequisite it
/// is counts double) and open proposals of the member's organisations need their domains, times
/// how close the member is to mastery there (nearly mastered first: `0.5 + level`), without
/// lessons of skills already mastered; each with its reason.
pub async fn next(state: &AppState, caller: &Caller) -> Result<Vec<Suggestion>, AppError> {
    let me = caller.require_member()?;
    let mastery = my_mastery(state, &me.member.id).await?;
    let mut need: BTreeMap<String, f64> = BTreeMap::new();
    let mut proposals: BTreeMap<String, usize> = BTreeMap::new();
    // Per domain: open tasks, and how many of them require it.
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut docs = Vec::new();
    for membership in state.store.memberships_of(&me.member.id).await? {
        let org = membership.org;
        let filter = commune_store::TaskFilter { org_id: &org.id, status: Some("open"), ..Default::default() };
        for t in state.store.work_tasks(&filter).await? {
            let pre = state.store.prerequisites(&t.id).await?;
            for d in &t.domains {
                *need.entry(d.clone()).or_default() += if pre.contains(d) { 2.0 } else { 1.0 };
                let c = counts.entry(d.clone()).or_default();
                c.0 += 1;
                c.1 += usize::from(pre.contains(d));
            }
        }
        // Proposals under discussion or in their vote need judgement in their domain too.
        for p in state.store.org_proposals(&org.id, &me.member.id).await? {
            if matches!(p.phase, Phase::Discussion | Phase::Voting) {
                *need.entry(p.domain.clone()).or_default() += 1.0;
                *proposals.entry(p.domain.clone()).or_default() += 1;
            }
        }
        docs.extend(state.store.learn_docs(&org.id, &me.member.id).await?.into_iter().filter(|d| d.published));
    }
    let mut out: Vec<Suggestion> = docs
        .into_iter()
        .filter_map(|d| {
            let (domain, tasks) = d
                .domains
                .iter()
                .filter_map(|x| need.get(x).map(|n| (x.clone(), *n)))
                .max_by(|a, b| a.1.total_cmp(&b.1))?;
            let m = mastery.get(&domain);
            if m.is_some_and(|m| m.mastered) {
                return None;
            }
            let level = m.map_or(0.0, |m| m.level);
            let open = proposals.get(&domain).copied().unwrap_or(0);
            let (tasks_n, required) = counts.get(&domain).copied().unwrap_or((0, 0));
            let mut parts = Vec::new();
            if tasks_n > 0 {
                let req = if required > 0 { format!(" ({required} requiring it)") } else { String::new() };
                parts.push(format!("{tasks_n} open task{}{req}", if tasks_n == 1 { "" } else { "s" }));
            }
            if open > 0 {
                parts.push(format!("{open} open proposal{}", if open == 1 { "" } else { "s" }));
            }
            let what = format!("{} need {domain}", parts.join(" and "));
            Some(Suggestion {
                score: tasks * (0.5 + level),
                why: format!(
                    "{what}; your mastery there is {:.0}% (mastered at {:.0}%)",
                    level * 100.0,
                    practice::THRESHOLD * 100.0
                ),
                doc_id: d.id,
                title: d.title,
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.title.cmp(&b.title)));
    out.truncate(10);
    Ok(out)
}

/// The skills a task needs mastered (for a caller who already reads the task).
pub async fn prerequisites_of(state: &AppState, task_id: &str) -> Result<Vec<String>, AppError> {
    Ok(state.store.prerequisites(task_id).await?)
}
