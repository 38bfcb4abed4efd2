//! The [`Codec`] trait: one department system's native format, both ways.
//!
//! A codec translates *every* message type its department sends or receives (domain.md §7.4)
//! in *both* directions: [`Codec::decode`] reads any native document of the department
//! (what the department system sends to the hub, and equally what it would be sent), and
//! [`Codec::encode`] writes any canonical message of the department as the native document.
//! That makes `decode(encode(m)) == m` (on the fields the native format carries) a property
//! every codec is tested for, and lets department-system simulators and fuzzers share the
//! same definitions.
//!
//! Invariants every implementation keeps:
//! * pure and deterministic: no I/O, no clock, no randomness (time and identity come from
//!   [`DecodeContext`], message ids from [`crate::ids`]);
//! * total: any byte string gives `Ok` or a [`CodecError`], never a panic (fuzzed);
//! * nothing invented: a canonical field is only set from a native field that says it;
//!   fields the native format lacks stay absent, and a delivery whose fields were projected
//!   away by the hub encodes without them.

use std::collections::BTreeMap;

use contracts::catalogue::MessageType;
use contracts::model::hub_rejected::RejectionReason;
use contracts::model::{Actor, Envelope};
use serde_json::Value;

use crate::context::DecodeContext;
use crate::error::CodecError;

/// A document in the department's native format, with what its transport needs to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeDocument {
    /// Media type, e.g. `application/xml; charset=GB18030`, `application/json`,
    /// `x-application/hl7-v2+er7`.
    pub content_type: String,
    /// Where the department system expects it, relative to its base URL (`/api/cases/feedback`),
    /// or `""` where the transport has no paths (MLLP).
    pub path: String,
    /// HTTP status to answer with, when this document is an answer to the department system.
    pub http_status: u16,
    /// The bytes, in the document's declared character encoding.
    pub body: Vec<u8>,
}

/// What identifies an inbound native document, kept to address the answer to it (the HL7
/// control id and sending application, the police document number, the grid event id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeRef {
    /// The native document's own id (unique per department system).
    pub document_id: String,
    /// The native document kind (`ADT^A01`, `JJB` handover form, `eventReport`).
    pub document_kind: String,
    /// Anything else the answer must echo, by native field name.
    pub reply_to: BTreeMap<String, String>,
}

/// The canonical messages decoded from one native document.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The document's identity, for the answer.
    pub native_ref: NativeRef,
    /// One or more canonical envelopes (most documents give exactly one).
    pub messages: Vec<Envelope<Value>>,
}

/// The hub's verdict on an inbound document, to be answered in the department's format.
#[derive(Debug, Clone, Copy)]
pub enum Verdict<'a> {
    /// The hub confirmed every message durably.
    Accepted {
        /// The canonical `message_id`s, for the department's records.
        message_ids: &'a [String],
    },
    /// The hub refused a message; the department must correct it.
    Refused {
        /// Every reason, with the JSON pointer into the canonical message.
        reasons: &'a [RejectionReason],
    },
    /// The native document could not be decoded; nothing was published.
    Malformed {
        /// Why.
        error: &'a CodecError,
    },
    /// The hub could not be reached or did not confirm; the department system should retry
    /// the same document later (the retry deduplicates by `message_id`).
    Unavailable {
        /// What failed, for the department's logs.
        detail: &'a str,
    },
}

/// An inbound document's answer: what is being answered and the verdict.
#[derive(Debug, Clone, Copy)]
pub struct InboundAnswer<'a> {
    /// The answered document, when it could be identified (absent for undecodable bytes).
    pub native_ref: Option<&'a NativeRef>,
    /// The verdict.
    pub verdict: Verdict<'a>,
}

/// How the department system answered a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResponse {
    /// Accepted: acknowledge the delivery.
    Delivered,
    /// Failed in a way a later attempt may fix (5xx, timeouts, HL7 `AE` with a transient
    /// error code): retry with back-off.
    Transient {
        /// The department's own error text.
        reason: String,
    },
    /// Refused for good (4xx, HL7 `AR`): dead-letter with the department's error body.
    Permanent {
        /// The department's own error text.
        reason: String,
    },
}

/// One department system's native format, both ways. See the module docs for the
/// invariants every implementation keeps.
pub trait Codec: Send + Sync + std::fmt::Debug + 'static {
    /// The department this codec speaks for.
    fn department(&self) -> Actor;

    /// Decode one native document into canonical envelopes.
    ///
    /// Deterministic: the same bytes and context give the same envelopes, including their
    /// `message_id`s (derived with [`crate::ids::message_id`] from the native document id).
    fn decode(&self, native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError>;

    /// Encode one canonical envelope (typically a delivery from the hub, possibly with
    /// fields projected away) as the native document the department system accepts.
    fn encode(&self, message: &Envelope<Value>) -> Result<NativeDocument, CodecError>;

    /// The answer the department system gets for an inbound document, in its own format
    /// (HL7 `ACK` with `AA`/`AE`/`AR`, an XML or JSON receipt with the reasons).
    fn answer(&self, answer: &InboundAnswer<'_>) -> NativeDocument;

    /// Read the department system's answer to a delivery (`status` is the HTTP status, or
    /// 200 for transports without one, such as MLLP).
    fn classify_response(&self, status: u16, body: &[u8]) -> DeliveryResponse;

    /// What identifies a native document that does not decode, when the format lets the
    /// answer address it anyway (HL7: the MSH alone gives the control id the ACK must echo).
    /// `None` by default.
    fn identify(&self, native: &[u8], ctx: &DecodeContext) -> Option<NativeRef> {
        let _ = (native, ctx);
        None
    }

    /// The contract major version of `message_type` this codec reads and writes (the
    /// runtime casts deliveries of another major to it). 1 unless the codec says otherwise;
    /// it must match the department's `reads` in the hub's configuration.
    fn contract_major(&self, message_type: MessageType) -> u32 {
        let _ = message_type;
        1
    }
}
