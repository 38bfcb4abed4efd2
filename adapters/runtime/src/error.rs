//! [`RuntimeError`]: the adapter runtime's one error type.

/// Why the adapter runtime could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The configuration is invalid (found without I/O).
    #[error("invalid adapter configuration: {0}")]
    Config(String),
    /// The adapter's store failed.
    #[error("adapter store: {0}")]
    Store(#[from] sqlx::Error),
    /// The hub's transport failed.
    #[error(transparent)]
    Transport(#[from] hub::transport::TransportError),
    /// Listening for the department system failed.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A message the adapter writes itself (`IDENTITY_DIGEST`) could not be serialized.
    #[error("cannot write a message: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The contracts could not be loaded.
    #[error("contracts: {0}")]
    Contracts(String),
}
