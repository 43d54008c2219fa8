//! Holds (two-phase transfers): placing one, and capturing or releasing it.

use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::movement::{Movement, PaymentInput, Receipt, amount_of, authorize_debit, move_money, submit};
use crate::payments::parties::{
    ledger_named, own_owner, owner_of, parse_id, party_of, payer_of, resolve_party, show_id,
};
use crate::state::AppState;
use commune_domain::ledger::Transfer;
use commune_domain::ledger::payments::{Owner, transfer_code};
use commune_domain::ledger::plan::{self, Settlement};
use commune_domain::validation::Invalid;

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct HoldInput {
    #[serde(flatten)]
    pub payment: PaymentInput,
    /// Seconds until the hold expires and the money is released (0 or absent = never; at most 30 days).
    pub timeout_s: Option<u32>,
}

/// How much of a hold to capture: say it, either as `amount_minor` (more than zero; the rest is
/// released) or as `"all": true`. A zero never means "everything".
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CaptureInput {
    pub amount_minor: Option<u64>,
    /// Capture the whole hold.
    #[serde(default)]
    pub all: bool,
}

impl CaptureInput {
    pub fn settlement(&self) -> Result<Settlement, AppError> {
        match (self.all, self.amount_minor) {
            (true, None) => Ok(Settlement::CaptureAll),
            (false, Some(0)) => Err(Invalid::new(
                "amount_minor",
                "capture more than zero, or send \"all\": true to capture the whole hold",
            )
            .into()),
            (false, Some(n)) => Ok(Settlement::Capture(n)),
            (true, Some(_)) => Err(Invalid::new("amount_minor", "give an amount or \"all\": true, not both").into()),
            (false, None) => Err(Invalid::new(
                "amount_minor",
                "say how much to capture: an amount_minor above zero, or \"all\": true",
            )
            .into()),
        }
    }
}

/// Places a hold: money reserved for the payee until captured, released or expired.
pub async fn hold(state: &AppState, caller: &Caller, input: HoldInput) -> Result<Receipt, AppError> {
    let p = input.payment;
    let from = own_owner(state, caller, p.from_org.as_deref()).await?;
    let right = authorize_debit(&payer_of(state, caller).await?, &from)?;
    let to = resolve_party(state, &p.to, "to").await?;
    let ledger = ledger_named(state, p.currency.as_deref()).await?;
    let movement = Movement {
        what: plan::Movement {
            id: parse_id(p.id.as_deref(), "id")?,
            from,
            to: to.owner()?.clone(),
            amount: amount_of(p.amount.as_deref(), p.amount_minor, &ledger)?,
            ledger: ledger.id,
            code: transfer_code::HOLD,
            hold_timeout_s: Some(input.timeout_s.unwrap_or(0)),
            payee_is_business: to.is_business,
        },
        ledger,
        memo: p.memo,
        settles: None,
    };
    move_money(state, &caller.audit_actor(), movement, &right).await
}

/// Captures (all or `amount` of) a hold, or releases it, by whoever [`plan::may_settle`] allows:
/// the domain plans the settling transfer and, for a business's captured revenue, its funnel share.
pub async fn settle_hold(
    state: &AppState,
    caller: &Caller,
    hold_id: u128,
    settlement: Settlement,
) -> Result<Receipt, AppError> {
    let payer = payer_of(state, caller).await?;
    settle_hold_as(state, &caller.audit_actor(), &payer, hold_id, settlement).await
}

/// [`settle_hold`] on behalf of `payer` (a round settling its own awards, or a caller).
pub async fn settle_hold_as(
    state: &AppState,
    actor: &str,
    payer: &commune_domain::ledger::payments::Payer,
    hold_id: u128,
    settlement: Settlement,
) -> Result<Receipt, AppError> {
    let stored = state.store.ledger_transfer(hold_id).await?.ok_or(AppError::NotFound("hold"))?;
    if !stored.record.flags().pending {
        return Err(AppError::NotFound("hold"));
    }
    let record = stored.record;
    let payer_account =
        state.store.ledger_account(record.debit_account_id).await?.ok_or(AppError::NotFound("account"))?;
    let payee_account =
        state.store.ledger_account(record.credit_account_id).await?.ok_or(AppError::NotFound("account"))?;
    let (payer_owner, payee_owner) = (owner_of(&payer_account)?, owner_of(&payee_account)?);
    let right = plan::may_settle(payer, &payer_owner, &payee_owner)
        .map_err(|why| AppError::Denied(commune_domain::authz::Denied::Forbidden(why)))?;
    let ledger =
        state.store.ledgers().await?.into_iter().find(|l| l.id == record.ledger).ok_or(AppError::NotFound("ledger"))?;
    let payee_is_business = party_of(state, &payee_owner).await?.is_business;
    let hold = plan::Hold {
        transfer: Transfer {
            id: record.id,
            debit_account_id: record.debit_account_id,
            credit_account_id: record.credit_account_id,
            amount: record.amount,
            ledger: record.ledger,
            code: record.code,
            ..Transfer::default()
        },
        payer: payer_owner.clone(),
        payee: payee_owner.clone(),
        payee_is_business,
    };
    let rate = crate::policy::commune(&state.store).await?.get("funnel_rate");
    let planned = plan::plan_settlement(&hold, settlement, &right, rate)?;
    let id = planned.transfers[0].id;
    let ids = planned.transfers.iter().map(|t| show_id(t.id)).collect();
    let capture = settlement != Settlement::Release;
    let posted = match settlement {
        Settlement::Capture(n) => n,
        Settlement::CaptureAll => record.amount,
        Settlement::Release => 0,
    };
    let owners = [&payer_owner, &payee_owner, &Owner::Pot];
    let (answer, replayed) = submit(state, actor, &owners, ledger.id, planned.transfers, "", None).await?;
    Ok(Receipt {
        id: show_id(id),
        transfers: ids,
        amount_minor: posted,
        funnel_minor: planned.funnel_minor,
        currency: ledger.asset,
        status: if capture { "posted" } else { "voided" }.into(),
        replayed,
        at_ms: answer.at_ms,
    })
}
