//! Following the primary of a replicated PostgreSQL cluster.
//!
//! A database URL may name several hosts, as libpq's multi-host connection strings do and as
//! `pg_autoctl show uri` prints them:
//! `postgres://user:pw@10.0.0.1:5432,10.0.0.2:5432/commune?target_session_attrs=read-write`.
//! sqlx connects to one host only, so the store does what libpq would: it tries the hosts in
//! order and keeps the first that accepts writes (`pg_is_in_recovery()` is false). A watcher
//! checks that host every second; when it dies or is demoted, the watcher finds the new primary
//! and points the pool at it, and connections made before the switch are not handed out again.
//! Writers that meet an unavailable database wait for the switch (bounded) instead of failing.

use crate::error::{Result, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a write waits for a primary before it fails: a failover manager's detection and
/// promotion take seconds (pg_auto_failover's defaults: about 30 s).
pub const WAIT_FOR_PRIMARY: Duration = Duration::from_secs(45);
/// How often the watcher checks the primary, and how long one check may take.
const CHECK_EVERY: Duration = Duration::from_secs(1);
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The hosts of a multi-host PostgreSQL URL, each as a one-host URL. `None` for a one-host URL.
/// `target_session_attrs` is consumed here (the store always wants the read-write host); any
/// other value than `read-write` or `primary` is refused, since a write pool on a standby fails.
pub fn hosts_of(url: &str) -> Result<Option<Vec<String>>> {
    let bad = |why: &str| StoreError::Migration(format!("database URL {}: {why}", crate::redact(url)));
    let Some((scheme, rest)) = url.split_once("://") else { return Ok(None) };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (userinfo, hostlist) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("target_session_attrs", "read-write" | "primary")) => {}
            Some(("target_session_attrs", other)) => {
                return Err(bad(&format!("target_session_attrs={other}: Commune writes, so it needs read-write")));
            }
            _ => kept.push(pair),
        }
    }
    if !hostlist.contains(',') {
        return Ok(None);
    }
    let user = userinfo.map(|u| format!("{u}@")).unwrap_or_default();
    let query = if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) };
    let mut hosts = Vec::new();
    for host in hostlist.split(',') {
        if host.is_empty() {
            return Err(bad("an empty host in the host list"));
        }
        hosts.push(format!("{scheme}://{user}{host}{path}{query}"));
    }
    Ok(Some(hosts))
}

/// The hosts of a cluster and which of them the pool writes to.
#[derive(Debug)]
pub(crate) struct Primary {
    hosts: Vec<String>,
    state: Mutex<State>,
    wake: tokio::sync::Notify,
}

#[derive(Debug)]
struct State {
    current: usize,
    /// When the pool last moved to another host: older connections are not handed out.
    switched: Option<Instant>,
    /// Whether the last check found the current host writable.
    healthy: bool,
}

impl Primary {
    /// Finds the writable host among `hosts` (in order); fails when none is.
    pub(crate) async fn find(hosts: Vec<String>) -> Result<(Arc<Primary>, String)> {
        let Some(current) = first_writable(&hosts).await else {
            return Err(StoreError::Migration(format!(
                "none of the {} database hosts accepts writes (each is down or a standby): {}",
                hosts.len(),
                hosts.iter().map(|h| crate::redact(h)).collect::<Vec<_>>().join(", ")
            )));
        };
        let url = hosts[current].clone();
        let primary = Primary {
            hosts,
            state: Mutex::new(State { current, switched: None, healthy: true }),
            wake: tokio::sync::Notify::new(),
        };
        Ok((Arc::new(primary), url))
    }

