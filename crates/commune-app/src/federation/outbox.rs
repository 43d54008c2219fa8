//! Publishing: the outbox is derived from the audit log (a proposal published for discussion →
//! `Create` of its `Question`; voting opened, closed or decided → `Update`, with its results once
//! counted; a discussion post → `Create` of a
//! `Note`), one delivery per follower inbox (shared inboxes once). Each request is signed in the
//! dialect the receiving instance last accepted, RFC 9421 first for one never seen; when it is
//! refused as unauthenticated, the other dialect is tried at once ("double knocking") and the
//! one that worked remembered.

use super::{instance_key, note_of, question_of, refuse_blocked, remote, urls};
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::federation::activity::{self, MEDIA_TYPE, Urls};
use commune_domain::federation::httpsig::{self, Dialect, Message, PrivateKey};
use commune_domain::governance::proposal::Phase;
use commune_store::NewActivity;
use serde_json::Value;
use std::time::Duration;

const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed delivery is held before another worker may retry it.
const LEASE_MS: i64 = 60_000;

pub use super::remote::client;

/// Signs a request for `url` as `actor` in `dialect`: the headers to send (`Host`, `Date`,
/// digests for a body, and the signature fields).
pub fn signed_headers(
    key: &PrivateKey,
    actor: &str,
    method: &str,
    url: &str,
    body: Option<&[u8]>,
    dialect: Dialect,
    now_s: i64,
) -> Result<Vec<(String, String)>, AppError> {
    let target = httpsig::Target::parse(url).map_err(AppError::internal)?;
    let mut headers =
        vec![("host".to_string(), target.authority.clone()), ("date".to_string(), httpsig::http_date(now_s))];
    if let Some(body) = body {
        headers.push(("content-type".into(), MEDIA_TYPE.into()));
        match dialect {
            Dialect::Rfc9421 => headers.push(("content-digest".into(), httpsig::content_digest_header(body))),
            Dialect::Cavage => headers.push(("digest".into(), httpsig::digest_header(body))),
        }
    }
    let msg = Message::request(method, url, headers.clone()).map_err(AppError::internal)?;
    let key_id = Urls::key_id(actor);
    match dialect {
        Dialect::Rfc9421 => {
            let mut covered = vec!["@method", "@target-uri", "@authority", "date"];
            if body.is_some() {
                covered.push("content-digest");
            }
            let (input, signature) =
                httpsig::sign_9421(&msg, &covered, &key_id, Some(httpsig::Alg::RsaV15Sha256), now_s, key)
                    .map_err(AppError::internal)?;
            headers.push(("signature-input".into(), input));
            headers.push(("signature".into(), signature));
        }
        Dialect::Cavage => {
            let signature = httpsig::sign_cavage(&msg, &key_id, key).map_err(AppError::internal)?;
            headers.push(("signature".into(), signature));
        }
    }
    Ok(headers)
}

/// POSTs a signed activity, knocking twice when the first dialect is refused. Returns the
/// dialect that was accepted, or why none was.
pub async fn post(
    state: &AppState,
    http: &reqwest::Client,
    key: &PrivateKey,
    actor: &str,
    inbox: &str,
    body: &[u8],
    first: Dialect,
) -> Result<Dialect, String> {
    let (_, host, port) = commune_domain::webhooks::endpoint_url(inbox).map_err(|e| e.to_string())?;
    crate::webhooks::checked_addresses(state, &host, port).await?;
    let mut why = String::new();
    for dialect in [first, first.other()] {
        let now_s = commune_store::now_ms() / 1000;
        let headers =
            signed_headers(key, actor, "POST", inbox, Some(body), dialect, now_s).map_err(|e| e.to_string())?;
        let mut request = http.post(inbox).body(body.to_vec());
        for (name, value) in headers.iter().filter(|(n, _)| n != "host") {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| e.without_url().to_string())?;
        let status = response.status();
        if status.is_success() {
            return Ok(dialect);
        }
        why = format!("{inbox} answered {status} to a {} signature", dialect.as_str());
        // Only an authentication refusal is worth a second knock.
        if !matches!(status.as_u16(), 400 | 401 | 403) {
            break;
        }
    }
    Err(why)
}

