//! Station document → canonical envelope, and the reading of the station system's answers
//! to deliveries.
//!
//! Decoding a document, step by step:
//! 1. the bytes are UTF-8 JSON (a leading byte-order mark is tolerated), an object with a
//!    `head` object whose `docType` names a resource of [`crate::service::RESOURCES`];
//! 2. the whole document is read into the native types of that kind ([`crate::native`]):
//!    unknown fields, missing required fields, bad code values, malformed times and dates
//!    are errors naming the field by its JSON pointer in the station's document
//!    (`/data/person/idNumber`) and its meaning (`证件号码`);
//! 3. resident ID numbers (document types 111 and 112, the receiver of a return-home
//!    receipt, a settlement's assigned number) are checked against GB 11643-1999, with
//!    "today" taken from the receive time, not the clock;
//! 4. the envelope is built: `message_id` from `head.docNo`
//!    ([`adapter_core::ids::message_id`]), the envelope facts from the head, and what the
//!    head leaves out from the [`DecodeContext`].
//!
//! Nothing else is validated here: the hub validates the contract and answers with reasons.
//!
//! Invariants: total (any bytes give a document or a [`CodecError`]); deterministic; no
//! clock.

use std::collections::BTreeMap;

use adapter_core::codec::{Decoded, DeliveryResponse, NativeRef};
use adapter_core::{CodecError, DecodeContext, ids};
use contracts::MessageType;
use contracts::codes::datetime::{CivilDate, parse_offset_date_time};
use contracts::codes::resident_id;
use contracts::model::{Actor, Envelope};
use contracts::version;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::native::{self, Document, Head, Native, Receipt, VALUE_MARK, camel_case, meaning_of};
use crate::service;

/// The native format's name in errors.
const FORMAT: &str = "JSON";

/// The schema version written when the head gives none.
const DEFAULT_SCHEMA_VERSION: &str = "1.0.0";

/// Longest offending value quoted in an error.
const MAX_QUOTED_CHARS: usize = 80;

/// Longest answer body quoted in a delivery failure reason.
const MAX_REASON_CHARS: usize = 2_000;

/// Decodes one station document (see the module docs).
pub(crate) fn decode(native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
    let document = parse(native)?;
    let resource = kind_of(&document)?;
    let message_type = resource.message_type;
    let (head, payload) = native::with_native_type!(message_type, read_as(&document))?;

    if head.doc_no.trim().is_empty() {
        return Err(CodecError::MissingField {
            field: "/head/docNo".to_owned(),
            meaning: meaning_of("docNo").to_owned(),
        });
    }
    let schema_version = match head.schema_version {
        None => DEFAULT_SCHEMA_VERSION.to_owned(),
        Some(v) if version::major_of(&v) == Some(1) => v,
        Some(v) => {
            return Err(CodecError::InvalidField {
                field: "/head/schemaVersion".to_owned(),
                value: quoted(&v),
                detail: format!(
                    "the station system speaks version 1.x.y of {message_type} ({})",
                    resource.name_zh
                ),
            });
        }
    };
    check_id_numbers(message_type, &payload, today_of(ctx))?;

    let native_ref = NativeRef {
        document_id: head.doc_no.clone(),
        document_kind: resource.doc_type.to_owned(),
        reply_to: BTreeMap::new(),
    };
    let envelope = Envelope {
        message_id: ids::message_id(Actor::Station, &head.doc_no, message_type, 0),
        message_type,
        schema_version,
        case_id: head.case_id,
        correlation_id: head.correlation_id,
        sender_org_code: head
            .sender_org_code
            .unwrap_or_else(|| ctx.sender_org_code.clone()),
        sender_org_type: head.sender_org_type.unwrap_or(Actor::Station),
        sender_system: head
            .sender_system
            .unwrap_or_else(|| ctx.sender_system.clone()),
        receiver_org_codes: head
            .receiver_org_codes
            .unwrap_or_else(|| ctx.receiver_org_codes.clone()),
        sent_at: head
            .sent_at
            .map_or_else(|| ctx.received_at.clone(), Native::into_canon),
        region_code: head.region_code.unwrap_or_else(|| ctx.region_code.clone()),
        legal_basis: head.legal_basis,
        purpose_code: head.purpose_code,
        sensitivity: head.sensitivity,
        retention_until: head.retention_until.into_canon(),
        signature: head.signature.into_canon(),
        attachments: head.attachments.into_canon(),
        payload,
    };
    Ok(Decoded {
        native_ref,
        messages: vec![envelope],
    })
}

