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
//! * **Deliveries are not duplicated by a lost confirm.** A publish to `hub.deliver` whose
//!   outcome is unknown is remembered; when it is published again, the delivery log is read
//!   first and a copy that was in fact stored is not published a second time (see
//!   [`super::in_doubt`] for how, and for the cases that fall back to at-least-once).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::ShortString;
use lapin::{BasicProperties, Channel, Confirmation, ErrorKind};
use tokio::sync::Mutex;
use tokio::time::{Instant, timeout_at};

use contracts::model::Actor;
use tracing::{info, warn};

use super::connection::{Session, Supervisor};
use super::in_doubt::{Disposition, Doubts, PublishKey, read_log_until_fence};
use super::topology::{DELIVER_EXCHANGE, FENCE_KEY, Route};
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

/// What the publisher keeps between publishes (under one lock: publishes are serialized).
#[derive(Default)]
struct State {
    channel: Option<ConfirmChannel>,
    doubts: Doubts,
}

/// The serialized confirm-mode publisher of one transport.
pub(crate) struct Publisher {
    supervisor: Supervisor,
    user_id: ShortString,
    confirm_timeout: Duration,
    state: Mutex<State>,
    counts: InDoubtCounts,
}

/// How publishes left in doubt were settled, since the transport started.
#[derive(Debug, Default)]
pub(crate) struct InDoubtCounts {
    /// Found in the delivery log: stored, not published again.
    pub(crate) stored: AtomicU64,
    /// Not in the log: not stored, published again.
    pub(crate) not_stored: AtomicU64,
    /// The log could not be read: published again (at-least-once).
    pub(crate) given_up: AtomicU64,
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
            state: Mutex::new(State::default()),
            counts: InDoubtCounts::default(),
        }
    }

    /// How publishes left in doubt were settled so far.
    pub(crate) fn in_doubt_counts(&self) -> &InDoubtCounts {
        &self.counts
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
        let Ok(mut state) = timeout_at(deadline, self.state.lock()).await else {
            return Err(not_connected("publisher busy"));
        };
        let state = &mut *state;
        let (session, channel) = match timeout_at(deadline, self.channel(&mut state.channel)).await
        {
            Ok(Ok(open)) => open,
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(not_connected("no broker connection")),
        };
        let key = publish_key(message);
        if let Some(key) = &key {
            match state.doubts.disposition(key) {
                Disposition::Publish => {}
                Disposition::AlreadyStored => return already_stored(message),
                Disposition::Settle => {
                    let settled =
                        timeout_at(deadline, self.settle(state, &session, &channel, deadline))
                            .await
                            .unwrap_or_else(|_| {
                                Err(not_confirmed(
                                    message,
                                    "settling doubts timed out".to_owned(),
                                ))
                            });
                    if let Err(error) = settled {
                        state.channel = None;
                        return Err(error);
                    }
                    if state.doubts.disposition(key) == Disposition::AlreadyStored {
                        return already_stored(message);
                    }
                }
            }
        }
        let attempted_at = SystemTime::now();
        let outcome = match timeout_at(deadline, self.send(&channel, message)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(not_confirmed(
                message,
                format!("no confirm within {} ms", self.confirm_timeout.as_millis()),
            )),
        };
        if let Err(error) = &outcome {
            if let (Some(key), TransportError::NotConfirmed { .. }) = (key, error) {
                state.doubts.record(key, attempted_at);
                // Close the old channel so the broker is done with it before any fence.
                close_quietly(&channel, "publish in doubt").await;
            }
            state.channel = None;
        }
        outcome
    }

    /// Settles every recorded doubt: fence, then read the delivery log up to the fence.
    /// A log that does not exist (deleted by hand) cannot settle anything: the doubts are
    /// given up and republished (at-least-once).
    async fn settle(
        &self,
        state: &mut State,
        session: &Session,
        channel: &Channel,
        deadline: Instant,
    ) -> Result<(), TransportError> {
        let Some(from) = state.doubts.earliest() else {
            return Ok(());
        };
        let fence_id = format!("fence-{}", uuid::Uuid::new_v4());
        let fence = Publication {
            // Display only: the fence goes to the delivery log, no department's queue.
            address: Address::Deliver(Actor::Hub),
            route: Route {
                exchange: DELIVER_EXCHANGE.to_owned(),
                routing_key: FENCE_KEY.to_owned(),
            },
            message_id: &fence_id,
            body: b"",
            properties: BasicProperties::default().with_message_id(fence_id.as_str().into()),
        };
        self.send(channel, &fence).await?;
        let reader = session
            .open_channel(&self.supervisor, "delivery log")
            .await?;
        let read = read_log_until_fence(&reader, from, &fence_id, deadline).await;
        close_quietly(&reader, "delivery log read").await;
        match read {
            Ok(seen) => {
                let (stored, not_stored) = state.doubts.settle(&seen);
                self.counts.stored.fetch_add(stored, Ordering::Relaxed);
                self.counts
                    .not_stored
                    .fetch_add(not_stored, Ordering::Relaxed);
                info!(
                    message =
                        "Publishes left in doubt by a lost confirm settled from the delivery log.",
                    stored, not_stored
                );
                Ok(())
            }
            Err(TransportError::Refused(detail)) => {
                warn!(
                    message = "The delivery log cannot be read; publishes in doubt will be republished.",
                    %detail
                );
                let given_up = state.doubts.forget_unknown();
                self.counts.given_up.fetch_add(given_up, Ordering::Relaxed);
                Ok(())
            }
            Err(error) => Err(error),
        }
    }
    /// The current session and confirm channel, opened on the current connection if needed.
    async fn channel(
        &self,
        slot: &mut Option<ConfirmChannel>,
    ) -> Result<(std::sync::Arc<Session>, Channel), TransportError> {
        let session = self.supervisor.session().await?;
        if let Some(open) = slot.as_ref()
            && open.generation == session.generation
            && open.channel.status().connected()
        {
            let channel = open.channel.clone();
            return Ok((session, channel));
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
        Ok((session, channel))
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

/// The key under which a publish can be in doubt: only deliveries (they are logged).
fn publish_key(message: &Publication<'_>) -> Option<PublishKey> {
    (message.route.exchange == DELIVER_EXCHANGE).then(|| {
        (
            message.message_id.to_owned(),
            message.route.routing_key.clone(),
        )
    })
}

fn already_stored(message: &Publication<'_>) -> Result<(), TransportError> {
    info!(
        message = "A publish left in doubt by a lost confirm was found in the delivery log; not published again.",
        message_id = message.message_id,
        address = %message.address
    );
    Ok(())
}

async fn close_quietly(channel: &Channel, why: &str) {
    if channel.status().connected() {
        let closing = channel.close(200, why.into());
        if let Ok(Err(error)) = tokio::time::timeout(Duration::from_secs(1), closing).await {
            tracing::debug!(message = "Closing a channel failed.", %error);
        }
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
