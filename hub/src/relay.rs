//! The outbox relay: moves the store's outbox into the transport's queues, in outbox order.
//! How depends on the transport ([`OutboxTransport`] picks it for [`crate::app::start`]):
//!
//! * **Confirmed publish** (RabbitMQ, [`Relay::new`]): each row is published with a
//!   confirm, then marked published — two steps, so a crash between them publishes the row
//!   again.
//! * **One transaction** (embedded transport, [`Relay::embedded`]): the queues live in the
//!   store's own database, so one write transaction reads the pending rows in id order,
//!   marks each published ([`Store::mark_published_in`]), enqueues it
//!   ([`EmbeddedTransport::enqueue_in`]) and commits; consumers are woken after the commit.
//!   A row is in its queue exactly when it is marked: **with the embedded transport a crash
//!   (even SIGKILL) can no longer duplicate deliveries**, nor lose one.
//!
//! # Invariants
//!
//! * **No loss.** A row is marked published only after [`Transport::publish`] returned `Ok`
//!   (durably stored, rule 1 of [`crate::transport`]), or in the very transaction that
//!   enqueues it; until then it stays in the outbox and is retried, across restarts too.
//! * **Confirmed publish: at least once, not exactly once.** After a publish error, or a
//!   crash between the confirm and [`Store::mark_published`], the outcome is unknown and the
//!   row is published again. On RabbitMQ the transport settles a lost confirm from its
//!   delivery log before republishing (no copy after a dropped connection, ADR 0008), so
//!   duplicates remain possible only after a crash of the hub; every consumer deduplicates
//!   by `message_id`.
//! * **One transaction: exactly once into the queue.** Marking comes first and a row that
//!   was already marked is skipped, so even two relays racing on one store (which should not
//!   happen) enqueue a row once; a failed commit changes nothing and the pass is retried.
//! * **Order per address.** Rows are moved in id (commit) order. When a row fails, no later
//!   row of the same address is moved before it: the address is held back for the rest of
//!   the pass and the pass reports the failure, and the next pass starts again from the
//!   oldest pending row. Other addresses keep flowing, so one missing queue does not stop
//!   every department. (On SQLite, id order is commit order because writers are serialised;
//!   a PostgreSQL store must keep that property, e.g. by taking the outbox ids under a lock,
//!   before this holds there.)
//! * **Back-off.** An address whose publish failed is not tried again for 100 ms, doubling
//!   with each further failure to at most 5 s, and reset by a success; meanwhile its rows are
//!   held back and other addresses keep flowing. A store failure (with the embedded
//!   transport: any failed transaction) pauses the whole relay with the same back-off.
//!   Between passes the relay waits for [`Relay::notifier`], the end of an address's
//!   back-off, or 500 ms, whichever comes first.
//!
//! # Concurrency
//!
//! One relay per store. [`Relay::run`] owns the relay; the pipeline keeps the
//! [`Relay::notifier`] and calls `notify_one()` after each commit (a notification sent while
//! the relay is busy is kept, so none is lost).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use tracing::{debug, info, warn};

use crate::contracts::model::Actor;
use crate::store::{OutboxRow, Store, StoreError};
use crate::transport::amqp::AmqpTransport;
use crate::transport::embedded::{EmbeddedError, EmbeddedTransport};
use crate::transport::{Address, HeaderValue, Outgoing, Transport, TransportError, header};

/// First wait after a failed pass.
const BACKOFF_INITIAL: Duration = Duration::from_millis(100);
/// Longest wait after failed passes.
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Longest wait between passes when nothing wakes the relay.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Rows read from the store at a time.
const BATCH_ROWS: u32 = 256;
/// A publish that takes longer than this counts as failed (outcome unknown; retried).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the final pass at shutdown may take; what is left stays in the outbox.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);

