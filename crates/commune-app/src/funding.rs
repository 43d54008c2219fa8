//! Funding rounds with quadratic matching (DESIGN.md §2.6): a passed budget's escrow is the
//! matching pot; members contribute from their wallets straight to projects (a contribution
//! above the wallet is refused by the ledger); at the close the round's rule — plain QF,
//! pairwise-damped or COCM with clusters from the contributors' organisations — splits the pot
//! (`domain::capital::qf`), each project's match capped, and the matches are paid from the escrow
//! by the round alone (`Payer::Round`), each with an id derived from the round and project.

use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::movement::{Movement, authorize_debit, move_money};
use crate::payments::parties::{ledger_named, payer_of, resolve_party, show_id};
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::capital::qf::{self, Matching};
use commune_domain::governance::proposal::{Effect, Kind};
use commune_domain::ledger::amount;
use commune_domain::ledger::payments::{Owner, Payer, derive_id, transfer_code};
use commune_domain::ledger::plan;
use commune_domain::validation::{Invalid, Violations, text};
use commune_store::{FundingProject, FundingRound, Org};

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct FundingInput {
    /// The passed budget proposal whose escrow is the matching pot.
    pub budget_id: String,
    pub title: String,
    /// `plain`, `pairwise` or `cocm` (default `cocm`).
    #[serde(default)]
    pub rule: String,
    /// Pairwise damping M in currency units (default 100; larger damps less).
    pub damping: Option<String>,
    /// The most one project's match may take of the pot, 0.01–1 (default 0.25).
    pub cap_share: Option<f64>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct FundingProjectInput {
    pub title: String,
    /// Who receives contributions and the match: a member's handle or `org:slug`.
    pub recipient: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ContributionInput {
    pub project_id: String,
    /// In currency units, above zero and within your wallet.
    pub amount: String,
}

/// The round's rule as stored.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct Spec {
    matching: Matching,
    cap_ppm: u64,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProjectTotals {
    pub project_id: String,
    pub title: String,
    pub recipient: String,
    pub contributed_minor: u64,
    pub contributors: usize,
    /// The match now (estimated while open; paid once closed).
    pub match_minor: u64,
    /// Plain QF's match, for comparison.
    pub plain_match_minor: u64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FundingView {
    #[schema(value_type = Object)]
    pub round: FundingRound,
    pub rule: String,
    pub cap_share: f64,
    pub pot_minor: i128,
    pub scale: u32,
    pub projects: Vec<ProjectTotals>,
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &FundingInput,
) -> Result<FundingRound, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::ManageCapital).await?;
    let mut problems = Violations::default();
    let title = problems.check(text("title", &input.title, 1, 120, false));
    let budget = state.store.proposal(input.budget_id.trim()).await?;
    let currency = match &budget {
        Some(p) if p.org_id == org.id && p.kind == Kind::Budget => match &p.effect {
            Effect::Budget { currency, .. } => Some(currency.clone()),
            _ => None,
        },
        _ => None,
    };
    let Some(currency) = currency else {
        problems.0.push(Invalid::new("budget_id", "choose a budget proposal of this organisation"));
        return Err(problems.into());
    };
    let ledger = ledger_named(state, Some(&currency)).await?;
    let damping = match input.damping.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(raw) => problems.check(amount::parse(raw, ledger.scale, "damping")),
        None => Some(100 * 10u64.pow(ledger.scale)),
    };
    if damping == Some(0) {
        problems.0.push(Invalid::new("damping", "M is above zero"));
    }
    let matching = match (input.rule.trim(), damping) {
        ("plain", _) => Some(Matching::Plain),
        ("pairwise", Some(m)) => Some(Matching::Pairwise { m: m as f64 }),
        ("" | "cocm", _) => Some(Matching::Cocm),
        ("pairwise", None) => None,
        _ => {
            problems.0.push(Invalid::new("rule", "choose plain, pairwise or cocm"));
            None
        }
    };
    let cap = input.cap_share.unwrap_or(0.25);
    if !(0.01..=1.0).contains(&cap) {
        problems.0.push(Invalid::new("cap_share", "cap each project's match at between 1% and 100% of the pot"));
    }
    problems.into_result()?;
    let (Some(title), Some(matching)) = (title, matching) else { unreachable!("no problems means every field parsed") };
    if crate::rounds::escrow_available(state, input.budget_id.trim(), &currency).await? <= 0 {
        return Err(AppError::Rule(
            "this budget's escrow is empty: the budget proposal has not passed and moved its money yet".into(),
        ));
    }
    if state.store.escrow_claimed(input.budget_id.trim()).await? {
        return Err(AppError::Conflict("a round for this budget"));
    }
    let spec = Spec { matching, cap_ppm: commune_domain::governance::weight::ppm(cap) };
    let rule = serde_json::to_string(&spec).map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.create_funding_round(&org.id, input.budget_id.trim(), &title, &rule, &ledger.asset).await?;
    tx.commit().await?;
    state.store.funding_round(&id).await?.ok_or(AppError::NotFound("funding round"))
}

