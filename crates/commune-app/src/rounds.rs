//! Participatory-budgeting rounds (DESIGN.md §2.6): a steward opens one on a passed budget's
//! escrow; members propose projects; stewards review each with a public reason; members vote;
//! at the end the round's rule picks the winners, weighted by merit with the equal-weight
//! outcome beside it. Each winner's cost is then held in the escrow for its proposer (a pending
//! transfer with an id derived from the round and project, so placing it again is a replay) and
//! posted when a steward marks the milestone delivered, or voided back into the escrow.
//!
//! The escrow is spent only by its own round ([`Payer::Round`]): not by stewards, members or
//! tokens, and a proposer cannot capture their own award.

use crate::caller::Caller;
use crate::error::AppError;
use crate::payments::holds::settle_hold_as;
use crate::payments::movement::{Movement, authorize_debit, move_money};
use crate::payments::parties::{ledger_named, show_id};
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::capital::pb;
use commune_domain::capital::round::{self, Ballot, Candidate, Cast, Phase, RoundResult};
use commune_domain::capital::rules::Rule;
use commune_domain::governance::proposal::{Effect, Kind};
use commune_domain::governance::weight::{self, UNIT};
use commune_domain::ledger::amount;
use commune_domain::ledger::payments::{Owner, Payer, derive_id, transfer_code};
use commune_domain::ledger::plan::{self, Settlement};
use commune_domain::validation::{Invalid, Violations, text};
use commune_store::{NewRound, Org, PbProject, PbRound};

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RoundInput {
    /// The passed budget proposal whose escrow the round spends.
    pub budget_id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `approval`, `cumulative` or `knapsack`.
    pub ballot: String,
    /// Approval: at most this many projects (1–100).
    pub max_projects: Option<u32>,
    /// Approval: at most this total cost, in currency units (`1500.00`).
    pub max_cost: Option<String>,
    /// Cumulative: points per member (1–1,000; default 10).
    pub points: Option<u32>,
    /// `equal-shares` (default), `mes`, `mes-add1`, `greedy` or `phragmen`.
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ProjectInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Where it happens (a street, a district, "online").
    #[serde(default)]
    pub place: String,
    /// In currency units, strictly above zero (`2500`, `2500.50`).
    pub cost: String,
}

/// A round with its projects, the escrow's balance and the caller's own ballot.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RoundView {
    #[schema(value_type = Object)]
    pub round: PbRound,
    #[schema(value_type = Object)]
    pub ballot: Ballot,
    #[schema(value_type = Object)]
    pub projects: Vec<PbProject>,
    /// What the escrow holds now (posted, less what is held for awards), in minor units.
    pub budget_minor: i128,
    pub scale: u32,
    pub ballots_cast: i64,
    /// The caller's picks, `[[project_id, points]]`, if they voted.
    pub my_picks: Option<Vec<(String, u32)>>,
    /// The count and its explanation, once closed.
    #[schema(value_type = Object)]
    pub result: Option<RoundResult>,
}

const MAX_TITLE: usize = 120;
const MAX_TEXT: usize = 4000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// The escrow's available balance in minor units (posted credits less debits and holds).
pub(crate) async fn escrow_available(state: &AppState, budget_id: &str, currency: &str) -> Result<i128, AppError> {
    let ledger = ledger_named(state, Some(currency)).await?;
    let account = Owner::Budget(budget_id.to_owned()).wallet(ledger.id).id;
    Ok(match state.store.ledger_account(account).await? {
        Some(row) => row.account.available(),
        None => 0,
    })
}

