//! The 城管 receipts both ways: the hub's answers (`answer`) for every verdict, and the
//! reading of the 城管 system's answers (`classify_response`) by HTTP status and `code`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use adapter_citymgmt::CitymgmtCodec;
use adapter_core::{Codec, CodecError, DeliveryResponse, NativeRef, Verdict};
use adapter_platform_json::testing;
use contracts::model::hub_rejected::RejectionReason;
use serde_json::{Value, json};

fn native_ref() -> NativeRef {
    NativeRef {
        document_id: "TC20250302000117".to_owned(),
        document_kind: "caseDispatch".to_owned(),
        reply_to: BTreeMap::from([
            ("caseNo".to_owned(), "TC20250302000117".to_owned()),
            ("dispatchNo".to_owned(), "CG-20250302-0117".to_owned()),
        ]),
    }
}

fn answer(native_ref: Option<&NativeRef>, verdict: Verdict<'_>) -> (u16, Value) {
    testing::answer(&CitymgmtCodec, native_ref, verdict)
}

#[test]
fn accepted_echoes_the_case_and_the_message_ids() {
    let r = native_ref();
    let ids = ["5b0c1d9e-0000-5000-8000-000000000001".to_owned()];
    let (status, body) = answer(Some(&r), Verdict::Accepted { message_ids: &ids });
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"code": "0", "msg": "接收成功", "data": {
            "caseNo": "TC20250302000117", "dispatchNo": "CG-20250302-0117",
            "messageIds": ["5b0c1d9e-0000-5000-8000-000000000001"]}})
    );
}

#[test]
fn refused_lists_every_reason_with_the_native_field() {
    let r = native_ref();
    let reasons = [
        RejectionReason {
            pointer: "/payload/subjects/0/sex_code".to_owned(),
            code: "format".to_owned(),
            message: "field `sex_code` must be 0, 1, 2 or 9.".to_owned(),
        },
        RejectionReason {
            pointer: "/sensitivity".to_owned(),
            code: "minor-sensitivity".to_owned(),
            message: "must be SENSITIVE_MINOR".to_owned(),
        },
    ];
    let (status, body) = answer(Some(&r), Verdict::Refused { reasons: &reasons });
    assert_eq!(status, 200);
    assert_eq!(body["code"], "2001");
    assert_eq!(
        body["data"]["reasons"],
        json!([
            {"field": "rescueInfo.persons[0].sex", "pointer": "/payload/subjects/0/sex_code",
             "code": "format", "message": "field `sex_code` must be 0, 1, 2 or 9."},
            {"pointer": "/sensitivity", "code": "minor-sensitivity",
             "message": "must be SENSITIVE_MINOR"}
        ])
    );
}

#[test]
fn malformed_documents_get_the_code_of_their_error() {
    let cases = [
        (
            CodecError::Malformed {
                format: "JSON",
                location: "line 1 column 2".to_owned(),
                detail: "expected value".to_owned(),
            },
            "1001",
        ),
        (
            CodecError::UnsupportedKind {
                kind: "事件类别 05-01 街面秩序/无照经营游商".to_owned(),
                detail: "only 05-02".to_owned(),
            },
            "1002",
        ),
        (
            CodecError::MissingField {
                field: "caseNo".to_owned(),
                meaning: "案卷号".to_owned(),
            },
            "1003",
        ),
        (
            CodecError::InvalidField {
                field: "discoverTime".to_owned(),
                value: "2025/03/02".to_owned(),
                detail: "bad".to_owned(),
            },
            "1004",
        ),
    ];
    for (error, code) in cases {
        let (status, body) = answer(None, Verdict::Malformed { error: &error });
        assert_eq!(status, 200);
        assert_eq!(body["code"], code);
        assert!(body["msg"].as_str().unwrap().contains(&error.to_string()));
        assert_eq!(body["data"]["reasons"][0]["message"], error.to_string());
        assert!(body["data"].get("caseNo").is_none());
    }
}

#[test]
fn unavailable_is_a_503_asking_to_resend() {
    let r = native_ref();
    let (status, body) = answer(
        Some(&r),
        Verdict::Unavailable {
            detail: "broker did not confirm",
        },
    );
    assert_eq!(status, 503);
    assert_eq!(body["code"], "5001");
    assert_eq!(body["data"]["detail"], "broker did not confirm");
    assert_eq!(body["data"]["caseNo"], "TC20250302000117");
}

fn classify(status: u16, body: &str) -> DeliveryResponse {
    CitymgmtCodec.classify_response(status, body.as_bytes())
}

#[test]
fn success_code_with_2xx_is_delivered() {
    assert_eq!(
        classify(200, r#"{"code":"0","msg":"成功"}"#),
        DeliveryResponse::Delivered
    );
    assert_eq!(
        classify(200, r#"{"code":0,"data":null}"#),
        DeliveryResponse::Delivered
    );
    assert_eq!(
        classify(201, r#"{"code":"0"}"#),
        DeliveryResponse::Delivered
    );
}

#[test]
fn busy_codes_and_5xx_429_408_are_transient_with_the_platform_text() {
    let cases = [
        (200, r#"{"code":"5001","msg":"系统繁忙"}"#, "系统繁忙"),
        (200, r#"{"code":"5003","msg":"处理超时"}"#, "处理超时"),
        (503, "Service Unavailable", "Service Unavailable"),
        (502, "", "(empty body)"),
        (
            429,
            r#"{"code":"4290","msg":"请求过于频繁"}"#,
            "请求过于频繁",
        ),
        (408, "timeout", "timeout"),
    ];
    for (status, body, text) in cases {
        match classify(status, body) {
            DeliveryResponse::Transient { reason } => assert!(reason.contains(text), "{reason}"),
            other => panic!("{status} {body}: {other:?}"),
        }
    }
}

#[test]
fn error_codes_other_4xx_and_unreadable_answers_are_permanent() {
    let cases = [
        (
            200,
            r#"{"code":"3001","msg":"案卷不存在"}"#,
            "code 3001: 案卷不存在",
        ),
        (400, r#"{"code":"1001","msg":"参数错误"}"#, "参数错误"),
        (404, "Not Found", "Not Found"),
        (200, "", "no receipt code"),
        (200, "<html>ok</html>", "<html>ok</html>"),
        (302, "", "HTTP 302"),
    ];
    for (status, body, text) in cases {
        match classify(status, body) {
            DeliveryResponse::Permanent { reason } => assert!(reason.contains(text), "{reason}"),
            other => panic!("{status} {body}: {other:?}"),
        }
    }
}
