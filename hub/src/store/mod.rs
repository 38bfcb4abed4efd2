//! The hub's store: inbox (deduplication by `message_id`), outbox (outgoing messages waiting
//! for the [relay](crate::relay)), per-stream sequence numbers and the dead-letter index.
//! SQLite through sqlx today; the SQL lives in `store/schema.rs` in a portable form so a PostgreSQL
//! store can follow (exceptions listed there).
//!
//! # Invariants
//!
//! * **Transactional outbox.** An accepted ingress message's inbox row and all its outgoing
//!   messages are written in one transaction ([`Store::commit_accepted`]); the ingress
//!   message is acknowledged only after that commit. A refusal writes its outgoing messages
//!   (refusal notice and dead-letter copy) in one transaction and no inbox row
//!   ([`Store::commit_refusal`]), so the fixed message can still be accepted later.
//! * **Deduplication.** A `message_id` is in the inbox at most once; a second commit of the
//!   same id writes nothing and reports [`CommitOutcome::Duplicate`], also when two commits
//!   race (the inbox insert is the first write of the transaction).
//! * **Gap-free streams.** Each (sender, recipient) stream numbers its messages 1, 2, 3, … in
//!   commit order; a rolled-back transaction takes no number.
//! * **Outbox order.** Outbox ids only grow (never reused), so id order is commit order (SQLite
//!   serialises writers). Rows are published in id order and marked published only after the
//!   transport confirmed them.
//! * **Durability.** The file is opened in WAL mode with `synchronous=FULL`: a commit that
//!   returned survives a crash or power loss.
//! * **Replay once.** A dead letter is marked replayed at most once ([`Store::mark_replayed`]).

mod dead_letters;
mod inbox;
mod outbox;
mod schema;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::transport::HeaderValue;

pub use dead_letters::{DeadLetter, DeadLetterFilter, NewDeadLetter};

/// Lower-case hex SHA-256 of `bytes`: the form of the inbox's `body_sha256` and of the
/// configured token hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}
pub use inbox::{AcceptTransaction, AcceptedMessage, BeginAccept, CommitOutcome, PlannedMessage};
pub use outbox::OutboxRow;

/// How long a statement waits for another connection's write lock before failing with a
/// (transient) busy error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections of a file store (SQLite has one writer at a time; readers run in parallel).
const FILE_POOL_CONNECTIONS: u32 = 8;

/// The schema version this code writes and reads.
pub const SCHEMA_VERSION: i64 = 3;

/// A store failure. [`StoreError::is_transient`] tells whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory of the database file could not be created.
    #[error("cannot create the store directory {}: {source}", .path.display())]
    CreateDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database failed (busy, locked, constraint, I/O, …).
    #[error("store database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database was written by a newer hub; this one refuses to touch it.
    #[error("the store has schema version {found}, newer than the {supported} this hub supports")]
    SchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Highest version this code knows.
        supported: i64,
    },
    /// A stored value cannot be read back (e.g. headers that are not a JSON object).
    #[error("corrupt store data: {0}")]
    Corrupt(String),
    /// No outbox row has this id.
    #[error("outbox row {0} does not exist")]
    OutboxRowNotFound(i64),
    /// No dead letter has this id.
    #[error("dead letter {0} does not exist")]
    DeadLetterNotFound(i64),
    /// The dead letter was replayed before; a replay happens once.
    #[error("dead letter {id} was already replayed at {replayed_at} by {replayed_by}")]
    AlreadyReplayed {
        /// Dead-letter id.
        id: i64,
        /// When it was replayed.
        replayed_at: String,
        /// Who replayed it.
        replayed_by: String,
    },
}

impl StoreError {
    /// Whether the same operation can succeed later: the database was busy or locked by
    /// another connection, the pool had no free connection in time, or an I/O error occurred.
    /// Constraint violations, corrupt data and replay refusals are permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(error) => is_transient_sqlx(error),
            StoreError::CreateDir { .. }
            | StoreError::SchemaTooNew { .. }
            | StoreError::Corrupt(_)
            | StoreError::OutboxRowNotFound(_)
            | StoreError::DeadLetterNotFound(_)
            | StoreError::AlreadyReplayed { .. } => false,
        }
    }
}

/// SQLite primary result codes `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), whatever their
/// extended code (the low byte is the primary code); PostgreSQL's serialization failure and
/// deadlock codes for the PostgreSQL store to come.
fn is_transient_sqlx(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => match code.parse::<i64>() {
                Ok(n) => matches!(n & 0xff, 5 | 6),
                Err(_) => matches!(code.as_ref(), "40001" | "40P01" | "55P03"),
            },
            None => false,
        },
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

