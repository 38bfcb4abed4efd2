//! The queue writer: the one task that writes `queue_messages`, with group commit.
//!
//! # Invariants
//!
//! * **Answer after commit.** A request is answered only after the transaction that applied
//!   it committed (`Ok`), or rolled back (`Err` with the database's error text). Requests
//!   of one batch share that fate: one failing statement rolls back the whole batch.
//! * **Arrival order.** Requests are applied in the order they reached the channel, so a
//!   publisher's successive publishes get ascending ids.
//! * **Batching.** A batch is whatever has queued up, topped up for at most
//!   `group_commit_max_wait_ms` while other writers are active (the previous batch, or the
//!   current one, held more than one request), up to `group_commit_max_batch` requests. A
//!   lone sequential writer is therefore never delayed, and concurrent writers share fsyncs.
//! * **Wake-ups after commit only,** so a woken consumer always finds the rows.
//! * **Renewal** of live leases every third of `lease_ms`, in its own transaction.
//! * **No orphan leases.** Rows claimed for a consumer whose `next()` was cancelled before
//!   the answer arrived are given back at once (uncounted), not left leased until expiry.
//! * The task ends when every sender is gone (the last handle, consumer and delivery were
//!   dropped), after answering what it had received.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, SqliteConnection};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tracing::{debug, warn};

use super::{
    DELIVERY_LIMIT_STAGE, EmbeddedConfig, LiveLeases, Wakers, ms_i64, now_ms, schema,
    with_dead_headers,
};
use crate::store::{headers_from_json, headers_to_json, now_rfc3339};
use crate::transport::Headers;

/// Where the writer answers a request: `Err` carries the database's error text.
pub(super) type Reply<T> = oneshot::Sender<Result<T, String>>;

/// Capacity of the request channel: enough for a few full batches; beyond that, callers
/// wait (back-pressure).
pub(super) fn channel_capacity(config: &EmbeddedConfig) -> usize {
    usize::try_from(config.group_commit_max_batch)
        .unwrap_or(usize::MAX / 4)
        .saturating_mul(4)
        .max(16)
}

/// A row to insert.
#[derive(Debug)]
pub(super) struct NewRow {
    pub(super) queue: String,
    pub(super) message_id: Option<String>,
    pub(super) message_type: Option<String>,
    pub(super) publisher: Option<String>,
    pub(super) body: Vec<u8>,
    pub(super) headers_json: String,
    pub(super) attempt: i64,
    pub(super) enqueued_at: String,
}

/// A row a claim leased.
#[derive(Debug)]
pub(super) struct ClaimedRow {
    pub(super) id: i64,
    pub(super) message_id: Option<String>,
    pub(super) message_type: Option<String>,
    pub(super) publisher: Option<String>,
    pub(super) body: Vec<u8>,
    pub(super) headers_json: String,
    pub(super) attempt: i64,
    pub(super) delivery_count: i64,
}

/// What a claim asks for.
#[derive(Debug)]
pub(super) struct Claim {
    pub(super) queue: String,
    pub(super) owner: Arc<str>,
    pub(super) limit: i64,
    /// Where rows over the delivery limit go; `None` for queues without a limit.
    pub(super) dead_queue: Option<String>,
}

/// How a held row is settled.
#[derive(Debug)]
pub(super) enum Settlement {
    /// Delete it.
    Ack,
    /// Make it visible again after `step_ms`, as attempt `attempt`, with new headers.
    Retry {
        step_ms: u64,
        attempt: i64,
        headers_json: String,
    },
    /// Delete it and insert `copy` (into the dead queue).
    DeadLetter { copy: NewRow },
    /// Give it back to `queue` now; `unhanded` rows were never given to the application,
    /// so their claim is not counted as a delivery.
    Release { unhanded: bool, queue: String },
}

/// A request to the writer.
#[derive(Debug)]
pub(super) enum Op {
    /// Insert a row.
    Publish { row: NewRow, reply: Reply<()> },
    /// Lease claimable rows.
    Claim {
        claim: Claim,
        reply: Reply<Vec<ClaimedRow>>,
    },
    /// Settle row `id` if `owner` still holds it: `Ok(false)` when it does not.
    Settle {
        id: i64,
        owner: Arc<str>,
        settlement: Settlement,
        reply: Option<Reply<bool>>,
    },
}

