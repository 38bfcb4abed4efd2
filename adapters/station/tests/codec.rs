#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Edge cases of the STATION codec through its public [`Codec`] interface: what a decode
//! fills in from the context, message ids, receipts (`answer`), encode refusals.

use adapter_core::codec::{InboundAnswer, NativeRef, Verdict};
use adapter_core::{Codec, CodecError, DecodeContext, ids};
use adapter_station::StationCodec;
use contracts::MessageType;
use contracts::model::hub_rejected::RejectionReason;
use contracts::model::{Actor, Envelope};
use serde_json::{Value, json};

fn ctx() -> DecodeContext {
    DecodeContext::fixed_for_tests("12320585466880789G", "太仓市救助管理站信息系统")
}

/// A minimal 比对反馈 as the station system sends it: no sender, no send time.
fn match_document() -> Value {
    json!({
        "head": {
            "docType": "missingPersonMatch",
            "docNo": "TCJZ-BD-20250603-0007",
            "correlationId": "016ccbd3-fd06-4c34-b060-f5a2c0fe2083",
            "legalBasis": ["PIPL13_1_3", "MCA_MPS_2015"],
            "purposeCode": "MISSING_PERSON_SEARCH",
            "sensitivity": "GENERAL"
        },
        "data": {
            "reportNo": "J32058520250602002741",
            "comparedAt": "2025-06-03 10:10:00",
            "result": "NO_MATCH",
            "stationContact": {"name": "周敏", "orgName": "太仓市救助管理站"}
        }
    })
}

fn decode(document: &Value) -> Result<Envelope<Value>, CodecError> {
    let bytes = serde_json::to_vec(document).unwrap();
    let decoded = StationCodec::new().decode(&bytes, &ctx())?;
    assert_eq!(decoded.messages.len(), 1);
    Ok(decoded.messages.into_iter().next().unwrap())
}

#[test]
fn what_the_head_leaves_out_comes_from_the_context() {
    let message = decode(&match_document()).unwrap();
    let ctx = ctx();
    assert_eq!(message.message_type, MessageType::MissingPersonMatch);
    assert_eq!(message.schema_version, "1.0.0");
    assert_eq!(message.sender_org_code, ctx.sender_org_code);
    assert_eq!(message.sender_org_type, Actor::Station);
    assert_eq!(message.sender_system, ctx.sender_system);
    assert_eq!(message.receiver_org_codes, ctx.receiver_org_codes);
    assert_eq!(message.region_code, "320585");
    assert_eq!(message.sent_at, ctx.received_at);
    assert_eq!(message.case_id, None);
    assert_eq!(
        message.correlation_id.as_deref(),
        Some("016ccbd3-fd06-4c34-b060-f5a2c0fe2083")
    );
    assert_eq!(message.payload["compared_at"], "2025-06-03T10:10:00+08:00");
    assert_eq!(
        message.payload["station_contact"]["org_name"],
        "太仓市救助管理站"
    );
}

#[test]
fn message_ids_follow_the_document_number_and_are_deterministic() {
    let first = decode(&match_document()).unwrap();
    let again = decode(&match_document()).unwrap();
    assert_eq!(first, again);
    assert_eq!(
        first.message_id,
        ids::message_id(
            Actor::Station,
            "TCJZ-BD-20250603-0007",
            MessageType::MissingPersonMatch,
            0
        )
    );
    let mut other = match_document();
    other["head"]["docNo"] = json!("TCJZ-BD-20250603-0008");
    assert_ne!(decode(&other).unwrap().message_id, first.message_id);
}

#[test]
fn byte_order_mark_and_nulls_are_tolerated() {
    let mut document = match_document();
    document["data"]["caseId"] = Value::Null;
    document["head"]["sentAt"] = Value::Null;
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(serde_json::to_vec(&document).unwrap());
    let decoded = StationCodec::new().decode(&bytes, &ctx()).unwrap();
    assert_eq!(decoded.native_ref.document_id, "TCJZ-BD-20250603-0007");
    assert_eq!(decoded.native_ref.document_kind, "missingPersonMatch");
    assert!(decoded.messages[0].payload.get("case_id").is_none());
}

