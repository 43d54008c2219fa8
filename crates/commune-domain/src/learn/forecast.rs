//! Forecasting: questions resolve to one of their options (a binary question has `no` and
//! `yes`; a numeric range is cut into bins); a forecast is a probability for each option.
//!
//! Scores (stated rules): the Brier score of a binary forecast is `(p − o)²` with `p` the
//! probability of yes (0 best, 1 worst); of a multiple-choice one the original Brier sum
//! `Σ (pᵢ − oᵢ)²` (0 best, 2 worst). The log score is `ln p(outcome)` (0 best; probabilities
//! are clipped to `[1e-15, 1 − 1e-15]` so a confident miss is large, not infinite). Calibration
//! bins are ten equal bins of the forecast probability of each option. The community forecast
//! is the weighted mean of members' log-odds (for several options: their log-probabilities,
//! renormalised), multiplied by an extremizing factor, beside the equal-weight aggregate; a
//! member's weight in a domain is their track record there (see [`track_weight`]).

use crate::validation::Invalid;

pub const CLIP: f64 = 1e-15;
/// Aggregates clip each member's probability to this distance from 0 and 1.
pub const AGGREGATE_CLIP: f64 = 0.001;
/// Options a multiple-choice question may have (and bins a numeric range).
pub const MAX_OPTIONS: usize = 12;

/// A probability as typed: a decimal in `[0, 1]` (`0.7`, `.25`, `1`) or a percentage (`70%`).
pub fn probability(field: &'static str, raw: &str) -> Result<f64, Invalid> {
    let s = raw.trim();
    let (number, scale) = match s.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (s, 1.0),
    };
    let ok = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.matches('.').count() <= 1
        && number != ".";
    let value = if ok { number.parse::<f64>().ok().map(|v| v / scale) } else { None };
    match value {
        Some(p) if (0.0..=1.0).contains(&p) => Ok(p),
        Some(_) => Err(Invalid::new(field, "a probability is between 0 and 1 (or 0% and 100%)")),
        None => Err(Invalid::new(field, format!("'{s}' is not a probability (write 0.7 or 70%)"))),
    }
}

/// Brier score of `probs` (one per option, summing to 1) when option `outcome` happened.
pub fn brier(probs: &[f64], outcome: usize) -> f64 {
    if probs.len() == 2 {
        let o = if outcome == 1 { 1.0 } else { 0.0 };
        return (probs[1] - o).powi(2);
    }
    probs.iter().enumerate().map(|(i, p)| (p - if i == outcome { 1.0 } else { 0.0 }).powi(2)).sum()
}

