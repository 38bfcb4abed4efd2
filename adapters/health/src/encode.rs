//! Encoding: one canonical envelope → one HL7 message as the HIS accepts it.
//!
//! Invariants:
//! * Every type HEALTH exchanges is written (`native::TRANSLATED`); the others are
//!   [`CodecError::Unencodable`].
//! * The payload is read leniently ([`J`]): a delivery whose fields the hub projected away
//!   (HEALTH may not receive whereabouts or photos, for instance) is written without them.
//! * The envelope travels whole: MSH-3 `sender_system`, MSH-4 `sender_org_code`, MSH-7
//!   `sent_at`, MSH-10 `message_id`, and the `ZHE` segment (plus `ZAT|ENVELOPE` for its
//!   attachments), so that `decode(encode(m)) == m` apart from the `message_id` a decode
//!   re-derives from MSH-10 (and, for the types HEALTH itself sends, the sender identity a
//!   decode takes from its context).
//! * Deterministic: the same envelope and configuration give the same bytes.

use adapter_core::{CodecError, NativeDocument};
use contracts::MessageType;
use contracts::model::Envelope;
use serde::Serialize;
use serde_json::Value;

use crate::ack::error_code_of_rule;
use crate::config::HealthConfig;
use crate::hl7::{Charset, Delimiters, Field, Message, Rep, Segment};
use crate::native::obx::{ObxWriter, ce};
use crate::native::parts::{
    Provider, invalid, ts_field, write_belongings, write_dg1, write_health, write_physical,
    write_pid, write_prd, write_rol, write_zat, write_zats, write_zlo, write_zpi,
};
use crate::native::{
    CERTIFICATE_ISSUER, CONTENT_TYPE_GB18030, CONTENT_TYPE_UTF8, DISCHARGE_TYPE, DocumentKind,
    HL7_VERSION, ID_DOC_TYPE, INCIDENT_TYPE, INVOLVEMENT_ROLE, J, LEAVE_MODE, LOCAL_CODES,
    MENTAL_STATE_ASSESSMENT, OBR_INCIDENT, OBR_REFERRAL, OBR_REFERRAL_OUTCOME, OBR_STATION_LEAVE,
    REFERRAL_OUTCOME, RELATION, REPORTER_KIND, REQUESTED_ACTION, SEVERITY, SEX, STAFF_ROLE,
    SUSPECTED_FLAG, TRANSLATED, TRAVEL_MODE, WILLINGNESS, attachment_role, code, datatypes,
};

/// Encodes one envelope.
pub(crate) fn encode(
    config: &HealthConfig,
    message: &Envelope<Value>,
) -> Result<NativeDocument, CodecError> {
    let message_type = message.message_type;
    let unencodable = |detail: String| CodecError::Unencodable {
        message_type: message_type.as_str().to_owned(),
        detail,
    };
    if !TRANSLATED.contains(&message_type) {
        return Err(unencodable(
            "HEALTH neither sends nor receives this type, and its HL7 interface has no form for it"
                .to_owned(),
        ));
    }
    let major = message.major_version().unwrap_or(0);
    let known: &[u32] = if message_type == MessageType::Referral {
        &[1, 2]
    } else {
        &[1]
    };
    if !known.contains(&major) {
        return Err(unencodable(format!(
            "schema version {} is not carried; this interface writes major version(s) {known:?}",
            message.schema_version
        )));
    }
    let p = J::new(&message.payload);
    let (kind, body) = match message_type {
        MessageType::Referral => (DocumentKind::RefI12, encode_referral(p, major)?),
        MessageType::ReferralOutcome => (DocumentKind::RriI12, encode_referral_outcome(p)?),
        MessageType::HospitalAdmission => (DocumentKind::AdtA05, encode_admission(message, p)?),
        MessageType::AdmissionAck => encode_admission_ack(message, p)?,
        MessageType::HospitalDischarge => encode_discharge(message, p)?,
        MessageType::IdentityUpdate => (DocumentKind::AdtA08, encode_identity_update(message, p)?),
        MessageType::IncidentReport => (DocumentKind::OruR01, encode_incident(p)?),
        MessageType::StationLeave => (DocumentKind::OruR01, encode_station_leave(p)?),
        _ => (DocumentKind::Ack, encode_hub_rejected(p)?),
    };
    let mut hl7 = Message::new(Delimiters::STANDARD);
    hl7.push(msh(config, message, kind)?);
    for segment in body {
        hl7.push(segment);
    }
    hl7.push(zhe(message)?);
    if let Some(attachments) = &message.attachments {
        for attachment in attachments {
            let value = serde_json::to_value(attachment).unwrap_or(Value::Null);
            hl7.push(write_zat(attachment_role::ENVELOPE, "", J::new(&value)));
        }
    }
    Ok(NativeDocument {
        content_type: content_type(config.outbound_charset).to_owned(),
        path: String::new(),
        http_status: 200,
        body: config.outbound_charset.encode(&hl7.to_er7()),
    })
}

