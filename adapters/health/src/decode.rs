//! Decoding: one HL7 message (bytes as the HIS sends them, MLLP framing removed) → one
//! canonical envelope.
//!
//! Steps: read the bytes in the character set MSH-18 declares; parse ER7 with the
//! delimiters MSH-1/MSH-2 declare; read MSH (type, control id, time, version); translate
//! the payload by document kind; build the envelope.
//!
//! The envelope (invariants):
//! * `message_id` = [`adapter_core::ids::message_id`]`(HEALTH, MSH-10, type, 0)`: a HIS that
//!   resends a message after a timeout resends the same canonical message.
//! * `sender_org_code`, `sender_system`, `region_code` come from the [`DecodeContext`] (the
//!   adapter's configuration says who is at the other end of the connection), `sent_at`
//!   from MSH-7. Only a message the hub wrote on behalf of another department (ZHE-3 names
//!   it; read back by a HIS simulator) takes them from MSH-4, MSH-3 and ZHE-12: a HIS cannot
//!   use that to pass as another department, the hub checks the sender type against the
//!   authenticated department.
//! * The fields a HIS cannot know come from the `ZHE` segment when the message has one
//!   (messages the hub wrote do), else from per-type defaults ([`defaults`]): legal basis and
//!   purpose by type (plus `MINOR_LAW_ART92` when the payload concerns a minor), sensitivity
//!   `SENSITIVE_MINOR` for a minor, else by type; sender type `HEALTH`; receivers from the
//!   context; the schema version the interface speaks (REFERRAL 2.0.0, others 1.0.0).
//! * An answer (ADMISSION_ACK, REFERRAL_OUTCOME, HUB_REJECTED) must name the message it
//!   answers in `ZHE-5`: the HIS copies the MSH-10 of the ADT^A05 it received.

use adapter_core::{CodecError, DecodeContext, Decoded, NativeRef, ids};
use contracts::MessageType;
use contracts::model::admission_ack::AdmissionAck;
use contracts::model::envelope::{LegalBasis, Purpose, Signature};
use contracts::model::hospital_admission::{AdmissionReason, HospitalAdmission};
use contracts::model::hospital_discharge::{HospitalDischarge, NoticeType};
use contracts::model::hub_rejected::{HubRejected, RejectionReason};
use contracts::model::identity_update::IdentityUpdate;
use contracts::model::incident_report::{
    DeathDetails, IncidentReport, Notification, PersonInvolved, ReportStage,
};
use contracts::model::referral::{
    ReferralSubjectV1, ReferralSubjectV2, ReferralV1, ReferralV2, Reporter, SourceEventClass,
    Urgency,
};
use contracts::model::referral_outcome::ReferralOutcome;
use contracts::model::station_leave::{Collector, Destination, StationLeave, TravelVoucher};
use contracts::model::{Actor, Envelope, Org, Sensitivity, Staff};
use serde::Serialize;
use serde_json::Value;

use crate::hl7::{self, Field, Message, Segment};
use crate::native::obx::{Observations, field_name};
use crate::native::parts::{
    self, FlatLocation, coded, invalid, missing, read_attachment, read_attachments_opt,
    read_belongings, read_dg1, read_health, read_identity, read_physical, read_prd, read_rol,
    read_ts, read_zlo, req, req_ts, rol_slot,
};
use crate::native::{
    ACTOR, CERTIFICATE_ISSUER, CHANGE_TYPE, DISCHARGE_TYPE, DocumentKind, HEALTH_CATEGORY,
    INCIDENT_TYPE, INVOLVEMENT_ROLE, LEAVE_MODE, LEGAL_BASIS, MENTAL_STATE_ASSESSMENT,
    OBR_INCIDENT, OBR_STATION_LEAVE, PAYER, PURPOSE, REFERRAL_OUTCOME, REJECTION_STAGE,
    REPORTER_KIND, REQUESTED_ACTION, SENSITIVITY, SEVERITY, SEX, SIGNATURE_ALGORITHM,
    SOURCE_OF_TRUTH, SOURCE_SYSTEM, STAFF_ROLE, TRAVEL_MODE, TREATMENT_CATEGORY, WILLINGNESS,
    attachment_role, code, datatypes,
};

/// Location names used in NativeRef.reply_to (the ACK swaps and echoes them).
pub(crate) mod reply_key {
    /// Sending application of the answered message.
    pub(crate) const SENDING_APPLICATION: &str = "MSH-3";
    /// Sending facility.
    pub(crate) const SENDING_FACILITY: &str = "MSH-4";
    /// Receiving application.
    pub(crate) const RECEIVING_APPLICATION: &str = "MSH-5";
    /// Receiving facility.
    pub(crate) const RECEIVING_FACILITY: &str = "MSH-6";
    /// Message type and trigger (`ADT^A01`).
    pub(crate) const MESSAGE_TYPE: &str = "MSH-9";
    /// Processing id.
    pub(crate) const PROCESSING_ID: &str = "MSH-11";
    /// Version id.
    pub(crate) const VERSION_ID: &str = "MSH-12";
    /// When the adapter received the message (RFC 3339, from the decode context).
    pub(crate) const RECEIVED_AT: &str = "received_at";
}

/// What the MSH says about the message.
#[derive(Debug)]
struct Header {
    kind: DocumentKind,
    control_id: String,
    sent_at: String,
}

/// Decodes one HL7 message.
pub(crate) fn decode(native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
    let (text, charset) = hl7::decode_bytes(native)?;
    let message = Message::parse(&text, charset)?;
    let header = read_header(&message)?;
    let zhe = Zhe::read(&message)?;
    let (message_type, major, payload) = payload_of(&message, header.kind, &zhe)?;
    let envelope = envelope(&message, &header, &zhe, ctx, message_type, major, payload)?;
    Ok(Decoded {
        native_ref: native_ref(&message, ctx),
        messages: vec![envelope],
    })
}

