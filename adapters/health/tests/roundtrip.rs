//! Round trip of every message type HEALTH exchanges: canonical → HL7 → canonical.
//!
//! Messages start from the contract fixtures of the nine types (REFERRAL in both majors) and
//! are varied: every free text (names, addresses, descriptions, remarks, diagnoses, …) is
//! replaced by generated text full of the HL7 delimiters `|^~\&`, CR/LF, quotes and Chinese
//! characters, optional fields are dropped at random, and half of the documents are written
//! in GB 18030. `decode(encode(m))` must equal `m`, apart from the `message_id`, which a
//! decode derives from MSH-10 (the original id) with `adapter_core::ids::message_id`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use adapter_core::{Codec, DecodeContext, ids};
use adapter_health::hl7::Charset;
use adapter_health::native::TRANSLATED;
use adapter_health::{HealthCodec, HealthConfig};
use contracts::model::{Actor, Envelope, Payload};
use proptest::prelude::*;
use serde_json::Value;

/// Keys whose string values are free text (any characters).
const FREE_TEXT: &[&str] = &[
    "name",
    "org_name",
    "description",
    "remarks",
    "note",
    "hair",
    "distinguishing_marks",
    "clothing_when_found",
    "notes",
    "address_text",
    "grid_name",
    "household_address",
    "residence_address",
    "dialect_or_accent",
    "department",
    "text",
    "not_admitted_reason",
    "care_instructions",
    "identity_info_gathered",
    "actions_taken",
    "cause_summary",
    "place",
    "body_location",
    "org",
    "item",
    "message",
    "address",
    "from",
    "to",
    "transfer_station",
    "over_10_days_reason",
    "rejected_message_type",
    "pointer",
    "sender_system",
];

/// Optional members that may be dropped (path patterns relative to the payload; `*` is any
/// array index). Members a decode needs, or that only make sense together, are not listed.
const DROPPABLE: &[&str] = &[
    // Staff, wherever it appears.
    "/escort/*/badge_or_staff_no",
    "/escort/*/org_code",
    "/escort/*/phone",
    "/escort/*/role",
    "/station_contact/phone",
    "/station_contact/role",
    "/station_contact/org_code",
    "/hospital_contact/phone",
    "/hospital_contact/badge_or_staff_no",
    "/hospital_contact/role",
    "/handler/phone",
    "/handler/role",
    "/handler/badge_or_staff_no",
    "/handler/org_code",
    // PersonIdentity / IdentityDelta.
    "/person/person_id",
    "/person/alias_names",
    "/person/ethnicity_code",
    "/person/household_address",
    "/person/residence_address",
    "/person/dialect_or_accent",
    "/person/national_rescue_record_no",
    "/person/name_is_assigned",
    "/person/birth_date",
    "/changed_fields/name",
    "/changed_fields/birth_date",
    "/changed_fields/sex_code",
    "/changed_fields/identity_status",
    "/changed_fields/household_region_code",
    "/changed_fields/household_address",
    "/changed_fields/is_minor",
    "/changed_fields/ethnicity_code",
    "/changed_fields/alias_names",
    // HOSPITAL_ADMISSION.
    "/case_id@HOSPITAL_ADMISSION",
    "/physical_description",
    "/belongings",
    "/belongings/*/description",
    "/belongings/*/cash_amount",
    "/belongings/*/is_document",
    "/belongings/*/is_prohibited",
    // ADMISSION_ACK, HOSPITAL_DISCHARGE.
    "/department",
    "/preliminary_diagnosis",
    "/preliminary_diagnosis/*/code",
    "/discharge_diagnosis",
    "/care_instructions",
    "/mental_state_assessment",
    "/identity_info_gathered",
    "/pickup_required_by",
    // INCIDENT_REPORT.
    "/police_case_no",
    "/attachments",
    "/persons_involved/*/case_id",
    "/persons_involved/*/person_id",
    "/death_details/certificate_ref",
    "/death_details/cause_summary",
    "/death_details/body_location",
    "/death_details/family_notified_at",
    "/death_details/public_notice_until",
    "/location/community_code",
    "/location/grid_code",
    "/location/place_type",
    "/location/grid/grid_name",
    "/location/grid/community_code",
    "/location/geo",
    // REFERRAL.
    "/source_event_class",
    "/source_event_class/minor",
    "/suspected_flags",
    "/deadline_at",
    "/photos",
    "/remarks",
    "/reporter/name",
    "/reporter/phone",
    "/reporter/staff_no",
    "/reporter/org_code",
    "/reporter/org_name",
    "/subjects/*/estimated_age",
    "/subjects/*/physical_description",
    "/subjects/*/health/flags",
    "/subjects/*/health/notes",
    // IDENTITY_UPDATE, REFERRAL_OUTCOME.
    "/evidence_ref",
    "/merged_into_person_id",
    "/arrived_at@REFERRAL_OUTCOME",
    "/case_id@REFERRAL_OUTCOME",
    // STATION_LEAVE.
    "/cross_province",
    "/destination",
    "/destination/org_code",
    "/self_leave_declaration",
    "/collector",
    "/travel_voucher",
    "/travel_voucher/transfer_station",
    "/travel_voucher/voucher_no",
    "/cash_given",
    "/over_10_days_reason",
    "/termination_notice_ref",
    "/leave_register_ref",
    "/return_notice_id",
    // HUB_REJECTED.
    "/rejected_message_id",
    "/rejected_message_type",
];

