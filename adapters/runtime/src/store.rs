//! The adapter's own store (SQLite, WAL, `synchronous=FULL`): which deliveries reached the
//! department system, the inbound documents it refused, and the department's versioned view
//! of each person's identity (身份视图).
//!
//! Invariants:
//! * A `message_id` is recorded as delivered at most once, and only after the department
//!   system accepted it (outbound rule 6 of [`crate::adapter`]).
//! * A refused inbound document is kept byte for byte with the reason it was refused, so
//!   the department's IT staff and the ops team can inspect and correct it; nothing is lost.
//! * A person's identity view (`identity_views`) never moves backwards: it is replaced only
//!   by an `IDENTITY_UPDATE` of an equal or newer `identity_version` (the upsert itself
//!   refuses older ones), and it is written in the same transaction as the delivery's
//!   `delivered` record (outbound rule 9).
//! * A view's `digest` is always [`view_digest`] of its `view` (computed here, never taken
//!   from outside), and `view` is kept as its canonical JSON text.
//! * An `IDENTITY_UPDATE` settled without a call because the department already held a
//!   newer version is kept in `identity_settled_stale`, once per `message_id`.

use std::path::Path;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use hub::identity::digest::{canonical_json, view_digest};
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection};

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
    "CREATE TABLE IF NOT EXISTS identity_views (
        person_id TEXT PRIMARY KEY,
        identity_version INTEGER NOT NULL,
        view TEXT NOT NULL,
        digest TEXT NOT NULL,
        merged_into TEXT NULL,
        applied_message_id TEXT NOT NULL,
        applied_at_ms INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS identity_settled_stale (
        message_id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL,
        held_version INTEGER NOT NULL,
        offered_version INTEGER NOT NULL,
        settled_at_ms INTEGER NOT NULL
    )",
];

/// An `IDENTITY_UPDATE` the department system accepted: what its view of the person becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedIdentity {
    /// 人员标识: the hub's pseudonymous id of the person.
    pub person_id: String,
    /// 身份版本号: the registry's version of the person's record in this update.
    pub identity_version: i64,
    /// The update's `changed_fields` as delivered to the codec (the whole record the
    /// department may see).
    pub view: Value,
    /// 合并至: the person this record was merged into (`change_type` `MERGED`).
    pub merged_into: Option<String>,
    /// The `message_id` of the update.
    pub message_id: String,
}

/// A person's identity as the department holds it, as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityView {
    /// 人员标识.
    pub person_id: String,
    /// The version held.
    pub identity_version: i64,
    /// The view (the `changed_fields` of that version).
    pub view: Value,
    /// [`view_digest`] of `view`.
    pub digest: String,
    /// 合并至, when the held version is a merge.
    pub merged_into: Option<String>,
    /// The `message_id` of the update that set it.
    pub applied_message_id: String,
    /// When it was applied (Unix milliseconds).
    pub applied_at_ms: i64,
}

