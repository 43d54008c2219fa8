//! The opinion map, Pol.is style.
//!
//! Participants vote agree (1), disagree (−1) or pass (0) on short statements. The pipeline
//! is Polis's, as the reference implementation `red-dwarf` states it:
//!
//! 1. **Projection.** The participants × statements matrix has gaps where someone did not
//!    vote; a gap is filled with the statement's mean vote, the columns are centred and the two
//!    principal components taken (eigenvectors of the covariance, each signed so its largest
//!    entry is positive, as scikit-learn does). A participant's point is scaled by
//!    `√(statements / their votes)` so those who voted on little are not bunched in the centre.
//! 2. **Groups.** Only participants with at least [`MIN_VOTES`] votes are clustered. k-means
//!    (Lloyd's algorithm, Polis's deterministic start: the first k distinct points in sorted
//!    order) runs for k = 2..=5 and the k with the best silhouette wins (ties: the smaller k).
//! 3. **Representative statements** per group: Laplace-smoothed agree/disagree probabilities,
//!    their one-proportion z-tests and the two-proportion tests against everyone outside the
//!    group, at 90 % one-sided confidence; the group's best agreed statement first, then the
//!    significant ones by `repness × repness-test × p × p-test`, at most five.
//! 4. **Consensus** over everyone who voted: statements most agree (or most disagree) with,
//!    `p > 0.5` and significant, by `p × p-test`, five per direction; and the
//!    **group-informed consensus** of each statement, the product over groups of each group's
//!    agree probability — high only when every group agrees.
//!
//! Everything is deterministic: no random start anywhere.

use nalgebra::{DMatrix, SymmetricEigen};

pub const MIN_VOTES: usize = 7;
pub const MAX_GROUPS: usize = 5;
pub const PICK_MAX: usize = 5;
/// `Φ⁻¹(0.90)`: the one-sided 90 % critical value Polis uses.
pub const Z_90: f64 = 1.281_551_565_544_600_4;

/// One vote: participant index, statement index, and 1 / −1 / 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    pub participant: usize,
    pub statement: usize,
    pub value: i8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Agree,
    Disagree,
}

/// A statement chosen as representative of a group or as consensus, with its numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Pick {
    pub statement: usize,
    pub direction: Direction,
    /// Votes in that direction and votes cast (in the group, or overall for consensus).
    pub successes: usize,
    pub trials: usize,
    pub probability: f64,
    pub test: f64,
    /// For representative statements: the ratio to the rest and its test.
    pub repness: Option<f64>,
    pub repness_test: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OpinionMap {
    /// A point per participant (in index order).
    pub points: Vec<[f64; 2]>,
    /// A group per participant, None for those with fewer than [`MIN_VOTES`] votes.
    pub groups: Vec<Option<usize>>,
    pub group_count: usize,
    pub silhouette: Option<f64>,
    pub repness: Vec<Vec<Pick>>,
    pub consensus: Vec<Pick>,
    /// Per statement: the group-informed consensus for agreeing and for disagreeing.
    pub group_consensus: Vec<[f64; 2]>,
    /// Per group and statement: the agree probability (smoothed) — the map's bar charts.
    pub group_agree: Vec<Vec<f64>>,
}

/// A vote matrix: `None` where a participant did not vote.
fn matrix(participants: usize, statements: usize, votes: &[Vote]) -> Vec<Vec<Option<f64>>> {
    let mut m = vec![vec![None; statements]; participants];
    for v in votes {
        m[v.participant][v.statement] = Some(f64::from(v.value));
    }
    m
}

