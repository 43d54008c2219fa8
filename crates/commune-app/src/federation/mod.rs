//! ActivityPub federation. Organisations that publish are `Group` actors and their members
//! `Person` actors; their proposals go out as `Question`s (results and the receipt digest once
//! counted) and their discussion as `Note` replies; remote actors follow and reply; stewards
//! follow other communes and see their proposals. Inbound requests are verified in
//! [`inbox`], outbound ones signed and delivered in [`outbox`], remote actors fetched in
//! [`remote`].

pub mod chapters;
pub mod home;
pub mod inbox;
pub mod outbox;
pub mod remote;
pub mod transfers;

use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::authz::Action;
use commune_domain::federation::activity::{self, ActorDoc, QuestionView, Urls};
use commune_domain::federation::httpsig::{PrivateKey, rsa_public_pem};
use commune_domain::governance::methods::VotingMethod;
use commune_domain::governance::proposal::Phase;
use commune_store::{Following, Instance, NewActivity, Org, Proposal, RemoteActor, RemoteQuestionRow, RemoteReply};
use serde_json::Value;

const KEY_PURPOSE: &str = "activitypub-actor-key";

pub fn urls(state: &AppState) -> Urls {
    Urls::new(&state.config.public_url)
}

/// The instance's actor key (every local actor signs with it, under its own key id), made on
/// first use and sealed at rest with the instance key.
pub async fn instance_key(state: &AppState) -> Result<(PrivateKey, String), AppError> {
    if let Some((public_pem, sealed)) = state.store.ap_key().await? {
        let pem = state.config.instance_key.open(KEY_PURPOSE, &sealed).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("the ActivityPub key does not open with this instance key"))
        })?;
        let pem = String::from_utf8(pem).map_err(AppError::internal)?;
        let key = PrivateKey::rsa_from_pem(&pem).map_err(AppError::internal)?;
        return Ok((key, public_pem));
    }
    let (private_pem, public_pem) = tokio::task::spawn_blocking(|| -> anyhow::Result<(String, String)> {
        use rsa::pkcs8::EncodePrivateKey;
        let private = <rsa::PrivateKey as rsa::Generate>::generate();
        let public_pem = rsa_public_pem(&private.to_public_key())?;
        let private_pem = private.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)?.to_string();
        Ok((private_pem, public_pem))
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    let sealed = state.config.instance_key.seal(KEY_PURPOSE, private_pem.as_bytes());
    let mut tx = state.store.write("system").await?;
    if tx.put_ap_key(&public_pem, &sealed).await? {
        tx.commit().await?;
    }
    Box::pin(instance_key(state)).await
}

/// The public half of the instance's actor key, as actor documents publish it (read without
/// opening the private key; made on first use).
async fn public_pem(state: &AppState) -> Result<String, AppError> {
    match state.store.ap_key().await? {
        Some((public_pem, _)) => Ok(public_pem),
        None => Ok(instance_key(state).await?.1),
    }
}

/// A member of an organisation that publishes, by handle (others are not actors: 404).
async fn published_member(state: &AppState, handle: &str) -> Result<commune_store::Member, AppError> {
    let member = state.store.member_by_handle(handle).await?.ok_or(AppError::NotFound("actor"))?;
    if !state.store.member_federated(&member.id).await? {
        return Err(AppError::NotFound("actor"));
    }
    Ok(member)
}

/// An organisation that publishes, by slug (others are not actors: 404).
async fn published_org(state: &AppState, slug: &str) -> Result<Org, AppError> {
    let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("actor"))?;
    if !state.store.org_federated(&org.id).await? {
        return Err(AppError::NotFound("actor"));
    }
    Ok(org)
}

/// A proposal of a publishing organisation that has been published (drafts and cancelled ones
/// stay home).
async fn published_proposal(state: &AppState, id: &str) -> Result<Proposal, AppError> {
    let proposal = state.store.proposal(id).await?.ok_or(AppError::NotFound("object"))?;
    if matches!(proposal.phase, Phase::Draft | Phase::Cancelled) || !state.store.org_federated(&proposal.org_id).await?
    {
        return Err(AppError::NotFound("object"));
    }
    Ok(proposal)
}

