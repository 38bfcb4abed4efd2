//! The message catalogue: every message type the hub knows, by its wire name.
//!
//! Invariant: [`MessageType::ALL`] lists exactly the types in the `message_type` enum of
//! `schemas/ENVELOPE/v1.json`, and each has a directory `schemas/<WIRE_NAME>/` holding at
//! least `v1.json` (a unit test in `registry` checks both).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::Actor;

/// A message type of the catalogue (domain.md §7.4), plus the check acknowledgement
/// (M03A), the identity digest (M05D), the hub's refusal notice and the hub's deadline notice
/// (docs/adr/0003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageType {
    /// M01 发现转介: a street finding referred to the station.
    Referral,
    /// M01R 转介处置反馈: the station's outcome, so the source can close its case.
    ReferralOutcome,
    /// M02 公安护送交接: the police escort handover form.
    PoliceEscortHandover,
    /// M02A 交接签收: the station signs for the handover.
    HandoverAck,
    /// M03 身份核查/协查申请 (incl. DNA sampling request).
    IdentityCheckRequest,
    /// M03A 核查受理回执: the police registered (or refused) a check request, before any
    /// result.
    IdentityCheckAck,
    /// M04 核查/比对结果.
    IdentityCheckResult,
    /// M05 身份信息同步.
    IdentityUpdate,
    /// M05D 身份视图摘要: a department's view of persons' identities (versions and digests),
    /// reported to the hub only, for reconciliation.
    IdentityDigest,
    /// M06 送医/入院.
    HospitalAdmission,
    /// M06A 收治确认.
    AdmissionAck,
    /// M07 出院通知.
    HospitalDischarge,
    /// M08 入站登记.
    StationIntake,
    /// M09 离站登记.
    StationLeave,
    /// M10 返乡通知.
    ReturnHomeNotice,
    /// M10A 返乡交接回执.
    ReturnHomeReceipt,
    /// M11 走失报案通报.
    MissingPersonNotice,
    /// M11R 比对反馈.
    MissingPersonMatch,
    /// M12 落户安置申请.
    SettlementRequest,
    /// M12R 落户审批结果.
    SettlementDecision,
    /// M13 突发事件报告 (incl. death).
    IncidentReport,
    /// M14 回访记录.
    FollowUpVisit,
    /// The hub's refusal of a message, sent back to its sender with every reason.
    HubRejected,
    /// 时限提醒: the hub's notice that a time limit passed unmet (which rule, which item,
    /// when it was due, what to do now), sent to the departments it concerns.
    DeadlineNotice,
}

impl MessageType {
    /// Every message type, in catalogue order.
    pub const ALL: [MessageType; 24] = [
        MessageType::Referral,
        MessageType::ReferralOutcome,
        MessageType::PoliceEscortHandover,
        MessageType::HandoverAck,
        MessageType::IdentityCheckRequest,
        MessageType::IdentityCheckAck,
        MessageType::IdentityCheckResult,
        MessageType::IdentityUpdate,
        MessageType::IdentityDigest,
        MessageType::HospitalAdmission,
        MessageType::AdmissionAck,
        MessageType::HospitalDischarge,
        MessageType::StationIntake,
        MessageType::StationLeave,
        MessageType::ReturnHomeNotice,
        MessageType::ReturnHomeReceipt,
        MessageType::MissingPersonNotice,
        MessageType::MissingPersonMatch,
        MessageType::SettlementRequest,
        MessageType::SettlementDecision,
        MessageType::IncidentReport,
        MessageType::FollowUpVisit,
        MessageType::HubRejected,
        MessageType::DeadlineNotice,
    ];

