//! A participatory-budgeting round's rules: its phases, its ballot and what a ballot may hold,
//! and the election a closed round hands to a rule, with the explanation members read.
//!
//! A round spends one budget escrow. Projects are proposed in `submission`, stewards mark each
//! feasible or not with a public reason in `review`, members vote in `voting`, and at `closed`
//! the rule picks the winners — with the members' merit weights and, beside it, with equal
//! weights. Knapsack ballots are approval ballots whose total cost must fit the budget.

use super::pb::{BallotKind, Election, Project, Voter};
use super::rules::{self, Options, Outcome, Rule};
use crate::validation::Invalid;
use num_rational::BigRational;
use num_traits::ToPrimitive;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Submission,
    Review,
    Voting,
    Closed,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Submission => "submission",
            Phase::Review => "review",
            Phase::Voting => "voting",
            Phase::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Phase> {
        [Phase::Submission, Phase::Review, Phase::Voting, Phase::Closed].into_iter().find(|p| p.name() == raw)
    }

    /// The phase a steward may move the round to next (closing happens by counting).
    pub fn next(self) -> Option<Phase> {
        match self {
            Phase::Submission => Some(Phase::Review),
            Phase::Review => Some(Phase::Voting),
            Phase::Voting => Some(Phase::Closed),
            Phase::Closed => None,
        }
    }
}

/// How members vote in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Ballot {
    /// Approve projects, optionally at most `max_projects` of them or at most `max_cost` in total.
    Approval { max_projects: Option<u32>, max_cost_minor: Option<u64> },
    /// Spread up to `points` points.
    Cumulative { points: u32 },
    /// Approve projects whose total cost fits the round's budget.
    Knapsack,
}

impl Ballot {
    pub fn name(self) -> &'static str {
        match self {
            Ballot::Approval { .. } => "approval",
            Ballot::Cumulative { .. } => "cumulative",
            Ballot::Knapsack => "knapsack",
        }
    }

    /// Reads a ballot kind and its limits as a steward typed them; every limit has a bound.
    pub fn parse(
        kind: &str,
        max_projects: Option<u32>,
        max_cost_minor: Option<u64>,
        points: Option<u32>,
    ) -> Result<Ballot, Invalid> {
        match kind.trim() {
            "approval" => {
                if max_projects.is_some_and(|n| !(1..=100).contains(&n)) {
                    return Err(Invalid::new("max_projects", "allow between 1 and 100 projects, or leave it empty"));
                }
                if max_cost_minor == Some(0) {
                    return Err(Invalid::new("max_cost", "a cost limit must be above zero, or leave it empty"));
                }
                Ok(Ballot::Approval { max_projects, max_cost_minor })
            }
            "cumulative" => match points.unwrap_or(10) {
                points @ 1..=1000 => Ok(Ballot::Cumulative { points }),
                _ => Err(Invalid::new("points", "give each member between 1 and 1,000 points")),
            },
            "knapsack" => Ok(Ballot::Knapsack),
            _ => Err(Invalid::new("ballot", "choose approval, cumulative or knapsack")),
        }
    }

    pub fn kind(self) -> BallotKind {
        match self {
            Ballot::Cumulative { .. } => BallotKind::Cumulative,
            Ballot::Approval { .. } | Ballot::Knapsack => BallotKind::Approval,
        }
    }

    /// Checks a ballot: `picks` are (project index, points) over projects with these `costs`.
    /// Approval and knapsack picks carry 1 point. The whole ballot is refused on any breach.
    pub fn check(self, picks: &[(usize, u32)], costs: &[u64], budget_minor: u64) -> Result<(), Invalid> {
        let mut seen = vec![false; costs.len()];
        for &(p, points) in picks {
            if p >= costs.len() {
                return Err(Invalid::new("ballot", "a pick names a project that is not on this ballot"));
            }
            if std::mem::replace(&mut seen[p], true) {
                return Err(Invalid::new("ballot", "a project is picked twice"));
            }
            let approval = !matches!(self, Ballot::Cumulative { .. });
            if (approval && points != 1) || points == 0 {
                return Err(Invalid::new("ballot", "approve a project once, or give it at least one point"));
            }
        }
        let cost: u128 = picks.iter().map(|&(p, _)| u128::from(costs[p])).sum();
        match self {
            Ballot::Approval { max_projects: Some(n), .. } if picks.len() > n as usize => {
                Err(Invalid::new("ballot", format!("approve at most {n} projects; this ballot has {}", picks.len())))
            }
            Ballot::Approval { max_cost_minor: Some(limit), .. } if cost > u128::from(limit) => {
                Err(Invalid::new("ballot", "the projects approved cost more than this round's limit"))
            }
            Ballot::Knapsack if cost > u128::from(budget_minor) => {
                Err(Invalid::new("ballot", "the projects chosen cost more than the budget: take one out"))
            }
            Ballot::Cumulative { points } => {
                let given: u64 = picks.iter().map(|&(_, x)| u64::from(x)).sum();
                if given > u64::from(points) {
                    Err(Invalid::new("ballot", format!("give at most {points} points; this ballot gives {given}")))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }
}

/// A project as the count sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub title: String,
    pub cost_minor: u64,
}

/// A ballot as the count sees it: the member, their merit weight in micro-votes (equal weight is
/// [`crate::governance::weight::UNIT`]) and the picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cast {
    pub member_id: String,
    pub merit_weight: u64,
    pub picks: Vec<(usize, u32)>,
}

