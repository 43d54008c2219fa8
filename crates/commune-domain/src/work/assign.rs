//! The linear assignment problem: pair rows with columns (each at most once, as many pairs as
//! the smaller side) at the least total cost, by shortest augmenting paths with dual potentials
//! (the Jonker–Volgenant family, as Crouse describes it; scipy's `linear_sum_assignment` uses
//! the same method, so the two agree on the optimum). A cost of +∞ forbids a pair; every other
//! cost must be finite. O(n²·m) for an n × m matrix with n ≤ m.

/// Why a matrix has no assignment.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssignError {
    #[error("cost at row {row}, column {col} is not a number")]
    NotANumber { row: usize, col: usize },
    #[error("cost at row {row}, column {col} is −∞ (only +∞ may forbid a pair when minimising)")]
    MinusInfinity { row: usize, col: usize },
    #[error("the forbidden pairs leave no complete assignment")]
    Infeasible,
}

/// An optimal assignment: `(row, column)` pairs in row order, and the total of their costs.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub pairs: Vec<(usize, usize)>,
    pub total: f64,
}

/// Solves the problem for a row-major `rows × cols` matrix; `maximize` looks for the greatest
/// total instead (then −∞ forbids a pair).
pub fn solve(cost: &[f64], rows: usize, cols: usize, maximize: bool) -> Result<Assignment, AssignError> {
    assert_eq!(cost.len(), rows * cols, "a rows × cols matrix");
    let sign = if maximize { -1.0 } else { 1.0 };
    for (k, &c) in cost.iter().enumerate() {
        let (row, col) = (k / cols.max(1), k % cols.max(1));
        if c.is_nan() {
            return Err(AssignError::NotANumber { row, col });
        }
        if sign * c == f64::NEG_INFINITY {
            return Err(AssignError::MinusInfinity { row, col });
        }
    }
    if rows == 0 || cols == 0 {
        return Ok(Assignment { pairs: Vec::new(), total: 0.0 });
    }
    let transpose = rows > cols;
    let (n, m) = if transpose { (cols, rows) } else { (rows, cols) };
    let matrix: std::borrow::Cow<[f64]> = if transpose {
        let mut t = vec![0.0; n * m];
        for r in 0..rows {
            for c in 0..cols {
                t[c * m + r] = sign * cost[r * cols + c];
            }
        }
        t.into()
    } else if maximize {
        cost.iter().map(|c| -c).collect::<Vec<f64>>().into()
    } else {
        cost.into()
    };
    let col_of_row = shortest_augmenting_paths(&matrix, n, m)?;
    let mut pairs: Vec<(usize, usize)> =
        col_of_row.iter().enumerate().map(|(r, &c)| if transpose { (c, r) } else { (r, c) }).collect();
    pairs.sort_unstable();
    let total = pairs.iter().map(|&(r, c)| cost[r * cols + c]).sum();
    Ok(Assignment { pairs, total })
}

const NONE: usize = usize::MAX;

/// `n ≤ m`: every row gets a column.
fn shortest_augmenting_paths(cost: &[f64], n: usize, m: usize) -> Result<Vec<usize>, AssignError> {
    let mut u = vec![0.0; n];
    let mut v = vec![0.0; m];
    let mut col_of_row = vec![NONE; n];
    let mut row_of_col = vec![NONE; m];
    let mut path = vec![NONE; m];
    let mut dist = vec![f64::INFINITY; m];
    let mut seen_row = vec![false; n];
    let mut seen_col = vec![false; m];
    let mut remaining: Vec<usize> = Vec::with_capacity(m);
    if n == m {
        reduce(cost, n, &mut u, &mut v, &mut col_of_row, &mut row_of_col);
    }
    for start in 0..n {
        if col_of_row[start] != NONE {
            continue;
        }
        dist.iter_mut().for_each(|d| *d = f64::INFINITY);
        seen_row.iter_mut().for_each(|s| *s = false);
        seen_col.iter_mut().for_each(|s| *s = false);
        remaining.clear();
        remaining.extend((0..m).rev());
        let (mut reached, mut row, mut sink) = (0.0, start, NONE);
        while sink == NONE {
            seen_row[row] = true;
            let base = reached - u[row];
            let costs = &cost[row * m..row * m + m];
            let (mut best, mut best_at) = (f64::INFINITY, NONE);
            for (at, &col) in remaining.iter().enumerate() {
                let reduced = base + costs[col] - v[col];
                if reduced < dist[col] {
                    path[col] = row;
                    dist[col] = reduced;
                }
                let d = dist[col];
                if d < best || (d == best && row_of_col[col] == NONE) {
                    best = d;
                    best_at = at;
                }
            }
            if best == f64::INFINITY || best_at == NONE {
                return Err(AssignError::Infeasible);
            }
            reached = best;
            let col = remaining.swap_remove(best_at);
            seen_col[col] = true;
            if row_of_col[col] == NONE {
                sink = col;
            } else {
                row = row_of_col[col];
            }
        }
        u[start] += reached;
        for r in 0..n {
            if seen_row[r] && r != start {
                u[r] += reached - dist[col_of_row[r]];
            }
        }
        for c in 0..m {
            if seen_col[c] {
                v[c] -= reached - dist[c];
            }
        }
        let mut col = sink;
        loop {
            let r = path[col];
            row_of_col[col] = r;
            let previous = std::mem::replace(&mut col_of_row[r], col);
            if r == start {
                break;
            }
            col = previous;
        }
    }
    Ok(col_of_row)
}

