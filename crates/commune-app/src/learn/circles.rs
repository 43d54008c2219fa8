//! Study circles: a small group (at most twelve) taking a course on a schedule, a discussion
//! thread per lesson, and a weekly digest of what the circle did.

use super::{handles, org_by_id};
use crate::caller::Caller;
use crate::error::AppError;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::validation::{Invalid, Violations, text};
use commune_store::{Circle, CirclePost, Org};

pub const MAX_MEMBERS: usize = 12;
const WEEK_MS: i64 = 7 * 86_400_000;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CircleInput {
    pub name: String,
    pub course_id: String,
    /// When it meets, e.g. "Tuesdays 18:00".
    pub schedule: String,
}

pub async fn create(state: &AppState, caller: &Caller, slug: &str, input: &CircleInput) -> Result<Circle, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Learn).await?;
    let mut v = Violations::default();
    let name = v.check(text("name", &input.name, 3, 80, false));
    let schedule = v.check(text("schedule", &input.schedule, 3, 120, false));
    let course = state.store.learn_course(input.course_id.trim()).await?;
    if course.as_ref().is_none_or(|c| c.org_id != org.id) {
        v.0.push(Invalid::new("course_id", "a course of this organisation"));
    }
    v.into_result()?;
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx
        .create_circle(&org.id, &name.unwrap_or_default(), input.course_id.trim(), &schedule.unwrap_or_default())
        .await?;
    tx.commit().await?;
    state.store.circle(&id).await?.ok_or(AppError::NotFound("circle"))
}

async fn circle_of(state: &AppState, caller: &Caller, id: &str) -> Result<(Circle, Org), AppError> {
    let c = state.store.circle(id).await?.ok_or(AppError::NotFound("circle"))?;
    let org = org_by_id(state, caller, &c.org_id, "circle").await?;
    Ok((c, org))
}

pub async fn join(state: &AppState, caller: &Caller, id: &str) -> Result<CircleView, AppError> {
    let me = caller.require_member()?;
    let (c, _) = circle_of(state, caller, id).await?;
    let members = state.store.circle_members(&c.id).await?;
    if members.contains(&me.member.id) {
        return Err(AppError::Rule("you are already in this circle".into()));
    }
    if members.len() >= MAX_MEMBERS {
        return Err(AppError::Rule(format!("a study circle has at most {MAX_MEMBERS} members")));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    tx.join_circle(id).await?;
    tx.commit().await?;
    view(state, caller, id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PostInput {
    /// The lesson (of the circle's course) the thread is about.
    pub lesson: String,
    pub body: String,
}

/// Posts in a lesson's thread (members of the circle).
pub async fn post(state: &AppState, caller: &Caller, id: &str, input: &PostInput) -> Result<CircleView, AppError> {
    let me = caller.require_member()?;
    let (c, _) = circle_of(state, caller, id).await?;
    if !state.store.circle_members(&c.id).await?.contains(&me.member.id) {
        return Err(AppError::Denied(Denied::Forbidden("join the circle to post in it")));
    }
    let course = state.store.learn_course(&c.course_id).await?.ok_or(AppError::NotFound("course"))?;
    let mut v = Violations::default();
    if !course.lessons.iter().any(|l| l == input.lesson.trim()) {
        v.0.push(Invalid::new("lesson", "one of the course's lessons"));
    }
    let body = v.check(text("body", &input.body, 1, 4000, true));
    v.into_result()?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.circle_post(id, input.lesson.trim(), &body.unwrap_or_default()).await?;
    tx.commit().await?;
    view(state, caller, id).await
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Thread {
    pub lesson_id: String,
    pub lesson: String,
    #[schema(value_type = Vec<Object>)]
    pub posts: Vec<(String, CirclePost)>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CircleView {
    #[schema(value_type = Object)]
    pub circle: Circle,
    pub course: String,
    pub members: Vec<String>,
    pub threads: Vec<Thread>,
    /// This week: posts, exercises attempted and cards reviewed by its members.
    pub digest: Digest,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Digest {
    pub posts: usize,
    pub attempts: usize,
    pub correct: usize,
    pub reviews: usize,
    pub lines: Vec<String>,
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<CircleView, AppError> {
    let (c, org) = circle_of(state, caller, id).await?;
    let names = handles(state, &org.id).await?;
    let name = |m: &str| names.get(m).cloned().unwrap_or_default();
    let course = state.store.learn_course(&c.course_id).await?.ok_or(AppError::NotFound("course"))?;
    let member_ids = state.store.circle_members(&c.id).await?;
    let posts = state.store.circle_posts(&c.id).await?;
    let mut threads = Vec::new();
    for l in &course.lessons {
        let title = state.store.learn_doc(l).await?.map(|d| d.title).unwrap_or_default();
        let ps: Vec<(String, CirclePost)> =
            posts.iter().filter(|p| &p.doc_id == l).map(|p| (name(&p.author_id), p.clone())).collect();
        threads.push(Thread { lesson_id: l.clone(), lesson: title, posts: ps });
    }
    let digest = digest(state, &c, &member_ids, &posts, &names).await?;
    Ok(CircleView {
        course: course.title,
        members: member_ids.iter().map(|m| name(m)).collect(),
        threads,
        digest,
        circle: c,
    })
}

async fn digest(
    state: &AppState,
    c: &Circle,
    members: &[String],
    posts: &[CirclePost],
    names: &std::collections::HashMap<String, String>,
) -> Result<Digest, AppError> {
    let name = |m: &str| names.get(m).cloned().unwrap_or_default();
    let since = commune_store::now_ms() - WEEK_MS;
    let exercises: Vec<String> = state.store.learn_exercises(&c.course_id).await?.into_iter().map(|e| e.id).collect();
    let week_posts = posts.iter().filter(|p| p.at >= since).count();
    let (mut attempts, mut correct, mut reviews) = (0, 0, 0);
    let mut lines = Vec::new();
    for m in members {
        let mine: Vec<_> = state
            .store
            .learn_attempts_of(m)
            .await?
            .into_iter()
            .filter(|a| a.at >= since && exercises.contains(&a.exercise_id))
            .collect();
        let right = mine.iter().filter(|a| a.correct == Some(true)).count();
        let since_day = since.div_euclid(86_400_000);
        let reviewed = state.store.review_count(m, since_day).await? as usize;
        if !mine.is_empty() || reviewed > 0 {
            lines.push(format!(
                "{} tried {} exercises ({right} right) and reviewed {reviewed} cards",
                name(m),
                mine.len()
            ));
        }
        attempts += mine.len();
        correct += right;
        reviews += reviewed;
    }
    Ok(Digest { posts: week_posts, attempts, correct, reviews, lines })
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<Circle>, AppError> {
    let org = org_for(state, caller, slug, Action::Learn).await?;
    Ok(state.store.circles(&org.id).await?)
}
