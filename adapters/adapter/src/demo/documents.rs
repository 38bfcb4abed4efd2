//! The native documents the demo's department systems send: the golden decode documents of
//! each department (`tests/golden/<dept>/decode/`), compiled into the binary, and the few
//! edits the hub's rules need.
//!
//! The golden documents carry fixed ids and dates. Ids are fine as they are (the demo runs
//! on a fresh hub store and fresh adapter stores, so nothing is a duplicate), but an
//! **answer must name what it answers**: the hub routes `REFERRAL_OUTCOME` to the sender of
//! the message its `correlation_id` names (`ORIGINAL_SENDER` in `hub/hub.example.toml`), and
//! the HIS's admission acknowledgement names the `ADT^A05` it answers in `ZHE-5`. Those
//! values only exist once the earlier document was delivered, so the answers are built here
//! from the golden ones with exactly those fields replaced:
//!
//! | document | field | replaced by |
//! |---|---|---|
//! | station `handoverAck` | `head.correlationId` | the `docNo` of the `escortHandover` the station received |
//! | HIS `ADT^A01` | `ZHE-5`, `PV1-5` | `MSH-10` and `PV1-5` (送医单号) of the `ADT^A05` the HIS received |
//! | HIS `ADT^A03` | `PV1-19` | the 住院号 of the `ADT^A01` above, so the discharge closes that stay |
//! | station `referralOutcome` | `head.correlationId` | the `docNo` of the `referral` the station received |
//!
//! Every other byte is the golden document's. Each edit is recorded in
//! [`Document::edits`] and printed.
//!
//! Invariant: edits never write a delimiter into a value (HL7 `|^~\&`, CR; refused by
//! [`dept_sim::hl7::set_field`]), so an edit cannot change a document's structure.

use dept_sim::ViewError;
use serde_json::Value;

/// A native document a department system sends, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The golden file it was built from, relative to `tests/golden/`.
    pub golden: &'static str,
    /// What it is, in the department's words (`事件上报 eventReport (JSON)`).
    pub kind: &'static str,
    /// The content type it is sent with (HTTP; informative for MLLP).
    pub content_type: &'static str,
    /// The bytes sent.
    pub body: Vec<u8>,
    /// The fields replaced in the golden document (`head.correlationId ← …`); empty when the
    /// document is sent as it is.
    pub edits: Vec<String>,
}

/// Why a document could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A golden document is not what the demo expects (a broken build).
    #[error("golden document {golden}: {detail}")]
    Golden {
        /// The golden file.
        golden: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A value taken from a delivered document cannot be written into the next one.
    #[error("cannot write {value:?} into {field} of {golden}: {detail}")]
    Value {
        /// The golden file.
        golden: &'static str,
        /// The field.
        field: String,
        /// The value.
        value: String,
        /// Why.
        detail: String,
    },
}

macro_rules! golden {
    ($path:literal) => {
        (
            $path,
            include_bytes!(concat!("../../../../tests/golden/", $path)).as_slice(),
        )
    };
}

const GRID_EVENT: (&str, &[u8]) = golden!("grid/decode/event_0306_sighting_bus_stop.json");
const POLICE_HANDOVER: (&str, &[u8]) = golden!("police/decode/jjb_typical_gb18030.xml");
const STATION_HANDOVER_ACK: (&str, &[u8]) =
    golden!("station/decode/sent__handover_ack__received.json");
const STATION_ADMISSION: (&str, &[u8]) =
    golden!("station/decode/sent__hospital_admission__station_injured_known_person.json");
const HIS_ADMISSION_ACK: (&str, &[u8]) = golden!("health/decode/admission_ack_admitted.hl7");
const HIS_DISCHARGE: (&str, &[u8]) = golden!("health/decode/discharge_died.hl7");
const STATION_OUTCOME: (&str, &[u8]) =
    golden!("station/decode/sent__referral_outcome__admitted_after_grid_referral.json");

