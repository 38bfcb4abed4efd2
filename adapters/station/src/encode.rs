//! Canonical envelope → station document, and the receipts the adapter answers the station
//! system with.
//!
//! Encoding writes the envelope facts into the head (`docNo` is the hub's `message_id`, so the
//! station can name it as `correlationId` when it answers) and the payload, through its
//! contracts type, into the native resource of its kind. The body is pretty-printed UTF-8
//! JSON in the field order of the native types, independent of serde_json features.
//!
//! A payload that does not fit its contracts type (a field projected away that the contract
//! requires, a version other than 1.x.y) is [`CodecError::Unencodable`]: the station's API
//! takes whole resources only. The station's distribution policy gives it every field, so a
//! well-formed delivery always fits.
//!
//! Invariants: pure and deterministic; `decode(encode(m))` gives `m` back except for
//! `message_id` (derived from `docNo` like every decoded id) and timestamps written with an
//! offset other than `+08:00` (they come back as the same instant at `+08:00`).

use adapter_core::CodecError;
use adapter_core::codec::{InboundAnswer, NativeDocument, Verdict};
use contracts::MessageType;
use contracts::model::Envelope;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::ser::PrettyFormatter;

use crate::decode::{native_pointer, pointer_of};
use crate::native::{self, BjTime, Day, Document, Head, Native, Receipt, ReceiptError};
use crate::service::{self, CONTENT_TYPE};

/// HTTP status of a delivery document (it is a request; the status is not used).
const REQUEST_STATUS: u16 = 200;

/// Encodes one canonical envelope as the station document of its kind.
pub(crate) fn encode(message: &Envelope<Value>) -> Result<NativeDocument, CodecError> {
    let message_type = message.message_type;
    if message.major_version() != Some(1) {
        return Err(CodecError::Unencodable {
            message_type: message_type.as_str().to_owned(),
            detail: format!(
                "the station system reads version 1.x.y of {message_type}, not {:?}; \
                 the hub casts deliveries to the version it reads",
                message.schema_version
            ),
        });
    }
    let resource =
        service::by_message_type(message_type).ok_or_else(|| CodecError::Unencodable {
            message_type: message_type.as_str().to_owned(),
            detail: "the station system has no resource for this type".to_owned(),
        })?;
    let head = Head {
        doc_type: resource.doc_type.to_owned(),
        doc_no: message.message_id.clone(),
        schema_version: Some(message.schema_version.clone()),
        case_id: message.case_id.clone(),
        correlation_id: message.correlation_id.clone(),
        sender_org_code: Some(message.sender_org_code.clone()),
        sender_org_type: Some(message.sender_org_type),
        sender_system: Some(message.sender_system.clone()),
        receiver_org_codes: Some(message.receiver_org_codes.clone()),
        sent_at: Some(BjTime(message.sent_at.clone())),
        region_code: Some(message.region_code.clone()),
        legal_basis: message.legal_basis.clone(),
        purpose_code: message.purpose_code,
        sensitivity: message.sensitivity,
        retention_until: message.retention_until.clone().map(Day),
        signature: Native::from_canon(message.signature.clone()),
        attachments: Native::from_canon(message.attachments.clone()),
    };
    let body =
        native::with_native_type!(message_type, write_as(head, &message.payload, message_type))?;
    Ok(NativeDocument {
        content_type: CONTENT_TYPE.to_owned(),
        path: resource.path.to_owned(),
        http_status: REQUEST_STATUS,
        body,
    })
}

/// Reads the payload as the contracts type of `N` and writes the document with it.
fn write_as<N>(
    head: Head,
    payload: &Value,
    message_type: MessageType,
) -> Result<Vec<u8>, CodecError>
where
    N: Native + Serialize,
    N::Canon: DeserializeOwned,
{
    let canon: N::Canon =
        serde_path_to_error::deserialize(payload).map_err(|e| CodecError::Unencodable {
            message_type: message_type.as_str().to_owned(),
            detail: format!(
                "the payload does not fit {message_type} v1 at /payload{}: {}",
                pointer_of(e.path()),
                e.inner()
            ),
        })?;
    let document = Document {
        head,
        data: N::from_canon(canon),
    };
    let mut body = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut body, PrettyFormatter::with_indent(b"  "));
    serde_path_to_error::serialize(&document, &mut serializer).map_err(|e| {
        CodecError::Unencodable {
            message_type: message_type.as_str().to_owned(),
            detail: format!("field {}: {}", pointer_of(e.path()), e.inner()),
        }
    })?;
    Ok(body)
}

