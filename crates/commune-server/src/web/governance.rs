//! Governance pages: proposals, the ballot for every method, results with both tallies,
//! discussion and delegation.

use super::frame::{Form, Page, Web, WebError, WebResult, render};
use crate::error::AppError;
use commune_app::governance::{self, ProposalInput, Receipt};
use commune_app::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_domain::Invalid;
use commune_domain::authz::Action;
use commune_domain::governance::count::ModeTally;
use commune_domain::governance::floors::Floors;
use commune_domain::governance::methods::{Ballot, RankedRule, Stance, VotingMethod};
use commune_domain::governance::proposal::{self, Effect, Kind, Phase};
use commune_domain::governance::weight;
use commune_domain::org::Role;
use commune_store::{Delegation, Org, Proposal};
use std::collections::BTreeMap;

type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// A number for people: whole numbers without decimals, others to three places.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.3}").trim_end_matches('0').to_owned()
    }
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ProposalsPage {
    page: Page,
    org: Org,
    proposals: Vec<Proposal>,
}

pub async fn list(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    let org = commune_app::service::org_for(&state, &web.caller, &slug, Action::ReadProposals).await?;
    let viewer = web.caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    let proposals = state.store.org_proposals(&org.id, &viewer).await?;
    Ok(render(&ProposalsPage { page: web.page("Proposals", "orgs"), org, proposals }))
}

/// The new-proposal form's fields, kept as typed so a form with problems comes back filled in.
#[derive(Debug, Clone, Default)]
struct ProposalForm {
    title: String,
    body: String,
    kind: String,
    domain: String,
    weighting: String,
    method: String,
    threshold: String,
    objection_limit: String,
    budget: String,
    options: String,
    opens: String,
    closes: String,
    quorum: String,
    secret: bool,
    policy_key: String,
    policy_value: String,
    admit: String,
    amount: String,
    currency: String,
    recipient: String,
    seats: String,
    role: String,
    /// The one-time key this form was rendered with.
    form_key: String,
}

impl ProposalForm {
    fn from_fields(f: &Fields) -> ProposalForm {
        let g = |n: &str| field(f, n).to_owned();
        ProposalForm {
            title: g("title"),
            body: g("body"),
            kind: g("kind"),
            domain: g("domain"),
            weighting: g("weighting"),
            method: g("method"),
            threshold: g("threshold"),
            objection_limit: g("objection_limit"),
            budget: g("budget"),
            options: g("options"),
            opens: g("opens"),
            closes: g("closes"),
            quorum: g("quorum"),
            secret: field(f, "secret") == "1",
            policy_key: g("policy_key"),
            policy_value: g("policy_value"),
            admit: g("admit"),
            amount: g("amount"),
            currency: g("currency"),
            recipient: g("recipient"),
            seats: g("seats"),
            role: g("role"),
            form_key: g("form_key"),
        }
    }

    /// A new form: voting opens two days and ten minutes from now and stays open four days,
    /// which meets the floors of every kind but large money (whose floors the form will name).
    fn fresh(now_ms: i64) -> ProposalForm {
        let minute = 60_000;
        let opens = now_ms - now_ms.rem_euclid(minute) + 2 * 24 * 60 * minute + 10 * minute;
        ProposalForm {
            kind: "decision".into(),
            method: "ranked:schulze".into(),
            threshold: "0.5".into(),
            objection_limit: "0.1".into(),
            budget: "100".into(),
            opens: local(opens),
            closes: local(opens + 4 * 24 * 60 * minute),
            currency: "EUR".into(),
            seats: "1".into(),
            form_key: super::wallet::form_id(),
            ..ProposalForm::default()
        }
    }
}

