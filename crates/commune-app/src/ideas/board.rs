//! The idea board: members post ideas, discuss and rate them (helpful: yes / somewhat / no),
//! and an idea can be promoted to a draft proposal that links back to it. Each idea shows three
//! rankings side by side — equal-weight (the plain mean), merit-weight (raters weighted by
//! believability in the idea's domain, the same weights merit votes use) and bridging (the
//! intercept of the Community Notes model, with its status). The same helpfulness ratings and
//! bridging model score the discussion comments on proposals.

use super::{draft_decision, org_by_id};
use crate::caller::Caller;
use crate::error::AppError;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::ideas::bridge::{self, Helpfulness, Rating, Status};
use commune_domain::validation::{Violations, text};
use commune_store::{Bridging, HelpfulnessRow, Idea, Org, Post};
use std::collections::HashMap;

pub const IDEA: &str = "idea";
pub const COMMENT: &str = "comment";

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct IdeaInput {
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub domain: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RatingInput {
    /// `yes`, `somewhat` or `no` (or 1, 0.5, 0).
    pub helpful: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BridgingScore {
    pub intercept: f64,
    pub factor: f64,
    /// `helpful`, `not_helpful` or `needs_more`.
    pub status: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IdeaCard {
    #[schema(value_type = Object)]
    pub idea: Idea,
    pub author: String,
    pub ratings: usize,
    /// Mean helpfulness (0–1), everyone counting the same.
    pub equal: Option<f64>,
    /// Mean helpfulness weighted by believability in the idea's domain.
    pub merit: Option<f64>,
    pub bridging: Option<BridgingScore>,
    /// Positions (1 = top) in each ranking among rated ideas: equal, merit, bridging.
    pub ranks: [Option<usize>; 3],
    /// The caller's own rating.
    pub mine: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Board {
    pub org_slug: String,
    pub org_name: String,
    pub ideas: Vec<IdeaCard>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IdeaView {
    pub card: IdeaCard,
    pub org_slug: String,
    #[schema(value_type = Vec<Object>)]
    pub comments: Vec<(String, Post)>,
    /// Whether the caller may promote it (its author or a steward, while not promoted).
    pub may_promote: bool,
}

fn halves(h: Helpfulness) -> i64 {
    (h.value() * 2.0) as i64
}

fn helpfulness(halves: i64) -> Helpfulness {
    match halves {
        2 => Helpfulness::Yes,
        1 => Helpfulness::Somewhat,
        _ => Helpfulness::No,
    }
}

/// Every idea of an organisation with its three scores and ranks.
async fn cards(state: &AppState, caller: &Caller, org: &Org, ideas: Vec<Idea>) -> Result<Vec<IdeaCard>, AppError> {
    let handles = crate::learn::handles(state, &org.id).await?;
    let ratings = state.store.helpfulness(&org.id, IDEA).await?;
    let bridging: HashMap<String, Bridging> =
        state.store.bridging(&org.id, IDEA).await?.into_iter().map(|b| (b.target_id.clone(), b)).collect();
    let mut by_idea: HashMap<&str, Vec<&HelpfulnessRow>> = HashMap::new();
    for r in &ratings {
        by_idea.entry(r.target_id.as_str()).or_default().push(r);
    }
    let member_ids: Vec<String> = handles.keys().cloned().collect();
    let mut weights_by_domain: HashMap<String, HashMap<String, f64>> = HashMap::new();
    let me = match caller {
        Caller::Member(s) => Some(s.member.id.clone()),
        _ => None,
    };
    let mut out = Vec::with_capacity(ideas.len());
    for idea in ideas {
        let rs = by_idea.get(idea.id.as_str()).cloned().unwrap_or_default();
        if !weights_by_domain.contains_key(&idea.domain) {
            let (w, _, _) = crate::merit::domain_weights(&state.store, &idea.domain, &member_ids).await?;
            weights_by_domain.insert(idea.domain.clone(), member_ids.iter().cloned().zip(w).collect());
        }
        let weights = &weights_by_domain[&idea.domain];
        let value = |r: &HelpfulnessRow| r.halves as f64 / 2.0;
        let equal = (!rs.is_empty()).then(|| rs.iter().map(|r| value(r)).sum::<f64>() / rs.len() as f64);
        let total: f64 = rs.iter().map(|r| weights.get(&r.rater_id).copied().unwrap_or(0.0)).sum();
        let merit = (total > 0.0).then(|| {
            rs.iter().map(|r| weights.get(&r.rater_id).copied().unwrap_or(0.0) * value(r)).sum::<f64>() / total
        });
        let mine = me
            .as_ref()
            .and_then(|m| rs.iter().find(|r| &r.rater_id == m))
            .map(|r| helpfulness(r.halves).as_str().to_owned());
        out.push(IdeaCard {
            author: handles.get(&idea.author_id).cloned().unwrap_or_else(|| "former member".into()),
            ratings: rs.len(),
            equal,
            merit,
            bridging: bridging.get(&idea.id).map(|b| BridgingScore {
                intercept: b.intercept,
                factor: b.factor,
                status: b.status.clone(),
            }),
            ranks: [None; 3],
            mine,
            idea,
        });
    }
    let keys: [fn(&IdeaCard) -> Option<f64>; 3] =
        [|c| c.equal, |c| c.merit, |c| c.bridging.as_ref().filter(|_| c.ratings > 0).map(|b| b.intercept)];
    for (k, key) in keys.iter().enumerate() {
        let mut order: Vec<(usize, f64)> = out.iter().enumerate().filter_map(|(i, c)| key(c).map(|v| (i, v))).collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (rank, (i, _)) in order.into_iter().enumerate() {
            out[i].ranks[k] = Some(rank + 1);
        }
    }
    Ok(out)
}

pub async fn board(state: &AppState, caller: &Caller, slug: &str) -> Result<Board, AppError> {
    let org = org_for(state, caller, slug, Action::Ideas).await?;
    let ideas = state.store.ideas(&org.id).await?;
    let mut ideas = cards(state, caller, &org, ideas).await?;
    // Newest first, but the bridging favourites on top.
    ideas.sort_by_key(|c| c.ranks[2].unwrap_or(usize::MAX));
    Ok(Board { org_slug: org.slug, org_name: org.name, ideas })
}

pub async fn post(state: &AppState, caller: &Caller, slug: &str, input: &IdeaInput) -> Result<IdeaView, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Ideas).await?;
    let mut v = Violations::default();
    let title = v.check(text("title", &input.title, 3, 160, false));
    let body = v.check(text("body", &input.body, 1, 8_000, true));
    let domain = v.check(super::domain(&input.domain));
    v.into_result()?;
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx
        .post_idea(&org.id, &title.unwrap_or_default(), &body.unwrap_or_default(), &domain.unwrap_or_default())
        .await?;
    tx.commit().await?;
    view(state, caller, &id).await
}

async fn idea_of(state: &AppState, caller: &Caller, id: &str) -> Result<(Idea, Org), AppError> {
    let idea = state.store.idea(id).await?.ok_or(AppError::NotFound("idea"))?;
    let org = org_by_id(state, caller, &idea.org_id, "idea", Action::Ideas).await?;
    Ok((idea, org))
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<IdeaView, AppError> {
    let (idea, org) = idea_of(state, caller, id).await?;
    let all = state.store.ideas(&org.id).await?;
    let card = cards(state, caller, &org, all).await?.into_iter().find(|c| c.idea.id == idea.id);
    let card = card.ok_or(AppError::NotFound("idea"))?;
    let handles = crate::learn::handles(state, &org.id).await?;
    let comments = state
        .store
        .idea_comments(&idea.id)
        .await?
        .into_iter()
        .map(|c| (handles.get(&c.author_id).cloned().unwrap_or_else(|| "former member".into()), c))
        .collect();
    let may_promote = idea.proposal_id.is_none() && may_promote(state, caller, &idea, &org).await?;
    Ok(IdeaView { card, org_slug: org.slug, comments, may_promote })
}

async fn may_promote(state: &AppState, caller: &Caller, idea: &Idea, org: &Org) -> Result<bool, AppError> {
    let Caller::Member(me) = caller else { return Ok(false) };
    Ok(idea.author_id == me.member.id || crate::learn::is_steward(state, org, &me.member.id).await?)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CommentInput {
    pub body: String,
}

pub async fn comment(state: &AppState, caller: &Caller, id: &str, input: &CommentInput) -> Result<IdeaView, AppError> {
    let me = caller.require_member()?;
    let (idea, _) = idea_of(state, caller, id).await?;
    let body = text("body", &input.body, 1, 4_000, true)?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.comment_idea(&idea.id, &body).await?;
    tx.commit().await?;
    view(state, caller, id).await
}

/// Refits the bridging model over every rating of one kind in an organisation and stores each
/// item's status, holding a status through small moves (hysteresis).
pub(crate) async fn refit(state: &AppState, org_id: &str, kind: &str, actor: &str) -> Result<(), AppError> {
    let rows = state.store.helpfulness(org_id, kind).await?;
    let previous: HashMap<String, Bridging> =
        state.store.bridging(org_id, kind).await?.into_iter().map(|b| (b.target_id.clone(), b)).collect();
    let mut raters = commune_domain::ideas::Interner::default();
    let mut items = commune_domain::ideas::Interner::default();
    let ratings: Vec<Rating> = rows
        .iter()
        .map(|r| Rating { rater: raters.id(&r.rater_id), item: items.id(&r.target_id), value: r.halves as f64 / 2.0 })
        .collect();
    let fit = bridge::fit(raters.len(), items.len(), &ratings);
    let scored: Vec<Bridging> = items
        .names()
        .iter()
        .enumerate()
        .map(|(n, target)| {
            let before = previous.get(target).and_then(|b| Status::parse(&b.status));
            Bridging {
                target_id: target.clone(),
                status: fit.status(n, before).as_str().to_owned(),
                intercept: fit.item_intercepts[n],
                factor: fit.item_factors[n],
                ratings: fit.item_ratings[n] as i64,
                updated_at: 0,
            }
        })
        .collect();
    let mut tx = state.store.write(actor).await?;
    tx.set_bridging(org_id, kind, &scored).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn rate(state: &AppState, caller: &Caller, id: &str, input: &RatingInput) -> Result<IdeaView, AppError> {
    let me = caller.require_member()?;
    let (idea, org) = idea_of(state, caller, id).await?;
    if idea.author_id == me.member.id {
        return Err(AppError::Rule("you cannot rate your own idea".into()));
    }
    let h = Helpfulness::parse("helpful", &input.helpful)?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.rate_helpfulness(&org.id, IDEA, &idea.id, halves(h)).await?;
    tx.commit().await?;
    refit(state, &org.id, IDEA, &me.member.id).await?;
    view(state, caller, id).await
}

/// Promotes the idea to a draft proposal (its author or a steward; once — two racing promotions
/// give one proposal, the other draft is cancelled).
pub async fn promote(state: &AppState, caller: &Caller, id: &str) -> Result<IdeaView, AppError> {
    let me = caller.require_member()?;
    let (idea, org) = idea_of(state, caller, id).await?;
    if !may_promote(state, caller, &idea, &org).await? {
        return Err(AppError::Denied(Denied::Forbidden("only the idea's author or a steward promotes it")));
    }
    if idea.proposal_id.is_some() {
        return Err(AppError::Rule("this idea is already a proposal".into()));
    }
    let body = format!("{}\n\n*Promoted from the idea [{}](/ideas/{}).*", idea.body, idea.title, idea.id);
    let proposal = draft_decision(state, caller, &org, &idea.title, &body, &idea.domain).await?;
    let mut tx = state.store.write(&me.member.id).await?;
    let linked = tx.promote_idea(&idea.id, &proposal.id).await;
    match linked {
        Ok(()) => tx.commit().await?,
        Err(e) => {
            drop(tx);
            crate::governance::cancel(state, caller, &proposal.id).await?;
            return Err(e.into());
        }
    }
    view(state, caller, id).await
}

/// Rates a discussion comment on a proposal (members of its organisation, not its author).
pub async fn rate_comment(
    state: &AppState,
    caller: &Caller,
    comment_id: &str,
    input: &RatingInput,
) -> Result<HashMap<String, CommentScore>, AppError> {
    let me = caller.require_member()?;
    let (proposal_id, author) = state.store.comment_proposal(comment_id).await?.ok_or(AppError::NotFound("comment"))?;
    let (proposal, org) = crate::governance::visible(state, caller, &proposal_id).await?;
    caller.authorize(state, Some(&org), Action::Ideas).await?;
    if author == me.member.id {
        return Err(AppError::Rule("you cannot rate your own comment".into()));
    }
    let h = Helpfulness::parse("helpful", &input.helpful)?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.rate_helpfulness(&org.id, COMMENT, comment_id, halves(h)).await?;
    tx.commit().await?;
    refit(state, &org.id, COMMENT, &me.member.id).await?;
    comment_scores(state, caller, &proposal).await
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CommentScore {
    pub ratings: i64,
    pub status: String,
    pub intercept: f64,
    pub mine: Option<String>,
}

/// The bridging status of each discussion comment of a proposal (comment id → score).
pub async fn comment_scores(
    state: &AppState,
    caller: &Caller,
    proposal: &commune_store::Proposal,
) -> Result<HashMap<String, CommentScore>, AppError> {
    let ids: std::collections::HashSet<String> =
        state.store.comments(&proposal.id).await?.into_iter().map(|c| c.id).collect();
    let bridging = state.store.bridging(&proposal.org_id, COMMENT).await?;
    let mine: HashMap<String, i64> = match caller {
        Caller::Member(s) => state
            .store
            .helpfulness(&proposal.org_id, COMMENT)
            .await?
            .into_iter()
            .filter(|r| r.rater_id == s.member.id && ids.contains(&r.target_id))
            .map(|r| (r.target_id, r.halves))
            .collect(),
        _ => HashMap::new(),
    };
    let mut out: HashMap<String, CommentScore> = HashMap::new();
    for b in bridging.into_iter().filter(|b| ids.contains(&b.target_id)) {
        let m = mine.get(&b.target_id).map(|h| helpfulness(*h).as_str().to_owned());
        out.insert(b.target_id, CommentScore { ratings: b.ratings, status: b.status, intercept: b.intercept, mine: m });
    }
    Ok(out)
}