/// One person's entry in an identity digest report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityViewDigest {
    /// 人员标识.
    pub person_id: String,
    /// The version held.
    pub identity_version: i64,
    /// [`view_digest`] of the view held.
    pub digest: String,
}

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

    /// Records that `message_id`, an `IDENTITY_UPDATE`, reached the department system, and
    /// applies it to the person's view, in one transaction. Returns whether the view was
    /// written (false when a newer version is already held: the row never moves backwards).
    pub async fn record_delivered_identity(
        &self,
        message_type: &str,
        department_status: u16,
        applied: &AppliedIdentity,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO delivered (message_id, message_type, delivered_at_ms, department_status)
             VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(&applied.message_id)
        .bind(message_type)
        .bind(now_ms())
        .bind(i64::from(department_status))
        .execute(&mut *tx)
        .await?;
        let written = upsert_view(&mut tx, applied).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Applies an `IDENTITY_UPDATE` to the person's view unless a newer version is held
    /// (an equal version is applied again). Returns whether the view was written.
    pub async fn apply_identity(&self, applied: &AppliedIdentity) -> Result<bool, sqlx::Error> {
        let mut connection = self.pool.acquire().await?;
        upsert_view(&mut connection, applied).await
    }

    /// The identity version held for `person_id`, if any.
    pub async fn held_identity_version(&self, person_id: &str) -> Result<Option<i64>, sqlx::Error> {
        let row = sqlx::query("SELECT identity_version FROM identity_views WHERE person_id = ?")
            .bind(person_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The view held for `person_id`, if any.
    pub async fn identity_view(
        &self,
        person_id: &str,
    ) -> Result<Option<IdentityView>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT person_id, identity_version, view, digest, merged_into, applied_message_id,
                    applied_at_ms
             FROM identity_views WHERE person_id = ?",
        )
        .bind(person_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let text: String = row.get(2);
        let view = serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(Some(IdentityView {
            person_id: row.get(0),
            identity_version: row.get(1),
            view,
            digest: row.get(3),
            merged_into: row.get(4),
            applied_message_id: row.get(5),
            applied_at_ms: row.get(6),
        }))
    }

    /// Every person's held version and digest, by `person_id` (one consistent read).
    pub async fn identity_digests(&self) -> Result<Vec<IdentityViewDigest>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT person_id, identity_version, digest FROM identity_views ORDER BY person_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| IdentityViewDigest {
                person_id: r.get(0),
                identity_version: r.get(1),
                digest: r.get(2),
            })
            .collect())
    }

    /// Keeps that `message_id`, an `IDENTITY_UPDATE` of `offered_version`, was settled
    /// without a call because `held_version` (newer) was already held (idempotent).
    pub async fn record_settled_stale(
        &self,
        message_id: &str,
        person_id: &str,
        held_version: i64,
        offered_version: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO identity_settled_stale
                 (message_id, person_id, held_version, offered_version, settled_at_ms)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(message_id)
        .bind(person_id)
        .bind(held_version)
        .bind(offered_version)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How many distinct `IDENTITY_UPDATE`s were settled as stale (older than held).
    pub async fn settled_stale_count(&self) -> Result<u64, sqlx::Error> {
        let row = sqlx::query("SELECT COUNT(*) FROM identity_settled_stale")
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

/// Writes `applied` as the person's view unless a newer version is held; returns whether
/// the row was written. The `WHERE` of the upsert is the never-backwards rule.
async fn upsert_view(
    connection: &mut SqliteConnection,
    applied: &AppliedIdentity,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO identity_views
             (person_id, identity_version, view, digest, merged_into, applied_message_id,
              applied_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (person_id) DO UPDATE SET
             identity_version = excluded.identity_version,
             view = excluded.view,
             digest = excluded.digest,
             merged_into = excluded.merged_into,
             applied_message_id = excluded.applied_message_id,
             applied_at_ms = excluded.applied_at_ms
         WHERE excluded.identity_version >= identity_views.identity_version",
    )
    .bind(&applied.person_id)
    .bind(applied.identity_version)
    .bind(canonical_json(&applied.view))
    .bind(view_digest(&applied.view))
    .bind(&applied.merged_into)
    .bind(&applied.message_id)
    .bind(now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(done.rows_affected() > 0)
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

    fn update(version: i64, name: &str, message_id: &str) -> AppliedIdentity {
        AppliedIdentity {
            person_id: "P-7F3K9Q2M".to_owned(),
            identity_version: version,
            view: serde_json::json!({"name": name, "identity_status": "VERIFIED_POLICE"}),
            merged_into: None,
            message_id: message_id.to_owned(),
        }
    }

    #[tokio::test]
    async fn identity_views_apply_equal_or_newer_versions_and_never_move_backwards() {
        let store = AdapterStore::in_memory().await.unwrap();
        assert_eq!(
            store.held_identity_version("P-7F3K9Q2M").await.unwrap(),
            None
        );

        // First sight: applied, recorded as delivered in the same transaction.
        let v2 = update(2, "张建军", "m-v2");
        assert!(
            store
                .record_delivered_identity("IDENTITY_UPDATE", 200, &v2)
                .await
                .unwrap()
        );
        assert!(store.was_delivered("m-v2").await.unwrap());
        assert_eq!(
            store.held_identity_version("P-7F3K9Q2M").await.unwrap(),
            Some(2)
        );

        // Older: skipped, the row keeps v2.
        assert!(
            !store
                .apply_identity(&update(1, "无名氏", "m-v1"))
                .await
                .unwrap()
        );
        let held = store.identity_view("P-7F3K9Q2M").await.unwrap().unwrap();
        assert_eq!(held.identity_version, 2);
        assert_eq!(held.applied_message_id, "m-v2");
        assert_eq!(held.view, v2.view);

        // Newer: applied.
        let v3 = update(3, "张建军", "m-v3");
        assert!(store.apply_identity(&v3).await.unwrap());
        // Equal (a reconciliation re-send under a new message id): applied again.
        let mut v3_again = update(3, "张建军", "m-v3-again");
        v3_again.merged_into = Some("P-0000AAAA".to_owned());
        assert!(store.apply_identity(&v3_again).await.unwrap());
        let held = store.identity_view("P-7F3K9Q2M").await.unwrap().unwrap();
        assert_eq!(held.identity_version, 3);
        assert_eq!(held.applied_message_id, "m-v3-again");
        assert_eq!(held.merged_into.as_deref(), Some("P-0000AAAA"));

        // Never backwards, also through the combined delivered record: the delivery is
        // recorded, the view is not touched.
        let late = update(2, "旧名", "m-v2-late");
        assert!(
            !store
                .record_delivered_identity("IDENTITY_UPDATE", 200, &late)
                .await
                .unwrap()
        );
        assert!(store.was_delivered("m-v2-late").await.unwrap());
        let held = store.identity_view("P-7F3K9Q2M").await.unwrap().unwrap();
        assert_eq!(held.identity_version, 3);

        // The stored digest is the digest of the view held, whatever the key order.
        assert_eq!(held.digest, view_digest(&v3.view));
        let reordered: Value =
            serde_json::from_str(r#"{"identity_status":"VERIFIED_POLICE","name":"张建军"}"#)
                .unwrap();
        assert_eq!(held.digest, view_digest(&reordered));
        let digests = store.identity_digests().await.unwrap();
        assert_eq!(
            digests,
            vec![IdentityViewDigest {
                person_id: "P-7F3K9Q2M".to_owned(),
                identity_version: 3,
                digest: view_digest(&v3.view),
            }]
        );
    }

    #[tokio::test]
    async fn stale_updates_are_counted_once_per_message() {
        let store = AdapterStore::in_memory().await.unwrap();
        assert_eq!(store.settled_stale_count().await.unwrap(), 0);
        store
            .record_settled_stale("m-v1", "P-1", 3, 1)
            .await
            .unwrap();
        store
            .record_settled_stale("m-v1", "P-1", 3, 1)
            .await
            .unwrap();
        store
            .record_settled_stale("m-v2", "P-1", 3, 2)
            .await
            .unwrap();
        assert_eq!(store.settled_stale_count().await.unwrap(), 2);
    }
}
