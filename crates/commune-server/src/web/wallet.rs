//! Money pages: the wallet (balance, what is held, history with running balances, send, request,
//! pay a request, pay out, holds) and an organisation's treasury (revenue and funnel history as
//! a chart, the common pot on the commune's own). Forms post to the same operations as the API.

use super::frame::{Form, Page, Web, WebError, WebResult, render};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use commune_app::payments::{self, HoldInput, PaymentInput, RevenueInput, Statement, StatementQuery, WalletView};
use commune_app::payments::{PaymentRequests, TreasuryMonth, TreasuryView, requests_of, treasury_of};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_domain::ledger::payments::Owner;
use commune_domain::org::Role;
use commune_store::{LedgerInfo, Org};

#[derive(Template)]
#[template(path = "wallet.html")]
struct WalletPage {
    page: Page,
    wallets: Vec<WalletView>,
    statement: Option<Statement>,
    requests: PaymentRequests,
    ledgers: Vec<LedgerInfo>,
    errors: Vec<String>,
    /// What was typed into the form that failed (`failed` names it), so nothing is lost.
    kept: MoneyForm,
    failed: String,
    /// Members and organisations, for the pickers.
    parties: Vec<String>,
}

impl WalletPage {
    /// The value to show in `field` of the form `form`: what was typed, if that form failed.
    fn kept(&self, form: &str, field: &str) -> String {
        self.kept.typed(&self.failed, form, field)
    }
}

/// Everyone money can go to, for the pickers: members as `@handle`, organisations as `org:slug`.
pub(crate) async fn parties(state: &AppState) -> Result<Vec<String>, AppError> {
    let mut all: Vec<String> =
        state.store.list_members(1000, 0, "").await?.into_iter().map(|m| format!("@{}", m.handle)).collect();
    all.extend(state.store.list_orgs().await?.into_iter().map(|o| format!("org:{}", o.slug)));
    Ok(all)
}

/// Lines of history on the wallet page.
const WALLET_LINES: usize = 50;

/// Which page of history the wallet page shows.
#[derive(Debug, Default, serde::Deserialize)]
pub struct HistoryPage {
    /// The `older` cursor of the page before.
    pub before: Option<String>,
}

async fn wallet_page(state: &AppState, web: &Web, errors: Vec<String>) -> Result<WalletPage, WebError> {
    wallet_page_at(state, web, errors, None).await
}

async fn wallet_page_at(
    state: &AppState,
    web: &Web,
    errors: Vec<String>,
    before: Option<String>,
) -> Result<WalletPage, WebError> {
    let member = web.caller.require_member()?;
    let owner = Owner::Member(member.member.id.clone());
    let wallets = payments::wallets_of(state, &owner).await?;
    let ledgers = state.store.ledgers().await?;
    let statement = history(state, owner.wallet(ledgers.first().map_or(1, |l| l.id)).id, WALLET_LINES, before).await?;
    let requests = requests_of(state, &owner).await?;
    Ok(WalletPage {
        page: web.page("Wallet", "wallet"),
        wallets,
        statement,
        requests,
        ledgers,
        errors,
        kept: MoneyForm::default(),
        failed: String::new(),
        parties: parties(state).await?,
    })
}

/// A page of an account's history (`limit` lines older than `before`), when the account exists.
pub(crate) async fn history(
    state: &AppState,
    account: u128,
    limit: usize,
    before: Option<String>,
) -> Result<Option<Statement>, AppError> {
    let Some(row) = state.store.ledger_account(account).await? else { return Ok(None) };
    let query = StatementQuery { limit: Some(limit), before, ..Default::default() };
    Ok(Some(payments::statement(state, &row, &query).await?))
}

pub async fn wallet(
    State(state): State<AppState>,
    web: Web,
    axum::extract::Query(history): axum::extract::Query<HistoryPage>,
) -> WebResult {
    Ok(render(&wallet_page_at(&state, &web, Vec::new(), history.before).await?))
}

