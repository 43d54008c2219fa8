//! The one place that chooses the plug-ins: merit weights from believability, and (until the
//! work engine supplies it) no performance evidence.

use crate::merit::MeritWeights;
use crate::state::{AppState, Config, Plugins};
use crate::work::matching::WorkEvidence;
use commune_store::Store;
use std::sync::Arc;

impl AppState {
    /// The standard state: [`MeritWeights`] and [`WorkEvidence`] (task outcomes).
    pub fn new(store: Store, config: Config) -> AppState {
        AppState::with_plugins(
            store,
            config,
            Plugins { weights: Arc::new(MeritWeights), evidence: Arc::new(WorkEvidence) },
        )
    }
}
