//! The proposal form's fields and how they are read into the operations' `ProposalInput`:
//! only the chosen kind's effect, amounts in currency units, shares as `22%` or `0.22`, and
//! times in the member's own time zone.

use crate::error::AppError;
use commune_app::governance::ProposalInput;
use commune_app::state::AppState;
use commune_domain::Invalid;
use commune_domain::governance::methods::{RankedRule, VotingMethod};
use commune_domain::governance::proposal::{Effect, Kind};
use commune_domain::governance::words;
use commune_store::{LedgerInfo, Proposal};
use jiff::tz::TimeZone;

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

/// The longest title (the domain refuses longer ones; the form counts down to it).
pub(crate) const MAX_TITLE: usize = 140;

/// The proposal form's fields, kept as typed so a form with problems comes back filled in.
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
    /// The candidate an endorsement is about (set from the candidate's page).
    pub(crate) candidate: String,
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
            candidate: g("candidate"),
            seats: g("seats"),
            role: g("role"),
            form_key: g("form_key"),
        }
    }

    /// A new form for `kind`: its usual method, and voting that opens two days and ten minutes
    /// from now and stays open four days, which meets the floors of every kind but large money
    /// (whose floors the page names).
    pub(crate) fn fresh(now_ms: i64, tz: &TimeZone, kind: Kind) -> ProposalForm {
        let minute = 60_000;
        let opens = now_ms - now_ms.rem_euclid(minute) + 2 * 24 * 60 * minute + 10 * minute;
        ProposalForm {
            kind: kind.as_str().into(),
            method: default_method(kind).into(),
            weighting: "equal".into(),
            threshold: "50%".into(),
            objection_limit: "10%".into(),
            budget: "100".into(),
            opens: local_in(opens, tz),
            closes: local_in(opens + 4 * 24 * 60 * minute, tz),
            currency: "EUR".into(),
            seats: "1".into(),
            role: "steward".into(),
            form_key: crate::web::wallet::form_id(),
            ..ProposalForm::default()
        }
    }

    /// The form of a stored draft, to edit it.
    pub(crate) fn of(p: &Proposal, tz: &TimeZone, ledgers: &[LedgerInfo]) -> ProposalForm {
        let mut form = ProposalForm {
            title: p.title.clone(),
            body: p.body.clone(),
            kind: p.kind.as_str().into(),
            domain: p.domain.clone(),
            weighting: p.weighting.as_str().into(),
            method: method_value(&p.method),
            options: p.options.join("\n"),
            opens: local_in(p.voting_opens_at, tz),
            closes: local_in(p.voting_closes_at, tz),
            quorum: format!("{}%", number(p.quorum * 100.0)),
            secret: p.secret,
            ..ProposalForm::fresh(p.created_at, tz, p.kind)
        };
        match &p.method {
            VotingMethod::YesNo { threshold } => form.threshold = format!("{}%", number(threshold * 100.0)),
            VotingMethod::Consent { objection_limit } => {
                form.objection_limit = format!("{}%", number(objection_limit * 100.0))
            }
            VotingMethod::Quadratic { credits } => form.budget = credits.to_string(),
            VotingMethod::Points { budget } => form.budget = budget.to_string(),
            _ => {}
        }
        match &p.effect {
            Effect::SetPolicy { key, value } => {
                form.policy_key = key.clone();
                form.policy_value = if words::unit(key) == words::Unit::Share {
                    format!("{}%", number(value * 100.0))
                } else {
                    number(*value)
                };
            }
            Effect::Admit { .. } => {}
            Effect::Allocate { amount_minor, currency, recipient } => {
                let scale = ledgers.iter().find(|l| &l.asset == currency).map_or(2, |l| l.scale);
                form.amount = commune_domain::ledger::amount::format(i128::from(*amount_minor), scale);
                form.currency = currency.clone();
                form.recipient = recipient.clone();
            }
            Effect::Budget { total_minor, currency } => {
                let scale = ledgers.iter().find(|l| &l.asset == currency).map_or(2, |l| l.scale);
                form.amount = commune_domain::ledger::amount::format(i128::from(*total_minor), scale);
                form.currency = currency.clone();
            }
            Effect::Elect { role, seats } => {
                form.role = role.clone();
                form.seats = seats.to_string();
            }
            Effect::Fund { candidate_id, amount_minor, currency } => {
                let scale = ledgers.iter().find(|l| &l.asset == currency).map_or(2, |l| l.scale);
                form.amount = commune_domain::ledger::amount::format(i128::from(*amount_minor), scale);
                form.currency = currency.clone();
                form.recipient = format!("campaign:{candidate_id}");
            }
            Effect::Endorse { candidate_id } => form.candidate = candidate_id.clone(),
            Effect::None | Effect::SetAttribute { .. } => {}
        }
        form
    }

    /// Characters in the title, for the counter.
    pub(crate) fn title_len(&self) -> usize {
        self.title.chars().count()
    }
}

