//! Federation between instances: ActivityPub objects and the HTTP signatures that carry them.

pub mod activity;
pub mod chapters;
pub mod httpsig;
pub mod transfers;
