//! The SQL both backends share: which backend a URL names, placeholders for multi-row
//! statements, and fresh ids.

use crate::error::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Migration(format!(
                "unsupported database URL '{}': use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB",
                redact(url)
            )))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A URL with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{}://{user}:***@{}", &url[..scheme_end], &url[at + 1..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
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

/// The most rows any list query returns (organisations, join requests, tokens, memberships): a
/// request can never read an unbounded table.
pub const MAX_LIST: i64 = 1_000;

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
