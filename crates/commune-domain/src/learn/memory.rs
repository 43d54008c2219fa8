//! Spaced repetition with FSRS-6 (the `fsrs` crate, pinned): a card's memory state (stability
//! and difficulty) after its reviews, the probability of recall on a later day, the next due day
//! at a member's desired retention, per-member parameters fitted from their own reviews, seeded
//! synthetic review logs and a time-ordered evaluation of the predictions.
//!
//! Days are whole day numbers (unix day for the app, any integer for the offline tools); a card's
//! reviews are in time order and the first one is its introduction (elapsed 0).

use crate::seeded::SplitMix64;
use crate::validation::Invalid;
use fsrs::{ComputeParametersInput, FSRS, FSRSItem, FSRSReview, MemoryState, compute_parameters};

/// FSRS-6 default parameters (DESIGN.md §2.8; equal to the crate's).
pub const DEFAULT_PARAMETERS: [f32; 21] = [
    0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796, 1.4835, 0.0614, 0.2629,
    1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
];
/// A member's parameters are fitted once they have this many reviews (and again every time the
/// count grows by half).
pub const MIN_REVIEWS_TO_FIT: usize = 200;
/// The desired retention a member may set (parts per thousand).
pub const RETENTION_PERMILLE: std::ops::RangeInclusive<i64> = 700..=990;
pub const DEFAULT_RETENTION_PERMILLE: i64 = 900;
/// The longest interval scheduled (ten years).
pub const MAX_INTERVAL_DAYS: i64 = 3650;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Review {
    /// 1 again, 2 hard, 3 good, 4 easy.
    pub rating: u8,
    pub day: i64,
}

impl Review {
    pub fn recalled(self) -> bool {
        self.rating > 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Memory {
    pub stability: f64,
    pub difficulty: f64,
    /// The day of the last review.
    pub day: i64,
}

/// A rating as typed: `1`–`4` (or again/hard/good/easy).
pub fn rating(field: &'static str, raw: &str) -> Result<u8, Invalid> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "again" => Ok(1),
        "2" | "hard" => Ok(2),
        "3" | "good" => Ok(3),
        "4" | "easy" => Ok(4),
        _ => Err(Invalid::new(field, "a rating is 1 (again), 2 (hard), 3 (good) or 4 (easy)")),
    }
}

/// FSRS-6 with one set of parameters.
#[derive(Debug)]
pub struct Model {
    fsrs: FSRS,
    parameters: Vec<f32>,
}

impl Default for Model {
    fn default() -> Model {
        Model::new(&DEFAULT_PARAMETERS).expect("the default parameters are valid")
    }
}

impl Model {
    /// A model with 21 finite parameters (FSRS-6).
    pub fn new(parameters: &[f32]) -> Result<Model, Invalid> {
        if parameters.len() != 21 || parameters.iter().any(|w| !w.is_finite()) {
            return Err(Invalid::new("parameters", "FSRS-6 takes 21 finite parameters"));
        }
        let fsrs = FSRS::new(parameters).map_err(|e| Invalid::new("parameters", format!("not usable: {e:?}")))?;
        Ok(Model { fsrs, parameters: parameters.to_vec() })
    }

    pub fn parameters(&self) -> &[f32] {
        &self.parameters
    }

    fn decay(&self) -> f32 {
        self.parameters[20]
    }

    /// The memory state after `reviews` (None before the first).
    pub fn memory(&self, reviews: &[Review]) -> Result<Option<Memory>, Invalid> {
        let Some(last) = reviews.last() else { return Ok(None) };
        let item = item(reviews)?;
        let state = self.fsrs.memory_state(item, None).map_err(|e| Invalid::new("reviews", format!("{e:?}")))?;
        Ok(Some(Memory {
            stability: f64::from(state.stability),
            difficulty: f64::from(state.difficulty),
            day: last.day,
        }))
    }

    /// The probability of recall on `day` (on or after the last review).
    pub fn recall(&self, memory: Memory, day: i64) -> f64 {
        let elapsed = (day - memory.day).max(0) as f32;
        let state = MemoryState { stability: memory.stability as f32, difficulty: memory.difficulty as f32 };
        f64::from(fsrs::current_retrievability(state, elapsed, self.decay()))
    }