pub async fn create(state: &AppState, caller: &Caller, slug: &str, input: &RoundInput) -> Result<PbRound, AppError> {
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::ManageCapital).await?;
    let mut problems = Violations::default();
    let title = problems.check(text("title", &input.title, 1, MAX_TITLE, false));
    let description = problems.check(text("description", &input.description, 0, MAX_TEXT, true));
    let rule = match input.rule.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => Some(Rule::EqualShares),
        Some(raw) => problems.check(
            Rule::parse(raw)
                .ok_or_else(|| Invalid::new("rule", "choose equal-shares, mes, mes-add1, greedy or phragmen")),
        ),
    };
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
    let max_cost = match input.max_cost.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(raw) => problems.check(amount::parse(raw, ledger.scale, "max_cost")),
        None => None,
    };
    let ballot = problems.check(Ballot::parse(&input.ballot, input.max_projects, max_cost, input.points));
    if rule == Some(Rule::Phragmen) && ballot.is_some_and(|b| b.kind() != pb::BallotKind::Approval) {
        problems.0.push(Invalid::new("rule", "sequential Phragmén counts approval or knapsack ballots only"));
    }
    problems.into_result()?;
    let (Some(title), Some(description), Some(rule), Some(ballot)) = (title, description, rule, ballot) else {
        unreachable!("no problems means every field parsed");
    };
    if escrow_available(state, input.budget_id.trim(), &currency).await? <= 0 {
        return Err(AppError::Rule(
            "this budget's escrow is empty: the budget proposal has not passed and moved its money yet".into(),
        ));
    }
    if state.store.escrow_claimed(input.budget_id.trim()).await? {
        return Err(AppError::Conflict("a round for this budget"));
    }
    let ballot_json = serde_json::to_string(&ballot).map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = state.store.write(&me.member.id).await?;
    let new = NewRound {
        org_id: &org.id,
        budget_id: input.budget_id.trim(),
        title: &title,
        description: &description,
        ballot: &ballot_json,
        rule: rule.name(),
        currency: &ledger.asset,
    };
    let id = tx.create_pb_round(new).await?;
    tx.commit().await?;
    state.store.pb_round(&id).await?.ok_or(AppError::NotFound("round"))
}

/// The round, checked readable by the caller, with its organisation.
async fn readable(state: &AppState, caller: &Caller, id: &str, action: Action) -> Result<(PbRound, Org), AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, action).await?;
    }
    let round = state.store.pb_round(id).await?.ok_or(AppError::NotFound("round"))?;
    let org = state.store.org_by_id(&round.org_id).await?.ok_or(AppError::NotFound("round"))?;
    caller.authorize(state, Some(&org), action).await?;
    Ok((round, org))
}

fn ballot_of(round: &PbRound) -> Result<Ballot, AppError> {
    serde_json::from_str(&round.ballot).map_err(|e| AppError::Internal(e.into()))
}

fn picks_of(raw: &str) -> Vec<(String, u32)> {
    serde_json::from_str(raw).unwrap_or_default()
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<PbRound>), AppError> {
    let org = org_for(state, caller, slug, Action::ReadProposals).await?;
    let rounds = state.store.pb_rounds_of(&org.id).await?;
    Ok((org, rounds))
}

pub async fn view(state: &AppState, caller: &Caller, id: &str) -> Result<(RoundView, Org), AppError> {
    let (round, org) = readable(state, caller, id, Action::ReadProposals).await?;
    let projects = state.store.pb_projects(&round.id).await?;
    let my_picks = match caller {
        Caller::Member(s) => state.store.pb_ballot(&round.id, &s.member.id).await?.map(|b| picks_of(&b.picks)),
        _ => None,
    };
    let result = round.result.as_deref().and_then(|r| serde_json::from_str(r).ok());
    let ledger = ledger_named(state, Some(&round.currency)).await?;
    let view = RoundView {
        ballot: ballot_of(&round)?,
        budget_minor: escrow_available(state, &round.budget_id, &round.currency).await?,
        scale: ledger.scale,
        ballots_cast: state.store.pb_ballot_count(&round.id).await?,
        my_picks,
        result,
        projects,
        round,
    };
    Ok((view, org))
}

