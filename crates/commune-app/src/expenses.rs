//! Budgets and expenses (DESIGN.md §2.6). A budget has line items over a period; its actuals are
//! read from the ledger (the transfers that paid its expenses). An expense follows Open
//! Collective's lifecycle, decided by `domain::capital::expense::decide`: its submitter, its
//! approvers and its payer are three different people; below the `expense_vote_threshold` policy
//! `expense_approvals` stewards approve it, at or above it a weighted vote does. Approving past a
//! budget line needs saying so. Paying moves the money once (the transfer id is derived from the
//! expense) from the organisation's wallet — the pot, for the commune's own expenses.

use crate::caller::Caller;
use crate::error::AppError;
use crate::governance::drafting;
use crate::payments::movement::{Movement, authorize_debit, move_money};
use crate::payments::parties::{ledger_named, show_id};
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::capital::expense::{self, Facts, Outcome, Refusal, Status, Step, Who};
use commune_domain::ledger::amount;
use commune_domain::ledger::payments::{Owner, Payer, derive_id, transfer_code};
use commune_domain::ledger::plan;
use commune_domain::org::Role;
use commune_domain::validation::{Invalid, Violations, text};
use commune_store::{Budget, BudgetLine, Expense, NewBudget, NewExpense, Org, Receipt};

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct LineInput {
    pub name: String,
    /// In currency units (`1200`, `1200.50`).
    pub amount: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct BudgetInput {
    pub name: String,
    /// What within the organisation it is for (optional).
    #[serde(default)]
    pub project: String,
    /// The ledger's currency, e.g. `EUR` (default: the instance's first ledger).
    pub currency: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub starts_on: String,
    pub ends_on: String,
    /// 1 to 50 lines.
    pub lines: Vec<LineInput>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ExpenseInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// In currency units, above zero.
    pub amount: String,
    /// A line of one of the organisation's budgets (its currency is the expense's).
    pub line_id: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LineView {
    #[schema(value_type = Object)]
    pub line: BudgetLine,
    /// Approved and paid expenses on the line.
    pub committed_minor: i64,
    /// What the ledger shows paid for the line's expenses.
    pub actual_minor: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BudgetView {
    #[schema(value_type = Object)]
    pub budget: Budget,
    pub lines: Vec<LineView>,
    pub total_minor: i64,
    pub actual_minor: i64,
    pub scale: u32,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ExpenseView {
    #[schema(value_type = Object)]
    pub expense: Expense,
    pub approvers: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub receipts: Vec<Receipt>,
    /// At or above the vote threshold: a weighted vote decides it.
    pub needs_vote: bool,
    pub approvals_needed: u32,
    #[schema(value_type = Object)]
    pub line: Option<BudgetLine>,
    /// Approving it would take its line past the budgeted amount.
    pub over_line: bool,
    pub scale: u32,
}

const MAX_LINES: usize = 50;
const MAX_RECEIPTS: usize = 10;

fn day_ms(field: &'static str, raw: &str, end_of_day: bool) -> Result<i64, Invalid> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw.trim(), &format)
        .map_err(|_| Invalid::new(field, "write a date as YYYY-MM-DD, e.g. 2027-01-31"))?;
    let start = date.midnight().assume_utc().unix_timestamp() * 1000;
    Ok(if end_of_day { start + 24 * 3600 * 1000 - 1 } else { start })
}

fn role_is_steward(role: Option<Role>) -> bool {
    role == Some(Role::Steward)
}

pub async fn create_budget(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &BudgetInput,
) -> Result<Budget, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::ManageCapital).await?;
    let ledger = ledger_named(state, input.currency.as_deref()).await?;
    let mut problems = Violations::default();
    let name = problems.check(text("name", &input.name, 1, 120, false));
    let project = problems.check(text("project", &input.project, 0, 120, false));
    let starts = problems.check(day_ms("starts_on", &input.starts_on, false));
    let ends = problems.check(day_ms("ends_on", &input.ends_on, true));
    if let (Some(s), Some(e)) = (starts, ends)
        && e < s
    {
        problems.0.push(Invalid::new("ends_on", "the period ends after it starts"));
    }
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        problems.0.push(Invalid::new("lines", format!("give between 1 and {MAX_LINES} lines")));
    }
    let mut lines = Vec::new();
    for line in &input.lines {
        let name = problems.check(text("lines", &line.name, 1, 120, false));
        let amount = problems.check(amount::parse(&line.amount, ledger.scale, "lines"));
        if amount == Some(0) {
            problems.0.push(Invalid::new("lines", "a line's amount is above zero"));
        }
        if let (Some(name), Some(amount)) = (name, amount) {
            lines.push((name, amount));
        }
    }
    problems.into_result()?;
    let (Some(name), Some(project), Some(starts_at), Some(ends_at)) = (name, project, starts, ends) else {
        unreachable!("no problems means every field parsed");
    };
    let mut tx = state.store.write(&me.member.id).await?;
    let new = NewBudget {
        org_id: &org.id,
        name: &name,
        project: &project,
        currency: &ledger.asset,
        starts_at,
        ends_at,
        lines: &lines,
    };
    let id = tx.create_budget(new).await?;
    tx.commit().await?;
    let (budget, _) = state
        .store
        .budgets_of(&org.id)
        .await?
        .into_iter()
        .find(|(b, _)| b.id == id)
        .ok_or(AppError::NotFound("budget"))?;
    Ok(budget)
}

/// What the ledger shows paid for `expenses` (their transfers' posted amounts).
async fn actual(state: &AppState, expenses: &[Expense]) -> Result<i64, AppError> {
    let mut total = 0i64;
    for e in expenses.iter().filter(|e| e.status == "paid") {
        if let Some(stored) = state.store.ledger_transfer(derive_id(&["expense", &e.id])).await? {
            total += i64::try_from(stored.record.amount).unwrap_or(i64::MAX);
        }
    }
    Ok(total)
}

fn committed(expenses: &[Expense], except: Option<&str>) -> i64 {
    expenses
        .iter()
        .filter(|e| (e.status == "approved" || e.status == "paid") && Some(e.id.as_str()) != except)
        .map(|e| e.amount_minor)
        .sum()
}

pub async fn budgets(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<BudgetView>), AppError> {
    let org = org_for(state, caller, slug, Action::ReadTreasury).await?;
    let mut out = Vec::new();
    for (budget, lines) in state.store.budgets_of(&org.id).await? {
        let scale = ledger_named(state, Some(&budget.currency)).await?.scale;
        let mut views = Vec::new();
        for line in lines {
            let expenses = state.store.expenses_on_line(&line.id).await?;
            views.push(LineView {
                committed_minor: committed(&expenses, None),
                actual_minor: actual(state, &expenses).await?,
                line,
            });
        }
        out.push(BudgetView {
            total_minor: views.iter().map(|l| l.line.amount_minor).sum(),
            actual_minor: views.iter().map(|l| l.actual_minor).sum(),
            lines: views,
            budget,
            scale,
        });
    }
    Ok((org, out))
}

pub async fn create_expense(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &ExpenseInput,
) -> Result<Expense, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::Participate).await?;
    let line = match input.line_id.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(id) => match state.store.budget_line(id).await? {
            Some((line, org_id, currency)) if org_id == org.id => Some((line, currency)),
            _ => return Err(Invalid::new("line_id", "choose a line of one of this organisation's budgets").into()),
        },
        None => None,
    };
    let ledger = ledger_named(state, line.as_ref().map(|l| l.1.as_str())).await?;
    let mut problems = Violations::default();
    let title = problems.check(text("title", &input.title, 1, 120, false));
    let description = problems.check(text("description", &input.description, 0, 4000, true));
    let amount = problems.check(amount::parse(&input.amount, ledger.scale, "amount"));
    if amount == Some(0) {
        problems.0.push(Invalid::new("amount", "an expense is above zero"));
    }
    problems.into_result()?;
    let (Some(title), Some(description), Some(amount)) = (title, description, amount) else {
        unreachable!("no problems means every field parsed");
    };
    let mut tx = state.store.write(&me.member.id).await?;
    let new = NewExpense {
        org_id: &org.id,
        title: &title,
        description: &description,
        amount_minor: amount,
        currency: &ledger.asset,
        line_id: line.as_ref().map(|l| l.0.id.as_str()),
    };
    let id = tx.create_expense(new).await?;
    tx.commit().await?;
    state.store.expense(&id).await?.ok_or(AppError::NotFound("expense"))
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<Expense>), AppError> {
    let org = org_for(state, caller, slug, Action::ReadTreasury).await?;
    let expenses = state.store.expenses_of(&org.id).await?;
    Ok((org, expenses))
}

