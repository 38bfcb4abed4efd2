//! Edge cases of the 城管 codec that the golden files do not show: what it refuses to encode,
//! hub documents with broken headers, identities and ids of decoded cases, byte-order marks,
//! and times written with another UTC offset.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use adapter_citymgmt::CitymgmtCodec;
use adapter_core::{Codec, CodecError, DecodeContext};
use adapter_platform_json::testing::{self, fixture};
use contracts::model::Envelope;
use serde_json::{Value, json};

fn ctx() -> DecodeContext {
    DecodeContext::fixed_for_tests("11320585MB19345675", "太仓市数字城管平台")
}

fn golden(path: &str) -> Vec<u8> {
    testing::golden("citymgmt", path)
}

fn unencodable(message: &Envelope<Value>) -> String {
    testing::unencodable(&CitymgmtCodec, message)
}

#[test]
fn types_the_citymgmt_system_does_not_exchange_are_unencodable() {
    let intake = fixture("STATION_INTAKE/v1/valid/not_eligible_self_request.json");
    assert!(unencodable(&intake).contains("no document for this type"));
}

#[test]
fn referrals_a_citymgmt_case_cannot_carry_are_unencodable() {
    let grid = fixture("REFERRAL/v2/valid/grid_two_subjects_mixed_willingness.json");
    assert!(unencodable(&grid).contains("source_system CITYMGMT"));

    let mut with_grid = fixture("REFERRAL/v2/valid/citymgmt_community_without_grid.json");
    let location = with_grid.payload["location"].as_object_mut().unwrap();
    location.remove("community_code");
    location.insert("grid".to_owned(), json!({"grid_code": "320585402003-01"}));
    assert!(unencodable(&with_grid).contains("location.grid"));

    let mut grid_worker = fixture("REFERRAL/v2/valid/citymgmt_community_without_grid.json");
    grid_worker.payload["reporter"]["kind"] = json!("GRID_WORKER");
    assert!(unencodable(&grid_worker).contains("案件来源"));
}

#[test]
fn canonical_fields_without_a_native_place_are_unencodable_not_dropped() {
    let mut outcome = fixture("REFERRAL_OUTCOME/v1/valid/refused_supplies_given_citymgmt.json");
    outcome.payload["diagnosis"] = json!("流感");
    assert!(unencodable(&outcome).contains("/payload/diagnosis"));
}

#[test]
fn times_with_another_offset_are_written_in_beijing_time() {
    let mut outcome = fixture("REFERRAL_OUTCOME/v1/valid/refused_supplies_given_citymgmt.json");
    outcome.payload["signed_at"] = json!("2025-03-02T06:21:15Z");
    let native = CitymgmtCodec.encode(&outcome).unwrap();
    let body: Value = serde_json::from_slice(&native.body).unwrap();
    assert_eq!(body["body"]["signTime"], "2025-03-02 14:21:15");
    let decoded = CitymgmtCodec.decode(&native.body, &ctx()).unwrap();
    assert_eq!(
        decoded.messages[0].payload["signed_at"],
        "2025-03-02T14:21:15+08:00"
    );
}

#[test]
fn outbound_documents_go_to_their_paths() {
    let outcome = fixture("REFERRAL_OUTCOME/v1/valid/refused_supplies_given_citymgmt.json");
    let rejected = fixture("HUB_REJECTED/v1/valid/unauthorized.json");
    assert_eq!(
        CitymgmtCodec.encode(&outcome).unwrap().path,
        "/api/v1/rescue/case-feedback"
    );
    assert_eq!(
        CitymgmtCodec.encode(&rejected).unwrap().path,
        "/api/v1/rescue/reject-notices"
    );
}

#[test]
fn a_decoded_case_is_identified_for_its_receipt() {
    let decoded = CitymgmtCodec
        .decode(
            &golden("decode/case_05_02_two_refused_outreach.json"),
            &ctx(),
        )
        .unwrap();
    assert_eq!(decoded.native_ref.document_id, "TC20250302000117");
    assert_eq!(decoded.native_ref.document_kind, "caseDispatch");
    assert_eq!(
        decoded.native_ref.reply_to["dispatchNo"],
        "CG-20250302-0117"
    );
}

#[test]
fn a_resent_case_keeps_its_message_id_and_a_new_dispatch_gets_a_new_one() {
    let native = golden("decode/case_05_02_two_refused_outreach.json");
    let first = CitymgmtCodec.decode(&native, &ctx()).unwrap();
    let again = CitymgmtCodec.decode(&native, &ctx()).unwrap();
    assert_eq!(first, again);

    let mut redispatched: Value = serde_json::from_slice(&native).unwrap();
    redispatched["dispatch"]["dispatchNo"] = json!("CG-20250302-0121");
    let redispatched = CitymgmtCodec
        .decode(&serde_json::to_vec(&redispatched).unwrap(), &ctx())
        .unwrap();
    assert_ne!(
        first.messages[0].message_id,
        redispatched.messages[0].message_id
    );
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let mut native = b"\xEF\xBB\xBF".to_vec();
    native.extend(golden("decode/case_05_02_two_refused_outreach.json"));
    assert!(CitymgmtCodec.decode(&native, &ctx()).is_ok());
}

#[test]
fn hub_documents_with_broken_headers_name_the_header_field() {
    let native = golden("encode/outcome_refused_supplies_given.json");
    let mut doc: Value = serde_json::from_slice(&native).unwrap();
    doc["header"].as_object_mut().unwrap().remove("msgId");
    match CitymgmtCodec.decode(&serde_json::to_vec(&doc).unwrap(), &ctx()) {
        Err(CodecError::MissingField { field, .. }) => assert_eq!(field, "header.msgId"),
        other => panic!("{other:?}"),
    }

    let mut doc: Value = serde_json::from_slice(&native).unwrap();
    doc["header"]["msgType"] = json!("STATION_INTAKE");
    match CitymgmtCodec.decode(&serde_json::to_vec(&doc).unwrap(), &ctx()) {
        Err(CodecError::UnsupportedKind { kind, .. }) => assert_eq!(kind, "STATION_INTAKE"),
        other => panic!("{other:?}"),
    }

    let mut doc: Value = serde_json::from_slice(&native).unwrap();
    doc["header"]["sendTime"] = json!("2025-03-02T15:40:27+08:00");
    match CitymgmtCodec.decode(&serde_json::to_vec(&doc).unwrap(), &ctx()) {
        Err(CodecError::InvalidField { field, .. }) => assert_eq!(field, "header.sendTime"),
        other => panic!("{other:?}"),
    }

    let mut doc: Value = serde_json::from_slice(&native).unwrap();
    doc["header"]["priority"] = json!("high");
    match CitymgmtCodec.decode(&serde_json::to_vec(&doc).unwrap(), &ctx()) {
        Err(CodecError::InvalidField { field, .. }) => assert_eq!(field, "header.priority"),
        other => panic!("{other:?}"),
    }
}
