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

use adapter_core::{CodecError, DeliveryResponse, InboundAnswer, NativeDocument, Verdict};
use serde_json::{Map, Value, json};

use crate::codes::{self, receipt};
use crate::encode::CONTENT_TYPE;
use crate::native::Receipt;

/// Longest body text kept in a delivery failure reason.
const MAX_REASON_CHARS: usize = 500;

/// The hub's answer to a document the 城管 system pushed.
pub fn answer(answer: &InboundAnswer<'_>) -> NativeDocument {
    let mut data = Map::new();
    if let Some(native) = answer.native_ref {
        for key in ["caseNo", "dispatchNo"] {
            if let Some(value) = native.reply_to.get(key) {
                data.insert(key.to_owned(), Value::String(value.clone()));
            }
        }
    }
    let (http_status, code, msg) = match answer.verdict {
        Verdict::Accepted { message_ids } => {
            data.insert("messageIds".to_owned(), json!(message_ids));
            (200, receipt::OK, "接收成功".to_owned())
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
                200,
                receipt::REFUSED,
                "案卷未通过交换枢纽校验，请按原因修改后重新推送".to_owned(),
            )
        }
        Verdict::Malformed { error } => {
            let (code, field) = match error {
                CodecError::Malformed { location, .. } => (receipt::MALFORMED, Some(location)),
                CodecError::UnsupportedKind { .. } => (receipt::UNSUPPORTED, None),
                CodecError::MissingField { field, .. } => (receipt::MISSING_FIELD, Some(field)),
                CodecError::InvalidField { field, .. } => (receipt::INVALID_FIELD, Some(field)),
                CodecError::Unencodable { .. } => (receipt::MALFORMED, None),
            };
            let mut reason = Map::new();
            if let Some(field) = field {
                reason.insert("field".to_owned(), Value::String(field.clone()));
            }
            reason.insert("message".to_owned(), Value::String(error.to_string()));
            data.insert("reasons".to_owned(), json!([reason]));
            let msg = match code {
                receipt::UNSUPPORTED => "不受理的案卷",
                receipt::MISSING_FIELD => "缺少必填项",
                receipt::INVALID_FIELD => "字段值错误",
                _ => "报文格式错误",
            };
            (200, code, format!("{msg}: {error}"))
        }
        Verdict::Unavailable { detail } => {
            data.insert("detail".to_owned(), Value::String(detail.to_owned()));
            (
                503,
                receipt::UNAVAILABLE,
                "交换枢纽暂不可用，请稍后重新推送同一案卷".to_owned(),
            )
        }
    };
    let body = Receipt {
        code: Some(Value::String(code.to_owned())),
        msg: Some(msg),
        data: Some(Value::Object(data)),
    };
    NativeDocument {
        content_type: CONTENT_TYPE.to_owned(),
        path: String::new(),
        http_status,
        body: serde_json::to_vec_pretty(&body).unwrap_or_default(),
    }
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
    if status == 429 || status == 408 || (500..=599).contains(&status) {
        return DeliveryResponse::Transient { reason: text };
    }
    if !(200..=299).contains(&status) {
        return DeliveryResponse::Permanent { reason: text };
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
