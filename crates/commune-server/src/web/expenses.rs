//! Budgets and expenses in the browser: budget against actual per line (bars), the expense list
//! by status with a form to file one, and an expense's page with its receipts and the steps the
//! viewer may take.

use crate::web::frame::{
    Form, Page, Problems, Web, WebError, WebResult, field_problems, format_money, render, with_status,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::error::AppError;
use commune_app::expenses::{self, BudgetInput, BudgetView, ExpenseInput, ExpenseView, LineInput};
use commune_app::state::AppState;
use commune_domain::capital::expense::Step;
use commune_store::{Expense, Org};
use std::collections::HashMap;

pub(crate) struct LineRow {
    name: String,
    budgeted: String,
    actual: String,
    committed: String,
    committed_percent: i64,
    over: bool,
}

pub(crate) struct BudgetRow {
    name: String,
    project: String,
    period: String,
    total: String,
    actual: String,
    lines: Vec<LineRow>,
}

#[derive(Template)]
#[template(path = "budgets.html")]
pub(crate) struct BudgetsPage {
    page: Page,
    org: Org,
    steward: bool,
    budgets: Vec<BudgetRow>,
    form: BudgetForm,
    problems: Problems,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct BudgetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    /// One line per row: `name: amount`.
    #[serde(default)]
    lines: String,
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { (part.max(0) * 100 / whole).min(100) }
}

async fn steward_of(state: &AppState, web: &Web, org: &Org) -> Result<bool, WebError> {
    Ok(match web.caller.member() {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await? == Some(commune_domain::org::Role::Steward),
        None => false,
    })
}

fn budget_rows(web: &Web, budgets: Vec<BudgetView>) -> Vec<BudgetRow> {
    budgets
        .into_iter()
        .map(|b| {
            let money = |minor: i64| format_money(i128::from(minor), b.scale, &b.budget.currency, web.decimal_comma());
            BudgetRow {
                name: b.budget.name.clone(),
                project: b.budget.project.clone(),
                period: format!("{} – {}", crate::web::date(&b.budget.starts_at), crate::web::date(&b.budget.ends_at)),
                total: money(b.total_minor),
                actual: money(b.actual_minor),
                lines: b
                    .lines
                    .iter()
                    .map(|l| LineRow {
                        name: l.line.name.clone(),
                        budgeted: money(l.line.amount_minor),
                        actual: money(l.actual_minor),
                        committed: money(l.committed_minor),
                        committed_percent: percent(l.committed_minor, l.line.amount_minor),
                        over: l.committed_minor > l.line.amount_minor,
                    })
                    .collect(),
            }
        })
        .collect()
}

async fn budgets_page(state: &AppState, web: &Web, slug: &str) -> Result<BudgetsPage, WebError> {
    let (org, budgets) = expenses::budgets(state, &web.caller, slug).await?;
    Ok(BudgetsPage {
        page: web.page(format!("Budgets · {}", org.name), "orgs"),
        steward: steward_of(state, web, &org).await?,
        budgets: budget_rows(web, budgets),
        org,
        form: BudgetForm::default(),
        problems: Problems::default(),
    })
}

pub async fn budgets(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&budgets_page(&state, &web, &slug).await?))
}

