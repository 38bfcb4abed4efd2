//! Typed configuration of the CITYMGMT adapter: where the 数字城管 system is, who it is, and
//! how long to wait for it. Read from the hub's configuration file (`[adapters.citymgmt]`);
//! unknown keys are refused so that a typo is an error at startup, not a silent default.

use adapter_core::DecodeContext;
use adapter_core::settings::SettingError;
use adapter_platform_json::config::{self as platform, PlatformSettings};
use serde::{Deserialize, Serialize};

use crate::service;

fn default_listen_address() -> String {
    "127.0.0.1:9083".to_owned()
}

fn default_listen_path() -> String {
    service::CASE_PUSH_PATH.to_owned()
}

fn default_system_name() -> String {
    "太仓市数字城管平台".to_owned()
}

/// Configuration of the CITYMGMT adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitymgmtConfig {
    /// Base URL of the 数字城管 system's interface on the 政务外网; the hub POSTs 处理反馈 and
    /// 拒收通知 to the paths of [`crate::service`] under it, e.g. `http://10.32.8.21:8090/szcg`.
    pub base_url: String,
    /// Path on the hub where the 城管 system pushes 派遣案卷 (default `/citymgmt/v1/cases`).
    #[serde(default = "default_listen_path")]
    pub listen_path: String,
    /// Address (`ip:port`) the adapter listens on for the platform's pushes (default
    /// `127.0.0.1:9083`; port 0 picks a free one).
    #[serde(default = "default_listen_address")]
    pub listen_address: String,
    /// 统一社会信用代码 of the 城管 supervision and command centre (数字化城市管理监督指挥中心):
    /// the `sender_org_code` of every referral it sends.
    pub org_code: String,
    /// Name of the 城管 system, the `sender_system` of its referrals
    /// (default `太仓市数字城管平台`).
    #[serde(default = "default_system_name")]
    pub system_name: String,
    /// 行政区划代码 of the 城管 office (GB/T 2260, default `320585` 太仓市).
    #[serde(default = "platform::default_region_code")]
    pub region_code: String,
    /// 统一社会信用代码 of the rescue station(s), the `receiver_org_codes` of a referral whose
    /// dispatch does not name the unit (`dispatch.unitCode`).
    pub station_org_codes: Vec<String>,
    /// Time to open a connection to the 城管 system, in milliseconds (default 3000).
    #[serde(default = "platform::default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Time for the 城管 system to answer one delivery, in milliseconds (default 10000);
    /// a timeout is a transient failure and the delivery is retried.
    #[serde(default = "platform::default_request_timeout_ms")]
    pub request_timeout_ms: u64,
}

impl CitymgmtConfig {
    /// Checks every field without I/O.
    pub fn validate(&self) -> Result<(), SettingError> {
        self.settings().validate()
    }

    /// The decode context of a document received at `received_at` (RFC 3339, `+08:00`).
    pub fn decode_context(&self, received_at: &str) -> DecodeContext {
        self.settings().decode_context(received_at)
    }

    /// The settings every JSON platform adapter has, checked the same way.
    fn settings(&self) -> PlatformSettings<'_> {
        PlatformSettings {
            department: "CITYMGMT",
            base_url: &self.base_url,
            listen_address: &self.listen_address,
            org_code: &self.org_code,
            system_name: &self.system_name,
            region_code: &self.region_code,
            station_org_codes: &self.station_org_codes,
            connect_timeout_ms: self.connect_timeout_ms,
            request_timeout_ms: self.request_timeout_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_takes_the_documented_defaults() {
        let config: CitymgmtConfig = serde_json::from_value(serde_json::json!({
            "base_url": "http://10.32.8.21:8090/szcg",
            "org_code": "11320585MB19345675",
            "station_org_codes": ["12320585466880789G"]
        }))
        .unwrap();
        assert_eq!(config.listen_path, "/citymgmt/v1/cases");
        assert_eq!(config.system_name, "太仓市数字城管平台");
        assert_eq!(config.region_code, "320585");
        assert_eq!(
            (config.connect_timeout_ms, config.request_timeout_ms),
            (3_000, 10_000)
        );
        let ctx = config.decode_context("2025-03-02T14:20:05+08:00");
        assert_eq!(ctx.sender_org_code, "11320585MB19345675");
        assert_eq!(
            ctx.receiver_org_codes,
            vec!["12320585466880789G".to_owned()]
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let result = serde_json::from_value::<CitymgmtConfig>(serde_json::json!({
            "base_url": "http://x", "org_code": "x", "station_org_codes": [],
            "timeout": 5
        }));
        assert!(result.is_err());
    }
}
