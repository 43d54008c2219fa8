//! Learning: the library of lessons and principles, courses with exercises and mastery, spaced
//! repetition, forecasting and study circles. Every use case resolves the document, course,
//! card, question or circle, authorizes the caller in its organisation (members only), plans
//! with `commune_domain::learn` and writes once. Learning sits below work: work reads mastery
//! (prerequisites), graded attempts (skills) and forecasting records (evidence); nothing here
//! imports `crate::work`.

pub mod cards;
pub mod circles;
pub mod forecasting;
pub mod library;
pub mod practice;

use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_store::Org;

const DAY_MS: i64 = 86_400_000;

/// Today as a day number (unix days).
pub fn today() -> i64 {
    commune_store::now_ms().div_euclid(DAY_MS)
}

/// The organisation `org_id` names, after authorizing `caller` to learn in it.
pub(crate) async fn org_by_id(
    state: &AppState,
    caller: &Caller,
    org_id: &str,
    what: &'static str,
) -> Result<Org, AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, Action::Learn).await?;
    }
    let org = state.store.org_by_id(org_id).await?.ok_or(AppError::NotFound(what))?;
    caller.authorize(state, Some(&org), Action::Learn).await?;
    Ok(org)
}

pub(crate) async fn is_steward(state: &AppState, org: &Org, member_id: &str) -> Result<bool, AppError> {
    Ok(state.store.role_in(&org.id, member_id).await? == Some(commune_domain::org::Role::Steward))
}

/// Member ids → handles of an organisation's members.
pub(crate) async fn handles(
    state: &AppState,
    org_id: &str,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    Ok(state.store.org_members(org_id).await?.into_iter().map(|m| (m.member_id, m.handle)).collect())
}