/// The station system's JSON content type (and the grid platform's).
const JSON: &str = "application/json; charset=UTF-8";
/// HL7 v2 (ER7) — sent over MLLP, which has no content type.
const HL7: &str = "x-application/hl7-v2+er7";

fn unchanged(
    (golden, body): (&'static str, &[u8]),
    kind: &'static str,
    content_type: &'static str,
) -> Document {
    Document {
        golden,
        kind,
        content_type,
        body: body.to_vec(),
        edits: Vec::new(),
    }
}

/// 事件上报: the grid platform distributes a 0306 流浪乞讨人员发现 event to the station.
pub(crate) fn grid_event() -> Document {
    unchanged(GRID_EVENT, "事件上报 eventReport (JSON)", JSON)
}

/// 交接表 `JJB`: the police's escort handover form (XML, GB18030 as the golden declares).
pub(crate) fn police_handover() -> Document {
    unchanged(
        POLICE_HANDOVER,
        "交接表 JJB (XML, GB18030)",
        "application/xml; charset=GB18030",
    )
}

/// The station signs for the handover; `handover_doc_no` is the `docNo` of the
/// `escortHandover` as the station received it.
pub(crate) fn handover_ack(handover_doc_no: &str) -> Result<Document, DocumentError> {
    json_with_correlation(
        STATION_HANDOVER_ACK,
        "签收 handoverAck (REST JSON)",
        handover_doc_no,
        "the docNo of the escortHandover the station received",
    )
}

/// 送医: the station takes a person to the designated hospital.
pub(crate) fn hospital_admission() -> Document {
    unchanged(
        STATION_ADMISSION,
        "送医 hospitalAdmission (REST JSON)",
        JSON,
    )
}

/// The HIS admits the patient of `a05` (the `ADT^A05` it received): `ZHE-5` and `PV1-5`
/// name that pre-admission.
pub(crate) fn admission_ack(
    a05_message_control_id: &str,
    a05_transfer_id: &str,
) -> Result<Document, DocumentError> {
    let (golden, body) = HIS_ADMISSION_ACK;
    let body = set_hl7_field(golden, body, "ZHE", 5, a05_message_control_id)?;
    let body = set_hl7_field(golden, &body, "PV1", 5, a05_transfer_id)?;
    Ok(Document {
        golden,
        kind: "收治 ADT^A01 (HL7 v2.5 over MLLP)",
        content_type: HL7,
        body,
        edits: vec![
            format!("ZHE-5 ← {a05_message_control_id} (MSH-10 of the ADT^A05 the HIS received)"),
            format!("PV1-5 ← {a05_transfer_id} (PV1-5 送医单号 of that ADT^A05)"),
        ],
    })
}

/// The HIS discharges the patient of the stay `admission_no` (PV1-19 of the `ADT^A01`).
pub(crate) fn discharge(admission_no: &str) -> Result<Document, DocumentError> {
    let (golden, body) = HIS_DISCHARGE;
    let body = set_hl7_field(golden, body, "PV1", 19, admission_no)?;
    Ok(Document {
        golden,
        kind: "出院 ADT^A03 (HL7 v2.5 over MLLP)",
        content_type: HL7,
        body,
        edits: vec![format!(
            "PV1-19 ← {admission_no} (the 住院号 of the ADT^A01 above)"
        )],
    })
}

/// The station tells the referrer how the referral ended; `referral_doc_no` is the `docNo`
/// of the `referral` as the station received it.
pub(crate) fn referral_outcome(referral_doc_no: &str) -> Result<Document, DocumentError> {
    json_with_correlation(
        STATION_OUTCOME,
        "转介反馈 referralOutcome (REST JSON)",
        referral_doc_no,
        "the docNo of the referral the station received",
    )
}

/// A golden station document with `head.correlationId` replaced.
fn json_with_correlation(
    (golden, body): (&'static str, &[u8]),
    kind: &'static str,
    correlation_id: &str,
    what: &str,
) -> Result<Document, DocumentError> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| DocumentError::Golden {
        golden,
        detail: format!("not JSON: {e}"),
    })?;
    let head = value
        .get_mut("head")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| DocumentError::Golden {
            golden,
            detail: "no head object".to_owned(),
        })?;
    head.insert(
        "correlationId".to_owned(),
        Value::from(correlation_id.to_owned()),
    );
    let body = serde_json::to_vec_pretty(&value).map_err(|e| DocumentError::Golden {
        golden,
        detail: e.to_string(),
    })?;
    Ok(Document {
        golden,
        kind,
        content_type: JSON,
        body,
        edits: vec![format!("head.correlationId ← {correlation_id} ({what})")],
    })
}