/// `GET /orgs/{slug}/budgets.csv`: every line, budgeted against committed and paid.
pub async fn budgets_csv(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    let (_, budgets) = expenses::budgets(&state, &web.caller, &slug).await?;
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut csv = String::from("budget,project,line,budgeted,committed,paid,currency\n");
    for b in &budgets {
        let units = |minor: i64| commune_domain::ledger::amount::format(i128::from(minor), b.scale);
        for l in &b.lines {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                quote(&b.budget.name),
                quote(&b.budget.project),
                quote(&l.line.name),
                units(l.line.amount_minor),
                units(l.committed_minor),
                units(l.actual_minor),
                b.budget.currency
            ));
        }
    }
    let disposition = format!("attachment; filename=\"{slug}-budgets.csv\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

pub async fn create_budget(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<BudgetForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let lines = form
        .lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, amount) = l.rsplit_once(':').unwrap_or((l, ""));
            LineInput { name: name.trim().to_owned(), amount: amount.trim().to_owned() }
        })
        .collect();
    let input = BudgetInput {
        name: form.name.clone(),
        project: form.project.clone(),
        currency: None,
        starts_on: form.starts_on.clone(),
        ends_on: form.ends_on.clone(),
        lines,
    };
    match expenses::create_budget(&state, &web.caller, &slug, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}/budgets")).into_response()),
        Err(e) => {
            let mut page = budgets_page(&state, &web, &slug).await?;
            page.problems = field_problems(e)?;
            page.form = form;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

pub(crate) struct ExpenseRow {
    id: String,
    title: String,
    amount: String,
    status: String,
    submitter: String,
    when: i64,
}

#[derive(Template)]
#[template(path = "expenses.html")]
pub(crate) struct ExpensesPage {
    page: Page,
    org: Org,
    rows: Vec<ExpenseRow>,
    /// (status, count) in lifecycle order.
    counts: Vec<(&'static str, usize)>,
    /// Budget lines to charge: (id, "budget · line").
    lines: Vec<(String, String)>,
    member: bool,
    form: ExpenseForm,
    problems: Problems,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ExpenseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    line_id: String,
}

async fn handles(state: &AppState, ids: &[String]) -> Result<HashMap<String, String>, WebError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    Ok(ids.iter().cloned().zip(state.store.handles_of(&ids).await?).collect())
}

async fn expenses_page(state: &AppState, web: &Web, slug: &str) -> Result<ExpensesPage, WebError> {
    let (org, list) = expenses::list(state, &web.caller, slug).await?;
    let names = handles(state, &list.iter().map(|e| e.submitter_id.clone()).collect::<Vec<_>>()).await?;
    let mut scales: HashMap<String, u32> = HashMap::new();
    for l in state.store.ledgers().await? {
        scales.insert(l.asset, l.scale);
    }
    let money = |e: &Expense| {
        format_money(
            i128::from(e.amount_minor),
            scales.get(&e.currency).copied().unwrap_or(2),
            &e.currency,
            web.decimal_comma(),
        )
    };
    let counts = commune_domain::capital::expense::Status::ALL
        .iter()
        .map(|s| (s.name(), list.iter().filter(|e| e.status == s.name()).count()))
        .collect();
    let rows = list
        .iter()
        .map(|e| ExpenseRow {
            id: e.id.clone(),
            title: e.title.clone(),
            amount: money(e),
            status: e.status.clone(),
            submitter: names.get(&e.submitter_id).cloned().unwrap_or_default(),
            when: e.created_at,
        })
        .collect();
    let mut lines = Vec::new();
    for (budget, budget_lines) in state.store.budgets_of(&org.id).await? {
        for line in budget_lines {
            lines.push((line.id.clone(), format!("{} · {}", budget.name, line.name)));
        }
    }
    let member = match web.caller.member() {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await?.is_some(),
        None => false,
    };
    Ok(ExpensesPage {
        page: web.page(format!("Expenses · {}", org.name), "orgs"),
        org,
        rows,
        counts,
        lines,
        member,
        form: ExpenseForm::default(),
        problems: Problems::default(),
    })
}

pub async fn list(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&expenses_page(&state, &web, &slug).await?))
}