/// Rows leased to a claimer that stopped waiting for them.
#[derive(Debug)]
struct Orphans {
    queue: String,
    owner: Arc<str>,
    ids: Vec<i64>,
}

/// What applying one request produced (sent once the batch committed).
enum Answer {
    Done,
    Held(bool),
    Claimed(Vec<ClaimedRow>),
}

impl Op {
    /// Sends the answer. Returns the rows of a claim whose caller stopped waiting (its
    /// future was dropped), which nobody in this process knows it holds; every other
    /// failed send needs nothing, since the database holds the truth.
    fn answer(self, answer: Answer) -> Option<Orphans> {
        match (self, answer) {
            (Op::Publish { reply, .. }, _) => drop(reply.send(Ok(()))),
            (Op::Claim { claim, reply }, Answer::Claimed(rows)) => {
                if let Err(Ok(rows)) = reply.send(Ok(rows)) {
                    return Some(Orphans {
                        queue: claim.queue,
                        owner: claim.owner,
                        ids: rows.iter().map(|row| row.id).collect(),
                    });
                }
            }
            (Op::Claim { reply, .. }, _) => drop(reply.send(Ok(Vec::new()))),
            (Op::Settle { reply, .. }, answer) => {
                let held = !matches!(answer, Answer::Held(false));
                if let Some(reply) = reply {
                    drop(reply.send(Ok(held)));
                }
            }
        }
        None
    }

    fn fail(self, detail: &str) {
        match self {
            Op::Publish { reply, .. } => drop(reply.send(Err(detail.to_owned()))),
            Op::Claim { reply, .. } => drop(reply.send(Err(detail.to_owned()))),
            Op::Settle { reply, .. } => {
                if let Some(reply) = reply {
                    drop(reply.send(Err(detail.to_owned())));
                }
            }
        }
    }
}

/// The writer task's state.
#[derive(Debug)]
pub(super) struct Writer {
    pool: SqlitePool,
    max_batch: usize,
    max_wait: Duration,
    lease_ms: i64,
    renew_every: Duration,
    delivery_limit: i64,
    wakers: Arc<Wakers>,
    leases: Arc<LiveLeases>,
}

impl Writer {
    pub(super) fn new(
        pool: SqlitePool,
        config: &EmbeddedConfig,
        wakers: Arc<Wakers>,
        leases: Arc<LiveLeases>,
    ) -> Self {
        Self {
            pool,
            max_batch: usize::try_from(config.group_commit_max_batch)
                .unwrap_or(usize::MAX)
                .max(1),
            max_wait: Duration::from_millis(config.group_commit_max_wait_ms),
            lease_ms: ms_i64(config.lease_ms),
            renew_every: config.renew_interval(),
            delivery_limit: i64::from(config.delivery_limit),
            wakers,
            leases,
        }
    }

