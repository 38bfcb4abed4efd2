//! `[identity]`: who hears of every identity change, and the due dates of identity checks.
//!
//! Invariant: validated without I/O with the rest of the configuration
//! ([`crate::config::HubConfig::validate`]); the spans use the working-day calendar of
//! `[deadlines.calendar]`.

use contracts::model::Actor;
use serde::Deserialize;

use crate::deadlines::rules::SpanConfig;

/// `[identity]` (every key has the default shown in `hub.example.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// Departments that receive every change of every person's identity, besides the
    /// departments linked to the person by a local identifier (domain.md §7.4, M05: POLICE
    /// "F", CIVIL "S", STATION "F" — the station owns the record). Each must be allowed to
    /// receive IDENTITY_UPDATE.
    #[serde(default = "default_subscribers")]
    pub subscribers: Vec<Actor>,
    /// How long the police have to acknowledge (受理) an IDENTITY_CHECK_REQUEST with an
    /// IDENTITY_CHECK_ACK, from the hub's acceptance of the request.
    #[serde(default = "default_ack_due")]
    pub check_ack_due: SpanConfig,
    /// How long the police have to return the result of each requested check except DNA
    /// sampling, from the hub's acceptance of the request.
    #[serde(default = "default_result_due")]
    pub check_result_due: SpanConfig,
    /// How long the police have to take a requested DNA sample and enter it into the
    /// anti-trafficking DNA database (免费采集，一个月内, domain.md §1.5 [S-4b]).
    #[serde(default = "default_dna_sampling_due")]
    pub dna_sampling_due: SpanConfig,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            subscribers: default_subscribers(),
            check_ack_due: default_ack_due(),
            check_result_due: default_result_due(),
            dna_sampling_due: default_dna_sampling_due(),
        }
    }
}

fn default_subscribers() -> Vec<Actor> {
    vec![Actor::Station, Actor::Police, Actor::Civil]
}

fn default_ack_due() -> SpanConfig {
    SpanConfig {
        working_days: Some(1),
        ..SpanConfig::default()
    }
}

fn default_result_due() -> SpanConfig {
    SpanConfig {
        working_days: Some(5),
        ..SpanConfig::default()
    }
}

fn default_dna_sampling_due() -> SpanConfig {
    SpanConfig {
        months: Some(1),
        ..SpanConfig::default()
    }
}

impl IdentityConfig {
    /// Every problem, as (config path, sentence). `may_receive_update` answers for the
    /// departments configured in `[departments]`, `None` for the others (a subscriber that is
    /// not configured is skipped, like any unconfigured department).
    pub fn problems(
        &self,
        may_receive_update: impl Fn(Actor) -> Option<bool>,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, span) in [
            ("check_ack_due", &self.check_ack_due),
            ("check_result_due", &self.check_result_due),
            ("dna_sampling_due", &self.dna_sampling_due),
        ] {
            if let Err(problem) = span.span() {
                out.push((format!("identity.{name}"), problem));
            }
        }
        for (index, subscriber) in self.subscribers.iter().enumerate() {
            if *subscriber == Actor::Hub {
                out.push((
                    format!("identity.subscribers[{index}]"),
                    "HUB is the registry itself, not a subscriber".to_owned(),
                ));
            } else if may_receive_update(*subscriber) == Some(false) {
                out.push((
                    format!("identity.subscribers[{index}]"),
                    format!(
                        "{} may not receive IDENTITY_UPDATE (authorization.receive.{})",
                        subscriber.as_str(),
                        subscriber.as_str()
                    ),
                ));
            }
        }
        out
    }
}
