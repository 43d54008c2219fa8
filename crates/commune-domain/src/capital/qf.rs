//! Quadratic funding: members contribute to projects from their wallets and a matching pot adds
//! to each project by how broad its support is.
//!
//! Three matching rules give each project an *ideal* match (a real number of minor units):
//! - **plain QF**: `(Σ_i √c_i)² − Σ_i c_i`, i.e. `Σ_{i≠j} √(c_i·c_j)`;
//! - **pairwise**, Buterin's pairwise coordination subsidies: each pair's term `√(c_ip·c_jp)` is
//!   multiplied by `M / (M + Σ_q √(c_iq·c_jq))`, damping pairs who co-fund a lot everywhere;
//! - **COCM**, connection-oriented cluster matching as Gitcoin's `qf-calculator` defines it
//!   (`markov` similarity, `harsh` scaling), with clusters from our own data (organisations and
//!   chapters; a member in none is a cluster of their own).
//!
//! The ideal matches then become whole minor units ([`allocate`]): scaled pro rata when the pot
//! is short, each capped, the excess over a cap redistributed to the others by their ideal
//! shares, and the integer parts split by the largest remainder so the amounts add up exactly.

/// One contribution: (contributor, project, minor units). Several to one project add up.
pub type Contribution = (usize, usize, u64);

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum Matching {
    Plain,
    /// With the damping constant `m` (minor units; larger damps less).
    Pairwise {
        m: f64,
    },
    Cocm,
}

/// Each contributor's total per project: `amounts[contributor][project]`.
fn table(contributions: &[Contribution], contributors: usize, projects: usize) -> Vec<Vec<f64>> {
    let mut amounts = vec![vec![0.0; projects]; contributors];
    for &(i, p, c) in contributions {
        amounts[i][p] += c as f64;
    }
    amounts
}

/// Plain QF's ideal match per project.
pub fn plain(contributions: &[Contribution], contributors: usize, projects: usize) -> Vec<f64> {
    let amounts = table(contributions, contributors, projects);
    (0..projects)
        .map(|p| {
            let roots: f64 = amounts.iter().map(|a| a[p].sqrt()).sum();
            let total: f64 = amounts.iter().map(|a| a[p]).sum();
            (roots * roots - total).max(0.0)
        })
        .collect()
}

/// Pairwise-damped ideal match per project (`m > 0`).
pub fn pairwise(contributions: &[Contribution], contributors: usize, projects: usize, m: f64) -> Vec<f64> {
    let amounts = table(contributions, contributors, projects);
    let funders: Vec<usize> = (0..contributors).filter(|&i| amounts[i].iter().any(|&c| c > 0.0)).collect();
    let mut matches = vec![0.0; projects];
    for (a, &i) in funders.iter().enumerate() {
        for &j in &funders[a + 1..] {
            let overlap: f64 = (0..projects).map(|q| (amounts[i][q] * amounts[j][q]).sqrt()).sum();
            if overlap == 0.0 {
                continue;
            }
            let damping = m / (m + overlap);
            for (p, matched) in matches.iter_mut().enumerate() {
                // Both orders of the pair: Σ_{i≠j} in the plain formula.
                *matched += 2.0 * (amounts[i][p] * amounts[j][p]).sqrt() * damping;
            }
        }
    }
    matches
}