/// The fields every money form may carry.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct MoneyForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) to: String,
    #[serde(default)]
    pub(crate) payer: String,
    #[serde(default)]
    pub(crate) amount: String,
    #[serde(default)]
    pub(crate) currency: String,
    #[serde(default)]
    pub(crate) memo: String,
    #[serde(default)]
    pub(crate) timeout_s: String,
    /// The bank's or the till's reference of a deposit or payout, kept with its memo.
    #[serde(default)]
    pub(crate) reference: String,
    /// Pay out from this organisation (the books page).
    #[serde(default)]
    pub(crate) from_org: String,
    /// A one-time id put in the form when it was rendered: a double submit is applied once.
    #[serde(default)]
    pub(crate) id: String,
    /// Set by the confirmation page: the person has seen the parsed amount and said yes.
    #[serde(default)]
    pub(crate) confirmed: String,
}

/// The page that shows the parsed amount back before money moves ("Send 1.00 EUR to Bruno
/// Kowalski?"), carrying the form's fields to post again with `confirmed=1`.
#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    page: Page,
    question: String,
    detail: String,
    action: String,
    button: String,
    back: String,
    fields: Vec<(&'static str, String)>,
}

/// What a money form is about to do, in words, for its confirmation.
struct Preview {
    question: String,
    button: &'static str,
}

impl MoneyForm {
    fn fields(&self) -> Vec<(&'static str, String)> {
        [
            ("csrf", &self.csrf),
            ("to", &self.to),
            ("payer", &self.payer),
            ("amount", &self.amount),
            ("currency", &self.currency),
            ("memo", &self.memo),
            ("timeout_s", &self.timeout_s),
            ("reference", &self.reference),
            ("from_org", &self.from_org),
            ("id", &self.id),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect()
    }

    /// Parses what the form says (amount by the strict grammar, the other party by name), so the
    /// person sees exactly what will happen; a problem goes back to the form.
    async fn preview(&self, state: &AppState, verb: &str, decimal_comma: bool) -> Result<Preview, AppError> {
        let ledger = payments::ledger_named(state, Some(&self.currency)).await?;
        let minor = payments::amount_of(Some(&self.amount), None, &ledger)?;
        let sum = super::frame::format_money(i128::from(minor), ledger.scale, &ledger.asset, decimal_comma);
        let question = match verb {
            "send" => {
                let to = payments::resolve_party(state, &self.to, "to").await?;
                format!("Send {sum} to {}?", to.name)
            }
            "hold" => {
                let to = payments::resolve_party(state, &self.to, "to").await?;
                format!("Hold {sum} for {}? It stays yours until they capture it or it is released.", to.name)
            }
            "request" => {
                let from = payments::resolve_party(state, &self.payer, "payer").await?;
                format!("Ask {} for {sum}?", from.name)
            }
            "payout" if !self.from_org.is_empty() => {
                let from = payments::resolve_party(state, &format!("org:{}", self.from_org), "from_org").await?;
                format!("Pay {sum} out of the commune from {}'s treasury?", from.name)
            }
            "payout" => format!("Pay {sum} out of the commune, to your bank?"),
            "deposit" => {
                let to = payments::resolve_party(state, &self.to, "to").await?;
                format!("Record {sum} arriving from outside into {}'s wallet?", to.name)
            }
            "revenue" => format!("Book {sum} of revenue from outside?"),
            _ => return Err(AppError::NotFound("action")),
        };
        let button = match verb {
            "send" => "Yes, send it",
            "hold" => "Yes, hold it",
            "request" => "Yes, send the request",
            "payout" => "Yes, pay it out",
            "deposit" => "Yes, record the deposit",
            _ => "Yes, book it",
        };
        Ok(Preview { question, button })
    }
}

/// Before money moves: the confirmation page, or the form again with its problem. `Ok(None)`
/// when the person has confirmed and the action may go ahead.
async fn confirmation(
    state: &AppState,
    web: &Web,
    form: &MoneyForm,
    verb: &str,
    action: &str,
    back: &str,
) -> Result<Option<axum::response::Response>, WebError> {
    match confirm_page(state, web, form, verb, action, back).await {
        Ok(page) => Ok(page),
        Err(e) => Ok(Some(finish_form(state, web, Err(e), back, "", form, verb).await?)),
    }
}

/// The confirmation page for a money form (`Ok(None)` once confirmed), or the problem with what
/// it says, for the caller to show on its own form.
pub(crate) async fn confirm_page(
    state: &AppState,
    web: &Web,
    form: &MoneyForm,
    verb: &str,
    action: &str,
    back: &str,
) -> Result<Option<axum::response::Response>, AppError> {
    if form.confirmed == "1" {
        return Ok(None);
    }
    let preview = form.preview(state, verb, web.decimal_comma()).await?;
    let mut detail = if form.memo.trim().is_empty() { String::new() } else { format!("Memo: {}", form.memo.trim()) };
    if !form.reference.trim().is_empty() {
        detail.push_str(&format!(" Reference: {}", form.reference.trim()));
    }
    let nav = if back.starts_with("/orgs/") {
        "orgs"
    } else if back.starts_with("/admin") {
        "admin"
    } else {
        "wallet"
    };
    let page = ConfirmPage {
        page: web.page("Confirm", nav),
        question: preview.question,
        detail,
        action: action.to_owned(),
        button: preview.button.to_owned(),
        back: back.to_owned(),
        fields: form.fields(),
    };
    Ok(Some(render(&page)))
}

impl MoneyForm {
    /// What was typed into `field`, when `form` is the form that `failed` (else nothing, so
    /// the page's other forms start empty).
    pub(crate) fn typed(&self, failed: &str, form: &str, field: &str) -> String {
        if failed != form {
            return String::new();
        }
        match field {
            "to" => self.to.clone(),
            "payer" => self.payer.clone(),
            "amount" => self.amount.clone(),
            "memo" => self.memo.clone(),
            "timeout_s" => self.timeout_s.clone(),
            "reference" => self.reference.clone(),
            _ => String::new(),
        }
    }

