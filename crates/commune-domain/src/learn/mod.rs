//! Learning: the library of lessons and principles, exercises and mastery, spaced repetition
//! (FSRS-6) and forecasting with calibrated scores.

pub mod forecast;
pub mod library;
pub mod memory;
pub mod practice;
