//! Merit operations: dots (with their rules and limits), Dot Collector meetings, the periodic
//! believability recomputation, and the merit [`WeightSource`] that governance snapshots.

use crate::caller::Caller;
use crate::error::AppError;
use crate::plugins::{BoxFuture, WeightSource};
use crate::service;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::merit::model::{self, ModelConfig, Rating};
use commune_domain::merit::weights::{WeightRule, weights};
use commune_domain::{Invalid, validation};
use commune_store::{Believability, Dot, Meeting, NewDot, Store};
use std::collections::HashMap;

/// Dots a member may give per day (a flood guard on top of the per-minute limiter).
pub const DOTS_PER_DAY: i64 = 500;
/// How long a rater may withdraw a dot.
pub const WITHDRAW_WINDOW_MS: i64 = 24 * 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DotInput {
    /// The handle of the member rated.
    pub ratee: String,
    /// An active attribute key, e.g. `reliability`.
    pub attribute: String,
    /// 1 to 10.
    pub score: i64,
    /// `meeting`, `proposal` or `task`.
    #[serde(default = "default_context")]
    pub context: String,
    /// The meeting, proposal or task id.
    #[serde(default)]
    pub context_id: String,
    /// Optional; visible to the rated person (and the rater).
    #[serde(default)]
    pub comment: String,
    /// A one-time key from the form that made this dot: sent twice, it gives one dot.
    #[serde(default)]
    pub form_key: Option<String>,
}

fn default_context() -> String {
    "meeting".into()
}

pub async fn give_dot(state: &AppState, caller: &Caller, slug: &str, input: &DotInput) -> Result<Dot, AppError> {
    let org = service::org_for(state, caller, slug, Action::Participate).await?;
    let me = caller.require_member()?;
    let mut v = commune_domain::Violations::default();
    let ratee = ratee_of(state, &org, &me.member.id, &input.ratee, &mut v).await?;
    if !(1..=10).contains(&input.score) {
        v.0.push(Invalid::new("score", "must be from 1 to 10"));
    }
    let attributes = state.store.attributes().await?;
    if !attributes.iter().any(|a| a.active && a.key == input.attribute) {
        v.0.push(Invalid::new("attribute", "must be one of the commune's active attributes"));
    }
    if !matches!(input.context.as_str(), "meeting" | "proposal" | "task") {
        v.0.push(Invalid::new("context", "must be meeting, proposal or task"));
    }
    let comment = v.check(validation::text("comment", &input.comment, 0, 500, true));
    if input.context == "meeting" && !input.context_id.is_empty() {
        check_meeting(state, &org, &input.context_id, &mut v).await?;
    }
    v.into_result()?;
    let (Some(ratee), Some(comment)) = (ratee, comment) else {
        return Err(AppError::internal(anyhow::anyhow!("validated dot lost a field")));
    };
    state.dot_limiter.check(&me.member.id)?;
    if state.store.dots_given_since(&me.member.id, commune_store::now_ms() - DAY_MS).await? >= DOTS_PER_DAY {
        return Err(AppError::RateLimited { retry_after_s: 3600 });
    }
    let mut tx = state.store.write(&me.member.id).await?;
    let form_key = input.form_key.as_deref().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 64);
    if let Some(key) = form_key
        && let Some(earlier) = tx.form_result(&me.member.id, key).await?
    {
        drop(tx);
        return state.store.dot(&earlier).await?.ok_or(AppError::NotFound("dot"));
    }
    let id = tx
        .create_dot(&NewDot {
            org_id: &org.id,
            rater_id: &me.member.id,
            ratee_id: &ratee.id,
            attribute: &input.attribute,
            score: input.score,
            context_kind: &input.context,
            context_id: &input.context_id,
            comment: &comment,
            at_ms: tx.at_ms(),
        })
        .await?;
    if let Some(key) = form_key {
        tx.remember_form(&me.member.id, key, &id).await?;
    }
    tx.commit().await?;
    state.store.dot(&id).await?.ok_or(AppError::NotFound("dot"))
}