/// `YYYY-MM-DDTHH:MM` in `tz`, for a datetime-local field.
pub(crate) fn local_in(ms: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A datetime-local value read in the member's time zone (a time a clock change skips or
/// repeats is taken as the later one, as calendars do).
pub(crate) fn parse_local_in(field_name: &'static str, raw: &str, tz: &TimeZone) -> Result<i64, Invalid> {
    let trimmed = raw.trim().get(..16).unwrap_or(raw.trim());
    jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", trimmed)
        .ok()
        .and_then(|dt| dt.to_zoned(tz.clone()).ok())
        .map(|z| z.timestamp().as_millisecond())
        .ok_or_else(|| Invalid::new(field_name, "pick a date and time, like 2026-12-01T18:00"))
}

/// A share typed as `22%` or `0.22`.
pub(crate) fn share(field_name: &'static str, raw: &str) -> Result<f64, Invalid> {
    let raw = raw.trim();
    let (number, percent) = match raw.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (raw, false),
    };
    let value: f64 = number
        .replace(',', ".")
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| Invalid::new(field_name, "a share like 50% (or 0.5)"))?;
    Ok(if percent { value / 100.0 } else { value })
}

/// Every method, by form value and label.
pub(crate) const METHODS: [(&str, &str); 12] = [
    ("yes_no", "Yes / no / abstain"),
    ("consent", "Consent (passes unless enough object)"),
    ("single_choice", "Single choice"),
    ("approval", "Approval (tick every option you accept)"),
    ("score", "Score each option 0–5"),
    ("ranked:schulze", "Ranked — Schulze (beats every other head to head)"),
    ("ranked:irv", "Ranked — instant runoff"),
    ("ranked:borda", "Ranked — Borda count"),
    ("ranked:copeland", "Ranked — Copeland"),
    ("ranked:ranked-pairs", "Ranked — ranked pairs"),
    ("ranked:minimax", "Ranked — minimax"),
    ("quadratic", "Quadratic (spend credits; intensity costs more)"),
];

/// The methods that fit a kind: a proposal with an effect passes or fails one motion (an
/// election chooses among candidates); a decision may do either.
pub(crate) fn methods_for(kind: Kind) -> Vec<(&'static str, &'static str)> {
    METHODS
        .iter()
        .copied()
        .filter(|(value, _)| match kind {
            Kind::Policy | Kind::Allocation | Kind::Budget | Kind::Admission => {
                matches!(*value, "yes_no" | "consent")
            }
            Kind::Election => value.starts_with("ranked:") || *value == "approval" || *value == "single_choice",
            Kind::Decision | Kind::Endorsement => true,
        })
        .collect()
}

/// The method a kind starts with.
pub(crate) fn default_method(kind: Kind) -> &'static str {
    match kind {
        Kind::Election => "ranked:schulze",
        _ => "yes_no",
    }
}

fn method_value(method: &VotingMethod) -> String {
    match method {
        VotingMethod::YesNo { .. } => "yes_no".into(),
        VotingMethod::Consent { .. } => "consent".into(),
        VotingMethod::SingleChoice => "single_choice".into(),
        VotingMethod::Approval => "approval".into(),
        VotingMethod::Score => "score".into(),
        VotingMethod::Quadratic { .. } => "quadratic".into(),
        VotingMethod::Points { .. } => "points".into(),
        VotingMethod::Ranked { rule } => {
            format!(
                "ranked:{}",
                serde_json::to_value(rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
            )
        }
    }
}

pub(crate) fn method_of(form: &ProposalForm) -> Result<VotingMethod, Invalid> {
    let budget = || form.budget.trim().parse::<u32>().map_err(|_| Invalid::new("budget", "a whole number, like 100"));
    Ok(match form.method.as_str() {
        "yes_no" => VotingMethod::YesNo { threshold: share("threshold", &form.threshold)? },
        "consent" => VotingMethod::Consent { objection_limit: share("objection_limit", &form.objection_limit)? },
        "single_choice" => VotingMethod::SingleChoice,
        "approval" => VotingMethod::Approval,
        "score" => VotingMethod::Score,
        "quadratic" => VotingMethod::Quadratic { credits: budget()? },
        "points" => VotingMethod::Points { budget: budget()? },
        other => {
            let rule = other.strip_prefix("ranked:").ok_or_else(|| Invalid::new("method", "choose a method"))?;
            let rule: RankedRule = serde_json::from_value(serde_json::Value::String(rule.to_owned()))
                .map_err(|_| Invalid::new("method", "choose a method from the list"))?;
            VotingMethod::Ranked { rule }
        }
    })
}

/// The form's amount in minor units of its currency, by the one amount grammar.
pub(crate) async fn amount_in(state: &AppState, form: &ProposalForm) -> Result<Result<i64, Invalid>, AppError> {
    let Some(ledger) = state.store.ledger_by_asset(&form.currency.trim().to_ascii_uppercase()).await? else {
        return Ok(Err(Invalid::new("currency", "choose a currency the commune keeps a ledger in")));
    };
    Ok(commune_domain::ledger::amount::parse(&form.amount, ledger.scale, "amount")
        .and_then(|m| i64::try_from(m).map_err(|_| Invalid::new("amount", "the amount is too large"))))
}

/// A policy's new value: a share as `22%` or `0.22`, other units as plain numbers.
fn policy_value_of(form: &ProposalForm) -> Result<f64, Invalid> {
    if words::unit(&form.policy_key) == words::Unit::Share {
        return share("policy_value", &form.policy_value);
    }
    form.policy_value
        .trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| Invalid::new("policy_value", "a number"))
}

