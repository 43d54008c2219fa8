//! ActivityPub federation as stewards and members drive it: publishing an organisation,
//! following other communes, what they published; instance stewards block instances.

use super::extract::{Json, Path, Query, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commune_app::federation::{self, Overview, chapters, transfers as peer};
use commune_app::state::AppState;

/// Whether an organisation publishes to the fediverse.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublishInput {
    pub publish: bool,
}

/// A remote actor to follow: `name@host` (WebFinger) or the actor's IRI.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FollowInput {
    pub account: String,
}

/// A remote actor.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RemoteActorView {
    pub id: String,
    /// `@name@host`.
    pub handle: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ActorQuery {
    /// The remote actor's IRI.
    pub actor: String,
}

/// A block of a remote instance.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct BlockInput {
    /// `host` or `host:port`.
    pub host: String,
    #[serde(default)]
    pub reason: String,
}

/// An organisation's federation: whether it publishes, its followers, whom it follows and the
/// proposals those communes published.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/federation", tag = "federation",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The organisation's federation", body = Overview),
        (status = 403, description = "Members only", body = ErrorBody)))]
pub async fn overview(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<axum::Json<Overview>> {
    Ok(axum::Json(federation::overview(&state, &caller, &slug).await?.1))
}

/// Publish the organisation to the fediverse (its proposals and discussion become public
/// `Question`s and `Note`s), or stop.
#[utoipa::path(put, path = "/api/v1/orgs/{slug}/federation", tag = "federation", request_body = PublishInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Set"),
        (status = 403, description = "Only stewards", body = ErrorBody)))]
pub async fn set_publish(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<PublishInput>,
) -> ApiResult<StatusCode> {
    federation::set_publish(&state, &caller, &slug, input.publish).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Follow a remote actor (another commune's organisation) on the organisation's behalf.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/federation/follows", tag = "federation", request_body = FollowInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "Follow sent (pending until accepted)", body = RemoteActorView),
        (status = 403, description = "Only stewards; or the instance is blocked", body = ErrorBody),
        (status = 409, description = "Already following, or the organisation does not publish", body = ErrorBody),
        (status = 422, description = "The account does not resolve to an actor", body = ErrorBody)))]
pub async fn follow(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<FollowInput>,
) -> ApiResult<impl IntoResponse> {
    let remote = federation::follow(&state, &caller, &slug, &input.account).await?;
    Ok(created(RemoteActorView { handle: remote.handle(), id: remote.id, name: remote.name, kind: remote.kind }))
}

/// Stop following a remote actor.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/federation/follows", tag = "federation",
    params(("slug" = String, Path, description = "The organisation's slug"), ActorQuery),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Unfollowed"),
        (status = 404, description = "Not following that actor", body = ErrorBody)))]
pub async fn unfollow(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(q): Query<ActorQuery>,
) -> ApiResult<StatusCode> {
    federation::unfollow(&state, &caller, &slug, &q.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remote instances this one knows: the signature dialect each accepted, and blocks.
#[utoipa::path(get, path = "/api/v1/admin/federation/instances", tag = "federation",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Known instances", body = Vec<Object>),
        (status = 403, description = "Instance stewards only", body = ErrorBody)))]
pub async fn instances(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<axum::Json<Vec<commune_store::Instance>>> {
    Ok(axum::Json(federation::instances(&state, &caller).await?))
}

/// Block an instance: its activities are refused and nothing is sent to it.
#[utoipa::path(post, path = "/api/v1/admin/federation/blocks", tag = "federation", request_body = BlockInput,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "Blocked"),
        (status = 403, description = "Instance stewards only", body = ErrorBody),
        (status = 422, description = "Not a host", body = ErrorBody)))]
pub async fn block(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(input): Json<BlockInput>,
) -> ApiResult<impl IntoResponse> {
    federation::block(&state, &caller, &input.host, &input.reason).await?;
    Ok(created(serde_json::json!({ "host": input.host.trim().to_ascii_lowercase() })))
}

/// Lift a block.
#[utoipa::path(delete, path = "/api/v1/admin/federation/blocks/{host}", tag = "federation",
    params(("host" = String, Path, description = "The blocked host")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Unblocked"),
        (status = 404, description = "Not blocked", body = ErrorBody)))]