/// The receipt for a document the station system sent: `201` accepted with the message ids,
/// `422` refused by the hub (each reason with its pointer in the station's document) or not
/// decodable (the decode error), `503` hub unavailable (send the same document again later).
pub(crate) fn answer(answer: &InboundAnswer<'_>) -> NativeDocument {
    let doc_no = answer.native_ref.map(|r| r.document_id.clone());
    let doc_type = answer.native_ref.map(|r| r.document_kind.clone());
    let path = doc_type
        .as_deref()
        .and_then(service::by_doc_type)
        .map_or("", |r| r.path);
    let (http_status, code, message, message_ids, retryable, errors) = match answer.verdict {
        Verdict::Accepted { message_ids } => (
            201,
            "ACCEPTED",
            "已接收：枢纽已确认保存".to_owned(),
            Some(message_ids.to_vec()),
            None,
            None,
        ),
        Verdict::Refused { reasons } => (
            422,
            "REFUSED",
            "枢纽拒收：单据不符合交换规范，请按错误明细更正后重新发送".to_owned(),
            None,
            Some(false),
            Some(
                reasons
                    .iter()
                    .map(|r| ReceiptError {
                        pointer: native_pointer(&r.pointer),
                        canonical_pointer: Some(r.pointer.clone()),
                        code: r.code.clone(),
                        message: r.message.clone(),
                    })
                    .collect(),
            ),
        ),
        Verdict::Malformed { error } => (
            422,
            error_code(error),
            "单据无法识别，请按错误明细更正后重新发送".to_owned(),
            None,
            Some(false),
            Some(vec![ReceiptError {
                pointer: error_pointer(error),
                canonical_pointer: None,
                code: error_code(error).to_owned(),
                message: error.to_string(),
            }]),
        ),
        Verdict::Unavailable { detail } => (
            503,
            "HUB_UNAVAILABLE",
            "枢纽暂时不可用，请稍后以同一单据号重新发送".to_owned(),
            None,
            Some(true),
            Some(vec![ReceiptError {
                pointer: String::new(),
                canonical_pointer: None,
                code: "HUB_UNAVAILABLE".to_owned(),
                message: detail.to_owned(),
            }]),
        ),
    };
    let receipt = Receipt {
        success: http_status == 201,
        code: Some(code.to_owned()),
        message: Some(message),
        doc_no,
        doc_type,
        message_ids,
        retryable,
        errors,
    };
    let body = serde_json::to_vec_pretty(&receipt).unwrap_or_else(|_| {
        // A receipt of strings and booleans always serializes; keep an answer regardless.
        br#"{"success": false, "code": "INTERNAL"}"#.to_vec()
    });
    NativeDocument {
        content_type: CONTENT_TYPE.to_owned(),
        path: path.to_owned(),
        http_status,
        body,
    }
}

/// The receipt code of a decode error.
fn error_code(error: &CodecError) -> &'static str {
    match error {
        CodecError::Malformed { .. } => "MALFORMED",
        CodecError::UnsupportedKind { .. } => "UNSUPPORTED_KIND",
        CodecError::MissingField { .. } => "MISSING_FIELD",
        CodecError::InvalidField { .. } => "INVALID_FIELD",
        CodecError::Unencodable { .. } => "UNENCODABLE",
    }
}

/// Where in the station's document a decode error is (`""` for the whole document).
fn error_pointer(error: &CodecError) -> String {
    match error {
        CodecError::MissingField { field, .. } | CodecError::InvalidField { field, .. } => {
            field.clone()
        }
        CodecError::Malformed { location, .. } if location.starts_with('/') => {
            if location == "/" {
                String::new()
            } else {
                location.clone()
            }
        }
        CodecError::UnsupportedKind { .. } => "/head/docType".to_owned(),
        _ => String::new(),
    }
}
