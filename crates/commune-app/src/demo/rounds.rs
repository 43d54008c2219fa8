//! The demo's participatory budgeting, through the real operations: common-code's hosting budget
//! spent by a finished round (one award paid on delivery, one still held, merit and headcount
//! disagreeing on the result), and the commune's neighbourhood fund in an open round that the
//! visitor can vote in.

use super::people::{Staffed, caller};
use crate::caller::Caller;
use crate::error::AppError;
use crate::rounds::{self, ProjectInput, RoundInput};
use crate::state::AppState;
use commune_domain::governance::proposal::{Kind, Phase};
use commune_store::Member;

fn member<'a>(members: &'a [Member], id: &str) -> Result<&'a Member, AppError> {
    members.iter().find(|m| m.id == id).ok_or_else(|| AppError::internal(anyhow::anyhow!("demo member")))
}

/// The executed budget proposal of `org` titled `title`.
async fn budget(state: &AppState, org: &commune_store::Org, title: &str) -> Result<Option<String>, AppError> {
    Ok(state
        .store
        .org_proposals(&org.id, "")
        .await?
        .into_iter()
        .find(|p| p.kind == Kind::Budget && p.phase == Phase::Executed && p.title == title)
        .map(|p| p.id))
}

/// A round's stewards and staff as callers: (steward, everyone in the organisation).
async fn staff(state: &AppState, staffed: &Staffed, members: &[Member]) -> Result<(Caller, Vec<Member>), AppError> {
    let (org, ids) = staffed;
    let mut people = Vec::new();
    let mut steward = None;
    for id in ids {
        let m = member(members, id)?;
        if steward.is_none() && state.store.role_in(&org.id, id).await? == Some(commune_domain::org::Role::Steward) {
            steward = Some(caller(m));
        }
        people.push(m.clone());
    }
    let steward =
        steward.ok_or_else(|| AppError::internal(anyhow::anyhow!("a demo organisation without a steward")))?;
    Ok((steward, people))
}

/// Opens a round, has members propose `projects` (title, cost, place, feasible?), reviews them
/// and opens voting; returns the round id and the project ids.
async fn open_round(
    state: &AppState,
    org: &commune_store::Org,
    steward: &Caller,
    people: &[Member],
    input: RoundInput,
    projects: &[(&str, &str, &str, bool)],
) -> Result<(String, Vec<String>), AppError> {
    let round = rounds::create(state, steward, &org.slug, &input).await?;
    let mut ids = Vec::new();
    for (i, (title, cost, place, _)) in projects.iter().enumerate() {
        let proposer = caller(&people[(i * 3 + 1) % people.len()]);
        let input = ProjectInput {
            title: (*title).into(),
            description: String::new(),
            place: (*place).into(),
            cost: (*cost).into(),
        };
        ids.push(rounds::submit_project(state, &proposer, &round.id, &input).await?.id);
    }
    rounds::advance(state, steward, &round.id, None).await?;
    for (id, (_, _, _, feasible)) in ids.iter().zip(projects) {
        let reason =
            if *feasible { "checked: the price holds and we can run it" } else { "needs a roof lease we do not have" };
        rounds::review(state, steward, id, *feasible, reason).await?;
    }
    rounds::advance(state, steward, &round.id, Some(5)).await?;
    Ok((round.id, ids))
}

pub(crate) async fn season(state: &AppState, orgs: &[Staffed], members: &[Member]) -> Result<(), AppError> {
    finished_round(state, &orgs[4], members).await?;
    open_round_to_vote(state, &orgs[0], members).await
}

/// common-code's hosting round, counted: its most believable members back backups and
/// monitoring, the rest a second server — weighted by merit and by headcount the winners differ.
async fn finished_round(state: &AppState, staffed: &Staffed, members: &[Member]) -> Result<(), AppError> {
    let org = &staffed.0;
    let Some(budget_id) = budget(state, org, "Split the hosting budget").await? else { return Ok(()) };
    let (steward, people) = staff(state, staffed, members).await?;
    let input = RoundInput {
        budget_id,
        title: "Hosting round".into(),
        description: "What we run for everyone: the hosting budget, decided by equal shares.".into(),
        ballot: "approval".into(),
        rule: Some("equal-shares".into()),
        ..RoundInput::default()
    };
    let projects = [
        ("Nightly off-site backups", "450", "Data centre, Lisbon", true),
        ("Uptime monitoring", "250", "Online", true),
        ("A second server", "700", "Co-working basement", true),
        ("Solar-powered rack", "900", "Forge roof", false),
        ("Public status page", "150", "Online", true),
    ];
    let (round, ids) = open_round(state, org, &steward, &people, input, &projects).await?;
    // The snapshot's merit weights, most believable first.
    let mut weights = {
        let mut tx = state.store.write("demo").await?;
        tx.pb_weights_now(&round).await?
    };
    weights.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let believable = weights.len().div_ceil(3);
    for (rank, (id, _)) in weights.iter().enumerate() {
        let picks: Vec<(String, u32)> = if rank < believable {
            vec![(ids[0].clone(), 1), (ids[1].clone(), 1), (ids[4].clone(), 1)]
        } else if rank % 4 == 3 {
            vec![(ids[1].clone(), 1)]
        } else {
            vec![(ids[2].clone(), 1), (ids[4].clone(), 1)]
        };
        rounds::cast(state, &caller(member(members, id)?), &round, &picks).await?;
    }
    rounds::advance(state, &steward, &round, None).await?;
    // The first winner delivered and paid; the others still held until their milestone.
    let view = rounds::view(state, &steward, &round).await?.0;
    if let Some(first) = view.projects.iter().find(|p| p.award == "pending") {
        rounds::deliver(state, &steward, &first.id, true).await?;
    }
    Ok(())
}

