//! The fast rules against naive per-voter twins written straight from pabutools' definitions,
//! on random elections built to tie often; plus the properties every rule must keep.

use super::*;
use crate::capital::pb::{Project, Voter};
use crate::seeded::SplitMix64;

fn random_election(seed: u64) -> Election {
    let mut rng = SplitMix64(seed);
    let kind = if rng.chance(60) { BallotKind::Approval } else { BallotKind::Cumulative };
    let projects: Vec<Project> = (0..1 + rng.below(9))
        .map(|i| Project { id: format!("{}", i * 7 % 11), cost: 1 + rng.below(6) * 5, name: String::new() })
        .collect();
    let mut ids: Vec<&str> = projects.iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), projects.len());
    let weighted = rng.chance(30);
    let voters = (0..rng.below(12))
        .map(|i| {
            let mut picks: Vec<(usize, u64)> = Vec::new();
            for p in 0..projects.len() {
                if rng.chance(40) {
                    let points = if kind == BallotKind::Approval { 1 } else { rng.below(4) };
                    picks.push((p, points));
                }
            }
            let weight = if weighted { 1 + rng.below(4) } else { 1 };
            Voter { id: format!("v{i}"), weight, picks }
        })
        .collect();
    let budget = rng.below(40) + 1;
    Election { kind, budget, unit: 1 + 9 * rng.below(2), projects, voters, meta: Vec::new() }
}

/// MES exactly as pabutools' `naive_mes`/`mes_inner_algo` state it: one budget per voter,
/// every affordability recomputed every round, ties to the smallest id.
fn naive_mes(e: &Election, per_voter: &BigRational) -> Vec<usize> {
    let n = e.voters.len() as u64;
    let total: u128 = e.total_weight();
    let mut budget: Vec<BigRational> = e
        .voters
        .iter()
        .map(|v| per_voter * BigRational::new(BigInt::from(v.weight) * BigInt::from(n), BigInt::from(total)))
        .collect();
    let sat = |v: usize, p: usize| -> u64 {
        let points = e.voters[v].picks.iter().find(|x| x.0 == p).map_or(0, |x| x.1);
        match (points, e.kind) {
            (0, _) => 0,
            (_, BallotKind::Approval) => e.projects[p].cost,
            (x, BallotKind::Cumulative) => x,
        }
    };
    let mut remaining: Vec<usize> = (0..e.projects.len())
        .filter(|&p| e.projects[p].cost > 0 && (0..e.voters.len()).any(|v| sat(v, p) > 0))
        .collect();
    let mut selected = Vec::new();
    loop {
        let mut best: Option<(BigRational, usize)> = None;
        for &p in &remaining {
            let cost = rational(e.projects[p].cost);
            let mut supporters: Vec<usize> = (0..e.voters.len()).filter(|&v| sat(v, p) > 0).collect();
            let available: BigRational = supporters.iter().map(|&v| budget[v].clone()).sum();
            if available < cost {
                continue;
            }
            supporters.sort_by_key(|&v| &budget[v] / rational(sat(v, p)));
            let mut paid = BigRational::zero();
            let mut denominator: BigRational = supporters.iter().map(|&v| rational(sat(v, p))).sum();
            for &v in &supporters {
                let price = (&cost - &paid) / &denominator;
                if &price * rational(sat(v, p)) <= budget[v] {
                    let better = match &best {
                        None => true,
                        Some((b, q)) => price < *b || (price == *b && e.projects[p].id < e.projects[*q].id),
                    };
                    if better {
                        best = Some((price, p));
                    }
                    break;
                }
                paid += budget[v].clone();
                denominator -= rational(sat(v, p));
            }
        }
        let Some((price, p)) = best else { return selected };
        for (v, left) in budget.iter_mut().enumerate() {
            let due = &price * rational(sat(v, p));
            let pays = if due < *left { due } else { left.clone() };
            *left -= pays;
        }
        selected.push(p);
        remaining.retain(|&q| q != p);
    }
}

/// Phragmén per voter, as pabutools' `sequential_phragmen`.
fn naive_phragmen(e: &Election) -> Vec<usize> {
    let mut load = vec![BigRational::zero(); e.voters.len()];
    let approves = |v: usize, p: usize| e.voters[v].picks.iter().any(|x| x.0 == p);
    let score = |p: usize| -> u64 { (0..e.voters.len()).filter(|&v| approves(v, p)).map(|v| e.voters[v].weight).sum() };
    let mut remaining: Vec<usize> = (0..e.projects.len()).filter(|&p| e.projects[p].cost <= e.budget).collect();
    let (mut selected, mut spent) = (Vec::new(), 0u64);
    while !remaining.is_empty() {
        let value = |p: usize| -> Option<BigRational> {
            (score(p) > 0).then(|| {
                let carried: BigRational = (0..e.voters.len())
                    .filter(|&v| approves(v, p))
                    .map(|v| &load[v] * rational(e.voters[v].weight))
                    .sum();
                (carried + rational(e.projects[p].cost)) / rational(score(p))
            })
        };
        let key = |p: usize| (value(p).is_none(), value(p));
        let best = remaining.iter().map(|&p| key(p)).min().unwrap();
        let tied: Vec<usize> = remaining.iter().copied().filter(|&p| key(p) == best).collect();
        if tied.iter().any(|&p| spent + e.projects[p].cost > e.budget) {
            break;
        }
        let p = *tied.iter().min_by(|a, b| e.projects[**a].id.cmp(&e.projects[**b].id)).unwrap();
        if let (false, Some(l)) = best {
            (0..e.voters.len()).filter(|&v| approves(v, p)).for_each(|v| load[v] = l.clone());
        }
        spent += e.projects[p].cost;
        selected.push(p);
        remaining.retain(|&q| q != p);
    }
    selected
}

