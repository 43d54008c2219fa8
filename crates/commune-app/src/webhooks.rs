//! Standard Webhooks: organisations subscribe endpoints to events; the audit log is fanned out
//! into a durable outbox (one message per event and endpoint), and messages are delivered at
//! least once with `webhook-id`, `webhook-timestamp` and `webhook-signature` (HMAC `v1`, two
//! signatures while a secret rotates), retried on the Standard Webhooks schedule with jitter,
//! dead after the last attempt, replayable by hand. Every attempt is logged per endpoint.
//!
//! Outbound requests go only where a webhook may go (`commune_domain::webhooks::destination_ok`):
//! the host's addresses are checked when the endpoint is subscribed and again on every attempt
//! (a DNS answer that changed to a private address is refused), redirects are not followed, and
//! the server's own addresses are always refused.

use crate::caller::Caller;
use crate::error::AppError;
use crate::secrets::random_bytes;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::webhooks::{
    About, AllowedRange, EventType, destination_ok, endpoint_url, event_of, format_secret, next_attempt_at,
    parse_secret, signature_header,
};
use commune_domain::{Invalid, Violations};
use commune_store::{AttemptOutcome, NewMessage, WebhookEndpoint, WebhookMessage};
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How long a claimed attempt may take before another server may try the message again.
const LEASE_MS: i64 = 60_000;
/// How long the previous secret keeps signing after a rotation.
pub const PREVIOUS_SECRET_MS: i64 = 24 * 3_600_000;
/// One attempt waits this long for the endpoint.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

fn purpose(endpoint_id: &str) -> String {
    format!("webhook-secret:{endpoint_id}")
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SubscribeInput {
    /// `https://…` (or `http://` to a range the operator allowed).
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event types, e.g. `["proposal.opened", "invoice.paid"]`.
    pub events: Vec<String>,
}

/// A new endpoint with its secret, shown this once.
pub struct Subscribed {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// The addresses a host resolves to, each checked; the error names the first refused.
pub(crate) async fn checked_addresses(state: &AppState, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(Duration::from_secs(3), tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| format!("{host} did not resolve within 3 seconds"))?
            .map_err(|e| format!("{host} does not resolve: {e}"))?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(format!("{host} has no address"));
    }
    for address in &addresses {
        if state.config.self_addresses.contains(address) {
            return Err(format!("{address} is this server itself"));
        }
        destination_ok(address.ip(), &state.config.webhook_allow)?;
    }
    Ok(addresses)
}

/// Checks a URL for subscribing: its form, and where it points now.
async fn check_url(state: &AppState, url: &str) -> Result<(), Invalid> {
    let (scheme, host, port) = endpoint_url(url)?;
    let addresses = checked_addresses(state, &host, port).await.map_err(|why| Invalid::new("url", why))?;
    // Plain http only to a network the operator allowed (a test network), never the internet.
    if scheme == "http" && !addresses.iter().all(|a| commune_domain::webhooks::special(a.ip()).is_some()) {
        return Err(Invalid::new("url", "use https:// for a public address"));
    }
    Ok(())
}

pub async fn subscribe(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &SubscribeInput,
) -> Result<Subscribed, AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    let me = caller.require_member()?;
    let mut v = Violations::default();
    let events = v.check(EventType::parse_set(&input.events));
    let description = v.check(commune_domain::validation::text("description", &input.description, 0, 200, false));
    // The address is looked up only for an otherwise valid subscription.
    if let Some(invalid) = if v.is_empty() { check_url(state, input.url.trim()).await.err() } else { None } {
        tracing::warn!(org = %org.slug, why = %invalid.message, "webhook endpoint refused");
        v.0.push(invalid);
    }
    v.into_result().map_err(AppError::Invalid)?;
    let events: Vec<&str> = events.unwrap_or_default().iter().map(|e| e.as_str()).collect();
    let secret = format_secret(&random_bytes());
    let id = uuid::Uuid::now_v7().to_string();
    let sealed = state.config.instance_key.seal(&purpose(&id), secret.as_bytes());
    let mut tx = state.store.write(&me.member.id).await?;
    tx.create_webhook_endpoint(
        &id,
        &org.id,
        input.url.trim(),
        &description.unwrap_or_default(),
        &events,
        &sealed,
        &me.member.id,
    )
    .await?;
    tx.commit().await?;
    let endpoint = state.store.webhook_endpoint(&id).await?.ok_or(AppError::NotFound("webhook endpoint"))?;
    Ok(Subscribed { endpoint, secret })
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<WebhookEndpoint>, AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    Ok(state.store.org_webhook_endpoints(&org.id).await?)
}

