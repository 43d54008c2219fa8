//! The inbox: what needs the member now (computed live from the data, so it is never stale),
//! and notifications of what happened, fanned out from the audit log by [`catch_up`] — which
//! the scheduler runs every tick and the inbox runs before it reads, so nothing waits.
//!
//! The fan-out is at-least-once and idempotent: a cursor over the audit log moves with a
//! compare-and-set in the same transaction that stores the notifications, and a notification
//! is unique per (member, audit entry, kind). Two servers catching up at once store each
//! notification once.

use crate::error::AppError;
use crate::payments::requests::{PaymentRequestView, request_view};
use crate::state::AppState;
use commune_domain::audit::Entry;
use commune_domain::inbox::{Audience, Kind, Notice, notices};
use commune_store::{JoinRequest, NewNotification, Notification, Proposal, Store};
use std::collections::HashMap;

/// Audit entries read per step of the fan-out.
const PAGE: i64 = 500;
/// Steps per call: a long backlog is worked through over several ticks, never in one request.
const MAX_STEPS: usize = 40;

/// Fans the audit log out into notifications up to its head (or [`MAX_STEPS`] pages); returns
/// how many notifications it stored.
pub async fn catch_up(state: &AppState) -> Result<usize, AppError> {
    let mut stored = 0;
    for _ in 0..MAX_STEPS {
        let from = state.store.notify_cursor().await?;
        let entries = state.store.audit_after(from, PAGE).await?;
        let Some(last) = entries.last() else { break };
        let to = last.seq;
        let mut words = Words::new(&state.store);
        let mut rows = Vec::new();
        for entry in &entries {
            rows.extend(notifications_of(&mut words, entry).await?);
        }
        if state.store.fan_out(from, to, &rows).await? {
            stored += rows.len();
            if !rows.is_empty() {
                forget_reading(state, None);
            }
        }
    }
    Ok(stored)
}

async fn notifications_of(words: &mut Words<'_>, entry: &Entry) -> Result<Vec<NewNotification>, AppError> {
    let payload: serde_json::Value = serde_json::from_str(&entry.payload).unwrap_or_default();
    let mut rows = Vec::new();
    for notice in notices(&entry.action, &entry.subject, &payload) {
        let Some((title, link)) = words.describe(&notice, &entry.actor).await? else { continue };
        for member_id in words.resolve(&notice.audience).await? {
            if member_id == entry.actor {
                continue;
            }
            rows.push(NewNotification {
                member_id,
                audit_seq: entry.seq,
                kind: notice.kind.as_str(),
                title: title.clone(),
                link: link.clone(),
                created_at: entry.at_ms,
            });
        }
    }
    Ok(rows)
}

/// Looks up the names a notice is worded with, caching them for one page of the fan-out.
struct Words<'a> {
    store: &'a Store,
    proposals: HashMap<String, Option<Proposal>>,
    handles: HashMap<String, String>,
    ledgers: Option<Vec<commune_store::LedgerInfo>>,
}

