//! Vote weights and fractions in exact integers, so that a knife-edge vote never depends on the
//! order in which weights are added up.
//!
//! **The rounding rule, stated once.** A weight is a whole number of *micro-votes*: one member's
//! equal weight is exactly [`UNIT`] (10⁶). Merit weights are shares `w_i` of the vote (they sum
//! to 1); a proposal with `N` eligible members snapshots them as micro-votes by the largest
//! remainder method ([`apportion`]): each member gets `⌊w_i·N·10⁶⌋`, and the micro-votes still
//! missing to reach exactly `N·10⁶` go one each to the largest remainders (ties to the member
//! listed first, i.e. the smaller member id). So both modes of the dual tally share one total,
//! and every later sum, comparison and recount is integer arithmetic. Fractions typed by people
//! (quorum, thresholds, objection limits) become parts per million, `round(x·10⁶)` ([`ppm`]),
//! before any comparison.

/// Micro-votes in one member's equal weight.
pub const UNIT: u64 = 1_000_000;

/// Parts per million in a whole.
pub const PPM: u64 = 1_000_000;

/// The largest total weight a tally accepts (10¹⁵ micro-votes: a billion members), so that every
/// product below fits in `u128` with room to spare and every total converts to `f64` exactly.
pub const MAX_TOTAL: u64 = 1_000_000_000_000_000;

/// A fraction between 0 and 1 in parts per million: `round(x·10⁶)`, clamped to `0..=10⁶`.
pub fn ppm(fraction: f64) -> u64 {
    if fraction.is_nan() || fraction <= 0.0 {
        return 0;
    }
    ((fraction * PPM as f64).round() as u64).min(PPM)
}

/// `part / whole ≥ ppm/10⁶`, exactly (an empty whole reaches only a zero fraction).
pub fn reaches(part: u64, whole: u64, fraction_ppm: u64) -> bool {
    if whole == 0 {
        return fraction_ppm == 0;
    }
    u128::from(part) * u128::from(PPM) >= u128::from(fraction_ppm) * u128::from(whole)
}

/// `part / whole > ppm/10⁶`, exactly (an empty whole exceeds nothing).
pub fn exceeds(part: u64, whole: u64, fraction_ppm: u64) -> bool {
    whole > 0 && u128::from(part) * u128::from(PPM) > u128::from(fraction_ppm) * u128::from(whole)
}

/// Micro-votes as votes, for people and charts (exact below 2⁵³ micro-votes).
pub fn votes(units: u64) -> f64 {
    units as f64 / UNIT as f64
}

/// Parses a non-negative decimal count of votes (`4`, `2.5`, `0.000001`) into micro-votes,
/// exactly: at most six decimals, nothing but digits and one point.
pub fn parse_votes(raw: &str) -> Result<u64, &'static str> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || (raw.contains('.') && fraction.is_empty()) {
        return Err("write a count of at least 0, like 3 or 2.5");
    }
    if fraction.len() > 6 {
        return Err("a count has at most six decimals");
    }
    let too_big = "the count is too large";
    let whole: u64 = whole.parse().map_err(|_| too_big)?;
    let fraction: u64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<6}").parse().map_err(|_| too_big)? };
    let units = whole.checked_mul(UNIT).and_then(|w| w.checked_add(fraction)).ok_or(too_big)?;
    if units > MAX_TOTAL {
        return Err(too_big);
    }
    Ok(units)
}

/// Micro-votes as an exact decimal count of votes (`3`, `2.5`, `0.333334`): what
/// [`parse_votes`] reads back to the same number.
pub fn format_votes(units: u64) -> String {
    let (whole, fraction) = (units / UNIT, units % UNIT);
    if fraction == 0 {
        return whole.to_string();
    }
    format!("{whole}.{}", format!("{fraction:06}").trim_end_matches('0'))
}