/// The media type of a document in a character set.
pub(crate) const fn content_type(charset: Charset) -> &'static str {
    match charset {
        Charset::Utf8 => CONTENT_TYPE_UTF8,
        Charset::Gb18030 => CONTENT_TYPE_GB18030,
    }
}

/// The wire name of a canonical enum value (`"PIPL13_1_3"`).
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn msh(
    config: &HealthConfig,
    message: &Envelope<Value>,
    kind: DocumentKind,
) -> Result<Segment, CodecError> {
    let (message_type, trigger, structure) = kind.msh9();
    Ok(Segment::new("MSH")
        .with(3, Field::text(&message.sender_system))
        .with(4, Field::text(&message.sender_org_code))
        .with(5, Field::text(&config.his_application))
        .with(6, Field::text(&config.his_facility))
        .with(7, ts_field(Some(&message.sent_at), "MSH-7")?)
        .with(
            9,
            Field::rep(
                Rep::new()
                    .with(1, message_type)
                    .with(2, trigger)
                    .with(3, structure),
            ),
        )
        .with(10, Field::text(&message.message_id))
        .with(11, Field::text(config.processing_id.code()))
        .with(12, Field::text(HL7_VERSION))
        .with(18, Field::text(config.outbound_charset.msh18())))
}

/// `ZHE|type|version|sender type|case_id|correlation_id|receivers|legal basis|purpose|
/// sensitivity|retention|signature|region`.
fn zhe(message: &Envelope<Value>) -> Result<Segment, CodecError> {
    let receivers = if message.receiver_org_codes.is_empty() {
        Field::null()
    } else {
        Field::reps(message.receiver_org_codes.iter().map(Rep::text).collect())
    };
    let retention = message
        .retention_until
        .as_deref()
        .map(|d| datatypes::dt_of(d).ok_or_else(|| invalid("ZHE-10", d, "not a date YYYY-MM-DD")))
        .transpose()?;
    let signature = message.signature.as_ref().map(|s| {
        Rep::new()
            .with(1, wire(&s.algorithm))
            .with(2, &s.key_id)
            .with(3, &s.value)
    });
    Ok(Segment::new("ZHE")
        .with(1, Field::text(message.message_type.as_str()))
        .with(2, Field::text(&message.schema_version))
        .with(3, Field::text(message.sender_org_type.as_str()))
        .with(4, Field::opt(message.case_id.as_deref()))
        .with(5, Field::opt(message.correlation_id.as_deref()))
        .with(6, receivers)
        .with(
            7,
            Field::reps(
                message
                    .legal_basis
                    .iter()
                    .map(|b| Rep::text(wire(b)))
                    .collect(),
            ),
        )
        .with(8, Field::text(wire(&message.purpose_code)))
        .with(9, Field::text(wire(&message.sensitivity)))
        .with(10, Field::opt(retention.as_deref()))
        .with(11, signature.map(Field::rep).unwrap_or_default())
        .with(12, Field::text(&message.region_code)))
}

fn evn(message: &Envelope<Value>, kind: DocumentKind) -> Result<Segment, CodecError> {
    Ok(Segment::new("EVN")
        .with(1, Field::text(kind.msh9().1))
        .with(2, ts_field(Some(&message.sent_at), "EVN-2")?))
}

/// A PID with only its set id: the message structure needs one, the payload has no person.
fn empty_pid() -> Segment {
    Segment::new("PID").with(1, Field::text("1"))
}