    pub(crate) fn payment(&self, from_org: Option<String>) -> PaymentInput {
        let memo = match (self.memo.trim(), self.reference.trim()) {
            (memo, "") => memo.to_owned(),
            ("", reference) => format!("ref {reference}"),
            (memo, reference) => format!("{memo} (ref {reference})"),
        };
        PaymentInput {
            id: Some(self.id.clone()).filter(|i| !i.is_empty()),
            to: self.to.clone(),
            amount: Some(self.amount.clone()),
            amount_minor: None,
            currency: Some(self.currency.clone()).filter(|c| !c.is_empty()),
            memo,
            from_org,
        }
    }
}

/// After a money action: back to the wallet with a message, or the wallet with the problem.
async fn finish(state: &AppState, web: &Web, result: Result<(), AppError>, back: &str, done: &str) -> WebResult {
    finish_form(state, web, result, back, done, &MoneyForm::default(), "").await
}

/// Like [`finish`], but a failed form comes back with what was typed into it.
pub(crate) async fn finish_form(
    state: &AppState,
    web: &Web,
    result: Result<(), AppError>,
    back: &str,
    done: &str,
    form: &MoneyForm,
    which: &str,
) -> WebResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{back}?done={done}")).into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = problems(e)?;
            let body = if let Some(slug) = back.strip_prefix("/orgs/").and_then(|s| s.strip_suffix("/treasury")) {
                render(&treasury_page(state, web, slug, errors).await?)
            } else {
                let mut page = wallet_page(state, web, errors).await?;
                page.kept = form.clone();
                page.failed = which.to_owned();
                render(&page)
            };
            Ok((status, body).into_response())
        }
    }
}

/// Problems a person can fix on the form: bad input and the ledger's refusals.
pub(crate) fn problems(e: AppError) -> Result<Vec<String>, WebError> {
    match e {
        e @ AppError::Ledger { .. } => Ok(vec![e.to_string()]),
        e @ AppError::Denied(commune_domain::authz::Denied::Forbidden(_)) => Ok(vec![e.to_string()]),
        other => super::frame::form_problems(other),
    }
}

pub async fn send(State(state): State<AppState>, web: Web, Form(form): Form<MoneyForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    if let Some(page) = confirmation(&state, &web, &form, "send", "/wallet/send", "/wallet").await? {
        return Ok(page);
    }
    let result = payments::pay(&state, &web.caller, form.payment(None)).await.map(|_| ());
    finish_form(&state, &web, result, "/wallet", "sent", &form, "send").await
}

pub async fn payout(State(state): State<AppState>, web: Web, Form(form): Form<MoneyForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    if let Some(page) = confirmation(&state, &web, &form, "payout", "/wallet/payout", "/wallet").await? {
        return Ok(page);
    }
    let result = payments::payout(&state, &web.caller, form.payment(None)).await.map(|_| ());
    finish_form(&state, &web, result, "/wallet", "paid_out", &form, "payout").await
}

