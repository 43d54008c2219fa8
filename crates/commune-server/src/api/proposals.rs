//! Proposals, ballots, delegation, discussion, results and exports.

use super::extract::{Json, Path, created};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, AppError, ErrorBody};
use crate::views::CommentView;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use commune_app::governance::{self, ProposalInput, Receipt, Results};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_domain::governance::methods::Ballot;
use commune_store::{Delegation, Proposal};

/// A proposal as the API shows it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProposalView {
    pub id: String,
    pub org: String,
    pub author: String,
    pub title: String,
    /// Markdown as written.
    pub body: String,
    /// The body rendered to sanitised HTML.
    pub body_html: String,
    pub domain: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub method: serde_json::Value,
    pub method_label: String,
    /// The mode that was asked for; constitutional proposals are decided with equal weights.
    pub weighting: String,
    pub constitutional: bool,
    pub quorum: f64,
    #[schema(value_type = Object)]
    pub effect: serde_json::Value,
    pub options: Vec<String>,
    pub secret: bool,
    /// draft, discussion, voting, closed, executed, failed or cancelled.
    pub phase: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub voting_opens_at: i64,
    pub voting_closes_at: i64,
    pub closed_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub outcome: String,
    /// Why it benefits its author (it elects, admits or pays them, or pays an organisation they
    /// steward), when it does: their own ballot then does not count toward the quorum.
    pub self_interest: Option<String>,
    /// The constitutional floors it meets, recorded at publication: `discussion_ms`,
    /// `voting_ms`, `quorum_ppm`, `support_ppm` (parts per million) and `min_voters`.
    #[schema(value_type = Option<Object>)]
    pub floors: Option<serde_json::Value>,
}

impl From<Proposal> for ProposalView {
    fn from(p: Proposal) -> ProposalView {
        ProposalView {
            constitutional: p.effect.is_constitutional(p.kind),
            body_html: crate::markdown::to_html(&p.body),
            method: serde_json::to_value(&p.method).unwrap_or_default(),
            method_label: p.method.label(),
            effect: serde_json::to_value(&p.effect).unwrap_or_default(),
            id: p.id,
            org: p.org_slug,
            author: p.author_handle,
            title: p.title,
            body: p.body,
            domain: p.domain,
            kind: p.kind.as_str().to_owned(),
            weighting: p.weighting.as_str().to_owned(),
            quorum: p.quorum,
            options: p.options,
            secret: p.secret,
            phase: p.phase.as_str().to_owned(),
            created_at: p.created_at,
            published_at: p.published_at,
            voting_opens_at: p.voting_opens_at,
            voting_closes_at: p.voting_closes_at,
            closed_at: p.closed_at,
            finished_at: p.finished_at,
            outcome: p.outcome,
            self_interest: (!p.self_interest.is_empty()).then_some(p.self_interest),
            floors: p.floors.and_then(|f| serde_json::to_value(f).ok()),
        }
    }
}

/// An organisation's proposals, newest first (drafts only for their author).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/proposals", tag = "governance",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "Proposals", body = Vec<ProposalView>), (status = 403, description = "Not a member", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<ProposalView>>> {
    let org = commune_app::service::org_for(&state, &caller, &slug, Action::ReadProposals).await?;
    let viewer = caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    Ok(Json(state.store.org_proposals(&org.id, &viewer).await?.into_iter().map(ProposalView::from).collect()))
}

/// Draft a proposal; publish it to open discussion.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/proposals", tag = "governance", request_body = ProposalInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses((status = 201, description = "The draft", body = ProposalView), (status = 422, description = "Invalid proposal", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<ProposalInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(ProposalView::from(governance::create(&state, &caller, &slug, &input).await?)))
}

/// A proposal.
#[utoipa::path(get, path = "/api/v1/proposals/{id}", tag = "governance",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "The proposal", body = ProposalView), (status = 404, description = "No such proposal", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(governance::visible(&state, &caller, &id).await?.0.into()))
}

/// Edit a draft (its author only).
#[utoipa::path(put, path = "/api/v1/proposals/{id}", tag = "governance", request_body = ProposalInput,
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = [])),
    responses((status = 200, description = "The edited draft", body = ProposalView), (status = 409, description = "Not a draft any more", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<ProposalInput>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(governance::update_draft(&state, &caller, &id, &input).await?.into()))
}

/// Publish a draft: discussion opens, voting opens at its time.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/publish", tag = "governance",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = [])),
    responses((status = 200, description = "Published", body = ProposalView), (status = 409, description = "Not a draft", body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(governance::publish(&state, &caller, &id).await?.into()))
}

/// Cancel before voting opens (author or steward).
#[utoipa::path(post, path = "/api/v1/proposals/{id}/cancel", tag = "governance",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = [])),
    responses((status = 200, description = "Cancelled", body = ProposalView), (status = 409, description = "Voting has opened", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(governance::cancel(&state, &caller, &id).await?.into()))
}

/// Cast or replace your ballot; returns your receipt.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/ballot", tag = "governance",
    request_body(content = Object, description = "A ballot, e.g. {\"kind\": \"ranked\", \"ranking\": [[2], [0, 1]]} (options are 0-based)"),
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Counted; a second ballot replaces the first", body = Receipt),
        (status = 403, description = "Not a member, or not eligible", body = ErrorBody),
        (status = 409, description = "Voting is not open", body = ErrorBody),
        (status = 422, description = "The ballot does not fit the method", body = ErrorBody)))]