/// `YYYY-MM-DDTHH:MM` (UTC) for a datetime-local field.
fn local(ms: i64) -> String {
    super::frame::format_ms(ms, time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"))
}

fn parse_local(field_name: &'static str, raw: &str) -> Result<i64, Invalid> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let trimmed = raw.trim().get(..16).unwrap_or(raw.trim());
    time::PrimitiveDateTime::parse(trimmed, format)
        .map(|t| (t.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| Invalid::new(field_name, "use the form YYYY-MM-DDTHH:MM (UTC)"))
}

const METHODS: [(&str, &str); 12] = [
    ("ranked:schulze", "ranked — Schulze"),
    ("ranked:irv", "ranked — instant runoff"),
    ("ranked:borda", "ranked — Borda"),
    ("ranked:copeland", "ranked — Copeland"),
    ("ranked:ranked-pairs", "ranked — ranked pairs"),
    ("ranked:minimax", "ranked — minimax"),
    ("yes_no", "yes / no / abstain"),
    ("consent", "consent"),
    ("single_choice", "single choice"),
    ("approval", "approval"),
    ("score", "score 0–5"),
    ("quadratic", "quadratic"),
];

fn method_of(form: &ProposalForm) -> Result<VotingMethod, Invalid> {
    let num =
        |raw: &str, name: &'static str| raw.trim().parse::<f64>().map_err(|_| Invalid::new(name, "must be a number"));
    let budget = || form.budget.trim().parse::<u32>().map_err(|_| Invalid::new("budget", "must be a whole number"));
    Ok(match form.method.as_str() {
        "yes_no" => VotingMethod::YesNo { threshold: num(&form.threshold, "threshold")? },
        "consent" => VotingMethod::Consent { objection_limit: num(&form.objection_limit, "objection_limit")? },
        "single_choice" => VotingMethod::SingleChoice,
        "approval" => VotingMethod::Approval,
        "score" => VotingMethod::Score,
        "quadratic" => VotingMethod::Quadratic { credits: budget()? },
        "points" => VotingMethod::Points { budget: budget()? },
        other => {
            let rule = other.strip_prefix("ranked:").unwrap_or("schulze");
            let rule: RankedRule = serde_json::from_value(serde_json::Value::String(rule.to_owned()))
                .map_err(|_| Invalid::new("method", "unknown method"))?;
            VotingMethod::Ranked { rule }
        }
    })
}

/// The form's amount in minor units of its currency, by the one amount grammar.
async fn amount_in(state: &AppState, form: &ProposalForm) -> Result<Result<i64, Invalid>, AppError> {
    let Some(ledger) = state.store.ledger_by_asset(&form.currency.trim().to_ascii_uppercase()).await? else {
        return Ok(Err(Invalid::new("currency", "name a currency the commune keeps a ledger in (e.g. EUR)")));
    };
    Ok(commune_domain::ledger::amount::parse(&form.amount, ledger.scale, "amount")
        .and_then(|m| i64::try_from(m).map_err(|_| Invalid::new("amount", "the amount is too large"))))
}

async fn input_of(state: &AppState, form: &ProposalForm) -> Result<ProposalInput, AppError> {
    let mut problems = commune_domain::Violations::default();
    let method = problems.check(method_of(form));
    let opens = problems.check(parse_local("voting_opens_at", &form.opens));
    let closes = problems.check(parse_local("voting_closes_at", &form.closes));
    let quorum = if form.quorum.trim().is_empty() {
        None
    } else {
        problems.check(
            form.quorum.trim().parse::<f64>().map_err(|_| Invalid::new("quorum", "must be a number between 0 and 1")),
        )
    };
    let kind = Kind::parse(&form.kind).unwrap_or(Kind::Decision);
    let effect = match kind {
        Kind::Policy => Effect::SetPolicy {
            key: form.policy_key.clone(),
            value: problems
                .check(
                    form.policy_value
                        .trim()
                        .parse::<f64>()
                        .map_err(|_| Invalid::new("policy_value", "must be a number")),
                )
                .unwrap_or(0.0),
        },
        Kind::Admission => match state.store.member_by_handle(&form.admit.trim().to_ascii_lowercase()).await? {
            Some(m) => Effect::Admit { member_id: m.id },
            None => {
                problems.0.push(Invalid::new("admit", "name the handle of the person to admit"));
                Effect::None
            }
        },
        Kind::Allocation => Effect::Allocate {
            amount_minor: problems.check(amount_in(state, form).await?).unwrap_or(0),
            currency: form.currency.trim().to_owned(),
            recipient: form.recipient.trim().to_owned(),
        },
        Kind::Budget => Effect::Budget {
            total_minor: problems.check(amount_in(state, form).await?).unwrap_or(0),
            currency: form.currency.trim().to_owned(),
        },
        Kind::Election => Effect::Elect {
            role: if form.role.is_empty() { "steward".into() } else { form.role.clone() },
            seats: form.seats.trim().parse().unwrap_or(1),
        },
        Kind::Decision | Kind::Endorsement => Effect::None,
    };
    problems.clone().into_result()?;
    let (Some(method), Some(opens), Some(closes)) = (method, opens, closes) else { return Err(problems.into()) };
    Ok(ProposalInput {
        title: form.title.clone(),
        body: form.body.clone(),
        domain: form.domain.clone(),
        kind: form.kind.clone(),
        method,
        weighting: form.weighting.clone(),
        quorum,
        options: form.options.lines().map(str::to_owned).collect(),
        secret: form.secret,
        voting_opens_at: opens,
        voting_closes_at: closes,
        effect,
        form_key: Some(form.form_key.clone()).filter(|k| !k.is_empty()),
    })
}

#[derive(Template)]
#[template(path = "proposal_new.html")]
struct NewPage {
    page: Page,
    org: Org,
    form: ProposalForm,
    errors: Vec<String>,
    kinds: Vec<&'static str>,
    methods: Vec<(&'static str, &'static str)>,
    policies: Vec<(&'static str, &'static str)>,
}

fn new_page(web: &Web, org: Org, form: ProposalForm, errors: Vec<String>) -> NewPage {
    NewPage {
        page: web.page("New proposal", "orgs"),
        org,
        form,
        errors,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        methods: METHODS.to_vec(),
        policies: proposal::POLICY_PARAMETERS.iter().map(|p| (p.key, p.describe)).collect(),
    }
}

pub async fn new_form(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    let org = commune_app::service::org_for(&state, &web.caller, &slug, Action::Participate).await?;
    Ok(render(&new_page(&web, org, ProposalForm::fresh(commune_store::now_ms()), Vec::new())))
}

pub async fn create(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    web.check_csrf(field(&fields, "csrf"))?;
    let org = commune_app::service::org_for(&state, &web.caller, &slug, Action::Participate).await?;
    let form = ProposalForm::from_fields(&fields);
    let result = match input_of(&state, &form).await {
        Ok(input) => governance::create(&state, &web.caller, &slug, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/p/{}", p.id)).into_response()),
        Err(e) => {
            let errors = super::pages::form_problems(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&new_page(&web, org, form, errors))).into_response())
        }
    }
}

/// One row of the results chart: an option in both modes.
pub struct ResultRow {
    label: String,
    equal: String,
    merit: String,
    /// Percent of the votes cast (or of all points), as shown beside the number.
    equal_share: String,
    merit_share: String,
    equal_pct: i64,
    merit_pct: i64,
    equal_wins: bool,
    merit_wins: bool,
}

/// A pairwise margin table or runoff rounds of one mode.
pub struct Detail {
    mode: &'static str,
    /// Column headings (options or rounds).
    head: Vec<String>,
    /// Row label and cells.
    rows: Vec<(String, Vec<String>)>,
}

pub struct ResultsView {
    primary: String,
    verdict: String,
    summary: String,
    differ: bool,
    /// What each mode decided, in words, for the disagreement banner.
    equal_says: String,
    merit_says: String,
    /// What the percentages are of.
    share_of: &'static str,
    rows: Vec<ResultRow>,
    details: Vec<Detail>,
    received: Vec<(String, String)>,
    /// Delegated and lost votes (totals only, for a secret proposal).
    delegated: String,
    lost: String,
    receipts: Vec<String>,
}

fn labels(p: &Proposal) -> Vec<String> {
    match p.method {
        VotingMethod::YesNo { .. } => vec!["yes".into(), "no".into(), "abstain".into()],
        VotingMethod::Consent { .. } => vec!["consent".into(), "object".into()],
        _ => p.options.clone(),
    }
}

/// What a mode decided, in words.
fn verdict_of(p: &Proposal, t: &commune_domain::governance::methods::Tally) -> String {
    match (&p.method, t.passed) {
        (_, false) if !t.quorum_met => "no decision: quorum not reached".to_owned(),
        (VotingMethod::YesNo { .. } | VotingMethod::Consent { .. }, true) => "passed".to_owned(),
        (VotingMethod::YesNo { .. } | VotingMethod::Consent { .. }, false) => "did not pass".to_owned(),
        (_, _) => {
            let names: Vec<&str> = t.winners.iter().filter_map(|&w| p.options.get(w).map(String::as_str)).collect();
            if names.is_empty() { "no winner".to_owned() } else { format!("winner: {}", names.join(" and ")) }
        }
    }
}

/// Percentages of what: the votes cast for choices that split the votes, all points for
/// methods that hand out points, nothing for pairwise counts (their margins say more).
fn share_basis(method: &VotingMethod) -> Option<&'static str> {
    match method {
        VotingMethod::YesNo { .. }
        | VotingMethod::Consent { .. }
        | VotingMethod::SingleChoice
        | VotingMethod::Approval => Some("of the votes cast"),
        VotingMethod::Ranked { rule: RankedRule::Plurality | RankedRule::Irv } => Some("of the votes cast"),
        VotingMethod::Score | VotingMethod::Quadratic { .. } | VotingMethod::Points { .. } => Some("of all points"),
        VotingMethod::Ranked { rule: RankedRule::Borda } => Some("of all Borda points"),
        VotingMethod::Ranked { .. } => None,
    }
}