pub async fn submit_project(
    state: &AppState,
    caller: &Caller,
    round_id: &str,
    input: &ProjectInput,
) -> Result<PbProject, AppError> {
    let me = caller.require_member()?;
    let (round, _) = readable(state, caller, round_id, Action::Participate).await?;
    let ledger = ledger_named(state, Some(&round.currency)).await?;
    let mut problems = Violations::default();
    let title = problems.check(text("title", &input.title, 1, MAX_TITLE, false));
    let description = problems.check(text("description", &input.description, 0, MAX_TEXT, true));
    let place = problems.check(text("place", &input.place, 0, 200, false));
    let cost = problems.check(amount::parse(&input.cost, ledger.scale, "cost"));
    if cost == Some(0) {
        problems.0.push(Invalid::new("cost", "a project costs more than zero"));
    }
    problems.into_result()?;
    let (Some(title), Some(description), Some(place), Some(cost)) = (title, description, place, cost) else {
        unreachable!("no problems means every field parsed");
    };
    let budget = escrow_available(state, &round.budget_id, &round.currency).await?;
    if i128::from(cost) > budget {
        return Err(Invalid::new("cost", "this costs more than the whole budget of the round").into());
    }
    let mut tx = state.store.write(&me.member.id).await?;
    let now = tx.pb_round_now(&round.id).await?.ok_or(AppError::NotFound("round"))?;
    if now.phase != Phase::Submission.name() {
        return Err(AppError::Rule("projects are proposed during the submission phase only".into()));
    }
    let id = tx.add_pb_project(&round.id, &title, &description, &place, cost).await?;
    tx.commit().await?;
    state.store.pb_project(&id).await?.ok_or(AppError::NotFound("project"))
}

pub async fn review(
    state: &AppState,
    caller: &Caller,
    project_id: &str,
    feasible: bool,
    reason: &str,
) -> Result<PbProject, AppError> {
    let me = caller.require_member()?;
    let project = state.store.pb_project(project_id).await?.ok_or(AppError::NotFound("project"))?;
    let (round, _) = readable(state, caller, &project.round_id, Action::ManageCapital).await?;
    let reason = text("reason", reason, 1, 500, false)?;
    let mut tx = state.store.write(&me.member.id).await?;
    let now = tx.pb_round_now(&round.id).await?.ok_or(AppError::NotFound("round"))?;
    if ![Phase::Submission.name(), Phase::Review.name()].contains(&now.phase.as_str()) {
        return Err(AppError::Rule("projects are reviewed before voting opens".into()));
    }
    tx.review_pb_project(&project.id, feasible, &reason).await?;
    tx.commit().await?;
    state.store.pb_project(project_id).await?.ok_or(AppError::NotFound("project"))
}

/// Moves the round on: submission → review → voting (for `voting_days`, 1–30, default 7) →
/// closed (counting now, before the end if the steward says so).
pub async fn advance(
    state: &AppState,
    caller: &Caller,
    round_id: &str,
    voting_days: Option<u32>,
) -> Result<PbRound, AppError> {
    let me = caller.require_member()?;
    let (round, _) = readable(state, caller, round_id, Action::ManageCapital).await?;
    let phase = Phase::parse(&round.phase).ok_or(AppError::NotFound("round"))?;
    match phase {
        Phase::Submission => {
            let mut tx = state.store.write(&me.member.id).await?;
            if !tx.advance_pb_round(&round.id, "submission", "review", None).await? {
                return Err(AppError::Rule("the round moved on meanwhile".into()));
            }
            tx.commit().await?;
        }
        Phase::Review => open_voting(state, &me.member.id, &round, voting_days).await?,
        Phase::Voting => {
            close(state, &me.member.id, &round.id).await?;
        }
        Phase::Closed => return Err(AppError::Rule("this round is closed".into())),
    }
    state.store.pb_round(round_id).await?.ok_or(AppError::NotFound("round"))
}