pub async fn org_actor(state: &AppState, slug: &str) -> Result<Value, AppError> {
    let org = published_org(state, slug).await?;
    let pem = public_pem(state).await?;
    let urls = urls(state);
    let id = urls.org(&org.slug);
    Ok(activity::actor(&ActorDoc {
        id: &id,
        kind: "Group",
        username: &org.slug,
        name: &org.name,
        summary: &org.description,
        url: &format!("{}/orgs/{}", urls.base(), org.slug),
        public_key_pem: &pem,
        shared_inbox: &urls.shared_inbox(),
    }))
}

pub async fn member_actor(state: &AppState, handle: &str) -> Result<Value, AppError> {
    let member = published_member(state, handle).await?;
    let pem = public_pem(state).await?;
    let urls = urls(state);
    let id = urls.member(&member.handle);
    Ok(activity::actor(&ActorDoc {
        id: &id,
        kind: "Person",
        username: &member.handle,
        name: &member.display_name,
        summary: &member.bio,
        url: &format!("{}/members/{}", urls.base(), member.handle),
        public_key_pem: &pem,
        shared_inbox: &urls.shared_inbox(),
    }))
}

/// WebFinger: `acct:slug@host` names a publishing organisation, `acct:handle@host` a member of
/// one (an organisation's slug wins when both exist).
pub async fn webfinger(state: &AppState, resource: &str) -> Result<Value, AppError> {
    let urls = urls(state);
    let user = activity::webfinger_user(resource, urls.host())?.ok_or(AppError::NotFound("account"))?;
    let acct = format!("acct:{user}@{}", urls.host());
    if published_org(state, &user).await.is_ok() {
        return Ok(activity::webfinger(&acct, &urls.org(&user), &format!("{}/orgs/{user}", urls.base())));
    }
    published_member(state, &user).await?;
    Ok(activity::webfinger(&acct, &urls.member(&user), &format!("{}/members/{user}", urls.base())))
}

/// The actor IRI of a local actor path (`orgs`/`members`), checked to exist and publish.
pub async fn local_actor(state: &AppState, kind: &str, name: &str) -> Result<String, AppError> {
    let urls = urls(state);
    match kind {
        "orgs" => Ok(urls.org(&published_org(state, name).await?.slug)),
        _ => {
            published_member(state, name).await?;
            Ok(urls.member(name))
        }
    }
}

pub async fn outbox(state: &AppState, kind: &str, name: &str) -> Result<Value, AppError> {
    let actor = local_actor(state, kind, name).await?;
    let items = state
        .store
        .ap_outbox(&actor, 50)
        .await?
        .into_iter()
        .filter_map(|a| serde_json::from_str::<Value>(&a).ok())
        .filter(|a| matches!(a["type"].as_str(), Some("Create" | "Update")))
        .collect();
    Ok(activity::ordered_collection(&format!("{actor}/outbox"), items))
}

/// The followers collection: its size, and who (remote actors only ever see public actors).
pub async fn followers(state: &AppState, kind: &str, name: &str) -> Result<Value, AppError> {
    let actor = local_actor(state, kind, name).await?;
    let items = state.store.ap_followers(&actor).await?.into_iter().map(|a| Value::String(a.id)).collect();
    Ok(activity::ordered_collection(&format!("{actor}/followers"), items))
}

pub async fn following(state: &AppState, kind: &str, name: &str) -> Result<Value, AppError> {
    let actor = local_actor(state, kind, name).await?;
    let items = state
        .store
        .ap_following(&actor)
        .await?
        .into_iter()
        .filter(|f| f.state == "accepted")
        .map(|f| Value::String(f.remote.id))
        .collect();
    Ok(activity::ordered_collection(&format!("{actor}/following"), items))
}

