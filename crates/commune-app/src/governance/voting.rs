//! Casting ballots: every check, then the right to vote (`authz::may_vote`) travels with the
//! ballot to the group-commit writer; receipts let a voter find their ballot later.

use crate::caller::Caller;
use crate::error::AppError;
use crate::secrets::random_token;
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::authz::{self, Action, Actor};
use commune_domain::governance::count::ballot_receipt;
use commune_domain::governance::methods::{self, Ballot, VotingMethod};
use commune_domain::governance::proposal::Phase;
use commune_store::now_ms;
use commune_store::{BallotRow, Proposal};

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
pub(crate) async fn prepare_cast(
    state: &AppState,
    caller: &Caller,
    id: &str,
    ballot: &Ballot,
    now: i64,
) -> Result<(crate::ballots::Cast, Receipt), AppError> {
    let me = caller.require_member()?;
    prepare_cast_for(state, &me.member.id, id, ballot, now, random_token()).await
}

/// [`prepare_cast`] for a member known by id, with the receipt's nonce given (a remote ballot's
/// nonce is chosen by the voter's home instance, which signed it).
pub(crate) async fn prepare_cast_for(
    state: &AppState,
    member_id: &str,
    id: &str,
    ballot: &Ballot,
    now: i64,
    nonce: String,
) -> Result<(crate::ballots::Cast, Receipt), AppError> {
    let proposal = state.proposal_cache.get(&state.store, id).await?.ok_or(AppError::NotFound("proposal"))?;
    if proposal.phase == Phase::Draft && proposal.author_id != member_id {
        return Err(AppError::NotFound("proposal"));
    }
    let voter = state.store.voter_context(&proposal, member_id).await?;
    // One read gave the voter's role in the proposal's organisation: the same question
    // `Caller::actor` asks, answered for the voting path without a second query.
    let actor = Actor::Member { role: voter.role, instance_steward: false };
    authz::authorize(&actor, Action::Participate)?;
    if proposal.phase != Phase::Voting || now >= proposal.voting_closes_at {
        return Err(AppError::Rule(format!("voting is not open on this proposal (it is {})", proposal.phase.as_str())));
    }
    methods::validate(&proposal.method, proposal.options.len(), ballot)
        .map_err(|e| AppError::Invalid(Invalid::new("ballot", e.0).into()))?;
    if !voter.eligible && matches!(proposal.effect, commune_domain::governance::proposal::Effect::Endorse { .. }) {
        return Err(AppError::Denied(authz::Denied::Forbidden(
            "only members who lived in the candidate's district when voting opened vote on this endorsement",
        )));
    }
    let right = authz::may_vote(&actor, voter.eligible)?;
    let ballot_json = serde_json::to_string(ballot).map_err(AppError::internal)?;
    let receipt = ballot_receipt(id, member_id, &ballot_json, &nonce);
    let cast = crate::ballots::Cast::new(
        commune_store::BallotCast {
            proposal_id: id.to_owned(),
            voter_id: member_id.to_owned(),
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

pub(crate) fn receipt_of(proposal_id: &str, row: &BallotRow, overridden: Option<String>) -> Result<Receipt, AppError> {
    Ok(Receipt {
        proposal_id: proposal_id.to_owned(),
        receipt: row.receipt.clone(),
        nonce: row.nonce.clone(),
        ballot: serde_json::from_str(&row.ballot).map_err(AppError::internal)?,
        cast_at: row.cast_at,
        delegation_overridden: overridden,
    })
}
