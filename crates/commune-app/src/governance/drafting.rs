//! Drafting, editing, publishing and cancelling proposals (each at `now`, or at a given instant
//! for the demo's past season).

use super::access::{require_author, visible};
use super::checks::{check_effect, floors_now, self_interest};
use crate::caller::Caller;
use crate::error::AppError;
use crate::service;
use crate::state::AppState;
use commune_domain::Violations;
use commune_domain::authz::Action;
use commune_domain::governance::floors::{self, Floors};
use commune_domain::governance::methods::VotingMethod;
use commune_domain::governance::proposal::{self, Effect, Kind, Phase, Schedule, Text, Weighting};
use commune_domain::org::Role;
use commune_store::now_ms;
use commune_store::{Org, Proposal, ProposalDraft};

/// A proposal as submitted by its author (new or an edited draft).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ProposalInput {
    pub title: String,
    /// Markdown; rendered sanitised.
    #[serde(default)]
    pub body: String,
    /// e.g. `finance`, `engineering`; default `general`.
    #[serde(default)]
    pub domain: String,
    /// decision, policy, allocation, budget, admission, election or endorsement.
    pub kind: String,
    /// The counting rule, e.g. `{"method": "ranked", "rule": "schulze"}` or
    /// `{"method": "yes_no", "threshold": 0.5}`.
    #[schema(value_type = Object)]
    pub method: VotingMethod,
    /// `equal` (default) or `merit`; constitutional kinds always count equally.
    #[serde(default)]
    pub weighting: String,
    /// Participation needed, 0–1; default: the organisation's `default_quorum` policy.
    pub quorum: Option<f64>,
    /// The options, for methods that choose among options.
    #[serde(default)]
    pub options: Vec<String>,
    /// Secret ballot: only aggregates and personal receipts are shown.
    #[serde(default)]
    pub secret: bool,
    /// Unix milliseconds.
    pub voting_opens_at: i64,
    pub voting_closes_at: i64,
    /// What the proposal does when it passes, e.g. `{"effect": "set_policy", "key": "funnel_rate", "value": 0.25}`.
    #[schema(value_type = Object)]
    #[serde(default = "no_effect")]
    pub effect: Effect,
    /// A one-time key of the form that drafts it: sent twice, it drafts one proposal.
    #[serde(default)]
    pub form_key: Option<String>,
}

pub(crate) fn no_effect() -> Effect {
    Effect::None
}

/// Validates an input into a storable draft, collecting every problem: the text, the rules, the
/// effect, and the constitutional floors as they stand `now` (a draft is checked as if it were
/// published now).
pub(crate) async fn draft_of(
    state: &AppState,
    org: &Org,
    author_id: &str,
    input: &ProposalInput,
    now: i64,
) -> Result<(ProposalDraft, Floors), AppError> {
    let mut v = Violations::default();
    let text = match Text::parse(&input.title, &input.body, &input.domain, &input.options) {
        Ok(t) => Some(t),
        Err(more) => {
            v.0.extend(more.0);
            None
        }
    };
    let kind = v.check(Kind::parse(&input.kind));
    let weighting = v.check(Weighting::parse(&input.weighting));
    let options = text.as_ref().map_or(&[][..], |t| &t.options[..]);
    let floors = match kind {
        Some(kind) => Some(floors_now(state, org, kind, &input.effect).await?),
        None => None,
    };
    let quorum = match (input.quorum, floors) {
        (Some(q), _) => q,
        (None, Some(f)) => f.default_quorum(crate::policy::policy(&state.store, &org.id, "default_quorum").await?),
        (None, None) => crate::policy::policy(&state.store, &org.id, "default_quorum").await?,
    };
    v.check(proposal::check_rules(&input.method, options.len(), quorum));
    let schedule = Schedule { voting_opens_at: input.voting_opens_at, voting_closes_at: input.voting_closes_at };
    v.check(schedule.check(now));
    if let (Some(kind), Some(floors)) = (kind, floors) {
        v.check(floors::method_fits(kind, &input.method));
        v.check(check_effect(state, org, kind, &input.effect, options, (now, input.voting_closes_at)).await?);
        let parameters = floors::Parameters {
            discussion_ms: input.voting_opens_at - now,
            voting_ms: input.voting_closes_at - input.voting_opens_at,
            quorum,
            method: &input.method,
        };
        if let Err(below) = floors::check(&parameters, &floors, kind) {
            v.0.extend(below.0);
        }
    }
    v.into_result()?;
    let (Some(text), Some(kind), Some(weighting), Some(floors)) = (text, kind, weighting, floors) else {
        return Err(AppError::internal(anyhow::anyhow!("validated fields missing")));
    };
    let self_interest = self_interest(state, author_id, &input.effect, &text.options).await?;
    let draft = ProposalDraft {
        org_id: org.id.clone(),
        title: text.title,
        body: text.body,
        domain: text.domain,
        kind,
        method: input.method.clone(),
        weighting,
        quorum,
        effect: input.effect.clone(),
        options: text.options,
        secret: input.secret,
        voting_opens_at: input.voting_opens_at,
        voting_closes_at: input.voting_closes_at,
        self_interest,
    };
    Ok((draft, floors))
}

