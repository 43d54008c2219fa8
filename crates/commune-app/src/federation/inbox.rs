//! Receiving: an inbox request is refused unless it is small, from an instance that is neither
//! blocked nor over its rate, signed in either dialect by a key of the activity's own actor (the
//! key fetched and cached, refetched once when the cached one fails: a rotation), fresh, with a
//! body matching its digest, and never seen before. What it carries is then applied in one
//! audited write whose first statement claims the activity's id, so a replay writes nothing.

use super::{refuse_blocked, remote, urls};
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::federation::activity::{self, Inbound, Local, MAX_BODY};
use commune_domain::federation::httpsig::{self, Dialect, Message, PublicKey, SigError};
use commune_store::{RemoteActor, RemoteQuestionRow};

/// An inbound request as the HTTP shell saw it.
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query, as requested.
    pub path_and_query: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// Who signed, by which dialect.
#[derive(Debug, Clone)]
pub struct Signer {
    pub actor: RemoteActor,
    pub dialect: Dialect,
}

fn refused(why: impl std::fmt::Display) -> AppError {
    AppError::BadSignature(format!("signature refused: {why}"))
}

/// Verifies a request's HTTP signature (either dialect) and returns the signing actor.
/// `expected_host`: the instance the key must be on (the activity's actor's), checked before any
/// key is fetched.
pub async fn verify(
    state: &AppState,
    http: &reqwest::Client,
    req: &Request<'_>,
    expected_host: Option<&str>,
    now_ms: i64,
) -> Result<Signer, AppError> {
    let uri = format!("{}{}", urls(state).base(), req.path_and_query);
    let msg = Message::request(req.method, &uri, req.headers.clone()).map_err(refused)?;
    let has_body = !req.body.is_empty();
    if has_body {
        httpsig::check_digests(&msg, req.body).map_err(refused)?;
    }
    let now_s = now_ms / 1000;
    // RFC 9421 when the request carries it, else draft-cavage.
    let (dialect, key_id, base, signature, declared) = if msg.header("signature-input").is_some() {
        let sigs = httpsig::parse_9421(&msg).map_err(refused)?;
        let sig = sigs.into_iter().next().ok_or_else(|| refused(SigError::Unsigned))?;
        httpsig::check_9421(&sig, has_body, now_s).map_err(refused)?;
        (Dialect::Rfc9421, sig.keyid, sig.base, sig.signature, sig.alg.map(Ok))
    } else {
        let sig = httpsig::parse_cavage(&msg).map_err(refused)?;
        httpsig::check_cavage(&sig, &msg, has_body, now_s).map_err(refused)?;
        let algorithm = sig.algorithm.clone();
        (Dialect::Cavage, sig.keyid, sig.signing_string, sig.signature, Some(Err(algorithm)))
    };
    let host = remote::host_of(&key_id).ok_or_else(|| refused("the key id is not an http(s) IRI"))?;
    if expected_host.is_some_and(|h| h != host) {
        return Err(refused("the key is not on the activity's instance"));
    }
    refuse_blocked(state, &host).await?;
    let mut refetch = false;
    loop {
        let actor = remote::actor(state, http, &key_id, refetch, now_ms).await.map_err(refused)?;
        if actor.key_id != key_id {
            return Err(refused(format!("{key_id} is not the key of {}", actor.id)));
        }
        let key = PublicKey::from_pem(&actor.public_pem).map_err(refused)?;
        let alg = match &declared {
            Some(Ok(alg)) => *alg,
            Some(Err(cavage)) => httpsig::cavage_alg(cavage.as_deref(), &key).map_err(refused)?,
            None => key.default_alg(),
        };
        match key.verify(alg, base.as_bytes(), &signature) {
            Ok(()) => return Ok(Signer { actor, dialect }),
            // The cached key may have been rotated: fetch the actor once more.
            Err(_) if !refetch => refetch = true,
            Err(e) => return Err(refused(e)),
        }
    }
}

