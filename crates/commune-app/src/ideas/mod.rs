//! Ideas and analytics: the issue log and the private journal, the idea board with its three
//! rankings (equal, merit, bridging), opinion maps, and dashboards with the metrics businesses
//! push. Each use case resolves the problem, idea, conversation or organisation, authorizes
//! the caller there (members; dashboards also for `metrics:read` tokens, pushing for stewards
//! and `metrics:write` tokens), plans with `commune_domain::ideas` and writes once. This
//! module sits above governance, work and learning: problems and ideas become proposals and
//! tasks, root causes are principles of the library; nothing below imports it.

pub mod analytics;
pub mod board;
pub mod journal;
pub mod opinions;
pub mod problems;

use crate::caller::Caller;
use crate::error::AppError;
use crate::governance::drafting;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_store::Org;

/// The organisation `org_id` names, after authorizing `caller` for `action` in it.
pub(crate) async fn org_by_id(
    state: &AppState,
    caller: &Caller,
    org_id: &str,
    what: &'static str,
    action: Action,
) -> Result<Org, AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, action).await?;
    }
    let org = state.store.org_by_id(org_id).await?.ok_or(AppError::NotFound(what))?;
    caller.authorize(state, Some(&org), action).await?;
    Ok(org)
}

/// Drafts a yes/no decision of `org` (merit-weighted, in the shortest window the floors allow,
/// a day from now): what an idea, a problem's resolution or a consensus statement becomes. It
/// stays a draft its author edits and publishes.
pub(crate) async fn draft_decision(
    state: &AppState,
    caller: &Caller,
    org: &Org,
    title: &str,
    body: &str,
    domain: &str,
) -> Result<commune_store::Proposal, AppError> {
    drafting::draft_decision(state, caller, org, title, body, domain, 86_400_000).await
}

/// A domain as typed, or `general`: lowercase letters, digits and dashes, 1–40.
pub(crate) fn domain(raw: &str) -> Result<String, commune_domain::Invalid> {
    let d = raw.trim().to_lowercase();
    if d.is_empty() {
        return Ok("general".into());
    }
    if d.len() <= 40 && d.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        Ok(d)
    } else {
        Err(commune_domain::Invalid::new("domain", "a domain is 1–40 of a-z, 0-9 and '-'"))
    }
}
