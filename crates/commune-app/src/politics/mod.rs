//! Chapters and politics: places and the map, imported elections and the leverage view, and
//! seasons of competitive altruism between chapters. Each use case resolves the commune (the
//! root organisation), authorizes the caller there — reading for its members, running it for
//! its stewards (`ManagePolitics`) — plans with `commune_domain::politics` and writes once.
//! This module sits above the ledger, work, learning and governance: it reads what they wrote.

pub mod elections;
pub mod endorsements;
pub mod funding;
pub mod places;
pub mod seasons;
pub mod transparency;

use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_store::Org;

/// The commune (the root organisation), after authorizing `caller` for `action` in it.
pub(crate) async fn commune_for(state: &AppState, caller: &Caller, action: Action) -> Result<Org, AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, action).await?;
    }
    let root = state.store.root_org().await?.ok_or(AppError::NotFound("commune"))?;
    caller.authorize(state, Some(&root), action).await?;
    Ok(root)
}
