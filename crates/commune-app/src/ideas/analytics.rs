//! Dashboards per organisation (the commune's own — the root organisation — adds the pot):
//! money in and out with the balance, votes per day and turnout, delegation use, the merit
//! weight distribution over time (Gini and largest share of each closed vote's snapshot), the
//! believability distribution, problems logged and resolved, ideas posted and promoted, tasks
//! done and their impact, and the metrics businesses push through the API — every series per
//! day over a chosen range, every table exportable as CSV. A steward of the instance can switch
//! on a public read-only "commune in numbers" page.

use crate::caller::Caller;
use crate::error::AppError;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::ideas::analytics::{
    self as rules, DAY_MS, Fold, MAX_POINTS_PER_PUSH, Range, daily, day_label, histogram,
};
use commune_domain::validation::Invalid;
use commune_store::Org;

/// The public page's setting key.
pub const PUBLIC_NUMBERS: &str = "public_numbers";
const DEFAULT_DAYS: i64 = 90;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Series {
    pub key: String,
    pub label: String,
    pub unit: String,
    /// One value per day of the range.
    pub values: Vec<f64>,
}

impl Series {
    fn new(key: &str, label: &str, unit: &str, values: Vec<f64>) -> Self {
        Self { key: key.into(), label: label.into(), unit: unit.into(), values }
    }

    pub fn total(&self) -> f64 {
        self.values.iter().sum()
    }

