//! The library: lessons and principles, their revisions and diffs, suggested revisions (merged
//! by a maintainer — the author or a steward — or, on a principle or above the policy
//! `learn_vote_chars`, decided by a vote), citations, ratings with both tallies, search.

use super::{handles, is_steward, org_by_id};
use crate::caller::Caller;
use crate::error::AppError;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::learn::library::{self, Kind, Route, Text};
use commune_domain::validation::{Invalid, Violations, text};
use commune_domain::work::task;
use commune_store::{Doc, DocText, NewCard, Org, Revision};

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DocInput {
    /// `lesson` (default) or `principle`.
    #[serde(default)]
    pub kind: String,
    /// A lesson's title or a principle's statement (3–160 characters).
    pub title: String,
    /// Markdown: a lesson's text or a principle's reasoning. `{{gaps}}` and `Q:`/`A:` lines
    /// become review cards.
    pub body: String,
    #[serde(default)]
    pub examples: String,
    #[serde(default)]
    pub counter_examples: String,
    /// Up to five domains, comma-separated.
    #[serde(default)]
    pub domains: String,
    #[serde(default)]
    pub tags: String,
    /// A private draft only its author sees until published.
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct EditInput {
    /// The revision the edit was written against (a stale one is refused).
    pub base: i64,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub examples: String,
    #[serde(default)]
    pub counter_examples: String,
    #[serde(default)]
    pub note: String,
}

fn text_of(t: &Text) -> DocText<'_> {
    DocText { title: &t.title, body: &t.body, examples: &t.examples, counter_examples: &t.counter_examples }
}

fn cards_of(kind: Kind, t: &Text) -> Vec<library::CardText> {
    library::cards(kind, t)
}

fn new_cards(cards: &[library::CardText]) -> Vec<NewCard<'_>> {
    cards.iter().map(|c| NewCard { kind: c.kind, front: &c.front, back: &c.back }).collect()
}

fn kind_of(doc: &Doc) -> Kind {
    Kind::parse(&doc.kind).unwrap_or(Kind::Lesson)
}

fn doc_text(doc: &Doc) -> Text {
    Text {
        title: doc.title.clone(),
        body: doc.body.clone(),
        examples: doc.examples.clone(),
        counter_examples: doc.counter_examples.clone(),
    }
}

fn revision_text(r: &Revision) -> Text {
    Text {
        title: r.title.clone(),
        body: r.body.clone(),
        examples: r.examples.clone(),
        counter_examples: r.counter_examples.clone(),
    }
}

/// A document the caller may read: a member of its organisation, and its author while a draft.
pub async fn readable(state: &AppState, caller: &Caller, id: &str) -> Result<(Doc, Org), AppError> {
    let doc = state.store.learn_doc(id).await?.ok_or(AppError::NotFound("document"))?;
    let org = org_by_id(state, caller, &doc.org_id, "document").await?;
    let me = caller.require_member()?;
    if !doc.published && doc.author_id != me.member.id {
        return Err(AppError::NotFound("document"));
    }
    Ok((doc, org))
}

/// Whether `member_id` maintains `doc`: its author or a steward of its organisation.
pub async fn maintains(state: &AppState, org: &Org, doc: &Doc, member_id: &str) -> Result<bool, AppError> {
    Ok(doc.author_id == member_id || is_steward(state, org, member_id).await?)
}

pub async fn create(state: &AppState, caller: &Caller, slug: &str, input: &DocInput) -> Result<Doc, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Learn).await?;
    let mut v = Violations::default();
    let kind = v.check(Kind::parse(&input.kind));
    let raw = Text {
        title: input.title.clone(),
        body: input.body.clone(),
        examples: input.examples.clone(),
        counter_examples: input.counter_examples.clone(),
    };
    let checked = match kind {
        Some(k) => match raw.checked(k) {
            Ok(t) => Some(t),
            Err(e) => {
                v.0.extend(e.0);
                None
            }
        },
        None => None,
    };
    let domains = v.check(task::domains(&input.domains));
    let tags = v.check(library::tags(&input.tags));
    v.into_result()?;
    let (Some(kind), Some(t), Some(domains), Some(tags)) = (kind, checked, domains, tags) else {
        unreachable!("validated")
    };
    let cards = cards_of(kind, &t);
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx
        .create_doc(
            &org.id,
            kind.as_str(),
            &text_of(&t),
            &domains,
            &tags,
            !input.draft,
            &library::links(&t.body),
            &new_cards(&cards),
        )
        .await?;
    tx.commit().await?;
    state.store.learn_doc(&id).await?.ok_or(AppError::NotFound("document"))
}