impl<'a> Words<'a> {
    fn new(store: &'a Store) -> Words<'a> {
        Words { store, proposals: HashMap::new(), handles: HashMap::new(), ledgers: None }
    }

    async fn proposal(&mut self, id: &str) -> Result<Option<Proposal>, AppError> {
        if !self.proposals.contains_key(id) {
            let found = self.store.proposal(id).await?;
            self.proposals.insert(id.to_owned(), found);
        }
        Ok(self.proposals.get(id).cloned().flatten())
    }

    /// `@handle` of a member id; a token or the system is "someone".
    async fn who(&mut self, actor: &str) -> Result<String, AppError> {
        if let Some(handle) = self.handles.get(actor) {
            return Ok(handle.clone());
        }
        let name = match self.store.member_by_id(actor).await? {
            Some(m) => format!("@{}", m.handle),
            None => "Someone".to_owned(),
        };
        self.handles.insert(actor.to_owned(), name.clone());
        Ok(name)
    }

    /// The notice's words and link; `None` when what it is about no longer exists.
    async fn describe(&mut self, notice: &Notice, actor: &str) -> Result<Option<(String, String)>, AppError> {
        let subject = notice.subject.as_str();
        Ok(Some(match notice.kind {
            Kind::Discussion | Kind::VotingOpen | Kind::Result | Kind::DidNotOpen | Kind::Comment => {
                let Some(p) = self.proposal(subject).await? else { return Ok(None) };
                let title = match notice.kind {
                    Kind::Discussion => format!("New proposal in {}: {}", p.org_name, p.title),
                    Kind::VotingOpen => format!("Voting is open: {}", p.title),
                    Kind::Result => format!("The result is in: {}", p.title),
                    Kind::DidNotOpen => format!("Did not open: {} ({})", p.title, notice.detail),
                    _ => format!("{} commented on {}", self.who(actor).await?, p.title),
                };
                let anchor = if notice.kind == Kind::Comment { "#discussion" } else { "" };
                (title, format!("/p/{}{anchor}", p.id))
            }
            Kind::PaymentRequested | Kind::RequestAnswered => {
                let Some(r) = self.store.payment_request(subject).await? else { return Ok(None) };
                let amount = self.amount(r.ledger, r.amount).await?;
                if notice.kind == Kind::RequestAnswered {
                    (format!("Your request for {amount} was {}", notice.detail), "/wallet".to_owned())
                } else if r.payer_kind == "org" {
                    let org = self.store.org_by_id(&r.payer_id).await?;
                    let (name, slug) = org.map(|o| (o.name, o.slug)).unwrap_or_default();
                    let who = self.who(&r.created_by).await?;
                    (format!("{who} asks {name} to pay {amount}: {}", r.memo), format!("/orgs/{slug}/treasury"))
                } else {
                    (
                        format!("{} asks you to pay {amount}: {}", self.who(&r.created_by).await?, r.memo),
                        "/wallet".into(),
                    )
                }
            }
            Kind::JoinRequested | Kind::JoinAnswered => {
                let Some((member_id, org_id)) = self.store.join_requester(subject).await? else { return Ok(None) };
                let Some(org) = self.store.org_by_id(&org_id).await? else { return Ok(None) };
                if notice.kind == Kind::JoinRequested {
                    (
                        format!("{} asks to join {}", self.who(&member_id).await?, org.name),
                        format!("/orgs/{}/requests", org.slug),
                    )
                } else if notice.detail == "admitted" {
                    (format!("You were admitted to {}", org.name), format!("/orgs/{}", org.slug))
                } else {
                    (format!("Your request to join {} was declined", org.name), format!("/orgs/{}", org.slug))
                }
            }
            Kind::Task => {
                let Some(task) = self.store.work_task(subject).await? else { return Ok(None) };
                let who = self.who(actor).await?;
                let title = match notice.detail.as_str() {
                    "review" => format!("{who} handed in “{}” for your review", task.title),
                    "reviewed" => format!("{who} reviewed your task “{}”", task.title),
                    _ => format!("{who} gave you the task “{}”", task.title),
                };
                (title, format!("/tasks/{}", task.id))
            }
            Kind::Learning => {
                let who = self.who(actor).await?;
                if notice.detail == "right" || notice.detail == "wrong" {
                    let Some(a) = self.store.learn_attempt(subject).await? else { return Ok(None) };
                    let Some(e) = self.store.learn_exercise(&a.exercise_id).await? else { return Ok(None) };
                    let verdict = if notice.detail == "right" { "passed" } else { "did not pass" };
                    (
                        format!("Your answer to “{}” {verdict} its peer review", e.prompt),
                        format!("/courses/{}#ex-{}", e.course_id, e.id),
                    )
                } else {
                    let Some(r) = self.store.learn_revision(subject).await? else { return Ok(None) };
                    let Some(d) = self.store.learn_doc(&r.doc_id).await? else { return Ok(None) };
                    let title = match notice.detail.as_str() {
                        "suggested" => format!("{who} suggested a change to “{}”", d.title),
                        "merged" => format!("Your change to “{}” was merged", d.title),
                        _ => format!("Your change to “{}” was not merged", d.title),
                    };
                    (title, format!("/learn/{}#pending", d.id))
                }
            }
            Kind::Ideas => {
                if notice.detail == "responsible" {
                    let Some(p) = self.store.problem(subject).await? else { return Ok(None) };
                    let who = self.who(actor).await?;
                    (
                        format!("{who} logged a problem naming you responsible: “{}”", p.title),
                        format!("/problems/{}", p.id),
                    )
                } else {
                    let Some(st) = self.store.statement(subject).await? else { return Ok(None) };
                    let verdict =
                        if notice.detail == "approved" { "approved and is open for votes" } else { "not approved" };
                    (
                        format!("Your statement “{}” was {verdict}", st.body),
                        format!("/conversations/{}#s-{}", st.conversation_id, st.number),
                    )
                }
            }
            Kind::Delegated => {
                let Some(org) = self.store.org_by_id(subject).await? else { return Ok(None) };
                let scope = if notice.detail.is_empty() { "every domain".to_owned() } else { notice.detail.clone() };
                let who = self.who(actor).await?;
                (
                    format!("{who} delegated their vote to you in {} ({scope})", org.name),
                    format!("/orgs/{}/delegations", org.slug),
                )
            }
        }))
    }

    async fn amount(&mut self, ledger: u32, minor: u64) -> Result<String, AppError> {
        if self.ledgers.is_none() {
            self.ledgers = Some(self.store.ledgers().await?);
        }
        Ok(match self.ledgers.iter().flatten().find(|l| l.id == ledger) {
            Some(l) => format!("{} {}", commune_domain::ledger::amount::format(minor as i128, l.scale), l.asset),
            None => minor.to_string(),
        })
    }

    async fn resolve(&mut self, audience: &Audience) -> Result<Vec<String>, AppError> {
        Ok(match audience {
            Audience::Member(id) if id.is_empty() => Vec::new(),
            Audience::Member(id) => vec![id.clone()],
            Audience::OrgMembers(org) => self.store.org_member_ids(org, false).await?,
            Audience::OrgStewards(org) => self.store.org_member_ids(org, true).await?,
            Audience::Voters(proposal) => self.store.proposal_voter_ids(proposal).await?,
            Audience::ProposalAuthor(proposal) => {
                self.proposal(proposal).await?.map(|p| p.author_id).into_iter().collect()
            }
            Audience::RequestCreator(request) => {
                self.store.payment_request(request).await?.map(|r| r.created_by).into_iter().collect()
            }
            Audience::JoinRequester(request) => {
                self.store.join_requester(request).await?.map(|(member, _)| member).into_iter().collect()
            }
            Audience::Payer(payer) => match payer.split_once(':') {
                Some(("member", id)) => vec![id.to_owned()],
                Some(("org", id)) => self.store.org_member_ids(id, true).await?,
                _ => Vec::new(),
            },
        })
    }
}

pub async fn unread_count(state: &AppState, member_id: &str) -> Result<i64, AppError> {
    Ok(state.store.unread_count(member_id).await?)
}

/// How long a reader's facts may be out of date on other pages (their own changes drop them).
const READING_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// Readers whose facts are kept at once; past it the cache starts over.
const READING_MAX: usize = 10_000;

/// What every page needs to know about its reader: unread notifications and their time zone.
/// Kept for a second per member, so the frame adds no queries to a busy voting path; marking
/// read, new notifications and saving preferences drop what was kept.
pub async fn reading_facts(state: &AppState, member_id: &str) -> Result<(i64, jiff::tz::TimeZone), AppError> {
    let kept = state.reading.lock().ok().and_then(|cache| cache.get(member_id).cloned());
    let (unread, zone) = match kept {
        Some((at, unread, zone)) if at.elapsed() < READING_TTL => (unread, zone),
        _ => {
            let unread = state.store.unread_count(member_id).await?;
            let zone = state.store.prefs(member_id).await?.time_zone;
            if let Ok(mut cache) = state.reading.lock() {
                if cache.len() >= READING_MAX {
                    cache.clear();
                }
                cache.insert(member_id.to_owned(), (std::time::Instant::now(), unread, zone.clone()));
            }
            (unread, zone)
        }
    };
    Ok((unread, jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC)))
}