    /// Runs until every sender is gone.
    pub(super) async fn run(self, mut requests: mpsc::Receiver<Op>) {
        let mut renew =
            tokio::time::interval_at(Instant::now() + self.renew_every, self.renew_every);
        renew.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut previous_batch = 0usize;
        loop {
            let mut batch = Vec::with_capacity(self.max_batch.min(1_024));
            tokio::select! {
                received = requests.recv_many(&mut batch, self.max_batch) => {
                    if received == 0 {
                        break;
                    }
                }
                _ = renew.tick() => {
                    self.renew().await;
                    continue;
                }
            }
            if !self.max_wait.is_zero() && (previous_batch > 1 || batch.len() > 1) {
                let deadline = Instant::now() + self.max_wait;
                while batch.len() < self.max_batch {
                    let room = self.max_batch - batch.len();
                    match tokio::time::timeout_at(deadline, requests.recv_many(&mut batch, room))
                        .await
                    {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            }
            previous_batch = batch.len();
            self.commit(batch).await;
        }
        debug!(message = "Queue writer stopped.");
    }

    /// Applies `batch` in one transaction, then answers every request and wakes consumers.
    async fn commit(&self, batch: Vec<Op>) {
        let now = now_ms();
        let mut wake = HashSet::new();
        match self.apply(&batch, now, &mut wake).await {
            Ok(answers) => {
                let orphans: Vec<Orphans> = batch
                    .into_iter()
                    .zip(answers)
                    .filter_map(|(op, answer)| op.answer(answer))
                    .filter(|orphans| !orphans.ids.is_empty())
                    .collect();
                for queue in wake {
                    self.wakers.wake(&queue);
                }
                if !orphans.is_empty() {
                    self.release_orphans(orphans).await;
                }
            }
            Err(error) => {
                warn!(
                    message = "Queue write transaction failed; every request of the batch gets an error.",
                    requests = batch.len(),
                    %error
                );
                let detail = error.to_string();
                for op in batch {
                    op.fail(&detail);
                }
            }
        }
    }

    async fn apply(
        &self,
        batch: &[Op],
        now: i64,
        wake: &mut HashSet<String>,
    ) -> Result<Vec<Answer>, sqlx::Error> {
        let mut tx = self.pool.begin_with(schema::BEGIN_WRITE).await?;
        let mut answers = Vec::with_capacity(batch.len());
        for op in batch {
            answers.push(self.apply_one(&mut tx, op, now, wake).await?);
        }
        tx.commit().await?;
        Ok(answers)
    }

    async fn apply_one(
        &self,
        conn: &mut SqliteConnection,
        op: &Op,
        now: i64,
        wake: &mut HashSet<String>,
    ) -> Result<Answer, sqlx::Error> {
        match op {
            Op::Publish { row, .. } => {
                insert(conn, row, now).await?;
                wake.insert(row.queue.clone());
                Ok(Answer::Done)
            }
            Op::Claim { claim, .. } => self.claim(conn, claim, now, wake).await,
            Op::Settle {
                id,
                owner,
                settlement,
                ..
            } => settle(conn, *id, owner, settlement, now, wake).await,
        }
    }

    /// Leases up to `claim.limit` rows; rows over the delivery limit go to the dead queue
    /// instead of being returned.
    async fn claim(
        &self,
        conn: &mut SqliteConnection,
        claim: &Claim,
        now: i64,
        wake: &mut HashSet<String>,
    ) -> Result<Answer, sqlx::Error> {
        let rows = sqlx::query(schema::CLAIM)
            .bind(claim.owner.as_ref())
            .bind(now.saturating_add(self.lease_ms))
            .bind(&claim.queue)
            .bind(now)
            .bind(claim.limit)
            .fetch_all(&mut *conn)
            .await?;
        let mut claimed = rows
            .iter()
            .map(decode_claimed)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING has no defined order.
        claimed.sort_unstable_by_key(|row| row.id);
        let Some(dead_queue) = claim.dead_queue.as_deref() else {
            return Ok(Answer::Claimed(claimed));
        };
        let mut deliverable = Vec::with_capacity(claimed.len());
        for row in claimed {
            if row.delivery_count <= self.delivery_limit {
                deliverable.push(row);
                continue;
            }
            warn!(
                message = "Message exceeded the delivery limit; moved to the dead-letter queue.",
                queue = %claim.queue,
                dead_queue,
                message_id = row.message_id.as_deref().unwrap_or_default(),
                deliveries = row.delivery_count,
                delivery_limit = self.delivery_limit
            );
            sqlx::query(schema::DELETE)
                .bind(row.id)
                .execute(&mut *conn)
                .await?;
            insert(conn, &self.over_limit_copy(row, dead_queue), now).await?;
            wake.insert(dead_queue.to_owned());
        }
        Ok(Answer::Claimed(deliverable))
    }

    /// The dead-letter copy of a row over the delivery limit.
    fn over_limit_copy(&self, row: ClaimedRow, dead_queue: &str) -> NewRow {
        let reasons = json!([{
            "pointer": "",
            "code": DELIVERY_LIMIT_STAGE,
            "message": format!(
                "delivered {} times without being settled (delivery limit {})",
                row.delivery_count, self.delivery_limit
            ),
        }])
        .to_string();
        // The transport wrote these headers itself; unreadable ones (never expected) are
        // replaced by the reason headers alone rather than blocking the queue.
        let headers = headers_from_json(&row.headers_json).unwrap_or_else(|error| {
            warn!(message = "Stored headers are unreadable; dead-lettering without them.", %error);
            Headers::new()
        });
        let headers = with_dead_headers(
            headers,
            DELIVERY_LIMIT_STAGE,
            &reasons,
            row.publisher.as_deref(),
        );
        NewRow {
            queue: dead_queue.to_owned(),
            message_id: row.message_id,
            message_type: row.message_type,
            publisher: row.publisher,
            body: row.body,
            headers_json: headers_to_json(&headers),
            attempt: row.attempt,
            enqueued_at: now_rfc3339(),
        }
    }

    /// Gives back, uncounted, rows claimed for a caller that stopped waiting (best effort:
    /// on failure their leases simply expire).
    async fn release_orphans(&self, orphans: Vec<Orphans>) {
        let released: Result<(), sqlx::Error> = async {
            let mut tx = self.pool.begin_with(schema::BEGIN_WRITE).await?;
            for orphan in &orphans {
                for id in &orphan.ids {
                    sqlx::query(schema::RELEASE_HELD)
                        .bind(1i64)
                        .bind(*id)
                        .bind(orphan.owner.as_ref())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await
        }
        .await;
        match released {
            Ok(()) => {
                for orphan in &orphans {
                    self.wakers.wake(&orphan.queue);
                }
            }
            Err(error) => warn!(
                message = "Cannot give back rows claimed for a consumer that stopped waiting; their leases will expire.",
                %error
            ),
        }
    }

    /// Extends the lease of every row held by a live delivery or prefetch buffer.
    async fn renew(&self) {
        let live = self.leases.snapshot();
        if live.is_empty() {
            return;
        }
        let until = now_ms().saturating_add(self.lease_ms);
        let renewed: Result<(), sqlx::Error> = async {
            let mut tx = self.pool.begin_with(schema::BEGIN_WRITE).await?;
            for (id, owner) in &live {
                sqlx::query(schema::RENEW_HELD)
                    .bind(until)
                    .bind(*id)
                    .bind(owner.as_ref())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await;
        if let Err(error) = renewed {
            warn!(
                message = "Cannot renew delivery leases; they may expire and be redelivered.",
                leases = live.len(),
                %error
            );
        }
    }
}

fn decode_claimed(row: &SqliteRow) -> Result<ClaimedRow, sqlx::Error> {
    Ok(ClaimedRow {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        message_type: row.try_get("message_type")?,
        publisher: row.try_get("publisher")?,
        body: row.try_get("body")?,
        headers_json: row.try_get("headers")?,
        attempt: row.try_get("attempt")?,
        delivery_count: row.try_get("delivery_count")?,
    })
}

/// Inserts `row`, visible at `now`.
pub(super) async fn insert(
    conn: &mut SqliteConnection,
    row: &NewRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(schema::INSERT_MESSAGE)
        .bind(&row.queue)
        .bind(row.message_id.as_deref())
        .bind(row.message_type.as_deref())
        .bind(row.publisher.as_deref())
        .bind(row.body.as_slice())
        .bind(&row.headers_json)
        .bind(row.attempt)
        .bind(now)
        .bind(&row.enqueued_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Settles row `id` if `owner` holds it; `Held(false)` (nothing changed) when it does not.
async fn settle(
    conn: &mut SqliteConnection,
    id: i64,
    owner: &str,
    settlement: &Settlement,
    now: i64,
    wake: &mut HashSet<String>,
) -> Result<Answer, sqlx::Error> {
    let affected = match settlement {
        Settlement::Ack => sqlx::query(schema::DELETE_HELD)
            .bind(id)
            .bind(owner)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
        Settlement::Retry {
            step_ms,
            attempt,
            headers_json,
        } => sqlx::query(schema::RETRY_HELD)
            .bind(now.saturating_add(ms_i64(*step_ms)))
            .bind(*attempt)
            .bind(headers_json)
            .bind(id)
            .bind(owner)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
        Settlement::DeadLetter { copy } => {
            let deleted = sqlx::query(schema::DELETE_HELD)
                .bind(id)
                .bind(owner)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if deleted > 0 {
                insert(conn, copy, now).await?;
                wake.insert(copy.queue.clone());
            }
            deleted
        }
        Settlement::Release { unhanded, queue } => {
            let released = sqlx::query(schema::RELEASE_HELD)
                .bind(i64::from(*unhanded))
                .bind(id)
                .bind(owner)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if released > 0 {
                wake.insert(queue.clone());
            }
            released
        }
    };
    Ok(Answer::Held(affected > 0))
}