async fn open_voting(state: &AppState, actor: &str, round: &PbRound, voting_days: Option<u32>) -> Result<(), AppError> {
    let days = voting_days.unwrap_or(7);
    if !(1..=30).contains(&days) {
        return Err(Invalid::new("voting_days", "vote for between 1 and 30 days").into());
    }
    let mut tx = state.store.write(actor).await?;
    let projects = tx.pb_projects_now(&round.id).await?;
    if projects.iter().any(|p| p.review == "pending") {
        return Err(AppError::Rule("review every project first: each is feasible or not, with a reason".into()));
    }
    if !projects.iter().any(|p| p.review == "feasible") {
        return Err(AppError::Rule("no project was found feasible; there is nothing to vote on".into()));
    }
    let ends = tx.at_ms() + i64::from(days) * DAY_MS;
    if !tx.advance_pb_round(&round.id, "review", "voting", Some(ends)).await? {
        return Err(AppError::Rule("the round moved on meanwhile".into()));
    }
    let members = tx.member_ids(&round.org_id).await?;
    let shares = state.weights.merit_weights(&state.store, &round.org_id, "general", &members).await?;
    let merit = weight::apportion(&shares, UNIT * members.len() as u64);
    let snapshot: Vec<(String, u64)> = members.into_iter().zip(merit).collect();
    tx.snapshot_pb_weights(&round.id, &snapshot).await?;
    tx.commit().await?;
    Ok(())
}

/// Casts (or replaces) the caller's ballot: `picks` are `(project id, points)`; approval and
/// knapsack picks carry 1. Only feasible projects are on the ballot.
pub async fn cast(state: &AppState, caller: &Caller, round_id: &str, picks: &[(String, u32)]) -> Result<(), AppError> {
    let me = caller.require_member()?;
    let (round, _) = readable(state, caller, round_id, Action::Participate).await?;
    let ballot = ballot_of(&round)?;
    let budget = escrow_available(state, &round.budget_id, &round.currency).await?;
    let mut tx = state.store.write(&me.member.id).await?;
    let now = tx.pb_round_now(&round.id).await?.ok_or(AppError::NotFound("round"))?;
    if now.phase != Phase::Voting.name() {
        return Err(AppError::Rule("this round is not voting".into()));
    }
    if !tx.pb_weights_now(&round.id).await?.iter().any(|(m, _)| *m == me.member.id) {
        return Err(AppError::Denied(commune_domain::authz::Denied::Forbidden(
            "you were not a member when voting opened, so you are not eligible in this round",
        )));
    }
    let on_ballot: Vec<PbProject> =
        tx.pb_projects_now(&round.id).await?.into_iter().filter(|p| p.review == "feasible").collect();
    let costs: Vec<u64> = on_ballot.iter().map(|p| u64::try_from(p.cost_minor).unwrap_or(u64::MAX)).collect();
    let mut indexed = Vec::with_capacity(picks.len());
    for (id, points) in picks {
        let Some(i) = on_ballot.iter().position(|p| p.id == *id) else {
            return Err(Invalid::new("ballot", "a pick names a project that is not on this ballot").into());
        };
        indexed.push((i, *points));
    }
    ballot.check(&indexed, &costs, u64::try_from(budget.max(0)).unwrap_or(0))?;
    let stored: Vec<(&str, u32)> = indexed.iter().map(|&(i, x)| (on_ballot[i].id.as_str(), x)).collect();
    let json = serde_json::to_string(&stored).map_err(|e| AppError::Internal(e.into()))?;
    tx.cast_pb_ballot(&round.id, &me.member.id, &json).await?;
    tx.commit().await?;
    Ok(())
}

