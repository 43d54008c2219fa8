//! Which proposals a caller may see, and whose drafts are whose.

use crate::caller::Caller;
use crate::error::AppError;
use crate::service;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::governance::proposal::Phase;
use commune_store::{Org, Proposal};

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

pub(crate) fn require_author(caller: &Caller, proposal: &Proposal) -> Result<(), AppError> {
    let me = caller.require_member()?;
    if me.member.id != proposal.author_id {
        return Err(AppError::Denied(commune_domain::authz::Denied::Forbidden("only the author may do this")));
    }
    Ok(())
}
