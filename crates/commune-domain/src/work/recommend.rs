//! Recommendations and assignment. A person's expected value on a task is
//! `P(success) · value + impact · impact_value`: the skill model's probability times what
//! success is worth, plus the members' impact score priced by policy. Single choices use
//! Thompson sampling (each candidate's ability drawn from its posterior, the best draw wins), so
//! newcomers with wide posteriors get tried; the probability that the chosen one would be chosen
//! again — its propensity — is estimated from the same posterior and logged with the choice so a
//! policy can be evaluated offline (inverse propensity weighting). The global assignment for a
//! period is a min-cost flow (people → tasks, person capacity in hours, seats per task) with
//! successive shortest paths.

use super::skill::{self, Skill};
use crate::seeded::SplitMix64;

/// Thompson sampling draws abilities from the posterior with its spread scaled by this. The
/// full posterior (1.0) explored too much in the matching simulation (`commune skill simulate`:
/// 40 members, 12 tasks a round); at 0.3 the regret is about greedy-by-mean's over 50 rounds and
/// lower than it over 200 (greedy gets stuck on early luck; sampled exploration keeps learning).
pub const EXPLORATION: f64 = 0.3;

/// A task as recommendation needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFacts {
    pub id: String,
    pub difficulty: i64,
    /// What success is worth, in major units of the currency.
    pub value: f64,
    /// Members' mean impact score (0–5) and how many scored it.
    pub impact: f64,
    pub impact_votes: usize,
    pub effort_minutes: i64,
    pub seats: usize,
}

/// A candidate: their ability for the task's domains and what they have left this period.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub member_id: String,
    pub skill: Skill,
}

/// One ranked person (or task) with the numbers that explain it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ranked {
    pub id: String,
    pub p: f64,
    pub p_low: f64,
    pub p_high: f64,
    pub expected_value: f64,
    pub outcomes: usize,
    pub why: String,
}

/// `P · value + impact · impact_value`.
pub fn expected_value(p: f64, task: &TaskFacts, impact_value: f64) -> f64 {
    p * task.value + task.impact * impact_value
}

fn explain(p: f64, lo: f64, hi: f64, task: &TaskFacts, impact_value: f64, outcomes: usize) -> String {
    let evidence = match outcomes {
        0 => "no reviewed outcome in these domains yet, so the estimate is the newcomer prior".to_owned(),
        1 => "1 reviewed outcome in these domains".to_owned(),
        n => format!("{n} reviewed outcomes in these domains"),
    };
    format!(
        "{:.0}% likely to succeed ({:.0}–{:.0}%, {evidence}) × value {:.2} + impact {:.1} ({} vote{}) × {:.2}",
        p * 100.0,
        lo * 100.0,
        hi * 100.0,
        task.value,
        task.impact,
        task.impact_votes,
        if task.impact_votes == 1 { "" } else { "s" },
        impact_value
    )
}

fn ranked(id: &str, skill: Skill, task: &TaskFacts, impact_value: f64) -> Ranked {
    let (p, lo, hi) = skill::p_success(skill, task.difficulty);
    Ranked {
        id: id.to_owned(),
        p,
        p_low: lo,
        p_high: hi,
        expected_value: expected_value(p, task, impact_value),
        outcomes: skill.outcomes,
        why: explain(p, lo, hi, task, impact_value, skill.outcomes),
    }
}

fn by_value(a: &Ranked, b: &Ranked) -> std::cmp::Ordering {
    b.expected_value.total_cmp(&a.expected_value).then_with(|| a.id.cmp(&b.id))
}

/// The best-suited people for a task, by expected value.
pub fn rank_people(task: &TaskFacts, candidates: &[Candidate], impact_value: f64) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = candidates.iter().map(|c| ranked(&c.member_id, c.skill, task, impact_value)).collect();
    out.sort_by(by_value);
    out
}

/// Tasks for one member: `(task, their ability for its domains)`, by expected value.
pub fn rank_tasks(tasks: &[(TaskFacts, Skill)], impact_value: f64) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = tasks.iter().map(|(t, s)| ranked(&t.id, *s, t, impact_value)).collect();
    out.sort_by(by_value);
    out
}

/// A Thompson-sampled choice and the probability it had of being made.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Pick {
    pub member_id: String,
    pub sampled_p: f64,
    pub propensity: f64,
}

/// Draws used to estimate a propensity.
pub const PROPENSITY_DRAWS: usize = 2_000;