/// Projects participants and statements onto the two principal components (step 1).
/// None when there are fewer than two participants or two statements.
fn project(m: &[Vec<Option<f64>>], statements: usize) -> Option<Vec<[f64; 2]>> {
    let p = m.len();
    if p < 2 || statements < 2 {
        return None;
    }
    let means: Vec<f64> = (0..statements)
        .map(|s| {
            let (sum, n) = m.iter().filter_map(|row| row[s]).fold((0.0, 0usize), |(a, n), v| (a + v, n + 1));
            if n == 0 { 0.0 } else { sum / n as f64 }
        })
        .collect();
    let centred = DMatrix::from_fn(p, statements, |i, s| m[i][s].unwrap_or(means[s]) - means[s]);
    let cov = centred.transpose() * &centred / (p as f64 - 1.0);
    let eigen = SymmetricEigen::new(cov);
    let mut order: Vec<usize> = (0..statements).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]).then(a.cmp(&b)));
    let components: Vec<Vec<f64>> = order[..2]
        .iter()
        .map(|&c| {
            let v: Vec<f64> = eigen.eigenvectors.column(c).iter().copied().collect();
            let biggest = v.iter().enumerate().fold(0, |best, (i, x)| if x.abs() > v[best].abs() { i } else { best });
            if v[biggest] < 0.0 { v.iter().map(|x| -x).collect() } else { v }
        })
        .collect();
    let scale = |voted: usize| (statements as f64 / voted.max(1) as f64).sqrt();
    let points = (0..p)
        .map(|i| {
            let voted = m[i].iter().filter(|v| v.is_some()).count();
            let row = centred.row(i);
            let at = |c: &Vec<f64>| row.iter().zip(c).map(|(x, y)| x * y).sum::<f64>() * scale(voted);
            [at(&components[0]), at(&components[1])]
        })
        .collect();
    Some(points)
}