/// Splits `total` micro-votes in proportion to `shares` by the largest remainder method; the
/// parts always sum to `total` exactly. Shares that are negative, NaN or infinite count as 0;
/// when no share is positive the split is equal. Ties among remainders go to the smaller index.
pub fn apportion(shares: &[f64], total: u64) -> Vec<u64> {
    if shares.is_empty() {
        return Vec::new();
    }
    let clean: Vec<f64> = shares.iter().map(|&s| if s.is_finite() && s > 0.0 { s } else { 0.0 }).collect();
    let sum: f64 = clean.iter().sum();
    let clean = if sum > 0.0 { clean } else { vec![1.0; shares.len()] };
    let sum: f64 = clean.iter().sum();
    let quotas: Vec<f64> = clean.iter().map(|s| s / sum * total as f64).collect();
    let mut parts: Vec<u64> = quotas.iter().map(|q| (q.floor() as u64).min(total)).collect();
    let mut given: u64 = parts.iter().sum();
    // Floating-point quotas can overshoot by a unit or two at the edges; take back from the
    // smallest remainders first (the mirror of the rule below).
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (quotas[a] - quotas[a].floor(), quotas[b] - quotas[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    while given > total {
        let Some(&i) = order.iter().rev().find(|&&i| parts[i] > 0) else { break };
        parts[i] -= 1;
        given -= 1;
    }
    let mut k = 0;
    while given < total {
        parts[order[k % order.len()]] += 1;
        given += 1;
        k += 1;
    }
    assert_eq!(parts.iter().sum::<u64>(), total, "apportioned parts sum to the total");
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fractions_compare_exactly() {
        assert_eq!(ppm(0.5), 500_000);
        assert_eq!(ppm(1.0 / 3.0), 333_333);
        assert_eq!(ppm(-1.0), 0);
        assert_eq!(ppm(7.0), PPM);
        // 1 of 2 is exactly half: it reaches one half and does not exceed it.
        assert!(reaches(1, 2, 500_000) && !exceeds(1, 2, 500_000));
        assert!(exceeds(500_001, 1_000_000, 500_000));
        assert!(reaches(0, 0, 0) && !reaches(0, 0, 1) && !exceeds(0, 0, 0));
    }

    #[test]
    fn counts_parse_exactly() {
        assert_eq!(parse_votes("4"), Ok(4 * UNIT));
        assert_eq!(parse_votes(" 2.5 "), Ok(2_500_000));
        assert_eq!(parse_votes("0.000001"), Ok(1));
        for bad in ["", "-1", "1.", ".5", "1.0000001", "1e3", "abc", "99999999999999999999"] {
            assert!(parse_votes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn votes_format_exactly() {
        for units in [0, 1, 999_999, UNIT, 2_500_000, 333_334, MAX_TOTAL] {
            assert_eq!(parse_votes(&format_votes(units)), Ok(units), "{units}");
        }
        assert_eq!(format_votes(2_500_000), "2.5");
    }

    #[test]
    fn apportion_by_example() {
        assert_eq!(apportion(&[1.0, 1.0, 1.0], 10), [4, 3, 3], "the remainder goes to the first listed");
        assert_eq!(apportion(&[0.5, 0.25, 0.25], 3 * UNIT), [1_500_000, 750_000, 750_000]);
        assert_eq!(apportion(&[0.0, 0.0], 4), [2, 2], "no positive share: an equal split");
        assert_eq!(apportion(&[f64::NAN, 1.0], 5), [0, 5]);
        assert!(apportion(&[], 5).is_empty());
    }

    proptest! {
        #[test]
        fn apportioned_parts_sum_to_the_total_and_stay_within_one_of_their_quota(
            shares in proptest::collection::vec(0.0f64..1.0, 1..60), n in 1u64..5_000,
        ) {
            let total = n * UNIT;
            let parts = apportion(&shares, total);
            prop_assert_eq!(parts.iter().sum::<u64>(), total);
            let sum: f64 = shares.iter().sum();
            if sum > 0.0 {
                for (p, s) in parts.iter().zip(&shares) {
                    let quota = s / sum * total as f64;
                    prop_assert!((*p as f64 - quota).abs() <= 2.0, "{p} vs quota {quota}");
                }
            }
        }
    }
}
