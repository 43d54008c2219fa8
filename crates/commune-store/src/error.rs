//! What can go wrong in storage, and the two helpers that turn database answers into it.

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
    /// A tool asked for an existing database that is not there.
    #[error("there is no database at {0}: nothing to open (`commune migrate` or `commune serve` creates one)")]
    NoDatabase(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    /// Whether the database was unreachable, restarting or a standby (a failover in progress):
    /// the same write may succeed once a primary answers again.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Db(err) if unavailable(err))
    }
}

/// Whether a database error means the server is unreachable, restarting, shutting down or a
/// standby: the kinds of failure a failover causes, after which the same write may succeed.
fn unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 57P01-03: shut down or starting; 25006: read-only
            // transaction (a demoted primary); 40P01 is not here: a deadlock is the caller's.
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "25006")
        }),
        _ => false,
    }
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
