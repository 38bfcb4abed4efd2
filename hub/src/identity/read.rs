//! Read models of the registry for the HTTP API (`/v1/identity/…`) and `hubctl identity`:
//! a person's record with provenance, links, versions and reviews; tracked identity checks
//! with their state (overdue computed at the reading time); open CONFLICT reviews; drift per
//! department. Reading a person's identity is itself recorded (`identity_access_log`: who,
//! acting for which case, for what purpose: [`record_access`], called by whoever shows a
//! record to someone).
//!
//! Invariants: read-only apart from the access log; every list is in a stable order.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use crate::store::{Store, StoreError, rfc3339_utc};

/// Who reads a person's identity, for which case and why (查询人、案件、事由).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    /// The department or `OPS` whose credentials were used.
    pub reader: String,
    /// The acting officer or staff member (警号/工号 and name as given).
    pub acting: String,
    /// The case the reading is for.
    pub case_id: String,
    /// The purpose (查询事由).
    pub purpose: String,
}

/// The provenance of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The field.
    pub field: String,
    /// The version that set its current value.
    pub version: i64,
    /// The message that set it.
    pub message_id: String,
    /// Its sender.
    pub department: String,
    /// How it was established (check method, source of truth or claimed status).
    pub method: String,
    /// When (RFC 3339 UTC).
    pub at: String,
}

/// One local identifier of a department linked to the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Department.
    pub department: String,
    /// Kind of identifier.
    pub kind: String,
    /// The identifier.
    pub local_id: String,
}

/// One version of the record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Version {
    /// Version number.
    pub version: i64,
    /// REGISTERED, VERIFIED, CORRECTED, MERGED, DECEASED, SETTLED.
    pub change_type: String,
    /// Basis of the change.
    pub source_of_truth: Option<String>,
    /// The message that caused it.
    pub message_id: String,
    /// Its sender.
    pub department: String,
    /// When.
    pub at: String,
    /// The record at this version.
    pub record: Value,
}

/// A person as the registry holds them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonView {
    /// The pseudonymous id.
    pub person_id: String,
    /// Current version.
    pub version: i64,
    /// Current status.
    pub status: String,
    /// The record.
    pub record: Value,
    /// Merged into this person, if it was.
    pub merged_into: Option<String>,
    /// Cases of the person.
    pub cases: Vec<String>,
    /// Per-field provenance.
    pub provenance: Vec<Provenance>,
    /// Departments' local identifiers.
    pub links: Vec<Link>,
    /// Every version, oldest first.
    pub versions: Vec<Version>,
    /// Per department: the version and digest last sent.
    pub sent: Vec<Sent>,
    /// Reviews, open and resolved.
    pub reviews: Vec<ReviewView>,
}

impl PersonView {
    /// What the hub last sent `department` about the person, if anything: a department
    /// reads a person's identity only if it receives the person's updates.
    pub fn sent_to(&self, department: &str) -> Option<&Sent> {
        self.sent.iter().find(|s| s.department == department)
    }
}

/// The version last sent to a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// Department.
    pub department: String,
    /// Version.
    pub version: i64,
    /// Digest of the view it holds once applied.
    pub digest: String,
    /// Message id of the update.
    pub message_id: String,
}

/// A CONFLICT review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewView {
    /// Review number.
    pub id: i64,
    /// The person.
    pub person_id: String,
    /// The case.
    pub case_id: Option<String>,
    /// The defining field the claims disagree on.
    pub field: String,
    /// The held identity and each disagreeing result.
    pub claims: Value,
    /// When opened.
    pub opened_at: String,
    /// Resolved when (by the station's IDENTITY_UPDATE).
    pub resolved_at: Option<String>,
    /// The resolving message.
    pub resolved_by_message_id: Option<String>,
}

/// One method of a tracked check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckMethod {
    /// Method.
    pub method: String,
    /// Whether the request asked for it (a DNA comparison follows a sampling request).
    pub requested: bool,
    /// Due (RFC 3339 UTC).
    pub due_at: Option<String>,
    /// Latest result.
    pub result: Option<String>,
    /// When the result arrived.
    pub result_at: Option<String>,
    /// Due and without result at the reading time.
    pub overdue: bool,
}

/// A tracked identity check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckView {
    /// 申请编号.
    pub request_id: String,
    /// The case.
    pub case_id: String,
    /// The person.
    pub person_id: Option<String>,
    /// REQUESTED, ACKNOWLEDGED, REJECTED, COMPLETED or OVERDUE.
    pub state: String,
    /// Who asked (the request's `requested_by`).
    pub requested_by: Value,
    /// Why (查询事由).
    pub purpose: String,
    /// When the hub accepted the request.
    pub requested_at: String,
    /// When the police must acknowledge.
    pub ack_due_at: String,
    /// When they did.
    pub acknowledged_at: Option<String>,
    /// 公安受理编号.
    pub police_query_no: Option<String>,
    /// Why the police refused.
    pub rejection_reason: Option<String>,
    /// Per method.
    pub methods: Vec<CheckMethod>,
}