/// Log score: `ln p(outcome)`, clipped.
pub fn log_score(probs: &[f64], outcome: usize) -> f64 {
    probs.get(outcome).copied().unwrap_or(0.0).clamp(CLIP, 1.0 - CLIP).ln()
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bin {
    pub lower: f64,
    pub upper: f64,
    pub count: usize,
    /// The mean forecast probability in the bin (None when empty).
    pub mean_forecast: Option<f64>,
    /// How often the forecast option happened (None when empty).
    pub observed: Option<f64>,
}

/// Ten calibration bins over `(probability, happened)` pairs (the last bin includes 1).
pub fn calibration(pairs: &[(f64, bool)]) -> Vec<Bin> {
    let mut sums = [(0usize, 0.0f64, 0usize); 10];
    for &(p, happened) in pairs {
        let k = ((p * 10.0).floor() as usize).min(9);
        sums[k].0 += 1;
        sums[k].1 += p;
        sums[k].2 += usize::from(happened);
    }
    sums.iter()
        .enumerate()
        .map(|(k, &(n, total, hits))| Bin {
            lower: k as f64 / 10.0,
            upper: (k + 1) as f64 / 10.0,
            count: n,
            mean_forecast: (n > 0).then(|| total / n as f64),
            observed: (n > 0).then(|| hits as f64 / n as f64),
        })
        .collect()
}

/// The pairs a forecast adds to calibration: for a binary question the probability of yes;
/// otherwise every option's probability.
pub fn calibration_pairs(probs: &[f64], outcome: usize) -> Vec<(f64, bool)> {
    if probs.len() == 2 {
        vec![(probs[1], outcome == 1)]
    } else {
        probs.iter().enumerate().map(|(i, &p)| (p, i == outcome)).collect()
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Record {
    pub forecasts: usize,
    pub brier: f64,
    pub log_score: f64,
    /// The mean of (own Brier − the community's Brier) on the same questions: below 0 is better
    /// than the community.
    pub relative_brier: Option<f64>,
}

/// A resolved forecast: its probabilities, the outcome, and the community's probabilities.
pub type Scored = (Vec<f64>, usize, Option<Vec<f64>>);

/// A track record from resolved forecasts.
pub fn record(scored: &[Scored]) -> Option<Record> {
    if scored.is_empty() {
        return None;
    }
    let n = scored.len() as f64;
    let brier_mean = scored.iter().map(|(p, o, _)| brier(p, *o)).sum::<f64>() / n;
    let log_mean = scored.iter().map(|(p, o, _)| log_score(p, *o)).sum::<f64>() / n;
    let relative: Vec<f64> =
        scored.iter().filter_map(|(p, o, c)| c.as_ref().map(|c| brier(p, *o) - brier(c, *o))).collect();
    Some(Record {
        forecasts: scored.len(),
        brier: brier_mean,
        log_score: log_mean,
        relative_brier: (!relative.is_empty()).then(|| relative.iter().sum::<f64>() / relative.len() as f64),
    })
}

/// A member's aggregation weight from their track record in a domain: `max(0.05, 1 + s·n/(n+5))`
/// with skill `s = 1 − brier/0.25` (0.25 is the Brier score of always saying 50%). A newcomer
/// weighs 1; a sharp, long record nearly 2; a record worse than chance less than 1.
pub fn track_weight(record: Option<&Record>) -> f64 {
    match record {
        None => 1.0,
        Some(r) => {
            let n = r.forecasts as f64;
            (1.0 + (1.0 - r.brier / 0.25) * n / (n + 5.0)).max(0.05)
        }
    }
}

/// The track record as performance evidence for believability, in `[0, 1]`: `1 − brier` for
/// binary questions shrunk toward ½ for short records (`n/(n+5)`).
pub fn evidence(record: &Record) -> f64 {
    let n = record.forecasts as f64;
    let skill = (1.0 - record.brier.min(1.0)).clamp(0.0, 1.0);
    0.5 + (skill - 0.5) * n / (n + 5.0)
}

/// The weighted log-odds aggregate of `forecasts` (probability vectors with weights), raised to
/// `extremize` (1 = none; the policy's factor above 1 sharpens it). None without forecasts.
pub fn aggregate(forecasts: &[(&[f64], f64)], extremize: f64) -> Option<Vec<f64>> {
    let options = forecasts.first()?.0.len();
    let total: f64 = forecasts.iter().map(|f| f.1).sum();
    if options == 0 || total <= 0.0 {
        return None;
    }
    let logs: Vec<f64> = (0..options)
        .map(|i| {
            forecasts.iter().map(|(p, w)| w * p[i].clamp(AGGREGATE_CLIP, 1.0 - AGGREGATE_CLIP).ln()).sum::<f64>()
                / total
                * extremize
        })
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
    let sum: f64 = exps.iter().sum();
    Some(exps.iter().map(|e| e / sum).collect())
}

/// The options of a numeric range question: `bins` equal bins of `[low, high]` plus one below and
/// one above, as labels.
pub fn numeric_options(low: f64, high: f64, bins: usize) -> Result<Vec<String>, Invalid> {
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(Invalid::new("range", "a numeric range has a finite low below its high"));
    }
    if !(2..=MAX_OPTIONS - 2).contains(&bins) {
        return Err(Invalid::new("bins", format!("between 2 and {} bins", MAX_OPTIONS - 2)));
    }
    let step = (high - low) / bins as f64;
    let mut out = vec![format!("below {}", trim(low))];
    for k in 0..bins {
        out.push(format!("{} to {}", trim(low + step * k as f64), trim(low + step * (k + 1) as f64)));
    }
    out.push(format!("{} or more", trim(high)));
    Ok(out)
}

/// The option a numeric outcome falls in (the bins of [`numeric_options`]).
pub fn numeric_outcome(low: f64, high: f64, bins: usize, value: f64) -> usize {
    if value < low {
        0
    } else if value >= high {
        bins + 1
    } else {
        1 + (((value - low) / (high - low) * bins as f64).floor() as usize).min(bins - 1)
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A forecast as typed: one probability per option; they must sum to 1 (within 0.001) and each
/// lie in `[0, 1]`. A binary forecast may give only the probability of yes.
pub fn parse_forecast(options: usize, raw: &[String]) -> Result<Vec<f64>, Invalid> {
    if options == 2 && raw.len() == 1 {
        let yes = probability("p", &raw[0])?;
        return Ok(vec![1.0 - yes, yes]);
    }
    if raw.len() != options {
        return Err(Invalid::new("p", format!("one probability for each of the {options} options")));
    }
    let probs = raw.iter().map(|r| probability("p", r)).collect::<Result<Vec<_>, _>>()?;
    let sum: f64 = probs.iter().sum();
    if (sum - 1.0).abs() > 0.001 {
        return Err(Invalid::new("p", format!("the probabilities sum to {sum:.3}, not 1")));
    }
    Ok(probs.iter().map(|p| p / sum).collect())
}

#[cfg(test)]
mod tests;
