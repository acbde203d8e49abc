//! Slows down guessing: an address that presented too many bad credentials within a window is refused outright
//! until the window ends, before its credential is even looked at. Counts only failures, so people who sign in
//! correctly are never held up.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Bad credentials an address may present per window.
pub const MAX_FAILURES: u32 = 10;
/// Length of a window.
pub const WINDOW_MS: i64 = 60_000;
/// Addresses remembered at most; past this, windows that have ended are forgotten first.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Default)]
pub struct FailureLimiter {
    windows: Mutex<HashMap<IpAddr, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started_ms: i64,
    failures: u32,
}

impl FailureLimiter {
    /// Milliseconds `address` must still wait, or `None` when it may try.
    pub fn blocked_for(&self, address: IpAddr, now_ms: i64) -> Option<i64> {
        let windows = self.windows.lock().expect("limiter lock");
        let window = windows.get(&address)?;
        let ends = window.started_ms + WINDOW_MS;
        (window.failures >= MAX_FAILURES && now_ms < ends).then_some(ends - now_ms)
    }

    /// Counts one bad credential from `address`.
    pub fn failed(&self, address: IpAddr, now_ms: i64) {
        let mut windows = self.windows.lock().expect("limiter lock");
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, w| now_ms < w.started_ms + WINDOW_MS);
        }
        let window = windows.entry(address).or_insert(Window {
            started_ms: now_ms,
            failures: 0,
        });
        if now_ms >= window.started_ms + WINDOW_MS {
            *window = Window {
                started_ms: now_ms,
                failures: 0,
            };
        }
        window.failures += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_held_after_too_many_failures_until_its_window_ends() {
        let limiter = FailureLimiter::default();
        let guesser: IpAddr = "10.0.0.9".parse().unwrap();
        let neighbour: IpAddr = "10.0.0.10".parse().unwrap();
        for _ in 0..MAX_FAILURES - 1 {
            limiter.failed(guesser, 1_000);
        }
        assert_eq!(limiter.blocked_for(guesser, 1_000), None);
        limiter.failed(guesser, 2_000);
        assert_eq!(limiter.blocked_for(guesser, 2_000), Some(WINDOW_MS - 1_000));
        assert_eq!(limiter.blocked_for(neighbour, 2_000), None);
        assert_eq!(limiter.blocked_for(guesser, 1_000 + WINDOW_MS), None);
        limiter.failed(guesser, 1_000 + WINDOW_MS);
        assert_eq!(limiter.blocked_for(guesser, 1_000 + WINDOW_MS), None);
    }
}
