//! Spaced repetition: a member studies a document (its cards join their deck, due today),
//! reviews what is due (FSRS-6 at the retention they set, with their own parameters once they
//! have enough reviews: fitted again whenever their reviews grew by half since the last fit).

use super::library::readable;
use super::today;
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::learn::memory::{self, DEFAULT_RETENTION_PERMILLE, Memory, Model, RETENTION_PERMILLE, Review};
use commune_domain::validation::Invalid;
use commune_store::DeckCard;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Deck {
    pub today: i64,
    pub retention_permille: i64,
    /// Whether the member's own fitted parameters schedule them (else FSRS-6 defaults).
    pub personal_parameters: bool,
    pub reviews: i64,
    #[schema(value_type = Vec<Object>)]
    pub due: Vec<DeckCard>,
    pub total: usize,
}

async fn model_of(state: &AppState, member_id: &str) -> Result<(Model, i64, bool, i64), AppError> {
    let settings = state.store.learn_settings(member_id).await?;
    let retention = settings.as_ref().map_or(DEFAULT_RETENTION_PERMILLE, |s| s.retention_permille);
    let fitted: Option<Vec<f32>> =
        settings.as_ref().and_then(|s| s.parameters.as_deref()).and_then(|p| serde_json::from_str(p).ok());
    let personal = fitted.is_some();
    let model = fitted.and_then(|w| Model::new(&w).ok()).unwrap_or_default();
    Ok((model, retention, personal, settings.map_or(0, |s| s.fitted_reviews)))
}

pub async fn deck(state: &AppState, caller: &Caller) -> Result<Deck, AppError> {
    let me = caller.require_member()?;
    let day = today();
    let (_, retention, personal, _) = model_of(state, &me.member.id).await?;
    let due = state.store.deck(&me.member.id, day, true).await?;
    let total = state.store.deck_size(&me.member.id).await? as usize;
    let reviews = state.store.review_count(&me.member.id, i64::MIN).await?;
    Ok(Deck { today: day, retention_permille: retention, personal_parameters: personal, reviews, due, total })
}

/// Puts a document's cards in the caller's deck.
pub async fn study(state: &AppState, caller: &Caller, doc_id: &str) -> Result<u64, AppError> {
    let me = caller.require_member()?;
    let (doc, _) = readable(state, caller, doc_id).await?;
    if state.store.learn_cards_of(&doc.id).await?.is_empty() {
        return Err(AppError::Rule("this document defines no cards: add {{gaps}} or Q:/A: lines".into()));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    let added = tx.study_doc(doc_id, today()).await?;
    tx.commit().await?;
    Ok(added)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    /// 1 again, 2 hard, 3 good, 4 easy.
    pub rating: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Reviewed {
    pub card_id: String,
    pub stability: f64,
    pub difficulty: f64,
    pub due_day: i64,
    /// Days until it is due again (0: again today).
    pub interval: i64,
    /// Whether this review fitted the member's parameters anew.
    pub refitted: bool,
}

/// Reviews a due card of the caller's deck.
pub async fn review(
    state: &AppState,
    caller: &Caller,
    card_id: &str,
    input: &ReviewInput,
) -> Result<Reviewed, AppError> {
    let me = caller.require_member()?;
    let rating = memory::rating("rating", &input.rating)?;
    let day = today();
    let card = state.store.deck_card(&me.member.id, card_id).await?.ok_or(AppError::NotFound("card in your deck"))?;
    if card.state.due_day > day {
        return Err(AppError::Rule("this card is not due yet".into()));
    }
    let (model, retention, _, _) = model_of(state, &me.member.id).await?;
    let before = match (card.state.stability_micro, card.state.difficulty_micro, card.state.last_day) {
        (Some(s), Some(d), Some(last)) => {
            Some(Memory { stability: s as f64 / 1e6, difficulty: d as f64 / 1e6, day: last })
        }
        _ => None,
    };
    let (after, due) = model.review(before, rating, day, retention as f64 / 1000.0)?;
    let mut tx = state.store.write(&me.member.id).await?;
    let done = tx
        .review_card(
            card_id,
            card.state.reps,
            i64::from(rating),
            day,
            (after.stability * 1e6).round() as i64,
            (after.difficulty * 1e6).round() as i64,
            due,
        )
        .await?;
    if !done {
        return Err(AppError::Conflict("this card was just reviewed; reload the queue"));
    }
    tx.commit().await?;
    let refitted = refit_if_due(state, &me.member.id).await?;
    Ok(Reviewed {
        card_id: card_id.to_owned(),
        stability: after.stability,
        difficulty: after.difficulty,
        due_day: due,
        interval: due - day,
        refitted,
    })
}

/// Fits the member's parameters when they have enough reviews and half as many again as at the
/// last fit.
pub async fn refit_if_due(state: &AppState, member_id: &str) -> Result<bool, AppError> {
    // Count first: the whole log is read only when a fit is due, not on every review.
    let n = state.store.review_count(member_id, i64::MIN).await?;
    let (_, retention, _, fitted_reviews) = model_of(state, member_id).await?;
    if (n as usize) < memory::MIN_REVIEWS_TO_FIT || (fitted_reviews > 0 && n * 2 < fitted_reviews * 3) {
        return Ok(false);
    }
    let log = state.store.review_log(member_id).await?;
    let n = log.len() as i64;
    let mut cards: Vec<Vec<Review>> = Vec::new();
    let mut last: Option<&str> = None;
    for (card, rating, day) in &log {
        if last != Some(card.as_str()) {
            cards.push(Vec::new());
            last = Some(card);
        }
        cards.last_mut().expect("pushed").push(Review { rating: *rating as u8, day: *day });
    }
    let fitted = tokio::task::spawn_blocking(move || memory::fit(&cards))
        .await
        .map_err(|e| AppError::Rule(format!("fitting failed: {e}")))??;
    let json = serde_json::to_string(&fitted).map_err(|e| AppError::Rule(e.to_string()))?;
    let mut tx = state.store.write(member_id).await?;
    tx.set_learn_settings(member_id, retention, Some((&json, n))).await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SettingsInput {
    /// The desired retention in percent (70–99).
    pub retention: String,
}

/// Sets the caller's desired retention.
pub async fn settings(state: &AppState, caller: &Caller, input: &SettingsInput) -> Result<Deck, AppError> {
    let me = caller.require_member()?;
    let raw = input.retention.trim().trim_end_matches('%');
    let permille = commune_domain::learn::practice::number("retention", raw)
        .ok()
        .map(|p| (p * 10.0).round() as i64)
        .filter(|p| RETENTION_PERMILLE.contains(p))
        .ok_or_else(|| Invalid::new("retention", "a desired retention between 70% and 99%"))?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.set_learn_settings(&me.member.id, permille, None).await?;
    tx.commit().await?;
    deck(state, caller).await
}
