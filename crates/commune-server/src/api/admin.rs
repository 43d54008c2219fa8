//! Instance administration, for stewards of the commune.

use super::extract::Json;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use commune_app::admin::{self, AdminOverview, ChainView};
use commune_app::state::AppState;

/// Instance figures and the newest audit entries (stewards of the commune).
#[utoipa::path(get, path = "/api/v1/admin/overview", tag = "admin",
    security(("session" = [])),
    responses(
        (status = 200, description = "Instance figures and the newest audit entries", body = AdminOverview),
        (status = 403, description = "Only stewards of the commune", body = ErrorBody)))]
pub async fn overview(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<AdminOverview>> {
    Ok(Json(admin::overview(&state, &caller).await?))
}

/// Recompute the whole audit chain now.
#[utoipa::path(post, path = "/api/v1/admin/verify", tag = "admin",
    security(("session" = [])),
    responses(
        (status = 200, description = "The audit chain, recomputed", body = ChainView),
        (status = 403, description = "Only stewards of the commune", body = ErrorBody)))]
pub async fn verify(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<ChainView>> {
    Ok(Json(admin::verify_chain(&state, &caller).await?))
}