/// The expense, readable by the caller (members of its organisation, its tokens with
/// `payments:read`), with its organisation.
async fn readable(state: &AppState, caller: &Caller, id: &str) -> Result<(Expense, Org), AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, Action::ReadTreasury).await?;
    }
    let expense = state.store.expense(id).await?.ok_or(AppError::NotFound("expense"))?;
    let org = state.store.org_by_id(&expense.org_id).await?.ok_or(AppError::NotFound("expense"))?;
    caller.authorize(state, Some(&org), Action::ReadTreasury).await?;
    Ok((expense, org))
}

async fn facts(state: &AppState, expense: &Expense, scale: u32) -> Result<Facts, AppError> {
    let policies = crate::policy::of_org(&state.store, &expense.org_id).await?;
    let threshold = (policies.get("expense_vote_threshold") * 10f64.powi(scale as i32)).round().max(0.0) as u64;
    Ok(Facts {
        status: Status::parse(&expense.status).unwrap_or(Status::Cancelled),
        submitter: expense.submitter_id.clone(),
        approvers: state.store.expense_approvers(&expense.id).await?,
        amount_minor: u64::try_from(expense.amount_minor).unwrap_or(0),
        vote_threshold_minor: threshold,
        approvals_needed: policies.get("expense_approvals").round().clamp(1.0, 10.0) as u32,
    })
}

