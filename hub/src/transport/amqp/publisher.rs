//! Confirmed publishing (transport rule 1) on one publisher channel per connection.
//!
//! Invariants:
//! * Every publish is persistent (`delivery_mode = 2`), `mandatory`, carries the
//!   connection's user as `user_id` (RabbitMQ checks it) and waits for its confirm within
//!   `confirm_timeout_ms`, counted from the call (waiting for the connection and for
//!   earlier publishes included).
//! * Only `Ack` without a returned message is success. A returned message is
//!   [`TransportError::Unroutable`]; a nack, a lost channel or connection, or a timeout is
//!   [`TransportError::NotConfirmed`] (outcome unknown); a broker refusal of the publish
//!   itself (`ACCESS_REFUSED` on a topic permission, `PRECONDITION_FAILED` on a forged
//!   `user_id`) is [`TransportError::Refused`] (the message was not stored).
//! * Publishes are **serialized**: one at a time on one confirm channel. With sequential
//!   confirms at most one message per connection drop has an unknown outcome, and a
//!   channel closed by a refusal cannot take other callers' messages down with it. The
//!   price is throughput (one confirm round trip per message); the outbox relay batches
//!   nothing anyway, since it marks each row sent only after its own confirm.
//! * After any failure the channel is dropped and reopened by the next publish, so a
//!   channel closed by the broker is never reused.

use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::ShortString;
use lapin::{BasicProperties, Channel, Confirmation, ErrorKind};
use tokio::sync::Mutex;
use tokio::time::{Instant, timeout_at};

use super::connection::Supervisor;
use super::topology::Route;
use crate::transport::{Address, TransportError};

/// One message ready to send.
#[derive(Debug)]
pub(crate) struct Publication<'a> {
    /// The logical destination (for error messages).
    pub(crate) address: Address,
    /// Exchange and routing key.
    pub(crate) route: Route,
    /// The `message_id` property (also set in `properties`).
    pub(crate) message_id: &'a str,
    /// The bytes.
    pub(crate) body: &'a [u8],
    /// Properties; `user_id` and `delivery_mode` are overwritten by the publisher.
    pub(crate) properties: BasicProperties,
}

struct ConfirmChannel {
    generation: u64,
    channel: Channel,
}

/// The serialized confirm-mode publisher of one transport.
pub(crate) struct Publisher {
    supervisor: Supervisor,
    user_id: ShortString,
    confirm_timeout: Duration,
    slot: Mutex<Option<ConfirmChannel>>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl Publisher {
    pub(crate) fn new(
        supervisor: Supervisor,
        user_id: ShortString,
        confirm_timeout: Duration,
    ) -> Self {
        Self {
            supervisor,
            user_id,
            confirm_timeout,
            slot: Mutex::new(None),
        }
    }

    /// Publishes and waits for the broker's confirm (see the module invariants).
    pub(crate) async fn publish(&self, message: &Publication<'_>) -> Result<(), TransportError> {
        let deadline = Instant::now() + self.confirm_timeout;
        let not_connected = |what: &str| {
            TransportError::Connection(format!(
                "{what} within {} ms; {} to {} not sent",
                self.confirm_timeout.as_millis(),
                message.message_id,
                message.address
            ))
        };
        let Ok(mut slot) = timeout_at(deadline, self.slot.lock()).await else {
            return Err(not_connected("publisher busy"));
        };
        let channel = match timeout_at(deadline, self.channel(&mut slot)).await {
            Ok(Ok(channel)) => channel,
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(not_connected("no broker connection")),
        };
        let outcome = match timeout_at(deadline, self.send(&channel, message)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(not_confirmed(
                message,
                format!("no confirm within {} ms", self.confirm_timeout.as_millis()),
            )),
        };
        if outcome.is_err() {
            *slot = None;
        }
        outcome
    }

    /// The current confirm channel, opened on the current connection if needed.
    async fn channel(&self, slot: &mut Option<ConfirmChannel>) -> Result<Channel, TransportError> {
        let session = self.supervisor.session().await?;
        if let Some(open) = slot.as_ref()
            && open.generation == session.generation
            && open.channel.status().connected()
        {
            return Ok(open.channel.clone());
        }
        *slot = None;
        let channel = session.open_channel(&self.supervisor, "publisher").await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|error| {
                TransportError::Connection(format!("cannot enable publisher confirms: {error}"))
            })?;
        *slot = Some(ConfirmChannel {
            generation: session.generation,
            channel: channel.clone(),
        });
        Ok(channel)
    }

    async fn send(
        &self,
        channel: &Channel,
        message: &Publication<'_>,
    ) -> Result<(), TransportError> {
        let properties = message
            .properties
            .clone()
            .with_user_id(self.user_id.clone())
            .with_delivery_mode(2);
        let options = BasicPublishOptions {
            mandatory: true,
            immediate: false,
        };
        let exchange = super::fields::short(&message.route.exchange)?;
        let routing_key = super::fields::short(&message.route.routing_key)?;
        let confirm = channel
            .basic_publish(exchange, routing_key, options, message.body, properties)
            .await
            .map_err(|error| classify(message, &error))?;
        let confirmation = confirm.await.map_err(|error| classify(message, &error))?;
        interpret(message, confirmation)
    }
}

fn not_confirmed(message: &Publication<'_>, detail: String) -> TransportError {
    TransportError::NotConfirmed {
        message_id: message.message_id.to_owned(),
        address: message.address,
        detail,
    }
}

/// What a confirm means (only `Ack(None)` is success).
fn interpret(message: &Publication<'_>, confirmation: Confirmation) -> Result<(), TransportError> {
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(returned)) => Err(TransportError::Unroutable {
            message_id: message.message_id.to_owned(),
            address: message.address,
            detail: format!(
                "{} {} (exchange {}, key {})",
                returned.reply_code,
                returned.reply_text,
                message.route.exchange,
                message.route.routing_key
            ),
        }),
        Confirmation::Nack(_) => Err(not_confirmed(
            message,
            "the broker nacked the publish".to_owned(),
        )),
        Confirmation::NotRequested => Err(not_confirmed(
            message,
            "the channel was not in confirm mode".to_owned(),
        )),
    }
}

/// A failed publish: refusals of the publish itself have a known outcome (not stored);
/// everything else is unknown.
fn classify(message: &Publication<'_>, error: &lapin::Error) -> TransportError {
    if let ErrorKind::ProtocolError(amqp) = error.kind()
        && let AMQPErrorKind::Soft(soft) = amqp.kind()
    {
        let detail = format!(
            "{} (publish of {} to {})",
            amqp.get_message(),
            message.message_id,
            message.address
        );
        match soft {
            AMQPSoftError::ACCESSREFUSED | AMQPSoftError::PRECONDITIONFAILED => {
                return TransportError::Refused(detail);
            }
            AMQPSoftError::NOTFOUND => {
                return TransportError::Unroutable {
                    message_id: message.message_id.to_owned(),
                    address: message.address,
                    detail: amqp.get_message().to_string(),
                };
            }
            _ => {}
        }
    }
    not_confirmed(message, error.to_string())
}
