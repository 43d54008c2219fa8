//! The steward's books: money arriving from outside (deposits) and leaving the commune
//! (payouts), each recorded with its bank or till reference and confirmed before it moves;
//! and the settlement account's history, which is every such movement.

use super::frame::{Form, Page, Web, WebError, WebResult, render};
use super::wallet::{MoneyForm, confirm_page, history, parties, problems};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use commune_app::payments::{self, Statement};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_domain::ledger::payments::Owner;
use commune_domain::org::Role;
use commune_store::LedgerInfo;

#[derive(Template)]
#[template(path = "books.html")]
pub(crate) struct BooksPage {
    pub(crate) page: Page,
    pub(crate) ledgers: Vec<LedgerInfo>,
    pub(crate) parties: Vec<String>,
    /// Organisations the steward may pay out from: (slug, name).
    pub(crate) stewarded: Vec<(String, String)>,
    /// The settlement account: every deposit and payout, newest last.
    pub(crate) statement: Option<Statement>,
    pub(crate) errors: Vec<String>,
    pub(crate) kept: MoneyForm,
    pub(crate) failed: String,
}

impl BooksPage {
    pub(crate) fn kept(&self, form: &str, field: &str) -> String {
        self.kept.typed(&self.failed, form, field)
    }
}

pub(crate) async fn books_page(
    state: &AppState,
    web: &Web,
    errors: Vec<String>,
    kept: MoneyForm,
    failed: &str,
) -> Result<BooksPage, WebError> {
    web.caller.authorize(state, None, Action::AdministerInstance).await?;
    let me = web.caller.require_member()?;
    let ledgers = state.store.ledgers().await?;
    let statement = match ledgers.first() {
        Some(l) => history(state, Owner::Settlement.wallet(l.id).id, 30, None).await?,
        None => None,
    };
    let stewarded = state
        .store
        .memberships_of(&me.member.id)
        .await?
        .into_iter()
        .filter(|m| m.role == Role::Steward)
        .map(|m| (m.org.slug, m.org.name))
        .collect();
    Ok(BooksPage {
        page: web.page("Deposits and payouts", "admin"),
        ledgers,
        parties: parties(state).await?,
        stewarded,
        statement,
        errors,
        kept,
        failed: failed.to_owned(),
    })
}

pub async fn books(State(state): State<AppState>, web: Web) -> WebResult {
    Ok(render(&books_page(&state, &web, Vec::new(), MoneyForm::default(), "").await?))
}

/// `POST /admin/books/deposit`: records money that arrived from outside, after confirming.
pub async fn deposit(State(state): State<AppState>, web: Web, Form(form): Form<MoneyForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    web.caller.authorize(&state, None, Action::AdministerInstance).await?;
    let result = match confirm_page(&state, &web, &form, "deposit", "/admin/books/deposit", "/admin/books").await {
        Ok(Some(page)) => return Ok(page),
        Ok(None) => payments::deposit(&state, &web.caller, form.payment(None)).await.map(|_| ()),
        Err(e) => Err(e),
    };
    finish(&state, &web, result, "deposited", form, "deposit").await
}

/// `POST /admin/books/payout`: money leaves the commune from an organisation the steward
/// stewards (or their own wallet), after confirming.
pub async fn payout(State(state): State<AppState>, web: Web, Form(form): Form<MoneyForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    web.caller.authorize(&state, None, Action::AdministerInstance).await?;
    let from_org = Some(form.from_org.clone()).filter(|o| !o.is_empty());
    let result = match confirm_page(&state, &web, &form, "payout", "/admin/books/payout", "/admin/books").await {
        Ok(Some(page)) => return Ok(page),
        Ok(None) => payments::payout(&state, &web.caller, form.payment(from_org)).await.map(|_| ()),
        Err(e) => Err(e),
    };
    finish(&state, &web, result, "paid_out", form, "payout").await
}

/// Back to the books with a message, or the books with the problem and what was typed.
async fn finish(
    state: &AppState,
    web: &Web,
    result: Result<(), commune_app::AppError>,
    done: &str,
    form: MoneyForm,
    which: &str,
) -> WebResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admin/books?done={done}")).into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = problems(e)?;
            Ok((status, render(&books_page(state, web, errors, form, which).await?)).into_response())
        }
    }
}
