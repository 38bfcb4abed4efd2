//! The STATION adapter's configuration: where the station system is, where the adapter
//! listens for it, and the facts about the station that its documents do not repeat.
//!
//! Loaded by the adapter runtime (TOML section or environment); [`StationConfig::validate`]
//! checks it without I/O before anything starts, and [`StationConfig::decode_context`] turns
//! it into the [`DecodeContext`] of each received document.

use adapter_core::DecodeContext;
use adapter_core::settings::{SettingError, Settings};
use serde::{Deserialize, Serialize};

/// Configuration of the STATION adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    /// Base URL of the station system's REST API, to which deliveries are POSTed
    /// (`<base_url>/api/v1/referrals`, …; see `service::RESOURCES`), e.g.
    /// `http://10.32.58.20:8080/jzgl`. `http` or `https`, no trailing slash.
    pub base_url: String,
    /// Address (`host:port`) the adapter listens on for the station system's documents,
    /// e.g. `127.0.0.1:8085`.
    pub listen_address: String,
    /// 发送单位代码: the station's 18-character unified social credit code (GB 32100), used
    /// as the sender of documents that do not name one. 太仓市救助管理站:
    /// `12320585466880789G`.
    pub org_code: String,
    /// 发送系统: the station system's name, e.g. `太仓市救助管理站信息系统`.
    pub system_name: String,
    /// 行政区划 (GB/T 2260) of the station; Taicang `320585` (a 12-digit community code
    /// `320585xxxxxx` is accepted too).
    #[serde(default = "default_region_code")]
    pub region_code: String,
    /// 接收单位代码 used when a document names no receiver (may be empty: the hub's routes
    /// decide the recipients).
    #[serde(default)]
    pub default_receiver_org_codes: Vec<String>,
    /// Time allowed to open a connection to the station system, in milliseconds.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Time allowed for one delivery request (connect, send, answer), in milliseconds; a
    /// delivery that times out is retried like an HTTP 408.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Largest document accepted from the station system, in bytes (larger bodies are
    /// answered 413 before decoding).
    #[serde(default = "default_max_document_bytes")]
    pub max_document_bytes: u64,
}

fn default_region_code() -> String {
    "320585".to_owned()
}

fn default_connect_timeout_ms() -> u64 {
    3_000
}

fn default_request_timeout_ms() -> u64 {
    15_000
}

fn default_max_document_bytes() -> u64 {
    2 * 1024 * 1024
}

/// Why a configuration cannot be used: the setting, its value, what is expected and, for
/// the codes, what exactly is wrong (the checks every department adapter shares,
/// [`adapter_core::settings`]).
pub type ConfigError = SettingError;

impl StationConfig {
    /// Checks every field without I/O, in the order of the fields.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = Settings::of("STATION");
        check.base_url("base_url", &self.base_url)?;
        check.host_port("listen_address", &self.listen_address)?;
        check.org_code("org_code", &self.org_code)?;
        check.not_empty("system_name", &self.system_name)?;
        check.region_or_community_code("region_code", &self.region_code)?;
        for code in &self.default_receiver_org_codes {
            check.org_code("default_receiver_org_codes", code)?;
        }
        check.positive_ms("connect_timeout_ms", self.connect_timeout_ms)?;
        check.positive_ms("request_timeout_ms", self.request_timeout_ms)?;
        check.positive_bytes("max_document_bytes", self.max_document_bytes)
    }

    /// The decode context of a document received at `received_at` (RFC 3339 with offset).
    pub fn decode_context(&self, received_at: &str) -> DecodeContext {
        DecodeContext {
            sender_org_code: self.org_code.clone(),
            sender_system: self.system_name.clone(),
            region_code: self.region_code.clone(),
            receiver_org_codes: self.default_receiver_org_codes.clone(),
            received_at: received_at.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Makes one setting of a valid config wrong.
    type Spoil = fn(&mut StationConfig);

    fn example() -> StationConfig {
        toml::from_str(
            r#"
            base_url = "http://10.32.58.20:8080/jzgl"
            listen_address = "127.0.0.1:8085"
            org_code = "12320585466880789G"
            system_name = "太仓市救助管理站信息系统"
            "#,
        )
        .expect("a minimal config parses")
    }

    #[test]
    fn minimal_config_gets_defaults_and_validates() {
        let config = example();
        assert_eq!(config.region_code, "320585");
        assert_eq!(config.request_timeout_ms, 15_000);
        assert!(config.default_receiver_org_codes.is_empty());
        config.validate().expect("valid");
        let ctx = config.decode_context("2025-03-04T22:48:10+08:00");
        assert_eq!(ctx.sender_org_code, "12320585466880789G");
        assert_eq!(ctx.received_at, "2025-03-04T22:48:10+08:00");
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        assert!(
            toml::from_str::<StationConfig>(
                r#"
                base_url = "http://x"
                listen_address = "127.0.0.1:1"
                org_code = "12320585466880789G"
                system_name = "s"
                timeout = 5
                "#
            )
            .is_err()
        );
        let mut c = example();
        c.base_url = "ftp://x".to_owned();
        assert!(c.validate().is_err());
        let mut c = example();
        c.base_url = "http://x/".to_owned();
        assert!(c.validate().is_err());
        let mut c = example();
        c.listen_address = "8085".to_owned();
        assert!(c.validate().is_err());
        let mut c = example();
        c.org_code = "12320585466880789A".to_owned();
        assert!(c.validate().is_err());
        let mut c = example();
        c.region_code = "320599".to_owned();
        assert!(c.validate().is_err());
        let mut c = example();
        c.request_timeout_ms = 0;
        assert!(c.validate().is_err());
    }

    #[test]
    fn each_setting_is_checked_by_name_and_codes_say_what_is_wrong() {
        let cases: [(&str, Spoil); 10] = [
            ("base_url", |c| c.base_url = "http://".to_owned()),
            ("listen_address", |c| c.listen_address = ":8085".to_owned()),
            ("listen_address", |c| c.listen_address = "h:port".to_owned()),
            ("org_code", |c| c.org_code = "1232058546688078".to_owned()),
            ("system_name", |c| c.system_name = String::new()),
            ("region_code", |c| c.region_code = "3205".to_owned()),
            ("default_receiver_org_codes", |c| {
                c.default_receiver_org_codes = vec!["12320585466880789A".to_owned()];
            }),
            ("connect_timeout_ms", |c| c.connect_timeout_ms = 0),
            ("request_timeout_ms", |c| c.request_timeout_ms = 0),
            ("max_document_bytes", |c| c.max_document_bytes = 0),
        ];
        for (field, spoil) in cases {
            let mut c = example();
            spoil(&mut c);
            let error = c.validate().unwrap_err();
            assert_eq!(error.field, field, "{error}");
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("STATION adapter config: {field} = ")),
                "{error}"
            );
        }
        let mut c = example();
        c.org_code = "12320585466880789A".to_owned();
        let error = c.validate().unwrap_err().to_string();
        assert!(
            error.contains("check character is A but should be G"),
            "{error}"
        );
        let mut c = example();
        c.region_code = "320599".to_owned();
        let error = c.validate().unwrap_err().to_string();
        assert!(
            error.contains("320599 is not in the GB/T 2260 table"),
            "{error}"
        );
        // A host name and a 12-digit community code are accepted, as before.
        let mut c = example();
        c.listen_address = "localhost:8085".to_owned();
        c.region_code = "320585100001".to_owned();
        c.validate().expect("valid");
    }
}
