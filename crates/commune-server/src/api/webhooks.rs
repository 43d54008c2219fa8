//! Standard Webhooks: an organisation's endpoints, their delivery logs, secret rotation and
//! replay, and the catalogue of event types.

use super::extract::{Json, Path, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commune_app::state::AppState;
use commune_app::webhooks::{self, SubscribeInput};
use commune_domain::authz::Action;
use commune_domain::webhooks::EventType;
use commune_store::{WebhookEndpoint, WebhookMessage};

/// A subscribed endpoint.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    /// Until when the previous secret also signs (after a rotation), unix ms; 0 when none.
    pub previous_secret_until: i64,
}

impl From<WebhookEndpoint> for EndpointView {
    fn from(e: WebhookEndpoint) -> EndpointView {
        EndpointView {
            id: e.id,
            url: e.url,
            description: e.description,
            events: e.events,
            created_at: e.created_at,
            disabled_at: e.disabled_at,
            previous_secret_until: e.previous_until,
        }
    }
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Subscribed {
    pub endpoint: EndpointView,
    /// `whsec_…`: verify `webhook-signature` with it (any Standard Webhooks library does).
    pub secret: String,
}

/// A new secret after a rotation.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SecretRotated {
    /// The new `whsec_…`; the previous one keeps signing beside it for 24 hours.
    pub secret: String,
}

/// One message of the delivery log.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MessageView {
    /// The `webhook-id` (stable across retries and replays: receivers deduplicate on it).
    pub id: String,
    pub event_type: String,
    /// The JSON body sent: `{type, timestamp, data}`.
    pub payload: String,
    pub created_at: i64,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: String,
    pub delivered_at: Option<i64>,
}

impl From<WebhookMessage> for MessageView {
    fn from(m: WebhookMessage) -> MessageView {
        MessageView {
            id: m.id,
            event_type: m.event_type,
            payload: m.payload,
            created_at: m.created_at,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_status: m.last_status,
            last_error: m.last_error,
            delivered_at: m.delivered_at,
        }
    }
}

/// An event type an endpoint may subscribe to.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct EventTypeView {
    pub name: String,
    /// What it means, and the fields of its `data`.
    pub description: String,
}

/// The event types, with what each one's `data` holds.
#[utoipa::path(get, path = "/api/v1/webhooks/event-types", tag = "webhooks",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every event type", body = Vec<EventTypeView>),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn event_types(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<EventTypeView>>> {
    caller.authorize(&state, None, Action::ReadDirectory).await?;
    Ok(Json(
        EventType::ALL
            .iter()
            .map(|e| EventTypeView { name: e.as_str().into(), description: e.describe().into() })
            .collect(),
    ))
}

/// The organisation's webhook endpoints.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/webhooks", tag = "webhooks",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Endpoints, newest first", body = Vec<EndpointView>),
        (status = 403, description = "Only stewards manage webhooks", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<EndpointView>>> {
    Ok(Json(webhooks::list(&state, &caller, &slug).await?.into_iter().map(EndpointView::from).collect()))
}

/// Subscribe an endpoint to events; its signing secret is returned this once.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/webhooks", tag = "webhooks", request_body = SubscribeInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 201, description = "Subscribed", body = Subscribed),
        (status = 403, description = "Only stewards manage webhooks", body = ErrorBody),
        (status = 422, description = "Unknown events, or a URL webhooks may not go to (private, loopback, link-local, metadata, plain http to the internet)", body = ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<SubscribeInput>,
) -> ApiResult<impl IntoResponse> {
    let made = webhooks::subscribe(&state, &caller, &slug, &input).await?;
    Ok(created(Subscribed { endpoint: made.endpoint.into(), secret: made.secret }))
}

/// Stop sending to an endpoint (its pending messages die at their next attempt).
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/webhooks/{id}", tag = "webhooks",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The endpoint's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Disabled"),
        (status = 404, description = "No live endpoint with this id here", body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    webhooks::disable(&state, &caller, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate an endpoint's secret: messages carry signatures by both secrets for 24 hours.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/webhooks/{id}/secret", tag = "webhooks",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The endpoint's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The new secret, shown this once", body = SecretRotated),
        (status = 404, description = "No live endpoint with this id here", body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<SecretRotated>> {
    Ok(Json(SecretRotated { secret: webhooks::rotate_secret(&state, &caller, &slug, &id).await? }))
}

/// An endpoint's delivery log: its newest 100 messages with their state.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/webhooks/{id}/messages", tag = "webhooks",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The endpoint's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Messages, newest first", body = Vec<MessageView>),
        (status = 404, description = "No endpoint with this id here", body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<MessageView>>> {
    Ok(Json(webhooks::messages(&state, &caller, &slug, &id).await?.into_iter().map(MessageView::from).collect()))
}

/// Send a delivered or dead message again (same `webhook-id`).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/webhooks/{id}/messages/{message}/replay", tag = "webhooks",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The endpoint's id"),
        ("message" = String, Path, description = "The message's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Queued for delivery"),
        (status = 404, description = "No delivered or dead message with this id", body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id, message)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    webhooks::replay(&state, &caller, &slug, &id, &message).await?;
    Ok(StatusCode::NO_CONTENT)
}