fn obr(
    service: (&str, &str),
    filler_id: Option<&str>,
    at: Option<&str>,
    status: &str,
) -> Result<Segment, CodecError> {
    Ok(Segment::new("OBR")
        .with(1, Field::text("1"))
        .with(3, Field::opt(filler_id))
        .with(
            4,
            Field::rep(
                Rep::new()
                    .with(1, service.0)
                    .with(2, service.1)
                    .with(3, LOCAL_CODES),
            ),
        )
        .with(7, ts_field(at, "OBR-7")?)
        .with(25, Field::text(status)))
}

fn nte(text: Option<&str>) -> Option<Segment> {
    text.map(|t| {
        Segment::new("NTE")
            .with(1, Field::text("1"))
            .with(3, Field::text(t))
    })
}

/// A CE whose text is given (not looked up): `code^text^system`.
fn ce_with(value: &str, text: &str, system: &str) -> Rep {
    Rep::new().with(1, value).with(2, text).with(3, system)
}

// ----------------------------------------------------------------------------------------

fn encode_referral(p: J<'_>, major: u32) -> Result<Vec<Segment>, CodecError> {
    let urgency = match p.get("urgency").str() {
        Some("IMMEDIATE") => Some("S"),
        Some("NORMAL") => Some("R"),
        _ => None,
    };
    let rf1 = Segment::new("RF1")
        .with(
            2,
            urgency
                .map(|u| Field::rep(Rep::text(u).with(3, "HL70280")))
                .unwrap_or_default(),
        )
        .with(
            3,
            p.get("requested_action")
                .str()
                .map(|a| Field::rep(ce(a, &REQUESTED_ACTION)))
                .unwrap_or_default(),
        )
        .with(6, Field::opt(p.get("referral_id").str()))
        .with(7, ts_field(p.get("discovered_at").str(), "RF1-7")?)
        .with(8, ts_field(p.get("deadline_at").str(), "RF1-8")?)
        .with(
            11,
            Field::rep(
                Rep::new()
                    .with_opt(1, p.get("source_case_no").str())
                    .with_opt(2, p.get("source_system").str()),
            ),
        );
    let r = p.get("reporter");
    let reporter = Provider {
        kind: r.get("kind").str().map(str::to_owned),
        name: r.get("name").str().map(str::to_owned),
        phone: r.get("phone").str().map(str::to_owned),
        staff_no: r.get("staff_no").str().map(str::to_owned),
        org_code: r.get("org_code").str().map(str::to_owned),
        org_name: r.get("org_name").str().map(str::to_owned),
    };
    let first_sex = p
        .get("subjects")
        .items()
        .next()
        .and_then(|s| s.get("sex_code").str())
        .and_then(datatypes::hl7_sex);
    let mut obx = ObxWriter::new("F");
    let class = p.get("source_event_class");
    if class.exists() {
        obx.ce_rep(
            code::SOURCE_EVENT_CLASS,
            "",
            Rep::new()
                .with_opt(1, class.get("major").str())
                .with_opt(2, class.get("name").str())
                .with(3, LOCAL_CODES)
                .with_opt(4, class.get("minor").str()),
        );
    }
    obx.ce_many(
        code::SUSPECTED_FLAG,
        "",
        &p.get("suspected_flags").strs(),
        &SUSPECTED_FLAG,
    );
    let mut zats = Vec::new();
    for (i, s) in p.get("subjects").items().enumerate() {
        let g = (i + 1).to_string();
        if let Some(sex) = s.get("sex_code").str() {
            obx.ce_rep(
                code::SUBJECT_SEX,
                &g,
                ce_with(sex, SEX.text(sex), crate::native::SEX_CODES),
            );
        }
        obx.nm(code::ESTIMATED_AGE, &g, s.get("estimated_age").f64(), "a");
        obx.yn(
            code::MINOR_SUSPECTED,
            &g,
            s.get("is_minor_suspected").bool(),
        );
        zats.extend(write_physical(&mut obx, &g, s.get("physical_description")));
        write_health(&mut obx, &g, s.get("health"));
        let willingness = if major == 1 {
            p.get("willingness").str()
        } else {
            s.get("willingness").str()
        };
        obx.ce(code::WILLINGNESS, &g, willingness, &WILLINGNESS);
    }
    let mut out = vec![
        rf1,
        write_prd("RP", &REPORTER_KIND, &reporter),
        empty_pid().with_text(8, first_sex),
        obr(OBR_REFERRAL, None, None, "F")?,
    ];
    out.extend(obx.into_segments());
    out.extend(nte(p.get("remarks").str()));
    if p.get("location").exists() {
        out.push(write_zlo("FOUND", p.get("location")));
    }
    out.extend(write_zats(
        attachment_role::REFERRAL_PHOTO,
        "",
        p.get("photos"),
    ));
    out.extend(zats);
    Ok(out)
}

