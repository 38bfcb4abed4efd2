//! [`CodecError`]: why a native document could not be decoded, or a canonical message could
//! not be encoded. Messages name the native field (as the department calls it) and say what
//! was expected, because they are returned to the department system verbatim.

/// Why a codec could not translate a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The bytes are not a well-formed document of the native format (bad XML, bad HL7
    /// segment structure, not JSON, undeclared or unsupported character encoding, …).
    #[error("malformed {format} document at {location}: {detail}")]
    Malformed {
        /// The native format, e.g. `"XML"`, `"HL7 v2.5"`, `"JSON"`.
        format: &'static str,
        /// Where: line/column, byte offset, segment and field (`PID-7`), or JSON path.
        location: String,
        /// What is wrong.
        detail: String,
    },
    /// A well-formed document of a kind this adapter does not translate (e.g. `ADT^A40`).
    #[error("unsupported document kind {kind}: {detail}")]
    UnsupportedKind {
        /// The document kind as the native format names it.
        kind: String,
        /// Which kinds are supported.
        detail: String,
    },
    /// A field every document of this kind must carry is absent or empty.
    #[error("missing required field {field} ({meaning})")]
    MissingField {
        /// The native field name or path (`sfzh`, `PID-5`, `eventId`).
        field: String,
        /// What the field means, in the department's words (`身份证号`).
        meaning: String,
    },
    /// A field is present but its value cannot be translated.
    #[error("field {field} has value {value:?}: {detail}")]
    InvalidField {
        /// The native field name or path.
        field: String,
        /// The offending value (truncated by the codec if long).
        value: String,
        /// What was expected.
        detail: String,
    },
    /// A canonical message this department's format cannot carry.
    #[error("cannot encode {message_type} for this department: {detail}")]
    Unencodable {
        /// The canonical message type.
        message_type: String,
        /// Why.
        detail: String,
    },
}