/// What identifies a message, from its MSH alone: for the answer to a message that could
/// not be decoded (`None` when not even the MSH is readable).
pub(crate) fn identify(native: &[u8], ctx: &DecodeContext) -> Option<NativeRef> {
    let (text, charset) = hl7::decode_bytes(native).ok()?;
    let first_line = text.split(['\r', '\n']).next().unwrap_or_default();
    let message = Message::parse(first_line, charset).ok()?;
    Some(native_ref(&message, ctx))
}

fn native_ref(message: &Message, ctx: &DecodeContext) -> NativeRef {
    let msh = message.segment("MSH");
    let field = |n: usize| {
        msh.and_then(|m| m.field(n))
            .map(Field::to_er7)
            .unwrap_or_default()
    };
    let kind = match (
        msh.and_then(|m| m.comp(9, 1)),
        msh.and_then(|m| m.comp(9, 2)),
    ) {
        (Some(t), Some(e)) => format!("{t}^{e}"),
        (Some(t), None) => t.to_owned(),
        _ => String::new(),
    };
    let mut reply_to = std::collections::BTreeMap::new();
    for (key, n) in [
        (reply_key::SENDING_APPLICATION, 3),
        (reply_key::SENDING_FACILITY, 4),
        (reply_key::RECEIVING_APPLICATION, 5),
        (reply_key::RECEIVING_FACILITY, 6),
        (reply_key::PROCESSING_ID, 11),
        (reply_key::VERSION_ID, 12),
    ] {
        reply_to.insert(key.to_owned(), field(n));
    }
    reply_to.insert(reply_key::MESSAGE_TYPE.to_owned(), kind.clone());
    reply_to.insert(reply_key::RECEIVED_AT.to_owned(), ctx.received_at.clone());
    NativeRef {
        document_id: msh.and_then(|m| m.text(10)).unwrap_or_default().to_owned(),
        document_kind: kind,
        reply_to,
    }
}

fn read_header(message: &Message) -> Result<Header, CodecError> {
    let Some(msh) = message.segment("MSH") else {
        return Err(hl7::malformed("segment 1", "no MSH segment"));
    };
    let message_type = req(
        msh.comp(9, 1),
        "MSH-9",
        "消息类型 message type (e.g. ADT^A01)",
    )?;
    let trigger = msh.comp(9, 2).unwrap_or_default();
    let kind = DocumentKind::from_msh9(message_type, trigger).ok_or_else(|| {
        CodecError::UnsupportedKind {
            kind: if trigger.is_empty() {
                message_type.to_owned()
            } else {
                format!("{message_type}^{trigger}")
            },
            detail: "this interface translates REF^I12, RRI^I12, ADT^A01, ADT^A03, ADT^A05, \
                     ADT^A08, ADT^A16, ADT^A38, ORU^R01 and ACK (see FORMAT.md)"
                .to_owned(),
        }
    })?;
    let control_id = req(msh.text(10), "MSH-10", "消息控制号 message control ID")?.to_owned();
    let sent_at = req_ts(msh, 7, "消息时间 date/time of message")?;
    let version = req(msh.text(12), "MSH-12", "版本号 version ID (2.5)")?;
    if !version.starts_with("2.") {
        return Err(invalid(
            "MSH-12",
            version,
            "this interface speaks HL7 v2 (2.5)",
        ));
    }
    Ok(Header {
        kind,
        control_id,
        sent_at,
    })
}

/// The hub envelope segment: `ZHE|type|version|sender type|case_id|correlation_id|
/// receivers~…|legal basis~…|purpose|sensitivity|retention (DT)|alg^key id^signature|region`.
#[derive(Debug, Default)]
struct Zhe {
    message_type: Option<String>,
    schema_version: Option<String>,
    sender_org_type: Option<Actor>,
    case_id: Option<String>,
    correlation_id: Option<String>,
    /// `None` when ZHE-6 is empty (the context's receivers apply), `Some([])` for `""`.
    receivers: Option<Vec<String>>,
    legal_basis: Option<Vec<LegalBasis>>,
    purpose: Option<Purpose>,
    sensitivity: Option<Sensitivity>,
    retention_until: Option<String>,
    signature: Option<Signature>,
    region_code: Option<String>,
}

impl Zhe {
    fn read(message: &Message) -> Result<Zhe, CodecError> {
        let Some(z) = message.segment("ZHE") else {
            return Ok(Zhe::default());
        };
        let text = |n: usize| z.text(n).map(str::to_owned);
        let receivers = if z.is_null(6) {
            Some(Vec::new())
        } else {
            let all: Vec<String> = z
                .reps(6)
                .filter_map(|r| r.comp(1))
                .map(str::to_owned)
                .collect();
            (!all.is_empty()).then_some(all)
        };
        let legal: Vec<LegalBasis> = z
            .reps(7)
            .filter_map(|r| r.comp(1))
            .map(|v| coded(v, "ZHE-7", &LEGAL_BASIS))
            .collect::<Result<_, _>>()?;
        let signature = match z.field(11).and_then(Field::first) {
            Some(rep) if !rep.is_empty() && !rep.is_null() => Some(Signature {
                algorithm: coded(
                    req(rep.comp(1), "ZHE-11.1", "签名算法 signature algorithm")?,
                    "ZHE-11.1",
                    &SIGNATURE_ALGORITHM,
                )?,
                key_id: req(rep.comp(2), "ZHE-11.2", "密钥标识 key id")?.to_owned(),
                value: req(rep.comp(3), "ZHE-11.3", "签名值 signature value")?.to_owned(),
            }),
            _ => None,
        };
        Ok(Zhe {
            message_type: text(1),
            schema_version: text(2),
            sender_org_type: z.text(3).map(|v| coded(v, "ZHE-3", &ACTOR)).transpose()?,
            case_id: text(4),
            correlation_id: text(5),
            receivers,
            legal_basis: (!legal.is_empty()).then_some(legal),
            purpose: z.text(8).map(|v| coded(v, "ZHE-8", &PURPOSE)).transpose()?,
            sensitivity: z
                .text(9)
                .map(|v| coded(v, "ZHE-9", &SENSITIVITY))
                .transpose()?,
            retention_until: z
                .text(10)
                .map(|v| datatypes::date_of(v).map_err(|detail| invalid("ZHE-10", v, &detail)))
                .transpose()?,
            signature,
            region_code: text(12),
        })
    }
}

