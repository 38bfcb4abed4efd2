//! [`HealthCodec`]: the HEALTH department's [`Codec`], HL7 v2.5 ER7 of the hospital HIS.
//!
//! Pure and deterministic like every codec: the configuration fixes how this interface
//! names itself and the HIS in MSH and which character set it writes; nothing else varies.

use adapter_core::{
    Codec, CodecError, DecodeContext, Decoded, DeliveryResponse, InboundAnswer, NativeDocument,
    NativeRef,
};
use contracts::model::{Actor, Envelope};
use serde_json::Value;

use crate::config::HealthConfig;
use crate::{ack, decode, encode};

/// The HEALTH codec.
#[derive(Debug, Clone, Default)]
pub struct HealthCodec {
    config: HealthConfig,
}

impl HealthCodec {
    /// A codec with this configuration.
    pub fn new(config: HealthConfig) -> HealthCodec {
        HealthCodec { config }
    }

    /// The configuration.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }
}

impl Codec for HealthCodec {
    fn department(&self) -> Actor {
        Actor::Health
    }

    fn decode(&self, native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
        decode::decode(native, ctx)
    }

    fn encode(&self, message: &Envelope<Value>) -> Result<NativeDocument, CodecError> {
        encode::encode(&self.config, message)
    }

    fn answer(&self, answer: &InboundAnswer<'_>) -> NativeDocument {
        ack::answer(&self.config, answer)
    }

    /// What identifies a message from its MSH alone, also when the rest does not decode, so
    /// that the ACK of a malformed message still echoes its MSH-10 in MSA-2 and is addressed
    /// to its sender (`None` when not even the MSH can be read).
    fn identify(&self, native: &[u8], ctx: &DecodeContext) -> Option<NativeRef> {
        decode::identify(native, ctx)
    }

    fn classify_response(&self, status: u16, body: &[u8]) -> DeliveryResponse {
        ack::classify_response(status, body)
    }
}
