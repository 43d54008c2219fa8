//! Operational metrics in the Prometheus text format, served at `/metrics`.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Instant;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route pattern (`/orgs/{slug}`), never the raw path, so cardinality stays bounded.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `ok` or TigerBeetle's result name (a bounded set).
    pub result: String,
}

/// What the ledger writer reports: batches, their sizes, and every transfer's result.
#[derive(Clone, Debug)]
pub struct LedgerMetrics {
    pub batches: Counter,
    pub batch_transfers: Histogram,
    pub transfers: Family<ResultLabels, Counter>,
}

impl LedgerMetrics {
    pub fn record(&self, results: &[commune_domain::ledger::CreateTransferResult]) {
        self.batches.inc();
        self.batch_transfers.observe(results.len() as f64);
        for r in results {
            self.transfers.get_or_create(&ResultLabels { result: r.as_str() }).inc();
        }
    }
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    audit_entries: Gauge,
    pub ledger: LedgerMetrics,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("commune");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let audit_entries = Gauge::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("audit_entries", "Entries in the audit chain", audit_entries.clone());
        let ledger = LedgerMetrics {
            batches: Counter::default(),
            batch_transfers: Histogram::new(exponential_buckets(1.0, 2.0, 14)),
            transfers: Family::default(),
        };
        registry.register("ledger_batches", "Ledger batches committed", ledger.batches.clone());
        registry.register("ledger_batch_transfers", "Transfers per ledger batch", ledger.batch_transfers.clone());
        registry.register("ledger_transfers", "Transfers submitted, by result", ledger.transfers.clone());
        Metrics { registry, requests, latency, audit_entries, ledger }
    }
}

/// Middleware: counts and times every request by route pattern.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
        .observe(started.elapsed().as_secs_f64());
    state.metrics.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    response
}

pub async fn serve(State(state): State<AppState>) -> Response {
    if let Ok(head) = state.store.audit_head().await {
        state.metrics.audit_entries.set(head.entries);
    }
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &state.metrics.registry) {
        Ok(()) => {
            ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
        }
        Err(e) => crate::error::AppError::internal(e).into_response(),
    }
}