async fn endpoint_of(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    id: &str,
) -> Result<(String, WebhookEndpoint), AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    let endpoint = state.store.webhook_endpoint(id).await?.filter(|e| e.org_id == org.id);
    Ok((org.id, endpoint.ok_or(AppError::NotFound("webhook endpoint"))?))
}

/// An endpoint's delivery log, newest first.
pub async fn messages(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    id: &str,
) -> Result<Vec<WebhookMessage>, AppError> {
    let (_, endpoint) = endpoint_of(state, caller, slug, id).await?;
    Ok(state.store.endpoint_messages(&endpoint.id, 100).await?)
}

pub async fn disable(state: &AppState, caller: &Caller, slug: &str, id: &str) -> Result<(), AppError> {
    let (org_id, endpoint) = endpoint_of(state, caller, slug, id).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.disable_webhook_endpoint(&org_id, &endpoint.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret, shown once; the old one keeps signing beside it for a day, so the receiver can
/// switch without losing a message.
pub async fn rotate_secret(state: &AppState, caller: &Caller, slug: &str, id: &str) -> Result<String, AppError> {
    let (org_id, endpoint) = endpoint_of(state, caller, slug, id).await?;
    let secret = format_secret(&random_bytes());
    let sealed = state.config.instance_key.seal(&purpose(&endpoint.id), secret.as_bytes());
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    let until = tx.at_ms() + PREVIOUS_SECRET_MS;
    tx.rotate_webhook_secret(&org_id, &endpoint.id, &sealed, until).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Sends a delivered or dead message again.
pub async fn replay(state: &AppState, caller: &Caller, slug: &str, id: &str, message_id: &str) -> Result<(), AppError> {
    let (_, endpoint) = endpoint_of(state, caller, slug, id).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.replay_webhook_message(&endpoint.id, message_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The organisation and `data` of an event, read when it is fanned out.
async fn resolve(state: &AppState, event: EventType, about: &About) -> Result<Vec<(String, Value)>, AppError> {
    let store = &state.store;
    let slug_of = |org_id: String| async move { Ok::<_, AppError>(store.org_by_id(&org_id).await?.map(|o| o.slug)) };
    Ok(match about {
        About::Proposal(id) => {
            let Some(p) = store.proposal(id).await? else { return Ok(Vec::new()) };
            let mut data = json!({ "proposal_id": p.id, "title": p.title, "kind": p.kind.as_str() });
            match event {
                EventType::ProposalOpened => data["closes_at"] = json!(p.voting_closes_at),
                EventType::ProposalClosed => data["outcome"] = json!(p.outcome),
                _ => {}
            }
            let org = p.org_id.clone();
            data["org"] = json!(slug_of(org.clone()).await?);
            vec![(org, data)]
        }
        About::PaymentRequest(id) => {
            let Some(r) = store.payment_request(id).await? else { return Ok(Vec::new()) };
            let ledger = store.ledgers().await?.into_iter().find(|l| l.id == r.ledger);
            let amount = ledger.as_ref().map_or(r.amount.to_string(), |l| {
                commune_domain::ledger::amount::format(i128::from(r.amount), l.scale)
            });
            let mut orgs = Vec::new();
            if r.payer_kind == "org" {
                orgs.push(r.payer_id.clone());
            }
            if let Some(account) = store.ledger_account(r.payee_account).await?
                && &*account.owner_kind == "org"
                && !orgs.iter().any(|o| **o == *account.owner_id)
            {
                orgs.push(account.owner_id.to_string());
            }
            let mut out = Vec::new();
            for org in orgs {
                let data = json!({
                    "request_id": r.id, "org": slug_of(org.clone()).await?, "amount": amount,
                    "currency": ledger.as_ref().map(|l| l.asset.clone()), "memo": r.memo,
                    "transfer": r.transfer_id.map(crate::payments::parties::show_id),
                });
                out.push((org, data));
            }
            out
        }
        About::Task(id) => {
            let Some(t) = store.work_task(id).await? else { return Ok(Vec::new()) };
            let doer = match &t.doer_id {
                Some(d) => store.member_by_id(d).await?.map(|m| m.handle),
                None => None,
            };
            let org = t.org_id.clone();
            vec![(org.clone(), json!({ "task_id": t.id, "org": slug_of(org).await?, "title": t.title, "doer": doer }))]
        }
        About::Membership { org_id, member_id, role } => {
            let handle = store.member_by_id(member_id).await?.map(|m| m.handle);
            vec![(org_id.clone(), json!({ "org": slug_of(org_id.clone()).await?, "member": handle, "role": role }))]
        }
    })
}

/// Fans the audit log out into the outbox (the scheduler calls this every few seconds); how
/// many messages it stored.
pub async fn fan_out(state: &AppState) -> Result<usize, AppError> {
    let mut stored = 0;
    for _ in 0..20 {
        let from = state.store.webhook_cursor().await?;
        let entries = state.store.audit_after(from, 500).await?;
        let Some(last) = entries.last() else { break };
        let mut rows = Vec::new();
        for entry in &entries {
            let payload: Value = serde_json::from_str(&entry.payload).unwrap_or_default();
            let Some((event, about)) = event_of(&entry.action, &entry.subject, &payload) else { continue };
            for (org_id, data) in resolve(state, event, &about).await? {
                let endpoints = state.store.subscribed_endpoints(&org_id, event.as_str()).await?;
                // An endpoint hears of what happens after it subscribed, not before.
                for endpoint in endpoints.into_iter().filter(|e| e.created_at <= entry.at_ms) {
                    let body = json!({ "type": event.as_str(), "timestamp": iso(entry.at_ms), "data": data });
                    rows.push(NewMessage {
                        endpoint_id: endpoint.id,
                        audit_seq: entry.seq,
                        event_type: event.as_str(),
                        payload: body.to_string(),
                        created_at: entry.at_ms,
                    });
                }
            }
        }
        if state.store.webhook_fan_out(from, last.seq, &rows).await? {
            stored += rows.len();
        }
    }
    Ok(stored)
}

fn iso(at_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(at_ms).map(|t| t.to_string()).unwrap_or_default()
}

/// A DNS resolver for the delivery client that returns only addresses a webhook may go to (the
/// server's own address and port are refused before sending, where the port is known).
struct Guarded {
    allow: Vec<AllowedRange>,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found.into_iter().filter(|a| destination_ok(a.ip(), &allow).is_ok()).collect();
            if kept.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves only to addresses webhooks may not go to").into();
                return Err(refused);
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The delivery client: no redirects, a timeout, and the guarded resolver.
pub fn client(allow: &[AllowedRange]) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ATTEMPT_TIMEOUT)
        .user_agent(concat!("Commune-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(Guarded { allow: allow.to_vec() }))
        .build()
        .expect("a TLS client with the bundled roots builds")
}

/// The live secrets of an endpoint at `now`: the current one, and the previous within its day.
fn keys_of(state: &AppState, endpoint: &WebhookEndpoint, now: i64) -> Vec<Vec<u8>> {
    let open = |sealed: &str| {
        let secret = state.config.instance_key.open(&purpose(&endpoint.id), sealed)?;
        parse_secret(std::str::from_utf8(&secret).ok()?).ok()
    };
    let mut keys: Vec<Vec<u8>> = open(&endpoint.secret_sealed).into_iter().collect();
    if now < endpoint.previous_until
        && let Some(previous) = endpoint.previous_sealed.as_deref().and_then(open)
    {
        keys.push(previous);
    }
    keys
}

/// One attempt at one message. Returns what to record.
async fn attempt(
    state: &AppState,
    http: &reqwest::Client,
    endpoint: &WebhookEndpoint,
    message: &WebhookMessage,
    attempt_no: i64,
    now: i64,
) -> AttemptOutcome {
    let started = std::time::Instant::now();
    let retry = |attempts: i64| {
        Some(next_attempt_at(
            attempts as u32,
            now,
            u64::from_le_bytes(random_bytes()[..8].try_into().expect("8 bytes")),
        ))
    };
    let fail = |status: Option<i64>, error: String| AttemptOutcome {
        status,
        error,
        duration_ms: started.elapsed().as_millis() as i64,
        retry: retry(attempt_no),
    };
    if endpoint.disabled_at.is_some() {
        return AttemptOutcome {
            status: None,
            error: "the endpoint is disabled".into(),
            duration_ms: 0,
            retry: Some(None),
        };
    }
    // The URL's addresses are checked again now: a DNS answer may have changed since.
    let Ok((_, host, port)) = endpoint_url(&endpoint.url) else {
        return fail(None, "the endpoint's URL is no longer valid".into());
    };
    if let Err(why) = checked_addresses(state, &host, port).await {
        tracing::warn!(endpoint = %endpoint.id, %why, "webhook delivery refused");
        return fail(None, why);
    }
    let timestamp = now / 1000;
    let keys = keys_of(state, endpoint, now);
    if keys.is_empty() {
        return fail(None, "the endpoint's secret does not open with this instance key".into());
    }
    let signature = signature_header(&keys, &message.id, timestamp, &message.payload);
    let sent = http
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &message.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(message.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => AttemptOutcome {
            status: Some(i64::from(response.status().as_u16())),
            error: String::new(),
            duration_ms: started.elapsed().as_millis() as i64,
            retry: None,
        },
        Ok(response) => fail(Some(i64::from(response.status().as_u16())), format!("answered {}", response.status())),
        Err(e) => fail(None, format!("{}", e.without_url())),
    }
}

/// Endpoints served at once by one run of [`deliver_due`].
const PARALLEL_ENDPOINTS: usize = 8;

/// Delivers every due message once (the scheduler calls this every second); how many were sent
/// successfully. Each endpoint's messages go one after another, in order; different endpoints
/// are served side by side (at most [`PARALLEL_ENDPOINTS`] at once), so a slow or unreachable
/// receiver delays only its own messages.
pub async fn deliver_due(state: &AppState, http: &reqwest::Client, now: i64) -> Result<usize, AppError> {
    let mut by_endpoint: Vec<(String, Vec<WebhookMessage>)> = Vec::new();
    for message in state.store.due_webhook_messages(now, 50).await? {
        match by_endpoint.iter_mut().find(|(id, _)| *id == message.endpoint_id) {
            Some((_, queue)) => queue.push(message),
            None => by_endpoint.push((message.endpoint_id.clone(), vec![message])),
        }
    }
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL_ENDPOINTS));
    let mut running = tokio::task::JoinSet::new();
    for (endpoint_id, queue) in by_endpoint {
        let permit = limit.clone().acquire_owned().await.map_err(AppError::internal)?;
        let (state, http) = (state.clone(), http.clone());
        running.spawn(async move {
            let _permit = permit;
            deliver_to(&state, &http, &endpoint_id, queue, now).await
        });
    }
    let mut delivered = 0;
    let mut failed = None;
    while let Some(done) = running.join_next().await {
        match done.map_err(AppError::internal).and_then(|r| r) {
            Ok(n) => delivered += n,
            Err(e) => failed = Some(e),
        }
    }
    failed.map_or(Ok(delivered), Err)
}

/// One endpoint's due messages, in order; how many were delivered.
async fn deliver_to(
    state: &AppState,
    http: &reqwest::Client,
    endpoint_id: &str,
    queue: Vec<WebhookMessage>,
    now: i64,
) -> Result<usize, AppError> {
    let Some(endpoint) = state.store.webhook_endpoint(endpoint_id).await? else { return Ok(0) };
    let mut delivered = 0;
    for message in queue {
        if !state.store.claim_webhook_message(&message.id, message.attempts, now, LEASE_MS).await? {
            continue; // another server took this attempt
        }
        let attempt_no = message.attempts + 1;
        let outcome = attempt(state, http, &endpoint, &message, attempt_no, now).await;
        if outcome.retry.is_none() {
            delivered += 1;
        } else if outcome.retry == Some(None) {
            tracing::warn!(message = %message.id, endpoint = %endpoint.id, "webhook message is dead after its last attempt");
        }
        state.store.record_webhook_attempt(&message.id, attempt_no, now, &outcome).await?;
    }
    Ok(delivered)
}