/// Jonker–Volgenant's start for a square matrix: each column's least cost becomes its dual and
/// the column goes to that row when the row is free; then each free row's least reduced cost
/// becomes its dual and it takes a free column where that is met. The duals stay feasible
/// (every reduced cost ≥ 0) and every pair made is tight, so the augmenting paths that follow
/// still end at the optimum; on dense random matrices most rows are placed here.
fn reduce(cost: &[f64], n: usize, u: &mut [f64], v: &mut [f64], col_of_row: &mut [usize], row_of_col: &mut [usize]) {
    let mut best_row = vec![0usize; n];
    v.iter_mut().for_each(|x| *x = f64::INFINITY);
    for r in 0..n {
        for (c, &x) in cost[r * n..r * n + n].iter().enumerate() {
            if x < v[c] {
                v[c] = x;
                best_row[c] = r;
            }
        }
    }
    if v.iter().any(|x| !x.is_finite()) {
        // A column nobody may take: leave the duals at zero and let the paths report it.
        v.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    for c in (0..n).rev() {
        let r = best_row[c];
        if col_of_row[r] == NONE {
            col_of_row[r] = c;
            row_of_col[c] = r;
        }
    }
    for r in 0..n {
        if col_of_row[r] != NONE {
            continue;
        }
        let row = &cost[r * n..r * n + n];
        let (mut least, mut at) = (f64::INFINITY, NONE);
        for c in 0..n {
            let reduced = row[c] - v[c];
            if reduced < least || (reduced == least && at != NONE && row_of_col[at] != NONE && row_of_col[c] == NONE) {
                least = reduced;
                at = c;
            }
        }
        if !least.is_finite() {
            continue;
        }
        u[r] = least;
        if row_of_col[at] == NONE {
            col_of_row[r] = at;
            row_of_col[at] = r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded::SplitMix64;

    /// Every assignment of the smaller side, by brute force.
    fn brute(cost: &[f64], rows: usize, cols: usize, maximize: bool) -> Option<f64> {
        #[allow(clippy::too_many_arguments)]
        fn go(
            cost: &[f64],
            rows: usize,
            cols: usize,
            r: usize,
            used: &mut Vec<bool>,
            acc: f64,
            best: &mut Option<f64>,
            max: bool,
        ) {
            if r == rows {
                if best.is_none_or(|b| if max { acc > b } else { acc < b }) {
                    *best = Some(acc);
                }
                return;
            }
            for c in 0..cols {
                let x = cost[r * cols + c];
                if !used[c] && x.is_finite() {
                    used[c] = true;
                    go(cost, rows, cols, r + 1, used, acc + x, best, max);
                    used[c] = false;
                }
            }
        }
        if rows > cols {
            let mut t = vec![0.0; rows * cols];
            for r in 0..rows {
                for c in 0..cols {
                    t[c * rows + r] = cost[r * cols + c];
                }
            }
            return brute(&t, cols, rows, maximize);
        }
        let mut best = None;
        go(cost, rows, cols, 0, &mut vec![false; cols], 0.0, &mut best, maximize);
        best
    }

    #[test]
    fn matches_brute_force_on_random_rectangles_with_ties_and_forbidden_pairs() {
        let mut rng = SplitMix64(11);
        for case in 0..600 {
            let rows = 1 + rng.below(6) as usize;
            let cols = 1 + rng.below(6) as usize;
            let maximize = case % 3 == 0;
            let cost: Vec<f64> = (0..rows * cols)
                .map(|_| {
                    if !maximize && rng.chance(8) {
                        f64::INFINITY
                    } else if case % 2 == 0 {
                        rng.below(4) as f64
                    } else {
                        rng.normal() * 10.0
                    }
                })
                .collect();
            let expected = brute(&cost, rows, cols, maximize);
            match solve(&cost, rows, cols, maximize) {
                Ok(a) => {
                    let want = expected.expect("a feasible instance");
                    assert!((a.total - want).abs() < 1e-9, "case {case}: {} vs {want}", a.total);
                    assert_eq!(a.pairs.len(), rows.min(cols));
                    let mut cols_used: Vec<usize> = a.pairs.iter().map(|p| p.1).collect();
                    cols_used.sort_unstable();
                    cols_used.dedup();
                    assert_eq!(cols_used.len(), a.pairs.len());
                }
                Err(AssignError::Infeasible) => assert!(expected.is_none(), "case {case}"),
                Err(e) => panic!("case {case}: {e}"),
            }
        }
    }

    #[test]
    fn refuses_nan_and_the_wrong_infinity() {
        assert_eq!(solve(&[1.0, f64::NAN], 1, 2, false), Err(AssignError::NotANumber { row: 0, col: 1 }));
        assert!(matches!(solve(&[f64::NEG_INFINITY], 1, 1, false), Err(AssignError::MinusInfinity { .. })));
        assert!(solve(&[f64::INFINITY, 2.0], 1, 2, false).is_ok());
        assert_eq!(solve(&[], 0, 3, false).unwrap().total, 0.0);
    }
}
