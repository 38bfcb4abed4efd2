//! The inbox (deduplication record of accepted ingress messages) and the commits that write
//! it together with the outgoing messages.
//!
//! # Invariants
//!
//! * [`Store::commit_accepted`] is one write transaction whose first statement is the inbox
//!   insert: of two concurrent commits of one `message_id`, exactly one writes anything.
//!   [`Store::begin_accept`] is the same transaction left open after the inbox insert, so
//!   the message's other effects (deadline timers) commit or roll back with it.
//! * Every outgoing message with a stream takes the next number of its (sender, recipient)
//!   stream inside the same transaction, so numbers are gap-free and in outbox order.

use std::collections::BTreeMap;

use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::{Store, StoreError, headers_to_json, now_rfc3339, schema};
use crate::transport::HeaderValue;

/// An ingress message the pipeline accepted: its inbox (deduplication) record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedMessage {
    /// The envelope's `message_id`.
    pub message_id: String,
    /// The authenticated sender (department code).
    pub sender: String,
    /// Message type wire name.
    pub message_type: String,
    /// The case, when the message belongs to one.
    pub case_id: Option<String>,
    /// Lower-case hex SHA-256 of the ingress bytes (to tell a resend from an id collision).
    pub body_sha256: String,
}

/// An outgoing message to write to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedMessage {
    /// The outgoing message's own id (AMQP `message_id`; recipients deduplicate by it).
    pub message_id: String,
    /// Queue name: `deliver.<RECIPIENT>`, `dead.ingress` or `dead.<RECIPIENT>`.
    pub address: String,
    /// Message type wire name.
    pub message_type: String,
    /// The case, when the message belongs to one.
    pub case_id: Option<String>,
    /// The (sender, recipient) stream that numbers this message, if any; the number is sent
    /// in the `x-hub-stream-seq` header.
    pub stream: Option<(String, String)>,
    /// The bytes.
    pub body: Vec<u8>,
    /// Hub headers.
    pub headers: BTreeMap<String, HeaderValue>,
}

/// What [`Store::commit_accepted`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The message was new: inbox row and outbox rows written.
    Committed {
        /// Ids of the outbox rows, in the order of the planned messages.
        outbox_ids: Vec<i64>,
    },
    /// The `message_id` was accepted before; nothing was written.
    Duplicate {
        /// When it was first received (RFC 3339 UTC).
        first_received_at: String,
    },
}

impl Store {
    /// One transaction: if `accepted.message_id` is already in the inbox → `Duplicate`
    /// (nothing written); else insert the inbox row, give every planned message with a
    /// `stream` the next sequence number of its (sender, recipient) stream (starting at 1,
    /// gap-free), and insert the outbox rows in the given order. On any error nothing is
    /// written. ([`Store::begin_accept`] then [`AcceptTransaction::commit`].)
    pub async fn commit_accepted(
        &self,
        accepted: &AcceptedMessage,
        planned: Vec<PlannedMessage>,
    ) -> Result<CommitOutcome, StoreError> {
        match self.begin_accept(accepted).await? {
            BeginAccept::Duplicate { first_received_at } => {
                Ok(CommitOutcome::Duplicate { first_received_at })
            }
            BeginAccept::New(tx) => {
                let outbox_ids = tx.commit(planned).await?;
                Ok(CommitOutcome::Committed { outbox_ids })
            }
        }
    }