pub async fn cast(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(ballot): Json<Ballot>,
) -> ApiResult<Json<Receipt>> {
    Ok(Json(governance::cast(&state, &caller, &id, &ballot).await?))
}

/// Your ballot and receipt.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/ballot", tag = "governance",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = [])),
    responses((status = 200, description = "Your receipt", body = Receipt), (status = 404, description = "You have not voted", body = ErrorBody)))]
pub async fn my_ballot(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Receipt>> {
    let (proposal, _) = governance::visible(&state, &caller, &id).await?;
    caller.require_member()?;
    Ok(Json(governance::my_receipt(&state, &caller, &proposal).await?.ok_or(AppError::NotFound("ballot"))?))
}

/// Results: the equal-weight and merit-weight tallies side by side.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/results", tag = "governance",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "The dual tally", body = Results), (status = 404, description = "Not counted yet", body = ErrorBody)))]
pub async fn results(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Results>> {
    Ok(Json(
        governance::results(&state, &caller, &id)
            .await?
            .ok_or(AppError::NotFound("results (the vote is not counted yet)"))?,
    ))
}

/// Every ballot of a closed proposal, as JSON (voters named unless secret).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/ballots", tag = "governance",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "The ballots", body = Object), (status = 409, description = "Voting has not closed", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(governance::export_ballots(&state, &caller, &id).await?))
}

/// A ranked proposal's ballots as a PrefLib `.toi` file (counts are weights).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/ballots.toi", tag = "governance",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "PrefLib text", body = String, content_type = "text/plain"), (status = 409, description = "Not ranked, or not counted", body = ErrorBody)))]
pub async fn export_preflib(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let text = governance::export_preflib(&state, &caller, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// The discussion thread.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/comments", tag = "governance",
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "Comments, oldest first", body = Vec<CommentView>)))]
pub async fn comments(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<CommentView>>> {
    Ok(Json(governance::comments(&state, &caller, &id).await?.into_iter().map(CommentView::from).collect()))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct CommentInput {
    /// Markdown, 1–5,000 characters.
    pub body: String,
}

/// Add to the discussion.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/comments", tag = "governance", request_body = CommentInput,
    params(("id" = String, Path, description = "The proposal's id")),
    security(("session" = [])),
    responses((status = 201, description = "Added"), (status = 409, description = "Not published", body = ErrorBody)))]
pub async fn comment(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<CommentInput>,
) -> ApiResult<StatusCode> {
    governance::comment(&state, &caller, &id, &input.body, None).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DelegationView {
    pub id: String,
    pub delegator: String,
    pub delegate: String,
    /// Empty for a global delegation.
    pub domain: String,
    pub created_at: i64,
}

impl From<Delegation> for DelegationView {
    fn from(d: Delegation) -> DelegationView {
        DelegationView {
            id: d.id,
            delegator: d.delegator_handle,
            delegate: d.delegate_handle,
            domain: d.domain,
            created_at: d.created_at,
        }
    }
}

/// Live delegations in an organisation (who delegates to whom, per domain).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/delegations", tag = "governance",
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = []), ("bearer" = ["proposals:read"])),
    responses((status = 200, description = "Delegations", body = Vec<DelegationView>)))]
pub async fn delegations(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<DelegationView>>> {
    let (_, all) = governance::delegations(&state, &caller, &slug).await?;
    Ok(Json(all.into_iter().map(DelegationView::from).collect()))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct DelegateInput {
    /// The member (handle) who will vote for you.
    pub delegate: String,
    /// A domain (e.g. `finance`), or empty for every domain.
    #[serde(default)]
    pub domain: String,
}

/// Delegate your vote (per domain or globally); replaces your delegation for that scope.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/delegations", tag = "governance", request_body = DelegateInput,
    params(("slug" = String, Path, description = "The organisation's slug")),
    security(("session" = [])),
    responses((status = 201, description = "Delegated", body = DelegationView), (status = 422, description = "Yourself, or someone outside the organisation", body = ErrorBody)))]
pub async fn delegate(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Json(input): Json<DelegateInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(DelegationView::from(
        governance::delegate(&state, &caller, &slug, &input.delegate, &input.domain).await?,
    )))
}

/// Revoke one of your delegations.
#[utoipa::path(delete, path = "/api/v1/delegations/{id}", tag = "governance",
    params(("id" = String, Path, description = "The delegation's id")),
    security(("session" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No live delegation of yours", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    governance::revoke_delegation(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Today's docket: what you can vote on now, and what opens or closes today, in your organisations.
#[utoipa::path(get, path = "/api/v1/docket", tag = "governance",
    security(("session" = [])),
    responses((status = 200, description = "Proposals, soonest closing first", body = Vec<ProposalView>)))]
pub async fn docket(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<Vec<ProposalView>>> {
    let me = caller.require_member()?;
    Ok(Json(
        governance::docket(&state, &me.member.id, commune_store::now_ms())
            .await?
            .into_iter()
            .map(ProposalView::from)
            .collect(),
    ))
}
