//! Liquid delegation: delegating (never into a cycle, checked inside the write) and revoking.

use crate::caller::Caller;
use crate::error::AppError;
use crate::service;
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::authz::Action;
use commune_store::{Delegation, Org};
use std::collections::HashMap;

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
    if !domain.is_empty() {
        // A domain nobody uses that is a letter or two from one in use is a typo that would
        // never apply: refuse it and name the right one. A new, distinct domain is allowed (it
        // applies once proposals use it).
        let known = service::known_domains(state).await?;
        if let Some(near) = commune_domain::governance::words::nearest(&domain, &known) {
            let message = format!("nobody uses the domain '{domain}': did you mean '{near}'?");
            return Err(Invalid::new("domain", message).into());
        }
    }
    let handle = delegate_handle.trim().trim_start_matches('@').to_ascii_lowercase();
    let target = state.store.member_by_handle(&handle).await?;
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