fn encode_referral_outcome(p: J<'_>) -> Result<Vec<Segment>, CodecError> {
    let rf1 = Segment::new("RF1")
        .with(
            4,
            p.get("outcome")
                .str()
                .map(|o| Field::rep(ce(o, &REFERRAL_OUTCOME)))
                .unwrap_or_default(),
        )
        .with(6, Field::opt(p.get("referral_id").str()))
        .with(9, ts_field(p.get("signed_at").str(), "RF1-9")?)
        .with(11, Field::opt(p.get("source_case_no").str()));
    let h = p.get("handler");
    let handler = Provider {
        kind: h.get("role").str().map(str::to_owned),
        name: h.get("name").str().map(str::to_owned),
        phone: h.get("phone").str().map(str::to_owned),
        staff_no: h.get("badge_or_staff_no").str().map(str::to_owned),
        org_code: h.get("org_code").str().map(str::to_owned),
        org_name: h.get("org_name").str().map(str::to_owned),
    };
    let mut obx = ObxWriter::new("F");
    obx.ts(code::ARRIVED_AT, "", p.get("arrived_at").str())?;
    obx.ts(code::CLOSED_AT, "", p.get("closed_at").str())?;
    obx.st(code::CASE_ID, "", p.get("case_id").str());
    let mut out = vec![
        rf1,
        write_prd("RT", &STAFF_ROLE, &handler),
        empty_pid(),
        obr(OBR_REFERRAL_OUTCOME, None, None, "F")?,
    ];
    out.extend(obx.into_segments());
    out.extend(nte(p.get("note").str()));
    Ok(out)
}

fn encode_admission(message: &Envelope<Value>, p: J<'_>) -> Result<Vec<Segment>, CodecError> {
    let person = p.get("person");
    let hospital = p.get("target_hospital");
    let mut location = Rep::new();
    if let Some(name) = hospital.get("org_name").str() {
        location = location.with_sub(4, 1, name);
    }
    if let Some(org_code) = hospital.get("org_code").str() {
        location = location.with_sub(4, 2, org_code).with_sub(4, 3, "L");
    }
    let pv1 = Segment::new("PV1")
        .with(1, Field::text("1"))
        .with(2, Field::text("P"))
        .with(3, Field::rep(location))
        .with(5, Field::opt(p.get("transfer_id").str()))
        // PV1-18 is IS and PV1-20 is FC (code ^ effective date): the code alone.
        .with(18, Field::opt(p.get("category").str()))
        .with(20, Field::opt(p.get("payer").str()))
        .with(50, Field::opt(p.get("case_id").str()));
    let reason = p.get("reason");
    let pv2 = Segment::new("PV2")
        .with(
            3,
            Field::rep(
                Rep::new()
                    .with_opt(1, reason.get("category").str())
                    .with_opt(2, reason.get("description").str())
                    .with_opt(3, reason.get("category").str().map(|_| LOCAL_CODES)),
            ),
        )
        .with(8, ts_field(p.get("arrived_at").str(), "PV2-8")?);
    let mut obx = ObxWriter::new("F");
    obx.ts(code::DEPARTED_AT, "", p.get("departed_at").str())?;
    let photos = write_physical(&mut obx, "", p.get("physical_description"));
    let (zbl, belonging_photos) = write_belongings(p.get("belongings"));
    let mut out = vec![
        evn(message, DocumentKind::AdtA05)?,
        write_pid(person, person.get("person_id").str())?,
    ];
    out.extend(p.get("escort").items().map(|s| write_rol("ESCORT", s)));
    out.push(pv1);
    out.push(pv2);
    if p.get("station_contact").exists() {
        out.push(write_rol("STATION_CONTACT", p.get("station_contact")));
    }
    out.extend(obx.into_segments());
    out.extend(write_zpi(person));
    out.extend(zbl);
    out.extend(photos);
    out.extend(belonging_photos);
    Ok(out)
}

