//! Forecasting: questions with resolution criteria and a close date (binary, numeric range,
//! multiple choice); members forecast and update until it closes; a steward who did not ask it
//! resolves it by its criteria (its author never alone); a member may dispute a resolution,
//! which a yes/no vote upholds or annuls. Scores (Brier, log) are relative to the community
//! forecast; the community forecast weighs members' log-odds by their track record in the
//! question's domain, extremized by the policy `forecast_extremize`, beside the equal-weight one.

use super::{handles, is_steward, org_by_id};
use crate::caller::Caller;
use crate::error::AppError;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::learn::forecast::{self, Bin, Record};
use commune_domain::validation::{Invalid, Violations, text};
use commune_domain::work::task;
use commune_store::{ForecastRow, Org, Question};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct QuestionInput {
    pub title: String,
    /// How it resolves, precisely.
    pub criteria: String,
    /// `binary` (default), `numeric` or `choice`.
    #[serde(default)]
    pub kind: String,
    /// For `choice`: the options, one per line (2–12).
    #[serde(default)]
    pub options: String,
    /// For `numeric`: the range and how many bins cut it.
    #[serde(default)]
    pub low: String,
    #[serde(default)]
    pub high: String,
    #[serde(default)]
    pub bins: Option<usize>,
    /// The domain its track record counts in.
    pub domain: String,
    /// `YYYY-MM-DD`: forecasts close at the end of that day (UTC), within two years.
    pub closes: String,
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &QuestionInput,
) -> Result<Question, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Learn).await?;
    let mut v = Violations::default();
    let title = v.check(text("title", &input.title, 5, 200, false));
    let criteria = v.check(text("criteria", &input.criteria, 10, 2000, true));
    let domain = v.check(
        task::domains(&input.domain)
            .and_then(|d| if d.len() == 1 { Ok(d[0].clone()) } else { Err(Invalid::new("domain", "one domain")) }),
    );
    let now = commune_store::now_ms();
    let close = v.check(task::day("closes", &input.closes).map(|d| d + 86_400_000 - 1).and_then(|c| {
        if c <= now {
            Err(Invalid::new("closes", "in the future"))
        } else if c > now + 731 * 86_400_000 {
            Err(Invalid::new("closes", "within two years"))
        } else {
            Ok(c)
        }
    }));
    let kind = input.kind.trim();
    let options: Option<Vec<String>> = match kind {
        "" | "binary" => Some(vec!["no".into(), "yes".into()]),
        "choice" => {
            let o: Vec<String> = input
                .options
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| l.chars().take(120).collect())
                .collect();
            if (2..=forecast::MAX_OPTIONS).contains(&o.len()) {
                Some(o)
            } else {
                v.0.push(Invalid::new("options", format!("2 to {} options, one per line", forecast::MAX_OPTIONS)));
                None
            }
        }
        "numeric" => {
            let low = v.check(commune_domain::learn::practice::number("low", &input.low));
            let high = v.check(commune_domain::learn::practice::number("high", &input.high));
            match (low, high) {
                (Some(l), Some(h)) => v.check(forecast::numeric_options(l, h, input.bins.unwrap_or(4))),
                _ => None,
            }
        }
        _ => {
            v.0.push(Invalid::new("kind", "binary, numeric or choice"));
            None
        }
    };
    v.into_result()?;
    let (Some(title), Some(criteria), Some(domain), Some(close), Some(options)) =
        (title, criteria, domain, close, options)
    else {
        unreachable!("validated")
    };
    let kind = if kind.is_empty() { "binary" } else { kind };
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.create_question(&org.id, &title, &criteria, kind, &options, &domain, close).await?;
    tx.commit().await?;
    state.store.question(&id).await?.ok_or(AppError::NotFound("question"))
}

