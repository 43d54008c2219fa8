//! The proposal list and the proposal form: what the page shows and how its fields are read into
//! the operations' `ProposalInput`.

use crate::error::AppError;
use crate::web::frame::{Form, Page, Web, WebResult, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::governance::{self, ProposalInput};
use commune_app::state::AppState;
use commune_domain::Invalid;
use commune_domain::authz::Action;
use commune_domain::governance::methods::{RankedRule, VotingMethod};
use commune_domain::governance::proposal::{self, Effect, Kind};
use commune_store::{Org, Proposal};

pub(crate) type Fields = Vec<(String, String)>;

pub(crate) fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
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
pub(crate) struct ProposalsPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) proposals: Vec<Proposal>,
}

pub async fn list(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    let org = commune_app::service::org_for(&state, &web.caller, &slug, Action::ReadProposals).await?;
    let viewer = web.caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    let proposals = state.store.org_proposals(&org.id, &viewer).await?;
    Ok(render(&ProposalsPage { page: web.page("Proposals", "orgs"), org, proposals }))
}

/// The new-proposal form's fields, kept as typed so a form with problems comes back filled in.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProposalForm {
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) kind: String,
    pub(crate) domain: String,
    pub(crate) weighting: String,
    pub(crate) method: String,
    pub(crate) threshold: String,
    pub(crate) objection_limit: String,
    pub(crate) budget: String,
    pub(crate) options: String,
    pub(crate) opens: String,
    pub(crate) closes: String,
    pub(crate) quorum: String,
    pub(crate) secret: bool,
    pub(crate) policy_key: String,
    pub(crate) policy_value: String,
    pub(crate) admit: String,
    pub(crate) amount: String,
    pub(crate) currency: String,
    pub(crate) recipient: String,
    pub(crate) seats: String,
    pub(crate) role: String,
    /// The one-time key this form was rendered with.
    pub(crate) form_key: String,
}

impl ProposalForm {
    pub(crate) fn from_fields(f: &Fields) -> ProposalForm {
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
    pub(crate) fn fresh(now_ms: i64) -> ProposalForm {
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
            form_key: crate::web::wallet::form_id(),
            ..ProposalForm::default()
        }
    }
}

/// `YYYY-MM-DDTHH:MM` (UTC) for a datetime-local field.
pub(crate) fn local(ms: i64) -> String {
    crate::web::frame::format_ms(ms, time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"))
}

pub(crate) fn parse_local(field_name: &'static str, raw: &str) -> Result<i64, Invalid> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let trimmed = raw.trim().get(..16).unwrap_or(raw.trim());
    time::PrimitiveDateTime::parse(trimmed, format)
        .map(|t| (t.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| Invalid::new(field_name, "use the form YYYY-MM-DDTHH:MM (UTC)"))
}

pub(crate) const METHODS: [(&str, &str); 12] = [
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

pub(crate) fn method_of(form: &ProposalForm) -> Result<VotingMethod, Invalid> {
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
pub(crate) async fn amount_in(state: &AppState, form: &ProposalForm) -> Result<Result<i64, Invalid>, AppError> {
    let Some(ledger) = state.store.ledger_by_asset(&form.currency.trim().to_ascii_uppercase()).await? else {
        return Ok(Err(Invalid::new("currency", "name a currency the commune keeps a ledger in (e.g. EUR)")));
    };
    Ok(commune_domain::ledger::amount::parse(&form.amount, ledger.scale, "amount")
        .and_then(|m| i64::try_from(m).map_err(|_| Invalid::new("amount", "the amount is too large"))))
}

pub(crate) async fn input_of(state: &AppState, form: &ProposalForm) -> Result<ProposalInput, AppError> {
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
pub(crate) struct NewPage {
    pub(crate) page: Page,
    pub(crate) org: Org,
    pub(crate) form: ProposalForm,
    pub(crate) errors: Vec<String>,
    pub(crate) kinds: Vec<&'static str>,
    pub(crate) methods: Vec<(&'static str, &'static str)>,
    pub(crate) policies: Vec<(&'static str, &'static str)>,
}

pub(crate) fn new_page(web: &Web, org: Org, form: ProposalForm, errors: Vec<String>) -> NewPage {
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
            let errors = crate::web::frame::form_problems(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&new_page(&web, org, form, errors))).into_response())
        }
    }
}
