//! The application's state, built once at start-up and shared by every operation: the store, the
//! settings, the counters, the limiters, the two group-commit writers, and the plug-ins (chosen
//! in `crate::wiring`).

use crate::ballots::Batcher;
use crate::metrics::Metrics;
use crate::plugins::{PerformanceEvidence, WeightSource};
use crate::ratelimit::Limiter;
use commune_store::Store;
use std::sync::Arc;

/// Settings of the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure`: set when Commune is served over TLS (directly or by a proxy).
    pub secure_cookies: bool,
    /// How long a browser session lasts.
    pub session_ttl_ms: i64,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Login attempts allowed per handle from one client address per minute (a burst of this
    /// size, then one every `60 / n` seconds). Other addresses are not affected: a stranger
    /// cannot lock the owner out.
    pub logins_per_minute: u32,
    /// Sign-ups and logins allowed per client address per minute.
    pub requests_per_client_per_minute: u32,
    /// A bearer token that opens `/metrics` on the main listener; without one, `/metrics` is not
    /// served there (serve it on its own address with `commune serve --metrics-listen`).
    pub metrics_token: Option<String>,
    /// A connection waiting this long for the next bytes of a request (headers or body), or idle
    /// between requests, is closed, so slow or silent clients cannot hold the server's slots.
    pub read_timeout_ms: u64,
    /// Open connections at most; more wait in the listen queue.
    pub max_connections: usize,
    /// A request still unanswered after this long is answered 408 and its work dropped.
    pub request_timeout_ms: u64,
    /// Where email digests go out; `None` (the default) sends no mail.
    pub mail: Option<Mail>,
    /// The address members and apps reach this instance at (no trailing slash): the OpenID
    /// Connect issuer and the base of links sent out.
    pub public_url: String,
    /// Seals secrets Commune must read back (signing keys, webhook secrets); see `crate::sealed`.
    pub instance_key: crate::sealed::InstanceKey,
    /// Address ranges webhooks may go to although they are not public (a test network):
    /// `--webhook-allow 127.0.0.1/32`. Empty by default: public addresses only.
    pub webhook_allow: Vec<commune_domain::webhooks::AllowedRange>,
    /// This server's own addresses, which webhooks never go to.
    pub self_addresses: Vec<std::net::SocketAddr>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            secure_cookies: false,
            session_ttl_ms: 14 * 24 * 3600 * 1000,
            body_limit_bytes: 64 * 1024,
            logins_per_minute: 5,
            requests_per_client_per_minute: 30,
            metrics_token: None,
            read_timeout_ms: 30_000,
            max_connections: 4_096,
            request_timeout_ms: 120_000,
            mail: None,
            public_url: "http://127.0.0.1:8080".into(),
            instance_key: crate::sealed::InstanceKey::random(),
            webhook_allow: Vec::new(),
            self_addresses: Vec::new(),
        }
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub config: Config,
    pub weights: Arc<dyn WeightSource>,
    pub evidence: Arc<dyn PerformanceEvidence>,
    pub metrics: Metrics,
    pub login_limiter: Limiter,
    /// Failed logins per handle, from any address: a growing delay, never a lock.
    pub login_slowdown: crate::ratelimit::Slowdown,
    pub client_limiter: Limiter,
    /// Dots per rater per minute.
    pub dot_limiter: Limiter,
    /// Inbound activities per remote instance per minute.
    pub federation_limiter: Limiter,
    ballots: std::sync::OnceLock<Batcher>,
    ledger: std::sync::OnceLock<crate::ledger::LedgerWriter>,
    /// Proposals read on the voting path, kept for a second: every check made with them is
    /// repeated authoritatively inside the ballot writer's transaction.
    pub proposal_cache: crate::ballots::ProposalCache,
    /// The root organisation's id: none before setup, then never changes.
    root_id: std::sync::OnceLock<String>,
    /// What every page's frame shows about the instance, read at most once a second.
    facts: std::sync::Mutex<Option<(std::time::Instant, InstanceFacts)>>,
    /// What every page's frame shows about its reader (unread notifications, time zone), per
    /// member, read at most once a second; the writes that change them drop the entry at once.
    pub reading: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, i64, String)>>,
    /// Figures derived from history (a live season's standings), each kept with the audit head it
    /// was computed at: see [`AppState::derived`].
    derived: std::sync::Mutex<std::collections::HashMap<String, Derived>>,
}

/// One remembered derivation: the audit head (entries, hash) it was computed at, and the value.
type Derived = (i64, String, Arc<dyn std::any::Any + Send + Sync>);

/// How many derivations [`AppState::derived`] keeps at most (it forgets them all past that).
const DERIVED_MAX: usize = 64;

/// The instance as every page's frame names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFacts {
    /// The commune's name ("Commune" before setup).
    pub name: String,
    /// Whether this is the demo commune.
    pub demo: bool,
}

