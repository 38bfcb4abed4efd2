//! Which accepted message links which department to a person, by which of its local
//! identifiers (the registry's `identity_links`), and which message carries the person's
//! identity when the case is first seen.
//!
//! A message that names a case the registry knows links its department at once. A message
//! sent before the station opened the case (a police escort handover, a street referral, a
//! police admission to hospital) is kept as a *document* under its document number; the
//! STATION_INTAKE that names it in `related_refs` links that department to the person.
//!
//! Invariant: one table, pure; the store applies it.

use contracts::MessageType;
use contracts::model::Actor;

/// Whose identifier a link records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The message's sender.
    Sender,
    /// A named department (e.g. the hospital an admission goes to).
    Department(Actor),
}

/// One link rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkRule {
    /// The message type.
    pub message_type: MessageType,
    /// The department linked.
    pub party: Party,
    /// The kind of local identifier (e.g. `handover_no`, `admission_no`).
    pub kind: &'static str,
    /// Where the identifier is in the message.
    pub pointer: &'static str,
    /// When the message may come before the case: the `related_refs` type a STATION_INTAKE
    /// names it by, and where its document number is.
    pub document: Option<(&'static str, &'static str)>,
}

/// Every link rule.
pub const LINK_RULES: &[LinkRule] = &[
    LinkRule {
        message_type: MessageType::PoliceEscortHandover,
        party: Party::Sender,
        kind: "handover_no",
        pointer: "/payload/handover_no",
        document: Some(("HANDOVER", "/payload/handover_no")),
    },
    LinkRule {
        message_type: MessageType::Referral,
        party: Party::Sender,
        kind: "source_case_no",
        pointer: "/payload/source_case_no",
        document: Some(("REFERRAL", "/payload/referral_id")),
    },
    LinkRule {
        message_type: MessageType::HospitalAdmission,
        party: Party::Department(Actor::Health),
        kind: "transfer_id",
        pointer: "/payload/transfer_id",
        document: Some(("DISCHARGE", "/payload/transfer_id")),
    },
    LinkRule {
        message_type: MessageType::AdmissionAck,
        party: Party::Sender,
        kind: "admission_no",
        pointer: "/payload/admission_no",
        document: None,
    },
    LinkRule {
        message_type: MessageType::StationIntake,
        party: Party::Sender,
        kind: "case_id",
        pointer: "/payload/case_id",
        document: None,
    },
    LinkRule {
        message_type: MessageType::StationIntake,
        party: Party::Sender,
        kind: "national_rescue_record_no",
        pointer: "/payload/national_rescue_record_no",
        document: None,
    },
    LinkRule {
        message_type: MessageType::IdentityCheckRequest,
        party: Party::Department(Actor::Police),
        kind: "identity_check_request",
        pointer: "/payload/request_id",
        document: None,
    },
    LinkRule {
        message_type: MessageType::IdentityCheckResult,
        party: Party::Sender,
        kind: "dna_sample_no",
        pointer: "/payload/dna_sample_no",
        document: None,
    },
];

/// Where a message of this type carries the person's identity (`PersonIdentity`), if it
/// does: what the registry records when it first meets the person.
pub fn person_pointer(message_type: MessageType) -> Option<&'static str> {
    match message_type {
        MessageType::StationIntake
        | MessageType::PoliceEscortHandover
        | MessageType::HospitalAdmission
        | MessageType::SettlementRequest
        | MessageType::ReturnHomeNotice => Some("/payload/person"),
        MessageType::IdentityCheckRequest => Some("/payload/claimed_identity"),
        _ => None,
    }
}

/// The link rules of a message type.
pub fn rules_for(message_type: MessageType) -> impl Iterator<Item = &'static LinkRule> {
    LINK_RULES
        .iter()
        .filter(move |rule| rule.message_type == message_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_are_payload_pointers_and_documents_are_intake_ref_types() {
        for rule in LINK_RULES {
            assert!(rule.pointer.starts_with("/payload/"), "{rule:?}");
            if let Some((kind, pointer)) = rule.document {
                assert!(["HANDOVER", "REFERRAL", "DISCHARGE"].contains(&kind));
                assert!(pointer.starts_with("/payload/"));
            }
        }
        assert_eq!(rules_for(MessageType::StationIntake).count(), 2);
    }
}
