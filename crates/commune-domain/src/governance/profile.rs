//! A weighted profile of ranked ballots.
//!
//! Each ballot stores, per alternative, the tier it was ranked in (0 = top); alternatives left
//! off a ballot are [`UNRANKED`]. So a strict complete order, a truncated order and an order with
//! ties share one representation, and "a is preferred to b" is always `tier[a] < tier[b]`:
//! a ranked alternative is preferred to every unranked one, and unranked ones are tied.

/// The tier of an alternative the ballot does not rank.
pub const UNRANKED: u16 = u16::MAX;

/// At most this many alternatives: tiers are `u16` and pairwise work is quadratic.
pub const MAX_ALTERNATIVES: usize = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The alternatives' labels (e.g. PrefLib numbers), in ascending order; methods work on
    /// indices into this list.
    pub labels: Vec<i64>,
    /// One weight per ballot, in micro-votes (see [`super::weight`]).
    pub weights: Vec<u64>,
    /// `labels.len()` tiers per ballot, ballot after ballot.
    pub tiers: Vec<u16>,
}

/// Why a ballot cannot join a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    #[error("alternative {0} is not one of the alternatives")]
    Unknown(i64),
    #[error("alternative {0} is ranked twice")]
    Repeated(i64),
}

impl Profile {
    pub fn new(mut labels: Vec<i64>) -> Profile {
        labels.sort_unstable();
        labels.dedup();
        Profile { labels, weights: Vec::new(), tiers: Vec::new() }
    }

    pub fn alternatives(&self) -> usize {
        self.labels.len()
    }

    pub fn ballots(&self) -> usize {
        self.weights.len()
    }

    pub fn index_of(&self, label: i64) -> Option<usize> {
        self.labels.binary_search(&label).ok()
    }

    /// Adds a ballot given as tiers of labels, best first; labels not mentioned are unranked.
    pub fn push(&mut self, weight: u64, ranking: &[Vec<i64>]) -> Result<(), BallotError> {
        let pairs: Vec<(i64, u16)> = ranking
            .iter()
            .enumerate()
            .flat_map(|(tier, group)| {
                group.iter().map(move |&label| (label, u16::try_from(tier).unwrap_or(UNRANKED - 1)))
            })
            .collect();
        self.push_pairs(weight, &pairs)
    }

    /// Adds a ballot given as `(label, tier)` pairs (tier 0 = top); the fast path for parsers.
    pub fn push_pairs(&mut self, weight: u64, pairs: &[(i64, u16)]) -> Result<(), BallotError> {
        let n = self.alternatives();
        let start = self.tiers.len();
        self.tiers.resize(start + n, UNRANKED);
        for &(label, tier) in pairs {
            let row = &mut self.tiers[start..];
            let Ok(index) = self.labels.binary_search(&label) else {
                self.tiers.truncate(start);
                return Err(BallotError::Unknown(label));
            };
            if row[index] != UNRANKED {
                self.tiers.truncate(start);
                return Err(BallotError::Repeated(label));
            }
            row[index] = tier.min(UNRANKED - 1);
        }
        self.weights.push(weight);
        Ok(())
    }

    /// The tiers of ballot `i`.
    pub fn ballot(&self, i: usize) -> &[u16] {
        let n = self.alternatives();
        &self.tiers[i * n..(i + 1) * n]
    }

    /// The sum of all weights (saturating: a tally refuses totals above
    /// [`super::weight::MAX_TOTAL`]).
    pub fn total_weight(&self) -> u64 {
        self.weights.iter().fold(0u64, |a, &w| a.saturating_add(w))
    }

    /// The largest number of alternatives any ballot ties in one tier (1 for strict orders).
    pub fn widest_tier(&self) -> usize {
        let n = self.alternatives();
        let mut widest = 1;
        let mut counts: Vec<u16> = Vec::with_capacity(n);
        for i in 0..self.ballots() {
            counts.clear();
            counts.extend(self.ballot(i).iter().copied().filter(|&t| t != UNRANKED));
            counts.sort_unstable();
            for run in counts.chunk_by(|a, b| a == b) {
                widest = widest.max(run.len());
            }
        }
        widest
    }

    /// `margins[a * n + b]`: weight preferring a to b minus weight preferring b to a.
    pub fn margins(&self) -> Vec<i128> {
        let n = self.alternatives();
        let mut support = vec![0i128; n * n];
        for (i, &w) in self.weights.iter().enumerate() {
            let row = self.ballot(i);
            for a in 0..n {
                let ta = row[a];
                for b in (a + 1)..n {
                    let tb = row[b];
                    if ta < tb {
                        support[a * n + b] += i128::from(w);
                    } else if tb < ta {
                        support[b * n + a] += i128::from(w);
                    }
                }
            }
        }
        let mut margins = vec![0i128; n * n];
        for a in 0..n {
            for b in 0..n {
                margins[a * n + b] = support[a * n + b] - support[b * n + a];
            }
        }
        margins
    }
}
