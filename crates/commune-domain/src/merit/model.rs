//! The believability model: a rating is `μ + a_ratee + b_rater + noise`, noise with a variance
//! of each rater's own (so a rater's *reliability* is learned), fitted by alternating
//! precision-weighted updates with empirical-Bayes priors (a Gaussian peer-assessment model in
//! the spirit of Piech et al.'s PG1).
//!
//! - **rater bias** `b` is removed: lenient and harsh raters are read on one scale;
//! - **reliability**: each rater's ratings count by `1/σ²_rater`, so noisy or erratic raters
//!   (a clique rating itself 10 and everyone else 1) weigh little;
//! - **shrinkage**: abilities start at the prior mean and move only as evidence accumulates;
//!   with fewer than `min_raters` distinct raters the uncertainty is inflated further;
//! - **decay**: each rating carries a weight (`0.5^(age / half-life)` in the shell);
//! - **believability-weighted raters**: a rater's weight is scaled by their own believability
//!   (EigenTrust-style, mixed with a uniform democratic prior and bounded);
//! - **corroboration of mutual ratings**: a rating whose ratee also rated the rater (a pair, a
//!   ring, a retaliation) is compared with what the ratee's *other* raters say; when it lies far
//!   from that outside view (beyond two typical standard deviations) its weight falls as the eighth
//!   power of the distance, so rings of
//!   mutual praise and tit-for-tat marks carry almost nothing, while honest mutual ratings (a
//!   team rating each other, as in a Dot Collector meeting) keep their weight;
//! - **closed groups count as newcomers**: a rater rated only inside mutual pairs that nobody
//!   outside corroborates (fewer than `min_raters` independent raters: raters outside any mutual
//!   pair, or corroborated ones) counts at `newcomer_credibility` relative to everyone else, so
//!   a flock of fresh accounts praising each other and a friend buys little. A rater nobody has
//!   rated at all keeps the uniform democratic prior;
//! - a **conservative estimate** `believability − k·sd` ranks people, so newcomers start at the
//!   floor rather than at zero.

/// One rating between members `rater` and `ratee` (indices), with its weight (decay etc.).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    pub rater: usize,
    pub ratee: usize,
    pub score: f64,
    pub weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelConfig {
    pub iterations: usize,
    /// `k` in `believability − k·sd`.
    pub k: f64,
    /// Pseudo-ratings pulling each rater's noise towards the common noise.
    pub noise_prior: f64,
    /// Below this many distinct raters, uncertainty is inflated.
    pub min_raters: usize,
    /// How far (in standard deviations) a mutual rating may lie from the ratee's outside view
    /// before its weight falls (as `(limit / z)^8`).
    pub corroboration_limit: f64,
    /// A newcomer's influence as a rater, relative to an established rater's.
    pub newcomer_credibility: f64,
    /// How much a rater's own believability scales their influence (0 = not at all).
    pub credibility_mix: f64,
}

impl Default for ModelConfig {
    fn default() -> ModelConfig {
        ModelConfig {
            iterations: 30,
            k: 1.0,
            noise_prior: 4.0,
            min_raters: 3,
            corroboration_limit: 2.0,
            newcomer_credibility: 0.05,
            credibility_mix: 0.3,
        }
    }
}

/// A fitted model over `n` members.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub mean: f64,
    /// Per member: ability as a ratee (relative to `mean`).
    pub ability: Vec<f64>,
    /// Per member: the standard deviation of `ability`.
    pub ability_sd: Vec<f64>,
    /// Per member: bias as a rater.
    pub bias: Vec<f64>,
    /// Per member: noise standard deviation as a rater.
    pub noise: Vec<f64>,
    /// Per member: influence as a rater (believability-based, mean 1).
    pub credibility: Vec<f64>,
    /// Per member: distinct raters who rated them.
    pub distinct_raters: Vec<usize>,
    pub k: f64,
}

impl Fit {
    /// The score `rater` would give `ratee` (either may be unknown to the model).
    pub fn predict(&self, rater: Option<usize>, ratee: Option<usize>) -> f64 {
        self.mean + ratee.map_or(0.0, |j| self.ability[j]) + rater.map_or(0.0, |i| self.bias[i])
    }

    /// Believability on the rating scale.
    pub fn believability(&self, member: usize) -> f64 {
        self.mean + self.ability[member]
    }

