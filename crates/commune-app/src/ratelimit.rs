//! Keyed rate limits (GCRA, from the `governor` crate) for logins and sign-ups, and the login
//! slow-down: failed logins against a handle from anywhere make the next attempts on it wait a
//! little longer (up to two seconds), which slows a distributed guesser without ever locking the
//! owner out.

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

/// Failed logins per handle, as a growing delay.
#[derive(Default)]
pub struct Slowdown {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, std::time::Instant)>>,
}

/// Failures forgiven before any delay, the longest delay, and how long failures are remembered.
const FREE_FAILURES: u32 = 5;
const MAX_DELAY_MS: u64 = 2_000;
const REMEMBER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl Slowdown {
    /// How long an attempt on `handle` waits now: 0 for the first few failures, then doubling
    /// from 100 ms up to two seconds.
    pub fn delay(&self, handle: &str) -> std::time::Duration {
        let Ok(failures) = self.failures.lock() else { return std::time::Duration::ZERO };
        let count = match failures.get(handle) {
            Some((count, at)) if at.elapsed() < REMEMBER => *count,
            _ => 0,
        };
        let over = count.saturating_sub(FREE_FAILURES);
        if over == 0 {
            return std::time::Duration::ZERO;
        }
        std::time::Duration::from_millis((100u64 << over.min(5)).min(MAX_DELAY_MS))
    }

    pub fn failed(&self, handle: &str) {
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.len() > MAX_KEYS {
            failures.retain(|_, (_, at)| at.elapsed() < REMEMBER);
            if failures.len() > MAX_KEYS {
                failures.clear();
            }
        }
        let entry = failures.entry(handle.to_owned()).or_insert((0, std::time::Instant::now()));
        if entry.1.elapsed() >= REMEMBER {
            entry.0 = 0;
        }
        *entry = (entry.0.saturating_add(1), std::time::Instant::now());
    }

    pub fn succeeded(&self, handle: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(handle);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_and_a_success_forgives() {
        let s = Slowdown::default();
        for _ in 0..FREE_FAILURES {
            s.failed("ada");
        }
        assert_eq!(s.delay("ada"), std::time::Duration::ZERO);
        s.failed("ada");
        assert_eq!(s.delay("ada").as_millis(), 200);
        for _ in 0..20 {
            s.failed("ada");
        }
        assert_eq!(s.delay("ada").as_millis(), u128::from(MAX_DELAY_MS), "bounded");
        assert_eq!(s.delay("bruno"), std::time::Duration::ZERO);
        s.succeeded("ada");
        assert_eq!(s.delay("ada"), std::time::Duration::ZERO);
    }
}
