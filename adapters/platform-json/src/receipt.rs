//! The skeleton of the JSON platforms' receipts (回执), both ways: the `data` of the hub's
//! answer to a pushed document ([`Platform::answer_data`]: the echoed native ids, the message
//! ids, the refusal reasons with their native fields, the decode error, or why the hub is
//! unavailable) and the first reading of the platform's answer to a delivery, by HTTP status
//! ([`by_status`]). Each adapter picks its own codes, messages and HTTP statuses.
//!
//! Invariant: total; the platform's own text is kept in every failure reason (cut at
//! [`MAX_REASON_CHARS`] characters).

use adapter_core::{CodecError, DeliveryResponse, InboundAnswer, NativeDocument, Verdict};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::Platform;
use crate::write::CONTENT_TYPE;

/// Longest body text kept in a delivery failure reason.
pub const MAX_REASON_CHARS: usize = 500;

impl Platform {
    /// The `data` of the hub's answer: `reply_keys` of the answered document echoed, then
    /// by verdict `messageIds`, `reasons` (each with the native `field` when its pointer maps
    /// to one; for an undecodable document the one reason names the field or location the
    /// error is about), or `detail`.
    pub fn answer_data(
        &self,
        answer: &InboundAnswer<'_>,
        reply_keys: &[&str],
    ) -> Map<String, Value> {
        let mut data = Map::new();
        if let Some(native) = answer.native_ref {
            for key in reply_keys {
                if let Some(value) = native.reply_to.get(*key) {
                    data.insert((*key).to_owned(), Value::String(value.clone()));
                }
            }
        }
        match answer.verdict {
            Verdict::Accepted { message_ids } => {
                data.insert("messageIds".to_owned(), json!(message_ids));
            }
            Verdict::Refused { reasons } => {
                let reasons: Vec<Value> = reasons
                    .iter()
                    .map(|r| {
                        let mut item = Map::new();
                        if let Some(field) = (self.native_field_of)(&r.pointer) {
                            item.insert("field".to_owned(), Value::String(field));
                        }
                        item.insert("pointer".to_owned(), Value::String(r.pointer.clone()));
                        item.insert("code".to_owned(), Value::String(r.code.clone()));
                        item.insert("message".to_owned(), Value::String(r.message.clone()));
                        Value::Object(item)
                    })
                    .collect();
                data.insert("reasons".to_owned(), Value::Array(reasons));
            }
            Verdict::Malformed { error } => {
                let field = match error {
                    CodecError::Malformed { location, .. } => Some(location),
                    CodecError::MissingField { field, .. }
                    | CodecError::InvalidField { field, .. } => Some(field),
                    CodecError::UnsupportedKind { .. } | CodecError::Unencodable { .. } => None,
                };
                let mut reason = Map::new();
                if let Some(field) = field {
                    reason.insert("field".to_owned(), Value::String(field.clone()));
                }
                reason.insert("message".to_owned(), Value::String(error.to_string()));
                data.insert("reasons".to_owned(), json!([reason]));
            }
            Verdict::Unavailable { detail } => {
                data.insert("detail".to_owned(), Value::String(detail.to_owned()));
            }
        }
        data
    }
}

/// The hub's answer document: the receipt as JSON, with the HTTP status to answer with.
pub fn answer_document<R: Serialize>(http_status: u16, receipt: &R) -> NativeDocument {
    NativeDocument {
        content_type: CONTENT_TYPE.to_owned(),
        path: String::new(),
        http_status,
        body: serde_json::to_vec_pretty(receipt).unwrap_or_default(),
    }
}

/// What the HTTP status of the platform's answer says on its own: 5xx, 429 and 408 are
/// transient, any other non-2xx is permanent; `None` for 2xx (the receipt decides).
pub fn by_status(status: u16, reason: &str) -> Option<DeliveryResponse> {
    if status == 429 || status == 408 || (500..=599).contains(&status) {
        return Some(DeliveryResponse::Transient {
            reason: reason.to_owned(),
        });
    }
    if !(200..=299).contains(&status) {
        return Some(DeliveryResponse::Permanent {
            reason: reason.to_owned(),
        });
    }
    None
}

/// The body of an answer for a failure reason: trimmed, at most [`MAX_REASON_CHARS`]
/// characters, `(empty body)` when empty.
pub fn body_text(body: &[u8]) -> String {
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
