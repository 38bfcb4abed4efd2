//! How each department's adapter is assembled from its configuration: codec, decode
//! context, link to the department system, and the listener the system sends to.
//!
//! | department | inbound listener | outbound link |
//! |---|---|---|
//! | POLICE | HTTP (XML) | HTTP POST |
//! | HEALTH | MLLP (HL7 v2.5) | MLLP, waits for the ACK |
//! | CITYMGMT | HTTP (case JSON) | HTTP POST |
//! | GRID | HTTP (event JSON) | HTTP POST |
//! | STATION | HTTP (REST JSON) | HTTP POST |

use std::sync::Arc;
use std::time::Duration;

use adapter_citymgmt::CitymgmtCodec;
use adapter_grid::GridCodec;
use adapter_health::HealthCodec;
use adapter_police::PoliceCodec;
use adapter_runtime::adapter::CodecAdapter;
use adapter_runtime::link::HttpLink;
use adapter_station::StationCodec;

use crate::config::{ConfigError, DepartmentConfig};
use crate::mllp::MllpLink;

/// Default largest inbound HTTP document where a department's configuration sets none.
const DEFAULT_MAX_BODY_BYTES: usize = 4 << 20;

/// The listener a department system sends its documents to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listener {
    /// HTTP POST of native documents.
    Http {
        /// `host:port`.
        address: String,
        /// Largest document.
        max_body_bytes: usize,
    },
    /// MLLP (HL7 over TCP).
    Mllp {
        /// `host:port`.
        address: String,
        /// Largest HL7 message.
        max_frame_bytes: usize,
        /// An idle connection is closed after this long.
        idle_timeout: Duration,
    },
}

/// An adapter ready to run.
#[derive(Debug, Clone)]
pub struct Assembled {
    /// The adapter.
    pub adapter: Arc<CodecAdapter>,
    /// Its listener.
    pub listener: Listener,
}

/// Checks the department's own settings without I/O.
pub fn validate(config: &DepartmentConfig) -> Result<(), ConfigError> {
    let result = match config {
        DepartmentConfig::Police(c) => c.validate().map_err(|e| e.to_string()),
        DepartmentConfig::Health(c) => c.validate().map_err(|e| e.to_string()),
        DepartmentConfig::Citymgmt(c) => c.validate().map_err(|e| e.to_string()),
        DepartmentConfig::Grid(c) => c.validate().map_err(|e| e.to_string()),
        DepartmentConfig::Station(c) => c.validate().map_err(|e| e.to_string()),
    };
    result.map_err(ConfigError::Invalid)
}

/// Assembles the adapter a configuration describes.
pub fn assemble(config: &DepartmentConfig) -> Result<Assembled, ConfigError> {
    validate(config)?;
    let http = |base_url: &str, timeout_ms: u64| {
        HttpLink::new(base_url, timeout_ms)
            .map(Arc::new)
            .map_err(|e| ConfigError::Invalid(e.to_string()))
    };
    let (adapter, listener) = match config {
        DepartmentConfig::Police(c) => (
            CodecAdapter::new(
                Arc::new(PoliceCodec::new(c)),
                c.decode_context(""),
                http(&c.base_url, c.request_timeout_ms)?,
            ),
            Listener::Http {
                address: c.listen.clone(),
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            },
        ),
        DepartmentConfig::Health(c) => (
            CodecAdapter::new(
                Arc::new(HealthCodec::new(c.clone())),
                c.decode_context(""),
                Arc::new(MllpLink::new(
                    &c.his_address,
                    Duration::from_millis(c.connect_timeout_ms),
                    Duration::from_millis(c.ack_timeout_ms),
                    c.max_frame_bytes,
                )),
            ),
            Listener::Mllp {
                address: c.listen_address.clone(),
                max_frame_bytes: c.max_frame_bytes,
                idle_timeout: Duration::from_millis(c.idle_timeout_ms),
            },
        ),
        DepartmentConfig::Citymgmt(c) => (
            CodecAdapter::new(
                Arc::new(CitymgmtCodec),
                c.decode_context(""),
                http(&c.base_url, c.request_timeout_ms)?,
            ),
            Listener::Http {
                address: c.listen_address.clone(),
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            },
        ),
        DepartmentConfig::Grid(c) => (
            CodecAdapter::new(
                Arc::new(GridCodec::new(c)),
                c.decode_context(""),
                http(&c.base_url, c.request_timeout_ms)?,
            ),
            Listener::Http {
                address: c.listen_address.clone(),
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            },
        ),
        DepartmentConfig::Station(c) => (
            CodecAdapter::new(
                Arc::new(StationCodec::new()),
                c.decode_context(""),
                http(&c.base_url, c.request_timeout_ms)?,
            ),
            Listener::Http {
                address: c.listen_address.clone(),
                max_body_bytes: usize::try_from(c.max_document_bytes).unwrap_or(usize::MAX),
            },
        ),
    };
    Ok(Assembled {
        adapter: Arc::new(adapter),
        listener,
    })
}