/// The default envelope fields of a type: legal basis, purpose, sensitivity.
pub(crate) fn defaults(message_type: MessageType) -> (&'static [LegalBasis], Purpose, Sensitivity) {
    use LegalBasis::*;
    match message_type {
        MessageType::Referral => (
            &[Pipl13_1_3, Mca2006_6],
            Purpose::RescueReferral,
            Sensitivity::Sensitive,
        ),
        MessageType::AdmissionAck | MessageType::HospitalAdmission => (
            &[Pipl13_1_3, Mca2006_6],
            Purpose::MedicalTreatment,
            Sensitivity::Sensitive,
        ),
        MessageType::HospitalDischarge => (
            &[Pipl13_1_3, Mca2014_132],
            Purpose::MedicalTreatment,
            Sensitivity::Sensitive,
        ),
        MessageType::IncidentReport => (
            &[Pipl13_1_3, Mca2006_6],
            Purpose::IncidentReporting,
            Sensitivity::Sensitive,
        ),
        MessageType::IdentityUpdate => (
            &[Pipl13_1_3, McaMps2015],
            Purpose::IdentityVerification,
            Sensitivity::Sensitive,
        ),
        MessageType::ReferralOutcome => (
            &[Pipl13_1_3, Mca2014_132],
            Purpose::CaseClosure,
            Sensitivity::General,
        ),
        MessageType::StationLeave => (
            &[Pipl13_1_3, Mca2014_132],
            Purpose::StationCare,
            Sensitivity::Sensitive,
        ),
        _ => (&[Pipl13_1_3], Purpose::HubNotice, Sensitivity::General),
    }
}

/// Whether a payload concerns a minor (any `is_minor`, `is_minor_suspected` or
/// `subject_is_minor` that is true), as the contracts' `minor-sensitivity` rule reads it.
fn concerns_minor(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            ["is_minor", "is_minor_suspected", "subject_is_minor"]
                .iter()
                .any(|k| map.get(*k) == Some(&Value::Bool(true)))
                || map.values().any(concerns_minor)
        }
        Value::Array(items) => items.iter().any(concerns_minor),
        _ => false,
    }
}

/// The major versions this interface carries per type, and the one it reads by default.
fn majors(message_type: MessageType) -> (&'static [u32], u32) {
    match message_type {
        MessageType::Referral => (&[1, 2], 2),
        _ => (&[1], 1),
    }
}

