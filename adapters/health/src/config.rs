//! The HEALTH adapter's configuration: where the hospital HIS (医院信息系统) and its HL7
//! interface engine are, how this interface names itself in MSH, and the MLLP limits.
//!
//! Invariants: every field has a default (a loopback development setup talking to the
//! designated hospital 太仓市第一人民医院), unknown keys are refused, durations are in
//! milliseconds (`_ms`), and [`HealthConfig::validate`] is pure.

use adapter_core::DecodeContext;
use serde::{Deserialize, Serialize};

use crate::hl7::Charset;
use crate::mllp::DEFAULT_MAX_FRAME_BYTES;

/// HL7 processing id (MSH-11, HL7 table 0103).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessingId {
    /// `P`: production.
    #[default]
    #[serde(rename = "P")]
    Production,
    /// `T`: training (the HIS's test environment).
    #[serde(rename = "T")]
    Training,
    /// `D`: debugging.
    #[serde(rename = "D")]
    Debugging,
}

impl ProcessingId {
    /// The MSH-11 code.
    pub const fn code(self) -> &'static str {
        match self {
            ProcessingId::Production => "P",
            ProcessingId::Training => "T",
            ProcessingId::Debugging => "D",
        }
    }
}

/// Configuration of the HEALTH adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    /// Address (host:port) the adapter listens on for MLLP connections from the HIS
    /// interface engine: what the hospital sends (referrals, admissions, discharges,
    /// incidents) arrives here and is answered with an ACK on the same connection.
    #[serde(default = "default_listen_address")]
    pub listen_address: String,
    /// Address (host:port) of the HIS interface engine's MLLP listener, where the adapter
    /// delivers hospital-transfer requests, identity updates and the other types HEALTH
    /// receives, one message per connection turn, waiting for the HIS's ACK.
    #[serde(default = "default_his_address")]
    pub his_address: String,
    /// 发送单位代码: the hospital's unified social credit code (GB 32100), used as the
    /// `sender_org_code` of everything the HIS sends.
    #[serde(default = "default_org_code")]
    pub org_code: String,
    /// 发送系统: the name of the HIS, the `sender_system` of everything it sends.
    #[serde(default = "default_system_name")]
    pub system_name: String,
    /// 行政区划: GB/T 2260 code of the hospital's county (`320585` 太仓市).
    #[serde(default = "default_region_code")]
    pub region_code: String,
    /// 接收单位: organisations the hospital's messages are addressed to when the message
    /// does not say (the rescue station).
    #[serde(default = "default_receiver_org_codes")]
    pub receiver_org_codes: Vec<String>,
    /// MSH-5 of deliveries: the receiving application as the HIS names itself.
    #[serde(default = "default_his_application")]
    pub his_application: String,
    /// MSH-6 of deliveries: the receiving facility as the HIS names itself.
    #[serde(default = "default_his_facility")]
    pub his_facility: String,
    /// MSH-3 of an ACK to a message whose MSH could not be read: this interface's
    /// application name (otherwise the ACK echoes the MSH-5 the HIS addressed).
    #[serde(default = "default_hub_application")]
    pub hub_application: String,
    /// MSH-4 of such an ACK: this interface's facility name.
    #[serde(default = "default_hub_facility")]
    pub hub_facility: String,
    /// MSH-11 of deliveries: `P` production, `T` training, `D` debugging.
    #[serde(default)]
    pub processing_id: ProcessingId,
    /// Character set of deliveries and ACKs: `UTF-8` or `GB18030` (declared in MSH-18).
    /// What the HIS sends is read in the character set its own MSH-18 declares.
    #[serde(default)]
    pub outbound_charset: Charset,
    /// Largest MLLP frame accepted from the HIS (bytes); larger frames are refused.
    #[serde(default = "default_max_frame_bytes")]
    pub max_frame_bytes: usize,
    /// Time allowed to open a connection to the HIS (milliseconds).
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Time allowed for the HIS's ACK to a delivery (milliseconds); no ACK in time is a
    /// transient failure and the delivery is retried.
    #[serde(default = "default_ack_timeout_ms")]
    pub ack_timeout_ms: u64,
    /// Time an idle inbound connection is kept open (milliseconds).
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
}