/// Receives an activity posted to an inbox (`target`: the local actor whose inbox, or `None`
/// for the shared inbox).
pub async fn receive(state: &AppState, target: Option<Local>, req: Request<'_>) -> Result<(), AppError> {
    if req.body.len() > MAX_BODY {
        return Err(AppError::TooLarge { limit_bytes: MAX_BODY });
    }
    let now = commune_store::now_ms();
    let value: serde_json::Value =
        serde_json::from_slice(req.body).map_err(|e| Invalid::new("body", format!("is not JSON: {e}")))?;
    let inbound = activity::parse_inbound(&value)?;
    let host = remote::host_of(inbound.actor()).ok_or_else(|| Invalid::new("actor", "is not an http(s) IRI"))?;
    refuse_blocked(state, &host).await?;
    state.federation_limiter.check(&host)?;
    let http = remote::client(state);
    let signer = verify(state, &http, &req, Some(&host), now).await.inspect_err(|e| {
        tracing::warn!(actor = %inbound.actor(), %host, error = %e, "inbound activity refused");
    })?;
    if signer.actor.id != inbound.actor() {
        tracing::warn!(actor = %inbound.actor(), signer = %signer.actor.id, "inbound activity refused: signed by another actor");
        return Err(refused("the activity's actor did not sign it"));
    }
    // What an instance sends must be its own: the activity and any object it creates.
    let object_id = match &inbound {
        Inbound::Note { note, .. } => Some(note.id.as_str()),
        Inbound::Question { question, .. } => Some(question.id.as_str()),
        _ => None,
    };
    for id in std::iter::once(inbound.id()).chain(object_id) {
        if remote::host_of(id).as_deref() != Some(host.as_str()) {
            return Err(Invalid::new("id", "is not on the actor's instance").into());
        }
    }
    if let Some(Local::Org(slug)) = &target {
        super::published_org(state, slug).await?;
    }
    apply(state, &signer.actor, inbound, now).await
}

async fn apply(state: &AppState, actor: &RemoteActor, inbound: Inbound, now: i64) -> Result<(), AppError> {
    let urls = urls(state);
    let mut tx = state.store.write(&format!("ap:{}", actor.id)).await?;
    if !tx.claim_activity(inbound.id(), &actor.id).await? {
        tracing::warn!(activity = %inbound.id(), actor = %actor.id, "inbound activity refused: replay");
        return Err(AppError::Rule("this activity was already received".into()));
    }
    let mut reply: Option<(String, serde_json::Value)> = None;
    let mut accepted = false;
    match inbound {
        Inbound::Follow { id, object, .. } => {
            let local = match urls.local(&object) {
                Some(Local::Org(slug)) => urls.org(&super::published_org(state, &slug).await?.slug),
                Some(Local::Member(handle)) => {
                    super::published_member(state, &handle).await?;
                    urls.member(&handle)
                }
                _ => return Err(Invalid::new("object", "is not an actor here").into()),
            };
            tx.add_follower(&local, &actor.id, &id).await?;
            let accept_id = urls.activity(&commune_store::new_id());
            reply = Some((local.clone(), activity::accept(&accept_id, &local, &id, &actor.id)));
        }
        Inbound::Unfollow { follow_id, object, .. } => {
            let local = match object {
                Some(o) => o,
                None => {
                    // A bare id: the follow this actor sent.
                    let Some(fid) = follow_id else { return Ok(()) };
                    match state.store.ap_followers_by_follow(&fid).await? {
                        Some(local) => local,
                        None => return Ok(()),
                    }
                }
            };
            if !tx.remove_follower(&local, &actor.id).await? {
                return Ok(());
            }
        }
        Inbound::Accept { follow_id: Some(fid), .. } => {
            if !tx.answer_following(&fid, &actor.id, true).await? {
                return Ok(());
            }
            accepted = true;
        }
        Inbound::Reject { follow_id: Some(fid), .. } => {
            if !tx.answer_following(&fid, &actor.id, false).await? {
                return Ok(());
            }
        }
        Inbound::Accept { follow_id: None, .. } | Inbound::Reject { follow_id: None, .. } => return Ok(()),
        Inbound::Note { note, .. } => {
            let Some(target) = note.in_reply_to.as_deref() else { return Ok(()) };
            let proposal_id = match urls.local(target) {
                Some(Local::Proposal(id)) => id,
                Some(Local::Comment(id)) => match state.store.comment_by_id(&id).await? {
                    Some((proposal_id, _)) => proposal_id,
                    None => return Ok(()),
                },
                _ => return Ok(()),
            };
            if super::published_proposal(state, &proposal_id).await.is_err() || note.text.is_empty() {
                return Ok(());
            }
            tx.add_remote_reply(&note.id, &actor.id, &proposal_id, &note.text, note.url.as_deref(), note.published)
                .await?;
        }
        Inbound::Question { question, .. } => {
            let row = question_row(state, actor, question, now).await;
            // Only what someone here follows is kept.
            if !state.store.ap_followed(&actor.id).await? || !tx.put_remote_question(&row, now).await? {
                return Ok(());
            }
        }
        Inbound::Delete { object, .. } => {
            if !tx.delete_remote_object(&object, &actor.id).await? {
                return Ok(());
            }
        }
        Inbound::Ignored { .. } => return Ok(()),
    }
    tx.commit().await?;
    if let Some((local, body)) = reply {
        let id = body["id"].as_str().unwrap_or_default().to_string();
        super::queue(state, &local, &id, &body, vec![actor.inbox.clone()]).await?;
    }
    if accepted {
        match backfill(state, actor, now).await {
            Ok(kept) => tracing::info!(actor = %actor.id, kept, "backfilled a newly followed actor's proposals"),
            Err(e) => tracing::warn!(actor = %actor.id, error = %e, "backfilling a newly followed actor failed"),
        }
    }
    Ok(())
}