async fn readable(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<(FundingRound, Org), AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, action).await?;
    }
    let round = state.store.funding_round(id).await?.ok_or(AppError::NotFound("funding round"))?;
    let org = state.store.org_by_id(&round.org_id).await?.ok_or(AppError::NotFound("funding round"))?;
    caller.authorize(state, Some(&org), action).await?;
    Ok((round, org))
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<FundingRound>), AppError> {
    let org = org_for(state, caller, slug, Action::ReadProposals).await?;
    let rounds = state.store.funding_rounds_of(&org.id).await?;
    Ok((org, rounds))
}

pub async fn add_project(
    state: &AppState,
    caller: &Caller,
    round_id: &str,
    input: &FundingProjectInput,
) -> Result<FundingProject, AppError> {
    let me = caller.require_member()?;
    let (round, _) = readable(state, caller, round_id, Action::ManageCapital).await?;
    let title = text("title", &input.title, 1, 120, false)?;
    let party = resolve_party(state, &input.recipient, "recipient").await?;
    party.owner()?;
    let recipient = if party.kind == "org" { format!("org:{}", party.handle) } else { party.handle.clone() };
    let mut tx = state.store.write(&me.member.id).await?;
    if tx.funding_round_now(&round.id).await?.is_none_or(|r| r.phase != "open") {
        return Err(AppError::Rule("projects join an open round only".into()));
    }
    let id = tx.add_funding_project(&round.id, &title, &recipient).await?;
    tx.commit().await?;
    state.store.funding_projects(&round.id).await?.into_iter().find(|p| p.id == id).ok_or(AppError::NotFound("project"))
}

/// Contributes from the caller's wallet straight to a project's recipient; counted toward the
/// match while the round is open.
pub async fn contribute(
    state: &AppState,
    caller: &Caller,
    round_id: &str,
    input: &ContributionInput,
) -> Result<(), AppError> {
    let me = caller.require_member()?;
    let (round, _) = readable(state, caller, round_id, Action::Participate).await?;
    let project = state
        .store
        .funding_projects(&round.id)
        .await?
        .into_iter()
        .find(|p| p.id == input.project_id)
        .ok_or_else(|| AppError::from(Invalid::new("project_id", "choose a project of this round")))?;
    let ledger = ledger_named(state, Some(&round.currency)).await?;
    let amount = amount::parse(&input.amount, ledger.scale, "amount")?;
    if amount == 0 {
        return Err(Invalid::new("amount", "contribute more than zero").into());
    }
    let to = resolve_party(state, &project.recipient, "recipient").await?;
    let from = Owner::Member(me.member.id.clone());
    let right = authorize_debit(&payer_of(state, caller).await?, &from)?;
    // Recorded first (inside the transaction that sees the round open), paid next; a refused
    // payment takes the record back, and the close counts only contributions the ledger shows.
    let id = uuid::Uuid::now_v7().as_u128();
    let mut tx = state.store.write(&me.member.id).await?;
    if tx.funding_round_now(&round.id).await?.is_none_or(|r| r.phase != "open") {
        return Err(AppError::Rule("this round is closed".into()));
    }
    tx.record_contribution(&round.id, &project.id, &me.member.id, amount, &show_id(id)).await?;
    tx.commit().await?;
    let movement = Movement {
        what: plan::Movement {
            id,
            from,
            to: to.owner()?.clone(),
            amount,
            ledger: ledger.id,
            code: transfer_code::FUNDING,
            hold_timeout_s: None,
            payee_is_business: to.is_business,
        },
        ledger: ledger.clone(),
        memo: format!("funding round {}: {}", round.id, project.title),
        settles: None,
    };
    if let Err(e) = move_money(state, &me.member.id, movement, &right).await {
        let mut tx = state.store.write(&me.member.id).await?;
        tx.withdraw_contribution(&show_id(id)).await?;
        tx.commit().await?;
        return Err(e);
    }
    Ok(())
}