/// The commune's neighbourhood fund, voting now: a knapsack ballot, half the members have voted,
/// the founder (the visitor's account) has not.
async fn open_round_to_vote(state: &AppState, staffed: &Staffed, members: &[Member]) -> Result<(), AppError> {
    let org = &staffed.0;
    let Some(budget_id) = budget(state, org, "A fund for neighbourhood projects").await? else { return Ok(()) };
    let (steward, people) = staff(state, staffed, members).await?;
    let input = RoundInput {
        budget_id,
        title: "Neighbourhood projects".into(),
        description: "Pick what fits in 800 EUR: the meter shows what your choice costs.".into(),
        ballot: "knapsack".into(),
        rule: Some("equal-shares".into()),
        ..RoundInput::default()
    };
    let projects = [
        ("Tool library shelves", "240", "Riverside", true),
        ("Community fridge", "380", "Market square", true),
        ("Bike repair stand", "160", "Station", true),
        ("Wildflower strip", "120", "Canal path", true),
        ("Solar lights for the path", "520", "Canal path", true),
    ];
    let (round, ids) = open_round(state, org, &steward, &people, input, &projects).await?;
    for (i, m) in people.iter().enumerate().skip(2).step_by(2) {
        let picks: Vec<(String, u32)> = match i % 3 {
            0 => vec![(ids[0].clone(), 1), (ids[1].clone(), 1), (ids[2].clone(), 1)],
            1 => vec![(ids[4].clone(), 1), (ids[3].clone(), 1)],
            _ => vec![(ids[1].clone(), 1), (ids[3].clone(), 1), (ids[2].clone(), 1)],
        };
        rounds::cast(state, &caller(m), &round, &picks).await?;
    }
    Ok(())
}

/// The commune's matching pot in an open funding round: members' gifts so far, matched by
/// cluster matching (support across organisations counts most).
pub(crate) async fn funding(
    state: &AppState,
    staffed: &Staffed,
    orgs: &[Staffed],
    members: &[Member],
) -> Result<(), AppError> {
    let org = &staffed.0;
    let Some(budget_id) = budget(state, org, "A matching pot for members' gifts").await? else { return Ok(()) };
    let (steward, people) = staff(state, staffed, members).await?;
    let input = crate::funding::FundingInput {
        budget_id,
        title: "Spring gifts, matched".into(),
        rule: "cocm".into(),
        damping: None,
        cap_share: Some(0.4),
    };
    let round = crate::funding::create(state, &steward, &org.slug, &input).await?;
    let mut projects = Vec::new();
    for (title, recipient) in [
        ("Riverside clean-up kit", format!("org:{}", orgs[5].0.slug)),
        ("Repair café tools", format!("org:{}", orgs[3].0.slug)),
        ("Kids' coding club", format!("org:{}", orgs[4].0.slug)),
    ] {
        let p = crate::funding::add_project(
            state,
            &steward,
            &round.id,
            &crate::funding::FundingProjectInput { title: title.into(), recipient },
        )
        .await?;
        projects.push(p.id);
    }
    for (i, m) in people.iter().enumerate().skip(1).take(24) {
        let project = &projects[if i % 5 == 0 { 2 } else { i % 2 }];
        let amount = ["3", "5", "8", "2", "10"][i % 5];
        let input = crate::funding::ContributionInput { project_id: project.clone(), amount: amount.into() };
        match crate::funding::contribute(state, &caller(m), &round.id, &input).await {
            // A member whose wallet is empty simply gives nothing.
            Err(AppError::Ledger { .. }) => continue,
            other => other?,
        }
    }
    Ok(())
}
