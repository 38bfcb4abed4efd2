//! Settling publishes whose confirm was lost ("in doubt") by reading the delivery log, so
//! that a dropped connection does not put a second copy of a delivery into a department's
//! queue.
//!
//! # The problem
//!
//! A publish whose connection drops before its confirm arrives has an unknown outcome: the
//! broker may have stored it or not. Republishing blindly gives at most one duplicate per
//! dropped connection (the publisher has one publish in flight at a time); not republishing
//! could lose it. AMQP 0-9-1 has no way to ask the broker "did you store message X?".
//!
//! # How it is settled
//!
//! Every delivery is routed to its queue `deliver.D` *and* to the stream `hub.delivery-log`
//! by the same publish (see [`super::topology`]), so the log holds a delivery exactly when
//! the queue does. When a publish to `hub.deliver` fails with an unknown outcome the
//! publisher records it here ([`Doubts::record`]) and closes the channel. When the relay
//! publishes that message again, the publisher first settles every recorded doubt:
//!
//! 1. it publishes a **fence** (a unique message id, routing key `hub.fence`, which reaches
//!    only the log) on the current connection and waits for its confirm;
//! 2. it reads the log from a little before the earliest doubt up to the fence
//!    ([`read_log_until_fence`]);
//! 3. a doubt whose (message id, routing key) is in that range *was stored*: its republish
//!    returns success without publishing; a doubt that is not there *was not stored* and is
//!    published normally.
//!
//! Why the fence makes "not there" trustworthy: the lost publish was handled, if at all, by
//! the channel of the old connection, which wrote it to both queues in one step before it
//! processed its own closing; the fence is written later, by a new connection, after the
//! old channel is gone. The log is a single ordered stream, so a lost publish that was
//! stored precedes the fence in it.
//!
//! # Limits (where the publisher falls back to at-least-once, i.e. republishes)
//!
//! * Doubts live in memory: a hub process killed with a publish in doubt republishes it
//!   after restart (the recipients' deduplication by `message_id` removes the copy).
//! * A doubt older than the log's retention (`delivery_log_max_age_s`) is not found.
//! * If the client gives up on a connection while the broker still has unread bytes of it
//!   (a network partition rather than a broker-side close or restart), the old publish
//!   could be read by the broker after the fence. RabbitMQ-side closes
//!   (`close_all_connections`, restarts) do not have this window.
//! * The broker and the hub's clocks must agree within [`CLOCK_MARGIN`]: the log is read
//!   from the earliest doubt's time minus that margin (stream offsets by timestamp use the
//!   broker's clock).
//! * If the log is missing (deleted by hand), doubts cannot be settled and are republished.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use lapin::Channel;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable};
use tokio::time::{Instant, timeout_at};

use super::topology::DELIVERY_LOG_QUEUE;
use crate::transport::TransportError;

/// How far before the earliest doubt the log is read (tolerated clock difference between
/// the hub and the broker, plus the stream's one-second timestamp resolution).
pub(crate) const CLOCK_MARGIN: Duration = Duration::from_secs(30);
/// Most doubts remembered; beyond this the oldest are forgotten (they will be republished).
const MAX_DOUBTS: usize = 10_000;
/// Log entries read per credit window.
const LOG_PREFETCH: u16 = 500;

/// Identifies one delivery publish: message id and routing key (one message can be
/// delivered to several departments, each its own publish).
pub(crate) type PublishKey = (String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doubt {
    /// Outcome unknown since the given time (when the publish was attempted).
    Unknown { since: SystemTime },
    /// Found in the delivery log: stored; its republish is a no-op.
    Stored,
}

/// The publishes in doubt, and those already found stored.
#[derive(Debug, Default)]
pub(crate) struct Doubts {
    entries: HashMap<PublishKey, Doubt>,
}

/// What the publisher must do with a publish, given the doubts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// Not in doubt: publish.
    Publish,
    /// In doubt: settle the doubts first.
    Settle,
    /// Found stored earlier: report success without publishing.
    AlreadyStored,
}

