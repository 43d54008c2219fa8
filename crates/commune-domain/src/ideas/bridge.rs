//! Bridging-based ranking, as X's Community Notes scores notes.
//!
//! Ratings are helpfulness judgements: yes 1, somewhat 0.5, no 0. The model is
//! `r̂ = μ + i_u + i_n + f_u·f_n` with one factor, fitted by minimising the documented loss
//!
//! ```text
//! Σ (r − r̂)² + 0.15·(μ² + Σ i_u² + Σ i_n²) + 0.03·(Σ f_u² + Σ f_n²)
//! ```
//!
//! The factor soaks up what one camp likes and the other does not, so an item's intercept
//! `i_n` is the helpfulness left over that *both* sides of the factor share. We fit by
//! alternating exact ridge regressions (each item's `(i_n, f_n)` given the raters, then each
//! rater's, then `μ`) from a fixed start, so the loss falls monotonically and the fit is the
//! same for the same input — no random restarts, no learning rate.
//!
//! Status (stated rule): with fewer than [`MIN_RATINGS`] ratings an item `needs_more`; it is
//! `helpful` across perspectives when `i_n ≥ 0.40` and `|f_n| < 0.5`, `not_helpful` when
//! `i_n < −0.05 − 0.8·|f_n|`. Hysteresis: an item already helpful stays so while
//! `i_n ≥ 0.38` and `|f_n| < 0.55`; one already not helpful stays so while
//! `i_n < −0.03 − 0.8·|f_n|` — so a single new rating near a threshold does not flip it back
//! and forth.

use crate::seeded::SplitMix64;
use crate::validation::Invalid;

pub const INTERCEPT_LAMBDA: f64 = 0.15;
pub const FACTOR_LAMBDA: f64 = 0.03;
pub const MIN_RATINGS: usize = 5;
pub const HELPFUL_INTERCEPT: f64 = 0.40;
pub const HELPFUL_MAX_FACTOR: f64 = 0.5;
const ROUNDS: usize = 20_000;
const CONVERGED: f64 = 1e-13;

/// A helpfulness rating as a member gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Helpfulness {
    No,
    Somewhat,
    Yes,
}

impl Helpfulness {
    pub fn value(self) -> f64 {
        match self {
            Self::No => 0.0,
            Self::Somewhat => 0.5,
            Self::Yes => 1.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::No => "no",
            Self::Somewhat => "somewhat",
            Self::Yes => "yes",
        }
    }

    /// `yes`/`somewhat`/`no` or the numbers `1`, `0.5`, `0`; anything else is refused.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "yes" | "1" | "1.0" => Ok(Self::Yes),
            "somewhat" | "0.5" | ".5" => Ok(Self::Somewhat),
            "no" | "0" | "0.0" => Ok(Self::No),
            other => {
                Err(Invalid::new(field, format!("'{other}' is not a helpfulness rating (yes 1, somewhat 0.5, no 0)")))
            }
        }
    }

    pub fn from_value(v: f64) -> Option<Self> {
        [Self::No, Self::Somewhat, Self::Yes].into_iter().find(|h| h.value() == v)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Helpful,
    NotHelpful,
    NeedsMore,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Helpful => "helpful",
            Self::NotHelpful => "not_helpful",
            Self::NeedsMore => "needs_more",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "helpful" => Some(Self::Helpful),
            "not_helpful" => Some(Self::NotHelpful),
            "needs_more" => Some(Self::NeedsMore),
            _ => None,
        }
    }
}

/// One rating by rater index `rater` of item index `item`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    pub rater: usize,
    pub item: usize,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub mu: f64,
    pub rater_intercepts: Vec<f64>,
    pub rater_factors: Vec<f64>,
    pub item_intercepts: Vec<f64>,
    pub item_factors: Vec<f64>,
    pub item_ratings: Vec<usize>,
    pub rounds: usize,
}

impl Fit {
    pub fn predict(&self, rater: usize, item: usize) -> f64 {
        self.mu
            + self.rater_intercepts[rater]
            + self.item_intercepts[item]
            + self.rater_factors[rater] * self.item_factors[item]
    }

    /// The regularised loss the fit minimises.
    pub fn loss(&self, ratings: &[Rating]) -> f64 {
        let sq: f64 = ratings.iter().map(|r| (r.value - self.predict(r.rater, r.item)).powi(2)).sum();
        let ii: f64 = self.rater_intercepts.iter().chain(&self.item_intercepts).map(|v| v * v).sum();
        let ff: f64 = self.rater_factors.iter().chain(&self.item_factors).map(|v| v * v).sum();
        sq + INTERCEPT_LAMBDA * (self.mu * self.mu + ii) + FACTOR_LAMBDA * ff
    }

