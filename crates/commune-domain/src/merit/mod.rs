//! Merit: how peer ratings become believability, and believability becomes bounded vote weight.
//!
//! - [`model`]: the believability model (rater bias and reliability, shrinkage, decay,
//!   believability-weighted raters, reciprocity discounts, a conservative estimate).
//! - [`weights`]: `w_i = λ·m_i/Σm + (1−λ)/N`, capped at `c/N` with the excess redistributed.
//! - [`simulation`]: a seeded manipulation-resistance simulation.

pub mod model;
pub mod simulation;
pub mod weights;
