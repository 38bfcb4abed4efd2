//! Loading: `hub.toml` (optional) layered with `HUB_…` environment variables.
//!
//! Without a file, the built-in configuration is `hub/hub.example.toml`, compiled into the
//! binary ([`BUILT_IN_CONFIGURATION`]): every department with its development token, the
//! authorization matrix and the route table, on the embedded transport (the example has no
//! `[transport.amqp]`), so a hub started with nothing at all routes real traffic. Setting
//! `HUB_TRANSPORT__AMQP__URL` switches that same configuration to RabbitMQ.
//!
//! Environment mapping: `HUB_` + config path segments joined by `__`, e.g.
//! `HUB_HTTP__MAX_BODY_BYTES=1024` → `http.max_body_bytes`,
//! `HUB_DEPARTMENTS__GRID__BROKER_USER=x` → `departments.GRID.broker_user`,
//! `HUB_TRANSPORT__AMQP__URL=…` → `transport.amqp.url` (also accepted as
//! `HUB_TRANSPORT__AMQP_URL`, the spelling of the project's issue). Field names are lower-cased;
//! department codes (under `departments`, `authorization.send`, `authorization.receive`) and
//! message types (under `departments.<CODE>.reads`) keep upper case — the `config` crate's own
//! environment source lower-cases everything, which cannot address `[departments.GRID]`, so
//! this module maps the variables itself. List values (`org_codes`, `http_token_sha256`,
//! `allowed_pii`, `retry_delays_ms`, `ops_token_sha256`, the calendar's `holidays` and
//! `extra_working_days`, the authorization lists) are comma-separated.
//!
//! Invariants: the process environment is never read here (the caller passes it in, the
//! binary passes `std::env::vars()`); a `HUB_` variable without `__` (such as `HUB_LOG`) is
//! not configuration and is ignored; a variable that would set something the file cannot
//! (routes or deadline rules from the environment, empty segments) is an error naming it,
//! never ignored.

use std::path::Path;

use ::config::{Config, File, FileFormat, Map, Source, Value, ValueKind};

use super::{ConfigError, HubConfig};

/// Prefix of configuration variables.
const PREFIX: &str = "HUB_";
/// Separator of nesting levels in variable names.
const SEPARATOR: &str = "__";

/// Config keys (last segment) whose environment value is a comma-separated list.
const LIST_FIELDS: &[&str] = &[
    "org_codes",
    "http_token_sha256",
    "allowed_pii",
    "retry_delays_ms",
    "ops_token_sha256",
    "holidays",
    "extra_working_days",
];

/// The configuration used when no file is given: `hub/hub.example.toml` as compiled in.
pub const BUILT_IN_CONFIGURATION: &str = include_str!("../../hub.example.toml");