fn percent_text(part: f64, whole: f64) -> String {
    if whole > 0.0 { format!("{:.1}%", part / whole * 100.0) } else { "–".to_owned() }
}

fn details_of(p: &Proposal, mode: &'static str, t: &commune_domain::governance::methods::Tally) -> Option<Detail> {
    if !t.margins.is_empty() {
        let rows = p
            .options
            .iter()
            .zip(&t.margins)
            .map(|(label, row)| {
                (
                    label.clone(),
                    row.iter().map(|m| if *m > 0.0 { format!("+{}", number(*m)) } else { number(*m) }).collect(),
                )
            })
            .collect();
        return Some(Detail { mode, head: p.options.clone(), rows });
    }
    if !t.rounds.is_empty() {
        let head = (1..=t.rounds.len()).map(|r| format!("round {r}")).collect();
        let rows = p
            .options
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let cells = t
                    .rounds
                    .iter()
                    .map(|round| round.get(i).copied().flatten().map_or("out".to_owned(), number))
                    .collect();
                (label.clone(), cells)
            })
            .collect();
        return Some(Detail { mode, head, rows });
    }
    None
}

async fn results_view(state: &AppState, p: &Proposal, r: governance::Results) -> Result<ResultsView, AppError> {
    let primary: &ModeTally = if r.primary_mode == "merit" { &r.merit } else { &r.equal };
    let t = &primary.tally;
    let verdict = verdict_of(p, t);
    let mut summary = format!(
        "{} of {} eligible voted ({:.0}% of the weight; quorum {:.0}%, counted {} voters toward it)",
        t.voters,
        p_eligible(t),
        t.participation * 100.0,
        p.quorum * 100.0,
        t.quorum_voters
    );
    if let Some(s) = t.support {
        summary.push_str(&format!(", support {:.1}%", s * 100.0));
    }
    let basis = share_basis(&p.method);
    let whole = |tally: &commune_domain::governance::methods::Tally| match basis {
        Some("of the votes cast") => weight::votes(tally.cast_weight),
        _ => tally.scores.iter().sum(),
    };
    let (we, wm) = (whole(&r.equal.tally), whole(&r.merit.tally));
    let max_of = |scores: &[f64]| scores.iter().copied().map(f64::abs).fold(0.0, f64::max);
    let (me, mm) = (max_of(&r.equal.tally.scores), max_of(&r.merit.tally.scores));
    let pct = |x: f64, max: f64| if max > 0.0 { ((x.abs() / max) * 100.0).round() as i64 } else { 0 };
    let rows = labels(p)
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let e = r.equal.tally.scores.get(i).copied().unwrap_or(0.0);
            let m = r.merit.tally.scores.get(i).copied().unwrap_or(0.0);
            ResultRow {
                label,
                equal: number(e),
                merit: number(m),
                equal_share: basis.map_or_else(String::new, |_| percent_text(e, we)),
                merit_share: basis.map_or_else(String::new, |_| percent_text(m, wm)),
                equal_pct: pct(e, me),
                merit_pct: pct(m, mm),
                equal_wins: r.equal.tally.winners.contains(&i),
                merit_wins: r.merit.tally.winners.contains(&i),
            }
        })
        .collect();
    let details = [("equal weights", &r.equal), ("merit weights", &r.merit)]
        .into_iter()
        .filter_map(|(mode, m)| details_of(p, mode, &m.tally))
        .collect();
    let mut received = Vec::new();
    for (id, w) in &primary.received {
        let handle = state.store.member_by_id(id).await?.map_or_else(|| id.clone(), |m| m.handle);
        received.push((handle, number(weight::votes(*w))));
    }
    Ok(ResultsView {
        primary: r.primary_mode.clone(),
        verdict: capitalised(&verdict),
        summary,
        differ: r.modes_differ,
        equal_says: verdict_of(p, &r.equal.tally),
        merit_says: verdict_of(p, &r.merit.tally),
        share_of: basis.unwrap_or(""),
        rows,
        details,
        received,
        delegated: number(weight::votes(primary.delegated_weight)),
        lost: number(weight::votes(primary.lost_weight)),
        receipts: r.receipts,
    })
}

