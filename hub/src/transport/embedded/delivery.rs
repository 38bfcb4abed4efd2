//! One delivered message (rules 2–4): [`EmbeddedDelivery`], settled exactly once.
//!
//! # Invariants
//!
//! * Every settlement is one writer request, applied only if this delivery still holds the
//!   row's lease, and answered after its commit: `Ok` means the queue changed durably;
//!   [`TransportError::Settle`] means nothing changed and the message is not lost (someone
//!   else holds it now, or it comes back when the lease expires).
//! * The attempt count and the publisher come from the row, so they survive retries and
//!   restarts; `retry_later` writes the new attempt into `x-hub-attempt` too, and
//!   `dead_letter` keeps every original header and adds the reason headers.
//! * An unsettled delivery that is dropped keeps its lease until it expires (not renewed),
//!   then the message is delivered again with [`Delivery::redelivered`] true.

use std::fmt;
use std::time::Duration;

use tracing::warn;

use super::consumer::{Lease, Pending};
use super::writer::{NewRow, Settlement};
use super::{dead_address, with_dead_headers};
use crate::store::{headers_from_json, headers_to_json, now_rfc3339};
use crate::transport::{
    Address, DeadLetterReason, Delivery, HeaderValue, Headers, TransportError, header,
};

/// One message from a queue; settle it exactly once.
pub struct EmbeddedDelivery {
    address: Address,
    lease: Lease,
    message_id: Option<String>,
    message_type: Option<String>,
    publisher: Option<String>,
    body: Vec<u8>,
    headers: Headers,
    attempt: u32,
    delivery_count: u32,
}

impl fmt::Debug for EmbeddedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedDelivery")
            .field("address", &self.address)
            .field("row", &self.lease.id)
            .field("message_id", &self.message_id)
            .field("authenticated_user", &self.publisher)
            .field("attempt", &self.attempt)
            .field("delivery_count", &self.delivery_count)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

impl EmbeddedDelivery {
    pub(super) fn new(address: Address, pending: Pending) -> Self {
        let Pending { row, lease } = pending;
        // The transport wrote these headers itself; unreadable ones (never expected) are
        // reported and replaced by none rather than blocking the queue.
        let headers = headers_from_json(&row.headers_json).unwrap_or_else(|error| {
            warn!(
                message = "Stored headers are unreadable; delivering without them.",
                queue = %address,
                row = row.id,
                %error
            );
            Headers::new()
        });
        Self {
            address,
            lease,
            message_id: row.message_id,
            message_type: row.message_type,
            publisher: row.publisher,
            body: row.body,
            headers,
            attempt: count(row.attempt),
            delivery_count: count(row.delivery_count),
        }
    }

    /// The queue this delivery came from.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The message type it was published with.
    pub fn message_type(&self) -> Option<&str> {
        self.message_type.as_deref()
    }

    /// How many times this attempt of the message was delivered, this time included.
    pub fn delivery_count(&self) -> u32 {
        self.delivery_count
    }

    /// Returns the message to its queue at once, unsettled (it counts towards the delivery
    /// limit). For graceful shutdown paths and tests; rule 3 delays go through
    /// [`Delivery::retry_later`].
    pub async fn requeue(self) -> Result<(), TransportError> {
        let queue = self.address.queue_name();
        self.lease
            .settle(Settlement::Release {
                unhanded: false,
                queue,
            })
            .await
    }
}

impl Delivery for EmbeddedDelivery {
    fn body(&self) -> &[u8] {
        &self.body
    }

    fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    fn authenticated_user(&self) -> Option<&str> {
        self.publisher.as_deref()
    }

    fn headers(&self) -> &Headers {
        &self.headers
    }

    fn redelivered(&self) -> bool {
        self.delivery_count > 1
    }

    fn attempt(&self) -> u32 {
        self.attempt
    }

    async fn ack(self) -> Result<(), TransportError> {
        self.lease.settle(Settlement::Ack).await
    }

    async fn retry_later(self, delay: Duration) -> Result<(), TransportError> {
        let step_ms = self.lease.shared.config.retry_step_ms(delay);
        let attempt = i64::from(self.attempt) + 1;
        let mut headers = self.headers;
        headers.insert(header::ATTEMPT.to_owned(), HeaderValue::Int(attempt));
        self.lease
            .settle(Settlement::Retry {
                step_ms,
                attempt,
                headers_json: headers_to_json(&headers),
            })
            .await
    }

    async fn dead_letter(self, reason: DeadLetterReason) -> Result<(), TransportError> {
        let headers = with_dead_headers(
            self.headers,
            &reason.stage,
            &reason.reasons_json,
            self.publisher.as_deref(),
        );
        let copy = NewRow {
            queue: dead_address(self.address).queue_name(),
            message_id: self.message_id,
            message_type: self.message_type,
            publisher: self.publisher,
            body: self.body,
            headers_json: headers_to_json(&headers),
            attempt: i64::from(self.attempt),
            enqueued_at: now_rfc3339(),
        };
        self.lease.settle(Settlement::DeadLetter { copy }).await
    }
}