async fn over_line(state: &AppState, expense: &Expense) -> Result<(Option<BudgetLine>, bool), AppError> {
    let Some(line_id) = &expense.line_id else { return Ok((None, false)) };
    let Some((line, _, _)) = state.store.budget_line(line_id).await? else { return Ok((None, false)) };
    let on_line = state.store.expenses_on_line(line_id).await?;
    let over = expense::exceeds_line(
        u64::try_from(line.amount_minor).unwrap_or(0),
        u64::try_from(committed(&on_line, Some(&expense.id))).unwrap_or(0),
        u64::try_from(expense.amount_minor).unwrap_or(0),
    );
    Ok((Some(line), over))
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<(ExpenseView, Org), AppError> {
    let (expense, org) = readable(state, caller, id).await?;
    let scale = ledger_named(state, Some(&expense.currency)).await?.scale;
    let facts = facts(state, &expense, scale).await?;
    let (line, over_line) = over_line(state, &expense).await?;
    let view = ExpenseView {
        approvers: facts.approvers.clone(),
        receipts: state.store.receipts_of(&expense.id).await?,
        needs_vote: facts.needs_vote(),
        approvals_needed: facts.approvals_needed,
        line,
        over_line,
        expense,
        scale,
    };
    Ok((view, org))
}

fn refused(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::NotAllowed(why) => AppError::Denied(Denied::Forbidden(why)),
        Refusal::WrongState(why) => AppError::Rule(why.to_owned()),
    }
}

