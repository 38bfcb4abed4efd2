//! The grid platform's receipts both ways: the hub's answers (`answer`) for every verdict,
//! and the reading of the platform's answers (`classify_response`) by HTTP status and `code`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use adapter_core::{Codec, CodecError, DeliveryResponse, NativeRef, Verdict};
use adapter_grid::GridCodec;
use adapter_platform_json::testing;
use contracts::model::hub_rejected::RejectionReason;
use serde_json::{Value, json};

fn native_ref() -> NativeRef {
    NativeRef {
        document_id: "SJ3205852025030100431".to_owned(),
        document_kind: "eventReport".to_owned(),
        reply_to: BTreeMap::from([
            ("eventId".to_owned(), "SJ3205852025030100431".to_owned()),
            ("taskId".to_owned(), "WG-20250301-000431".to_owned()),
        ]),
    }
}

fn answer(native_ref: Option<&NativeRef>, verdict: Verdict<'_>) -> (u16, Value) {
    let (status, body) = testing::answer(&GridCodec::default(), native_ref, verdict);
    assert_eq!(body["code"], json!(status), "HTTP status equals code");
    (status, body)
}

#[test]
fn accepted_echoes_the_event_and_the_message_ids() {
    let r = native_ref();
    let ids = ["5b0c1d9e-0000-5000-8000-000000000001".to_owned()];
    let (status, body) = answer(Some(&r), Verdict::Accepted { message_ids: &ids });
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"code": 200, "success": true, "msg": "操作成功", "data": {
            "eventId": "SJ3205852025030100431", "taskId": "WG-20250301-000431",
            "messageIds": ["5b0c1d9e-0000-5000-8000-000000000001"]}})
    );
}

#[test]
fn refused_lists_every_reason_with_the_native_field() {
    let r = native_ref();
    let reasons = [RejectionReason {
        pointer: "/payload/location/grid/community_code".to_owned(),
        code: "format".to_owned(),
        message: "not a community code".to_owned(),
    }];
    let (status, body) = answer(Some(&r), Verdict::Refused { reasons: &reasons });
    assert_eq!(status, 422);
    assert_eq!(body["success"], false);
    assert_eq!(
        body["data"]["reasons"],
        json!([{"field": "communityCode", "pointer": "/payload/location/grid/community_code",
                "code": "format", "message": "not a community code"}])
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
            400,
        ),
        (
            CodecError::UnsupportedKind {
                kind: "eventType 0101 (占道经营)".to_owned(),
                detail: "only 0306".to_owned(),
            },
            415,
        ),
        (
            CodecError::MissingField {
                field: "eventId".to_owned(),
                meaning: "事件编号".to_owned(),
            },
            400,
        ),
        (
            CodecError::InvalidField {
                field: "happenTime".to_owned(),
                value: "2025/03/01".to_owned(),
                detail: "bad".to_owned(),
            },
            400,
        ),
    ];
    for (error, code) in cases {
        let (status, body) = answer(None, Verdict::Malformed { error: &error });
        assert_eq!(status, code);
        assert!(body["msg"].as_str().unwrap().contains(&error.to_string()));
        assert_eq!(body["data"]["reasons"][0]["message"], error.to_string());
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
    assert_eq!(body["data"]["detail"], "broker did not confirm");
}

fn classify(status: u16, body: &str) -> DeliveryResponse {
    GridCodec::default().classify_response(status, body.as_bytes())
}

#[test]
fn success_code_with_2xx_is_delivered() {
    assert_eq!(
        classify(200, r#"{"code":200,"success":true,"msg":"操作成功"}"#),
        DeliveryResponse::Delivered
    );
    assert_eq!(
        classify(200, r#"{"code":"200"}"#),
        DeliveryResponse::Delivered
    );
    assert_eq!(
        classify(200, r#"{"success":true}"#),
        DeliveryResponse::Delivered
    );
}

#[test]
fn busy_codes_and_5xx_429_408_are_transient_with_the_platform_text() {
    let cases = [
        (
            200,
            r#"{"code":500,"success":false,"msg":"系统异常"}"#,
            "系统异常",
        ),
        (200, r#"{"code":503,"msg":"服务繁忙"}"#, "服务繁忙"),
        (503, "Service Unavailable", "Service Unavailable"),
        (504, r#"{"code":504,"msg":"网关超时"}"#, "网关超时"),
        (429, "", "(empty body)"),
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
            r#"{"code":400,"success":false,"msg":"事件不存在"}"#,
            "code 400: 事件不存在",
        ),
        (
            200,
            r#"{"code":200,"success":false,"msg":"任务已办结"}"#,
            "任务已办结",
        ),
        (200, r#"{"success":false,"msg":"签名错误"}"#, "签名错误"),
        (401, r#"{"code":401,"msg":"未授权"}"#, "未授权"),
        (200, "", "no receipt code"),
        (200, "{}", "no receipt code"),
        (301, "", "HTTP 301"),
    ];
    for (status, body, text) in cases {
        match classify(status, body) {
            DeliveryResponse::Permanent { reason } => assert!(reason.contains(text), "{reason}"),
            other => panic!("{status} {body}: {other:?}"),
        }
    }
}
