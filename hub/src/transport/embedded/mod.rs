//! The embedded transport: durable queues in the hub's own SQLite database, so the hub runs
//! with nothing else installed. [`EmbeddedTransport`] implements [`Transport`] with every
//! delivery rule of [`crate::transport`], over the same database file (and connection pool)
//! as the hub's [`Store`].
//!
//! # Parts
//!
//! * [`config`] — [`EmbeddedConfig`] (`[transport.embedded]`), validated without I/O;
//! * `schema` — the `queue_messages` table (created idempotently at open) and every
//!   statement;
//! * `writer` — the one task that writes the queues: group commit of publishes, claims and
//!   settlements, lease renewal, waking consumers after commits;
//! * `consumer` — [`EmbeddedConsumer`]: claims with a lease, prefetch, waiting;
//! * `delivery` — [`EmbeddedDelivery`]: ack, retry later, dead letter.
//!
//! # Model
//!
//! A queue is the set of `queue_messages` rows with its name ([`Address::queue_name`]: the
//! same names as on RabbitMQ). A row is *claimable* when its `visible_at_ms` has passed and
//! it holds no live lease. A consumer *claims* rows: one statement leases up to `prefetch`
//! claimable rows of its queue, lowest id first, to the consumer (`lease_owner`, until
//! `now + lease_ms`) and counts the delivery. Settling is conditional on still holding the
//! lease:
//!
//! | operation | effect (one transaction) |
//! |---|---|
//! | `publish` | insert a row, visible now |
//! | `ack` | delete the row |
//! | `retry_later(d)` | visible again after the retry step for `d`, `attempt + 1`, header `x-hub-attempt`, lease cleared, delivery count restarted |
//! | `dead_letter(r)` | delete the row and insert a copy into the dead queue with `x-hub-dead-stage`, `x-hub-dead-reasons`, `x-hub-dead-publisher` |
//! | delivery limit | at claim time, a row whose delivery count would exceed `delivery_limit` is moved to the dead queue (stage `DELIVERY_LIMIT`) instead of being delivered |
//!
//! Dead queues: `dead.ingress` for `ingress.<S>`, `dead.<R>` for `deliver.<R>` (and for
//! `dead.<R>` itself), as on RabbitMQ. Unlike RabbitMQ, a dead queue can also be retried
//! (the dead-letter indexer's store-failure path works the same on every queue).
//!
//! # How each delivery rule holds
//!
//! 1. **Publish is durable or an error.** `publish` answers `Ok` only after the transaction
//!    holding the row committed; the store's pool runs WAL with `synchronous=FULL`, so a
//!    committed row survives a crash or power loss. A failed commit answers
//!    [`TransportError::NotConfirmed`] (nothing was stored, but callers must treat the
//!    outcome as unknown, as on RabbitMQ). Every address exists, so nothing is unroutable.
//! 2. **At least once.** A row stays until a settlement deletes or moves it. A consumer that
//!    dies stops renewing its leases; its rows become claimable when the leases expire and
//!    come back with [`Delivery::redelivered`](crate::transport::Delivery::redelivered) (`delivery_count > 1`). A settlement whose
//!    lease was lost (expired and claimed by someone else) fails with
//!    [`TransportError::Settle`] and changes nothing: the new holder has the message.
//! 3. **Retry is delayed redelivery** with the smallest configured step `>= delay`
//!    ([`EmbeddedConfig::retry_step_ms`]); the row keeps its id (its place in the queue).
//! 4. **Dead letters keep everything**: bytes, headers, message id and type, publisher,
//!    attempt, plus the reason headers; removal and insertion are one transaction.
//! 5. **Poison messages are bounded** by `delivery_limit` on work queues (`ingress.*`,
//!    `deliver.*`); dead queues have no limit, as on RabbitMQ.
//! 6. **Order.** A queue delivers in id order, and ids grow in commit order, so a single
//!    consumer sees publish order. A retried message, or one whose lease expired, may be
//!    overtaken by later ones in the meantime (same as RabbitMQ); per-case order across
//!    retries is the pipeline's business.
//! 7. **Sender identity.** There is one process and no broker to authenticate against: the
//!    publisher is the identity of the handle that published ([`EmbeddedConfig::publisher`],
//!    or [`EmbeddedTransport::as_publisher`] for an in-process department), stored with the
//!    row and reported as [`Delivery::authenticated_user`](crate::transport::Delivery::authenticated_user), across retries and dead letters.
//! 8. **No reconnects needed.** A failing database makes consumers back off and try again;
//!    [`Consumer::next`](crate::transport::Consumer::next) returns `None` only after [`EmbeddedTransport::shutdown`].
//!
//! # Concurrency and crash safety
//!
//! * **One writer.** Every write of the queues (publish, claim, settle, renew) goes through
//!   one task that takes up to `group_commit_max_batch` requests, topping the batch up
//!   while other writers are active (see `writer`), applies them in ONE write transaction
//!   (`BEGIN IMMEDIATE`; publishes first, in arrival order), and answers each caller
//!   only after the commit; if anything in the batch fails, the whole transaction rolls
//!   back and every caller gets an error. One fsync thus covers a whole batch, and writes
//!   never contend for SQLite's lock among themselves (the store's own transactions still
//!   take turns with the writer through the busy timeout).
//! * **No row is leased twice.** A claim selects and leases in one statement inside the
//!   writer's transaction (and SQLite has one writer at a time anyway).
//! * **Leases are renewed while their holder lives.** The writer extends, every third of
//!   `lease_ms`, the lease of every row held by a live delivery or prefetch buffer in this
//!   process, so slow handling does not let another consumer take a message. When the
//!   holder is dropped unsettled, renewal stops and the lease runs out. Rows still in a
//!   dropped or shut-down consumer's prefetch buffer, never handed out, are given back at
//!   once and that claim is not counted as a delivery.
//! * **Nothing in memory is authoritative.** In-memory state is a cache of what the table
//!   says (wake-ups, the set of leases to renew, prefetch buffers). After a crash every row
//!   is still in the table; rows that were leased become claimable when their leases
//!   expire, which after a restart takes at most `lease_ms`.
//! * **Clock.** Visibility and leases are wall-clock milliseconds since the Unix epoch, so
//!   they survive restarts; a clock jump moves them with it (forward: leases expire early
//!   and messages may be delivered twice, which consumers tolerate; backward: delays last
//!   longer).
//!
//! # Transactional outbox
//!
//! Because the queues live in the store's database, the pipeline may write its outgoing
//! messages straight into their queues inside its own store transaction with
//! [`EmbeddedTransport::enqueue_in`] (then call [`EmbeddedTransport::wake`] after the
//! commit), making "outbox insert" and "delivery" one transaction.

