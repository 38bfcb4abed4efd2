//! The hub's configuration: `hub.toml` layered with `HUB_…` environment variables, typed,
//! and validated without I/O before anything starts (`hub check-config`).
//!
//! Owns: the configuration structs (every field documented, unit-suffixed, unknown keys
//! refused), the per-department settings ([`DepartmentConfig`]: broker user, hashed HTTP
//! tokens, organisation codes, contract versions read, field policy), the deny-by-default
//! authorization matrix ([`Authorization`]), the route table ([`RouteTable`], [`Predicate`],
//! [`Recipient`]), the deadline rules (`[deadlines]`, typed in
//! [`crate::deadlines::rules`]), loading ([`HubConfig::load`]) and validation
//! ([`HubConfig::validate`]).
//! `hub/hub.example.toml` is the commented reference, the default test configuration and,
//! built into the binary, the configuration used when no file is given (so `cargo run` with
//! nothing else starts a working hub on the embedded transport).
//!
//! # Invariants
//!
//! * Loading fails on the first unreadable value or unknown key (naming it); validation is
//!   pure (no file, network or clock) and reports *every* problem with its config path.
//! * Deny by default: a department sends or receives only the message types
//!   `[authorization]` lists for it, and receives only the fields its
//!   `max_sensitivity`/`allowed_pii` allow.
//! * Secrets never sit in the configuration: HTTP tokens are stored as SHA-256 hashes and
//!   compared in constant time.
//! * Routing is a pure function of (message type, message content): every matching route
//!   adds its recipients, deduplicated, in route order.

mod authorization;
mod departments;
mod load;
mod routes;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use contracts::annotations::FieldPolicy;
use contracts::model::Actor;
use serde::Deserialize;
use serde_json::Value;

pub use authorization::Authorization;
pub use departments::{DepartmentConfig, default_max_sensitivity, token_sha256};
pub use load::BUILT_IN_CONFIGURATION;
pub use routes::{
    JsonPointerPattern, ORIGINAL_SENDER, PointerError, Predicate, Recipient, Route, RouteTable,
};

use crate::deadlines::DeadlinesConfig;
use crate::recoverability::RetryPolicy;
use crate::transport::amqp::AmqpConfig;
use crate::transport::embedded::EmbeddedConfig;

/// The whole configuration of one hub instance.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// How messages move: RabbitMQ when `[transport.amqp]` is present, otherwise the
    /// embedded transport.
    #[serde(default)]
    pub transport: TransportConfig,
    /// The hub's own database.
    #[serde(default)]
    pub store: StoreConfig,
    /// The HTTP API (ingress for departments without AMQP, health probes).
    #[serde(default)]
    pub http: HttpConfig,
    /// Per-message processing: prefetch and retries.
    #[serde(default)]
    pub pipeline: PipelineConfig,
    /// One table per department code (`POLICE`, `HEALTH`, `CITYMGMT`, `GRID`, `CIVIL`,
    /// `STATION`, `ORIGIN`).
    #[serde(default)]
    pub departments: BTreeMap<Actor, DepartmentConfig>,
    /// Who may send and receive which message types (deny by default).
    #[serde(default)]
    pub authorization: Authorization,
    /// The route table, evaluated in order.
    #[serde(default)]
    pub routes: RouteTable,
    /// The deadline engine: working-day calendar and rules (`[[deadlines.rules]]`).
    #[serde(default)]
    pub deadlines: DeadlinesConfig,
    /// The identity registry: who hears of every identity change, and the due dates of
    /// identity checks (`[identity]`).
    #[serde(default)]
    pub identity: crate::identity::IdentityConfig,
}

/// Transport selection: `[transport.amqp]` present → RabbitMQ; otherwise the embedded
/// transport, with `[transport.embedded]` or its defaults. Configuring both is a validation
/// problem ([`HubConfig::validate`]), never a silent choice.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportConfig {
    /// The RabbitMQ transport; absent → the embedded transport.
    #[serde(default)]
    pub amqp: Option<AmqpConfig>,
    /// Settings of the embedded transport (durable queues in the store's SQLite file); absent
    /// → its defaults. Only used without `[transport.amqp]`.
    #[serde(default)]
    pub embedded: Option<EmbeddedConfig>,
}

/// The transport a configuration selects (see [`TransportConfig::selected`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectedTransport {
    /// RabbitMQ, with these settings.
    Amqp(AmqpConfig),
    /// The embedded SQLite transport, with these settings (the configured ones or the
    /// defaults).
    Embedded(EmbeddedConfig),
}

