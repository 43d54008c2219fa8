//! Operational counters (requests, latency, ledger batches, the audit chain's length), kept in one
//! Prometheus registry and encoded as its text format; the HTTP shell serves them at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

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

impl Metrics {
    /// Counts one answered request by method, route pattern and status, with its latency.
    pub fn observe_request(&self, method: String, route: String, status: u16, seconds: f64) {
        self.latency.get_or_create(&RouteLabels { method: method.clone(), route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    /// Every counter in Prometheus' text format, with the audit chain's length as of now.
    pub fn encode(&self, audit_entries: Option<i64>) -> Result<String, std::fmt::Error> {
        if let Some(entries) = audit_entries {
            self.audit_entries.set(entries);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
