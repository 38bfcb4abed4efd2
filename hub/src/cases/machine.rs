//! The case state machine as a pure function: `(state, message type + the payload facts that
//! matter) -> new state or IllegalTransition`. No I/O; the store and the pipeline call it.
//!
//! Invariants:
//! * [`role`] is the one table saying which message types move a case, which move it
//!   depending on payload facts, and which only annotate it.
//! * [`transition`] is total: every (state, event) pair has an answer, and an annotation
//!   never changes the state.
//! * A message for a case the hub has not seen opens it in the phase the message implies
//!   (the hub may join a case mid-way); an annotation opens nothing.

use std::fmt;

use contracts::MessageType;
use serde::Serialize;
use serde_json::Value;

/// The phase of a case (救助个案阶段). Sources in the module header of [`crate::cases`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaseState {
    /// 发现/转介: found on the street or referred (M01, M02), not yet signed for.
    Found,
    /// 交接签收: the station signed for the police handover (M02A RECEIVED).
    HandedOver,
    /// 不予接收/不予救助: the station did not receive the person or found them not eligible.
    NotAdmitted,
    /// 在站: registered at the station (M08), or back from hospital.
    InStation,
    /// 住院: in a designated hospital (M06, M02A TO_HOSPITAL, M09 TO_HOSPITAL).
    InHospital,
    /// 离站: left the station or hospital (returned home, placed, settled, self-left, …).
    Left,
    /// 已回访: at least one follow-up visit after leaving (M14).
    FollowedUp,
    /// 死亡: died (M13 DEATH_*, M05 DECEASED, M07 DIED, M09 DECEASED). Terminal.
    Deceased,
}