fn default_listen_address() -> String {
    "127.0.0.1:2575".to_owned()
}
fn default_his_address() -> String {
    "127.0.0.1:2576".to_owned()
}
fn default_org_code() -> String {
    "123205854668903451".to_owned()
}
fn default_system_name() -> String {
    "太仓市第一人民医院HIS".to_owned()
}
fn default_region_code() -> String {
    "320585".to_owned()
}
fn default_receiver_org_codes() -> Vec<String> {
    vec!["12320585466880789G".to_owned()]
}
fn default_his_application() -> String {
    "HIS".to_owned()
}
fn default_his_facility() -> String {
    "TCDYRMYY".to_owned()
}
fn default_hub_application() -> String {
    "RESCUE-HUB".to_owned()
}
fn default_hub_facility() -> String {
    "TAICANG".to_owned()
}
fn default_max_frame_bytes() -> usize {
    DEFAULT_MAX_FRAME_BYTES
}
fn default_connect_timeout_ms() -> u64 {
    5_000
}
fn default_ack_timeout_ms() -> u64 {
    30_000
}
fn default_idle_timeout_ms() -> u64 {
    600_000
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            listen_address: default_listen_address(),
            his_address: default_his_address(),
            org_code: default_org_code(),
            system_name: default_system_name(),
            region_code: default_region_code(),
            receiver_org_codes: default_receiver_org_codes(),
            his_application: default_his_application(),
            his_facility: default_his_facility(),
            hub_application: default_hub_application(),
            hub_facility: default_hub_facility(),
            processing_id: ProcessingId::default(),
            outbound_charset: Charset::default(),
            max_frame_bytes: default_max_frame_bytes(),
            connect_timeout_ms: default_connect_timeout_ms(),
            ack_timeout_ms: default_ack_timeout_ms(),
            idle_timeout_ms: default_idle_timeout_ms(),
        }
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value is out of range or malformed.
    #[error("health adapter setting `{key}`: {detail}")]
    Invalid {
        /// The setting.
        key: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl HealthConfig {
    /// Checks the values without any I/O.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, detail: &str| ConfigError::Invalid {
            key,
            detail: detail.to_owned(),
        };
        if !contracts::codes::uscc::is_uscc(&self.org_code) {
            return Err(invalid(
                "org_code",
                "not a unified social credit code (GB 32100)",
            ));
        }
        if let Some(bad) = self
            .receiver_org_codes
            .iter()
            .find(|c| !contracts::codes::uscc::is_uscc(c))
        {
            return Err(ConfigError::Invalid {
                key: "receiver_org_codes",
                detail: format!("{bad:?} is not a unified social credit code (GB 32100)"),
            });
        }
        if !contracts::codes::region::is_region_code(&self.region_code) {
            return Err(invalid("region_code", "not a GB/T 2260 region code"));
        }
        for (key, value) in [
            ("system_name", &self.system_name),
            ("his_application", &self.his_application),
            ("his_facility", &self.his_facility),
            ("hub_application", &self.hub_application),
            ("hub_facility", &self.hub_facility),
            ("listen_address", &self.listen_address),
            ("his_address", &self.his_address),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(key, "must not be empty"));
            }
        }
        if self.max_frame_bytes < 1024 {
            return Err(invalid("max_frame_bytes", "must be at least 1024"));
        }
        for (key, value) in [
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("ack_timeout_ms", self.ack_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be more than 0"));
            }
        }
        Ok(())
    }

    /// The decode context of a message received at `received_at` (RFC 3339).
    pub fn decode_context(&self, received_at: &str) -> DecodeContext {
        DecodeContext {
            sender_org_code: self.org_code.clone(),
            sender_system: self.system_name.clone(),
            region_code: self.region_code.clone(),
            receiver_org_codes: self.receiver_org_codes.clone(),
            received_at: received_at.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn default_is_valid_and_round_trips() {
        let config = HealthConfig::default();
        config.validate().unwrap();
        let json = serde_json::to_value(&config).unwrap();
        let back: HealthConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, config);
        let empty: HealthConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, config);
    }

    #[test]
    fn refuses_unknown_keys_and_bad_values() {
        assert!(serde_json::from_str::<HealthConfig>(r#"{"ack_timeout":1}"#).is_err());
        let config: HealthConfig =
            serde_json::from_str(r#"{"outbound_charset":"GB18030","processing_id":"T"}"#).unwrap();
        assert_eq!(config.outbound_charset, Charset::Gb18030);
        assert_eq!(config.processing_id.code(), "T");
        let bad = HealthConfig {
            org_code: "123".to_owned(),
            ..HealthConfig::default()
        };
        assert!(bad.validate().is_err());
        let bad = HealthConfig {
            ack_timeout_ms: 0,
            ..HealthConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
