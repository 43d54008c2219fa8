//! The participatory-budgeting rules, in exact arithmetic: costs are integers, every comparison
//! between budgets, loads and prices is between rationals ([`BigRational`]), so a tie is a tie
//! and the outcome never depends on rounding.
//!
//! Semantics follow the Python package pabutools (1.2) where it defines the rule — `greedy` is
//! `greedy_utilitarian_welfare`, `mes` is `method_of_equal_shares`, `mes-add1` is
//! `completion_by_rule_combination` of MES with `voter_budget_increment=1` and greedy,
//! `phragmen` is `sequential_phragmen`, all with cost satisfaction for approval ballots, points
//! for cumulative ones and ties broken by project id — and equalshares.net's compute tool for
//! `equal-shares` (integral start, Add1 while the outcome fits and is not exhaustive, then
//! completion by vote count). Voter weights scale each voter's share of the budget in MES and
//! a ballot's weight in greedy and Phragmén; a file's weights are all 1.
//!
//! MES and Phragmén keep voters in *classes*: voters whose budget (or load) is the same rational
//! share one entry, so a round costs one integer pass over a project's supporters plus a few
//! rational operations per distinct value — this is what makes 130,000 voters fast. The naive
//! per-voter twin in the tests checks it.

use super::pb::{BallotKind, Election};
use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::Zero;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Rule {
    #[serde(rename = "greedy")]
    Greedy,
    #[serde(rename = "mes")]
    Mes,
    #[serde(rename = "mes-add1")]
    MesAdd1,
    #[serde(rename = "equal-shares")]
    EqualShares,
    #[serde(rename = "phragmen")]
    Phragmen,
}

impl Rule {
    pub const ALL: [Rule; 5] = [Rule::EqualShares, Rule::Mes, Rule::MesAdd1, Rule::Greedy, Rule::Phragmen];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Greedy => "greedy",
            Rule::Mes => "mes",
            Rule::MesAdd1 => "mes-add1",
            Rule::EqualShares => "equal-shares",
            Rule::Phragmen => "phragmen",
        }
    }

    pub fn parse(raw: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name().eq_ignore_ascii_case(raw.trim()))
    }

    /// One line for people choosing a rule.
    pub fn explained(self) -> &'static str {
        match self {
            Rule::EqualShares => {
                "Method of Equal Shares as cities run it: every member gets an equal share of the budget to spend on projects they support; raised while it fits, then filled by votes"
            }
            Rule::Mes => "Method of Equal Shares, plain: equal shares of the budget, no completion",
            Rule::MesAdd1 => "Method of Equal Shares raised one unit per voter until nothing more fits, then greedy",
            Rule::Greedy => "Most votes per unit of cost first, while the budget lasts",
            Rule::Phragmen => {
                "Sequential Phragmén: spread the cost as evenly as possible over supporters (approval only)"
            }
        }
    }
}

/// Why a rule cannot run on an election.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("sequential Phragmén needs approval ballots")]
    PhragmenNeedsApproval,
    #[error("the total weight of the ballots is too large")]
    WeightTooLarge,
}

/// One project bought by MES: its price per unit of satisfaction and who paid what.
#[derive(Debug, Clone, PartialEq)]
pub struct Purchase {
    pub project: usize,
    /// Supporters' payments in scaled units, exact (`explain` only; else empty).
    pub payments: Vec<(u32, BigRational)>,
    /// `cost / (price · cost)` for approval: the supporters it counts as if each paid equally.
    pub effective_votes: BigRational,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// In the order the rule picked them (completion last).
    pub selected: Vec<usize>,
    /// The ones a completion step added after MES.
    pub completion: Vec<usize>,
    /// MES's purchases, in order (empty for greedy and Phragmén).
    pub purchases: Vec<Purchase>,
    /// The per-voter budget MES finished with (scaled units; weighted voters scale it).
    pub per_voter_budget: Option<BigRational>,
    /// MES runs an Add1 loop needed.
    pub runs: u32,
}

impl Outcome {
    /// Selected project ids in code-point order, as `commune pb` prints them.
    pub fn ids(&self, election: &Election) -> Vec<String> {
        let mut ids: Vec<String> = self.selected.iter().map(|&p| election.projects[p].id.clone()).collect();
        ids.sort();
        ids
    }
}

/// Options: `explain` records each voter's payments (costly on 100,000 voters).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub explain: bool,
}

