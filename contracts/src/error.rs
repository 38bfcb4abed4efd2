//! The crate's one error type: what can go wrong while loading and compiling the catalogue.
//!
//! Validation failures of a *message* are not errors of this kind: they are data, reported
//! as a [`crate::report::ValidationReport`] that names every violation.

use crate::catalogue::MessageType;

/// An error loading, compiling or using the contract catalogue.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A schema file is not JSON.
    #[error("schema file `{path}` is not valid JSON: {source}")]
    SchemaNotJson {
        /// Path relative to `schemas/`.
        path: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A schema file is not at `<TYPE>/v<N>.json` or its `$id` does not match its path.
    #[error("schema file `{path}`: {reason}")]
    SchemaMisplaced {
        /// Path relative to `schemas/`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The schema itself is invalid or a reference does not resolve.
    #[error("schema `{id}` does not compile: {message}")]
    SchemaCompile {
        /// The schema's `$id`.
        id: String,
        /// The compiler's message.
        message: String,
    },
    /// The catalogue has no envelope schema.
    #[error("the catalogue has no ENVELOPE/v1.json")]
    MissingEnvelope,
    /// No contract exists for this type and major version.
    #[error("no contract for {message_type} v{major}")]
    UnknownContract {
        /// Message type.
        message_type: MessageType,
        /// Major version.
        major: u32,
    },
    /// A caster failed.
    #[error(transparent)]
    Cast(#[from] crate::casting::CastError),
}
