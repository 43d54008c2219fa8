//! Patronage and capital accounts: a steward declares a business's year-end patronage surplus
//! with each member's basis (hours or contribution recorded for the year); the organisation's
//! policies split it (`domain::capital::patronage`) into the indivisible reserve (kept), the
//! commune's share (moved to the pot) and the members' allocations — the cash part paid from the
//! wallet, the rest credited to each member's capital account. Every transfer's id is derived
//! from the organisation, the year and the member, so nothing is paid twice; a year is declared
//! once. Members read their written notice and their capital account statement.

use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::movement::{Movement, authorize_debit, move_money};
use crate::payments::parties::{ledger_named, payer_of};
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::capital::patronage::{self, Policy};
use commune_domain::governance::weight::ppm;
use commune_domain::ledger::amount;
use commune_domain::ledger::payments::{Owner, derive_id, transfer_code};
use commune_domain::ledger::plan;
use commune_domain::validation::{Invalid, Violations};
use commune_store::{CapitalEntry, Org, PatronageYear};

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PatronageInput {
    /// The year the surplus was earned, e.g. 2026.
    pub year: i32,
    /// The patronage-sourced surplus, in currency units.
    pub surplus: String,
    /// What each member recorded for the year: `[[handle, hours or contribution], ...]`.
    pub basis: Vec<(String, u64)>,
    /// `hours` or `contribution` (how the basis reads on notices).
    #[serde(default)]
    pub basis_unit: String,
}

/// A year as members read it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct YearSplit {
    pub year: i32,
    pub surplus_minor: u64,
    pub reserve_minor: u64,
    pub commune_minor: u64,
    pub basis_unit: String,
    pub basis_total: u64,
    pub cash_share: f64,
    /// (member id, basis, allocated, cash, retained).
    pub members: Vec<(String, u64, u64, u64, u64)>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PatronageView {
    pub years: Vec<YearSplit>,
    /// The caller's capital account in this organisation.
    #[schema(value_type = Vec<Object>)]
    pub statement: Vec<CapitalEntry>,
    pub balance_minor: i64,
    pub currency: String,
    pub scale: u32,
    /// The organisation's redemptions (voting, paid or refused), newest first.
    #[schema(value_type = Vec<Object>)]
    pub redemptions: Vec<commune_store::Redemption>,
}