/// A relay failure. The rows concerned stay in the outbox.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The transport did not confirm a publish (outcome unknown: the row will be published
    /// again).
    #[error("publish of outbox row {outbox_id} ({message_id}) failed: {source}")]
    Publish {
        /// Outbox row id.
        outbox_id: i64,
        /// The outgoing message id.
        message_id: String,
        /// Why.
        #[source]
        source: TransportError,
    },
    /// No confirm within the relay's publish timeout (outcome unknown).
    #[error("publish of outbox row {outbox_id} ({message_id}) timed out")]
    PublishTimeout {
        /// Outbox row id.
        outbox_id: i64,
        /// The outgoing message id.
        message_id: String,
    },
    /// The row's queue name maps to no transport address (a bug in whoever wrote the row);
    /// the row and the rows after it for that address wait until it is repaired.
    #[error("outbox row {outbox_id} has an unknown address {address:?}")]
    UnknownAddress {
        /// Outbox row id.
        outbox_id: i64,
        /// The stored queue name.
        address: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The embedded transport refused to enqueue (not a database failure; those are
    /// [`RelayError::Store`]).
    #[error("enqueueing into the embedded queues failed: {0}")]
    Enqueue(EmbeddedError),
}

impl From<EmbeddedError> for RelayError {
    /// A database failure of the embedded queues is a failure of the store's database (the
    /// same file and pool), transient or not by the same rules.
    fn from(error: EmbeddedError) -> Self {
        match error {
            EmbeddedError::Database(source) => RelayError::Store(StoreError::Database(source)),
            other => RelayError::Enqueue(other),
        }
    }
}

impl RelayError {
    /// Whether a later pass can succeed without anyone repairing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            RelayError::Publish { source, .. } => source.is_transient(),
            RelayError::PublishTimeout { .. } => true,
            RelayError::UnknownAddress { .. } => false,
            RelayError::Store(e) => e.is_transient(),
            RelayError::Enqueue(_) => false,
        }
    }
}

/// What one pass did.
#[derive(Debug)]
struct PassReport {
    /// Rows published and marked.
    published: usize,
    /// The first publish failure, if any.
    first_failure: Option<RelayError>,
}

/// Per-address back-off after publish failures: the next attempt waits 100 ms, doubling to
/// at most 5 s; a success clears it.
#[derive(Debug, Default)]
struct Backoffs {
    by_address: HashMap<String, (Instant, Duration)>,
}

impl Backoffs {
    /// Whether `address` must not be tried at `now`.
    fn is_waiting(&self, address: &str, now: Instant) -> bool {
        self.by_address
            .get(address)
            .is_some_and(|(until, _)| *until > now)
    }

    /// Records a failure; returns how long the address now waits.
    fn failed(&mut self, address: &str, now: Instant) -> Duration {
        let wait = match self.by_address.get(address) {
            Some((_, last)) => (*last * 2).min(BACKOFF_MAX),
            None => BACKOFF_INITIAL,
        };
        self.by_address
            .insert(address.to_owned(), (now + wait, wait));
        wait
    }

    /// Records a success.
    fn succeeded(&mut self, address: &str) {
        self.by_address.remove(address);
    }

    /// When the earliest address still waiting at `now` may be tried again.
    fn next_due(&self, now: Instant) -> Option<Instant> {
        self.by_address
            .values()
            .map(|(until, _)| *until)
            .filter(|until| *until > now)
            .min()
    }

    /// Forgets addresses that have no pending rows any more.
    fn retain_pending(&mut self, pending: &HashSet<String>) {
        self.by_address
            .retain(|address, _| pending.contains(address));
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// How the relay moves rows into the transport.
enum Mode {
    /// Publish with a confirm, then mark (two steps).
    ConfirmedPublish,
    /// Enqueue and mark in one store transaction (the embedded transport's queues live in
    /// the store's database).
    OneTransaction(Arc<EmbeddedTransport>),
}

/// Moves the outbox into the transport's queues (see the module docs).
pub struct Relay<T: Transport> {
    store: Store,
    transport: Arc<T>,
    mode: Mode,
    notify: Arc<Notify>,
}

impl<T: Transport> fmt::Debug for Relay<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Mode::ConfirmedPublish => "confirmed publish",
            Mode::OneTransaction(_) => "one transaction",
        };
        f.debug_struct("Relay")
            .field("store", &self.store)
            .field("mode", &mode)
            .finish_non_exhaustive()
    }
}

/// A transport the hub runs over, with the relay that suits it: [`crate::app::start`] builds
/// its relay with [`OutboxTransport::outbox_relay`].
pub trait OutboxTransport: Transport + Sized {
    /// The relay of `store`'s outbox into `transport`.
    fn outbox_relay(store: Store, transport: Arc<Self>) -> Relay<Self>;
}

