//! Capital management (DESIGN.md §2.6): participatory-budgeting elections and their rules.
//! Pure: the rounds, escrows and transfers that use them live in the operations layer.

pub mod expense;
pub mod patronage;
pub mod pb;
pub mod qf;
pub mod round;
pub mod rules;
