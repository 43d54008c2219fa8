//! Carrying out passed proposals that move money: allocations and budgets.

use crate::error::AppError;
use crate::payments::movement::{Movement, authorize_debit, move_money, refusal};
use crate::payments::parties::{ledger_named, resolve_party};
use crate::state::AppState;
use commune_domain::ledger::payments::{Owner, Payer, derive_id, transfer_code};
use commune_domain::ledger::plan;
use commune_domain::ledger::{CreateTransferResult as R, amount};

/// Carries out a passed allocation or budget proposal: the money moves from the pot (for the
/// commune) or the organisation's wallet, with a transfer id derived from the proposal, so doing
/// it again is a replay. `Ok(Ok(note))` when the money moved (now or before), `Ok(Err(reason))`
/// when the ledger or the recipient refused it.
pub async fn execute_effect(
    state: &AppState,
    proposal: &commune_store::Proposal,
) -> Result<Result<String, String>, AppError> {
    use commune_domain::governance::proposal::Effect;
    let from = match state.store.org_by_id(&proposal.org_id).await? {
        Some(org) if org.is_root => Owner::Pot,
        Some(org) => Owner::Org(org.id),
        None => return Ok(Err("its organisation no longer exists".into())),
    };
    let outcome = match &proposal.effect {
        Effect::Allocate { amount_minor, currency, recipient } => {
            allocate(state, &proposal.id, from, *amount_minor, currency, recipient, false).await
        }
        Effect::Budget { total_minor, currency } => {
            allocate(state, &proposal.id, from, *total_minor, currency, "", true).await
        }
        _ => return Ok(Err("this proposal moves no money".into())),
    };
    match outcome {
        Ok(note) => Ok(Ok(note)),
        Err(e @ (AppError::Ledger { .. } | AppError::Invalid(_))) => Ok(Err(e.to_string())),
        Err(e) => Err(e),
    }
}

async fn allocate(
    state: &AppState,
    proposal_id: &str,
    from: Owner,
    amount_minor: i64,
    currency: &str,
    recipient: &str,
    budget: bool,
) -> Result<String, AppError> {
    let ledger = ledger_named(state, Some(currency)).await?;
    let amount = u64::try_from(amount_minor).map_err(|_| refusal(R::AmountMustNotBeZero))?;
    let to = if budget {
        Owner::Budget(proposal_id.to_owned())
    } else {
        resolve_party(state, recipient, "recipient").await?.owner()?.clone()
    };
    let right = authorize_debit(&Payer::Governance, &from)?;
    let receipt = move_money(
        state,
        "system",
        Movement {
            what: plan::Movement {
                id: derive_id(&["execution", proposal_id]),
                from,
                to,
                amount,
                ledger: ledger.id,
                code: if budget { transfer_code::BUDGET } else { transfer_code::ALLOCATION },
                hold_timeout_s: None,
                payee_is_business: false,
            },
            ledger: ledger.clone(),
            memo: format!("proposal {proposal_id}"),
            settles: None,
        },
        &right,
    )
    .await?;
    let to_whom = if budget { "the budget round".to_owned() } else { recipient.to_owned() };
    Ok(format!(
        "moved {} {} to {to_whom} (transfer {})",
        amount::format(i128::from(amount), ledger.scale),
        ledger.asset,
        receipt.id
    ))
}
