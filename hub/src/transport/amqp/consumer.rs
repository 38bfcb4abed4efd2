//! Consuming a queue (transport rules 2–5 and 8): [`AmqpConsumer`] yields
//! [`AmqpDelivery`]s and survives reconnects; each delivery is settled once.
//!
//! Invariants:
//! * Manual acknowledgements only, per-consumer prefetch (`basic_qos(n, global = false)`;
//!   quorum queues refuse global QoS).
//! * After a channel or connection loss the consumer reopens its channel on the current
//!   connection (with back-off) and keeps yielding; [`AmqpConsumer::next`] returns `None`
//!   only after the transport shut down. Deliveries of the lost channel cannot be settled
//!   any more ([`TransportError::Settle`]): the broker redelivers them.
//! * `retry_later` and `dead_letter` publish a confirmed copy first and ack the original
//!   only then: a failure between the two leaves a duplicate, never a loss. Copies carry
//!   the hub's `user_id` (RabbitMQ allows no other); the original publisher travels in
//!   [`RETRIED_PUBLISHER`] (retries) or `x-hub-dead-publisher` (dead letters).
//! * [`AmqpDelivery::authenticated_user`] is the broker-validated `user_id`, except for a
//!   retry copy: when the `user_id` is the transport's own user (which only the hub can
//!   set) and [`RETRIED_PUBLISHER`] is present, it is that header, i.e. the user that
//!   published the original. Retries are thus transparent to sender authentication.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Acker, BasicProperties, Channel};
use tracing::{info, warn};

use super::Shared;
use super::fields::{copy_table, from_field_table, short};
use super::publisher::Publication;
use super::topology::{
    Route, dead_address, is_work_queue, retry_exchange, retry_queue_name, route,
};
use crate::transport::{
    Address, Consumer, DeadLetterReason, Delivery, HeaderValue, Headers, TransportError, header,
};

/// Header of a retry copy naming the `user_id` of the original publish. Trusted only on
/// messages whose `user_id` is the consuming transport's own user.
pub const RETRIED_PUBLISHER: &str = "x-hub-retried-publisher";

/// A consumer of one queue.
pub struct AmqpConsumer {
    shared: Arc<Shared>,
    address: Address,
    prefetch: u16,
    live: Option<LiveConsumer>,
}

struct LiveConsumer {
    generation: u64,
    // Held so the channel stays open as long as the consumer; dropping both closes it and
    // the broker requeues every unsettled delivery.
    _channel: Channel,
    stream: lapin::Consumer,
}

impl fmt::Debug for AmqpConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpConsumer")
            .field("address", &self.address)
            .field("prefetch", &self.prefetch)
            .field("generation", &self.live.as_ref().map(|l| l.generation))
            .finish()
    }
}

/// What one wait for a delivery produced.
enum Step {
    Delivery(Box<lapin::message::Delivery>),
    Lost(String),
    Shutdown,
}

impl AmqpConsumer {
    /// Opens the consumer now, so refusals (permissions, missing queue) surface at once.
    pub(crate) async fn open(
        shared: Arc<Shared>,
        address: Address,
        prefetch: u16,
    ) -> Result<Self, TransportError> {
        let wait = shared.config.confirm_timeout();
        let live = tokio::time::timeout(wait, open_live(&shared, address, prefetch))
            .await
            .map_err(|_| {
                TransportError::Connection(format!(
                    "no broker connection within {} ms",
                    wait.as_millis()
                ))
            })??;
        Ok(Self {
            shared,
            address,
            prefetch,
            live: Some(live),
        })
    }