/// The activities one audit entry publishes, with the actor that publishes them.
async fn activities_of(
    state: &AppState,
    entry: &commune_domain::audit::Entry,
) -> Result<Vec<(String, String, Value)>, AppError> {
    let payload: Value = serde_json::from_str(&entry.payload).unwrap_or_default();
    let text = |k: &str| payload.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let urls = urls(state);
    match entry.action.as_str() {
        "proposal.advance" => {
            let Some(proposal) = state.store.proposal(&entry.subject).await? else { return Ok(vec![]) };
            if !state.store.org_federated(&proposal.org_id).await? || proposal.phase == Phase::Cancelled {
                return Ok(vec![]);
            }
            let (from, to) = (text("from"), text("to"));
            // Published for discussion: created; voting opens, closes, is decided: updated.
            let kind = match (from.as_str(), to.as_str()) {
                ("draft", "discussion") => "Create",
                (_, "voting" | "closed" | "executed" | "failed") => "Update",
                _ => return Ok(vec![]),
            };
            let object = question_of(state, &proposal).await?;
            Ok(vec![(kind.to_string(), urls.org(&proposal.org_slug), object)])
        }
        "comment.create" => {
            let Some((proposal_id, comment)) = state.store.comment_by_id(&text("id")).await? else { return Ok(vec![]) };
            let Some(proposal) = state.store.proposal(&proposal_id).await? else { return Ok(vec![]) };
            if !state.store.org_federated(&proposal.org_id).await? {
                return Ok(vec![]);
            }
            let object = note_of(state, &proposal, &comment);
            // The member publishes it; the organisation's followers receive it.
            Ok(vec![("Create".to_string(), urls.org(&proposal.org_slug), object)])
        }
        _ => Ok(vec![]),
    }
}

/// The inboxes of an actor's followers, a shared inbox once.
async fn inboxes(state: &AppState, actor: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for follower in state.store.ap_followers(actor).await? {
        let inbox = follower.shared_inbox.unwrap_or(follower.inbox);
        if !out.contains(&inbox) {
            out.push(inbox);
        }
    }
    Ok(out)
}

/// Fans the audit log out into the outbox (the scheduler calls this every second).
pub async fn fan_out(state: &AppState) -> Result<usize, AppError> {
    let mut stored = 0;
    for _ in 0..20 {
        let from = state.store.ap_cursor().await?;
        let entries = state.store.audit_after(from, 500).await?;
        let Some(last) = entries.last() else { break };
        let mut rows = Vec::new();
        for entry in &entries {
            for (kind, audience, object) in activities_of(state, entry).await? {
                let object_id = object["id"].as_str().unwrap_or_default().to_string();
                let publisher = object["attributedTo"].as_str().unwrap_or(&audience).to_string();
                let id = urls(state).activity(&format!("{}-{}", entry.seq, kind.to_ascii_lowercase()));
                let body = activity::wrap(&kind, &id, &publisher, &object);
                rows.push(NewActivity {
                    id,
                    audit_seq: entry.seq,
                    actor: publisher,
                    object_id,
                    activity: body.to_string(),
                    created_at: entry.at_ms,
                    inboxes: inboxes(state, &audience).await?,
                });
            }
        }
        if state.store.ap_fan_out(from, last.seq, &rows).await? {
            stored += rows.len();
        }
    }
    Ok(stored)
}

/// Delivers every due activity once; how many arrived.
pub async fn deliver_due(state: &AppState, http: &reqwest::Client, now: i64) -> Result<usize, AppError> {
    let due = state.store.ap_due(now, 50).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let (key, _) = instance_key(state).await?;
    let mut delivered = 0;
    for d in due {
        if !state.store.ap_claim(&d.id, d.attempts, now + LEASE_MS).await? {
            continue;
        }
        let attempt = d.attempts + 1;
        let host = remote::host_of(&d.inbox).unwrap_or_default();
        let outcome = match refuse_blocked(state, &host).await {
            Err(e) => Err((e.to_string(), false)),
            Ok(()) => {
                let first = state
                    .store
                    .ap_instance(&host)
                    .await?
                    .and_then(|i| i.dialect)
                    .and_then(|d| Dialect::parse(&d))
                    .unwrap_or(Dialect::Rfc9421);
                match tokio::time::timeout(
                    ATTEMPT_TIMEOUT * 2,
                    post(state, http, &key, &d.actor, &d.inbox, d.activity.as_bytes(), first),
                )
                .await
                {
                    Ok(Ok(dialect)) => {
                        state.store.ap_remember_dialect(&host, dialect.as_str()).await?;
                        Ok(())
                    }
                    Ok(Err(why)) => Err((why, true)),
                    Err(_) => Err(("timed out".to_string(), true)),
                }
            }
        };
        match outcome {
            Ok(()) => {
                delivered += 1;
                state.store.ap_finish(&d.id, Some(now), None, "").await?;
            }
            Err((why, retry)) => {
                let jitter = u64::from_le_bytes(crate::secrets::random_bytes()[..8].try_into().expect("8 bytes"));
                let next =
                    if retry { commune_domain::webhooks::next_attempt_at(attempt as u32, now, jitter) } else { None };
                if next.is_none() {
                    tracing::warn!(delivery = %d.id, inbox = %d.inbox, %why, "activity delivery is dead");
                } else {
                    tracing::info!(delivery = %d.id, inbox = %d.inbox, %why, "activity delivery will be retried");
                }
                state.store.ap_finish(&d.id, None, next, &why).await?;
            }
        }
    }
    Ok(delivered)
}
