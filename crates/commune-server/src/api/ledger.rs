//! Payments and the ledger: wallets, statements, payments, revenue with its funnel, deposits,
//! payouts, holds, payment requests, an organisation's treasury, TigerBeetle-style transfer
//! batches for businesses that integrate directly, and the whole-ledger exports.

use super::{Json, Path, Query, created};
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiResult, AppError, ErrorBody};
use crate::payments::{
    self, CaptureInput, HoldInput, Movement, PaymentInput, PaymentRequestView, Receipt, RevenueInput, Statement,
    StatementFilter, WalletView, amount_of, authorize_debit, ledger_named, own_owner, parse_id, payer_of,
    resolve_party,
};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use commune_domain::authz::Action;
use commune_domain::ledger::payments::{Owner, Payer, transfer_code};
use commune_domain::ledger::{Transfer, TransferFlags, amount};
use commune_domain::validation::Invalid;

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LedgerView {
    pub id: u32,
    /// The asset code, e.g. `EUR`.
    pub asset: String,
    /// Decimal places shown: amounts are integers in minor units (cents for scale 2).
    pub scale: u32,
    pub name: String,
}

/// The ledgers (currencies and units) of this commune.
#[utoipa::path(get, path = "/api/v1/ledgers", tag = "payments", security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Ledgers", body = Vec<LedgerView>), (status = 401, body = ErrorBody)))]
pub async fn ledgers(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<Vec<LedgerView>>> {
    caller.authorize(&state, None, Action::ReadDirectory).await?;
    let ledgers = state.store.ledgers().await?;
    Ok(Json(
        ledgers.into_iter().map(|l| LedgerView { id: l.id, asset: l.asset, scale: l.scale, name: l.name }).collect(),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct LedgerInput {
    /// 2–12 capital letters, e.g. `EUR`, `HOURS`.
    pub asset: String,
    /// Decimal places, 0–18.
    pub scale: u32,
    pub name: String,
}

/// Adds a ledger (instance stewards).
#[utoipa::path(post, path = "/api/v1/ledgers", tag = "payments", request_body = LedgerInput,
    security(("session" = [])),
    responses((status = 201, description = "Created", body = LedgerView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_ledger(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<LedgerInput>,
) -> ApiResult<impl IntoResponse> {
    caller.authorize(&state, None, Action::AdministerInstance).await?;
    let asset = input.asset.trim();
    if !(2..=12).contains(&asset.len()) || !asset.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Invalid::new("asset", "2–12 capital letters, like EUR or HOURS").into());
    }
    if input.scale > amount::MAX_SCALE {
        return Err(Invalid::new("scale", format!("at most {}", amount::MAX_SCALE)).into());
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Invalid::new("name", "1–60 characters").into());
    }
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    let l = tx.create_ledger(asset, input.scale, name).await?;
    tx.commit().await?;
    Ok(created(LedgerView { id: l.id, asset: l.asset, scale: l.scale, name: l.name }))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct WalletQuery {
    /// Show an organisation's wallet (its slug) instead of your own.
    pub org: Option<String>,
    /// The currency (asset code); the first ledger when absent.
    pub currency: Option<String>,
}

/// Your wallets (a token sees its organisation's), one per currency used.
#[utoipa::path(get, path = "/api/v1/wallet", tag = "payments", params(WalletQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Wallets", body = Vec<WalletView>), (status = 401, body = ErrorBody)))]
pub async fn wallet(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<WalletQuery>,
) -> ApiResult<Json<Vec<WalletView>>> {
    let owner = readable_owner(&state, &caller, q.org.as_deref()).await?;
    let mut wallets = payments::wallets_of(&state, &owner).await?;
    if let Some(currency) = q.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        wallets.retain(|w| w.currency.eq_ignore_ascii_case(currency));
    }
    Ok(Json(wallets))
}

/// The owner whose wallet the caller asks to read: their own, or an organisation's treasury.
async fn readable_owner(state: &AppState, caller: &Caller, org: Option<&str>) -> Result<Owner, AppError> {
    if let Some(slug) = org.map(str::trim).filter(|s| !s.is_empty()) {
        let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
        caller.authorize(state, Some(&org), Action::ReadTreasury).await?;
        return Ok(Owner::Org(org.id));
    }
    if let Caller::Token(token) = caller {
        let org = state.store.org_by_id(&token.org_id).await?.ok_or(AppError::NotFound("organisation"))?;
        caller.authorize(state, Some(&org), Action::ReadTreasury).await?;
    }
    own_owner(state, caller, None).await
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct StatementQuery {
    pub org: Option<String>,
    pub currency: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Only lines at or after this instant (unix ms).
    pub from_ms: Option<i64>,
    /// Only lines before this instant (unix ms).
    pub to_ms: Option<i64>,
    /// Only this kind (`payment`, `revenue`, `funnel`, `deposit`, `payout`, `hold`, `invoice`, `allocation`).
    pub kind: Option<String>,
    /// Only lines with this counterparty (handle or slug).
    pub counterparty: Option<String>,
    /// At most this many lines, newest kept (default 500, at most 10,000).
    pub limit: Option<usize>,
}

impl StatementQuery {
    fn filter(&self) -> StatementFilter {
        StatementFilter {
            from_ms: self.from_ms,
            to_ms: self.to_ms,
            kind: self.kind.clone(),
            counterparty: self.counterparty.clone(),
            limit: self.limit,
        }
    }
}

/// A statement with running balances, filtered; `format=csv` for a spreadsheet.
#[utoipa::path(get, path = "/api/v1/wallet/statement", tag = "payments", params(StatementQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The statement (JSON, or CSV with format=csv)", body = Statement),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn statement(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<StatementQuery>,
) -> ApiResult<Response> {
    let owner = readable_owner(&state, &caller, q.org.as_deref()).await?;
    let ledger = ledger_named(&state, q.currency.as_deref()).await?;
    let Some(row) = state.store.ledger_account(owner.wallet(ledger.id).id).await? else {
        return Err(AppError::NotFound("wallet in this currency"));
    };
    let statement = payments::statement(&state, &row, &q.filter()).await?;
    Ok(match q.format.as_deref() {
        Some("csv") => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"statement.csv\""),
            ],
            payments::statement_csv(&statement),
        )
            .into_response(),
        None | Some("json") => Json(statement).into_response(),
        Some(other) => return Err(Invalid::new("format", format!("'{other}': use json or csv")).into()),
    })
}

