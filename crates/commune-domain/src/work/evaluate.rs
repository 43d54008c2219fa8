//! Held-out evaluation of the skill model: hide a seeded random share of the answered cells, fit
//! on the rest, and score predictions of the hidden cells by AUC and log-loss for three models:
//! each item's success rate, the 1PL (Rasch) and the 2PL (the model Commune uses offline).

use super::irt::{self, Model, Options, Response};
use crate::seeded::SplitMix64;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    pub model: &'static str,
    pub auc: f64,
    pub log_loss: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evaluation {
    pub cells: usize,
    pub held_out: usize,
    pub scores: Vec<Score>,
}

/// Splits off `held_out_percent` of `responses` with `seed` and scores the three models.
pub fn holdout(persons: usize, items: usize, responses: &[Response], held_out_percent: u64, seed: u64) -> Evaluation {
    let mut rng = SplitMix64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for r in responses {
        if rng.below(100) < held_out_percent { test.push(*r) } else { train.push(*r) }
    }
    let truth: Vec<bool> = test.iter().map(|r| r.correct).collect();
    // (a) item success rates (Laplace-smoothed).
    let mut right = vec![1.0; items];
    let mut seen = vec![2.0; items];
    for r in &train {
        seen[r.item as usize] += 1.0;
        right[r.item as usize] += f64::from(u8::from(r.correct));
    }
    let rate: Vec<f64> = test.iter().map(|r| right[r.item as usize] / seen[r.item as usize]).collect();
    let mut scores = vec![score("item success rate", &rate, &truth)];
    let mut by_person = vec![Vec::new(); persons];
    for r in &train {
        by_person[r.person as usize].push((r.item, r.correct));
    }
    for (name, model) in [("1PL (Rasch)", Model::OnePl), ("2PL (Commune)", Model::TwoPl)] {
        let fit = irt::fit(persons, items, &train, Options { model, nodes: 41, max_iterations: 500, tolerance: 1e-4 });
        let abilities: Vec<irt::Ability> = by_person.iter().map(|answers| fit.ability(answers)).collect();
        let p: Vec<f64> = test.iter().map(|r| abilities[r.person as usize].p(fit.items[r.item as usize])).collect();
        scores.push(score(name, &p, &truth));
    }
    Evaluation { cells: responses.len(), held_out: test.len(), scores }
}

fn score(model: &'static str, p: &[f64], truth: &[bool]) -> Score {
    let (auc, log_loss) = irt::auc_and_log_loss(p, truth);
    Score { model, auc, log_loss }
}
