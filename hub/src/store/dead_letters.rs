//! The dead-letter index: a copy of every message in a dead-letter queue (`dead.ingress`,
//! `dead.<RECIPIENT>`) with its reasons, for listing and replay by operators.
//!
//! # Invariants
//!
//! * Recording is idempotent: recording the same message again (same queue, message id and
//!   bytes) while its earlier record is not replayed returns the earlier id, so an indexer
//!   that crashes between recording and acking does not create a second record. Once the
//!   record is replayed, the message dying again is a new record.
//! * A dead letter is replayed at most once: the replay columns are written only while empty,
//!   in one statement.

use std::collections::BTreeMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::inbox::PlannedMessage;
use super::{Store, StoreError, headers_from_json, headers_to_json, inbox, now_rfc3339, schema};
use crate::transport::HeaderValue;

/// A dead letter to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDeadLetter {
    /// The dead-letter queue it sits in (`dead.ingress`, `dead.STATION`, …).
    pub queue: String,
    /// The message's id, when it had one.
    pub message_id: Option<String>,
    /// Message type wire name, when known.
    pub message_type: Option<String>,
    /// Stage that refused it (`CONTRACT`, `UNAUTHORIZED`, `DEPARTMENT_4XX`, `BROKER`, …).
    pub stage: String,
    /// Every reason, as a JSON array (kept verbatim).
    pub reasons: String,
    /// The authenticated publisher of the original message, when known.
    pub publisher: Option<String>,
    /// The original bytes.
    pub body: Vec<u8>,
    /// The headers it carried.
    pub headers: BTreeMap<String, HeaderValue>,
}

/// A recorded dead letter.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// Id (what `hubctl dead-letters replay` takes).
    pub id: i64,
    /// The dead-letter queue.
    pub queue: String,
    /// The message's id, when it had one.
    pub message_id: Option<String>,
    /// Message type wire name, when known.
    pub message_type: Option<String>,
    /// Stage that refused it.
    pub stage: String,
    /// Every reason, as a JSON array.
    pub reasons: String,
    /// The authenticated publisher of the original message, when known.
    pub publisher: Option<String>,
    /// The original bytes.
    pub body: Vec<u8>,
    /// The headers it carried.
    pub headers: BTreeMap<String, HeaderValue>,
    /// When it was recorded (RFC 3339 UTC).
    pub dead_at: String,
    /// When it was replayed, if it was.
    pub replayed_at: Option<String>,
    /// Who replayed it.
    pub replayed_by: Option<String>,
    /// Why it was replayed.
    pub replay_reason: Option<String>,
}

/// Which dead letters to list. The default lists every unreplayed one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadLetterFilter {
    /// Only this queue (`dead.ingress`, `dead.STATION`, …).
    pub queue: Option<String>,
    /// Only letters whose stage or reasons contain this text (ASCII case-insensitive).
    pub reason: Option<String>,
    /// Also list letters already replayed.
    pub include_replayed: bool,
    /// At most this many (oldest first).
    pub limit: Option<u32>,
}

