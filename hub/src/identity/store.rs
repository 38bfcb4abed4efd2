//! The registry's tables and the per-message update, run inside the accepted message's
//! store transaction (like the case workflow, [`crate::cases::store`]).
//!
//! Tables (store migration 2, [`SCHEMA_V2`]):
//! * `identity_persons` — one row per person: current version, status, record (JSON),
//!   `merged_into`, the last case seen;
//! * `identity_versions` — every version of every record, with its change and cause;
//! * `identity_provenance` — per person and field: the version, message, department and
//!   method that set the current value;
//! * `identity_cases` — case → person; `identity_links` — (department, kind, local id) →
//!   person; `identity_documents` — documents sent before the case existed, waiting for the
//!   STATION_INTAKE that names them;
//! * `identity_checks`, `identity_check_methods` — tracked identity checks and their
//!   per-method due dates and results;
//! * `identity_reviews` — CONFLICT reviews for the station;
//! * `identity_sent` — per (person, department): the version and view digest last sent;
//! * `identity_drift` — drift found by digest reports, and whether it was repaired;
//! * `identity_access_log` — who read whose identity, for which case and why.
//!
//! Invariants:
//! * [`apply`] writes only inside the caller's transaction; an [`IdentityRefusal`] means the
//!   caller drops the transaction, so a refused message changes nothing.
//! * Versions: `identity_persons.version` = the highest `identity_versions.version` of the
//!   person, and grows by 1 per change.

use std::time::SystemTime;

use contracts::MessageType;
use contracts::model::Actor;
use serde_json::{Map, Value};
use sqlx::{Row, SqliteConnection};

use super::links::{self, Party};
use super::record::{self, Record, ResultDecision};
use super::sync::{self, Announcement};
use crate::pipeline::{Pipeline, PipelineError};
use crate::store::{PlannedMessage, StoreError, rfc3339_utc};

/// The registry's tables: store migration 2 ([`crate::store`]). Released: never edit these
/// statements; a change is a new migration.
pub(crate) const SCHEMA_V2: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS identity_persons (
        person_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        record TEXT NOT NULL,
        merged_into TEXT NULL,
        last_case_id TEXT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (person_id <> ''),
        CHECK (version >= 1)
    )",
    "CREATE TABLE IF NOT EXISTS identity_versions (
        person_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        change_type TEXT NOT NULL,
        source_of_truth TEXT NULL,
        record TEXT NOT NULL,
        message_id TEXT NOT NULL,
        department TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (person_id, version)
    )",
    "CREATE TABLE IF NOT EXISTS identity_provenance (
        person_id TEXT NOT NULL,
        field TEXT NOT NULL,
        version INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        department TEXT NOT NULL,
        method TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (person_id, field)
    )",
    "CREATE TABLE IF NOT EXISTS identity_cases (
        case_id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS identity_links (
        department TEXT NOT NULL,
        kind TEXT NOT NULL,
        local_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (department, kind, local_id)
    )",
    "CREATE INDEX IF NOT EXISTS identity_links_person ON identity_links (person_id)",
    "CREATE TABLE IF NOT EXISTS identity_documents (
        doc_type TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        department TEXT NOT NULL,
        kind TEXT NOT NULL,
        local_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        PRIMARY KEY (doc_type, doc_id, department, kind)
    )",
    "CREATE TABLE IF NOT EXISTS identity_checks (
        request_id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL,
        person_id TEXT NULL,
        requested_by TEXT NOT NULL,
        purpose TEXT NOT NULL,
        request_message_id TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        ack_due_at TEXT NOT NULL,
        acknowledged_at TEXT NULL,
        ack_message_id TEXT NULL,
        ack_decision TEXT NULL,
        police_query_no TEXT NULL,
        rejection_reason TEXT NULL
    )",
    "CREATE TABLE IF NOT EXISTS identity_check_methods (
        request_id TEXT NOT NULL,
        method TEXT NOT NULL,
        requested INTEGER NOT NULL,
        due_at TEXT NULL,
        result TEXT NULL,
        result_message_id TEXT NULL,
        result_at TEXT NULL,
        PRIMARY KEY (request_id, method)
    )",
    "CREATE TABLE IF NOT EXISTS identity_reviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person_id TEXT NOT NULL,
        case_id TEXT NULL,
        field TEXT NOT NULL,
        claims TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        opened_by_message_id TEXT NOT NULL,
        resolved_at TEXT NULL,
        resolved_by_message_id TEXT NULL
    )",
    "CREATE TABLE IF NOT EXISTS identity_sent (
        person_id TEXT NOT NULL,
        department TEXT NOT NULL,
        version INTEGER NOT NULL,
        digest TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (person_id, department)
    )",
    "CREATE TABLE IF NOT EXISTS identity_drift (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        department TEXT NOT NULL,
        person_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        reported_version INTEGER NULL,
        expected_version INTEGER NULL,
        detected_at TEXT NOT NULL,
        report_message_id TEXT NOT NULL,
        resent_message_id TEXT NULL,
        resolved_at TEXT NULL
    )",
    "CREATE INDEX IF NOT EXISTS identity_drift_open ON identity_drift (department, person_id) WHERE resolved_at IS NULL",
    "CREATE INDEX IF NOT EXISTS identity_reviews_person ON identity_reviews (person_id)",
    "CREATE TABLE IF NOT EXISTS identity_access_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person_id TEXT NOT NULL,
        reader TEXT NOT NULL,
        acting TEXT NOT NULL,
        case_id TEXT NOT NULL,
        purpose TEXT NOT NULL,
        at TEXT NOT NULL
    )",
];

