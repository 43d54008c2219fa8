//! The accounts cache: accounts as of a ledger version, kept between batches.

use super::rows::AccountRow;
use std::collections::HashMap;

/// At most this many accounts are cached; beyond it, misses are read from the database.
pub(crate) const CACHE_MAX_ACCOUNTS: usize = 2_000_000;

/// Ledger accounts as they stood at ledger version `version`. Every transaction that changes
/// balances bumps the version in `ledger_head` while it holds the write lock; a transaction
/// that finds the version it expects uses the cache, any other clears it (another process or an
/// unfinished commit got in between). A transaction's own changes enter the cache only after
/// its commit succeeded.
#[derive(Debug, Default)]
pub(crate) struct AccountCache {
    pub(crate) version: i64,
    pub(crate) accounts: HashMap<u128, AccountRow>,
    /// The largest transfer id stored, when known: a batch's ids above it cannot be retries,
    /// so only the others are looked up (clients that use time-ordered ids, as TigerBeetle
    /// recommends, skip the lookup altogether).
    pub(crate) max_transfer_id: Option<u128>,
}

impl AccountCache {
    pub(crate) fn reset(&mut self, version: i64) {
        self.accounts.clear();
        self.max_transfer_id = None;
        self.version = version;
    }
}

pub(crate) type Cache = std::sync::Mutex<AccountCache>;

pub(crate) fn with_cache<T>(cache: &Cache, f: impl FnOnce(&mut AccountCache) -> T) -> T {
    let mut guard = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

/// After a commit from `base`: the cache moves to `base + 1` with the changed rows, unless
/// something else moved it meanwhile (then it is dropped).
pub(crate) fn after_commit(cache: &Cache, base: i64, changed: Vec<AccountRow>, max_written: Option<u128>) {
    with_cache(cache, |c| {
        if c.version == base {
            for row in changed {
                c.accounts.insert(row.account.id, row);
            }
            if let (Some(max), Some(written)) = (c.max_transfer_id, max_written) {
                c.max_transfer_id = Some(max.max(written));
            }
            c.version = base + 1;
        } else {
            c.reset(-1);
        }
    });
}
