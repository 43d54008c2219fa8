//! The ledger's storage. A batch is applied by the pure engine to exactly the state it touches,
//! loaded inside the batch's own write transaction (which holds the audit chain's head, so no
//! other writer can change that state meanwhile, on either backend), and written back in the
//! same transaction with multi-row statements: the transfers, the fates of pending transfers,
//! the new balances, memos, and one audit entry carrying a SHA-256 digest of the batch's rows.
//! A batch commits whole or not at all: a process killed mid-batch leaves no trace of it.

mod batch;
mod bench;
pub(crate) mod cache;
mod read;
mod rows;

pub use read::{AccountPage, MAX_PAGE_LINES};
pub use rows::{
    AccountRow, BatchOutcome, LedgerBatch, LedgerInfo, NewAccount, Note, Settle, TransferRecord, TransferRow, digest,
    id_bytes,
};
