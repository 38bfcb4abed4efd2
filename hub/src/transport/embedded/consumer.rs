//! Consuming a queue (rules 2, 5, 6 and 8): [`EmbeddedConsumer`] claims rows with a lease
//! and yields them in id order.
//!
//! # Invariants
//!
//! * **Prefetch.** A consumer never holds more than `prefetch` rows: claimed rows waiting in
//!   its buffer plus deliveries handed out and not yet settled or dropped. It claims only
//!   what fits, and waits for a settlement when full.
//! * **Id order.** Each claim returns the lowest claimable ids of the queue, sorted, and the
//!   buffer is drained before the next claim, so a single consumer yields in id order.
//! * **Every held row is a [`Lease`].** A lease registers its row for renewal and counts
//!   against the prefetch while it lives; dropping it (settled, or abandoned) undoes both.
//!   Abandoned *delivered* rows keep their lease in the table until it expires (rule 2);
//!   abandoned *buffered* rows, never handed out, are released at once without counting
//!   the delivery.
//! * **Waiting** is for the queue's wake-up (sent by the writer after commits that add rows
//!   there), the poll interval (expired leases, ended retry delays), or shutdown. The
//!   wake-up is armed before the claim, so a commit between the claim and the wait is not
//!   missed.
//! * **`next` is cancel-safe:** a delivery is either returned or stays in the buffer or the
//!   queue. Rows claimed for a `next()` dropped before the claim's answer arrived are given
//!   back by the writer at once (or, if that fails, when their lease expires).

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, oneshot, watch};
use tracing::warn;

use super::delivery::EmbeddedDelivery;
use super::writer::{Claim, ClaimedRow, Op, Settlement};
use super::{Shared, dead_address, is_work_queue};
use crate::transport::{Address, Consumer, TransportError};

/// Longest back-off after failed claims.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Per-consumer bookkeeping shared with its leases.
#[derive(Debug, Default)]
pub(super) struct ConsumerState {
    /// Rows held: buffered plus handed out and unsettled.
    held: AtomicUsize,
    /// Notified whenever a held row is let go.
    released: Notify,
}

/// A row this process holds. Dropping it stops the renewal of its lease and frees a
/// prefetch slot.
pub(super) struct Lease {
    pub(super) shared: Arc<Shared>,
    state: Arc<ConsumerState>,
    pub(super) id: i64,
    pub(super) owner: Arc<str>,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .finish()
    }
}

impl Lease {
    fn new(shared: Arc<Shared>, state: Arc<ConsumerState>, id: i64, owner: Arc<str>) -> Self {
        state.held.fetch_add(1, Ordering::AcqRel);
        shared.leases.insert(id, Arc::clone(&owner));
        Self {
            shared,
            state,
            id,
            owner,
        }
    }

    /// Settles the row through the writer: `Ok` once committed, [`TransportError::Settle`]
    /// when the lease was lost (nothing changed: whoever holds the row now settles it) or
    /// the write failed (nothing changed: the row comes back when the lease expires).
    pub(super) async fn settle(&self, settlement: Settlement) -> Result<(), TransportError> {
        let (reply, answer) = oneshot::channel();
        let op = Op::Settle {
            id: self.id,
            owner: Arc::clone(&self.owner),
            settlement,
            reply: Some(reply),
        };
        if !self.shared.submit(op).await {
            return Err(TransportError::Settle(
                "the queue writer has stopped; the message comes back when its lease expires"
                    .to_owned(),
            ));
        }
        match answer.await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(TransportError::Settle(format!(
                "the lease on message row {} expired and it was claimed again; the new holder settles it",
                self.id
            ))),
            Ok(Err(detail)) => Err(TransportError::Settle(format!(
                "{detail}; the message comes back when its lease expires"
            ))),
            Err(_) => Err(TransportError::Settle(
                "the queue writer stopped before answering; the message comes back when its lease expires"
                    .to_owned(),
            )),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.shared.leases.remove(self.id);
        self.state.held.fetch_sub(1, Ordering::AcqRel);
        self.state.released.notify_one();
    }
}

/// A claimed row waiting in the prefetch buffer.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) row: ClaimedRow,
    pub(super) lease: Lease,
}

/// A consumer of one queue.
pub struct EmbeddedConsumer {
    shared: Arc<Shared>,
    address: Address,
    queue: String,
    dead_queue: Option<String>,
    owner: Arc<str>,
    prefetch: usize,
    state: Arc<ConsumerState>,
    buffer: VecDeque<Pending>,
    wake: Arc<Notify>,
    shutdown: watch::Receiver<bool>,
}