/// What a proposal's options are called on the fediverse.
fn option_names(proposal: &Proposal) -> Vec<String> {
    match proposal.method {
        VotingMethod::YesNo { .. } => vec!["Yes".into(), "No".into(), "Abstain".into()],
        VotingMethod::Consent { .. } => vec!["Consent".into(), "Object".into()],
        _ => proposal.options.clone(),
    }
}

/// A proposal as a `Question`: after its count, per-option votes in the deciding mode, the
/// outcome and the digest of every counted receipt.
pub async fn question(state: &AppState, id: &str) -> Result<Value, AppError> {
    let proposal = published_proposal(state, id).await?;
    question_of(state, &proposal).await
}

pub(crate) async fn question_of(state: &AppState, proposal: &Proposal) -> Result<Value, AppError> {
    let urls = urls(state);
    let org_actor = urls.org(&proposal.org_slug);
    let tally = state.store.tally(&proposal.id).await?;
    let counts: Option<Vec<f64>> = tally
        .as_ref()
        .and_then(|t| scores(if t.primary_mode == "merit" { &t.merit_result } else { &t.equal_result }).ok());
    let receipt_digest = match &tally {
        Some(_) => Some(activity::receipt_digest(&receipts(state, &proposal.id).await?)),
        None => None,
    };
    let options = option_names(proposal);
    let single = matches!(
        proposal.method,
        VotingMethod::YesNo { .. } | VotingMethod::Consent { .. } | VotingMethod::SingleChoice
    );
    let closed = proposal.phase.is_final().then(|| proposal.closed_at.unwrap_or(proposal.voting_closes_at));
    let signed_result = tally.as_ref().map(|_| format!("{}/result", urls.proposal(&proposal.id)));
    Ok(activity::question(&QuestionView {
        id: &urls.proposal(&proposal.id),
        org_actor: &org_actor,
        followers: &format!("{org_actor}/followers"),
        url: &format!("{}/proposals/{}", urls.base(), proposal.id),
        title: &proposal.title,
        body: &proposal.body,
        method: &proposal.method.label(),
        multiple: !single,
        options: &options,
        published: proposal.published_at.unwrap_or(proposal.created_at),
        end_time: proposal.voting_closes_at,
        closed,
        counts: counts.as_deref(),
        outcome: &proposal.outcome,
        deciding_mode: tally.as_ref().map(|t| t.primary_mode.as_str()).unwrap_or("equal"),
        receipt_digest: receipt_digest.as_deref(),
        signed_result: signed_result.as_deref(),
    }))
}

/// Per-option votes of one mode's stored tally.
fn scores(raw: &str) -> Result<Vec<f64>, AppError> {
    let mode: commune_domain::governance::count::ModeTally = serde_json::from_str(raw).map_err(AppError::internal)?;
    Ok(mode.tally.scores)
}

/// Every counted ballot's receipt.
async fn receipts(state: &AppState, proposal_id: &str) -> Result<Vec<String>, AppError> {
    Ok(state.store.ballots(proposal_id).await?.into_iter().map(|b| b.receipt).collect())
}

/// A counted proposal's result, signed by this instance with its organisation's key (a
/// flattened JWS, `RS256`): both modes' counts, the outcome and the receipt digest. Anyone can
/// check it with the key in the organisation's actor document.
pub async fn signed_result(state: &AppState, id: &str) -> Result<Value, AppError> {
    let proposal = published_proposal(state, id).await?;
    let tally = state.store.tally(&proposal.id).await?.ok_or(AppError::NotFound("result"))?;
    let receipts = receipts(state, &proposal.id).await?;
    let urls = urls(state);
    let issuer = urls.org(&proposal.org_slug);
    let payload = serde_json::json!({
        "type": "CommuneResult",
        "proposal": urls.proposal(&proposal.id),
        "issuer": issuer,
        "title": proposal.title,
        "method": proposal.method.label(),
        "options": option_names(&proposal),
        "deciding_mode": tally.primary_mode,
        "counts": { "equal": scores(&tally.equal_result)?, "merit": scores(&tally.merit_result)? },
        "outcome": proposal.outcome,
        "receipts": receipts.len(),
        "receipt_digest": activity::receipt_digest(&receipts),
        "counted_at": tally.computed_at,
    });
    let (key, _) = instance_key(state).await?;
    activity::sign_document(&payload, &Urls::key_id(&issuer), &key).map_err(AppError::internal)
}