/// The member a dot is about: someone else, in the organisation (or why not, in `v`).
async fn ratee_of(
    state: &AppState,
    org: &commune_store::Org,
    me: &str,
    handle: &str,
    v: &mut commune_domain::Violations,
) -> Result<Option<commune_store::Member>, AppError> {
    let problem = match state.store.member_by_handle(&handle.trim().to_ascii_lowercase()).await? {
        Some(r) if r.id == me => "you cannot rate yourself".to_owned(),
        Some(r) if state.store.role_in(&org.id, &r.id).await?.is_none() => {
            format!("@{} is not in {}; rate members of an organisation you share", r.handle, org.name)
        }
        Some(r) => return Ok(Some(r)),
        None => "no member has that handle".to_owned(),
    };
    v.0.push(Invalid::new("ratee", problem));
    Ok(None)
}

/// A dot given in a meeting names one of the organisation's meetings that is still open.
async fn check_meeting(
    state: &AppState,
    org: &commune_store::Org,
    id: &str,
    v: &mut commune_domain::Violations,
) -> Result<(), AppError> {
    match state.store.meeting(id).await? {
        Some(m) if m.org_id == org.id && m.ended_at.is_none() => {}
        Some(m) if m.ended_at.is_some() => v.0.push(Invalid::new("context_id", "that meeting has ended")),
        _ => v.0.push(Invalid::new("context_id", "no open meeting of this organisation has that id")),
    }
    Ok(())
}

