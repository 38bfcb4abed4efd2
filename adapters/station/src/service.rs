//! The station system's REST resources: which document kind (`head.docType`) is which
//! canonical message type, and where it is posted. Declarative data only; the runtime that
//! listens and calls is written elsewhere.
//!
//! Both sides speak the same paths, relative to their own base:
//! * the station system POSTs the documents it sends (入站登记, 离站登记, 协查申请, …) to the
//!   adapter's listen address (`http://<listen_address>/api/v1/intakes`) and gets a
//!   receipt (FORMAT.md §5) back: `201` accepted, `422` refused or malformed, `503` hub
//!   unavailable (re-send the same document later);
//! * the adapter POSTs the documents the station receives (转介单, 护送交接表, 核查受理回执,
//!   核查结果, 时限提醒, …) to the station system (`<base_url>/api/v1/referrals`); any `2xx` is
//!   delivered, `5xx`, `429` and `408` are retried, other `4xx` dead-lettered with the
//!   station's error body.
//!
//! Every body is a JSON document `{"head": {…}, "data": {…}}` in UTF-8
//! ([`CONTENT_TYPE`]); `head.docType` names the kind, so a document is understood without its
//! path (the runtime should still check that path and `docType` agree).
//!
//! Invariant: [`RESOURCES`] has exactly one entry per canonical message type, and its
//! [`Direction`]s are `send.STATION` / `receive.STATION` of `hub/hub.example.toml` (a unit
//! test reads that file).

use contracts::MessageType;

/// Media type of every document and receipt.
pub const CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// Which way a resource travels between the station system and the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The station system sends it (send.STATION): it POSTs to the adapter.
    StationSends,
    /// The station system receives it (receive.STATION): the adapter POSTs to the station.
    StationReceives,
    /// Both (the station sends its own and receives other departments').
    Both,
}

impl Direction {
    /// Whether the station system sends documents of this resource.
    pub const fn station_sends(self) -> bool {
        matches!(self, Direction::StationSends | Direction::Both)
    }

    /// Whether the station system receives documents of this resource.
    pub const fn station_receives(self) -> bool {
        matches!(self, Direction::StationReceives | Direction::Both)
    }
}

/// One REST resource of the station system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// The canonical message type.
    pub message_type: MessageType,
    /// `head.docType`, the kind discriminator.
    pub doc_type: &'static str,
    /// Path of `POST` (on the adapter for what the station sends, on the station system for
    /// what it receives).
    pub path: &'static str,
    /// The document's name in the station's words.
    pub name_zh: &'static str,
    /// Which way it travels.
    pub direction: Direction,
}

const fn resource(
    message_type: MessageType,
    doc_type: &'static str,
    path: &'static str,
    name_zh: &'static str,
    direction: Direction,
) -> Resource {
    Resource {
        message_type,
        doc_type,
        path,
        name_zh,
        direction,
    }
}

