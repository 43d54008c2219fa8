//! Governance operations shared by the API and the pages: drafting and publishing proposals,
//! ballots with receipts, delegation, discussion, results and exports. The scheduler that moves
//! proposals through their phases lives in [`crate::scheduler`].

use crate::caller::Caller;
use crate::secrets::random_token;
use crate::error::AppError;
use crate::service;
use crate::state::AppState;
use commune_domain::authz::{self, Action, Actor};
use commune_domain::governance::count::{ModeTally, ballot_receipt};
use commune_domain::governance::floors::{self, Beneficiary, Floors};
use commune_domain::governance::methods::{self, Ballot, VotingMethod};
use commune_domain::governance::proposal::{self, Effect, Kind, Phase, PolicyScope, Schedule, Text, Weighting};
use commune_domain::governance::weight;
use commune_domain::ledger::payments::Owner;
use commune_domain::org::Role;
use commune_domain::{Invalid, Violations, validation};
use commune_store::{BallotRow, Delegation, Org, Proposal, ProposalDraft};
use std::collections::HashMap;

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

fn no_effect() -> Effect {
    Effect::None
}

use commune_store::now_ms;

fn money_of(effect: &Effect) -> Option<(u64, &str)> {
    match effect {
        Effect::Allocate { amount_minor, currency, .. } => Some((u64::try_from(*amount_minor).ok()?, currency)),
        Effect::Budget { total_minor, currency } => Some((u64::try_from(*total_minor).ok()?, currency)),
        _ => None,
    }
}

/// What the organisation can spend now in `currency`: the pot for the commune, its wallet for
/// anyone else (0 when there is no such ledger or wallet).
pub async fn source_balance(state: &AppState, org: &Org, currency: &str) -> Result<i128, AppError> {
    let Some(ledger) = state.store.ledger_by_asset(&currency.trim().to_ascii_uppercase()).await? else { return Ok(0) };
    let owner = if org.is_root { Owner::Pot } else { Owner::Org(org.id.clone()) };
    Ok(match state.store.ledger_account(owner.wallet(ledger.id).id).await? {
        Some(row) => {
            let a = row.account;
            i128::from(a.credits_posted) - i128::from(a.debits_posted) - i128::from(a.debits_pending)
        }
        None => 0,
    })
}

/// The floors a proposal of `org` must meet now: its kind's, from the commune's policies, raised
/// for money by the amount relative to what the source holds now.
pub async fn floors_now(state: &AppState, org: &Org, kind: Kind, effect: &Effect) -> Result<Floors, AppError> {
    let values = crate::policy::commune(&state.store).await?;
    let base =
        floors::of(kind, effect, |key| values.get(key));
    Ok(match money_of(effect) {
        Some((amount, currency)) => floors::for_money(base, amount, source_balance(state, org, currency).await?),
        None => base,
    })
}

