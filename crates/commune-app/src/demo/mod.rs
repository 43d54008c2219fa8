//! The demo commune: a season of a living co-op, made through the real operations and the
//! scheduler's own steps at past instants, so every screen has something to show and every
//! capability its point (a vote where merit and headcount disagree, a pot that only votes spend).
//!
//! - [`people`]: the cast (names, places, organisations) and the seeded random numbers;
//! - [`founding`]: [`founding::load`], which founds the commune and runs the season;
//! - [`books`]: half a year of trade, pay and the funnel, and the payment requests and holds of now;
//! - [`ratings`]: a season of dots and a past Dot Collector meeting;
//! - [`proposals`]: the season's proposals, as data;
//! - [`season`]: drafting, publishing, voting and counting them, tick by tick;
//! - [`rounds`]: a finished participatory-budgeting round and an open one;
//! - [`expenses`]: an operating budget and an expense in every state; last year's patronage;
//! - [`work`]: projects with a past of reviewed tasks, tasks in every status, capacities, a plan;
//! - [`learn`]: a revised library, a course with mastery, cards due, calibrated forecasts, a circle;
//! - [`politics`]: places with outlines, three chapters in two countries, a finished and a live
//!   season with a challenge, elections for the leverage view.

pub mod apps;
pub mod books;
pub mod expenses;
pub mod founding;
pub mod ideas;
pub mod learn;
pub mod people;
pub mod politics;
pub mod proposals;
pub mod ratings;
pub mod rounds;
pub mod season;
pub mod work;

pub use founding::load;
pub use people::DEMO_PASSWORD;