impl HubConfig {
    /// Loads the configuration: built-in defaults, then the TOML file at `path` (if given;
    /// it must exist) or else [`BUILT_IN_CONFIGURATION`], then the `HUB_…` variables of
    /// `env`. Does not validate — call [`HubConfig::validate`] next.
    pub fn load(
        path: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<HubConfig, ConfigError> {
        let mut builder = Config::builder();
        builder = match path {
            Some(path) => {
                builder.add_source(File::from(path).format(FileFormat::Toml).required(true))
            }
            None => builder.add_source(File::from_str(BUILT_IN_CONFIGURATION, FileFormat::Toml)),
        };
        builder = builder.add_source(EnvironmentSource::new(env)?);
        builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(ConfigError::Load)
    }
}

/// One mapped variable: config path and value.
#[derive(Debug, Clone)]
struct Setting {
    /// The variable's name, for error messages.
    variable: String,
    /// The config path it sets (`departments.GRID.broker_user`).
    path: String,
    /// The value.
    value: SettingValue,
}

/// The value of a variable, as text or as a comma-separated list.
#[derive(Debug, Clone)]
enum SettingValue {
    /// A scalar; the `config` crate converts it to the field's type.
    Text(String),
    /// A list field.
    List(Vec<String>),
}

/// The `HUB_…` variables as a `config` source.
#[derive(Debug, Clone)]
struct EnvironmentSource {
    /// The mapped variables, sorted by name.
    settings: Vec<Setting>,
}

impl EnvironmentSource {
    fn new(env: impl Iterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut settings = Vec::new();
        for (variable, value) in env {
            if let Some(setting) = map_variable(&variable, value)? {
                settings.push(setting);
            }
        }
        // Deterministic layering whatever the iteration order of the environment.
        settings.sort_by(|a, b| a.variable.cmp(&b.variable));
        Ok(EnvironmentSource { settings })
    }
}

impl Source for EnvironmentSource {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, ::config::ConfigError> {
        let mut map = Map::new();
        for setting in &self.settings {
            let origin = format!("environment variable {}", setting.variable);
            let kind = match &setting.value {
                SettingValue::Text(text) => ValueKind::String(text.clone()),
                SettingValue::List(items) => ValueKind::Array(
                    items
                        .iter()
                        .map(|item| Value::new(Some(&origin), ValueKind::String(item.clone())))
                        .collect(),
                ),
            };
            map.insert(setting.path.clone(), Value::new(Some(&origin), kind));
        }
        Ok(map)
    }
}

/// Maps one variable to a config path, or `None` if it is not configuration.
fn map_variable(variable: &str, value: String) -> Result<Option<Setting>, ConfigError> {
    let Some(rest) = variable.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    if !rest.contains(SEPARATOR) {
        return Ok(None);
    }
    let refuse = |reason: &str| ConfigError::Environment {
        name: variable.to_owned(),
        reason: reason.to_owned(),
    };
    let raw: Vec<&str> = rest.split(SEPARATOR).collect();
    if raw.iter().any(|s| s.is_empty()) {
        return Err(refuse(
            "empty segment: separate levels with exactly two underscores",
        ));
    }
    if raw
        .iter()
        .any(|s| !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Err(refuse(
            "only letters, digits and underscores may follow HUB_",
        ));
    }
    let mut segments: Vec<String> = Vec::with_capacity(raw.len());
    for (index, segment) in raw.iter().enumerate() {
        let keeps_case = match (segments.first().map(String::as_str), index) {
            // departments.<CODE>
            (Some("departments"), 1) => true,
            // departments.<CODE>.reads.<MESSAGE_TYPE>
            (Some("departments"), 3) => segments.get(2).is_some_and(|s| s == "reads"),
            // authorization.send.<CODE>, authorization.receive.<CODE>
            (Some("authorization"), 2) => true,
            _ => false,
        };
        segments.push(if keeps_case {
            segment.to_ascii_uppercase()
        } else {
            segment.to_ascii_lowercase()
        });
    }
    if segments == ["transport", "amqp_url"] {
        // The spelling of HUB_TRANSPORT__AMQP__URL.
        segments = vec!["transport".to_owned(), "amqp".to_owned(), "url".to_owned()];
    }
    if segments.first().is_some_and(|s| s == "routes") {
        return Err(refuse(
            "routes cannot be set from the environment; write them in the file",
        ));
    }
    if segments.starts_with(&["deadlines".to_owned(), "rules".to_owned()]) {
        return Err(refuse(
            "deadline rules cannot be set from the environment; write them in the file",
        ));
    }
    let last = segments.last().map(String::as_str).unwrap_or_default();
    let is_list = LIST_FIELDS.contains(&last)
        || (segments.len() == 3 && segments.first().is_some_and(|s| s == "authorization"));
    let value = if is_list {
        SettingValue::List(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    } else {
        SettingValue::Text(value)
    };
    Ok(Some(Setting {
        variable: variable.to_owned(),
        path: segments.join("."),
        value,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(variable: &str) -> String {
        map_variable(variable, "v".into()).unwrap().unwrap().path
    }

    #[test]
    fn variables_map_to_paths_with_codes_in_upper_case() {
        assert_eq!(path_of("HUB_HTTP__MAX_BODY_BYTES"), "http.max_body_bytes");
        assert_eq!(
            path_of("HUB_DEPARTMENTS__GRID__BROKER_USER"),
            "departments.GRID.broker_user"
        );
        assert_eq!(
            path_of("HUB_DEPARTMENTS__STATION__READS__REFERRAL"),
            "departments.STATION.reads.REFERRAL"
        );
        assert_eq!(
            path_of("HUB_AUTHORIZATION__SEND__GRID"),
            "authorization.send.GRID"
        );
        assert_eq!(path_of("HUB_TRANSPORT__AMQP__URL"), "transport.amqp.url");
        assert_eq!(path_of("HUB_TRANSPORT__AMQP_URL"), "transport.amqp.url");
        assert_eq!(
            path_of("HUB_TRANSPORT__EMBEDDED__LEASE_MS"),
            "transport.embedded.lease_ms"
        );
    }

    #[test]
    fn without_a_file_the_built_in_example_runs_on_the_embedded_transport() {
        let config = HubConfig::load(None, std::iter::empty()).unwrap();
        assert!(
            config.transport.is_embedded(),
            "no [transport.amqp] built in"
        );
        assert!(!config.departments.is_empty());
        assert!(!config.routes.routes().is_empty());
        let config = HubConfig::load(
            None,
            [(
                "HUB_TRANSPORT__AMQP__URL".to_owned(),
                "amqp://hub:pw@127.0.0.1:5672/%2f".to_owned(),
            )]
            .into_iter(),
        )
        .unwrap();
        assert!(
            !config.transport.is_embedded(),
            "one variable selects RabbitMQ"
        );
    }

    #[test]
    fn non_configuration_variables_are_ignored() {
        assert!(map_variable("HUB_LOG", "debug".into()).unwrap().is_none());
        assert!(map_variable("PATH", "/bin".into()).unwrap().is_none());
        assert!(
            map_variable("hub_http__listen", "x".into())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn malformed_variables_are_refused_by_name() {
        for bad in [
            "HUB_HTTP____LISTEN",
            "HUB_HTTP__",
            "HUB_ROUTES__0__MESSAGE_TYPE",
            "HUB_DEADLINES__RULES__0__NAME",
            "HUB_HTTP__LIS-TEN",
        ] {
            let err = map_variable(bad, "x".into()).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn list_fields_split_on_commas() {
        let setting = map_variable("HUB_DEPARTMENTS__GRID__ORG_CODES", "a, b,,c".into())
            .unwrap()
            .unwrap();
        assert!(matches!(setting.value, SettingValue::List(ref v) if v == &["a", "b", "c"]));
        let setting = map_variable(
            "HUB_AUTHORIZATION__RECEIVE__GRID",
            "REFERRAL_OUTCOME".into(),
        )
        .unwrap()
        .unwrap();
        assert!(matches!(setting.value, SettingValue::List(ref v) if v == &["REFERRAL_OUTCOME"]));
    }
}