/// A discussion post of a published proposal, as a `Note` replying to its `Question`.
pub async fn note(state: &AppState, comment_id: &str) -> Result<Value, AppError> {
    let (proposal_id, comment) = state.store.comment_by_id(comment_id).await?.ok_or(AppError::NotFound("object"))?;
    let proposal = published_proposal(state, &proposal_id).await?;
    Ok(note_of(state, &proposal, &comment))
}

pub(crate) fn note_of(state: &AppState, proposal: &Proposal, comment: &commune_store::Comment) -> Value {
    let urls = urls(state);
    let id = urls.comment(&comment.id);
    activity::note(
        &id,
        &urls.member(&comment.author_handle),
        &urls.proposal(&proposal.id),
        &comment.body,
        comment.created_at,
        &format!("{}/proposals/{}#comment-{}", urls.base(), proposal.id, comment.id),
        &format!("{}/followers", urls.org(&proposal.org_slug)),
    )
}

pub async fn published_activity(state: &AppState, id: &str) -> Result<Value, AppError> {
    let raw = state.store.ap_activity(&urls(state).activity(id)).await?.ok_or(AppError::NotFound("activity"))?;
    serde_json::from_str(&raw).map_err(AppError::internal)
}

// ---------------------------------------------------------------------------------------------
// What stewards and members do
// ---------------------------------------------------------------------------------------------

/// An organisation's federation as its members see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// Whether the organisation publishes to the fediverse.
    pub publish: bool,
    /// Its actor and WebFinger account, when it publishes.
    pub actor: Option<String>,
    pub account: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub followers: Vec<RemoteActor>,
    #[schema(value_type = Vec<Object>)]
    pub following: Vec<Following>,
    /// Proposals published by the communes it follows, newest first.
    #[schema(value_type = Vec<Object>)]
    pub proposals: Vec<RemoteQuestionRow>,
}

async fn org_for(state: &AppState, caller: &Caller, slug: &str, action: Action) -> Result<Org, AppError> {
    let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
    caller.authorize(state, Some(&org), action).await?;
    Ok(org)
}

pub async fn overview(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Overview), AppError> {
    let org = org_for(state, caller, slug, Action::Participate).await?;
    let urls = urls(state);
    let actor = urls.org(&org.slug);
    let publish = state.store.org_federated(&org.id).await?;
    let overview = Overview {
        publish,
        actor: publish.then(|| actor.clone()),
        account: publish.then(|| format!("@{}@{}", org.slug, urls.host())),
        followers: state.store.ap_followers(&actor).await?,
        following: state.store.ap_following(&actor).await?,
        proposals: state.store.remote_questions(&actor, 100).await?,
    };
    Ok((org, overview))
}

/// Replies from other instances to a proposal the caller may see, oldest first.
pub async fn replies(state: &AppState, caller: &Caller, proposal_id: &str) -> Result<Vec<RemoteReply>, AppError> {
    crate::governance::access::visible(state, caller, proposal_id).await?;
    Ok(state.store.remote_replies(proposal_id).await?)
}

/// Turns publishing on or off (stewards).
pub async fn set_publish(state: &AppState, caller: &Caller, slug: &str, on: bool) -> Result<(), AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    if on {
        instance_key(state).await?;
    }
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.set_org_federated(&org.id, on).await?;
    tx.commit().await?;
    Ok(())
}