/// Runs `rule`; `progress(runs, cost)` is called after each MES run of an Add1 loop.
pub fn run(
    rule: Rule,
    election: &Election,
    options: Options,
    progress: &mut dyn FnMut(u32, u128),
) -> Result<Outcome, RuleError> {
    if election.total_weight() > u128::from(u64::MAX) {
        return Err(RuleError::WeightTooLarge);
    }
    match rule {
        Rule::Greedy => Ok(Outcome { selected: greedy(election, &[]), ..Outcome::default() }),
        Rule::Phragmen => phragmen(election),
        Rule::Mes => Ok(mes_pabutools(election, None, options, progress)),
        Rule::MesAdd1 => {
            let mut outcome = mes_pabutools(election, Some(election.unit), options, progress);
            if !exhaustive(election, &outcome.selected, 0..election.projects.len()) {
                let added = greedy(election, &outcome.selected);
                outcome.completion = added[outcome.selected.len()..].to_vec();
                outcome.selected = added;
            }
            Ok(outcome)
        }
        Rule::EqualShares => Ok(equal_shares(election, options, progress)),
    }
}

fn rational(n: impl Into<BigInt>) -> BigRational {
    BigRational::from_integer(n.into())
}

/// No project outside `selected` among `candidates` fits in what is left of the budget.
fn exhaustive(election: &Election, selected: &[usize], candidates: impl IntoIterator<Item = usize>) -> bool {
    let spent = election.cost_of(selected);
    candidates
        .into_iter()
        .all(|p| selected.contains(&p) || spent + u128::from(election.projects[p].cost) > u128::from(election.budget))
}

/// Each project's weighted satisfaction: Σ weight · points (approval: Σ weight, as cost
/// satisfaction divided by the cost).
fn weighted_support(election: &Election) -> Vec<u128> {
    let mut support = vec![0u128; election.projects.len()];
    for voter in &election.voters {
        for &(p, points) in &voter.picks {
            support[p] += u128::from(voter.weight) * u128::from(points);
        }
    }
    support
}

/// pabutools' additive greedy: projects by satisfaction per unit of cost, ties by id; each one
/// that still fits is added. Returns `initial` followed by what was added.
pub fn greedy(election: &Election, initial: &[usize]) -> Vec<usize> {
    let support = weighted_support(election);
    let approval = election.kind == BallotKind::Approval;
    // Density as (infinite?, rational): approval's cost satisfaction over cost is the support.
    let density = |p: usize| -> (bool, BigRational) {
        let cost = election.projects[p].cost;
        match (support[p] > 0, cost > 0) {
            (false, _) => (false, BigRational::zero()),
            (true, false) => (true, BigRational::zero()),
            (true, true) if approval => (false, rational(support[p])),
            (true, true) => (false, BigRational::new(support[p].into(), cost.into())),
        }
    };
    let mut order: Vec<usize> = (0..election.projects.len()).filter(|p| !initial.contains(p)).collect();
    order.sort_by(|&a, &b| election.projects[a].id.cmp(&election.projects[b].id));
    let keyed: Vec<(bool, BigRational)> = (0..election.projects.len()).map(density).collect();
    order.sort_by(|&a, &b| keyed[b].cmp(&keyed[a]));
    let mut selected = initial.to_vec();
    let mut left = u128::from(election.budget).saturating_sub(election.cost_of(initial));
    for p in order {
        let cost = u128::from(election.projects[p].cost);
        if cost <= left {
            selected.push(p);
            left -= cost;
        }
    }
    selected
}

/// Voters grouped by equal rational values (loads in Phragmén).
struct Classes {
    of: Vec<u32>,
    values: Vec<BigRational>,
}

/// MES budgets over one common denominator: class `c` holds `nums[c] / den`. Sums and
/// comparisons are then integer arithmetic with no gcd, which is what rationals spend their
/// time on; `den` grows only by the denominators of actual payments.
struct Budgets {
    of: Vec<u32>,
    nums: Vec<BigInt>,
    den: BigInt,
    /// Voters in each class; a class nobody holds any more is not rescaled.
    live: Vec<u64>,
}

