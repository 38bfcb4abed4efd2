//! Serde types for the envelope and every payload of the catalogue.
//!
//! One module per message type (named after its wire name in snake case), shared
//! definitions in [`shared`], the envelope in [`envelope`]. Each payload type mirrors its
//! JSON Schema field for field and is `deny_unknown_fields`, so the fixture tests can prove
//! schema and type agree: every valid fixture deserializes and serializes back unchanged.
//!
//! The JSON Schemas are the contract; these types are the convenient, typed view of it for
//! Rust code (adapters encode from them, the hub reads effects from them).

pub mod envelope;
pub mod shared;

pub mod admission_ack;
pub mod deadline_notice;
pub mod follow_up_visit;
pub mod handover_ack;
pub mod hospital_admission;
pub mod hospital_discharge;
pub mod hub_rejected;
pub mod identity_check_ack;
pub mod identity_check_request;
pub mod identity_check_result;
pub mod identity_digest;
pub mod identity_update;
pub mod incident_report;
pub mod missing_person_match;
pub mod missing_person_notice;
pub mod police_escort_handover;
pub mod referral;
pub mod referral_outcome;
pub mod return_home_notice;
pub mod return_home_receipt;
pub mod settlement_decision;
pub mod settlement_request;
pub mod station_intake;
pub mod station_leave;

pub use envelope::Envelope;
pub use shared::*;

use serde_json::Value;

use crate::catalogue::MessageType;

/// A payload of any type and version, decoded into its Rust type.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // each variant is the payload type of the same name
pub enum Payload {
    ReferralV1(referral::ReferralV1),
    ReferralV2(referral::ReferralV2),
    ReferralOutcome(referral_outcome::ReferralOutcome),
    PoliceEscortHandover(police_escort_handover::PoliceEscortHandover),
    HandoverAck(handover_ack::HandoverAck),
    IdentityCheckRequest(identity_check_request::IdentityCheckRequest),
    IdentityCheckAck(identity_check_ack::IdentityCheckAck),
    IdentityCheckResult(identity_check_result::IdentityCheckResult),
    IdentityUpdate(identity_update::IdentityUpdate),
    IdentityDigest(identity_digest::IdentityDigest),
    HospitalAdmission(hospital_admission::HospitalAdmission),
    AdmissionAck(admission_ack::AdmissionAck),
    HospitalDischarge(hospital_discharge::HospitalDischarge),
    StationIntake(station_intake::StationIntake),
    StationLeave(station_leave::StationLeave),
    ReturnHomeNotice(return_home_notice::ReturnHomeNotice),
    ReturnHomeReceipt(return_home_receipt::ReturnHomeReceipt),
    MissingPersonNotice(missing_person_notice::MissingPersonNotice),
    MissingPersonMatch(missing_person_match::MissingPersonMatch),
    SettlementRequest(settlement_request::SettlementRequest),
    SettlementDecision(settlement_decision::SettlementDecision),
    IncidentReport(incident_report::IncidentReport),
    FollowUpVisit(follow_up_visit::FollowUpVisit),
    HubRejected(hub_rejected::HubRejected),
    DeadlineNotice(deadline_notice::DeadlineNotice),
}

/// Why a payload could not be decoded into its Rust type.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// No Rust type exists for this (type, major version).
    #[error("no Rust type for {message_type} v{major}")]
    NoType {
        /// The message type.
        message_type: MessageType,
        /// The major version.
        major: u32,
    },
    /// The JSON does not fit the Rust type.
    #[error("{message_type} v{major} payload does not fit its Rust type: {source}")]
    Shape {
        /// The message type.
        message_type: MessageType,
        /// The major version.
        major: u32,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
}

macro_rules! decode_table {
    ($mt:expr, $major:expr, $value:expr; $( ($t:ident, $v:literal) => $variant:ident ),* $(,)?) => {
        match ($mt, $major) {
            $( (MessageType::$t, $v) => serde_json::from_value($value).map(Payload::$variant), )*
            _ => return Err(DecodeError::NoType { message_type: $mt, major: $major }),
        }
    };
}

macro_rules! encode_table {
    ($payload:expr; $( $variant:ident ),* $(,)?) => {
        match $payload {
            $( Payload::$variant(p) => serde_json::to_value(p), )*
        }
    };
}

impl Payload {
    /// Decodes a payload of `message_type` at major version `major`.
    pub fn decode(
        message_type: MessageType,
        major: u32,
        value: Value,
    ) -> Result<Payload, DecodeError> {
        let decoded = decode_table!(message_type, major, value;
            (Referral, 1) => ReferralV1,
            (Referral, 2) => ReferralV2,
            (ReferralOutcome, 1) => ReferralOutcome,
            (PoliceEscortHandover, 1) => PoliceEscortHandover,
            (HandoverAck, 1) => HandoverAck,
            (IdentityCheckRequest, 1) => IdentityCheckRequest,
            (IdentityCheckAck, 1) => IdentityCheckAck,
            (IdentityCheckResult, 1) => IdentityCheckResult,
            (IdentityUpdate, 1) => IdentityUpdate,
            (IdentityDigest, 1) => IdentityDigest,
            (HospitalAdmission, 1) => HospitalAdmission,
            (AdmissionAck, 1) => AdmissionAck,
            (HospitalDischarge, 1) => HospitalDischarge,
            (StationIntake, 1) => StationIntake,
            (StationLeave, 1) => StationLeave,
            (ReturnHomeNotice, 1) => ReturnHomeNotice,
            (ReturnHomeReceipt, 1) => ReturnHomeReceipt,
            (MissingPersonNotice, 1) => MissingPersonNotice,
            (MissingPersonMatch, 1) => MissingPersonMatch,
            (SettlementRequest, 1) => SettlementRequest,
            (SettlementDecision, 1) => SettlementDecision,
            (IncidentReport, 1) => IncidentReport,
            (FollowUpVisit, 1) => FollowUpVisit,
            (HubRejected, 1) => HubRejected,
            (DeadlineNotice, 1) => DeadlineNotice,
        );
        decoded.map_err(|source| DecodeError::Shape {
            message_type,
            major,
            source,
        })
    }

    /// Encodes the payload back to JSON.
    pub fn encode(&self) -> Result<Value, serde_json::Error> {
        encode_table!(self;
            ReferralV1, ReferralV2, ReferralOutcome, PoliceEscortHandover, HandoverAck,
            IdentityCheckRequest, IdentityCheckAck, IdentityCheckResult, IdentityUpdate,
            IdentityDigest, HospitalAdmission, AdmissionAck, HospitalDischarge, StationIntake,
            StationLeave, ReturnHomeNotice, ReturnHomeReceipt, MissingPersonNotice,
            MissingPersonMatch, SettlementRequest, SettlementDecision, IncidentReport,
            FollowUpVisit, HubRejected, DeadlineNotice,
        )
    }
}