/// Matches per project from the contributions the ledger shows posted.
async fn totals(state: &AppState, round: &FundingRound, pot: i128) -> Result<Vec<ProjectTotals>, AppError> {
    let spec: Spec = serde_json::from_str(&round.rule).map_err(|e| AppError::Internal(e.into()))?;
    let projects = state.store.funding_projects(&round.id).await?;
    let mut people: Vec<String> = Vec::new();
    let mut contributions: Vec<qf::Contribution> = Vec::new();
    for c in state.store.contributions(&round.id).await? {
        let posted = match crate::payments::parties::parse_id(Some(&c.transfer_id), "transfer") {
            Ok(id) => state.store.ledger_transfer(id).await?.is_some(),
            Err(_) => false,
        };
        let Some(p) = projects.iter().position(|p| p.id == c.project_id) else { continue };
        if !posted {
            continue;
        }
        let i = match people.iter().position(|m| *m == c.member_id) {
            Some(i) => i,
            None => {
                people.push(c.member_id.clone());
                people.len() - 1
            }
        };
        contributions.push((i, p, u64::try_from(c.amount_minor).unwrap_or(0)));
    }
    // Clusters: the organisations each contributor belongs to (COCM).
    let mut orgs: Vec<String> = Vec::new();
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for m in &people {
        let mut mine = Vec::new();
        for membership in state.store.memberships_of(m).await? {
            if membership.org.is_root {
                continue;
            }
            let k = match orgs.iter().position(|o| *o == membership.org.id) {
                Some(k) => k,
                None => {
                    orgs.push(membership.org.id.clone());
                    orgs.len() - 1
                }
            };
            mine.push(k);
        }
        clusters.push(mine);
    }
    let (n, p) = (people.len(), projects.len());
    let ideal = match spec.matching {
        Matching::Plain => qf::plain(&contributions, n, p),
        Matching::Pairwise { m } => qf::pairwise(&contributions, n, p, m),
        Matching::Cocm => qf::cocm(&contributions, n, p, &clusters, orgs.len()),
    };
    let pot = u64::try_from(pot.max(0)).unwrap_or(0);
    let cap = u64::try_from(u128::from(pot) * u128::from(spec.cap_ppm) / 1_000_000).unwrap_or(pot);
    let matched = qf::allocate(&ideal, pot, Some(cap.max(1)));
    let plain = qf::allocate(&qf::plain(&contributions, n, p), pot, Some(cap.max(1)));
    Ok(projects
        .iter()
        .enumerate()
        .map(|(k, project)| ProjectTotals {
            project_id: project.id.clone(),
            title: project.title.clone(),
            recipient: project.recipient.clone(),
            contributed_minor: contributions.iter().filter(|c| c.1 == k).map(|c| c.2).sum(),
            contributors: contributions
                .iter()
                .filter(|c| c.1 == k)
                .map(|c| c.0)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            match_minor: matched[k],
            plain_match_minor: plain[k],
        })
        .collect())
}

fn rule_name(spec: &Spec) -> String {
    match spec.matching {
        Matching::Plain => "plain quadratic funding".into(),
        Matching::Pairwise { .. } => "pairwise-damped quadratic funding".into(),
        Matching::Cocm => "connection-oriented cluster matching".into(),
    }
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<(FundingView, Org), AppError> {
    let (round, org) = readable(state, caller, id, Action::ReadProposals).await?;
    let spec: Spec = serde_json::from_str(&round.rule).map_err(|e| AppError::Internal(e.into()))?;
    let ledger = ledger_named(state, Some(&round.currency)).await?;
    let (pot, projects) = match &round.result {
        Some(result) => {
            let projects: Vec<ProjectTotals> =
                serde_json::from_str(result).map_err(|e| AppError::Internal(e.into()))?;
            (projects.iter().map(|p| i128::from(p.match_minor)).sum(), projects)
        }
        None => {
            let pot = crate::rounds::escrow_available(state, &round.budget_id, &round.currency).await?;
            (pot, totals(state, &round, pot).await?)
        }
    };
    let view = FundingView {
        rule: rule_name(&spec),
        cap_share: spec.cap_ppm as f64 / 1e6,
        pot_minor: pot,
        scale: ledger.scale,
        projects,
        round,
    };
    Ok((view, org))
}

/// Closes the round: the matches are fixed and paid from the escrow. Calling it again on a
/// closed round pays what an interruption left unpaid (each match's id is derived).
pub async fn close(state: &AppState, caller: &Caller, id: &str) -> Result<FundingRound, AppError> {
    let me = caller.require_member()?;
    let (round, _) = readable(state, caller, id, Action::ManageCapital).await?;
    let results = match &round.result {
        Some(result) => serde_json::from_str(result).map_err(|e| AppError::Internal(e.into()))?,
        None => {
            let pot = crate::rounds::escrow_available(state, &round.budget_id, &round.currency).await?;
            let results: Vec<ProjectTotals> = totals(state, &round, pot).await?;
            let json = serde_json::to_string(&results).map_err(|e| AppError::Internal(e.into()))?;
            let mut tx = state.store.write(&me.member.id).await?;
            if !tx.close_funding_round(&round.id, &json).await? {
                return Err(AppError::Rule("the round closed meanwhile; reload it".into()));
            }
            tx.commit().await?;
            results
        }
    };
    let ledger = ledger_named(state, Some(&round.currency)).await?;
    let from = Owner::Budget(round.budget_id.clone());
    let right = authorize_debit(&Payer::Round(round.budget_id.clone()), &from)?;
    for project in results.iter().filter(|p| p.match_minor > 0) {
        let to = resolve_party(state, &project.recipient, "recipient").await?;
        let movement = Movement {
            what: plan::Movement {
                id: derive_id(&["match", &round.id, &project.project_id]),
                from: from.clone(),
                to: to.owner()?.clone(),
                amount: project.match_minor,
                ledger: ledger.id,
                code: transfer_code::FUNDING,
                hold_timeout_s: None,
                payee_is_business: false,
            },
            ledger: ledger.clone(),
            memo: format!("funding round {}: match for {}", round.id, project.title),
            settles: None,
        };
        move_money(state, "system", movement, &right).await?;
    }
    state.store.funding_round(&round.id).await?.ok_or(AppError::NotFound("funding round"))
}