/// Open drift of one department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftView {
    /// Department.
    pub department: String,
    /// Person.
    pub person_id: String,
    /// STALE (older version), DIVERGED (same version, other content), MISSING (absent from
    /// a complete report), UNKNOWN_TO_HUB (never sent to it), AHEAD (newer than sent).
    pub kind: String,
    /// The version the department reported.
    pub reported_version: Option<i64>,
    /// The registry's version when found.
    pub expected_version: Option<i64>,
    /// When found.
    pub detected_at: String,
    /// The digest report.
    pub report_message_id: String,
    /// The re-send, if any.
    pub resent_message_id: Option<String>,
}

/// Records that `access` read `person_id`'s identity (call it before showing the record).
pub async fn record_access(
    store: &Store,
    person_id: &str,
    access: &Access,
    now: SystemTime,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write_transaction().await?;
    sqlx::query(
        "INSERT INTO identity_access_log (person_id, reader, acting, case_id, purpose, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(person_id)
    .bind(&access.reader)
    .bind(&access.acting)
    .bind(&access.case_id)
    .bind(&access.purpose)
    .bind(rfc3339_utc(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person (following no merge: a merged person shows `merged_into`); `None` when unknown.
/// Whoever shows it to someone records the access first ([`record_access`]).
pub async fn person(store: &Store, person_id: &str) -> Result<Option<PersonView>, StoreError> {
    let pool = store.pool();
    let Some(row) = sqlx::query(
        "SELECT version, status, record, merged_into FROM identity_persons WHERE person_id = $1",
    )
    .bind(person_id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let record: String = row.try_get("record")?;
    let cases: Vec<String> = sqlx::query_scalar(
        "SELECT case_id FROM identity_cases WHERE person_id = $1 ORDER BY case_id",
    )
    .bind(person_id)
    .fetch_all(pool)
    .await?;
    let provenance = sqlx::query_as::<_, (String, i64, String, String, String, String)>(
        "SELECT field, version, message_id, department, method, at FROM identity_provenance
         WHERE person_id = $1 ORDER BY field",
    )
    .bind(person_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(
        |(field, version, message_id, department, method, at)| Provenance {
            field,
            version,
            message_id,
            department,
            method,
            at,
        },
    )
    .collect();
    let links = sqlx::query_as::<_, (String, String, String)>(
        "SELECT department, kind, local_id FROM identity_links WHERE person_id = $1
         ORDER BY department, kind, local_id",
    )
    .bind(person_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(department, kind, local_id)| Link {
        department,
        kind,
        local_id,
    })
    .collect();
    let mut versions = Vec::new();
    for row in sqlx::query(
        "SELECT version, change_type, source_of_truth, message_id, department, at, record
         FROM identity_versions WHERE person_id = $1 ORDER BY version",
    )
    .bind(person_id)
    .fetch_all(pool)
    .await?
    {
        let text: String = row.try_get("record")?;
        versions.push(Version {
            version: row.try_get("version")?,
            change_type: row.try_get("change_type")?,
            source_of_truth: row.try_get("source_of_truth")?,
            message_id: row.try_get("message_id")?,
            department: row.try_get("department")?,
            at: row.try_get("at")?,
            record: serde_json::from_str(&text).unwrap_or(Value::Null),
        });
    }
    let sent = sqlx::query_as::<_, (String, i64, String, String)>(
        "SELECT department, version, digest, message_id FROM identity_sent WHERE person_id = $1
         ORDER BY department",
    )
    .bind(person_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(department, version, digest, message_id)| Sent {
        department,
        version,
        digest,
        message_id,
    })
    .collect();
    Ok(Some(PersonView {
        person_id: person_id.to_owned(),
        version: row.try_get("version")?,
        status: row.try_get("status")?,
        record: serde_json::from_str(&record).unwrap_or(Value::Null),
        merged_into: row.try_get("merged_into")?,
        cases,
        provenance,
        links,
        versions,
        sent,
        reviews: reviews_where(store, Some(person_id), false).await?,
    }))
}

/// The person of a case (after merges), if the registry knows the case.
pub async fn person_of_case(store: &Store, case_id: &str) -> Result<Option<String>, StoreError> {
    let mut conn = store.pool().acquire().await?;
    let person: Option<String> =
        sqlx::query_scalar("SELECT person_id FROM identity_cases WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
    match person {
        Some(person_id) => Ok(Some(super::store::survivor(&mut conn, &person_id).await?)),
        None => Ok(None),
    }
}

async fn reviews_where(
    store: &Store,
    person_id: Option<&str>,
    open_only: bool,
) -> Result<Vec<ReviewView>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, person_id, case_id, field, claims, opened_at, resolved_at,
                resolved_by_message_id
         FROM identity_reviews
         WHERE ($1 IS NULL OR person_id = $1) AND (NOT $2 OR resolved_at IS NULL)
         ORDER BY id",
    )
    .bind(person_id)
    .bind(open_only)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let claims: String = row.try_get("claims")?;
        out.push(ReviewView {
            id: row.try_get("id")?,
            person_id: row.try_get("person_id")?,
            case_id: row.try_get("case_id")?,
            field: row.try_get("field")?,
            claims: serde_json::from_str(&claims).unwrap_or(Value::Null),
            opened_at: row.try_get("opened_at")?,
            resolved_at: row.try_get("resolved_at")?,
            resolved_by_message_id: row.try_get("resolved_by_message_id")?,
        });
    }
    Ok(out)
}

/// Open CONFLICT reviews, oldest first.
pub async fn open_reviews(store: &Store) -> Result<Vec<ReviewView>, StoreError> {
    reviews_where(store, None, true).await
}

/// Tracked identity checks (all, or only those not completed), oldest first, with their
/// state at `now`.
pub async fn checks(
    store: &Store,
    open_only: bool,
    now: SystemTime,
) -> Result<Vec<CheckView>, StoreError> {
    let now_text = rfc3339_utc(now);
    let rows = sqlx::query(
        "SELECT request_id, case_id, person_id, requested_by, purpose, requested_at, ack_due_at,
                acknowledged_at, ack_decision, police_query_no, rejection_reason
         FROM identity_checks ORDER BY requested_at, request_id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let request_id: String = row.try_get("request_id")?;
        let methods: Vec<CheckMethod> =
            sqlx::query_as::<_, (String, i64, Option<String>, Option<String>, Option<String>)>(
                "SELECT method, requested, due_at, result, result_at FROM identity_check_methods
             WHERE request_id = $1 ORDER BY requested DESC, method",
            )
            .bind(&request_id)
            .fetch_all(store.pool())
            .await?
            .into_iter()
            .map(
                |(method, requested, due_at, result, result_at)| CheckMethod {
                    overdue: result.is_none()
                        && due_at.as_deref().is_some_and(|d| d < now_text.as_str()),
                    method,
                    requested: requested != 0,
                    due_at,
                    result,
                    result_at,
                },
            )
            .collect();
        let acknowledged_at: Option<String> = row.try_get("acknowledged_at")?;
        let ack_due_at: String = row.try_get("ack_due_at")?;
        let decision: Option<String> = row.try_get("ack_decision")?;
        let requested_done = methods
            .iter()
            .filter(|m| m.requested)
            .all(|m| m.result.is_some());
        let state = if decision.as_deref() == Some("REJECTED") {
            "REJECTED"
        } else if requested_done {
            "COMPLETED"
        } else if methods.iter().any(|m| m.overdue)
            || (acknowledged_at.is_none() && ack_due_at.as_str() < now_text.as_str())
        {
            "OVERDUE"
        } else if acknowledged_at.is_some() {
            "ACKNOWLEDGED"
        } else {
            "REQUESTED"
        };
        if open_only && matches!(state, "COMPLETED" | "REJECTED") {
            continue;
        }
        let requested_by: String = row.try_get("requested_by")?;
        out.push(CheckView {
            request_id,
            case_id: row.try_get("case_id")?,
            person_id: row.try_get("person_id")?,
            state: state.to_owned(),
            requested_by: serde_json::from_str(&requested_by).unwrap_or(Value::Null),
            purpose: row.try_get("purpose")?,
            requested_at: row.try_get("requested_at")?,
            ack_due_at,
            acknowledged_at,
            police_query_no: row.try_get("police_query_no")?,
            rejection_reason: row.try_get("rejection_reason")?,
            methods,
        });
    }
    Ok(out)
}

/// Open drift, per department then person.
pub async fn drift(store: &Store) -> Result<Vec<DriftView>, StoreError> {
    let rows = sqlx::query(
        "SELECT department, person_id, kind, reported_version, expected_version, detected_at,
                report_message_id, resent_message_id
         FROM identity_drift WHERE resolved_at IS NULL ORDER BY department, person_id, id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(DriftView {
            department: row.try_get("department")?,
            person_id: row.try_get("person_id")?,
            kind: row.try_get("kind")?,
            reported_version: row.try_get("reported_version")?,
            expected_version: row.try_get("expected_version")?,
            detected_at: row.try_get("detected_at")?,
            report_message_id: row.try_get("report_message_id")?,
            resent_message_id: row.try_get("resent_message_id")?,
        });
    }
    Ok(out)
}
