//! Payment requests (invoices): asking for money, paying a request exactly once, declining
//! and cancelling.

use crate::caller::Caller;
use crate::error::AppError;
use crate::ledger::Request;
use crate::payments::movement::{Movement, Receipt, amount_of, authorize_debit, memo, move_money, wallet_request};
use crate::payments::parties::{Party, ledger_named, own_owner, owner_of, party_of, payer_of, resolve_party, show_id};
use crate::state::AppState;
use commune_domain::ledger::CreateAccountResult;
use commune_domain::ledger::payments::{Owner, derive_id, transfer_code};
use commune_domain::ledger::plan;
use commune_domain::validation::Invalid;
use commune_store::{LedgerInfo, NewPaymentRequest, PaymentRequest};

/// A payment request as shown.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentRequestView {
    pub id: String,
    pub payee: Party,
    pub payer: Party,
    pub amount_minor: u64,
    pub currency: String,
    pub scale: u32,
    pub memo: String,
    /// `open`, `paid`, `declined` or `cancelled`.
    pub status: String,
    pub created_at: i64,
    pub transfer_id: Option<String>,
}

pub async fn request_view(
    state: &AppState,
    r: &PaymentRequest,
    ledgers: &[LedgerInfo],
) -> Result<PaymentRequestView, AppError> {
    let ledger = ledgers.iter().find(|l| l.id == r.ledger).ok_or(AppError::NotFound("ledger"))?;
    let payee_row = state.store.ledger_account(r.payee_account).await?.ok_or(AppError::NotFound("account"))?;
    let payer = Owner::from_parts(&r.payer_kind, &r.payer_id).ok_or(AppError::NotFound("payer"))?;
    Ok(PaymentRequestView {
        id: r.id.clone(),
        payee: party_of(state, &owner_of(&payee_row)?).await?,
        payer: party_of(state, &payer).await?,
        amount_minor: r.amount,
        currency: ledger.asset.clone(),
        scale: ledger.scale,
        memo: r.memo.clone(),
        status: r.status.clone(),
        created_at: r.created_at,
        transfer_id: r.transfer_id.map(show_id),
    })
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RequestInput {
    /// Who should pay: a member's handle or `org:slug`.
    #[serde(default)]
    pub payer: String,
    pub amount: Option<String>,
    pub amount_minor: Option<u64>,
    pub currency: Option<String>,
    #[serde(default)]
    pub memo: String,
    /// Ask on behalf of this organisation (its wallet is paid).
    pub from_org: Option<String>,
}

/// Asks someone for money, as a member or token types it: into the caller's wallet (or, with
/// `from_org`, an organisation's they may spend from).
pub async fn ask(state: &AppState, caller: &Caller, input: &RequestInput) -> Result<PaymentRequestView, AppError> {
    let payee = own_owner(state, caller, input.from_org.as_deref()).await?;
    let payer = resolve_party(state, &input.payer, "payer").await?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let amount = amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?;
    let request = request_payment(state, caller, &payee, &payer, amount, &ledger, &input.memo).await?;
    request_view(state, &request, &state.store.ledgers().await?).await
}

/// Asks `payer` for money into `payee`'s wallet (created if needed).
pub async fn request_payment(
    state: &AppState,
    caller: &Caller,
    payee: &Owner,
    payer: &Party,
    amount: u64,
    ledger: &LedgerInfo,
    memo_text: &str,
) -> Result<PaymentRequest, AppError> {
    let payer_owner = payer.owner()?.clone();
    if &payer_owner == payee {
        return Err(Invalid::new("payer", "you cannot ask yourself for money").into());
    }
    // Whoever may spend from the payee's wallet may issue requests for it.
    authorize_debit(&payer_of(state, caller).await?, payee)?;
    let memo = memo(memo_text)?;
    // The payee's wallet must exist for the request to point at it.
    let answer = state
        .ledger()
        .submit(Request { accounts: wallet_request(&[payee], ledger.id, false), ..Request::default() })
        .await?;
    if answer.accounts.iter().any(|r| !matches!(r, CreateAccountResult::Ok | CreateAccountResult::Exists)) {
        return Err(AppError::internal(anyhow::anyhow!("the payee's wallet could not be created")));
    }
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    let request = tx
        .create_payment_request(&NewPaymentRequest {
            payee_account: payee.wallet(ledger.id).id,
            payer_kind: payer_owner.kind().into(),
            payer_id: payer_owner.id().into(),
            ledger: ledger.id,
            amount,
            memo,
        })
        .await?;
    tx.commit().await?;
    Ok(request)
}

/// Pays an open request: the money moves with an id derived from the request, so paying twice
/// (a double click, a retry, two tabs) moves it once, and the request becomes `paid` in the same
/// transaction as the transfer, so a cancellation or decline racing it either wins (and nothing
/// moves) or loses (and the request is paid).
pub async fn pay_request(state: &AppState, caller: &Caller, request_id: &str) -> Result<Receipt, AppError> {
    let request = state.store.payment_request(request_id).await?.ok_or(AppError::NotFound("payment request"))?;
    let payer_owner = Owner::from_parts(&request.payer_kind, &request.payer_id).ok_or(AppError::NotFound("payer"))?;
    let right = authorize_debit(&payer_of(state, caller).await?, &payer_owner)?;
    let id = derive_id(&["payment-request", &request.id]);
    if request.status != "open" && !(request.status == "paid" && request.transfer_id == Some(id)) {
        return Err(AppError::Rule(format!("this request is {}", request.status)));
    }
    let payee_row = state.store.ledger_account(request.payee_account).await?.ok_or(AppError::NotFound("account"))?;
    let payee = owner_of(&payee_row)?;
    let ledger = state
        .store
        .ledgers()
        .await?
        .into_iter()
        .find(|l| l.id == request.ledger)
        .ok_or(AppError::NotFound("ledger"))?;
    let payee_is_business = party_of(state, &payee).await?.is_business;
    let receipt = move_money(
        state,
        &caller.audit_actor(),
        Movement {
            what: plan::Movement {
                id,
                from: payer_owner,
                to: payee,
                amount: request.amount,
                ledger: ledger.id,
                code: transfer_code::INVOICE,
                hold_timeout_s: None,
                payee_is_business,
            },
            ledger,
            memo: request.memo.clone(),
            settles: Some(request.id.clone()),
        },
        &right,
    )
    .await?;
    Ok(receipt)
}

/// Declines (the payer) or cancels (the payee) an open request.
pub async fn close_request(state: &AppState, caller: &Caller, request_id: &str, decline: bool) -> Result<(), AppError> {
    let request = state.store.payment_request(request_id).await?.ok_or(AppError::NotFound("payment request"))?;
    let payer = payer_of(state, caller).await?;
    if decline {
        let owner = Owner::from_parts(&request.payer_kind, &request.payer_id).ok_or(AppError::NotFound("payer"))?;
        authorize_debit(&payer, &owner)?;
    } else {
        let payee = state.store.ledger_account(request.payee_account).await?.ok_or(AppError::NotFound("account"))?;
        authorize_debit(&payer, &owner_of(&payee)?)?;
    }
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    if !tx.decide_payment_request(&request.id, if decline { "declined" } else { "cancelled" }, None).await? {
        return Err(AppError::Rule(format!("this request is already {}", request.status)));
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentRequests {
    /// Requests you (or your organisation) are asked to pay.
    pub incoming: Vec<PaymentRequestView>,
    /// Requests you sent.
    pub outgoing: Vec<PaymentRequestView>,
}

/// Payment requests to and from `owner`, the newest 200 each way per currency.
pub async fn requests_of(state: &AppState, owner: &Owner) -> Result<PaymentRequests, AppError> {
    let ledgers = state.store.ledgers().await?;
    let mut incoming = Vec::new();
    for r in state.store.payment_requests_to(owner.kind(), owner.id(), 200).await? {
        incoming.push(request_view(state, &r, &ledgers).await?);
    }
    let mut outgoing = Vec::new();
    for ledger in &ledgers {
        for r in state.store.payment_requests_from(owner.wallet(ledger.id).id, 200).await? {
            outgoing.push(request_view(state, &r, &ledgers).await?);
        }
    }
    Ok(PaymentRequests { incoming, outgoing })
}