/// The eligible electorate, in votes (every member's equal weight is one vote).
fn p_eligible(t: &commune_domain::governance::methods::Tally) -> String {
    number(weight::votes(t.eligible_weight))
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

pub struct MyBallot {
    ballot: String,
    receipt: String,
    nonce: String,
    delegation_overridden: Option<String>,
}

impl From<Receipt> for MyBallot {
    fn from(r: Receipt) -> MyBallot {
        MyBallot {
            ballot: r.ballot.to_string(),
            receipt: r.receipt,
            nonce: r.nonce,
            delegation_overridden: r.delegation_overridden,
        }
    }
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    page: Page,
    p: Proposal,
    body_html: String,
    constitutional: bool,
    is_author: bool,
    is_steward: bool,
    eligible: bool,
    can_vote: bool,
    can_discuss: bool,
    method_kind: &'static str,
    credits: u32,
    options: Vec<(usize, String)>,
    my: Option<MyBallot>,
    results: Option<ResultsView>,
    comments: Vec<crate::views::CommentView>,
    ballots_cast: usize,
    eligible_count: usize,
    errors: Vec<String>,
    /// The voter's current ballot as form values, so replacing it starts from it.
    prefill: std::collections::HashMap<String, String>,
    /// The floors it meets, in words: discussion, voting, quorum, support (empty for choices), voters.
    floors: Option<(String, String, String, String, usize)>,
}

impl ProposalPage {
    fn is(&self, key: &str, value: &str) -> bool {
        self.prefill.get(key).is_some_and(|v| v == value)
    }

    fn at(&self, prefix: &str, i: &usize) -> String {
        self.prefill.get(&format!("{prefix}_{i}")).cloned().unwrap_or_default()
    }

    fn picked(&self, prefix: &str, i: &usize, value: &usize) -> bool {
        self.at(prefix, i) == value.to_string()
    }
}

/// Form values of a stored ballot (see `ballot_of` for the reverse).
fn prefill_of(ballot: &Ballot) -> std::collections::HashMap<String, String> {
    let mut values = std::collections::HashMap::new();
    match ballot {
        Ballot::YesNo { stance } => {
            let s = match stance {
                Stance::Yes => "yes",
                Stance::No => "no",
                Stance::Abstain => "abstain",
            };
            values.insert("stance".into(), s.into());
        }
        Ballot::Consent { object } => {
            values.insert("consent".into(), if *object { "object" } else { "consent" }.into());
        }
        Ballot::Single { option } => {
            values.insert("option".into(), option.to_string());
        }
        Ballot::Approval { options } => {
            for o in options {
                values.insert(format!("approve_{o}"), "1".into());
            }
        }
        Ballot::Score { scores } => {
            for (i, s) in scores.iter().enumerate() {
                if let Some(s) = s {
                    values.insert(format!("score_{i}"), s.to_string());
                }
            }
        }
        Ballot::Ranked { ranking } => {
            for (tier, options) in ranking.iter().enumerate() {
                for o in options {
                    values.insert(format!("rank_{o}"), (tier + 1).to_string());
                }
            }
        }
        Ballot::Quadratic { votes } => {
            for (i, v) in votes.iter().enumerate() {
                values.insert(format!("votes_{i}"), v.to_string());
            }
        }
        Ballot::Points { points } => {
            for (i, v) in points.iter().enumerate() {
                values.insert(format!("points_{i}"), v.to_string());
            }
        }
    }
    values
}

fn method_kind(m: &VotingMethod) -> (&'static str, u32) {
    match m {
        VotingMethod::YesNo { .. } => ("yes_no", 0),
        VotingMethod::Consent { .. } => ("consent", 0),
        VotingMethod::SingleChoice => ("single_choice", 0),
        VotingMethod::Approval => ("approval", 0),
        VotingMethod::Score => ("score", 0),
        VotingMethod::Ranked { .. } => ("ranked", 0),
        VotingMethod::Quadratic { credits } => ("quadratic", *credits),
        VotingMethod::Points { budget } => ("points", *budget),
    }
}

async fn proposal_page(state: &AppState, web: &Web, id: &str, errors: Vec<String>) -> Result<ProposalPage, WebError> {
    let (p, org) = governance::visible(state, &web.caller, id).await?;
    let me = web.caller.member();
    let role = match me {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await?,
        None => None,
    };
    let weights = state.store.weights(id).await?;
    let eligible = me.is_some_and(|me| weights.iter().any(|(m, _, _)| *m == me.member.id));
    let ballots_cast = state.store.ballots(id).await?.len();
    let (kind, credits) = method_kind(&p.method);
    let my = governance::my_receipt(state, &web.caller, &p).await?;
    let stored: Option<Ballot> = my.as_ref().and_then(|r| serde_json::from_value(r.ballot.clone()).ok());
    let prefill = stored.as_ref().map(prefill_of).unwrap_or_default();
    // Ranked ballots list the options in the voter's current order, unranked last.
    let mut options: Vec<(usize, String)> = p.options.iter().cloned().enumerate().collect();
    if let Some(Ballot::Ranked { ranking }) = &stored {
        let rank = |i: usize| ranking.iter().position(|tier| tier.contains(&i)).unwrap_or(usize::MAX);
        options.sort_by_key(|(i, _)| (rank(*i), *i));
    }
    let results = match governance::results(state, &web.caller, id).await? {
        Some(r) => Some(results_view(state, &p, r).await?),
        None => None,
    };
    Ok(ProposalPage {
        page: web.page(p.title.clone(), "orgs"),
        body_html: crate::markdown::to_html(&p.body),
        constitutional: p.effect.is_constitutional(p.kind),
        is_author: me.is_some_and(|me| me.member.id == p.author_id),
        is_steward: role == Some(Role::Steward),
        eligible,
        can_vote: p.phase == Phase::Voting && eligible && commune_store::now_ms() < p.voting_closes_at,
        can_discuss: role.is_some() && !matches!(p.phase, Phase::Draft | Phase::Cancelled),
        method_kind: kind,
        credits,
        options,
        my: my.map(MyBallot::from),
        prefill,
        results,
        comments: state.store.comments(id).await?.into_iter().map(Into::into).collect(),
        ballots_cast,
        eligible_count: weights.len(),
        errors,
        floors: p.floors.map(|f| floors_in_words(&f, &p.method)),
        p,
    })
}

/// Floors for people: durations in hours or days, fractions in percent.
fn floors_in_words(f: &Floors, method: &VotingMethod) -> (String, String, String, String, usize) {
    let span = |ms: i64| {
        let hours = ms as f64 / 3_600_000.0;
        if hours >= 48.0 { format!("{} days", number(hours / 24.0)) } else { format!("{} hours", number(hours)) }
    };
    let percent = |ppm: u64| format!("{}%", number(ppm as f64 / 10_000.0));
    let support = if method.has_options() { String::new() } else { percent(f.support_ppm) };
    (span(f.discussion_ms), span(f.voting_ms), percent(f.quorum_ppm), support, f.min_voters)
}

pub async fn show(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&proposal_page(&state, &web, &id, Vec::new()).await?))
}

