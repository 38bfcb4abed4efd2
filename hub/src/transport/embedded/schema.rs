//! Every SQL statement of the embedded transport, and its table.
//!
//! The table lives in the hub store's database file and is created idempotently
//! (`IF NOT EXISTS`) when the transport opens, apart from the store's versioned migrations:
//! the queues belong to the transport, and a store opened without it never sees them.
//! Placeholders are `$N` (anonymous `?` in the generated multi-row statements) and the text
//! is portable like the store's (see `crate::store` `schema.rs`), except
//! `INTEGER PRIMARY KEY AUTOINCREMENT` and `BLOB`.
//!
//! # Invariants
//!
//! * **Ids only grow** (`AUTOINCREMENT` never reuses one), so id order is commit order of
//!   the publishes, which is each queue's delivery order.
//! * **One holder at a time.** A row is claimed by one `UPDATE … WHERE id IN (SELECT …)`
//!   statement inside the writer's write transaction: the selection and the lease are one
//!   atomic step, so no row is leased to two consumers at once. Every settlement is
//!   conditional on `lease_owner`, so a holder whose lease expired and was taken over
//!   cannot settle (or renew) someone else's delivery.
//! * **Claimable** means `visible_at_ms <= now` and no live lease
//!   (`lease_until_ms IS NULL OR lease_until_ms < now`).
//!
//! # Index
//!
//! `queue_messages_claim (queue, id)`: a claim walks one queue in id order and stops after
//! `prefetch` claimable rows, skipping only the rows at the head that are leased or waiting
//! for a retry. An index led by `visible_at_ms` would make every claim read *and sort* every
//! visible row of the queue (`USE TEMP B-TREE FOR ORDER BY`), which is quadratic while a
//! backlog drains.

/// The queue table.
pub(super) const CREATE_QUEUE_MESSAGES: &str = "CREATE TABLE IF NOT EXISTS queue_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NULL,
    message_type TEXT NULL,
    publisher TEXT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    visible_at_ms INTEGER NOT NULL,
    lease_owner TEXT NULL,
    lease_until_ms INTEGER NULL,
    enqueued_at TEXT NOT NULL,
    CHECK (queue <> ''),
    CHECK ((lease_owner IS NULL) = (lease_until_ms IS NULL))
)";

/// The claim index (see the module docs).
pub(super) const CREATE_CLAIM_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS queue_messages_claim ON queue_messages (queue, id)";

/// Starts a write transaction that holds SQLite's write lock from the start (see the
/// store's `BEGIN_WRITE`).
pub(super) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Enqueues one message.
pub(super) const INSERT_MESSAGE: &str = "INSERT INTO queue_messages
    (queue, message_id, message_type, publisher, body, headers, attempt, delivery_count,
     visible_at_ms, enqueued_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)";

/// Enqueues `rows` messages (at least 2) with one statement: the columns of
/// [`INSERT_MESSAGE`] for each row in turn, bound in that order. Rows are inserted, and get
/// their ids, in `VALUES` order. The placeholders are anonymous (`?`): sqlx looks up the
/// name of every numbered placeholder, a linear search in SQLite, which for hundreds of
/// placeholders costs more than the insert.
pub(super) fn insert_messages(rows: usize) -> String {
    const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, 0, ?, ?)";
    let mut sql = String::from(
        "INSERT INTO queue_messages
    (queue, message_id, message_type, publisher, body, headers, attempt, delivery_count,
     visible_at_ms, enqueued_at)
    VALUES ",
    );
    sql.push_str(&vec![ROW; rows].join(", "));
    sql
}

/// Removes the settled rows (ids bound second, third, …) that the owner bound first still
/// holds, returning the ids removed: [`DELETE_HELD`] for `ids` rows at once. Anonymous
/// placeholders, as in [`insert_messages`].
pub(super) fn delete_held_many(ids: usize) -> String {
    format!(
        "DELETE FROM queue_messages WHERE lease_owner = ? AND id IN ({}) RETURNING id",
        vec!["?"; ids].join(", ")
    )
}

/// Leases up to `$5` claimable rows of queue `$3` in id order to owner `$1` until `$2`,
/// counting the delivery; `$4` is now.
pub(super) const CLAIM: &str = "UPDATE queue_messages
    SET lease_owner = $1, lease_until_ms = $2, delivery_count = delivery_count + 1
    WHERE id IN (
        SELECT id FROM queue_messages
        WHERE queue = $3
          AND visible_at_ms <= $4
          AND (lease_until_ms IS NULL OR lease_until_ms < $4)
        ORDER BY id
        LIMIT $5)
    RETURNING id, message_id, message_type, publisher, body, headers, attempt, delivery_count";

/// Removes a settled row, if `$2` still holds it.
pub(super) const DELETE_HELD: &str =
    "DELETE FROM queue_messages WHERE id = $1 AND lease_owner = $2";

/// Removes a row unconditionally (moving a row over the delivery limit, inside the claim).
pub(super) const DELETE: &str = "DELETE FROM queue_messages WHERE id = $1";

/// Schedules a held row for another attempt: visible again at `$1`, attempt `$2`, headers
/// `$3`, not leased, delivery count restarting (a retry is a fresh delivery, like the
/// RabbitMQ transport's retry copy).
pub(super) const RETRY_HELD: &str = "UPDATE queue_messages
    SET visible_at_ms = $1, attempt = $2, headers = $3, delivery_count = 0,
        lease_owner = NULL, lease_until_ms = NULL
    WHERE id = $4 AND lease_owner = $5";

/// Gives a held row back at once. `$1` is 1 when the row was never handed to the
/// application (it sat in a prefetch buffer), so that claim does not count as a delivery.
pub(super) const RELEASE_HELD: &str = "UPDATE queue_messages
    SET lease_owner = NULL, lease_until_ms = NULL,
        delivery_count = MAX(delivery_count - $1, 0)
    WHERE id = $2 AND lease_owner = $3";

/// Extends the lease of a row `$3` still holds to `$1`.
pub(super) const RENEW_HELD: &str =
    "UPDATE queue_messages SET lease_until_ms = $1 WHERE id = $2 AND lease_owner = $3";

/// Rows in a queue, whatever their state.
pub(super) const COUNT_QUEUE: &str = "SELECT COUNT(*) FROM queue_messages WHERE queue = $1";