impl Budgets {
    /// Each voter starts at `base · weight / mean weight`; equal weights share one class.
    fn scaled(election: &Election, base: &BigRational) -> Budgets {
        let n = election.voters.len() as u64;
        let total = election.total_weight();
        let mut by_weight: HashMap<u64, u32> = HashMap::new();
        let mut values: Vec<BigRational> = Vec::new();
        let mut live: Vec<u64> = Vec::new();
        let of = election
            .voters
            .iter()
            .map(|v| {
                let class = *by_weight.entry(v.weight).or_insert_with(|| {
                    values.push(if total == 0 {
                        BigRational::zero()
                    } else {
                        base * BigRational::new(BigInt::from(v.weight) * BigInt::from(n), BigInt::from(total))
                    });
                    live.push(0);
                    (values.len() - 1) as u32
                });
                live[class as usize] += 1;
                class
            })
            .collect();
        let den = values.iter().fold(BigInt::from(1), |d, v| d.lcm(v.denom()));
        let nums = values.iter().map(|v| v.numer() * (&den / v.denom())).collect();
        Budgets { of, nums, den, live }
    }

    /// Brings every live class to the denominator `den`, a multiple of the current one.
    fn rescale(&mut self, den: BigInt) {
        let factor = &den / &self.den;
        if factor != BigInt::from(1) {
            for (num, &live) in self.nums.iter_mut().zip(&self.live) {
                if live > 0 {
                    *num *= &factor;
                } else {
                    *num = BigInt::zero();
                }
            }
        }
        self.den = den;
    }
}

/// A price per unit of satisfaction as an unreduced fraction (positive denominator): compared
/// by cross-multiplication, reduced only when a project is bought.
#[derive(Clone, Debug)]
struct Price {
    num: BigInt,
    den: BigInt,
}

impl PartialEq for Price {
    fn eq(&self, other: &Price) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Price {}

impl PartialOrd for Price {
    fn partial_cmp(&self, other: &Price) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Price {
    fn cmp(&self, other: &Price) -> std::cmp::Ordering {
        (&self.num * &other.den).cmp(&(&other.num * &self.den))
    }
}

/// How MES breaks a tie between equally affordable projects.
#[derive(Clone, Copy, PartialEq)]
enum Tie {
    /// pabutools: the smallest id.
    Id,
    /// equalshares.net: most supporters, then cheapest, then the smallest id.
    VotesCostId,
}

/// One MES pass at fixed per-voter budgets.
struct Mes<'a> {
    election: &'a Election,
    supporters: Vec<Vec<(u32, u64)>>,
    /// Σ satisfaction over supporters (approval's cost satisfaction is cost · count).
    total_sat: Vec<u128>,
    /// Weighted support (approvals, or points), for equalshares.net's tie-break and completion.
    support: Vec<u128>,
    tie: Tie,
}

/// The supporters of one project grouped by (budget class, satisfaction), with counts.
type Groups = Vec<(u32, u64, u64)>;

impl<'a> Mes<'a> {
    fn new(election: &'a Election, tie: Tie) -> Mes<'a> {
        let mut supporters = election.supporters();
        if election.kind == BallotKind::Approval {
            // Cost satisfaction: a supporter's satisfaction is the project's cost.
            for (p, list) in supporters.iter_mut().enumerate() {
                list.iter_mut().for_each(|s| s.1 = election.projects[p].cost);
            }
        }
        let total_sat = supporters.iter().map(|s| s.iter().map(|&(_, x)| u128::from(x)).sum()).collect();
        Mes { election, supporters, total_sat, support: weighted_support(election), tie }
    }

    /// Projects MES may buy: supported and not free.
    fn candidates(&self) -> Vec<usize> {
        (0..self.election.projects.len())
            .filter(|&p| !self.supporters[p].is_empty() && self.election.projects[p].cost > 0)
            .collect()
    }

    fn groups(&self, budgets: &Budgets, p: usize, counts: &mut Vec<u64>) -> Groups {
        if self.election.kind == BallotKind::Approval {
            // One satisfaction per project: count by class in a dense array.
            counts.clear();
            counts.resize(budgets.nums.len(), 0);
            for &(voter, _) in &self.supporters[p] {
                counts[budgets.of[voter as usize] as usize] += 1;
            }
            let sat = self.election.projects[p].cost;
            return counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(c, &n)| (c as u32, sat, n)).collect();
        }
        let mut by_key: HashMap<(u32, u64), u64> = HashMap::new();
        for &(voter, sat) in &self.supporters[p] {
            *by_key.entry((budgets.of[voter as usize], sat)).or_default() += 1;
        }
        by_key.into_iter().map(|((class, sat), count)| (class, sat, count)).collect()
    }