fn encode_admission_ack(
    message: &Envelope<Value>,
    p: J<'_>,
) -> Result<(DocumentKind, Vec<Segment>), CodecError> {
    let admitted = p.get("admitted").bool().unwrap_or(true);
    let kind = if admitted {
        DocumentKind::AdtA01
    } else {
        DocumentKind::AdtA38
    };
    let pv1 = Segment::new("PV1")
        .with(1, Field::text("1"))
        .with(2, Field::text(if admitted { "I" } else { "P" }))
        .with(3, Field::opt(p.get("department").str()))
        .with(5, Field::opt(p.get("transfer_id").str()))
        .with(19, Field::opt(p.get("admission_no").str()))
        .with(44, ts_field(p.get("admitted_at").str(), "PV1-44")?);
    let mut obx = ObxWriter::new("F");
    obx.tx(
        code::NOT_ADMITTED_REASON,
        "",
        p.get("not_admitted_reason").str(),
    );
    let mut out = vec![evn(message, kind)?, empty_pid(), pv1];
    if p.get("hospital_contact").exists() {
        out.push(write_rol("HOSPITAL_CONTACT", p.get("hospital_contact")));
    }
    out.extend(obx.into_segments());
    out.extend(write_dg1(p.get("preliminary_diagnosis"), "A"));
    Ok((kind, out))
}

fn encode_discharge(
    message: &Envelope<Value>,
    p: J<'_>,
) -> Result<(DocumentKind, Vec<Segment>), CodecError> {
    let planned = p.get("notice_type").str() == Some("PLANNED");
    let kind = if planned {
        DocumentKind::AdtA16
    } else {
        DocumentKind::AdtA03
    };
    let discharge_at = p.get("discharge_at").str();
    let mut pv1 = Segment::new("PV1")
        .with(1, Field::text("1"))
        .with(2, Field::text("I"))
        .with(5, Field::opt(p.get("transfer_id").str()))
        .with(19, Field::opt(p.get("admission_no").str()))
        .with(
            36,
            Field::opt(
                p.get("discharge_type")
                    .str()
                    .filter(|t| DISCHARGE_TYPE.has(t)),
            ),
        );
    let mut out = vec![evn(message, kind)?, empty_pid()];
    if planned {
        out.push(pv1);
        out.push(Segment::new("PV2").with(9, ts_field(discharge_at, "PV2-9")?));
    } else {
        pv1.set(45, ts_field(discharge_at, "PV1-45")?);
        out.push(pv1);
    }
    let mut obx = ObxWriter::new("F");
    obx.tx(
        code::CARE_INSTRUCTIONS,
        "",
        p.get("care_instructions").str(),
    );
    obx.ce(
        code::MENTAL_ASSESSMENT,
        "",
        p.get("mental_state_assessment").str(),
        &MENTAL_STATE_ASSESSMENT,
    );
    obx.tx(
        code::IDENTITY_CLUES,
        "",
        p.get("identity_info_gathered").str(),
    );
    obx.ts(code::PICKUP_BY, "", p.get("pickup_required_by").str())?;
    out.extend(obx.into_segments());
    out.extend(write_dg1(p.get("discharge_diagnosis"), "F"));
    if p.get("discharge_certificate").exists() {
        out.push(write_zat(
            attachment_role::DISCHARGE_CERTIFICATE,
            "",
            p.get("discharge_certificate"),
        ));
    }
    Ok((kind, out))
}