/// The hub's store. Cheap to clone (a connection pool handle).
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating it and its directory if missing) the SQLite store at `path`, in WAL
    /// mode with `synchronous=FULL`, foreign keys on and a busy timeout, and brings its schema
    /// to [`SCHEMA_VERSION`] (idempotent; several processes may open the same file).
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| StoreError::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_CONNECTIONS)
            .connect_with(options)
            .await?;
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// A private in-memory store for tests: one connection to a uniquely named shared-cache
    /// database that lives as long as the store (nothing is durable).
    pub async fn open_in_memory() -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// The connection pool, for components that keep their own tables in the same database
    /// file with the same durability settings (the embedded transport's queues). Writers
    /// must take the write lock at the start of a transaction (`BEGIN IMMEDIATE`).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }

    /// Closes every connection (waits for checked-out ones to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The schema version recorded in the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<_, i64>(schema::SELECT_SCHEMA_VERSION)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Applies the migrations the database has not seen, in one write transaction.
    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query(schema::CREATE_SCHEMA_VERSION)
            .execute(&self.pool)
            .await?;
        let mut tx = self.begin_write().await?;
        let current: i64 = sqlx::query_scalar(schema::SELECT_SCHEMA_VERSION)
            .fetch_one(&mut *tx)
            .await?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        for migration in schema::MIGRATIONS.iter().filter(|m| m.version > current) {
            for statement in migration.statements {
                sqlx::query(*statement).execute(&mut *tx).await?;
            }
            sqlx::query(schema::INSERT_SCHEMA_VERSION)
                .bind(migration.version)
                .bind(now_rfc3339())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A write transaction on the store's database (holding SQLite's write lock from the
    /// start), for work that spans the store and the embedded transport's queues in one
    /// commit: the embedded relay reads pending outbox rows ([`Store::pending_outbox_in`]),
    /// enqueues them and marks them ([`Store::mark_published_in`]) before committing.
    pub async fn begin_write_transaction(
        &self,
    ) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.begin_write().await
    }

    /// Starts a transaction that holds the write lock from its first statement.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with(schema::BEGIN_WRITE).await?)
    }
}

/// The current time as RFC 3339 UTC text (see [`rfc3339_utc`]).
pub fn now_rfc3339() -> String {
    rfc3339_utc(SystemTime::now())
}

/// `time` as RFC 3339 UTC text with microseconds, e.g. `2026-05-06T08:09:10.123456Z`. The
/// width is fixed (for years 0–9999), so text order is time order. Times before 1970 are
/// written as 1970-01-01T00:00:00.000000Z.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60,
        since_epoch.subsec_micros()
    )
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Headers as a JSON object of string → string | integer.
pub(crate) fn headers_to_json(headers: &BTreeMap<String, HeaderValue>) -> String {
    let object: Map<String, Value> = headers
        .iter()
        .map(|(name, value)| {
            let value = match value {
                HeaderValue::Text(text) => Value::String(text.clone()),
                HeaderValue::Int(int) => Value::from(*int),
            };
            (name.clone(), value)
        })
        .collect();
    Value::Object(object).to_string()
}

/// The inverse of [`headers_to_json`].
pub(crate) fn headers_from_json(text: &str) -> Result<BTreeMap<String, HeaderValue>, StoreError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("headers are not JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(StoreError::Corrupt(
            "headers are not a JSON object".to_owned(),
        ));
    };
    object
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(text) => HeaderValue::Text(text),
                Value::Number(n) => HeaderValue::Int(n.as_i64().ok_or_else(|| {
                    StoreError::Corrupt(format!("header {name} is not a 64-bit integer"))
                })?),
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "header {name} is neither text nor an integer"
                    )));
                }
            };
            Ok((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::new(951_782_400, 5_000); // 2000-02-29
        assert_eq!(rfc3339_utc(t), "2000-02-29T00:00:00.000005Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_778_054_950); // 2026-05-06T08:09:10Z
        assert_eq!(rfc3339_utc(t), "2026-05-06T08:09:10.000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(4_102_444_799); // 2099-12-31T23:59:59Z
        assert_eq!(rfc3339_utc(t), "2099-12-31T23:59:59.000000Z");
    }

    #[test]
    fn headers_round_trip() {
        let mut headers = BTreeMap::new();
        headers.insert("a".to_owned(), HeaderValue::Text("x\"y".to_owned()));
        headers.insert("b".to_owned(), HeaderValue::Int(-7));
        let json = headers_to_json(&headers);
        assert_eq!(headers_from_json(&json).unwrap(), headers);
        assert!(headers_from_json("[1]").is_err());
        assert!(headers_from_json(r#"{"a":1.5}"#).is_err());
    }

    #[test]
    fn busy_and_locked_are_transient() {
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!StoreError::DeadLetterNotFound(1).is_transient());
    }
}