/// COCM's ideal match per project; `clusters[i]` lists contributor `i`'s clusters (indices below
/// `cluster_count`), an empty list standing for a cluster of their own.
pub fn cocm(
    contributions: &[Contribution],
    contributors: usize,
    projects: usize,
    clusters: &[Vec<usize>],
    cluster_count: usize,
) -> Vec<f64> {
    let amounts = table(contributions, contributors, projects);
    // Members in no cluster get one of their own.
    let mut membership: Vec<Vec<usize>> = clusters.to_vec();
    membership.resize(contributors, Vec::new());
    let mut groups = cluster_count;
    for list in membership.iter_mut() {
        list.sort_unstable();
        list.dedup();
        if list.is_empty() {
            list.push(groups);
            groups += 1;
        }
    }
    // N: each member's clusters, normalised to sum 1; NU: each cluster's members, normalised.
    let n = |i: usize, g: usize| if membership[i].contains(&g) { 1.0 / membership[i].len() as f64 } else { 0.0 };
    let mut size = vec![0.0f64; groups];
    for list in &membership {
        for &g in list {
            size[g] += 1.0;
        }
    }
    // PJP[g][h] = Σ_i NU[g][i]·N[i][h]; k[i][h] = max(Σ_g N[i][g]·PJP[g][h], member of h).
    let mut pjp = vec![vec![0.0f64; groups]; groups];
    for list in &membership {
        for &g in list {
            for &h in list {
                pjp[g][h] += (1.0 / size[g]) * (1.0 / list.len() as f64);
            }
        }
    }
    let k: Vec<Vec<f64>> = membership
        .iter()
        .map(|list| {
            (0..groups)
                .map(|h| {
                    let friendly: f64 = list.iter().map(|&g| pjp[g][h] / list.len() as f64).sum();
                    if list.contains(&h) { 1.0 } else { friendly }
                })
                .collect()
        })
        .collect();
    (0..projects)
        .map(|p| {
            // P'[g][h] = Σ_i K[i][g]·N[i][h], with harsh K[i][g] = (1 − k[i][g])·c_ip.
            let mut prime = vec![vec![0.0f64; groups]; groups];
            for (i, list) in membership.iter().enumerate() {
                let c = amounts[i][p];
                if c == 0.0 {
                    continue;
                }
                for (g, row) in prime.iter_mut().enumerate() {
                    let kig = (1.0 - k[i][g]) * c;
                    if kig == 0.0 {
                        continue;
                    }
                    for &h in list {
                        row[h] += kig * n(i, h);
                    }
                }
            }
            let mut total = 0.0;
            for (g, row) in prime.iter().enumerate() {
                for (h, &forward) in row.iter().enumerate() {
                    if g != h {
                        total += (forward * prime[h][g]).max(0.0).sqrt();
                    }
                }
            }
            total
        })
        .collect()
}

