//! Work: tasks and their lifecycle, reviews and outcomes, the skill model (item response
//! theory), recommendations with Thompson sampling, global assignment (min-cost flow and the
//! linear assignment problem) and stable matching with capacities.

pub mod assign;
pub mod evaluate;
pub mod irt;
pub mod recommend;
pub mod simulate;
pub mod skill;
pub mod stable;
pub mod task;
