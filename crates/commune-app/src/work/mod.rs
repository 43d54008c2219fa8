//! Work (DESIGN.md §2.5): projects and tasks, worklogs and capacities, reviews whose outcomes
//! teach the skill model, and the matching of people and tasks.

pub mod logs;
pub mod matching;
pub mod tasks;
