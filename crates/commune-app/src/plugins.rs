//! The plug-in points of the operations layer: where merit-mode vote weights and performance
//! evidence come from. The traits live here, below [`crate::state`] which holds one of each;
//! `crate::wiring` chooses the implementations, in one place.

use crate::error::AppError;
use commune_store::Store;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where merit-mode vote weights come from, snapshotted when voting opens.
pub trait WeightSource: Send + Sync {
    /// One merit share per member of `members` (shares sum to 1), in the proposal's `domain`.
    fn merit_weights<'a>(
        &'a self,
        store: &'a Store,
        org_id: &'a str,
        domain: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<f64>, AppError>>;
}

/// Everyone weighs the same (for tests and instances that want no merit mode).
pub struct EqualWeights;

impl WeightSource for EqualWeights {
    fn merit_weights<'a>(
        &'a self,
        _: &'a Store,
        _: &'a str,
        _: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<f64>, AppError>> {
        Box::pin(async move { Ok(vec![1.0; members.len()]) })
    }
}

/// Performance evidence (task outcomes, exercise results, forecast calibration) enters the model
/// through this interface: each item is a score on the 1–10 scale about a member in a domain,
/// counted as a rating from a per-source pseudo-rater (whose bias and reliability the model
/// learns like anyone else's). The work module implements it; until then there is none.
pub trait PerformanceEvidence: Send + Sync {
    fn evidence<'a>(&'a self, store: &'a Store) -> BoxFuture<'a, Result<Vec<Evidence>, AppError>>;
}

/// One piece of evidence: `(source, member id, domain, score 1–10, unix ms)`.
pub type Evidence = (String, String, String, f64, i64);

/// No performance evidence yet.
pub struct NoEvidence;

impl PerformanceEvidence for NoEvidence {
    fn evidence<'a>(&'a self, _: &'a Store) -> BoxFuture<'a, Result<Vec<Evidence>, AppError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}
