//! Reading and settling the outbox (the relay's side).
//!
//! # Invariants
//!
//! * Pending rows come back in id order (commit order); a row stays pending until
//!   [`Store::mark_published`] is called for it after a confirmed publish, or
//!   [`Store::mark_published_in`] inside the transaction that delivers it (embedded
//!   transport).
//! * Marking is idempotent: marking a published row again keeps its first `published_at`.

use std::collections::BTreeMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{Store, StoreError, headers_from_json, now_rfc3339, schema};
use crate::transport::HeaderValue;

/// An outgoing message waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Row id; publish order.
    pub id: i64,
    /// The outgoing message's id.
    pub message_id: String,
    /// Queue name (`deliver.STATION`, `dead.ingress`, …).
    pub address: String,
    /// Message type wire name.
    pub message_type: String,
    /// The case, when the message belongs to one.
    pub case_id: Option<String>,
    /// Sequence number on its (sender, recipient) stream, if it has one.
    pub stream_seq: Option<i64>,
    /// The bytes.
    pub body: Vec<u8>,
    /// Hub headers (without the stream number, which the relay adds).
    pub headers: BTreeMap<String, HeaderValue>,
}

impl Store {
    /// Up to `limit` unpublished rows, oldest (lowest id) first.
    pub async fn pending_outbox(&self, limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        self.pending_outbox_after(0, limit).await
    }

    /// Up to `limit` unpublished rows with an id above `after_id`, oldest first (to page
    /// past rows the caller is holding back).
    pub async fn pending_outbox_after(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(schema::SELECT_PENDING_OUTBOX)
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode_row).collect()
    }

    /// Records that row `id` was published with a confirm. Idempotent; an unknown id is an
    /// error.
    pub async fn mark_published(&self, id: i64) -> Result<(), StoreError> {
        let updated = sqlx::query(schema::MARK_OUTBOX_PUBLISHED)
            .bind(now_rfc3339())
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if updated == 0 {
            let exists: i64 = sqlx::query_scalar(schema::SELECT_OUTBOX_EXISTS)
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
            if exists == 0 {
                return Err(StoreError::OutboxRowNotFound(id));
            }
        }
        Ok(())
    }

    /// [`Store::pending_outbox_after`] inside the caller's transaction (from
    /// [`Store::begin_write_transaction`]), so the rows read are exactly the ones the same
    /// transaction then marks.
    pub async fn pending_outbox_in(
        conn: &mut SqliteConnection,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(schema::SELECT_PENDING_OUTBOX)
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(decode_row).collect()
    }

    /// Marks row `id` published inside the caller's transaction, for a relay that delivers
    /// the row in that same transaction (the embedded transport). `Ok(true)` when this call
    /// marked it, `Ok(false)` when it was already published (the caller must then not
    /// deliver it again); an unknown id is an error.
    pub async fn mark_published_in(
        conn: &mut SqliteConnection,
        id: i64,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(schema::MARK_OUTBOX_PUBLISHED)
            .bind(now_rfc3339())
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if updated > 0 {
            return Ok(true);
        }
        let exists: i64 = sqlx::query_scalar(schema::SELECT_OUTBOX_EXISTS)
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        if exists == 0 {
            return Err(StoreError::OutboxRowNotFound(id));
        }
        Ok(false)
    }

    /// How many rows wait for the relay.
    pub async fn outbox_backlog(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(schema::COUNT_PENDING_OUTBOX)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Deletes rows published before `before` (RFC 3339 UTC text, see
    /// [`super::rfc3339_utc`]); returns how many. Pending rows are never deleted.
    pub async fn prune_published_outbox(&self, before: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(schema::DELETE_PUBLISHED_OUTBOX)
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

fn decode_row(row: &SqliteRow) -> Result<OutboxRow, StoreError> {
    let headers: String = row.try_get("headers")?;
    Ok(OutboxRow {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        address: row.try_get("address")?,
        message_type: row.try_get("message_type")?,
        case_id: row.try_get("case_id")?,
        stream_seq: row.try_get("stream_seq")?,
        body: row.try_get("body")?,
        headers: headers_from_json(&headers)?,
    })
}