/// Builds a ballot from the form for `method` over `n` options.
fn ballot_of(method: &VotingMethod, n: usize, f: &Fields) -> Result<Ballot, Invalid> {
    let bad = |m: &str| Invalid::new("ballot", m);
    let per_option = |prefix: &str| -> Result<Vec<u32>, Invalid> {
        (0..n)
            .map(|i| {
                let raw = field(f, &format!("{prefix}_{i}")).trim();
                if raw.is_empty() { Ok(0) } else { raw.parse().map_err(|_| bad("enter whole numbers of 0 or more")) }
            })
            .collect()
    };
    Ok(match method {
        VotingMethod::YesNo { .. } => Ballot::YesNo {
            stance: match field(f, "stance") {
                "yes" => Stance::Yes,
                "no" => Stance::No,
                "abstain" => Stance::Abstain,
                _ => return Err(bad("choose yes, no or abstain")),
            },
        },
        VotingMethod::Consent { .. } => match field(f, "consent") {
            "consent" => Ballot::Consent { object: false },
            "object" => Ballot::Consent { object: true },
            _ => return Err(bad("consent or object")),
        },
        VotingMethod::SingleChoice => {
            Ballot::Single { option: field(f, "option").parse().map_err(|_| bad("choose an option"))? }
        }
        VotingMethod::Approval => Ballot::Approval {
            options: f
                .iter()
                .filter(|(k, _)| k == "approve")
                .map(|(_, v)| v.parse().map_err(|_| bad("unknown option")))
                .collect::<Result<_, _>>()?,
        },
        VotingMethod::Score => Ballot::Score {
            scores: (0..n)
                .map(|i| {
                    let raw = field(f, &format!("score_{i}")).trim();
                    if raw.is_empty() {
                        Ok(None)
                    } else {
                        raw.parse().map(Some).map_err(|_| bad("scores go from 0 to 5"))
                    }
                })
                .collect::<Result<_, _>>()?,
        },
        VotingMethod::Ranked { .. } => {
            let mut tiers: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for i in 0..n {
                let raw = field(f, &format!("rank_{i}")).trim();
                if !raw.is_empty() {
                    let rank: u32 = raw.parse().map_err(|_| bad("ranks are whole numbers"))?;
                    tiers.entry(rank).or_default().push(i);
                }
            }
            Ballot::Ranked { ranking: tiers.into_values().collect() }
        }
        VotingMethod::Quadratic { .. } => Ballot::Quadratic { votes: per_option("votes")? },
        VotingMethod::Points { .. } => Ballot::Points { points: per_option("points")? },
    })
}

