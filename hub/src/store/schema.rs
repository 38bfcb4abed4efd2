//! Every SQL statement of the store, in one place, and the versioned schema.
//!
//! # Portability
//!
//! The text is written for SQLite (the embedded default) in a form PostgreSQL also accepts, so
//! a PostgreSQL store can reuse it: `$N` placeholders (sqlx's SQLite driver binds `$N` by
//! number), `INSERT … ON CONFLICT … DO NOTHING / DO UPDATE`, `RETURNING`, partial indexes,
//! `LIMIT $N`, `lower(…) LIKE … ESCAPE`. The exceptions, each to be swapped for PostgreSQL:
//!
//! * `INTEGER PRIMARY KEY AUTOINCREMENT` → `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY`
//!   (AUTOINCREMENT is what guarantees ids are never reused, so id order is insertion order);
//! * `BLOB` → `BYTEA`;
//! * [`BEGIN_WRITE`] (`BEGIN IMMEDIATE`, which takes SQLite's write lock at once, so a
//!   read-then-write transaction never fails with `SQLITE_BUSY_SNAPSHOT`) → plain `BEGIN`
//!   (PostgreSQL locks rows, and `ON CONFLICT` waits for a concurrent insert of the same key);
//! * migrations run inside [`BEGIN_WRITE`], which serialises migrating processes; on
//!   PostgreSQL take `pg_advisory_xact_lock` at the start of the migration transaction.
//!
//! # Invariants
//!
//! * Migrations are append-only: a released migration is never edited; a change is a new
//!   version. `schema_version` holds one row per applied version, so applying is idempotent.
//! * Timestamps are RFC 3339 UTC text with a fixed width (see [`super::rfc3339_utc`]), so text
//!   order is time order on both databases.

/// One schema version: its number and its statements, applied in one transaction.
#[derive(Debug)]
pub(super) struct Migration {
    /// The version this migration brings the schema to (1, 2, …, without gaps).
    pub(super) version: i64,
    /// DDL statements, one per entry (no multi-statement strings: PostgreSQL's extended
    /// protocol takes one statement at a time).
    pub(super) statements: &'static [&'static str],
}

/// The bookkeeping table of applied versions (created before any migration runs).
pub(super) const CREATE_SCHEMA_VERSION: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)";

/// Starts a write transaction (SQLite-only syntax; see the module docs).
pub(super) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The highest applied schema version (0 when none).
pub(super) const SELECT_SCHEMA_VERSION: &str =
    "SELECT COALESCE(MAX(version), 0) FROM schema_version";

/// Records an applied version.
pub(super) const INSERT_SCHEMA_VERSION: &str =
    "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)";

/// Every migration, in version order.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        statements: &[
            // Deduplication record of every accepted ingress message.
            "CREATE TABLE inbox (
            message_id TEXT PRIMARY KEY,
            sender TEXT NOT NULL,
            message_type TEXT NOT NULL,
            case_id TEXT NULL,
            received_at TEXT NOT NULL,
            body_sha256 TEXT NOT NULL,
            CHECK (message_id <> '')
        )",
            // Outgoing messages, published by the relay in id order.
            "CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id TEXT NOT NULL,
            source_message_id TEXT NULL,
            address TEXT NOT NULL,
            message_type TEXT NOT NULL,
            case_id TEXT NULL,
            stream_sender TEXT NULL,
            stream_recipient TEXT NULL,
            stream_seq INTEGER NULL,
            body BLOB NOT NULL,
            headers TEXT NOT NULL,
            created_at TEXT NOT NULL,
            published_at TEXT NULL,
            CHECK (message_id <> ''),
            CHECK (address <> ''),
            CHECK ((stream_sender IS NULL) = (stream_seq IS NULL))
        )",
            "CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL",
            "CREATE INDEX outbox_source ON outbox (source_message_id)",
            // Last sequence number given on each (sender → recipient) stream.
            "CREATE TABLE stream_seq (
            sender TEXT NOT NULL,
            recipient TEXT NOT NULL,
            last_seq INTEGER NOT NULL,
            PRIMARY KEY (sender, recipient),
            CHECK (last_seq >= 1)
        )",
            // Index of the dead-letter queues, with the replay audit (who, when, why).
            "CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            message_id TEXT NULL,
            message_type TEXT NULL,
            stage TEXT NOT NULL,
            reasons TEXT NOT NULL,
            publisher TEXT NULL,
            body BLOB NOT NULL,
            headers TEXT NOT NULL,
            dead_at TEXT NOT NULL,
            replayed_at TEXT NULL,
            replayed_by TEXT NULL,
            replay_reason TEXT NULL,
            UNIQUE (queue, message_id, dead_at),
            CHECK ((replayed_at IS NULL) = (replayed_by IS NULL))
        )",
            "CREATE INDEX dead_letters_queue ON dead_letters (queue, id)",
            "CREATE INDEX dead_letters_message ON dead_letters (message_id)",
        ],
    },
    // The identity registry (ADR 0012); its statements live with the registry.
    Migration {
        version: 2,
        statements: crate::identity::store::SCHEMA_V2,
    },
    // The case of a dead letter (its envelope's case_id), so a case timeline shows what was
    // refused. Letters recorded before have none.
    Migration {
        version: 3,
        statements: &[
            "ALTER TABLE dead_letters ADD COLUMN case_id TEXT NULL",
            "CREATE INDEX dead_letters_case ON dead_letters (case_id) WHERE case_id IS NOT NULL",
        ],
    },
];

