//! Keyed rate limits (GCRA, from the `governor` crate) for logins and sign-ups.

use crate::error::AppError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

pub struct Limiter {
    inner: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

/// Keys kept before stale ones are swept, so memory stays bounded under a flood of new keys.
const MAX_KEYS: usize = 100_000;

impl Limiter {
    pub fn per_minute(n: u32) -> Limiter {
        let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        Limiter { inner: RateLimiter::keyed(Quota::per_minute(n)), clock: DefaultClock::default() }
    }

    /// Counts one attempt for `key`; `RateLimited` once the quota is spent.
    pub fn check(&self, key: &str) -> Result<(), AppError> {
        if self.inner.len() > MAX_KEYS {
            self.inner.retain_recent();
        }
        self.inner.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            AppError::RateLimited { retry_after_s: wait.as_secs().max(1) }
        })
    }
}
