//! ActivityPub's own endpoints: WebFinger, actor documents, outboxes, follower collections,
//! objects, and the inboxes (per actor and shared). They speak ActivityStreams JSON, not the
//! `/api/v1` conventions; the rules are in `commune_app::federation`.

use crate::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use commune_app::federation::{self, chapters, inbox, transfers};
use commune_app::state::AppState;
use commune_domain::federation::activity::{Local, MEDIA_TYPE};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/ap/inbox", post(shared_inbox))
        .route("/ap/proposals/{id}/result", get(signed_result))
        .route("/ap/chapters/roster", post(chapter_roster))
        .route("/ap/chapters/ballots", post(chapter_ballot))
        .route("/ap/chapters/transfers", post(transfer_prepare))
        .route("/ap/chapters/transfers/decision", post(transfer_decision))
        .route("/ap/chapters/transfers/status", post(transfer_status))
        .route("/ap/{kind}/{name}", get(actor))
        .route("/ap/{kind}/{name}/inbox", post(actor_inbox))
        .route("/ap/{kind}/{name}/outbox", get(outbox))
        .route("/ap/{kind}/{name}/followers", get(followers))
        .route("/ap/{kind}/{name}/following", get(following))
}

fn activity_json(body: serde_json::Value, media: &'static str) -> Response {
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}

fn answer(result: Result<serde_json::Value, commune_app::AppError>) -> Response {
    match result {
        Ok(body) => activity_json(body, MEDIA_TYPE),
        Err(e) => ApiError(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct Resource {
    resource: Option<String>,
}

async fn webfinger(State(state): State<AppState>, Query(q): Query<Resource>) -> Response {
    let Some(resource) = q.resource else {
        return ApiError(commune_domain::Invalid::new("resource", "is required").into()).into_response();
    };
    match federation::webfinger(&state, &resource).await {
        Ok(body) => activity_json(body, "application/jrd+json"),
        Err(e) => ApiError(e).into_response(),
    }
}

/// `/ap/orgs/{slug}`, `/ap/members/{handle}`, `/ap/proposals/{id}`, `/ap/comments/{id}`,
/// `/ap/activities/{id}`.
async fn actor(State(state): State<AppState>, Path((kind, name)): Path<(String, String)>) -> Response {
    answer(match kind.as_str() {
        "orgs" => federation::org_actor(&state, &name).await,
        "members" => federation::member_actor(&state, &name).await,
        "proposals" => federation::question(&state, &name).await,
        "comments" => federation::note(&state, &name).await,
        "activities" => federation::published_activity(&state, &name).await,
        _ => Err(commune_app::AppError::NotFound("object")),
    })
}

/// `/ap/proposals/{id}/result`: the counted result, signed (a flattened JWS).
async fn signed_result(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match federation::signed_result(&state, &id).await {
        Ok(body) => activity_json(body, "application/json"),
        Err(e) => ApiError(e).into_response(),
    }
}

fn actor_kind(kind: &str) -> Result<&str, commune_app::AppError> {
    match kind {
        "orgs" | "members" => Ok(kind),
        _ => Err(commune_app::AppError::NotFound("actor")),
    }
}

async fn outbox(State(state): State<AppState>, Path((kind, name)): Path<(String, String)>) -> Response {
    answer(match actor_kind(&kind) {
        Ok(kind) => federation::outbox(&state, kind, &name).await,
        Err(e) => Err(e),
    })
}

async fn followers(State(state): State<AppState>, Path((kind, name)): Path<(String, String)>) -> Response {
    answer(match actor_kind(&kind) {
        Ok(kind) => federation::followers(&state, kind, &name).await,
        Err(e) => Err(e),
    })
}

async fn following(State(state): State<AppState>, Path((kind, name)): Path<(String, String)>) -> Response {
    answer(match actor_kind(&kind) {
        Ok(kind) => federation::following(&state, kind, &name).await,
        Err(e) => Err(e),
    })
}

fn request<'a>(method: &'a Method, uri: &'a Uri, headers: &HeaderMap, body: &'a [u8]) -> inbox::Request<'a> {
    inbox::Request {
        method: method.as_str(),
        path_and_query: uri.path_and_query().map_or("/", |p| p.as_str()),
        headers: headers
            .iter()
            .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str().to_string(), v.to_string())))
            .collect(),
        body,
    }
}

fn accepted(result: Result<(), commune_app::AppError>) -> Response {
    match result {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

async fn shared_inbox(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    accepted(inbox::receive(&state, None, request(&method, &uri, &headers, &body)).await)
}

async fn actor_inbox(
    State(state): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = match kind.as_str() {
        "orgs" => Local::Org(name),
        "members" => Local::Member(name),
        _ => return ApiError(commune_app::AppError::NotFound("inbox")).into_response(),
    };
    accepted(inbox::receive(&state, Some(target), request(&method, &uri, &headers, &body)).await)
}

/// `/ap/chapters/roster`: a linked chapter's roster (Commune to Commune, signed).
async fn chapter_roster(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match chapters::receive_roster(&state, request(&method, &uri, &headers, &body)).await {
        Ok(answer) => activity_json(answer, "application/json"),
        Err(e) => ApiError(e).into_response(),
    }
}

/// `/ap/chapters/ballots`: a ballot signed by the voter's home instance; answers with the receipt.
async fn chapter_ballot(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match chapters::receive_ballot(&state, request(&method, &uri, &headers, &body)).await {
        Ok(answer) => (StatusCode::CREATED, axum::Json(answer)).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

fn json_answer(result: Result<serde_json::Value, commune_app::AppError>) -> Response {
    match result {
        Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

/// `/ap/chapters/transfers`: a linked instance asks this one to prepare a transfer.
async fn transfer_prepare(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    json_answer(transfers::receive_prepare(&state, request(&method, &uri, &headers, &body)).await)
}

/// `/ap/chapters/transfers/decision`: the sender's decision (posted or voided).
async fn transfer_decision(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    json_answer(transfers::receive_decision(&state, request(&method, &uri, &headers, &body)).await)
}

/// `/ap/chapters/transfers/status`: a receiver asks about a transfer it holds.
async fn transfer_status(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    json_answer(transfers::receive_status(&state, request(&method, &uri, &headers, &body)).await)
}