/// The organisation's library (published documents and the caller's drafts), or a search.
pub async fn list(state: &AppState, caller: &Caller, slug: &str, q: Option<&str>) -> Result<(Org, Vec<Doc>), AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Learn).await?;
    let docs = match q.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => {
            let q = text("q", q, 1, 200, false)?;
            state.store.search_docs(&org.id, &q).await?
        }
        None => state.store.learn_docs(&org.id, &me.member.id).await?,
    };
    Ok((org, docs))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub attribute: String,
    pub raters: usize,
    /// The plain mean score.
    pub equal: f64,
    /// The mean weighted by each rater's believability in the document's domains.
    pub believability: f64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DocView {
    #[schema(value_type = Object)]
    pub doc: Doc,
    pub author: String,
    #[schema(value_type = Vec<Object>)]
    pub revisions: Vec<Revision>,
    /// Handles of everyone whose revisions were merged (authors credited).
    pub contributors: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub citations: Vec<commune_store::Citation>,
    pub links_to: Vec<(String, String)>,
    pub linked_from: Vec<(String, String)>,
    pub ratings: Vec<Tally>,
    pub cards: usize,
    pub maintainer: bool,
    pub route_threshold: f64,
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<(Org, DocView), AppError> {
    let me = caller.require_member()?;
    let (doc, org) = readable(state, caller, id).await?;
    let names = handles(state, &org.id).await?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| "someone".into());
    let revisions = state.store.learn_revisions(id).await?;
    let mut contributors: Vec<String> = Vec::new();
    for r in revisions.iter().filter(|r| r.status == "merged") {
        let n = name(&r.author_id);
        if !contributors.contains(&n) {
            contributors.push(n);
        }
    }
    let (links_to, linked_from) = state.store.learn_links(id).await?;
    let ratings = tallies(state, &doc).await?;
    let maintainer = maintains(state, &org, &doc, &me.member.id).await?;
    let route_threshold = crate::policy::of_org(&state.store, &org.id).await?.get("learn_vote_chars");
    Ok((
        org,
        DocView {
            author: name(&doc.author_id),
            cards: state.store.learn_cards_of(id).await?.len(),
            citations: state.store.learn_citations(id).await?,
            doc,
            revisions,
            contributors,
            links_to,
            linked_from,
            ratings,
            maintainer,
            route_threshold,
        },
    ))
}