    pub fn status(&self, item: usize, previous: Option<Status>) -> Status {
        status(self.item_intercepts[item], self.item_factors[item], self.item_ratings[item], previous)
    }
}

/// The status of an item with this intercept, factor and number of ratings, given its last one.
pub fn status(intercept: f64, factor: f64, ratings: usize, previous: Option<Status>) -> Status {
    if ratings < MIN_RATINGS {
        return Status::NeedsMore;
    }
    let f = factor.abs();
    let helpful = match previous {
        Some(Status::Helpful) => intercept >= 0.38 && f < 0.55,
        _ => intercept >= HELPFUL_INTERCEPT && f < HELPFUL_MAX_FACTOR,
    };
    if helpful {
        return Status::Helpful;
    }
    let not_helpful = match previous {
        Some(Status::NotHelpful) => intercept < -0.03 - 0.8 * f,
        _ => intercept < -0.05 - 0.8 * f,
    };
    if not_helpful { Status::NotHelpful } else { Status::NeedsMore }
}

/// Solves the 2×2 ridge regression `min Σ (y − a − b·x)² + λa·a² + λb·b²`.
fn ridge2(n: f64, sx: f64, sxx: f64, sy: f64, sxy: f64) -> (f64, f64) {
    let (a11, a12, a22) = (n + INTERCEPT_LAMBDA, sx, sxx + FACTOR_LAMBDA);
    let det = a11 * a22 - a12 * a12;
    if det.abs() < 1e-300 {
        return (0.0, 0.0);
    }
    ((a22 * sy - a12 * sxy) / det, (a11 * sxy - a12 * sy) / det)
}

impl Fit {
    /// Exact line searches along the directions the data cannot see — moving weight between
    /// `μ` and the item or rater intercepts, between rater and item intercepts, and between
    /// the scales of rater and item factors. Only the penalty changes along them, so plain
    /// alternation crawls there; one closed-form step each settles them.
    fn balance(&mut self) {
        let (ni, nu) = (self.item_intercepts.len() as f64, self.rater_intercepts.len() as f64);
        let shift = |mu: &mut f64, xs: &mut Vec<f64>, n: f64| {
            let t = (xs.iter().sum::<f64>() - *mu) / (n + 1.0);
            *mu += t;
            xs.iter_mut().for_each(|x| *x -= t);
        };
        shift(&mut self.mu, &mut self.item_intercepts, ni);
        shift(&mut self.mu, &mut self.rater_intercepts, nu);
        if ni + nu > 0.0 {
            let t = (self.item_intercepts.iter().sum::<f64>() - self.rater_intercepts.iter().sum::<f64>()) / (ni + nu);
            self.rater_intercepts.iter_mut().for_each(|x| *x += t);
            self.item_intercepts.iter_mut().for_each(|x| *x -= t);
        }
        let a: f64 = self.rater_factors.iter().map(|f| f * f).sum();
        let b: f64 = self.item_factors.iter().map(|f| f * f).sum();
        if a > 1e-300 && b > 1e-300 {
            let c = (b / a).powf(0.25);
            self.rater_factors.iter_mut().for_each(|f| *f *= c);
            self.item_factors.iter_mut().for_each(|f| *f /= c);
        }
    }
}

