//! Injectable time. Due dates, overdue checks and lead times read the clock, so tests move time instead of
//! waiting for it.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};
use time::{Date, OffsetDateTime};

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> i64;

    /// The calendar day (UTC) that "today" means for due dates.
    fn today(&self) -> Date {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.now_ms()) * 1_000_000)
            .map(|t| t.date())
            .unwrap_or(Date::MIN)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let now = OffsetDateTime::now_utc();
        (now.unix_timestamp_nanos() / 1_000_000) as i64
    }
}

/// A clock that only moves when told to; for tests and deterministic synthetic data.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at_ms(ms: i64) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(ms)))
    }

    pub fn set_ms(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_ms(1_767_225_600_000); // 2026-01-01T00:00:00Z
        assert_eq!(clock.today(), date!(2026 - 01 - 01));
        clock.advance_ms(86_400_000);
        assert_eq!(clock.today(), date!(2026 - 01 - 02));
    }
}