    /// The state after a review rated `rating` on `day` and the day the card is due next at
    /// `retention` (an again is due the same day; otherwise at least a day later).
    pub fn review(
        &self,
        memory: Option<Memory>,
        rating: u8,
        day: i64,
        retention: f64,
    ) -> Result<(Memory, i64), Invalid> {
        if !(1..=4).contains(&rating) {
            return Err(Invalid::new("rating", "a rating is 1 (again), 2 (hard), 3 (good) or 4 (easy)"));
        }
        if let Some(m) = memory
            && day < m.day
        {
            return Err(Invalid::new("day", "a review comes on or after the card's last review"));
        }
        let elapsed = memory.map_or(0, |m| day - m.day);
        let state = memory.map(|m| MemoryState { stability: m.stability as f32, difficulty: m.difficulty as f32 });
        let elapsed = u32::try_from(elapsed).map_err(|_| Invalid::new("day", "too far apart"))?;
        let next = self
            .fsrs
            .next_states(state, retention as f32, elapsed)
            .map_err(|e| Invalid::new("retention", format!("{e:?}")))?;
        let chosen = match rating {
            1 => next.again,
            2 => next.hard,
            3 => next.good,
            _ => next.easy,
        };
        let interval = if rating == 1 { 0 } else { (chosen.interval.round() as i64).clamp(1, MAX_INTERVAL_DAYS) };
        let memory = Memory {
            stability: f64::from(chosen.memory.stability),
            difficulty: f64::from(chosen.memory.difficulty),
            day,
        };
        Ok((memory, day + interval))
    }
}

fn item(reviews: &[Review]) -> Result<FSRSItem, Invalid> {
    let mut out = Vec::with_capacity(reviews.len());
    let mut previous: Option<i64> = None;
    for r in reviews {
        if !(1..=4).contains(&r.rating) {
            return Err(Invalid::new("rating", "a rating is 1 (again), 2 (hard), 3 (good) or 4 (easy)"));
        }
        let delta = match previous {
            None => 0,
            Some(p) if r.day >= p => r.day - p,
            Some(_) => return Err(Invalid::new("day", "a card's reviews are in time order")),
        };
        let delta_t = u32::try_from(delta).map_err(|_| Invalid::new("day", "reviews too far apart"))?;
        out.push(FSRSReview { rating: u32::from(r.rating), delta_t });
        previous = Some(r.day);
    }
    Ok(FSRSItem { reviews: out })
}

/// Fits FSRS-6 parameters to cards' review histories (the crate's optimiser: initial
/// stabilities from first reviews, then gradient descent on the log-loss of every later review).
/// Too little data gives the defaults (or only the initial stabilities fitted).
pub fn fit(cards: &[Vec<Review>]) -> Result<Vec<f32>, Invalid> {
    let mut items = Vec::new();
    let mut ids = Vec::new();
    for (card, reviews) in cards.iter().enumerate() {
        let whole = item(reviews)?;
        for end in 2..=whole.reviews.len() {
            // The optimiser learns from reviews after a first day apart (same-day reviews before
            // it only set the start).
            if whole.reviews[1..end].iter().all(|r| r.delta_t == 0) {
                continue;
            }
            items.push(FSRSItem { reviews: whole.reviews[..end].to_vec() });
            ids.push(card as i64);
        }
    }
    if items.is_empty() {
        return Ok(DEFAULT_PARAMETERS.to_vec());
    }
    compute_parameters(ComputeParametersInput { train_set: items, card_ids: Some(ids), ..Default::default() })
        .map_err(|e| Invalid::new("reviews", format!("the parameters could not be fitted: {e:?}")))
}

/// The predictions of every review after a card's first on a day at least `from_day`: (the
/// predicted recall, whether it was recalled). Each uses the card's whole history before it.
pub fn predictions(model: &Model, cards: &[Vec<Review>], from_day: i64) -> Vec<(f64, bool)> {
    let mut out = Vec::new();
    for reviews in cards {
        for i in 1..reviews.len() {
            if reviews[i].day < from_day || reviews[i].day == reviews[i - 1].day {
                continue;
            }
            if let Ok(Some(m)) = model.memory(&reviews[..i]) {
                out.push((model.recall(m, reviews[i].day), reviews[i].recalled()));
            }
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    pub model: &'static str,
    pub log_loss: f64,
    pub auc: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evaluation {
    pub cards: usize,
    pub reviews: usize,
    /// Reviews on or after this day are predicted; the parameters see only earlier ones.
    pub split_day: i64,
    pub predicted: usize,
    pub fitted: Vec<f64>,
    pub scores: Vec<Score>,
}

/// Time-ordered evaluation: the first `train_percent` of review days fit the parameters; every
/// later review (after a card's first, on a new day) is predicted by FSRS-6 with the default
/// parameters, with the fitted ones, and by a constant (the recall rate of the training reviews).
pub fn evaluate(cards: &[Vec<Review>], train_percent: u64) -> Result<Evaluation, Invalid> {
    let mut days: Vec<i64> = cards.iter().flatten().map(|r| r.day).collect();
    days.sort_unstable();
    let split_day = days.get(days.len() * train_percent as usize / 100).copied().unwrap_or(0);
    let train: Vec<Vec<Review>> =
        cards.iter().map(|c| c.iter().copied().filter(|r| r.day < split_day).collect::<Vec<_>>()).collect();
    let fitted = fit(&train)?;
    let seen: Vec<bool> = predictions(&Model::default(), &train, i64::MIN).iter().map(|p| p.1).collect();
    let base = (seen.iter().filter(|&&y| y).count() as f64 + 1.0) / (seen.len() as f64 + 2.0);
    let default = predictions(&Model::default(), cards, split_day);
    let tuned = predictions(&Model::new(&fitted)?, cards, split_day);
    let truth: Vec<bool> = default.iter().map(|p| p.1).collect();
    let score = |model, p: Vec<f64>| {
        let (auc, log_loss) = crate::work::irt::auc_and_log_loss(&p, &truth);
        Score { model, log_loss, auc }
    };
    let scores = vec![
        score("FSRS-6 defaults", default.iter().map(|p| p.0).collect()),
        score("FSRS-6 fitted", tuned.iter().map(|p| p.0).collect()),
        score("constant", vec![base; truth.len()]),
    ];
    Ok(Evaluation {
        cards: cards.len(),
        reviews: days.len(),
        split_day,
        predicted: truth.len(),
        fitted: fitted.iter().map(|w| w.to_string().parse().unwrap_or(f64::NAN)).collect(),
        scores,
    })
}

/// A seeded synthetic review log: `cards` cards introduced over `days` days, scheduled by FSRS-6
/// defaults at 90% retention (each review late by up to twice the interval, at random), while the learner's memory
/// follows `truth` (their real parameters): each outcome is drawn from the true recall.
pub fn synthetic(seed: u64, cards: usize, days: i64, truth: &[f32]) -> Result<Vec<Vec<Review>>, Invalid> {
    let scheduler = Model::default();
    let learner = Model::new(truth)?;
    let mut rng = SplitMix64(seed);
    let mut out = Vec::with_capacity(cards);
    for card in 0..cards {
        let start = (card as i64 * days / 2) / cards.max(1) as i64;
        let mut reviews = Vec::new();
        let (mut planned, mut real): (Option<Memory>, Option<Memory>) = (None, None);
        let mut day = start;
        while day < days {
            let rating = match real {
                None => 1 + rng.below(4) as u8,
                Some(m) if rng.uniform() >= learner.recall(m, day) => 1,
                Some(_) => match rng.below(10) {
                    0 => 2,
                    1 | 2 => 4,
                    _ => 3,
                },
            };
            reviews.push(Review { rating, day });
            let (p, due) = scheduler.review(planned, rating, day, 0.9)?;
            planned = Some(p);
            real = Some(learner.review(real, rating, day, 0.9)?.0);
            // Members come back late as often as not: up to twice the interval.
            let interval = (due - day).max(1);
            day += interval + rng.below(2 * interval as u64 + 1) as i64;
        }
        out.push(reviews);
    }
    Ok(out)
}

/// A learner unlike the defaults (slower to forget early, faster later), for synthetic logs.
pub fn unlike_defaults() -> Vec<f32> {
    let mut w = DEFAULT_PARAMETERS.to_vec();
    w[0] = 1.2;
    w[1] = 3.0;
    w[2] = 6.0;
    w[3] = 15.0;
    w[8] = 1.3;
    w[11] = 2.2;
    w[20] = 0.35;
    w
}

#[cfg(test)]
mod tests;
