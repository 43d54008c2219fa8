//! Chapters and politics: places and the map, seasons of competitive altruism between chapters,
//! the elections the commune may matter in, and endorsements and campaign funding.

pub mod campaigns;
pub mod elections;
pub mod places;
pub mod season;
