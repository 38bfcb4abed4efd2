//! Native → canonical steps both JSON platforms take: reading the document (a byte-order
//! mark is skipped; the hub's own documents are told apart by their `header`), the hub's
//! documents (header → envelope fields, 拒收通知 and REFERRAL_OUTCOME bodies → payloads), and
//! the field helpers every decode uses (required text, hub codes and blocks carried verbatim,
//! native times).
//!
//! Invariants: total (any input gives `Ok` or a [`CodecError`] naming the native field as the
//! adapter calls it); nothing invented: an absent native field leaves the canonical field
//! absent.

use std::collections::BTreeMap;

use adapter_core::{CodecError, Decoded, NativeRef};
use contracts::catalogue::MessageType;
use contracts::model::referral_outcome::ReferralOutcomeCode;
use contracts::model::{Attachment, Envelope};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::Platform;
use crate::document::{HEADER_FIELDS, HubDocument, RejectNotice};
use crate::text::{quote, snakify};

/// One kind of document the hub sends the platform (`header` + `body`), as the decode of
/// the platform's codec reads it back.
#[derive(Debug, Clone, Copy)]
pub struct HubBody {
    /// The header's `msgType`.
    pub message_type: MessageType,
    /// The native document kind ([`NativeRef::document_kind`]), e.g. `rejectNotice`.
    pub kind: &'static str,
    /// The document's name in the platform's words (`拒收通知`), for errors.
    pub name: &'static str,
    /// The body → the canonical payload.
    pub read: fn(&Platform, &Value) -> Result<Value, CodecError>,
}

impl Platform {
    /// Decodes any native document of the platform: the hub's documents (with a `header`) by
    /// `hub_bodies`, anything else by `platform_document` (the platform's own push).
    pub fn decode_document(
        &self,
        native: &[u8],
        hub_bodies: &[HubBody],
        platform_document: impl FnOnce(&[u8]) -> Result<Decoded, CodecError>,
    ) -> Result<Decoded, CodecError> {
        let bytes = native.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(native);
        let value: Value = serde_json::from_slice(bytes).map_err(malformed)?;
        let Value::Object(map) = &value else {
            return Err(CodecError::Malformed {
                format: "JSON",
                location: "line 1".to_owned(),
                detail: "the document is not a JSON object".to_owned(),
            });
        };
        if map.contains_key("header") {
            self.decode_hub_document(bytes, hub_bodies)
        } else {
            platform_document(bytes)
        }
    }