impl OutboxTransport for AmqpTransport {
    /// Confirmed publish, then mark ([`Relay::new`]).
    fn outbox_relay(store: Store, transport: Arc<Self>) -> Relay<Self> {
        Relay::new(store, transport)
    }
}

impl OutboxTransport for EmbeddedTransport {
    /// Enqueue and mark in one transaction ([`Relay::embedded`]).
    fn outbox_relay(store: Store, transport: Arc<Self>) -> Relay<Self> {
        Relay::embedded(store, transport)
    }
}

impl Relay<EmbeddedTransport> {
    /// A relay of `store`'s outbox into the embedded `transport`, which must run on the same
    /// database as `store` ([`EmbeddedTransport::open`] with this store): each pass moves
    /// pending rows into their queues and marks them published in one transaction.
    pub fn embedded(store: Store, transport: Arc<EmbeddedTransport>) -> Self {
        Relay {
            store,
            mode: Mode::OneTransaction(Arc::clone(&transport)),
            transport,
            notify: Arc::new(Notify::new()),
        }
    }
}

impl<T: Transport> Relay<T> {
    /// A relay of `store`'s outbox through `transport` by confirmed publishes: each row is
    /// published, then marked published.
    pub fn new(store: Store, transport: Arc<T>) -> Self {
        Relay {
            store,
            transport,
            mode: Mode::ConfirmedPublish,
            notify: Arc::new(Notify::new()),
        }
    }

    /// The handle that wakes the relay: call `notify_one()` after committing outbox rows.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }

    /// Moves every pending row once, in id order, and returns how many were moved.
    /// If a row fails, later rows of its address are held back (order per address) while
    /// other addresses continue; the first failure is returned after the pass (a store
    /// failure ends the pass at once). Used by tests and at shutdown; [`Relay::run`] makes
    /// the same passes with per-address back-off.
    pub async fn drain_once(&self) -> Result<usize, RelayError> {
        let report = self.pass(&mut Backoffs::default(), Instant::now()).await?;
        match report.first_failure {
            None => Ok(report.published),
            Some(error) => Err(error),
        }
    }

    /// Runs until `shutdown` turns true (or its sender is dropped): passes over the outbox,
    /// woken by the notifier, when an address's back-off ends, or every 500 ms; then one last
    /// pass bounded to a few seconds (what remains is published after the next start).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoffs = Backoffs::default();
        let mut store_backoff = BACKOFF_INITIAL;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let wait = match self.pass(&mut backoffs, Instant::now()).await {
                Ok(report) => {
                    store_backoff = BACKOFF_INITIAL;
                    if report.published > 0 {
                        debug!(published = report.published, "Outbox rows published.");
                    }
                    let now = Instant::now();
                    let due = backoffs
                        .next_due(now)
                        .map(|at| at.saturating_duration_since(now));
                    due.map_or(POLL_INTERVAL, |d| d.min(POLL_INTERVAL))
                }
                Err(error) => {
                    let wait = store_backoff;
                    store_backoff = (store_backoff * 2).min(BACKOFF_MAX);
                    warn!(
                        message = "Relay cannot read or update the outbox; backing off.",
                        backoff_ms = millis(wait),
                        transient = error.is_transient(),
                        %error
                    );
                    // Only time ends this wait: a wake-up must not defeat the back-off.
                    tokio::select! {
                        changed = shutdown.changed() => if changed.is_err() { break },
                        () = tokio::time::sleep(wait) => {}
                    }
                    continue;
                }
            };
            tokio::select! {
                changed = shutdown.changed() => if changed.is_err() { break },
                () = self.notify.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
        match tokio::time::timeout(SHUTDOWN_DRAIN, self.drain_once()).await {
            Ok(Ok(count)) => info!(published = count, "Relay stopped; outbox drained."),
            Ok(Err(error)) => warn!(%error, "Relay stopped; some rows stay in the outbox."),
            Err(_) => warn!("Relay stopped; the final pass timed out, rows stay in the outbox."),
        }
    }