fn quiet() -> impl FnMut(u32, u128) {
    |_, _| {}
}

#[test]
fn mes_and_phragmen_equal_their_naive_twins() {
    let (mut bought, mut ties) = (0, 0);
    for seed in 0..3000 {
        let e = random_election(seed);
        if e.voters.is_empty() {
            continue;
        }
        let per_voter = BigRational::new(e.budget.into(), BigInt::from(e.voters.len()));
        let fast = run(Rule::Mes, &e, Options::default(), &mut quiet()).unwrap();
        let free: Vec<usize> = (0..e.projects.len()).filter(|&p| e.projects[p].cost == 0).collect::<Vec<_>>();
        assert!(free.is_empty());
        assert_eq!(fast.selected, naive_mes(&e, &per_voter), "seed {seed}: MES");
        bought += fast.selected.len();
        if e.kind == BallotKind::Approval {
            let fast = run(Rule::Phragmen, &e, Options::default(), &mut quiet()).unwrap();
            assert_eq!(fast.selected, naive_phragmen(&e), "seed {seed}: Phragmén");
            let costs: Vec<u64> = fast.selected.iter().map(|&p| e.projects[p].cost).collect();
            ties += usize::from(costs.windows(2).any(|w| w[0] == w[1]));
        }
    }
    assert!(bought > 1000 && ties > 100, "the random elections must buy and tie: {bought} bought, {ties} ties");
}

#[test]
fn every_rule_stays_within_budget_and_completions_are_exhaustive() {
    for seed in 0..800 {
        let e = random_election(seed);
        for rule in Rule::ALL {
            let Ok(outcome) = run(rule, &e, Options { explain: true }, &mut quiet()) else {
                assert_eq!((rule, e.kind), (Rule::Phragmen, BallotKind::Cumulative));
                continue;
            };
            let mut unique = outcome.selected.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), outcome.selected.len(), "seed {seed} {rule:?}: a project twice");
            assert!(e.cost_of(&outcome.selected) <= u128::from(e.budget), "seed {seed} {rule:?}: over budget");
            if matches!(rule, Rule::Greedy | Rule::MesAdd1 | Rule::EqualShares) {
                assert!(exhaustive(&e, &outcome.selected, 0..e.projects.len()), "seed {seed} {rule:?}");
            }
            // MES never charges a voter more than their budget, and every purchase is paid in full.
            for purchase in &outcome.purchases {
                let paid: BigRational = purchase.payments.iter().map(|(_, x)| x.clone()).sum();
                assert_eq!(paid, rational(e.projects[purchase.project].cost), "seed {seed} {rule:?}");
            }
        }
    }
}

#[test]
fn equal_weights_in_any_unit_are_the_unweighted_election() {
    for seed in 0..400 {
        let mut e = random_election(seed);
        e.voters.iter_mut().for_each(|v| v.weight = 1);
        let mut scaled = e.clone();
        scaled.voters.iter_mut().for_each(|v| v.weight = 1_000_000);
        for rule in [Rule::Greedy, Rule::Mes, Rule::MesAdd1, Rule::EqualShares] {
            let a = run(rule, &e, Options::default(), &mut quiet()).unwrap();
            let b = run(rule, &scaled, Options::default(), &mut quiet()).unwrap();
            assert_eq!(a.selected, b.selected, "seed {seed} {rule:?}");
        }
    }
}

#[test]
fn weight_buys_a_share_of_the_budget() {
    // Two camps of two: one camp carries three times the weight and gets the big project.
    let projects = vec![
        Project { id: "a".into(), cost: 60, name: String::new() },
        Project { id: "b".into(), cost: 60, name: String::new() },
    ];
    let voter = |id: &str, weight: u64, p: usize| Voter { id: id.into(), weight, picks: vec![(p, 1)] };
    let mut e = Election {
        kind: BallotKind::Approval,
        budget: 80,
        unit: 1,
        projects,
        voters: vec![voter("1", 1, 0), voter("2", 1, 0), voter("3", 1, 1), voter("4", 1, 1)],
        meta: Vec::new(),
    };
    let plain = run(Rule::Mes, &e, Options::default(), &mut quiet()).unwrap();
    assert!(plain.selected.is_empty(), "40 each side cannot buy 60");
    e.voters[2].weight = 3;
    e.voters[3].weight = 3;
    let weighted = run(Rule::Mes, &e, Options { explain: true }, &mut quiet()).unwrap();
    assert_eq!(weighted.selected, vec![1]);
    assert_eq!(weighted.purchases[0].payments, vec![(2, rational(30)), (3, rational(30))]);
}