    /// A document the hub sent (`header` + `body`) back into the message it was encoded from.
    fn decode_hub_document(
        &self,
        bytes: &[u8],
        hub_bodies: &[HubBody],
    ) -> Result<Decoded, CodecError> {
        let document: HubDocument = serde_json::from_slice(bytes).map_err(malformed)?;
        let header = document
            .header
            .as_ref()
            .ok_or_else(|| missing("header", "报文头"))?;
        let body = document
            .body
            .as_ref()
            .ok_or_else(|| missing("body", "报文体"))?;
        let mut fields = self.header_from_native(header)?;
        let type_name = fields
            .get("message_type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let message_type = type_name.parse::<MessageType>().ok();
        let Some(hub_body) = hub_bodies
            .iter()
            .find(|b| Some(b.message_type) == message_type)
        else {
            return Err(CodecError::UnsupportedKind {
                kind: quote(type_name),
                detail: format!(
                    "documents with a header are the hub's: {}",
                    hub_documents(hub_bodies)
                ),
            });
        };
        let payload = (hub_body.read)(self, body)?;
        fields.insert("payload".to_owned(), payload);
        let envelope: Envelope<Value> =
            serde_json::from_value(Value::Object(fields)).map_err(|e| {
                CodecError::InvalidField {
                    field: "header".to_owned(),
                    value: String::new(),
                    detail: e.to_string(),
                }
            })?;
        let document_id = envelope.message_id.clone();
        Ok(decoded(hub_body.kind, &document_id, &[], envelope))
    }

    /// The envelope fields (snake_case, without `payload`) of a native header.
    pub fn header_from_native(
        &self,
        header: &Map<String, Value>,
    ) -> Result<Map<String, Value>, CodecError> {
        for (_, native, meaning, required) in HEADER_FIELDS {
            if *required && !header.contains_key(*native) {
                return Err(missing(&format!("header.{native}"), meaning));
            }
        }
        let mut out = Map::new();
        for (key, value) in header {
            let field = format!("header.{key}");
            let Some((canonical, _, _, _)) = HEADER_FIELDS.iter().find(|(_, n, _, _)| n == key)
            else {
                return Err(CodecError::InvalidField {
                    field,
                    value: String::new(),
                    detail: "not a header field of the hub's documents".to_owned(),
                });
            };
            let value = if *canonical == "sent_at" {
                Value::String(self.time_from_native(&field, text(&field, value)?)?)
            } else {
                snakify(&field, value)?
            };
            out.insert((*canonical).to_owned(), value);
        }
        Ok(out)
    }

    /// 拒收通知 → HUB_REJECTED payload.
    pub fn rejection_from_native(&self, body: &Value) -> Result<Value, CodecError> {
        let r: RejectNotice = serde_json::from_value(body.clone()).map_err(body_error)?;
        let mut out = Map::new();
        put(&mut out, "rejected_message_id", r.rejected_msg_id);
        put(&mut out, "rejected_message_type", r.rejected_msg_type);
        self.put_time(&mut out, "received_at", r.receive_time, "body.receiveTime")?;
        put(&mut out, "stage", r.stage);
        if let Some(reasons) = r.reasons {
            let reasons = reasons
                .into_iter()
                .map(|reason| {
                    let mut item = Map::new();
                    put(&mut item, "pointer", reason.pointer);
                    put(&mut item, "code", reason.code);
                    put(&mut item, "message", reason.message);
                    Value::Object(item)
                })
                .collect();
            out.insert("reasons".to_owned(), Value::Array(reasons));
        }
        put(&mut out, "dead_letter_ref", r.dead_letter_ref);
        if let Some(retry) = r.retry_allowed {
            out.insert("retry_allowed".to_owned(), Value::Bool(retry));
        }
        Ok(Value::Object(out))
    }

    /// The REFERRAL_OUTCOME payload of the platform's feedback document, read into
    /// [`NativeOutcome`] by the adapter (the two platforms name the same fields differently).
    pub fn outcome_payload(&self, o: NativeOutcome) -> Result<Value, CodecError> {
        let mut out = Map::new();
        put(&mut out, "referral_id", o.referral_id);
        put(&mut out, "source_case_no", o.source_case_no);
        self.put_time(&mut out, "signed_at", o.signed_at, "body.signTime")?;
        self.put_time(&mut out, "arrived_at", o.arrived_at, "body.arriveTime")?;
        if let Some(result) = &o.outcome {
            hub_code::<ReferralOutcomeCode>(o.outcome_field, result)?;
        }
        put(&mut out, "outcome", o.outcome);
        put(&mut out, "case_id", o.case_id);
        self.put_time(&mut out, "closed_at", o.closed_at, o.closed_at_field)?;
        let mut handler = Map::new();
        put(&mut handler, "name", o.handler_name);
        put(&mut handler, "badge_or_staff_no", o.handler_no);
        put(&mut handler, "org_code", o.handler_org_code);
        put(&mut handler, "org_name", o.handler_org_name);
        put(&mut handler, "phone", o.handler_phone);
        put(&mut handler, "role", o.handler_role);
        if !handler.is_empty() {
            out.insert("handler".to_owned(), Value::Object(handler));
        }
        put(&mut out, "note", o.note);
        Ok(Value::Object(out))
    }

    /// Puts a native time, as RFC 3339, under `key` when present; `field` names it in errors.
    pub fn put_time(
        &self,
        map: &mut Map<String, Value>,
        key: &str,
        value: Option<String>,
        field: &str,
    ) -> Result<(), CodecError> {
        if let Some(value) = value {
            map.insert(
                key.to_owned(),
                Value::String(self.time_from_native(field, &value)?),
            );
        }
        Ok(())
    }

    /// An optional native time, as RFC 3339.
    pub fn optional_time(
        &self,
        value: &Option<String>,
        field: &str,
    ) -> Result<Option<String>, CodecError> {
        value
            .as_deref()
            .map(|v| self.time_from_native(field, v))
            .transpose()
    }
}

/// The fields of the platform's feedback document on a dispatched referral (处理反馈,
/// 任务反馈), by their meaning, with the native names of the two fields whose errors name them
/// differently on each platform (the other times are `body.signTime` and `body.arriveTime` on
/// both).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NativeOutcome {
    /// → `referral_id`.
    pub referral_id: Option<String>,
    /// → `source_case_no`.
    pub source_case_no: Option<String>,
    /// `body.signTime` → `signed_at`.
    pub signed_at: Option<String>,
    /// `body.arriveTime` → `arrived_at`.
    pub arrived_at: Option<String>,
    /// → `outcome` (a hub code, checked).
    pub outcome: Option<String>,
    /// The native name of [`NativeOutcome::outcome`] (`body.handleResult`).
    pub outcome_field: &'static str,
    /// → `case_id`.
    pub case_id: Option<String>,
    /// → `closed_at`.
    pub closed_at: Option<String>,
    /// The native name of [`NativeOutcome::closed_at`] (`body.finishTime`).
    pub closed_at_field: &'static str,
    /// → `handler.name`.
    pub handler_name: Option<String>,
    /// → `handler.badge_or_staff_no`.
    pub handler_no: Option<String>,
    /// → `handler.org_code`.
    pub handler_org_code: Option<String>,
    /// → `handler.org_name`.
    pub handler_org_name: Option<String>,
    /// → `handler.phone`.
    pub handler_phone: Option<String>,
    /// → `handler.role`.
    pub handler_role: Option<String>,
    /// → `note`.
    pub note: Option<String>,
}