/// After a proposal action: redirect to `to`, or re-render the proposal with the problem.
async fn then_redirect(state: &AppState, web: &Web, id: &str, result: Result<(), AppError>, to: String) -> WebResult {
    match result {
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(e) => proposal_problem(state, web, id, e).await,
    }
}

/// Re-renders the proposal with the problems of a form, or shows an error page.
async fn proposal_problem(state: &AppState, web: &Web, id: &str, e: AppError) -> WebResult {
    let status = crate::error::status(&e);
    let errors = super::pages::form_problems(e)?;
    Ok((status, render(&proposal_page(state, web, id, errors).await?)).into_response())
}

pub async fn vote(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    web.check_csrf(field(&fields, "csrf"))?;
    // The ballot form is read against the proposal's method (from the voting path's cache); the
    // cast then authorizes and checks everything itself. A form that does not parse is answered
    // only after the full visibility check, so it tells an outsider nothing.
    let (method, options) = governance::ballot_shape(&state, &id).await?;
    let result = match ballot_of(&method, options, &fields) {
        Ok(ballot) => governance::cast(&state, &web.caller, &id, &ballot).await.map(|_| ()),
        Err(invalid) => {
            governance::visible(&state, &web.caller, &id).await?;
            Err(invalid.into())
        }
    };
    then_redirect(&state, &web, &id, result, format!("/p/{id}?done=voted#receipt")).await
}