impl CaseState {
    /// Wire name (`IN_STATION`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Found => "FOUND",
            CaseState::HandedOver => "HANDED_OVER",
            CaseState::NotAdmitted => "NOT_ADMITTED",
            CaseState::InStation => "IN_STATION",
            CaseState::InHospital => "IN_HOSPITAL",
            CaseState::Left => "LEFT",
            CaseState::FollowedUp => "FOLLOWED_UP",
            CaseState::Deceased => "DECEASED",
        }
    }

    /// The inverse of [`CaseState::as_str`].
    pub fn from_wire(text: &str) -> Option<CaseState> {
        CaseState::ALL.iter().copied().find(|s| s.as_str() == text)
    }

    /// Every state.
    pub const ALL: [CaseState; 8] = [
        CaseState::Found,
        CaseState::HandedOver,
        CaseState::NotAdmitted,
        CaseState::InStation,
        CaseState::InHospital,
        CaseState::Left,
        CaseState::FollowedUp,
        CaseState::Deceased,
    ];

    /// Before the station took the person in.
    fn before_station(self) -> bool {
        matches!(
            self,
            CaseState::Found | CaseState::HandedOver | CaseState::NotAdmitted
        )
    }

    /// Under the station's care (in the station or in hospital on its behalf).
    fn in_care(self) -> bool {
        matches!(self, CaseState::InStation | CaseState::InHospital)
    }

    /// After the stay ended alive.
    fn after_leave(self) -> bool {
        matches!(self, CaseState::Left | CaseState::FollowedUp)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a message type does to a case (the table of the module header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Always a phase event.
    Moves,
    /// A phase event or an annotation depending on payload facts (named here).
    MovesOn(&'static str),
    /// Never changes the phase (may still be refused after death, see [`transition`]).
    Annotates,
}

/// The one table: which messages move a case and which annotate it.
pub fn role(message_type: MessageType) -> Role {
    match message_type {
        MessageType::Referral
        | MessageType::PoliceEscortHandover
        | MessageType::HospitalAdmission
        | MessageType::FollowUpVisit => Role::Moves,
        MessageType::HandoverAck => Role::MovesOn("/payload/decision"),
        MessageType::StationIntake => Role::MovesOn("/payload/eligibility"),
        MessageType::StationLeave => Role::MovesOn("/payload/leave_mode"),
        MessageType::HospitalDischarge => {
            Role::MovesOn("/payload/notice_type, /payload/discharge_type")
        }
        MessageType::IncidentReport => Role::MovesOn("/payload/incident_type (DEATH_*)"),
        MessageType::IdentityUpdate => Role::MovesOn("/payload/change_type (DECEASED)"),
        MessageType::ReferralOutcome
        | MessageType::IdentityCheckRequest
        | MessageType::IdentityCheckAck
        | MessageType::IdentityCheckResult
        | MessageType::IdentityDigest
        | MessageType::AdmissionAck
        | MessageType::ReturnHomeNotice
        | MessageType::ReturnHomeReceipt
        | MessageType::MissingPersonNotice
        | MessageType::MissingPersonMatch
        | MessageType::SettlementRequest
        | MessageType::SettlementDecision
        | MessageType::HubRejected
        | MessageType::DeadlineNotice => Role::Annotates,
    }
}

/// A message reduced to what the state machine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// M01 / M02: found or referred.
    Found,
    /// M02A RECEIVED.
    HandoverReceived,
    /// M02A TO_HOSPITAL.
    HandoverToHospital,
    /// M02A NOT_RECEIVED.
    HandoverRefused,
    /// M08 ELIGIBLE / HELP_FIRST.
    Intake,
    /// M08 NOT_ELIGIBLE.
    IntakeNotEligible,
    /// M06.
    HospitalAdmission,
    /// M07 DISCHARGED (CURED / IMPROVED): back to the station.
    Discharged,
    /// M07 TRANSFERRED or PLANNED: still in hospital.
    HospitalNote,
    /// M07 SELF_LEFT: gave up help.
    DischargedSelfLeft,
    /// M09 TO_HOSPITAL.
    LeaveToHospital,
    /// M09, any mode but TO_HOSPITAL and DECEASED.
    Leave,
    /// M14.
    FollowUp,
    /// A death: M13 DEATH_*, M05 DECEASED, M07 DIED, M09 DECEASED.
    Death,
    /// M10 / M10A: a return home is planned or done (annotates a living person).
    ReturnHome,
    /// Annotates whatever the phase.
    Note,
}

fn text<'a>(payload: &'a Value, name: &str) -> &'a str {
    payload
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The event of a (validated) message: its type and the payload facts that matter.
pub fn event(message_type: MessageType, payload: &Value) -> Event {
    match message_type {
        MessageType::Referral | MessageType::PoliceEscortHandover => Event::Found,
        MessageType::HandoverAck => match text(payload, "decision") {
            "TO_HOSPITAL" => Event::HandoverToHospital,
            "NOT_RECEIVED" => Event::HandoverRefused,
            _ => Event::HandoverReceived,
        },
        MessageType::StationIntake => match text(payload, "eligibility") {
            "NOT_ELIGIBLE" => Event::IntakeNotEligible,
            _ => Event::Intake,
        },
        MessageType::HospitalAdmission => Event::HospitalAdmission,
        MessageType::HospitalDischarge => match (
            text(payload, "notice_type"),
            text(payload, "discharge_type"),
        ) {
            (_, "DIED") => Event::Death,
            ("PLANNED", _) | (_, "TRANSFERRED") => Event::HospitalNote,
            (_, "SELF_LEFT") => Event::DischargedSelfLeft,
            _ => Event::Discharged,
        },
        MessageType::StationLeave => match text(payload, "leave_mode") {
            "TO_HOSPITAL" => Event::LeaveToHospital,
            "DECEASED" => Event::Death,
            _ => Event::Leave,
        },
        MessageType::FollowUpVisit => Event::FollowUp,
        MessageType::IncidentReport => {
            if text(payload, "incident_type").starts_with("DEATH") {
                Event::Death
            } else {
                Event::Note
            }
        }
        MessageType::IdentityUpdate => {
            if text(payload, "change_type") == "DECEASED" {
                Event::Death
            } else {
                Event::Note
            }
        }
        MessageType::ReturnHomeNotice | MessageType::ReturnHomeReceipt => Event::ReturnHome,
        MessageType::ReferralOutcome
        | MessageType::IdentityCheckRequest
        | MessageType::IdentityCheckAck
        | MessageType::IdentityCheckResult
        | MessageType::IdentityDigest
        | MessageType::AdmissionAck
        | MessageType::MissingPersonNotice
        | MessageType::MissingPersonMatch
        | MessageType::SettlementRequest
        | MessageType::SettlementDecision
        | MessageType::HubRejected
        | MessageType::DeadlineNotice => Event::Note,
    }
}

