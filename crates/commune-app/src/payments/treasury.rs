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
    /// The main account's balance at the month's end (the pot's, for the commune).
    pub balance_minor: i128,
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
    /// The commune only: the pot's story in the months shown.
    pub pot_story: Option<PotStory>,
    /// What went out in the months shown, by kind (allocation, budget, expense, payment, ...),
    /// largest first.
    pub out_by_kind: Vec<(String, i128)>,
}

/// Where the common pot's money came from and went, for the commune's treasury page.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct PotStory {
    /// Funnel shares that came in over the months shown.
    pub in_minor: i128,
    /// What open proposals would spend from the pot if they pass (in discussion or voting).
    pub committed_minor: i128,
    /// The pot's balance less what is committed (never below zero).
    pub available_minor: i128,
    /// Funnel shares per business, largest first: (business, total).
    pub by_business: Vec<(String, i128)>,
    /// What proposals paid for from the pot and the commune's own wallet, newest first.
    pub funded: Vec<Funded>,
}

/// One spending from the pot and the proposal that decided it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Funded {
    pub at_ms: i64,
    /// Who received it (a member's or an organisation's name).
    pub to: String,
    pub amount_minor: i128,
    /// The deciding proposal, when the transfer names one.
    pub proposal_id: Option<String>,
    pub proposal_title: Option<String>,
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
    let mut out_by_kind: Vec<(String, i128)> = Vec::new();
    if let Some(row) = state.store.ledger_account(main.wallet(ledger.id).id).await? {
        // The newest page at its largest: the months it spans (a busy pot spans fewer).
        let filter =
            StatementQuery { limit: Some(commune_store::MAX_PAGE_LINES as usize), ..StatementQuery::default() };
        let full = statements::statement(state, &row, &filter).await?;
        for line in full.lines.iter().filter(|l| l.status == "posted") {
            let month = commune_domain::ledger::export::date_of(line.at_ms)[..7].to_owned();
            if months.last().is_none_or(|m| m.month != month) {
                months.push(TreasuryMonth {
                    month,
                    revenue_minor: 0,
                    funnel_minor: 0,
                    spent_minor: 0,
                    balance_minor: 0,
                });
            }
            if let Some(m) = months.last_mut() {
                match (line.kind.as_str(), line.amount_minor > 0) {
                    ("funnel", false) => m.funnel_minor -= line.amount_minor,
                    (_, true) => m.revenue_minor += line.amount_minor,
                    (_, false) => m.spent_minor -= line.amount_minor,
                }
            }
        }
        // Closing balances, walking back from the balance now.
        let mut balance = i128::from(row.account.credits_posted) - i128::from(row.account.debits_posted);
        for m in months.iter_mut().rev() {
            m.balance_minor = balance;
            balance -= m.revenue_minor - m.funnel_minor - m.spent_minor;
        }
        for line in full.lines.iter().filter(|l| l.status == "posted" && l.amount_minor < 0 && l.kind != "funnel") {
            match out_by_kind.iter_mut().find(|(k, _)| *k == line.kind) {
                Some((_, total)) => *total -= line.amount_minor,
                None => out_by_kind.push((line.kind.clone(), -line.amount_minor)),
            }
        }
        out_by_kind.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        statement = Some(full);
    }
    let pot_story = match (org.is_root, &statement) {
        (true, Some(full)) => Some(pot_story(state, org, full, &pot, &ledger.asset).await?),
        _ => None,
    };
    let view = TreasuryView {
        pot_story,
        out_by_kind,
        wallets,
        funnel_rate: crate::policy::commune(&state.store).await?.get("funnel_rate"),
        pot,
        months,
        currency: ledger.asset,
        scale: ledger.scale,
    };
    Ok((view, statement))
}

/// The pot's story from its statement: funnel in by business, what each allocation funded, and
/// what open proposals would still spend.
async fn pot_story(
    state: &AppState,
    root: &commune_store::Org,
    full: &Statement,
    pot: &[WalletView],
    currency: &str,
) -> Result<PotStory, AppError> {
    let mut story = PotStory::default();
    let mut by_business: std::collections::BTreeMap<String, i128> = std::collections::BTreeMap::new();
    for line in full.lines.iter().filter(|l| l.status == "posted") {
        if line.amount_minor > 0 {
            story.in_minor += line.amount_minor;
            *by_business.entry(line.counterparty.name.clone()).or_default() += line.amount_minor;
        } else {
            let proposal_id = line.memo.strip_prefix("proposal ").map(str::to_owned);
            let proposal_title = match &proposal_id {
                Some(id) => state.store.proposal(id).await?.map(|p| p.title),
                None => None,
            };
            story.funded.push(Funded {
                at_ms: line.at_ms,
                to: line.counterparty.name.clone(),
                amount_minor: -line.amount_minor,
                proposal_id,
                proposal_title,
            });
        }
    }
    // Proposals also spend the commune's own wallet (a budget's escrow is funded from it).
    let ledger = ledger_named(state, Some(currency)).await?;
    if let Some(row) = state.store.ledger_account(Owner::Org(root.id.clone()).wallet(ledger.id).id).await? {
        let filter =
            StatementQuery { limit: Some(commune_store::MAX_PAGE_LINES as usize), ..StatementQuery::default() };
        let own = statements::statement(state, &row, &filter).await?;
        for line in own.lines.iter().filter(|l| l.status == "posted" && l.amount_minor < 0) {
            if let Some(id) = line.memo.strip_prefix("proposal ") {
                let proposal_title = state.store.proposal(id).await?.map(|p| p.title);
                story.funded.push(Funded {
                    at_ms: line.at_ms,
                    to: line.counterparty.name.clone(),
                    amount_minor: -line.amount_minor,
                    proposal_id: Some(id.to_owned()),
                    proposal_title,
                });
            }
        }
    }
    story.funded.sort_by_key(|f| std::cmp::Reverse(f.at_ms));
    story.by_business = by_business.into_iter().collect();
    story.by_business.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    use commune_domain::governance::proposal::{Effect, Phase};
    for p in state.store.org_proposals(&root.id, "").await? {
        if !matches!(p.phase, Phase::Discussion | Phase::Voting | Phase::Closed) {
            continue;
        }
        match &p.effect {
            Effect::Allocate { amount_minor, currency: c, .. } | Effect::Fund { amount_minor, currency: c, .. }
                if c == currency =>
            {
                story.committed_minor += i128::from(*amount_minor)
            }
            Effect::Budget { total_minor, currency: c } if c == currency => {
                story.committed_minor += i128::from(*total_minor)
            }
            _ => {}
        }
    }
    let balance: i128 = pot.iter().filter(|w| w.currency == currency).map(|w| w.balance_minor).sum();
    story.available_minor = (balance - story.committed_minor).max(0);
    Ok(story)
}
