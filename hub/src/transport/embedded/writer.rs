//! The queue writer: the one task that writes `queue_messages`, with group commit.
//!
//! # Invariants
//!
//! * **Answer after commit.** A request is answered only after the transaction that applied
//!   it committed (`Ok`), or rolled back (`Err` with the database's error text). Requests
//!   of one batch share that fate: one failing statement rolls back the whole batch.
//! * **Arrival order, publishes first.** In a batch, publishes are applied first, in the
//!   order they reached the channel (so their ids ascend in that order), then acks, then
//!   every other request in arrival order. Every request of a batch was in flight at once
//!   (a caller waits for its answer before sending again), so this is a valid
//!   serialisation, and a publisher's successive publishes still get ascending ids.
//! * **Few statements per batch.** The publishes of a batch are inserted with a few
//!   multi-row `INSERT`s and its acks deleted with a few multi-row `DELETE … RETURNING id`
//!   per lease owner (chunk sizes are powers of two, so a handful of statement texts cover
//!   every batch); each statement is a round trip to the connection's thread, which costs
//!   more than its SQLite work.
//! * **Batching.** A batch is whatever has queued up, up to `group_commit_max_batch`
//!   requests, topped up while other writers are active (the previous batch, or the current
//!   one, held more than one request): by default (`group_commit_max_wait_ms = 0`) by
//!   yielding to the scheduler until nothing more arrives, so the callers the last commit
//!   answered can send their next request into this batch; with a positive
//!   `group_commit_max_wait_ms`, by waiting up to that long. A lone sequential writer is
//!   therefore never delayed, and concurrent writers share fsyncs.
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
use sqlx::{AssertSqlSafe, Row, SqliteConnection};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tracing::{debug, warn};

use super::{
    DELIVERY_LIMIT_STAGE, EmbeddedConfig, LiveLeases, Wakers, ms_i64, now_ms, schema,
    with_dead_headers,
};
use crate::store::{headers_from_json, headers_to_json, now_rfc3339};
use crate::transport::Headers;

