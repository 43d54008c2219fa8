//! Governance pages, one room per form or view (children import each other, never this module):
//!
//! - [`wizard`]: the proposal list, the kind picker, and the proposal form (new and edit);
//! - [`form`]: the proposal form's fields, read into the operations' input;
//! - [`ballot`]: the ballot form of every method, read into a ballot, and the vote;
//! - [`results`]: results in both weightings, with shares, margins and the disagreement banner;
//! - [`page`]: the proposal page (text, floors, ballot, receipt, results, discussion) and its actions;
//! - [`delegations`]: the delegation page.

pub mod ballot;
pub mod delegations;
pub mod form;
pub mod page;
pub mod results;
pub mod wizard;

pub use ballot::vote;
pub use delegations::{delegate, delegations, revoke};
pub use page::{cancel, comment, publish, show};
pub use wizard::{create, edit_form, list, new_form, update};