impl TransportConfig {
    /// The transport to run: RabbitMQ when `[transport.amqp]` is configured, else the
    /// embedded transport. (When both are configured validation refuses the configuration;
    /// this still answers RabbitMQ.)
    pub fn selected(&self) -> SelectedTransport {
        match &self.amqp {
            Some(amqp) => SelectedTransport::Amqp(amqp.clone()),
            None => SelectedTransport::Embedded(self.embedded.clone().unwrap_or_default()),
        }
    }

    /// Whether the embedded transport is selected.
    pub fn is_embedded(&self) -> bool {
        self.amqp.is_none()
    }

    /// The retry delay steps of the selected transport, in milliseconds.
    pub fn retry_delays_ms(&self) -> Vec<u64> {
        match self.selected() {
            SelectedTransport::Amqp(amqp) => amqp.retry_delays_ms,
            SelectedTransport::Embedded(embedded) => embedded.retry_delays_ms,
        }
    }
}

/// The hub's store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Path of the SQLite database file (created if missing), relative to the working
    /// directory. Default `data/hub.sqlite`.
    #[serde(default = "default_path")]
    pub path: PathBuf,
}

/// The default [`StoreConfig::path`].
pub fn default_path() -> PathBuf {
    PathBuf::from("data/hub.sqlite")
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: default_path(),
        }
    }
}

/// The HTTP API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address to listen on, `host:port`. Default `127.0.0.1:8080`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Largest request body accepted, in bytes; larger requests get 413. Default 262144.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    /// Longest time a request may take, in milliseconds, including the confirmed publish to
    /// the ingress queue. Default 10000.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// SHA-256 hashes (64 lowercase hex digits) of the operators' bearer tokens, which read
    /// the whole deadline board (`GET /v1/deadlines`); a department's own token reads only
    /// its part. Never the tokens themselves. Default none.
    #[serde(default)]
    pub ops_token_sha256: Vec<String>,
}

/// The default [`HttpConfig::listen`].
pub fn default_listen() -> String {
    "127.0.0.1:8080".to_owned()
}

/// The default [`HttpConfig::max_body_bytes`].
pub fn default_max_body_bytes() -> u64 {
    262_144
}

/// The default [`HttpConfig::request_timeout_ms`].
pub fn default_request_timeout_ms() -> u64 {
    10_000
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
            max_body_bytes: default_max_body_bytes(),
            request_timeout_ms: default_request_timeout_ms(),
            ops_token_sha256: Vec::new(),
        }
    }
}

/// Per-message processing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Unsettled ingress deliveries each ingress consumer may hold (AMQP prefetch; must be
    /// at least 1, because 0 would mean "unlimited"). Default 50.
    #[serde(default = "default_ingress_prefetch")]
    pub ingress_prefetch: u16,
    /// Transient failures retried at once before the delayed retries. Default 2.
    #[serde(default = "default_immediate_retries")]
    pub immediate_retries: u32,
    /// Delays of the delayed retries, in milliseconds, strictly ascending; the last one
    /// repeats. Each is a retry queue step of the transport. Default `[5000, 60000, 600000]`.
    #[serde(default = "default_retry_delays_ms")]
    pub retry_delays_ms: Vec<u64>,
    /// Failures after which a message is dead-lettered (total attempts). Default 6.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

/// The default [`PipelineConfig::ingress_prefetch`].
pub fn default_ingress_prefetch() -> u16 {
    50
}

/// The default [`PipelineConfig::immediate_retries`].
pub fn default_immediate_retries() -> u32 {
    2
}

/// The default [`PipelineConfig::retry_delays_ms`].
pub fn default_retry_delays_ms() -> Vec<u64> {
    vec![5_000, 60_000, 600_000]
}

/// The default [`PipelineConfig::max_attempts`].
pub fn default_max_attempts() -> u32 {
    6
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            ingress_prefetch: default_ingress_prefetch(),
            immediate_retries: default_immediate_retries(),
            retry_delays_ms: default_retry_delays_ms(),
            max_attempts: default_max_attempts(),
        }
    }
}

impl PipelineConfig {
    /// The retry policy for [`crate::recoverability::decide`].
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            immediate_retries: self.immediate_retries,
            delays_ms: self.retry_delays_ms.clone(),
            max_attempts: self.max_attempts,
        }
    }
}

/// A configuration that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is missing or not TOML, a value has the wrong type, or a key is unknown
    /// (the message names the key).
    #[error("{0}")]
    Load(::config::ConfigError),
    /// A `HUB_…` environment variable cannot be mapped onto the configuration.
    #[error("environment variable {name}: {reason}")]
    Environment {
        /// The variable.
        name: String,
        /// Why.
        reason: String,
    },
}

