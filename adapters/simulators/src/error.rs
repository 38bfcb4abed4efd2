//! The simulator's errors: one [`SimError`] for every fallible call of the library.
//!
//! Invariant: an error says what was attempted (the address, the file, the mode) and why,
//! so a failing end-to-end test reads without a debugger.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything that can go wrong in a simulator or a sender.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Could not bind (or re-bind, after `down`) the listen address.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A failure-mode request that makes no sense (`count` 0, unknown mode name, …).
    #[error("invalid failure mode: {0}")]
    Mode(String),
    /// [`crate::Simulator::wait_for`]: fewer documents arrived in time.
    #[error("waited {waited_ms} ms for {wanted} document(s), {arrived} arrived")]
    WaitTimeout {
        /// How many were wanted.
        wanted: usize,
        /// How many had arrived when the time was up.
        arrived: usize,
        /// How long was waited.
        waited_ms: u64,
    },
    /// The simulator was shut down (its control task is gone).
    #[error("the simulator at {0} is shut down")]
    Stopped(SocketAddr),
    /// Sending a document: could not connect, write or read, or no answer in time.
    #[error("sending to {target}: {detail}")]
    Send {
        /// The URL or MLLP address.
        target: String,
        /// What failed.
        detail: String,
    },
    /// A send target that is neither `http://…` nor `mllp://host:port`.
    #[error("invalid target {0:?}: expected http://host:port[/path] or mllp://host:port")]
    Target(String),
    /// Reading a script directory or writing the record file.
    #[error("{path}: {source}")]
    File {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A department name that is not one of the five.
    #[error("unknown department {0:?}: expected police, health, citymgmt, grid or station")]
    Department(String),
    /// The operation needs the other transport (an HTTP-only call on the MLLP simulator…).
    #[error("{0}")]
    Unsupported(String),
}

/// Why a native view could not be built from a body, or a native document not edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The bytes are not text in the declared (or implied) character set.
    #[error("not {charset} text: {detail}")]
    Charset {
        /// The character set.
        charset: String,
        /// Where it failed.
        detail: String,
    },
    /// Not well-formed XML.
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// Not an HL7 v2 (ER7) message.
    #[error("not an HL7 v2 message: {0}")]
    Hl7(String),
    /// An HL7 field cannot be set as asked ([`crate::hl7::set_field`]): no such segment, a
    /// field that is not a value (MSH-1, MSH-2, the segment name), or a value holding a
    /// delimiter.
    #[error("cannot set {field} to {value:?}: {reason}")]
    Hl7Edit {
        /// The field, `PID-5`.
        field: String,
        /// The value that was to be written.
        value: String,
        /// Why not.
        reason: String,
    },
    /// None of XML, JSON or HL7.
    #[error("the body is neither XML, JSON nor HL7 (starts with {0:?})")]
    Unknown(String),
}
