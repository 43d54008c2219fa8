//! Payments for people and businesses, shared by the JSON API, the web UI and the scheduler,
//! one room per concern. Children import each other directly (never through this module), so
//! the rooms form no circle.
//!
//! - [`parties`]: names to owners and back, who pays, who may read, ids and ledgers;
//! - [`movement`]: sending, revenue, payouts, and [`movement::move_money`] under them all;
//! - [`holds`]: placing, capturing and releasing holds;
//! - [`requests`]: payment requests;
//! - [`statements`]: wallets and statements;
//! - [`treasury`]: an organisation's treasury and the pot;
//! - [`effects`]: passed proposals that move money;
//! - [`raw`]: TigerBeetle-shaped batches and lookups.

pub mod effects;
pub mod holds;
pub mod movement;
pub mod parties;
pub mod raw;
pub mod requests;
pub mod statements;
pub mod treasury;

pub use effects::execute_effect;
pub use holds::{CaptureInput, HoldInput, hold, settle_hold};
pub use movement::{
    Movement, PaymentInput, Receipt, RevenueInput, amount_of, authorize_debit, book_revenue, deposit, move_money, pay,
    payout, refusal,
};
pub use parties::{Party, ledger_named, own_owner, owner_of, parse_id, party_of, payer_of, resolve_party, show_id};
pub use raw::{AccountView, TransferInput, TransferResultView, TransferView};
pub use requests::{
    PaymentRequestView, PaymentRequests, RequestInput, ask, close_request, pay_request, request_payment, requests_of,
};
pub use statements::{
    Statement, StatementLine, StatementQuery, WalletView, statement, statement_csv, statement_for, wallets_of,
};
pub use treasury::{TreasuryMonth, TreasuryView, treasury_of};
