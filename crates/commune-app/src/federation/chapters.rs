//! Federated chapters. A commune's stewards agree to link a chapter on another instance; the
//! chapter's stewards link it to the commune, which sends the commune the chapter's roster
//! (again at every sync: who left is removed). The commune keeps one account per remote member,
//! tied to their actor at home, admitted to the commune. A remote member votes at home: their
//! instance signs the ballot (a flattened JWS by the chapter's key) and posts it, signed, to the
//! commune, which checks both signatures, that the voter is on the chapter's roster and that
//! voting is open, counts it like any ballot and answers with the receipt; the home instance
//! checks the receipt commits to its nonce and keeps it for the member.

use super::inbox::{self, Request};
use super::{instance_key, org_for, refuse_blocked, remote, urls};
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::authz::{Action, Denied};
use commune_domain::federation::activity::{self, Local, MAX_BODY, Urls};
use commune_domain::federation::chapters::{self, BallotClaim, Roster, RosterMember};
use commune_domain::federation::httpsig::{Dialect, PublicKey};
use commune_domain::governance::count::ballot_receipt;
use commune_domain::governance::methods::Ballot;
use commune_domain::identity::Profile;
use commune_domain::org::{OrgKind, Role};
use commune_store::{Link, Org, RemoteMember, SentBallot};
use serde_json::{Value, json};

/// Where a commune receives its chapters' rosters and ballots (paths on its instance).
const ROSTER_PATH: &str = "/ap/chapters/roster";
const BALLOT_PATH: &str = "/ap/chapters/ballots";
/// The password hash of a remote member's account: no password opens it (they vote at home).
const NO_PASSWORD: &str = "!remote";

/// The base URL (`scheme://authority`) of the instance an actor IRI is on.
pub(super) fn base_of(iri: &str) -> Result<String, AppError> {
    let target = commune_domain::federation::httpsig::Target::parse(iri)
        .map_err(|_| AppError::from(Invalid::new("account", "is not an http(s) actor")))?;
    Ok(format!("{}://{}", target.scheme, target.authority))
}

fn forbidden(why: &'static str) -> AppError {
    tracing::warn!(why, "federated chapter request refused");
    AppError::Denied(Denied::Forbidden(why))
}

/// A published organisation of `kind` the caller stewards.
async fn stewarded(state: &AppState, caller: &Caller, slug: &str, kind: OrgKind) -> Result<Org, AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    if org.kind != kind {
        return Err(AppError::Rule(match kind {
            OrgKind::Commune => "only the commune links chapters; a chapter links itself to its commune".into(),
            _ => "only a chapter links itself to a commune".into(),
        }));
    }
    if !state.store.org_federated(&org.id).await? {
        return Err(AppError::Rule("publish the organisation to the fediverse before linking".into()));
    }
    Ok(org)
}

/// A remote organisation by account or IRI.
async fn remote_group(state: &AppState, account: &str) -> Result<commune_store::RemoteActor, AppError> {
    let http = remote::client(state);
    let actor = remote::resolve_account(state, &http, account, commune_store::now_ms()).await?;
    refuse_blocked(state, &actor.host).await?;
    if actor.kind != "Group" {
        return Err(Invalid::new("account", "is not an organisation").into());
    }
    Ok(actor)
}