/// Reason codes of refusals ([`IdentityRefusal::code`]).
pub mod code {
    /// An ack or result for a request the hub never accepted.
    pub const CHECK_UNKNOWN: &str = "identity_check_unknown";
    /// A second request with a request_id already in use.
    pub const CHECK_DUPLICATE: &str = "identity_check_duplicate";
    /// The request's case differs from its envelope's, or an answer names another case
    /// than its request.
    pub const CHECK_CASE: &str = "identity_check_case";
    /// An update for a person the registry does not know.
    pub const UNKNOWN_PERSON: &str = "identity_unknown_person";
    /// An update written against an older version.
    pub const STALE: &str = "identity_stale";
    /// A merge that cannot be done.
    pub const MERGE: &str = "identity_merge";
    /// An update the registry cannot apply for another reason.
    pub const UPDATE: &str = "identity_update";
}

/// Why the registry refuses a message; the pipeline refuses it with this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRefusal {
    /// JSON pointer of the offending field.
    pub pointer: &'static str,
    /// Reason code ([`code`]).
    pub code: &'static str,
    /// What is wrong and what to do, in a sentence.
    pub message: String,
}

fn refuse(pointer: &'static str, code: &'static str, message: String) -> IdentityRefusal {
    IdentityRefusal {
        pointer,
        code,
        message,
    }
}

/// What the registry did for one message: the hub's messages to commit with it.
#[derive(Debug, Clone, Default)]
pub struct IdentityEffects {
    /// Outbox rows (hub IDENTITY_UPDATEs and re-sends).
    pub planned: Vec<PlannedMessage>,
    /// Each distinct hub message once (for the deadline rules), as sent before projection.
    pub messages: Vec<Value>,
}

/// The accepted message as the registry needs it.
#[derive(Debug, Clone, Copy)]
pub struct IdentityMessage<'a> {
    /// Its id.
    pub message_id: &'a str,
    /// Its type.
    pub message_type: MessageType,
    /// Its sender.
    pub sender: Actor,
    /// The case of its envelope.
    pub case_id: Option<&'a str>,
    /// The whole message (envelope and payload).
    pub message: &'a Value,
    /// Whether this message moved its case to DECEASED (a death reported by any department;
    /// [`crate::cases`]).
    pub case_died: bool,
}

impl IdentityMessage<'_> {
    fn text(&self, pointer: &str) -> Option<&str> {
        self.message.pointer(pointer).and_then(Value::as_str)
    }
}

/// Whether the registry, not the route table, decides where messages of this type go.
pub fn owns(message_type: MessageType) -> bool {
    matches!(
        message_type,
        MessageType::IdentityUpdate | MessageType::IdentityDigest
    )
}

/// The registry's part of accepting `message`, in the caller's transaction. `Ok(Err(_))`:
/// refused, the caller drops the transaction.
pub async fn apply(
    conn: &mut SqliteConnection,
    pipeline: &Pipeline,
    message: &IdentityMessage<'_>,
    now: SystemTime,
) -> Result<Result<IdentityEffects, IdentityRefusal>, PipelineError> {
    let mut work = Work {
        conn,
        pipeline,
        message,
        now,
        at: rfc3339_utc(now),
        effects: IdentityEffects::default(),
    };
    let person = work.resolve_or_register().await?;
    work.link(person.as_deref()).await?;
    let outcome = match message.message_type {
        MessageType::IdentityCheckRequest => work.check_requested(person.as_deref()).await?,
        MessageType::IdentityCheckAck => work.check_acknowledged().await?,
        MessageType::IdentityCheckResult => work.check_result(person.as_deref()).await?,
        MessageType::IdentityUpdate => work.department_update().await?,
        MessageType::IdentityDigest => work.digest_report().await?,
        MessageType::SettlementDecision => work.settlement_decided(person.as_deref()).await?,
        _ => Ok(()),
    };
    // A death reported by any department ends the record's life (the station's own
    // IDENTITY_UPDATE DECEASED was handled above, with its version check).
    if outcome.is_ok()
        && message.case_died
        && message.message_type != MessageType::IdentityUpdate
        && let Some(person_id) = person.as_deref()
    {
        work.life_event(person_id, "DECEASED", &Map::new()).await?;
    }
    Ok(outcome.map(|()| work.effects))
}

/// A person's row.
#[derive(Debug, Clone)]
struct PersonRow {
    version: i64,
    record: Record,
    merged_into: Option<String>,
    last_case_id: Option<String>,
}

struct Work<'c, 'p, 'm> {
    conn: &'c mut SqliteConnection,
    pipeline: &'p Pipeline,
    message: &'m IdentityMessage<'m>,
    now: SystemTime,
    at: String,
    effects: IdentityEffects,
}