fn dist2(a: &[f64; 2], b: &[f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

fn nearest(x: &[f64; 2], centres: &[[f64; 2]]) -> usize {
    let mut best = 0;
    for (c, centre) in centres.iter().enumerate().skip(1) {
        if dist2(x, centre) < dist2(x, &centres[best]) {
            best = c;
        }
    }
    best
}

/// Lloyd's k-means from Polis's start (the first `k` distinct points in sorted order), with
/// scikit-learn's stopping rule (labels unchanged, or a total squared centre shift within
/// `1e-4 ×` the mean variance) and its relocation of empty clusters to the farthest points.
/// None when there are fewer than `k` distinct points.
pub fn kmeans(points: &[[f64; 2]], k: usize) -> Option<Vec<usize>> {
    let mut distinct: Vec<[f64; 2]> = points.to_vec();
    distinct.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    distinct.dedup();
    if k == 0 || distinct.len() < k {
        return None;
    }
    let n = points.len() as f64;
    let variance: f64 = (0..2)
        .map(|d| {
            let mean = points.iter().map(|p| p[d]).sum::<f64>() / n;
            points.iter().map(|p| (p[d] - mean).powi(2)).sum::<f64>() / n
        })
        .sum::<f64>()
        / 2.0;
    let tol = variance * 1e-4;
    let mut centres: Vec<[f64; 2]> = distinct[..k].to_vec();
    let mut labels: Option<Vec<usize>> = None;
    for _ in 0..300 {
        let current: Vec<usize> = points.iter().map(|x| nearest(x, &centres)).collect();
        let mut sums = vec![[0.0f64; 2]; k];
        let mut counts = vec![0.0f64; k];
        for (x, &c) in points.iter().zip(&current) {
            sums[c][0] += x[0];
            sums[c][1] += x[1];
            counts[c] += 1.0;
        }
        let empty: Vec<usize> = (0..k).filter(|&c| counts[c] == 0.0).collect();
        if !empty.is_empty() {
            let mut far: Vec<usize> = (0..points.len()).collect();
            far.sort_by(|&a, &b| {
                dist2(&points[b], &centres[current[b]]).total_cmp(&dist2(&points[a], &centres[current[a]]))
            });
            for (&to, &i) in empty.iter().zip(&far) {
                let from = current[i];
                sums[from][0] -= points[i][0];
                sums[from][1] -= points[i][1];
                counts[from] -= 1.0;
                sums[to] = points[i];
                counts[to] = 1.0;
            }
        }
        let next: Vec<[f64; 2]> = (0..k)
            .map(|c| if counts[c] > 0.0 { [sums[c][0] / counts[c], sums[c][1] / counts[c]] } else { centres[c] })
            .collect();
        let shift: f64 = centres.iter().zip(&next).map(|(a, b)| dist2(a, b)).sum();
        centres = next;
        if labels.as_ref() == Some(&current) {
            return labels;
        }
        labels = Some(current);
        if shift <= tol {
            break;
        }
    }
    Some(points.iter().map(|x| nearest(x, &centres)).collect())
}

/// The mean silhouette (Euclidean); None unless there are 2..n−1 distinct labels.
pub fn silhouette(points: &[[f64; 2]], labels: &[usize]) -> Option<f64> {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let sizes: Vec<usize> = (0..k).map(|c| labels.iter().filter(|&&l| l == c).count()).collect();
    let used = sizes.iter().filter(|&&s| s > 0).count();
    if used < 2 || used > points.len().saturating_sub(1) {
        return None;
    }
    let mut total = 0.0;
    for (i, x) in points.iter().enumerate() {
        let mut sums = vec![0.0; k];
        for (j, y) in points.iter().enumerate() {
            if i != j {
                sums[labels[j]] += dist2(x, y).sqrt();
            }
        }
        let own = labels[i];
        if sizes[own] <= 1 {
            continue;
        }
        let a = sums[own] / (sizes[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && sizes[c] > 0)
            .map(|c| sums[c] / sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        total += if m > 0.0 { (b - a) / m } else { 0.0 };
    }
    Some(total / points.len() as f64)
}

/// Laplace-smoothed probability.
fn prob(successes: f64, trials: f64) -> f64 {
    (1.0 + successes) / (2.0 + trials)
}

fn one_prop_test(successes: f64, trials: f64) -> f64 {
    let (s, n) = (successes + 1.0, trials + 1.0);
    2.0 * n.sqrt() * (s / n - 0.5)
}

fn two_prop_test(succ_in: f64, succ_out: f64, n_in: f64, n_out: f64) -> f64 {
    let (s1, s2, n1, n2) = (succ_in + 1.0, succ_out + 1.0, n_in + 1.0, n_out + 1.0);
    let pi_hat = (s1 + s2) / (n1 + n2);
    if pi_hat == 1.0 {
        return 0.0;
    }
    let denominator = (pi_hat * (1.0 - pi_hat) * (1.0 / n1 + 1.0 / n2)).sqrt();
    (s1 / n1 - s2 / n2) / denominator
}

/// Per group and statement, the counts and tests Polis calls na, nd, ns, pa, pd, pat, pdt, ra,
/// rd, rat, rdt.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    na: f64,
    nd: f64,
    ns: f64,
    pa: f64,
    pd: f64,
    pat: f64,
    pdt: f64,
    ra: f64,
    rd: f64,
    rat: f64,
    rdt: f64,
}

impl Stats {
    fn pick(&self, statement: usize, with_repness: bool) -> Pick {
        let agree = if with_repness { self.rat > self.rdt } else { self.pat > self.pdt };
        let (n, p, t, r, rt) = if agree {
            (self.na, self.pa, self.pat, self.ra, self.rat)
        } else {
            (self.nd, self.pd, self.pdt, self.rd, self.rdt)
        };
        Pick {
            statement,
            direction: if agree { Direction::Agree } else { Direction::Disagree },
            successes: n as usize,
            trials: self.ns as usize,
            probability: p,
            test: t,
            repness: with_repness.then_some(r),
            repness_test: with_repness.then_some(rt),
        }
    }
}

fn count(rows: &[&Vec<Option<f64>>], s: usize) -> (f64, f64, f64) {
    rows.iter()
        .filter_map(|r| r[s])
        .fold((0.0, 0.0, 0.0), |(a, d, n), v| (a + f64::from(v == 1.0), d + f64::from(v == -1.0), n + 1.0))
}

fn group_stats(
    m: &[Vec<Option<f64>>],
    members: &[usize],
    labels: &[usize],
    k: usize,
    statements: usize,
) -> Vec<Vec<Stats>> {
    (0..k)
        .map(|g| {
            let inside: Vec<&Vec<Option<f64>>> =
                members.iter().zip(labels).filter(|&(_, &l)| l == g).map(|(&i, _)| &m[i]).collect();
            let outside: Vec<&Vec<Option<f64>>> =
                members.iter().zip(labels).filter(|&(_, &l)| l != g).map(|(&i, _)| &m[i]).collect();
            (0..statements)
                .map(|s| {
                    let (na, nd, ns) = count(&inside, s);
                    let (oa, od, on) = count(&outside, s);
                    let (pa, pd) = (prob(na, ns), prob(nd, ns));
                    Stats {
                        na,
                        nd,
                        ns,
                        pa,
                        pd,
                        pat: one_prop_test(na, ns),
                        pdt: one_prop_test(nd, ns),
                        ra: pa / prob(oa, on),
                        rd: pd / prob(od, on),
                        rat: two_prop_test(na, oa, ns, on),
                        rdt: two_prop_test(nd, od, ns, on),
                    }
                })
                .collect()
        })
        .collect()
}

/// Representative statements of one group (step 3).
fn representative(stats: &[Stats]) -> Vec<Pick> {
    let significant = |z: f64| z > Z_90;
    let mut best_agree: Option<usize> = None;
    for (s, st) in stats.iter().enumerate() {
        let beats = if st.na == 0.0 && st.nd == 0.0 {
            false
        } else if let Some(b) = best_agree {
            let b = &stats[b];
            if b.ra > 1.0 {
                st.ra * st.rat * st.pa * st.pat > b.ra * b.rat * b.pa * b.pat
            } else {
                st.pa * st.pat > b.pa * b.pat
            }
        } else {
            significant(st.pat) || (st.ra > 1.0 && st.pa > 0.5)
        };
        if beats {
            best_agree = Some(s);
        }
    }
    let sufficient: Vec<usize> = (0..stats.len())
        .filter(|&s| {
            let st = &stats[s];
            (significant(st.pat) && significant(st.rat)) || (significant(st.pdt) && significant(st.rdt))
        })
        .collect();
    let mut best_overall: Option<usize> = None;
    if sufficient.is_empty() {
        for (s, st) in stats.iter().enumerate() {
            let beats = match best_overall {
                Some(b) => st.rat.max(st.rdt) > stats[b].rat.max(stats[b].rdt),
                None => true,
            };
            if beats {
                best_overall = Some(s);
            }
        }
    }
    let mut ranked: Vec<Pick> = sufficient.iter().map(|&s| stats[s].pick(s, true)).collect();
    let metric = |p: &Pick| p.repness.unwrap_or(0.0) * p.repness_test.unwrap_or(0.0) * p.probability * p.test;
    ranked.sort_by(|a, b| metric(b).total_cmp(&metric(a)));
    let Some(head) = best_agree.or(best_overall).map(|s| stats[s].pick(s, true)) else {
        return Vec::new();
    };
    let mut selected = vec![head.clone()];
    selected.extend(ranked.into_iter().filter(|p| p.statement != head.statement));
    selected.truncate(PICK_MAX);
    selected.sort_by_key(|p| p.direction == Direction::Disagree);
    selected
}

/// Consensus over every voter (step 4): agreed statements first, then disagreed ones.
fn consensus(m: &[Vec<Option<f64>>], statements: usize) -> Vec<Pick> {
    let everyone: Vec<&Vec<Option<f64>>> = m.iter().collect();
    let stats: Vec<Stats> = (0..statements)
        .map(|s| {
            let (na, nd, ns) = count(&everyone, s);
            Stats {
                na,
                nd,
                ns,
                pa: prob(na, ns),
                pd: prob(nd, ns),
                pat: one_prop_test(na, ns),
                pdt: one_prop_test(nd, ns),
                ..Stats::default()
            }
        })
        .collect();
    let mut out = Vec::new();
    for agree in [true, false] {
        let mut candidates: Vec<usize> = (0..statements)
            .filter(|&s| {
                let st = &stats[s];
                let (p, t) = if agree { (st.pa, st.pat) } else { (st.pd, st.pdt) };
                st.ns > 0.0 && p > 0.5 && t > Z_90
            })
            .collect();
        let metric = |s: usize| if agree { stats[s].pa * stats[s].pat } else { stats[s].pd * stats[s].pdt };
        candidates.sort_by(|&a, &b| metric(b).total_cmp(&metric(a)).then(a.cmp(&b)));
        out.extend(candidates.into_iter().take(PICK_MAX).map(|s| {
            let st = &stats[s];
            Pick {
                statement: s,
                direction: if agree { Direction::Agree } else { Direction::Disagree },
                successes: (if agree { st.na } else { st.nd }) as usize,
                trials: st.ns as usize,
                probability: if agree { st.pa } else { st.pd },
                test: if agree { st.pat } else { st.pdt },
                repness: None,
                repness_test: None,
            }
        }));
    }
    out
}

/// Runs the whole pipeline. `participants` and `statements` are the index ranges the votes use.
pub fn analyse(participants: usize, statements: usize, votes: &[Vote]) -> OpinionMap {
    let m = matrix(participants, statements, votes);
    let points = project(&m, statements).unwrap_or_else(|| vec![[0.0; 2]; participants]);
    let members: Vec<usize> =
        (0..participants).filter(|&i| m[i].iter().filter(|v| v.is_some()).count() >= MIN_VOTES).collect();
    let member_points: Vec<[f64; 2]> = members.iter().map(|&i| points[i]).collect();
    let mut best: Option<(f64, Vec<usize>)> = None;
    if statements >= 2 {
        for k in 2..=MAX_GROUPS {
            let Some(labels) = kmeans(&member_points, k) else { continue };
            let Some(score) = silhouette(&member_points, &labels) else { continue };
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, labels));
            }
        }
    }
    let mut groups = vec![None; participants];
    let (silhouette, labels) = match best {
        Some((score, labels)) => (Some(score), labels),
        None => (None, Vec::new()),
    };
    let group_count = labels.iter().max().map_or(0, |m| m + 1);
    for (&i, &l) in members.iter().zip(&labels) {
        groups[i] = Some(l);
    }
    let stats = group_stats(&m, if labels.is_empty() { &[] } else { &members }, &labels, group_count, statements);
    let repness = stats.iter().map(|g| representative(g)).collect();
    let group_consensus = (0..statements)
        .map(|s| {
            if stats.is_empty() {
                return [0.0, 0.0];
            }
            [stats.iter().map(|g| g[s].pa).product(), stats.iter().map(|g| g[s].pd).product()]
        })
        .collect();
    let group_agree = stats.iter().map(|g| g.iter().map(|st| st.pa).collect()).collect();
    OpinionMap {
        points,
        groups,
        group_count,
        silhouette,
        repness,
        consensus: consensus(&m, statements),
        group_consensus,
        group_agree,
    }
}

