//! The circuit breaker in front of a department system: a pure state machine over an
//! injected clock (`Instant`s passed in), so every transition is unit-tested.
//!
//! States: **closed** (calls go out; consecutive failures are counted) → after
//! `failure_threshold` consecutive failures **open** (no calls until `open_for` has passed)
//! → **half-open** (exactly one probe call may go out; its success closes the breaker, its
//! failure opens it again for `open_for`). Any success resets the count.
//!
//! Invariant: while open, [`Breaker::permit`] never allows a call; in half-open at most one
//! call is outstanding.

use std::time::{Duration, Instant};

/// Breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open the breaker (at least 1).
    pub failure_threshold: u32,
    /// How long it stays open before a probe.
    pub open_for: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { consecutive_failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// What the breaker says about a call now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Call.
    Call,
    /// Do not call before this instant.
    WaitUntil(Instant),
}

/// A circuit breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    settings: BreakerSettings,
    state: State,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            state: State::Closed {
                consecutive_failures: 0,
            },
        }
    }

    /// May a call go out at `now`? A `Call` in half-open state reserves the one probe.
    pub fn permit(&mut self, now: Instant) -> Permit {
        match self.state {
            State::Closed { .. } => Permit::Call,
            State::Open { until } if now < until => Permit::WaitUntil(until),
            State::Open { .. } | State::HalfOpen { probing: false } => {
                self.state = State::HalfOpen { probing: true };
                Permit::Call
            }
            // A probe is out: whoever asks waits for its outcome (retry shortly).
            State::HalfOpen { probing: true } => {
                Permit::WaitUntil(now + self.settings.open_for.min(Duration::from_millis(100)))
            }
        }
    }

    /// The call succeeded.
    pub fn success(&mut self) {
        self.state = State::Closed {
            consecutive_failures: 0,
        };
    }

    /// The call failed transiently at `now`. Returns whether the breaker is now open.
    pub fn failure(&mut self, now: Instant) -> bool {
        let threshold = self.settings.failure_threshold.max(1);
        self.state = match self.state {
            State::Closed {
                consecutive_failures,
            } if consecutive_failures + 1 < threshold => State::Closed {
                consecutive_failures: consecutive_failures + 1,
            },
            _ => State::Open {
                until: now + self.settings.open_for,
            },
        };
        matches!(self.state, State::Open { .. })
    }

    /// Whether the breaker is open (or probing) rather than closed.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: BreakerSettings = BreakerSettings {
        failure_threshold: 3,
        open_for: Duration::from_secs(5),
    };

    #[test]
    fn opens_after_consecutive_failures_and_probes_once_after_the_wait() {
        let t0 = Instant::now();
        let mut b = Breaker::new(S);
        assert_eq!(b.permit(t0), Permit::Call);
        assert!(!b.failure(t0));
        assert!(!b.failure(t0));
        b.success(); // resets the count
        assert!(!b.failure(t0));
        assert!(!b.failure(t0));
        assert!(b.failure(t0), "third consecutive failure opens");
        assert_eq!(b.permit(t0), Permit::WaitUntil(t0 + S.open_for));
        let later = t0 + S.open_for;
        assert_eq!(b.permit(later), Permit::Call, "the probe");
        assert!(
            matches!(b.permit(later), Permit::WaitUntil(_)),
            "one probe at a time"
        );
        assert!(b.failure(later), "a failed probe opens again");
        assert_eq!(b.permit(later), Permit::WaitUntil(later + S.open_for));
        let again = later + S.open_for;
        assert_eq!(b.permit(again), Permit::Call);
        b.success();
        assert!(!b.is_open());
        assert_eq!(b.permit(again), Permit::Call);
    }

    #[test]
    fn a_threshold_of_zero_is_read_as_one() {
        let t0 = Instant::now();
        let mut b = Breaker::new(BreakerSettings {
            failure_threshold: 0,
            open_for: Duration::from_secs(1),
        });
        assert!(b.failure(t0));
    }
}
