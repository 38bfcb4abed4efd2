//! The case tables, the per-message update inside the accept transaction, and the timeline
//! read.
//!
//! Tables (created idempotently, `IF NOT EXISTS`, like the deadline tables: by [`prepare`]
//! when the hub starts and again inside the accept transaction, so a store that predates
//! them works):
//! * `case_states` — one row per case: its current state and the message that set it.
//! * `case_transitions` — the state history: one row per move (`from_state` NULL when the
//!   message opened the case), in commit order (`id`).
//!
//! Invariants:
//! * [`apply`] runs inside the accepted message's store transaction: the state row, the
//!   history row, the inbox row and the deliveries commit or roll back together.
//! * An illegal transition writes nothing (the caller drops the transaction).
//! * The timeline is read-only and in accepted order (inbox `rowid`, i.e. commit order);
//!   refused messages come from the dead-letter index (its `case_id`).

use contracts::MessageType;
use serde::Serialize;
use serde_json::Value;
use sqlx::{Row, SqliteConnection};

use super::machine::{self, CaseState, IllegalTransition, Step};
use crate::store::{Store, StoreError, now_rfc3339};
use crate::transport::{HeaderValue, header};

const CREATE_STATES: &str = "CREATE TABLE IF NOT EXISTS case_states (
    case_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by_message_id TEXT NOT NULL,
    CHECK (case_id <> '')
)";

const CREATE_TRANSITIONS: &str = "CREATE TABLE IF NOT EXISTS case_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL,
    from_state TEXT NULL,
    to_state TEXT NOT NULL,
    message_id TEXT NOT NULL,
    message_type TEXT NOT NULL,
    sender TEXT NOT NULL,
    at TEXT NOT NULL
)";

const CREATE_TRANSITIONS_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS case_transitions_case ON case_transitions (case_id, id)";