/// A message the case's phase does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("case in state {from}: {message} is not allowed: {reason}")]
pub struct IllegalTransition {
    /// The case's state.
    pub from: CaseState,
    /// The message type (wire name).
    pub message: String,
    /// Why, in a sentence for the sender.
    pub reason: String,
}

/// What a legal message does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The case (new or known) is now in this state.
    Moved(CaseState),
    /// The case keeps its state (or stays unknown: `None`).
    Annotated(Option<CaseState>),
}

/// The phase a message opens an unknown case in (`None`: it annotates and opens nothing).
fn opening(event: Event) -> Option<CaseState> {
    Some(match event {
        Event::Found => CaseState::Found,
        Event::HandoverReceived => CaseState::HandedOver,
        Event::HandoverToHospital
        | Event::HospitalAdmission
        | Event::HospitalNote
        | Event::LeaveToHospital => CaseState::InHospital,
        Event::HandoverRefused | Event::IntakeNotEligible => CaseState::NotAdmitted,
        Event::Intake | Event::Discharged => CaseState::InStation,
        Event::DischargedSelfLeft | Event::Leave => CaseState::Left,
        Event::FollowUp => CaseState::FollowedUp,
        Event::Death => CaseState::Deceased,
        Event::ReturnHome | Event::Note => return None,
    })
}

