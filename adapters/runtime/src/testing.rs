//! Test doubles for the runtime's unit tests (compiled only for tests): a delivery that
//! records how it was settled, a consumer that yields nothing, a codec that writes the
//! canonical JSON as the "native" document, and a link that accepts everything and keeps
//! what it was sent.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use adapter_core::{
    Codec, CodecError, DecodeContext, Decoded, DeliveryResponse, InboundAnswer, NativeDocument,
};
use contracts::model::{Actor, Envelope};
use hub::transport::{Consumer, DeadLetterReason, Delivery, Headers, TransportError};
use serde_json::Value;

use crate::link::{BoxFuture, DepartmentLink, LinkError, LinkResponse};

/// How a [`FakeDelivery`] was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// `ack`.
    Ack,
    /// `retry_later`.
    RetryLater,
    /// `dead_letter`.
    DeadLetter,
}

/// A delivery of `body` that records its settlement in a shared log.
#[derive(Debug)]
pub(crate) struct FakeDelivery {
    body: Vec<u8>,
    headers: Headers,
    log: Arc<Mutex<Vec<Settled>>>,
}

impl FakeDelivery {
    pub(crate) fn new(body: Vec<u8>, log: &Arc<Mutex<Vec<Settled>>>) -> Self {
        Self {
            body,
            headers: Headers::new(),
            log: Arc::clone(log),
        }
    }

    fn settle(self, how: Settled) -> Result<(), TransportError> {
        self.log.lock().unwrap().push(how);
        Ok(())
    }
}

impl Delivery for FakeDelivery {
    fn body(&self) -> &[u8] {
        &self.body
    }
    fn message_id(&self) -> Option<&str> {
        None
    }
    fn authenticated_user(&self) -> Option<&str> {
        None
    }
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn redelivered(&self) -> bool {
        false
    }
    fn attempt(&self) -> u32 {
        0
    }
    async fn ack(self) -> Result<(), TransportError> {
        self.settle(Settled::Ack)
    }
    async fn retry_later(self, _delay: Duration) -> Result<(), TransportError> {
        self.settle(Settled::RetryLater)
    }
    async fn dead_letter(self, _reason: DeadLetterReason) -> Result<(), TransportError> {
        self.settle(Settled::DeadLetter)
    }
}

/// A consumer that yields nothing (as if its transport were shut down).
#[derive(Debug)]
pub(crate) struct NoConsumer;

impl Consumer for NoConsumer {
    type Delivery = FakeDelivery;
    async fn next(&mut self) -> Option<FakeDelivery> {
        None
    }
}

/// POLICE's "native format" for tests: the canonical envelope's JSON.
#[derive(Debug)]
pub(crate) struct JsonCodec;

impl Codec for JsonCodec {
    fn department(&self) -> Actor {
        Actor::Police
    }
    fn decode(&self, _native: &[u8], _ctx: &DecodeContext) -> Result<Decoded, CodecError> {
        Err(CodecError::UnsupportedKind {
            kind: "any".to_owned(),
            detail: "decode is not needed by these tests".to_owned(),
        })
    }
    fn encode(&self, message: &Envelope<Value>) -> Result<NativeDocument, CodecError> {
        Ok(NativeDocument {
            content_type: "application/json".to_owned(),
            path: "/".to_owned(),
            http_status: 200,
            body: serde_json::to_vec(message).unwrap(),
        })
    }
    fn answer(&self, _answer: &InboundAnswer<'_>) -> NativeDocument {
        NativeDocument {
            content_type: "application/json".to_owned(),
            path: String::new(),
            http_status: 200,
            body: Vec::new(),
        }
    }
    fn classify_response(&self, status: u16, _body: &[u8]) -> DeliveryResponse {
        if status < 300 {
            DeliveryResponse::Delivered
        } else {
            DeliveryResponse::Permanent {
                reason: status.to_string(),
            }
        }
    }
}

/// A department system that accepts everything and keeps the message ids it was sent.
#[derive(Debug, Default)]
pub(crate) struct AcceptingLink {
    pub(crate) sent: Mutex<Vec<String>>,
}

impl DepartmentLink for AcceptingLink {
    fn send<'a>(
        &'a self,
        _document: &'a NativeDocument,
        message_id: &'a str,
    ) -> BoxFuture<'a, Result<LinkResponse, LinkError>> {
        self.sent.lock().unwrap().push(message_id.to_owned());
        Box::pin(async {
            Ok(LinkResponse {
                status: 200,
                body: Vec::new(),
            })
        })
    }
}