    /// The conservative estimate: believability − k·sd.
    pub fn lower(&self, member: usize) -> f64 {
        self.believability(member) - self.k * self.ability_sd[member]
    }
}

/// Fits the model for `n` members.
pub fn fit(n: usize, ratings: &[Rating], config: ModelConfig) -> Fit {
    let ratings: Vec<Rating> = ratings
        .iter()
        .copied()
        .filter(|r| r.rater < n && r.ratee < n && r.score.is_finite() && r.weight > 0.0)
        .collect();
    let total_w: f64 = ratings.iter().map(|r| r.weight).sum();
    let mean0 = if total_w > 0.0 { ratings.iter().map(|r| r.weight * r.score).sum::<f64>() / total_w } else { 0.0 };
    let var0 = if total_w > 0.0 {
        (ratings.iter().map(|r| r.weight * (r.score - mean0).powi(2)).sum::<f64>() / total_w).max(1e-6)
    } else {
        1.0
    };
    let mut mean = mean0;
    let mut ability = vec![0.0; n];
    let mut ability_var = vec![var0; n];
    let mut bias = vec![0.0; n];
    let mut noise_var = vec![var0; n];
    let mut credibility = vec![1.0; n];
    let mut tau_a = var0 / 2.0;
    let mut tau_b = var0 / 4.0;
    let mut weights: Vec<f64> = ratings.iter().map(|r| r.weight).collect();
    let mut distinct: Vec<std::collections::HashSet<usize>> = vec![Default::default(); n];
    for r in &ratings {
        distinct[r.ratee].insert(r.rater);
    }
    let distinct_raters: Vec<usize> = distinct.iter().map(|d| d.len()).collect();
    let reciprocal = reciprocal_pairs(&ratings);
    // Until corroboration has been weighed, nobody counts as a closed group.
    let mut closed: Vec<bool> = vec![false; n];

    for iteration in 0..config.iterations.max(1) {
        // Rater bias, shrunk towards 0.
        let mut num = vec![0.0; n];
        let mut den = vec![0.0; n];
        for (r, &w) in ratings.iter().zip(&weights) {
            num[r.rater] += w * (r.score - mean - ability[r.ratee]);
            den[r.rater] += w;
        }
        for i in 0..n {
            bias[i] = if den[i] > 0.0 { num[i] / (den[i] + noise_var[i] / tau_b) } else { 0.0 };
        }
        // Ratee ability: precision- and credibility-weighted, shrunk towards 0.
        let mut num = vec![0.0; n];
        let mut prec = vec![0.0; n];
        for (r, &w) in ratings.iter().zip(&weights) {
            let p = w * credibility[r.rater] / noise_var[r.rater];
            num[r.ratee] += p * (r.score - mean - bias[r.rater]);
            prec[r.ratee] += p;
        }
        for j in 0..n {
            let posterior = prec[j] + 1.0 / tau_a;
            ability[j] = num[j] / posterior;
            let thin = if distinct_raters[j] < config.min_raters {
                config.min_raters as f64 / (distinct_raters[j].max(1) as f64)
            } else {
                1.0
            };
            ability_var[j] = thin / posterior;
        }
        // The common mean.
        let (mut s, mut p) = (0.0, 0.0);
        for (r, &w) in ratings.iter().zip(&weights) {
            let q = w / noise_var[r.rater];
            s += q * (r.score - ability[r.ratee] - bias[r.rater]);
            p += q;
        }
        if p > 0.0 {
            mean = s / p;
        }
        // Each rater's noise, pulled towards the common noise.
        let mut sq = vec![0.0; n];
        let mut cnt = vec![0.0; n];
        for (r, &w) in ratings.iter().zip(&weights) {
            let e = r.score - mean - ability[r.ratee] - bias[r.rater];
            sq[r.rater] += w * e * e;
            cnt[r.rater] += w;
        }
        let common = (sq.iter().sum::<f64>() / cnt.iter().sum::<f64>().max(1e-9)).max(1e-6);
        for i in 0..n {
            noise_var[i] = ((sq[i] + config.noise_prior * common) / (cnt[i] + config.noise_prior)).max(1e-6);
        }
        // Empirical-Bayes prior variances.
        let rated: Vec<usize> = (0..n).filter(|&j| distinct_raters[j] > 0).collect();
        if !rated.is_empty() {
            tau_a = (rated.iter().map(|&j| ability[j].powi(2) + ability_var[j]).sum::<f64>() / rated.len() as f64)
                .max(1e-6);
        }
        let raters: Vec<usize> = (0..n).filter(|&i| den[i] > 0.0).collect();
        if !raters.is_empty() {
            tau_b =
                (raters.iter().map(|&i| bias[i].powi(2) + 1.0 / (den[i] / noise_var[i] + 1.0 / tau_b)).sum::<f64>()
                    / raters.len() as f64)
                    .max(1e-6);
        }
        // Once the estimates settle: weigh mutual ratings by how well the ratee's other raters
        // corroborate them, and raters by their own believability and evidence.
        if iteration >= 4 && iteration % 5 == 4 {
            // The typical rater's noise (a median, so a ring's wild marks do not widen it).
            let mut spread: Vec<f64> = (0..n).filter(|&i| cnt[i] > 0.0).map(|i| noise_var[i]).collect();
            spread.sort_by(f64::total_cmp);
            let common_var = spread.get(spread.len() / 2).copied().unwrap_or(common);
            let (factors, independent) = corroboration(
                &ratings,
                &reciprocal,
                &Estimates {
                    mean,
                    ability: &ability,
                    bias: &bias,
                    noise_var: &noise_var,
                    credibility: &credibility,
                    tau_a,
                },
                common_var,
                config,
            );
            for (w, (r, f)) in weights.iter_mut().zip(ratings.iter().zip(&factors)) {
                *w = r.weight * f;
            }
            closed = independent;
        }
        if iteration >= 4 {
            credibility = rater_credibility(&ability, &ability_var, &distinct_raters, &closed, &ratings, config);
        }
    }
    Fit {
        mean,
        ability,
        ability_sd: ability_var.iter().map(|v| v.sqrt()).collect(),
        bias,
        noise: noise_var.iter().map(|v| v.sqrt()).collect(),
        credibility,
        distinct_raters,
        k: config.k,
    }
}

