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
    /// One weight per ballot.
    pub weights: Vec<f64>,
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
    #[error("the weight must be a finite number of at least 0")]
    BadWeight,
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
    pub fn push(&mut self, weight: f64, ranking: &[Vec<i64>]) -> Result<(), BallotError> {
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
    pub fn push_pairs(&mut self, weight: f64, pairs: &[(i64, u16)]) -> Result<(), BallotError> {
        if !weight.is_finite() || weight < 0.0 {
            return Err(BallotError::BadWeight);
        }
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

    pub fn total_weight(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// `margins[a * n + b]`: weight preferring a to b minus weight preferring b to a.
    pub fn margins(&self) -> Vec<f64> {
        let n = self.alternatives();
        let mut support = vec![0.0; n * n];
        for (i, &w) in self.weights.iter().enumerate() {
            let row = self.ballot(i);
            for a in 0..n {
                let ta = row[a];
                for b in (a + 1)..n {
                    let tb = row[b];
                    if ta < tb {
                        support[a * n + b] += w;
                    } else if tb < ta {
                        support[b * n + a] += w;
                    }
                }
            }
        }
        let mut margins = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                margins[a * n + b] = support[a * n + b] - support[b * n + a];
            }
        }
        margins
    }
}