/// Every resource, in catalogue order.
pub const RESOURCES: [Resource; 24] = [
    resource(
        MessageType::Referral,
        "referral",
        "/api/v1/referrals",
        "发现转介单",
        Direction::StationReceives,
    ),
    resource(
        MessageType::ReferralOutcome,
        "referralOutcome",
        "/api/v1/referral-outcomes",
        "转介处置反馈",
        Direction::StationSends,
    ),
    resource(
        MessageType::PoliceEscortHandover,
        "escortHandover",
        "/api/v1/escort-handovers",
        "公安机关护送流浪乞讨人员交接表",
        Direction::StationReceives,
    ),
    resource(
        MessageType::HandoverAck,
        "handoverAck",
        "/api/v1/handover-acks",
        "交接签收",
        Direction::StationSends,
    ),
    resource(
        MessageType::IdentityCheckRequest,
        "identityCheckRequest",
        "/api/v1/identity-check-requests",
        "协查申请",
        Direction::StationSends,
    ),
    resource(
        MessageType::IdentityCheckAck,
        "identityCheckAck",
        "/api/v1/identity-check-acks",
        "核查受理回执",
        Direction::StationReceives,
    ),
    resource(
        MessageType::IdentityCheckResult,
        "identityCheckResult",
        "/api/v1/identity-check-results",
        "核查/比对结果",
        Direction::StationReceives,
    ),
    resource(
        MessageType::IdentityUpdate,
        "identityUpdate",
        "/api/v1/identity-updates",
        "身份信息同步",
        Direction::Both,
    ),
    resource(
        MessageType::IdentityDigest,
        "identityDigest",
        "/api/v1/identity-digests",
        "身份视图摘要",
        Direction::StationSends,
    ),
    resource(
        MessageType::HospitalAdmission,
        "hospitalAdmission",
        "/api/v1/hospital-admissions",
        "送医单",
        Direction::Both,
    ),
    resource(
        MessageType::AdmissionAck,
        "admissionAck",
        "/api/v1/admission-acks",
        "收治确认",
        Direction::StationReceives,
    ),
    resource(
        MessageType::HospitalDischarge,
        "hospitalDischarge",
        "/api/v1/hospital-discharges",
        "出院通知",
        Direction::StationReceives,
    ),
    resource(
        MessageType::StationIntake,
        "intake",
        "/api/v1/intakes",
        "入站登记",
        Direction::StationSends,
    ),
    resource(
        MessageType::StationLeave,
        "leave",
        "/api/v1/leaves",
        "离站登记",
        Direction::StationSends,
    ),
    resource(
        MessageType::ReturnHomeNotice,
        "returnHomeNotice",
        "/api/v1/return-home-notices",
        "返乡通知",
        Direction::StationSends,
    ),
    resource(
        MessageType::ReturnHomeReceipt,
        "returnHomeReceipt",
        "/api/v1/return-home-receipts",
        "返乡交接回执",
        Direction::StationReceives,
    ),
    resource(
        MessageType::MissingPersonNotice,
        "missingPersonNotice",
        "/api/v1/missing-person-notices",
        "走失报案通报",
        Direction::StationReceives,
    ),
    resource(
        MessageType::MissingPersonMatch,
        "missingPersonMatch",
        "/api/v1/missing-person-matches",
        "比对反馈",
        Direction::StationSends,
    ),
    resource(
        MessageType::SettlementRequest,
        "settlementRequest",
        "/api/v1/settlement-requests",
        "落户安置申请",
        Direction::Both,
    ),
    resource(
        MessageType::SettlementDecision,
        "settlementDecision",
        "/api/v1/settlement-decisions",
        "落户审批结果",
        Direction::StationReceives,
    ),
    resource(
        MessageType::IncidentReport,
        "incidentReport",
        "/api/v1/incident-reports",
        "突发事件报告",
        Direction::Both,
    ),
    resource(
        MessageType::FollowUpVisit,
        "followUpVisit",
        "/api/v1/follow-up-visits",
        "回访记录",
        Direction::Both,
    ),
    resource(
        MessageType::HubRejected,
        "hubRejection",
        "/api/v1/hub-rejections",
        "枢纽拒收通知",
        Direction::StationReceives,
    ),
    resource(
        MessageType::DeadlineNotice,
        "deadlineNotice",
        "/api/v1/deadline-notices",
        "时限提醒",
        Direction::StationReceives,
    ),
];

/// The resource of a `head.docType`, if the station system has one by that name.
pub fn by_doc_type(doc_type: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.doc_type == doc_type)
}

/// The resource of a canonical message type (every type has one).
pub fn by_message_type(message_type: MessageType) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.message_type == message_type)
}

/// Every `docType`, comma-separated, for error messages.
pub fn doc_types() -> String {
    RESOURCES
        .iter()
        .map(|r| r.doc_type)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn one_resource_per_message_type_with_unique_names_and_paths() {
        for t in MessageType::ALL {
            assert_eq!(
                RESOURCES.iter().filter(|r| r.message_type == t).count(),
                1,
                "{t}"
            );
        }
        let kinds: BTreeSet<_> = RESOURCES.iter().map(|r| r.doc_type).collect();
        let paths: BTreeSet<_> = RESOURCES.iter().map(|r| r.path).collect();
        assert_eq!(kinds.len(), RESOURCES.len());
        assert_eq!(paths.len(), RESOURCES.len());
        for r in &RESOURCES {
            assert!(r.path.starts_with("/api/v1/"), "{}", r.path);
            assert_eq!(by_doc_type(r.doc_type), Some(r));
        }
    }

    /// The directions agree with the hub's authorization matrix for the station.
    #[test]
    fn directions_match_the_hub_authorization() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../hub/hub.example.toml");
        let text = std::fs::read_to_string(path).expect("hub/hub.example.toml");
        let config: toml::Value = toml::from_str(&text).expect("valid TOML");
        let list = |side: &str| -> BTreeSet<String> {
            config["authorization"][side]["STATION"]
                .as_array()
                .expect("a list of message types")
                .iter()
                .map(|v| v.as_str().expect("a type name").to_owned())
                .collect()
        };
        let sends: BTreeSet<String> = RESOURCES
            .iter()
            .filter(|r| r.direction.station_sends())
            .map(|r| r.message_type.as_str().to_owned())
            .collect();
        let receives: BTreeSet<String> = RESOURCES
            .iter()
            .filter(|r| r.direction.station_receives())
            .map(|r| r.message_type.as_str().to_owned())
            .collect();
        assert_eq!(sends, list("send"));
        assert_eq!(receives, list("receive"));
    }
}