pub async fn publish(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<super::pages::CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = governance::publish(&state, &web.caller, &id).await.map(|_| ());
    then_redirect(&state, &web, &id, result, format!("/p/{id}?done=published")).await
}

pub async fn cancel(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<super::pages::CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = governance::cancel(&state, &web.caller, &id).await.map(|_| ());
    then_redirect(&state, &web, &id, result, format!("/p/{id}?done=cancelled")).await
}

#[derive(Debug, serde::Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    form_key: String,
}

pub async fn comment(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = governance::comment(&state, &web.caller, &id, &form.body, Some(&form.form_key)).await;
    then_redirect(&state, &web, &id, result, format!("/p/{id}#discussion")).await
}

#[derive(Template)]
#[template(path = "delegations.html")]
struct DelegationsPage {
    page: Page,
    org: Org,
    mine: Vec<Delegation>,
    received: Vec<(String, i64)>,
    max_received: i64,
    errors: Vec<String>,
}

async fn delegations_page(
    state: &AppState,
    web: &Web,
    slug: &str,
    errors: Vec<String>,
) -> Result<DelegationsPage, WebError> {
    let (org, all) = governance::delegations(state, &web.caller, slug).await?;
    let me = web.caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for d in &all {
        *counts.entry(d.delegate_handle.clone()).or_default() += 1;
    }
    let mut received: Vec<(String, i64)> = counts.into_iter().collect();
    received.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let max_received = received.first().map_or(0, |r| r.1);
    Ok(DelegationsPage {
        page: web.page("Delegation", "orgs"),
        org,
        mine: all.into_iter().filter(|d| d.delegator_id == me).collect(),
        received,
        max_received,
        errors,
    })
}

pub async fn delegations(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&delegations_page(&state, &web, &slug, Vec::new()).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct DelegateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    delegate: String,
    #[serde(default)]
    domain: String,
}

pub async fn delegate(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<DelegateForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match governance::delegate(&state, &web.caller, &slug, &form.delegate, &form.domain).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}/delegations?done=delegated")).into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = super::pages::form_problems(e)?;
            Ok((status, render(&delegations_page(&state, &web, &slug, errors).await?)).into_response())
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    governance::revoke_delegation(&state, &web.caller, &id).await?;
    let org = commune_domain::org::parse_slug(&form.org).unwrap_or_default();
    Ok(Redirect::to(&format!("/orgs/{org}/delegations?done=revoked")).into_response())
}
