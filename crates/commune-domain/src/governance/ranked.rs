//! Ranked methods over a weighted [`Profile`]. Each returns every co-winner (no method here breaks
//! ties arbitrarily) and per-alternative scores. On complete strict orders the winner sets equal
//! those of the Python package `pref_voting` (`plurality`, `borda`, `instant_runoff`,
//! `beat_path`, `copeland`, `ranked_pairs`, `minimax`); CI checks that on random profiles.
//!
//! Partial ballots and ties, per method:
//! - pairwise methods (Schulze, Copeland, ranked pairs, minimax): a ranked alternative beats every
//!   unranked one; tied and unranked alternatives are indifferent.
//! - plurality and instant runoff: a ballot's weight goes to its top tier among the alternatives
//!   still standing, split equally when that tier holds several; an exhausted ballot counts for
//!   nobody but still counts in the majority threshold (more than half of all weight).
//! - Borda: an alternative scores, per ballot, the number of alternatives strictly below it plus
//!   half the number tied with it (so a complete strict order gives n−1, n−2, …, 0).

use super::profile::{Profile, UNRANKED};
use super::weight::{MAX_TOTAL, UNIT};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Plurality,
    Borda,
    InstantRunoff,
    Schulze,
    Copeland,
    RankedPairs,
    Minimax,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::Plurality,
        Method::Borda,
        Method::InstantRunoff,
        Method::Schulze,
        Method::Copeland,
        Method::RankedPairs,
        Method::Minimax,
    ];

    /// The command-line and API name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Plurality => "plurality",
            Method::Borda => "borda",
            Method::InstantRunoff => "irv",
            Method::Schulze => "schulze",
            Method::Copeland => "copeland",
            Method::RankedPairs => "ranked-pairs",
            Method::Minimax => "minimax",
        }
    }

    /// Reads a method name, ignoring case and treating `_` and spaces as `-`; also takes the
    /// long names `instant-runoff` and `ranked-choice` (snapshot.js's word for the same count),
    /// and `beat-path` (Schulze's other name, as pref_voting calls it).
    pub fn parse(raw: &str) -> Option<Method> {
        let name = super::names::normalize_name(raw);
        match name.as_str() {
            "instant-runoff" | "ranked-choice" | "alternative-vote" => Some(Method::InstantRunoff),
            "beat-path" => Some(Method::Schulze),
            _ => Method::ALL.into_iter().find(|m| m.name() == name),
        }
    }

    /// What `scores` means for this method, for people reading results.
    pub fn score_meaning(self) -> &'static str {
        match self {
            Method::Plurality => "weight ranking the alternative first",
            Method::Borda => "Borda points",
            Method::InstantRunoff => "weight in the last round the alternative took part in",
            Method::Schulze => "number of alternatives it beats by strongest path",
            Method::Copeland => "pairwise wins minus pairwise losses",
            Method::RankedPairs => "number of alternatives locked below it (first tie-break order)",
            Method::Minimax => "largest margin by which it loses (lower is better)",
        }
    }
}

/// The result of a ranked tally: winner indices ascending, and one score per alternative.
///
/// Winners are decided in exact integer arithmetic over micro-vote weights (see
/// [`super::weight`]); the scores, rounds and margins here are the same numbers in votes, for
/// people and charts.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub winners: Vec<usize>,
    pub scores: Vec<f64>,
    /// Instant runoff only: each round's tallies in votes (`None` once eliminated).
    pub rounds: Vec<Vec<Option<f64>>>,
    /// Pairwise methods only: `margins[a][b]`, the votes preferring a to b minus the votes
    /// preferring b to a.
    pub margins: Vec<Vec<f64>>,
}

impl Outcome {
    fn new(winners: Vec<usize>, scores: Vec<f64>) -> Outcome {
        Outcome { winners, scores, rounds: Vec::new(), margins: Vec::new() }
    }

    fn pairwise(winners: Vec<usize>, scores: Vec<f64>, margins: &[i128]) -> Outcome {
        let n = scores.len();
        let margins = (0..n).map(|a| (0..n).map(|b| votes(margins[a * n + b], 1)).collect()).collect();
        Outcome { winners, scores, rounds: Vec::new(), margins }
    }
}

/// Alternatives ranking ranked methods supports when ranked pairs must search tie-break orders.
pub const MAX_RANKED_PAIRS_SEARCH: usize = 12;