pub async fn hold(State(state): State<AppState>, web: Web, Form(form): Form<MoneyForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    if let Some(page) = confirmation(&state, &web, &form, "hold", "/wallet/hold", "/wallet").await? {
        return Ok(page);
    }
    let timeout_s = form.timeout_s.trim().parse::<u32>().ok();
    let result =
        payments::hold(&state, &web.caller, HoldInput { payment: form.payment(None), timeout_s }).await.map(|_| ());
    finish_form(&state, &web, result, "/wallet", "held", &form, "hold").await
}

pub async fn request(State(state): State<AppState>, web: Web, Form(form): Form<MoneyForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    if let Some(page) = confirmation(&state, &web, &form, "request", "/wallet/request", "/wallet").await? {
        return Ok(page);
    }
    let result = request_money(&state, &web, &form, None).await;
    finish_form(&state, &web, result, "/wallet", "requested_money", &form, "request").await
}

/// Asks `form.payer` for money, into the caller's wallet or `from_org`'s.
async fn request_money(state: &AppState, web: &Web, form: &MoneyForm, from_org: Option<&str>) -> Result<(), AppError> {
    let input = payments::RequestInput {
        payer: form.payer.clone(),
        amount: Some(form.amount.clone()),
        amount_minor: None,
        currency: Some(form.currency.clone()),
        memo: form.memo.clone(),
        from_org: from_org.map(str::to_owned),
    };
    payments::ask(state, &web.caller, &input).await.map(|_| ())
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

/// Where to return after acting on a request or a hold: the wallet, or a treasury page.
fn back_to(raw: &str) -> String {
    let slug = raw.strip_prefix("/orgs/").and_then(|r| r.strip_suffix("/treasury")).unwrap_or("");
    let safe = !slug.is_empty() && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if safe { raw.to_owned() } else { "/wallet".to_owned() }
}

pub async fn request_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let back = back_to(&form.back);
    let (result, done) = match action.as_str() {
        "pay" => (payments::pay_request(&state, &web.caller, &id).await.map(|_| ()), "paid"),
        "decline" => (payments::close_request(&state, &web.caller, &id, true).await, "declined"),
        "cancel" => (payments::close_request(&state, &web.caller, &id, false).await, "request_cancelled"),
        _ => return Err(AppError::NotFound("action").into()),
    };
    finish(&state, &web, result, &back, done).await
}

pub async fn hold_action(
    State(state): State<AppState>,
    web: Web,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let id = payments::parse_id(Some(&id), "id")?;
    // The page's buttons say what they do: "Capture all" or "Release".
    let (settlement, done) = match action.as_str() {
        "capture-all" | "capture" => (commune_domain::ledger::plan::Settlement::CaptureAll, "captured"),
        "release" => (commune_domain::ledger::plan::Settlement::Release, "released"),
        _ => return Err(AppError::NotFound("action").into()),
    };
    let result = payments::settle_hold(&state, &web.caller, id, settlement).await.map(|_| ());
    finish(&state, &web, result, &back_to(&form.back), done).await
}

#[derive(Template)]
#[template(path = "treasury.html")]
struct TreasuryPage {
    page: Page,
    org: Org,
    treasury: TreasuryView,
    statement: Option<Statement>,
    requests: PaymentRequests,
    steward: bool,
    largest_month: i128,
    errors: Vec<String>,
    parties: Vec<String>,
}

impl TreasuryPage {
    fn width(&self, value: &i128) -> i64 {
        if self.largest_month <= 0 { 0 } else { (*value * 100 / self.largest_month).clamp(0, 100) as i64 }
    }

    fn balance_width(&self, value: &i128) -> i64 {
        let largest = self.treasury.months.iter().map(|m| m.balance_minor).max().unwrap_or(0);
        if largest <= 0 { 0 } else { (*value * 100 / largest).clamp(0, 100) as i64 }
    }

    fn kind_width(&self, value: &i128) -> i64 {
        let largest = self.treasury.out_by_kind.iter().map(|k| k.1).max().unwrap_or(0);
        if largest <= 0 { 0 } else { (*value * 100 / largest).clamp(0, 100) as i64 }
    }
}

