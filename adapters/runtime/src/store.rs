//! The adapter's own store (SQLite, WAL, `synchronous=FULL`): which deliveries reached the
//! department system, and the inbound documents it refused.
//!
//! Invariants:
//! * A `message_id` is recorded as delivered at most once, and only after the department
//!   system accepted it (outbound rule 6 of [`crate::adapter`]).
//! * A refused inbound document is kept byte for byte with the reason it was refused, so
//!   the department's IT staff and the ops team can inspect and correct it; nothing is lost.

use std::path::Path;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS delivered (
        message_id TEXT PRIMARY KEY,
        message_type TEXT NOT NULL,
        delivered_at_ms INTEGER NOT NULL,
        department_status INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS refused_documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        body BLOB NOT NULL
    )",
];

/// A refused inbound document, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedDocument {
    /// Row id.
    pub id: i64,
    /// When it was received (`+08:00`).
    pub received_at: String,
    /// `MALFORMED` (could not be decoded) or `CONTRACT` (decoded but invalid).
    pub kind: String,
    /// Every reason, as sent to the department.
    pub detail: String,
    /// The bytes as received.
    pub body: Vec<u8>,
}

/// The adapter's store.
#[derive(Debug, Clone)]
pub struct AdapterStore {
    pool: SqlitePool,
}

impl AdapterStore {
    /// Opens (creating) the store at `path`.
    pub async fn open(path: &Path) -> Result<Self, sqlx::Error> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(5));
        Self::with_options(options, 4).await
    }

    /// A store in memory (tests).
    pub async fn in_memory() -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        Self::with_options(options, 1).await
    }

    async fn with_options(options: SqliteConnectOptions, max: u32) -> Result<Self, sqlx::Error> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await?;
        for statement in SCHEMA {
            sqlx::query(*statement).execute(&pool).await?;
        }
        Ok(Self { pool })
    }

    /// Whether `message_id` already reached the department system.
    pub async fn was_delivered(&self, message_id: &str) -> Result<bool, sqlx::Error> {
        let row = sqlx::query("SELECT 1 FROM delivered WHERE message_id = ?")
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Records that `message_id` reached the department system (idempotent).
    pub async fn record_delivered(
        &self,
        message_id: &str,
        message_type: &str,
        department_status: u16,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO delivered (message_id, message_type, delivered_at_ms, department_status)
             VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(message_id)
        .bind(message_type)
        .bind(now_ms())
        .bind(i64::from(department_status))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How many distinct messages reached the department system.
    pub async fn delivered_count(&self) -> Result<u64, sqlx::Error> {
        let row = sqlx::query("SELECT COUNT(*) FROM delivered")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(row.get::<i64, _>(0)).unwrap_or(0))
    }

    /// Keeps a refused inbound document; returns its id.
    pub async fn keep_refused(
        &self,
        received_at: &str,
        kind: &str,
        detail: &str,
        body: &[u8],
    ) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "INSERT INTO refused_documents (received_at, kind, detail, body) VALUES (?, ?, ?, ?)
             RETURNING id",
        )
        .bind(received_at)
        .bind(kind)
        .bind(detail)
        .bind(body)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    /// The refused documents, newest first.
    pub async fn refused(&self, limit: u32) -> Result<Vec<RefusedDocument>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, received_at, kind, detail, body FROM refused_documents
             ORDER BY id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RefusedDocument {
                id: r.get(0),
                received_at: r.get(1),
                kind: r.get(2),
                detail: r.get(3),
                body: r.get(4),
            })
            .collect())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn delivered_ids_are_recorded_once_and_refusals_are_kept() {
        let store = AdapterStore::in_memory().await.unwrap();
        assert!(!store.was_delivered("m1").await.unwrap());
        store.record_delivered("m1", "REFERRAL", 200).await.unwrap();
        store.record_delivered("m1", "REFERRAL", 200).await.unwrap();
        assert!(store.was_delivered("m1").await.unwrap());
        assert_eq!(store.delivered_count().await.unwrap(), 1);
        let id = store
            .keep_refused("2025-01-01T00:00:00+08:00", "MALFORMED", "bad", b"<x")
            .await
            .unwrap();
        let kept = store.refused(10).await.unwrap();
        assert_eq!(kept[0].id, id);
        assert_eq!(kept[0].body, b"<x");
    }
}
