//! The embedded transport's configuration (`[transport.embedded]` in `hub.toml`).
//!
//! Invariant: [`EmbeddedConfig::validate`] does no I/O; [`super::EmbeddedTransport::open`]
//! refuses a configuration that fails it, so the running transport can rely on every bound
//! below (a lease, a poll interval and a batch are never zero; retry steps ascend).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::EmbeddedError;

/// Settings of the embedded SQLite transport. Every duration is in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedConfig {
    /// How long a claimed delivery stays invisible to every other consumer. The lease is
    /// renewed while its delivery (or the consumer's prefetch buffer holding it) is alive,
    /// so a slow handler keeps its message; a consumer that dies (crash, dropped handle)
    /// stops renewing, and the message becomes deliverable again when the lease expires.
    #[serde(default = "default_lease_ms")]
    pub lease_ms: u64,
    /// How often an idle consumer looks for work it was not woken for: expired leases and
    /// retried messages whose delay is over (new publishes wake consumers at once).
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Retry delay steps, strictly ascending; `retry_later(d)` makes the message visible
    /// again after the smallest step `>= d` (the largest step when `d` exceeds them all),
    /// like the retry queues of the RabbitMQ transport.
    #[serde(default = "default_retry_delays_ms")]
    pub retry_delays_ms: Vec<u64>,
    /// Deliveries of one message without settling it before the transport moves it to the
    /// dead-letter queue itself (stage `DELIVERY_LIMIT`, rule 5). A message is delivered at
    /// most this many times per attempt.
    #[serde(default = "default_delivery_limit")]
    pub delivery_limit: u32,
    /// Most queue writes (publishes, claims, settlements) committed in one transaction by
    /// the group-commit writer.
    #[serde(default = "default_group_commit_max_batch")]
    pub group_commit_max_batch: u32,
    /// Longest time the writer waits for more writes to join a batch once it holds one, and
    /// only while other writers are active (a lone sequential writer is never delayed). 0
    /// (the default) waits for no timer: the writer only yields to the scheduler until
    /// nothing more arrives, which lets every caller the previous commit answered join the
    /// batch. A positive wait pays off only when a commit takes much longer than the wait
    /// (the timer's resolution is a millisecond); on an SSD it cuts throughput by 2 to 4
    /// times (`docs/dev/benchmarks.md`).
    #[serde(default = "default_group_commit_max_wait_ms")]
    pub group_commit_max_wait_ms: u64,
    /// The identity reported as `authenticated_user` of messages published through this
    /// handle; in-process departments get their own handle with
    /// [`super::EmbeddedTransport::as_publisher`].
    #[serde(default = "default_publisher")]
    pub publisher: String,
}

fn default_lease_ms() -> u64 {
    30_000
}
fn default_poll_interval_ms() -> u64 {
    200
}
fn default_retry_delays_ms() -> Vec<u64> {
    vec![5_000, 60_000, 600_000]
}
fn default_delivery_limit() -> u32 {
    10
}
fn default_group_commit_max_batch() -> u32 {
    256
}
fn default_group_commit_max_wait_ms() -> u64 {
    0
}
fn default_publisher() -> String {
    "hub".to_owned()
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            lease_ms: default_lease_ms(),
            poll_interval_ms: default_poll_interval_ms(),
            retry_delays_ms: default_retry_delays_ms(),
            delivery_limit: default_delivery_limit(),
            group_commit_max_batch: default_group_commit_max_batch(),
            group_commit_max_wait_ms: default_group_commit_max_wait_ms(),
            publisher: default_publisher(),
        }
    }
}

/// Longest accepted duration: about 292 million years would overflow the `i64`
/// milliseconds the queue table stores; ten years is plenty and keeps sums far from it.
const MAX_DURATION_MS: u64 = 10 * 366 * 24 * 3_600 * 1_000;

