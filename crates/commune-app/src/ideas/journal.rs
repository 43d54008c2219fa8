//! The private "pain → reflection" journal: log a painful moment now, reflect on it later,
//! and, if the member wants, publish the reflection as a principle in an organisation's
//! library. Only its author ever reads an entry: every read here filters by the caller, other
//! members get 404, API tokens are refused, and the audit chain records ids only.

use crate::caller::Caller;
use crate::error::AppError;
use crate::learn::library::{self, DocInput};
use crate::state::AppState;
use commune_domain::validation::{Violations, text};
use commune_store::JournalEntry;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PainInput {
    /// What hurt, right now (1–4,000 characters).
    pub pain: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ReflectInput {
    /// Looking back: what it teaches (1–8,000 characters).
    pub reflection: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PublishInput {
    /// The organisation whose library receives the principle (its slug).
    pub org: String,
    /// The principle's statement (3–160 characters).
    pub statement: String,
    /// An example; by default none is taken from the private entry.
    pub example: String,
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<JournalEntry>, AppError> {
    let me = caller.require_member()?;
    Ok(state.store.journal(&me.member.id).await?)
}

pub async fn add(state: &AppState, caller: &Caller, input: &PainInput) -> Result<JournalEntry, AppError> {
    let me = caller.require_member()?;
    let pain = text("pain", &input.pain, 1, 4_000, true)?;
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.journal_add(&pain).await?;
    tx.commit().await?;
    state.store.journal_entry(&me.member.id, &id).await?.ok_or(AppError::NotFound("journal entry"))
}

/// One's own entry; anybody else's is "not found", whether it exists or not.
pub async fn entry(state: &AppState, caller: &Caller, id: &str) -> Result<JournalEntry, AppError> {
    let me = caller.require_member()?;
    state.store.journal_entry(&me.member.id, id).await?.ok_or(AppError::NotFound("journal entry"))
}

pub async fn reflect(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &ReflectInput,
) -> Result<JournalEntry, AppError> {
    let me = caller.require_member()?;
    entry(state, caller, id).await?;
    let reflection = text("reflection", &input.reflection, 1, 8_000, true)?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.journal_reflect(id, &reflection).await?;
    tx.commit().await?;
    entry(state, caller, id).await
}

/// Publishes the reflection (not the pain) as a principle of an organisation's library.
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &PublishInput,
) -> Result<(JournalEntry, commune_store::Doc), AppError> {
    let me = caller.require_member()?;
    let e = entry(state, caller, id).await?;
    let Some(reflection) = e.reflection.clone() else {
        return Err(AppError::Rule("reflect on the moment before publishing the reflection".into()));
    };
    if e.published_doc_id.is_some() {
        return Err(AppError::Rule("this reflection is already published".into()));
    }
    let mut v = Violations::default();
    v.check(text("statement", &input.statement, 3, 160, false));
    v.check(text("example", &input.example, 3, 2_000, true));
    v.into_result()?;
    let doc = library::create(
        state,
        caller,
        input.org.trim(),
        &DocInput {
            kind: "principle".into(),
            title: input.statement.clone(),
            body: reflection,
            examples: input.example.clone(),
            counter_examples: String::new(),
            domains: String::new(),
            tags: "reflection".into(),
            draft: false,
        },
    )
    .await?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.journal_published(id, &doc.id).await?;
    tx.commit().await?;
    Ok((entry(state, caller, id).await?, doc))
}