/// Takes a step on an expense (submit, approve, reject, pay, cancel). `note` is the reason for
/// a rejection or cancellation; `confirm_over_budget` says the approver saw the warning.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    id: &str,
    step: Step,
    note: &str,
    confirm_over_budget: bool,
) -> Result<Expense, AppError> {
    let me = caller.require_member()?;
    let (expense, org) = readable(state, caller, id).await?;
    caller.authorize(state, Some(&org), Action::Participate).await?;
    let steward = role_is_steward(state.store.role_in(&org.id, &me.member.id).await?);
    let scale = ledger_named(state, Some(&expense.currency)).await?.scale;
    let facts = facts(state, &expense, scale).await?;
    let who = Who { member_id: me.member.id.clone(), steward };
    let outcome = expense::decide(&facts, &who, step).map_err(refused)?;
    let note = text("note", note, 0, 500, false)?;
    if step == Step::Approve && !confirm_over_budget && over_line(state, &expense).await?.1 {
        return Err(AppError::Rule(
            "approving this takes its budget line past what was budgeted; confirm to approve anyway".into(),
        ));
    }
    let paid = if step == Step::Pay { Some(pay(state, &org, &expense).await?) } else { None };
    let mut tx = state.store.write(&me.member.id).await?;
    match outcome {
        Outcome::ApprovalRecorded { .. } => tx.approve_expense(&expense.id, &me.member.id).await?,
        Outcome::Becomes(to) => {
            if step == Step::Approve {
                tx.approve_expense(&expense.id, &me.member.id).await?;
            }
            let paid = paid.as_ref().map(|t| (me.member.id.as_str(), t.as_str()));
            if !tx.move_expense(&expense.id, facts.status.name(), to.name(), &note, paid).await? {
                return Err(AppError::Rule("the expense changed meanwhile; reload it".into()));
            }
        }
    }
    tx.commit().await?;
    state.store.expense(&expense.id).await?.ok_or(AppError::NotFound("expense"))
}

/// Moves the money for an approved expense, once: its transfer id is derived from the expense.
async fn pay(state: &AppState, org: &Org, expense: &Expense) -> Result<String, AppError> {
    let ledger = ledger_named(state, Some(&expense.currency)).await?;
    let from = if org.is_root { Owner::Pot } else { Owner::Org(org.id.clone()) };
    let right = authorize_debit(&Payer::ApprovedExpense, &from)?;
    let id = derive_id(&["expense", &expense.id]);
    let movement = Movement {
        what: plan::Movement {
            id,
            from,
            to: Owner::Member(expense.submitter_id.clone()),
            amount: u64::try_from(expense.amount_minor).unwrap_or(0),
            ledger: ledger.id,
            code: transfer_code::EXPENSE,
            hold_timeout_s: None,
            payee_is_business: false,
        },
        ledger: ledger.clone(),
        memo: format!("expense {}: {}", expense.id, expense.title),
        settles: None,
    };
    move_money(state, "system", movement, &right).await?;
    Ok(show_id(id))
}

/// Puts an expense at or above the threshold to a weighted vote: a yes/no decision proposal of
/// its organisation, merit-weighted, in the shortest window the floors allow; its result
/// approves or rejects the expense ([`follow_votes`]).
pub async fn put_to_vote(state: &AppState, caller: &Caller, id: &str) -> Result<Expense, AppError> {
    let me = caller.require_member()?;
    let (expense, org) = readable(state, caller, id).await?;
    caller.authorize(state, Some(&org), Action::ManageCapital).await?;
    let ledger = ledger_named(state, Some(&expense.currency)).await?;
    let facts = facts(state, &expense, ledger.scale).await?;
    if facts.status != Status::Pending || !facts.needs_vote() || expense.proposal_id.is_some() {
        return Err(AppError::Rule(
            "only a pending expense at or above the vote threshold, not yet voted on, is put to a vote".into(),
        ));
    }
    let money = amount::format(i128::from(expense.amount_minor), ledger.scale);
    let title = format!("Approve the expense “{}” ({money} {})", expense.title, expense.currency);
    let body = format!(
        "Expense [{}](/expenses/{}) at or above the vote threshold: yes approves it, no rejects it.",
        expense.title, expense.id
    );
    let proposal = decision_vote(state, caller, &org, &title, &body, "finance").await?;
    let mut tx = state.store.write(&me.member.id).await?;
    if !tx.set_expense_vote(&expense.id, &proposal.id).await? {
        return Err(AppError::Rule("the expense changed meanwhile; reload it".into()));
    }
    tx.commit().await?;
    state.store.expense(&expense.id).await?.ok_or(AppError::NotFound("expense"))
}

