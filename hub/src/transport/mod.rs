//! The transport: how messages move between the hub and the departments, with the delivery
//! rules every implementation must keep. Two implementations are planned: RabbitMQ
//! ([`amqp`], production) and the embedded SQLite queues (issue "Embedded default"); one
//! conformance suite in `tests/` holds both to the rules written here.
//!
//! # Logical topology
//!
//! Addresses are logical; each transport maps them to its own queues:
//!
//! | address | meaning | RabbitMQ |
//! |---|---|---|
//! | [`Address::Ingress`] | a department submits a message | topic exchange `hub.ingress`, key `<SENDER>.<MESSAGE_TYPE>`, queue `ingress.<SENDER>` |
//! | [`Address::Deliver`] | the hub delivers to a department | direct exchange `hub.deliver`, key `<RECIPIENT>`, queue `deliver.<RECIPIENT>` |
//! | [`Address::DeadIngress`] | a refused ingress message, kept with its reasons | exchange `hub.dead`, key `ingress`, queue `dead.ingress` |
//! | [`Address::Dead`] | a delivery a department could not take | exchange `hub.dead`, key `<RECIPIENT>`, queue `dead.<RECIPIENT>` |
//!
//! # Delivery rules (the contract of every implementation)
//!
//! 1. **Publish is durable or an error.** [`Transport::publish`] returns `Ok` only when the
//!    message is durably stored in a queue it routes to (RabbitMQ: publisher confirm `ack`
//!    *without* a returned message; persistent delivery mode; `mandatory`). An unroutable,
//!    nacked or unconfirmed publish is an `Err`. After an `Err` the outcome is *unknown*:
//!    the message may or may not be stored, so callers republish, and consumers deduplicate
//!    by `message_id`.
//! 2. **At least once.** A delivery stays in its queue until it is settled with exactly one
//!    of [`Delivery::ack`], [`Delivery::retry_later`] or [`Delivery::dead_letter`]. A
//!    consumer that dies, or whose connection drops, before settling gets the delivery again
//!    (with [`Delivery::redelivered`] true). Settling can fail after a reconnect (the
//!    delivery belongs to a dead channel): the message is then redelivered, never lost.
//! 3. **Retry is delayed redelivery.** `retry_later(delay)` moves the message to the retry
//!    step whose delay is the smallest one `>= delay` and back to the same queue when it
//!    expires, with [`Delivery::attempt`] increased by one. Which delay to ask for is decided
//!    by [`crate::recoverability`], never by the transport.
//! 4. **Dead letters keep everything.** `dead_letter(reason)` stores the original bytes,
//!    headers and the reason (stage, text, attempts) in the dead-letter queue of the
//!    address, atomically with removing the delivery (RabbitMQ: quorum-queue at-least-once
//!    dead lettering, or an explicit confirmed publish to `hub.dead` before the ack).
//! 5. **Poison messages are bounded.** A message delivered more than the configured
//!    delivery limit without being settled is dead-lettered by the transport itself.
//! 6. **Order.** One queue delivers in publish order to a single consumer; a redelivered or
//!    retried message may overtake later ones. Per-case order across retries is the
//!    pipeline's business (it holds later messages of a case behind a retrying one).
//! 7. **Sender identity.** On ingress the transport reports the authenticated publisher
//!    ([`Delivery::authenticated_user`]; RabbitMQ validates the `user_id` property against
//!    the connection's user). Nothing else about the sender is trusted.
//! 8. **Reconnects are internal.** A consumer survives broker restarts and dropped
//!    connections: [`Consumer::next`] keeps yielding after a reconnect with back-off; it
//!    returns `None` only when the transport is shut down.

pub mod amqp;
pub mod embedded;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use contracts::model::Actor;

/// A logical queue or destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Address {
    /// Messages a department submits (queue `ingress.<SENDER>`).
    Ingress(Actor),
    /// Messages the hub delivers to a department (queue `deliver.<RECIPIENT>`).
    Deliver(Actor),
    /// Refused ingress messages (queue `dead.ingress`).
    DeadIngress,
    /// Deliveries a department could not take (queue `dead.<RECIPIENT>`).
    Dead(Actor),
}

impl Address {
    /// The queue name, the same in every transport (`ingress.GRID`, `deliver.STATION`, …).
    pub fn queue_name(self) -> String {
        match self {
            Address::Ingress(a) => format!("ingress.{}", a.as_str()),
            Address::Deliver(a) => format!("deliver.{}", a.as_str()),
            Address::DeadIngress => "dead.ingress".to_owned(),
            Address::Dead(a) => format!("dead.{}", a.as_str()),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.queue_name())
    }
}

/// A header value. Headers carry hub metadata (`x-hub-*`), never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
}

impl HeaderValue {
    /// The text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            HeaderValue::Text(s) => Some(s),
            HeaderValue::Int(_) => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            HeaderValue::Int(i) => Some(*i),
            HeaderValue::Text(_) => None,
        }
    }
}

/// Message headers by name.
pub type Headers = BTreeMap<String, HeaderValue>;