pub async fn declare(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &PatronageInput,
) -> Result<YearSplit, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::ManageCapital).await?;
    if org.is_root {
        return Err(AppError::Rule("patronage is declared by a business or chapter, not by the commune itself".into()));
    }
    let ledger = ledger_named(state, None).await?;
    let mut problems = Violations::default();
    if !(2000..=2200).contains(&input.year) {
        problems.0.push(Invalid::new("year", "give the year the surplus was earned, e.g. 2026"));
    }
    let surplus = problems.check(amount::parse(&input.surplus, ledger.scale, "surplus"));
    if surplus == Some(0) {
        problems.0.push(Invalid::new("surplus", "a surplus is above zero"));
    }
    if input.basis.is_empty() || input.basis.len() > 10_000 {
        problems.0.push(Invalid::new("basis", "give each member's hours or contribution for the year"));
    }
    let unit = match input.basis_unit.trim() {
        "" | "hours" => "hours",
        "contribution" => "contribution",
        _ => {
            problems.0.push(Invalid::new("basis_unit", "hours or contribution"));
            "hours"
        }
    };
    let members = state.store.org_members(&org.id).await?;
    let mut basis: Vec<(String, u64)> = Vec::new();
    for (handle, amount) in &input.basis {
        let handle = handle.trim().trim_start_matches('@');
        match members.iter().find(|m| m.handle == handle) {
            Some(m) if *amount <= 10_000_000 => match basis.iter_mut().find(|b| b.0 == m.member_id) {
                Some(_) => problems.0.push(Invalid::new("basis", format!("@{handle} is listed twice"))),
                None => basis.push((m.member_id.clone(), *amount)),
            },
            Some(_) => problems.0.push(Invalid::new("basis", format!("@{handle}: at most 10,000,000"))),
            None => problems.0.push(Invalid::new("basis", format!("@{handle} is not a member of {}", org.name))),
        }
    }
    let policies = crate::policy::of_org(&state.store, &org.id).await?;
    let (reserve, commune) =
        (ppm(policies.get("patronage_reserve_share")), ppm(policies.get("patronage_commune_share")));
    let cash = ppm(policies.get("patronage_cash_share"));
    let policy = if reserve + commune > 1_000_000 {
        problems
            .0
            .push(Invalid::new("surplus", "the organisation's reserve and commune shares add up to more than 100%"));
        None
    } else {
        problems.check(Policy::new(reserve, 1_000_000 - reserve - commune, commune, cash))
    };
    problems.into_result()?;
    let (Some(surplus), Some(policy)) = (surplus, policy) else { unreachable!("no problems means every field parsed") };
    let weights: Vec<u64> = basis.iter().map(|b| b.1).collect();
    let split = patronage::split(surplus, policy, &weights);
    let view = YearSplit {
        year: input.year,
        surplus_minor: surplus,
        reserve_minor: split.reserve_minor,
        commune_minor: split.commune_minor,
        basis_unit: unit.into(),
        basis_total: weights.iter().sum(),
        cash_share: policies.get("patronage_cash_share"),
        members: split
            .members
            .iter()
            .map(|a| (basis[a.member].0.clone(), basis[a.member].1, a.allocated_minor, a.cash_minor, a.retained_minor))
            .collect(),
    };
    // The money first, each transfer derived from the year (a retry replays); then the record.
    let from = Owner::Org(org.id.clone());
    let payer = payer_of(state, caller).await?;
    let right = authorize_debit(&payer, &from)?;
    let year = input.year.to_string();
    let mut payments: Vec<(Owner, u64, String)> = Vec::new();
    if view.commune_minor > 0 {
        payments.push((Owner::Pot, view.commune_minor, "commune".into()));
    }
    for (member, _, _, cash, _) in &view.members {
        if *cash > 0 {
            payments.push((Owner::Member(member.clone()), *cash, member.clone()));
        }
    }
    for (to, amount, who) in payments {
        let movement = Movement {
            what: plan::Movement {
                id: derive_id(&["patronage", &org.id, &year, &who]),
                from: from.clone(),
                to,
                amount,
                ledger: ledger.id,
                code: transfer_code::PATRONAGE,
                hold_timeout_s: None,
                payee_is_business: false,
            },
            ledger: ledger.clone(),
            memo: format!("patronage {year}"),
            settles: None,
        };
        move_money(state, &me.member.id, movement, &right).await?;
    }
    let credits: Vec<(String, u64)> =
        view.members.iter().filter(|m| m.4 > 0).map(|(id, _, _, _, retained)| (id.clone(), *retained)).collect();
    let json = serde_json::to_string(&view).map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.declare_patronage(&org.id, i64::from(input.year), &ledger.asset, surplus, &json, &credits).await?;
    tx.commit().await?;
    Ok(view)
}

