//! Jittered exponential back-off, as a pure function of the attempt and a random fraction,
//! so it is tested without clocks or randomness.
//!
//! Invariant: the delay of attempt `n` (1-based) lies in
//! `[base·2^(n−1)·(1−jitter), base·2^(n−1)]`, capped at `max`; "full jitter" spreads retries
//! of many adapters that failed at the same moment.

use std::time::Duration;

/// Back-off settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay of the first retry before jitter.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Fraction of the delay that is randomised away, in percent (0 = no jitter, 100 = full
    /// jitter).
    pub jitter_percent: u8,
}

impl Backoff {
    /// The delay before retry `attempt` (1 = first retry), given a random `fraction` in
    /// `[0, 1)`.
    pub fn delay(&self, attempt: u32, fraction: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1_u32 << exponent).min(self.max);
        let jitter = f64::from(self.jitter_percent.min(100)) / 100.0;
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        full.mul_f64(1.0 - jitter * fraction)
    }

    /// The delay before retry `attempt`, with a fresh random fraction.
    pub fn delay_now(&self, attempt: u32) -> Duration {
        self.delay(attempt, fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        base: Duration::from_millis(100),
        max: Duration::from_secs(5),
        jitter_percent: 50,
    };

    #[test]
    fn doubles_up_to_the_cap_and_jitter_only_shortens() {
        assert_eq!(B.delay(1, 0.0), Duration::from_millis(100));
        assert_eq!(B.delay(2, 0.0), Duration::from_millis(200));
        assert_eq!(B.delay(4, 0.0), Duration::from_millis(800));
        assert_eq!(B.delay(20, 0.0), Duration::from_secs(5));
        assert_eq!(B.delay(u32::MAX, 0.0), Duration::from_secs(5));
        assert_eq!(B.delay(1, 0.999_999).as_millis(), 50);
        assert_eq!(B.delay(0, 0.5), Duration::from_millis(75));
        assert_eq!(B.delay(1, f64::NAN), Duration::from_millis(100));
        for attempt in 1..40 {
            let d = B.delay_now(attempt);
            assert!(d <= Duration::from_secs(5));
            assert!(d >= Duration::from_millis(50));
        }
    }
}