#[test]
fn a_passport_number_is_not_checked_as_a_resident_id() {
    let mut document = match_document();
    document["head"]["docType"] = json!("identityUpdate");
    document["data"] = json!({
        "personId": "P-2025-000421",
        "caseId": "TCJZ-2025-0131",
        "identityVersion": 2,
        "changeType": "CORRECTED",
        "changedFields": {"idDocType": "414", "idNumber": "E12345678"},
        "sourceOfTruth": "DOCUMENT",
        "effectiveAt": "2025-03-02 10:00:00"
    });
    decode(&document).unwrap();
    document["data"]["changedFields"]["idDocType"] = json!("111");
    let error = decode(&document).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("field /data/changedFields/idNumber has value \"E12345678\""),
        "{error}"
    );
}

#[test]
fn the_receiver_of_a_return_home_receipt_is_checked() {
    let document = json!({
        "head": {
            "docType": "returnHomeReceipt",
            "docNo": "b1a4c3d2-0000-4000-8000-000000000001",
            "legalBasis": ["PIPL13_1_3"],
            "purposeCode": "RETURN_HOME",
            "sensitivity": "SENSITIVE"
        },
        "data": {
            "noticeId": "FX-1",
            "handedOverAt": "2025-03-05 09:00:00",
            "receivedBy": {"name": "李国强", "relationCode": "51", "idNumber": "411625197801010011"}
        }
    });
    let error = decode(&document).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("/data/receivedBy/idNumber has value \"411625197801010011\""),
        "{error}"
    );
}

fn answer_json(native_ref: Option<&NativeRef>, verdict: Verdict<'_>) -> (u16, String, Value) {
    let document = StationCodec::new().answer(&InboundAnswer {
        native_ref,
        verdict,
    });
    assert_eq!(document.content_type, "application/json; charset=UTF-8");
    let body: Value = serde_json::from_slice(&document.body).unwrap();
    (document.http_status, document.path, body)
}

fn intake_ref() -> NativeRef {
    NativeRef {
        document_id: "TCJZ-RZ-20250401-0131".to_owned(),
        document_kind: "intake".to_owned(),
        reply_to: Default::default(),
    }
}

#[test]
fn accepted_documents_get_201_with_the_message_ids() {
    let ids = ["72906ef7-efe6-431d-a60e-95785e5e4187".to_owned()];
    let (status, path, body) =
        answer_json(Some(&intake_ref()), Verdict::Accepted { message_ids: &ids });
    assert_eq!(status, 201);
    assert_eq!(path, "/api/v1/intakes");
    assert_eq!(
        body,
        json!({
            "success": true,
            "code": "ACCEPTED",
            "message": "已接收：枢纽已确认保存",
            "docNo": "TCJZ-RZ-20250401-0131",
            "docType": "intake",
            "messageIds": ["72906ef7-efe6-431d-a60e-95785e5e4187"]
        })
    );
}

#[test]
fn refusals_get_422_with_each_reason_at_its_place_in_the_station_document() {
    let reasons = [
        RejectionReason {
            pointer: "/payload/person/id_number".to_owned(),
            code: "format".to_owned(),
            message: "field `id_number` fails the GB 11643 check character.".to_owned(),
        },
        RejectionReason {
            pointer: "/sensitivity".to_owned(),
            code: "minor-sensitivity".to_owned(),
            message: "the payload concerns a minor.".to_owned(),
        },
    ];
    let (status, _, body) =
        answer_json(Some(&intake_ref()), Verdict::Refused { reasons: &reasons });
    assert_eq!(status, 422);
    assert_eq!(body["success"], false);
    assert_eq!(body["code"], "REFUSED");
    assert_eq!(body["retryable"], false);
    assert_eq!(
        body["errors"],
        json!([
            {
                "pointer": "/data/person/idNumber",
                "canonicalPointer": "/payload/person/id_number",
                "code": "format",
                "message": "field `id_number` fails the GB 11643 check character."
            },
            {
                "pointer": "/head/sensitivity",
                "canonicalPointer": "/sensitivity",
                "code": "minor-sensitivity",
                "message": "the payload concerns a minor."
            }
        ])
    );
}

