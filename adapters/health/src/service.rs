//! The HEALTH department's endpoints, as data: where the HIS's HL7 arrives and where
//! deliveries go, and which documents travel each way. The MLLP listener and client that use
//! them (with [`crate::mllp`] and [`crate::HealthCodec`]) are written elsewhere.
//!
//! * Inbound: the HIS interface engine connects to `listen_address` and sends one message
//!   per MLLP frame; each is answered on the same connection with an ACK
//!   (`HealthCodec::answer`) once the hub has it durably (`AA`), or with `AE` (resend
//!   later) or `AR` (refused, with ERR segments).
//! * Outbound: the adapter connects to `his_address`, sends one frame and waits up to
//!   `ack_timeout_ms` for the HIS's ACK (`HealthCodec::classify_response`, status 200).

use contracts::MessageType;

use crate::config::HealthConfig;
use crate::native::DocumentKind;

/// One document kind on one endpoint, and the canonical type it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentRoute {
    /// The HL7 message (MSH-9).
    pub kind: DocumentKind,
    /// The canonical message type.
    pub message_type: MessageType,
    /// When it is sent, in the department's words.
    pub when: &'static str,
}

/// What the HIS sends to `listen_address`.
pub const INBOUND: &[DocumentRoute] = &[
    DocumentRoute {
        kind: DocumentKind::RefI12,
        message_type: MessageType::Referral,
        when: "发现转介: the hospital has a patient who may need rescue (unidentified, no one to turn to)",
    },
    DocumentRoute {
        kind: DocumentKind::AdtA01,
        message_type: MessageType::AdmissionAck,
        when: "收治确认: the person of a transfer request (ADT^A05) was admitted",
    },
    DocumentRoute {
        kind: DocumentKind::AdtA38,
        message_type: MessageType::AdmissionAck,
        when: "未收治: the transfer request was not admitted (pre-admission cancelled)",
    },
    DocumentRoute {
        kind: DocumentKind::AdtA16,
        message_type: MessageType::HospitalDischarge,
        when: "拟出院: discharge planned, the station must pick the person up",
    },
    DocumentRoute {
        kind: DocumentKind::AdtA03,
        message_type: MessageType::HospitalDischarge,
        when: "已出院: discharged, transferred, left without leave or died",
    },
    DocumentRoute {
        kind: DocumentKind::OruR01,
        message_type: MessageType::IncidentReport,
        when: "突发事件报告: an incident or death of an inpatient (first report within 1 hour)",
    },
];

/// What the adapter delivers to `his_address`.
pub const OUTBOUND: &[DocumentRoute] = &[
    DocumentRoute {
        kind: DocumentKind::AdtA05,
        message_type: MessageType::HospitalAdmission,
        when: "送医: the station or police bring a person to the hospital (hospital-transfer request)",
    },
    DocumentRoute {
        kind: DocumentKind::AdtA08,
        message_type: MessageType::IdentityUpdate,
        when: "身份信息同步: the identity of an inpatient was verified, corrected, merged; or death",
    },
    DocumentRoute {
        kind: DocumentKind::RriI12,
        message_type: MessageType::ReferralOutcome,
        when: "转介处置反馈: what the station did with the hospital's referral",
    },
    DocumentRoute {
        kind: DocumentKind::OruR01,
        message_type: MessageType::StationLeave,
        when: "离站登记: a person leaves the station for the hospital",
    },
    DocumentRoute {
        kind: DocumentKind::OruR01,
        message_type: MessageType::IncidentReport,
        when: "突发事件报告: an incident concerning the hospital (medical copy)",
    },
    DocumentRoute {
        kind: DocumentKind::Ack,
        message_type: MessageType::HubRejected,
        when: "枢纽拒收通知: the hub refused a message the HIS sent, after accepting it for processing",
    },
];

/// The MLLP endpoints of a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MllpEndpoints {
    /// Where the adapter listens for the HIS (host:port).
    pub listen_address: String,
    /// Where the adapter delivers to the HIS (host:port).
    pub his_address: String,
    /// Largest frame accepted (bytes).
    pub max_frame_bytes: usize,
    /// Connect timeout for deliveries (milliseconds).
    pub connect_timeout_ms: u64,
    /// Time allowed for the HIS's ACK (milliseconds).
    pub ack_timeout_ms: u64,
    /// Idle time before an inbound connection is closed (milliseconds).
    pub idle_timeout_ms: u64,
}

impl MllpEndpoints {
    /// The endpoints a configuration names.
    pub fn of(config: &HealthConfig) -> MllpEndpoints {
        MllpEndpoints {
            listen_address: config.listen_address.clone(),
            his_address: config.his_address.clone(),
            max_frame_bytes: config.max_frame_bytes,
            connect_timeout_ms: config.connect_timeout_ms,
            ack_timeout_ms: config.ack_timeout_ms,
            idle_timeout_ms: config.idle_timeout_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::{RECEIVED, SENT};

    #[test]
    fn routes_cover_what_health_sends_and_receives() {
        for t in SENT {
            assert!(INBOUND.iter().any(|r| r.message_type == t), "{t} inbound");
        }
        for t in RECEIVED {
            assert!(OUTBOUND.iter().any(|r| r.message_type == t), "{t} outbound");
        }
        for r in INBOUND.iter().chain(OUTBOUND) {
            assert!(r.kind.message_types().contains(&r.message_type));
        }
    }
}