/// The links of an organisation (its members).
pub async fn links(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<Link>, AppError> {
    let org = org_for(state, caller, slug, Action::Participate).await?;
    Ok(state.store.ap_links(&org.id).await?)
}

/// The commune's stewards agree to link a chapter on another instance, taking at most
/// `max_members` of its members (default 100); the link becomes active when the chapter sends
/// its roster. Agreeing again with another number changes it (a roster already received stays
/// until the next one, which must fit); agreeing again to the same is a conflict.
pub async fn offer_chapter(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    account: &str,
    max_members: Option<i64>,
) -> Result<Link, AppError> {
    let cap = i64::try_from(chapters::chapter_cap(max_members)?).map_err(AppError::internal)?;
    let org = stewarded(state, caller, slug, OrgKind::Commune).await?;
    let chapter = remote_group(state, account).await?;
    let existing = state.store.ap_link(&org.id, &chapter.id).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    match existing {
        Some(link) if max_members.is_none_or(|_| link.max_members == cap) => return Err(AppError::Conflict("link")),
        Some(_) => {
            tx.set_link_cap(&org.id, &chapter.id, cap).await?;
        }
        None => {
            if !tx.offer_link(&org.id, &chapter.id, "commune", cap).await? {
                return Err(AppError::Conflict("link"));
            }
        }
    }
    tx.commit().await?;
    state.store.ap_link(&org.id, &chapter.id).await?.ok_or(AppError::NotFound("link"))
}

/// A chapter's stewards link it to its commune on another instance, or sync its roster again:
/// the roster goes to the commune, and the link is active once the commune accepts it.
pub async fn link_commune(state: &AppState, caller: &Caller, slug: &str, account: &str) -> Result<Link, AppError> {
    let org = stewarded(state, caller, slug, OrgKind::Chapter).await?;
    let commune = remote_group(state, account).await?;
    let links = state.store.ap_links(&org.id).await?;
    if links.iter().any(|l| l.side == "chapter" && l.remote != commune.id) {
        return Err(AppError::Rule("this chapter is already linked to another commune".into()));
    }
    let me = caller.require_member()?;
    let existing = links.iter().find(|l| l.remote == commune.id);
    // The chapter's instance is its members' OpenID provider at the commune: one public client
    // (PKCE, no secret) for the commune's instance, registered once.
    if existing.is_none_or(|l| l.oidc_client_id.is_empty()) {
        let redirect = format!("{}{}", base_of(&commune.id)?, chapters::HOME_SIGN_IN_CALLBACK);
        let name = format!("{} (linked commune)", chapters::display_name(&commune.name, &commune.id));
        let new = commune_domain::oidc::NewClient::parse(&name, "public", &redirect, "").map_err(AppError::Invalid)?;
        let mut tx = state.store.write(&caller.audit_actor()).await?;
        if existing.is_none() {
            tx.offer_link(&org.id, &commune.id, "chapter", 0).await?;
        }
        let client = tx
            .create_oidc_client(&org.id, &new.name, new.kind.as_str(), "", &new.redirect_uris, &[], &me.member.id)
            .await?;
        tx.set_link_openid(&org.id, &commune.id, "", &client.id).await?;
        tx.commit().await?;
    }
    let link = state.store.ap_link(&org.id, &commune.id).await?.ok_or(AppError::NotFound("link"))?;
    send_roster(state, &org, &link)
        .await
        .map_err(|why| AppError::Rule(format!("the commune did not accept the link: {why}")))?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.activate_link(&org.id, &commune.id).await?;
    tx.commit().await?;
    state.store.ap_link(&org.id, &commune.id).await?.ok_or(AppError::NotFound("link"))
}

/// The chapter's roster as it stands, for its commune.
async fn roster_now(state: &AppState, org: &Org, link: &Link) -> Result<Roster, AppError> {
    let urls = urls(state);
    let members = state
        .store
        .org_members(&org.id)
        .await?
        .into_iter()
        .map(|m| RosterMember { id: urls.member(&m.handle), name: m.display_name, subject: Some(m.member_id) })
        .collect();
    let openid = (!link.oidc_client_id.is_empty()).then(|| chapters::HomeProvider {
        issuer: state.config.public_url.trim_end_matches('/').to_string(),
        client_id: link.oidc_client_id.clone(),
    });
    Ok(Roster { commune: link.remote.clone(), chapter: urls.org(&org.slug), members, openid })
}

/// Sends the chapter's roster to its commune, and records what was sent.
async fn send_roster(state: &AppState, org: &Org, link: &Link) -> Result<(), String> {
    let roster = roster_now(state, org, link).await.map_err(|e| e.to_string())?;
    let body = chapters::roster_json(&roster);
    let url = format!("{}{ROSTER_PATH}", base_of(&link.remote).map_err(|e| e.to_string())?);
    post_json(state, &roster.chapter, &url, &body).await?;
    let mut tx = state.store.write("system").await.map_err(|e| e.to_string())?;
    tx.set_roster_digest(&org.id, &link.remote, &chapters::roster_digest(&roster)).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

/// Sends again the roster of every linked chapter here whose members changed since it was last
/// sent (the scheduler runs this): who joins a chapter can vote at its commune, who leaves no
/// longer can, without a steward syncing by hand. A commune that does not answer is asked
/// again at the next run. Returns how many rosters went out.
pub async fn sync_rosters(state: &AppState) -> Result<usize, AppError> {
    let mut sent = 0;
    for link in state.store.active_links("chapter").await? {
        let Some(org) = state.store.org_by_id(&link.org_id).await? else { continue };
        let roster = roster_now(state, &org, &link).await?;
        if chapters::roster_digest(&roster) == link.roster_digest {
            continue;
        }
        match send_roster(state, &org, &link).await {
            Ok(()) => sent += 1,
            Err(why) => tracing::warn!(chapter = %org.slug, commune = %link.remote, %why, "sending the roster failed"),
        }
    }
    Ok(sent)
}

/// Checks an inbound request's size, sender and HTTP signature; returns the body as JSON and
/// the signing actor. `claimed`: the actor the body says sent it (its key must sign).
pub(super) async fn signed_by(
    state: &AppState,
    req: &Request<'_>,
    claimed: &str,
) -> Result<commune_store::RemoteActor, AppError> {
    let host = chapters::host_of(claimed).ok_or_else(|| Invalid::new("chapter", "is not an http(s) IRI"))?;
    refuse_blocked(state, &host).await?;
    state.federation_limiter.check(&host)?;
    let http = remote::client(state);
    let signer = inbox::verify(state, &http, req, Some(&host), commune_store::now_ms()).await.inspect_err(|e| {
        tracing::warn!(%claimed, error = %e, "federated chapter request refused");
    })?;
    if signer.actor.id != claimed {
        return Err(forbidden("the request is not signed by the chapter it names"));
    }
    Ok(signer.actor)
}

/// A signed call's body, and the actor its `field` names, whose key must have signed it.
pub(super) async fn signed_json(
    state: &AppState,
    req: &Request<'_>,
    field: &str,
) -> Result<(Value, commune_store::RemoteActor), AppError> {
    let body = body_json(req)?;
    let claimed = body.get(field).and_then(Value::as_str).unwrap_or_default().to_string();
    let signer = signed_by(state, req, &claimed).await?;
    Ok((body, signer))
}

fn body_json(req: &Request<'_>) -> Result<Value, AppError> {
    if req.body.len() > MAX_BODY * 8 {
        return Err(AppError::TooLarge { limit_bytes: MAX_BODY * 8 });
    }
    Ok(serde_json::from_slice(req.body).map_err(|e| Invalid::new("body", format!("is not JSON: {e}")))?)
}

/// The commune here that a link names, with the link (which this side must have agreed to).
async fn commune_link(state: &AppState, commune: &str, chapter: &str) -> Result<(Org, Link), AppError> {
    let Some(Local::Org(slug)) = urls(state).local(commune) else { return Err(AppError::NotFound("commune")) };
    let org = state.store.org_by_slug(&slug).await?.ok_or(AppError::NotFound("commune"))?;
    let link = state.store.ap_link(&org.id, chapter).await?;
    match link {
        Some(link) if link.side == "commune" => Ok((org, link)),
        _ => Err(forbidden("this commune has not agreed to link that chapter")),
    }
}

/// Receives a chapter's roster (the commune's side): the link becomes active, every member gets
/// (or keeps) an account admitted to the commune, and the chapter's members no longer on the
/// roster leave it. One audited write, as the chapter.
pub async fn receive_roster(state: &AppState, req: Request<'_>) -> Result<Value, AppError> {
    let (body, signer) = signed_json(state, &req, "chapter").await?;
    let roster = chapters::parse_roster(&body, &signer.host)?;
    let (org, link) = commune_link(state, &roster.commune, &roster.chapter).await?;
    if roster.members.len() as i64 > link.max_members {
        tracing::warn!(chapter = %roster.chapter, members = roster.members.len(), cap = link.max_members, "roster refused: over the cap");
        return Err(Invalid::new(
            "members",
            format!(
                "this commune takes at most {} members from the chapter, and the roster lists {}: its stewards can agree to more",
                link.max_members,
                roster.members.len()
            ),
        )
        .into());
    }
    let current: std::collections::HashMap<String, RemoteMember> = state
        .store
        .remote_members_in(&roster.chapter, &org.id)
        .await?
        .into_iter()
        .map(|m| (m.iri.clone(), m))
        .collect();
    let mut known = Vec::with_capacity(roster.members.len());
    for m in &roster.members {
        known.push(state.store.remote_member_by_iri(&m.id).await?);
    }
    let mut tx = state.store.write(&format!("ap:{}", roster.chapter)).await?;
    tx.activate_link(&org.id, &roster.chapter).await?;
    let (issuer, client_id) =
        roster.openid.as_ref().map(|o| (o.issuer.as_str(), o.client_id.as_str())).unwrap_or_default();
    if (issuer, client_id) != (link.oidc_issuer.as_str(), link.oidc_client_id.as_str()) {
        tx.set_link_openid(&org.id, &roster.chapter, issuer, client_id).await?;
    }
    let mut admitted = 0usize;
    for (m, known) in roster.members.iter().zip(known) {
        let subject = m.subject.clone().unwrap_or_default();
        match known {
            Some(account) if account.chapter != roster.chapter => continue,
            Some(account) => {
                if account.subject != subject {
                    tx.put_remote_member(&RemoteMember { subject, ..account.clone() }).await?;
                }
                if !current.contains_key(&m.id) {
                    tx.add_member(&org.id, &account.member_id, Role::Member).await?;
                    admitted += 1;
                }
            }
            None => {
                let profile =
                    Profile { display_name: m.name.clone(), bio: String::new(), place: String::new(), domains: vec![] };
                let member = tx.create_member(&chapters::account_handle(&m.id), &profile, NO_PASSWORD).await?;
                tx.put_remote_member(&RemoteMember {
                    member_id: member.id.clone(),
                    iri: m.id.clone(),
                    chapter: roster.chapter.clone(),
                    org_id: org.id.clone(),
                    subject,
                })
                .await?;
                tx.add_member(&org.id, &member.id, Role::Member).await?;
                admitted += 1;
            }
        }
    }
    let listed: std::collections::HashSet<&str> = roster.members.iter().map(|m| m.id.as_str()).collect();
    let mut left = 0usize;
    for (iri, account) in &current {
        if !listed.contains(iri.as_str()) {
            tx.remove_member(&org.id, &account.member_id).await?;
            left += 1;
        }
    }
    tx.commit().await?;
    tracing::info!(chapter = %roster.chapter, admitted, left, "chapter roster received");
    Ok(json!({ "linked": true, "members": roster.members.len(), "admitted": admitted, "left": left }))
}

/// A member here votes on a proposal of the commune their chapter is linked to: this instance
/// signs the ballot for the chapter and sends it; the receipt that comes back is checked and kept.
pub async fn cast_remote(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    question: &str,
    ballot: &Value,
) -> Result<SentBallot, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Participate).await?;
    let link = state
        .store
        .ap_links(&org.id)
        .await?
        .into_iter()
        .find(|l| l.side == "chapter" && l.status == "active")
        .ok_or_else(|| AppError::Rule("this organisation is not a chapter linked to a commune".into()))?;
    let (publisher, closed_at, _) =
        state.store.remote_question_state(question).await?.ok_or(AppError::NotFound("proposal"))?;
    if publisher != link.remote {
        return Err(AppError::NotFound("proposal"));
    }
    if closed_at.is_some() {
        return Err(AppError::Rule("voting on this proposal has closed".into()));
    }
    // Signed as the commune will store it: parsed and written back.
    let parsed: Ballot = serde_json::from_value(ballot.clone()).map_err(|e| Invalid::new("ballot", e.to_string()))?;
    let ballot = serde_json::to_value(&parsed).map_err(AppError::internal)?;
    let urls = urls(state);
    let chapter = urls.org(&org.slug);
    let now = commune_store::now_ms();
    let claim = BallotClaim {
        proposal: question.to_string(),
        voter: urls.member(&me.member.handle),
        chapter: chapter.clone(),
        ballot,
        nonce: crate::secrets::random_token(),
        issued_at: now / 1000,
    };
    let (key, _) = instance_key(state).await?;
    let signed = activity::sign_document(&chapters::claim_json(&claim), &Urls::key_id(&chapter), &key)
        .map_err(AppError::internal)?;
    let url = format!("{}{BALLOT_PATH}", base_of(&link.remote)?);
    let answer = post_json(state, &chapter, &url, &json!({ "signed": signed }))
        .await
        .map_err(|why| AppError::Rule(format!("the commune did not count the ballot: {why}")))?;
    // The receipt must commit to the nonce this instance chose, for the ballot it signed.
    let field = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let ballot_json = field("ballot_json");
    let stored: Value = serde_json::from_str(&ballot_json).unwrap_or(Value::Null);
    let recomputed = ballot_receipt(&field("proposal_id"), &field("account"), &ballot_json, &claim.nonce);
    if field("nonce") != claim.nonce || field("receipt") != recomputed || stored != claim.ballot {
        tracing::warn!(%question, "the commune's receipt does not match the ballot sent");
        return Err(AppError::Rule("the commune's receipt does not match the ballot sent".into()));
    }
    let sent = SentBallot {
        question: question.to_string(),
        ballot: stored,
        nonce: claim.nonce,
        receipt: recomputed,
        sent_at: now,
    };
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.put_sent_ballot(&me.member.id, &sent).await?;
    tx.commit().await?;
    Ok(sent)
}