/// The election a closed round hands to its rule: costs in minor units (`unit` 1), the budget
/// the escrow holds, and each ballot at merit weight or at equal weight.
pub fn election(ballot: Ballot, candidates: &[Candidate], casts: &[Cast], budget_minor: u64, merit: bool) -> Election {
    Election {
        kind: ballot.kind(),
        budget: budget_minor,
        unit: 1,
        projects: candidates
            .iter()
            .map(|c| Project { id: c.id.clone(), cost: c.cost_minor, name: c.title.clone() })
            .collect(),
        voters: casts
            .iter()
            .map(|c| Voter {
                id: c.member_id.clone(),
                weight: if merit { c.merit_weight.max(1) } else { crate::governance::weight::UNIT },
                picks: c.picks.iter().map(|&(p, x)| (p, u64::from(x))).collect(),
            })
            .collect(),
        meta: Vec::new(),
    }
}

/// What a round's result page says per project.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProjectResult {
    pub id: String,
    pub selected: bool,
    /// Bought by MES's equal shares (false: added by the completion, or a greedy/Phragmén rule).
    pub by_equal_shares: bool,
    /// Supporters counted at weight (approvals, or points).
    pub support: f64,
    /// MES's effective vote count when bought (None when MES did not buy it).
    pub effective_votes: Option<f64>,
    /// Who paid how much of its cost, in minor units (fractions of a cent kept to two places).
    pub paid_by: Vec<(String, f64)>,
}

/// The outcome with its explanation, as stored on a closed round.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoundResult {
    pub rule: String,
    pub budget_minor: u64,
    /// Winners in the order the rule picked them.
    pub winners: Vec<String>,
    /// The winners had every ballot weighed equally.
    pub equal_weight_winners: Vec<String>,
    pub spent_minor: u64,
    pub projects: Vec<ProjectResult>,
    /// Per member: (project id, minor units) they helped fund.
    pub members: Vec<(String, Vec<(String, f64)>)>,
    pub per_voter_budget_minor: Option<f64>,
}

fn float(value: &BigRational) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

