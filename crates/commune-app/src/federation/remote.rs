//! Remote actors: fetched (WebFinger, actor documents), cached, and refetched when a signature
//! fails with the cached key (that is how a rotated key is picked up). Every fetch goes only
//! where a webhook may go (public addresses, or ranges the operator allowed), never to this
//! server itself, without redirects, and reads at most [`MAX_BODY`] bytes.

use crate::error::AppError;
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::federation::activity::{MAX_BODY, MEDIA_TYPE};
use commune_store::RemoteActor;
use serde_json::Value;

/// How long a fetched actor (and its key) is trusted before it is fetched again.
pub const ACTOR_TTL_MS: i64 = 24 * 3600 * 1000;
/// A refetch forced by a failed signature happens at most this often per actor.
pub const REFETCH_AFTER_MS: i64 = 60 * 1000;

/// The federation client: no redirects, a timeout, the same guarded resolver as webhooks.
pub fn client(state: &AppState) -> reqwest::Client {
    crate::webhooks::client(&state.config.webhook_allow)
}

pub use commune_domain::federation::httpsig::host_of;

/// GETs an ActivityStreams (or JRD) document, checking where it goes first.
pub async fn get_json(state: &AppState, http: &reqwest::Client, url: &str, accept: &str) -> Result<Value, String> {
    let (_, host, port) = commune_domain::webhooks::endpoint_url(url).map_err(|e| e.to_string())?;
    crate::webhooks::checked_addresses(state, &host, port).await?;
    let response = http.get(url).header("accept", accept).send().await.map_err(|e| e.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(format!("{url} is larger than {MAX_BODY} bytes"));
    }
    let bytes = response.bytes().await.map_err(|e| e.without_url().to_string())?;
    if bytes.len() > MAX_BODY {
        return Err(format!("{url} is larger than {MAX_BODY} bytes"));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("{url} is not JSON: {e}"))
}

fn str_field(v: &Value, name: &str) -> Option<String> {
    match v.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Reads an actor document fetched from `requested`.
pub fn read_actor(doc: &Value, requested: &str, now: i64) -> Result<RemoteActor, String> {
    let id = str_field(doc, "id").ok_or("the actor document has no id")?;
    if id != requested.split('#').next().unwrap_or(requested) {
        return Err(format!("the document at {requested} is {id}, not that actor"));
    }
    let host = host_of(&id).ok_or("the actor id is not an http(s) IRI")?;
    let inbox = str_field(doc, "inbox").ok_or("the actor has no inbox")?;
    if host_of(&inbox).is_none() {
        return Err("the actor's inbox is not an http(s) IRI".into());
    }
    let key = match doc.get("publicKey") {
        Some(Value::Array(keys)) => keys.first().cloned(),
        other => other.cloned(),
    }
    .ok_or("the actor publishes no key")?;
    let key_id = str_field(&key, "id").ok_or("the actor's key has no id")?;
    let owner = str_field(&key, "owner").unwrap_or_else(|| id.clone());
    if owner != id {
        return Err("the actor's key belongs to another actor".into());
    }
    let public_pem = key.get("publicKeyPem").and_then(Value::as_str).ok_or("the actor's key has no PEM")?.to_string();
    commune_domain::federation::httpsig::PublicKey::from_pem(&public_pem).map_err(|e| e.to_string())?;
    let shared_inbox = doc.get("endpoints").and_then(|e| str_field(e, "sharedInbox")).filter(|s| host_of(s).is_some());
    let username = str_field(doc, "preferredUsername").unwrap_or_default().chars().take(64).collect();
    Ok(RemoteActor {
        id,
        host,
        kind: str_field(doc, "type").unwrap_or_default().chars().take(32).collect(),
        username,
        name: str_field(doc, "name").unwrap_or_default().chars().take(200).collect(),
        inbox,
        shared_inbox,
        key_id,
        public_pem,
        url: str_field(doc, "url").filter(|u| host_of(u).is_some()),
        fetched_at: now,
    })
}

/// An actor, from the cache when fresh enough, else fetched (and cached).
pub async fn actor(
    state: &AppState,
    http: &reqwest::Client,
    id: &str,
    refetch: bool,
    now: i64,
) -> Result<RemoteActor, String> {
    let id = id.split('#').next().unwrap_or(id);
    if let Some(cached) = state.store.remote_actor(id).await.map_err(|e| e.to_string())? {
        let stale = now - cached.fetched_at > ACTOR_TTL_MS;
        let may_refetch = now - cached.fetched_at > REFETCH_AFTER_MS;
        if !(stale || refetch && may_refetch) {
            return Ok(cached);
        }
    }
    let doc = get_json(state, http, id, MEDIA_TYPE).await?;
    let actor = read_actor(&doc, id, now)?;
    state.store.put_remote_actor(&actor).await.map_err(|e| e.to_string())?;
    Ok(actor)
}

/// The actor a WebFinger account (`name@host`, with or without `@`/`acct:`) names.
pub async fn resolve_account(
    state: &AppState,
    http: &reqwest::Client,
    account: &str,
    now: i64,
) -> Result<RemoteActor, AppError> {
    let account = account.trim();
    if account.starts_with("https://") || account.starts_with("http://") {
        return actor(state, http, account, false, now).await.map_err(|why| Invalid::new("account", why).into());
    }
    let acct = account.trim_start_matches("acct:").trim_start_matches('@');
    let Some((user, host)) = acct.rsplit_once('@') else {
        return Err(Invalid::new("account", "write it as name@host").into());
    };
    if user.is_empty() || host.is_empty() || acct.len() > 200 || host.contains(['/', '?', '#', ' ']) {
        return Err(Invalid::new("account", "write it as name@host").into());
    }
    // Plain http only for loopback and private hosts (test networks); the internet uses https.
    let plain = host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]");
    let scheme = if plain { "http" } else { "https" };
    let url = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}");
    let jrd = get_json(state, http, &url, "application/jrd+json").await.map_err(|why| Invalid::new("account", why))?;
    let href = jrd
        .get("links")
        .and_then(Value::as_array)
        .and_then(|links| {
            links.iter().find(|l| {
                l.get("rel").and_then(Value::as_str) == Some("self")
                    && l.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(commune_domain::federation::activity::wants_activity)
            })
        })
        .and_then(|l| l.get("href").and_then(Value::as_str))
        .ok_or_else(|| Invalid::new("account", "WebFinger names no ActivityPub actor"))?
        .to_string();
    actor(state, http, &href, false, now).await.map_err(|why| Invalid::new("account", why).into())
}
