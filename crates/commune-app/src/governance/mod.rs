//! Governance operations shared by the API, the pages, the demo and the scheduler, one room per
//! concern (children import each other, never this module):
//!
//! - [`access`]: which proposals a caller may see, and whose drafts are whose;
//! - [`checks`]: the floors in force, what a money effect's source holds, who benefits, and whether
//!   an effect may be proposed at all;
//! - [`drafting`]: drafting, editing, publishing and cancelling proposals;
//! - [`voting`]: casting ballots, with receipts;
//! - [`delegations`]: delegating and revoking, never into a cycle;
//! - [`discussion`]: the thread of a proposal;
//! - [`results`]: results, ballot exports and the member's docket.
//!
//! The scheduler that moves proposals through their phases lives in [`crate::scheduler`].

pub mod access;
pub mod checks;
pub mod delegations;
pub mod discussion;
pub mod drafting;
pub mod results;
pub mod voting;

pub use access::visible;
pub use checks::{floors_now, source_balance};
pub use delegations::{delegate, delegations, revoke_delegation};
pub use discussion::{comment, comments};
pub use drafting::{ProposalInput, cancel, cancel_at, create, create_at, publish, publish_at, update_draft};
pub use results::{Results, around, docket, export_ballots, export_preflib, results};
pub use voting::{Receipt, ballot_shape, cast, cast_at, my_receipt};

/// How a vote that decides something else (an expense, a suggested revision, a disputed
/// resolution) ended: `Some((true, outcome))` once carried out, `Some((false, outcome))` once
/// failed or cancelled, `None` while it runs (or when the proposal is gone).
pub async fn decided(
    state: &crate::state::AppState,
    proposal_id: &str,
) -> Result<Option<(bool, String)>, crate::AppError> {
    use commune_domain::governance::proposal::Phase;
    let Some(p) = state.store.proposal(proposal_id).await? else { return Ok(None) };
    Ok(match p.phase {
        Phase::Executed => Some((true, p.outcome)),
        Phase::Failed | Phase::Cancelled => Some((false, p.outcome)),
        _ => None,
    })
}