/// A question as kept here; a closed one's signed result is fetched and checked first.
async fn question_row(
    state: &AppState,
    actor: &RemoteActor,
    question: activity::RemoteQuestion,
    now: i64,
) -> RemoteQuestionRow {
    let result_verified = match question.signed_result.as_deref() {
        Some(url) if question.closed.is_some() => {
            check_result(state, actor, url, &question.id, question.receipt_digest.as_deref()).await
        }
        _ => false,
    };
    RemoteQuestionRow {
        id: question.id,
        actor: actor.id.clone(),
        actor_handle: actor.handle(),
        title: question.title,
        body: question.text,
        url: question.url,
        multiple: question.multiple,
        options: question.options,
        end_time: question.end_time,
        closed_at: question.closed,
        outcome: question.outcome,
        receipt_digest: question.receipt_digest,
        result_verified,
        published_at: question.published,
        updated_at: now,
    }
}

/// At most this many items of a newly followed actor's outbox are read.
pub const BACKFILL_ITEMS: usize = 50;

/// What a newly followed actor published before the follow: the proposals (`Question`s) in the
/// first page of its outbox, kept like the ones it sends from now on. Read from the actor's own
/// instance only; an activity or object that is not the actor's own is skipped. Returns how many
/// were kept (new or changed).
pub async fn backfill(state: &AppState, actor: &RemoteActor, now: i64) -> Result<usize, AppError> {
    let http = remote::client(state);
    let own = |url: &str| remote::host_of(url).as_deref() == Some(actor.host.as_str());
    let fetch = |url: String| {
        let http = http.clone();
        async move { remote::get_json(state, &http, &url, activity::MEDIA_TYPE).await.map_err(AppError::Rule) }
    };
    let doc = fetch(actor.id.clone()).await?;
    let Some(outbox) = doc.get("outbox").and_then(serde_json::Value::as_str).filter(|u| own(u)) else {
        return Ok(0);
    };
    let mut page = fetch(outbox.to_string()).await?;
    if page.get("orderedItems").is_none() && page.get("items").is_none() {
        page = match page.get("first") {
            Some(serde_json::Value::String(first)) if own(first) => fetch(first.clone()).await?,
            Some(first @ serde_json::Value::Object(_)) => first.clone(),
            _ => return Ok(0),
        };
    }
    let items = page.get("orderedItems").or_else(|| page.get("items")).and_then(serde_json::Value::as_array);
    let mut kept = 0;
    for item in items.into_iter().flatten().take(BACKFILL_ITEMS) {
        let Ok(Inbound::Question { question, .. }) = activity::parse_inbound(item) else { continue };
        let actor_of = item.get("actor").and_then(serde_json::Value::as_str);
        if actor_of != Some(actor.id.as_str()) || !own(&question.id) {
            continue;
        }
        let row = question_row(state, actor, question, now).await;
        let mut tx = state.store.write(&format!("ap:{}", actor.id)).await?;
        if tx.put_remote_question(&row, now).await? {
            tx.commit().await?;
            kept += 1;
        }
    }
    Ok(kept)
}

/// Fetches a counted question's signed result from its instance and checks it with the
/// sender's key: it must name this question and carry the receipt digest the question did.
async fn check_result(state: &AppState, actor: &RemoteActor, url: &str, question: &str, digest: Option<&str>) -> bool {
    if remote::host_of(url).as_deref() != Some(actor.host.as_str()) {
        return false;
    }
    let http = remote::client(state);
    let checked = async {
        let jws = remote::get_json(state, &http, url, "application/json").await?;
        let key = PublicKey::from_pem(&actor.public_pem).map_err(|e| e.to_string())?;
        let (kid, payload) = activity::verify_document(&jws, &key).map_err(|e| e.to_string())?;
        let names = |k: &str| payload.get(k).and_then(serde_json::Value::as_str);
        Ok::<bool, String>(
            kid == actor.key_id
                && names("proposal") == Some(question)
                && digest.is_some()
                && names("receipt_digest") == digest,
        )
    };
    match checked.await {
        Ok(ok) => ok,
        Err(why) => {
            tracing::warn!(%url, %why, "a remote signed result did not check");
            false
        }
    }
}