impl fmt::Debug for EmbeddedConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedConsumer")
            .field("queue", &self.queue)
            .field("owner", &self.owner)
            .field("prefetch", &self.prefetch)
            .field("held", &self.state.held.load(Ordering::Acquire))
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

impl EmbeddedConsumer {
    pub(super) fn new(shared: Arc<Shared>, address: Address, prefetch: u16) -> Self {
        let queue = address.queue_name();
        let dead_queue = is_work_queue(address).then(|| dead_address(address).queue_name());
        let wake = shared.wakers.of(&queue);
        let shutdown = shared.shutdown.subscribe();
        Self {
            address,
            queue,
            dead_queue,
            owner: Arc::from(uuid::Uuid::new_v4().to_string()),
            prefetch: usize::from(prefetch.max(1)),
            state: Arc::new(ConsumerState::default()),
            buffer: VecDeque::new(),
            wake,
            shutdown,
            shared,
        }
    }

    /// The queue consumed.
    pub fn address(&self) -> Address {
        self.address
    }

    /// This consumer's lease owner id (`queue_messages.lease_owner` of the rows it holds).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Claims up to `limit` rows into the buffer; returns how many.
    async fn claim(&mut self, limit: usize) -> Result<usize, String> {
        let (reply, answer) = oneshot::channel();
        let op = Op::Claim {
            claim: Claim {
                queue: self.queue.clone(),
                owner: Arc::clone(&self.owner),
                limit: i64::try_from(limit).unwrap_or(i64::MAX),
                dead_queue: self.dead_queue.clone(),
            },
            reply,
        };
        if !self.shared.submit(op).await {
            return Err("the queue writer has stopped".to_owned());
        }
        let rows = answer
            .await
            .map_err(|_| "the queue writer stopped before answering".to_owned())??;
        let count = rows.len();
        for row in rows {
            let lease = Lease::new(
                Arc::clone(&self.shared),
                Arc::clone(&self.state),
                row.id,
                Arc::clone(&self.owner),
            );
            self.buffer.push_back(Pending { row, lease });
        }
        Ok(count)
    }

    /// Gives every buffered row back to the queue at once (never handed out: the claim does
    /// not count as a delivery).
    fn release_buffer(&mut self) {
        for pending in self.buffer.drain(..) {
            self.shared.submit_now(Op::Settle {
                id: pending.lease.id,
                owner: Arc::clone(&pending.lease.owner),
                settlement: Settlement::Release {
                    unhanded: true,
                    queue: self.queue.clone(),
                },
                reply: None,
            });
        }
    }

    /// Sleeps `delay` unless shutdown comes first.
    async fn pause(&mut self, delay: Duration) {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = self.shutdown.wait_for(|down| *down) => {}
        }
    }
}

impl Drop for EmbeddedConsumer {
    fn drop(&mut self) {
        self.release_buffer();
    }
}

impl Consumer for EmbeddedConsumer {
    type Delivery = EmbeddedDelivery;

    async fn next(&mut self) -> Option<EmbeddedDelivery> {
        let poll = self.shared.config.poll_interval();
        let mut backoff = poll;
        loop {
            if *self.shutdown.borrow() {
                self.release_buffer();
                return None;
            }
            if let Some(pending) = self.buffer.pop_front() {
                return Some(EmbeddedDelivery::new(self.address, pending));
            }
            let held = self.state.held.load(Ordering::Acquire);
            if held >= self.prefetch {
                let state = Arc::clone(&self.state);
                tokio::select! {
                    () = state.released.notified() => {}
                    _ = self.shutdown.wait_for(|down| *down) => {}
                }
                continue;
            }
            let wake = Arc::clone(&self.wake);
            let woken = wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match self.claim(self.prefetch - held).await {
                Ok(0) => {
                    backoff = poll;
                    tokio::select! {
                        () = woken => {}
                        () = tokio::time::sleep(poll) => {}
                        _ = self.shutdown.wait_for(|down| *down) => {}
                    }
                }
                Ok(_) => backoff = poll,
                Err(error) => {
                    warn!(
                        message = "Cannot claim messages; backing off.",
                        queue = %self.queue,
                        backoff_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                        %error
                    );
                    self.pause(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX.max(poll));
                }
            }
        }
    }
}
