//! Receipts (回执) in the grid platform's style, both ways: the hub's answer to a pushed event
//! ([`answer`]) and the reading of the platform's answer to a delivery
//! ([`classify_response`]). Both are `{"code": 200, "success": true, "msg": "…", "data": {…}}`
//! with the Spring-style integer codes of [`crate::codes::receipt`].
//!
//! HTTP status of the hub's answers equals `code` (200, 400, 415, 422, 503): the platform's
//! client reads the status first, as it does with its own services.
//!
//! Reading the platform's answers: 5xx, 429 and 408 → transient; other non-2xx → permanent;
//! 2xx with `code` 200 (or no code) and `success` not false → delivered; with a transient code
//! (500, 503, 504) → transient; with any other code, `success: false`, or without a readable
//! receipt → permanent. The reason always keeps the platform's own text.
//!
//! The `data` of the hub's answers and the reading by HTTP status are the same as the
//! 数字城管 system's (`adapter_platform_json::receipt`); the codes and texts are the platform's.

use adapter_core::{CodecError, DeliveryResponse, InboundAnswer, NativeDocument, Verdict};
use adapter_platform_json::receipt::{answer_document, body_text, by_status};
use serde_json::{Value, json};

use crate::codes::receipt;
use crate::native::{PLATFORM, Receipt};

/// The hub's answer to a document the platform pushed.
pub fn answer(answer: &InboundAnswer<'_>) -> NativeDocument {
    let data = PLATFORM.answer_data(answer, &["eventId", "taskId"]);
    let (code, msg) = match answer.verdict {
        Verdict::Accepted { .. } => (receipt::OK, "操作成功".to_owned()),
        Verdict::Refused { .. } => (
            receipt::REFUSED,
            "事件未通过交换枢纽校验，请按原因修改后重新推送".to_owned(),
        ),
        Verdict::Malformed { error } => {
            let (code, msg) = match error {
                CodecError::Malformed { .. } | CodecError::Unencodable { .. } => {
                    (receipt::BAD_REQUEST, "报文格式错误")
                }
                CodecError::UnsupportedKind { .. } => (receipt::UNSUPPORTED, "不受理的事件"),
                CodecError::MissingField { .. } => (receipt::BAD_REQUEST, "缺少必填项"),
                CodecError::InvalidField { .. } => (receipt::BAD_REQUEST, "字段值错误"),
            };
            (code, format!("{msg}: {error}"))
        }
        Verdict::Unavailable { .. } => (
            receipt::UNAVAILABLE,
            "交换枢纽暂不可用，请稍后重新推送同一事件".to_owned(),
        ),
    };
    let body = Receipt {
        code: Some(json!(code)),
        success: Some(code == receipt::OK),
        msg: Some(msg),
        data: Some(Value::Object(data)),
    };
    answer_document(code, &body)
}

/// Reads the platform's answer to a delivery.
pub fn classify_response(status: u16, body: &[u8]) -> DeliveryResponse {
    let receipt: Option<Receipt> = serde_json::from_slice(body).ok();
    let code: Option<u64> = receipt.as_ref().and_then(|r| match &r.code {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    });
    let success = receipt.as_ref().and_then(|r| r.success);
    let msg = receipt.as_ref().and_then(|r| r.msg.as_deref());
    let text = match (code, msg) {
        (Some(code), Some(msg)) => format!("HTTP {status}, code {code}: {msg}"),
        (Some(code), None) => format!("HTTP {status}, code {code}"),
        (None, Some(msg)) => format!("HTTP {status}: {msg}"),
        (None, None) => format!("HTTP {status}: {}", body_text(body)),
    };
    if let Some(response) = by_status(status, &text) {
        return response;
    }
    if receipt.is_none() || (code.is_none() && success.is_none()) {
        return DeliveryResponse::Permanent {
            reason: format!("{text} (no receipt code in the answer)"),
        };
    }
    match code {
        Some(c) if c != u64::from(receipt::OK) => {
            if receipt::TRANSIENT_FROM_GRID
                .iter()
                .any(|t| u64::from(*t) == c)
            {
                DeliveryResponse::Transient { reason: text }
            } else {
                DeliveryResponse::Permanent { reason: text }
            }
        }
        _ if success == Some(false) => DeliveryResponse::Permanent { reason: text },
        _ => DeliveryResponse::Delivered,
    }
}