/// Thompson sampling among candidates for one task (expected value differs between people only
/// through P(success), so the draw compares sampled probabilities).
pub fn thompson_pick(task: &TaskFacts, candidates: &[Candidate], exploration: f64, seed: u64) -> Option<Pick> {
    let mut rng = SplitMix64(seed);
    let draw = |rng: &mut SplitMix64| {
        candidates
            .iter()
            .enumerate()
            .map(|(k, c)| (k, skill::sample_p(c.skill.tempered(exploration), task.difficulty, rng)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
    };
    let (chosen, sampled_p) = draw(&mut rng)?;
    let wins = (0..PROPENSITY_DRAWS).filter(|_| draw(&mut rng).map(|d| d.0) == Some(chosen)).count();
    Some(Pick {
        member_id: candidates[chosen].member_id.clone(),
        sampled_p,
        propensity: (wins as f64 + 0.5) / (PROPENSITY_DRAWS as f64 + 1.0),
    })
}

/// A person's capacity for the period, in minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    pub member_id: String,
    pub minutes: i64,
}

/// The best total score over pairs (person, task) such that nobody exceeds their minutes, no
/// task gets more than its seats, nobody takes a task twice, and only pairs with a positive score
/// are made. `score[p * tasks.len() + t]`; `None` forbids the pair. Min-cost flow by successive
/// shortest paths (Bellman–Ford, since scores make costs negative); a person whose tasks overrun
/// their hours loses their lowest-scoring pair and the flow is solved again.
pub fn plan(people: &[Capacity], tasks: &[TaskFacts], score: &[Option<f64>]) -> Vec<(usize, usize)> {
    let (np, nt) = (people.len(), tasks.len());
    assert_eq!(score.len(), np * nt);
    let mut allowed: Vec<Option<f64>> = score
        .iter()
        .enumerate()
        .map(|(k, s)| s.filter(|&v| v > 0.0 && tasks[k % nt.max(1)].effort_minutes <= people[k / nt.max(1)].minutes))
        .collect();
    loop {
        let pairs = flow(people, tasks, &allowed);
        let mut over = None;
        for (p, cap) in people.iter().enumerate() {
            let used: i64 = pairs.iter().filter(|x| x.0 == p).map(|x| tasks[x.1].effort_minutes).sum();
            if used > cap.minutes {
                let worst = pairs
                    .iter()
                    .filter(|x| x.0 == p)
                    .min_by(|a, b| {
                        allowed[a.0 * nt + a.1].unwrap_or(0.0).total_cmp(&allowed[b.0 * nt + b.1].unwrap_or(0.0))
                    })
                    .copied();
                over = worst;
                break;
            }
        }
        match over {
            Some((p, t)) => allowed[p * nt + t] = None,
            None => return pairs,
        }
    }
}

fn flow(people: &[Capacity], tasks: &[TaskFacts], score: &[Option<f64>]) -> Vec<(usize, usize)> {
    let (np, nt) = (people.len(), tasks.len());
    // Nodes: 0 source, 1..=np people, np+1..=np+nt tasks, np+nt+1 sink.
    let (source, sink) = (0, np + nt + 1);
    let mut g = Graph::new(np + nt + 2);
    for (p, cap) in people.iter().enumerate() {
        // As many tasks as fit, counting the shortest first: the repair loop enforces the hours.
        let mut efforts: Vec<i64> =
            (0..nt).filter(|&t| score[p * nt + t].is_some()).map(|t| tasks[t].effort_minutes).collect();
        efforts.sort_unstable();
        let mut left = cap.minutes;
        let fits = efforts.iter().take_while(|&&e| {
            left -= e;
            left >= 0
        });
        g.edge(source, 1 + p, fits.count() as i64, 0.0);
    }
    let mut pair_edges = Vec::new();
    for p in 0..np {
        for t in 0..nt {
            if let Some(s) = score[p * nt + t] {
                pair_edges.push((g.edge(1 + p, 1 + np + t, 1, -s), p, t));
            }
        }
    }
    for (t, task) in tasks.iter().enumerate() {
        g.edge(1 + np + t, sink, task.seats as i64, 0.0);
    }
    while let Some((cost, path)) = g.shortest(source, sink) {
        if cost >= -1e-12 {
            break;
        }
        for e in path {
            g.cap[e] -= 1;
            g.cap[e ^ 1] += 1;
        }
    }
    let mut pairs: Vec<(usize, usize)> =
        pair_edges.into_iter().filter(|(e, ..)| g.cap[*e] == 0).map(|(_, p, t)| (p, t)).collect();
    pairs.sort_unstable();
    pairs
}

/// A residual graph: edge `e` and its reverse `e ^ 1`.
struct Graph {
    head: Vec<Vec<usize>>,
    to: Vec<usize>,
    cap: Vec<i64>,
    cost: Vec<f64>,
}

impl Graph {
    fn new(n: usize) -> Graph {
        Graph { head: vec![Vec::new(); n], to: Vec::new(), cap: Vec::new(), cost: Vec::new() }
    }

    fn edge(&mut self, a: usize, b: usize, cap: i64, cost: f64) -> usize {
        let e = self.to.len();
        self.head[a].push(e);
        self.to.push(b);
        self.cap.push(cap);
        self.cost.push(cost);
        self.head[b].push(e + 1);
        self.to.push(a);
        self.cap.push(0);
        self.cost.push(-cost);
        e
    }

    /// Bellman–Ford (queue-based): the cheapest path with spare capacity, as its edges.
    fn shortest(&self, s: usize, t: usize) -> Option<(f64, Vec<usize>)> {
        let n = self.head.len();
        let mut dist = vec![f64::INFINITY; n];
        let mut via = vec![usize::MAX; n];
        let mut queued = vec![false; n];
        let mut queue = std::collections::VecDeque::from([s]);
        dist[s] = 0.0;
        let mut relaxations = 0usize;
        while let Some(a) = queue.pop_front() {
            queued[a] = false;
            for &e in &self.head[a] {
                let b = self.to[e];
                if self.cap[e] > 0 && dist[a] + self.cost[e] < dist[b] - 1e-12 {
                    dist[b] = dist[a] + self.cost[e];
                    via[b] = e;
                    if !queued[b] {
                        queued[b] = true;
                        queue.push_back(b);
                    }
                }
            }
            relaxations += 1;
            assert!(relaxations <= n * self.to.len() + n, "no negative cycle in a residual graph");
        }
        if !dist[t].is_finite() {
            return None;
        }
        let mut path = Vec::new();
        let mut at = t;
        while at != s {
            let e = via[at];
            path.push(e);
            at = self.to[e ^ 1];
        }
        Some((dist[t], path))
    }
}

/// One pair of a Thompson-sampled plan and the share of re-drawn plans that made it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlannedPair {
    pub person: usize,
    pub task: usize,
    pub sampled_p: f64,
    pub propensity: f64,
}