    /// The price per unit of satisfaction that splits `p`'s cost over its supporters as equally
    /// as their budgets allow (poorest first pay all they have), or None when their budgets
    /// together fall short.
    fn price(&self, budgets: &Budgets, p: usize, groups: &mut Groups) -> Option<Price> {
        let nums = &budgets.nums;
        let need_total = BigInt::from(self.election.projects[p].cost) * &budgets.den;
        let available: BigInt = groups.iter().map(|&(c, _, n)| &nums[c as usize] * BigInt::from(n)).sum();
        if available < need_total {
            return None;
        }
        // By budget / satisfaction, ascending: cross-multiplied, no division.
        groups.sort_by(|&(a, sa, _), &(b, sb, _)| {
            if sa == sb {
                nums[a as usize].cmp(&nums[b as usize])
            } else {
                (&nums[a as usize] * BigInt::from(sb)).cmp(&(&nums[b as usize] * BigInt::from(sa)))
            }
        });
        let mut need = need_total;
        let mut denominator = self.total_sat[p];
        for &(c, sat, n) in groups.iter() {
            // price = need / (den · denominator) ≤ budget / (den · sat)?
            if &need * BigInt::from(sat) <= &nums[c as usize] * BigInt::from(denominator) {
                return Some(Price { num: need, den: &budgets.den * BigInt::from(denominator) });
            }
            need -= &nums[c as usize] * BigInt::from(n);
            denominator -= u128::from(sat) * u128::from(n);
            if denominator == 0 {
                break;
            }
        }
        None
    }

    /// Buys projects until none is affordable; returns the purchases in order.
    fn pass(&self, budgets: &mut Budgets, explain: bool) -> Vec<Purchase> {
        let mut remaining = self.candidates();
        let mut floor: Vec<Price> = (0..self.election.projects.len())
            .map(|p| Price { num: self.election.projects[p].cost.into(), den: BigInt::from(self.total_sat[p].max(1)) })
            .collect();
        let mut counts = Vec::new();
        let mut bought = Vec::new();
        loop {
            remaining.sort_by(|a, b| floor[*a].cmp(&floor[*b]).then(a.cmp(b)));
            let mut best: Option<Price> = None;
            let mut tied: Vec<(usize, Groups)> = Vec::new();
            let mut gone = Vec::new();
            for &p in &remaining {
                // Prices only rise as budgets shrink, so the last price is a floor: nothing
                // after a floor above the best can beat it. (Unaffordable projects left
                // unvisited stay unaffordable; dropping them later changes nothing.)
                if best.as_ref().is_some_and(|b| floor[p] > *b) {
                    break;
                }
                let mut groups = self.groups(budgets, p, &mut counts);
                let Some(price) = self.price(budgets, p, &mut groups) else {
                    gone.push(p);
                    continue;
                };
                floor[p] = price.clone();
                match best.as_ref().map(|b| price.cmp(b)) {
                    None | Some(std::cmp::Ordering::Less) => {
                        best = Some(price);
                        tied = vec![(p, groups)];
                    }
                    Some(std::cmp::Ordering::Equal) => tied.push((p, groups)),
                    Some(std::cmp::Ordering::Greater) => {}
                }
            }
            remaining.retain(|p| !gone.contains(p));
            let Some(price) = best else { return bought };
            let price = BigRational::new(price.num, price.den);
            let (p, groups) = self.untie(tied);
            remaining.retain(|&q| q != p);
            bought.push(self.buy(budgets, p, &groups, &price, explain));
        }
    }

    fn untie(&self, mut tied: Vec<(usize, Groups)>) -> (usize, Groups) {
        let projects = &self.election.projects;
        tied.sort_by(|(a, _), (b, _)| match self.tie {
            Tie::Id => projects[*a].id.cmp(&projects[*b].id),
            Tie::VotesCostId => (self.support[*b].cmp(&self.support[*a]))
                .then(projects[*a].cost.cmp(&projects[*b].cost))
                .then(projects[*a].id.cmp(&projects[*b].id)),
        });
        tied.swap_remove(0)
    }