/// Header names the hub writes. Kept in one place so transports, pipeline, ops and tests
/// agree (NServiceBus' `Headers.cs` is the model).
pub mod header {
    /// `<SENDER>.<MESSAGE_TYPE>` routing key of an ingress message.
    pub const MESSAGE_TYPE: &str = "x-hub-message-type";
    /// Case id, for per-case ordering and tracing.
    pub const CASE_ID: &str = "x-hub-case-id";
    /// Sequence number of the (sender → recipient) stream, for gap detection.
    pub const STREAM_SEQ: &str = "x-hub-stream-seq";
    /// The sender of a delivered message.
    pub const SENDER: &str = "x-hub-sender";
    /// Contract version of the delivered payload (after casting).
    pub const SCHEMA_VERSION: &str = "x-hub-schema-version";
    /// Pointers removed by projection, comma-separated.
    pub const PROJECTED_AWAY: &str = "x-hub-projected-away";
    /// How many times the message was retried.
    pub const ATTEMPT: &str = "x-hub-attempt";
    /// Why a message was dead-lettered: the stage (`CONTRACT`, `UNAUTHORIZED`, …).
    pub const DEAD_STAGE: &str = "x-hub-dead-stage";
    /// Why a message was dead-lettered: every reason, as a JSON array.
    pub const DEAD_REASONS: &str = "x-hub-dead-reasons";
    /// The authenticated publisher of a dead-lettered ingress message.
    pub const DEAD_PUBLISHER: &str = "x-hub-dead-publisher";
    /// The message is a replay of a dead letter: the dead-letter id.
    pub const REPLAY_OF: &str = "x-hub-replay-of";
    /// Who replayed it.
    pub const REPLAYED_BY: &str = "x-hub-replayed-by";
    /// The department a replayed message was originally published by.
    pub const ORIGINAL_PUBLISHER: &str = "x-hub-original-publisher";
    /// W3C trace context.
    pub const TRACEPARENT: &str = "traceparent";
    /// An escalation of the deadline engine: `<rule>/<key>/<step>` of the deadline that
    /// passed.
    pub const DEADLINE: &str = "x-hub-deadline";
}

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Where to.
    pub address: Address,
    /// Message type wire name (routing key part for ingress).
    pub message_type: String,
    /// The envelope's `message_id` (AMQP `message_id` property).
    pub message_id: String,
    /// The bytes, a JSON envelope.
    pub body: Vec<u8>,
    /// Hub headers.
    pub headers: Headers,
}

/// Why a message is dead-lettered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterReason {
    /// Stage that refused it (`PARSE`, `CONTRACT`, `UNAUTHORIZED`, `DEPARTMENT_4XX`, …).
    pub stage: String,
    /// Every reason, as a JSON array of `{pointer, code, message}` (kept verbatim).
    pub reasons_json: String,
}

/// A transport failure. `is_transient` tells the caller whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The broker is unreachable or the connection dropped.
    #[error("broker connection failed: {0}")]
    Connection(String),
    /// The broker refused the publish (nack) or no confirm arrived in time.
    #[error("publish of {message_id} to {address} was not confirmed: {detail}")]
    NotConfirmed {
        /// Message id.
        message_id: String,
        /// Destination.
        address: Address,
        /// What happened.
        detail: String,
    },
    /// The message could not be routed to any queue (basic.return).
    #[error("publish of {message_id} to {address} was unroutable: {detail}")]
    Unroutable {
        /// Message id.
        message_id: String,
        /// Destination.
        address: Address,
        /// The broker's reply text.
        detail: String,
    },
    /// Settling a delivery failed (its channel is gone); it will be redelivered.
    #[error("settling delivery failed: {0}")]
    Settle(String),
    /// The broker refused an operation (permissions, precondition).
    #[error("broker refused: {0}")]
    Refused(String),
    /// The transport is shutting down.
    #[error("transport is shut down")]
    Shutdown,
}

impl TransportError {
    /// Whether retrying the same operation later can succeed.
    pub fn is_transient(&self) -> bool {
        !matches!(self, TransportError::Refused(_) | TransportError::Shutdown)
    }
}

/// A message received from a queue, to be settled exactly once.
pub trait Delivery: Send + 'static {
    /// The bytes as published.
    fn body(&self) -> &[u8];
    /// The AMQP `message_id` property (the envelope's id), if set.
    fn message_id(&self) -> Option<&str>;
    /// The authenticated publisher (RabbitMQ-validated `user_id`), if any.
    fn authenticated_user(&self) -> Option<&str>;
    /// Hub headers.
    fn headers(&self) -> &Headers;
    /// The message was delivered before and not settled (consumer or connection died).
    fn redelivered(&self) -> bool;
    /// How many times the message was retried with `retry_later` (0 on first delivery).
    fn attempt(&self) -> u32;
    /// Done: remove it from the queue.
    fn ack(self) -> impl Future<Output = Result<(), TransportError>> + Send;
    /// Try again after at least `delay` (rule 3).
    fn retry_later(
        self,
        delay: Duration,
    ) -> impl Future<Output = Result<(), TransportError>> + Send;
    /// Give up: keep it in the dead-letter queue with the reason (rule 4).
    fn dead_letter(
        self,
        reason: DeadLetterReason,
    ) -> impl Future<Output = Result<(), TransportError>> + Send;
}

/// A stream of deliveries from one queue.
pub trait Consumer: Send + 'static {
    /// The delivery type.
    type Delivery: Delivery;
    /// The next delivery; `None` only when the transport shut down (rule 8).
    fn next(&mut self) -> impl Future<Output = Option<Self::Delivery>> + Send;
}

/// A transport implementation.
pub trait Transport: Send + Sync + 'static {
    /// Its consumer type.
    type Consumer: Consumer;
    /// Publishes durably (rule 1).
    fn publish(&self, message: Outgoing)
    -> impl Future<Output = Result<(), TransportError>> + Send;
    /// Starts consuming a queue with at most `prefetch` unsettled deliveries.
    fn consume(
        &self,
        address: Address,
        prefetch: u16,
    ) -> impl Future<Output = Result<Self::Consumer, TransportError>> + Send;
    /// Whether the transport can currently reach its broker or store (for `/readyz`).
    fn is_ready(&self) -> bool;
}