/// The ballots the caller sent to their commune, newest first.
pub async fn sent_ballots(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<SentBallot>, AppError> {
    let me = caller.require_member()?;
    org_for(state, caller, slug, Action::Participate).await?;
    Ok(state.store.sent_ballots(&me.member.id).await?)
}

/// Receives a home-signed ballot (the commune's side): the request signed by the chapter, the
/// ballot signed by the chapter's key, fresh, for a proposal of a commune linked to the chapter,
/// by a voter on the chapter's roster; then counted like a ballot cast here, with the home
/// signature kept beside it. Answers with the receipt.
pub async fn receive_ballot(state: &AppState, req: Request<'_>) -> Result<Value, AppError> {
    let body = body_json(&req)?;
    let signed = body.get("signed").cloned().ok_or_else(|| Invalid::new("signed", "is missing"))?;
    // Who claims to have signed: read from the unverified payload only to pick the key.
    let unverified = signed
        .get("payload")
        .and_then(Value::as_str)
        .and_then(base64_json)
        .ok_or_else(|| Invalid::new("signed", "is not a signed ballot"))?;
    let claimed = unverified.get("chapter").and_then(Value::as_str).unwrap_or_default().to_string();
    let signer = signed_by(state, &req, &claimed).await?;
    let key = PublicKey::from_pem(&signer.public_pem).map_err(AppError::internal)?;
    let (_, payload) = activity::verify_document(&signed, &key).map_err(|e| {
        tracing::warn!(chapter = %claimed, error = %e, "remote ballot refused: bad home signature");
        AppError::BadSignature(format!("the ballot's home signature does not verify: {e}"))
    })?;
    let now = commune_store::now_ms();
    let claim = chapters::parse_claim(&payload, now / 1000)?;
    if claim.chapter != signer.id {
        return Err(forbidden("the ballot is signed for another chapter"));
    }
    let Some(Local::Proposal(proposal_id)) = urls(state).local(&claim.proposal) else {
        return Err(AppError::NotFound("proposal"));
    };
    let proposal = state.store.proposal(&proposal_id).await?.ok_or(AppError::NotFound("proposal"))?;
    match state.store.ap_link(&proposal.org_id, &claim.chapter).await? {
        Some(link) if link.side == "commune" && link.status == "active" => {}
        _ => return Err(forbidden("this proposal's organisation is not linked to that chapter")),
    }
    let account = match state.store.remote_member_by_iri(&claim.voter).await? {
        Some(account) if account.chapter == claim.chapter => account,
        _ => return Err(forbidden("the voter is not on that chapter's roster here")),
    };
    // A ballot signed before the one counted is a replay (the voter changed their mind since).
    if let Some(stored) = state.store.remote_ballot(&proposal_id, &account.member_id).await? {
        let stored: Value = serde_json::from_str(&stored).map_err(AppError::internal)?;
        let counted = base64_json(stored.get("payload").and_then(Value::as_str).unwrap_or_default());
        let counted_at = counted.as_ref().and_then(|c| c.get("issued_at")).and_then(Value::as_i64).unwrap_or(0);
        let same = counted.as_ref().and_then(|c| c.get("nonce")).and_then(Value::as_str) == Some(claim.nonce.as_str());
        if !same && claim.issued_at <= counted_at {
            tracing::warn!(chapter = %claim.chapter, "remote ballot refused: older than the one counted");
            return Err(AppError::Rule("a later ballot of this voter was already counted".into()));
        }
    }
    let ballot: Ballot =
        serde_json::from_value(claim.ballot.clone()).map_err(|e| Invalid::new("ballot", e.to_string()))?;
    let (cast, receipt) = crate::governance::voting::prepare_cast_for(
        state,
        &account.member_id,
        &proposal_id,
        &ballot,
        now,
        claim.nonce.clone(),
    )
    .await?;
    let cast_at = crate::ballots::record_remote(&state.store, &claim.chapter, cast, &signed.to_string()).await?;
    tracing::info!(proposal = %proposal_id, chapter = %claim.chapter, "remote ballot counted");
    Ok(json!({
        "proposal_id": receipt.proposal_id,
        "account": account.member_id,
        "receipt": receipt.receipt,
        "nonce": receipt.nonce,
        "ballot": receipt.ballot,
        "ballot_json": serde_json::to_string(&ballot).map_err(AppError::internal)?,
        "cast_at": cast_at,
    }))
}

fn base64_json(raw: &str) -> Option<Value> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// POSTs a JSON document signed (RFC 9421, then draft-cavage when refused) as `actor` and reads
/// the JSON answer: Commune's own calls between linked instances, which answer at once. An
/// error says what the other side answered.
pub(super) async fn post_json(state: &AppState, actor: &str, url: &str, body: &Value) -> Result<Value, String> {
    let (_, host, port) = commune_domain::webhooks::endpoint_url(url).map_err(|e| e.to_string())?;
    crate::webhooks::checked_addresses(state, &host, port).await?;
    let (key, _) = instance_key(state).await.map_err(|e| e.to_string())?;
    let http = remote::client(state);
    let bytes = body.to_string().into_bytes();
    let mut why = String::new();
    for dialect in [Dialect::Rfc9421, Dialect::Cavage] {
        let now_s = commune_store::now_ms() / 1000;
        let headers = super::outbox::signed_headers(&key, actor, "POST", url, Some(&bytes), dialect, now_s)
            .map_err(|e| e.to_string())?;
        let mut request = http.post(url).body(bytes.clone());
        for (name, value) in headers.iter().filter(|(n, _)| n != "host") {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| e.without_url().to_string())?;
        let status = response.status();
        let raw = response.bytes().await.map_err(|e| e.without_url().to_string())?;
        if raw.len() > MAX_BODY {
            return Err(format!("{url} answered with more than {MAX_BODY} bytes"));
        }
        let answer: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        let message = answer.pointer("/error/message").and_then(Value::as_str).unwrap_or_default();
        why = format!("{url} answered {status}: {message}");
        if !matches!(status.as_u16(), 400 | 401) {
            break;
        }
    }
    Err(why)
}
