//! [`RuntimeConfig`]: the settings every adapter shares (the hub connection, the adapter's
//! store, the outbound retry and breaker policy, how often the identity view is reported). Each department's own settings (its
//! system's address, where the adapter listens for it, organisation code, timeouts) live in
//! its crate's `config`.
//!
//! Invariant: [`RuntimeConfig::validate`] checks every field without I/O; the runtime
//! starts nothing with a configuration it refused.

use std::path::PathBuf;
use std::time::Duration;

use hub::recoverability::RetryPolicy;
use hub::transport::amqp::AmqpConfig;
use serde::{Deserialize, Serialize};

use crate::backoff::Backoff;
use crate::breaker::BreakerSettings;
use crate::error::RuntimeError;

/// Settings shared by every adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// The hub's RabbitMQ, with **this adapter's own broker user** in the URL (it may
    /// publish only under its department's routing-key prefix and read only its delivery
    /// queue). Absent when the adapter runs inside the embedded demo.
    #[serde(default)]
    pub amqp: Option<AmqpConfig>,
    /// The adapter's SQLite file: delivered message ids and refused inbound documents.
    #[serde(default = "default_store_path")]
    pub store_path: PathBuf,
    /// Outbound delivery policy.
    #[serde(default)]
    pub outbound: OutboundConfig,
    /// Seconds between two reports of the adapter's identity view to the hub
    /// (`IDENTITY_DIGEST`, [`crate::identity`]); the first report goes out one interval
    /// after the start. 0 turns the reports off. Needed by the departments that receive
    /// `IDENTITY_UPDATE` (POLICE, HEALTH, STATION); elsewhere the view is empty. At most
    /// [`MAX_IDENTITY_DIGEST_INTERVAL_S`] (30 days).
    #[serde(default = "default_identity_digest_interval_s")]
    pub identity_digest_interval_s: u64,
}

/// The longest interval between identity reports (30 days).
pub const MAX_IDENTITY_DIGEST_INTERVAL_S: u64 = 30 * 24 * 3600;

fn default_store_path() -> PathBuf {
    PathBuf::from("data/adapter.sqlite")
}

fn default_identity_digest_interval_s() -> u64 {
    3_600
}

/// How deliveries are carried to the department system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundConfig {
    /// Deliveries taken from the hub at a time (1 keeps the department's order strictly).
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// Failures of one delivery retried in place (with back-off) before a delayed retry.
    #[serde(default = "default_immediate_retries")]
    pub immediate_retries: u32,
    /// First in-place back-off delay; doubles per retry.
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    /// Longest in-place back-off delay.
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// Part of each back-off delay randomised away, in percent (spreads retries).
    #[serde(default = "default_jitter_percent")]
    pub jitter_percent: u8,
    /// Delays of the transport's delayed retries, one per step (the hub's retry queues).
    #[serde(default = "default_retry_delays_ms")]
    pub retry_delays_ms: Vec<u64>,
    /// Failures of one delivery after which it is dead-lettered as exhausted.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Consecutive failures that open the circuit breaker.
    #[serde(default = "default_breaker_failure_threshold")]
    pub breaker_failure_threshold: u32,
    /// How long the breaker stays open before one probe call.
    #[serde(default = "default_breaker_open_ms")]
    pub breaker_open_ms: u64,
}

fn default_prefetch() -> u16 {
    1
}
fn default_immediate_retries() -> u32 {
    3
}
fn default_backoff_base_ms() -> u64 {
    200
}
fn default_backoff_max_ms() -> u64 {
    5_000
}
fn default_jitter_percent() -> u8 {
    50
}
fn default_retry_delays_ms() -> Vec<u64> {
    vec![5_000, 60_000, 600_000]
}
fn default_max_attempts() -> u32 {
    12
}
fn default_breaker_failure_threshold() -> u32 {
    3
}
fn default_breaker_open_ms() -> u64 {
    2_000
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            prefetch: default_prefetch(),
            immediate_retries: default_immediate_retries(),
            backoff_base_ms: default_backoff_base_ms(),
            backoff_max_ms: default_backoff_max_ms(),
            jitter_percent: default_jitter_percent(),
            retry_delays_ms: default_retry_delays_ms(),
            max_attempts: default_max_attempts(),
            breaker_failure_threshold: default_breaker_failure_threshold(),
            breaker_open_ms: default_breaker_open_ms(),
        }
    }
}