impl Doubts {
    /// Records a publish whose outcome is unknown, attempted at `since`.
    pub(crate) fn record(&mut self, key: PublishKey, since: SystemTime) {
        if self.entries.len() >= MAX_DOUBTS
            && let Some(oldest) = self.oldest_unknown_key()
        {
            self.entries.remove(&oldest);
        }
        self.entries.insert(key, Doubt::Unknown { since });
    }

    /// What to do with a publish of `key` (consumes an `AlreadyStored` entry).
    pub(crate) fn disposition(&mut self, key: &PublishKey) -> Disposition {
        match self.entries.get(key) {
            None => Disposition::Publish,
            Some(Doubt::Unknown { .. }) => Disposition::Settle,
            Some(Doubt::Stored) => {
                self.entries.remove(key);
                Disposition::AlreadyStored
            }
        }
    }

    /// When the earliest unsettled doubt was attempted.
    pub(crate) fn earliest(&self) -> Option<SystemTime> {
        self.entries
            .values()
            .filter_map(|d| match d {
                Doubt::Unknown { since } => Some(*since),
                Doubt::Stored => None,
            })
            .min()
    }

    /// Applies what the log showed: doubts seen there are stored, the others were not
    /// stored and are forgotten (their republish goes ahead). Returns how many doubts were
    /// found stored and how many not.
    pub(crate) fn settle(&mut self, seen: &HashSet<PublishKey>) -> (u64, u64) {
        let (mut stored, mut not_stored) = (0, 0);
        self.entries.retain(|key, doubt| match doubt {
            Doubt::Stored => true,
            Doubt::Unknown { .. } if seen.contains(key) => {
                *doubt = Doubt::Stored;
                stored += 1;
                true
            }
            Doubt::Unknown { .. } => {
                not_stored += 1;
                false
            }
        });
        (stored, not_stored)
    }

    /// Gives up on every doubt (the log cannot be read): they will be republished. Returns
    /// how many were given up.
    pub(crate) fn forget_unknown(&mut self) -> u64 {
        let before = self.entries.len();
        self.entries.retain(|_, d| matches!(d, Doubt::Stored));
        (before - self.entries.len()) as u64
    }

    fn oldest_unknown_key(&self) -> Option<PublishKey> {
        self.entries
            .iter()
            .filter_map(|(k, d)| match d {
                Doubt::Unknown { since } => Some((since, k)),
                Doubt::Stored => None,
            })
            .min()
            .map(|(_, k)| k.clone())
    }
}