async fn effect_of(
    state: &AppState,
    form: &ProposalForm,
    kind: Kind,
    problems: &mut commune_domain::Violations,
) -> Result<Effect, AppError> {
    Ok(match kind {
        Kind::Policy => {
            if form.policy_key.is_empty() {
                problems.0.push(Invalid::new("policy_key", "choose the rule to change"));
            }
            Effect::SetPolicy {
                key: form.policy_key.clone(),
                value: problems.check(policy_value_of(form)).unwrap_or(0.0),
            }
        }
        Kind::Admission => {
            let handle = form.admit.trim().trim_start_matches('@').to_ascii_lowercase();
            match state.store.member_by_handle(&handle).await? {
                Some(m) => Effect::Admit { member_id: m.id },
                None => {
                    problems.0.push(Invalid::new("admit", "pick the person to admit from the list"));
                    Effect::None
                }
            }
        }
        Kind::Allocation if form.recipient.trim().starts_with("campaign:") => Effect::Fund {
            candidate_id: form.recipient.trim().trim_start_matches("campaign:").trim().to_owned(),
            amount_minor: problems.check(amount_in(state, form).await?).unwrap_or(0),
            currency: form.currency.trim().to_ascii_uppercase(),
        },
        Kind::Allocation => {
            if form.recipient.trim().is_empty() {
                problems.0.push(Invalid::new("recipient", "who receives the money (a member or a business)"));
            }
            Effect::Allocate {
                amount_minor: problems.check(amount_in(state, form).await?).unwrap_or(0),
                currency: form.currency.trim().to_ascii_uppercase(),
                recipient: form.recipient.trim().trim_start_matches('@').to_owned(),
            }
        }
        Kind::Budget => Effect::Budget {
            total_minor: problems.check(amount_in(state, form).await?).unwrap_or(0),
            currency: form.currency.trim().to_ascii_uppercase(),
        },
        Kind::Election => Effect::Elect {
            role: if form.role.is_empty() { "steward".into() } else { form.role.clone() },
            seats: problems
                .check(form.seats.trim().parse().map_err(|_| Invalid::new("seats", "a whole number of seats, like 1")))
                .unwrap_or(1),
        },
        Kind::Endorsement if !form.candidate.trim().is_empty() => {
            Effect::Endorse { candidate_id: form.candidate.trim().to_owned() }
        }
        Kind::Decision | Kind::Endorsement => Effect::None,
    })
}

/// Reads the form into the operations' input; every problem is reported at once, on its field.
pub(crate) async fn input_of(state: &AppState, form: &ProposalForm, tz: &TimeZone) -> Result<ProposalInput, AppError> {
    let mut problems = commune_domain::Violations::default();
    let kind = problems.check(Kind::parse(&form.kind));
    if form.title.chars().count() > MAX_TITLE {
        problems
            .0
            .push(Invalid::new("title", format!("at most {MAX_TITLE} characters (this one has {})", form.title_len())));
    }
    let method = problems.check(method_of(form));
    let opens = problems.check(parse_local_in("voting_opens_at", &form.opens, tz));
    let closes = problems.check(parse_local_in("voting_closes_at", &form.closes, tz));
    let quorum = if form.quorum.trim().is_empty() { None } else { problems.check(share("quorum", &form.quorum)) };
    let effect = match kind {
        Some(kind) => effect_of(state, form, kind, &mut problems).await?,
        None => Effect::None,
    };
    let options: Vec<String> = match kind {
        // An election's options are its candidates' handles, written with or without `@`.
        Some(Kind::Election) => form
            .options
            .lines()
            .map(|l| l.trim().trim_start_matches('@').to_owned())
            .filter(|l| !l.is_empty())
            .collect(),
        _ if method.as_ref().is_some_and(VotingMethod::has_options) => {
            form.options.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect()
        }
        _ => Vec::new(),
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
        options,
        secret: form.secret,
        voting_opens_at: opens,
        voting_closes_at: closes,
        effect,
        form_key: Some(form.form_key.clone()).filter(|k| !k.is_empty()),
    })
}
