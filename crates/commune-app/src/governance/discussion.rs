//! The discussion thread of a proposal.

use super::access::visible;
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::governance::proposal::Phase;
use commune_domain::validation;

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
