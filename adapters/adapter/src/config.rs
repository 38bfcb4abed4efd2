//! The adapter's configuration file.
//!
//! ```toml
//! [department]
//! department = "STATION"                 # POLICE | HEALTH | CITYMGMT | GRID | STATION
//! base_url = "http://10.32.58.20:8080"   # …then that department's own fields
//! listen_address = "127.0.0.1:9085"
//! org_code = "12320585466880789G"
//! system_name = "太仓市救助管理站信息系统"
//!
//! [runtime]
//! store_path = "data/adapter-station.sqlite"
//! identity_digest_interval_s = 3600      # IDENTITY_DIGEST to the hub; 0 = off
//! [runtime.amqp]
//! url = "amqp://station:secret@127.0.0.1:5672/%2f"   # the department's own broker user
//! ```
//!
//! Invariant: [`AdapterConfig::validate`] checks every field without I/O.

use std::path::Path;

use adapter_citymgmt::CitymgmtConfig;
use adapter_grid::GridConfig;
use adapter_health::HealthConfig;
use adapter_police::PoliceConfig;
use adapter_runtime::RuntimeConfig;
use adapter_station::StationConfig;
use contracts::model::Actor;
use serde::{Deserialize, Serialize};

/// Why a configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is invalid or has unknown or missing fields.
    #[error("{path}: {detail}")]
    Parse {
        /// The path.
        path: String,
        /// What is wrong, with line and column.
        detail: String,
    },
    /// A value is invalid.
    #[error("{0}")]
    Invalid(String),
}

/// One adapter's whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterConfig {
    /// Which department, and its own settings.
    pub department: DepartmentConfig,
    /// Settings shared by every adapter.
    #[serde(default)]
    pub runtime: RuntimeConfig,
}

/// The department an adapter speaks for, with that department's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "department")]
pub enum DepartmentConfig {
    /// 公安: XML over HTTP.
    #[serde(rename = "POLICE")]
    Police(PoliceConfig),
    /// 卫健 / hospital HIS: HL7 v2.5 over MLLP.
    #[serde(rename = "HEALTH")]
    Health(HealthConfig),
    /// 城管 digital city management: case JSON over HTTP.
    #[serde(rename = "CITYMGMT")]
    Citymgmt(CitymgmtConfig),
    /// 网格 grid platform: event JSON over HTTP.
    #[serde(rename = "GRID")]
    Grid(GridConfig),
    /// 救助站: REST JSON.
    #[serde(rename = "STATION")]
    Station(StationConfig),
}

impl DepartmentConfig {
    /// The same settings pointed at another department system and listen address (demos,
    /// simulators, tests): `system` is the system's base URL for HTTP departments and its
    /// `host:port` for HEALTH (MLLP); `listen` is where the adapter listens.
    pub fn pointed_at(mut self, system_url: &str, system_address: &str, listen: &str) -> Self {
        let listen = listen.to_owned();
        match &mut self {
            DepartmentConfig::Police(c) => {
                c.base_url = system_url.to_owned();
                c.listen = listen;
            }
            DepartmentConfig::Health(c) => {
                c.his_address = system_address.to_owned();
                c.listen_address = listen;
            }
            DepartmentConfig::Citymgmt(c) => {
                c.base_url = system_url.to_owned();
                c.listen_address = listen;
            }
            DepartmentConfig::Grid(c) => {
                c.base_url = system_url.to_owned();
                c.listen_address = listen;
            }
            DepartmentConfig::Station(c) => {
                c.base_url = system_url.to_owned();
                c.listen_address = listen;
            }
        }
        self
    }

    /// The department.
    pub fn department(&self) -> Actor {
        match self {
            DepartmentConfig::Police(_) => Actor::Police,
            DepartmentConfig::Health(_) => Actor::Health,
            DepartmentConfig::Citymgmt(_) => Actor::Citymgmt,
            DepartmentConfig::Grid(_) => Actor::Grid,
            DepartmentConfig::Station(_) => Actor::Station,
        }
    }
}

impl AdapterConfig {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config: AdapterConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown,
            detail: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every field without I/O.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.runtime
            .validate()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        crate::departments::validate(&self.department)
    }
}