#[test]
fn undecodable_documents_get_422_with_the_decode_error() {
    let mut document = match_document();
    document["data"]["comparedAt"] = json!("2025-06-03T10:10:00+08:00");
    let error = decode(&document).unwrap_err();
    let (status, path, body) = answer_json(None, Verdict::Malformed { error: &error });
    assert_eq!(status, 422);
    assert_eq!(path, "");
    assert_eq!(body["code"], "INVALID_FIELD");
    assert!(body.get("docNo").is_none());
    assert_eq!(body["errors"][0]["pointer"], "/data/comparedAt");
    assert_eq!(body["errors"][0]["code"], "INVALID_FIELD");
    assert_eq!(body["errors"][0]["message"], error.to_string());

    let error = StationCodec::new().decode(b"not json", &ctx()).unwrap_err();
    let (_, _, body) = answer_json(None, Verdict::Malformed { error: &error });
    assert_eq!(body["code"], "MALFORMED");
    assert_eq!(body["errors"][0]["pointer"], "");

    let mut document = match_document();
    document["head"]["docType"] = json!("nope");
    let error = decode(&document).unwrap_err();
    let (_, _, body) = answer_json(None, Verdict::Malformed { error: &error });
    assert_eq!(body["code"], "UNSUPPORTED_KIND");
    assert_eq!(body["errors"][0]["pointer"], "/head/docType");
}

#[test]
fn an_unavailable_hub_gets_503_and_asks_for_the_same_document_again() {
    let (status, _, body) = answer_json(
        Some(&intake_ref()),
        Verdict::Unavailable {
            detail: "broker did not confirm within 5 s",
        },
    );
    assert_eq!(status, 503);
    assert_eq!(body["code"], "HUB_UNAVAILABLE");
    assert_eq!(body["retryable"], true);
    assert_eq!(body["docNo"], "TCJZ-RZ-20250401-0131");
    assert_eq!(
        body["errors"][0]["message"],
        "broker did not confirm within 5 s"
    );
}

fn fixture(path: &str) -> Envelope<Value> {
    let file = format!(
        "{}/../../contracts/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

#[test]
fn referral_v2_is_not_encoded_the_station_reads_v1() {
    let message = fixture("REFERRAL/v2/valid/citymgmt_community_without_grid.json");
    let error = StationCodec::new().encode(&message).unwrap_err();
    let CodecError::Unencodable { message_type, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(message_type, "REFERRAL");
    assert!(error.to_string().contains("version 1.x.y"), "{error}");
}

#[test]
fn a_payload_missing_a_required_field_is_unencodable_with_its_pointer() {
    let mut message = fixture("STATION_LEAVE/v1/valid/collected_by_daughter.json");
    message
        .payload
        .as_object_mut()
        .unwrap()
        .remove("days_in_station");
    let error = StationCodec::new().encode(&message).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("missing field `days_in_station`"),
        "{error}"
    );
    let mut message = fixture("STATION_LEAVE/v1/valid/collected_by_daughter.json");
    message.payload["collector"]["name"] = json!(5);
    let error = StationCodec::new().encode(&message).unwrap_err();
    assert!(
        error.to_string().contains("/payload/collector/name"),
        "{error}"
    );
}

#[test]
fn a_bad_canonical_timestamp_is_unencodable() {
    let mut message = fixture("STATION_LEAVE/v1/valid/collected_by_daughter.json");
    message.sent_at = "2025-04-25 07:40:00".to_owned();
    let error = StationCodec::new().encode(&message).unwrap_err();
    assert!(error.to_string().contains("/head/sentAt"), "{error}");
}

#[test]
fn the_department_is_the_station() {
    assert_eq!(StationCodec::new().department(), Actor::Station);
}
