//! An organisation's treasury: its wallets, revenue, funnel and spending by month, and (for the
//! commune) the common pot.

use crate::error::AppError;
use crate::payments::parties::ledger_named;
use crate::payments::statements::{self, Statement, StatementQuery, WalletView, wallets_of};
use crate::state::AppState;
use commune_domain::ledger::payments::Owner;

/// A month of an organisation's treasury.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TreasuryMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub revenue_minor: i128,
    pub funnel_minor: i128,
    pub spent_minor: i128,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TreasuryView {
    pub wallets: Vec<WalletView>,
    /// The share of business revenue that flows to the common pot.
    pub funnel_rate: f64,
    /// The common pot (on the commune's own treasury).
    pub pot: Vec<WalletView>,
    /// Revenue (for the commune: what flowed into the pot), funnel and spending per month in
    /// `currency`, oldest first.
    pub months: Vec<TreasuryMonth>,
    pub currency: String,
    pub scale: u32,
}

/// The treasury, and the statement of its main account (the pot for the commune) it was made
/// from, so a page can show both without computing the history twice.
pub async fn treasury_of(
    state: &AppState,
    org: &commune_store::Org,
) -> Result<(TreasuryView, Option<Statement>), AppError> {
    let owner = Owner::Org(org.id.clone());
    let wallets = wallets_of(state, &owner).await?;
    let pot = if org.is_root { wallets_of(state, &Owner::Pot).await? } else { Vec::new() };
    let ledger = ledger_named(state, None).await?;
    let mut months: Vec<TreasuryMonth> = Vec::new();
    // The commune's story is its pot: funnel shares in, allocations out.
    let main = if org.is_root { Owner::Pot } else { owner };
    let mut statement = None;
    if let Some(row) = state.store.ledger_account(main.wallet(ledger.id).id).await? {
        // The newest page at its largest: the months it spans (a busy pot spans fewer).
        let filter =
            StatementQuery { limit: Some(commune_store::MAX_PAGE_LINES as usize), ..StatementQuery::default() };
        let full = statements::statement(state, &row, &filter).await?;
        for line in full.lines.iter().filter(|l| l.status == "posted") {
            let month = commune_domain::ledger::export::date_of(line.at_ms)[..7].to_owned();
            if months.last().is_none_or(|m| m.month != month) {
                months.push(TreasuryMonth { month, revenue_minor: 0, funnel_minor: 0, spent_minor: 0 });
            }
            if let Some(m) = months.last_mut() {
                match (line.kind.as_str(), line.amount_minor > 0) {
                    ("funnel", false) => m.funnel_minor -= line.amount_minor,
                    (_, true) => m.revenue_minor += line.amount_minor,
                    (_, false) => m.spent_minor -= line.amount_minor,
                }
            }
        }
        statement = Some(full);
    }
    let view = TreasuryView {
        wallets,
        funnel_rate: crate::policy::commune(&state.store).await?.get("funnel_rate"),
        pot,
        months,
        currency: ledger.asset,
        scale: ledger.scale,
    };
    Ok((view, statement))
}
