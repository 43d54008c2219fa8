//! Instance administration, for stewards of the commune: the figures, the newest audit entries,
//! and a recomputation of the whole audit chain.

use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_store::{ChainReport, Counted};

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    /// Who acted, for people: `@handle` for a member, else the actor as recorded.
    #[serde(default)]
    pub actor_name: String,
    pub action: String,
    pub subject: String,
    /// The change, as JSON text.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<commune_domain::audit::Entry> for AuditEntryView {
    fn from(e: commune_domain::audit::Entry) -> AuditEntryView {
        AuditEntryView {
            seq: e.seq,
            at_ms: e.at_ms,
            actor_name: e.actor.clone(),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            payload: e.payload,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AdminOverview {
    pub backend: String,
    pub members: i64,
    pub orgs: i64,
    pub memberships: i64,
    pub active_tokens: i64,
    pub audit_entries: i64,
    pub audit_head_hash: String,
    /// The newest 50 audit entries, newest first.
    pub recent_audit: Vec<AuditEntryView>,
}

/// Instance figures and the newest audit entries, for stewards of the commune.
pub async fn overview(state: &AppState, caller: &Caller) -> Result<AdminOverview, AppError> {
    caller.authorize(state, None, Action::AdministerInstance).await?;
    let store = &state.store;
    let head = store.audit_head().await?;
    Ok(AdminOverview {
        backend: store.backend().as_str().to_owned(),
        members: store.count(Counted::Members).await?,
        orgs: store.count(Counted::Orgs).await?,
        memberships: store.count(Counted::Memberships).await?,
        active_tokens: store.count(Counted::ActiveTokens).await?,
        audit_entries: head.entries,
        audit_head_hash: head.head_hash,
        recent_audit: named(state, store.audit_tail(50).await?.into_iter().map(AuditEntryView::from).collect()).await?,
    })
}

/// Names the actors of audit entries: a member's id becomes `@handle` (ids of the same member
/// are looked up once).
async fn named(state: &AppState, mut entries: Vec<AuditEntryView>) -> Result<Vec<AuditEntryView>, AppError> {
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for e in &mut entries {
        if !names.contains_key(&e.actor) {
            let name = match state.store.member_by_id(&e.actor).await? {
                Some(m) => format!("@{}", m.handle),
                None => e.actor.clone(),
            };
            names.insert(e.actor.clone(), name);
        }
        e.actor_name = names.get(&e.actor).cloned().unwrap_or_default();
    }
    Ok(entries)
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChainView {
    pub intact: bool,
    pub entries: i64,
    /// The first broken entry, when the chain is broken.
    pub broken_at: Option<i64>,
    pub message: String,
}

impl From<ChainReport> for ChainView {
    fn from(report: ChainReport) -> ChainView {
        match report {
            ChainReport::Intact { entries } => ChainView {
                intact: true,
                entries,
                broken_at: None,
                message: format!("all {entries} audit entries verify"),
            },
            ChainReport::Broken(b) => {
                ChainView { intact: false, entries: b.seq - 1, broken_at: Some(b.seq), message: b.to_string() }
            }
        }
    }
}

/// Recomputes the whole audit chain now (stewards of the commune).
pub async fn verify_chain(state: &AppState, caller: &Caller) -> Result<ChainView, AppError> {
    caller.authorize(state, None, Action::AdministerInstance).await?;
    Ok(state.store.verify_audit(|_| {}).await?.into())
}

/// One step of getting a new commune going, for its stewards' docket.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Step {
    pub label: String,
    /// Where to do it.
    pub link: String,
    pub done: bool,
}

/// The first steps of a commune — invite people, found a business, open a first vote, record
/// the first money — with what is done; `None` for non-stewards and once every step is done.
pub async fn first_steps(state: &AppState, caller: &Caller) -> Result<Option<Vec<Step>>, AppError> {
    if caller.authorize(state, None, Action::AdministerInstance).await.is_err() {
        return Ok(None);
    }
    let store = &state.store;
    let root = store.list_orgs().await?.into_iter().find(|o| o.is_root).ok_or(AppError::NotFound("commune"))?;
    let step = |label: &str, link: String, done: bool| Step { label: label.to_owned(), link, done };
    let steps = vec![
        step("Invite members with a link", format!("/orgs/{}/invites", root.slug), root.member_count > 1),
        step("Found a first business", "/orgs/new".to_owned(), store.count(Counted::Businesses).await? > 0),
        step(
            "Open a first proposal",
            format!("/orgs/{}/proposals/new", root.slug),
            store.count(Counted::Proposals).await? > 0,
        ),
        step("Record a first deposit", "/admin/books".to_owned(), store.count(Counted::SettlementTransfers).await? > 0),
    ];
    Ok(if steps.iter().all(|s| s.done) { None } else { Some(steps) })
}
