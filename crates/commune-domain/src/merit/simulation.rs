//! A seeded manipulation-resistance simulation: members with true abilities; honest, lenient,
//! harsh and noisy raters; about ten ratings received per member; and a ring (5% of members)
//! that rates its own 10 and everyone else 1. Reports, for the model and for a plain mean of
//! received scores in the same run: the Spearman correlation of believability with true ability
//! among honest members, and the ring's share of merit-mode vote weight against its fair share.

use super::model::{self, ModelConfig, Rating};
use super::weights::{WeightRule, weights};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulationConfig {
    pub members: usize,
    pub ratings_per_member: usize,
    pub ring_share: f64,
    pub seed: u64,
}

impl Default for SimulationConfig {
    fn default() -> SimulationConfig {
        SimulationConfig { members: 400, ratings_per_member: 10, ring_share: 0.05, seed: 20261128 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scorecard {
    /// Spearman correlation of believability with true ability, honest members only.
    pub spearman_honest: f64,
    /// The ring's share of total vote weight divided by its share of members.
    pub ring_weight_ratio: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Report {
    pub members: usize,
    pub ring_members: usize,
    pub ratings: usize,
    pub model: Scorecard,
    pub plain_mean: Scorecard,
}

/// The simulation's draws: uniform-based `below` (as the published figures were made).
struct Rng(crate::seeded::SplitMix64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        (self.0.uniform() * n as f64) as usize % n.max(1)
    }

    fn normal(&mut self) -> f64 {
        self.0.normal()
    }
}

pub fn run(config: SimulationConfig) -> Report {
    let n = config.members.max(20);
    let mut rng = Rng(crate::seeded::SplitMix64(config.seed));
    let ability: Vec<f64> = (0..n).map(|_| (5.5 + 1.6 * rng.normal()).clamp(1.0, 10.0)).collect();
    let ring_size = ((n as f64) * config.ring_share).round().max(2.0) as usize;
    let ring: Vec<bool> = (0..n).map(|i| i < ring_size).collect();
    // Rater temperament: (bias, noise sd).
    let temperament: Vec<(f64, f64)> = (0..n)
        .map(|_| match rng.below(20) {
            0..=11 => (0.0, 0.8),
            12..=14 => (1.5, 0.8),
            15..=17 => (-1.5, 0.8),
            _ => (0.0, 2.5),
        })
        .collect();
    let mut ratings = Vec::new();
    for rater in 0..n {
        let mut rated = Vec::with_capacity(config.ratings_per_member);
        while rated.len() < config.ratings_per_member {
            let ratee = rng.below(n);
            if ratee != rater && !rated.contains(&ratee) {
                rated.push(ratee);
            }
        }
        for ratee in rated {
            let score = if ring[rater] {
                if ring[ratee] { 10.0 } else { 1.0 }
            } else {
                let (bias, noise) = temperament[rater];
                (ability[ratee] + bias + noise * rng.normal()).round().clamp(1.0, 10.0)
            };
            ratings.push(Rating { rater, ratee, score, weight: 1.0 });
        }
        if ring[rater] {
            for mate in (0..ring_size).filter(|&m| m != rater) {
                ratings.push(Rating { rater, ratee: mate, score: 10.0, weight: 1.0 });
            }
        }
    }
    let fit = model::fit(n, &ratings, ModelConfig::default());
    let believability: Vec<f64> = (0..n).map(|j| fit.believability(j)).collect();
    let lower: Vec<f64> = (0..n).map(|j| fit.lower(j)).collect();
    let mut sums = vec![(0.0, 0usize); n];
    for r in &ratings {
        sums[r.ratee].0 += r.score;
        sums[r.ratee].1 += 1;
    }
    let plain: Vec<f64> = sums.iter().map(|(s, c)| if *c > 0 { s / *c as f64 } else { 5.5 }).collect();
    let honest: Vec<usize> = (0..n).filter(|&i| !ring[i]).collect();
    let scorecard = |estimate: &[f64], merit: &[f64]| {
        let truth: Vec<f64> = honest.iter().map(|&i| ability[i]).collect();
        let est: Vec<f64> = honest.iter().map(|&i| estimate[i]).collect();
        // Merit on the rating scale, above its floor of 1.
        let m: Vec<f64> = merit.iter().map(|x| (x - 1.0).max(0.0)).collect();
        let w = weights(&m, WeightRule::default());
        let ring_weight: f64 = (0..ring_size).map(|i| w[i]).sum();
        Scorecard {
            spearman_honest: spearman(&truth, &est),
            ring_weight_ratio: ring_weight / (ring_size as f64 / n as f64),
        }
    };
    Report {
        members: n,
        ring_members: ring_size,
        ratings: ratings.len(),
        model: scorecard(&believability, &lower),
        plain_mean: scorecard(&plain, &plain),
    }
}

/// Spearman's rank correlation (average ranks for ties).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 { 0.0 } else { cov / (va * vb).sqrt() }
}

fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            r[order[k]] = avg;
        }
        i = j + 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_known_orders() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_model_resists_the_ring_and_finds_ability() {
        let report = run(SimulationConfig::default());
        assert!(report.model.spearman_honest >= 0.9, "{report:?}");
        assert!(report.model.ring_weight_ratio <= 1.5, "{report:?}");
        assert!(report.model.spearman_honest > report.plain_mean.spearman_honest, "{report:?}");
    }
}
