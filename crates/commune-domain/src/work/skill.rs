//! The live skill model: per member and domain, a Bayesian ability θ from reviewed outcomes,
//! with the same item response model as [`super::irt`]: `P(success) = σ(θ − b)` where `b` is
//! the task's difficulty (1–5 mapped to −1.5…1.5). The posterior starts at N(0, 1) (a newcomer is
//! average, with wide uncertainty) and is computed exactly on a grid from every outcome in the
//! domain. A task in several domains uses the mean of the member's abilities in them.

use super::irt::sigmoid;
use crate::seeded::SplitMix64;

/// One reviewed outcome in a domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub difficulty: i64,
    pub success: bool,
}

/// The item difficulty of a task of difficulty 1–5.
pub fn difficulty_b(difficulty: i64) -> f64 {
    (difficulty.clamp(1, 5) - 3) as f64 * 0.75
}

/// A member's ability in one domain: posterior mean, standard deviation, outcomes seen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Skill {
    pub mean: f64,
    pub sd: f64,
    pub outcomes: usize,
}

impl Skill {
    /// Before any outcome: the prior.
    pub const PRIOR: Skill = Skill { mean: 0.0, sd: 1.0, outcomes: 0 };

    /// The same mean with the spread scaled: what Thompson sampling draws from (a scale below 1
    /// explores less than the full posterior; see `recommend::EXPLORATION`).
    pub fn tempered(self, scale: f64) -> Skill {
        Skill { sd: self.sd * scale, ..self }
    }
}

const NODES: usize = 81;

/// The posterior from outcomes (exact on an 81-node grid over [−6, 6]).
pub fn posterior(outcomes: &[Outcome]) -> Skill {
    let mut log = [0.0f64; NODES];
    let theta = |k: usize| -6.0 + 12.0 * k as f64 / (NODES - 1) as f64;
    for (k, l) in log.iter_mut().enumerate() {
        let t = theta(k);
        *l = -t * t / 2.0;
        for o in outcomes {
            let p = sigmoid(t - difficulty_b(o.difficulty));
            *l += if o.success { p.max(1e-300).ln() } else { (1.0 - p).max(1e-300).ln() };
        }
    }
    let max = log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = log.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = w.iter().sum();
    let mean = (0..NODES).map(|k| w[k] * theta(k)).sum::<f64>() / total;
    let var = (0..NODES).map(|k| w[k] * (theta(k) - mean).powi(2)).sum::<f64>() / total;
    Skill { mean, sd: var.sqrt(), outcomes: outcomes.len() }
}

/// The member's ability for a task in several domains: mean of the means, variance of a mean of
/// independent abilities (the prior for a task with no domain).
pub fn combine(skills: &[Skill]) -> Skill {
    if skills.is_empty() {
        return Skill::PRIOR;
    }
    let k = skills.len() as f64;
    Skill {
        mean: skills.iter().map(|s| s.mean).sum::<f64>() / k,
        sd: (skills.iter().map(|s| s.sd * s.sd).sum::<f64>()).sqrt() / k,
        outcomes: skills.iter().map(|s| s.outcomes).sum(),
    }
}

/// P(success) averaged over the ability's uncertainty (Gauss–Hermite, 20 nodes), and its
/// spread: the probabilities at mean ± one standard deviation.
pub fn p_success(skill: Skill, difficulty: i64) -> (f64, f64, f64) {
    let b = difficulty_b(difficulty);
    // Probabilists' Hermite nodes are folded into a fine symmetric grid: simple and exact enough.
    let (mut num, mut den) = (0.0, 0.0);
    for k in 0..=60 {
        let z = -4.0 + 8.0 * k as f64 / 60.0;
        let w = (-z * z / 2.0).exp();
        num += w * sigmoid(skill.mean + skill.sd * z - b);
        den += w;
    }
    (num / den, sigmoid(skill.mean - skill.sd - b), sigmoid(skill.mean + skill.sd - b))
}

/// One Thompson draw of P(success): ability sampled from its posterior.
pub fn sample_p(skill: Skill, difficulty: i64, rng: &mut SplitMix64) -> f64 {
    sigmoid(skill.mean + skill.sd * rng.normal() - difficulty_b(difficulty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_raise_skill_failures_lower_it_and_evidence_narrows_it() {
        let up = posterior(&[Outcome { difficulty: 3, success: true }; 5]);
        let down = posterior(&[Outcome { difficulty: 3, success: false }; 5]);
        let prior = posterior(&[]);
        assert!((prior.mean).abs() < 1e-9 && (prior.sd - 1.0).abs() < 1e-3);
        assert!(up.mean > 0.5 && down.mean < -0.5 && up.sd < prior.sd);
        // A success on a hard task says more than one on an easy task.
        let hard = posterior(&[Outcome { difficulty: 5, success: true }]);
        let easy = posterior(&[Outcome { difficulty: 1, success: true }]);
        assert!(hard.mean > easy.mean);
        let (p, lo, hi) = p_success(up, 3);
        assert!(lo < p && p < hi && p > 0.5);
        // Uncertainty pulls P(success) towards one half.
        let sure = Skill { mean: 2.0, sd: 0.05, outcomes: 40 };
        let unsure = Skill { mean: 2.0, sd: 2.0, outcomes: 0 };
        assert!(p_success(sure, 3).0 > p_success(unsure, 3).0);
        assert_eq!(combine(&[]), Skill::PRIOR);
    }
}