/// The input a stored proposal was made from, to check it again.
pub(crate) fn input_of(p: &Proposal) -> ProposalInput {
    ProposalInput {
        title: p.title.clone(),
        body: p.body.clone(),
        domain: p.domain.clone(),
        kind: p.kind.as_str().to_owned(),
        method: p.method.clone(),
        weighting: p.weighting.as_str().to_owned(),
        quorum: Some(p.quorum),
        options: p.options.clone(),
        secret: p.secret,
        voting_opens_at: p.voting_opens_at,
        voting_closes_at: p.voting_closes_at,
        effect: p.effect.clone(),
        form_key: None,
    }
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &ProposalInput,
) -> Result<Proposal, AppError> {
    create_at(state, caller, slug, input, now_ms()).await
}

/// Drafts a proposal as of `now` (the demo drafts its past season this way).
pub async fn create_at(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &ProposalInput,
    now: i64,
) -> Result<Proposal, AppError> {
    let org = service::org_for(state, caller, slug, Action::Participate).await?;
    let me = caller.require_member()?;
    let (draft, _) = draft_of(state, &org, &me.member.id, input, now).await?;
    let mut tx = state.store.write_at(&me.member.id, now).await?;
    let key = input.form_key.as_deref().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 64);
    if let Some(key) = key
        && let Some(earlier) = tx.form_result(&me.member.id, key).await?
    {
        drop(tx);
        return state.store.proposal(&earlier).await?.ok_or(AppError::NotFound("proposal"));
    }
    let id = tx.create_proposal(&me.member.id, &draft).await?;
    if let Some(key) = key {
        tx.remember_form(&me.member.id, key, &id).await?;
    }
    tx.commit().await?;
    state.store.proposal(&id).await?.ok_or(AppError::NotFound("proposal"))
}

pub async fn update_draft(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &ProposalInput,
) -> Result<Proposal, AppError> {
    let (proposal, org) = visible(state, caller, id).await?;
    require_author(caller, &proposal)?;
    if proposal.phase != Phase::Draft {
        return Err(AppError::Rule("only drafts can be edited; nobody edits a proposal once it is published".into()));
    }
    let (draft, _) = draft_of(state, &org, &proposal.author_id, input, now_ms()).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.update_draft(id, &draft).await?;
    tx.commit().await?;
    state.store.proposal(id).await?.ok_or(AppError::NotFound("proposal"))
}

/// Publishes a draft: it enters discussion, and voting opens at its scheduled time. Everything
/// is checked again against the floors in force now, which are recorded with the proposal.
pub async fn publish(state: &AppState, caller: &Caller, id: &str) -> Result<Proposal, AppError> {
    publish_at(state, caller, id, now_ms()).await
}

