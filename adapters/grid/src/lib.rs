//! The GRID adapter: the social-governance grid platform's (太仓市社会治理网格化联动指挥平台)
//! native JSON interface ↔ the hub's canonical messages.
//!
//! What it owns:
//! * [`native`]: the native documents — the event record the platform pushes when it
//!   distributes a 流浪乞讨 sighting to the rescue station (shape of the Jiangsu grid event
//!   record, domain.md §4.2), and the 任务反馈 / 入站登记通报 / 拒收通知 the hub sends back;
//! * [`codes`]: every code table (report sources, levels, task states, the STATION_INTAKE field
//!   map, receipt codes) in one place;
//! * [`decode`] / [`encode`]: both directions for every type the platform exchanges —
//!   REFERRAL (sent), REFERRAL_OUTCOME, STATION_INTAKE and HUB_REJECTED (received);
//! * [`receipt`]: the `{"code","success","msg","data"}` receipts of both directions;
//! * [`service`] and [`config`]: the endpoints and the adapter's configuration.
//!
//! What the grid interface has in common with the 数字城管 system's (camelCase hub blocks,
//! Beijing time, the hub's `header` + `body` documents and 拒收通知, the parts of a referral
//! both translate alike, the receipts' skeleton) lives in `adapter_platform_json`; the
//! modules here re-export it where it is part of this crate's API.
//!
//! Invariants (those of [`adapter_core::Codec`]): pure and deterministic, total on any bytes,
//! nothing invented; `decode(encode(m)) == m` for every message of the four types whose times
//! are whole Beijing-time (`+08:00`) timestamps (FORMAT.md states what the native format does
//! not carry). Only events of the configured referral types become referrals; any other type
//! is refused with an error that names it.

pub mod codes;
pub mod config;
pub mod decode;
pub mod encode;
pub mod native;
pub mod receipt;
pub mod service;

use adapter_core::{
    Codec, CodecError, DecodeContext, Decoded, DeliveryResponse, InboundAnswer, NativeDocument,
};
use contracts::model::{Actor, Envelope};
use serde_json::Value;

pub use config::GridConfig;

/// The grid platform codec; holds the event types that are referrals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCodec {
    referral_event_types: Vec<String>,
}

impl GridCodec {
    /// The codec for a configured adapter.
    pub fn new(config: &GridConfig) -> GridCodec {
        GridCodec {
            referral_event_types: config.referral_event_types.clone(),
        }
    }
}

impl Default for GridCodec {
    /// The codec with the default referral event type (`0306` 流浪乞讨人员发现).
    fn default() -> GridCodec {
        GridCodec {
            referral_event_types: vec![codes::DEFAULT_REFERRAL_EVENT_TYPE.to_owned()],
        }
    }
}

impl Codec for GridCodec {
    fn department(&self) -> Actor {
        Actor::Grid
    }

    fn decode(&self, native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
        decode::decode(native, ctx, &self.referral_event_types)
    }

    fn encode(&self, message: &Envelope<Value>) -> Result<NativeDocument, CodecError> {
        encode::encode(message)
    }

    fn answer(&self, answer: &InboundAnswer<'_>) -> NativeDocument {
        receipt::answer(answer)
    }

    fn classify_response(&self, status: u16, body: &[u8]) -> DeliveryResponse {
        receipt::classify_response(status, body)
    }
}
