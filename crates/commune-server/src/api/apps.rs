//! "Sign in with Commune": the apps an organisation registers with the OpenID Connect provider,
//! the apps a member signed in to, and rotating the provider's signing key. The protocol's own
//! endpoints (`/oauth/*`, discovery) are not part of this API.

use super::extract::{Json, Path, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commune_app::oidc::clients::{self, RegisterClientInput};
use commune_app::oidc::keys::{self, Rotation};
use commune_app::state::AppState;
use commune_store::{MemberApp, OidcClient};

/// A registered app.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AppView {
    /// The `client_id`.
    pub id: String,
    pub name: String,
    /// `public` or `confidential`.
    pub kind: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl From<OidcClient> for AppView {
    fn from(c: OidcClient) -> AppView {
        AppView {
            id: c.id,
            name: c.name,
            kind: c.kind,
            redirect_uris: c.redirect_uris,
            post_logout_redirect_uris: c.post_logout_uris,
            created_at: c.created_at,
            revoked_at: c.revoked_at,
        }
    }
}

/// A new app, with a confidential app's secret shown this once.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AppRegistered {
    pub app: AppView,
    /// The client secret (`cmnc_…`) of a confidential app; stored only as a hash.
    pub client_secret: Option<String>,
    /// The issuer to configure in the app (its discovery document is at
    /// `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
}

/// An app the member signed in to.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MyAppView {
    pub client_id: String,
    pub name: String,
    pub org_slug: String,
    /// The scopes the member consented to, space separated.
    pub scopes: String,
    pub granted_at: i64,
}

impl From<MemberApp> for MyAppView {
    fn from(a: MemberApp) -> MyAppView {
        MyAppView {
            client_id: a.client_id,
            name: a.name,
            org_slug: a.org_slug,
            scopes: a.scopes,
            granted_at: a.granted_at,
        }
    }
}

/// The organisation's sign-in apps.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/apps", tag = "apps",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Registered apps, newest first", body = Vec<AppView>),
        (status = 403, description = "Only stewards manage apps", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<AppView>>> {
    Ok(Json(clients::list(&state, &caller, &slug).await?.into_iter().map(AppView::from).collect()))
}

/// Register an app that signs members in with Commune (OpenID Connect).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/apps", tag = "apps", request_body = RegisterClientInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 201, description = "Registered; a confidential app's secret is in this response only", body = AppRegistered),
        (status = 403, description = "Only stewards manage apps", body = ErrorBody),
        (status = 422, description = "Invalid name, kind or redirect URIs", body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<RegisterClientInput>,
) -> ApiResult<impl IntoResponse> {
    let made = clients::register(&state, &caller, &slug, &input).await?;
    Ok(created(AppRegistered {
        app: made.client.into(),
        client_secret: made.secret,
        issuer: state.config.public_url.clone(),
    }))
}

/// Revoke an app: it can no longer sign anyone in, and every token it holds stops working.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/apps/{id}", tag = "apps",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The client_id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No live app with this id here", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    clients::revoke(&state, &caller, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The apps you signed in to with Commune.
#[utoipa::path(get, path = "/api/v1/me/apps", tag = "apps",
    security(("session" = [])),
    responses(
        (status = 200, description = "Apps with your consent, newest first", body = Vec<MyAppView>),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn mine(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<Vec<MyAppView>>> {
    Ok(Json(clients::my_apps(&state, &caller).await?.into_iter().map(MyAppView::from).collect()))
}

/// Revoke an app you signed in to: your consent is forgotten and its tokens stop working.
#[utoipa::path(delete, path = "/api/v1/me/apps/{client_id}", tag = "apps",
    params(("client_id" = String, Path, description = "The app's client_id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "You have not signed in to this app", body = ErrorBody)))]
pub async fn forget(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(client_id): Path<String>,
) -> ApiResult<StatusCode> {
    clients::forget_app(&state, &caller, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How to rotate.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RotateInput {
    /// `false` (the default): publish the next key now; it signs ten minutes later, once every
    /// client's cached key set holds it. `true`: it signs at once (a suspected leak).
    #[serde(default)]
    pub immediately: bool,
}

/// Rotate the OpenID Connect signing key (the scheduler also rotates it every 90 days). The key
/// that stops signing stays published for an hour and five minutes, so its tokens still verify.
#[utoipa::path(post, path = "/api/v1/admin/oidc/rotate", tag = "apps", request_body = RotateInput,
    security(("session" = [])),
    responses(
        (status = 200, description = "Where the rotation stands", body = Rotation),
        (status = 403, description = "Only the commune's stewards", body = ErrorBody)))]
pub async fn rotate(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<RotateInput>,
) -> ApiResult<Json<Rotation>> {
    Ok(Json(keys::rotate(&state, &caller, input.immediately, commune_store::now_ms()).await?))
}
