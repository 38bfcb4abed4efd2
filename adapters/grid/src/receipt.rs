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

use adapter_core::{CodecError, DeliveryResponse, InboundAnswer, NativeDocument, Verdict};
use serde_json::{Map, Value, json};

use crate::codes::{self, receipt};
use crate::encode::CONTENT_TYPE;
use crate::native::Receipt;

/// Longest body text kept in a delivery failure reason.
const MAX_REASON_CHARS: usize = 500;

/// The hub's answer to a document the platform pushed.
pub fn answer(answer: &InboundAnswer<'_>) -> NativeDocument {
    let mut data = Map::new();
    if let Some(native) = answer.native_ref {
        for key in ["eventId", "taskId"] {
            if let Some(value) = native.reply_to.get(key) {
                data.insert(key.to_owned(), Value::String(value.clone()));
            }
        }
    }
    let (code, msg) = match answer.verdict {
        Verdict::Accepted { message_ids } => {
            data.insert("messageIds".to_owned(), json!(message_ids));
            (receipt::OK, "操作成功".to_owned())
        }
        Verdict::Refused { reasons } => {
            let reasons: Vec<Value> = reasons
                .iter()
                .map(|r| {
                    let mut item = Map::new();
                    if let Some(field) = codes::native_field_of(&r.pointer) {
                        item.insert("field".to_owned(), Value::String(field));
                    }
                    item.insert("pointer".to_owned(), Value::String(r.pointer.clone()));
                    item.insert("code".to_owned(), Value::String(r.code.clone()));
                    item.insert("message".to_owned(), Value::String(r.message.clone()));
                    Value::Object(item)
                })
                .collect();
            data.insert("reasons".to_owned(), Value::Array(reasons));
            (
                receipt::REFUSED,
                "事件未通过交换枢纽校验，请按原因修改后重新推送".to_owned(),
            )
        }
        Verdict::Malformed { error } => {
            let (code, field, msg) = match error {
                CodecError::Malformed { location, .. } => {
                    (receipt::BAD_REQUEST, Some(location), "报文格式错误")
                }
                CodecError::UnsupportedKind { .. } => (receipt::UNSUPPORTED, None, "不受理的事件"),
                CodecError::MissingField { field, .. } => {
                    (receipt::BAD_REQUEST, Some(field), "缺少必填项")
                }
                CodecError::InvalidField { field, .. } => {
                    (receipt::BAD_REQUEST, Some(field), "字段值错误")
                }
                CodecError::Unencodable { .. } => (receipt::BAD_REQUEST, None, "报文格式错误"),
            };
            let mut reason = Map::new();
            if let Some(field) = field {
                reason.insert("field".to_owned(), Value::String(field.clone()));
            }
            reason.insert("message".to_owned(), Value::String(error.to_string()));
            data.insert("reasons".to_owned(), json!([reason]));
            (code, format!("{msg}: {error}"))
        }
        Verdict::Unavailable { detail } => {
            data.insert("detail".to_owned(), Value::String(detail.to_owned()));
            (
                receipt::UNAVAILABLE,
                "交换枢纽暂不可用，请稍后重新推送同一事件".to_owned(),
            )
        }
    };
    let body = Receipt {
        code: Some(json!(code)),
        success: Some(code == receipt::OK),
        msg: Some(msg),
        data: Some(Value::Object(data)),
    };
    NativeDocument {
        content_type: CONTENT_TYPE.to_owned(),
        path: String::new(),
        http_status: code,
        body: serde_json::to_vec_pretty(&body).unwrap_or_default(),
    }
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
    if status == 429 || status == 408 || (500..=599).contains(&status) {
        return DeliveryResponse::Transient { reason: text };
    }
    if !(200..=299).contains(&status) {
        return DeliveryResponse::Permanent { reason: text };
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

fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > MAX_REASON_CHARS {
        let head: String = text.chars().take(MAX_REASON_CHARS).collect();
        format!("{head}…")
    } else if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        text.to_owned()
    }
}