/// The widest tie a plurality or runoff count splits exactly: weights are scaled by
/// lcm(1, …, k), which must stay far inside `i128`.
pub const MAX_SPLIT_TIE: usize = 48;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TallyError {
    #[error(
        "ranked pairs with tied margins searches every tie-break order; that is bounded at {MAX_RANKED_PAIRS_SEARCH} alternatives (this profile has {0})"
    )]
    TooManyForRankedPairs(usize),
    #[error("the weights add up to more than a tally counts exactly (at most 10^9 votes)")]
    TooHeavy,
    #[error(
        "a ballot ties {0} alternatives in one rank; a first-choice count splits ties exactly only up to {MAX_SPLIT_TIE}"
    )]
    TieTooWide(usize),
}

pub fn tally(method: Method, profile: &Profile) -> Result<Outcome, TallyError> {
    if profile.total_weight() > MAX_TOTAL {
        return Err(TallyError::TooHeavy);
    }
    Ok(match method {
        Method::Plurality => plurality(profile)?,
        Method::Borda => borda(profile),
        Method::InstantRunoff => instant_runoff(profile)?,
        Method::Schulze => schulze(profile),
        Method::Copeland => copeland(profile),
        Method::RankedPairs => ranked_pairs(profile)?,
        Method::Minimax => minimax(profile),
    })
}

/// `x / scale` micro-votes as votes.
fn votes(x: i128, scale: i128) -> f64 {
    x as f64 / (scale as f64 * UNIT as f64)
}

/// Indices whose score equals the best one (`better(a, b)`: a is better than b).
fn best<T: Copy + PartialEq>(scores: &[T], better: impl Fn(T, T) -> bool) -> Vec<usize> {
    let Some(mut top) = scores.first().copied() else { return Vec::new() };
    for &s in scores {
        if better(s, top) {
            top = s;
        }
    }
    (0..scores.len()).filter(|&i| scores[i] == top).collect()
}

/// The factor that makes every equal split of a tied top tier a whole number: lcm(1, …, k) for
/// the widest tie k in the profile.
fn split_scale(profile: &Profile) -> Result<i128, TallyError> {
    let widest = profile.widest_tier();
    if widest > MAX_SPLIT_TIE {
        return Err(TallyError::TieTooWide(widest));
    }
    let gcd = |mut a: i128, mut b: i128| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    Ok((1..=widest as i128).fold(1, |l, k| l / gcd(l, k) * k))
}

/// Adds each ballot's weight (times `scale`) to its top tier among `standing`, split equally
/// within the tier; `scale` makes every split exact.
fn first_choices(profile: &Profile, standing: &[bool], scale: i128) -> Vec<i128> {
    let n = profile.alternatives();
    let mut counts = vec![0i128; n];
    let mut tops: Vec<usize> = Vec::with_capacity(n);
    for (i, &w) in profile.weights.iter().enumerate() {
        let row = profile.ballot(i);
        let mut top_tier = UNRANKED;
        tops.clear();
        for c in 0..n {
            if !standing[c] || row[c] == UNRANKED {
                continue;
            }
            if row[c] < top_tier {
                top_tier = row[c];
                tops.clear();
                tops.push(c);
            } else if row[c] == top_tier {
                tops.push(c);
            }
        }
        if tops.is_empty() {
            continue;
        }
        let k = tops.len() as i128;
        assert!(scale % k == 0, "the split scale {scale} divides every tie ({k})");
        let share = i128::from(w) * (scale / k);
        for &c in &tops {
            counts[c] += share;
        }
    }
    counts
}

pub fn plurality(profile: &Profile) -> Result<Outcome, TallyError> {
    let scale = split_scale(profile)?;
    let counts = first_choices(profile, &vec![true; profile.alternatives()], scale);
    Ok(Outcome::new(best(&counts, |a, b| a > b), counts.iter().map(|&c| votes(c, scale)).collect()))
}

pub fn borda(profile: &Profile) -> Outcome {
    let n = profile.alternatives();
    // Twice the points, so that half a point for a tie is a whole number.
    let mut doubled = vec![0i128; n];
    let mut by_tier: Vec<u16> = Vec::with_capacity(n);
    for (i, &w) in profile.weights.iter().enumerate() {
        let row = profile.ballot(i);
        by_tier.clear();
        by_tier.extend_from_slice(row);
        by_tier.sort_unstable();
        for c in 0..n {
            // Alternatives strictly below c, and tied with c (c itself excluded).
            let below = n - by_tier.partition_point(|&t| t <= row[c]);
            let tied = by_tier.partition_point(|&t| t <= row[c]) - by_tier.partition_point(|&t| t < row[c]) - 1;
            doubled[c] += i128::from(w) * (2 * below + tied) as i128;
        }
    }
    Outcome::new(best(&doubled, |a, b| a > b), doubled.iter().map(|&d| votes(d, 2)).collect())
}

