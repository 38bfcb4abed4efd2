//! The STATION adapter's codec: the rescue station's management system (太仓市救助管理站
//! 信息系统, modelled on the national 救助管理信息系统) ↔ the hub's canonical messages.
//!
//! The station sends and receives more kinds of document than any other department: all 24
//! message types of the catalogue, each as one REST resource (`service::RESOURCES`).
//! Its native format is JSON `{"head": {…}, "data": {…}}` with lowerCamelCase names,
//! Beijing-time timestamps without offset and the hub's code lists (FORMAT.md, and the
//! `native` module).
//!
//! * [`config`]: the adapter's typed configuration (station system URL, listen address,
//!   organisation code, timeouts);
//! * [`service`]: the resources: `docType`, REST path, direction;
//! * `native`: the native document types and their conversion to and from the contracts;
//! * `decode`: document → envelope, and the reading of the station's delivery answers;
//! * `encode`: envelope → document, and the receipts answered to the station.
//!
//! Invariants: [`StationCodec`] is pure, deterministic and total (any bytes decode to
//! envelopes or a [`adapter_core::CodecError`], never a panic); it translates every message
//! type in both directions, and `decode(encode(m))` equals `m` apart from the derived
//! `message_id` (and timestamps not at `+08:00`, which come back as the same instant at
//! `+08:00`); decoded `message_id`s come from `head.docNo`, so a re-sent document
//! deduplicates.

pub mod config;
mod decode;
mod encode;
mod native;
pub mod service;

use adapter_core::codec::{Codec, Decoded, DeliveryResponse, InboundAnswer, NativeDocument};
use adapter_core::{CodecError, DecodeContext};
use contracts::model::{Actor, Envelope};
use serde_json::Value;

pub use config::StationConfig;

/// The station system's codec (no state: everything per call comes in as arguments).
#[derive(Debug, Clone, Copy, Default)]
pub struct StationCodec;

impl StationCodec {
    /// The codec.
    pub const fn new() -> StationCodec {
        StationCodec
    }
}

impl Codec for StationCodec {
    fn department(&self) -> Actor {
        Actor::Station
    }

    fn decode(&self, native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
        decode::decode(native, ctx)
    }

    fn encode(&self, message: &Envelope<Value>) -> Result<NativeDocument, CodecError> {
        encode::encode(message)
    }

    fn answer(&self, answer: &InboundAnswer<'_>) -> NativeDocument {
        encode::answer(answer)
    }

    fn classify_response(&self, status: u16, body: &[u8]) -> DeliveryResponse {
        decode::classify_response(status, body)
    }
}