impl Work<'_, '_, '_> {
    // ---- persons ------------------------------------------------------------------------

    async fn person(&mut self, person_id: &str) -> Result<Option<PersonRow>, StoreError> {
        let row = sqlx::query(
            "SELECT version, record, merged_into, last_case_id FROM identity_persons
             WHERE person_id = $1",
        )
        .bind(person_id)
        .fetch_optional(&mut *self.conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get("record")?;
        let record: Record = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("identity record of {person_id}: {e}")))?;
        Ok(Some(PersonRow {
            version: row.try_get("version")?,
            record,
            merged_into: row.try_get("merged_into")?,
            last_case_id: row.try_get("last_case_id")?,
        }))
    }

    /// The surviving person of `person_id` (following merges).
    async fn survivor(&mut self, person_id: &str) -> Result<String, StoreError> {
        survivor(self.conn, person_id).await
    }

    /// The person of the message's case; registers the person from the message's identity
    /// when the case is new and the message carries one.
    async fn resolve_or_register(&mut self) -> Result<Option<String>, StoreError> {
        let Some(case_id) = self.message.case_id else {
            return Ok(None);
        };
        let known: Option<String> =
            sqlx::query_scalar("SELECT person_id FROM identity_cases WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&mut *self.conn)
                .await?;
        if let Some(person_id) = known {
            let survivor = self.survivor(&person_id).await?;
            self.touch_case(&survivor, case_id).await?;
            return Ok(Some(survivor));
        }
        let Some(person) = links::person_pointer(self.message.message_type)
            .and_then(|pointer| self.message.message.pointer(pointer))
        else {
            return Ok(None);
        };
        let person_id = match person.get("person_id").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => derived_person_id(case_id),
        };
        if self.person(&person_id).await?.is_none() {
            let record = record::from_person(&person_id, person);
            let method = record::status_of(&record).to_owned();
            self.write_version(&person_id, 1, None, &record, "REGISTERED", None, &method)
                .await?;
        }
        let survivor = self.survivor(&person_id).await?;
        sqlx::query("INSERT INTO identity_cases (case_id, person_id) VALUES ($1, $2)")
            .bind(case_id)
            .bind(&survivor)
            .execute(&mut *self.conn)
            .await?;
        self.touch_case(&survivor, case_id).await?;
        Ok(Some(survivor))
    }

    async fn touch_case(&mut self, person_id: &str, case_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE identity_persons SET last_case_id = $2
             WHERE person_id = $1 AND (last_case_id IS NULL OR last_case_id <> $2)",
        )
        .bind(person_id)
        .bind(case_id)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    /// Writes `version` of a person: the current row, the history row and the provenance of
    /// every field whose value is new.
    #[allow(clippy::too_many_arguments)]
    async fn write_version(
        &mut self,
        person_id: &str,
        version: i64,
        previous: Option<&Record>,
        record: &Record,
        change_type: &str,
        source_of_truth: Option<&str>,
        method: &str,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(record)
            .map_err(|e| StoreError::Corrupt(format!("identity record: {e}")))?;
        let status = record::status_of(record).to_owned();
        sqlx::query(
            "INSERT INTO identity_persons
                 (person_id, version, status, record, merged_into, last_case_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, NULL, $5, $6, $6)
             ON CONFLICT (person_id) DO UPDATE SET version = excluded.version,
                 status = excluded.status, record = excluded.record,
                 updated_at = excluded.updated_at",
        )
        .bind(person_id)
        .bind(version)
        .bind(&status)
        .bind(&text)
        .bind(self.message.case_id)
        .bind(&self.at)
        .execute(&mut *self.conn)
        .await?;
        sqlx::query(
            "INSERT INTO identity_versions
                 (person_id, version, change_type, source_of_truth, record, message_id, department, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(person_id)
        .bind(version)
        .bind(change_type)
        .bind(source_of_truth)
        .bind(&text)
        .bind(self.message.message_id)
        .bind(self.message.sender.as_str())
        .bind(&self.at)
        .execute(&mut *self.conn)
        .await?;
        for (field, value) in record {
            if field == "person_id" || previous.and_then(|p| p.get(field)) == Some(value) {
                continue;
            }
            sqlx::query(
                "INSERT INTO identity_provenance
                     (person_id, field, version, message_id, department, method, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (person_id, field) DO UPDATE SET version = excluded.version,
                     message_id = excluded.message_id, department = excluded.department,
                     method = excluded.method, at = excluded.at",
            )
            .bind(person_id)
            .bind(field)
            .bind(version)
            .bind(self.message.message_id)
            .bind(self.message.sender.as_str())
            .bind(method)
            .bind(&self.at)
            .execute(&mut *self.conn)
            .await?;
        }
        Ok(())
    }

    // ---- links --------------------------------------------------------------------------

    async fn link(&mut self, person: Option<&str>) -> Result<(), StoreError> {
        let message_type = self.message.message_type;
        for rule in links::rules_for(message_type) {
            let Some(local_id) = self.message.text(rule.pointer).map(str::to_owned) else {
                continue;
            };
            let department = match rule.party {
                Party::Sender => self.message.sender,
                Party::Department(d) => d,
            };
            match person {
                Some(person_id) => {
                    self.insert_link(department, rule.kind, &local_id, person_id)
                        .await?
                }
                None => {
                    if let Some((doc_type, pointer)) = rule.document
                        && let Some(doc_id) = self.message.text(pointer).map(str::to_owned)
                    {
                        sqlx::query(
                            "INSERT INTO identity_documents
                                 (doc_type, doc_id, department, kind, local_id, message_id)
                             VALUES ($1, $2, $3, $4, $5, $6)
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(doc_type)
                        .bind(&doc_id)
                        .bind(department.as_str())
                        .bind(rule.kind)
                        .bind(&local_id)
                        .bind(self.message.message_id)
                        .execute(&mut *self.conn)
                        .await?;
                    }
                }
            }
        }
        // An intake names the documents that brought the person: link their senders.
        if message_type == MessageType::StationIntake
            && let Some(person_id) = person
            && let Some(refs) = self
                .message
                .message
                .pointer("/payload/related_refs")
                .and_then(Value::as_array)
        {
            for reference in refs {
                let (Some(doc_type), Some(doc_id)) = (
                    reference.get("type").and_then(Value::as_str),
                    reference.get("id").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let rows = sqlx::query(
                    "SELECT department, kind, local_id FROM identity_documents
                     WHERE doc_type = $1 AND doc_id = $2",
                )
                .bind(doc_type)
                .bind(doc_id)
                .fetch_all(&mut *self.conn)
                .await?;
                for row in rows {
                    let department: String = row.try_get("department")?;
                    let kind: String = row.try_get("kind")?;
                    let local_id: String = row.try_get("local_id")?;
                    if let Some(department) = Actor::from_code(&department) {
                        self.insert_link(department, &kind, &local_id, person_id)
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn insert_link(
        &mut self,
        department: Actor,
        kind: &str,
        local_id: &str,
        person_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identity_links (department, kind, local_id, person_id, message_id, at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (department, kind, local_id) DO NOTHING",
        )
        .bind(department.as_str())
        .bind(kind)
        .bind(local_id)
        .bind(person_id)
        .bind(self.message.message_id)
        .bind(&self.at)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    async fn linked_departments(&mut self, person_id: &str) -> Result<Vec<Actor>, StoreError> {
        let codes: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT department FROM identity_links WHERE person_id = $1
             UNION SELECT DISTINCT department FROM identity_sent WHERE person_id = $1",
        )
        .bind(person_id)
        .fetch_all(&mut *self.conn)
        .await?;
        let mut out: Vec<Actor> = codes.iter().filter_map(|c| Actor::from_code(c)).collect();
        out.sort();
        Ok(out)
    }

    // ---- announcing ---------------------------------------------------------------------

    /// The case an announcement about `person` names (IDENTITY_UPDATE requires one): the
    /// message's, else the last case the person was seen in.
    fn case_for(&self, person: &PersonRow) -> String {
        self.message
            .case_id
            .map(str::to_owned)
            .or_else(|| person.last_case_id.clone())
            .unwrap_or_default()
    }

    /// Plans the IDENTITY_UPDATE of `announcement` to `recipients` (message id
    /// `message_id`) and records what each recipient will hold.
    async fn announce_to(
        &mut self,
        announcement: &Announcement<'_>,
        message_id: &str,
        recipients: &[Actor],
    ) -> Result<(), PipelineError> {
        let message =
            sync::update_message(self.pipeline.identity(), announcement, message_id, self.now);
        let planned = match sync::plan(
            self.pipeline,
            message.clone(),
            recipients,
            announcement.case_id,
        )? {
            Ok(planned) => planned,
            Err(reason) => {
                tracing::error!(
                    person_id = announcement.person_id, version = announcement.version, %reason,
                    "The identity update breaks its contract; not sent (a hub bug)."
                );
                return Ok(());
            }
        };
        for update in planned {
            sqlx::query(
                "INSERT INTO identity_sent (person_id, department, version, digest, message_id, sent_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (person_id, department) DO UPDATE SET version = excluded.version,
                     digest = excluded.digest, message_id = excluded.message_id,
                     sent_at = excluded.sent_at
                 WHERE excluded.version >= identity_sent.version",
            )
            .bind(announcement.person_id)
            .bind(update.recipient.as_str())
            .bind(announcement.version)
            .bind(&update.digest)
            .bind(message_id)
            .bind(&self.at)
            .execute(&mut *self.conn)
            .await?;
            self.effects.planned.push(update.planned);
        }
        self.effects.messages.push(message);
        Ok(())
    }

    /// Plans the IDENTITY_UPDATE of `announcement` to every subscriber and linked
    /// department.
    async fn announce(&mut self, announcement: &Announcement<'_>) -> Result<(), PipelineError> {
        let linked = self.linked_departments(announcement.person_id).await?;
        let recipients = sync::recipients(self.pipeline.deadlines().hub_config(), &linked);
        let message_id = sync::update_message_id(announcement.person_id, announcement.version);
        self.announce_to(announcement, &message_id, &recipients)
            .await
    }

    /// Writes the next version of `person_id` and announces it.
    #[allow(clippy::too_many_arguments)]
    async fn change(
        &mut self,
        person_id: &str,
        current: &PersonRow,
        record: &Record,
        change_type: &str,
        source_of_truth: &str,
        evidence_ref: Option<&str>,
        method: &str,
    ) -> Result<i64, PipelineError> {
        let version = current.version + 1;
        self.write_version(
            person_id,
            version,
            Some(&current.record),
            record,
            change_type,
            Some(source_of_truth),
            method,
        )
        .await?;
        let case_id = self.case_for(current);
        let announcement = Announcement {
            person_id,
            version,
            change_type,
            source_of_truth,
            evidence_ref,
            merged_into: None,
            case_id: &case_id,
            record,
            effective_at: self.now,
            cause_message_id: self.message.message_id,
        };
        self.announce(&announcement).await?;
        Ok(version)
    }

    // ---- identity checks ----------------------------------------------------------------

    async fn check_requested(
        &mut self,
        person: Option<&str>,
    ) -> Result<Result<(), IdentityRefusal>, PipelineError> {
        let request_id = self.message.text("/payload/request_id").unwrap_or_default();
        let payload_case = self.message.text("/payload/case_id").unwrap_or_default();
        if Some(payload_case) != self.message.case_id {
            return Ok(Err(refuse(
                "/payload/case_id",
                code::CHECK_CASE,
                format!(
                    "the request is about case {payload_case}, but its envelope names case {}; \
                     both must name the case the check is for.",
                    self.message.case_id.unwrap_or("(none)")
                ),
            )));
        }
        let exists: Option<String> = sqlx::query_scalar(
            "SELECT request_message_id FROM identity_checks WHERE request_id = $1",
        )
        .bind(request_id)
        .fetch_optional(&mut *self.conn)
        .await?;
        if let Some(earlier) = exists {
            return Ok(Err(refuse(
                "/payload/request_id",
                code::CHECK_DUPLICATE,
                format!(
                    "request {request_id} was already made by message {earlier}; give a new \
                     request a new request_id."
                ),
            )));
        }
        let config = &self.pipeline.deadlines().hub_config().identity;
        let calendar = self.pipeline.deadlines().calendar();
        let due = |span: &crate::deadlines::rules::SpanConfig| {
            span.span()
                .ok()
                .map(|s| rfc3339_utc(s.after(self.now, calendar)))
        };
        let ack_due = due(&config.check_ack_due).unwrap_or_else(|| self.at.clone());
        let result_due = due(&config.check_result_due);
        let dna_due = due(&config.dna_sampling_due);
        let requested_by = self
            .message
            .message
            .pointer("/payload/requested_by")
            .map(Value::to_string)
            .unwrap_or_default();
        sqlx::query(
            "INSERT INTO identity_checks
                 (request_id, case_id, person_id, requested_by, purpose, request_message_id,
                  requested_at, ack_due_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(request_id)
        .bind(payload_case)
        .bind(person)
        .bind(&requested_by)
        .bind(
            self.message
                .text("/payload/purpose_note")
                .unwrap_or_default(),
        )
        .bind(self.message.message_id)
        .bind(&self.at)
        .bind(&ack_due)
        .execute(&mut *self.conn)
        .await?;
        let methods: Vec<String> = self
            .message
            .message
            .pointer("/payload/request_types")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        for method in methods {
            let due_at = if method == "DNA_SAMPLING" {
                dna_due.clone()
            } else {
                result_due.clone()
            };
            sqlx::query(
                "INSERT INTO identity_check_methods (request_id, method, requested, due_at)
                 VALUES ($1, $2, 1, $3) ON CONFLICT DO NOTHING",
            )
            .bind(request_id)
            .bind(&method)
            .bind(due_at)
            .execute(&mut *self.conn)
            .await?;
        }
        Ok(Ok(()))
    }

    /// The check a police answer refers to: `Err` when the hub never accepted its request.
    async fn known_check(
        &mut self,
    ) -> Result<Result<(String, String, Option<String>), IdentityRefusal>, StoreError> {
        let request_id = self
            .message
            .text("/payload/request_id")
            .unwrap_or_default()
            .to_owned();
        let row =
            sqlx::query("SELECT case_id, person_id FROM identity_checks WHERE request_id = $1")
                .bind(&request_id)
                .fetch_optional(&mut *self.conn)
                .await?;
        match row {
            Some(row) => {
                let case_id: String = row.try_get("case_id")?;
                if let Some(named) = self.message.case_id
                    && named != case_id
                {
                    return Ok(Err(refuse(
                        "/case_id",
                        code::CHECK_CASE,
                        format!(
                            "request {request_id} is about case {case_id}, but this answer names \
                             case {named}; answer with the request's case."
                        ),
                    )));
                }
                Ok(Ok((request_id, case_id, row.try_get("person_id")?)))
            }
            None => Ok(Err(refuse(
                "/payload/request_id",
                code::CHECK_UNKNOWN,
                format!(
                    "no identity-check request {request_id} was made through the hub; answer \
                     only requests you received (their request_id), or ask the station to \
                     send the request first."
                ),
            ))),
        }
    }

    async fn check_acknowledged(&mut self) -> Result<Result<(), IdentityRefusal>, PipelineError> {
        let (request_id, _, _) = match self.known_check().await? {
            Ok(check) => check,
            Err(refusal) => return Ok(Err(refusal)),
        };
        sqlx::query(
            "UPDATE identity_checks SET acknowledged_at = $2, ack_message_id = $3,
                 ack_decision = $4, police_query_no = $5, rejection_reason = $6
             WHERE request_id = $1 AND ack_message_id IS NULL",
        )
        .bind(&request_id)
        .bind(&self.at)
        .bind(self.message.message_id)
        .bind(self.message.text("/payload/decision"))
        .bind(self.message.text("/payload/police_query_no"))
        .bind(self.message.text("/payload/rejection_reason"))
        .execute(&mut *self.conn)
        .await?;
        Ok(Ok(()))
    }

    async fn check_result(
        &mut self,
        person: Option<&str>,
    ) -> Result<Result<(), IdentityRefusal>, PipelineError> {
        let (request_id, check_case, check_person) = match self.known_check().await? {
            Ok(check) => check,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let method = self
            .message
            .text("/payload/method")
            .unwrap_or_default()
            .to_owned();
        let result = self
            .message
            .text("/payload/result")
            .unwrap_or_default()
            .to_owned();
        sqlx::query(
            "INSERT INTO identity_check_methods
                 (request_id, method, requested, due_at, result, result_message_id, result_at)
             VALUES ($1, $2, 0, NULL, $3, $4, $5)
             ON CONFLICT (request_id, method) DO UPDATE SET result = excluded.result,
                 result_message_id = excluded.result_message_id, result_at = excluded.result_at",
        )
        .bind(&request_id)
        .bind(&method)
        .bind(&result)
        .bind(self.message.message_id)
        .bind(&self.at)
        .execute(&mut *self.conn)
        .await?;
        // A result is also an acknowledgement.
        sqlx::query(
            "UPDATE identity_checks SET acknowledged_at = $2
             WHERE request_id = $1 AND acknowledged_at IS NULL",
        )
        .bind(&request_id)
        .bind(&self.at)
        .execute(&mut *self.conn)
        .await?;
        if result != "MATCHED" {
            return Ok(Ok(()));
        }
        let Some(matched) = self
            .message
            .message
            .pointer("/payload/matched_identity")
            .and_then(Value::as_object)
            .cloned()
        else {
            return Ok(Ok(()));
        };
        let person_id = match person.map(str::to_owned).or(check_person) {
            Some(p) => self.survivor(&p).await?,
            None => {
                // The request named a case the registry had not met: register it now.
                let p = derived_person_id(&check_case);
                let survivor = self.survivor(&p).await?;
                if self.person(&survivor).await?.is_none() {
                    let record = record::from_person(&survivor, &Value::Null);
                    self.write_version(&survivor, 1, None, &record, "REGISTERED", None, "UNKNOWN")
                        .await?;
                    sqlx::query(
                        "INSERT INTO identity_cases (case_id, person_id) VALUES ($1, $2)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(&check_case)
                    .bind(&survivor)
                    .execute(&mut *self.conn)
                    .await?;
                }
                survivor
            }
        };
        let Some(current) = self.person(&person_id).await? else {
            return Ok(Ok(()));
        };
        let source = record::source_of_truth(&method);
        match record::on_matched_result(&current.record, &matched) {
            ResultDecision::Unchanged => {}
            ResultDecision::Change(record) => {
                self.change(
                    &person_id,
                    &current,
                    &record,
                    "VERIFIED",
                    source,
                    Some(&request_id),
                    &method,
                )
                .await?;
            }
            ResultDecision::Conflict { record, field } => {
                self.open_review(&person_id, &current, field, &matched, &method)
                    .await?;
                if let Some(record) = record {
                    self.change(
                        &person_id,
                        &current,
                        &record,
                        "CORRECTED",
                        source,
                        Some(&request_id),
                        &method,
                    )
                    .await?;
                }
            }
        }
        Ok(Ok(()))
    }

    /// Opens (or extends) the person's CONFLICT review with the current record's claim and
    /// the disagreeing result's.
    async fn open_review(
        &mut self,
        person_id: &str,
        current: &PersonRow,
        field: &str,
        matched: &Map<String, Value>,
        method: &str,
    ) -> Result<(), StoreError> {
        let claim = serde_json::json!({
            "message_id": self.message.message_id,
            "method": method,
            "request_id": self.message.text("/payload/request_id"),
            "identity": matched,
        });
        let open: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, claims FROM identity_reviews
             WHERE person_id = $1 AND resolved_at IS NULL ORDER BY id LIMIT 1",
        )
        .bind(person_id)
        .fetch_optional(&mut *self.conn)
        .await?;
        match open {
            Some((id, claims)) => {
                let mut claims: Vec<Value> = serde_json::from_str(&claims).unwrap_or_default();
                claims.push(claim);
                sqlx::query("UPDATE identity_reviews SET claims = $2 WHERE id = $1")
                    .bind(id)
                    .bind(Value::Array(claims).to_string())
                    .execute(&mut *self.conn)
                    .await?;
            }
            None => {
                let held = serde_json::json!({
                    "version": current.version,
                    "identity": current.record,
                });
                sqlx::query(
                    "INSERT INTO identity_reviews
                         (person_id, case_id, field, claims, opened_at, opened_by_message_id)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(person_id)
                .bind(self.message.case_id.or(current.last_case_id.as_deref()))
                .bind(field)
                .bind(Value::Array(vec![held, claim]).to_string())
                .bind(&self.at)
                .bind(self.message.message_id)
                .execute(&mut *self.conn)
                .await?;
            }
        }
        Ok(())
    }

    // ---- deaths and settlement reported by the case's messages --------------------------

    /// A life event another message reports for `person_id`: its status becomes `status`
    /// (DECEASED, SETTLED) with `fields` added, as a new version announced to everyone; a
    /// record already in that status only takes the new fields.
    async fn life_event(
        &mut self,
        person_id: &str,
        status: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), PipelineError> {
        let Some(current) = self.person(person_id).await? else {
            return Ok(());
        };
        if current.merged_into.is_some() {
            return Ok(());
        }
        let record = match record::on_department_update(&current.record, status, fields) {
            Ok(record) => record,
            Err(reason) => {
                tracing::warn!(person_id, %reason, "A life event could not be recorded.");
                return Ok(());
            }
        };
        if record == current.record {
            return Ok(());
        }
        let evidence = self.message.message_id.to_owned();
        self.change(
            person_id,
            &current,
            &record,
            status,
            "DOCUMENT",
            Some(&evidence),
            self.message.message_type.as_str(),
        )
        .await?;
        Ok(())
    }

    /// SETTLEMENT_DECISION APPROVED (落户): the person is settled, with the ID number and
    /// household the police assigned.
    async fn settlement_decided(
        &mut self,
        person: Option<&str>,
    ) -> Result<Result<(), IdentityRefusal>, PipelineError> {
        let Some(person_id) = person else {
            return Ok(Ok(()));
        };
        if self.message.text("/payload/stage") != Some("APPROVED") {
            return Ok(Ok(()));
        }
        let mut fields = Map::new();
        if let Some(id_number) = self.message.text("/payload/assigned_id_number") {
            fields.insert("id_doc_type".to_owned(), Value::from("111"));
            fields.insert("id_number".to_owned(), Value::from(id_number));
        }
        if let Some(region) = self.message.text("/payload/household_region_code") {
            fields.insert("household_region_code".to_owned(), Value::from(region));
        }
        self.life_event(person_id, "SETTLED", &fields).await?;
        Ok(Ok(()))
    }

    // ---- a department's IDENTITY_UPDATE -------------------------------------------------

    async fn department_update(&mut self) -> Result<Result<(), IdentityRefusal>, PipelineError> {
        let person_id = self
            .message
            .text("/payload/person_id")
            .unwrap_or_default()
            .to_owned();
        let offered = self
            .message
            .message
            .pointer("/payload/identity_version")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let change_type = self
            .message
            .text("/payload/change_type")
            .unwrap_or_default()
            .to_owned();
        let source = self
            .message
            .text("/payload/source_of_truth")
            .unwrap_or("DOCUMENT")
            .to_owned();
        let Some(current) = self.person(&person_id).await? else {
            return Ok(Err(refuse(
                "/payload/person_id",
                code::UNKNOWN_PERSON,
                format!(
                    "the identity registry knows no person {person_id}; use the person_id of \
                     an IDENTITY_UPDATE the hub sent for this case."
                ),
            )));
        };
        if let Some(target) = &current.merged_into {
            return Ok(Err(refuse(
                "/payload/person_id",
                code::UNKNOWN_PERSON,
                format!(
                    "person {person_id} was merged into {target}; send the change for {target}."
                ),
            )));
        }
        let changed = self
            .message
            .message
            .pointer("/payload/changed_fields")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // The record a non-merge update makes (or why it cannot apply).
        let proposed = (change_type != "MERGED")
            .then(|| record::on_department_update(&current.record, &change_type, &changed));
        if let Some(Ok(record)) = &proposed
            && *record == current.record
        {
            // The registry already holds exactly this (e.g. a death another department
            // reported first): nothing to change, whatever version the sender assumed.
            return Ok(Ok(()));
        }
        if offered != current.version + 1 {
            return Ok(Err(refuse(
                "/payload/identity_version",
                code::STALE,
                format!(
                    "person {person_id} is at version {} in the identity registry; this update \
                     says it makes version {offered}. Apply the hub's latest IDENTITY_UPDATE, \
                     then send the change as version {}.",
                    current.version,
                    current.version + 1
                ),
            )));
        }
        let record = match proposed {
            None => return self.merge(&person_id, &current, &changed, &source).await,
            Some(Ok(record)) => record,
            Some(Err(reason)) => {
                return Ok(Err(refuse("/payload/changed_fields", code::UPDATE, reason)));
            }
        };
        let evidence = self
            .message
            .text("/payload/evidence_ref")
            .map(str::to_owned);
        self.change(
            &person_id,
            &current,
            &record,
            &change_type,
            &source,
            evidence.as_deref(),
            &source,
        )
        .await?;
        if record::status_of(&record) != "CONFLICT" {
            sqlx::query(
                "UPDATE identity_reviews SET resolved_at = $2, resolved_by_message_id = $3
                 WHERE person_id = $1 AND resolved_at IS NULL",
            )
            .bind(&person_id)
            .bind(&self.at)
            .bind(self.message.message_id)
            .execute(&mut *self.conn)
            .await?;
        }
        Ok(Ok(()))
    }

    /// MERGED: `duplicate` is merged into `merged_into_person_id`. The duplicate gets a last
    /// version saying so; the survivor a version with what only the duplicate knew and the
    /// duplicate's links, cases and subscribers.
    async fn merge(
        &mut self,
        duplicate: &str,
        current: &PersonRow,
        changed: &Map<String, Value>,
        source: &str,
    ) -> Result<Result<(), IdentityRefusal>, PipelineError> {
        let target = self
            .message
            .text("/payload/merged_into_person_id")
            .unwrap_or_default()
            .to_owned();
        if target == duplicate {
            return Ok(Err(refuse(
                "/payload/merged_into_person_id",
                code::MERGE,
                format!("person {duplicate} cannot be merged into itself."),
            )));
        }
        let Some(survivor) = self.person(&target).await? else {
            return Ok(Err(refuse(
                "/payload/merged_into_person_id",
                code::MERGE,
                format!("the identity registry knows no person {target} to merge into."),
            )));
        };
        if let Some(further) = &survivor.merged_into {
            return Ok(Err(refuse(
                "/payload/merged_into_person_id",
                code::MERGE,
                format!("person {target} was itself merged into {further}; merge into {further}."),
            )));
        }
        // Everyone who knew either record hears of the merge.
        let mut audience = self.linked_departments(duplicate).await?;
        for department in self.linked_departments(&target).await? {
            if !audience.contains(&department) {
                audience.push(department);
            }
        }
        let recipients = sync::recipients(self.pipeline.deadlines().hub_config(), &audience);

        // The duplicate's last version: its record (with the station's last corrections),
        // pointing at the survivor.
        let duplicate_record =
            match record::on_department_update(&current.record, "MERGED", changed) {
                Ok(record) => record,
                Err(reason) => {
                    return Ok(Err(refuse("/payload/changed_fields", code::UPDATE, reason)));
                }
            };
        let duplicate_version = current.version + 1;
        self.write_version(
            duplicate,
            duplicate_version,
            Some(&current.record),
            &duplicate_record,
            "MERGED",
            Some(source),
            source,
        )
        .await?;
        sqlx::query("UPDATE identity_persons SET merged_into = $2 WHERE person_id = $1")
            .bind(duplicate)
            .bind(&target)
            .execute(&mut *self.conn)
            .await?;
        let duplicate_case = self.case_for(current);
        let announcement = Announcement {
            person_id: duplicate,
            version: duplicate_version,
            change_type: "MERGED",
            source_of_truth: source,
            evidence_ref: None,
            merged_into: Some(&target),
            case_id: &duplicate_case,
            record: &duplicate_record,
            effective_at: self.now,
            cause_message_id: self.message.message_id,
        };
        let message_id = sync::update_message_id(duplicate, duplicate_version);
        self.announce_to(&announcement, &message_id, &recipients)
            .await?;

        // Move the duplicate's cases and links to the survivor.
        sqlx::query("UPDATE identity_cases SET person_id = $2 WHERE person_id = $1")
            .bind(duplicate)
            .bind(&target)
            .execute(&mut *self.conn)
            .await?;
        sqlx::query(
            "INSERT INTO identity_links (department, kind, local_id, person_id, message_id, at)
             SELECT department, kind, local_id, $2, $3, $4 FROM identity_links
             WHERE person_id = $1
             ON CONFLICT (department, kind, local_id) DO UPDATE SET person_id = excluded.person_id",
        )
        .bind(duplicate)
        .bind(&target)
        .bind(self.message.message_id)
        .bind(&self.at)
        .execute(&mut *self.conn)
        .await?;

        // The survivor's new version reaches every department that knew either record.
        let merged = record::absorb(&survivor.record, &duplicate_record);
        let survivor_version = survivor.version + 1;
        self.write_version(
            &target,
            survivor_version,
            Some(&survivor.record),
            &merged,
            "CORRECTED",
            Some(source),
            source,
        )
        .await?;
        let survivor_case = survivor
            .last_case_id
            .clone()
            .unwrap_or_else(|| duplicate_case.clone());
        let announcement = Announcement {
            person_id: &target,
            version: survivor_version,
            change_type: "CORRECTED",
            source_of_truth: source,
            evidence_ref: Some(duplicate),
            merged_into: None,
            case_id: &survivor_case,
            record: &merged,
            effective_at: self.now,
            cause_message_id: self.message.message_id,
        };
        let message_id = sync::update_message_id(&target, survivor_version);
        self.announce_to(&announcement, &message_id, &recipients)
            .await?;
        Ok(Ok(()))
    }

    // ---- reconciliation -----------------------------------------------------------------

    /// IDENTITY_DIGEST: compares each reported view with what the hub last sent the
    /// department and re-sends the current version where they differ.
    async fn digest_report(&mut self) -> Result<Result<(), IdentityRefusal>, PipelineError> {
        let department = self.message.sender;
        let complete = self
            .message
            .message
            .pointer("/payload/complete")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let entries: Vec<(String, i64, String)> = self
            .message
            .message
            .pointer("/payload/persons")
            .and_then(Value::as_array)
            .map(|persons| {
                persons
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p.get("person_id")?.as_str()?.to_owned(),
                            p.get("identity_version")?.as_i64()?,
                            p.get("digest")?.as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let sent_rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT person_id, version, digest FROM identity_sent WHERE department = $1",
        )
        .bind(department.as_str())
        .fetch_all(&mut *self.conn)
        .await?;
        let mut reported = std::collections::BTreeSet::new();
        for (person_id, version, digest) in &entries {
            reported.insert(person_id.clone());
            let sent = sent_rows.iter().find(|(p, _, _)| p == person_id);
            let kind = match sent {
                None => Some("UNKNOWN_TO_HUB"),
                Some((_, sent_version, _)) if version < sent_version => Some("STALE"),
                Some((_, sent_version, sent_digest))
                    if version == sent_version && digest != sent_digest =>
                {
                    Some("DIVERGED")
                }
                Some((_, sent_version, _)) if version > sent_version => Some("AHEAD"),
                Some(_) => None,
            };
            match kind {
                None => self.resolve_drift(department, person_id).await?,
                Some(kind) => {
                    self.record_drift(department, person_id, kind, Some(*version))
                        .await?
                }
            }
        }
        if complete {
            for (person_id, _, _) in &sent_rows {
                if !reported.contains(person_id) {
                    self.record_drift(department, person_id, "MISSING", None)
                        .await?;
                }
            }
        }
        Ok(Ok(()))
    }

    async fn resolve_drift(
        &mut self,
        department: Actor,
        person_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE identity_drift SET resolved_at = $3
             WHERE department = $1 AND person_id = $2 AND resolved_at IS NULL",
        )
        .bind(department.as_str())
        .bind(person_id)
        .bind(&self.at)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    /// Records drift and, when the hub knows the person and the department may receive its
    /// updates, re-sends the current version to the department.
    async fn record_drift(
        &mut self,
        department: Actor,
        person_id: &str,
        kind: &str,
        reported_version: Option<i64>,
    ) -> Result<(), PipelineError> {
        // One open drift row per (department, person): a newer report replaces the older.
        self.resolve_drift(department, person_id).await?;
        let current = self.person(person_id).await?;
        let mut resent = None;
        if let Some(current) = &current
            && kind != "AHEAD"
        {
            let recipients =
                sync::recipients(self.pipeline.deadlines().hub_config(), &[department]);
            if recipients.contains(&department) {
                let history: Option<(String, Option<String>)> = sqlx::query_as(
                    "SELECT change_type, source_of_truth FROM identity_versions
                     WHERE person_id = $1 AND version = $2",
                )
                .bind(person_id)
                .bind(current.version)
                .fetch_optional(&mut *self.conn)
                .await?;
                let (change_type, source) = history.unwrap_or_default();
                let change_type = match change_type.as_str() {
                    "VERIFIED" | "CORRECTED" | "MERGED" | "DECEASED" | "SETTLED" => change_type,
                    _ => "CORRECTED".to_owned(),
                };
                let source = source.unwrap_or_else(|| "DOCUMENT".to_owned());
                let case_id = self.case_for(current);
                let announcement = Announcement {
                    person_id,
                    version: current.version,
                    change_type: &change_type,
                    source_of_truth: &source,
                    evidence_ref: None,
                    merged_into: current.merged_into.as_deref(),
                    case_id: &case_id,
                    record: &current.record,
                    effective_at: self.now,
                    cause_message_id: self.message.message_id,
                };
                let message_id = sync::resend_message_id(
                    person_id,
                    current.version,
                    department,
                    self.message.message_id,
                );
                let before = self.effects.planned.len();
                self.announce_to(&announcement, &message_id, &[department])
                    .await?;
                if self.effects.planned.len() > before {
                    resent = Some(message_id);
                }
            }
        }
        sqlx::query(
            "INSERT INTO identity_drift
                 (department, person_id, kind, reported_version, expected_version, detected_at,
                  report_message_id, resent_message_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(department.as_str())
        .bind(person_id)
        .bind(kind)
        .bind(reported_version)
        .bind(current.as_ref().map(|c| c.version))
        .bind(&self.at)
        .bind(self.message.message_id)
        .bind(resent)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }
}

/// The surviving person of `person_id`: itself, or the person it was merged into (following
/// merges, at most 32 deep; a merge into a merged person is refused, so chains do not loop).
pub(super) async fn survivor(
    conn: &mut SqliteConnection,
    person_id: &str,
) -> Result<String, StoreError> {
    let mut current = person_id.to_owned();
    for _ in 0..32 {
        let next: Option<Option<String>> =
            sqlx::query_scalar("SELECT merged_into FROM identity_persons WHERE person_id = $1")
                .bind(&current)
                .fetch_optional(&mut *conn)
                .await?;
        match next.flatten() {
            Some(target) => current = target,
            None => break,
        }
    }
    Ok(current)
}

/// The person id the hub gives the person of a case when the sender names none: a UUIDv5 of
/// the case, so the same case always gives the same person.
pub fn derived_person_id(case_id: &str) -> String {
    let namespace = uuid::Uuid::from_u128(0x2d0e_55a1_7b3c_4f09_9e61_c4a8_12f7_b0d3);
    uuid::Uuid::new_v5(&namespace, format!("person/{case_id}").as_bytes()).to_string()
}
