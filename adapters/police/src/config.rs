//! The POLICE adapter's configuration: where the police exchange service is, who the police
//! are on the hub, how long calls may take, and which character encoding documents are
//! written in (UTF-8 by default, GB18030 for police systems that only read GB18030).
//!
//! Invariant: [`PoliceConfig::validate`] is pure (no I/O); a config that passes it gives a
//! [`DecodeContext`] whose codes the contracts accept.

use adapter_core::DecodeContext;
use adapter_core::settings::{SettingError, Settings};
use serde::{Deserialize, Serialize};

/// The character encoding of the documents the adapter writes (deliveries and receipts).
/// Decoding accepts both whatever this says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutputEncoding {
    /// UTF-8, declared `encoding="UTF-8"` (the default).
    #[default]
    #[serde(rename = "UTF-8")]
    Utf8,
    /// GB18030 (GB 18030-2022, the mandatory Chinese character set), declared
    /// `encoding="GB18030"`; every Unicode character, rare name characters included, has a
    /// GB18030 encoding, so nothing is lost.
    #[serde(rename = "GB18030")]
    Gb18030,
}

impl OutputEncoding {
    /// The label written in the XML declaration and the `charset` parameter.
    pub const fn label(self) -> &'static str {
        match self {
            OutputEncoding::Utf8 => "UTF-8",
            OutputEncoding::Gb18030 => "GB18030",
        }
    }

    /// The media type of documents written in this encoding.
    pub fn content_type(self) -> String {
        format!("application/xml; charset={}", self.label())
    }
}

/// Configuration of the POLICE adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliceConfig {
    /// Base URL of the police exchange service behind the 公安信息通信网边界接入平台, where the
    /// adapter delivers documents (paths in [`crate::service`]), e.g. `https://10.32.85.20:8443`.
    pub base_url: String,
    /// `host:port` the adapter listens on for documents the police system posts
    /// (at [`crate::service::INTAKE_PATH`]).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// 发送单位代码: the police's GB 32100 code (太仓市公安局), used as `sender_org_code` of a
    /// document whose header has no `fsdwdm`.
    pub org_code: String,
    /// 发送系统: name of the police system, used as `sender_system` of a document whose header
    /// has no `fsxt`.
    #[serde(default = "default_system_name")]
    pub system_name: String,
    /// 行政区划 (GB/T 2260) of the police office, used as `region_code` of a document whose
    /// header has no `xzqh`.
    #[serde(default = "default_region_code")]
    pub region_code: String,
    /// 接收单位: GB 32100 codes used as `receiver_org_codes` of a document whose header has no
    /// `jsdw` (usually the rescue station's).
    #[serde(default)]
    pub receiver_org_codes: Vec<String>,
    /// Character encoding of written documents: `"UTF-8"` (default) or `"GB18030"`.
    #[serde(default)]
    pub output_encoding: OutputEncoding,
    /// Longest time to open a connection to the police exchange service (ms).
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Longest time one delivery may take, answer included (ms); a timeout is transient.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
}

fn default_listen() -> String {
    "127.0.0.1:8101".to_owned()
}

fn default_system_name() -> String {
    "太仓市公安局警务综合平台".to_owned()
}

fn default_region_code() -> String {
    "320585".to_owned()
}

fn default_connect_timeout_ms() -> u64 {
    5_000
}

fn default_request_timeout_ms() -> u64 {
    30_000
}

/// Why a [`PoliceConfig`] cannot be used: the setting, its value, what is expected and,
/// for the codes, what exactly is wrong (the checks every department adapter shares,
/// [`adapter_core::settings`]).
pub type ConfigError = SettingError;

