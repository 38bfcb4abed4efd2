//! Checks of the settings every department adapter has (its system's base URL, the address
//! it listens on, organisation and region codes, timeouts, size limits), so each
//! department's `config` validates them the same way and names the field the same way.
//!
//! Invariant: pure (no I/O); each check names the field and says what is expected, and a
//! code check (统一社会信用代码, 行政区划) also says what exactly is wrong with the value.

use contracts::codes::{region, uscc};

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{department} adapter config: {field} = {value:?}: {expected}{}",
    because(.reason)
)]
pub struct SettingError {
    /// The department (`CITYMGMT`).
    pub department: &'static str,
    /// The config key.
    pub field: &'static str,
    /// Its value.
    pub value: String,
    /// What is expected.
    pub expected: &'static str,
    /// What exactly is wrong with the value, when the check can tell (`check character is 4
    /// but should be 3 …` for an organisation code).
    pub reason: Option<String>,
}

/// The reason of a [`SettingError`] as its message ends.
fn because(reason: &Option<String>) -> String {
    reason
        .as_deref()
        .map(|r| format!("; {r}"))
        .unwrap_or_default()
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
            reason: None,
        }
    }

    fn fail_because(
        &self,
        field: &'static str,
        value: &str,
        expected: &'static str,
        reason: String,
    ) -> SettingError {
        SettingError {
            reason: Some(reason),
            ..self.fail(field, value, expected)
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

    /// `host:port` to listen on, the host a name or an IP address (`localhost:8101`,
    /// `127.0.0.1:8085`, `[::1]:8085`): a non-empty host and a port number. Refuses only what
    /// could not be bound anyway, but says so before anything starts.
    pub fn host_port(&self, field: &'static str, value: &str) -> Result<(), SettingError> {
        let ok = value
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if ok {
            Ok(())
        } else {
            Err(self.fail(field, value, "host:port, e.g. 127.0.0.1:8085"))
        }
    }

    /// An 18-character GB 32100 unified social credit code (统一社会信用代码); the error says
    /// which character is wrong.
    pub fn org_code(&self, field: &'static str, value: &str) -> Result<(), SettingError> {
        uscc::check_uscc(value).map_err(|e| {
            self.fail_because(
                field,
                value,
                "an 18-character GB 32100 unified social credit code",
                e.to_string(),
            )
        })
    }

    /// A 6-digit GB/T 2260 region code (行政区划代码) in the table; the error says what is
    /// wrong.
    pub fn region_code(&self, field: &'static str, value: &str) -> Result<(), SettingError> {
        const EXPECTED: &str = "a 6-digit GB/T 2260 region code";
        let length = value.chars().count();
        if length != 6 {
            return Err(self.fail_because(
                field,
                value,
                EXPECTED,
                format!("it has {length} characters"),
            ));
        }
        region::check_region_code(value)
            .map(drop)
            .map_err(|e| self.fail_because(field, value, EXPECTED, e.to_string()))
    }

    /// A 6-digit GB/T 2260 region code in the table, or a 12-digit community code (county +
    /// township + village, 320585xxxxxx) whose first 6 digits are one; the error says what is
    /// wrong.
    pub fn region_or_community_code(
        &self,
        field: &'static str,
        value: &str,
    ) -> Result<(), SettingError> {
        region::check_region_code(value).map(drop).map_err(|e| {
            self.fail_because(
                field,
                value,
                "a 6-digit GB/T 2260 region code or a 12-digit community code",
                e.to_string(),
            )
        })
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

    /// A size of at least 1 byte.
    pub fn positive_bytes(&self, field: &'static str, value: u64) -> Result<(), SettingError> {
        if value == 0 {
            Err(self.fail(field, "0", "at least 1 byte"))
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
        assert!(s.positive_ms("request_timeout_ms", 1).is_ok());
        assert!(s.positive_bytes("max_document_bytes", 0).is_err());
        assert!(s.positive_bytes("max_document_bytes", 1).is_ok());
    }

    #[test]
    fn host_port_takes_names_and_addresses_with_a_port() {
        let s = Settings::of("STATION");
        for ok in [
            "127.0.0.1:8085",
            "localhost:8101",
            "[::1]:8085",
            "0.0.0.0:0",
        ] {
            assert!(s.host_port("listen_address", ok).is_ok(), "{ok}");
        }
        for bad in [
            "8085",
            ":8085",
            "localhost:",
            "localhost:http",
            "h:65536",
            "",
        ] {
            let e = s.host_port("listen_address", bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "STATION adapter config: listen_address = {bad:?}: host:port, e.g. 127.0.0.1:8085"
                )
            );
        }
    }

    #[test]
    fn code_checks_say_what_exactly_is_wrong() {
        let s = Settings::of("POLICE");
        let e = s.org_code("org_code", "113205850141601234").unwrap_err();
        assert_eq!(e.field, "org_code");
        assert_eq!(
            e.to_string(),
            "POLICE adapter config: org_code = \"113205850141601234\": an 18-character GB 32100 \
             unified social credit code; check character is 4 but should be 3 (GB 32100-2015 \
             MOD 31); a character of the code is probably mistyped"
        );
        let e = s.org_code("org_code", "123").unwrap_err();
        assert!(
            e.to_string().ends_with("must have 18 characters, not 3"),
            "{e}"
        );

        let e = s.region_code("region_code", "999999").unwrap_err();
        assert!(
            e.to_string()
                .ends_with("; region code 999999 is not in the GB/T 2260 table"),
            "{e}"
        );
        let e = s.region_code("region_code", "320585100001").unwrap_err();
        assert_eq!(e.reason.as_deref(), Some("it has 12 characters"));
        let e = s.region_code("region_code", "32O585").unwrap_err();
        assert!(e.to_string().contains("character 3 is 'O'"), "{e}");

        assert!(s.region_or_community_code("region_code", "320585").is_ok());
        assert!(
            s.region_or_community_code("region_code", "320585100001")
                .is_ok()
        );
        let e = s
            .region_or_community_code("region_code", "999999100001")
            .unwrap_err();
        assert!(e.to_string().contains("first 6 digits 999999"), "{e}");
        assert!(
            s.region_or_community_code("region_code", "3205851")
                .is_err()
        );

        let e = s.not_empty("system_name", "").unwrap_err();
        assert_eq!(e.reason, None);
        assert_eq!(
            e.to_string(),
            "POLICE adapter config: system_name = \"\": a non-empty text"
        );
    }
}