/// Reads the delivery log on `channel` from `from − CLOCK_MARGIN` until the message with id
/// `fence_id`, returning every (message id, routing key) seen before it. Fails if the fence
/// is not reached by `deadline`.
pub(crate) async fn read_log_until_fence(
    channel: &Channel,
    from: SystemTime,
    fence_id: &str,
    deadline: Instant,
) -> Result<HashSet<PublishKey>, TransportError> {
    let start = from
        .checked_sub(CLOCK_MARGIN)
        .unwrap_or(UNIX_EPOCH)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let failed = |what: &str, error: &dyn std::fmt::Display| {
        TransportError::Connection(format!("reading {DELIVERY_LOG_QUEUE}: {what}: {error}"))
    };
    channel
        .basic_qos(LOG_PREFETCH, BasicQosOptions { global: false })
        .await
        .map_err(|e| failed("basic.qos", &e))?;
    let mut arguments = FieldTable::default();
    arguments.insert("x-stream-offset".into(), AMQPValue::Timestamp(start));
    let mut stream = channel
        .basic_consume(
            DELIVERY_LOG_QUEUE.into(),
            "".into(),
            BasicConsumeOptions::default(),
            arguments,
        )
        .await
        .map_err(|e| {
            if e.is_amqp_soft_error() {
                TransportError::Refused(format!("consuming {DELIVERY_LOG_QUEUE}: {e}"))
            } else {
                failed("basic.consume", &e)
            }
        })?;
    let mut seen = HashSet::new();
    let mut unacked = 0_u16;
    loop {
        let next = timeout_at(deadline, stream.next()).await.map_err(|_| {
            TransportError::Connection(format!(
                "the fence {fence_id} did not appear in {DELIVERY_LOG_QUEUE} in time"
            ))
        })?;
        let delivery = match next {
            Some(Ok(delivery)) => delivery,
            Some(Err(e)) => return Err(failed("delivery", &e)),
            None => return Err(failed("consumer", &"cancelled")),
        };
        let message_id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.as_str().to_owned())
            .unwrap_or_default();
        unacked += 1;
        // Stream consumers get new credit only for acknowledged entries.
        if unacked >= LOG_PREFETCH / 2 || message_id == fence_id {
            delivery
                .acker
                .ack(BasicAckOptions { multiple: true })
                .await
                .map_err(|e| failed("ack", &e))?;
            unacked = 0;
        }
        if message_id == fence_id {
            return Ok(seen);
        }
        seen.insert((message_id, delivery.routing_key.as_str().to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, to: &str) -> PublishKey {
        (id.to_owned(), to.to_owned())
    }

    #[test]
    fn a_doubt_seen_in_the_log_is_stored_once_and_one_not_seen_is_republished() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000);
        let mut doubts = Doubts::default();
        assert_eq!(
            doubts.disposition(&key("a", "POLICE")),
            Disposition::Publish
        );
        doubts.record(key("a", "POLICE"), t0);
        doubts.record(key("b", "GRID"), t0 + Duration::from_secs(5));
        assert_eq!(doubts.earliest(), Some(t0));
        assert_eq!(doubts.disposition(&key("a", "POLICE")), Disposition::Settle);
        // Same message to another department is another publish.
        assert_eq!(doubts.disposition(&key("a", "GRID")), Disposition::Publish);

        let counts = doubts.settle(&HashSet::from([key("a", "POLICE"), key("zzz", "STATION")]));
        assert_eq!(counts, (1, 1));
        assert_eq!(doubts.earliest(), None);
        assert_eq!(
            doubts.disposition(&key("a", "POLICE")),
            Disposition::AlreadyStored
        );
        // Consumed: a later publish of the same key is a new publish.
        assert_eq!(
            doubts.disposition(&key("a", "POLICE")),
            Disposition::Publish
        );
        // Not in the log: not stored, so republished.
        assert_eq!(doubts.disposition(&key("b", "GRID")), Disposition::Publish);
    }

    #[test]
    fn forgetting_keeps_what_was_found_stored() {
        let mut doubts = Doubts::default();
        doubts.record(key("a", "POLICE"), UNIX_EPOCH);
        doubts.record(key("b", "POLICE"), UNIX_EPOCH);
        doubts.settle(&HashSet::from([key("a", "POLICE")]));
        doubts.record(key("c", "POLICE"), UNIX_EPOCH);
        assert_eq!(doubts.forget_unknown(), 1);
        assert_eq!(
            doubts.disposition(&key("a", "POLICE")),
            Disposition::AlreadyStored
        );
        assert_eq!(
            doubts.disposition(&key("c", "POLICE")),
            Disposition::Publish
        );
    }

    #[test]
    fn the_number_of_doubts_is_bounded_by_dropping_the_oldest() {
        let mut doubts = Doubts::default();
        for i in 0..MAX_DOUBTS + 3 {
            doubts.record(
                key(&i.to_string(), "POLICE"),
                UNIX_EPOCH + Duration::from_secs(i as u64),
            );
        }
        assert_eq!(doubts.entries.len(), MAX_DOUBTS);
        assert_eq!(doubts.earliest(), Some(UNIX_EPOCH + Duration::from_secs(3)));
    }
}
