//! The hub's IDENTITY_UPDATE: its envelope and payload, its message ids, its recipients and
//! its projection per recipient, with the digest of what each recipient will hold.
//!
//! # Invariants
//!
//! * `changed_fields` is the person's **whole record** as the recipient may see it (the
//!   pipeline's projection for the recipient), never only the fields that changed: a
//!   receiver that applies only versions at least as new as the one it holds converges
//!   whatever the delivery order (ADR 0012).
//! * One message id per (person, version): `UUIDv5(hub namespace, "identity-update/P/V")`,
//!   the same for every recipient (recipients deduplicate by it, and planning the same
//!   version twice can only produce the same id). A reconciliation re-send has its own id
//!   per (person, version, department, digest report), so the department's dedup lets it in.
//! * Recipients = the configured subscribers ∪ the departments linked to the person, each
//!   only if the authorization matrix lets it receive IDENTITY_UPDATE.

use std::time::SystemTime;

use contracts::MessageType;
use contracts::model::Actor;
use serde_json::{Value, json};
use uuid::Uuid;

use super::digest::view_digest;
use super::record::Record;
use crate::config::HubConfig;
use crate::deadlines::calendar::local_text;
use crate::pipeline::{HubIdentity, Pipeline, PipelineError};
use crate::store::PlannedMessage;

/// Namespace of the hub's derived message ids (a fixed random UUID).
const HUB_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b3e_9a47_4d5e_8c21_7e0d_4b9a_3c55);

/// The id of the IDENTITY_UPDATE announcing `version` of `person_id`.
pub fn update_message_id(person_id: &str, version: i64) -> String {
    Uuid::new_v5(
        &HUB_NAMESPACE,
        format!("identity-update/{person_id}/{version}").as_bytes(),
    )
    .to_string()
}

/// The id of a reconciliation re-send of `version` to `department`, caused by the digest
/// report `report_message_id`.
pub fn resend_message_id(
    person_id: &str,
    version: i64,
    department: Actor,
    report_message_id: &str,
) -> String {
    Uuid::new_v5(
        &HUB_NAMESPACE,
        format!(
            "identity-resend/{person_id}/{version}/{}/{report_message_id}",
            department.as_str()
        )
        .as_bytes(),
    )
    .to_string()
}

/// One change of one person's record, to announce.
#[derive(Debug, Clone)]
pub struct Announcement<'a> {
    /// The person.
    pub person_id: &'a str,
    /// The new version.
    pub version: i64,
    /// VERIFIED, CORRECTED, MERGED, DECEASED or SETTLED.
    pub change_type: &'a str,
    /// POLICE_POPULATION_DB, DNA, FACE, DOCUMENT or FAMILY.
    pub source_of_truth: &'a str,
    /// Evidence reference (e.g. the check's request_id).
    pub evidence_ref: Option<&'a str>,
    /// For MERGED: the surviving person.
    pub merged_into: Option<&'a str>,
    /// The case the envelope names.
    pub case_id: &'a str,
    /// The record at `version`.
    pub record: &'a Record,
    /// When the change took effect.
    pub effective_at: SystemTime,
    /// The message that caused the change (`correlation_id` when it is a UUID).
    pub cause_message_id: &'a str,
}

/// The hub's IDENTITY_UPDATE message (v1) for `announcement`, with id `message_id`.
pub fn update_message(
    identity: &HubIdentity,
    announcement: &Announcement<'_>,
    message_id: &str,
    sent_at: SystemTime,
) -> Value {
    let minor = announcement
        .record
        .get("is_minor")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut payload = json!({
        "person_id": announcement.person_id,
        "case_id": announcement.case_id,
        "identity_version": announcement.version,
        "change_type": announcement.change_type,
        "changed_fields": Value::Object(announcement.record.clone()),
        "source_of_truth": announcement.source_of_truth,
        "effective_at": local_text(announcement.effective_at),
    });
    if let Some(evidence) = announcement.evidence_ref {
        payload["evidence_ref"] = Value::from(evidence);
    }
    if let Some(target) = announcement.merged_into {
        payload["merged_into_person_id"] = Value::from(target);
    }
    let mut message = json!({
        "message_id": message_id,
        "message_type": MessageType::IdentityUpdate.as_str(),
        "schema_version": "1.0.0",
        "case_id": announcement.case_id,
        "sender_org_code": identity.org_code,
        "sender_org_type": "HUB",
        "sender_system": identity.system,
        "receiver_org_codes": [],
        "sent_at": local_text(sent_at),
        "region_code": identity.region_code,
        "legal_basis": ["PIPL13_1_3", "MCA_MPS_2015"],
        "purpose_code": "IDENTITY_VERIFICATION",
        "sensitivity": if minor { "SENSITIVE_MINOR" } else { "SENSITIVE" },
        "payload": payload,
    });
    if Uuid::try_parse(announcement.cause_message_id).is_ok() {
        message["correlation_id"] = Value::from(announcement.cause_message_id);
    }
    message
}

/// Who receives a person's updates: subscribers ∪ `linked`, each allowed to receive
/// IDENTITY_UPDATE, in a stable order (subscribers first).
pub fn recipients(config: &HubConfig, linked: &[Actor]) -> Vec<Actor> {
    let mut out: Vec<Actor> = Vec::new();
    for department in config.identity.subscribers.iter().chain(linked) {
        if *department != Actor::Hub
            && !out.contains(department)
            && config
                .authorization
                .may_receive(*department, MessageType::IdentityUpdate.as_str())
        {
            out.push(*department);
        }
    }
    out
}

/// One planned delivery of an update, with the digest of the view it gives its recipient.
#[derive(Debug, Clone)]
pub struct PlannedUpdate {
    /// The recipient.
    pub recipient: Actor,
    /// The outbox row.
    pub planned: PlannedMessage,
    /// [`view_digest`] of the `changed_fields` the recipient receives.
    pub digest: String,
}

/// Validates `message` against its contract and plans it for each recipient (cast and
/// projected like any delivery). `Err(reason)` when the message breaks its contract (a hub
/// bug: nothing is planned); recipients it cannot be expressed for are skipped with a log.
pub fn plan(
    pipeline: &Pipeline,
    message: Value,
    recipients: &[Actor],
    case_id: &str,
) -> Result<Result<Vec<PlannedUpdate>, String>, PipelineError> {
    let validated = match pipeline.registry().validate_value(message) {
        Ok(validated) => validated,
        Err(report) => return Ok(Err(report.to_string())),
    };
    let mut out = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        match pipeline.plan_hub_delivery(
            &validated.value,
            validated.message_type,
            validated.major,
            *recipient,
        )? {
            Ok(mut planned) => {
                planned.case_id = Some(case_id.to_owned());
                let delivered: Value = serde_json::from_slice(&planned.body)?;
                let digest = view_digest(
                    delivered
                        .pointer("/payload/changed_fields")
                        .unwrap_or(&Value::Null),
                );
                out.push(PlannedUpdate {
                    recipient: *recipient,
                    planned,
                    digest,
                });
            }
            Err(reason) => tracing::error!(
                recipient = recipient.as_str(), %reason,
                "An identity update cannot be expressed for a subscriber; not sent to it."
            ),
        }
    }
    Ok(Ok(out))
}