/// Instant runoff: a strict majority of all weight wins; otherwise every alternative with the
/// fewest first choices is eliminated at once, and so on. If the last standing are eliminated
/// together, they are the co-winners.
pub fn instant_runoff(profile: &Profile) -> Result<Outcome, TallyError> {
    let n = profile.alternatives();
    let scale = split_scale(profile)?;
    let total = i128::from(profile.total_weight()) * scale;
    let mut standing = vec![true; n];
    let mut last_seen = vec![0i128; n];
    let mut rounds = Vec::new();
    // Every round eliminates at least one alternative: at most n rounds.
    for _ in 0..=n {
        let counts = first_choices(profile, &standing, scale);
        rounds.push((0..n).map(|c| standing[c].then(|| votes(counts[c], scale))).collect::<Vec<_>>());
        for c in (0..n).filter(|&c| standing[c]) {
            last_seen[c] = counts[c];
        }
        let majority: Vec<usize> = (0..n).filter(|&c| standing[c] && 2 * counts[c] > total).collect();
        let scores = last_seen.iter().map(|&c| votes(c, scale)).collect();
        if !majority.is_empty() {
            return Ok(Outcome { winners: majority, scores, rounds, margins: Vec::new() });
        }
        let fewest = (0..n).filter(|&c| standing[c]).map(|c| counts[c]).min();
        let lowest: Vec<usize> = (0..n).filter(|&c| standing[c] && Some(counts[c]) == fewest).collect();
        for &c in &lowest {
            standing[c] = false;
        }
        if standing.iter().all(|s| !s) {
            return Ok(Outcome { winners: lowest, scores, rounds, margins: Vec::new() });
        }
    }
    unreachable!("instant runoff eliminates at least one of {n} alternatives per round")
}

/// Schulze (beat path) on margins: the strength of a path is its weakest margin; `a` beats `b`
/// when its strongest path to `b` is stronger than `b`'s to `a`. Winners are beaten by nobody.
pub fn schulze(profile: &Profile) -> Outcome {
    let n = profile.alternatives();
    let margins = profile.margins();
    let mut p: Vec<i128> = margins.iter().map(|&m| m.max(0)).collect();
    for k in 0..n {
        for i in 0..n {
            if i == k {
                continue;
            }
            let ik = p[i * n + k];
            if ik == 0 {
                continue;
            }
            for j in 0..n {
                if j != i && j != k {
                    let via = ik.min(p[k * n + j]);
                    if via > p[i * n + j] {
                        p[i * n + j] = via;
                    }
                }
            }
        }
    }
    let winners = (0..n).filter(|&c| (0..n).all(|d| d == c || p[c * n + d] >= p[d * n + c])).collect();
    let scores = (0..n).map(|c| (0..n).filter(|&d| d != c && p[c * n + d] > p[d * n + c]).count() as f64).collect();
    Outcome::pairwise(winners, scores, &margins)
}

pub fn copeland(profile: &Profile) -> Outcome {
    let n = profile.alternatives();
    let margins = profile.margins();
    let scores: Vec<i64> =
        (0..n).map(|c| (0..n).filter(|&d| d != c).map(|d| margins[c * n + d].signum() as i64).sum()).collect();
    let winners = best(&scores, |a, b| a > b);
    Outcome::pairwise(winners, scores.iter().map(|&s| s as f64).collect(), &margins)
}

/// Minimax on margins: an alternative's score is its largest pairwise defeat (0 if undefeated);
/// the smallest score wins.
pub fn minimax(profile: &Profile) -> Outcome {
    let n = profile.alternatives();
    let margins = profile.margins();
    let defeats: Vec<i128> = (0..n).map(|c| (0..n).map(|d| margins[d * n + c]).fold(0, i128::max)).collect();
    let winners = best(&defeats, |a, b| a < b);
    Outcome::pairwise(winners, defeats.iter().map(|&d| votes(d, 1)).collect(), &margins)
}