/// Index of each rating by (rater, ratee), for finding the reverse rating.
fn reciprocal_pairs(ratings: &[Rating]) -> std::collections::HashMap<(usize, usize), usize> {
    ratings.iter().enumerate().map(|(i, r)| ((r.rater, r.ratee), i)).collect()
}

/// The current estimates, as corroboration reads them.
struct Estimates<'a> {
    mean: f64,
    ability: &'a [f64],
    bias: &'a [f64],
    noise_var: &'a [f64],
    credibility: &'a [f64],
    tau_a: f64,
}

/// Per rating, the factor its weight gets from corroboration (1 unless it is a mutual rating far
/// from the ratee's outside view), and per member whether they are a closed group's: rated inside
/// mutual pairs, with fewer than `min_raters` independent raters (raters outside any mutual
/// pair, or in one whose rating the outside view corroborates).
fn corroboration(
    ratings: &[Rating],
    reciprocal: &std::collections::HashMap<(usize, usize), usize>,
    e: &Estimates<'_>,
    common_var: f64,
    config: ModelConfig,
) -> (Vec<f64>, Vec<bool>) {
    let n = e.ability.len();
    let mutual: Vec<bool> = ratings.iter().map(|r| reciprocal.contains_key(&(r.ratee, r.rater))).collect();
    // The outside view of each ratee: what its raters outside any mutual pair say.
    let mut num = vec![0.0; n];
    let mut prec = vec![0.0; n];
    let mut outside: Vec<std::collections::HashSet<usize>> = vec![Default::default(); n];
    for (r, m) in ratings.iter().zip(&mutual) {
        if !m {
            let p = r.weight * e.credibility[r.rater] / e.noise_var[r.rater];
            num[r.ratee] += p * (r.score - e.mean - e.bias[r.rater]);
            prec[r.ratee] += p;
            outside[r.ratee].insert(r.rater);
        }
    }
    let mut factors = vec![1.0; ratings.len()];
    let mut independent: Vec<std::collections::HashSet<usize>> = outside.clone();
    let mut rated_mutually = vec![false; n];
    for (k, (r, m)) in ratings.iter().zip(&mutual).enumerate() {
        if !m {
            continue;
        }
        rated_mutually[r.ratee] = true;
        // The outside view with its own uncertainty: with no outside raters it is the prior (the
        // commune's average, as uncertain as abilities vary), so only far-out praise or blame is
        // discounted there.
        let posterior = prec[r.ratee] + 1.0 / e.tau_a;
        let view = num[r.ratee] / posterior;
        let excess = r.score - e.mean - e.bias[r.rater] - view;
        let z = excess.abs() / (common_var + 1.0 / posterior).sqrt();
        if z > config.corroboration_limit {
            factors[k] = (config.corroboration_limit / z).powi(8);
        } else if outside[r.ratee].len() >= config.min_raters {
            independent[r.ratee].insert(r.rater);
        }
    }
    let closed = (0..n).map(|j| rated_mutually[j] && independent[j].len() < config.min_raters).collect();
    (factors, closed)
}