/// Drops what is kept about one reader (`Some`) or every reader (`None`).
fn forget_reading(state: &AppState, member_id: Option<&str>) {
    if let Ok(mut cache) = state.reading.lock() {
        match member_id {
            Some(id) => {
                cache.remove(id);
            }
            None => cache.clear(),
        }
    }
}

/// What needs the member now.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct NeedsYou {
    /// Votes open to the member that they have not cast, closing soonest first.
    #[schema(value_type = Vec<Object>)]
    pub votes: Vec<Proposal>,
    /// Open requests asking the member to pay.
    pub to_pay: Vec<PaymentRequestView>,
    /// Join requests waiting for the member as a steward: (organisation slug, request).
    #[schema(value_type = Vec<Object>)]
    pub join_requests: Vec<(String, JoinRequest)>,
    /// Money held for the member, to capture when the work is done (or to let go).
    pub holds: Vec<HeldForYou>,
}

/// A hold someone placed for the member.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HeldForYou {
    pub transfer_id: String,
    pub from: String,
    pub amount_minor: i128,
    pub currency: String,
    pub scale: u32,
    pub memo: String,
    pub at_ms: i64,
}

impl NeedsYou {
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    pub fn count(&self) -> usize {
        self.votes.len() + self.to_pay.len() + self.join_requests.len() + self.holds.len()
    }
}