    /// Starts the commit of an accepted message: one write transaction whose first statement
    /// is the inbox insert. A `message_id` already in the inbox → [`BeginAccept::Duplicate`]
    /// (nothing written, the transaction ended). Otherwise the open transaction is returned,
    /// for the message's other effects (the deadline timers) to be written in it before
    /// [`AcceptTransaction::commit`] adds the outbox rows and commits; dropping it rolls
    /// everything back.
    pub async fn begin_accept(
        &self,
        accepted: &AcceptedMessage,
    ) -> Result<BeginAccept, StoreError> {
        let mut tx = self.begin_write().await?;
        let now = now_rfc3339();
        let inserted = sqlx::query(schema::INSERT_INBOX)
            .bind(&accepted.message_id)
            .bind(&accepted.sender)
            .bind(&accepted.message_type)
            .bind(&accepted.case_id)
            .bind(&now)
            .bind(&accepted.body_sha256)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            let first_received_at: String = sqlx::query_scalar(schema::SELECT_INBOX_RECEIVED_AT)
                .bind(&accepted.message_id)
                .fetch_one(&mut *tx)
                .await?;
            tx.rollback().await?;
            return Ok(BeginAccept::Duplicate { first_received_at });
        }
        Ok(BeginAccept::New(AcceptTransaction {
            tx,
            message_id: accepted.message_id.clone(),
            now,
        }))
    }

    /// Writes `planned` to the outbox inside the caller's write transaction (from
    /// [`Store::begin_write_transaction`]), numbering streamed messages like
    /// [`Store::commit_accepted`]; `source_message_id` is the message they stem from. Returns
    /// the row ids in order. For components that commit outgoing messages together with
    /// their own state (the deadline engine's escalations).
    pub async fn enqueue_in(
        conn: &mut SqliteConnection,
        source_message_id: Option<&str>,
        planned: Vec<PlannedMessage>,
    ) -> Result<Vec<i64>, StoreError> {
        enqueue(conn, source_message_id, planned, &now_rfc3339()).await
    }

    /// One transaction for a refusal: the outgoing messages only (refusal notice and
    /// dead-letter copy), numbered like [`Store::commit_accepted`]'s; no inbox row, so a
    /// fixed or replayed message is still accepted later. Returns the outbox ids in order.
    pub async fn commit_refusal(
        &self,
        planned: Vec<PlannedMessage>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let ids = enqueue(&mut tx, None, planned, &now_rfc3339()).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Whether `message_id` was accepted before (is in the inbox).
    pub async fn is_duplicate(&self, message_id: &str) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar(schema::SELECT_INBOX_EXISTS)
            .bind(message_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(count > 0)
    }

    /// The sender of an accepted message (to route an answer back to it), if accepted.
    pub async fn sender_of(&self, message_id: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(schema::SELECT_INBOX_SENDER)
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}

/// What [`Store::begin_accept`] found.
#[derive(Debug)]
pub enum BeginAccept {
    /// The `message_id` was accepted before; nothing was written.
    Duplicate {
        /// When it was first received (RFC 3339 UTC).
        first_received_at: String,
    },
    /// The inbox row is written in this open transaction.
    New(AcceptTransaction),
}

/// The open write transaction of an accepted message, after its inbox insert (see
/// [`Store::begin_accept`]). Dropping it without [`AcceptTransaction::commit`] rolls back.
#[derive(Debug)]
pub struct AcceptTransaction {
    /// The transaction, holding SQLite's write lock.
    tx: Transaction<'static, Sqlite>,
    /// The accepted message (source of the outbox rows).
    message_id: String,
    /// The time of the inbox row (also the outbox rows' `created_at`).
    now: String,
}

impl AcceptTransaction {
    /// The transaction's connection, for further writes of the same commit.
    pub fn connection(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// Adds the outbox rows (numbered on their streams) and commits; returns the row ids in
    /// the order of `planned`.
    pub async fn commit(mut self, planned: Vec<PlannedMessage>) -> Result<Vec<i64>, StoreError> {
        let ids = enqueue(&mut self.tx, Some(&self.message_id), planned, &self.now).await?;
        self.tx.commit().await?;
        Ok(ids)
    }
}

/// Writes `planned` to the outbox inside the caller's transaction, numbering streamed
/// messages; returns the row ids in order.
pub(super) async fn enqueue(
    conn: &mut SqliteConnection,
    source_message_id: Option<&str>,
    planned: Vec<PlannedMessage>,
    now: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(planned.len());
    for message in planned {
        let (stream_sender, stream_recipient, stream_seq) = match &message.stream {
            Some((sender, recipient)) => {
                let seq: i64 = sqlx::query_scalar(schema::NEXT_STREAM_SEQ)
                    .bind(sender)
                    .bind(recipient)
                    .fetch_one(&mut *conn)
                    .await?;
                (Some(sender.as_str()), Some(recipient.as_str()), Some(seq))
            }
            None => (None, None, None),
        };
        let id: i64 = sqlx::query_scalar(schema::INSERT_OUTBOX)
            .bind(&message.message_id)
            .bind(source_message_id)
            .bind(&message.address)
            .bind(&message.message_type)
            .bind(&message.case_id)
            .bind(stream_sender)
            .bind(stream_recipient)
            .bind(stream_seq)
            .bind(&message.body)
            .bind(headers_to_json(&message.headers))
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
        ids.push(id);
    }
    Ok(ids)
}