    /// One pass over the pending rows in id order. Rows of an address that failed in this
    /// pass, or that is backing off, are held back. Returns what was published and the first
    /// publish failure; a store failure ends the pass.
    async fn pass(&self, backoffs: &mut Backoffs, now: Instant) -> Result<PassReport, RelayError> {
        match &self.mode {
            Mode::ConfirmedPublish => Ok(self.publish_pass(backoffs, now).await?),
            Mode::OneTransaction(embedded) => self.transaction_pass(embedded, backoffs, now).await,
        }
    }

    /// A pass of [`Mode::OneTransaction`]: batches of pending rows, each batch read, marked,
    /// enqueued and committed in one transaction; the queues' consumers are woken after each
    /// commit. A row with an unknown address holds back its address (with back-off) and is
    /// reported; a failed statement or commit rolls the batch back and ends the pass.
    async fn transaction_pass(
        &self,
        embedded: &EmbeddedTransport,
        backoffs: &mut Backoffs,
        now: Instant,
    ) -> Result<PassReport, RelayError> {
        let mut report = PassReport {
            published: 0,
            first_failure: None,
        };
        let mut held_back: HashSet<String> = HashSet::new();
        let mut pending_addresses: HashSet<String> = HashSet::new();
        let mut cursor = 0i64;
        loop {
            let mut tx = self.store.begin_write_transaction().await?;
            let rows = Store::pending_outbox_in(&mut tx, cursor, BATCH_ROWS).await?;
            // No rows: dropping the transaction rolls back what only read.
            let Some(last) = rows.last() else { break };
            cursor = last.id;
            let mut to_wake: HashSet<Address> = HashSet::new();
            let mut moved = 0;
            for row in rows {
                if !pending_addresses.contains(&row.address) {
                    pending_addresses.insert(row.address.clone());
                }
                if held_back.contains(&row.address) {
                    continue;
                }
                if backoffs.is_waiting(&row.address, now) {
                    held_back.insert(row.address);
                    continue;
                }
                let (id, address) = (row.id, row.address.clone());
                let outgoing = match outgoing_from_row(row) {
                    Ok(outgoing) => outgoing,
                    Err(error) => {
                        let wait = backoffs.failed(&address, Instant::now());
                        warn!(
                            message = "Outbox row cannot be moved; it stays and its address backs off.",
                            outbox_id = id,
                            queue = %address,
                            backoff_ms = millis(wait),
                            %error
                        );
                        held_back.insert(address);
                        report.first_failure.get_or_insert(error);
                        continue;
                    }
                };
                if !Store::mark_published_in(&mut tx, id).await? {
                    continue; // already moved: never enqueue a row twice
                }
                embedded.enqueue_in(&mut tx, &outgoing).await?;
                to_wake.insert(outgoing.address);
                moved += 1;
            }
            tx.commit().await.map_err(StoreError::from)?;
            report.published += moved;
            for address in to_wake {
                backoffs.succeeded(&address.queue_name());
                embedded.wake(address);
            }
        }
        backoffs.retain_pending(&pending_addresses);
        Ok(report)
    }

    /// A pass of [`Mode::ConfirmedPublish`].
    async fn publish_pass(
        &self,
        backoffs: &mut Backoffs,
        now: Instant,
    ) -> Result<PassReport, StoreError> {
        let mut report = PassReport {
            published: 0,
            first_failure: None,
        };
        let mut held_back: HashSet<String> = HashSet::new();
        let mut pending_addresses: HashSet<String> = HashSet::new();
        let mut cursor = 0i64;
        loop {
            let rows = self.store.pending_outbox_after(cursor, BATCH_ROWS).await?;
            let Some(last) = rows.last() else { break };
            cursor = last.id;
            for row in rows {
                if !pending_addresses.contains(&row.address) {
                    pending_addresses.insert(row.address.clone());
                }
                if held_back.contains(&row.address) {
                    continue;
                }
                if backoffs.is_waiting(&row.address, now) {
                    held_back.insert(row.address);
                    continue;
                }
                let (id, address) = (row.id, row.address.clone());
                match self.publish(row).await {
                    Ok(()) => {
                        self.store.mark_published(id).await?;
                        backoffs.succeeded(&address);
                        report.published += 1;
                    }
                    Err(error) => {
                        let wait = backoffs.failed(&address, Instant::now());
                        warn!(
                            message = "Outbox publish failed; the row stays and its address backs off.",
                            outbox_id = id,
                            queue = %address,
                            backoff_ms = millis(wait),
                            %error
                        );
                        held_back.insert(address);
                        report.first_failure.get_or_insert(error);
                    }
                }
            }
        }
        backoffs.retain_pending(&pending_addresses);
        Ok(report)
    }