pub async fn needs_you(state: &AppState, member_id: &str) -> Result<NeedsYou, AppError> {
    let votes = state.store.votes_awaiting(member_id).await?;
    let ledgers = state.store.ledgers().await?;
    let mut to_pay = Vec::new();
    for r in state.store.payment_requests_to("member", member_id, 200).await? {
        if r.status == "open" {
            to_pay.push(request_view(state, &r, &ledgers).await?);
        }
    }
    let join_requests = state.store.pending_requests_for_steward(member_id).await?;
    let mut holds = Vec::new();
    let owner = commune_domain::ledger::payments::Owner::Member(member_id.to_owned());
    for ledger in &ledgers {
        let Some(row) = state.store.ledger_account(owner.wallet(ledger.id).id).await? else { continue };
        let query = crate::payments::StatementQuery { limit: Some(1), ..Default::default() };
        let statement = crate::payments::statement(state, &row, &query).await?;
        for line in statement.pending.into_iter().filter(|l| l.amount_minor > 0) {
            holds.push(HeldForYou {
                transfer_id: line.transfer_id,
                from: line.counterparty.name,
                amount_minor: line.amount_minor,
                currency: ledger.asset.clone(),
                scale: ledger.scale,
                memo: line.memo,
                at_ms: line.at_ms,
            });
        }
    }
    Ok(NeedsYou { votes, to_pay, join_requests, holds })
}

/// The inbox as the member reads it: fresh notifications first caught up.
pub async fn notifications(
    state: &AppState,
    member_id: &str,
    before: Option<i64>,
    unread_only: bool,
) -> Result<Vec<Notification>, AppError> {
    catch_up(state).await?;
    Ok(state.store.notifications_of(member_id, 50, before, unread_only).await?)
}

/// Marks one notification (or all) read; returns how many changed.
pub async fn mark_read(state: &AppState, member_id: &str, id: Option<&str>) -> Result<u64, AppError> {
    let marked = state.store.mark_read(member_id, id, commune_store::now_ms()).await?;
    forget_reading(state, Some(member_id));
    Ok(marked)
}

/// Whether the time-zone database knows `name` (`Europe/Rome`, `UTC`).
pub fn known_zone(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

/// The caller's inbox preferences.
pub async fn prefs(state: &AppState, caller: &crate::caller::Caller) -> Result<commune_store::Prefs, AppError> {
    let me = caller.require_member()?;
    Ok(state.store.prefs(&me.member.id).await?)
}

/// Saves the caller's inbox preferences: digest (`off`, `daily`, `weekly`), the address it goes
/// to, and the time zone pages show times in.
pub async fn set_prefs(
    state: &AppState,
    caller: &crate::caller::Caller,
    digest: &str,
    email: &str,
    time_zone: &str,
) -> Result<commune_store::Prefs, AppError> {
    caller.authorize(state, None, commune_domain::authz::Action::EditOwnProfile).await?;
    let me = caller.require_member()?;
    let valid = commune_domain::inbox::Prefs::parse(digest, email, time_zone, known_zone)?;
    let prefs = commune_store::Prefs {
        digest: valid.digest.as_str().to_owned(),
        email: valid.email,
        time_zone: valid.time_zone,
        last_digest_at: 0,
    };
    let mut tx = state.store.write(&me.member.id).await?;
    tx.set_prefs(&me.member.id, &prefs).await?;
    tx.commit().await?;
    forget_reading(state, Some(&me.member.id));
    Ok(prefs)
}
