//! Checks of the settings every department adapter has (its system's base URL, the address
//! it listens on, organisation and region codes, timeouts), so each department's `config`
//! validates them the same way and names the field the same way.
//!
//! Invariant: pure (no I/O); each check names the field and says what is expected.

use contracts::codes::{region, uscc};

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{department} adapter config: {field} = {value:?}: {expected}")]
pub struct SettingError {
    /// The department (`CITYMGMT`).
    pub department: &'static str,
    /// The config key.
    pub field: &'static str,
    /// Its value.
    pub value: String,
    /// What is expected.
    pub expected: &'static str,
}

/// Checks settings of one department, naming it in every error.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    department: &'static str,
}

impl Settings {
    /// Checks for `department`'s configuration.
    pub const fn of(department: &'static str) -> Settings {
        Settings { department }
    }

    fn fail(&self, field: &'static str, value: &str, expected: &'static str) -> SettingError {
        SettingError {
            department: self.department,
            field,
            value: value.to_owned(),
            expected,
        }
    }

    /// An `http://` or `https://` URL without a trailing slash.
    pub fn base_url(&self, field: &'static str, value: &str) -> Result<(), SettingError> {
        let scheme_ok = ["http://", "https://"]
            .iter()
            .any(|s| value.len() > s.len() && value.starts_with(s));
        if scheme_ok && !value.ends_with('/') {
            Ok(())
        } else {
            Err(self.fail(
                field,
                value,
                "an http:// or https:// URL without a trailing slash",
            ))
        }
    }

    /// `ip:port` to listen on (port 0 picks a free port).
    pub fn listen_address(&self, field: &'static str, value: &str) -> Result<(), SettingError> {
        value
            .parse::<std::net::SocketAddr>()
            .map(drop)
            .map_err(|_| self.fail(field, value, "an IP address and port, e.g. 127.0.0.1:9083"))
    }

    /// An 18-character GB 32100 unified social credit code.
    pub fn org_code(&self, field: &'static str, value: &str) -> Result<(), SettingError> {
        if uscc::is_uscc(value) {
            Ok(())
        } else {
            Err(self.fail(
                field,
                value,
                "an 18-character GB 32100 unified social credit code",
            ))
        }
    }

    /// A 6-digit GB/T 2260 region code.
    pub fn region_code(&self, field: &'static str, value: &str) -> Result<(), SettingError> {
        if value.len() == 6 && region::is_region_code(value) {
            Ok(())
        } else {
            Err(self.fail(field, value, "a 6-digit GB/T 2260 region code"))
        }
    }

    /// Non-empty text.
    pub fn not_empty(&self, field: &'static str, value: &str) -> Result<(), SettingError> {
        if value.trim().is_empty() {
            Err(self.fail(field, value, "a non-empty text"))
        } else {
            Ok(())
        }
    }

    /// A duration of at least 1 ms.
    pub fn positive_ms(&self, field: &'static str, value: u64) -> Result<(), SettingError> {
        if value == 0 {
            Err(self.fail(field, "0", "at least 1 ms"))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_names_the_field_and_what_is_expected() {
        let s = Settings::of("GRID");
        assert!(s.base_url("base_url", "http://10.0.0.1:8080/x").is_ok());
        let e = s.base_url("base_url", "ftp://x").unwrap_err();
        assert_eq!(e.field, "base_url");
        assert!(e.to_string().starts_with("GRID adapter config: base_url"));
        assert!(s.base_url("base_url", "http://x/").is_err());
        assert!(s.listen_address("listen_address", "127.0.0.1:0").is_ok());
        assert!(s.listen_address("listen_address", "localhost").is_err());
        assert!(s.org_code("org_code", "12320585466880789G").is_ok());
        assert!(s.org_code("org_code", "123").is_err());
        assert!(s.region_code("region_code", "320585").is_ok());
        assert!(s.region_code("region_code", "999999").is_err());
        assert!(s.not_empty("system_name", " ").is_err());
        assert!(s.positive_ms("request_timeout_ms", 0).is_err());
    }
}