/// Ranked pairs (Tideman), in its neutral form: an alternative wins if it comes out on top under
/// *some* order of breaking ties between equal margins (as `pref_voting.ranked_pairs`). A
/// Condorcet winner wins outright; with no equal margins one lock-in decides; otherwise the
/// winners are the tops of the Zavist–Tideman "stacks", found by a pruned search.
pub fn ranked_pairs(profile: &Profile) -> Result<Outcome, TallyError> {
    let n = profile.alternatives();
    let margins = profile.margins();
    let locked = lock_in(n, &margins);
    let scores: Vec<f64> = (0..n).map(|c| (0..n).filter(|&d| locked[c * n + d]).count() as f64).collect();
    if let Some(cw) = (0..n).find(|&c| (0..n).all(|d| d == c || margins[c * n + d] > 0)) {
        return Ok(Outcome::pairwise(vec![cw], scores, &margins));
    }
    let mut strengths: Vec<i128> = (0..n)
        .flat_map(|a| (0..n).filter(move |&b| b != a).map(move |b| (a, b)))
        .map(|(a, b)| margins[a * n + b])
        .filter(|m| *m >= 0)
        .collect();
    strengths.sort_unstable_by(|a, b| b.cmp(a));
    let ties = strengths.windows(2).any(|w| w[0] == w[1]);
    let winners = if !ties {
        (0..n).filter(|&c| (0..n).all(|d| d == c || !locked[d * n + c])).collect()
    } else {
        if n > MAX_RANKED_PAIRS_SEARCH {
            return Err(TallyError::TooManyForRankedPairs(n));
        }
        (0..n).filter(|&top| tops_a_stack(n, &margins, top)).collect()
    };
    Ok(Outcome::pairwise(winners, scores, &margins))
}

/// Locks in pairs (a over b, margin ≥ 0) from the largest margin down, ties in index order,
/// skipping any that would contradict what is locked; returns the transitive "above" relation.
fn lock_in(n: usize, margins: &[i128]) -> Vec<bool> {
    let mut edges: Vec<(usize, usize)> =
        (0..n).flat_map(|a| (0..n).map(move |b| (a, b))).filter(|&(a, b)| a != b && margins[a * n + b] >= 0).collect();
    // A stable sort keeps equal margins in index order.
    edges.sort_by(|&(a, b), &(c, d)| margins[c * n + d].cmp(&margins[a * n + b]));
    let mut above = vec![false; n * n];
    for (a, b) in edges {
        if above[b * n + a] || above[a * n + b] {
            continue;
        }
        // Lock a over b, and close transitively: everything above-or-equal a goes over
        // everything below-or-equal b.
        let ups: Vec<usize> = (0..n).filter(|&x| x == a || above[x * n + a]).collect();
        let downs: Vec<usize> = (0..n).filter(|&y| y == b || above[b * n + y]).collect();
        for &x in &ups {
            for &y in &downs {
                above[x * n + y] = true;
            }
        }
    }
    above
}

/// Whether some stack (a linear order in which every a above b is joined by a downward path whose
/// margins are all at least margin(b, a)) has `top` first. Depth-first over orders, pruning a
/// prefix as soon as its newest element breaks the condition.
fn tops_a_stack(n: usize, margins: &[i128], top: usize) -> bool {
    let mut order = vec![top];
    // best[i][j]: the strongest downward path from order[i] to order[j] within the prefix.
    let mut best: Vec<Vec<i128>> = vec![vec![i128::MIN; n]];
    let mut used = vec![false; n];
    used[top] = true;
    extend(n, margins, &mut order, &mut best, &mut used)
}