/// Credibility of each member as a rater: `(1 − mix) + mix · (their conservative believability
/// relative to the average)`, bounded to [0.5, 2], for members rated by at least `min_raters`;
/// 1 (the uniform democratic prior) for members rated less; `newcomer_credibility` for members
/// of closed groups. Normalised so that the average rating is given with credibility 1: when
/// everyone is new, everyone counts the same.
fn rater_credibility(
    ability: &[f64],
    ability_var: &[f64],
    distinct: &[usize],
    closed: &[bool],
    ratings: &[Rating],
    config: ModelConfig,
) -> Vec<f64> {
    let lower: Vec<Option<f64>> = (0..ability.len())
        .map(|j| {
            (distinct[j] >= config.min_raters && !closed[j]).then(|| ability[j] - config.k * ability_var[j].sqrt())
        })
        .collect();
    let known: Vec<f64> = lower.iter().flatten().copied().collect();
    let min = known.iter().copied().fold(f64::INFINITY, f64::min);
    let avg = if known.is_empty() { 0.0 } else { known.iter().map(|x| x - min).sum::<f64>() / known.len() as f64 };
    let raw: Vec<f64> = lower
        .iter()
        .zip(closed)
        .map(|(l, &closed)| match l {
            Some(x) if avg > 0.0 && config.credibility_mix > 0.0 => {
                ((1.0 - config.credibility_mix) + config.credibility_mix * (x - min) / avg).clamp(0.5, 2.0)
            }
            Some(_) => 1.0,
            None if closed => config.newcomer_credibility,
            None => 1.0,
        })
        .collect();
    let given: f64 = ratings.iter().map(|r| r.weight).sum();
    let average: f64 = ratings.iter().map(|r| r.weight * raw[r.rater]).sum::<f64>() / given.max(1e-12);
    if average > 0.0 { raw.iter().map(|c| c / average).collect() } else { vec![1.0; ability.len()] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rater_bias_is_corrected() {
        // Three ratees of true quality 3, 5, 7; a lenient rater (+2) and a harsh one (−2) rate
        // different halves. A plain mean would confuse leniency with quality.
        let mut ratings = Vec::new();
        let quality = [3.0, 5.0, 7.0];
        for (rater, shift) in [(3, 2.0), (4, -2.0), (5, 0.0), (6, 0.0)] {
            for (j, q) in quality.iter().enumerate() {
                if rater == 3 && j == 0 || rater == 4 && j == 2 {
                    continue;
                }
                ratings.push(Rating { rater, ratee: j, score: q + shift, weight: 1.0 });
            }
        }
        let fit = fit(7, &ratings, ModelConfig::default());
        assert!(fit.bias[3] > 1.0 && fit.bias[4] < -1.0, "biases found: {:?}", fit.bias);
        assert!(fit.believability(0) < fit.believability(1) && fit.believability(1) < fit.believability(2));
        assert!(fit.lower(2) < fit.believability(2));
        let nobody = fit.predict(None, None);
        assert!((nobody - fit.mean).abs() < 1e-12);
    }

    #[test]
    fn unrated_members_sit_at_the_prior_with_wide_uncertainty() {
        let ratings = vec![
            Rating { rater: 0, ratee: 1, score: 8.0, weight: 1.0 },
            Rating { rater: 2, ratee: 1, score: 9.0, weight: 1.0 },
        ];
        let fit = fit(4, &ratings, ModelConfig::default());
        assert_eq!(fit.ability[3], 0.0);
        assert!(fit.ability_sd[3] > fit.ability_sd[1]);
        assert_eq!(fit.distinct_raters[1], 2);
    }
}