    async fn publish(&self, row: OutboxRow) -> Result<(), RelayError> {
        let (outbox_id, message_id) = (row.id, row.message_id.clone());
        let outgoing = outgoing_from_row(row)?;
        match tokio::time::timeout(PUBLISH_TIMEOUT, self.transport.publish(outgoing)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(RelayError::Publish {
                outbox_id,
                message_id,
                source,
            }),
            Err(_) => Err(RelayError::PublishTimeout {
                outbox_id,
                message_id,
            }),
        }
    }
}

/// The message to publish for an outbox row: its headers plus `x-hub-stream-seq` when the
/// row has a stream number.
pub fn outgoing_from_row(row: OutboxRow) -> Result<Outgoing, RelayError> {
    let address = address_from_queue(&row.address).ok_or_else(|| RelayError::UnknownAddress {
        outbox_id: row.id,
        address: row.address.clone(),
    })?;
    let mut headers = row.headers;
    if let Some(seq) = row.stream_seq {
        headers.insert(header::STREAM_SEQ.to_owned(), HeaderValue::Int(seq));
    }
    Ok(Outgoing {
        address,
        message_type: row.message_type,
        message_id: row.message_id,
        body: row.body,
        headers,
    })
}

/// The address of a queue name: `deliver.X` → [`Address::Deliver`], `dead.ingress` →
/// [`Address::DeadIngress`], `dead.X` → [`Address::Dead`], `ingress.X` →
/// [`Address::Ingress`] (replays); `None` for anything else. The inverse of
/// [`Address::queue_name`].
pub fn address_from_queue(queue: &str) -> Option<Address> {
    if queue == "dead.ingress" {
        return Some(Address::DeadIngress);
    }
    if let Some(code) = queue.strip_prefix("deliver.") {
        return Actor::from_code(code).map(Address::Deliver);
    }
    if let Some(code) = queue.strip_prefix("dead.") {
        return Actor::from_code(code).map(Address::Dead);
    }
    if let Some(code) = queue.strip_prefix("ingress.") {
        return Actor::from_code(code).map(Address::Ingress);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_round_trip() {
        for actor in Actor::ALL {
            for address in [
                Address::Deliver(actor),
                Address::Dead(actor),
                Address::Ingress(actor),
            ] {
                assert_eq!(address_from_queue(&address.queue_name()), Some(address));
            }
        }
        assert_eq!(
            address_from_queue("dead.ingress"),
            Some(Address::DeadIngress)
        );
        assert_eq!(address_from_queue("deliver.NOBODY"), None);
        assert_eq!(address_from_queue("deliver"), None);
        assert_eq!(address_from_queue(""), None);
    }

    #[test]
    fn an_address_backs_off_exponentially_until_a_success() {
        let mut backoffs = Backoffs::default();
        let now = Instant::now();
        assert!(!backoffs.is_waiting("deliver.GRID", now));
        let waits: Vec<u64> = (0..8)
            .map(|_| millis(backoffs.failed("deliver.GRID", now)))
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
        assert!(backoffs.is_waiting("deliver.GRID", now));
        assert!(!backoffs.is_waiting("deliver.GRID", now + BACKOFF_MAX));
        assert!(
            !backoffs.is_waiting("deliver.POLICE", now),
            "other addresses flow"
        );
        assert_eq!(backoffs.next_due(now), Some(now + BACKOFF_MAX));
        assert_eq!(
            backoffs.next_due(now + BACKOFF_MAX),
            None,
            "an expired wait is not due"
        );
        backoffs.succeeded("deliver.GRID");
        assert!(!backoffs.is_waiting("deliver.GRID", now));
        assert_eq!(backoffs.next_due(now), None);
        assert_eq!(millis(backoffs.failed("deliver.GRID", now)), 100);
        backoffs.retain_pending(&HashSet::new());
        assert_eq!(
            backoffs.next_due(now),
            None,
            "addresses without rows are forgotten"
        );
    }
}