/// Whole minor units per project from ideal matches: at most `pot` in total, at most `cap` each
/// (when given), the excess over a cap shared by the others in proportion to their ideal
/// matches, integer parts by the largest remainder (ties to the lower project index). The result
/// sums exactly to `min(pot, ⌊Σ ideal⌋, Σ caps)` (as far as the capped projects allow).
pub fn allocate(ideal: &[f64], pot: u64, cap: Option<u64>) -> Vec<u64> {
    let ideal: Vec<f64> = ideal.iter().map(|&x| if x.is_finite() && x > 0.0 { x } else { 0.0 }).collect();
    let wanted: f64 = ideal.iter().sum();
    let limit = cap.map_or(f64::INFINITY, |c| c as f64);
    let ceiling = cap.map_or(u128::MAX, |c| u128::from(c) * ideal.iter().filter(|&&x| x > 0.0).count() as u128);
    let target = u64::try_from((u128::from(pot)).min(wanted.floor() as u128).min(ceiling)).unwrap_or(pot);
    // Shares in real numbers: pro rata to the ideal, capped, excess redistributed.
    let mut share = vec![0.0f64; ideal.len()];
    let mut open: Vec<usize> = (0..ideal.len()).filter(|&p| ideal[p] > 0.0).collect();
    let mut left = target as f64;
    for _ in 0..=ideal.len() {
        let weight: f64 = open.iter().map(|&p| ideal[p]).sum();
        if open.is_empty() || left <= 0.0 || weight <= 0.0 {
            break;
        }
        let mut capped = Vec::new();
        for &p in &open {
            let offered = left * ideal[p] / weight;
            if share[p] + offered >= limit {
                capped.push(p);
            }
        }
        if capped.is_empty() {
            for &p in &open {
                share[p] += left * ideal[p] / weight;
            }
            break;
        }
        for &p in &capped {
            left -= limit - share[p];
            share[p] = limit;
        }
        open.retain(|p| !capped.contains(p));
    }
    // Integer parts, then the remainders one unit each, largest first, never past a cap.
    let mut out: Vec<u64> = share.iter().map(|&s| (s.floor() as u64).min(cap.unwrap_or(u64::MAX))).collect();
    let mut short = target.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..share.len()).filter(|&p| ideal[p] > 0.0).collect();
    order.sort_by(|&a, &b| (share[b] - share[b].floor()).total_cmp(&(share[a] - share[a].floor())).then(a.cmp(&b)));
    while short > 0 {
        let before = short;
        for &p in &order {
            if short == 0 {
                break;
            }
            if cap.is_none_or(|c| out[p] < c) {
                out[p] += 1;
                short -= 1;
            }
        }
        if short == before {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_answers() {
        // Two people giving 4 and 9 to one project: (2 + 3)² − 13 = 12.
        assert_eq!(plain(&[(0, 0, 4), (1, 0, 9)], 2, 1), vec![12.0]);
        // One whale gets no match; many small givers get a lot.
        assert_eq!(plain(&[(0, 0, 10_000)], 1, 1), vec![0.0]);
        let crowd: Vec<Contribution> = (0..100).map(|i| (i, 0, 100)).collect();
        assert_eq!(plain(&crowd, 100, 1), vec![(100.0f64 * 10.0).powi(2) - 10_000.0]);
        // A pair that co-funds with overlap 6 (√(4·9)) at M = 6: the pair's term halves.
        let damped = pairwise(&[(0, 0, 4), (1, 0, 9)], 2, 1, 6.0);
        assert!((damped[0] - 6.0).abs() < 1e-9, "{damped:?}");
        // Pot short: pro rata; caps: the excess moves to the others; sums exact.
        assert_eq!(allocate(&[300.0, 100.0], 200, None), vec![150, 50]);
        assert_eq!(allocate(&[300.0, 100.0, 100.0], 300, Some(120)), vec![120, 90, 90]);
        assert_eq!(allocate(&[1.0, 1.0, 1.0], 2, None), vec![1, 1, 0]);
    }

    #[test]
    fn cocm_pays_less_for_a_single_cluster_than_for_a_bridge() {
        // Project 0: four members of one organisation. Project 1: two from each of two.
        let contributions: Vec<Contribution> = vec![
            (0, 0, 100),
            (1, 0, 100),
            (2, 0, 100),
            (3, 0, 100),
            (4, 1, 100),
            (5, 1, 100),
            (6, 1, 100),
            (7, 1, 100),
        ];
        let clusters = vec![vec![0], vec![0], vec![0], vec![0], vec![1], vec![1], vec![2], vec![2]];
        let matched = cocm(&contributions, 8, 2, &clusters, 3);
        assert!(matched[0] < matched[1], "{matched:?}");
        let qf = plain(&contributions, 8, 2);
        assert!(matched.iter().zip(&qf).all(|(c, q)| c <= &(q + 1e-6)), "{matched:?} vs {qf:?}");
    }

    fn contributions() -> impl Strategy<Value = (Vec<Contribution>, usize, usize)> {
        (1usize..8, 1usize..5).prop_flat_map(|(people, projects)| {
            let one = (0..people, 0..projects, 1u64..5_000);
            (proptest::collection::vec(one, 0..30), Just(people), Just(projects))
        })
    }

    proptest! {
        #[test]
        fn damping_never_raises_a_match_and_vanishes_for_large_m((c, people, projects) in contributions(), m in 1.0f64..1e6) {
            let plain = plain(&c, people, projects);
            let damped = pairwise(&c, people, projects, m);
            let undamped = pairwise(&c, people, projects, 1e15);
            for p in 0..projects {
                prop_assert!(damped[p] <= plain[p] * (1.0 + 1e-9) + 1e-6);
                prop_assert!((undamped[p] - plain[p]).abs() <= plain[p] * 1e-6 + 1e-6);
            }
        }

        #[test]
        fn allocations_stay_in_the_pot_respect_caps_and_sum_exactly(
            ideal in proptest::collection::vec(0.0f64..1e7, 0..8),
            pot in 0u64..5_000_000,
            cap in proptest::option::of(1u64..3_000_000),
        ) {
            let out = allocate(&ideal, pot, cap);
            let total: u64 = out.iter().sum();
            prop_assert!(total <= pot);
            if let Some(cap) = cap {
                prop_assert!(out.iter().all(|&x| x <= cap));
            }
            let positive = ideal.iter().filter(|&&x| x > 0.0).count() as u128;
            let wanted = ideal.iter().sum::<f64>().floor() as u128;
            let expected = u128::from(pot).min(wanted).min(cap.map_or(u128::MAX, |c| u128::from(c) * positive));
            prop_assert_eq!(u128::from(total), expected);
            for (p, &x) in ideal.iter().enumerate() {
                if x == 0.0 { prop_assert_eq!(out[p], 0); }
            }
        }

        #[test]
        fn cocm_is_finite_non_negative_and_zero_for_a_lone_funder((c, people, projects) in contributions(), seed in 0u64..1000) {
            let mut rng = crate::seeded::SplitMix64(seed);
            let clusters: Vec<Vec<usize>> = (0..people)
                .map(|_| (0..3).filter(|_| rng.chance(40)).collect())
                .collect();
            let matched = cocm(&c, people, projects, &clusters, 3);
            prop_assert!(matched.iter().all(|m| m.is_finite() && *m >= 0.0));
            let lone: Vec<Contribution> = c.iter().filter(|x| x.0 == 0).copied().collect();
            prop_assert!(cocm(&lone, people, projects, &clusters, 3).iter().all(|m| *m == 0.0));
        }
    }
}