fn fixtures() -> Vec<Envelope<Value>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/fixtures");
    let mut files: Vec<PathBuf> = Vec::new();
    for t in TRANSLATED {
        for major in ["v1", "v2"] {
            let dir = root.join(t.as_str()).join(major).join("valid");
            if let Ok(entries) = std::fs::read_dir(&dir) {
                files.extend(entries.filter_map(Result::ok).map(|e| e.path()));
            }
        }
    }
    files.sort();
    let out: Vec<Envelope<Value>> = files
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
        .collect();
    for t in TRANSLATED {
        assert!(out.iter().any(|m| m.message_type == t), "no fixture of {t}");
    }
    out
}

fn matches(pattern: &str, path: &[String]) -> bool {
    let parts: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    parts.len() == path.len()
        && parts
            .iter()
            .zip(path)
            .all(|(p, s)| *p == "*" && s.parse::<usize>().is_ok() || p == s)
}

/// Replaces free texts and drops optional members, taking decisions from the generated
/// vectors in order.
fn vary(
    value: &mut Value,
    path: &mut Vec<String>,
    message_type: &str,
    texts: &[String],
    drops: &[bool],
    cursor: &mut usize,
) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                path.push(key.clone());
                let droppable = DROPPABLE.iter().any(|p| match p.split_once('@') {
                    Some((p, t)) => t == message_type && matches(p, path),
                    None => matches(p, path),
                });
                *cursor += 1;
                if droppable && drops[*cursor % drops.len()] {
                    map.remove(&key);
                } else if let Some(child) = map.get_mut(&key) {
                    if FREE_TEXT.contains(&key.as_str()) && child.is_string() {
                        *child = Value::String(texts[*cursor % texts.len()].clone());
                    } else if key == "alias_names" {
                        if let Value::Array(items) = child {
                            for (i, item) in items.iter_mut().enumerate() {
                                *item = Value::String(texts[(*cursor + i) % texts.len()].clone());
                            }
                        }
                    } else {
                        vary(child, path, message_type, texts, drops, cursor);
                    }
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                vary(item, path, message_type, texts, drops, cursor);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Text with the HL7 delimiters, the escape character, CR/LF, quotes and Chinese, 1 to 40
/// characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z张王李赵救助站|^~\\\\&#\"\r\n .,:;/-]{1,40}",
        Just("\"\"".to_owned()),
        Just("a|b^c~d\\e&f".to_owned()),
        Just("\\F\\ \\X0D\\ \\.br\\".to_owned()),
        "[\\u{4e00}-\\u{9fa5}]{1,20}",
    ]
}

fn typed(message: &Envelope<Value>) -> (Envelope<Value>, Payload) {
    let major = message.major_version().unwrap();
    let payload = Payload::decode(message.message_type, major, message.payload.clone()).unwrap();
    let mut envelope = message.clone();
    envelope.payload = Value::Null;
    (envelope, payload)
}

fn context_of(message: &Envelope<Value>) -> DecodeContext {
    DecodeContext {
        sender_org_code: message.sender_org_code.clone(),
        sender_system: message.sender_system.clone(),
        region_code: message.region_code.clone(),
        receiver_org_codes: vec!["12320585466880789G".to_owned()],
        received_at: message.sent_at.clone(),
    }
}

fn check_round_trip(message: &Envelope<Value>, charset: Charset) -> Result<(), TestCaseError> {
    let codec = HealthCodec::new(HealthConfig {
        outbound_charset: charset,
        ..HealthConfig::default()
    });
    let document = codec
        .encode(message)
        .map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
    prop_assert!(!document.body.contains(&0x0b) && !document.body.contains(&0x1c));
    let decoded = codec
        .decode(&document.body, &context_of(message))
        .map_err(|e| {
            TestCaseError::fail(format!(
                "decode: {e}\n{}",
                String::from_utf8_lossy(&document.body).replace('\r', "\n")
            ))
        })?;
    prop_assert_eq!(decoded.messages.len(), 1);
    let mut expected = message.clone();
    expected.message_id =
        ids::message_id(Actor::Health, &message.message_id, message.message_type, 0);
    prop_assert_eq!(&decoded.native_ref.document_id, &message.message_id);
    let (got_envelope, got_payload) = typed(&decoded.messages[0]);
    let (want_envelope, want_payload) = typed(&expected);
    prop_assert_eq!(got_envelope, want_envelope);
    prop_assert_eq!(
        got_payload,
        want_payload,
        "\n{}",
        String::from_utf8_lossy(&document.body).replace('\r', "\n")
    );
    Ok(())
}

#[test]
fn every_fixture_round_trips_unchanged() {
    for message in fixtures() {
        check_round_trip(&message, Charset::Utf8)
            .unwrap_or_else(|e| panic!("{} {}: {e}", message.message_type, message.message_id));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn varied_messages_round_trip(
        index in any::<prop::sample::Index>(),
        texts in prop::collection::vec(text(), 16),
        drops in prop::collection::vec(any::<bool>(), 61),
        gb18030 in any::<bool>(),
    ) {
        let all = fixtures();
        let mut message = all[index.index(all.len())].clone();
        let message_type = message.message_type.as_str().to_owned();
        let mut cursor = 0;
        vary(&mut message.payload, &mut Vec::new(), &message_type, &texts, &drops, &mut cursor);
        message.sender_system = texts[0].clone();
        let charset = if gb18030 { Charset::Gb18030 } else { Charset::Utf8 };
        check_round_trip(&message, charset)?;
    }
}