/// The bytes as a JSON value: UTF-8 (a leading BOM is skipped), not empty, well formed.
fn parse(native: &[u8]) -> Result<Value, CodecError> {
    let bytes = native.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(native);
    let text = std::str::from_utf8(bytes).map_err(|e| CodecError::Malformed {
        format: FORMAT,
        location: format!("byte {}", e.valid_up_to()),
        detail: "the body is not UTF-8; the station API is UTF-8 only (not GBK/GB18030)".to_owned(),
    })?;
    if text.trim().is_empty() {
        return Err(CodecError::Malformed {
            format: FORMAT,
            location: "byte 0".to_owned(),
            detail: "the body is empty; expected a document {\"head\": {…}, \"data\": {…}}"
                .to_owned(),
        });
    }
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let detail = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(d, _)| d)
            .to_owned();
        CodecError::Malformed {
            format: FORMAT,
            location: format!("line {} column {}", e.line(), e.column()),
            detail,
        }
    })
}

/// The resource named by `head.docType`.
fn kind_of(document: &Value) -> Result<&'static service::Resource, CodecError> {
    let Value::Object(root) = document else {
        return Err(CodecError::Malformed {
            format: FORMAT,
            location: "/".to_owned(),
            detail: format!(
                "a station document is a JSON object {{\"head\": {{…}}, \"data\": {{…}}}}, not {}",
                json_kind(document)
            ),
        });
    };
    let head = match root.get("head") {
        None | Some(Value::Null) => {
            return Err(CodecError::MissingField {
                field: "/head".to_owned(),
                meaning: meaning_of("head").to_owned(),
            });
        }
        Some(Value::Object(head)) => head,
        Some(other) => {
            return Err(CodecError::InvalidField {
                field: "/head".to_owned(),
                value: quoted(&other.to_string()),
                detail: "the head is a JSON object".to_owned(),
            });
        }
    };
    let doc_type = match head.get("docType") {
        None | Some(Value::Null) => {
            return Err(CodecError::MissingField {
                field: "/head/docType".to_owned(),
                meaning: meaning_of("docType").to_owned(),
            });
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(CodecError::MissingField {
                field: "/head/docType".to_owned(),
                meaning: meaning_of("docType").to_owned(),
            });
        }
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(CodecError::InvalidField {
                field: "/head/docType".to_owned(),
                value: quoted(&other.to_string()),
                detail: format!("expected a document kind, one of: {}", service::doc_types()),
            });
        }
    };
    service::by_doc_type(doc_type).ok_or_else(|| CodecError::UnsupportedKind {
        kind: quoted(doc_type),
        detail: format!(
            "the station API has the kinds {} (POST /api/v1/…)",
            service::doc_types()
        ),
    })
}

/// Reads the whole document as native type `N` and converts its data to canonical JSON.
fn read_as<N>(document: &Value) -> Result<(Head, Value), CodecError>
where
    N: Native + DeserializeOwned,
    N::Canon: Serialize,
{
    let read: Document<N> =
        serde_path_to_error::deserialize(document).map_err(|e| de_error(&e, document))?;
    let payload =
        serde_json::to_value(read.data.into_canon()).map_err(|e| CodecError::Malformed {
            format: FORMAT,
            location: "/data".to_owned(),
            detail: e.to_string(),
        })?;
    Ok((read.head, payload))
}

/// A deserialization error as a [`CodecError`] naming the field by its JSON pointer (and
/// quoting the offending value from `document`).
fn de_error(error: &serde_path_to_error::Error<serde_json::Error>, document: &Value) -> CodecError {
    let pointer = pointer_of(error.path());
    let message = error.inner().to_string();
    let found = || {
        document
            .pointer(&pointer)
            .map_or_else(String::new, |v| match v {
                Value::String(s) => quoted(s),
                other => quoted(&other.to_string()),
            })
    };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return CodecError::MissingField {
            field: format!("{pointer}/{name}"),
            meaning: meaning_of(name).to_owned(),
        };
    }
    if let Some(rest) = message.strip_prefix(VALUE_MARK) {
        let (value, detail) = rest.split_once(VALUE_MARK).unwrap_or((rest, ""));
        return CodecError::InvalidField {
            field: pointer,
            value: quoted(value),
            detail: detail.to_owned(),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let name = last_name(&pointer);
        return CodecError::InvalidField {
            detail: format!(
                "not a code of {}; {}",
                meaning_of(name),
                expected.trim_start_matches(", ")
            ),
            field: pointer,
            value: quoted(value),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let location = if last_name(&pointer) == name {
            pointer
        } else {
            format!("{pointer}/{name}")
        };
        return CodecError::Malformed {
            format: FORMAT,
            location,
            detail: format!(
                "unknown field `{name}`{}",
                expected.replacen(", expected", "; expected", 1)
            ),
        };
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
            return CodecError::InvalidField {
                value: found(),
                field: pointer,
                detail: format!("expected {}", expected_in_words(expected)),
            };
        }
    }
    CodecError::Malformed {
        format: FORMAT,
        location: if pointer.is_empty() {
            "/".to_owned()
        } else {
            pointer
        },
        detail: message,
    }
}