    /// The wire name, e.g. `"POLICE_ESCORT_HANDOVER"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageType::Referral => "REFERRAL",
            MessageType::ReferralOutcome => "REFERRAL_OUTCOME",
            MessageType::PoliceEscortHandover => "POLICE_ESCORT_HANDOVER",
            MessageType::HandoverAck => "HANDOVER_ACK",
            MessageType::IdentityCheckRequest => "IDENTITY_CHECK_REQUEST",
            MessageType::IdentityCheckAck => "IDENTITY_CHECK_ACK",
            MessageType::IdentityCheckResult => "IDENTITY_CHECK_RESULT",
            MessageType::IdentityUpdate => "IDENTITY_UPDATE",
            MessageType::IdentityDigest => "IDENTITY_DIGEST",
            MessageType::HospitalAdmission => "HOSPITAL_ADMISSION",
            MessageType::AdmissionAck => "ADMISSION_ACK",
            MessageType::HospitalDischarge => "HOSPITAL_DISCHARGE",
            MessageType::StationIntake => "STATION_INTAKE",
            MessageType::StationLeave => "STATION_LEAVE",
            MessageType::ReturnHomeNotice => "RETURN_HOME_NOTICE",
            MessageType::ReturnHomeReceipt => "RETURN_HOME_RECEIPT",
            MessageType::MissingPersonNotice => "MISSING_PERSON_NOTICE",
            MessageType::MissingPersonMatch => "MISSING_PERSON_MATCH",
            MessageType::SettlementRequest => "SETTLEMENT_REQUEST",
            MessageType::SettlementDecision => "SETTLEMENT_DECISION",
            MessageType::IncidentReport => "INCIDENT_REPORT",
            MessageType::FollowUpVisit => "FOLLOW_UP_VISIT",
            MessageType::HubRejected => "HUB_REJECTED",
            MessageType::DeadlineNotice => "DEADLINE_NOTICE",
        }
    }

    /// The catalogue number of domain.md §7.4 (`M01` … `M14`, `M01R`, …), with the hub's
    /// additions `M03A` and `M05D` (docs/adr/0003); `HUB` for the hub's refusal notice and
    /// `HUBD` for its deadline notice.
    pub const fn catalogue_no(self) -> &'static str {
        match self {
            MessageType::Referral => "M01",
            MessageType::ReferralOutcome => "M01R",
            MessageType::PoliceEscortHandover => "M02",
            MessageType::HandoverAck => "M02A",
            MessageType::IdentityCheckRequest => "M03",
            MessageType::IdentityCheckAck => "M03A",
            MessageType::IdentityCheckResult => "M04",
            MessageType::IdentityUpdate => "M05",
            MessageType::IdentityDigest => "M05D",
            MessageType::HospitalAdmission => "M06",
            MessageType::AdmissionAck => "M06A",
            MessageType::HospitalDischarge => "M07",
            MessageType::StationIntake => "M08",
            MessageType::StationLeave => "M09",
            MessageType::ReturnHomeNotice => "M10",
            MessageType::ReturnHomeReceipt => "M10A",
            MessageType::MissingPersonNotice => "M11",
            MessageType::MissingPersonMatch => "M11R",
            MessageType::SettlementRequest => "M12",
            MessageType::SettlementDecision => "M12R",
            MessageType::IncidentReport => "M13",
            MessageType::FollowUpVisit => "M14",
            MessageType::HubRejected => "HUB",
            MessageType::DeadlineNotice => "HUBD",
        }
    }

    /// The departments that may originate this type according to domain.md §7.4 (the hub's
    /// authorization matrix in config is the enforced rule; this is the contract's intent).
    pub const fn typical_senders(self) -> &'static [Actor] {
        use Actor::*;
        match self {
            MessageType::Referral => &[Grid, Citymgmt, Police, Health],
            MessageType::ReferralOutcome => &[Station],
            MessageType::PoliceEscortHandover => &[Police],
            MessageType::HandoverAck => &[Station],
            MessageType::IdentityCheckRequest => &[Station],
            MessageType::IdentityCheckAck => &[Police],
            MessageType::IdentityCheckResult => &[Police],
            MessageType::IdentityUpdate => &[Station, Hub],
            MessageType::IdentityDigest => &[Police, Health, Civil, Station],
            MessageType::HospitalAdmission => &[Station, Police],
            MessageType::AdmissionAck => &[Health],
            MessageType::HospitalDischarge => &[Health],
            MessageType::StationIntake => &[Station],
            MessageType::StationLeave => &[Station],
            MessageType::ReturnHomeNotice => &[Station],
            MessageType::ReturnHomeReceipt => &[Origin],
            MessageType::MissingPersonNotice => &[Police],
            MessageType::MissingPersonMatch => &[Station],
            MessageType::SettlementRequest => &[Station, Civil],
            MessageType::SettlementDecision => &[Police],
            MessageType::IncidentReport => &[Station, Health],
            MessageType::FollowUpVisit => &[Station, Origin],
            MessageType::HubRejected => &[Hub],
            MessageType::DeadlineNotice => &[Hub],
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The wire name is not a message type of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a message type of the catalogue")]
pub struct UnknownMessageType(pub String);

impl FromStr for MessageType {
    type Err = UnknownMessageType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownMessageType(s.to_owned()))
    }
}
