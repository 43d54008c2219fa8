//! `/metrics` over HTTP: the middleware that counts and times every request by route pattern, and
//! the handler that serves the operations layer's counters in Prometheus' text format.

use crate::error::{ApiError, AppError};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use commune_app::state::AppState;
use std::time::Instant;

/// Middleware: counts and times every request by route pattern (never the raw path, so the
/// number of series stays bounded).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state.metrics.observe_request(method, route, status, started.elapsed().as_secs_f64());
    response
}

pub async fn serve(State(state): State<AppState>) -> Response {
    let entries = state.store.audit_head().await.ok().map(|head| head.entries);
    match state.metrics.encode(entries) {
        Ok(mut text) => {
            if let Some((replica, primary)) = state.store.replica_reads() {
                // Reads that could go to a replica: served by one, or sent to the primary because
                // none was up, close enough and past the reader's last write.
                let lines = format!(
                    "# HELP commune_replica_reads Read-only requests' reads, by where they went.\n\
                     # TYPE commune_replica_reads counter\n\
                     commune_replica_reads_total{{target=\"replica\"}} {replica}\n\
                     commune_replica_reads_total{{target=\"primary\"}} {primary}\n"
                );
                let at = text.rfind("# EOF").unwrap_or(text.len());
                text.insert_str(at, &lines);
            }
            ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
        }
        Err(e) => ApiError(AppError::internal(e)).into_response(),
    }
}
