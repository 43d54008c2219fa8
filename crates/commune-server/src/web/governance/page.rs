//! The proposal page: its text, the floors it meets, the ballot (prefilled with the member's own),
//! the receipt, the results and the discussion; and its publish, cancel and comment actions.

use super::form::number;
use super::results::{ResultsView, results_view};
use crate::error::AppError;
use crate::web::frame::{Form, Page, Web, WebError, WebResult, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use commune_app::governance::{self, Receipt};
use commune_app::state::AppState;
use commune_domain::governance::ballot_form;
use commune_domain::governance::floors::Floors;
use commune_domain::governance::methods::{Ballot, VotingMethod};
use commune_domain::governance::proposal::Phase;
use commune_domain::governance::words;
use commune_domain::org::Role;
use commune_store::Proposal;

pub struct MyBallot {
    /// The ballot as stored (JSON), for anyone recomputing the receipt.
    pub(crate) ballot: String,
    /// The choices in words, options by name.
    pub(crate) words: String,
    pub(crate) receipt: String,
    /// The receipt's first eight digits, to find it in the published list.
    pub(crate) code: String,
    pub(crate) nonce: String,
    pub(crate) delegation_overridden: Option<String>,
}

impl MyBallot {
    fn of(r: Receipt, options: &[String]) -> MyBallot {
        let words = serde_json::from_value::<Ballot>(r.ballot.clone())
            .map(|b| words::ballot_words(&b, options))
            .unwrap_or_else(|_| r.ballot.to_string());
        MyBallot {
            ballot: r.ballot.to_string(),
            words,
            code: words::short_code(&r.receipt),
            receipt: r.receipt,
            nonce: r.nonce,
            delegation_overridden: r.delegation_overridden,
        }
    }
}

#[derive(Template)]
#[template(path = "proposal.html")]
pub(crate) struct ProposalPage {
    pub(crate) page: Page,
    pub(crate) p: Proposal,
    pub(crate) body_html: String,
    pub(crate) constitutional: bool,
    pub(crate) is_author: bool,
    pub(crate) is_steward: bool,
    pub(crate) eligible: bool,
    pub(crate) can_vote: bool,
    pub(crate) can_discuss: bool,
    pub(crate) method_kind: &'static str,
    pub(crate) credits: u32,
    pub(crate) options: Vec<(usize, String)>,
    /// Ranked ballots: the voter's ranking so far (option, name, place) and the options not
    /// ranked yet.
    pub(crate) ranked: Vec<(usize, String, usize)>,
    pub(crate) unranked: Vec<(usize, String)>,
    pub(crate) my: Option<MyBallot>,
    pub(crate) results: Option<ResultsView>,
    pub(crate) comments: Vec<crate::views::CommentView>,
    /// Replies from other instances (the proposal's fediverse thread).
    pub(crate) remote_replies: Vec<commune_store::RemoteReply>,
    pub(crate) ballots_cast: usize,
    pub(crate) eligible_count: usize,
    /// Open, public ballots: who may vote and has not yet (handles).
    pub(crate) not_voted: Vec<String>,
    pub(crate) errors: Vec<String>,
    /// The voter's current ballot as form values, so replacing it starts from it.
    pub(crate) prefill: std::collections::HashMap<String, String>,
    /// The floors it meets, in words: discussion, voting, quorum, support (empty for choices), voters.
    pub(crate) floors: Option<(String, String, String, String, usize)>,
    /// Lessons and principles cited in it: (id, title).
    pub(crate) cited: Vec<(String, String)>,
    /// Each discussion comment's helpfulness ratings and bridging status.
    pub(crate) comment_scores: std::collections::HashMap<String, commune_app::ideas::board::CommentScore>,
    /// The proposal's opinion map, and the idea it was promoted from: (id, title).
    pub(crate) opinion_map: Option<String>,
    pub(crate) from_idea: Option<(String, String)>,
}

impl ProposalPage {
    /// Whether the viewer may rate a comment by `author` (members, not their own).
    pub(crate) fn may_rate(&self, author: &str) -> bool {
        self.page.viewer.as_ref().is_some_and(|v| v.handle != author)
    }

    pub(crate) fn is(&self, key: &str, value: &str) -> bool {
        self.prefill.get(key).is_some_and(|v| v == value)
    }

    pub(crate) fn at(&self, prefix: &str, i: &usize) -> String {
        self.prefill.get(&format!("{prefix}_{i}")).cloned().unwrap_or_default()
    }

    pub(crate) fn picked(&self, prefix: &str, i: &usize, value: &usize) -> bool {
        self.at(prefix, i) == value.to_string()
    }
}

pub(crate) fn method_kind(m: &VotingMethod) -> (&'static str, u32) {
    match m {
        VotingMethod::YesNo { .. } => ("yes_no", 0),
        VotingMethod::Consent { .. } => ("consent", 0),
        VotingMethod::SingleChoice => ("single_choice", 0),
        VotingMethod::Approval => ("approval", 0),
        VotingMethod::Score => ("score", 0),
        VotingMethod::Ranked { .. } => ("ranked", 0),
        VotingMethod::Quadratic { credits } => ("quadratic", *credits),
        VotingMethod::Points { budget } => ("points", *budget),
    }
}

pub(crate) async fn proposal_page(
    state: &AppState,
    web: &Web,
    id: &str,
    errors: Vec<String>,
) -> Result<ProposalPage, WebError> {
    let (p, org) = governance::visible(state, &web.caller, id).await?;
    let me = web.caller.member();
    let role = match me {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await?,
        None => None,
    };
    let weights = state.store.weights(id).await?;
    let eligible = me.is_some_and(|me| weights.iter().any(|(m, _, _)| *m == me.member.id));
    let ballots = state.store.ballots(id).await?;
    let ballots_cast = ballots.len();
    // On a public ballot, members can see who has not voted yet (and remind them); a secret
    // ballot shows only the count.
    let not_voted = if p.phase == Phase::Voting && !p.secret {
        let voted: std::collections::HashSet<&str> = ballots.iter().map(|b| b.voter_id.as_str()).collect();
        let missing: Vec<String> =
            weights.iter().map(|(m, _, _)| m.clone()).filter(|m| !voted.contains(m.as_str())).collect();
        state.store.handles_of(&missing).await?
    } else {
        Vec::new()
    };
    let (kind, credits) = method_kind(&p.method);
    let my = governance::my_receipt(state, &web.caller, &p).await?;
    let stored: Option<Ballot> = my.as_ref().and_then(|r| serde_json::from_value(r.ballot.clone()).ok());
    let prefill = stored.as_ref().map(ballot_form::prefill).unwrap_or_default();
    let options: Vec<(usize, String)> = p.options.iter().cloned().enumerate().collect();
    // Ranked ballots show two lists: the voter's ranking (in order) and what is not ranked yet.
    let (mut ranked, mut unranked) = (Vec::new(), Vec::new());
    for (i, name) in &options {
        match prefill.get(&format!("rank_{i}")).and_then(|r| r.parse::<usize>().ok()) {
            Some(place) => ranked.push((*i, name.clone(), place)),
            None => unranked.push((*i, name.clone())),
        }
    }
    ranked.sort_by_key(|(i, _, place)| (*place, *i));
    let results = match governance::results(state, &web.caller, id).await? {
        Some(r) => Some(results_view(state, &p, r).await?),
        None => None,
    };
    Ok(ProposalPage {
        page: web.page(p.title.clone(), "orgs"),
        body_html: crate::markdown::to_html(&p.body),
        constitutional: p.effect.is_constitutional(p.kind),
        is_author: me.is_some_and(|me| me.member.id == p.author_id),
        is_steward: role == Some(Role::Steward),
        eligible,
        can_vote: p.phase == Phase::Voting && eligible && commune_store::now_ms() < p.voting_closes_at,
        can_discuss: role.is_some() && !matches!(p.phase, Phase::Draft | Phase::Cancelled),
        method_kind: kind,
        credits,
        options,
        ranked,
        unranked,
        my: my.map(|r| MyBallot::of(r, &p.options)),
        prefill,
        results,
        comments: state.store.comments(id).await?.into_iter().map(Into::into).collect(),
        remote_replies: commune_app::federation::replies(state, &web.caller, id).await?,
        ballots_cast,
        not_voted,
        eligible_count: weights.len(),
        errors,
        floors: p.floors.map(|f| floors_in_words(&f, &p.method)),
        cited: commune_app::learn::library::cited_in(state, id).await?,
        comment_scores: commune_app::ideas::board::comment_scores(state, &web.caller, &p).await?,
        opinion_map: state.store.conversation_for_proposal(id).await?.map(|c| c.id),
        from_idea: state.store.idea_for_proposal(id).await?.map(|i| (i.id, i.title)),
        p,
    })
}

/// Floors for people: durations in hours or days, fractions in percent.
pub(crate) fn floors_in_words(f: &Floors, method: &VotingMethod) -> (String, String, String, String, usize) {
    let span = |ms: i64| {
        let hours = ms as f64 / 3_600_000.0;
        if hours >= 48.0 { format!("{} days", number(hours / 24.0)) } else { format!("{} hours", number(hours)) }
    };
    let percent = |ppm: u64| format!("{}%", number(ppm as f64 / 10_000.0));
    let support = if method.has_options() { String::new() } else { percent(f.support_ppm) };
    (span(f.discussion_ms), span(f.voting_ms), percent(f.quorum_ppm), support, f.min_voters)
}

pub async fn show(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&proposal_page(&state, &web, &id, Vec::new()).await?))
}

