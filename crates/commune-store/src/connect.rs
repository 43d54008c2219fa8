//! Opening a store from a URL and the per-connection settings of each backend.

use crate::cluster::{Primary, hosts_of};
use crate::error::{Result, StoreError};
use crate::replicas::Replicas;
use crate::sql::Backend;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Connection, Executor};
use std::sync::Once;
use std::time::Duration;

/// The storage handle: a connection pool and the backend it talks to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// Ledger accounts as of a ledger version (see `ledger.rs`), shared by clones.
    pub(crate) ledger_cache: std::sync::Arc<std::sync::Mutex<crate::ledger::cache::AccountCache>>,
    /// The cluster's hosts when the URL names several (see `cluster.rs`): the pool follows
    /// whichever of them is the primary.
    pub(crate) primary: Option<std::sync::Arc<Primary>>,
    /// Streaming replicas for reads (see `replicas.rs`).
    pub(crate) replicas: Option<std::sync::Arc<Replicas>>,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` creates the file and its folder; `postgres://...`).
    /// Does not migrate: call [`Store::migrate`].
    /// Opens an existing database only: a SQLite file that is not there is
    /// [`StoreError::NoDatabase`], and nothing is created (for tools that check what exists).
    pub async fn connect_existing(url: &str) -> Result<Store> {
        if Backend::from_url(url)? == Backend::Sqlite {
            let (path, _) = sqlite_parts(url)?;
            if path != ":memory:" && !std::path::Path::new(path).exists() {
                return Err(StoreError::NoDatabase(path.to_owned()));
            }
        }
        Store::connect(url).await
    }

    pub async fn connect(url: &str) -> Result<Store> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(install_default_drivers);
        let backend = Backend::from_url(url)?;
        let (url, primary) = match backend {
            Backend::Sqlite => (sqlite_url(url)?, None),
            Backend::Postgres => match hosts_of(url)? {
                // Several hosts: the first that accepts writes, followed when it changes.
                Some(hosts) => {
                    let (primary, url) = Primary::find(hosts).await?;
                    (url, Some(primary))
                }
                None => (url.to_owned(), None),
            },
        };
        // One direct connection first: an unreachable server fails now with its own error,
        // instead of the pool retrying until its acquire timeout.
        sqlx::AnyConnection::connect(&url).await?.close().await?;
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; FULL sync makes every
                            // acknowledged commit durable; the busy timeout queues writers.
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = FULL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 30000",
                                // 32 MiB of page cache per connection (the default is 2 MiB):
                                // the ledger rewrites every touched account each batch.
                                "PRAGMA cache_size = -32768",
                            ] {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => match &primary {
                Some(primary) => primary.guard(options.max_connections(16)).connect(&url).await?,
                None => options.max_connections(16).connect(&url).await?,
            },
        };
        if let Some(primary) = &primary {
            std::sync::Arc::clone(primary).watch(pool.clone());
        }
        Ok(Store { pool, backend, ledger_cache: Default::default(), primary, replicas: None })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The raw pool, for tests and tools that inspect the database directly.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// After a write failed because the database was unavailable: waits until the cluster has a
    /// writable primary again (bounded by [`crate::WAIT_FOR_PRIMARY`] from `since`). False for a
    /// one-host database, or when the time ran out: then the failure stands.
    pub async fn wait_for_primary(&self, since: std::time::Instant) -> bool {
        match &self.primary {
            Some(primary) => primary.wait(since).await,
            None => false,
        }
    }

    /// Adds read replicas (one-host PostgreSQL URLs): the reads of GET and HEAD requests go to
    /// one that is up, at most `max_lag` behind the primary and past the reader's last write
    /// (see `replicas.rs`). Replicas that are down at start are used once they answer.
    pub fn with_replicas(mut self, urls: &[String], max_lag: Duration) -> Result<Store> {
        if urls.is_empty() {
            return Ok(self);
        }
        if self.backend != Backend::Postgres {
            return Err(StoreError::Migration("read replicas need PostgreSQL".into()));
        }
        self.replicas = Some(Replicas::start(urls, &self.pool, max_lag)?);
        Ok(self)
    }

    /// Where reads go: a replica inside [`crate::reading`] when one qualifies, else the primary.
    pub(crate) fn reader(&self) -> &AnyPool {
        self.replicas.as_ref().and_then(|r| r.for_read()).unwrap_or(&self.pool)
    }

    /// Whether this store reads from replicas (then writes report their WAL position).
    pub fn has_replicas(&self) -> bool {
        self.replicas.is_some()
    }

    /// The primary's current WAL position: after a write has committed, a replica that has
    /// replayed this far shows it.
    pub async fn write_position(&self) -> Result<u64> {
        crate::replicas::write_position(&self.pool).await
    }

    /// Reads served by replicas, and reads that went to the primary because none qualified.
    pub fn replica_reads(&self) -> Option<(u64, u64)> {
        self.replicas.as_ref().map(|r| r.counts())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Normalises a SQLite URL: creates the parent folder and asks sqlx to create the file.
/// The path and query of a SQLite URL.
fn sqlite_parts(url: &str) -> Result<(&str, &str)> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(StoreError::Migration("the SQLite URL has no path: use sqlite://PATH".into()));
    }
    Ok((path, query))
}

fn sqlite_url(url: &str) -> Result<String> {
    let (path, query) = sqlite_parts(url)?;
    let parent = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty() && path != ":memory:");
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Migration(format!("cannot create the folder {}: {e}", parent.display())))?;
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(sqlite_url("sqlite://x.db").ok().as_deref(), Some("sqlite://x.db?mode=rwc"));
        assert_eq!(sqlite_url("sqlite:x.db?mode=ro").ok().as_deref(), Some("sqlite://x.db?mode=ro"));
        assert!(sqlite_url("sqlite://").is_err());
    }
}