pub async fn withdraw_dot(state: &AppState, caller: &Caller, id: &str) -> Result<(), AppError> {
    let me = caller.require_member()?;
    let dot = state.store.dot(id).await?.filter(|d| d.rater_id == me.member.id).ok_or(AppError::NotFound("dot"))?;
    let not_before = commune_store::now_ms() - WITHDRAW_WINDOW_MS;
    if dot.withdrawn_at.is_some() {
        return Err(AppError::Rule("this dot was already withdrawn".into()));
    }
    if dot.created_at < not_before {
        return Err(AppError::Rule("a dot can be withdrawn only within 24 hours of giving it".into()));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    tx.withdraw_dot(id, &me.member.id, not_before).await?;
    tx.commit().await?;
    Ok(())
}

/// Dots of an organisation (optionally about one member), visible to its members; a comment is
/// shown only to the rated person and the rater.
pub async fn org_dots(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    ratee: Option<&str>,
) -> Result<Vec<Dot>, AppError> {
    let org = service::org_for(state, caller, slug, Action::ReadOrgMembers).await?;
    let ratee_id = match ratee {
        Some(handle) => Some(
            state.store.member_by_handle(&handle.to_ascii_lowercase()).await?.ok_or(AppError::NotFound("member"))?.id,
        ),
        None => None,
    };
    let viewer = caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    Ok(state
        .store
        .org_dots(&org.id, ratee_id.as_deref(), 1000)
        .await?
        .into_iter()
        .map(|d| hide_comment(d, &viewer))
        .collect())
}

pub fn hide_comment(mut d: Dot, viewer: &str) -> Dot {
    if d.rater_id != viewer && d.ratee_id != viewer {
        d.comment.clear();
    }
    d
}

/// Opens a Dot Collector meeting. `form_key`, the one-time key of the form that sent it, makes a
/// second submission of that form open nothing new.
pub async fn create_meeting(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    title: &str,
    form_key: Option<&str>,
) -> Result<Meeting, AppError> {
    let org = service::org_for(state, caller, slug, Action::Participate).await?;
    let me = caller.require_member()?;
    let title = validation::text("title", title, 1, 120, false)?;
    let mut tx = state.store.write(&me.member.id).await?;
    let key = form_key.map(str::trim).filter(|k| !k.is_empty() && k.len() <= 64);
    if let Some(key) = key
        && let Some(earlier) = tx.form_result(&me.member.id, key).await?
    {
        drop(tx);
        return state.store.meeting(&earlier).await?.ok_or(AppError::NotFound("meeting"));
    }
    let id = tx.create_meeting(&org.id, &title, &me.member.id).await?;
    if let Some(key) = key {
        tx.remember_form(&me.member.id, key, &id).await?;
    }
    tx.commit().await?;
    state.store.meeting(&id).await?.ok_or(AppError::NotFound("meeting"))
}

/// Loads a meeting the caller may see (a member of its organisation).
pub async fn meeting(state: &AppState, caller: &Caller, id: &str) -> Result<(Meeting, commune_store::Org), AppError> {
    caller.authorize(state, None, Action::ReadDirectory).await?;
    let meeting = state.store.meeting(id).await?.ok_or(AppError::NotFound("meeting"))?;
    let org = state.store.org_by_id(&meeting.org_id).await?.ok_or(AppError::NotFound("organisation"))?;
    caller.authorize(state, Some(&org), Action::Participate).await?;
    Ok((meeting, org))
}

pub async fn join_meeting(state: &AppState, caller: &Caller, id: &str) -> Result<(), AppError> {
    let (meeting, _) = meeting(state, caller, id).await?;
    if meeting.ended_at.is_some() {
        return Err(AppError::Rule("this meeting has ended".into()));
    }
    let me = caller.require_member()?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.join_meeting(id, &me.member.id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn end_meeting(state: &AppState, caller: &Caller, id: &str) -> Result<(), AppError> {
    let (meeting, org) = meeting(state, caller, id).await?;
    let me = caller.require_member()?;
    let steward = state.store.role_in(&org.id, &me.member.id).await? == Some(commune_domain::org::Role::Steward);
    if meeting.created_by != me.member.id && !steward {
        return Err(AppError::Denied(Denied::Forbidden("only whoever opened the meeting, or a steward, ends it")));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    tx.end_meeting(id).await?;
    tx.commit().await?;
    Ok(())
}

/// Refits believability in every domain from all live dots (decayed by the half-life policy)
/// and stores it. Runs on the scheduler, never inside a request.
pub async fn recompute(state: &AppState, now_ms: i64) -> Result<usize, AppError> {
    let dots = state.store.all_dots().await?;
    let evidence = state.evidence.evidence(&state.store).await?;
    let attributes = state.store.attributes().await?;
    let half_life_days = crate::policy::commune(&state.store).await?.get("believability_half_life_days");
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut ids: Vec<&str> = Vec::new();
    let sources: Vec<String> = evidence.iter().map(|(source, ..)| format!("evidence:{source}")).collect();
    let pairs = dots
        .iter()
        .map(|(r, e, ..)| (r.as_str(), e.as_str()))
        .chain(sources.iter().zip(&evidence).map(|(s, e)| (s.as_str(), e.1.as_str())));
    for (rater, ratee) in pairs {
        for id in [rater, ratee] {
            if !index.contains_key(id) {
                index.insert(id, ids.len());
                ids.push(id);
            }
        }
    }
    let mut domains: Vec<String> =
        attributes.iter().flat_map(|a| a.domain_weights.iter().map(|(d, _)| d.clone())).collect();
    // Performance evidence counts in its own domain, even one no attribute names.
    domains.extend(evidence.iter().map(|e| e.2.clone()));
    domains.sort();
    domains.dedup();
    let mut stored = 0;
    for domain in &domains {
        let weight_of: HashMap<&str, f64> = attributes
            .iter()
            .filter_map(|a| a.domain_weights.iter().find(|(d, _)| d == domain).map(|(_, w)| (a.key.as_str(), *w)))
            .collect();
        let ratings: Vec<Rating> = dots
            .iter()
            .filter_map(|(rater, ratee, attribute, score, at)| {
                let w = *weight_of.get(attribute.as_str())?;
                let age_days = ((now_ms - at).max(0) as f64) / DAY_MS as f64;
                let decay = 0.5f64.powf(age_days / half_life_days.max(1.0));
                Some(Rating {
                    rater: index[rater.as_str()],
                    ratee: index[ratee.as_str()],
                    score: *score as f64,
                    weight: w * decay,
                })
            })
            .chain(sources.iter().zip(&evidence).filter(|(_, e)| &e.2 == domain).map(
                |(source, (_, member, _, score, at))| {
                    let age_days = ((now_ms - at).max(0) as f64) / DAY_MS as f64;
                    Rating {
                        rater: index[source.as_str()],
                        ratee: index[member.as_str()],
                        score: *score,
                        weight: 0.5f64.powf(age_days / half_life_days.max(1.0)),
                    }
                },
            ))
            .collect();
        if ratings.is_empty() {
            continue;
        }
        let fit = model::fit(ids.len(), &ratings, ModelConfig::default());
        let rows: Vec<Believability> = (0..ids.len())
            .filter(|&j| fit.distinct_raters[j] > 0 && !ids[j].starts_with("evidence:"))
            .map(|j| Believability {
                member_id: ids[j].to_owned(),
                domain: domain.clone(),
                estimate: fit.believability(j),
                lower: fit.lower(j),
                sd: fit.ability_sd[j],
                raters: fit.distinct_raters[j] as i64,
                computed_at: now_ms,
            })
            .collect();
        stored += rows.len();
        let mut tx = state.store.write("merit").await?;
        tx.replace_believability(domain, &rows).await?;
        tx.commit().await?;
    }
    Ok(stored)
}

/// Merit on the rating scale above its floor of 1: a member's conservative believability − 1.
pub fn merit_of(lower: f64) -> f64 {
    (lower - 1.0).max(0.0)
}

/// How one member's weight came about, for their baseball card.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WeightExplanation {
    pub domain: String,
    pub members: usize,
    pub merit: f64,
    pub merit_total: f64,
    pub lambda: f64,
    pub cap: f64,
    pub floor_share: f64,
    pub cap_share: f64,
    pub uncapped: f64,
    pub weight: f64,
    pub capped: bool,
}

/// Merit weights of `members` in `domain` (falling back to `general`), with λ and c from the
/// commune's policies.
pub async fn domain_weights(
    store: &Store,
    domain: &str,
    members: &[String],
) -> Result<(Vec<f64>, Vec<f64>, WeightRule), AppError> {
    let mut scores: HashMap<String, f64> =
        store.believability_in("general").await?.into_iter().map(|b| (b.member_id, b.lower)).collect();
    if domain != "general" {
        for b in store.believability_in(domain).await? {
            scores.insert(b.member_id, b.lower);
        }
    }
    let merit: Vec<f64> = members.iter().map(|m| scores.get(m).map_or(0.0, |l| merit_of(*l))).collect();
    let policies = crate::policy::commune(store).await?;
    let rule = WeightRule { lambda: policies.get("merit_lambda"), cap: policies.get("merit_cap") };
    Ok((weights(&merit, rule), merit, rule))
}

pub async fn explain(
    store: &Store,
    member_id: &str,
    org_id: &str,
    domain: &str,
) -> Result<Option<WeightExplanation>, AppError> {
    let members: Vec<String> = store.org_members(org_id).await?.into_iter().map(|m| m.member_id).collect();
    let Some(i) = members.iter().position(|m| m == member_id) else { return Ok(None) };
    let (w, merit, rule) = domain_weights(store, domain, &members).await?;
    let n = members.len() as f64;
    let total: f64 = merit.iter().sum();
    let uncapped = if total > 0.0 { rule.lambda * merit[i] / total + (1.0 - rule.lambda) / n } else { 1.0 / n };
    Ok(Some(WeightExplanation {
        domain: domain.to_owned(),
        members: members.len(),
        merit: merit[i],
        merit_total: total,
        lambda: rule.lambda,
        cap: rule.cap,
        floor_share: (1.0 - rule.lambda) / n,
        cap_share: rule.cap / n,
        uncapped,
        weight: w[i],
        capped: w[i] + 1e-12 < uncapped,
    }))
}

/// Merit weights for governance: computed from stored believability when voting opens.
pub struct MeritWeights;

impl WeightSource for MeritWeights {
    fn merit_weights<'a>(
        &'a self,
        store: &'a Store,
        _org_id: &'a str,
        domain: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<f64>, AppError>> {
        Box::pin(async move { Ok(domain_weights(store, domain, members).await?.0) })
    }
}
