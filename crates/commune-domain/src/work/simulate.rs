//! The matching simulation: a synthetic commune whose members have hidden true abilities per
//! domain. Each round brings tasks (a domain and a difficulty each); a policy assigns at most one
//! task per member and one member per task; outcomes are drawn from the true abilities with the
//! same random numbers for every policy; each learning policy updates its own posteriors from
//! the outcomes it saw. Policies: Thompson sampling (Commune's), greedy by the current posterior
//! mean, random, and an oracle that knows the true abilities. Regret is the oracle's expected
//! successes minus the policy's, summed over rounds.

use super::irt::sigmoid;
use super::recommend::{self, Capacity, EXPLORATION, TaskFacts};
use super::skill::{self, Outcome, Skill};
use crate::seeded::SplitMix64;

#[derive(Debug, Clone, Copy)]
pub struct Setup {
    pub members: usize,
    pub domains: usize,
    pub tasks_per_round: usize,
    pub rounds: usize,
    pub seed: u64,
}

impl Default for Setup {
    fn default() -> Self {
        Setup { members: 40, domains: 4, tasks_per_round: 12, rounds: 50, seed: 2026 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Thompson sampling at Commune's exploration (posterior spread × [`EXPLORATION`]).
    Thompson,
    /// Thompson sampling from the full posterior.
    ThompsonFull,
    GreedyMean,
    Random,
    Oracle,
}

impl Policy {
    pub const ALL: [Policy; 5] =
        [Policy::Thompson, Policy::ThompsonFull, Policy::GreedyMean, Policy::Random, Policy::Oracle];
}

/// One policy's totals, and its cumulative successes after every round.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Run {
    pub policy: Policy,
    pub successes: u64,
    pub expected_successes: f64,
    /// Oracle's expected successes minus this policy's.
    pub regret: f64,
    pub cumulative: Vec<u64>,
}

pub fn run(setup: Setup) -> Vec<Run> {
    let mut world = SplitMix64(setup.seed);
    let truth: Vec<f64> = (0..setup.members * setup.domains).map(|_| world.normal() * 1.2).collect();
    // The rounds' tasks and the uniform draws deciding outcomes, shared by every policy.
    let rounds: Vec<Vec<(usize, i64, f64)>> = (0..setup.rounds)
        .map(|_| {
            (0..setup.tasks_per_round)
                .map(|_| (world.below(setup.domains as u64) as usize, 1 + world.below(5) as i64, world.uniform()))
                .collect()
        })
        .collect();
    let true_p =
        |m: usize, d: usize, difficulty: i64| sigmoid(truth[m * setup.domains + d] - skill::difficulty_b(difficulty));
    let mut runs: Vec<Run> = Vec::new();
    for policy in Policy::ALL {
        let mut rng = SplitMix64(setup.seed ^ 0xA5A5_0000 ^ policy as u64);
        let mut seen: Vec<Vec<Outcome>> = vec![Vec::new(); setup.members * setup.domains];
        let (mut successes, mut expected, mut cumulative) = (0u64, 0.0, Vec::new());
        for tasks in &rounds {
            let facts: Vec<TaskFacts> = tasks
                .iter()
                .enumerate()
                .map(|(k, &(_, difficulty, _))| TaskFacts {
                    id: k.to_string(),
                    difficulty,
                    value: 1.0,
                    impact: 0.0,
                    impact_votes: 0,
                    effort_minutes: 60,
                    seats: 1,
                })
                .collect();
            let people: Vec<Capacity> =
                (0..setup.members).map(|m| Capacity { member_id: m.to_string(), minutes: 60 }).collect();
            let skills: Vec<Skill> = seen.iter().map(|o| skill::posterior(o)).collect();
            let pairs: Vec<(usize, usize)> = match policy {
                Policy::Random => {
                    let mut order: Vec<usize> = (0..setup.members).collect();
                    for k in (1..order.len()).rev() {
                        order.swap(k, rng.below(k as u64 + 1) as usize);
                    }
                    order.into_iter().zip(0..tasks.len()).collect()
                }
                Policy::Thompson | Policy::ThompsonFull => {
                    let scale = if policy == Policy::Thompson { EXPLORATION } else { 1.0 };
                    let grid: Vec<Option<Skill>> = (0..setup.members)
                        .flat_map(|m| tasks.iter().map(move |&(d, ..)| (m, d)))
                        .map(|(m, d)| Some(skills[m * setup.domains + d]))
                        .collect();
                    recommend::thompson_plan(&people, &facts, &grid, 0.0, scale, rng.next_u64(), 0)
                        .into_iter()
                        .map(|p| (p.person, p.task))
                        .collect()
                }
                Policy::GreedyMean | Policy::Oracle => {
                    let score: Vec<Option<f64>> = (0..setup.members)
                        .flat_map(|m| tasks.iter().map(move |&(d, difficulty, _)| (m, d, difficulty)))
                        .map(|(m, d, difficulty)| {
                            Some(if policy == Policy::Oracle {
                                true_p(m, d, difficulty)
                            } else {
                                let s = skills[m * setup.domains + d];
                                sigmoid(s.mean - skill::difficulty_b(difficulty))
                            })
                        })
                        .collect();
                    recommend::plan(&people, &facts, &score)
                }
            };
            for (m, t) in pairs {
                let (d, difficulty, u) = tasks[t];
                let p = true_p(m, d, difficulty);
                let success = u < p;
                expected += p;
                successes += u64::from(success);
                seen[m * setup.domains + d].push(Outcome { difficulty, success });
            }
            cumulative.push(successes);
        }
        runs.push(Run { policy, successes, expected_successes: expected, regret: 0.0, cumulative });
    }
    let oracle = runs.iter().find(|r| r.policy == Policy::Oracle).map(|r| r.expected_successes).unwrap_or(0.0);
    for r in &mut runs {
        r.regret = oracle - r.expected_successes;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thompson_learns_better_than_random_and_the_oracle_has_no_regret() {
        let runs = run(Setup { rounds: 30, ..Setup::default() });
        let get = |p: Policy| runs.iter().find(|r| r.policy == p).unwrap();
        assert_eq!(get(Policy::Oracle).regret, 0.0);
        assert!(get(Policy::Thompson).regret < get(Policy::Random).regret);
        assert!(get(Policy::Thompson).cumulative.windows(2).all(|w| w[0] <= w[1]));
        // Deterministic for a seed.
        assert_eq!(run(Setup { rounds: 5, ..Setup::default() }), run(Setup { rounds: 5, ..Setup::default() }));
    }
}