/// The offline contract: named votes in, the map's groups, consensus and
/// representative statements out, keyed by the names in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub participants: Vec<String>,
    pub statements: Vec<String>,
    pub map: OpinionMap,
}

/// Runs [`analyse`] on named votes `(participant, statement, vote)`, one per pair. Participants
/// and statements are indexed in natural order of their names (numbers numerically).
pub fn analyse_named(rows: &[(String, String, i8)]) -> Named {
    let sorted = |names: Vec<&String>| {
        let mut v: Vec<String> = names.into_iter().cloned().collect();
        v.sort_by(|a, b| super::natural(a, b));
        v.dedup();
        v
    };
    let participants = sorted(rows.iter().map(|r| &r.0).collect());
    let statements = sorted(rows.iter().map(|r| &r.1).collect());
    let index = |names: &[String]| {
        names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect::<std::collections::HashMap<_, _>>()
    };
    let (pi, si) = (index(&participants), index(&statements));
    let votes: Vec<Vote> =
        rows.iter().map(|(p, s, v)| Vote { participant: pi[p], statement: si[s], value: *v }).collect();
    let map = analyse(participants.len(), statements.len(), &votes);
    Named { participants, statements, map }
}

impl Named {
    /// `{"groups": {participant: group}, "consensus": [ids], "repness": {group: [ids]}}`, with a
    /// statement id written as a number when it is one; plus the group-informed consensus.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        let id = |s: usize| {
            let name = &self.statements[s];
            name.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(name.clone()))
        };
        let mut groups = Map::new();
        for (i, g) in self.map.groups.iter().enumerate() {
            if let Some(g) = g {
                groups.insert(self.participants[i].clone(), json!(g));
            }
        }
        let mut repness = Map::new();
        for (g, picks) in self.map.repness.iter().enumerate() {
            repness.insert(g.to_string(), Value::Array(picks.iter().map(|p| id(p.statement)).collect()));
        }
        let mut gac = Map::new();
        for (s, [agree, _]) in self.map.group_consensus.iter().enumerate() {
            gac.insert(self.statements[s].clone(), json!(agree));
        }
        json!({
            "groups": groups,
            "consensus": self.map.consensus.iter().map(|p| id(p.statement)).collect::<Vec<_>>(),
            "repness": repness,
            "group_informed_consensus": gac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded::SplitMix64;

    /// Three planted groups of 15 with opposite views on blocks of statements, all agreeing
    /// on statement 0; a few voters below the threshold.
    fn planted(seed: u64) -> (usize, usize, Vec<Vote>, Vec<usize>) {
        let mut rng = SplitMix64(seed);
        let (groups, per, statements) = (3, 15, 12);
        let mut votes = Vec::new();
        let mut truth = Vec::new();
        for p in 0..groups * per {
            let g = p / per;
            truth.push(g);
            for s in 0..statements {
                if rng.chance(10) {
                    continue;
                }
                let lean = if s == 0 || s % groups == g { 1 } else { -1 };
                let value = if rng.chance(85) {
                    lean
                } else if rng.chance(50) {
                    0
                } else {
                    -lean
                };
                votes.push(Vote { participant: p, statement: s, value });
            }
        }
        for p in groups * per..groups * per + 3 {
            for s in 0..3 {
                votes.push(Vote { participant: p, statement: s, value: 1 });
            }
        }
        (groups * per + 3, statements, votes, truth)
    }

    #[test]
    fn planted_groups_are_found_with_their_representative_and_consensus_statements() {
        let (p, s, votes, truth) = planted(7);
        let map = analyse(p, s, &votes);
        assert_eq!(map.group_count, 3, "{:?} {:?} {:?}", map.silhouette, map.groups, map.points);
        // Nearly the same partition as the truth (pairs on which the two agree, up to renaming).
        let mut agree = 0;
        for i in 0..truth.len() {
            for j in 0..truth.len() {
                agree += usize::from((truth[i] == truth[j]) == (map.groups[i] == map.groups[j]));
            }
        }
        assert!(agree as f64 >= 0.9 * (truth.len() * truth.len()) as f64, "{agree} {:?}", map.groups);
        assert!(map.groups[p - 1].is_none(), "a participant with 3 votes is not grouped");
        assert!(map.consensus.iter().any(|c| c.statement == 0 && c.direction == Direction::Agree));
        assert!(map.group_consensus[0][0] > map.group_consensus[1][0]);
        for (g, picks) in map.repness.iter().enumerate() {
            assert!(!picks.is_empty() && picks.len() <= PICK_MAX);
            let planted_group = truth[map.groups.iter().position(|x| *x == Some(g)).unwrap()];
            assert!(picks.iter().any(|pk| pk.statement % 3 == planted_group && pk.statement != 0), "{picks:?}");
        }
    }

    #[test]
    fn the_map_is_deterministic_and_independent_of_vote_order() {
        let (p, s, mut votes, _) = planted(11);
        let a = analyse(p, s, &votes);
        votes.reverse();
        assert_eq!(a, analyse(p, s, &votes));
    }

    #[test]
    fn silhouette_and_kmeans_on_known_points() {
        let pts = [[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [11.0, 0.0]];
        let labels = kmeans(&pts, 2).unwrap();
        assert_eq!(labels, [0, 0, 1, 1]);
        // The outer points: a = 1, b = 10.5; the inner ones: a = 1, b = 9.5.
        let expected = (9.5 / 10.5 + 8.5 / 9.5) / 2.0;
        assert!((silhouette(&pts, &labels).unwrap() - expected).abs() < 1e-12);
        // Polis's start is a local optimum here (the first two points in sorted order split
        // the square sideways), exactly as scikit-learn with the same start.
        let square = [[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
        assert_eq!(kmeans(&square, 2).unwrap(), [0, 1, 0, 1]);
        assert!(kmeans(&[[1.0, 1.0], [1.0, 1.0]], 2).is_none());
        assert!(silhouette(&pts, &[0, 0, 0, 0]).is_none());
    }

    #[test]
    fn the_named_contract() {
        let (_, _, votes, _) = planted(3);
        let rows: Vec<(String, String, i8)> =
            votes.iter().map(|v| (format!("p{}", v.participant), (v.statement + 100).to_string(), v.value)).collect();
        let json = analyse_named(&rows).to_json();
        assert_eq!(json["groups"].as_object().unwrap().len(), 45);
        assert!(json["consensus"].as_array().unwrap().contains(&serde_json::json!(100)));
        assert_eq!(json["repness"].as_object().unwrap().len(), 3);
    }
}