/// Counts a voting round and holds each winner's cost in the escrow; true when this call closed
/// it (false: it was already closed by someone else).
pub async fn close(state: &AppState, actor: &str, round_id: &str) -> Result<bool, AppError> {
    let round = state.store.pb_round(round_id).await?.ok_or(AppError::NotFound("round"))?;
    let ballot = ballot_of(&round)?;
    let rule = Rule::parse(&round.rule).unwrap_or(Rule::EqualShares);
    let budget = escrow_available(state, &round.budget_id, &round.currency).await?;
    let mut tx = state.store.write(actor).await?;
    let projects: Vec<PbProject> =
        tx.pb_projects_now(&round.id).await?.into_iter().filter(|p| p.review == "feasible").collect();
    let weights = tx.pb_weights_now(&round.id).await?;
    let candidates: Vec<Candidate> = projects
        .iter()
        .map(|p| Candidate {
            id: p.id.clone(),
            title: p.title.clone(),
            cost_minor: u64::try_from(p.cost_minor).unwrap_or(u64::MAX),
        })
        .collect();
    let casts: Vec<Cast> = tx
        .pb_ballots_now(&round.id)
        .await?
        .into_iter()
        .map(|b| Cast {
            merit_weight: weights.iter().find(|(m, _)| *m == b.member_id).map_or(UNIT, |w| w.1),
            picks: picks_of(&b.picks)
                .into_iter()
                .filter_map(|(id, x)| projects.iter().position(|p| p.id == id).map(|i| (i, x)))
                .collect(),
            member_id: b.member_id,
        })
        .collect();
    let budget_minor = u64::try_from(budget.max(0)).unwrap_or(0);
    let result =
        round::count(rule, ballot, &candidates, &casts, budget_minor).map_err(|e| AppError::Rule(e.to_string()))?;
    let json = serde_json::to_string(&result).map_err(|e| AppError::Internal(e.into()))?;
    if !tx.close_pb_round(&round.id, &json, &result.winners).await? {
        return Ok(false);
    }
    tx.commit().await?;
    fund_awards(state, round_id).await?;
    Ok(true)
}