async fn tallies(state: &AppState, doc: &Doc) -> Result<Vec<Tally>, AppError> {
    let ratings = state.store.learn_ratings(&doc.id).await?;
    let attributes = state.store.attributes().await?;
    let mut weights: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
    for d in &doc.domains {
        for b in state.store.believability_in(d).await? {
            *weights.entry(b.member_id).or_default() += b.estimate.max(0.05) / doc.domains.len() as f64;
        }
    }
    let mut out = Vec::new();
    for a in attributes.iter().filter(|a| a.active) {
        let mine: Vec<_> = ratings.iter().filter(|r| r.attribute_id == a.key).collect();
        if mine.is_empty() {
            continue;
        }
        let n = mine.len() as f64;
        let equal = mine.iter().map(|r| r.score as f64).sum::<f64>() / n;
        let w = |m: &str| weights.get(m).copied().unwrap_or(if doc.domains.is_empty() { 1.0 } else { 0.05 });
        let total: f64 = mine.iter().map(|r| w(&r.member_id)).sum();
        let weighted = mine.iter().map(|r| w(&r.member_id) * r.score as f64).sum::<f64>() / total.max(1e-12);
        out.push(Tally { attribute: a.name.clone(), raters: mine.len(), equal, believability: weighted });
    }
    Ok(out)
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Diff {
    pub from: i64,
    pub to: i64,
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<library::Line>,
}

/// The diff between two revisions of a document (numbers of merged revisions; `to` may also
/// be a pending revision's id, diffed against its base).
pub async fn diff(state: &AppState, caller: &Caller, id: &str, from: i64, to: &str) -> Result<Diff, AppError> {
    readable(state, caller, id).await?;
    let revisions = state.store.learn_revisions(id).await?;
    let by_number = |n: i64| revisions.iter().find(|r| r.number == Some(n));
    let target = match to.parse::<i64>() {
        Ok(n) => by_number(n),
        Err(_) => revisions.iter().find(|r| r.id == to),
    }
    .ok_or(AppError::NotFound("revision"))?;
    let from = if to.parse::<i64>().is_err() && from == 0 { target.base } else { from };
    let old = by_number(from).ok_or(AppError::NotFound("revision"))?;
    Ok(Diff {
        from,
        to: target.number.unwrap_or(0),
        lines: library::diff(&revision_text(old).document(), &revision_text(target).document()),
    })
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EditOutcome {
    /// `merged` (a maintainer's edit or a small suggestion they merged), `pending` (waiting for
    /// a maintainer) or `voting` (a vote decides).
    pub status: String,
    #[schema(value_type = Object)]
    pub revision: Revision,
    pub proposal_id: Option<String>,
}

/// Edits a document: a maintainer's edit of a lesson within the policy's size merges at once;
/// anyone else's edit is a suggested revision; a principle, or a bigger change, goes to a vote.
pub async fn edit(state: &AppState, caller: &Caller, id: &str, input: &EditInput) -> Result<EditOutcome, AppError> {
    let me = caller.require_member()?;
    let (doc, org) = readable(state, caller, id).await?;
    let kind = kind_of(&doc);
    let raw = Text {
        title: input.title.clone(),
        body: input.body.clone(),
        examples: input.examples.clone(),
        counter_examples: input.counter_examples.clone(),
    };
    let t = raw.checked(kind)?;
    let note = text("note", &input.note, 0, 300, false)?;
    if input.base != doc.revision {
        return Err(AppError::Conflict("a newer revision of this document; reload it and edit that"));
    }
    if t == doc_text(&doc) {
        return Err(Invalid::new("body", "nothing changed").into());
    }
    let maintainer = maintains(state, &org, &doc, &me.member.id).await?;
    let change = library::change_size(&doc_text(&doc).document(), &t.document());
    let limit = crate::policy::of_org(&state.store, &org.id).await?.get("learn_vote_chars") as usize;
    let route = if doc.published { library::route(kind, change, limit) } else { Route::Maintainer };
    // One open suggestion per member and document: nobody floods the maintainers or the docket.
    let open_of_mine = state
        .store
        .learn_revisions(id)
        .await?
        .into_iter()
        .any(|r| r.author_id == me.member.id && (r.status == "pending" || r.status == "voting"));
    if open_of_mine && !(maintainer && route == Route::Maintainer) {
        return Err(AppError::Rule(
            "you already have a suggestion waiting on this document: wait for it to be decided".into(),
        ));
    }
    let cards = cards_of(kind, &t);
    let mut tx = state.store.write(&me.member.id).await?;
    let revision_id = if maintainer && route == Route::Maintainer {
        tx.edit_doc(id, doc.revision, &text_of(&t), &note, &library::links(&t.body), &new_cards(&cards))
            .await?
            .ok_or(AppError::Conflict("a newer revision of this document; reload it and edit that"))?
    } else {
        tx.suggest_revision(id, doc.revision, &text_of(&t), &note).await?
    };
    tx.commit().await?;
    let mut proposal_id = None;
    if route == Route::Vote {
        let title = format!("Revise the {} “{}”", kind.as_str(), doc.title.chars().take(60).collect::<String>());
        let body = format!(
            "A suggested revision of [{}](/learn/{}) ({change} characters changed{}): yes merges it, no rejects it.",
            doc.title,
            doc.id,
            if kind == Kind::Principle { "; every change to a principle is voted on" } else { "" }
        );
        let domain = doc.domains.first().cloned().unwrap_or_else(|| "learning".into());
        let proposal = crate::expenses::decision_vote(state, caller, &org, &title, &body, &domain).await?;
        let mut tx = state.store.write(&me.member.id).await?;
        tx.set_revision_vote(&revision_id, &proposal.id).await?;
        tx.commit().await?;
        proposal_id = Some(proposal.id);
    }
    let revision = state.store.learn_revision(&revision_id).await?.ok_or(AppError::NotFound("revision"))?;
    Ok(EditOutcome { status: revision.status.clone(), revision, proposal_id })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DecideInput {
    /// `merge` or `reject`.
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

/// A maintainer merges or rejects a pending suggested revision (not one being voted on).
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    revision_id: &str,
    input: &DecideInput,
) -> Result<Revision, AppError> {
    let me = caller.require_member()?;
    let r = state.store.learn_revision(revision_id).await?.ok_or(AppError::NotFound("revision"))?;
    let (doc, org) = readable(state, caller, &r.doc_id).await?;
    if !maintains(state, &org, &doc, &me.member.id).await? {
        return Err(AppError::Denied(Denied::Forbidden("only the document's author or a steward merges or rejects")));
    }
    if r.status != "pending" {
        return Err(AppError::Rule(format!("this revision is {}: only a pending one is decided here", r.status)));
    }
    let note = text("note", &input.note, 0, 300, false)?;
    let mut tx = state.store.write(&me.member.id).await?;
    let done = match input.decision.trim() {
        "merge" => {
            let t = revision_text(&r);
            let cards = cards_of(kind_of(&doc), &t);
            tx.merge_revision(revision_id, &doc.id, r.base, &text_of(&t), &library::links(&t.body), &new_cards(&cards))
                .await?
        }
        "reject" => tx.reject_revision(revision_id, &note).await?,
        _ => return Err(Invalid::new("decision", "merge or reject").into()),
    };
    if !done {
        return Err(AppError::Conflict(
            "the document or the revision changed first: a newer revision exists; reload it",
        ));
    }
    tx.commit().await?;
    state.store.learn_revision(revision_id).await?.ok_or(AppError::NotFound("revision"))
}

/// Publishes the caller's draft.
pub async fn publish(state: &AppState, caller: &Caller, id: &str) -> Result<Doc, AppError> {
    let me = caller.require_member()?;
    let (doc, _) = readable(state, caller, id).await?;
    if doc.author_id != me.member.id {
        return Err(AppError::Denied(Denied::Forbidden("only its author publishes a draft")));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    if !tx.publish_doc(id).await? {
        return Err(AppError::Rule("it is already published".into()));
    }
    tx.commit().await?;
    state.store.learn_doc(id).await?.ok_or(AppError::NotFound("document"))
}

/// Merges or rejects suggested revisions whose vote finished (called by the scheduler).
pub async fn follow_votes(state: &AppState) -> Result<usize, AppError> {
    let mut moved = 0;
    for r in state.store.revisions_awaiting_votes().await? {
        let Some(pid) = &r.proposal_id else { continue };
        let Some((passed, outcome)) = crate::governance::decided(state, pid).await? else { continue };
        let Some(doc) = state.store.learn_doc(&r.doc_id).await? else { continue };
        let mut tx = state.store.write("scheduler").await?;
        let done = if passed {
            let t = revision_text(&r);
            let cards = cards_of(kind_of(&doc), &t);
            let merged = tx
                .merge_revision(&r.id, &doc.id, r.base, &text_of(&t), &library::links(&t.body), &new_cards(&cards))
                .await?;
            // The document moved on while the vote ran: the revision cannot apply.
            merged || tx.reject_revision(&r.id, "the document changed during the vote").await?
        } else {
            tx.reject_revision(&r.id, &format!("decided by vote: {outcome}")).await?
        };
        if done {
            tx.commit().await?;
            moved += 1;
        }
    }
    Ok(moved)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CiteInput {
    /// `proposal`, `task` or `meeting` (of the same organisation).
    pub source_kind: String,
    pub source_id: String,
    #[serde(default)]
    pub note: String,
}

/// Cites a principle or lesson from a proposal, task review or meeting of its organisation.
pub async fn cite(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &CiteInput,
) -> Result<commune_store::Citation, AppError> {
    let me = caller.require_member()?;
    let (doc, org) = readable(state, caller, id).await?;
    if !doc.published {
        return Err(AppError::Rule("publish the draft before citing it".into()));
    }
    let note = text("note", &input.note, 0, 300, false)?;
    let source = input.source_id.trim();
    let source_org = match input.source_kind.trim() {
        "proposal" => state.store.proposal(source).await?.map(|p| p.org_id),
        "task" => state.store.work_task(source).await?.map(|t| t.org_id),
        "meeting" => state.store.meeting(source).await?.map(|m| m.org_id),
        "problem" => state.store.problem(source).await?.map(|p| p.org_id),
        _ => return Err(Invalid::new("source_kind", "proposal, task, meeting or problem").into()),
    };
    if source_org.as_deref() != Some(org.id.as_str()) {
        return Err(Invalid::new("source_id", "a proposal, task or meeting of the document's organisation").into());
    }
    let mut tx = state.store.write(&me.member.id).await?;
    let cid = tx.cite(id, input.source_kind.trim(), source, &note).await?;
    tx.commit().await?;
    state.store.learn_citations(id).await?.into_iter().find(|c| c.id == cid).ok_or(AppError::NotFound("citation"))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RateInput {
    /// An active attribute's key.
    pub attribute: String,
    /// 1–10.
    pub score: i64,
}

/// Rates a document on one of the commune's attributes (not one's own document).
pub async fn rate(state: &AppState, caller: &Caller, id: &str, input: &RateInput) -> Result<Vec<Tally>, AppError> {
    let me = caller.require_member()?;
    let (doc, _) = readable(state, caller, id).await?;
    if doc.author_id == me.member.id {
        return Err(AppError::Rule("authors do not rate their own documents".into()));
    }
    let attributes = state.store.attributes().await?;
    if !attributes.iter().any(|a| a.active && a.key == input.attribute.trim()) {
        return Err(Invalid::new("attribute", "one of the commune's active attributes").into());
    }
    if !(1..=10).contains(&input.score) {
        return Err(Invalid::new("score", "between 1 and 10").into());
    }
    let mut tx = state.store.write(&me.member.id).await?;
    tx.rate_doc(id, input.attribute.trim(), input.score).await?;
    tx.commit().await?;
    tallies(state, &doc).await
}

/// The documents cited from a proposal, task or meeting the caller already reads: (id, title).
pub async fn cited_in(state: &AppState, source_id: &str) -> Result<Vec<(String, String)>, AppError> {
    Ok(state.store.citations_from(source_id).await?.into_iter().map(|(c, title)| (c.doc_id, title)).collect())
}