fn encode_identity_update(message: &Envelope<Value>, p: J<'_>) -> Result<Vec<Segment>, CodecError> {
    let delta = p.get("changed_fields");
    let evn = evn(message, DocumentKind::AdtA08)?
        .with(4, Field::opt(p.get("change_type").str()))
        .with(6, ts_field(p.get("effective_at").str(), "EVN-6")?);
    let pv1 = Segment::new("PV1")
        .with(1, Field::text("1"))
        .with(2, Field::text("N"))
        .with(50, Field::opt(p.get("case_id").str()));
    let zid = Segment::new("ZID")
        .with(
            1,
            Field::opt(
                p.get("identity_version")
                    .u64()
                    .map(|v| v.to_string())
                    .as_deref(),
            ),
        )
        .with(2, Field::opt(p.get("source_of_truth").str()))
        .with(3, Field::opt(p.get("evidence_ref").str()))
        .with(4, Field::opt(p.get("merged_into_person_id").str()))
        .with(5, Field::opt(delta.get("person_id").str()));
    let mut out = vec![evn, write_pid(delta, p.get("person_id").str())?, pv1];
    out.extend(write_zpi(delta));
    out.push(zid);
    Ok(out)
}

fn encode_incident(p: J<'_>) -> Result<Vec<Segment>, CodecError> {
    let status = match p.get("report_stage").str() {
        Some("FIRST") => "P",
        Some("UPDATE") => "A",
        _ => "F",
    };
    let mut obx = ObxWriter::new(status);
    obx.ts(code::DISCOVERED_AT, "", p.get("discovered_at").str())?;
    obx.ts(
        code::FIRST_REPORT_DUE_AT,
        "",
        p.get("first_report_due_at").str(),
    )?;
    obx.ce(
        code::INCIDENT_TYPE,
        "",
        p.get("incident_type").str(),
        &INCIDENT_TYPE,
    );
    obx.ce(code::SEVERITY, "", p.get("severity").str(), &SEVERITY);
    obx.tx(code::DESCRIPTION, "", p.get("description").str());
    obx.tx(code::ACTIONS_TAKEN, "", p.get("actions_taken").str());
    obx.st(code::POLICE_CASE_NO, "", p.get("police_case_no").str());
    for (i, person) in p.get("persons_involved").items().enumerate() {
        let g = (i + 1).to_string();
        obx.ce(
            code::PERSON_ROLE,
            &g,
            person.get("role").str(),
            &INVOLVEMENT_ROLE,
        );
        obx.st(code::PERSON_CASE_ID, &g, person.get("case_id").str());
        obx.st(code::PERSON_ID, &g, person.get("person_id").str());
    }
    for (i, n) in p.get("notified").items().enumerate() {
        let g = (i + 1).to_string();
        obx.st(code::NOTIFIED_ORG, &g, n.get("org").str());
        obx.ts(code::NOTIFIED_AT, &g, n.get("at").str())?;
    }
    let death = p.get("death_details");
    obx.ts(code::DIED_AT, "", death.get("died_at").str())?;
    obx.st(code::DEATH_PLACE, "", death.get("place").str());
    obx.ce(
        code::DEATH_CERT_ISSUER,
        "",
        death.get("certificate_issuer").str(),
        &CERTIFICATE_ISSUER,
    );
    obx.st(code::DEATH_CERT_REF, "", death.get("certificate_ref").str());
    obx.tx(code::DEATH_CAUSE, "", death.get("cause_summary").str());
    obx.st(code::BODY_LOCATION, "", death.get("body_location").str());
    obx.ts(
        code::FAMILY_NOTIFIED_AT,
        "",
        death.get("family_notified_at").str(),
    )?;
    obx.dt(
        code::PUBLIC_NOTICE_UNTIL,
        "",
        death.get("public_notice_until").str(),
    )?;
    let mut out = vec![obr(
        OBR_INCIDENT,
        p.get("incident_id").str(),
        p.get("occurred_at").str(),
        status,
    )?];
    out.extend(obx.into_segments());
    if p.get("location").exists() {
        out.push(write_zlo("INCIDENT", p.get("location")));
    }
    out.extend(write_zats(
        attachment_role::INCIDENT,
        "",
        p.get("attachments"),
    ));
    Ok(out)
}

