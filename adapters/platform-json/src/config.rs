//! The settings every JSON platform adapter has (the platform's base URL, the address the
//! adapter listens on, the platform's organisation, system name and region, the stations
//! referrals go to, timeouts): their defaults, their checks and the decode context they
//! make. Each adapter's config struct keeps its own documented fields (serde
//! `deny_unknown_fields` does not combine with `flatten`) and lends them as
//! [`PlatformSettings`].
//!
//! Invariant: pure (no I/O); every check names the field as the config file spells it.

use adapter_core::DecodeContext;
use adapter_core::settings::{SettingError, Settings};

/// Default `region_code`: `320585` 太仓市.
pub fn default_region_code() -> String {
    "320585".to_owned()
}

/// Default `connect_timeout_ms`: 3000.
pub fn default_connect_timeout_ms() -> u64 {
    3_000
}

/// Default `request_timeout_ms`: 10000.
pub fn default_request_timeout_ms() -> u64 {
    10_000
}

/// The settings of a JSON platform adapter, borrowed from its config.
#[derive(Debug, Clone, Copy)]
pub struct PlatformSettings<'a> {
    /// The department, named in every error (`CITYMGMT`).
    pub department: &'static str,
    /// `base_url`.
    pub base_url: &'a str,
    /// `listen_address`.
    pub listen_address: &'a str,
    /// `org_code`.
    pub org_code: &'a str,
    /// `system_name`.
    pub system_name: &'a str,
    /// `region_code`.
    pub region_code: &'a str,
    /// `station_org_codes`.
    pub station_org_codes: &'a [String],
    /// `connect_timeout_ms`.
    pub connect_timeout_ms: u64,
    /// `request_timeout_ms`.
    pub request_timeout_ms: u64,
}

impl PlatformSettings<'_> {
    /// Checks every setting without I/O, in the order of the config's fields.
    pub fn validate(&self) -> Result<(), SettingError> {
        let check = Settings::of(self.department);
        check.base_url("base_url", self.base_url)?;
        check.listen_address("listen_address", self.listen_address)?;
        check.org_code("org_code", self.org_code)?;
        check.not_empty("system_name", self.system_name)?;
        check.region_code("region_code", self.region_code)?;
        for code in self.station_org_codes {
            check.org_code("station_org_codes", code)?;
        }
        check.positive_ms("connect_timeout_ms", self.connect_timeout_ms)?;
        check.positive_ms("request_timeout_ms", self.request_timeout_ms)
    }

    /// The decode context of a document received at `received_at` (RFC 3339, `+08:00`).
    pub fn decode_context(&self, received_at: &str) -> DecodeContext {
        DecodeContext {
            sender_org_code: self.org_code.to_owned(),
            sender_system: self.system_name.to_owned(),
            region_code: self.region_code.to_owned(),
            receiver_org_codes: self.station_org_codes.to_vec(),
            received_at: received_at.to_owned(),
        }
    }
}
