//! Vote weights in merit mode: `w_i = λ·m_i/Σm + (1−λ)/N`, then capped at `c/N` with the excess
//! redistributed over the uncapped in proportion to their weights (water-filling), so everyone
//! keeps at least `(1−λ)/N` and nobody exceeds `c/N`. With no merit at all, weights are equal.

/// λ and c, the constitutional parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightRule {
    pub lambda: f64,
    pub cap: f64,
}

/// The commune's defaults, from the one policy table.
impl Default for WeightRule {
    fn default() -> WeightRule {
        use crate::governance::proposal::policy_default;
        WeightRule { lambda: policy_default("merit_lambda"), cap: policy_default("merit_cap") }
    }
}

/// One weight per merit score (negative merit counts as 0). Sums to 1.
pub fn weights(merit: &[f64], rule: WeightRule) -> Vec<f64> {
    let n = merit.len();
    if n == 0 {
        return Vec::new();
    }
    let nf = n as f64;
    let lambda = rule.lambda.clamp(0.0, 1.0);
    let cap = rule.cap.max(1.0) / nf;
    let m: Vec<f64> = merit.iter().map(|x| if x.is_finite() { x.max(0.0) } else { 0.0 }).collect();
    let total: f64 = m.iter().sum();
    let mut w: Vec<f64> = if total > 0.0 {
        m.iter().map(|x| lambda * x / total + (1.0 - lambda) / nf).collect()
    } else {
        vec![1.0 / nf; n]
    };
    // Water-filling: cap, then scale the uncapped up to fill the excess; at most n rounds.
    let mut capped = vec![false; n];
    for _ in 0..n {
        let over: Vec<usize> = (0..n).filter(|&i| !capped[i] && w[i] > cap).collect();
        if over.is_empty() {
            break;
        }
        for &i in &over {
            capped[i] = true;
            w[i] = cap;
        }
        let fixed: f64 = (0..n).filter(|&i| capped[i]).map(|i| w[i]).sum();
        let free: f64 = (0..n).filter(|&i| !capped[i]).map(|i| w[i]).sum();
        if free <= 0.0 {
            break;
        }
        let scale = (1.0 - fixed) / free;
        for i in (0..n).filter(|&i| !capped[i]) {
            w[i] *= scale;
        }
    }
    w
}

/// The Gini coefficient of a distribution (0 = equal; towards 1 = concentrated).
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n < 2 || total <= 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let weighted: f64 = sorted.iter().enumerate().map(|(i, v)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * v).sum();
    weighted / (n as f64 * total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_floor_and_the_cap_hold_in_a_simple_case() {
        // One of eight has all the merit: uncapped 0.5 + 0.5/8 = 0.5625, capped at c/N = 3/8; the
        // other seven share the rest equally.
        let mut merit = vec![0.0; 8];
        merit[0] = 10.0;
        let w = weights(&merit, WeightRule::default());
        assert!((w[0] - 0.375).abs() < 1e-12, "{w:?}");
        assert!(w[1..].iter().all(|x| (x - 0.625 / 7.0).abs() < 1e-12), "{w:?}");
        // Without a cap binding, the formula holds as written.
        let w = weights(&[10.0, 0.0, 0.0, 0.0], WeightRule::default());
        assert!((w[0] - 0.625).abs() < 1e-12 && (w[1] - 0.125).abs() < 1e-12, "{w:?}");
        assert_eq!(weights(&[0.0, 0.0], WeightRule::default()), [0.5, 0.5]);
        assert!((gini(&[1.0, 1.0, 1.0]) - 0.0).abs() < 1e-12);
        assert!(gini(&[0.0, 0.0, 3.0]) > 0.6);
    }

    proptest! {
        #[test]
        fn weights_sum_to_one_within_the_floor_and_the_cap(
            merit in proptest::collection::vec(0.0f64..100.0, 1..60),
            lambda in 0.0f64..=1.0,
            cap in 1.0f64..10.0,
        ) {
            let w = weights(&merit, WeightRule { lambda, cap });
            let n = merit.len() as f64;
            let sum: f64 = w.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-9, "sum {sum}");
            for x in &w {
                prop_assert!(*x >= (1.0 - lambda) / n - 1e-12, "{x} below the floor");
                prop_assert!(*x <= cap / n + 1e-12, "{x} above the cap");
            }
        }
    }
}
