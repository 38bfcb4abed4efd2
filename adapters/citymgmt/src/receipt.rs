//! Receipts (回执) in the 城管 interface's style, both ways: the hub's answer to a pushed case
//! ([`answer`]) and the reading of the 城管 system's answer to a delivery
//! ([`classify_response`]). Both are `{"code": "…", "msg": "…", "data": {…}}` with the codes
//! of [`crate::codes::receipt`].
//!
//! HTTP status of the hub's answers: 200 for every verdict the 城管 system must act on by its
//! `code` (accepted, refused, malformed: their client reads the body), 503 only when the hub
//! is unavailable, so that their transport-level retry resends the same case.
//!
//! Reading their answers: 5xx, 429 and 408 → transient; other non-2xx → permanent; 2xx with
//! `code` `0` → delivered, with a transient code (5001–5003) → transient, with any other code
//! or without a readable receipt → permanent (a person looks at the dead letter). The reason
//! always keeps the 城管 system's own text.
//!
//! The `data` of the hub's answers and the reading by HTTP status are the same as the grid
//! platform's (`adapter_platform_json::receipt`); the codes and texts are the 城管 system's.

use adapter_core::{CodecError, DeliveryResponse, InboundAnswer, NativeDocument, Verdict};
use adapter_platform_json::receipt::{answer_document, body_text, by_status};
use serde_json::Value;

use crate::codes::receipt;
use crate::native::{PLATFORM, Receipt};

/// The hub's answer to a document the 城管 system pushed.
pub fn answer(answer: &InboundAnswer<'_>) -> NativeDocument {
    let data = PLATFORM.answer_data(answer, &["caseNo", "dispatchNo"]);
    let (http_status, code, msg) = match answer.verdict {
        Verdict::Accepted { .. } => (200, receipt::OK, "接收成功".to_owned()),
        Verdict::Refused { .. } => (
            200,
            receipt::REFUSED,
            "案卷未通过交换枢纽校验，请按原因修改后重新推送".to_owned(),
        ),
        Verdict::Malformed { error } => {
            let (code, msg) = match error {
                CodecError::UnsupportedKind { .. } => (receipt::UNSUPPORTED, "不受理的案卷"),
                CodecError::MissingField { .. } => (receipt::MISSING_FIELD, "缺少必填项"),
                CodecError::InvalidField { .. } => (receipt::INVALID_FIELD, "字段值错误"),
                CodecError::Malformed { .. } | CodecError::Unencodable { .. } => {
                    (receipt::MALFORMED, "报文格式错误")
                }
            };
            (200, code, format!("{msg}: {error}"))
        }
        Verdict::Unavailable { .. } => (
            503,
            receipt::UNAVAILABLE,
            "交换枢纽暂不可用，请稍后重新推送同一案卷".to_owned(),
        ),
    };
    let body = Receipt {
        code: Some(Value::String(code.to_owned())),
        msg: Some(msg),
        data: Some(Value::Object(data)),
    };
    answer_document(http_status, &body)
}

/// Reads the 城管 system's answer to a delivery.
pub fn classify_response(status: u16, body: &[u8]) -> DeliveryResponse {
    let receipt: Option<Receipt> = serde_json::from_slice(body).ok();
    let code = receipt.as_ref().and_then(|r| match &r.code {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    });
    let text = match (&code, receipt.as_ref().and_then(|r| r.msg.as_deref())) {
        (Some(code), Some(msg)) => format!("HTTP {status}, code {code}: {msg}"),
        (Some(code), None) => format!("HTTP {status}, code {code}"),
        _ => format!("HTTP {status}: {}", body_text(body)),
    };
    if let Some(response) = by_status(status, &text) {
        return response;
    }
    match code.as_deref() {
        Some(receipt::OK) => DeliveryResponse::Delivered,
        Some(c) if receipt::TRANSIENT_FROM_CITYMGMT.contains(&c) => {
            DeliveryResponse::Transient { reason: text }
        }
        Some(_) => DeliveryResponse::Permanent { reason: text },
        None => DeliveryResponse::Permanent {
            reason: format!("{text} (no receipt code in the answer)"),
        },
    }
}