impl Store {
    /// Records a dead letter (its `dead_at` is now) and returns its id; idempotent (see the
    /// module docs).
    pub async fn record_dead_letter(&self, record: NewDeadLetter) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing: Option<i64> = match &record.message_id {
            Some(message_id) => {
                sqlx::query_scalar(schema::SELECT_SAME_DEAD_LETTER)
                    .bind(&record.queue)
                    .bind(message_id)
                    .bind(&record.body)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => {
                sqlx::query_scalar(schema::SELECT_SAME_ANONYMOUS_DEAD_LETTER)
                    .bind(&record.queue)
                    .bind(&record.body)
                    .fetch_optional(&mut *tx)
                    .await?
            }
        };
        if let Some(id) = existing {
            tx.rollback().await?;
            return Ok(id);
        }
        let dead_at = now_rfc3339();
        let inserted: Option<i64> = sqlx::query_scalar(schema::INSERT_DEAD_LETTER)
            .bind(&record.queue)
            .bind(&record.message_id)
            .bind(&record.message_type)
            .bind(&record.stage)
            .bind(&record.reasons)
            .bind(&record.publisher)
            .bind(&record.body)
            .bind(headers_to_json(&record.headers))
            .bind(&dead_at)
            .bind(case_id_of(&record.body))
            .fetch_optional(&mut *tx)
            .await?;
        let id = match inserted {
            Some(id) => id,
            None => {
                sqlx::query_scalar(schema::SELECT_DEAD_LETTER_BY_KEY)
                    .bind(&record.queue)
                    .bind(&record.message_id)
                    .bind(&dead_at)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(id)
    }

    /// Dead letters matching `filter`, oldest first.
    pub async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT ");
        query
            .push(schema::DEAD_LETTER_COLUMNS)
            .push(" FROM dead_letters WHERE 1 = 1");
        if let Some(queue) = &filter.queue {
            query.push(" AND queue = ").push_bind(queue.clone());
        }
        if !filter.include_replayed {
            query.push(" AND replayed_at IS NULL");
        }
        if let Some(reason) = &filter.reason {
            let pattern = like_pattern(reason);
            query
                .push(" AND (lower(stage) LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR lower(reasons) LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        query.push(" ORDER BY id");
        if let Some(limit) = filter.limit {
            query.push(" LIMIT ").push_bind(i64::from(limit));
        }
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter().map(decode_dead_letter).collect()
    }

    /// One dead letter by id.
    pub async fn dead_letter(&self, id: i64) -> Result<Option<DeadLetter>, StoreError> {
        let row = sqlx::query(schema::SELECT_DEAD_LETTER)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(decode_dead_letter).transpose()
    }

    /// Records that dead letter `id` was replayed by `by` because `reason`. Fails with
    /// [`StoreError::AlreadyReplayed`] if it was replayed before (a replay happens once) and
    /// [`StoreError::DeadLetterNotFound`] if there is no such letter.
    pub async fn mark_replayed(&self, id: i64, by: &str, reason: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        claim_replay(&mut tx, id, by, reason).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks dead letter `id` replayed (as [`Store::mark_replayed`]) and writes the replayed
    /// message(s) to the outbox in the same transaction, so the replay is recorded if and
    /// only if it will be published (the relay publishes `ingress.<SENDER>` addresses too).
    /// Returns the outbox ids.
    pub async fn commit_replay(
        &self,
        id: i64,
        by: &str,
        reason: &str,
        planned: Vec<PlannedMessage>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let source = claim_replay(&mut tx, id, by, reason).await?;
        let ids = inbox::enqueue(&mut tx, source.as_deref(), planned, &now_rfc3339()).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

/// Writes the replay columns of letter `id` if empty; returns the letter's message id.
async fn claim_replay(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    by: &str,
    reason: &str,
) -> Result<Option<String>, StoreError> {
    let updated = sqlx::query(schema::MARK_DEAD_LETTER_REPLAYED)
        .bind(now_rfc3339())
        .bind(by)
        .bind(reason)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let row = sqlx::query(schema::SELECT_DEAD_LETTER)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let letter = row.as_ref().map(decode_dead_letter).transpose()?;
    match letter {
        None => Err(StoreError::DeadLetterNotFound(id)),
        Some(letter) if updated == 0 => Err(StoreError::AlreadyReplayed {
            id,
            replayed_at: letter.replayed_at.unwrap_or_default(),
            replayed_by: letter.replayed_by.unwrap_or_default(),
        }),
        Some(letter) => Ok(letter.message_id),
    }
}

/// A `LIKE` pattern matching `text` anywhere, lower-cased, with `\`, `%` and `_` escaped.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn decode_dead_letter(row: &SqliteRow) -> Result<DeadLetter, StoreError> {
    let headers: String = row.try_get("headers")?;
    Ok(DeadLetter {
        id: row.try_get("id")?,
        queue: row.try_get("queue")?,
        message_id: row.try_get("message_id")?,
        message_type: row.try_get("message_type")?,
        stage: row.try_get("stage")?,
        reasons: row.try_get("reasons")?,
        publisher: row.try_get("publisher")?,
        body: row.try_get("body")?,
        headers: headers_from_json(&headers)?,
        dead_at: row.try_get("dead_at")?,
        replayed_at: row.try_get("replayed_at")?,
        replayed_by: row.try_get("replayed_by")?,
        replay_reason: row.try_get("replay_reason")?,
    })
}

/// The envelope's `case_id` of a dead letter's body, if it is JSON and names one.
fn case_id_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("case_id")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("Contract"), "%contract%");
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