/// Counts a closed round with `rule`, weighted and unweighted, and explains the weighted one.
pub fn count(
    rule: Rule,
    ballot: Ballot,
    candidates: &[Candidate],
    casts: &[Cast],
    budget_minor: u64,
) -> Result<RoundResult, rules::RuleError> {
    let weighted = election(ballot, candidates, casts, budget_minor, true);
    let equal = election(ballot, candidates, casts, budget_minor, false);
    let quiet = &mut |_: u32, _: u128| {};
    let outcome: Outcome = rules::run(rule, &weighted, Options { explain: true }, quiet)?;
    let plain = rules::run(rule, &equal, Options::default(), quiet)?;
    let ids = |list: &[usize]| list.iter().map(|&p| candidates[p].id.clone()).collect::<Vec<_>>();
    let mean = weighted.total_weight() as f64 / weighted.voters.len().max(1) as f64;
    let mut projects: Vec<ProjectResult> = candidates
        .iter()
        .enumerate()
        .map(|(p, c)| {
            let support: f64 = weighted
                .voters
                .iter()
                .flat_map(|v| v.picks.iter().filter(|x| x.0 == p).map(move |x| v.weight as f64 * x.1 as f64))
                .sum::<f64>()
                / mean.max(1.0);
            ProjectResult {
                id: c.id.clone(),
                selected: outcome.selected.contains(&p),
                by_equal_shares: false,
                support,
                effective_votes: None,
                paid_by: Vec::new(),
            }
        })
        .collect();
    let mut members: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    for purchase in &outcome.purchases {
        let result = &mut projects[purchase.project];
        result.by_equal_shares = true;
        result.effective_votes = Some(float(&purchase.effective_votes));
        for (voter, paid) in &purchase.payments {
            let member = casts[*voter as usize].member_id.clone();
            let amount = (float(paid) * 100.0).round() / 100.0;
            result.paid_by.push((member.clone(), amount));
            match members.iter_mut().find(|(m, _)| *m == member) {
                Some((_, funded)) => funded.push((candidates[purchase.project].id.clone(), amount)),
                None => members.push((member, vec![(candidates[purchase.project].id.clone(), amount)])),
            }
        }
        result.paid_by.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let spent = weighted.cost_of(&outcome.selected);
    Ok(RoundResult {
        rule: rule.name().to_owned(),
        budget_minor,
        winners: ids(&outcome.selected),
        equal_weight_winners: ids(&plain.selected),
        spent_minor: u64::try_from(spent).unwrap_or(u64::MAX),
        projects,
        members,
        per_voter_budget_minor: outcome.per_voter_budget.as_ref().map(float),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::weight::UNIT;

    #[test]
    fn ballots_keep_their_limits() {
        let costs = [30, 50, 40];
        let approval = Ballot::parse("approval", Some(2), None, None).unwrap();
        assert!(approval.check(&[(0, 1), (1, 1)], &costs, 100).is_ok());
        assert!(approval.check(&[(0, 1), (1, 1), (2, 1)], &costs, 100).is_err());
        assert!(approval.check(&[(0, 1), (0, 1)], &costs, 100).is_err());
        assert!(approval.check(&[(7, 1)], &costs, 100).is_err());
        let by_cost = Ballot::parse("approval", None, Some(80), None).unwrap();
        assert!(by_cost.check(&[(0, 1), (1, 1)], &costs, 100).is_ok());
        assert!(by_cost.check(&[(1, 1), (2, 1)], &costs, 100).is_err());
        assert!(Ballot::Knapsack.check(&[(1, 1), (2, 1)], &costs, 100).is_ok());
        assert!(Ballot::Knapsack.check(&[(0, 1), (1, 1), (2, 1)], &costs, 100).is_err());
        let points = Ballot::parse("cumulative", None, None, Some(5)).unwrap();
        assert!(points.check(&[(0, 3), (2, 2)], &costs, 100).is_ok());
        assert!(points.check(&[(0, 3), (2, 3)], &costs, 100).is_err());
        assert!(points.check(&[(0, 0)], &costs, 100).is_err());
        assert!(Ballot::parse("cumulative", None, None, Some(0)).is_err());
        assert!(Ballot::parse("approval", Some(0), None, None).is_err());
        assert!(Ballot::parse("ranked", None, None, None).is_err());
    }

    #[test]
    fn merit_and_headcount_can_disagree_and_the_result_explains_who_paid() {
        let candidates: Vec<Candidate> = ["garden", "solar"]
            .iter()
            .map(|t| Candidate { id: (*t).into(), title: (*t).into(), cost_minor: 600 })
            .collect();
        // Three members want the garden, two the solar panels; the two carry triple merit.
        let cast = |m: &str, w: u64, p: usize| Cast { member_id: m.into(), merit_weight: w, picks: vec![(p, 1)] };
        let casts = vec![
            cast("a", UNIT, 0),
            cast("b", UNIT, 0),
            cast("c", UNIT, 0),
            cast("d", 3 * UNIT, 1),
            cast("e", 3 * UNIT, 1),
        ];
        let result = count(Rule::Mes, Ballot::Knapsack, &candidates, &casts, 1000).unwrap();
        assert_eq!(result.winners, vec!["solar"]);
        assert_eq!(result.equal_weight_winners, vec!["garden"]);
        let solar = &result.projects[1];
        assert_eq!(solar.paid_by, vec![("d".into(), 300.0), ("e".into(), 300.0)]);
        assert_eq!(
            result.members,
            vec![("d".into(), vec![("solar".into(), 300.0)]), ("e".into(), vec![("solar".into(), 300.0)])]
        );
        assert_eq!(result.spent_minor, 600);
    }
}