/// One problem found by [`HubConfig::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where, as a config path: `routes[3].recipients[0]`, `departments.GRID.broker_user`.
    pub path: String,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl HubConfig {
    /// The department a RabbitMQ user publishes for, if any.
    pub fn department_of_broker_user(&self, user: &str) -> Option<Actor> {
        self.departments
            .iter()
            .find(|(_, d)| d.broker_user.as_deref() == Some(user))
            .map(|(actor, _)| *actor)
    }

    /// The department an HTTP bearer token belongs to, if any. The token's SHA-256 is
    /// compared with every configured hash in constant time (no early exit).
    pub fn department_of_token(&self, token: &str) -> Option<Actor> {
        departments::department_of_token(&self.departments, token)
    }

    /// Whether `token` is an operator token (`http.ops_token_sha256`), compared in constant
    /// time like the departments' tokens.
    pub fn is_ops_token(&self, token: &str) -> bool {
        departments::is_one_of(&self.http.ops_token_sha256, token)
    }

    /// Whether `department` may send with `sender_org_code = org_code`.
    pub fn may_use_org_code(&self, department: Actor, org_code: &str) -> bool {
        self.departments
            .get(&department)
            .is_some_and(|d| d.org_codes.iter().any(|c| c == org_code))
    }

    /// The contract major version `department` reads for `message_type` (1 unless set).
    pub fn reads(&self, department: Actor, message_type: &str) -> u32 {
        self.departments
            .get(&department)
            .and_then(|d| d.reads.get(message_type).copied())
            .unwrap_or(1)
    }

    /// The fields `department` may receive. A department without a table gets the empty
    /// policy (general fields without personal information only).
    pub fn field_policy(&self, department: Actor) -> FieldPolicy {
        self.departments
            .get(&department)
            .map(DepartmentConfig::field_policy)
            .unwrap_or_default()
    }

    /// A department's field policy for messages of `message_type` (its narrower policy for
    /// the type, if configured); the empty policy for an unconfigured department.
    pub fn field_policy_for(&self, department: Actor, message_type: &str) -> FieldPolicy {
        self.departments
            .get(&department)
            .map(|d| d.field_policy_for(message_type))
            .unwrap_or_default()
    }

    /// The recipients of a message by the route table (see [`RouteTable::recipients`]).
    pub fn recipients(&self, message_type: &str, message: &Value) -> Vec<Recipient> {
        self.routes.recipients(message_type, message)
    }

    /// The retry policy of the pipeline.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.pipeline.retry_policy()
    }

    /// The identity the hub itself publishes as: with RabbitMQ the user of
    /// `transport.amqp.url` (`guest` when the URL names none); with the embedded transport
    /// its `publisher` (default `hub`). `None` only for an AMQP URL that cannot be read.
    /// Messages this identity publishes (replays, HTTP ingress) may name their original
    /// department in a header; validation refuses a department broker user equal to it and
    /// an AMQP user name that would need percent-decoding.
    pub fn hub_broker_user(&self) -> Option<&str> {
        let Some(amqp) = self.transport.amqp.as_ref() else {
            return Some(
                self.transport
                    .embedded
                    .as_ref()
                    .map_or(DEFAULT_EMBEDDED_PUBLISHER, |e| e.publisher.as_str()),
            );
        };
        let (_, rest) = amqp.url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        match authority.rsplit_once('@') {
            Some((userinfo, _)) => {
                Some(userinfo.split_once(':').map_or(userinfo, |(user, _)| user))
            }
            None => Some(DEFAULT_AMQP_USER),
        }
    }
}

/// The embedded transport's default publisher identity (`EmbeddedConfig::default().publisher`;
/// a unit test keeps the two equal).
const DEFAULT_EMBEDDED_PUBLISHER: &str = "hub";

/// The user an AMQP URL without credentials authenticates as.
const DEFAULT_AMQP_USER: &str = "guest";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_embedded_publisher_is_the_embedded_transports_default() {
        assert_eq!(
            DEFAULT_EMBEDDED_PUBLISHER,
            EmbeddedConfig::default().publisher
        );
        assert_eq!(
            HubConfig::default().hub_broker_user(),
            Some(DEFAULT_EMBEDDED_PUBLISHER)
        );
    }

    #[test]
    fn amqp_selects_rabbitmq_and_its_absence_the_embedded_transport() {
        let mut transport = TransportConfig::default();
        assert_eq!(
            transport.selected(),
            SelectedTransport::Embedded(EmbeddedConfig::default())
        );
        assert!(transport.is_embedded());
        transport.amqp = Some(AmqpConfig::default());
        assert_eq!(
            transport.selected(),
            SelectedTransport::Amqp(AmqpConfig::default())
        );
        assert!(!transport.is_embedded());
    }
}