/// Creates the case tables if missing (idempotent).
pub async fn prepare(store: &Store) -> Result<(), StoreError> {
    let mut tx = store.begin_write_transaction().await?;
    create(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn create(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    for statement in [CREATE_STATES, CREATE_TRANSITIONS, CREATE_TRANSITIONS_INDEX] {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The accepted message as the case update needs it.
#[derive(Debug, Clone, Copy)]
pub struct CaseMessage<'a> {
    /// The case.
    pub case_id: &'a str,
    /// The message id.
    pub message_id: &'a str,
    /// Its type.
    pub message_type: MessageType,
    /// Its sender (department code).
    pub sender: &'a str,
    /// Its payload.
    pub payload: &'a Value,
}

/// Reads the case's state, runs [`machine::transition`] and, when the message moves the
/// case, writes the new state and a history row — all in the caller's transaction.
/// `Ok(Err(_))`: illegal, nothing written.
pub async fn apply(
    conn: &mut SqliteConnection,
    message: &CaseMessage<'_>,
) -> Result<Result<Step, IllegalTransition>, StoreError> {
    create(conn).await?;
    let current = current_state(conn, message.case_id).await?;
    let step = match machine::transition(current, message.message_type, message.payload) {
        Ok(step) => step,
        Err(illegal) => return Ok(Err(illegal)),
    };
    if let Step::Moved(to) = step {
        let now = now_rfc3339();
        sqlx::query(
            "INSERT INTO case_states (case_id, state, updated_at, updated_by_message_id)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (case_id) DO UPDATE SET state = excluded.state,
                 updated_at = excluded.updated_at,
                 updated_by_message_id = excluded.updated_by_message_id",
        )
        .bind(message.case_id)
        .bind(to.as_str())
        .bind(&now)
        .bind(message.message_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO case_transitions
                 (case_id, from_state, to_state, message_id, message_type, sender, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(message.case_id)
        .bind(current.map(CaseState::as_str))
        .bind(to.as_str())
        .bind(message.message_id)
        .bind(message.message_type.as_str())
        .bind(message.sender)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Ok(step))
}

async fn current_state(
    conn: &mut SqliteConnection,
    case_id: &str,
) -> Result<Option<CaseState>, StoreError> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT state FROM case_states WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
    match text {
        None => Ok(None),
        Some(text) => CaseState::from_wire(&text)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown case state {text:?}"))),
    }
}

/// One move of the state history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The state before (`None`: the message opened the case).
    pub from: Option<String>,
    /// The state after.
    pub to: String,
    /// The message that moved it.
    pub message_id: String,
    /// Its type.
    pub message_type: String,
    /// Its sender.
    pub sender: String,
    /// When (RFC 3339 UTC).
    pub at: String,
}

/// What one recipient received of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The recipient department.
    pub recipient: String,
    /// Who it came from: the message's sender, or `HUB` for a deadline escalation the
    /// message caused.
    pub sender: String,
    /// The delivered message's id.
    pub message_id: String,
    /// Its type.
    pub message_type: String,
    /// Contract version delivered.
    pub schema_version: Option<String>,
    /// Number on the (sender → recipient) stream.
    pub stream_seq: Option<i64>,
    /// Field patterns removed for this recipient (the `x-hub-projected-away` header).
    pub projected_away: Vec<String>,
    /// Whether the relay has published it yet.
    pub published: bool,
}

/// One accepted message of the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineMessage {
    /// Message id.
    pub message_id: String,
    /// Type.
    pub message_type: String,
    /// Sender department.
    pub sender: String,
    /// When the hub accepted it (RFC 3339 UTC).
    pub accepted_at: String,
    /// Every recipient of the message itself, in delivery order.
    pub recipients: Vec<String>,
    /// What each recipient received: the message as projected for it, and any deadline
    /// escalation the message caused (sender `HUB`).
    pub deliveries: Vec<Delivery>,
}

/// A message of the case that was refused: by the hub (`dead.ingress`, with every reason),
/// or by a department's system for good (`dead.<DEPT>`, e.g. DEPARTMENT_REFUSED).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedMessage {
    /// Its message id, if it had one.
    pub message_id: Option<String>,
    /// Its type, if known.
    pub message_type: Option<String>,
    /// The department that sent it (its envelope's `sender_org_type`), if known.
    pub sender: Option<String>,
    /// The dead-letter queue: `dead.ingress` (the hub refused it) or `dead.<DEPT>`.
    pub queue: String,
    /// The stage it was refused at (CONTRACT, UNAUTHORIZED, DEPARTMENT_REFUSED, …).
    pub stage: String,
    /// Every reason (JSON: pointer, rule, message).
    pub reasons: serde_json::Value,
    /// When it was recorded (RFC 3339 UTC).
    pub dead_at: String,
    /// When it was replayed, if it was.
    pub replayed_at: Option<String>,
}

/// The timeline of a case: its messages in accepted order and its state history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The case.
    pub case_id: String,
    /// Current state (`None`: only annotations seen so far).
    pub state: Option<String>,
    /// The moves, in order.
    pub history: Vec<Transition>,
    /// The messages, in accepted order.
    pub messages: Vec<TimelineMessage>,
    /// The messages of the case that were refused, in the order they were recorded (dead
    /// letters recorded before the store's schema 3 are not attributed to a case).
    pub refused: Vec<RefusedMessage>,
}

impl Timeline {
    /// Whether the hub knows nothing of the case.
    pub fn is_empty(&self) -> bool {
        self.state.is_none() && self.messages.is_empty() && self.refused.is_empty()
    }