/// How many times in a row the writer yields without receiving anything before it closes
/// a batch it is topping up (see [`Writer::top_up`]).
const TOP_UP_IDLE_YIELDS: u32 = 4;

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
            let others_active = previous_batch > 1 || batch.len() > 1;
            if others_active && self.max_wait.is_zero() {
                self.top_up(&mut requests, &mut batch).await;
            } else if others_active {
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

    /// Lets the callers the last commit answered send their next requests before the batch
    /// closes, without a timer: yields to the scheduler (they were woken on this runtime)
    /// and takes whatever arrived, until [`TOP_UP_IDLE_YIELDS`] yields in a row bring
    /// nothing or the batch is full. Costs microseconds; a timed wait costs at least a
    /// millisecond (the timer's resolution), longer than a commit on a fast disk.
    async fn top_up(&self, requests: &mut mpsc::Receiver<Op>, batch: &mut Vec<Op>) {
        let mut idle = 0;
        while batch.len() < self.max_batch && idle < TOP_UP_IDLE_YIELDS {
            tokio::task::yield_now().await;
            let before = batch.len();
            while batch.len() < self.max_batch {
                match requests.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            if batch.len() == before {
                idle += 1;
            } else {
                idle = 0;
            }
        }
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

    /// Applies `batch` in one write transaction. Publishes go first, in arrival order,
    /// several rows per statement; then acks, several rows per statement and lease owner;
    /// then every other request in arrival order. Every request of a batch was in flight at
    /// the same time (a caller waits for its answer before it sends again), so any order is
    /// a valid serialisation; this one lets a claim of the batch find its publishes, and
    /// costs a few statements per batch instead of one per publish and per ack.
    async fn apply(
        &self,
        batch: &[Op],
        now: i64,
        wake: &mut HashSet<String>,
    ) -> Result<Vec<Answer>, sqlx::Error> {
        let mut tx = self.pool.begin_with(schema::BEGIN_WRITE).await?;
        let published: Vec<&NewRow> = batch
            .iter()
            .filter_map(|op| match op {
                Op::Publish { row, .. } => Some(row),
                Op::Claim { .. } | Op::Settle { .. } => None,
            })
            .collect();
        insert_many(&mut tx, &published, now).await?;
        for row in &published {
            if !wake.contains(&row.queue) {
                wake.insert(row.queue.clone());
            }
        }
        let mut acked = delete_acked(&mut tx, batch).await?;
        let mut answers = Vec::with_capacity(batch.len());
        for op in batch {
            let answer = match op {
                Op::Publish { .. } => Answer::Done,
                // Each deleted id answers one ack: a second ack of the same row (a lease
                // that expired and was claimed again by the same owner) finds it gone.
                Op::Settle {
                    id,
                    settlement: Settlement::Ack,
                    ..
                } => Answer::Held(acked.remove(id)),
                Op::Claim { .. } | Op::Settle { .. } => {
                    self.apply_one(&mut tx, op, now, wake).await?
                }
            };
            answers.push(answer);
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

/// Most rows of one multi-row `INSERT` (9 parameters each: far below SQLite's limit).
const INSERT_CHUNK_ROWS: usize = 64;

/// Most ids of one multi-row `DELETE`.
const DELETE_CHUNK_IDS: usize = 256;

/// The sizes `total` rows are written in: powers of two, largest first, each at most
/// `max` (a power of two). Only these sizes occur, so a handful of statement texts cover
/// every batch and sqlx's prepared-statement cache stays small.
fn chunk_sizes(total: usize, max: usize) -> impl Iterator<Item = usize> {
    let mut left = total;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let size = if left >= max {
            max
        } else {
            1 << (usize::BITS - 1 - left.leading_zeros())
        };
        left -= size;
        Some(size)
    })
}

/// Inserts `rows`, visible at `now`, in their order (ids ascend in that order), with one
/// statement per chunk.
async fn insert_many(
    conn: &mut SqliteConnection,
    rows: &[&NewRow],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut rest = rows;
    for size in chunk_sizes(rows.len(), INSERT_CHUNK_ROWS) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        if let [row] = chunk {
            insert(&mut *conn, row, now).await?;
            continue;
        }
        // Built from constant text and numbers only; every value is a bound parameter.
        let sql = AssertSqlSafe(schema::insert_messages(size));
        let mut query = sqlx::query(sql);
        for row in chunk {
            query = query
                .bind(&row.queue)
                .bind(row.message_id.as_deref())
                .bind(row.message_type.as_deref())
                .bind(row.publisher.as_deref())
                .bind(row.body.as_slice())
                .bind(&row.headers_json)
                .bind(row.attempt)
                .bind(now)
                .bind(&row.enqueued_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes the rows of every ack in `batch` whose owner still holds them, several ids per
/// statement and owner. Returns the ids deleted, each as often as it was deleted (once).
async fn delete_acked(
    conn: &mut SqliteConnection,
    batch: &[Op],
) -> Result<HashSet<i64>, sqlx::Error> {
    let mut by_owner: Vec<(&str, Vec<i64>)> = Vec::new();
    for op in batch {
        if let Op::Settle {
            id,
            owner,
            settlement: Settlement::Ack,
            ..
        } = op
        {
            match by_owner.iter_mut().find(|(o, _)| *o == owner.as_ref()) {
                Some((_, ids)) => ids.push(*id),
                None => by_owner.push((owner.as_ref(), vec![*id])),
            }
        }
    }
    let mut deleted = HashSet::new();
    for (owner, ids) in by_owner {
        let mut rest = ids.as_slice();
        for size in chunk_sizes(ids.len(), DELETE_CHUNK_IDS) {
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            // Built from constant text and numbers only; every value is a bound parameter.
            let sql = AssertSqlSafe(schema::delete_held_many(size));
            let mut query = sqlx::query_scalar::<_, i64>(sql).bind(owner);
            for id in chunk {
                query = query.bind(*id);
            }
            deleted.extend(query.fetch_all(&mut *conn).await?);
        }
    }
    Ok(deleted)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::store::Store;

    #[test]
    fn chunks_are_powers_of_two_largest_first() {
        let sizes = |total, max| chunk_sizes(total, max).collect::<Vec<_>>();
        assert_eq!(sizes(0, 64), Vec::<usize>::new());
        assert_eq!(sizes(1, 64), vec![1]);
        assert_eq!(sizes(16, 64), vec![16]);
        assert_eq!(sizes(15, 64), vec![8, 4, 2, 1]);
        assert_eq!(sizes(64, 64), vec![64]);
        assert_eq!(sizes(200, 64), vec![64, 64, 64, 8]);
        for total in 0..600 {
            let chunks = sizes(total, 256);
            assert_eq!(chunks.iter().sum::<usize>(), total);
            assert!(chunks.iter().all(|c| c.is_power_of_two() && *c <= 256));
        }
    }

    fn row(id: &str) -> NewRow {
        NewRow {
            queue: "deliver.STATION".to_owned(),
            message_id: Some(id.to_owned()),
            message_type: Some("REFERRAL".to_owned()),
            publisher: Some("hub".to_owned()),
            body: id.as_bytes().to_vec(),
            headers_json: "{}".to_owned(),
            attempt: 0,
            enqueued_at: now_rfc3339(),
        }
    }

    fn ack(id: i64, owner: &str) -> Op {
        Op::Settle {
            id,
            owner: Arc::from(owner),
            settlement: Settlement::Ack,
            reply: None,
        }
    }

    /// Multi-row inserts keep arrival order, and batched acks answer each request as the
    /// one-statement-per-ack path did: only the holder's first ack deletes the row.
    #[tokio::test]
    async fn batched_inserts_keep_order_and_batched_acks_respect_the_lease() {
        let store = Store::open_in_memory().await.unwrap();
        let pool = store.pool().clone();
        sqlx::query(schema::CREATE_QUEUE_MESSAGES)
            .execute(&pool)
            .await
            .unwrap();
        let writer = Writer::new(
            pool.clone(),
            &EmbeddedConfig::default(),
            Arc::default(),
            Arc::default(),
        );
        let names: Vec<String> = (0..7).map(|i| format!("m-{i}")).collect();
        let rows: Vec<NewRow> = names.iter().map(|n| row(n)).collect();
        let refs: Vec<&NewRow> = rows.iter().collect();
        let mut conn = pool.acquire().await.unwrap();
        insert_many(&mut conn, &refs, now_ms()).await.unwrap();
        let stored: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, message_id FROM queue_messages ORDER BY id")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let in_id_order: Vec<&str> = stored.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            in_id_order,
            names.iter().map(String::as_str).collect::<Vec<_>>()
        );

        let claim = Claim {
            queue: "deliver.STATION".to_owned(),
            owner: Arc::from("a"),
            limit: 3,
            dead_queue: None,
        };
        let Answer::Claimed(claimed) = writer
            .claim(&mut conn, &claim, now_ms(), &mut HashSet::new())
            .await
            .unwrap()
        else {
            panic!("a claim answers with rows");
        };
        let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 3);
        drop(conn);

        let batch = vec![
            ack(ids[0], "a"),
            ack(ids[1], "b"),
            ack(ids[2], "a"),
            ack(ids[0], "a"),
        ];
        let answers = writer
            .apply(&batch, now_ms(), &mut HashSet::new())
            .await
            .unwrap();
        let held: Vec<bool> = answers
            .iter()
            .map(|a| match a {
                Answer::Held(held) => *held,
                _ => panic!("an ack answers held or not"),
            })
            .collect();
        assert_eq!(held, vec![true, false, true, false]);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queue_messages")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(left, 5, "only the two rows acked by their holder are gone");
    }
}
