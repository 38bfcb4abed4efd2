//! The POLICE adapter (公安): the police exchange documents (XML with pinyin-abbreviation
//! element names, as police information systems write them) ↔ the hub's canonical messages.
//!
//! Owns:
//! * [`native`] — the format: one root element per document kind ([`DocumentKind`]: `<JJB>`
//!   交接表, `<XCSQ>` 协查申请, `<HCSL>` 核查受理回执, `<HCJG>` 核查结果, …), the common
//!   header `<XXT>`, and the
//!   element vocabulary of every canonical field (written down in `FORMAT.md`);
//! * [`PoliceCodec`] — the [`Codec`]: decode (UTF-8 or GB18030 bytes → envelope), encode
//!   (envelope → UTF-8 or GB18030 bytes, per [`OutputEncoding`]), the receipt `<HZ>` answering
//!   a police document, and reading the police system's receipts to deliveries;
//! * [`config`] — [`PoliceConfig`], the adapter's settings;
//! * [`service`] — which path each document kind is posted to.
//!
//! Covers every type of `send.POLICE` and `receive.POLICE` (hub/hub.example.toml) both ways:
//! REFERRAL (v1), REFERRAL_OUTCOME, POLICE_ESCORT_HANDOVER, HANDOVER_ACK,
//! IDENTITY_CHECK_REQUEST, IDENTITY_CHECK_ACK, IDENTITY_CHECK_RESULT, IDENTITY_UPDATE,
//! HOSPITAL_ADMISSION,
//! ADMISSION_ACK, STATION_INTAKE, STATION_LEAVE, MISSING_PERSON_NOTICE, MISSING_PERSON_MATCH,
//! SETTLEMENT_REQUEST, SETTLEMENT_DECISION, INCIDENT_REPORT, HUB_REJECTED, DEADLINE_NOTICE.
//!
//! Invariants:
//! * pure, deterministic and total: no I/O, no clock; any bytes decode to `Ok` or a
//!   [`CodecError`], never a panic (fuzzed: `adapters/fuzz/fuzz_targets/police_decode.rs`);
//! * `decode(encode(m)) == m` for every message of a covered type whose timestamps are in
//!   `+08:00` (other offsets come back as the same instant in `+08:00`);
//! * nothing invented: a canonical field comes from its element; where a police document's
//!   header leaves an envelope field out, it comes from the [`DecodeContext`] (sender, system,
//!   region, receivers, receive time) or from the kind's documented default (legal basis,
//!   purpose, sensitivity — `SENSITIVE_MINOR` whenever the document concerns a minor), and the
//!   message id from [`adapter_core::ids::message_id`] over the document number `wdbh`.

pub mod config;
mod decode;
mod encode;
pub mod native;
pub mod service;

use adapter_core::{
    Codec, CodecError, DecodeContext, Decoded, DeliveryResponse, InboundAnswer, NativeDocument,
};
use contracts::model::{Actor, Envelope};
use serde_json::Value;

pub use config::{ConfigError, OutputEncoding, PoliceConfig};
pub use native::DocumentKind;

/// The police codec. Decoding reads both encodings; encoding and receipts use the configured
/// [`OutputEncoding`] (UTF-8 by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoliceCodec {
    output_encoding: OutputEncoding,
}

impl PoliceCodec {
    /// The codec configured by `config` (its output encoding).
    pub fn new(config: &PoliceConfig) -> PoliceCodec {
        PoliceCodec::with_output_encoding(config.output_encoding)
    }

    /// A codec writing documents in `output_encoding`.
    pub const fn with_output_encoding(output_encoding: OutputEncoding) -> PoliceCodec {
        PoliceCodec { output_encoding }
    }

    /// The encoding documents are written in.
    pub const fn output_encoding(&self) -> OutputEncoding {
        self.output_encoding
    }
}

impl Codec for PoliceCodec {
    fn department(&self) -> Actor {
        Actor::Police
    }

    fn decode(&self, native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
        decode::decode_document(native, ctx)
    }

    fn encode(&self, message: &Envelope<Value>) -> Result<NativeDocument, CodecError> {
        encode::encode_message(message, self.output_encoding)
    }

    fn answer(&self, answer: &InboundAnswer<'_>) -> NativeDocument {
        encode::encode_answer(answer, self.output_encoding)
    }

    fn classify_response(&self, status: u16, body: &[u8]) -> DeliveryResponse {
        decode::classify_response(status, body)
    }
}

#[cfg(test)]
mod tests;