mod consumer;
mod delivery;
mod schema;
mod writer;

pub mod config;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::SqliteConnection;
use sqlx::sqlite::SqlitePool;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub use self::config::EmbeddedConfig;
pub use self::consumer::EmbeddedConsumer;
pub use self::delivery::EmbeddedDelivery;
use self::writer::{NewRow, Op, Writer};
use crate::store::{Store, headers_to_json, now_rfc3339};
use crate::transport::{
    Address, HeaderValue, Headers, Outgoing, Transport, TransportError, header,
};

/// Unsettled deliveries per consumer when the caller asks for prefetch 0 (the RabbitMQ
/// transport's default prefetch).
pub const DEFAULT_PREFETCH: u16 = 50;

/// Stage of a message the transport dead-lettered because it exceeded the delivery limit.
pub const DELIVERY_LIMIT_STAGE: &str = "DELIVERY_LIMIT";

/// Errors of opening the embedded transport. Publishing and consuming report
/// [`TransportError`].
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// The configuration is invalid (found without I/O).
    #[error("invalid embedded transport configuration: {0}")]
    Config(String),
    /// The database failed (creating the queue table, counting, enqueueing).
    #[error("embedded transport database error: {0}")]
    Database(#[from] sqlx::Error),
    /// `open` was called outside a Tokio runtime (the writer task needs one).
    #[error("the embedded transport must be opened inside a Tokio runtime")]
    NoRuntime,
}

/// Per-queue wake-ups: the writer notifies a queue's consumers after a commit that made
/// rows claimable there.
#[derive(Debug, Default)]
struct Wakers {
    by_queue: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Wakers {
    /// The notifier of `queue` (created on first use).
    fn of(&self, queue: &str) -> Arc<Notify> {
        let mut map = self.by_queue.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(map.entry(queue.to_owned()).or_default())
    }

    /// Wakes every consumer of `queue` that is waiting now (the others claim before they
    /// wait, so they see the new rows anyway).
    fn wake(&self, queue: &str) {
        let map = self.by_queue.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = map.get(queue) {
            notify.notify_waiters();
        }
    }
}

/// Rows held by live deliveries and prefetch buffers of this process: id → lease owner.
/// The writer renews exactly these leases.
#[derive(Debug, Default)]
struct LiveLeases {
    rows: Mutex<HashMap<i64, Arc<str>>>,
}

impl LiveLeases {
    fn insert(&self, id: i64, owner: Arc<str>) {
        self.rows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, owner);
    }