/// The organisation's declared years and the caller's capital account (members of it).
pub async fn view(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, PatronageView), AppError> {
    let org = org_for(state, caller, slug, Action::ReadTreasury).await?;
    let ledger = ledger_named(state, None).await?;
    let years: Vec<YearSplit> = state
        .store
        .patronage_years(&org.id)
        .await?
        .iter()
        .filter_map(|y: &PatronageYear| serde_json::from_str(&y.split).ok())
        .collect();
    let statement = match caller.member() {
        Some(me) => state.store.capital_entries(&org.id, &me.member.id).await?,
        None => Vec::new(),
    };
    let balance_minor =
        statement.iter().map(|e| if e.kind == "redemption" { -e.amount_minor } else { e.amount_minor }).sum();
    let redemptions = state.store.redemptions_of(&org.id).await?;
    Ok((
        org,
        PatronageView { years, statement, balance_minor, currency: ledger.asset, scale: ledger.scale, redemptions },
    ))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RedemptionInput {
    /// Whose capital account: a member's handle.
    pub member: String,
    /// In currency units, above zero and at most the account's balance.
    pub amount: String,
}

/// Puts a redemption of a member's capital account to a merit-weighted vote of the organisation
/// (stewards); when it passes, the scheduler pays it from the wallet and writes the account's
/// debit line ([`follow_redemptions`]).
pub async fn redeem(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &RedemptionInput,
) -> Result<commune_store::Redemption, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::ManageCapital).await?;
    let ledger = ledger_named(state, None).await?;
    let handle = input.member.trim().trim_start_matches('@');
    let member =
        state.store.org_members(&org.id).await?.into_iter().find(|m| m.handle == handle).ok_or_else(|| {
            AppError::from(Invalid::new("member", format!("@{handle} is not a member of {}", org.name)))
        })?;
    let amount = amount::parse(&input.amount, ledger.scale, "amount")?;
    if amount == 0 {
        return Err(Invalid::new("amount", "redeem more than zero").into());
    }
    let balance: i64 = state
        .store
        .capital_entries(&org.id, &member.member_id)
        .await?
        .iter()
        .map(|e| if e.kind == "redemption" { -e.amount_minor } else { e.amount_minor })
        .sum();
    let pending: i64 = state
        .store
        .redemptions_of(&org.id)
        .await?
        .iter()
        .filter(|r| r.member_id == member.member_id && r.status == "voting")
        .map(|r| r.amount_minor)
        .sum();
    if i128::from(amount) > i128::from(balance - pending) {
        return Err(
            Invalid::new("amount", "more than the capital account holds (less redemptions being voted on)").into()
        );
    }
    let money = amount::format(i128::from(amount), ledger.scale);
    let title = format!("Redeem {money} {} of @{handle}'s capital account", ledger.asset);
    let body = format!(
        "Pay @{handle} {money} {} from {}'s wallet out of their capital account. Yes pays it; no keeps it.",
        ledger.asset, org.name
    );
    let proposal = crate::expenses::decision_vote(state, caller, &org, &title, &body, "finance").await?;
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.create_redemption(&org.id, &member.member_id, amount, &ledger.asset, &proposal.id).await?;
    tx.commit().await?;
    state.store.redemptions_of(&org.id).await?.into_iter().find(|r| r.id == id).ok_or(AppError::NotFound("redemption"))
}

/// Pays redemptions whose vote passed (from the organisation's wallet, by governance, with an id
/// derived from the redemption) and refuses those whose vote failed; called by the scheduler.
pub async fn follow_redemptions(state: &AppState) -> Result<usize, AppError> {
    use commune_domain::governance::proposal::Phase;
    let mut settled = 0;
    for r in state.store.redemptions_voting().await? {
        let Some(proposal) = state.store.proposal(&r.proposal_id).await? else { continue };
        let paid = match proposal.phase {
            Phase::Executed => true,
            Phase::Failed | Phase::Cancelled => false,
            _ => continue,
        };
        if paid {
            let ledger = ledger_named(state, Some(&r.currency)).await?;
            let from = Owner::Org(r.org_id.clone());
            let right = authorize_debit(&commune_domain::ledger::payments::Payer::Governance, &from)?;
            let movement = Movement {
                what: plan::Movement {
                    id: derive_id(&["redemption", &r.id]),
                    from,
                    to: Owner::Member(r.member_id.clone()),
                    amount: u64::try_from(r.amount_minor).unwrap_or(0),
                    ledger: ledger.id,
                    code: transfer_code::PATRONAGE,
                    hold_timeout_s: None,
                    payee_is_business: false,
                },
                ledger,
                memo: format!("proposal {}", r.proposal_id),
                settles: None,
            };
            if let Err(e) = move_money(state, "scheduler", movement, &right).await {
                // Not enough in the wallet now: tried again at the next tick.
                e.log();
                continue;
            }
        }
        let mut tx = state.store.write("scheduler").await?;
        if tx.settle_redemption(&r, paid).await? {
            tx.commit().await?;
            settled += 1;
        }
    }
    Ok(settled)
}