impl PoliceConfig {
    /// Checks the values (pure; no connection is attempted), in the order of the fields.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = Settings::of("POLICE");
        check.base_url("base_url", &self.base_url)?;
        check.host_port("listen", &self.listen)?;
        check.org_code("org_code", &self.org_code)?;
        check.not_empty("system_name", &self.system_name)?;
        check.region_code("region_code", &self.region_code)?;
        for code in &self.receiver_org_codes {
            check.org_code("receiver_org_codes", code)?;
        }
        check.positive_ms("connect_timeout_ms", self.connect_timeout_ms)?;
        check.positive_ms("request_timeout_ms", self.request_timeout_ms)
    }

    /// The decode context of a document received at `received_at` (RFC 3339, `+08:00`).
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

    /// Makes one setting of a valid config wrong.
    type Spoil = fn(&mut PoliceConfig);

    fn example() -> PoliceConfig {
        serde_json::from_value(serde_json::json!({
            "base_url": "https://10.32.85.20:8443",
            "org_code": "113205850141601233",
            "receiver_org_codes": ["12320585466880789G"],
            "output_encoding": "GB18030"
        }))
        .unwrap()
    }

    #[test]
    fn defaults_fill_the_rest_and_the_example_validates() {
        let config = example();
        assert_eq!(config.listen, "127.0.0.1:8101");
        assert_eq!(config.region_code, "320585");
        assert_eq!(config.output_encoding, OutputEncoding::Gb18030);
        assert_eq!(config.request_timeout_ms, 30_000);
        config.validate().unwrap();
        let ctx = config.decode_context("2025-03-04T22:48:10+08:00");
        assert_eq!(ctx.sender_org_code, "113205850141601233");
        assert_eq!(ctx.receiver_org_codes, ["12320585466880789G"]);
    }

    #[test]
    fn output_encoding_defaults_to_utf8() {
        let config: PoliceConfig = serde_json::from_value(serde_json::json!({
            "base_url": "http://127.0.0.1:9000",
            "org_code": "113205850141601233"
        }))
        .unwrap();
        assert_eq!(config.output_encoding, OutputEncoding::Utf8);
        assert_eq!(
            config.output_encoding.content_type(),
            "application/xml; charset=UTF-8"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let unknown = serde_json::from_value::<PoliceConfig>(serde_json::json!({
            "base_url": "http://127.0.0.1:9000",
            "org_code": "113205850141601233",
            "timeout": 5
        }));
        assert!(unknown.is_err());
        let bad_encoding = serde_json::from_value::<PoliceConfig>(serde_json::json!({
            "base_url": "http://127.0.0.1:9000",
            "org_code": "113205850141601233",
            "output_encoding": "BIG5"
        }));
        assert!(bad_encoding.is_err());
        let mut config = example();
        config.org_code = "113205850141601234".to_owned();
        let error = config.validate().unwrap_err();
        assert_eq!(error.field, "org_code");
        assert!(
            error
                .to_string()
                .starts_with("POLICE adapter config: org_code = \"113205850141601234\": "),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("check character is 4 but should be 3"),
            "{error}"
        );
        let mut config = example();
        config.request_timeout_ms = 0;
        assert_eq!(config.validate().unwrap_err().field, "request_timeout_ms");
    }

    #[test]
    fn each_setting_is_checked_by_name() {
        let cases: [(&str, Spoil); 9] = [
            ("base_url", |c| c.base_url = "ftp://10.32.85.20".to_owned()),
            ("base_url", |c| {
                c.base_url = "https://10.32.85.20:8443/".to_owned()
            }),
            ("listen", |c| c.listen = "8101".to_owned()),
            ("org_code", |c| c.org_code = "11320585014160123".to_owned()),
            ("system_name", |c| c.system_name = " ".to_owned()),
            ("region_code", |c| c.region_code = "320599".to_owned()),
            ("receiver_org_codes", |c| {
                c.receiver_org_codes.push("12320585466880789A".to_owned());
            }),
            ("connect_timeout_ms", |c| c.connect_timeout_ms = 0),
            ("request_timeout_ms", |c| c.request_timeout_ms = 0),
        ];
        for (field, spoil) in cases {
            let mut config = example();
            spoil(&mut config);
            let error = config.validate().unwrap_err();
            assert_eq!(error.field, field, "{error}");
            assert_eq!(error.department, "POLICE");
        }
        let mut config = example();
        config.listen = "localhost:8101".to_owned();
        config.validate().unwrap();
    }
}