    /// Adds the checks a cluster's pool needs: a new connection must be to a writable server,
    /// and a connection made before the last switch is dropped instead of reused.
    pub(crate) fn guard(self: &Arc<Primary>, options: AnyPoolOptions) -> AnyPoolOptions {
        let on_acquire = Arc::clone(self);
        options
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if in_recovery(conn).await? {
                        return Err(sqlx::Error::Protocol(
                            "this database server is a standby: it refuses writes".into(),
                        ));
                    }
                    Ok(())
                })
            })
            .before_acquire(move |_conn, meta| {
                let switched = on_acquire.state.lock().map(|s| s.switched).unwrap_or(None);
                let fresh = switched.is_none_or(|at| meta.age < at.elapsed());
                Box::pin(async move { Ok(fresh) })
            })
    }

    /// Watches the primary until the pool closes: every second, or at once when woken.
    pub(crate) fn watch(self: Arc<Primary>, pool: AnyPool) {
        tokio::spawn(async move {
            while !pool.is_closed() {
                let _ = tokio::time::timeout(CHECK_EVERY, self.wake.notified()).await;
                let ok = matches!(
                    tokio::time::timeout(
                        CHECK_TIMEOUT,
                        sqlx::query_scalar::<_, i32>("SELECT CAST(pg_is_in_recovery() AS INTEGER)").fetch_one(&pool)
                    )
                    .await,
                    Ok(Ok(0))
                );
                if ok {
                    self.set_healthy(true);
                    continue;
                }
                self.set_healthy(false);
                let Some(found) = first_writable(&self.hosts).await else { continue };
                let Ok(options) = AnyConnectOptions::from_str(&self.hosts[found]) else { continue };
                // The same host again (it restarted, or the pool was only busy): its pooled
                // connections are kept; a broken one fails its ping and is replaced.
                let moved = match self.state.lock() {
                    Ok(mut state) => {
                        let moved = state.current != found;
                        if moved {
                            state.current = found;
                            state.switched = Some(Instant::now());
                        }
                        state.healthy = true;
                        moved
                    }
                    Err(_) => false,
                };
                if moved {
                    pool.set_connect_options(options);
                    tracing::warn!(primary = %crate::redact(&self.hosts[found]), "the database primary moved; writing there now");
                }
            }
        });
    }

    fn set_healthy(&self, healthy: bool) {
        if let Ok(mut state) = self.state.lock() {
            state.healthy = healthy;
        }
    }

    /// Asks the watcher to check now, and waits (up to [`WAIT_FOR_PRIMARY`] from `since`) until
    /// a check finds a writable primary. False when the time ran out.
    pub(crate) async fn wait(&self, since: Instant) -> bool {
        self.set_healthy(false);
        while since.elapsed() < WAIT_FOR_PRIMARY {
            self.wake.notify_one();
            tokio::time::sleep(Duration::from_millis(200)).await;
            if self.state.lock().map(|s| s.healthy).unwrap_or(false) {
                return true;
            }
        }
        false
    }
}

async fn in_recovery(conn: &mut sqlx::AnyConnection) -> std::result::Result<bool, sqlx::Error> {
    let standby: i32 = sqlx::query_scalar("SELECT CAST(pg_is_in_recovery() AS INTEGER)").fetch_one(conn).await?;
    Ok(standby != 0)
}

/// The first host, in order, that answers and is not a standby.
async fn first_writable(hosts: &[String]) -> Option<usize> {
    for (i, url) in hosts.iter().enumerate() {
        let probe = async {
            let mut conn = sqlx::AnyConnection::connect(url).await?;
            let standby = in_recovery(&mut conn).await;
            let _ = conn.close().await;
            standby
        };
        if let Ok(Ok(false)) = tokio::time::timeout(CHECK_TIMEOUT, probe).await {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::hosts_of;

    #[test]
    fn a_multi_host_url_becomes_one_url_per_host() {
        let hosts = hosts_of("postgres://u:p@a:1,b:2,[::1]:3/db?sslmode=disable&target_session_attrs=read-write")
            .ok()
            .flatten();
        assert_eq!(
            hosts,
            Some(vec![
                "postgres://u:p@a:1/db?sslmode=disable".to_owned(),
                "postgres://u:p@b:2/db?sslmode=disable".to_owned(),
                "postgres://u:p@[::1]:3/db?sslmode=disable".to_owned(),
            ])
        );
        assert_eq!(
            hosts_of("postgres://a:1,b:2/db").ok().flatten(),
            Some(vec!["postgres://a:1/db".to_owned(), "postgres://b:2/db".to_owned()])
        );
    }

    #[test]
    fn one_host_is_not_a_cluster_and_standby_targets_are_refused() {
        assert_eq!(hosts_of("postgres://u:p@a:1/db").ok().flatten(), None);
        assert_eq!(hosts_of("postgres://u:p@a:1/db?target_session_attrs=read-write").ok().flatten(), None);
        assert!(hosts_of("postgres://a,b/db?target_session_attrs=standby").is_err());
        assert!(hosts_of("postgres://a,,b/db").is_err());
        // A password may hold a comma or an @: only the part after the last @ is the host list.
        assert_eq!(
            hosts_of("postgres://u:p,@x@a,b/db").ok().flatten(),
            Some(vec!["postgres://u:p,@x@a/db".to_owned(), "postgres://u:p,@x@b/db".to_owned()])
        );
    }
}
