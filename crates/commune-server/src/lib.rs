//! Commune's HTTP shell: the JSON API (`/api/v1`), the web UI, authentication, operations
//! endpoints and the demo commune. Domain rules live in `commune-domain`; this crate translates
//! HTTP to them and writes through `commune-store`.

pub mod api;
pub mod auth;
pub mod ballots;
pub mod demo;
pub mod error;
pub mod export;
pub mod governance;
pub mod ledger;
mod markdown;
pub mod merit;
pub mod metrics;
pub mod openapi;
pub mod payments;
mod ratelimit;
pub mod scheduler;
pub mod service;
pub mod state;
pub mod web;

pub use state::{AppState, Config};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The whole application: web pages, API, assets and operations endpoints.
pub fn app(state: AppState) -> Router {
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    ];
    let mut router = Router::new()
        .merge(web::router(state.clone()))
        .nest("/api/v1", api::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::serve))
        .route("/assets/{file}", get(asset))
        .fallback(|| async { web::WebError(error::AppError::NotFound("page")) })
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes));
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router.layer(TraceLayer::new_for_http()).with_state(state)
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    backend: &'static str,
}

/// Liveness and database reachability.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.audit_head().await {
        Ok(_) => axum::Json(Health { status: "ok", backend: state.store.backend().as_str() }).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(Health { status: "database unavailable", backend: state.store.backend().as_str() }),
            )
                .into_response()
        }
    }
}

/// Static assets, embedded in the binary so it runs from anywhere.
async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type): (&'static [u8], &str) = match file.as_str() {
        "commune.css" => (include_bytes!("../assets/commune.css"), "text/css; charset=utf-8"),
        "commune.js" => (include_bytes!("../assets/commune.js"), "text/javascript; charset=utf-8"),
        "htmx.min.js" => (include_bytes!("../assets/htmx.min.js"), "text/javascript; charset=utf-8"),
        _ => return web::WebError(error::AppError::NotFound("asset")).into_response(),
    };
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Serves `app` on `listener`, with the proposal scheduler running, until `shutdown` resolves;
/// then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let scheduler = scheduler::spawn(state.clone());
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    scheduler.abort();
    served
}
