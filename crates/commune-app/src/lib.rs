//! Commune's operations layer: every use case, from signing up to closing a vote to moving money,
//! as one function that resolves what it acts on, authorizes the caller, plans the change with
//! the domain's pure rules and writes it in one audited transaction. The web pages, the JSON API,
//! the scheduler, the demo and the CLI all call these; none of it knows HTTP.

pub mod admin;
pub mod ballots;
pub mod caller;
pub mod cards;
pub mod demo;
pub mod digest;
pub mod error;
pub mod expenses;
pub mod export;
pub mod federation;
pub mod funding;
pub mod governance;
pub mod ideas;
pub mod inbox;
pub mod invites;
pub mod learn;
pub mod ledger;
pub mod merit;
pub mod metrics;
pub mod oidc;
pub mod patronage;
pub mod payments;
pub mod plugins;
pub mod policy;
pub mod politics;
pub mod ratelimit;
pub mod rounds;
pub mod scheduler;
pub mod sealed;
pub mod secrets;
pub mod service;
pub mod state;
pub mod tally;
pub mod webhooks;
mod wiring;
pub mod work;

pub use error::AppError;
pub use state::{AppState, Config};