    /// The part a department is party to: messages it sent or received, with only its own
    /// deliveries unless it sent the message; the state history of those messages; the
    /// refusals of what it sent and what its own system refused.
    pub fn visible_to(mut self, department: &str) -> Timeline {
        self.messages.retain(|m| {
            m.sender == department || m.deliveries.iter().any(|d| d.recipient == department)
        });
        for message in &mut self.messages {
            if message.sender != department {
                message.deliveries.retain(|d| d.recipient == department);
                message.recipients.retain(|r| r == department);
            }
        }
        let own_dead_queue = format!("dead.{department}");
        self.refused
            .retain(|r| r.sender.as_deref() == Some(department) || r.queue == own_dead_queue);
        let seen: Vec<String> = self.messages.iter().map(|m| m.message_id.clone()).collect();
        self.history.retain(|t| seen.contains(&t.message_id));
        if self.messages.is_empty() {
            self.state = None;
        }
        self
    }
}

/// Reads the timeline of `case_id` (empty when unknown). Creates the case tables if missing.
pub async fn timeline(store: &Store, case_id: &str) -> Result<Timeline, StoreError> {
    prepare(store).await?;
    let pool = store.pool();
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM case_states WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(pool)
            .await?;
    let history = sqlx::query(
        "SELECT from_state, to_state, message_id, message_type, sender, at
         FROM case_transitions WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok(Transition {
            from: row.try_get(0)?,
            to: row.try_get(1)?,
            message_id: row.try_get(2)?,
            message_type: row.try_get(3)?,
            sender: row.try_get(4)?,
            at: row.try_get(5)?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let inbox = sqlx::query(
        "SELECT message_id, message_type, sender, received_at FROM inbox
         WHERE case_id = $1 ORDER BY rowid",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    let mut messages = Vec::with_capacity(inbox.len());
    for row in &inbox {
        let message_id: String = row.try_get(0)?;
        let rows = sqlx::query(
            "SELECT message_id, message_type, stream_recipient, stream_seq, headers, published_at,
                    stream_sender
             FROM outbox WHERE source_message_id = $1 AND address LIKE 'deliver.%' ORDER BY id",
        )
        .bind(&message_id)
        .fetch_all(pool)
        .await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for out in &rows {
            let headers = crate::store::headers_from_json(&out.try_get::<String, _>(4)?)?;
            let text = |name: &str| match headers.get(name) {
                Some(HeaderValue::Text(t)) => Some(t.clone()),
                _ => None,
            };
            deliveries.push(Delivery {
                recipient: out.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
                sender: out.try_get::<Option<String>, _>(6)?.unwrap_or_default(),
                message_id: out.try_get(0)?,
                message_type: out.try_get(1)?,
                schema_version: text(header::SCHEMA_VERSION),
                stream_seq: out.try_get(3)?,
                projected_away: text(header::PROJECTED_AWAY)
                    .map(|t| t.split(',').map(str::to_owned).collect())
                    .unwrap_or_default(),
                published: out.try_get::<Option<String>, _>(5)?.is_some(),
            });
        }
        messages.push(TimelineMessage {
            recipients: deliveries
                .iter()
                .filter(|d| d.message_id == message_id)
                .map(|d| d.recipient.clone())
                .collect(),
            deliveries,
            message_id,
            message_type: row.try_get(1)?,
            sender: row.try_get(2)?,
            accepted_at: row.try_get(3)?,
        });
    }
    let mut refused = Vec::new();
    for row in sqlx::query(
        "SELECT message_id, message_type, queue, stage, reasons, dead_at, replayed_at, body
         FROM dead_letters WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?
    {
        let body: Vec<u8> = row.try_get(7)?;
        let reasons: String = row.try_get(4)?;
        refused.push(RefusedMessage {
            message_id: row.try_get(0)?,
            message_type: row.try_get(1)?,
            sender: serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("sender_org_type")?.as_str().map(str::to_owned)),
            queue: row.try_get(2)?,
            stage: row.try_get(3)?,
            reasons: serde_json::from_str(&reasons).unwrap_or(Value::String(reasons)),
            dead_at: row.try_get(5)?,
            replayed_at: row.try_get(6)?,
        });
    }
    Ok(Timeline {
        case_id: case_id.to_owned(),
        state,
        history,
        messages,
        refused,
    })
}