/// Follows a remote actor (`name@host` or its IRI) on behalf of the organisation (stewards).
pub async fn follow(state: &AppState, caller: &Caller, slug: &str, account: &str) -> Result<RemoteActor, AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    if !state.store.org_federated(&org.id).await? {
        return Err(AppError::Rule("publish the organisation to the fediverse before following others".into()));
    }
    let now = commune_store::now_ms();
    let http = remote::client(state);
    let remote = remote::resolve_account(state, &http, account, now).await?;
    refuse_blocked(state, &remote.host).await?;
    let urls = urls(state);
    let local = urls.org(&org.slug);
    if remote.id == local {
        return Err(Invalid::new("account", "an organisation cannot follow itself").into());
    }
    let activity_id = urls.activity(&commune_store::new_id());
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    if !tx.add_following(&local, &remote.id, &activity_id).await? {
        return Err(AppError::Conflict("follow"));
    }
    tx.commit().await?;
    let body = activity::follow(&activity_id, &local, &remote.id);
    queue(state, &local, &activity_id, &body, vec![remote.inbox.clone()]).await?;
    Ok(remote)
}

/// Stops following (stewards): an `Undo` of the follow goes to the remote actor.
pub async fn unfollow(state: &AppState, caller: &Caller, slug: &str, remote_id: &str) -> Result<(), AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    let urls = urls(state);
    let local = urls.org(&org.slug);
    let remote = state.store.remote_actor(remote_id).await?.ok_or(AppError::NotFound("follow"))?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    let Some(follow_id) = tx.remove_following(&local, remote_id).await? else {
        return Err(AppError::NotFound("follow"));
    };
    tx.commit().await?;
    let undo_id = urls.activity(&commune_store::new_id());
    let body = activity::undo(&undo_id, &local, &activity::follow(&follow_id, &local, remote_id));
    queue(state, &local, &undo_id, &body, vec![remote.inbox]).await
}

/// Queues one activity for delivery now.
pub(crate) async fn queue(
    state: &AppState,
    actor: &str,
    id: &str,
    body: &Value,
    inboxes: Vec<String>,
) -> Result<(), AppError> {
    state
        .store
        .ap_send(&NewActivity {
            id: id.to_string(),
            audit_seq: 0,
            actor: actor.to_string(),
            object_id: id.to_string(),
            activity: body.to_string(),
            created_at: commune_store::now_ms(),
            inboxes,
        })
        .await?;
    Ok(())
}

pub(crate) async fn refuse_blocked(state: &AppState, host: &str) -> Result<(), AppError> {
    if state.store.ap_instance(host).await?.is_some_and(|i| i.blocked_at.is_some()) {
        tracing::warn!(%host, "federation refused: the instance is blocked");
        return Err(AppError::Blocked(format!("{host} is blocked by this instance")));
    }
    Ok(())
}

fn checked_host(raw: &str) -> Result<String, AppError> {
    let host = raw.trim().to_ascii_lowercase();
    if host.is_empty() || host.len() > 253 || !host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)) {
        return Err(Invalid::new("host", "give a host name such as social.example (with :port if it has one)").into());
    }
    Ok(host)
}

/// Blocks an instance: nothing it sends is accepted, nothing is sent to it (instance stewards).
pub async fn block(state: &AppState, caller: &Caller, host: &str, reason: &str) -> Result<(), AppError> {
    caller.authorize(state, None, Action::AdministerInstance).await?;
    let host = checked_host(host)?;
    let reason = commune_domain::validation::text("reason", reason, 0, 500, false)?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.block_instance(&host, &reason).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn unblock(state: &AppState, caller: &Caller, host: &str) -> Result<(), AppError> {
    caller.authorize(state, None, Action::AdministerInstance).await?;
    let host = checked_host(host)?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    if !tx.unblock_instance(&host).await? {
        return Err(AppError::NotFound("block"));
    }
    tx.commit().await?;
    Ok(())
}

pub async fn instances(state: &AppState, caller: &Caller) -> Result<Vec<Instance>, AppError> {
    caller.authorize(state, None, Action::AdministerInstance).await?;
    Ok(state.store.ap_instances().await?)
}