pub async fn unblock(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(host): Path<String>,
) -> ApiResult<StatusCode> {
    federation::unblock(&state, &caller, &host).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replies other instances sent to a proposal (its fediverse thread), oldest first.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/replies", tag = "federation",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "Remote replies, oldest first", body = Vec<Object>)))]
pub async fn replies(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Vec<commune_store::RemoteReply>>> {
    Ok(axum::Json(federation::replies(&state, &caller, &id).await?))
}

/// A link between an organisation here and one on another instance.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LinkView {
    /// The other organisation's actor IRI.
    pub remote: String,
    /// `commune` (this is the commune; the chapter is elsewhere) or `chapter`.
    pub side: String,
    /// `offered` (agreed here, not yet answered) or `active`.
    pub status: String,
    pub created_at: i64,
    pub linked_at: Option<i64>,
    /// The commune's side: the chapter's instance, where its members sign in to come here (empty:
    /// the chapter offered none).
    pub oidc_issuer: String,
    /// The public OpenID client the chapter registered for the commune's instance (on both sides).
    pub oidc_client_id: String,
    /// The commune's side: the most members it takes from the chapter.
    pub max_members: i64,
}

impl From<commune_store::Link> for LinkView {
    fn from(l: commune_store::Link) -> LinkView {
        LinkView {
            remote: l.remote,
            side: l.side,
            status: l.status,
            created_at: l.created_at,
            linked_at: l.linked_at,
            oidc_issuer: l.oidc_issuer,
            oidc_client_id: l.oidc_client_id,
            max_members: l.max_members,
        }
    }
}

/// A ballot on a proposal of the commune the chapter is linked to.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RemoteBallotInput {
    /// The proposal's `Question` IRI, as the chapter received it.
    pub question: String,
    /// The ballot, as for a proposal here (e.g. `{"kind":"yes_no","stance":"yes"}`).
    #[schema(value_type = Object)]
    pub ballot: serde_json::Value,
}

/// A ballot sent home-signed to the commune, with the receipt the commune returned.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SentBallotView {
    pub question: String,
    #[schema(value_type = Object)]
    pub ballot: serde_json::Value,
    /// The commune's receipt: SHA-256 over its proposal, the voter's account there, the ballot
    /// and this nonce (checked here before it is kept).
    pub receipt: String,
    pub nonce: String,
    pub sent_at: i64,
}

impl From<commune_store::SentBallot> for SentBallotView {
    fn from(b: commune_store::SentBallot) -> SentBallotView {
        SentBallotView {
            question: b.question,
            ballot: b.ballot,
            receipt: b.receipt,
            nonce: b.nonce,
            sent_at: b.sent_at,
        }
    }
}

/// The organisation's links to organisations on other instances (a commune's chapters, a
/// chapter's commune).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/federation/links", tag = "federation",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Links", body = Vec<LinkView>),
        (status = 403, description = "Members only", body = ErrorBody)))]
pub async fn links(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<axum::Json<Vec<LinkView>>> {
    Ok(axum::Json(chapters::links(&state, &caller, &slug).await?.into_iter().map(LinkView::from).collect()))
}

/// The commune agrees to link a chapter on another instance (`name@host` or its IRI); the link
/// is active once the chapter sends its roster.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/federation/chapters", tag = "federation", request_body = ChapterInput,
    params(("slug" = String, Path, description = "The commune's slug")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "Link offered", body = LinkView),
        (status = 403, description = "Only the commune's stewards", body = ErrorBody),
        (status = 409, description = "Already offered; or not the commune, or it does not publish", body = ErrorBody),
        (status = 422, description = "The account is not an organisation", body = ErrorBody)))]
pub async fn offer_chapter(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<ChapterInput>,
) -> ApiResult<impl IntoResponse> {
    let link = chapters::offer_chapter(&state, &caller, &slug, &input.account, input.max_members).await?;
    Ok(created(LinkView::from(link)))
}

/// A chapter the commune agrees to link.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ChapterInput {
    /// The chapter: `name@host` or its actor IRI.
    pub account: String,
    /// The most members the commune takes from it (1–10,000; default 100). Agreeing again with
    /// another number changes it.
    pub max_members: Option<i64>,
}

/// A chapter links itself to its commune on another instance, sending its roster (again, to
/// sync who its members are).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/federation/commune", tag = "federation", request_body = FollowInput,
    params(("slug" = String, Path, description = "The chapter's slug")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Linked; the roster was accepted", body = LinkView),
        (status = 403, description = "Only the chapter's stewards", body = ErrorBody),
        (status = 409, description = "Not a chapter, it does not publish, or the commune refused", body = ErrorBody),
        (status = 422, description = "The account is not an organisation", body = ErrorBody)))]
pub async fn link_commune(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<FollowInput>,
) -> ApiResult<axum::Json<LinkView>> {
    Ok(axum::Json(LinkView::from(chapters::link_commune(&state, &caller, &slug, &input.account).await?)))
}