fn encode_station_leave(p: J<'_>) -> Result<Vec<Segment>, CodecError> {
    let mut obx = ObxWriter::new("F");
    obx.ce(code::LEAVE_MODE, "", p.get("leave_mode").str(), &LEAVE_MODE);
    obx.yn(code::CROSS_PROVINCE, "", p.get("cross_province").bool());
    let destination = p.get("destination");
    obx.st(code::DEST_REGION, "", destination.get("region_code").str());
    obx.st(code::DEST_ADDRESS, "", destination.get("address").str());
    obx.st(code::DEST_ORG, "", destination.get("org_code").str());
    let collector = p.get("collector");
    obx.st(code::COLLECTOR_NAME, "", collector.get("name").str());
    obx.ce(
        code::COLLECTOR_ID_TYPE,
        "",
        collector.get("id_doc_type").str(),
        &ID_DOC_TYPE,
    );
    obx.st(
        code::COLLECTOR_ID_NUMBER,
        "",
        collector.get("id_number").str(),
    );
    obx.ce(
        code::COLLECTOR_RELATION,
        "",
        collector.get("relation_code").str(),
        &RELATION,
    );
    obx.st(code::COLLECTOR_PHONE, "", collector.get("phone").str());
    let voucher = p.get("travel_voucher");
    obx.ce(
        code::VOUCHER_MODE,
        "",
        voucher.get("mode").str(),
        &TRAVEL_MODE,
    );
    obx.st(code::VOUCHER_FROM, "", voucher.get("from").str());
    obx.st(code::VOUCHER_TO, "", voucher.get("to").str());
    obx.st(
        code::VOUCHER_TRANSFER,
        "",
        voucher.get("transfer_station").str(),
    );
    obx.st(code::VOUCHER_NO, "", voucher.get("voucher_no").str());
    obx.nm(code::CASH_GIVEN, "", p.get("cash_given").f64(), "CNY");
    obx.yn(
        code::BELONGINGS_RETURNED,
        "",
        p.get("belongings_returned").bool(),
    );
    obx.nm(
        code::DAYS_IN_STATION,
        "",
        p.get("days_in_station").f64(),
        "d",
    );
    obx.yn(
        code::EXEMPT_10_DAY,
        "",
        p.get("exempt_from_10_day_limit").bool(),
    );
    obx.tx(
        code::OVER_10_DAYS_REASON,
        "",
        p.get("over_10_days_reason").str(),
    );
    obx.st(code::RETURN_NOTICE_ID, "", p.get("return_notice_id").str());
    let mut out = vec![obr(
        OBR_STATION_LEAVE,
        p.get("case_id").str(),
        p.get("leave_at").str(),
        "F",
    )?];
    out.extend(obx.into_segments());
    for (role, key) in [
        (
            attachment_role::SELF_LEAVE_DECLARATION,
            "self_leave_declaration",
        ),
        (
            attachment_role::TERMINATION_NOTICE,
            "termination_notice_ref",
        ),
        (attachment_role::LEAVE_REGISTER, "leave_register_ref"),
    ] {
        if p.get(key).exists() {
            out.push(write_zat(role, "", p.get(key)));
        }
    }
    Ok(out)
}

fn encode_hub_rejected(p: J<'_>) -> Result<Vec<Segment>, CodecError> {
    let mut out = vec![
        Segment::new("MSA")
            .with(1, Field::text("AR"))
            .with(2, Field::opt(p.get("rejected_message_id").str())),
    ];
    for reason in p.get("reasons").items() {
        let rule = reason.get("code").str().unwrap_or_default();
        let (code_value, text) = error_code_of_rule(rule);
        out.push(
            Segment::new("ERR")
                .with(3, Field::rep(ce_with(code_value, text, "HL70357")))
                .with(4, Field::text("E"))
                .with(5, Field::rep(Rep::text(rule).with(3, LOCAL_CODES)))
                .with(7, Field::opt(reason.get("pointer").str()))
                .with(8, Field::opt(reason.get("message").str())),
        );
    }
    out.push(
        Segment::new("ZHR")
            .with(1, Field::opt(p.get("rejected_message_type").str()))
            .with(2, ts_field(p.get("received_at").str(), "ZHR-2")?)
            .with(3, Field::opt(p.get("stage").str()))
            .with(4, Field::opt(p.get("dead_letter_ref").str()))
            .with(
                5,
                Field::opt(p.get("retry_allowed").bool().map(datatypes::yn)),
            ),
    );
    Ok(out)
}
