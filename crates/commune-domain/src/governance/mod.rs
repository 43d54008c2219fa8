//! Governance: how ballots become outcomes. Pure and weighted throughout: every ballot carries a
//! weight (1 in equal mode), and every method documents its ties and partial ballots.
//!
//! - [`ballot_form`]: the ballot form's fields for every method, read and prefilled.
//! - [`floors`]: the constitutional floors every proposal meets, and self-interest.
//! - [`profile`]: ranked ballots (strict, partial or with ties) as a weighted profile.
//! - [`ranked`]: plurality, Borda, instant runoff, Schulze, Copeland, ranked pairs, minimax.
//! - [`preflib`]: the PrefLib `.soc`/`.soi`/`.toc` formats.
//! - [`snapshot`]: Snapshot's six voting types, score for score, for communities moving over.
//! - [`weight`]: weights in exact micro-votes, fractions in parts per million, the rounding rule.

pub mod ballot_form;
pub mod count;
pub mod delegation;
pub mod floors;
pub mod methods;
pub mod names;
pub mod preflib;
pub mod profile;
pub mod proposal;
pub mod ranked;
pub mod snapshot;
pub mod weight;
pub mod words;
