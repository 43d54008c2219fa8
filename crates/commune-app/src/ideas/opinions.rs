//! Opinion maps, Pol.is style, for a proposal or a standalone conversation: members submit
//! short statements (a steward's go straight up; everyone else's wait, hidden, for a steward to
//! approve, and the author is told what happened), vote agree / disagree / pass once per
//! statement (changeable), and the page shows the map, the opinion groups, each group's
//! representative statements and the statements the groups agree on. A consensus statement
//! can seed a draft proposal.

use super::{draft_decision, org_by_id};
use crate::caller::Caller;
use crate::error::AppError;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::ideas::opinion::{self, Direction, MIN_VOTES, Vote};
use commune_domain::validation::{Invalid, text};
use commune_store::{Conversation, Org, Statement, StoreError};
use std::collections::HashMap;

pub const MAX_STATEMENT_CHARS: usize = 280;
/// Statements one member may have waiting for moderation in one conversation (no flooding the
/// moderators' queue).
pub const MAX_PENDING_PER_MEMBER: usize = 10;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ConversationInput {
    /// What the conversation is about (3–200 characters).
    pub topic: String,
    /// A proposal of the organisation to attach it to (one conversation per proposal).
    #[serde(default)]
    pub proposal_id: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StatementInput {
    /// A short statement others can agree or disagree with (3–280 characters).
    pub body: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct VoteInput {
    /// `agree`, `disagree` or `pass` (or 1, -1, 0).
    pub vote: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ModerateInput {
    /// `approve` or `reject`.
    pub decision: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StatementView {
    pub id: String,
    pub number: i64,
    pub body: String,
    /// `approved`, or — for its author and stewards — `pending` / `rejected`.
    pub state: String,
    pub mine: bool,
    pub agree: usize,
    pub disagree: usize,
    pub pass: usize,
    /// The caller's vote: 1, -1, 0.
    pub my_vote: Option<i64>,
    /// Group-informed consensus: the product over groups of each group's agree probability.
    pub group_consensus: f64,
    /// Each group's (smoothed) agree probability, in group order.
    pub group_agree: Vec<f64>,
    pub consensus: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MapPoint {
    pub x: f64,
    pub y: f64,
    pub group: Option<usize>,
    /// The caller's own point.
    pub me: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GroupView {
    pub id: usize,
    pub size: usize,
    /// Representative statements: (number, text, direction, share of the group voting that way).
    pub representative: Vec<(i64, String, String, f64)>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    #[schema(value_type = Object)]
    pub conversation: Conversation,
    pub org_slug: String,
    pub proposal_title: Option<String>,
    pub statements: Vec<StatementView>,
    /// Statements waiting for moderation (stewards only).
    pub pending: Vec<StatementView>,
    pub participants: usize,
    pub points: Vec<MapPoint>,
    pub groups: Vec<GroupView>,
    /// Consensus statements: (number, text, direction).
    pub consensus: Vec<(i64, String, String)>,
    pub silhouette: Option<f64>,
    pub steward: bool,
    /// How many more votes the caller needs to be placed in a group.
    pub votes_to_group: usize,
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<Conversation>), AppError> {
    let org = org_for(state, caller, slug, Action::Ideas).await?;
    let list = state.store.conversations(&org.id).await?;
    Ok((org, list))
}

pub async fn open(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &ConversationInput,
) -> Result<ConversationView, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Ideas).await?;
    let topic = text("topic", &input.topic, 3, 200, false)?;
    let proposal = input.proposal_id.trim();
    let proposal = if proposal.is_empty() {
        None
    } else {
        let p = state.store.proposal(proposal).await?;
        if p.as_ref().is_none_or(|p| p.org_id != org.id) {
            return Err(Invalid::new("proposal_id", "a proposal of this organisation").into());
        }
        if state.store.conversation_for_proposal(proposal).await?.is_some() {
            return Err(AppError::Rule("this proposal already has an opinion map".into()));
        }
        Some(proposal)
    };
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.open_conversation(&org.id, proposal, &topic).await?;
    tx.commit().await?;
    view(state, caller, &id).await
}

async fn conversation_of(state: &AppState, caller: &Caller, id: &str) -> Result<(Conversation, Org), AppError> {
    let c = state.store.conversation(id).await?.ok_or(AppError::NotFound("conversation"))?;
    let org = org_by_id(state, caller, &c.org_id, "conversation", Action::Ideas).await?;
    Ok((c, org))
}

/// The opinion map of a conversation, as the caller may see it.
pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<ConversationView, AppError> {
    let (c, org) = conversation_of(state, caller, id).await?;
    let me = match caller {
        Caller::Member(s) => Some(s.member.id.clone()),
        _ => None,
    };
    let steward = match &me {
        Some(m) => crate::learn::is_steward(state, &org, m).await?,
        None => false,
    };
    let statements = state.store.statements(&c.id).await?;
    let approved: Vec<&Statement> = statements.iter().filter(|s| s.state == "approved").collect();
    let index: HashMap<&str, usize> = approved.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let votes = state.store.statement_votes(&c.id).await?;
    let mut people: Vec<String> = votes.iter().map(|v| v.member_id.clone()).collect();
    people.sort();
    people.dedup();
    let person: HashMap<&str, usize> = people.iter().enumerate().map(|(i, p)| (p.as_str(), i)).collect();
    let counted: Vec<Vote> = votes
        .iter()
        .filter_map(|v| {
            Some(Vote {
                participant: person[v.member_id.as_str()],
                statement: *index.get(v.statement_id.as_str())?,
                value: v.vote as i8,
            })
        })
        .collect();
    let map = opinion::analyse(people.len(), approved.len(), &counted);
    let mine_at = me.as_ref().and_then(|m| person.get(m.as_str()).copied());
    let my_votes: HashMap<&str, i64> =
        votes.iter().filter(|v| Some(&v.member_id) == me.as_ref()).map(|v| (v.statement_id.as_str(), v.vote)).collect();
    let consensus: HashMap<usize, Direction> = map.consensus.iter().map(|p| (p.statement, p.direction)).collect();
    let direction = |d: Direction| match d {
        Direction::Agree => "agree".to_owned(),
        Direction::Disagree => "disagree".to_owned(),
    };
    let mut tallies: HashMap<(&str, i64), usize> = HashMap::new();
    for v in &votes {
        *tallies.entry((v.statement_id.as_str(), v.vote)).or_default() += 1;
    }
    let shown = |s: &Statement, i: Option<usize>| {
        let tally = |value: i64| tallies.get(&(s.id.as_str(), value)).copied().unwrap_or(0);
        StatementView {
            id: s.id.clone(),
            number: s.number,
            body: s.body.clone(),
            state: s.state.clone(),
            mine: Some(&s.author_id) == me.as_ref(),
            agree: tally(1),
            disagree: tally(-1),
            pass: tally(0),
            my_vote: my_votes.get(s.id.as_str()).copied(),
            group_consensus: i.map_or(0.0, |i| map.group_consensus[i][0]),
            group_agree: i.map_or_else(Vec::new, |i| map.group_agree.iter().map(|g| g[i]).collect()),
            consensus: i.and_then(|i| consensus.get(&i).copied()).map(direction),
        }
    };
    let visible: Vec<StatementView> = statements
        .iter()
        .filter(|s| s.state == "approved" || Some(&s.author_id) == me.as_ref())
        .map(|s| shown(s, index.get(s.id.as_str()).copied()))
        .collect();
    let pending = if steward {
        statements.iter().filter(|s| s.state == "pending").map(|s| shown(s, None)).collect()
    } else {
        Vec::new()
    };
    let groups = (0..map.group_count)
        .map(|g| GroupView {
            id: g,
            size: map.groups.iter().filter(|x| **x == Some(g)).count(),
            representative: map.repness[g]
                .iter()
                .map(|p| {
                    let share = p.successes as f64 / p.trials.max(1) as f64;
                    let s = approved[p.statement];
                    (s.number, s.body.clone(), direction(p.direction), share)
                })
                .collect(),
        })
        .collect();
    let my_count = mine_at.map_or(0, |i| counted.iter().filter(|v| v.participant == i).count());
    let proposal_title = match &c.proposal_id {
        Some(p) => state.store.proposal(p).await?.map(|p| p.title),
        None => None,
    };
    Ok(ConversationView {
        org_slug: org.slug,
        proposal_title,
        participants: people.len(),
        points: map
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| MapPoint { x: p[0], y: p[1], group: map.groups[i], me: Some(i) == mine_at })
            .collect(),
        groups,
        consensus: map
            .consensus
            .iter()
            .map(|p| (approved[p.statement].number, approved[p.statement].body.clone(), direction(p.direction)))
            .collect(),
        silhouette: map.silhouette,
        steward,
        votes_to_group: MIN_VOTES.saturating_sub(my_count).min(approved.len()),
        statements: visible,
        pending,
        conversation: c,
    })
}

/// Submits a statement: a steward's is approved at once, anyone else's waits for moderation.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &StatementInput,
) -> Result<ConversationView, AppError> {
    let me = caller.require_member()?;
    let (c, org) = conversation_of(state, caller, id).await?;
    let body = text("body", &input.body, 3, MAX_STATEMENT_CHARS, false)?;
    let state_of = if crate::learn::is_steward(state, &org, &me.member.id).await? { "approved" } else { "pending" };
    let waiting = state
        .store
        .statements(&c.id)
        .await?
        .iter()
        .filter(|s| s.author_id == me.member.id && s.state == "pending")
        .count();
    if state_of == "pending" && waiting >= MAX_PENDING_PER_MEMBER {
        return Err(AppError::Rule(format!(
            "you have {MAX_PENDING_PER_MEMBER} statements waiting for moderation here; wait for a steward"
        )));
    }
    // Two submissions racing for the next number: the loser retries with the one after.
    for attempt in 0..5 {
        let mut tx = state.store.write(&me.member.id).await?;
        match tx.add_statement(&c.id, &body, state_of).await {
            Ok(_) => {
                tx.commit().await?;
                return view(state, caller, id).await;
            }
            Err(StoreError::Conflict(_)) if attempt < 4 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Rule("too many statements at once; try again".into()))
}

/// Approves or rejects a pending statement (stewards; once).
pub async fn moderate(
    state: &AppState,
    caller: &Caller,
    statement_id: &str,
    input: &ModerateInput,
) -> Result<ConversationView, AppError> {
    let me = caller.require_member()?;
    let s = state.store.statement(statement_id).await?.ok_or(AppError::NotFound("statement"))?;
    let (c, org) = conversation_of(state, caller, &s.conversation_id).await?;
    if !crate::learn::is_steward(state, &org, &me.member.id).await? {
        return Err(AppError::Denied(Denied::Forbidden("only stewards moderate statements")));
    }
    let to = match input.decision.trim() {
        "approve" => "approved",
        "reject" => "rejected",
        _ => return Err(Invalid::new("decision", "approve or reject").into()),
    };
    let mut tx = state.store.write(&me.member.id).await?;
    tx.moderate_statement(&s.id, to, &s.author_id).await?;
    tx.commit().await?;
    view(state, caller, &c.id).await
}

/// Votes on an approved statement (one vote per member and statement; voting again changes it).
pub async fn vote(
    state: &AppState,
    caller: &Caller,
    statement_id: &str,
    input: &VoteInput,
) -> Result<ConversationView, AppError> {
    let me = caller.require_member()?;
    let s = state.store.statement(statement_id).await?.ok_or(AppError::NotFound("statement"))?;
    let (c, _) = conversation_of(state, caller, &s.conversation_id).await?;
    if s.state != "approved" {
        // A hidden statement stays hidden: the same answer as a missing one.
        return Err(AppError::NotFound("statement"));
    }
    let value = match input.vote.trim() {
        "agree" | "1" | "+1" => 1,
        "disagree" | "-1" => -1,
        "pass" | "0" => 0,
        _ => return Err(Invalid::new("vote", "agree, disagree or pass").into()),
    };
    let mut tx = state.store.write(&me.member.id).await?;
    tx.vote_statement(&s.id, value).await?;
    tx.commit().await?;
    view(state, caller, &c.id).await
}

/// Seeds a draft proposal from a consensus statement.
pub async fn seed_proposal(
    state: &AppState,
    caller: &Caller,
    statement_id: &str,
) -> Result<commune_store::Proposal, AppError> {
    caller.require_member()?;
    let s = state.store.statement(statement_id).await?.ok_or(AppError::NotFound("statement"))?;
    let (c, org) = conversation_of(state, caller, &s.conversation_id).await?;
    if s.state != "approved" {
        return Err(AppError::NotFound("statement"));
    }
    let map = view(state, caller, &c.id).await?;
    let Some((_, _, direction)) = map.consensus.iter().find(|(n, _, _)| *n == s.number) else {
        return Err(AppError::Rule("only a consensus statement seeds a proposal".into()));
    };
    let title = if direction == "agree" { s.body.clone() } else { format!("Not: {}", s.body) };
    let body = format!(
        "The opinion map “{}” found consensus ({direction}) on statement #{}: “{}”.\n\n[See the map](/conversations/{}).",
        c.topic, s.number, s.body, c.id
    );
    draft_decision(state, caller, &org, &title, &body, "general").await
}