/// Re-drawn plans used to estimate each pair's propensity.
pub const PLAN_REPLICATIONS: usize = 100;

/// The period's plan with Thompson sampling: abilities are drawn from their posteriors
/// (`skills[p * tasks.len() + t]`, `None` for a pair not allowed), the plan maximises the sampled
/// expected value; each chosen pair's propensity is the share of `replications` further draws
/// whose plan also chose it.
pub fn thompson_plan(
    people: &[Capacity],
    tasks: &[TaskFacts],
    skills: &[Option<Skill>],
    impact_value: f64,
    exploration: f64,
    seed: u64,
    replications: usize,
) -> Vec<PlannedPair> {
    let nt = tasks.len();
    let mut rng = SplitMix64(seed);
    let draw = |rng: &mut SplitMix64| -> (Vec<Option<f64>>, Vec<f64>) {
        let mut ps = vec![0.0; skills.len()];
        let scores = skills
            .iter()
            .enumerate()
            .map(|(k, s)| {
                s.map(|s| {
                    let t = &tasks[k % nt];
                    ps[k] = skill::sample_p(s.tempered(exploration), t.difficulty, rng);
                    expected_value(ps[k], t, impact_value)
                })
            })
            .collect();
        (scores, ps)
    };
    let (scores, ps) = draw(&mut rng);
    let chosen = plan(people, tasks, &scores);
    let mut hits = vec![0usize; chosen.len()];
    for _ in 0..replications {
        let (again, _) = draw(&mut rng);
        let other = plan(people, tasks, &again);
        for (k, pair) in chosen.iter().enumerate() {
            if other.binary_search(pair).is_ok() {
                hits[k] += 1;
            }
        }
    }
    chosen
        .iter()
        .zip(hits)
        .map(|(&(p, t), h)| PlannedPair {
            person: p,
            task: t,
            sampled_p: ps[p * nt + t],
            propensity: (h as f64 + 0.5) / (replications as f64 + 1.0),
        })
        .collect()
}

#[cfg(test)]
mod tests;