/// Drafts and publishes a yes/no, merit-weighted decision of `org` in the shortest window the
/// floors allow: how a money decision that stewards may not take alone goes to the members.
pub(crate) async fn decision_vote(
    state: &AppState,
    caller: &Caller,
    org: &Org,
    title: &str,
    body: &str,
    domain: &str,
) -> Result<commune_store::Proposal, AppError> {
    let proposal = drafting::draft_decision(state, caller, org, title, body, domain, 60_000).await?;
    drafting::publish(state, caller, &proposal.id).await
}

/// Approves or rejects pending expenses whose vote has finished (called by the scheduler).
pub async fn follow_votes(state: &AppState) -> Result<usize, AppError> {
    let mut moved = 0;
    for expense in state.store.expenses_awaiting_votes().await? {
        let Some(proposal_id) = &expense.proposal_id else { continue };
        let Some((passed, outcome)) = crate::governance::decided(state, proposal_id).await? else { continue };
        let to = if passed { "approved" } else { "rejected" };
        let mut tx = state.store.write("scheduler").await?;
        let note = format!("decided by vote: {outcome}");
        let note: String = note.chars().take(500).collect();
        if tx.move_expense(&expense.id, "pending", to, &note, None).await? {
            tx.commit().await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Attaches a receipt (its submitter or a steward, before approval): PNG, JPEG, WebP or PDF,
/// at most 2 MiB, at most ten per expense.
pub async fn add_receipt(state: &AppState, caller: &Caller, id: &str, bytes: &[u8]) -> Result<Receipt, AppError> {
    let me = caller.require_member()?;
    let (expense, org) = readable(state, caller, id).await?;
    let steward = role_is_steward(state.store.role_in(&org.id, &me.member.id).await?);
    if expense.submitter_id != me.member.id && !steward {
        return Err(AppError::Denied(Denied::Forbidden("only its submitter or a steward attaches receipts")));
    }
    if expense.status != "draft" && expense.status != "pending" {
        return Err(AppError::Rule("receipts are attached before an expense is decided".into()));
    }
    let content_type = expense::receipt_type(bytes)?;
    if state.store.receipts_of(&expense.id).await?.len() >= MAX_RECEIPTS {
        return Err(Invalid::new("receipt", format!("at most {MAX_RECEIPTS} receipts per expense")).into());
    }
    let mut tx = state.store.write(&me.member.id).await?;
    let receipt_id = tx.add_receipt(&expense.id, content_type, bytes).await?;
    tx.commit().await?;
    state
        .store
        .receipts_of(&expense.id)
        .await?
        .into_iter()
        .find(|r| r.id == receipt_id)
        .ok_or(AppError::NotFound("receipt"))
}

/// A receipt's type and bytes, for whoever may read its expense.
pub async fn receipt(state: &AppState, caller: &Caller, id: &str) -> Result<(String, Vec<u8>), AppError> {
    let (expense_id, content_type, bytes) =
        state.store.receipt_bytes(id).await?.ok_or(AppError::NotFound("receipt"))?;
    readable(state, caller, &expense_id).await?;
    Ok((content_type, bytes))
}
