//! Chapters and politics: places and the map, seasons of competitive altruism between chapters,
//! and the elections the commune may matter in.

pub mod elections;
pub mod places;
pub mod season;
