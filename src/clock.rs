//! Where "now" comes from. Use cases read the time from a `Clock` handed to
//! them, never from the system directly, so that a test of expiry, cooldowns
//! or key activation moves the clock instead of sleeping: a
//! [`ManualClock`] that stands still, or an [`OffsetClock`] that runs with
//! the system's and jumps forward when told.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A std duration as chrono's, saturating at a century.
fn span(by: std::time::Duration) -> Duration {
    Duration::from_std(by).unwrap_or(Duration::days(36_525))
}

/// The current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// What a clock is passed around as.
pub type SharedClock = Arc<dyn Clock>;

/// The system's clock: what `ferrid serve` runs on.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is moved (tests).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// Stopped at `now`.
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Stopped at the system's current time.
    pub fn starting_now() -> Self {
        Self::at(Utc::now())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let by = span(by);
        *self.lock() += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        match self.now.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// The system's time plus however far it has been moved forward: a running
/// server under test, whose other clocks (a command run beside it, Redis,
/// a relying party checking tokens) keep the system's time.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: Mutex<Duration>,
}

impl OffsetClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let by = span(by);
        match self.offset.lock() {
            Ok(mut offset) => *offset += by,
            Err(poisoned) => *poisoned.into_inner() += by,
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = match self.offset.lock() {
            Ok(offset) => *offset,
            Err(poisoned) => *poisoned.into_inner(),
        };
        Utc::now() + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::starting_now();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(std::time::Duration::from_secs(90));
        assert_eq!(clock.now() - start, Duration::seconds(90));
    }

    #[test]
    fn an_offset_clock_runs_with_the_system_and_jumps_when_advanced() {
        let clock = OffsetClock::default();
        let before = Utc::now();
        let first = clock.now();
        assert!(first >= before && clock.now() >= first);
        clock.advance(std::time::Duration::from_secs(3600));
        assert!(clock.now() >= before + Duration::hours(1));
        assert!(clock.now() <= Utc::now() + Duration::hours(1));
    }
}
