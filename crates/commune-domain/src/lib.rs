//! The pure core of Commune: the domain rules, with no IO, no async and no clock.
//!
//! Everything here is deterministic: time comes in as `at_ms` arguments, randomness as bytes.
//! The storage and HTTP shells call into these modules; they never reach back out.

pub mod audit;
pub mod authz;
pub mod capital;
pub mod durability;
pub mod federation;
pub mod governance;
pub mod ideas;
pub mod identity;
pub mod inbox;
pub mod invite;
pub mod learn;
pub mod ledger;
pub mod merit;
pub mod oidc;
pub mod org;
pub mod politics;
pub mod seeded;
pub mod token;
pub mod validation;
pub mod webhooks;
pub mod work;

pub use validation::{Invalid, Violations};
