//! The CITYMGMT adapter: the 数字城管 system's (GB/T 30428 digital city management, 太仓市
//! 数字化城市管理监督指挥中心) native JSON interface ↔ the hub's canonical messages.
//!
//! What it owns:
//! * [`native`]: the native documents — the 派遣案卷 the 城管 system pushes when it dispatches
//!   a 流浪乞讨 case to the rescue station, and the 处理反馈 / 拒收通知 the hub sends back;
//! * [`codes`]: every code table (event classes, stages, case sources, urgency, 处理结果,
//!   receipt codes) in one place;
//! * [`decode`] / [`encode`]: both directions for every type the 城管 system exchanges —
//!   REFERRAL (sent), REFERRAL_OUTCOME and HUB_REJECTED (received);
//! * [`receipt`]: the `{"code","msg","data"}` receipts of both directions;
//! * [`service`] and [`config`]: the endpoints and the adapter's configuration.
//!
//! What the 城管 interface has in common with the grid platform's (camelCase hub blocks,
//! Beijing time, the hub's `header` + `body` documents and 拒收通知, the parts of a referral
//! both translate alike, the receipts' skeleton) lives in `adapter_platform_json`; the
//! modules here re-export it where it is part of this crate's API.
//!
//! Invariants (those of [`adapter_core::Codec`]): pure and deterministic, total on any bytes,
//! nothing invented; `decode(encode(m)) == m` for every message of the three types whose times
//! are whole Beijing-time (`+08:00`) timestamps (FORMAT.md states what the native format does
//! not carry). Only cases of class 05-02 at stage 派遣 become referrals; anything else is
//! refused with an error that names the class or stage.

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

pub use config::CitymgmtConfig;

/// The 数字城管 codec. Stateless: everything it needs is in the documents, the
/// [`DecodeContext`] and the tables of [`codes`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CitymgmtCodec;

impl Codec for CitymgmtCodec {
    fn department(&self) -> Actor {
        Actor::Citymgmt
    }

    fn decode(&self, native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
        decode::decode(native, ctx)
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
