//! Commune's storage: one [`Store`] over SQLite (embedded, the default) and PostgreSQL.
//!
//! Both backends run the same SQL through sqlx's `Any` driver, so the SQL is written once in the
//! common dialect: `$n` placeholders (numbered in order of appearance), TEXT UUIDv7 ids, BIGINT
//! times in unix milliseconds and BIGINT money. Each backend has its own migration set
//! (`migrations/<backend>/`), and a test checks that both give the same tables and columns.
//!
//! Every change goes through a [`WriteTx`], which appends to the audit chain in the same
//! transaction; reads go straight to the pool.

mod audit;
mod connect;
mod governance;
mod ledger;
mod members;
mod merit;
mod migrate;
mod orgs;
mod payments;
mod sessions;
mod settings;
mod tokens;
mod write;

pub use audit::{AuditStats, ChainReport};
pub use connect::{Backend, Store, redact};
pub use governance::{
    BallotCast, BallotRow, Comment, Delegation, Proposal, ProposalDraft, SECRET_BALLOT_ACTOR, TallyRow, VoterContext,
    weight_text,
};
pub use ledger::{
    AccountRow, BatchOutcome, LedgerBatch, LedgerInfo, NewAccount, Note, Settle, TransferRecord, TransferRow,
    digest as transfer_digest, id_bytes,
};
pub use members::{Counted, Credentials, Member};
pub use merit::{Attribute, Believability, Dot, Meeting, NewDot};
pub use migrate::{Migration, migrations};
pub use orgs::{JoinRequest, Membership, Org, OrgMember};
pub use payments::{NewPaymentRequest, PaymentRequest};
pub use sessions::{Session, SessionInfo};
pub use tokens::ApiToken;
pub use write::{WriteTx, now_ms};

/// What can go wrong in storage, as callers need to tell it apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was hit: the named thing exists already.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The named thing does not exist (or is not in a state the change applies to).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The database holds something this code cannot read back (a bug or tampering).
    /// A domain rule refused the change (the message says which and what to do).
    #[error("{0}")]
    Rule(String),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("migration: {0}")]
    Migration(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub(crate) fn conflict_as(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Db(err),
    }
}

/// Fails with `NotFound(what)` unless exactly one row changed.
pub(crate) fn one_row(result: sqlx::any::AnyQueryResult, what: &'static str) -> Result<()> {
    match result.rows_affected() {
        1 => Ok(()),
        0 => Err(StoreError::NotFound(what)),
        n => Err(StoreError::Corrupt(format!("{n} rows changed where one {what} was meant"))),
    }
}

/// `($1, $2, …), ($n+1, …), …`: the VALUES of a multi-row insert of `rows` rows of `columns`
/// parameters each, numbered in order of appearance. On SQLite they are anonymous `?`: SQLite
/// looks each named `$n` up in a linear list while preparing, which makes a statement with
/// thousands of parameters quadratic to prepare.
pub(crate) fn values_placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    (0..rows).map(|r| format!("({})", list_placeholders(backend, r * columns, columns))).collect::<Vec<_>>().join(", ")
}

/// `n` parameters after the first `skip`, comma-separated: `$k, $k+1, …` or `?, ?, …`.
pub(crate) fn list_placeholders(backend: Backend, skip: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => (skip + 1..=skip + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
    }
}

/// A fresh UUIDv7 id as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_in_order() {
        use super::Backend;
        assert_eq!(super::values_placeholders(Backend::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::values_placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