    /// Reopens after a loss, backing off; `false` on shutdown.
    async fn reopen(&mut self) -> bool {
        let config = &self.shared.config;
        let mut delay = Duration::from_millis(config.reconnect_initial_ms);
        let mut shutdown = self.shared.supervisor.shutdown_signal();
        loop {
            match open_live(&self.shared, self.address, self.prefetch).await {
                Ok(live) => {
                    info!(message = "Consumer resumed.", queue = %self.address, generation = live.generation);
                    self.live = Some(live);
                    return true;
                }
                Err(TransportError::Shutdown) => return false,
                Err(error) => {
                    warn!(message = "Cannot resume consumer; backing off.", queue = %self.address, %error);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = shutdown.wait_for(|down| *down) => return false,
            }
            delay = (delay * 2).min(Duration::from_millis(config.reconnect_max_ms));
        }
    }

    async fn wait(&mut self) -> Step {
        let Some(live) = self.live.as_mut() else {
            return Step::Lost("no channel".to_owned());
        };
        let mut shutdown = self.shared.supervisor.shutdown_signal();
        let generation = live.generation;
        tokio::select! {
            biased;
            _ = shutdown.wait_for(|down| *down) => Step::Shutdown,
            item = live.stream.next() => match item {
                Some(Ok(delivery)) => Step::Delivery(Box::new(delivery)),
                Some(Err(error)) => Step::Lost(error.to_string()),
                None => Step::Lost("consumer cancelled".to_owned()),
            },
            () = self.shared.supervisor.session_replaced(generation) => Step::Lost("connection replaced".to_owned()),
        }
    }
}

async fn open_live(
    shared: &Shared,
    address: Address,
    prefetch: u16,
) -> Result<LiveConsumer, TransportError> {
    let session = shared.supervisor.session().await?;
    let channel = session.open_channel(&shared.supervisor, "consumer").await?;
    let prefetch = if prefetch == 0 {
        shared.config.prefetch
    } else {
        prefetch
    };
    channel
        .basic_qos(prefetch, BasicQosOptions { global: false })
        .await
        .map_err(|error| refusal_or_connection(&error, "basic.qos"))?;
    let options = BasicConsumeOptions {
        no_ack: false,
        ..BasicConsumeOptions::default()
    };
    let stream = channel
        .basic_consume(
            short(&address.queue_name())?,
            "".into(),
            options,
            FieldTable::default(),
        )
        .await
        .map_err(|error| refusal_or_connection(&error, &format!("consuming {address}")))?;
    Ok(LiveConsumer {
        generation: session.generation,
        _channel: channel,
        stream,
    })
}

fn refusal_or_connection(error: &lapin::Error, what: &str) -> TransportError {
    if error.is_amqp_soft_error() {
        TransportError::Refused(format!("{what}: {error}"))
    } else {
        TransportError::Connection(format!("{what}: {error}"))
    }
}

impl Consumer for AmqpConsumer {
    type Delivery = AmqpDelivery;

    async fn next(&mut self) -> Option<AmqpDelivery> {
        loop {
            if self.shared.supervisor.is_shut_down() {
                self.live = None;
                return None;
            }
            if self.live.is_none() && !self.reopen().await {
                return None;
            }
            match self.wait().await {
                Step::Delivery(delivery) => {
                    return Some(AmqpDelivery::new(
                        Arc::clone(&self.shared),
                        self.address,
                        *delivery,
                    ));
                }
                Step::Lost(reason) => {
                    warn!(message = "Consumer lost its channel; resuming.", queue = %self.address, %reason);
                    self.live = None;
                }
                Step::Shutdown => {
                    self.live = None;
                    return None;
                }
            }
        }
    }
}

/// One message from a queue; settle it exactly once.
pub struct AmqpDelivery {
    shared: Arc<Shared>,
    address: Address,
    body: Vec<u8>,
    properties: BasicProperties,
    message_id: Option<String>,
    authenticated_user: Option<String>,
    headers: Headers,
    redelivered: bool,
    attempt: u32,
    acker: Acker,
}

impl fmt::Debug for AmqpDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpDelivery")
            .field("address", &self.address)
            .field("message_id", &self.message_id)
            .field("authenticated_user", &self.authenticated_user)
            .field("redelivered", &self.redelivered)
            .field("attempt", &self.attempt)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl AmqpDelivery {
    fn new(shared: Arc<Shared>, address: Address, delivery: lapin::message::Delivery) -> Self {
        let headers = delivery
            .properties
            .headers()
            .as_ref()
            .map(from_field_table)
            .unwrap_or_default();
        let attempt = headers
            .get(header::ATTEMPT)
            .and_then(HeaderValue::as_int)
            .map_or(0, |a| u32::try_from(a.max(0)).unwrap_or(u32::MAX));
        let user_id = delivery
            .properties
            .user_id()
            .as_ref()
            .map(|u| u.as_str().to_owned());
        let authenticated_user = effective_publisher(user_id, shared.url.username(), &headers);
        Self {
            message_id: delivery
                .properties
                .message_id()
                .as_ref()
                .map(|m| m.as_str().to_owned()),
            address,
            body: delivery.data,
            properties: delivery.properties,
            authenticated_user,
            headers,
            redelivered: delivery.redelivered,
            attempt,
            acker: delivery.acker,
            shared,
        }
    }

    /// The queue this delivery came from.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Returns the delivery to its queue at once, unsettled (counts towards the delivery
    /// limit). For graceful shutdown paths and tests; rule 3 delays go through
    /// [`Delivery::retry_later`].
    pub async fn requeue(self) -> Result<(), TransportError> {
        let options = BasicNackOptions {
            multiple: false,
            requeue: true,
        };
        settled(self.acker.nack(options).await)
    }

    async fn ack_original(&self) -> Result<(), TransportError> {
        settled(self.acker.ack(BasicAckOptions::default()).await)
    }

    /// Publishes a copy of this message (confirmed) with `extra` headers set.
    async fn publish_copy(
        &self,
        route: Route,
        target: Address,
        extra: Vec<(&str, AMQPValue)>,
    ) -> Result<(), TransportError> {
        let headers = copy_table(self.properties.headers().as_ref(), extra)?;
        let message_id = self.message_id.clone().unwrap_or_default();
        let publication = Publication {
            address: target,
            route,
            message_id: &message_id,
            body: &self.body,
            properties: self.properties.clone().with_headers(headers),
        };
        self.shared.publisher.publish(&publication).await
    }
}

/// The user to report as publisher (see the module invariants).
fn effective_publisher(
    user_id: Option<String>,
    own_user: &str,
    headers: &Headers,
) -> Option<String> {
    let retried = headers
        .get(RETRIED_PUBLISHER)
        .and_then(HeaderValue::as_text);
    match (user_id, retried) {
        (Some(user), Some(original)) if user == own_user => Some(original.to_owned()),
        (user, _) => user,
    }
}

/// lapin answers `Ok(false)` for a stale acker (its channel is gone, or already used).
fn settled(outcome: lapin::Result<bool>) -> Result<(), TransportError> {
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => Err(TransportError::Settle(
            "the delivery's channel is gone or it was settled already; the broker redelivers it"
                .to_owned(),
        )),
        Err(error) => Err(TransportError::Settle(error.to_string())),
    }
}

fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value))
}

impl Delivery for AmqpDelivery {
    fn body(&self) -> &[u8] {
        &self.body
    }

    fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    fn authenticated_user(&self) -> Option<&str> {
        self.authenticated_user.as_deref()
    }

    fn headers(&self) -> &Headers {
        &self.headers
    }

    fn redelivered(&self) -> bool {
        self.redelivered
    }

    fn attempt(&self) -> u32 {
        self.attempt
    }

    async fn ack(self) -> Result<(), TransportError> {
        self.ack_original().await
    }

    async fn retry_later(self, delay: Duration) -> Result<(), TransportError> {
        let step = self.shared.config.retry_step_ms(delay);
        let Some(step) = step.filter(|_| is_work_queue(self.address)) else {
            // Dead-letter queues have no retry steps: give the message back instead of
            // holding it, and say so.
            let requeued = self
                .acker
                .nack(BasicNackOptions {
                    multiple: false,
                    requeue: true,
                })
                .await;
            settled(requeued)?;
            return Err(TransportError::Refused(format!(
                "{} has no retry queues",
                self.address
            )));
        };
        let queue = retry_queue_name(&self.address.queue_name(), step);
        let mut extra = vec![(
            header::ATTEMPT,
            AMQPValue::LongLongInt(i64::from(self.attempt) + 1),
        )];
        if let Some(user) = self.authenticated_user.as_deref() {
            extra.push((RETRIED_PUBLISHER, text(user)));
        }
        let route = Route {
            exchange: retry_exchange(self.address),
            routing_key: queue,
        };
        self.publish_copy(route, self.address, extra).await?;
        self.ack_original().await
    }

    async fn dead_letter(self, reason: DeadLetterReason) -> Result<(), TransportError> {
        let target = dead_address(self.address);
        let mut extra = vec![
            (header::DEAD_STAGE, text(&reason.stage)),
            (header::DEAD_REASONS, text(&reason.reasons_json)),
        ];
        if let Some(user) = self.authenticated_user.as_deref() {
            extra.push((header::DEAD_PUBLISHER, text(user)));
        }
        self.publish_copy(route(target, ""), target, extra).await?;
        self.ack_original().await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn retried_publisher_is_trusted_only_on_own_copies() {
        let mut headers = Headers::new();
        headers.insert(RETRIED_PUBLISHER.into(), HeaderValue::Text("grid".into()));
        assert_eq!(
            effective_publisher(Some("hub".into()), "hub", &headers).as_deref(),
            Some("grid")
        );
        assert_eq!(
            effective_publisher(Some("police".into()), "hub", &headers).as_deref(),
            Some("police")
        );
        assert_eq!(effective_publisher(None, "hub", &headers), None);
        assert_eq!(
            effective_publisher(Some("hub".into()), "hub", &Headers::new()).as_deref(),
            Some("hub")
        );
    }
}