/// Sends money. Paying a business counts as its revenue: the funnel share goes to the common
/// pot in the same linked chain.
#[utoipa::path(post, path = "/api/v1/payments", tag = "payments", request_body = PaymentInput,
    security(("session" = []), ("bearer" = [])),
    responses((status = 201, description = "Moved (or replayed: the same id was already applied)", body = Receipt),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pay(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<PaymentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(payments::pay(&state, &caller, input).await?))
}

/// Books a business's revenue from outside the commune; the funnel share moves to the common
/// pot in the same linked chain (stewards, or a token with `payments:write`).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/revenue", tag = "payments", request_body = RevenueInput,
    params(("slug" = String, Path)), security(("session" = []), ("bearer" = [])),
    responses((status = 201, description = "Booked", body = Receipt), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revenue(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<RevenueInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(payments::book_revenue(&state, &caller, &slug, input).await?))
}

/// Records money arriving from outside into a wallet (instance stewards).
#[utoipa::path(post, path = "/api/v1/deposits", tag = "payments", request_body = PaymentInput,
    security(("session" = [])),
    responses((status = 201, description = "Deposited", body = Receipt), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn deposit(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<PaymentInput>,
) -> ApiResult<impl IntoResponse> {
    caller.authorize(&state, None, Action::AdministerInstance).await?;
    authorize_debit(&Payer::Settlement, &Owner::Settlement)?;
    let to = resolve_party(&state, &input.to, "to").await?;
    let ledger = ledger_named(&state, input.currency.as_deref()).await?;
    let movement = Movement {
        id: parse_id(input.id.as_deref(), "id")?,
        from: Owner::Settlement,
        to: to.owner()?.clone(),
        amount: amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?,
        ledger,
        code: transfer_code::DEPOSIT,
        memo: input.memo,
        hold_timeout_s: None,
        funnel: false,
        settles: None,
    };
    Ok(created(payments::move_money(&state, &caller.audit_actor(), movement).await?))
}

/// Pays money out of the commune from your wallet (or an organisation's you steward).
#[utoipa::path(post, path = "/api/v1/payouts", tag = "payments", request_body = PaymentInput,
    security(("session" = []), ("bearer" = [])),
    responses((status = 201, description = "Paid out", body = Receipt), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn payout(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<PaymentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(payments::payout(&state, &caller, input).await?))
}

/// Places a hold: reserves money for the payee until they capture it or it is released.
#[utoipa::path(post, path = "/api/v1/holds", tag = "payments", request_body = HoldInput,
    security(("session" = []), ("bearer" = [])),
    responses((status = 201, description = "Held", body = Receipt), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn hold(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<HoldInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(payments::hold(&state, &caller, input).await?))
}

/// The largest body `POST /ledger/transfers` accepts: a full batch of 8,190 transfers written out
/// in full (ids, accounts and user data as 36-character UUIDs, every flag named) stays below it.
pub const MAX_TRANSFERS_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Captures a hold: `{"all": true}` for all of it, or `{"amount_minor": n}` for part (the rest is
/// released). Zero is refused: it never means everything.
#[utoipa::path(post, path = "/api/v1/holds/{id}/capture", tag = "payments", request_body = CaptureInput,
    params(("id" = String, Path)), security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Captured", body = Receipt), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn capture(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<CaptureInput>,
) -> ApiResult<Json<Receipt>> {
    let id = parse_id(Some(&id), "id")?;
    let settlement = input.settlement()?;
    Ok(Json(payments::settle_hold(&state, &caller, id, settlement).await?))
}

/// Releases a hold (payer or payee).
#[utoipa::path(post, path = "/api/v1/holds/{id}/release", tag = "payments",
    params(("id" = String, Path)), security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Released", body = Receipt), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Receipt>> {
    let id = parse_id(Some(&id), "id")?;
    Ok(Json(payments::settle_hold(&state, &caller, id, payments::Settlement::Release).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentRequests {
    /// Requests you (or your organisation) are asked to pay.
    pub incoming: Vec<PaymentRequestView>,
    /// Requests you sent.
    pub outgoing: Vec<PaymentRequestView>,
}

/// Payment requests to and from you (a token: its organisation; `org`: an organisation you belong to).
#[utoipa::path(get, path = "/api/v1/payment-requests", tag = "payments", params(WalletQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Requests", body = PaymentRequests), (status = 401, body = ErrorBody)))]
pub async fn list_requests(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<WalletQuery>,
) -> ApiResult<Json<PaymentRequests>> {
    let owner = readable_owner(&state, &caller, q.org.as_deref()).await?;
    Ok(Json(requests_of(&state, &owner).await?))
}

pub async fn requests_of(state: &AppState, owner: &Owner) -> Result<PaymentRequests, AppError> {
    let ledgers = state.store.ledgers().await?;
    let mut incoming = Vec::new();
    for r in state.store.payment_requests_to(owner.kind(), owner.id(), 200).await? {
        incoming.push(payments::request_view(state, &r, &ledgers).await?);
    }
    let mut outgoing = Vec::new();
    for ledger in &ledgers {
        for r in state.store.payment_requests_from(owner.wallet(ledger.id).id, 200).await? {
            outgoing.push(payments::request_view(state, &r, &ledgers).await?);
        }
    }
    Ok(PaymentRequests { incoming, outgoing })
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

/// Asks someone for money (an invoice).
#[utoipa::path(post, path = "/api/v1/payment-requests", tag = "payments", request_body = RequestInput,
    security(("session" = []), ("bearer" = [])),
    responses((status = 201, description = "Requested", body = PaymentRequestView), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_request(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<RequestInput>,
) -> ApiResult<impl IntoResponse> {
    let payee = own_owner(&state, &caller, input.from_org.as_deref()).await?;
    let payer = resolve_party(&state, &input.payer, "payer").await?;
    let ledger = ledger_named(&state, input.currency.as_deref()).await?;
    let amount = amount_of(input.amount.as_deref(), input.amount_minor, &ledger)?;
    let request = payments::request_payment(&state, &caller, &payee, &payer, amount, &ledger, &input.memo).await?;
    Ok(created(payments::request_view(&state, &request, &state.store.ledgers().await?).await?))
}

/// Pays a request addressed to you; paying twice moves the money once.
#[utoipa::path(post, path = "/api/v1/payment-requests/{id}/pay", tag = "payments",
    params(("id" = String, Path)), security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Paid", body = Receipt), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pay_request(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Receipt>> {
    Ok(Json(payments::pay_request(&state, &caller, &id).await?))
}

/// Declines a request addressed to you.
#[utoipa::path(post, path = "/api/v1/payment-requests/{id}/decline", tag = "payments",
    params(("id" = String, Path)), security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "Declined"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decline_request(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    payments::close_request(&state, &caller, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels a request you sent.
#[utoipa::path(post, path = "/api/v1/payment-requests/{id}/cancel", tag = "payments",
    params(("id" = String, Path)), security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "Cancelled"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_request(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    payments::close_request(&state, &caller, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A month of an organisation's treasury.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TreasuryMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub revenue_minor: i128,
    pub funnel_minor: i128,
    pub spent_minor: i128,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TreasuryView {
    pub wallets: Vec<WalletView>,
    /// The share of business revenue that flows to the common pot.
    pub funnel_rate: f64,
    /// The common pot (on the commune's own treasury).
    pub pot: Vec<WalletView>,
    /// Revenue (for the commune: what flowed into the pot), funnel and spending per month in
    /// `currency`, oldest first.
    pub months: Vec<TreasuryMonth>,
    pub currency: String,
    pub scale: u32,
}

/// An organisation's treasury: wallet, revenue and funnel history, and (for the commune) the pot.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/treasury", tag = "payments", params(("slug" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "Treasury", body = TreasuryView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn treasury(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<TreasuryView>> {
    let org = state.store.org_by_slug(&slug).await?.ok_or(AppError::NotFound("organisation"))?;
    caller.authorize(&state, Some(&org), Action::ReadTreasury).await?;
    Ok(Json(treasury_of(&state, &org).await?.0))
}

/// The treasury, and the statement of its main account (the pot for the commune) it was made
/// from, so a page can show both without computing the history twice.
pub async fn treasury_of(
    state: &AppState,
    org: &commune_store::Org,
) -> Result<(TreasuryView, Option<Statement>), AppError> {
    let owner = Owner::Org(org.id.clone());
    let wallets = payments::wallets_of(state, &owner).await?;
    let pot = if org.is_root { payments::wallets_of(state, &Owner::Pot).await? } else { Vec::new() };
    let ledger = ledger_named(state, None).await?;
    let mut months: Vec<TreasuryMonth> = Vec::new();
    // The commune's story is its pot: funnel shares in, allocations out.
    let main = if org.is_root { Owner::Pot } else { owner };
    let mut statement = None;
    if let Some(row) = state.store.ledger_account(main.wallet(ledger.id).id).await? {
        let filter = StatementFilter { limit: Some(10_000), ..StatementFilter::default() };
        let full = payments::statement(state, &row, &filter).await?;
        for line in full.lines.iter().filter(|l| l.status == "posted") {
            let month = commune_domain::ledger::export::date_of(line.at_ms)[..7].to_owned();
            if months.last().is_none_or(|m| m.month != month) {
                months.push(TreasuryMonth { month, revenue_minor: 0, funnel_minor: 0, spent_minor: 0 });
            }
            if let Some(m) = months.last_mut() {
                match (line.kind.as_str(), line.amount_minor > 0) {
                    ("funnel", false) => m.funnel_minor -= line.amount_minor,
                    (_, true) => m.revenue_minor += line.amount_minor,
                    (_, false) => m.spent_minor -= line.amount_minor,
                }
            }
        }
        statement = Some(full);
    }
    let view = TreasuryView {
        wallets,
        funnel_rate: payments::funnel_rate(state).await?,
        pot,
        months,
        currency: ledger.asset,
        scale: ledger.scale,
    };
    Ok((view, statement))
}

/// One transfer in TigerBeetle's shape; ids as UUIDs (or 32 hex digits, or decimal).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TransferInput {
    pub id: String,
    #[serde(default)]
    pub debit_account_id: Option<String>,
    #[serde(default)]
    pub credit_account_id: Option<String>,
    #[serde(default)]
    pub amount: u64,
    #[serde(default)]
    pub pending_id: Option<String>,
    /// Seconds, pending transfers only.
    #[serde(default)]
    pub timeout: u32,
    #[serde(default)]
    pub ledger: u32,
    #[serde(default)]
    pub code: u16,
    /// Any of `linked`, `pending`, `post_pending_transfer`, `void_pending_transfer`,
    /// `balancing_debit`, `balancing_credit`, `closing_debit`, `closing_credit` (closing
    /// transfers must be pending; voiding one reopens the account).
    #[serde(default)]
    pub flags: Vec<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TransferResultView {
    pub index: usize,
    pub id: String,
    /// `ok`, or TigerBeetle's result name (`exceeds_credits`, `exists`, `linked_event_failed`, ...).
    pub result: String,
}

/// Creates a batch of transfers with TigerBeetle's semantics (at most 8,190). Every debited
/// account (for a post or void: the hold's payer or payee) must be yours to spend; otherwise the
/// whole batch is refused and nothing is written.
#[utoipa::path(post, path = "/api/v1/ledger/transfers", tag = "payments", request_body = Vec<TransferInput>,
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "One result per transfer, in order", body = Vec<TransferResultView>),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_transfers(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<Vec<TransferInput>>,
) -> ApiResult<Json<Vec<TransferResultView>>> {
    let payer = payer_of(&state, &caller).await?;
    if input.is_empty() || input.len() > crate::ledger::MAX_BATCH {
        return Err(Invalid::new("transfers", format!("send 1 to {} transfers", crate::ledger::MAX_BATCH)).into());
    }
    let mut transfers = Vec::with_capacity(input.len());
    for t in &input {
        let id_or_zero = |raw: &Option<String>, field| match raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(raw) => parse_id(Some(raw), field),
            None => Ok(0),
        };
        let mut flags = TransferFlags::default();
        for flag in &t.flags {
            match flag.as_str() {
                "linked" => flags.linked = true,
                "pending" => flags.pending = true,
                "post_pending_transfer" => flags.post_pending_transfer = true,
                "void_pending_transfer" => flags.void_pending_transfer = true,
                "balancing_debit" => flags.balancing_debit = true,
                "balancing_credit" => flags.balancing_credit = true,
                "closing_debit" => flags.closing_debit = true,
                "closing_credit" => flags.closing_credit = true,
                other => return Err(Invalid::new("flags", format!("unknown flag '{other}'")).into()),
            }
        }
        transfers.push(Transfer {
            id: parse_id(Some(&t.id), "id")?,
            debit_account_id: id_or_zero(&t.debit_account_id, "debit_account_id")?,
            credit_account_id: id_or_zero(&t.credit_account_id, "credit_account_id")?,
            amount: t.amount,
            pending_id: id_or_zero(&t.pending_id, "pending_id")?,
            timeout: t.timeout,
            ledger: t.ledger,
            code: t.code,
            flags,
            user_data: 0,
        });
    }
    for t in &transfers {
        authorize_raw(&state, &payer, t).await?;
    }
    let answer =
        state.ledger().submit(crate::ledger::Request { transfers: transfers.clone(), ..Default::default() }).await?;
    Ok(Json(
        transfers
            .iter()
            .zip(answer.transfers)
            .enumerate()
            .map(|(index, (t, r))| TransferResultView { index, id: payments::show_id(t.id), result: r.as_str() })
            .collect(),
    ))
}

/// Whether `payer` may submit `t`: its debit account must be theirs; a post or void must be
/// by the hold's payer or payee. Unknown accounts are left to the engine (it names them).
async fn authorize_raw(state: &AppState, payer: &Payer, t: &Transfer) -> Result<(), AppError> {
    if t.flags.settles() {
        let Some(hold) = state.store.ledger_transfer(t.pending_id).await? else { return Ok(()) };
        let mut last = Ok(());
        for account in [hold.record.debit_account_id, hold.record.credit_account_id] {
            if let Some(row) = state.store.ledger_account(account).await? {
                last = authorize_debit(payer, &payments::owner_of(&row)?);
                if last.is_ok() {
                    return Ok(());
                }
            }
        }
        return last;
    }
    if let Some(row) = state.store.ledger_account(t.debit_account_id).await? {
        authorize_debit(payer, &payments::owner_of(&row)?)?;
    }
    // Closing an account is its owner's decision, also on the credit side.
    if t.flags.closing_credit
        && let Some(row) = state.store.ledger_account(t.credit_account_id).await?
    {
        authorize_debit(payer, &payments::owner_of(&row)?)?;
    }
    Ok(())
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `hledger` (a plain-text journal that hledger and ledger read) or `csv`.
    pub format: Option<String>,
}

/// The whole ledger as a journal or CSV (instance stewards).
#[utoipa::path(get, path = "/api/v1/ledger/export", tag = "payments", params(ExportQuery), security(("session" = [])),
    responses((status = 200, description = "The export", content_type = "text/plain"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    caller.authorize(&state, None, Action::AdministerInstance).await?;
    let format = match q.format.as_deref().unwrap_or("hledger") {
        "hledger" | "journal" => crate::export::Format::Journal,
        "csv" => crate::export::Format::Csv,
        other => return Err(Invalid::new("format", format!("'{other}': use hledger or csv")).into()),
    };
    let mut out = Vec::new();
    crate::export::write(&state.store, format, &mut out).await.map_err(AppError::internal)?;
    let (content_type, name) = match format {
        crate::export::Format::Journal => ("text/plain; charset=utf-8", "commune.journal"),
        crate::export::Format::Csv => ("text/csv; charset=utf-8", "commune-ledger.csv"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        out,
    )
        .into_response())
}

/// An account with its balances, as TigerBeetle's `lookup_accounts` returns it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub ledger: u32,
    pub code: u16,
    /// Set flags: `debits_must_not_exceed_credits`, `credits_must_not_exceed_debits`, `history`, `closed`.
    pub flags: Vec<String>,
    pub owner: payments::Party,
    pub debits_pending: u64,
    pub debits_posted: u64,
    pub credits_pending: u64,
    pub credits_posted: u64,
    pub created_at: i64,
}

/// A transfer as stored, as TigerBeetle's `lookup_transfers` returns it (accounts, ledger and
/// code filled in for a post or void).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TransferView {
    pub id: String,
    pub seq: i64,
    pub debit_account_id: String,
    pub credit_account_id: String,
    /// What it moved.
    pub amount: u64,
    pub pending_id: Option<String>,
    pub ledger: u32,
    pub code: u16,
    pub flags: Vec<String>,
    pub timestamp_ms: i64,
    /// For a pending transfer: `pending`, `posted`, `voided` or `expired`.
    pub state: Option<String>,
    pub memo: Option<String>,
}

/// A member or a token: anonymous callers are told to sign in.
fn signed_in(caller: &Caller) -> Result<(), AppError> {
    match caller {
        Caller::Anonymous { .. } => caller.require_member().map(|_| ()),
        Caller::Member(_) | Caller::Token(_) => Ok(()),
    }
}

/// Whether the caller may read an account: its member, its organisation's readers (members,
/// `payments:read` tokens), or an instance steward.
async fn may_read(state: &AppState, caller: &Caller, row: &commune_store::AccountRow) -> Result<(), AppError> {
    let owner = payments::owner_of(row)?;
    let own = match (&owner, caller) {
        (Owner::Member(id), Caller::Member(s)) => s.member.id == *id,
        (Owner::Org(id), _) => match state.store.org_by_id(id).await? {
            Some(org) => caller.authorize(state, Some(&org), Action::ReadTreasury).await.is_ok(),
            None => false,
        },
        _ => false,
    };
    if own {
        return Ok(());
    }
    caller.authorize(state, None, Action::AdministerInstance).await
}

fn flag_names(bits: &[(bool, &str)]) -> Vec<String> {
    bits.iter().filter(|(on, _)| *on).map(|(_, name)| (*name).to_owned()).collect()
}

/// Looks up one account (its owner, its organisation's readers, or an instance steward).
#[utoipa::path(get, path = "/api/v1/ledger/accounts/{id}", tag = "payments", params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The account", body = AccountView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn account(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountView>> {
    signed_in(&caller)?;
    let id = parse_id(Some(&id), "id")?;
    let row = state.store.ledger_account(id).await?.ok_or(AppError::NotFound("account"))?;
    may_read(&state, &caller, &row).await.map_err(|_| AppError::NotFound("account"))?;
    let a = row.account;
    let f = a.flags;
    Ok(Json(AccountView {
        id: payments::show_id(a.id),
        ledger: a.ledger,
        code: a.code,
        flags: flag_names(&[
            (f.debits_must_not_exceed_credits, "debits_must_not_exceed_credits"),
            (f.credits_must_not_exceed_debits, "credits_must_not_exceed_debits"),
            (f.history, "history"),
            (f.closed, "closed"),
        ]),
        owner: payments::party_of(&state, &payments::owner_of(&row)?).await?,
        debits_pending: a.debits_pending,
        debits_posted: a.debits_posted,
        credits_pending: a.credits_pending,
        credits_posted: a.credits_posted,
        created_at: row.created_at,
    }))
}

/// Looks up one transfer (readable by whoever may read either of its accounts).
#[utoipa::path(get, path = "/api/v1/ledger/transfers/{id}", tag = "payments", params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The transfer", body = TransferView), (status = 404, body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<TransferView>> {
    signed_in(&caller)?;
    let id = parse_id(Some(&id), "id")?;
    let row = state.store.ledger_transfer(id).await?.ok_or(AppError::NotFound("transfer"))?;
    let r = row.record;
    let mut readable = false;
    for account in [r.debit_account_id, r.credit_account_id] {
        if let Some(acct) = state.store.ledger_account(account).await?
            && may_read(&state, &caller, &acct).await.is_ok()
        {
            readable = true;
            break;
        }
    }
    if !readable {
        return Err(AppError::NotFound("transfer"));
    }
    let f = r.flags();
    Ok(Json(TransferView {
        id: payments::show_id(r.id),
        seq: r.seq,
        debit_account_id: payments::show_id(r.debit_account_id),
        credit_account_id: payments::show_id(r.credit_account_id),
        amount: r.amount,
        pending_id: (r.pending_id != 0).then(|| payments::show_id(r.pending_id)),
        ledger: r.ledger,
        code: r.code,
        flags: flag_names(&[
            (f.linked, "linked"),
            (f.pending, "pending"),
            (f.post_pending_transfer, "post_pending_transfer"),
            (f.void_pending_transfer, "void_pending_transfer"),
            (f.balancing_debit, "balancing_debit"),
            (f.balancing_credit, "balancing_credit"),
            (f.closing_debit, "closing_debit"),
            (f.closing_credit, "closing_credit"),
        ]),
        timestamp_ms: r.at_ms,
        state: row.state.map(|s| s.as_str().to_owned()),
        memo: row.memo,
    }))
}