/// serde's name of an expected value in the words of a JSON document (`u32` → a whole
/// number, `struct NIntake` → an object).
fn expected_in_words(expected: &str) -> String {
    let words = match expected {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" => "a whole number from 0",
        "f64" => "a number",
        "a string" | "a borrowed string" => "a string",
        "a boolean" => "true or false",
        "a sequence" => "an array",
        e if e.starts_with("struct ") || e.starts_with("a map") => "an object",
        e if e.starts_with("variant identifier") || e.starts_with("enum ") => "a code (string)",
        other => return other.to_owned(),
    };
    words.to_owned()
}

/// The JSON pointer (RFC 6901) of a serde path.
pub(crate) fn pointer_of(path: &serde_path_to_error::Path) -> String {
    let mut pointer = String::new();
    for segment in path {
        match segment {
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// The last member name of a pointer (`/data/person/idNumber` → `idNumber`).
fn last_name(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or_default()
}

/// A value for an error message, cut to [`MAX_QUOTED_CHARS`] characters.
fn quoted(value: &str) -> String {
    if value.chars().count() <= MAX_QUOTED_CHARS {
        value.to_owned()
    } else {
        let mut cut: String = value.chars().take(MAX_QUOTED_CHARS).collect();
        cut.push('…');
        cut
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Today in Beijing time at the receive time of the document; without a readable receive
/// time, a date far ahead (so no birth date is refused as lying in the future).
fn today_of(ctx: &DecodeContext) -> Option<CivilDate> {
    parse_offset_date_time(&ctx.received_at)
        .ok()
        .and_then(|t| native::to_beijing(t.date, t.hour, t.minute, t.offset_minutes))
        .map(|(date, _, _)| date)
        .or_else(|| CivilDate::new(9_999, 12, 31))
}

/// Canonical payload fields that always hold a resident ID number, per message type.
const RESIDENT_ID_FIELDS: &[(MessageType, &str)] = &[
    (MessageType::SettlementDecision, "/assigned_id_number"),
    (MessageType::ReturnHomeReceipt, "/received_by/id_number"),
];

/// Checks every resident ID number of the payload (GB 11643-1999).
fn check_id_numbers(
    message_type: MessageType,
    payload: &Value,
    today: Option<CivilDate>,
) -> Result<(), CodecError> {
    // `today` is always known (see `today_of`); without it there is no pure check.
    let Some(today) = today else {
        return Ok(());
    };
    for (t, pointer) in RESIDENT_ID_FIELDS {
        if *t == message_type
            && let Some(Value::String(number)) = payload.pointer(pointer)
        {
            check_resident_id(number, &native_pointer_of_payload(pointer), today)?;
        }
    }
    let mut pointer = String::from("/data");
    walk_identities(payload, &mut pointer, today, 0)
}

/// Deepest nesting searched for identities (documents are far shallower).
const MAX_DEPTH: usize = 32;

/// Finds objects with `id_doc_type` 111 or 112 and checks their `id_number`; `pointer` is
/// the native pointer of `value`.
fn walk_identities(
    value: &Value,
    pointer: &mut String,
    today: CivilDate,
    depth: usize,
) -> Result<(), CodecError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(doc_type)), Some(Value::String(number))) =
                (map.get("id_doc_type"), map.get("id_number"))
                && (doc_type == "111" || doc_type == "112")
            {
                check_resident_id(number, &format!("{pointer}/idNumber"), today)?;
            }
            for (key, child) in map {
                if child.is_object() || child.is_array() {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&camel_case(key));
                    walk_identities(child, pointer, today, depth + 1)?;
                    pointer.truncate(len);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk_identities(child, pointer, today, depth + 1)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_resident_id(number: &str, field: &str, today: CivilDate) -> Result<(), CodecError> {
    resident_id::parse_at(number, today)
        .map(|_| ())
        .map_err(|e| CodecError::InvalidField {
            field: field.to_owned(),
            value: quoted(number),
            detail: format!("not a valid 公民身份号码 (GB 11643-1999): {e}"),
        })
}

/// The native pointer of a canonical payload pointer (`/received_by/id_number` →
/// `/data/receivedBy/idNumber`).
fn native_pointer_of_payload(pointer: &str) -> String {
    let mut out = String::from("/data");
    for segment in pointer.split('/').skip(1) {
        out.push('/');
        out.push_str(&camel_case(segment));
    }
    out
}

/// The translation of a pointer into a canonical message (as the hub's refusal reasons give
/// it) to the same place in the station's document: `/payload/person/id_number` →
/// `/data/person/idNumber`, `/sensitivity` → `/head/sensitivity`, `/message_id` →
/// `/head/docNo`.
pub(crate) fn native_pointer(canonical: &str) -> String {
    let mut segments = canonical.split('/').skip(1);
    let Some(first) = segments.next() else {
        return String::new();
    };
    let mut out = match first {
        "payload" => String::from("/data"),
        "message_id" => String::from("/head/docNo"),
        "message_type" => String::from("/head/docType"),
        envelope_field => format!("/head/{}", camel_case(envelope_field)),
    };
    for segment in segments {
        out.push('/');
        out.push_str(&camel_case(segment));
    }
    out
}

/// How the station system answered a delivery: `2xx` delivered (unless its receipt says
/// `"success": false`), `408`, `429` and `5xx` transient, every other status permanent,
/// each failure with the station's own body text.
pub(crate) fn classify_response(status: u16, body: &[u8]) -> DeliveryResponse {
    let receipt: Option<Receipt> = serde_json::from_slice(body).ok();
    let reason = || reason_of(status, body, receipt.as_ref());
    match status {
        200..=299 => match &receipt {
            Some(r) if !r.success => DeliveryResponse::Permanent { reason: reason() },
            _ => DeliveryResponse::Delivered,
        },
        408 | 429 | 500..=599 => DeliveryResponse::Transient { reason: reason() },
        _ => DeliveryResponse::Permanent { reason: reason() },
    }
}

/// `HTTP <status>: <the station's body>`, cut to [`MAX_REASON_CHARS`]; a receipt is shown
/// as its code, message and errors.
fn reason_of(status: u16, body: &[u8], receipt: Option<&Receipt>) -> String {
    let text = match receipt {
        Some(r) if r.code.is_some() || r.message.is_some() || r.errors.is_some() => {
            let mut text = [r.code.as_deref(), r.message.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            for error in r.errors.iter().flatten() {
                text.push_str("; ");
                text.push_str(&error.to_string());
            }
            text
        }
        _ => {
            let lossy = String::from_utf8_lossy(body);
            let trimmed = lossy.trim();
            if trimmed.is_empty() {
                "(empty body)".to_owned()
            } else {
                trimmed.to_owned()
            }
        }
    };
    let mut reason = format!("HTTP {status}: {text}");
    if reason.chars().count() > MAX_REASON_CHARS {
        reason = reason.chars().take(MAX_REASON_CHARS).collect();
        reason.push('…');
    }
    reason
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn canonical_pointers_translate_to_the_station_document() {
        assert_eq!(
            native_pointer("/payload/person/id_number"),
            "/data/person/idNumber"
        );
        assert_eq!(
            native_pointer("/payload/belongings_deposited/0/cash_amount"),
            "/data/belongingsDeposited/0/cashAmount"
        );
        assert_eq!(native_pointer("/sensitivity"), "/head/sensitivity");
        assert_eq!(native_pointer("/case_id"), "/head/caseId");
        assert_eq!(native_pointer("/message_id"), "/head/docNo");
        assert_eq!(native_pointer(""), "");
    }

    #[test]
    fn delivery_answers_are_classified() {
        assert_eq!(classify_response(201, b""), DeliveryResponse::Delivered);
        assert_eq!(
            classify_response(200, br#"{"success":true,"code":"ACCEPTED"}"#),
            DeliveryResponse::Delivered
        );
        assert_eq!(
            classify_response(
                200,
                r#"{"success":false,"code":"DUPLICATE","message":"重复"}"#.as_bytes()
            ),
            DeliveryResponse::Permanent {
                reason: "HTTP 200: DUPLICATE: 重复".to_owned()
            }
        );
        assert_eq!(
            classify_response(503, b"maintenance"),
            DeliveryResponse::Transient {
                reason: "HTTP 503: maintenance".to_owned()
            }
        );
        for status in [408, 429, 500, 502, 504] {
            assert!(matches!(
                classify_response(status, b""),
                DeliveryResponse::Transient { .. }
            ));
        }
        assert_eq!(
            classify_response(
                422,
                concat!(
                    r#"{"success":false,"code":"INVALID_FIELD","#,
                    r#""errors":[{"pointer":"/data/x","code":"format","message":"bad"}]}"#
                )
                .as_bytes()
            ),
            DeliveryResponse::Permanent {
                reason: "HTTP 422: INVALID_FIELD; /data/x [format] bad".to_owned()
            }
        );
        assert_eq!(
            classify_response(404, b""),
            DeliveryResponse::Permanent {
                reason: "HTTP 404: (empty body)".to_owned()
            }
        );
        let long = vec![b'x'; 10_000];
        let DeliveryResponse::Permanent { reason } = classify_response(400, &long) else {
            panic!("400 is permanent");
        };
        assert_eq!(reason.chars().count(), MAX_REASON_CHARS + 1);
    }
}