    pub fn last(&self) -> f64 {
        self.values.last().copied().unwrap_or(0.0)
    }
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Turnout {
    pub proposal_id: String,
    pub title: String,
    pub closed_on: String,
    pub ballots: i64,
    pub electorate: i64,
    pub turnout: f64,
    /// The merit weight snapshot's Gini coefficient and largest share.
    pub gini: f64,
    pub largest_share: f64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub org_slug: String,
    pub org_name: String,
    /// The commune's own dashboard (with the pot).
    pub commune: bool,
    pub from: String,
    pub to: String,
    pub days: Vec<String>,
    pub currency: String,
    /// Money per day in currency units: in, out (funnel and spending), and the balance.
    pub money: Vec<Series>,
    /// Activity per day: ballots, problems logged and resolved, ideas posted and promoted,
    /// tasks done, impact delivered.
    pub activity: Vec<Series>,
    /// Metrics the organisation pushed, per day (the day's last value).
    pub custom: Vec<Series>,
    pub turnout: Vec<Turnout>,
    pub members: usize,
    /// Members who delegate their vote (in some domain) and live delegations.
    pub delegators: usize,
    pub delegations: usize,
    /// Members' believability (lower bound, general domain) in ten bins over [0, 1].
    pub believability: Vec<usize>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD` (default: 90 days before `to`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today).
    pub to: Option<String>,
}

fn range(q: &RangeQuery) -> Result<Range, Invalid> {
    Range::parse(q.from.as_deref(), q.to.as_deref(), commune_store::now_ms().div_euclid(DAY_MS), DEFAULT_DAYS)
}

fn counts(range: &Range, times: impl IntoIterator<Item = i64>) -> Vec<f64> {
    let points: Vec<(i64, f64)> = times.into_iter().map(|t| (t, 1.0)).collect();
    daily(range, &points, Fold::Sum)
}

pub async fn dashboard(state: &AppState, caller: &Caller, slug: &str, q: &RangeQuery) -> Result<Dashboard, AppError> {
    let org = org_for(state, caller, slug, Action::ReadAnalytics).await?;
    let range = range(q)?;
    build(state, &org, &range).await
}

async fn build(state: &AppState, org: &Org, range: &Range) -> Result<Dashboard, AppError> {
    let (from, to) = (range.start_ms(), range.end_ms());
    // Money: the organisation's wallet (the pot, for the commune), from its statement.
    let (treasury, statement) = crate::payments::treasury_of(state, org).await?;
    let unit = 10f64.powi(treasury.scale as i32);
    let (mut inflow, mut outflow, mut balance) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(st) = &statement {
        for line in st.lines.iter().filter(|l| l.status == "posted") {
            let amount = line.amount_minor as f64 / unit;
            if amount >= 0.0 {
                inflow.push((line.at_ms, amount));
            } else {
                outflow.push((line.at_ms, -amount));
            }
            balance.push((line.at_ms, line.balance_minor as f64 / unit));
        }
    }
    let money = vec![
        Series::new(
            "in",
            if org.is_root { "Into the pot" } else { "Revenue and money in" },
            &treasury.currency,
            daily(range, &inflow, Fold::Sum),
        ),
        Series::new(
            "out",
            if org.is_root { "Out of the pot" } else { "Funnel and spending" },
            &treasury.currency,
            daily(range, &outflow, Fold::Sum),
        ),
        Series::new("balance", "Balance", &treasury.currency, daily(range, &balance, Fold::Last)),
    ];
    let problems = state.store.problems(&org.id).await?;
    let ideas = state.store.ideas(&org.id).await?;
    let done = state.store.tasks_done(&org.id, from, to).await?;
    let impact: Vec<(i64, f64)> =
        done.iter().filter(|t| t.3 > 0).map(|(_, at, sum, votes)| (*at, *sum as f64 / *votes as f64)).collect();
    let activity = vec![
        Series::new(
            "ballots",
            "Ballots cast",
            "ballots",
            counts(range, state.store.ballot_times(&org.id, from, to).await?),
        ),
        Series::new(
            "problems_logged",
            "Problems logged",
            "problems",
            counts(range, problems.iter().map(|p| p.created_at)),
        ),
        Series::new(
            "problems_resolved",
            "Problems resolved",
            "problems",
            counts(range, problems.iter().filter_map(|p| p.resolved_at)),
        ),
        Series::new("ideas_posted", "Ideas posted", "ideas", counts(range, ideas.iter().map(|i| i.created_at))),
        Series::new(
            "ideas_promoted",
            "Ideas promoted to proposals",
            "ideas",
            counts(range, ideas.iter().filter_map(|i| i.promoted_at)),
        ),
        Series::new("tasks_done", "Tasks done", "tasks", counts(range, done.iter().map(|t| t.1))),
        Series::new(
            "impact",
            "Impact delivered (mean score of tasks done)",
            "points",
            daily(range, &impact, Fold::Sum),
        ),
    ];
    let mut custom = Vec::new();
    for s in state.store.metric_series(&org.id).await? {
        let points = state.store.metric_points(&s.id, 0, to).await?;
        custom.push(Series::new(&s.name, &s.name, &s.unit, daily(range, &points, Fold::Last)));
    }
    let mut turnout = Vec::new();
    for p in state.store.closed_proposals(&org.id, from, to).await? {
        let weights: Vec<f64> = state.store.weights(&p.id).await?.iter().map(|w| w.2 as f64).collect();
        let sum: f64 = weights.iter().sum();
        turnout.push(Turnout {
            closed_on: day_label(p.closes_at.div_euclid(DAY_MS)),
            turnout: if p.electorate > 0 { p.ballots as f64 / p.electorate as f64 } else { 0.0 },
            gini: commune_domain::merit::weights::gini(&weights),
            largest_share: if sum > 0.0 { weights.iter().copied().fold(0.0, f64::max) / sum } else { 0.0 },
            proposal_id: p.id,
            title: p.title,
            ballots: p.ballots,
            electorate: p.electorate,
        });
    }
    let members = state.store.org_members(&org.id).await?;
    let ids: std::collections::HashSet<&str> = members.iter().map(|m| m.member_id.as_str()).collect();
    let live = state.store.live_delegations(&org.id).await?;
    let mut delegators: Vec<&str> = live.iter().map(|d| d.delegator_id.as_str()).collect();
    delegators.sort();
    delegators.dedup();
    let scores: Vec<f64> = state
        .store
        .believability_in("general")
        .await?
        .into_iter()
        .filter(|b| ids.contains(b.member_id.as_str()))
        .map(|b| b.lower.clamp(0.0, 1.0))
        .collect();
    Ok(Dashboard {
        org_slug: org.slug.clone(),
        org_name: org.name.clone(),
        commune: org.is_root,
        from: day_label(range.from),
        to: day_label(range.to),
        days: (range.from..=range.to).map(day_label).collect(),
        currency: treasury.currency,
        money,
        activity,
        custom,
        turnout,
        members: members.len(),
        delegators: delegators.len(),
        delegations: live.len(),
        believability: histogram(&scores, 10, 0.0, 1.0),
    })
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.4}") }
}

/// A dashboard table as CSV: `daily` (every series per day), `turnout` or `believability`.
pub fn csv(d: &Dashboard, table: &str) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Rule(format!("cannot write CSV: {e}"));
    match table {
        "daily" => {
            let all: Vec<&Series> = d.money.iter().chain(&d.activity).chain(&d.custom).collect();
            let mut header = vec!["date".to_owned()];
            header.extend(
                all.iter().map(|s| if s.unit.is_empty() { s.key.clone() } else { format!("{} ({})", s.key, s.unit) }),
            );
            w.write_record(&header).map_err(io)?;
            for (i, day) in d.days.iter().enumerate() {
                let mut row = vec![day.clone()];
                row.extend(all.iter().map(|s| number(s.values[i])));
                w.write_record(&row).map_err(io)?;
            }
        }
        "turnout" => {
            w.write_record([
                "proposal_id",
                "title",
                "closed_on",
                "ballots",
                "electorate",
                "turnout",
                "gini",
                "largest_share",
            ])
            .map_err(io)?;
            for t in &d.turnout {
                w.write_record([
                    t.proposal_id.clone(),
                    t.title.clone(),
                    t.closed_on.clone(),
                    t.ballots.to_string(),
                    t.electorate.to_string(),
                    format!("{:.4}", t.turnout),
                    format!("{:.4}", t.gini),
                    format!("{:.4}", t.largest_share),
                ])
                .map_err(io)?;
            }
        }
        "believability" => {
            w.write_record(["from", "to", "members"]).map_err(io)?;
            for (i, n) in d.believability.iter().enumerate() {
                w.write_record([
                    format!("{:.1}", i as f64 / 10.0),
                    format!("{:.1}", (i + 1) as f64 / 10.0),
                    n.to_string(),
                ])
                .map_err(io)?;
            }
        }
        _ => return Err(Invalid::new("table", "daily, turnout or believability").into()),
    }
    let bytes = w.into_inner().map_err(|e| AppError::Rule(format!("cannot write CSV: {e}")))?;
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct MetricPoint {
    /// When, in unix milliseconds…
    pub at: Option<i64>,
    /// …or a day, `YYYY-MM-DD` (its start, UTC).
    pub date: Option<String>,
    /// The value: a JSON number or a plain decimal string (`"12.50"`), at most 10¹⁵.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct MetricPush {
    /// `a-z 0-9 _ . -`, starting with a letter (e.g. `orders.daily`).
    pub name: String,
    /// The unit, e.g. `EUR`, `orders`, `%` (fixed by the first push).
    pub unit: String,
    /// 1 to 1,000 points; a point at an instant that already has one replaces it.
    pub points: Vec<MetricPoint>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MetricPushed {
    pub name: String,
    pub unit: String,
    pub accepted: usize,
}

/// Pushes points of a named series (stewards; tokens with `metrics:write`). Every point is
/// checked before any is written; a bad one names its index.
pub async fn push(state: &AppState, caller: &Caller, slug: &str, input: &MetricPush) -> Result<MetricPushed, AppError> {
    let org = org_for(state, caller, slug, Action::PushMetrics).await?;
    let name = rules::metric_name(&input.name)?;
    let unit = rules::metric_unit(&input.unit)?;
    if input.points.is_empty() || input.points.len() > MAX_POINTS_PER_PUSH {
        return Err(Invalid::new("points", format!("1 to {MAX_POINTS_PER_PUSH} points per push")).into());
    }
    let now = commune_store::now_ms();
    let earliest = rules::parse_day("points", "2000-01-01")? * DAY_MS;
    let mut points = Vec::with_capacity(input.points.len());
    for (i, p) in input.points.iter().enumerate() {
        let bad = |what: &str| AppError::from(Invalid::new("points", format!("point {i}: {what}")));
        let at = match (p.at, p.date.as_deref()) {
            (Some(at), None) => at,
            (None, Some(d)) => rules::parse_day("points", d).map_err(|e| bad(&e.message))? * DAY_MS,
            _ => return Err(bad("give either at (unix ms) or date (YYYY-MM-DD)")),
        };
        if at < earliest || at > now + DAY_MS {
            return Err(bad("the time is before 2000 or in the future"));
        }
        let value = match &p.value {
            serde_json::Value::String(s) => rules::metric_value(s).map_err(|e| bad(&e.message))?,
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(v) if v.is_finite() && v.abs() <= rules::MAX_VALUE => v,
                _ => return Err(bad("the value is out of range")),
            },
            _ => return Err(bad("the value is a number or a decimal string")),
        };
        points.push((at, value));
    }
    let existing = state.store.metric_series_named(&org.id, &name).await?;
    if let Some(s) = &existing
        && s.unit != unit
    {
        return Err(AppError::Rule(format!("the metric {name} is measured in {}, not {unit}", s.unit)));
    }
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    let id = match existing {
        Some(s) => s.id,
        None => tx.create_metric_series(&org.id, &name, &unit).await?,
    };
    tx.push_metric_points(&id, &points).await?;
    tx.commit().await?;
    Ok(MetricPushed { name, unit, accepted: points.len() })
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MetricView {
    pub name: String,
    pub unit: String,
    /// `(unix ms, value)`, oldest first.
    pub points: Vec<(i64, f64)>,
}

/// One pushed series over a range (members; tokens with `metrics:read`).
pub async fn metric(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    name: &str,
    q: &RangeQuery,
) -> Result<MetricView, AppError> {
    let org = org_for(state, caller, slug, Action::ReadAnalytics).await?;
    let range = range(q)?;
    let s = state.store.metric_series_named(&org.id, name).await?.ok_or(AppError::NotFound("metric"))?;
    let points = state.store.metric_points(&s.id, range.start_ms(), range.end_ms()).await?;
    Ok(MetricView { name: s.name, unit: s.unit, points })
}

/// The public "commune in numbers": the commune's dashboard over the last year, when a steward
/// of the instance has switched it on; otherwise it does not exist.
pub async fn public_numbers(state: &AppState) -> Result<Dashboard, AppError> {
    if state.store.setting(PUBLIC_NUMBERS).await?.as_deref() != Some("on") {
        return Err(AppError::NotFound("page"));
    }
    let root = state.store.root_org().await?.ok_or(AppError::NotFound("page"))?;
    let today = commune_store::now_ms().div_euclid(DAY_MS);
    build(state, &root, &Range { from: today - 364, to: today }).await
}

/// Switches the public page on or off (stewards of the instance).
pub async fn set_public_numbers(state: &AppState, caller: &Caller, on: bool) -> Result<(), AppError> {
    caller.authorize(state, None, Action::AdministerInstance).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.set_setting(PUBLIC_NUMBERS, if on { "on" } else { "off" }).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn public_numbers_on(state: &AppState) -> Result<bool, AppError> {
    Ok(state.store.setting(PUBLIC_NUMBERS).await?.as_deref() == Some("on"))
}