/// How long [`AppState::instance_facts`] may be out of date (a renamed commune shows on the next
/// second's pages).
const FACTS_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// The plug-in points' implementations.
pub struct Plugins {
    pub weights: Arc<dyn WeightSource>,
    pub evidence: Arc<dyn PerformanceEvidence>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// State with the given plug-ins (`AppState::new`, in `crate::wiring`, chooses the standard ones).
    pub fn with_plugins(store: Store, config: Config, plugins: Plugins) -> AppState {
        let login_limiter = Limiter::per_minute(config.logins_per_minute);
        let client_limiter = Limiter::per_minute(config.requests_per_client_per_minute);
        AppState(Arc::new(Inner {
            store,
            config,
            weights: plugins.weights,
            evidence: plugins.evidence,
            metrics: Metrics::default(),
            login_limiter,
            login_slowdown: crate::ratelimit::Slowdown::default(),
            client_limiter,
            dot_limiter: Limiter::per_minute(60),
            federation_limiter: Limiter::per_minute(600),
            ballots: std::sync::OnceLock::new(),
            ledger: std::sync::OnceLock::new(),
            proposal_cache: crate::ballots::ProposalCache::default(),
            root_id: std::sync::OnceLock::new(),
            facts: std::sync::Mutex::new(None),
            reading: std::sync::Mutex::new(std::collections::HashMap::new()),
            derived: std::sync::Mutex::new(std::collections::HashMap::new()),
        }))
    }

    /// The ledger writer, started on first use (on the runtime that serves requests).
    pub fn ledger(&self) -> &crate::ledger::LedgerWriter {
        self.0
            .ledger
            .get_or_init(|| crate::ledger::LedgerWriter::start(self.0.store.clone(), self.0.metrics.ledger.clone()))
    }

    /// The ballot writer, started on first use (on the runtime that serves requests).
    pub fn ballots(&self) -> &Batcher {
        self.0.ballots.get_or_init(|| Batcher::start(self.0.store.clone()))
    }

    /// The root organisation's id, read once after setup and remembered (it never changes).
    pub async fn root_id(&self) -> Result<Option<String>, commune_store::StoreError> {
        if let Some(id) = self.0.root_id.get() {
            return Ok(Some(id.clone()));
        }
        let Some(root) = self.0.store.root_org().await? else { return Ok(None) };
        Ok(Some(self.0.root_id.get_or_init(|| root.id).clone()))
    }

    /// `make()`, or what it returned last for `key` if the audit log has not moved since: every
    /// write appends to the log in its own transaction, so an unchanged head (entry count and
    /// hash) means unchanged inputs, and the value is exact, never stale. The head is read before
    /// `make` runs, so a write that lands meanwhile moves the head and the next call recomputes;
    /// both read the primary, since replicas answer each query from wherever they have replayed to.
    pub async fn derived<T, F, Fut>(&self, key: &str, make: F) -> Result<T, crate::error::AppError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, crate::error::AppError>>,
    {
        commune_store::on_primary(self.derive(key, make)).await
    }

    async fn derive<T, F, Fut>(&self, key: &str, make: F) -> Result<T, crate::error::AppError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, crate::error::AppError>>,
    {
        let head = self.0.store.audit_head().await?;
        let remembered = self.0.derived.lock().ok().and_then(|d| d.get(key).cloned());
        if let Some((entries, hash, value)) = remembered
            && entries == head.entries
            && hash == head.head_hash
            && let Some(value) = value.downcast_ref::<T>()
        {
            return Ok(value.clone());
        }
        let value = make().await?;
        if let Ok(mut d) = self.0.derived.lock() {
            if d.len() >= DERIVED_MAX {
                d.clear();
            }
            d.insert(key.to_owned(), (head.entries, head.head_hash, Arc::new(value.clone())));
        }
        Ok(value)
    }

    /// The commune's name and whether it is the demo, read at most once a second: the frame of
    /// every page shows them, and they almost never change.
    pub async fn instance_facts(&self) -> Result<InstanceFacts, commune_store::StoreError> {
        let cached = self.0.facts.lock().ok().and_then(|f| f.clone());
        if let Some((at, facts)) = cached
            && at.elapsed() < FACTS_TTL
        {
            return Ok(facts);
        }
        let name = self.0.store.root_org().await?.map_or_else(|| "Commune".to_owned(), |o| o.name);
        let demo = self.0.store.setting("demo").await?.is_some();
        let facts = InstanceFacts { name, demo };
        if let Ok(mut slot) = self.0.facts.lock() {
            *slot = Some((std::time::Instant::now(), facts.clone()));
        }
        Ok(facts)
    }
}

/// Where digests go out, when the operator configured it.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The SMTP relay.
    pub host: String,
    pub port: u16,
    /// The sender (`Commune <commune@example.org>`).
    pub from: lettre::message::Mailbox,
    /// The instance's public address, for links (`https://commune.example.org`).
    pub public_url: String,
}

impl Mail {
    /// Reads `HOST:PORT`, the sender address and the public URL; says what is wrong.
    pub fn parse(relay: &str, from: &str, public_url: &str) -> Result<Mail, String> {
        let (host, port) = relay.rsplit_once(':').ok_or("--smtp-relay needs HOST:PORT, e.g. 127.0.0.1:25")?;
        let port = port.parse().map_err(|_| format!("--smtp-relay: '{port}' is not a port number"))?;
        let from = from.parse().map_err(|e| format!("--mail-from '{from}' is not an address: {e}"))?;
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!("--public-url '{public_url}' must start with http:// or https://"));
        }
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        Ok(Mail { host, port, from, public_url: public_url.trim_end_matches('/').to_owned() })
    }
}