/// `GET /orgs/{slug}/treasury.csv`: month by month (in, funnel, out, closing balance), in
/// currency units.
pub async fn treasury_csv(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    let org = state.store.org_by_slug(&slug).await?.ok_or(AppError::NotFound("organisation"))?;
    web.caller.authorize(&state, Some(&org), Action::ReadTreasury).await?;
    let (treasury, _) = treasury_of(&state, &org).await?;
    let units = |minor: i128| commune_domain::ledger::amount::format(minor, treasury.scale);
    let mut csv = String::from("month,in,funnel,out,balance,currency\n");
    for m in &treasury.months {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            m.month,
            units(m.revenue_minor),
            units(m.funnel_minor),
            units(m.spent_minor),
            units(m.balance_minor),
            treasury.currency
        ));
    }
    let disposition = format!("attachment; filename=\"{slug}-treasury.csv\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

async fn treasury_page(state: &AppState, web: &Web, slug: &str, errors: Vec<String>) -> Result<TreasuryPage, WebError> {
    treasury_page_at(state, web, slug, errors, None).await
}

/// Lines of history on a treasury page.
const TREASURY_LINES: usize = 25;

async fn treasury_page_at(
    state: &AppState,
    web: &Web,
    slug: &str,
    errors: Vec<String>,
    before: Option<String>,
) -> Result<TreasuryPage, WebError> {
    let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
    web.caller.authorize(state, Some(&org), Action::ReadTreasury).await?;
    let steward = match web.caller.member() {
        Some(m) => state.store.role_in(&org.id, &m.member.id).await? == Some(Role::Steward),
        None => false,
    };
    let (treasury, full) = treasury_of(state, &org).await?;
    // The history is paged (newest first, `before` for older); the months and the pot's story
    // come from the whole window above.
    let statement = match full {
        Some(full) => {
            let account = payments::parse_id(Some(&full.wallet.account_id), "account")?;
            history(state, account, TREASURY_LINES, before).await?
        }
        None => None,
    };
    let owner = Owner::Org(org.id.clone());
    let requests = requests_of(state, &owner).await?;
    let largest_month = treasury
        .months
        .iter()
        .map(|m: &TreasuryMonth| m.revenue_minor.max(m.spent_minor).max(m.funnel_minor))
        .max()
        .unwrap_or(0);
    Ok(TreasuryPage {
        page: web.page(format!("{} treasury", org.name), "orgs"),
        org,
        treasury,
        statement,
        requests,
        steward,
        largest_month,
        errors,
        parties: if steward { parties(state).await? } else { Vec::new() },
    })
}

pub async fn treasury(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::extract::Query(history): axum::extract::Query<HistoryPage>,
) -> WebResult {
    Ok(render(&treasury_page_at(&state, &web, &slug, Vec::new(), history.before).await?))
}

pub async fn treasury_action(
    State(state): State<AppState>,
    web: Web,
    Path((slug, action)): Path<(String, String)>,
    Form(form): Form<MoneyForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let back = format!("/orgs/{slug}/treasury");
    let verb = if action == "revenue" || action == "send" || action == "request" { action.as_str() } else { "" };
    let target = format!("/orgs/{slug}/treasury/{action}");
    if !verb.is_empty()
        && let Some(page) = confirmation(&state, &web, &form, verb, &target, &back).await?
    {
        return Ok(page);
    }
    let (result, done) = match action.as_str() {
        "revenue" => {
            let input = RevenueInput {
                id: Some(form.id.clone()).filter(|i| !i.is_empty()),
                amount: Some(form.amount.clone()),
                amount_minor: None,
                currency: Some(form.currency.clone()).filter(|c| !c.is_empty()),
                memo: form.memo.clone(),
            };
            (payments::book_revenue(&state, &web.caller, &slug, input).await.map(|_| ()), "revenue")
        }
        "send" => (payments::pay(&state, &web.caller, form.payment(Some(slug.clone()))).await.map(|_| ()), "sent"),
        "request" => (request_money(&state, &web, &form, Some(&slug)).await, "requested_money"),
        _ => return Err(AppError::NotFound("action").into()),
    };
    if let Err(AppError::Denied(d)) = &result
        && !matches!(d, commune_domain::authz::Denied::Forbidden(_))
    {
        return Err(AppError::Denied(d.clone()).into());
    }
    finish(&state, &web, result, &back, done).await
}

/// A fresh idempotency key for a form: submitting the same rendered form twice moves money once.
pub fn form_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
