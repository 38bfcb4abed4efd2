//! The RabbitMQ transport's configuration (`[transport.amqp]` in `hub.toml`).
//!
//! Invariants: [`AmqpConfig::validate`] does no I/O and runs before anything connects; a
//! [`ValidatedUrl`] always names a non-empty vhost and the host as written (see the two URI
//! pitfalls below), so the transport never connects somewhere else than configured.
//!
//! URI pitfalls handled here:
//! * `amqp://host:5672/` (trailing slash) means the vhost `""`, not `/`; write
//!   `amqp://host:5672/%2f` (or omit the path) for `/`. An empty vhost is refused.
//! * amq-protocol-uri 10.6 keeps only what `url` calls a *domain*: for an IPv6 literal
//!   (`amqp://[fd00::5]`) its parser silently falls back to `localhost`. [`ValidatedUrl`]
//!   re-reads the host with the `url` crate (through `reqwest::Url`) and puts it back.

use std::str::FromStr;
use std::time::Duration;

use lapin::uri::AMQPUri;
use serde::{Deserialize, Serialize};

use super::AmqpError;

/// Connection and delivery settings of the RabbitMQ transport. `Debug` hides the password
/// of `url` (configurations are logged).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpConfig {
    /// Broker URI with credentials and percent-encoded vhost, e.g.
    /// `amqp://hub:secret@127.0.0.1:5672/%2f`. A trailing `/` alone means the vhost `""`
    /// (refused); `%2f` is the vhost `/`. The user is also the `user_id` of every publish.
    #[serde(default = "default_url")]
    pub url: String,
    /// Unsettled deliveries per consumer when the caller asks for prefetch 0 (per-consumer
    /// QoS; quorum queues refuse global QoS).
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// How long a publish may wait for the broker's confirm (and a first connection) before
    /// it fails with an unknown outcome.
    #[serde(default = "default_confirm_timeout_ms")]
    pub confirm_timeout_ms: u64,
    /// First back-off delay after a lost connection or a failed reconnect.
    #[serde(default = "default_reconnect_initial_ms")]
    pub reconnect_initial_ms: u64,
    /// Longest back-off delay between reconnects (the delay doubles up to this).
    #[serde(default = "default_reconnect_max_ms")]
    pub reconnect_max_ms: u64,
    /// Delay steps of the retry queues, ascending; one quorum queue per work queue and
    /// step (`retry.<queue>.<ms>ms`). `retry_later(d)` uses the smallest step `>= d`.
    #[serde(default = "default_retry_delays_ms")]
    pub retry_delays_ms: Vec<u64>,
    /// Deliveries of one message without settling before the broker dead-letters it as
    /// poison (`x-delivery-limit` of the work queues).
    #[serde(default = "default_delivery_limit")]
    pub delivery_limit: u32,
    /// RabbitMQ management API base URL (ops tooling, queue depths, tests).
    #[serde(default = "default_management_url")]
    pub management_url: String,
    /// Connection name shown in the broker's management UI.
    #[serde(default = "default_connection_name")]
    pub connection_name: String,
    /// How long the delivery log (`hub.delivery-log`, a stream holding a copy of every
    /// delivery the hub publishes) keeps entries (`x-max-age`). The log is read to settle a
    /// publish whose confirm was lost with its connection; a publish left in doubt for
    /// longer than this falls back to at-least-once. The broker applies it per segment, so
    /// entries can live up to one segment longer. Changing it on an existing broker needs a
    /// policy (RabbitMQ refuses to re-declare a queue with other arguments).
    #[serde(default = "default_delivery_log_max_age_s")]
    pub delivery_log_max_age_s: u64,
    /// Size bound of the delivery log (`x-max-length-bytes`), whichever of age and size is
    /// reached first.
    #[serde(default = "default_delivery_log_max_bytes")]
    pub delivery_log_max_bytes: u64,
}

fn default_url() -> String {
    "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()
}
fn default_prefetch() -> u16 {
    50
}
fn default_confirm_timeout_ms() -> u64 {
    10_000
}
fn default_reconnect_initial_ms() -> u64 {
    200
}
fn default_reconnect_max_ms() -> u64 {
    10_000
}
fn default_retry_delays_ms() -> Vec<u64> {
    vec![5_000, 60_000, 600_000]
}
fn default_delivery_limit() -> u32 {
    10
}
fn default_management_url() -> String {
    "http://127.0.0.1:15672".to_owned()
}
fn default_connection_name() -> String {
    "rescue-hub".to_owned()
}
/// Segment size of the delivery log (`x-stream-max-segment-size-bytes`): retention drops
/// whole segments, so small segments keep the log close to its age and size bounds.
pub const DELIVERY_LOG_SEGMENT_BYTES: u64 = 16 << 20;

fn default_delivery_log_max_age_s() -> u64 {
    3_600
}
fn default_delivery_log_max_bytes() -> u64 {
    1 << 30
}