/// The raters' scores on the first principal axis of the item-centred ratings (missing as 0),
/// by power iteration from a fixed start, scaled to unit spread: where the disagreement lies.
fn principal_axis(
    raters: usize,
    items: usize,
    by_rater: &[Vec<(usize, f64)>],
    by_item: &[Vec<(usize, f64)>],
) -> Vec<f64> {
    let means: Vec<f64> = by_item
        .iter()
        .map(|rs| if rs.is_empty() { 0.0 } else { rs.iter().map(|r| r.1).sum::<f64>() / rs.len() as f64 })
        .collect();
    let mut v: Vec<f64> = (0..items).map(|n| 1.0 + (n % 7) as f64 * 0.1).collect();
    let mut u = vec![0.0; raters];
    for _ in 0..100 {
        for (k, rs) in by_rater.iter().enumerate() {
            u[k] = rs.iter().map(|&(n, r)| (r - means[n]) * v[n]).sum();
        }
        v.iter_mut().for_each(|x| *x = 0.0);
        for (k, rs) in by_rater.iter().enumerate() {
            for &(n, r) in rs {
                v[n] += (r - means[n]) * u[k];
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm < 1e-12 {
            break;
        }
        v.iter_mut().for_each(|x| *x /= norm);
    }
    let spread = (u.iter().map(|x| x * x).sum::<f64>() / raters.max(1) as f64).sqrt();
    if spread < 1e-12 { vec![0.0; raters] } else { u.iter().map(|x| x / spread).collect() }
}

/// Fits the model. Deterministic: alternating exact minimisation from four fixed starts — the
/// raters on the ratings' principal axis, and three seeded draws — keeping the fit with the
/// lowest loss (alternation can stall at the saddle where every factor is zero, or in a
/// poorer valley; several starts find the deep one, as the SciPy cross-check confirms).
pub fn fit(raters: usize, items: usize, ratings: &[Rating]) -> Fit {
    let mut by_item: Vec<Vec<(usize, f64)>> = vec![Vec::new(); items];
    let mut by_rater: Vec<Vec<(usize, f64)>> = vec![Vec::new(); raters];
    for r in ratings {
        by_item[r.item].push((r.rater, r.value));
        by_rater[r.rater].push((r.item, r.value));
    }
    let mut rng = SplitMix64(0x000C_0FFE_EB41_D9E5);
    let mut starts = vec![principal_axis(raters, items, &by_rater, &by_item)];
    for _ in 0..3 {
        starts.push((0..raters).map(|_| 2.0 * rng.uniform() - 1.0).collect());
    }
    let mut best: Option<(f64, Fit)> = None;
    for start in starts {
        let fit = descend(start, items, &by_item, &by_rater, ratings);
        let loss = fit.loss(ratings);
        if best.as_ref().is_none_or(|(l, _)| loss < *l - 1e-9) {
            best = Some((loss, fit));
        }
    }
    let Some((_, mut fit)) = best else { unreachable!("four starts") };
    // The factor's sign is arbitrary; fix it so that the raters' factors sum to ≥ 0.
    if fit.rater_factors.iter().sum::<f64>() < 0.0 {
        fit.rater_factors.iter_mut().chain(fit.item_factors.iter_mut()).for_each(|f| *f = -*f);
    }
    fit
}

fn descend(
    rater_factors: Vec<f64>,
    items: usize,
    by_item: &[Vec<(usize, f64)>],
    by_rater: &[Vec<(usize, f64)>],
    ratings: &[Rating],
) -> Fit {
    let mut fit = Fit {
        mu: 0.0,
        rater_intercepts: vec![0.0; rater_factors.len()],
        rater_factors,
        item_intercepts: vec![0.0; items],
        item_factors: vec![0.0; items],
        item_ratings: by_item.iter().map(Vec::len).collect(),
        rounds: 0,
    };
    let mut last = f64::INFINITY;
    for round in 1..=ROUNDS {
        for (n, rs) in by_item.iter().enumerate() {
            let (mut sx, mut sxx, mut sy, mut sxy) = (0.0, 0.0, 0.0, 0.0);
            for &(u, value) in rs {
                let x = fit.rater_factors[u];
                let y = value - fit.mu - fit.rater_intercepts[u];
                (sx, sxx, sy, sxy) = (sx + x, sxx + x * x, sy + y, sxy + x * y);
            }
            (fit.item_intercepts[n], fit.item_factors[n]) = ridge2(rs.len() as f64, sx, sxx, sy, sxy);
        }
        for (u, rs) in by_rater.iter().enumerate() {
            let (mut sx, mut sxx, mut sy, mut sxy) = (0.0, 0.0, 0.0, 0.0);
            for &(n, value) in rs {
                let x = fit.item_factors[n];
                let y = value - fit.mu - fit.item_intercepts[n];
                (sx, sxx, sy, sxy) = (sx + x, sxx + x * x, sy + y, sxy + x * y);
            }
            (fit.rater_intercepts[u], fit.rater_factors[u]) = ridge2(rs.len() as f64, sx, sxx, sy, sxy);
        }
        let residual: f64 = ratings
            .iter()
            .map(|r| {
                r.value
                    - fit.rater_intercepts[r.rater]
                    - fit.item_intercepts[r.item]
                    - fit.rater_factors[r.rater] * fit.item_factors[r.item]
            })
            .sum();
        fit.mu = residual / (ratings.len() as f64 + INTERCEPT_LAMBDA);
        fit.balance();
        fit.rounds = round;
        let loss = fit.loss(ratings);
        if (last - loss).abs() <= CONVERGED * (1.0 + loss) {
            break;
        }
        last = loss;
    }
    fit
}

/// One row of the offline scorer's output.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scored {
    pub item: String,
    pub intercept: f64,
    pub factor: f64,
    pub ratings: usize,
    pub status: Status,
}

/// Scores named ratings `(rater, item, value)` — one per rater and item — and returns every
/// item in natural order of its name.
pub fn score<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str, Helpfulness)>) -> Vec<Scored> {
    let mut raters = crate::ideas::Interner::default();
    let mut items = crate::ideas::Interner::default();
    let ratings: Vec<Rating> =
        rows.into_iter().map(|(u, n, h)| Rating { rater: raters.id(u), item: items.id(n), value: h.value() }).collect();
    let fit = fit(raters.len(), items.len(), &ratings);
    let mut out: Vec<Scored> = items
        .names()
        .iter()
        .enumerate()
        .map(|(n, name)| Scored {
            item: name.clone(),
            intercept: fit.item_intercepts[n],
            factor: fit.item_factors[n],
            ratings: fit.item_ratings[n],
            status: fit.status(n, None),
        })
        .collect();
    out.sort_by(|a, b| crate::ideas::natural(&a.item, &b.item));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two camps of 12 raters. Item 0 both camps find helpful; item 1 only camp A; item 2 only
    /// camp B; item 3 nobody; items 4.. split along camp lines to give the factor its axis.
    fn two_camps() -> (usize, usize, Vec<Rating>) {
        let mut ratings = Vec::new();
        for u in 0..24 {
            let a = u < 12;
            let mut rate = |item: usize, v: f64| ratings.push(Rating { rater: u, item, value: v });
            rate(0, if u % 5 == 0 { 0.5 } else { 1.0 });
            rate(1, if a { 1.0 } else { 0.0 });
            rate(2, if a { 0.0 } else { 1.0 });
            rate(3, if u % 7 == 0 { 0.5 } else { 0.0 });
            for item in 4..10 {
                let likes = (item % 2 == 0) == a;
                rate(item, if likes { 1.0 } else { 0.0 });
            }
        }
        (24, 10, ratings)
    }

    #[test]
    fn an_item_both_camps_find_helpful_is_helpful_and_a_one_camp_item_is_not() {
        let (u, n, ratings) = two_camps();
        let fit = fit(u, n, &ratings);
        assert_eq!(fit.status(0, None), Status::Helpful, "{fit:?}");
        assert_ne!(fit.status(1, None), Status::Helpful);
        assert_ne!(fit.status(2, None), Status::Helpful);
        assert_eq!(fit.status(3, None), Status::NotHelpful);
        assert!(fit.item_factors[1].abs() > 0.5 && fit.item_factors[0].abs() < 0.2, "{fit:?}");
    }

    #[test]
    fn the_fit_is_deterministic_and_a_stationary_point() {
        let (u, n, ratings) = two_camps();
        let (a, b) = (fit(u, n, &ratings), fit(u, n, &ratings));
        assert_eq!(a, b);
        // Nudging any parameter does not lower the loss.
        let base = a.loss(&ratings);
        for eps in [1e-4, -1e-4] {
            let mut c = a.clone();
            c.item_intercepts[0] += eps;
            assert!(c.loss(&ratings) >= base - 1e-9, "{} {}", c.loss(&ratings), base);
            let mut c = a.clone();
            c.rater_factors[3] += eps;
            assert!(c.loss(&ratings) >= base - 1e-9);
            let mut c = a.clone();
            c.mu += eps;
            assert!(c.loss(&ratings) >= base - 1e-9);
        }
    }

    #[test]
    fn few_ratings_need_more_and_hysteresis_holds_a_status() {
        assert_eq!(status(0.9, 0.0, 4, None), Status::NeedsMore);
        assert_eq!(status(0.39, 0.1, 5, None), Status::NeedsMore);
        assert_eq!(status(0.39, 0.1, 5, Some(Status::Helpful)), Status::Helpful);
        assert_eq!(status(0.37, 0.1, 5, Some(Status::Helpful)), Status::NeedsMore);
        assert_eq!(status(-0.04, 0.0, 5, None), Status::NeedsMore);
        assert_eq!(status(-0.04, 0.0, 5, Some(Status::NotHelpful)), Status::NotHelpful);
        assert_eq!(status(0.45, 0.6, 5, None), Status::NeedsMore);
    }

    #[test]
    fn named_scoring_orders_items_naturally() {
        use Helpfulness::*;
        let rows = score([("a", "10", Yes), ("b", "10", Somewhat), ("c", "9", No)]);
        assert_eq!(rows.iter().map(|r| r.item.as_str()).collect::<Vec<_>>(), ["9", "10"]);
        assert!(rows.iter().all(|r| r.status == Status::NeedsMore));
    }
}
