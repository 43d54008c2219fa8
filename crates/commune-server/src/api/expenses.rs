//! Budgets and expenses over the API: stewards set budgets with lines; members file expenses and
//! attach receipts; stewards approve, reject, pay or put them to a vote.

use super::extract::{Json, Path, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use commune_app::expenses::{self, BudgetInput, BudgetView, ExpenseInput, ExpenseView};
use commune_app::state::AppState;
use commune_domain::capital::expense::Step;

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ExpenseStep {
    /// The reason, for a rejection or cancellation (up to 500 characters).
    #[serde(default)]
    pub note: String,
    /// Approve even though it takes its budget line past the budgeted amount.
    #[serde(default)]
    pub confirm_over_budget: bool,
}

/// Set a budget with line items for a period (stewards).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/budgets", tag = "capital", request_body = BudgetInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses((status = 201, description = "The budget", body = Object), (status = 403, description = "Only stewards", body = ErrorBody), (status = 422, description = "Invalid budget", body = ErrorBody)))]
pub async fn create_budget(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<BudgetInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(expenses::create_budget(&state, &caller, &slug, &input).await?))
}

/// The organisation's budgets: each line with what is committed and what the ledger shows paid.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/budgets", tag = "capital",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "Budget against actual", body = Vec<BudgetView>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn budgets(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<BudgetView>>> {
    Ok(Json(expenses::budgets(&state, &caller, &slug).await?.1))
}

/// File an expense (a draft; submit it when its receipts are attached).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/expenses", tag = "capital", request_body = ExpenseInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses((status = 201, description = "The draft expense", body = Object), (status = 422, description = "Invalid expense", body = ErrorBody)))]
pub async fn create_expense(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<ExpenseInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(expenses::create_expense(&state, &caller, &slug, &input).await?))
}

/// The organisation's expenses, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/expenses", tag = "capital",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The expenses", body = Vec<Object>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<commune_store::Expense>>> {
    Ok(Json(expenses::list(&state, &caller, &slug).await?.1))
}

/// An expense with its approvers, receipts and whether a vote decides it.
#[utoipa::path(get, path = "/api/v1/expenses/{id}", tag = "capital",
    params(("id" = String, Path, description = "The expense's id")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The expense", body = ExpenseView), (status = 404, description = "No such expense", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ExpenseView>> {
    Ok(Json(expenses::view(&state, &caller, &id).await?.0))
}

/// Take a step: `submit`, `approve`, `reject`, `pay` or `cancel` (who may is the expense rule's).
#[utoipa::path(post, path = "/api/v1/expenses/{id}/{step}", tag = "capital", request_body = ExpenseStep,
    params(("id" = String, Path, description = "The expense's id"), ("step" = String, Path, description = "submit, approve, reject, pay or cancel")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The expense after the step", body = Object),
        (status = 403, description = "Not yours to take (the submitter, approvers and payer are three people)", body = ErrorBody),
        (status = 409, description = "Not in a state for it, or over its budget line without confirmation", body = ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((id, step)): Path<(String, String)>,
    Json(input): Json<ExpenseStep>,
) -> ApiResult<Json<commune_store::Expense>> {
    let step = match step.as_str() {
        "submit" => Step::Submit,
        "approve" => Step::Approve,
        "reject" => Step::Reject,
        "pay" => Step::Pay,
        "cancel" => Step::Cancel,
        "vote" => return Ok(Json(expenses::put_to_vote(&state, &caller, &id).await?)),
        _ => return Err(commune_app::error::AppError::NotFound("expense step").into()),
    };
    Ok(Json(expenses::act(&state, &caller, &id, step, &input.note, input.confirm_over_budget).await?))
}

/// Attach a receipt: the request body is the file (PNG, JPEG, WebP or PDF, at most 2 MiB; its
/// type is read from its bytes).
#[utoipa::path(post, path = "/api/v1/expenses/{id}/receipts", tag = "capital",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    params(("id" = String, Path, description = "The expense's id")),
    security(("session" = [])),
    responses((status = 201, description = "The receipt, with its SHA-256", body = Object), (status = 422, description = "Empty, too large or of a type not accepted", body = ErrorBody)))]
pub async fn add_receipt(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    Ok(created(expenses::add_receipt(&state, &caller, &id, &body).await?))
}

/// A receipt's file.
#[utoipa::path(get, path = "/api/v1/receipts/{id}", tag = "capital",
    params(("id" = String, Path, description = "The receipt's id")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The file, as uploaded")))]
pub async fn receipt(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let (content_type, bytes) = expenses::receipt(&state, &caller, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_DISPOSITION, "attachment".to_owned()),
        ],
        bytes,
    ))
}

/// Declare a year's patronage: the surplus is split by the organisation's policies into the
/// reserve, the commune's share (moved to the pot) and the members' allocations (cash paid now,
/// the rest credited to capital accounts). Stewards; once per year.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/patronage", tag = "capital", request_body = commune_app::patronage::PatronageInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 201, description = "The year's split", body = commune_app::patronage::YearSplit),
        (status = 403, description = "Only stewards", body = ErrorBody),
        (status = 409, description = "This year was declared already", body = ErrorBody),
        (status = 422, description = "Invalid declaration", body = ErrorBody)))]
pub async fn declare_patronage(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<commune_app::patronage::PatronageInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(commune_app::patronage::declare(&state, &caller, &slug, &input).await?))
}

/// The organisation's patronage years and the caller's capital account statement.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/patronage", tag = "capital",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("token" = [])),
    responses((status = 200, description = "Years and statement", body = commune_app::patronage::PatronageView), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn patronage(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<commune_app::patronage::PatronageView>> {
    Ok(Json(commune_app::patronage::view(&state, &caller, &slug).await?.1))
}

/// Put a redemption of a member's capital account to a vote (stewards); paid when it passes.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/redemptions", tag = "capital", request_body = commune_app::patronage::RedemptionInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses((status = 201, description = "The redemption, being voted on", body = Object), (status = 403, description = "Only stewards", body = ErrorBody),
        (status = 422, description = "Not a member, or more than the account holds", body = ErrorBody)))]
pub async fn redeem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<commune_app::patronage::RedemptionInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(commune_app::patronage::redeem(&state, &caller, &slug, &input).await?))
}
