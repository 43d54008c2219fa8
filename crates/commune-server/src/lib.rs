//! Commune's HTTP shell: the JSON API (`/api/v1`), the web UI, `/healthz`, `/metrics` and the
//! embedded assets. Every use case lives in the operations layer (`commune-app`); this crate only
//! translates requests to its calls and its answers (and errors) to responses.

mod activitypub;
pub mod api;
pub mod auth;
pub mod error;
pub mod headers;
mod markdown;
pub mod metrics;
mod oauth;
pub mod openapi;
mod replicas;
mod timeouts;
pub mod views;
pub mod web;

use commune_app::scheduler;
pub use commune_app::{AppState, Config};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The whole application: web pages, API, assets and operations endpoints.
pub fn app(state: AppState) -> Router {
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CONTENT_SECURITY_POLICY, headers::CSP),
    ];
    let mut router = Router::new()
        .merge(web::router(state.clone()))
        // The document describes the API (so it imports it); the API does not import the document.
        .route("/api/v1/openapi.json", get(openapi::serve))
        .nest("/api/v1", api::router())
        .merge(oauth::router())
        .merge(activitypub::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_behind_token))
        .route("/assets/{file}", get(asset))
        .route("/favicon.ico", get(|| asset(Path("favicon.ico".to_owned()))))
        .fallback(|| async { web::WebError(commune_app::AppError::NotFound("page")) })
        .layer(axum::middleware::from_fn_with_state(state.clone(), replicas::route))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes));
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    // Nothing is cached unless it says so (the embedded assets do): pages with money, ballots and
    // sessions on them must never sit in a shared or browser cache.
    router = router
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    // Request spans name the method and the path with its secrets blanked and no query string:
    // invite links, recovery links and tokens never reach a log, at any level.
    let trace = TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<axum::body::Body>| {
        tracing::debug_span!("request", method = %request.method(), path = %loggable_path(request.uri().path()))
    });
    router.layer(trace).with_state(state)
}

/// A path as logs may show it: segments that look like secrets (`inv_…`, `cmn_…`, or 32 and
/// more hex digits) become `…`.
pub fn loggable_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let hexish = segment.len() >= 32 && segment.bytes().all(|b| b.is_ascii_hexdigit());
            if segment.starts_with("inv_") || segment.starts_with("cmn_") || hexish { "…" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `/metrics` on the main listener: only with the configured bearer token (compared in constant
/// time); without a token configured it is not served here.
async fn metrics_behind_token(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return web::WebError(commune_app::AppError::NotFound("page")).into_response();
    };
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| auth::constant_time_eq(g.trim(), expected)) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "metrics need the metrics token\n")
            .into_response();
    }
    metrics::serve(State(state)).await
}

/// Only `/metrics`, unauthenticated, for a separate (private) listen address.
pub fn metrics_app(state: AppState) -> Router {
    Router::new().route("/metrics", get(metrics::serve)).with_state(state)
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
        "favicon.svg" => (include_bytes!("../assets/favicon.svg"), "image/svg+xml"),
        "favicon.ico" => (include_bytes!("../assets/favicon.ico"), "image/x-icon"),
        "social.png" => (include_bytes!("../assets/social.png"), "image/png"),
        "chakra-petch-500.woff2" => {
            (include_bytes!("../assets/fonts/chakra-petch-latin-500-normal.woff2"), "font/woff2")
        }
        "chakra-petch-700.woff2" => {
            (include_bytes!("../assets/fonts/chakra-petch-latin-700-normal.woff2"), "font/woff2")
        }
        "jetbrains-mono-400.woff2" => {
            (include_bytes!("../assets/fonts/jetbrains-mono-latin-400-normal.woff2"), "font/woff2")
        }
        "jetbrains-mono-700.woff2" => {
            (include_bytes!("../assets/fonts/jetbrains-mono-latin-700-normal.woff2"), "font/woff2")
        }
        "OFL-ChakraPetch.txt" => (include_bytes!("../assets/fonts/OFL-ChakraPetch.txt"), "text/plain; charset=utf-8"),
        "OFL-JetBrainsMono.txt" => {
            (include_bytes!("../assets/fonts/OFL-JetBrainsMono.txt"), "text/plain; charset=utf-8")
        }
        _ => return web::WebError(commune_app::AppError::NotFound("asset")).into_response(),
    };
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Serves `app` on `listener`, with the proposal scheduler running, until `shutdown` resolves;
/// then finishes in-flight requests (for at most ten seconds).
///
/// Connections are bounded ([`Config::max_connections`]) and each one is closed when it waits
/// longer than [`Config::read_timeout_ms`] for the next bytes of a request, its headers or its
/// body, or sits idle between requests: a few slow or silent clients cannot exhaust the server.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let scheduler = scheduler::spawn(state.clone());
    let served = serve_router(listener, app(state.clone()), &state.config, shutdown).await;
    scheduler.abort();
    served
}

/// Serves any router with the connection limits of [`serve`] (the metrics listener uses it too).
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    config: &Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let read_timeout = std::time::Duration::from_millis(config.read_timeout_ms.max(1));
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // `biased`, shutdown first: the shutdown future is polled (and a signal handler in it
        // installed) before the first connection is accepted, and is never starved by a busy queue.
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot.map_err(std::io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let service = router.clone().layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        let service = hyper_util::service::TowerToHyperService::new(service);
        let io = TokioIo::new(timeouts::ReadTimeout::new(stream, read_timeout));
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .serve_connection(io, service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection closed");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
            tracing::warn!("connections still open after ten seconds; stopping anyway");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_in_paths_never_reach_a_log() {
        let secret = format!("inv_{}", "ab".repeat(32));
        assert_eq!(super::loggable_path(&format!("/join/{secret}/signup")), "/join/…/signup");
        assert_eq!(
            super::loggable_path("/p/01a228a2-74ba-72ea-aa34-ffab1b128391"),
            "/p/01a228a2-74ba-72ea-aa34-ffab1b128391"
        );
        assert_eq!(super::loggable_path(&format!("/recover/{}", "0f".repeat(32))), "/recover/…");
    }
}