/// The transition function. `state` is `None` for a case the hub has not seen.
pub fn transition(
    state: Option<CaseState>,
    message_type: MessageType,
    payload: &Value,
) -> Result<Step, IllegalTransition> {
    let event = event(message_type, payload);
    let Some(from) = state else {
        return Ok(match opening(event) {
            Some(to) => Step::Moved(to),
            None => Step::Annotated(None),
        });
    };
    let illegal = |reason: &str| IllegalTransition {
        from,
        message: message_type.as_str().to_owned(),
        reason: reason.to_owned(),
    };
    use CaseState as S;
    use Event as E;
    let to = match (from, event) {
        // Annotations: never move; only a dead person cannot go home.
        (_, E::Note) => None,
        (S::Deceased, E::ReturnHome) => {
            return Err(illegal(
                "the person is recorded as deceased; no return home can be arranged",
            ));
        }
        (_, E::ReturnHome) => None,
        // Death: from any phase; a later report of the same death annotates.
        (S::Deceased, E::Death) => None,
        (S::Left | S::FollowedUp, E::Death) if message_type == MessageType::StationLeave => {
            return Err(illegal(
                "the person already left the station; a death after leaving is reported with INCIDENT_REPORT",
            ));
        }
        (_, E::Death) => Some(S::Deceased),
        // Nothing but annotations and death reports after death.
        (S::Deceased, _) => {
            return Err(illegal(
                "the person is recorded as deceased; only annotations (reports, identity, settlement) may follow",
            ));
        }
        // Finding and handover.
        (S::Left | S::FollowedUp, E::Found | E::HandoverReceived | E::HandoverToHospital) => {
            return Err(illegal(
                "this case ended when the person left; a new finding is a new case (new case_id)",
            ));
        }
        (_, E::Found) => None,
        (S::Found | S::NotAdmitted, E::HandoverReceived) => Some(S::HandedOver),
        (_, E::HandoverReceived) => None,
        (s, E::HandoverToHospital) if s.before_station() => Some(S::InHospital),
        (_, E::HandoverToHospital) => None,
        (S::Found | S::HandedOver, E::HandoverRefused) => Some(S::NotAdmitted),
        (S::NotAdmitted, E::HandoverRefused) => None,
        (_, E::HandoverRefused) => {
            return Err(illegal(
                "the station already took the person in; it cannot refuse the handover now",
            ));
        }
        // Intake.
        (s, E::Intake) if s.before_station() || s == S::InHospital => Some(S::InStation),
        (S::InStation, E::Intake) => None,
        (_, E::Intake) => {
            return Err(illegal(
                "the person already left the station; a new stay is a new case (new case_id)",
            ));
        }
        (s, E::IntakeNotEligible) if s.before_station() => Some(S::NotAdmitted),
        (_, E::IntakeNotEligible) => {
            return Err(illegal(
                "the person was already admitted; end the stay with STATION_LEAVE (e.g. TERMINATED)",
            ));
        }
        // Hospital.
        (s, E::HospitalAdmission) if s.before_station() || s == S::InStation => Some(S::InHospital),
        (S::InHospital, E::HospitalAdmission) => None,
        (_, E::HospitalAdmission) => {
            return Err(illegal(
                "the person already left the station; a new admission is a new case (new case_id)",
            ));
        }
        (S::InHospital, E::Discharged) => Some(S::InStation),
        (_, E::Discharged | E::HospitalNote) => None,
        (S::InHospital, E::DischargedSelfLeft) => Some(S::Left),
        (_, E::DischargedSelfLeft) => None,
        // Leaving the station.
        (S::InStation, E::LeaveToHospital) => Some(S::InHospital),
        (S::InHospital, E::LeaveToHospital) => None,
        (s, E::Leave) if s.in_care() => Some(S::Left),
        (s, E::Leave | E::LeaveToHospital) if s.after_leave() => {
            return Err(illegal("the person already left the station"));
        }
        (_, E::Leave | E::LeaveToHospital) => {
            return Err(illegal(
                "the person is not registered in the station; send STATION_INTAKE first",
            ));
        }
        // Follow-up.
        (s, E::FollowUp) if s.after_leave() => Some(S::FollowedUp),
        (_, E::FollowUp) => {
            return Err(illegal(
                "a follow-up visit comes after the person left the station (STATION_LEAVE)",
            ));
        }
    };
    Ok(match to {
        Some(to) if to != from => Step::Moved(to),
        _ => Step::Annotated(Some(from)),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use CaseState as S;
    use MessageType as M;
    use serde_json::json;

    fn go(from: Option<S>, t: M, payload: Value) -> Result<Step, IllegalTransition> {
        transition(from, t, &payload)
    }

    fn moves(from: S, t: M, payload: Value, to: S) {
        assert_eq!(
            go(Some(from), t, payload.clone()),
            Ok(Step::Moved(to)),
            "{from} + {} {payload}",
            t.as_str()
        );
    }

    fn annotates(from: S, t: M, payload: Value) {
        assert_eq!(
            go(Some(from), t, payload.clone()),
            Ok(Step::Annotated(Some(from))),
            "{from} + {} {payload}",
            t.as_str()
        );
    }

    fn refuses(from: S, t: M, payload: Value) -> IllegalTransition {
        let error = go(Some(from), t, payload.clone()).expect_err(&format!(
            "{from} + {} {payload} must be refused",
            t.as_str()
        ));
        assert_eq!(error.from, from);
        assert_eq!(error.message, t.as_str());
        assert!(!error.reason.is_empty());
        error
    }

    #[test]
    fn every_legal_move() {
        let handover = |d: &str| json!({ "decision": d });
        let intake = |e: &str| json!({ "eligibility": e });
        let leave = |m: &str| json!({ "leave_mode": m });
        let discharge = |n: &str, d: &str| json!({ "notice_type": n, "discharge_type": d });
        let death = json!({ "incident_type": "DEATH_NORMAL" });
        // Before the station.
        moves(
            S::Found,
            M::HandoverAck,
            handover("RECEIVED"),
            S::HandedOver,
        );
        moves(
            S::NotAdmitted,
            M::HandoverAck,
            handover("RECEIVED"),
            S::HandedOver,
        );
        for from in [S::Found, S::HandedOver, S::NotAdmitted] {
            moves(from, M::HandoverAck, handover("TO_HOSPITAL"), S::InHospital);
            moves(from, M::StationIntake, intake("ELIGIBLE"), S::InStation);
            moves(from, M::StationIntake, intake("HELP_FIRST"), S::InStation);
            moves(from, M::HospitalAdmission, json!({}), S::InHospital);
        }
        for from in [S::Found, S::HandedOver] {
            moves(
                from,
                M::HandoverAck,
                handover("NOT_RECEIVED"),
                S::NotAdmitted,
            );
            moves(
                from,
                M::StationIntake,
                intake("NOT_ELIGIBLE"),
                S::NotAdmitted,
            );
        }
        // In care.
        moves(
            S::InHospital,
            M::StationIntake,
            intake("ELIGIBLE"),
            S::InStation,
        );
        moves(S::InStation, M::HospitalAdmission, json!({}), S::InHospital);
        moves(
            S::InStation,
            M::StationLeave,
            leave("TO_HOSPITAL"),
            S::InHospital,
        );
        moves(
            S::InHospital,
            M::HospitalDischarge,
            discharge("DISCHARGED", "CURED"),
            S::InStation,
        );
        moves(
            S::InHospital,
            M::HospitalDischarge,
            discharge("DISCHARGED", "IMPROVED"),
            S::InStation,
        );
        moves(
            S::InHospital,
            M::HospitalDischarge,
            discharge("DISCHARGED", "SELF_LEFT"),
            S::Left,
        );
        for from in [S::InStation, S::InHospital] {
            for mode in [
                "TICKET_SELF_RETURN",
                "SELF_LEAVE_DECLARED",
                "COLLECTED_BY_RELATIVE",
                "ESCORTED_HOME",
                "TRANSFERRED_STATION",
                "PLACED_CARE",
                "SETTLED_HUKOU",
                "TERMINATED",
                "ABSCONDED",
                "OTHER",
            ] {
                moves(from, M::StationLeave, leave(mode), S::Left);
            }
            moves(from, M::StationLeave, leave("DECEASED"), S::Deceased);
        }
        // After leaving.
        moves(S::Left, M::FollowUpVisit, json!({}), S::FollowedUp);
        // Death from every living phase.
        for from in [
            S::Found,
            S::HandedOver,
            S::NotAdmitted,
            S::InStation,
            S::InHospital,
            S::Left,
            S::FollowedUp,
        ] {
            moves(from, M::IncidentReport, death.clone(), S::Deceased);
            moves(
                from,
                M::IdentityUpdate,
                json!({ "change_type": "DECEASED" }),
                S::Deceased,
            );
            moves(
                from,
                M::HospitalDischarge,
                discharge("DISCHARGED", "DIED"),
                S::Deceased,
            );
        }
    }

    #[test]
    fn unknown_cases_open_in_the_implied_phase() {
        let open = |t: M, p: Value| go(None, t, p).unwrap();
        assert_eq!(open(M::Referral, json!({})), Step::Moved(S::Found));
        assert_eq!(
            open(M::HandoverAck, json!({"decision": "RECEIVED"})),
            Step::Moved(S::HandedOver)
        );
        assert_eq!(
            open(M::StationIntake, json!({"eligibility": "ELIGIBLE"})),
            Step::Moved(S::InStation)
        );
        assert_eq!(
            open(M::StationLeave, json!({"leave_mode": "ESCORTED_HOME"})),
            Step::Moved(S::Left)
        );
        assert_eq!(
            open(M::FollowUpVisit, json!({})),
            Step::Moved(S::FollowedUp)
        );
        assert_eq!(
            open(
                M::IncidentReport,
                json!({"incident_type": "DEATH_ABNORMAL"})
            ),
            Step::Moved(S::Deceased)
        );
        assert_eq!(
            open(M::IdentityCheckRequest, json!({})),
            Step::Annotated(None)
        );
        assert_eq!(open(M::ReturnHomeNotice, json!({})), Step::Annotated(None));
    }

    #[test]
    fn annotations_never_move() {
        let notes = [
            M::ReferralOutcome,
            M::IdentityCheckRequest,
            M::IdentityCheckResult,
            M::AdmissionAck,
            M::MissingPersonNotice,
            M::MissingPersonMatch,
            M::SettlementRequest,
            M::SettlementDecision,
            M::HubRejected,
        ];
        for from in S::ALL {
            for t in notes {
                assert_eq!(role(t), Role::Annotates);
                annotates(from, t, json!({}));
            }
            annotates(
                from,
                M::IdentityUpdate,
                json!({ "change_type": "VERIFIED" }),
            );
            annotates(
                from,
                M::IncidentReport,
                json!({ "incident_type": "SELF_HARM" }),
            );
        }
        // Messy but harmless: late or repeated messages annotate.
        annotates(S::InStation, M::Referral, json!({}));
        annotates(
            S::InStation,
            M::HandoverAck,
            json!({"decision": "RECEIVED"}),
        );
        annotates(
            S::InStation,
            M::StationIntake,
            json!({"eligibility": "ELIGIBLE"}),
        );
        annotates(S::InHospital, M::HospitalAdmission, json!({}));
        annotates(
            S::InHospital,
            M::HospitalDischarge,
            json!({"notice_type": "PLANNED", "discharge_type": "IMPROVED"}),
        );
        annotates(
            S::InHospital,
            M::HospitalDischarge,
            json!({"notice_type": "DISCHARGED", "discharge_type": "TRANSFERRED"}),
        );
        annotates(S::InStation, M::ReturnHomeNotice, json!({}));
        annotates(S::Left, M::ReturnHomeReceipt, json!({}));
        annotates(S::FollowedUp, M::FollowUpVisit, json!({}));
        annotates(
            S::Deceased,
            M::IncidentReport,
            json!({"incident_type": "DEATH_NORMAL"}),
        );
        annotates(
            S::Deceased,
            M::StationLeave,
            json!({"leave_mode": "DECEASED"}),
        );
        annotates(
            S::Deceased,
            M::IdentityUpdate,
            json!({"change_type": "DECEASED"}),
        );
    }

    #[test]
    fn contradictions_are_refused_with_a_reason() {
        let leave = json!({ "leave_mode": "ESCORTED_HOME" });
        for from in [S::Found, S::HandedOver, S::NotAdmitted] {
            let e = refuses(from, M::StationLeave, leave.clone());
            assert!(e.reason.contains("STATION_INTAKE"), "{e}");
            refuses(from, M::FollowUpVisit, json!({}));
        }
        for from in [S::Left, S::FollowedUp] {
            assert!(
                refuses(from, M::StationLeave, leave.clone())
                    .reason
                    .contains("already left")
            );
            refuses(from, M::StationIntake, json!({"eligibility": "ELIGIBLE"}));
            refuses(from, M::HospitalAdmission, json!({}));
            refuses(from, M::Referral, json!({}));
            refuses(from, M::StationLeave, json!({"leave_mode": "DECEASED"}));
        }
        for from in [S::InStation, S::InHospital] {
            refuses(from, M::FollowUpVisit, json!({}));
            refuses(from, M::HandoverAck, json!({"decision": "NOT_RECEIVED"}));
            refuses(
                from,
                M::StationIntake,
                json!({"eligibility": "NOT_ELIGIBLE"}),
            );
        }
        for t in [
            M::StationIntake,
            M::StationLeave,
            M::HospitalAdmission,
            M::FollowUpVisit,
            M::ReturnHomeNotice,
            M::Referral,
            M::HandoverAck,
        ] {
            let e = refuses(
                S::Deceased,
                t,
                json!({"eligibility": "ELIGIBLE", "leave_mode": "ESCORTED_HOME", "decision": "RECEIVED"}),
            );
            assert!(e.reason.contains("deceased"), "{e}");
        }
        refuses(
            S::Deceased,
            M::HospitalDischarge,
            json!({"notice_type": "DISCHARGED", "discharge_type": "CURED"}),
        );
    }

    #[test]
    fn states_round_trip_their_wire_names() {
        for s in S::ALL {
            assert_eq!(S::from_wire(s.as_str()), Some(s));
        }
        assert_eq!(S::from_wire("CLOSED"), None);
    }
}