    /// Charges each supporter `min(budget, price · satisfaction)`.
    fn buy(&self, budgets: &mut Budgets, p: usize, groups: &Groups, price: &BigRational, explain: bool) -> Purchase {
        // One reduced due per distinct satisfaction (approval has one): a gcd per group would
        // dominate the whole rule.
        let mut by_sat: HashMap<u64, BigRational> = HashMap::new();
        for &(_, sat, _) in groups {
            by_sat.entry(sat).or_insert_with(|| price * rational(sat));
        }
        let dues: Vec<&BigRational> = groups.iter().map(|(_, sat, _)| &by_sat[sat]).collect();
        let den = by_sat.values().fold(budgets.den.clone(), |d, due| d.lcm(due.denom()));
        budgets.rescale(den);
        let mut moved: HashMap<(u32, u64), (u32, BigInt)> = HashMap::new();
        for (&(class, sat, n), due) in groups.iter().zip(&dues) {
            let due = due.numer() * (&budgets.den / due.denom());
            let budget = &budgets.nums[class as usize];
            let pays = if &due < budget { due } else { budget.clone() };
            budgets.nums.push(budget - &pays);
            budgets.live.push(n);
            budgets.live[class as usize] -= n;
            moved.insert((class, sat), ((budgets.nums.len() - 1) as u32, pays));
        }
        let mut payments = Vec::new();
        for &(voter, sat) in &self.supporters[p] {
            let (next, pays) = &moved[&(budgets.of[voter as usize], sat)];
            budgets.of[voter as usize] = *next;
            if explain {
                payments.push((voter, BigRational::new(pays.clone(), budgets.den.clone())));
            }
        }
        // A full payer pays price · cost (approval), so the cost counts as 1/price equal shares.
        let effective_votes = if price.is_zero() { BigRational::zero() } else { price.recip() };
        Purchase { project: p, payments, effective_votes }
    }
}

/// pabutools' `method_of_equal_shares`, with `voter_budget_increment = increment` when given.
fn mes_pabutools(
    election: &Election,
    increment: Option<u64>,
    options: Options,
    progress: &mut dyn FnMut(u32, u128),
) -> Outcome {
    let mes = Mes::new(election, Tie::Id);
    // Free projects with support are bought before anything else.
    let free: Vec<usize> = (0..election.projects.len())
        .filter(|&p| !mes.supporters[p].is_empty() && election.projects[p].cost == 0)
        .collect();
    let n = election.voters.len();
    if n == 0 {
        return Outcome::default();
    }
    let mut base = BigRational::new(election.budget.into(), BigInt::from(n));
    let candidates = mes.candidates();
    let mut previous = Outcome { selected: free.clone(), ..Outcome::default() };
    for runs in 1u32.. {
        let mut budgets = Budgets::scaled(election, &base);
        let purchases = mes.pass(&mut budgets, options.explain);
        let mut selected = free.clone();
        selected.extend(purchases.iter().map(|b| b.project));
        let cost = election.cost_of(&selected);
        progress(runs, cost);
        let outcome =
            Outcome { selected, completion: Vec::new(), purchases, per_voter_budget: Some(base.clone()), runs };
        let Some(step) = increment else { return outcome };
        if cost > u128::from(election.budget) {
            return Outcome { runs, ..previous };
        }
        if exhaustive(election, &outcome.selected, candidates.iter().copied()) {
            return outcome;
        }
        base += rational(step);
        previous = outcome;
    }
    unreachable!("the loop returns")
}

/// equalshares.net's Add1u: an integral per-voter start, one currency unit more per voter while
/// the outcome fits and is not exhaustive, then completion by number of supporters.
fn equal_shares(election: &Election, options: Options, progress: &mut dyn FnMut(u32, u128)) -> Outcome {
    let mes = Mes::new(election, Tie::VotesCostId);
    let n = election.voters.len() as u64;
    let unit = election.unit;
    let start = (election.budget / unit).checked_div(n).unwrap_or(0) * unit;
    let candidates = mes.candidates();
    let attempt = |per_voter: u64| {
        let mut budgets = Budgets::scaled(election, &rational(per_voter));
        mes.pass(&mut budgets, options.explain)
    };
    let selected_of = |purchases: &[Purchase]| purchases.iter().map(|b| b.project).collect::<Vec<_>>();
    let mut per_voter = start;
    let mut purchases = attempt(per_voter);
    let mut runs = 1;
    progress(runs, election.cost_of(&selected_of(&purchases)));
    loop {
        let selected = selected_of(&purchases);
        let everything = candidates.iter().all(|p| selected.contains(p));
        if n == 0 || everything {
            break;
        }
        let next = attempt(per_voter + unit);
        runs += 1;
        let cost = election.cost_of(&selected_of(&next));
        progress(runs, cost);
        if cost > u128::from(election.budget) {
            break;
        }
        per_voter += unit;
        purchases = next;
    }
    let mut selected = selected_of(&purchases);
    let mut by_votes: Vec<usize> = (0..election.projects.len()).collect();
    by_votes.sort_by_key(|&p| std::cmp::Reverse(mes.support[p]));
    let mut spent = election.cost_of(&selected);
    let mut completion = Vec::new();
    for p in by_votes {
        let cost = u128::from(election.projects[p].cost);
        if !selected.contains(&p) && spent + cost <= u128::from(election.budget) {
            selected.push(p);
            completion.push(p);
            spent += cost;
        }
    }
    Outcome { selected, completion, purchases, per_voter_budget: Some(rational(per_voter)), runs }
}

/// pabutools' `sequential_phragmen`: each step buys the project whose supporters would end with
/// the smallest common load `(Σ weight·load + cost) / Σ weight`; it stops at the first best
/// project that no longer fits (it does not skip to a cheaper one). Unsupported projects have an
/// infinite load and tie with each other.
fn phragmen(election: &Election) -> Result<Outcome, RuleError> {
    if election.kind != BallotKind::Approval {
        return Err(RuleError::PhragmenNeedsApproval);
    }
    let supporters = election.supporters();
    let weight_of =
        |p: usize| -> u128 { supporters[p].iter().map(|&(v, _)| u128::from(election.voters[v as usize].weight)).sum() };
    let scores: Vec<u128> = (0..election.projects.len()).map(weight_of).collect();
    let mut loads = Classes { of: vec![0; election.voters.len()], values: vec![BigRational::zero()] };
    let mut remaining: Vec<usize> =
        (0..election.projects.len()).filter(|&p| election.projects[p].cost <= election.budget).collect();
    // Each project's new common load, kept until one of its supporters' loads changes
    // (None is an infinite load: nobody supports it).
    let mut cached: Vec<Option<Option<BigRational>>> = vec![None; election.projects.len()];
    let new_load = |p: usize, loads: &Classes| -> Option<BigRational> {
        (scores[p] > 0).then(|| {
            let mut by_class: HashMap<u32, u128> = HashMap::new();
            for &(v, _) in &supporters[p] {
                *by_class.entry(loads.of[v as usize]).or_default() += u128::from(election.voters[v as usize].weight);
            }
            let carried: BigRational = by_class.iter().map(|(&c, &w)| &loads.values[c as usize] * rational(w)).sum();
            (carried + rational(election.projects[p].cost)) / rational(scores[p])
        })
    };
    let mut selected = Vec::new();
    let mut spent = 0u128;
    while !remaining.is_empty() {
        let mut best: Option<Option<BigRational>> = None;
        let mut tied: Vec<usize> = Vec::new();
        for &p in &remaining {
            let load = cached[p].get_or_insert_with(|| new_load(p, &loads)).clone();
            let better = match (&best, &load) {
                (None, _) => true,
                (Some(None), Some(_)) => true,
                (Some(Some(b)), Some(l)) => l < b,
                _ => false,
            };
            if better {
                best = Some(load);
                tied = vec![p];
            } else if best.as_ref() == Some(&load) {
                tied.push(p);
            }
        }
        if tied.iter().any(|&p| spent + u128::from(election.projects[p].cost) > u128::from(election.budget)) {
            break;
        }
        let Some(&chosen) = tied.iter().min_by(|&&a, &&b| election.projects[a].id.cmp(&election.projects[b].id)) else {
            break;
        };
        if let Some(Some(load)) = best {
            loads.values.push(load);
            let class = (loads.values.len() - 1) as u32;
            for &(v, _) in &supporters[chosen] {
                loads.of[v as usize] = class;
                for &(q, _) in &election.voters[v as usize].picks {
                    cached[q] = None;
                }
            }
        }
        spent += u128::from(election.projects[chosen].cost);
        selected.push(chosen);
        remaining.retain(|&p| p != chosen);
    }
    Ok(Outcome { selected, ..Outcome::default() })
}

/// A rational as a decimal for people (six places).
pub fn decimal(value: &BigRational, unit: u64) -> String {
    let scaled = value / rational(unit);
    let micro = (scaled.numer() * BigInt::from(1_000_000)).div_floor(scaled.denom());
    let whole = &micro / BigInt::from(1_000_000);
    let part: BigInt = &micro % BigInt::from(1_000_000);
    let text = format!("{whole}.{:06}", part);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests;