fn extend(n: usize, margins: &[i128], order: &mut Vec<usize>, best: &mut Vec<Vec<i128>>, used: &mut [bool]) -> bool {
    if order.len() == n {
        return true;
    }
    let j = order.len();
    for x in 0..n {
        if used[x] {
            continue;
        }
        // Column j of `best` for x placed at position j.
        let mut column = vec![i128::MIN; j];
        let mut ok = true;
        for i in (0..j).rev() {
            let mut strength = margins[order[i] * n + x];
            for (k, &via) in column.iter().enumerate().take(j).skip(i + 1) {
                strength = strength.max(best[i][k].min(via));
            }
            column[i] = strength;
            if strength < margins[x * n + order[i]] {
                ok = false;
                break;
            }
        }
        if !ok {
            continue;
        }
        for (i, row) in best.iter_mut().enumerate() {
            row[j] = column[i];
        }
        best.push(vec![i128::MIN; n]);
        order.push(x);
        used[x] = true;
        if extend(n, margins, order, best, used) {
            return true;
        }
        used[x] = false;
        order.pop();
        best.pop();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile from `(weight, "a>b>c")`-style rows over labels 1..=n (`=` ties, missing = unranked).
    fn profile(n: i64, rows: &[(u64, &str)]) -> Profile {
        let mut p = Profile::new((1..=n).collect());
        for (w, order) in rows {
            let tiers: Vec<Vec<i64>> =
                order.split('>').map(|t| t.split('=').map(|x| x.trim().parse().expect("label")).collect()).collect();
            p.push(*w * UNIT, &tiers).expect("valid ballot");
        }
        p
    }

    fn winners(method: Method, p: &Profile) -> Vec<i64> {
        tally(method, p).expect("tally").winners.iter().map(|&i| p.labels[i]).collect()
    }

    fn check(n: i64, rows: &[(u64, &str)], expected: &[(Method, &[i64])]) {
        let p = profile(n, rows);
        for (method, want) in expected {
            assert_eq!(winners(*method, &p), *want, "{}", method.name());
        }
    }

    #[test]
    fn a_condorcet_cycle_splits_the_methods() {
        // Wikipedia's Schulze example (45 voters, 5 candidates): Schulze elects E (5).
        check(
            5,
            &[
                (5, "1>3>2>5>4"),
                (5, "1>4>5>3>2"),
                (8, "2>5>4>1>3"),
                (3, "3>1>2>5>4"),
                (7, "3>1>5>2>4"),
                (2, "3>2>1>4>5"),
                (7, "4>3>5>2>1"),
                (8, "5>2>1>4>3"),
            ],
            // IRV drops 4, then 2 and 5 together (8 each), whose voters put 1 before 3.
            &[(Method::Schulze, &[5]), (Method::Plurality, &[3]), (Method::InstantRunoff, &[1])],
        );
    }

    #[test]
    fn a_condorcet_winner_wins_every_pairwise_method() {
        let rows = [(4, "1>2>3"), (3, "2>1>3"), (2, "3>1>2")];
        check(
            3,
            &rows,
            &[
                (Method::Schulze, &[1]),
                (Method::Copeland, &[1]),
                (Method::RankedPairs, &[1]),
                (Method::Minimax, &[1]),
                (Method::Borda, &[1]),
            ],
        );
        // Plurality picks 1 too; IRV eliminates 3, whose voters prefer 1.
        check(3, &rows, &[(Method::Plurality, &[1]), (Method::InstantRunoff, &[1])]);
    }

    #[test]
    fn perfect_ties_return_every_co_winner() {
        let rows = [(1, "1>2>3"), (1, "2>3>1"), (1, "3>1>2")];
        for method in Method::ALL {
            assert_eq!(winners(method, &profile(3, &rows)), [1, 2, 3], "{}", method.name());
        }
    }

    #[test]
    fn weights_count_like_repeated_ballots() {
        let weighted = profile(3, &[(3, "1>2>3"), (2, "3>2>1"), (2, "2>3>1")]);
        let repeated = profile(
            3,
            &[(1, "1>2>3"), (1, "1>2>3"), (1, "1>2>3"), (1, "3>2>1"), (1, "3>2>1"), (1, "2>3>1"), (1, "2>3>1")],
        );
        for method in Method::ALL {
            assert_eq!(winners(method, &weighted), winners(method, &repeated), "{}", method.name());
        }
    }

    #[test]
    fn partial_ballots_and_ties_follow_the_documented_rules() {
        let p = profile(3, &[(1, "1=2>3"), (1, "3")]);
        let b = borda(&p);
        // Ballot 1 gives 1.5, 1.5, 0; ballot 2 gives 0.5, 0.5 (unranked, tied) and 2.
        assert_eq!(b.scores, [2.0, 2.0, 2.0]);
        let plural = plurality(&p).expect("plurality");
        assert_eq!(plural.scores, [0.5, 0.5, 1.0]);
        // IRV: 3 has 1 of 2 (not a majority); 1 and 2 tie lowest with 0.5 and go together.
        assert_eq!(winners(Method::InstantRunoff, &p), [3]);
    }

    #[test]
    fn ranked_pairs_considers_every_tie_break() {
        // Margins: 1>2 by 1, 2>3 by 1, 3>1 by 1 — any edge can be the one dropped.
        let rows = [(1, "1>2>3"), (1, "2>3>1"), (1, "3>1>2"), (1, "1>2>3"), (1, "3>2>1")];
        let p = profile(3, &rows);
        let m = p.margins();
        assert_eq!(
            (m[1], m[5], m[6]),
            (UNIT as i128, UNIT as i128, UNIT as i128),
            "a cycle of equal margins (1>2, 2>3, 3>1)"
        );
        assert_eq!(winners(Method::RankedPairs, &p), [1, 2, 3]);
    }
}