pub async fn create(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<ExpenseForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = ExpenseInput {
        title: form.title.clone(),
        description: form.description.clone(),
        amount: form.amount.clone(),
        line_id: Some(form.line_id.clone()),
    };
    match expenses::create_expense(&state, &web.caller, &slug, &input).await {
        Ok(e) => Ok(Redirect::to(&format!("/expenses/{}", e.id)).into_response()),
        Err(e) => {
            let mut page = expenses_page(&state, &web, &slug).await?;
            page.problems = field_problems(e)?;
            page.form = form;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Template)]
#[template(path = "expense.html")]
pub(crate) struct ExpensePage {
    page: Page,
    org: Org,
    view: ExpenseView,
    amount: String,
    submitter: String,
    approvers: Vec<String>,
    paid_by: String,
    mine: bool,
    steward: bool,
    problems: Problems,
}

async fn expense_page(state: &AppState, web: &Web, id: &str) -> Result<ExpensePage, WebError> {
    let (view, org) = expenses::view(state, &web.caller, id).await?;
    let mut ids = view.approvers.clone();
    ids.push(view.expense.submitter_id.clone());
    ids.extend(view.expense.paid_by.clone());
    let names = handles(state, &ids).await?;
    let me = web.caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    Ok(ExpensePage {
        page: web.page(view.expense.title.clone(), "orgs"),
        amount: format_money(
            i128::from(view.expense.amount_minor),
            view.scale,
            &view.expense.currency,
            web.decimal_comma(),
        ),
        submitter: names.get(&view.expense.submitter_id).cloned().unwrap_or_default(),
        approvers: view.approvers.iter().map(|a| names.get(a).cloned().unwrap_or_default()).collect(),
        paid_by: view.expense.paid_by.as_ref().and_then(|p| names.get(p).cloned()).unwrap_or_default(),
        mine: view.expense.submitter_id == me,
        steward: steward_of(state, web, &org).await?,
        org,
        view,
        problems: Problems::default(),
    })
}

pub async fn show(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    Ok(render(&expense_page(&state, &web, &id).await?))
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm_over_budget: String,
}

pub async fn step(
    State(state): State<AppState>,
    web: Web,
    Path((id, step)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = match step.as_str() {
        "vote" => expenses::put_to_vote(&state, &web.caller, &id).await,
        other => {
            let step = match other {
                "submit" => Step::Submit,
                "approve" => Step::Approve,
                "reject" => Step::Reject,
                "pay" => Step::Pay,
                "cancel" => Step::Cancel,
                _ => return Err(AppError::NotFound("expense step").into()),
            };
            expenses::act(&state, &web.caller, &id, step, &form.note, !form.confirm_over_budget.is_empty()).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/expenses/{id}")).into_response()),
        Err(e) => {
            let mut page = expense_page(&state, &web, &id).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

pub async fn upload(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> WebResult {
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = form.next_field().await.map_err(|e| AppError::bad_request("invalid_form", e.body_text()))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(|e| AppError::bad_request("invalid_form", e.body_text()))?,
            "receipt" => {
                file = Some(field.bytes().await.map_err(|e| AppError::bad_request("invalid_form", e.body_text()))?)
            }
            _ => {}
        }
    }
    web.check_csrf(&csrf)?;
    match expenses::add_receipt(&state, &web.caller, &id, file.as_deref().unwrap_or_default()).await {
        Ok(_) => Ok(Redirect::to(&format!("/expenses/{id}#receipts")).into_response()),
        Err(e) => {
            let mut page = expense_page(&state, &web, &id).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

pub async fn receipt(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let (content_type, bytes) = expenses::receipt(&state, &web.caller, &id).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, "attachment".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

pub(crate) struct YearRow {
    year: i32,
    surplus: String,
    reserve: String,
    commune: String,
    /// (handle, basis, allocated, cash, retained).
    members: Vec<(String, u64, String, String, String)>,
    unit: String,
    /// The viewer's written notice for the year, if they had an allocation.
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "patronage.html")]
pub(crate) struct PatronagePage {
    page: Page,
    org: Org,
    steward: bool,
    years: Vec<YearRow>,
    /// The viewer's capital account: (date, what, amount).
    statement: Vec<(i64, String, String)>,
    balance: String,
    /// (member, amount, status, proposal id).
    redemptions: Vec<(String, String, String, String)>,
    form: PatronageForm,
    problems: Problems,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PatronageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    surplus: String,
    /// One member per row: `handle: hours`.
    #[serde(default)]
    basis: String,
    #[serde(default)]
    basis_unit: String,
}

async fn patronage_page(state: &AppState, web: &Web, slug: &str) -> Result<PatronagePage, WebError> {
    let (org, view) = commune_app::patronage::view(state, &web.caller, slug).await?;
    let money = |minor: i128| format_money(minor, view.scale, &view.currency, web.decimal_comma());
    let mut ids: Vec<String> = view.years.iter().flat_map(|y| y.members.iter().map(|m| m.0.clone())).collect();
    ids.extend(view.redemptions.iter().map(|r| r.member_id.clone()));
    let names = handles(state, &ids).await?;
    let me = web.caller.member().map(|m| m.member.id.clone()).unwrap_or_default();
    let years = view
        .years
        .iter()
        .map(|y| {
            let notice = y.members.iter().find(|m| m.0 == me).map(|(_, basis, allocated, cash, retained)| {
                format!(
                    "For {}, {} allocates you {} of its patronage surplus of {}, for your {} {} of {} recorded: {} paid to your wallet in cash and {} credited to your capital account.",
                    y.year,
                    org.name,
                    money(i128::from(*allocated)),
                    money(i128::from(y.surplus_minor)),
                    basis,
                    y.basis_unit,
                    y.basis_total,
                    money(i128::from(*cash)),
                    money(i128::from(*retained))
                )
            });
            YearRow {
                year: y.year,
                surplus: money(i128::from(y.surplus_minor)),
                reserve: money(i128::from(y.reserve_minor)),
                commune: money(i128::from(y.commune_minor)),
                members: y
                    .members
                    .iter()
                    .map(|(id, basis, a, c, r)| {
                        (names.get(id).cloned().unwrap_or_default(), *basis, money(i128::from(*a)), money(i128::from(*c)), money(i128::from(*r)))
                    })
                    .collect(),
                unit: y.basis_unit.clone(),
                notice,
            }
        })
        .collect();
    let statement = view
        .statement
        .iter()
        .map(|e| {
            let signed = if e.kind == "redemption" { -e.amount_minor } else { e.amount_minor };
            (e.created_at, e.note.clone(), money(i128::from(signed)))
        })
        .collect();
    let redemptions = view
        .redemptions
        .iter()
        .map(|r| {
            (
                names.get(&r.member_id).cloned().unwrap_or_default(),
                money(i128::from(r.amount_minor)),
                r.status.clone(),
                r.proposal_id.clone(),
            )
        })
        .collect();
    // The basis starts as this year's hours logged on tasks (the work module's worklogs).
    let year = time::OffsetDateTime::now_utc().year();
    let hours = commune_app::work::logs::hours_for_year(state, &org, year).await?;
    let basis = hours.iter().map(|(h, n)| format!("{h}: {n}")).collect::<Vec<_>>().join("\n");
    Ok(PatronagePage {
        redemptions,
        page: web.page(format!("Patronage · {}", org.name), "orgs"),
        steward: steward_of(state, web, &org).await? && !org.is_root,
        balance: money(i128::from(view.balance_minor)),
        years,
        statement,
        org,
        form: PatronageForm { basis_unit: "hours".into(), year: year.to_string(), basis, ..PatronageForm::default() },
        problems: Problems::default(),
    })
}

pub async fn patronage(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&patronage_page(&state, &web, &slug).await?))
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RedeemForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    amount: String,
}

pub async fn redeem(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<RedeemForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = commune_app::patronage::RedemptionInput { member: form.member.clone(), amount: form.amount.clone() };
    match commune_app::patronage::redeem(&state, &web.caller, &slug, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}/patronage#redemptions")).into_response()),
        Err(e) => {
            let mut page = patronage_page(&state, &web, &slug).await?;
            page.problems = field_problems(e)?;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

pub async fn declare_patronage(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<PatronageForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let mut basis = Vec::new();
    let mut unreadable = None;
    for row in form.basis.lines().filter(|l| !l.trim().is_empty()) {
        let (handle, amount) = row.rsplit_once(':').unwrap_or((row, ""));
        match amount.trim().parse::<u64>() {
            Ok(n) => basis.push((handle.trim().to_owned(), n)),
            Err(_) => unreadable = Some(row.trim().to_owned()),
        }
    }
    let input = commune_app::patronage::PatronageInput {
        year: form.year.trim().parse().unwrap_or(0),
        surplus: form.surplus.clone(),
        basis,
        basis_unit: form.basis_unit.clone(),
    };
    let result = match unreadable {
        Some(row) => Err(commune_domain::validation::Invalid::new(
            "basis",
            format!("\"{row}\": write a handle, a colon and a whole number"),
        )
        .into()),
        None => commune_app::patronage::declare(&state, &web.caller, &slug, &input).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}/patronage")).into_response()),
        Err(e) => {
            let mut page = patronage_page(&state, &web, &slug).await?;
            page.problems = field_problems(e)?;
            page.form = form;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}