/// Holds each `due` winner's cost in the escrow for its proposer. Idempotent: the transfer id is
/// derived from the round and project, so a retry after a crash replays instead of paying twice.
pub async fn fund_awards(state: &AppState, round_id: &str) -> Result<(), AppError> {
    let round = state.store.pb_round(round_id).await?.ok_or(AppError::NotFound("round"))?;
    let ledger = ledger_named(state, Some(&round.currency)).await?;
    let from = Owner::Budget(round.budget_id.clone());
    let right = authorize_debit(&Payer::Round(round.budget_id.clone()), &from)?;
    for project in state.store.pb_projects(round_id).await?.into_iter().filter(|p| p.award == "due") {
        let id = derive_id(&["award", &round.id, &project.id]);
        let movement = Movement {
            what: plan::Movement {
                id,
                from: from.clone(),
                to: Owner::Member(project.proposer_id.clone()),
                amount: u64::try_from(project.cost_minor).unwrap_or(0),
                ledger: ledger.id,
                code: transfer_code::AWARD,
                hold_timeout_s: Some(0),
                payee_is_business: false,
            },
            ledger: ledger.clone(),
            memo: format!("round {}: {}", round.id, project.title),
            settles: None,
        };
        move_money(state, "system", movement, &right).await?;
        let mut tx = state.store.write("system").await?;
        tx.set_pb_award(&project.id, "due", "pending", &show_id(id)).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// A steward marks a winner's milestone: `done` posts the held money to its proposer, otherwise
/// the hold is voided and the money returns to the escrow.
pub async fn deliver(state: &AppState, caller: &Caller, project_id: &str, done: bool) -> Result<PbProject, AppError> {
    let me = caller.require_member()?;
    let project = state.store.pb_project(project_id).await?.ok_or(AppError::NotFound("project"))?;
    let (round, _) = readable(state, caller, &project.round_id, Action::ManageCapital).await?;
    if project.award != "pending" {
        return Err(AppError::Rule(match project.award.as_str() {
            "done" => "this project was already paid".into(),
            "failed" => "this project's award was already returned to the budget".into(),
            _ => "only a winning project's award is delivered".into(),
        }));
    }
    let hold = derive_id(&["award", &round.id, &project.id]);
    let settlement = if done { Settlement::CaptureAll } else { Settlement::Release };
    settle_hold_as(state, &me.member.id, &Payer::Round(round.budget_id.clone()), hold, settlement).await?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.set_pb_award(&project.id, "pending", if done { "done" } else { "failed" }, &show_id(hold)).await?;
    tx.commit().await?;
    state.store.pb_project(project_id).await?.ok_or(AppError::NotFound("project"))
}

/// Closes rounds whose voting ended by `now_ms` and finishes interrupted award transfers;
/// returns how many rounds it closed.
pub async fn tick(state: &AppState, now_ms: i64) -> Result<usize, AppError> {
    let mut closed = 0;
    for round in state.store.pb_rounds_due(now_ms).await? {
        closed += usize::from(close(state, "scheduler", &round.id).await?);
    }
    for round in state.store.pb_rounds_awaiting_awards().await? {
        fund_awards(state, &round.id).await?;
    }
    Ok(closed)
}

/// The round as a Pabulib `.pb` file: feasible projects (with `selected` once closed) and ballots
/// under pseudonymous voter numbers.
pub async fn export(state: &AppState, caller: &Caller, round_id: &str) -> Result<String, AppError> {
    let (view, org) = view(state, caller, round_id).await?;
    let round = &view.round;
    let feasible: Vec<&PbProject> = view.projects.iter().filter(|p| p.review == "feasible").collect();
    let candidates: Vec<Candidate> = feasible
        .iter()
        .map(|p| Candidate { id: p.id.clone(), title: p.title.clone(), cost_minor: p.cost_minor.max(0) as u64 })
        .collect();
    let ballots = state.store.pb_ballots(&round.id).await?;
    let casts: Vec<Cast> = ballots
        .iter()
        .map(|b| Cast {
            member_id: String::new(),
            merit_weight: UNIT,
            picks: picks_of(&b.picks)
                .into_iter()
                .filter_map(|(id, x)| feasible.iter().position(|p| p.id == id).map(|i| (i, x)))
                .collect(),
        })
        .collect();
    let budget = view.result.as_ref().map_or(view.budget_minor.max(0) as u64, |r| r.budget_minor);
    let mut election = round::election(view.ballot, &candidates, &casts, budget, false);
    election.unit = 10u64.pow(view.scale);
    for (i, voter) in election.voters.iter_mut().enumerate() {
        voter.id = (i + 1).to_string();
    }
    election.meta = vec![
        ("description".into(), round.title.clone()),
        ("unit".into(), org.name.clone()),
        ("currency".into(), round.currency.clone()),
        ("rule".into(), round.rule.clone()),
    ];
    let winners: Vec<usize> = view
        .result
        .as_ref()
        .map(|r| r.winners.iter().filter_map(|w| candidates.iter().position(|c| c.id == *w)).collect())
        .unwrap_or_default();
    Ok(pb::write(&election, &winners))
}

/// Imports the projects of a `.pb` file into a round in submission (as the steward's proposals,
/// to be reviewed like any other). Costs are read in the file's currency units.
pub async fn import(state: &AppState, caller: &Caller, round_id: &str, text: &str) -> Result<usize, AppError> {
    let me = caller.require_member()?;
    let (round, _) = readable(state, caller, round_id, Action::ManageCapital).await?;
    let election = pb::parse(text).map_err(|e| Invalid::new("file", e.to_string()))?;
    let ledger = ledger_named(state, Some(&round.currency)).await?;
    let scale = 10u128.pow(ledger.scale);
    let mut tx = state.store.write(&me.member.id).await?;
    let now = tx.pb_round_now(&round.id).await?.ok_or(AppError::NotFound("round"))?;
    if now.phase != Phase::Submission.name() {
        return Err(AppError::Rule("projects are imported during the submission phase only".into()));
    }
    for project in &election.projects {
        let minor = u128::from(project.cost) * scale / u128::from(election.unit);
        if minor == 0 || u128::from(project.cost) * scale % u128::from(election.unit) != 0 {
            return Err(Invalid::new(
                "file",
                format!("project `{}`: its cost must be above zero and in whole cents", project.id),
            )
            .into());
        }
        let title =
            if project.name.is_empty() { project.id.clone() } else { project.name.chars().take(MAX_TITLE).collect() };
        tx.add_pb_project(&round.id, &title, "", "", u64::try_from(minor).unwrap_or(u64::MAX)).await?;
    }
    tx.commit().await?;
    Ok(election.projects.len())
}