    fn remove(&self, id: i64) {
        self.rows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    fn snapshot(&self) -> Vec<(i64, Arc<str>)> {
        self.rows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(id, owner)| (*id, Arc::clone(owner)))
            .collect()
    }
}

/// State shared by every handle, consumer and delivery of one opened transport.
struct Shared {
    pool: SqlitePool,
    config: EmbeddedConfig,
    ops: mpsc::Sender<Op>,
    writer: JoinHandle<()>,
    wakers: Arc<Wakers>,
    leases: Arc<LiveLeases>,
    shutdown: watch::Sender<bool>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("writer_alive", &!self.writer.is_finished())
            .field("shut_down", &*self.shutdown.borrow())
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn is_shut_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Hands `op` to the writer; `false` when the writer is gone.
    async fn submit(&self, op: Op) -> bool {
        self.ops.send(op).await.is_ok()
    }

    /// Hands `op` to the writer without waiting (from `Drop`); dropped when the writer's
    /// queue is full or gone, which only delays what the lease would do anyway.
    fn submit_now(&self, op: Op) {
        if self.ops.try_send(op).is_err() {
            tracing::debug!(message = "Queue writer busy; a release is left to the lease.");
        }
    }
}

/// The embedded SQLite transport. Cheap to clone; every clone and every
/// [`EmbeddedTransport::as_publisher`] handle shares one database, writer and shutdown.
#[derive(Clone)]
pub struct EmbeddedTransport {
    shared: Arc<Shared>,
    publisher: Arc<str>,
}

impl fmt::Debug for EmbeddedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedTransport")
            .field("publisher", &self.publisher)
            .field("shared", &self.shared)
            .finish()
    }
}

impl EmbeddedTransport {
    /// Validates `config`, creates the queue table in `store`'s database if missing
    /// (idempotent), and starts the writer task in the current Tokio runtime. Publishes go
    /// out as [`EmbeddedConfig::publisher`].
    pub async fn open(store: &Store, config: EmbeddedConfig) -> Result<Self, EmbeddedError> {
        config.validate()?;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| EmbeddedError::NoRuntime)?;
        let pool = store.pool().clone();
        let mut tx = pool.begin_with(schema::BEGIN_WRITE).await?;
        sqlx::query(schema::CREATE_QUEUE_MESSAGES)
            .execute(&mut *tx)
            .await?;
        sqlx::query(schema::CREATE_CLAIM_INDEX)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;

