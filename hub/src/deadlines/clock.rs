//! Time for the deadline engine: the [`Clock`] trait, the [`SystemClock`] the hub runs on and
//! the [`ManualClock`] tests move by hand.
//!
//! Owns: "now" for everything the engine decides (the accept time of a trigger, the moment a
//! step is due or met, the board's view) and the engine's wait for the next due time.
//!
//! # Invariants
//!
//! * Every decision of the deadline engine reads time from one [`Clock`], never from
//!   `SystemTime::now()` directly, so a test drives days of deadlines without waiting.
//! * [`Clock::sleep_until`] may return early (the engine then simply looks again) but never
//!   later than the moment the clock reaches the deadline: with the [`ManualClock`] it returns
//!   as soon as [`ManualClock::advance`] or [`ManualClock::set`] moves time past it, so no
//!   wake-up is lost.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

/// A boxed future the clock's waits return.
pub type Wait<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Longest single wait of the [`SystemClock`]: the wall clock can be set while the engine
/// sleeps, so it never trusts one computed wait for longer than this.
const LONGEST_SYSTEM_WAIT: Duration = Duration::from_secs(60);

/// Where the deadline engine reads the time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Resolves when the clock has (probably) reached `deadline`; may resolve earlier.
    fn sleep_until(&self, deadline: SystemTime) -> Wait<'_>;
}

/// The wall clock (`SystemTime::now()`), with Tokio timers for the waits.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep_until(&self, deadline: SystemTime) -> Wait<'_> {
        let wait = deadline
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(LONGEST_SYSTEM_WAIT);
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that stands still until it is moved: for tests and what-if runs. Cloning shares
/// the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    /// The current time; receivers wake when it moves.
    time: watch::Sender<SystemTime>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: SystemTime) -> Self {
        ManualClock {
            time: watch::channel(start).0,
        }
    }

    /// Moves the clock forward by `by` (saturating at the largest representable time).
    pub fn advance(&self, by: Duration) {
        self.time.send_modify(|now| {
            if let Some(later) = now.checked_add(by) {
                *now = later;
            }
        });
    }

    /// Sets the clock to `to` (also backwards, to test a wall clock that was set back).
    pub fn set(&self, to: SystemTime) {
        self.time.send_replace(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.time.borrow()
    }

    fn sleep_until(&self, deadline: SystemTime) -> Wait<'_> {
        let mut receiver = self.time.subscribe();
        Box::pin(async move {
            // Err only when the sender is dropped, which cannot happen while `self` lives.
            receiver.wait_for(|now| *now >= deadline).await.ok();
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_its_sleepers_when_moved() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        // Already reached: resolves at once.
        clock.sleep_until(start).await;
        let deadline = start + Duration::from_secs(3_600);
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(deadline).await })
        };
        clock.advance(Duration::from_secs(1_800));
        clock.advance(Duration::from_secs(1_800));
        tokio::time::timeout(Duration::from_secs(10), sleeper)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(clock.now(), deadline);
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}