// ---- inbox -------------------------------------------------------------------------------

/// Inserts an inbox row unless the message id is already there (then 0 rows are affected).
pub(super) const INSERT_INBOX: &str = "INSERT INTO inbox
    (message_id, sender, message_type, case_id, received_at, body_sha256)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (message_id) DO NOTHING";

/// When a message id was first received.
pub(super) const SELECT_INBOX_RECEIVED_AT: &str =
    "SELECT received_at FROM inbox WHERE message_id = $1";

/// Whether a message id is in the inbox.
pub(super) const SELECT_INBOX_EXISTS: &str = "SELECT COUNT(*) FROM inbox WHERE message_id = $1";

/// The sender of an accepted message.
pub(super) const SELECT_INBOX_SENDER: &str = "SELECT sender FROM inbox WHERE message_id = $1";

// ---- streams -----------------------------------------------------------------------------

/// Takes the next sequence number of a (sender, recipient) stream: 1 for a new stream.
pub(super) const NEXT_STREAM_SEQ: &str = "INSERT INTO stream_seq (sender, recipient, last_seq)
    VALUES ($1, $2, 1)
    ON CONFLICT (sender, recipient) DO UPDATE SET last_seq = stream_seq.last_seq + 1
    RETURNING last_seq";

// ---- outbox ------------------------------------------------------------------------------

/// Inserts one outgoing message.
pub(super) const INSERT_OUTBOX: &str = "INSERT INTO outbox
    (message_id, source_message_id, address, message_type, case_id,
     stream_sender, stream_recipient, stream_seq, body, headers, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    RETURNING id";

/// Unpublished rows after an id, oldest first.
pub(super) const SELECT_PENDING_OUTBOX: &str = "SELECT
    id, message_id, address, message_type, case_id, stream_seq, body, headers
    FROM outbox
    WHERE published_at IS NULL AND id > $1
    ORDER BY id
    LIMIT $2";

/// Marks a row published (only the first time).
pub(super) const MARK_OUTBOX_PUBLISHED: &str =
    "UPDATE outbox SET published_at = $1 WHERE id = $2 AND published_at IS NULL";

/// Whether an outbox row exists.
pub(super) const SELECT_OUTBOX_EXISTS: &str = "SELECT COUNT(*) FROM outbox WHERE id = $1";

/// How many rows wait for the relay.
pub(super) const COUNT_PENDING_OUTBOX: &str =
    "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL";

/// Deletes rows published before a time.
pub(super) const DELETE_PUBLISHED_OUTBOX: &str =
    "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1";

// ---- dead letters ------------------------------------------------------------------------

/// Columns of a dead-letter row, in [`super::dead_letters`]' decoding order.
pub(super) const DEAD_LETTER_COLUMNS: &str = "id, queue, message_id, message_type, stage, \
    reasons, publisher, body, headers, dead_at, replayed_at, replayed_by, replay_reason";

/// An unreplayed dead letter with the same queue, message id and bytes.
pub(super) const SELECT_SAME_DEAD_LETTER: &str = "SELECT id FROM dead_letters
    WHERE queue = $1 AND message_id = $2 AND body = $3 AND replayed_at IS NULL
    ORDER BY id LIMIT 1";

/// The same, for a dead letter without a message id.
pub(super) const SELECT_SAME_ANONYMOUS_DEAD_LETTER: &str = "SELECT id FROM dead_letters
    WHERE queue = $1 AND message_id IS NULL AND body = $2 AND replayed_at IS NULL
    ORDER BY id LIMIT 1";

/// Inserts a dead letter (nothing on a (queue, message_id, dead_at) conflict).
pub(super) const INSERT_DEAD_LETTER: &str = "INSERT INTO dead_letters
    (queue, message_id, message_type, stage, reasons, publisher, body, headers, dead_at, case_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (queue, message_id, dead_at) DO NOTHING
    RETURNING id";

/// The row a (queue, message_id, dead_at) conflict hit.
pub(super) const SELECT_DEAD_LETTER_BY_KEY: &str =
    "SELECT id FROM dead_letters WHERE queue = $1 AND message_id = $2 AND dead_at = $3";

/// One dead letter by id.
pub(super) const SELECT_DEAD_LETTER: &str = "SELECT id, queue, message_id, message_type, stage, \
    reasons, publisher, body, headers, dead_at, replayed_at, replayed_by, replay_reason \
    FROM dead_letters WHERE id = $1";

/// Records a replay, only if none was recorded before.
pub(super) const MARK_DEAD_LETTER_REPLAYED: &str = "UPDATE dead_letters
    SET replayed_at = $1, replayed_by = $2, replay_reason = $3
    WHERE id = $4 AND replayed_at IS NULL";