impl EmbeddedConfig {
    /// Checks every field without I/O.
    pub fn validate(&self) -> Result<(), EmbeddedError> {
        if self.lease_ms == 0 || self.lease_ms > MAX_DURATION_MS {
            return Err(invalid("lease_ms must be between 1 and ten years"));
        }
        if self.poll_interval_ms == 0 || self.poll_interval_ms > MAX_DURATION_MS {
            return Err(invalid("poll_interval_ms must be between 1 and ten years"));
        }
        if self.retry_delays_ms.is_empty() {
            return Err(invalid("retry_delays_ms needs at least one step"));
        }
        if self.retry_delays_ms.contains(&0) {
            return Err(invalid("retry_delays_ms steps must be at least 1 ms"));
        }
        if self.retry_delays_ms.iter().any(|&ms| ms > MAX_DURATION_MS) {
            return Err(invalid("retry_delays_ms steps must be at most ten years"));
        }
        if self.retry_delays_ms.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid("retry_delays_ms must be strictly ascending"));
        }
        if self.delivery_limit == 0 {
            return Err(invalid("delivery_limit must be at least 1"));
        }
        if self.group_commit_max_batch == 0 {
            return Err(invalid("group_commit_max_batch must be at least 1"));
        }
        if self.group_commit_max_wait_ms > 1_000 {
            return Err(invalid("group_commit_max_wait_ms must be at most 1000"));
        }
        if self.publisher.is_empty() {
            return Err(invalid("publisher must not be empty"));
        }
        Ok(())
    }

    /// The retry step for a requested delay: the smallest step `>= delay`, else the largest
    /// step (transport rule 3); the delay itself when no steps are configured (which
    /// [`EmbeddedConfig::validate`] refuses).
    pub fn retry_step_ms(&self, delay: Duration) -> u64 {
        let wanted = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.retry_delays_ms
            .iter()
            .copied()
            .find(|&step| step >= wanted)
            .or_else(|| self.retry_delays_ms.iter().copied().max())
            .unwrap_or(wanted)
    }

    /// The lease as a [`Duration`].
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms)
    }

    /// The poll interval as a [`Duration`].
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// How often live leases are renewed: a third of the lease, so two renewals can be
    /// late before a lease held by a live delivery expires.
    pub(super) fn renew_interval(&self) -> Duration {
        Duration::from_millis((self.lease_ms / 3).max(1))
    }
}

fn invalid(detail: impl Into<String>) -> EmbeddedError {
    EmbeddedError::Config(detail.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn retry_steps_pick_the_smallest_step_at_least_the_delay() {
        let config = EmbeddedConfig::default();
        let step = |ms| config.retry_step_ms(Duration::from_millis(ms));
        assert_eq!(step(0), 5_000);
        assert_eq!(step(1), 5_000);
        assert_eq!(step(5_000), 5_000);
        assert_eq!(step(5_001), 60_000);
        assert_eq!(step(60_000), 60_000);
        assert_eq!(step(600_000), 600_000);
        assert_eq!(
            step(3_600_000),
            600_000,
            "beyond the last step: the last step"
        );
        let single = EmbeddedConfig {
            retry_delays_ms: vec![100],
            ..EmbeddedConfig::default()
        };
        assert_eq!(single.retry_step_ms(Duration::from_millis(10)), 100);
        assert_eq!(single.retry_step_ms(Duration::from_secs(10)), 100);
        assert_eq!(
            single.retry_step_ms(Duration::MAX),
            100,
            "an absurd delay does not overflow"
        );
    }

    #[test]
    fn defaults_are_valid_and_round_trip_through_toml() {
        let config = EmbeddedConfig::default();
        config.validate().unwrap();
        let text = toml::to_string(&config).unwrap();
        let back: EmbeddedConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, config);
        let empty: EmbeddedConfig = toml::from_str("").unwrap();
        assert_eq!(empty, config);
        assert!(toml::from_str::<EmbeddedConfig>("lease_secs = 3").is_err());
    }

    #[test]
    fn bad_values_are_refused() {
        type Mutation = Box<dyn Fn(&mut EmbeddedConfig)>;
        let cases: Vec<Mutation> = vec![
            Box::new(|c| c.lease_ms = 0),
            Box::new(|c| c.poll_interval_ms = 0),
            Box::new(|c| c.retry_delays_ms = vec![]),
            Box::new(|c| c.retry_delays_ms = vec![0, 10]),
            Box::new(|c| c.retry_delays_ms = vec![100, 100]),
            Box::new(|c| c.retry_delays_ms = vec![u64::MAX]),
            Box::new(|c| c.delivery_limit = 0),
            Box::new(|c| c.group_commit_max_batch = 0),
            Box::new(|c| c.group_commit_max_wait_ms = 60_000),
            Box::new(|c| c.publisher = String::new()),
        ];
        for mutate in cases {
            let mut config = EmbeddedConfig::default();
            mutate(&mut config);
            assert!(config.validate().is_err(), "{config:?}");
        }
    }
}