/// Sets `segment`-`field` (HL7 numbering) of the golden HL7 message `body` to `value` with
/// [`dept_sim::hl7::set_field`]: every other byte is kept, and a value holding an HL7
/// delimiter is refused.
fn set_hl7_field(
    golden: &'static str,
    body: &[u8],
    segment: &str,
    field: usize,
    value: &str,
) -> Result<Vec<u8>, DocumentError> {
    dept_sim::hl7::set_field(body, segment, field, value).map_err(|error| match error {
        ViewError::Hl7Edit {
            field,
            value,
            reason,
        } => DocumentError::Value {
            golden,
            field,
            value,
            detail: reason,
        },
        other => DocumentError::Golden {
            golden,
            detail: other.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn hl7_edits_name_the_golden_document_when_refused() {
        let text = b"MSH|^~\\&|A\rPV1|1|I|x\rZHE|ADMISSION_ACK||||old\r";
        let edited = set_hl7_field("t", text, "ZHE", 5, "new").unwrap();
        assert_eq!(
            edited,
            b"MSH|^~\\&|A\rPV1|1|I|x\rZHE|ADMISSION_ACK||||new\r"
        );
        let refused = set_hl7_field("t", text, "PV1", 3, "a^b").unwrap_err();
        assert!(
            matches!(&refused, DocumentError::Value { golden: "t", field, value, .. }
                if field == "PV1-3" && value == "a^b"),
            "{refused:?}"
        );
        assert!(matches!(
            set_hl7_field("t", text, "OBX", 3, "a"),
            Err(DocumentError::Value { .. })
        ));
        assert!(matches!(
            set_hl7_field("t", b"not hl7", "PV1", 3, "a"),
            Err(DocumentError::Golden { golden: "t", .. })
        ));
    }

    #[test]
    fn answers_name_what_they_answer_and_nothing_else_changes() {
        let ack = handover_ack("id-1").unwrap();
        let value: Value = serde_json::from_slice(&ack.body).unwrap();
        let mut golden: Value = serde_json::from_slice(STATION_HANDOVER_ACK.1).unwrap();
        golden["head"]["correlationId"] = Value::from("id-1");
        assert_eq!(value, golden);
        assert_eq!(ack.edits.len(), 1);

        let a01 = admission_ack("a05-id", "JZ-SY-1").unwrap();
        let text = String::from_utf8(a01.body).unwrap();
        assert!(text.contains("\rZHE|ADMISSION_ACK||||a05-id"), "{text}");
        assert!(
            text.contains("\rPV1|1|I|精神心理科^0501^12^TCDYRMYY||JZ-SY-1|"),
            "{text}"
        );
        // Only those two values changed.
        let golden = std::str::from_utf8(HIS_ADMISSION_ACK.1)
            .unwrap()
            .replace("5afad5d8-e1e6-4b3a-911c-5158a05d9867", "a05-id")
            .replace("GA-SY-20250308-0031", "JZ-SY-1");
        assert_eq!(text, golden);

        let a03 = discharge("ZY1").unwrap();
        let text = String::from_utf8(a03.body).unwrap();
        let golden = std::str::from_utf8(HIS_DISCHARGE.1)
            .unwrap()
            .replace("ZY2025042203", "ZY1");
        assert_eq!(text, golden);

        assert!(grid_event().edits.is_empty());
        assert!(police_handover().edits.is_empty());
        assert!(hospital_admission().edits.is_empty());
    }
}