/// After a proposal action: redirect to `to`, or re-render the proposal with the problem.
pub(crate) async fn then_redirect(
    state: &AppState,
    web: &Web,
    id: &str,
    result: Result<(), AppError>,
    to: String,
) -> WebResult {
    match result {
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(e) => proposal_problem(state, web, id, e).await,
    }
}

/// Re-renders the proposal with the problems of a form, or shows an error page.
pub(crate) async fn proposal_problem(state: &AppState, web: &Web, id: &str, e: AppError) -> WebResult {
    let status = crate::error::status(&e);
    let errors = crate::web::frame::form_problems(e)?;
    Ok((status, render(&proposal_page(state, web, id, errors).await?)).into_response())
}

pub async fn publish(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<crate::web::frame::CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = governance::publish(&state, &web.caller, &id).await.map(|_| ());
    then_redirect(&state, &web, &id, result, format!("/p/{id}?done=published")).await
}

pub async fn cancel(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<crate::web::frame::CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = governance::cancel(&state, &web.caller, &id).await.map(|_| ());
    then_redirect(&state, &web, &id, result, format!("/p/{id}?done=cancelled")).await
}

#[derive(Debug, serde::Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) body: String,
    #[serde(default)]
    pub(crate) form_key: String,
}

pub async fn comment(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = governance::comment(&state, &web.caller, &id, &form.body, Some(&form.form_key)).await;
    then_redirect(&state, &web, &id, result, format!("/p/{id}#discussion")).await
}