/// Whom the effect gives to, resolved to members and organisations.
async fn beneficiaries(state: &AppState, effect: &Effect, options: &[String]) -> Result<Vec<Beneficiary>, AppError> {
    let mut out = Vec::new();
    match effect {
        Effect::Admit { member_id } => out.push(Beneficiary::Member(member_id.clone())),
        Effect::Elect { .. } => {
            for handle in options {
                if let Some(m) = state.store.member_by_handle(&handle.trim().to_ascii_lowercase()).await? {
                    out.push(Beneficiary::Member(m.id));
                }
            }
        }
        Effect::Allocate { recipient, .. } => {
            if let Ok(party) = crate::payments::resolve_party(state, recipient, "recipient").await {
                match party.owner()? {
                    Owner::Member(id) => out.push(Beneficiary::Member(id.clone())),
                    Owner::Org(id) => out.push(Beneficiary::Org(id.clone())),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Why the proposal benefits its author, or an empty string.
async fn self_interest(
    state: &AppState,
    author_id: &str,
    effect: &Effect,
    options: &[String],
) -> Result<String, AppError> {
    let stewards: Vec<String> = state
        .store
        .memberships_of(author_id)
        .await?
        .into_iter()
        .filter(|m| m.role == Role::Steward)
        .map(|m| m.org.id)
        .collect();
    let given = beneficiaries(state, effect, options).await?;
    Ok(floors::benefits_author(effect, &given, author_id, &stewards).unwrap_or_default().to_owned())
}

/// Validates an input into a storable draft, collecting every problem: the text, the rules, the
/// effect, and the constitutional floors as they stand `now` (a draft is checked as if it were
/// published now).
async fn draft_of(
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
        v.check(check_effect(state, org, kind, &input.effect, options).await?);
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
fn input_of(p: &Proposal) -> ProposalInput {
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

/// Each kind has the effect it is for, and the effect's parameters must make sense now.
async fn check_effect(
    state: &AppState,
    org: &Org,
    kind: Kind,
    effect: &Effect,
    options: &[String],
) -> Result<Result<(), Invalid>, AppError> {
    let bad = |m: &str| Ok(Err(Invalid::new("effect", m)));
    match (kind, effect) {
        (Kind::Decision | Kind::Endorsement, Effect::None) => Ok(Ok(())),
        (Kind::Policy, Effect::SetPolicy { key, value }) => match proposal::policy_parameter(key) {
            None => {
                let known: Vec<&str> = proposal::policy_parameters().map(|p| p.key).collect();
                Ok(Err(Invalid::new("effect", format!("unknown policy '{key}'; known: {}", known.join(", ")))))
            }
            Some(p) if !(p.min..=p.max).contains(value) => {
                Ok(Err(Invalid::new("effect", format!("{key} must be between {} and {}", p.min, p.max))))
            }
            Some(p) if p.scope == PolicyScope::Commune && !org.is_root => Ok(Err(Invalid::new(
                "effect",
                format!("{key} is a policy of the whole commune: propose it in the commune itself"),
            ))),
            Some(_) => Ok(Ok(())),
        },
        (Kind::Policy, Effect::SetAttribute { key, name, domain_weights, active, .. }) => {
            if !org.is_root {
                return bad("the attributes are the commune's: propose them in the commune itself");
            }
            Ok(proposal::check_attribute(key, name, domain_weights, *active))
        }
        (Kind::Admission, Effect::Admit { member_id }) => {
            if state.store.member_by_id(member_id).await?.is_none() {
                bad("the member to admit does not exist")
            } else if state.store.role_in(&org.id, member_id).await?.is_some() {
                bad("that person is already a member")
            } else {
                Ok(Ok(()))
            }
        }
        (Kind::Allocation, Effect::Allocate { amount_minor, currency, recipient }) => {
            if *amount_minor <= 0 {
                return bad("the amount must be a positive number of minor units");
            }
            if state.store.ledger_by_asset(&currency.trim().to_ascii_uppercase()).await?.is_none() {
                return bad("name a currency the commune keeps a ledger in (e.g. EUR)");
            }
            let party = match crate::payments::resolve_party(state, recipient, "recipient").await {
                Ok(party) => party,
                Err(AppError::Invalid(why)) => return Ok(Err(Invalid::new("recipient", why.to_string()))),
                Err(e) => return Err(e),
            };
            if party.owner()? == &Owner::Org(org.id.clone()) {
                return Ok(Err(Invalid::new("recipient", "an organisation cannot allocate money to itself")));
            }
            Ok(Ok(()))
        }
        (Kind::Budget, Effect::Budget { total_minor, currency }) => {
            if *total_minor <= 0 {
                bad("the budget needs a positive total")
            } else if state.store.ledger_by_asset(&currency.trim().to_ascii_uppercase()).await?.is_none() {
                bad("name a currency the commune keeps a ledger in (e.g. EUR)")
            } else {
                Ok(Ok(()))
            }
        }
        (Kind::Election, Effect::Elect { role, seats }) => {
            if Role::parse(role).is_err() {
                return bad("the role must be member or steward");
            }
            if *seats == 0 || *seats as usize >= options.len().max(1) {
                return bad("seats must be at least 1 and fewer than the candidates");
            }
            for handle in options {
                let member = state.store.member_by_handle(handle).await?;
                let in_org = match &member {
                    Some(m) => state.store.role_in(&org.id, &m.id).await?.is_some(),
                    None => false,
                };
                if !in_org {
                    return Ok(Err(Invalid::new(
                        "options",
                        format!("candidate '{handle}' is not a member handle of this organisation"),
                    )));
                }
            }
            Ok(Ok(()))
        }
        (kind, _) => {
            Ok(Err(Invalid::new("effect", format!("a {} proposal needs its own kind of effect", kind.as_str()))))
        }
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

/// Loads a proposal the caller may see: drafts only for their author.
pub async fn visible(state: &AppState, caller: &Caller, id: &str) -> Result<(Proposal, Org), AppError> {
    caller.authorize(state, None, Action::ReadDirectory).await?;
    let proposal = state.store.proposal(id).await?.ok_or(AppError::NotFound("proposal"))?;
    let org = service::org_for(state, caller, &proposal.org_slug, Action::ReadProposals).await?;
    let is_author = caller.member().is_some_and(|m| m.member.id == proposal.author_id);
    if proposal.phase == Phase::Draft && !is_author {
        return Err(AppError::NotFound("proposal"));
    }
    Ok((proposal, org))
}

fn require_author(caller: &Caller, proposal: &Proposal) -> Result<(), AppError> {
    let me = caller.require_member()?;
    if me.member.id != proposal.author_id {
        return Err(AppError::Denied(commune_domain::authz::Denied::Forbidden("only the author may do this")));
    }
    Ok(())
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

/// What a voter keeps: the receipt, and the nonce that lets them recompute it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    pub proposal_id: String,
    /// SHA-256 over the proposal, the voter, the exact ballot and the nonce.
    pub receipt: String,
    pub nonce: String,
    /// The ballot as stored (JSON).
    #[schema(value_type = Object)]
    pub ballot: serde_json::Value,
    pub cast_at: i64,
    /// Whom the voter's own weight would go to if they had not voted (a direct vote overrides it).
    pub delegation_overridden: Option<String>,
}

/// Casts or replaces the caller's ballot. The hot path of a vote: a handful of reads, then the
/// ballot joins the next group commit (see [`crate::ballots`]).
pub async fn cast(state: &AppState, caller: &Caller, id: &str, ballot: &Ballot) -> Result<Receipt, AppError> {
    let (cast, receipt) = prepare_cast(state, caller, id, ballot, now_ms()).await?;
    let cast_at = state.ballots().cast(cast).await?;
    Ok(Receipt { cast_at, ..receipt })
}

/// Casts a ballot as of `now`, in a transaction of its own (the demo votes its past season so).
pub async fn cast_at(
    state: &AppState,
    caller: &Caller,
    id: &str,
    ballot: &Ballot,
    now: i64,
) -> Result<Receipt, AppError> {
    let (cast, receipt) = prepare_cast(state, caller, id, ballot, now).await?;
    let (cast_at, mut results) = crate::ballots::record(&state.store, now, vec![cast]).await?;
    results.pop().unwrap_or(Ok(()))?;
    Ok(Receipt { cast_at, ..receipt })
}

/// A proposal's voting method and number of options, to read a ballot form with (from the voting
/// path's cache; no authorization: the cast that follows authorizes, and nothing is shown).
pub async fn ballot_shape(state: &AppState, id: &str) -> Result<(VotingMethod, usize), AppError> {
    let proposal = state.proposal_cache.get(&state.store, id).await?.ok_or(AppError::NotFound("proposal"))?;
    Ok((proposal.method, proposal.options.len()))
}

/// Everything a cast checks before its ballot is written: who votes, whether voting is open at
/// `now`, the ballot itself, eligibility; then the receipt.
async fn prepare_cast(
    state: &AppState,
    caller: &Caller,
    id: &str,
    ballot: &Ballot,
    now: i64,
) -> Result<(crate::ballots::Cast, Receipt), AppError> {
    let me = caller.require_member()?;
    let proposal = state.proposal_cache.get(&state.store, id).await?.ok_or(AppError::NotFound("proposal"))?;
    if proposal.phase == Phase::Draft && proposal.author_id != me.member.id {
        return Err(AppError::NotFound("proposal"));
    }
    let voter = state.store.voter_context(&proposal, &me.member.id).await?;
    // One read gave the voter's role in the proposal's organisation: the same question
    // `Caller::actor` asks, answered for the voting path without a second query.
    let actor = Actor::Member { role: voter.role, instance_steward: false };
    authz::authorize(&actor, Action::Participate)?;
    if proposal.phase != Phase::Voting || now >= proposal.voting_closes_at {
        return Err(AppError::Rule(format!("voting is not open on this proposal (it is {})", proposal.phase.as_str())));
    }
    methods::validate(&proposal.method, proposal.options.len(), ballot)
        .map_err(|e| AppError::Invalid(Invalid::new("ballot", e.0).into()))?;
    let right = authz::may_vote(&actor, voter.eligible)?;
    let ballot_json = serde_json::to_string(ballot).map_err(AppError::internal)?;
    let nonce = random_token();
    let receipt = ballot_receipt(id, &me.member.id, &ballot_json, &nonce);
    let cast = crate::ballots::Cast::new(
        commune_store::BallotCast {
            proposal_id: id.to_owned(),
            voter_id: me.member.id.clone(),
            ballot: ballot_json,
            nonce: nonce.clone(),
            receipt: receipt.clone(),
            secret: proposal.secret,
        },
        right,
    );
    let receipt = Receipt {
        proposal_id: id.to_owned(),
        receipt,
        nonce,
        ballot: serde_json::to_value(ballot).map_err(AppError::internal)?,
        cast_at: now,
        delegation_overridden: voter.delegate,
    };
    Ok((cast, receipt))
}

pub async fn my_receipt(state: &AppState, caller: &Caller, proposal: &Proposal) -> Result<Option<Receipt>, AppError> {
    let Some(me) = caller.member() else { return Ok(None) };
    let Some(row) = state.store.ballot_of(&proposal.id, &me.member.id).await? else { return Ok(None) };
    let overridden = state.store.delegate_of(&proposal.org_id, &me.member.id, &proposal.domain).await?;
    Ok(Some(receipt_of(&proposal.id, &row, overridden)?))
}

fn receipt_of(proposal_id: &str, row: &BallotRow, overridden: Option<String>) -> Result<Receipt, AppError> {
    Ok(Receipt {
        proposal_id: proposal_id.to_owned(),
        receipt: row.receipt.clone(),
        nonce: row.nonce.clone(),
        ballot: serde_json::from_str(&row.ballot).map_err(AppError::internal)?,
        cast_at: row.cast_at,
        delegation_overridden: overridden,
    })
}

pub async fn delegate(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    delegate_handle: &str,
    domain: &str,
) -> Result<Delegation, AppError> {
    let org = service::org_for(state, caller, slug, Action::Participate).await?;
    let me = caller.require_member()?;
    let domain = if domain.trim().is_empty() { String::new() } else { commune_domain::identity::parse_domain(domain)? };
    let target = state.store.member_by_handle(&delegate_handle.trim().to_ascii_lowercase()).await?;
    let Some(target) = target else {
        return Err(Invalid::new("delegate", "no member has that handle").into());
    };
    if target.id == me.member.id {
        return Err(Invalid::new("delegate", "you cannot delegate to yourself").into());
    }
    if state.store.role_in(&org.id, &target.id).await?.is_none() {
        return Err(Invalid::new(
            "delegate",
            format!("@{} is not a member of {}; delegate within the organisation", target.handle, org.name),
        )
        .into());
    }
    let mut tx = state.store.write(&me.member.id).await?;
    // Checked inside the write transaction, which every other delegation waits for: two
    // delegations made at once cannot close a cycle between them.
    let live = tx.live_delegations(&org.id).await?;
    let scope = (!domain.is_empty()).then_some(domain.as_str());
    if let Some(cycle) = crate::tally::graph_of(&live).cycle_with(&me.member.id, scope, &target.id) {
        let handles: HashMap<&str, &str> = live
            .iter()
            .flat_map(|d| {
                [
                    (d.delegator_id.as_str(), d.delegator_handle.as_str()),
                    (d.delegate_id.as_str(), d.delegate_handle.as_str()),
                ]
            })
            .chain([(me.member.id.as_str(), me.member.handle.as_str()), (target.id.as_str(), target.handle.as_str())])
            .collect();
        let chain: Vec<String> =
            cycle.iter().map(|id| format!("@{}", handles.get(id.as_str()).unwrap_or(&"?"))).collect();
        let scope = if domain.is_empty() { "in some domain".to_owned() } else { format!("in {domain}") };
        return Err(Invalid::new(
            "delegate",
            format!(
                "this delegation would make a cycle {scope} ({}), and a cycle passes no weight to anyone; delegate to someone outside it",
                chain.join(" → ")
            ),
        )
        .into());
    }
    let id = tx.delegate(&org.id, &me.member.id, &target.id, &domain).await?;
    tx.commit().await?;
    let all = state.store.live_delegations(&org.id).await?;
    all.into_iter().find(|d| d.id == id).ok_or(AppError::NotFound("delegation"))
}

pub async fn revoke_delegation(state: &AppState, caller: &Caller, id: &str) -> Result<(), AppError> {
    let me = caller.require_member()?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.revoke_delegation(id, &me.member.id).await?;
    tx.commit().await?;
    Ok(())
}

/// An organisation's live delegations and how many each delegate receives.
pub async fn delegations(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<Delegation>), AppError> {
    let org = service::org_for(state, caller, slug, Action::ReadProposals).await?;
    Ok((org.clone(), state.store.live_delegations(&org.id).await?))
}

/// The discussion thread of a proposal the caller may see, oldest first.
pub async fn comments(state: &AppState, caller: &Caller, id: &str) -> Result<Vec<commune_store::Comment>, AppError> {
    visible(state, caller, id).await?;
    Ok(state.store.comments(id).await?)
}

/// Adds to a proposal's discussion. `form_key`, the one-time key of the form that sent it,
/// makes a second submission of that form (a double click) add nothing.
pub async fn comment(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: &str,
    form_key: Option<&str>,
) -> Result<(), AppError> {
    let (proposal, org) = visible(state, caller, id).await?;
    caller.authorize(state, Some(&org), Action::Participate).await?;
    let me = caller.require_member()?;
    if matches!(proposal.phase, Phase::Draft | Phase::Cancelled) {
        return Err(AppError::Rule("discussion opens when the proposal is published".into()));
    }
    let body = validation::text("body", body, 1, 5_000, true)?;
    let mut tx = state.store.write(&me.member.id).await?;
    let key = form_key.map(str::trim).filter(|k| !k.is_empty() && k.len() <= 64);
    if let Some(key) = key
        && tx.form_result(&me.member.id, key).await?.is_some()
    {
        return Ok(());
    }
    let comment = tx.add_comment(id, &me.member.id, &body).await?;
    if let Some(key) = key {
        tx.remember_form(&me.member.id, key, &comment).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Results of a tallied proposal, both modes side by side.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Results {
    /// The mode that decides: `equal` or `merit`.
    pub primary_mode: String,
    #[schema(value_type = Object)]
    pub equal: ModeTally,
    #[schema(value_type = Object)]
    pub merit: ModeTally,
    /// True when the two modes name different winners or disagree on passing.
    pub modes_differ: bool,
    pub computed_at: i64,
    /// Every counted ballot's receipt, so each voter can find theirs.
    pub receipts: Vec<String>,
}

pub async fn results(state: &AppState, caller: &Caller, id: &str) -> Result<Option<Results>, AppError> {
    let (proposal, _) = visible(state, caller, id).await?;
    let Some(row) = state.store.tally(&proposal.id).await? else { return Ok(None) };
    let receipts = state.store.ballots(&proposal.id).await?.into_iter().map(|b| b.receipt).collect();
    Ok(Some(Results {
        primary_mode: row.primary_mode,
        equal: serde_json::from_str(&row.equal_result).map_err(AppError::internal)?,
        merit: serde_json::from_str(&row.merit_result).map_err(AppError::internal)?,
        modes_differ: row.modes_differ,
        computed_at: row.computed_at,
        receipts,
    }))
}

/// The ballots of a closed proposal as JSON, weights in micro-votes. Voters are named unless the
/// ballot was secret; a secret proposal's ballots and receipts come as two separate sorted lists,
/// so that no receipt (which its voter may show) leads to a ballot.
pub async fn export_ballots(state: &AppState, caller: &Caller, id: &str) -> Result<serde_json::Value, AppError> {
    let (proposal, _) = visible(state, caller, id).await?;
    if !proposal.phase.is_final() || proposal.phase == Phase::Cancelled {
        return Err(AppError::Rule("ballots are exported once voting has closed".into()));
    }
    let weights: HashMap<String, (u64, u64)> =
        state.store.weights(id).await?.into_iter().map(|(m, e, w)| (m, (e, w))).collect();
    let rows = state.store.ballots(id).await?;
    let head = serde_json::json!({ "id": proposal.id, "title": proposal.title, "method": proposal.method,
        "options": proposal.options, "quorum": proposal.quorum, "secret": proposal.secret, "domain": proposal.domain });
    if proposal.secret {
        let mut ballots: Vec<String> = rows.iter().map(|b| b.ballot.clone()).collect();
        ballots.sort();
        let ballots: Vec<serde_json::Value> =
            ballots.iter().map(|b| serde_json::from_str(b).unwrap_or(serde_json::Value::Null)).collect();
        let mut receipts: Vec<&str> = rows.iter().map(|b| b.receipt.as_str()).collect();
        receipts.sort_unstable();
        return Ok(
            serde_json::json!({ "proposal": head, "eligible": weights.len(), "ballots": ballots, "receipts": receipts }),
        );
    }
    let ballots: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|b| {
            let ballot: serde_json::Value = serde_json::from_str(&b.ballot).unwrap_or(serde_json::Value::Null);
            let (equal, merit) = weights.get(&b.voter_id).copied().unwrap_or((0, 0));
            serde_json::json!({ "voter": b.voter_handle, "receipt": b.receipt, "ballot": ballot,
                "equal_weight": equal, "merit_weight": merit })
        })
        .collect();
    Ok(
        serde_json::json!({ "proposal": head, "eligible": weights.len(), "weight_unit": "micro-votes", "ballots": ballots }),
    )
}

/// A ranked proposal's ballots as a PrefLib `.toi` file: options are numbered from 1, and each
/// order's count is the votes it carried in the deciding mode (delegations included), exactly,
/// so `commune tally` on the file reproduces the result.
pub async fn export_preflib(state: &AppState, caller: &Caller, id: &str) -> Result<String, AppError> {
    let (proposal, _) = visible(state, caller, id).await?;
    if !matches!(proposal.method, VotingMethod::Ranked { .. }) {
        return Err(AppError::Rule("only ranked proposals export as PrefLib".into()));
    }
    let Some(tally) = state.store.tally(id).await? else {
        return Err(AppError::Rule("ballots are exported once the vote is counted".into()));
    };
    let weights = state.store.weights(id).await?;
    let rows = state.store.ballots(id).await?;
    let ballots: Vec<(String, String)> = rows.iter().map(|b| (b.voter_id.clone(), b.ballot.clone())).collect();
    let edges: Vec<crate::tally::Edge> = serde_json::from_str(&tally.delegations).map_err(AppError::internal)?;
    let effective = crate::tally::effective_weights(&proposal, &weights, &ballots, &edges, &tally.primary_mode)?;
    let mut lines: Vec<(String, u64)> = Vec::new();
    for b in &rows {
        let Ok(Ballot::Ranked { ranking }) = serde_json::from_str::<Ballot>(&b.ballot) else { continue };
        let weight = effective.get(&b.voter_id).copied().unwrap_or(0);
        let order: Vec<String> = ranking
            .iter()
            .map(|tier| {
                let labels: Vec<String> = tier.iter().map(|o| (o + 1).to_string()).collect();
                if labels.len() == 1 { labels[0].clone() } else { format!("{{{}}}", labels.join(",")) }
            })
            .collect();
        let order = order.join(",");
        match lines.iter_mut().find(|(o, _)| *o == order) {
            Some(line) => line.1 += weight,
            None => lines.push((order, weight)),
        }
    }
    // Orders sorted, so the file itself says nothing about who voted first.
    lines.sort();
    let mut out = format!(
        "# FILE NAME: {}.toi\n# TITLE: {}\n# DATA TYPE: toi\n# NUMBER ALTERNATIVES: {}\n",
        proposal.id,
        proposal.title.replace('\n', " "),
        proposal.options.len()
    );
    for (i, option) in proposal.options.iter().enumerate() {
        out.push_str(&format!("# ALTERNATIVE NAME {}: {}\n", i + 1, option.replace('\n', " ")));
    }
    out.push_str(&format!("# NUMBER VOTERS: {}\n# NUMBER UNIQUE ORDERS: {}\n", rows.len(), lines.len()));
    for (order, weight) in lines {
        out.push_str(&format!("{}: {order}\n", weight::format_votes(weight)));
    }
    Ok(out)
}

/// Today's docket for a member: what is voting now, and what opens or closes today (UTC).
pub async fn docket(state: &AppState, member_id: &str, now: i64) -> Result<Vec<Proposal>, AppError> {
    let day = 24 * 3600 * 1000;
    let start = now - now.rem_euclid(day);
    Ok(state.store.docket(member_id, start, start + day).await?)
}