impl OutboundConfig {
    /// The retry policy for [`hub::recoverability::decide`].
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            immediate_retries: self.immediate_retries,
            delays_ms: self.retry_delays_ms.clone(),
            max_attempts: self.max_attempts,
        }
    }

    /// The in-place back-off.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            base: Duration::from_millis(self.backoff_base_ms),
            max: Duration::from_millis(self.backoff_max_ms),
            jitter_percent: self.jitter_percent,
        }
    }

    /// The breaker settings.
    pub fn breaker(&self) -> BreakerSettings {
        BreakerSettings {
            failure_threshold: self.breaker_failure_threshold,
            open_for: Duration::from_millis(self.breaker_open_ms),
        }
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            amqp: None,
            store_path: default_store_path(),
            outbound: OutboundConfig::default(),
            identity_digest_interval_s: default_identity_digest_interval_s(),
        }
    }
}

impl RuntimeConfig {
    /// Checks every field without I/O.
    pub fn validate(&self) -> Result<(), RuntimeError> {
        let invalid = |what: &str| Err(RuntimeError::Config(what.to_owned()));
        if let Some(amqp) = &self.amqp {
            amqp.validate()
                .map_err(|e| RuntimeError::Config(e.to_string()))?;
        }
        let o = &self.outbound;
        if o.prefetch == 0 {
            return invalid("outbound.prefetch must be at least 1");
        }
        if o.backoff_base_ms == 0 || o.backoff_base_ms > o.backoff_max_ms {
            return invalid("need 0 < outbound.backoff_base_ms <= outbound.backoff_max_ms");
        }
        if o.jitter_percent > 100 {
            return invalid("outbound.jitter_percent is at most 100");
        }
        if o.retry_delays_ms.is_empty() || o.retry_delays_ms.contains(&0) {
            return invalid("outbound.retry_delays_ms needs steps of at least 1 ms");
        }
        if o.max_attempts == 0 {
            return invalid("outbound.max_attempts must be at least 1");
        }
        if o.breaker_failure_threshold == 0 || o.breaker_open_ms == 0 {
            return invalid(
                "outbound.breaker_failure_threshold and breaker_open_ms must be at least 1",
            );
        }
        if self.identity_digest_interval_s > MAX_IDENTITY_DIGEST_INTERVAL_S {
            return invalid("identity_digest_interval_s is at most 2592000 (30 days; 0 = off)");
        }
        Ok(())
    }

    /// The interval between identity reports, `None` when they are off.
    pub fn identity_digest_interval(&self) -> Option<Duration> {
        (self.identity_digest_interval_s > 0)
            .then(|| Duration::from_secs(self.identity_digest_interval_s))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_valid_and_each_bad_field_is_named() {
        RuntimeConfig::default().validate().unwrap();
        type Change = Box<dyn Fn(&mut RuntimeConfig)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|c| c.outbound.prefetch = 0), "prefetch"),
            (
                Box::new(|c| c.outbound.backoff_base_ms = 0),
                "backoff_base_ms",
            ),
            (
                Box::new(|c| c.outbound.jitter_percent = 101),
                "jitter_percent",
            ),
            (
                Box::new(|c| c.outbound.retry_delays_ms = vec![]),
                "retry_delays_ms",
            ),
            (Box::new(|c| c.outbound.max_attempts = 0), "max_attempts"),
            (Box::new(|c| c.outbound.breaker_open_ms = 0), "breaker"),
            (
                Box::new(|c| c.identity_digest_interval_s = u64::MAX),
                "identity_digest_interval_s",
            ),
        ];
        for (change, field) in cases {
            let mut config = RuntimeConfig::default();
            change(&mut config);
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(field), "{error}");
        }
    }
}