/// `REFERRAL_OUTCOME (处理反馈) and HUB_REJECTED (拒收通知)`.
fn hub_documents(hub_bodies: &[HubBody]) -> String {
    let names: Vec<String> = hub_bodies
        .iter()
        .map(|b| format!("{} ({})", b.message_type.as_str(), b.name))
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The decoded messages of one native document, identified for its answer: `reply_to` are
/// the native fields the receipt echoes.
pub fn decoded(
    kind: &str,
    document_id: &str,
    reply_to: &[(&str, &str)],
    envelope: Envelope<Value>,
) -> Decoded {
    Decoded {
        native_ref: NativeRef {
            document_id: document_id.to_owned(),
            document_kind: kind.to_owned(),
            reply_to: reply_to
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        },
        messages: vec![envelope],
    }
}

/// A serde error as [`CodecError::Malformed`], with its line and column.
pub fn malformed(error: serde_json::Error) -> CodecError {
    CodecError::Malformed {
        format: "JSON",
        location: format!("line {} column {}", error.line(), error.column()),
        detail: error.to_string(),
    }
}

/// A serde error in the `body` of a hub document, as [`CodecError::Malformed`].
pub fn body_error(error: serde_json::Error) -> CodecError {
    CodecError::Malformed {
        format: "JSON",
        location: "body".to_owned(),
        detail: error.to_string(),
    }
}

/// Puts a text under `key` when present.
pub fn put(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), Value::String(value));
    }
}

/// A required, non-empty native text field.
pub fn required<'a>(
    value: &'a Option<String>,
    field: &str,
    meaning: &str,
) -> Result<&'a str, CodecError> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| missing(field, meaning))
}

/// [`CodecError::MissingField`].
pub fn missing(field: &str, meaning: &str) -> CodecError {
    CodecError::MissingField {
        field: field.to_owned(),
        meaning: meaning.to_owned(),
    }
}

/// A JSON value that must be a string.
pub fn text<'a>(field: &str, value: &'a Value) -> Result<&'a str, CodecError> {
    value.as_str().ok_or_else(|| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(&value.to_string()),
        detail: "expected a string".to_owned(),
    })
}

/// A hub code carried verbatim (`WILLING`, `GCJ02`, …), read into its canonical type.
pub fn hub_code<T: DeserializeOwned>(field: &str, code: &str) -> Result<T, CodecError> {
    serde_json::from_value(Value::String(code.to_owned())).map_err(|e| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(code),
        detail: format!("not a code of the hub's code list: {e}"),
    })
}

/// A block in the hub's structure (camelCase keys), read into its canonical type.
pub fn hub_block<T: DeserializeOwned>(field: &str, value: &Value) -> Result<T, CodecError> {
    let snake = snakify(field, value)?;
    serde_json::from_value(snake).map_err(|e| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(&value.to_string()),
        detail: e.to_string(),
    })
}

/// Attachments in the hub's structure (camelCase keys).
pub fn attachments(
    field: &str,
    items: Option<&[Value]>,
) -> Result<Option<Vec<Attachment>>, CodecError> {
    items
        .map(|items| {
            items
                .iter()
                .enumerate()
                .map(|(i, v)| hub_block::<Attachment>(&format!("{field}[{i}]"), v))
                .collect()
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_body(_: &Platform, _: &Value) -> Result<Value, CodecError> {
        Ok(Value::Null)
    }

    #[test]
    fn hub_documents_are_listed_in_the_platform_words() {
        let body = |message_type, name| HubBody {
            message_type,
            kind: "k",
            name,
            read: no_body,
        };
        let two = [
            body(MessageType::ReferralOutcome, "处理反馈"),
            body(MessageType::HubRejected, "拒收通知"),
        ];
        assert_eq!(
            hub_documents(&two),
            "REFERRAL_OUTCOME (处理反馈) and HUB_REJECTED (拒收通知)"
        );
        let three = [
            body(MessageType::ReferralOutcome, "任务反馈"),
            body(MessageType::StationIntake, "入站登记通报"),
            body(MessageType::HubRejected, "拒收通知"),
        ];
        assert_eq!(
            hub_documents(&three),
            "REFERRAL_OUTCOME (任务反馈), STATION_INTAKE (入站登记通报) and HUB_REJECTED (拒收通知)"
        );
    }
}