impl std::fmt::Debug for AmqpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpConfig")
            .field("url", &redact_url(&self.url))
            .field("prefetch", &self.prefetch)
            .field("confirm_timeout_ms", &self.confirm_timeout_ms)
            .field("reconnect_initial_ms", &self.reconnect_initial_ms)
            .field("reconnect_max_ms", &self.reconnect_max_ms)
            .field("retry_delays_ms", &self.retry_delays_ms)
            .field("delivery_limit", &self.delivery_limit)
            .field("management_url", &self.management_url)
            .field("connection_name", &self.connection_name)
            .field("delivery_log_max_age_s", &self.delivery_log_max_age_s)
            .field("delivery_log_max_bytes", &self.delivery_log_max_bytes)
            .finish()
    }
}

/// The URL with the password of its user info replaced by `***`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl Default for AmqpConfig {
    fn default() -> Self {
        Self {
            url: default_url(),
            prefetch: default_prefetch(),
            confirm_timeout_ms: default_confirm_timeout_ms(),
            reconnect_initial_ms: default_reconnect_initial_ms(),
            reconnect_max_ms: default_reconnect_max_ms(),
            retry_delays_ms: default_retry_delays_ms(),
            delivery_limit: default_delivery_limit(),
            management_url: default_management_url(),
            connection_name: default_connection_name(),
            delivery_log_max_age_s: default_delivery_log_max_age_s(),
            delivery_log_max_bytes: default_delivery_log_max_bytes(),
        }
    }
}

impl AmqpConfig {
    /// Checks every field without I/O; returns the parsed broker URI.
    pub fn validate(&self) -> Result<ValidatedUrl, AmqpError> {
        let url = ValidatedUrl::parse(&self.url)?;
        if self.prefetch == 0 {
            return Err(invalid("prefetch must be at least 1"));
        }
        if self.confirm_timeout_ms == 0 {
            return Err(invalid("confirm_timeout_ms must be at least 1"));
        }
        if self.reconnect_initial_ms == 0 || self.reconnect_initial_ms > self.reconnect_max_ms {
            return Err(invalid("need 0 < reconnect_initial_ms <= reconnect_max_ms"));
        }
        self.validate_retry_delays()?;
        if self.delivery_limit == 0 {
            return Err(invalid("delivery_limit must be at least 1"));
        }
        if reqwest::Url::parse(&self.management_url).is_err() {
            return Err(invalid(format!(
                "management_url {:?} is not a URL",
                self.management_url
            )));
        }
        if self.delivery_log_max_age_s == 0 {
            return Err(invalid("delivery_log_max_age_s must be at least 1"));
        }
        if self.delivery_log_max_bytes < DELIVERY_LOG_SEGMENT_BYTES {
            return Err(invalid(format!(
                "delivery_log_max_bytes must be at least one segment ({DELIVERY_LOG_SEGMENT_BYTES} bytes)"
            )));
        }
        if i64::try_from(self.delivery_log_max_bytes).is_err() {
            return Err(invalid("delivery_log_max_bytes must fit in 63 bits"));
        }
        if lapin::types::ShortString::try_new(self.connection_name.clone()).is_err() {
            return Err(invalid("connection_name is longer than 255 bytes"));
        }
        Ok(url)
    }

    fn validate_retry_delays(&self) -> Result<(), AmqpError> {
        if self.retry_delays_ms.is_empty() {
            return Err(invalid("retry_delays_ms needs at least one step"));
        }
        if self.retry_delays_ms.contains(&0) {
            return Err(invalid("retry_delays_ms steps must be at least 1 ms"));
        }
        if self.retry_delays_ms.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid("retry_delays_ms must be strictly ascending"));
        }
        // x-message-ttl is a 32-bit value on the broker side.
        if self
            .retry_delays_ms
            .iter()
            .any(|&ms| ms > u64::from(u32::MAX))
        {
            return Err(invalid("retry_delays_ms steps must fit in 32 bits"));
        }
        Ok(())
    }

    /// The retry step for a requested delay: the smallest step `>= delay`, else the
    /// largest step (transport rule 3). `None` only when no steps are configured.
    pub fn retry_step_ms(&self, delay: Duration) -> Option<u64> {
        let wanted = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.retry_delays_ms
            .iter()
            .copied()
            .find(|&step| step >= wanted)
            .or_else(|| self.retry_delays_ms.iter().copied().max())
    }

    /// The confirm timeout as a [`Duration`].
    pub fn confirm_timeout(&self) -> Duration {
        Duration::from_millis(self.confirm_timeout_ms)
    }
}

fn invalid(detail: impl Into<String>) -> AmqpError {
    AmqpError::Config(detail.into())
}

/// A broker URI that passed validation: non-empty vhost, host as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedUrl {
    uri: AMQPUri,
}