        let wakers = Arc::new(Wakers::default());
        let leases = Arc::new(LiveLeases::default());
        let (ops, requests) = mpsc::channel(writer::channel_capacity(&config));
        let writer = Writer::new(
            pool.clone(),
            &config,
            Arc::clone(&wakers),
            Arc::clone(&leases),
        );
        let writer = runtime.spawn(writer.run(requests));
        let (shutdown, _) = watch::channel(false);
        let publisher = Arc::from(config.publisher.as_str());
        Ok(Self {
            shared: Arc::new(Shared {
                pool,
                config,
                ops,
                writer,
                wakers,
                leases,
                shutdown,
            }),
            publisher,
        })
    }

    /// A handle on the same queues that publishes as `user` (an in-process department's
    /// identity, reported as [`crate::transport::Delivery::authenticated_user`]).
    pub fn as_publisher(&self, user: &str) -> EmbeddedTransport {
        EmbeddedTransport {
            shared: Arc::clone(&self.shared),
            publisher: Arc::from(user),
        }
    }

    /// The identity this handle publishes as.
    pub fn publisher(&self) -> &str {
        &self.publisher
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &EmbeddedConfig {
        &self.shared.config
    }

    /// Stops the transport for every handle: publishes and new consumers fail with
    /// [`TransportError::Shutdown`], every consumer's `next()` returns `None` (giving back
    /// its prefetched rows). Deliveries already handed out can still be settled, so
    /// in-flight work finishes cleanly. Idempotent.
    pub async fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }

    /// How many messages `address` holds, whatever their state (ready, leased, waiting for
    /// a retry).
    pub async fn queue_depth(&self, address: Address) -> Result<u64, EmbeddedError> {
        let count: i64 = sqlx::query_scalar(schema::COUNT_QUEUE)
            .bind(address.queue_name())
            .fetch_one(&self.shared.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Enqueues `message` inside the caller's own transaction on the store's database (the
    /// transactional outbox: the message becomes deliverable exactly when the caller's
    /// transaction commits, and never if it rolls back). Call [`EmbeddedTransport::wake`]
    /// for its address after the commit, or consumers find it at their next poll.
    pub async fn enqueue_in(
        &self,
        conn: &mut SqliteConnection,
        message: &Outgoing,
    ) -> Result<(), EmbeddedError> {
        let row = self.new_row(message.clone());
        writer::insert(conn, &row, now_ms()).await?;
        Ok(())
    }

    /// Wakes the consumers of `address` (after committing rows written with
    /// [`EmbeddedTransport::enqueue_in`]).
    pub fn wake(&self, address: Address) {
        self.shared.wakers.wake(&address.queue_name());
    }

    fn new_row(&self, message: Outgoing) -> NewRow {
        let attempt = message
            .headers
            .get(header::ATTEMPT)
            .and_then(HeaderValue::as_int)
            .unwrap_or(0)
            .max(0);
        NewRow {
            queue: message.address.queue_name(),
            message_id: Some(message.message_id),
            message_type: Some(message.message_type),
            publisher: Some(self.publisher.to_string()),
            body: message.body,
            headers_json: headers_to_json(&message.headers),
            attempt,
            enqueued_at: now_rfc3339(),
        }
    }
}

impl Transport for EmbeddedTransport {
    type Consumer = EmbeddedConsumer;

    async fn publish(&self, message: Outgoing) -> Result<(), TransportError> {
        if self.shared.is_shut_down() {
            return Err(TransportError::Shutdown);
        }
        let address = message.address;
        let message_id = message.message_id.clone();
        let not_confirmed = |detail: &str| TransportError::NotConfirmed {
            message_id: message_id.clone(),
            address,
            detail: detail.to_owned(),
        };
        let (reply, answer) = oneshot::channel();
        let op = Op::Publish {
            row: self.new_row(message),
            reply,
        };
        if !self.shared.submit(op).await {
            return Err(not_confirmed("the queue writer has stopped"));
        }
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(detail)) => Err(not_confirmed(&detail)),
            Err(_) => Err(not_confirmed(
                "the queue writer stopped before answering (outcome unknown)",
            )),
        }
    }

    async fn consume(
        &self,
        address: Address,
        prefetch: u16,
    ) -> Result<EmbeddedConsumer, TransportError> {
        if self.shared.is_shut_down() {
            return Err(TransportError::Shutdown);
        }
        let prefetch = if prefetch == 0 {
            DEFAULT_PREFETCH
        } else {
            prefetch
        };
        Ok(EmbeddedConsumer::new(
            Arc::clone(&self.shared),
            address,
            prefetch,
        ))
    }

    fn is_ready(&self) -> bool {
        !self.shared.is_shut_down()
            && !self.shared.pool.is_closed()
            && !self.shared.writer.is_finished()
    }
}

/// The dead queue of `address`: `dead.ingress` for ingress queues, `dead.<R>` for
/// `deliver.<R>` and `dead.<R>`.
pub fn dead_address(address: Address) -> Address {
    match address {
        Address::Ingress(_) | Address::DeadIngress => Address::DeadIngress,
        Address::Deliver(recipient) | Address::Dead(recipient) => Address::Dead(recipient),
    }
}

/// Whether `address` is a work queue (has a delivery limit).
fn is_work_queue(address: Address) -> bool {
    matches!(address, Address::Ingress(_) | Address::Deliver(_))
}

/// `headers` plus the dead-letter reason headers.
fn with_dead_headers(
    mut headers: Headers,
    stage: &str,
    reasons_json: &str,
    publisher: Option<&str>,
) -> Headers {
    headers.insert(
        header::DEAD_STAGE.to_owned(),
        HeaderValue::Text(stage.to_owned()),
    );
    headers.insert(
        header::DEAD_REASONS.to_owned(),
        HeaderValue::Text(reasons_json.to_owned()),
    );
    if let Some(publisher) = publisher {
        headers.insert(
            header::DEAD_PUBLISHER.to_owned(),
            HeaderValue::Text(publisher.to_owned()),
        );
    }
    headers
}

/// Wall-clock milliseconds since the Unix epoch (0 before 1970; saturating far after).
fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// `ms` as `i64` milliseconds (saturating; config validation keeps it far below).
fn ms_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}
