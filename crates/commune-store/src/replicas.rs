//! Reading from streaming replicas, with read-your-writes.
//!
//! Reads made inside [`reading`] (the HTTP shell wraps GET and HEAD requests in it) may go to a
//! replica; everything else — writes, reads inside a write, the scheduler, reads of a POST —
//! goes to the primary. A watcher samples the primary's WAL position (`pg_current_wal_lsn()`)
//! and each replica's replayed position (`pg_last_wal_replay_lsn()`) four times a second. A
//! replica serves a read only when
//!   * it answered the last sample (a replica that is down is skipped),
//!   * it has replayed what the primary had written `max_lag` ago (lagging ones are skipped), and
//!   * it has replayed past the reader's own last write: the shell hands the primary's WAL
//!     position after a member's write back to the member ([`Store::write_position`]) and brings
//!     it along on the next reads, so a member always sees what they just did.
//!
//! When no replica qualifies the read goes to the primary.

use crate::error::Result;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often the watcher samples the primary and the replicas.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// The largest lag bound a server may be started with.
pub const MAX_REPLICA_LAG: Duration = Duration::from_secs(60);

tokio::task_local! {
    static READING: u64;
}

/// Runs `f` as a read-only request whose reader last wrote at WAL position `after` (0: never):
/// the store's reads inside it may go to a replica that has replayed past it.
pub async fn reading<F: std::future::Future>(after: u64, f: F) -> F::Output {
    READING.scope(after, f).await
}

/// Runs `f` with every read on the primary, even inside [`reading`]: for work whose reads must
/// all see one state (a figure remembered with the audit head it was computed at).
pub async fn on_primary<F: std::future::Future>(f: F) -> F::Output {
    // No replica replays past the end of the WAL.
    READING.scope(u64::MAX, f).await
}

/// A WAL position (`16/B374D848`) as a number; `None` for anything else.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.trim().split_once('/')?;
    let (hi, lo) = (u64::from_str_radix(hi, 16).ok()?, u64::from_str_radix(lo, 16).ok()?);
    (hi <= u64::from(u32::MAX) && lo <= u64::from(u32::MAX)).then_some((hi << 32) | lo)
}

#[derive(Debug)]
struct Replica {
    pool: AnyPool,
    name: String,
    replayed: AtomicU64,
    usable: AtomicBool,
}

/// The replicas of a store and what the watcher last saw of them.
#[derive(Debug)]
pub(crate) struct Replicas {
    all: Vec<Replica>,
    next: AtomicUsize,
    /// Reads served by a replica, and reads that could have been but went to the primary.
    served: AtomicU64,
    fell_back: AtomicU64,
}

impl Replicas {
    fn pick(&self, after: u64) -> Option<&AnyPool> {
        let n = self.all.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let chosen = (0..n)
            .map(|k| &self.all[(start + k) % n])
            .find(|r| r.usable.load(Ordering::Acquire) && r.replayed.load(Ordering::Acquire) >= after.max(1));
        match chosen {
            Some(replica) => {
                self.served.fetch_add(1, Ordering::Relaxed);
                Some(&replica.pool)
            }
            None => {
                self.fell_back.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }
}

impl Replicas {
    /// Pools for `urls` (one-host PostgreSQL URLs, connected lazily: a replica that is down is
    /// not an error) and the watcher that samples them against `primary`.
    pub(crate) fn start(urls: &[String], primary: &AnyPool, max_lag: Duration) -> Result<Arc<Replicas>> {
        let mut all = Vec::with_capacity(urls.len());
        for url in urls {
            if crate::hosts_of(url)?.is_some() {
                return Err(crate::StoreError::Migration(format!(
                    "read replica {}: name one host per --read-replica-url",
                    crate::redact(url)
                )));
            }
            let pool = AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(2))
                .connect_lazy(url)
                .map_err(crate::StoreError::Db)?;
            all.push(Replica {
                pool,
                name: crate::redact(url),
                replayed: AtomicU64::new(0),
                usable: AtomicBool::new(false),
            });
        }
        let replicas = Arc::new(Replicas {
            all,
            next: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            fell_back: AtomicU64::new(0),
        });
        watch(Arc::clone(&replicas), primary.clone(), max_lag.min(MAX_REPLICA_LAG));
        Ok(replicas)
    }

    /// The pool a read goes to, when the current task is inside [`reading`] and a replica
    /// qualifies.
    pub(crate) fn for_read(&self) -> Option<&AnyPool> {
        READING.try_with(|after| *after).ok().and_then(|after| self.pick(after))
    }

    /// Reads served by replicas, and reads that went to the primary because none qualified.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.served.load(Ordering::Relaxed), self.fell_back.load(Ordering::Relaxed))
    }
}

/// The primary's current WAL position.
pub(crate) async fn write_position(primary: &AnyPool) -> Result<u64> {
    let text: String = sqlx::query_scalar("SELECT CAST(pg_current_wal_lsn() AS TEXT)").fetch_one(primary).await?;
    parse_lsn(&text).ok_or_else(|| crate::StoreError::Corrupt(format!("a WAL position '{text}'")))
}

/// Samples the primary and the replicas until the primary's pool closes.
fn watch(replicas: Arc<Replicas>, primary: AnyPool, max_lag: Duration) {
    tokio::spawn(async move {
        // The primary's positions over the last `max_lag` (and one sample more).
        let mut history: VecDeque<(Instant, u64)> = VecDeque::new();
        while !primary.is_closed() {
            let sampled = tokio::time::timeout(
                Duration::from_secs(1),
                sqlx::query_scalar::<_, String>("SELECT CAST(pg_current_wal_lsn() AS TEXT)").fetch_one(&primary),
            )
            .await;
            if let Ok(Ok(text)) = sampled
                && let Some(lsn) = parse_lsn(&text)
            {
                history.push_back((Instant::now(), lsn));
            }
            while history.len() > 1 && history[1].0.elapsed() >= max_lag {
                history.pop_front();
            }
            // What the primary had written `max_lag` ago (the oldest sample kept): a replica
            // must have replayed at least that much.
            let bound = history.front().filter(|(at, _)| at.elapsed() >= max_lag).map(|(_, lsn)| *lsn);
            for replica in &replicas.all {
                let replayed = tokio::time::timeout(
                    Duration::from_secs(1),
                    sqlx::query_scalar::<_, Option<String>>("SELECT CAST(pg_last_wal_replay_lsn() AS TEXT)")
                        .fetch_one(&replica.pool),
                )
                .await;
                // NULL: not in recovery, so not a replica (for instance promoted by a failover).
                let position = match replayed {
                    Ok(Ok(Some(text))) => parse_lsn(&text),
                    _ => None,
                };
                let usable = position.is_some_and(|p| bound.is_none_or(|b| p >= b));
                if usable != replica.usable.load(Ordering::Acquire) {
                    tracing::info!(replica = %replica.name, usable, "read replica");
                }
                replica.replayed.store(position.unwrap_or(0), Ordering::Release);
                replica.usable.store(usable, Ordering::Release);
            }
            tokio::time::sleep(SAMPLE_EVERY).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::parse_lsn;

    #[test]
    fn wal_positions_read_as_numbers_in_order() {
        assert_eq!(parse_lsn("0/0"), Some(0));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert!(parse_lsn("1/0") > parse_lsn("0/FFFFFFFF"));
        assert_eq!(parse_lsn("nope"), None);
        assert_eq!(parse_lsn("1/2/3"), None);
        assert_eq!(parse_lsn("100000000/0"), None);
    }
}