impl ValidatedUrl {
    /// Parses and checks a broker URI (no I/O).
    pub fn parse(url: &str) -> Result<Self, AmqpError> {
        let mut uri =
            AMQPUri::from_str(url).map_err(|e| invalid(format!("url is not an AMQP URI: {e}")))?;
        if uri.vhost.is_empty() {
            return Err(invalid(
                "url names the empty vhost (a trailing `/`); use `%2f` for the vhost `/`",
            ));
        }
        let parsed =
            reqwest::Url::parse(url).map_err(|e| invalid(format!("url is not a URL: {e}")))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| invalid("url has no host"))?;
        uri.authority.host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok(Self { uri })
    }

    /// The same broker with other credentials and vhost (for department users and tests).
    pub fn with_login(&self, username: &str, password: &str, vhost: &str) -> Self {
        let mut uri = self.uri.clone();
        uri.authority.userinfo.username = username.to_owned();
        uri.authority.userinfo.password = password.to_owned();
        uri.vhost = vhost.to_owned();
        Self { uri }
    }

    /// The user the connection authenticates as (and the `user_id` of its publishes).
    pub fn username(&self) -> &str {
        &self.uri.authority.userinfo.username
    }

    /// The password of that user. Never log it.
    pub fn password(&self) -> &str {
        &self.uri.authority.userinfo.password
    }

    /// The vhost.
    pub fn vhost(&self) -> &str {
        &self.uri.vhost
    }

    /// The URI as a string, credentials and vhost percent-encoded. Contains the password:
    /// never log it.
    pub fn to_url_string(&self) -> String {
        let mut uri = self.uri.clone();
        if uri.authority.host.contains(':') {
            uri.authority.host = format!("[{}]", uri.authority.host);
        }
        uri.to_string()
    }

    pub(crate) fn uri(&self) -> &AMQPUri {
        &self.uri
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let config = AmqpConfig {
            url: "amqp://hub:s3cret@127.0.0.1:5672/%2f".into(),
            ..AmqpConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("amqp://hub:***@127.0.0.1:5672/%2f"),
            "{shown}"
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip_through_toml() {
        let config = AmqpConfig::default();
        config.validate().unwrap();
        let text = toml::to_string(&config).unwrap();
        let back: AmqpConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, config);
        let empty: AmqpConfig = toml::from_str("").unwrap();
        assert_eq!(empty, config);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(toml::from_str::<AmqpConfig>("prefetch_count = 3").is_err());
    }

    #[test]
    fn empty_vhost_is_refused_and_percent_2f_is_root() {
        let bad = ValidatedUrl::parse("amqp://hub:pw@127.0.0.1:5672/");
        assert!(matches!(bad, Err(AmqpError::Config(_))));
        assert_eq!(
            ValidatedUrl::parse("amqp://hub:pw@127.0.0.1:5672/%2f")
                .unwrap()
                .vhost(),
            "/"
        );
        assert_eq!(
            ValidatedUrl::parse("amqp://hub:pw@127.0.0.1:5672")
                .unwrap()
                .vhost(),
            "/"
        );
    }

    #[test]
    fn ip_hosts_are_kept() {
        let url = ValidatedUrl::parse("amqp://hub:pw@10.1.2.3:5673/%2f").unwrap();
        assert_eq!(url.uri().authority.host, "10.1.2.3");
        assert_eq!(url.uri().authority.port, 5673);
        assert_eq!(url.username(), "hub");
        // amq-protocol-uri alone would connect to `localhost` here.
        let v6 = ValidatedUrl::parse("amqp://hub:pw@[fd00::5]:5673/%2f").unwrap();
        assert_eq!(v6.uri().authority.host, "fd00::5");
        let again = ValidatedUrl::parse(&v6.to_url_string()).unwrap();
        assert_eq!(again, v6);
    }

    #[test]
    fn with_login_encodes_credentials_and_vhost() {
        let base = ValidatedUrl::parse("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap();
        let other = base.with_login("grid user", "p@ss/word", "hub test");
        let back = ValidatedUrl::parse(&other.to_url_string()).unwrap();
        assert_eq!(back.username(), "grid user");
        assert_eq!(back.uri().authority.userinfo.password, "p@ss/word");
        assert_eq!(back.vhost(), "hub test");
        assert_eq!(back.uri().authority.host, "127.0.0.1");
    }

    #[test]
    fn retry_steps_pick_the_smallest_step_at_least_the_delay() {
        let config = AmqpConfig::default();
        let step = |ms| config.retry_step_ms(Duration::from_millis(ms));
        assert_eq!(step(0), Some(5_000));
        assert_eq!(step(5_000), Some(5_000));
        assert_eq!(step(5_001), Some(60_000));
        assert_eq!(step(600_000), Some(600_000));
        assert_eq!(step(3_600_000), Some(600_000));
    }

    #[test]
    fn bad_values_are_refused() {
        type Mutation = Box<dyn Fn(&mut AmqpConfig)>;
        let cases: Vec<Mutation> = vec![
            Box::new(|c| c.prefetch = 0),
            Box::new(|c| c.retry_delays_ms = vec![]),
            Box::new(|c| c.retry_delays_ms = vec![100, 100]),
            Box::new(|c| c.retry_delays_ms = vec![0]),
            Box::new(|c| c.reconnect_initial_ms = 20_000),
            Box::new(|c| c.delivery_limit = 0),
            Box::new(|c| c.management_url = "not a url".into()),
        ];
        for mutate in cases {
            let mut config = AmqpConfig::default();
            mutate(&mut config);
            assert!(config.validate().is_err(), "{config:?}");
        }
    }
}