/// Publishes a draft as of `now`.
pub async fn publish_at(state: &AppState, caller: &Caller, id: &str, now: i64) -> Result<Proposal, AppError> {
    let (proposal, org) = visible(state, caller, id).await?;
    require_author(caller, &proposal)?;
    if proposal.phase != Phase::Draft {
        return Err(AppError::Rule(format!("this proposal is {}, not a draft", proposal.phase.as_str())));
    }
    if proposal.voting_opens_at < now {
        return Err(AppError::Rule("voting was due to open already; edit the draft's times first".into()));
    }
    let (draft, floors) = draft_of(state, &org, &proposal.author_id, &input_of(&proposal), now).await?;
    let mut tx = state.store.write_at(&caller.audit_actor(), now).await?;
    if !tx.advance(id, Phase::Draft, Phase::Discussion, "").await? {
        return Err(AppError::Rule(format!("this proposal is {}, not a draft", proposal.phase.as_str())));
    }
    tx.set_floors(id, &floors, &draft.self_interest).await?;
    tx.commit().await?;
    state.store.proposal(id).await?.ok_or(AppError::NotFound("proposal"))
}

/// Cancels a proposal before voting opens: its author, or a steward of its organisation.
pub async fn cancel(state: &AppState, caller: &Caller, id: &str) -> Result<Proposal, AppError> {
    cancel_at(state, caller, id, now_ms()).await
}

/// Cancels a proposal as of `now`.
pub async fn cancel_at(state: &AppState, caller: &Caller, id: &str, now: i64) -> Result<Proposal, AppError> {
    let (proposal, org) = visible(state, caller, id).await?;
    let me = caller.require_member()?;
    let steward = state.store.role_in(&org.id, &me.member.id).await? == Some(Role::Steward);
    if me.member.id != proposal.author_id && !steward {
        return Err(AppError::Denied(commune_domain::authz::Denied::Forbidden(
            "only the author or a steward may cancel",
        )));
    }
    let mut tx = state.store.write_at(&me.member.id, now).await?;
    let cancelled = tx.advance(id, Phase::Draft, Phase::Cancelled, "cancelled").await?
        || tx.advance(id, Phase::Discussion, Phase::Cancelled, "cancelled").await?;
    if !cancelled {
        return Err(AppError::Rule(
            "only drafts and proposals in discussion can be cancelled; voting has opened".into(),
        ));
    }
    tx.commit().await?;
    state.store.proposal(id).await?.ok_or(AppError::NotFound("proposal"))
}

/// Drafts a yes/no, merit-weighted decision of `org` whose discussion and vote last the shortest
/// the floors allow, starting `pad_ms` from now, at the organisation's default threshold (or
/// the floor's, when higher): what an expense, an idea, a problem's fix or a consensus
/// statement becomes.
pub(crate) async fn draft_decision(
    state: &AppState,
    caller: &Caller,
    org: &Org,
    title: &str,
    body: &str,
    domain: &str,
    pad_ms: i64,
) -> Result<Proposal, AppError> {
    let motion =
        Motion { kind: commune_domain::governance::proposal::Kind::Decision, effect: Effect::None, weighting: "merit" };
    draft_motion(state, caller, org, motion, title, body, domain, pad_ms).await
}

/// What a drafted yes/no motion does.
pub(crate) struct Motion {
    pub kind: commune_domain::governance::proposal::Kind,
    pub effect: Effect,
    pub weighting: &'static str,
}

/// Drafts a yes/no motion of `kind` in the shortest window its floors allow (plus `pad_ms`),
/// at the support its floor or the organisation's default asks, whichever is higher.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn draft_motion(
    state: &AppState,
    caller: &Caller,
    org: &Org,
    motion: Motion,
    title: &str,
    body: &str,
    domain: &str,
    pad_ms: i64,
) -> Result<Proposal, AppError> {
    let floors = crate::governance::floors_now(state, org, motion.kind, &motion.effect).await?;
    let now = now_ms();
    let opens = now + floors.discussion_ms + pad_ms;
    let closes = opens + floors.voting_ms + pad_ms;
    let threshold =
        (floors.support_ppm as f64 / 1e6).max(crate::policy::policy(&state.store, &org.id, "default_threshold").await?);
    let input = ProposalInput {
        title: title.chars().take(120).collect(),
        body: body.to_owned(),
        domain: domain.into(),
        kind: motion.kind.as_str().into(),
        method: VotingMethod::YesNo { threshold: threshold.min(0.99) },
        weighting: motion.weighting.into(),
        quorum: None,
        options: Vec::new(),
        secret: false,
        voting_opens_at: opens,
        voting_closes_at: closes,
        effect: motion.effect,
        form_key: None,
    };
    create(state, caller, &org.slug, &input).await
}
