//! Payments and the ledger: wallets, statements, payments, revenue with its funnel, deposits,
//! payouts, holds, payment requests, an organisation's treasury, TigerBeetle-style transfer
//! batches for businesses that integrate directly, and the whole-ledger exports.

use super::extract::{Json, Path, Query, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, AppError, ErrorBody};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use commune_app::payments::{
    self, AccountView, CaptureInput, HoldInput, PaymentInput, PaymentRequestView, PaymentRequests, Receipt,
    RequestInput, RevenueInput, Statement, StatementQuery, TransferInput, TransferResultView, TransferView,
    TreasuryView, WalletView, parse_id,
};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_domain::ledger::amount;
use commune_domain::ledger::plan::Settlement;
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
    let owner = payments::parties::readable_owner(&state, &caller, q.org.as_deref()).await?;
    let mut wallets = payments::wallets_of(&state, &owner).await?;
    if let Some(currency) = q.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        wallets.retain(|w| w.currency.eq_ignore_ascii_case(currency));
    }
    Ok(Json(wallets))
}

/// One page of a statement (newest lines first, up to `limit`; `older` continues it) with running
/// balances, filtered; `format=csv` for a spreadsheet.
#[utoipa::path(get, path = "/api/v1/wallet/statement", tag = "payments", params(StatementQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The statement (JSON, or CSV with format=csv)", body = Statement),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn statement(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<StatementQuery>,
) -> ApiResult<Response> {
    if let Some(other) = q.format.as_deref().filter(|f| !matches!(*f, "json" | "csv")) {
        return Err(Invalid::new("format", format!("'{other}': use json or csv")).into());
    }
    let statement = payments::statement_for(&state, &caller, &q).await?;
    Ok(match q.format.as_deref() {
        Some("csv") => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"statement.csv\""),
            ],
            payments::statement_csv(&statement),
        )
            .into_response(),
        _ => Json(statement).into_response(),
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
    Ok(created(payments::deposit(&state, &caller, input).await?))
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
    Ok(Json(payments::settle_hold(&state, &caller, id, Settlement::Release).await?))
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
    let owner = payments::parties::readable_owner(&state, &caller, q.org.as_deref()).await?;
    Ok(Json(payments::requests_of(&state, &owner).await?))
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
    Ok(created(payments::requests::ask(&state, &caller, &input).await?))
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
    Ok(Json(payments::treasury_of(&state, &org).await?.0))
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
    Ok(Json(payments::raw::create_transfers(&state, &caller, &input).await?))
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
        "hledger" | "journal" => commune_app::export::Format::Journal,
        "csv" => commune_app::export::Format::Csv,
        other => return Err(Invalid::new("format", format!("'{other}': use hledger or csv")).into()),
    };
    let mut out = Vec::new();
    commune_app::export::write(&state.store, format, &mut out).await.map_err(AppError::internal)?;
    let (content_type, name) = match format {
        commune_app::export::Format::Journal => ("text/plain; charset=utf-8", "commune.journal"),
        commune_app::export::Format::Csv => ("text/csv; charset=utf-8", "commune-ledger.csv"),
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
    Ok(Json(payments::raw::account(&state, &caller, &id).await?))
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
    Ok(Json(payments::raw::transfer(&state, &caller, &id).await?))
}
