//! The demo's budgets and expenses, through the real operations: common-code's operating budget
//! with an expense in every state (draft, pending with one approval, approved and waiting for
//! its payer, paid, rejected, cancelled), receipts attached, and one that passes its line.

use super::people::{Staffed, caller};
use crate::caller::Caller;
use crate::error::AppError;
use crate::expenses::{self, BudgetInput, ExpenseInput, LineInput};
use crate::state::AppState;
use commune_domain::capital::expense::Step;
use commune_domain::org::Role;
use commune_store::Member;

/// A receipt the size of a real one's header: enough to be typed and hashed.
const RECEIPT: &[u8] = b"%PDF-1.4\n% demo receipt\n";

pub(crate) async fn season(
    state: &AppState,
    staffed: &Staffed,
    members: &[Member],
    visitor: &Member,
) -> Result<(), AppError> {
    let (org, _) = staffed;
    let (stewards, others) = super::people::staff(state, staffed, members, visitor).await?;
    // Two stewards besides the visitor approve; the visitor (a steward here) pays.
    let (Some(first), Some(second), Some(filer)) = (stewards.first(), stewards.get(1), others.first()) else {
        return Ok(());
    };
    let (first, second, filer, visitor) = (caller(first), caller(second), caller(filer), caller(visitor));
    let line = |name: &str, amount: &str| LineInput { name: name.into(), amount: amount.into() };
    let year = time::OffsetDateTime::now_utc().year();
    let budget = BudgetInput {
        name: format!("{year} operations"),
        project: "Hosting and the workshop".into(),
        currency: None,
        starts_on: format!("{year}-01-01"),
        ends_on: format!("{year}-12-31"),
        lines: vec![line("Hardware", "150"), line("Services", "200"), line("Events", "300")],
    };
    expenses::create_budget(state, &first, &org.slug, &budget).await?;
    let (_, views) = expenses::budgets(state, &first, &org.slug).await?;
    let line_id = |name: &str| {
        views.first().and_then(|b| b.lines.iter().find(|l| l.line.name == name)).map(|l| l.line.id.clone())
    };
    let file = |title: &'static str, amount: &'static str, line: Option<String>| ExpenseInput {
        title: title.into(),
        description: String::new(),
        amount: amount.into(),
        line_id: line,
    };
    let mut made = Vec::new();
    for (title, amount, line) in [
        ("Conference tickets", "90", "Events"),
        ("New keyboards", "120", "Hardware"),
        ("Domain renewals", "60", "Services"),
        ("Rack screws and cable ties", "35", "Hardware"),
        ("Espresso machine", "300", "Events"),
        ("Team lunch", "80", "Events"),
    ] {
        let e = expenses::create_expense(state, &filer, &org.slug, &file(title, amount, line_id(line))).await?;
        expenses::add_receipt(state, &filer, &e.id, RECEIPT).await?;
        made.push(e.id);
    }
    let act = |who: &Caller, id: &str, step: Step, note: &'static str, confirm: bool| {
        let (who, id) = (who.clone(), id.to_owned());
        async move { expenses::act(state, &who, &id, step, note, confirm).await }
    };
    // draft: made[0] stays a draft.
    for id in &made[1..] {
        act(&filer, id, Step::Submit, "", false).await?;
    }
    // pending with one approval (the keyboards pass their line with the screws: a warning).
    act(&first, &made[1], Step::Approve, "", true).await?;
    // approved, waiting for a payer (the visitor may pay it).
    act(&first, &made[2], Step::Approve, "", false).await?;
    act(&second, &made[2], Step::Approve, "", false).await?;
    // paid by the visitor.
    act(&first, &made[3], Step::Approve, "", false).await?;
    act(&second, &made[3], Step::Approve, "", false).await?;
    act(&visitor, &made[3], Step::Pay, "", false).await?;
    // rejected, with the reason; cancelled by its filer.
    act(&second, &made[4], Step::Reject, "we share the chapter's machine", false).await?;
    act(&filer, &made[5], Step::Cancel, "the client paid for lunch", false).await?;
    Ok(())
}

/// Last year's patronage of a business: its surplus split by its policies over the hours each
/// member recorded.
pub(crate) async fn last_year(state: &AppState, staffed: &Staffed, members: &[Member]) -> Result<(), AppError> {
    let (org, ids) = staffed;
    let mut steward = None;
    let mut basis = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let Some(m) = members.iter().find(|m| m.id == *id) else { continue };
        if steward.is_none() && state.store.role_in(&org.id, id).await? == Some(Role::Steward) {
            steward = Some(caller(m));
        }
        basis.push((m.handle.clone(), 400 + (i as u64 * 137) % 900));
    }
    let Some(steward) = steward else { return Ok(()) };
    let input = crate::patronage::PatronageInput {
        year: time::OffsetDateTime::now_utc().year() - 1,
        surplus: "2400".into(),
        basis,
        basis_unit: "hours".into(),
    };
    crate::patronage::declare(state, &steward, &org.slug, &input).await?;
    Ok(())
}