fn envelope(
    message: &Message,
    header: &Header,
    zhe: &Zhe,
    ctx: &DecodeContext,
    message_type: MessageType,
    major: u32,
    payload: Value,
) -> Result<Envelope<Value>, CodecError> {
    let (legal, purpose, sensitivity) = defaults(message_type);
    let minor = concerns_minor(&payload);
    let mut legal_basis = legal.to_vec();
    if minor && !legal_basis.contains(&LegalBasis::MinorLawArt92) {
        legal_basis.push(LegalBasis::MinorLawArt92);
    }
    let case_id = zhe.case_id.clone().or_else(|| match message_type {
        MessageType::IdentityUpdate | MessageType::StationLeave => payload
            .get("case_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    });
    let needs_correlation = match message_type {
        MessageType::AdmissionAck | MessageType::ReferralOutcome => true,
        MessageType::HubRejected => !matches!(
            payload.get("stage").and_then(Value::as_str),
            Some("PARSE" | "ENVELOPE")
        ),
        _ => false,
    };
    if needs_correlation && zhe.correlation_id.is_none() {
        return Err(missing(
            "ZHE-5",
            "关联消息 correlation id: the MSH-10 of the message this one answers (for ADT^A01/A38, the ADT^A05's)",
        ));
    }
    let attachments = read_attachments_opt(message, attachment_role::ENVELOPE, "")?;
    // A message the hub wrote for the HIS on behalf of another department names that
    // department's system and code in MSH-3/MSH-4; the HIS's own messages are its own.
    let (sender_org_code, sender_system) = match zhe.sender_org_type {
        Some(actor) if actor != Actor::Health => {
            let msh = segment(message, "MSH", "message header")?;
            (
                req(msh.comp(4, 1), "MSH-4", "发送单位代码 sending facility")?.to_owned(),
                req(msh.comp(3, 1), "MSH-3", "发送系统 sending application")?.to_owned(),
            )
        }
        _ => (ctx.sender_org_code.clone(), ctx.sender_system.clone()),
    };
    Ok(Envelope {
        message_id: ids::message_id(Actor::Health, &header.control_id, message_type, 0),
        message_type,
        schema_version: zhe
            .schema_version
            .clone()
            .unwrap_or_else(|| format!("{major}.0.0")),
        case_id,
        correlation_id: zhe.correlation_id.clone(),
        sender_org_code,
        sender_org_type: zhe.sender_org_type.unwrap_or(Actor::Health),
        sender_system,
        receiver_org_codes: zhe
            .receivers
            .clone()
            .unwrap_or_else(|| ctx.receiver_org_codes.clone()),
        sent_at: header.sent_at.clone(),
        region_code: zhe
            .region_code
            .clone()
            .unwrap_or_else(|| ctx.region_code.clone()),
        legal_basis: zhe.legal_basis.clone().unwrap_or(legal_basis),
        purpose_code: zhe.purpose.unwrap_or(purpose),
        sensitivity: zhe.sensitivity.unwrap_or(if minor {
            Sensitivity::SensitiveMinor
        } else {
            sensitivity
        }),
        retention_until: zhe.retention_until.clone(),
        signature: zhe.signature.clone(),
        attachments,
        payload,
    })
}

fn to_value<T: Serialize>(payload: &T) -> Result<Value, CodecError> {
    serde_json::to_value(payload)
        .map_err(|e| hl7::malformed("payload", format!("cannot represent the payload: {e}")))
}

fn payload_of(
    message: &Message,
    kind: DocumentKind,
    zhe: &Zhe,
) -> Result<(MessageType, u32, Value), CodecError> {
    let message_type = match kind {
        DocumentKind::OruR01 => {
            let obr = segment(
                message,
                "OBR",
                "观察报告 observation request (OBR-4 names the report)",
            )?;
            match obr.comp(4, 1) {
                Some(c) if c == OBR_INCIDENT.0 => MessageType::IncidentReport,
                Some(c) if c == OBR_STATION_LEAVE.0 => MessageType::StationLeave,
                other => {
                    return Err(CodecError::UnsupportedKind {
                        kind: format!("ORU^R01 with OBR-4 {}", other.unwrap_or("(empty)")),
                        detail: "ORU^R01 carries OBR-4 INCIDENT_REPORT or STATION_LEAVE".to_owned(),
                    });
                }
            }
        }
        other => other
            .message_types()
            .first()
            .copied()
            .unwrap_or(MessageType::HubRejected),
    };
    if let Some(declared) = &zhe.message_type
        && declared != message_type.as_str()
    {
        return Err(invalid(
            "ZHE-1",
            declared,
            &format!("{} carries {message_type}", kind.name()),
        ));
    }
    let (known, default_major) = majors(message_type);
    let major = match &zhe.schema_version {
        Some(v) => contracts::version::major_of(v)
            .filter(|m| known.contains(m))
            .ok_or_else(|| {
                invalid(
                    "ZHE-2",
                    v,
                    &format!("{message_type} is carried in major version(s) {known:?}"),
                )
            })?,
        None => default_major,
    };
    let payload = match kind {
        DocumentKind::RefI12 => decode_referral(message, major)?,
        DocumentKind::RriI12 => to_value(&decode_referral_outcome(message)?)?,
        DocumentKind::AdtA05 => to_value(&decode_admission(message)?)?,
        DocumentKind::AdtA01 => to_value(&decode_admission_ack(message, true)?)?,
        DocumentKind::AdtA38 => to_value(&decode_admission_ack(message, false)?)?,
        DocumentKind::AdtA16 => to_value(&decode_discharge(message, NoticeType::Planned)?)?,
        DocumentKind::AdtA03 => to_value(&decode_discharge(message, NoticeType::Discharged)?)?,
        DocumentKind::AdtA08 => to_value(&decode_identity_update(message)?)?,
        DocumentKind::OruR01 if message_type == MessageType::IncidentReport => {
            to_value(&decode_incident(message)?)?
        }
        DocumentKind::OruR01 => to_value(&decode_station_leave(message)?)?,
        DocumentKind::Ack => to_value(&decode_hub_rejected(message)?)?,
    };
    Ok((message_type, major, payload))
}

fn segment<'m>(
    message: &'m Message,
    id: &'static str,
    meaning: &str,
) -> Result<&'m Segment, CodecError> {
    message.segment(id).ok_or_else(|| missing(id, meaning))
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

fn req_text(segment: &Segment, n: usize, meaning: &str) -> Result<String, CodecError> {
    Ok(req(segment.text(n), &format!("{}-{n}", segment.id()), meaning)?.to_owned())
}

fn req_coded<T: serde::de::DeserializeOwned>(
    segment: &Segment,
    n: usize,
    meaning: &str,
    list: &crate::native::CodeList,
) -> Result<T, CodecError> {
    let field = format!("{}-{n}", segment.id());
    coded(req(segment.comp(n, 1), &field, meaning)?, &field, list)
}

/// The NTE comments, one per line.
fn notes(message: &Message) -> Option<String> {
    let lines: Vec<&str> = message.all("NTE").filter_map(|n| n.text(3)).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The staff members of the ROL segments that fill `slot`.
fn staff_of(message: &Message, slot: &str) -> Result<Vec<Staff>, CodecError> {
    message
        .all("ROL")
        .filter(|r| rol_slot(r) == Some(slot))
        .map(read_rol)
        .collect()
}

fn one_staff(message: &Message, slot: &str, meaning: &str) -> Result<Staff, CodecError> {
    staff_of(message, slot)?
        .into_iter()
        .next()
        .ok_or_else(|| missing(format!("ROL-3 {slot}"), meaning))
}

// ----------------------------------------------------------------------------------------
// REF^I12 → REFERRAL
// ----------------------------------------------------------------------------------------

fn decode_referral(message: &Message, major: u32) -> Result<Value, CodecError> {
    let rf1 = segment(message, "RF1", "转介信息 referral information")?;
    let referral_id = req(rf1.comp(6, 1), "RF1-6", "转介单号 referral id")?.to_owned();
    let source_case_no =
        req(rf1.comp(11, 1), "RF1-11", "来源案卷号 source case number")?.to_owned();
    let source_system = coded(
        req(rf1.comp(11, 2), "RF1-11.2", "来源系统 source system")?,
        "RF1-11.2",
        &SOURCE_SYSTEM,
    )?;
    let urgency = match req(rf1.comp(2, 1), "RF1-2", "紧急程度 priority")? {
        "S" | "A" => Urgency::Immediate,
        "R" => Urgency::Normal,
        other => {
            return Err(invalid(
                "RF1-2",
                other,
                "expected S (STAT: 紧急) or R (routine: 一般), HL7 table 0280",
            ));
        }
    };
    let requested_action = req_coded(rf1, 3, "请求处置 requested action", &REQUESTED_ACTION)?;
    let discovered_at = req_ts(rf1, 7, "发现时间 discovered at (effective date)")?;
    let deadline_at = read_ts(rf1, 8)?;
    let prd = parts::find_prd(message, "RP")
        .ok_or_else(|| missing("PRD", "上报人 reporter: a PRD with PRD-1 RP"))?;
    let provider = read_prd(prd);
    let reporter = Reporter {
        kind: coded(
            &req(
                provider.kind,
                "PRD-1",
                "上报人类别 reporter kind (second repetition)",
            )?,
            "PRD-1",
            &REPORTER_KIND,
        )?,
        name: provider.name,
        phone: provider.phone,
        staff_no: provider.staff_no,
        org_code: provider.org_code,
        org_name: provider.org_name,
    };
    let location = read_zlo(message, "FOUND")?
        .ok_or_else(|| missing("ZLO", "发现地点 place found: a ZLO with ZLO-1 FOUND"))?;
    let obs = Observations::of(message.segments().iter());
    let source_event_class = match obs.rep(code::SOURCE_EVENT_CLASS, "") {
        Some(rep) => {
            let field = field_name(code::SOURCE_EVENT_CLASS, "");
            Some(SourceEventClass {
                major: req(rep.comp(1), &field, "来源事件大类 major class")?.to_owned(),
                minor: owned(rep.comp(4)),
                name: req(rep.comp(2), &format!("{field}.2"), "分类名称 class name")?.to_owned(),
            })
        }
        None => None,
    };
    let suspected_flags =
        obs.coded_many(code::SUSPECTED_FLAG, "", &crate::native::SUSPECTED_FLAG)?;
    let groups = obs.groups(code::SUBJECT_SEX);
    if groups.is_empty() {
        return Err(missing(
            field_name(code::SUBJECT_SEX, "1"),
            "对象 at least one subject (OBX SUBJECT_SEX with a sub-ID per subject)",
        ));
    }
    let mut subjects = Vec::new();
    for g in &groups {
        let sex = obs.req_text(code::SUBJECT_SEX, g)?;
        if !SEX.has(&sex) {
            return Err(invalid(
                field_name(code::SUBJECT_SEX, g),
                &sex,
                &SEX.describe(),
            ));
        }
        subjects.push(ReferralSubjectV2 {
            sex_code: sex,
            estimated_age: obs.whole(code::ESTIMATED_AGE, g)?,
            is_minor_suspected: obs.req_yn(code::MINOR_SUSPECTED, g)?,
            physical_description: read_physical(&obs, message, g)?,
            health: read_health(&obs, g)?,
            willingness: obs.req_coded(code::WILLINGNESS, g, &WILLINGNESS)?,
        });
    }
    let photos = read_attachments_opt(message, attachment_role::REFERRAL_PHOTO, "")?;
    let remarks = notes(message);
    if major == 1 {
        let willingness = subjects
            .first()
            .map(|s| s.willingness)
            .ok_or_else(|| missing(field_name(code::WILLINGNESS, "1"), "本人意愿 willingness"))?;
        if subjects.iter().any(|s| s.willingness != willingness) {
            return Err(invalid(
                field_name(code::WILLINGNESS, groups.get(1).copied().unwrap_or("2")),
                "",
                "REFERRAL 1.x has one willingness for all subjects; send 2.0.0 (ZHE-2) for per-subject willingness",
            ));
        }
        let count = u32::try_from(subjects.len()).unwrap_or(u32::MAX);
        return to_value(&ReferralV1 {
            referral_id,
            source_system,
            source_case_no,
            source_event_class,
            discovered_at,
            location: location.into_location(),
            reporter,
            subject_count: count,
            subjects: subjects
                .into_iter()
                .map(|s| ReferralSubjectV1 {
                    sex_code: s.sex_code,
                    estimated_age: s.estimated_age,
                    is_minor_suspected: s.is_minor_suspected,
                    physical_description: s.physical_description,
                    health: s.health,
                })
                .collect(),
            willingness,
            suspected_flags,
            urgency,
            requested_action,
            deadline_at,
            photos,
            remarks,
        });
    }
    to_value(&ReferralV2 {
        referral_id,
        source_system,
        source_case_no,
        source_event_class,
        discovered_at,
        location: FlatLocation::into_referral_location(location)?,
        reporter,
        subjects,
        suspected_flags,
        urgency,
        requested_action,
        deadline_at,
        photos,
        remarks,
    })
}

// ----------------------------------------------------------------------------------------
// RRI^I12 → REFERRAL_OUTCOME
// ----------------------------------------------------------------------------------------

fn decode_referral_outcome(message: &Message) -> Result<ReferralOutcome, CodecError> {
    let rf1 = segment(message, "RF1", "转介信息 referral information")?;
    let prd = parts::find_prd(message, "RT")
        .ok_or_else(|| missing("PRD", "处置人 handler: a PRD with PRD-1 RT"))?;
    let handler = read_prd(prd);
    let obs = Observations::of(message.segments().iter());
    Ok(ReferralOutcome {
        referral_id: req(rf1.comp(6, 1), "RF1-6", "转介单号 referral id")?.to_owned(),
        source_case_no: req(rf1.comp(11, 1), "RF1-11", "来源案卷号 source case number")?.to_owned(),
        signed_at: req_ts(rf1, 9, "签收时间 signed at (process date)")?,
        arrived_at: obs.datetime(code::ARRIVED_AT, "")?,
        outcome: req_coded(rf1, 4, "处置结果 outcome", &REFERRAL_OUTCOME)?,
        case_id: obs.text(code::CASE_ID, ""),
        closed_at: obs.req_datetime(code::CLOSED_AT, "")?,
        handler: Staff {
            name: req(handler.name, "PRD-2", "处置人姓名 handler name")?,
            badge_or_staff_no: handler.staff_no,
            org_code: handler.org_code,
            org_name: req(handler.org_name, "PRD-4.4", "处置单位 handler organisation")?,
            phone: handler.phone,
            role: handler
                .kind
                .map(|k| coded(&k, "PRD-1", &STAFF_ROLE))
                .transpose()?,
        },
        note: notes(message),
    })
}

// ----------------------------------------------------------------------------------------
// ADT^A05 → HOSPITAL_ADMISSION
// ----------------------------------------------------------------------------------------

fn decode_admission(message: &Message) -> Result<HospitalAdmission, CodecError> {
    let pid = segment(message, "PID", "人员 patient identification")?;
    let person = parts::person_identity(read_identity(pid, message.segment("ZPI"))?)?;
    let pv1 = segment(message, "PV1", "就诊信息 patient visit")?;
    let pv2 = segment(
        message,
        "PV2",
        "就诊附加信息 patient visit additional information",
    )?;
    let obs = Observations::of(message.segments().iter());
    let escort = staff_of(message, "ESCORT")?;
    if escort.is_empty() {
        return Err(missing("ROL-3 ESCORT", "护送人员 at least one escort"));
    }
    Ok(HospitalAdmission {
        transfer_id: req(
            pv1.comp(5, 1),
            "PV1-5",
            "送医单号 transfer id (preadmit number)",
        )?
        .to_owned(),
        case_id: owned(pv1.comp(50, 1)),
        person,
        physical_description: read_physical(&obs, message, "")?,
        reason: AdmissionReason {
            category: req_coded(pv2, 3, "送医原因类别 admit reason", &HEALTH_CATEGORY)?,
            description: req(pv2.comp(3, 2), "PV2-3.2", "送医原因说明 admit reason text")?
                .to_owned(),
        },
        category: req_coded(pv1, 18, "救治类别 treatment category", &TREATMENT_CATEGORY)?,
        target_hospital: Org {
            org_code: req(pv1.sub(3, 4, 2), "PV1-3.4.2", "定点医院代码 hospital USCC")?.to_owned(),
            org_name: req(pv1.sub(3, 4, 1), "PV1-3.4.1", "定点医院名称 hospital name")?.to_owned(),
        },
        escort,
        departed_at: obs.req_datetime(code::DEPARTED_AT, "")?,
        arrived_at: req_ts(pv2, 8, "到院时间 arrived at (expected admit date/time)")?,
        belongings: read_belongings(message)?,
        payer: req_coded(pv1, 20, "费用渠道 payer (financial class)", &PAYER)?,
        station_contact: one_staff(message, "STATION_CONTACT", "救助站联系人 station contact")?,
    })
}

// ----------------------------------------------------------------------------------------
// ADT^A01 / ADT^A38 → ADMISSION_ACK
// ----------------------------------------------------------------------------------------

fn decode_admission_ack(message: &Message, admitted: bool) -> Result<AdmissionAck, CodecError> {
    let pv1 = segment(message, "PV1", "就诊信息 patient visit")?;
    let obs = Observations::of(message.segments().iter());
    let (admission_no, admitted_at, not_admitted_reason) = if admitted {
        (
            Some(req_text(pv1, 19, "住院号 admission number (visit number)")?),
            Some(req_ts(pv1, 44, "入院时间 admit date/time")?),
            None,
        )
    } else {
        (
            None,
            None,
            Some(obs.req_text(code::NOT_ADMITTED_REASON, "")?),
        )
    };
    Ok(AdmissionAck {
        transfer_id: req(
            pv1.comp(5, 1),
            "PV1-5",
            "送医单号 transfer id (preadmit number)",
        )?
        .to_owned(),
        admitted,
        admission_no,
        admitted_at,
        department: owned(pv1.comp(3, 1)),
        preliminary_diagnosis: read_dg1(message)?,
        not_admitted_reason,
        hospital_contact: one_staff(message, "HOSPITAL_CONTACT", "医院联系人 hospital contact")?,
    })
}

// ----------------------------------------------------------------------------------------
// ADT^A16 / ADT^A03 → HOSPITAL_DISCHARGE
// ----------------------------------------------------------------------------------------

fn decode_discharge(
    message: &Message,
    notice_type: NoticeType,
) -> Result<HospitalDischarge, CodecError> {
    let pv1 = segment(message, "PV1", "就诊信息 patient visit")?;
    let transfer_id = owned(pv1.comp(5, 1));
    let admission_no = owned(pv1.text(19));
    if transfer_id.is_none() && admission_no.is_none() {
        return Err(missing(
            "PV1-5",
            "送医单号 transfer id (PV1-5) or 住院号 admission number (PV1-19): at least one",
        ));
    }
    let discharge_at = match notice_type {
        NoticeType::Planned => {
            let pv2 = segment(
                message,
                "PV2",
                "就诊附加信息 (PV2-9 expected discharge date/time)",
            )?;
            req_ts(pv2, 9, "拟出院时间 expected discharge date/time")?
        }
        NoticeType::Discharged => req_ts(pv1, 45, "出院时间 discharge date/time")?,
    };
    let obs = Observations::of(message.segments().iter());
    Ok(HospitalDischarge {
        transfer_id,
        admission_no,
        notice_type,
        discharge_at,
        discharge_type: req_coded(pv1, 36, "出院方式 discharge disposition", &DISCHARGE_TYPE)?,
        discharge_certificate: read_attachment(message, attachment_role::DISCHARGE_CERTIFICATE)?
            .ok_or_else(|| {
                missing(
                    "ZAT",
                    "出院证明 discharge certificate: a ZAT with ZAT-1 DISCHARGE_CERTIFICATE",
                )
            })?,
        discharge_diagnosis: read_dg1(message)?,
        care_instructions: obs.text(code::CARE_INSTRUCTIONS, ""),
        mental_state_assessment: obs.coded(
            code::MENTAL_ASSESSMENT,
            "",
            &MENTAL_STATE_ASSESSMENT,
        )?,
        identity_info_gathered: obs.text(code::IDENTITY_CLUES, ""),
        pickup_required_by: obs.datetime(code::PICKUP_BY, "")?,
    })
}

// ----------------------------------------------------------------------------------------
// ADT^A08 (+ ZID) → IDENTITY_UPDATE
// ----------------------------------------------------------------------------------------

fn decode_identity_update(message: &Message) -> Result<IdentityUpdate, CodecError> {
    let Some(zid) = message.segment("ZID") else {
        return Err(CodecError::UnsupportedKind {
            kind: "ADT^A08".to_owned(),
            detail: "a hospital's own patient update has no canonical message (IDENTITY_UPDATE is \
                     the station's; identity clues travel with the discharge, OBX IDENTITY_CLUES); \
                     ADT^A08 is read only with the hub's ZID segment"
                .to_owned(),
        });
    };
    let evn = segment(message, "EVN", "事件类型 event type")?;
    let pid = segment(message, "PID", "人员 patient identification")?;
    let pv1 = segment(message, "PV1", "就诊信息 patient visit (PV1-50 case id)")?;
    let mut delta = read_identity(pid, message.segment("ZPI"))?;
    let person_id = req(
        delta.person_id.take(),
        "PID-3",
        "人员标识 hub person id (CX-4 HUB, CX-5 PT)",
    )?;
    delta.person_id = owned(zid.text(5));
    let version = req(zid.text(1), "ZID-1", "身份版本号 identity version")?;
    Ok(IdentityUpdate {
        person_id,
        case_id: req(
            pv1.comp(50, 1),
            "PV1-50",
            "救助个案号 case id (alternate visit id)",
        )?
        .to_owned(),
        identity_version: version
            .parse()
            .map_err(|_| invalid("ZID-1", version, "not a whole number"))?,
        change_type: req_coded(evn, 4, "变更类型 change type (event reason)", &CHANGE_TYPE)?,
        changed_fields: delta,
        source_of_truth: coded(
            req(zid.text(2), "ZID-2", "依据 source of truth")?,
            "ZID-2",
            &SOURCE_OF_TRUTH,
        )?,
        evidence_ref: owned(zid.text(3)),
        effective_at: req_ts(evn, 6, "生效时间 effective at (event occurred)")?,
        merged_into_person_id: owned(zid.text(4)),
    })
}

// ----------------------------------------------------------------------------------------
// ORU^R01 → INCIDENT_REPORT / STATION_LEAVE
// ----------------------------------------------------------------------------------------

/// The sub-IDs used by any of these codes, in order of first appearance.
fn groups_of(obs: &Observations<'_>, codes: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in codes {
        for g in obs.groups(c) {
            if !out.iter().any(|o| o == g) {
                out.push(g.to_owned());
            }
        }
    }
    out
}

fn decode_incident(message: &Message) -> Result<IncidentReport, CodecError> {
    let obr = segment(message, "OBR", "观察报告 observation request")?;
    let obs = Observations::of(message.segments().iter());
    let report_stage = match req(
        obr.text(25),
        "OBR-25",
        "报告阶段 report stage (result status)",
    )? {
        "P" => ReportStage::First,
        "A" | "C" => ReportStage::Update,
        "F" => ReportStage::Final,
        other => {
            return Err(invalid(
                "OBR-25",
                other,
                "expected P (首报 first), A (续报 update) or F (终报 final), HL7 table 0123",
            ));
        }
    };
    let mut persons_involved = Vec::new();
    for g in groups_of(
        &obs,
        &[code::PERSON_ROLE, code::PERSON_CASE_ID, code::PERSON_ID],
    ) {
        persons_involved.push(PersonInvolved {
            case_id: obs.text(code::PERSON_CASE_ID, &g),
            person_id: obs.text(code::PERSON_ID, &g),
            role: obs.req_coded(code::PERSON_ROLE, &g, &INVOLVEMENT_ROLE)?,
        });
    }
    let mut notified = Vec::new();
    for g in groups_of(&obs, &[code::NOTIFIED_ORG, code::NOTIFIED_AT]) {
        notified.push(Notification {
            org: obs.req_text(code::NOTIFIED_ORG, &g)?,
            at: obs.req_datetime(code::NOTIFIED_AT, &g)?,
        });
    }
    let death_codes = [
        code::DIED_AT,
        code::DEATH_PLACE,
        code::DEATH_CERT_ISSUER,
        code::DEATH_CERT_REF,
        code::DEATH_CAUSE,
        code::BODY_LOCATION,
        code::FAMILY_NOTIFIED_AT,
        code::PUBLIC_NOTICE_UNTIL,
    ];
    let death_details = if death_codes.iter().any(|c| obs.rep(c, "").is_some()) {
        Some(DeathDetails {
            died_at: obs.req_datetime(code::DIED_AT, "")?,
            place: obs.req_text(code::DEATH_PLACE, "")?,
            certificate_issuer: obs.req_coded(code::DEATH_CERT_ISSUER, "", &CERTIFICATE_ISSUER)?,
            certificate_ref: obs.text(code::DEATH_CERT_REF, ""),
            cause_summary: obs.text(code::DEATH_CAUSE, ""),
            body_location: obs.text(code::BODY_LOCATION, ""),
            family_notified_at: obs.datetime(code::FAMILY_NOTIFIED_AT, "")?,
            public_notice_until: obs.date(code::PUBLIC_NOTICE_UNTIL, "")?,
        })
    } else {
        None
    };
    Ok(IncidentReport {
        incident_id: req(
            obr.comp(3, 1),
            "OBR-3",
            "事件编号 incident id (filler order number)",
        )?
        .to_owned(),
        report_stage,
        occurred_at: req_ts(obr, 7, "发生时间 occurred at (observation date/time)")?,
        discovered_at: obs.req_datetime(code::DISCOVERED_AT, "")?,
        first_report_due_at: obs.req_datetime(code::FIRST_REPORT_DUE_AT, "")?,
        incident_type: obs.req_coded(code::INCIDENT_TYPE, "", &INCIDENT_TYPE)?,
        severity: obs.req_coded(code::SEVERITY, "", &SEVERITY)?,
        location: read_zlo(message, "INCIDENT")?
            .ok_or_else(|| missing("ZLO", "地点 place: a ZLO with ZLO-1 INCIDENT"))?
            .into_location(),
        persons_involved,
        description: obs.req_text(code::DESCRIPTION, "")?,
        actions_taken: obs.req_text(code::ACTIONS_TAKEN, "")?,
        notified,
        police_case_no: obs.text(code::POLICE_CASE_NO, ""),
        death_details,
        attachments: read_attachments_opt(message, attachment_role::INCIDENT, "")?,
    })
}

fn decode_station_leave(message: &Message) -> Result<StationLeave, CodecError> {
    let obr = segment(message, "OBR", "观察报告 observation request")?;
    let obs = Observations::of(message.segments().iter());
    let any = |codes: &[&str]| codes.iter().any(|c| obs.rep(c, "").is_some());
    let destination = if any(&[code::DEST_REGION, code::DEST_ADDRESS, code::DEST_ORG]) {
        Some(Destination {
            region_code: obs.req_text(code::DEST_REGION, "")?,
            address: obs.req_text(code::DEST_ADDRESS, "")?,
            org_code: obs.text(code::DEST_ORG, ""),
        })
    } else {
        None
    };
    let collector_codes = [
        code::COLLECTOR_NAME,
        code::COLLECTOR_ID_TYPE,
        code::COLLECTOR_ID_NUMBER,
        code::COLLECTOR_RELATION,
        code::COLLECTOR_PHONE,
    ];
    let collector = if any(&collector_codes) {
        let id_doc_type = obs.req_text(code::COLLECTOR_ID_TYPE, "")?;
        if !crate::native::ID_DOC_TYPE.has(&id_doc_type) {
            return Err(invalid(
                field_name(code::COLLECTOR_ID_TYPE, ""),
                &id_doc_type,
                &crate::native::ID_DOC_TYPE.describe(),
            ));
        }
        let relation_code = obs.req_text(code::COLLECTOR_RELATION, "")?;
        if !crate::native::RELATION.has(&relation_code) {
            return Err(invalid(
                field_name(code::COLLECTOR_RELATION, ""),
                &relation_code,
                &crate::native::RELATION.describe(),
            ));
        }
        Some(Collector {
            name: obs.req_text(code::COLLECTOR_NAME, "")?,
            id_doc_type,
            id_number: obs.req_text(code::COLLECTOR_ID_NUMBER, "")?,
            relation_code,
            phone: obs.req_text(code::COLLECTOR_PHONE, "")?,
        })
    } else {
        None
    };
    let voucher_codes = [
        code::VOUCHER_MODE,
        code::VOUCHER_FROM,
        code::VOUCHER_TO,
        code::VOUCHER_TRANSFER,
        code::VOUCHER_NO,
    ];
    let travel_voucher = if any(&voucher_codes) {
        Some(TravelVoucher {
            mode: obs.req_coded(code::VOUCHER_MODE, "", &TRAVEL_MODE)?,
            from: obs.req_text(code::VOUCHER_FROM, "")?,
            to: obs.req_text(code::VOUCHER_TO, "")?,
            transfer_station: obs.text(code::VOUCHER_TRANSFER, ""),
            voucher_no: obs.text(code::VOUCHER_NO, ""),
        })
    } else {
        None
    };
    Ok(StationLeave {
        case_id: req(
            obr.comp(3, 1),
            "OBR-3",
            "救助个案号 case id (filler order number)",
        )?
        .to_owned(),
        leave_at: req_ts(obr, 7, "离站时间 leave at (observation date/time)")?,
        leave_mode: obs.req_coded(code::LEAVE_MODE, "", &LEAVE_MODE)?,
        cross_province: obs.yn(code::CROSS_PROVINCE, "")?,
        destination,
        self_leave_declaration: read_attachment(message, attachment_role::SELF_LEAVE_DECLARATION)?,
        collector,
        travel_voucher,
        cash_given: obs.number(code::CASH_GIVEN, "")?,
        belongings_returned: obs.req_yn(code::BELONGINGS_RETURNED, "")?,
        days_in_station: obs.whole(code::DAYS_IN_STATION, "")?.ok_or_else(|| {
            missing(
                field_name(code::DAYS_IN_STATION, ""),
                "在站天数 days in station",
            )
        })?,
        exempt_from_10_day_limit: obs.req_yn(code::EXEMPT_10_DAY, "")?,
        over_10_days_reason: obs.text(code::OVER_10_DAYS_REASON, ""),
        termination_notice_ref: read_attachment(message, attachment_role::TERMINATION_NOTICE)?,
        leave_register_ref: read_attachment(message, attachment_role::LEAVE_REGISTER)?,
        return_notice_id: obs.text(code::RETURN_NOTICE_ID, ""),
    })
}

// ----------------------------------------------------------------------------------------
// ACK (+ ZHR) → HUB_REJECTED
// ----------------------------------------------------------------------------------------

fn decode_hub_rejected(message: &Message) -> Result<HubRejected, CodecError> {
    let Some(zhr) = message.segment("ZHR") else {
        return Err(CodecError::UnsupportedKind {
            kind: "ACK".to_owned(),
            detail: "an acknowledgement answers a delivery and is read by classify_response; \
                     ACK is decoded only as the hub's refusal, with its ZHR segment"
                .to_owned(),
        });
    };
    let msa = segment(message, "MSA", "确认 message acknowledgment")?;
    let reasons: Vec<RejectionReason> = message
        .all("ERR")
        .map(|err| {
            Ok(RejectionReason {
                pointer: err.text(7).unwrap_or_default().to_owned(),
                code: req(
                    err.comp(5, 1),
                    "ERR-5",
                    "规则 rule broken (application error code)",
                )?
                .to_owned(),
                message: req_text(err, 8, "说明 user message")?,
            })
        })
        .collect::<Result<_, CodecError>>()?;
    if reasons.is_empty() {
        return Err(missing("ERR", "拒收原因 at least one reason (ERR segment)"));
    }
    Ok(HubRejected {
        rejected_message_id: owned(msa.text(2)),
        rejected_message_type: owned(zhr.text(1)),
        received_at: req_ts(zhr, 2, "接收时间 received at")?,
        stage: req_coded(zhr, 3, "拒收环节 stage", &REJECTION_STAGE)?,
        reasons,
        dead_letter_ref: req_text(zhr, 4, "死信引用 dead-letter reference")?,
        retry_allowed: {
            let v = req(zhr.text(5), "ZHR-5", "可否重发 retry allowed")?;
            datatypes::bool_of(v).map_err(|detail| invalid("ZHR-5", v, &detail))?
        },
    })
}
