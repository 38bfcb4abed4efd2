//! Edge cases of the grid codec that the golden files do not show: configured referral event
//! types, what it refuses to encode, hub documents with broken headers or bodies, identities
//! and ids of decoded events, byte-order marks, and times written with another UTC offset.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_core::{Codec, CodecError, DecodeContext};
use adapter_grid::{GridCodec, GridConfig};
use adapter_platform_json::testing::{self, fixture};
use contracts::model::Envelope;
use serde_json::{Value, json};

fn ctx() -> DecodeContext {
    DecodeContext::fixed_for_tests("12320585MB1A23456U", "太仓市网格化联动指挥平台")
}

fn golden(path: &str) -> Vec<u8> {
    testing::golden("grid", path)
}

fn unencodable(message: &Envelope<Value>) -> String {
    testing::unencodable(&GridCodec::default(), message)
}

#[test]
fn the_referral_event_types_come_from_the_configuration() {
    let config: GridConfig = serde_json::from_value(json!({
        "base_url": "http://10.32.9.40:8080/grid-api",
        "org_code": "12320585MB1A23456U",
        "station_org_codes": ["12320585466880789G"],
        "referral_event_types": ["0306", "0311"]
    }))
    .unwrap();
    let codec = GridCodec::new(&config);
    let mut event: Value =
        serde_json::from_slice(&golden("decode/event_0306_sighting_bus_stop.json")).unwrap();
    event["eventType"] = json!("0311");
    let native = serde_json::to_vec(&event).unwrap();
    let decoded = codec.decode(&native, &ctx()).unwrap();
    assert_eq!(
        decoded.messages[0].payload["source_event_class"]["major"],
        "0311"
    );
    match GridCodec::default().decode(&native, &ctx()) {
        Err(CodecError::UnsupportedKind { kind, detail }) => {
            assert!(kind.contains("0311"), "{kind}");
            assert!(detail.contains("0306"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn types_the_platform_does_not_exchange_are_unencodable() {
    let handover = fixture("POLICE_ESCORT_HANDOVER/v1/valid/typical.json");
    assert!(unencodable(&handover).contains("no document for this type"));
}

#[test]
fn referrals_a_grid_event_cannot_carry_are_unencodable() {
    let citymgmt = fixture("REFERRAL/v2/valid/citymgmt_community_without_grid.json");
    assert!(unencodable(&citymgmt).contains("source_system GRID"));

    let mut inspector = fixture("REFERRAL/v2/valid/grid_two_subjects_mixed_willingness.json");
    inspector.payload["reporter"]["kind"] = json!("CITY_INSPECTOR");
    assert!(unencodable(&inspector).contains("上报来源"));
}

#[test]
fn canonical_fields_without_a_native_place_are_unencodable_not_dropped() {
    let mut outcome = fixture("REFERRAL_OUTCOME/v1/valid/admitted_after_grid_referral.json");
    outcome.payload["handler"]["email"] = json!("a@b.cn");
    assert!(unencodable(&outcome).contains("/payload/handler/email"));
}

#[test]
fn times_with_another_offset_are_written_in_beijing_time() {
    let mut intake = fixture("STATION_INTAKE/v1/valid/not_eligible_self_request.json");
    intake.payload["intake_at"] = json!("2025-03-31T16:30:00Z");
    let native = GridCodec::default().encode(&intake).unwrap();
    let body: Value = serde_json::from_slice(&native.body).unwrap();
    assert_eq!(body["body"]["intakeTime"], "2025-04-01 00:30:00");
    let decoded = GridCodec::default().decode(&native.body, &ctx()).unwrap();
    assert_eq!(
        decoded.messages[0].payload["intake_at"],
        "2025-04-01T00:30:00+08:00"
    );
}

#[test]
fn outbound_documents_go_to_their_paths() {
    let codec = GridCodec::default();
    let cases = [
        (
            "REFERRAL_OUTCOME/v1/valid/admitted_after_grid_referral.json",
            "/api/event/task/feedback",
        ),
        (
            "STATION_INTAKE/v1/valid/not_eligible_self_request.json",
            "/api/event/rescue/intake-notice",
        ),
        (
            "HUB_REJECTED/v1/valid/parse_failure_without_correlation.json",
            "/api/event/rescue/reject-notice",
        ),
        (
            "REFERRAL/v2/valid/grid_two_subjects_mixed_willingness.json",
            "/grid/v1/events",
        ),
    ];
    for (message, path) in cases {
        assert_eq!(codec.encode(&fixture(message)).unwrap().path, path);
    }
}

#[test]
fn a_decoded_event_is_identified_for_its_receipt() {
    let decoded = GridCodec::default()
        .decode(&golden("decode/event_0306_sighting_bus_stop.json"), &ctx())
        .unwrap();
    assert_eq!(decoded.native_ref.document_id, "SJ3205852025030100431");
    assert_eq!(decoded.native_ref.document_kind, "eventReport");
    assert_eq!(decoded.native_ref.reply_to["taskId"], "WG-20250301-000431");
}

#[test]
fn a_resent_event_keeps_its_message_id_and_a_new_task_gets_a_new_one() {
    let native = golden("decode/event_0306_sighting_bus_stop.json");
    let codec = GridCodec::default();
    let first = codec.decode(&native, &ctx()).unwrap();
    assert_eq!(first, codec.decode(&native, &ctx()).unwrap());

    let mut redistributed: Value = serde_json::from_slice(&native).unwrap();
    redistributed["taskId"] = json!("WG-20250301-000455");
    let redistributed = codec
        .decode(&serde_json::to_vec(&redistributed).unwrap(), &ctx())
        .unwrap();
    assert_ne!(
        first.messages[0].message_id,
        redistributed.messages[0].message_id
    );
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let mut native = b"\xEF\xBB\xBF".to_vec();
    native.extend(golden("decode/event_0306_sighting_bus_stop.json"));
    assert!(GridCodec::default().decode(&native, &ctx()).is_ok());
}

#[test]
fn intake_notices_with_wrong_keys_name_the_field() {
    let native = golden("encode/station_intake_unidentified_full.json");
    let cases = [
        ("caseId", json!("TCJZ-2025-0145"), "body.caseId"),
        ("intake_channel", json!("SELF"), "body.intake_channel"),
        (
            "intakeTime",
            json!("2025-04-12T10:55:00+08:00"),
            "body.intakeTime",
        ),
    ];
    for (key, value, field) in cases {
        let mut doc: Value = serde_json::from_slice(&native).unwrap();
        doc["body"][key] = value;
        match GridCodec::default().decode(&serde_json::to_vec(&doc).unwrap(), &ctx()) {
            Err(CodecError::InvalidField { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[test]
fn hub_documents_with_broken_headers_name_the_header_field() {
    let native = golden("encode/outcome_admitted_after_grid_referral.json");
    let mut doc: Value = serde_json::from_slice(&native).unwrap();
    doc["header"].as_object_mut().unwrap().remove("legalBasis");
    match GridCodec::default().decode(&serde_json::to_vec(&doc).unwrap(), &ctx()) {
        Err(CodecError::MissingField { field, .. }) => assert_eq!(field, "header.legalBasis"),
        other => panic!("{other:?}"),
    }

    let mut doc: Value = serde_json::from_slice(&native).unwrap();
    doc["header"]["msgType"] = json!("HANDOVER_ACK");
    match GridCodec::default().decode(&serde_json::to_vec(&doc).unwrap(), &ctx()) {
        Err(CodecError::UnsupportedKind { kind, .. }) => assert_eq!(kind, "HANDOVER_ACK"),
        other => panic!("{other:?}"),
    }

    let mut doc: Value = serde_json::from_slice(&native).unwrap();
    doc["body"]["endTime"] = json!("2025-03-01 8:05");
    match GridCodec::default().decode(&serde_json::to_vec(&doc).unwrap(), &ctx()) {
        Err(CodecError::InvalidField { field, .. }) => assert_eq!(field, "body.endTime"),
        other => panic!("{other:?}"),
    }
}