/// Vote on a proposal of the commune this chapter is linked to: this instance signs the ballot
/// and sends it; the commune counts it and returns the receipt.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/federation/ballots", tag = "federation", request_body = RemoteBallotInput,
    params(("slug" = String, Path, description = "The chapter's slug")),
    security(("session" = [])),
    responses(
        (status = 201, description = "Counted by the commune; its receipt", body = SentBallotView),
        (status = 403, description = "Members of the chapter only", body = ErrorBody),
        (status = 404, description = "No such proposal from the linked commune", body = ErrorBody),
        (status = 409, description = "Not linked, voting closed, or the commune refused", body = ErrorBody)))]
pub async fn cast_remote(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<RemoteBallotInput>,
) -> ApiResult<impl IntoResponse> {
    let sent = chapters::cast_remote(&state, &caller, &slug, &input.question, &input.ballot).await?;
    Ok(created(SentBallotView::from(sent)))
}

/// The ballots the caller sent to their commune, with its receipts.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/federation/ballots", tag = "federation",
    params(("slug" = String, Path, description = "The chapter's slug")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Sent ballots, newest first", body = Vec<SentBallotView>),
        (status = 403, description = "Members only", body = ErrorBody)))]
pub async fn sent_ballots(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<axum::Json<Vec<SentBallotView>>> {
    Ok(axum::Json(
        chapters::sent_ballots(&state, &caller, &slug).await?.into_iter().map(SentBallotView::from).collect(),
    ))
}

/// One side of a transfer between linked organisations on two instances.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PeerTransferView {
    /// Chosen by the sender (32 hex digits); the same on both instances.
    pub id: String,
    /// The other organisation's actor IRI.
    pub remote: String,
    /// `out` (sent from here) or `in`.
    pub direction: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `pending`, `prepared` (sender: the receiver holds it too), `posted` or `voided`.
    pub state: String,
    /// This side's ledger hold.
    pub hold_id: String,
    /// Sender: whether the receiver acknowledged the decision.
    pub told: bool,
    /// When the sender voids it unless the receiver took it.
    pub deadline: i64,
    pub memo: String,
    pub decided_at: Option<i64>,
}

impl From<commune_store::PeerTransfer> for PeerTransferView {
    fn from(t: commune_store::PeerTransfer) -> PeerTransferView {
        PeerTransferView {
            id: t.id,
            remote: t.remote,
            direction: t.direction,
            amount_minor: t.amount,
            currency: t.currency,
            state: t.state,
            hold_id: t.hold_id,
            told: t.told,
            deadline: t.deadline,
            memo: t.memo,
            decided_at: t.decided_at,
        }
    }
}

/// The organisation's transfers with linked organisations on other instances, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/federation/transfers", tag = "federation",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = ["payments:read"])),
    responses(
        (status = 200, description = "Transfers", body = Vec<PeerTransferView>),
        (status = 403, description = "Members only", body = ErrorBody)))]
pub async fn transfers(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<axum::Json<Vec<PeerTransferView>>> {
    Ok(axum::Json(peer::list(&state, &caller, &slug).await?.into_iter().map(PeerTransferView::from).collect()))
}

/// Send money to a linked organisation on another instance: held here, held there, then posted
/// on both — or, if the other instance does not take it before the timeout, voided on both.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/federation/transfers", tag = "federation", request_body = peer::SendInput,
    params(("slug" = String, Path, description = "The sending organisation's slug")),
    security(("session" = []), ("bearer" = ["payments:write"])),
    responses(
        (status = 201, description = "Posted on both instances (or, rarely, still finishing)", body = PeerTransferView),
        (status = 403, description = "Only the organisation's stewards or its payments:write tokens", body = ErrorBody),
        (status = 409, description = "Not linked, not enough money, or the other instance did not take it (voided on both)", body = ErrorBody),
        (status = 422, description = "A bad amount, currency or timeout", body = ErrorBody)))]
pub async fn send_transfer(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<peer::SendInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(PeerTransferView::from(peer::send(&state, &caller, &slug, input).await?)))
}

/// Extend (or, with `withdraw`, take back unused) credit to a linked organisation on another
/// instance: how much it may send here beyond what this side sent it. Stewards only.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/federation/credit", tag = "federation", request_body = peer::CreditInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The credit the linked organisation has now", body = peer::Credit),
        (status = 403, description = "Stewards only", body = ErrorBody),
        (status = 409, description = "Not linked, or withdrawing credit that is in use", body = ErrorBody),
        (status = 422, description = "A bad amount or currency", body = ErrorBody)))]
pub async fn extend_credit(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<peer::CreditInput>,
) -> ApiResult<axum::Json<peer::Credit>> {
    Ok(axum::Json(peer::extend_credit(&state, &caller, &slug, input).await?))
}