async fn question_of(state: &AppState, caller: &Caller, id: &str) -> Result<(Question, Org), AppError> {
    let q = state.store.question(id).await?.ok_or(AppError::NotFound("question"))?;
    let org = org_by_id(state, caller, &q.org_id, "question").await?;
    Ok((q, org))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ForecastInput {
    /// One probability per option (0–1 or a percentage); for a binary question the probability
    /// of yes alone will do.
    pub p: Vec<String>,
}

pub async fn forecast(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &ForecastInput,
) -> Result<QuestionView, AppError> {
    let me = caller.require_member()?;
    let (q, _) = question_of(state, caller, id).await?;
    let probs = forecast::parse_forecast(q.options.len(), &input.p)?;
    let mut tx = state.store.write(&me.member.id).await?;
    if !tx.forecast(id, &probs).await? {
        return Err(AppError::Rule("this question is closed to forecasts".into()));
    }
    tx.commit().await?;
    view(state, caller, id).await.map(|v| v.1)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ResolveInput {
    /// The option that happened (its index from 0; for a binary question 1 = yes), or for a
    /// numeric question the value.
    pub outcome: String,
}

/// A steward resolves a question by its criteria (not one they asked: its author never
/// resolves alone).
pub async fn resolve(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &ResolveInput,
) -> Result<QuestionView, AppError> {
    let me = caller.require_member()?;
    let (q, org) = question_of(state, caller, id).await?;
    if !is_steward(state, &org, &me.member.id).await? {
        return Err(AppError::Denied(Denied::Forbidden("a steward resolves questions")));
    }
    if q.author_id == me.member.id {
        return Err(AppError::Denied(Denied::Forbidden("nobody resolves their own question: another steward does")));
    }
    let outcome =
        if q.kind == "numeric" {
            let x = commune_domain::learn::practice::number("outcome", &input.outcome)?;
            let (low, high, bins) =
                numeric_range(&q).ok_or_else(|| AppError::Rule("the question's range is unreadable".into()))?;
            forecast::numeric_outcome(low, high, bins, x)
        } else {
            input.outcome.trim().parse::<usize>().ok().filter(|&o| o < q.options.len()).ok_or_else(|| {
                Invalid::new("outcome", format!("the index of one of the {} options", q.options.len()))
            })?
        };
    let mut tx = state.store.write(&me.member.id).await?;
    if !tx.resolve_question(id, outcome as i64).await? {
        return Err(AppError::Conflict("this question was resolved first"));
    }
    tx.commit().await?;
    view(state, caller, id).await.map(|v| v.1)
}

/// The range of a numeric question from its options' labels.
fn numeric_range(q: &Question) -> Option<(f64, f64, usize)> {
    let low: f64 = q.options.first()?.strip_prefix("below ")?.parse().ok()?;
    let high: f64 = q.options.last()?.strip_suffix(" or more")?.parse().ok()?;
    Some((low, high, q.options.len() - 2))
}

/// Disputes a resolution: a yes/no vote of the organisation upholds it (yes) or annuls it.
pub async fn dispute(state: &AppState, caller: &Caller, id: &str) -> Result<QuestionView, AppError> {
    let me = caller.require_member()?;
    let (q, org) = question_of(state, caller, id).await?;
    if q.status != "resolved" {
        return Err(AppError::Rule("only a resolved question is disputed".into()));
    }
    if q.proposal_id.is_some() {
        return Err(AppError::Rule("this resolution was already put to a vote; the vote stands".into()));
    }
    let chosen = q.outcome.and_then(|o| q.options.get(o as usize)).cloned().unwrap_or_default();
    let title = format!("Uphold the resolution “{chosen}” of a forecasting question");
    let body = format!(
        "The question [{}](/questions/{}) resolved as “{chosen}”; a member disputes it. Criteria: {}\n\nYes upholds the resolution; no annuls the question (nobody is scored on it).",
        q.title, q.id, q.criteria
    );
    let proposal = crate::expenses::decision_vote(state, caller, &org, &title, &body, &q.domain).await?;
    let mut tx = state.store.write(&me.member.id).await?;
    if !tx.move_question(id, "resolved", "disputed", Some(&proposal.id)).await? {
        return Err(AppError::Conflict("the question changed first; reload it"));
    }
    tx.commit().await?;
    view(state, caller, id).await.map(|v| v.1)
}

/// Upholds or annuls disputed questions whose vote finished (called by the scheduler).
pub async fn follow_votes(state: &AppState) -> Result<usize, AppError> {
    let mut moved = 0;
    for q in state.store.questions_awaiting_votes().await? {
        let Some(pid) = &q.proposal_id else { continue };
        let Some((upheld, _)) = crate::governance::decided(state, pid).await? else { continue };
        let to = if upheld { "resolved" } else { "annulled" };
        let mut tx = state.store.write("scheduler").await?;
        if tx.move_question(&q.id, "disputed", to, None).await? {
            tx.commit().await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Each member's latest forecast on a question.
fn latest(forecasts: &[ForecastRow]) -> Vec<&ForecastRow> {
    let mut by: HashMap<&str, &ForecastRow> = HashMap::new();
    for f in forecasts {
        by.insert(&f.member_id, f);
    }
    let mut out: Vec<&ForecastRow> = by.into_values().collect();
    out.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    out
}

/// Track records per (member, domain) from an organisation's resolved questions, each forecast
/// scored against the equal-weight community forecast.
pub async fn records(
    store: &commune_store::Store,
    org_id: &str,
) -> Result<HashMap<(String, String), Record>, AppError> {
    let questions: HashMap<String, Question> = store
        .questions(org_id)
        .await?
        .into_iter()
        .filter(|q| q.status == "resolved")
        .map(|q| (q.id.clone(), q))
        .collect();
    let mut by_q: HashMap<String, Vec<ForecastRow>> = HashMap::new();
    for f in store.resolved_forecasts(org_id).await? {
        by_q.entry(f.question_id.clone()).or_default().push(f);
    }
    let mut scored: HashMap<(String, String), Vec<forecast::Scored>> = HashMap::new();
    for (qid, rows) in &by_q {
        let Some(q) = questions.get(qid) else { continue };
        let Some(outcome) = q.outcome else { continue };
        let last = latest(rows);
        let community = forecast::aggregate(&last.iter().map(|f| (f.probs.as_slice(), 1.0)).collect::<Vec<_>>(), 1.0);
        for f in last {
            scored.entry((f.member_id.clone(), q.domain.clone())).or_default().push((
                f.probs.clone(),
                outcome as usize,
                community.clone(),
            ));
        }
    }
    Ok(scored.into_iter().filter_map(|(k, v)| forecast::record(&v).map(|r| (k, r))).collect())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Member {
    pub handle: String,
    pub probs: Vec<f64>,
    pub weight: f64,
    pub at: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    #[schema(value_type = Object)]
    pub question: Question,
    /// `open`, `closed` (past its close date, not resolved), `resolved`, `disputed`, `annulled`.
    pub state: String,
    /// The community forecast: log-odds weighted by track record, extremized.
    pub community: Option<Vec<f64>>,
    /// The equal-weight log-odds aggregate beside it.
    pub equal: Option<Vec<f64>>,
    pub extremize: f64,
    pub forecasts: Vec<Member>,
    pub mine: Option<Vec<f64>>,
    /// Once resolved: each forecaster's Brier and log score and the community's.
    pub scores: Vec<(String, f64, f64)>,
    pub may_resolve: bool,
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<(Org, QuestionView), AppError> {
    let me = caller.require_member()?;
    let (q, org) = question_of(state, caller, id).await?;
    let names = handles(state, &org.id).await?;
    let rows = state.store.forecasts(id).await?;
    let last = latest(&rows);
    let records = records(&state.store, &org.id).await?;
    let extremize = crate::policy::of_org(&state.store, &org.id).await?.get("forecast_extremize");
    let weighted: Vec<(&[f64], f64)> = last
        .iter()
        .map(|f| (f.probs.as_slice(), forecast::track_weight(records.get(&(f.member_id.clone(), q.domain.clone())))))
        .collect();
    let community = forecast::aggregate(&weighted, extremize);
    let equal = forecast::aggregate(&last.iter().map(|f| (f.probs.as_slice(), 1.0)).collect::<Vec<_>>(), 1.0);
    let forecasts = last
        .iter()
        .zip(&weighted)
        .map(|(f, w)| Member {
            handle: names.get(&f.member_id).cloned().unwrap_or_default(),
            probs: f.probs.clone(),
            weight: w.1,
            at: f.at,
        })
        .collect();
    let mut scores = Vec::new();
    if let (Some(o), true) = (q.outcome, q.status == "resolved") {
        for f in &last {
            let n = names.get(&f.member_id).cloned().unwrap_or_default();
            scores.push((n, forecast::brier(&f.probs, o as usize), forecast::log_score(&f.probs, o as usize)));
        }
        if let Some(c) = &community {
            scores.push(("community".into(), forecast::brier(c, o as usize), forecast::log_score(c, o as usize)));
        }
    }
    let now = commune_store::now_ms();
    let st = if q.status == "open" && q.close_at <= now { "closed".to_owned() } else { q.status.clone() };
    let may_resolve =
        q.status == "open" && q.author_id != me.member.id && is_steward(state, &org, &me.member.id).await?;
    let mine = last.iter().find(|f| f.member_id == me.member.id).map(|f| f.probs.clone());
    Ok((
        org,
        QuestionView { question: q, state: st, community, equal, extremize, forecasts, mine, scores, may_resolve },
    ))
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<Question>), AppError> {
    let org = org_for(state, caller, slug, Action::Learn).await?;
    let qs = state.store.questions(&org.id).await?;
    Ok((org, qs))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Calibration {
    pub handle: String,
    #[schema(value_type = Object)]
    pub records: Vec<(String, Record)>,
    #[schema(value_type = Vec<Object>)]
    pub bins: Vec<Bin>,
}

/// A member's calibration in an organisation: per-domain records and ten bins over every
/// resolved forecast.
pub async fn calibration(state: &AppState, caller: &Caller, slug: &str, handle: &str) -> Result<Calibration, AppError> {
    let org = org_for(state, caller, slug, Action::Learn).await?;
    let member = state
        .store
        .member_by_handle(handle.trim().trim_start_matches('@'))
        .await?
        .ok_or(AppError::NotFound("member"))?;
    let questions: HashMap<String, Question> =
        state.store.questions(&org.id).await?.into_iter().map(|q| (q.id.clone(), q)).collect();
    let rows: Vec<ForecastRow> =
        state.store.resolved_forecasts(&org.id).await?.into_iter().filter(|f| f.member_id == member.id).collect();
    let mut pairs = Vec::new();
    for f in latest_per_question(&rows) {
        if let Some(o) = questions.get(&f.question_id).and_then(|q| q.outcome) {
            pairs.extend(forecast::calibration_pairs(&f.probs, o as usize));
        }
    }
    let mut records: Vec<(String, Record)> = records(&state.store, &org.id)
        .await?
        .into_iter()
        .filter(|((m, _), _)| *m == member.id)
        .map(|((_, d), r)| (d, r))
        .collect();
    records.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Calibration { handle: member.handle, records, bins: forecast::calibration(&pairs) })
}

fn latest_per_question(rows: &[ForecastRow]) -> Vec<&ForecastRow> {
    let mut by: HashMap<&str, &ForecastRow> = HashMap::new();
    for f in rows {
        by.insert(&f.question_id, f);
    }
    by.into_values().collect()
}

/// Forecasting track records of an organisation as performance evidence for believability, per
/// domain: `1 + 9 · evidence(record)` on the 1–10 scale.
pub async fn evidence_in(
    store: &commune_store::Store,
    org_id: &str,
) -> Result<Vec<crate::plugins::Evidence>, AppError> {
    let now = commune_store::now_ms();
    Ok(records(store, org_id)
        .await?
        .into_iter()
        .map(|((member, domain), r)| {
            ("forecasting".to_owned(), member, domain, 1.0 + 9.0 * forecast::evidence(&r), now)
        })
        .collect())
}
