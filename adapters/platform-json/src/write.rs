//! Canonical → native steps both JSON platforms take: the hub's documents (`header` 报文头
//! with every envelope field, in the order of [`HEADER_FIELDS`], + `body`), 拒收通知 from
//! HUB_REJECTED, the fields of a REFERRAL_OUTCOME, and the helpers every encode uses (checked
//! canonical objects, optional strings and times, the wire code of a hub enum).
//!
//! Invariants: a field absent from the canonical message (e.g. projected away by the hub) is
//! absent from the native document, never filled in; a canonical field the native format has
//! no place for is an [`CodecError::Unencodable`] rather than silently dropped; the output is
//! deterministic (struct field order, entry order of [`OrderedMap`], sorted keys for maps).

use adapter_core::{CodecError, NativeDocument};
use contracts::catalogue::MessageType;
use contracts::model::Envelope;
use contracts::model::referral_outcome::ReferralOutcomeCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Platform;
use crate::document::{HEADER_FIELDS, Reason, RejectNotice};
use crate::text::camelize;
use crate::time;

/// Media type of every document of the JSON platforms.
pub const CONTENT_TYPE: &str = "application/json; charset=UTF-8";

impl Platform {
    /// 拒收通知 from a HUB_REJECTED payload; each reason names the native field its pointer is
    /// about ([`Platform::native_field_of`]).
    pub fn reject_notice(&self, payload: &Value) -> Result<RejectNotice, CodecError> {
        const T: MessageType = MessageType::HubRejected;
        let p = fields(
            T,
            payload,
            "/payload",
            &[
                "rejected_message_id",
                "rejected_message_type",
                "received_at",
                "stage",
                "reasons",
                "dead_letter_ref",
                "retry_allowed",
            ],
        )?;
        let reasons = match p.get("reasons") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let r = fields(
                            T,
                            item,
                            &format!("/payload/reasons/{i}"),
                            &["pointer", "code", "message"],
                        )?;
                        let pointer = string(T, r, "pointer")?;
                        Ok(Reason {
                            field: pointer.as_deref().and_then(self.native_field_of),
                            pointer,
                            code: string(T, r, "code")?,
                            message: string(T, r, "message")?,
                        })
                    })
                    .collect::<Result<Vec<_>, CodecError>>()?,
            ),
            Some(_) => return Err(unencodable(T, "reasons is not an array")),
        };
        let retry_allowed = match p.get("retry_allowed") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(unencodable(T, "retry_allowed is not a boolean")),
        };
        Ok(RejectNotice {
            rejected_msg_id: string(T, p, "rejected_message_id")?,
            rejected_msg_type: string(T, p, "rejected_message_type")?,
            receive_time: native_time(T, p, "received_at")?,
            stage: string(T, p, "stage")?,
            reasons,
            dead_letter_ref: string(T, p, "dead_letter_ref")?,
            retry_allowed,
        })
    }
}

/// A REFERRAL_OUTCOME payload (possibly projected), checked against the fields the
/// platforms' feedback documents carry; the adapter reads the fields it writes, in its
/// document's order, with [`OutcomeFields::string`], [`OutcomeFields::time`] and
/// [`OutcomeFields::handler`].
#[derive(Debug, Clone, Copy)]
pub struct OutcomeFields<'a> {
    payload: &'a Map<String, Value>,
    handler: Option<&'a Map<String, Value>>,
    /// `outcome` as written (a hub code).
    pub outcome: Option<&'a str>,
    /// `outcome` read as a code of CL-REFERRAL-OUTCOME.
    pub code: Option<ReferralOutcomeCode>,
}

impl<'a> OutcomeFields<'a> {
    const T: MessageType = MessageType::ReferralOutcome;

    /// Checks the payload and its `handler`, and reads the outcome.
    pub fn of(payload: &'a Value) -> Result<OutcomeFields<'a>, CodecError> {
        let p = fields(
            Self::T,
            payload,
            "/payload",
            &[
                "referral_id",
                "source_case_no",
                "signed_at",
                "arrived_at",
                "outcome",
                "case_id",
                "closed_at",
                "handler",
                "note",
            ],
        )?;
        let handler = p
            .get("handler")
            .map(|h| {
                fields(
                    Self::T,
                    h,
                    "/payload/handler",
                    &[
                        "name",
                        "badge_or_staff_no",
                        "org_code",
                        "org_name",
                        "phone",
                        "role",
                    ],
                )
            })
            .transpose()?;
        let outcome = match p.get("outcome") {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(unencodable(Self::T, "outcome is not a string")),
        };
        let code = outcome
            .map(|o| {
                serde_json::from_value::<ReferralOutcomeCode>(Value::String(o.to_owned())).map_err(
                    |_| {
                        unencodable(
                            Self::T,
                            format!("outcome {o} is not a code of CL-REFERRAL-OUTCOME"),
                        )
                    },
                )
            })
            .transpose()?;
        Ok(OutcomeFields {
            payload: p,
            handler,
            outcome,
            code,
        })
    }

    /// An optional string field of the payload.
    pub fn string(&self, key: &str) -> Result<Option<String>, CodecError> {
        string(Self::T, self.payload, key)
    }

    /// An optional time field of the payload, in native time.
    pub fn time(&self, key: &str) -> Result<Option<String>, CodecError> {
        native_time(Self::T, self.payload, key)
    }

    /// An optional string field of the payload's `handler`.
    pub fn handler(&self, key: &str) -> Result<Option<String>, CodecError> {
        self.handler.map_or(Ok(None), |h| string(Self::T, h, key))
    }
}

/// A document posted to the platform or pushed by it: JSON, the path it goes to.
pub fn document(path: &str, body: Vec<u8>) -> NativeDocument {
    NativeDocument {
        content_type: CONTENT_TYPE.to_owned(),
        path: path.to_owned(),
        http_status: 200,
        body,
    }
}

/// [`CodecError::Unencodable`] for `message_type`.
pub fn unencodable(message_type: MessageType, detail: impl Into<String>) -> CodecError {
    CodecError::Unencodable {
        message_type: message_type.as_str().to_owned(),
        detail: detail.into(),
    }
}

/// A serializable value as JSON.
pub fn to_value<T: Serialize>(value: &T) -> Result<Value, CodecError> {
    serde_json::to_value(value).map_err(|e| CodecError::Unencodable {
        message_type: String::new(),
        detail: e.to_string(),
    })
}

/// A serializable value as pretty-printed JSON bytes (the platforms' documents).
pub fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    serde_json::to_vec_pretty(value).map_err(|e| CodecError::Unencodable {
        message_type: String::new(),
        detail: e.to_string(),
    })
}

/// `{"header": {…}, "body": {…}}` (the shape of [`crate::document::HubDocument`], with the
/// body's fields in their declared order).
pub fn hub_document<B: Serialize>(
    message: &Envelope<Value>,
    body: &B,
) -> Result<Vec<u8>, CodecError> {
    #[derive(Serialize)]
    struct Outgoing<'a, B> {
        header: OrderedMap<&'static str>,
        body: &'a B,
    }
    to_json(&Outgoing {
        header: header_to_native(message)?,
        body,
    })
}

/// A JSON object written in the order of its entries (a JSON map would sort them).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<K>(pub Vec<(K, Value)>);

impl<K: Serialize> Serialize for OrderedMap<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// The 报文头 of a document the hub sends: every envelope field but the payload, in the
/// order of [`HEADER_FIELDS`].
fn header_to_native(message: &Envelope<Value>) -> Result<OrderedMap<&'static str>, CodecError> {
    let Value::Object(mut fields) = to_value(message)? else {
        return Err(unencodable(
            message.message_type,
            "the envelope is not an object",
        ));
    };
    fields.remove("payload");
    let mut header = Vec::new();
    for (key, value) in fields {
        let Some((_, native, _, _)) = HEADER_FIELDS.iter().find(|(c, _, _, _)| *c == key) else {
            return Err(unencodable(
                message.message_type,
                format!("envelope field {key} has no place in the header"),
            ));
        };
        let value = if key == "sent_at" {
            Value::String(time::to_native(
                "sent_at",
                value.as_str().unwrap_or_default(),
            )?)
        } else {
            camelize(&format!("/{key}"), &value)?
        };
        header.push((*native, value));
    }
    header.sort_by_key(|(native, _)| HEADER_FIELDS.iter().position(|(_, n, _, _)| n == native));
    Ok(OrderedMap(header))
}

/// The keys of a canonical object, checked against the ones the native format carries.
pub fn fields<'a>(
    message_type: MessageType,
    value: &'a Value,
    at: &str,
    known: &[&str],
) -> Result<&'a Map<String, Value>, CodecError> {
    let map = value
        .as_object()
        .ok_or_else(|| unencodable(message_type, format!("{at} is not an object")))?;
    if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(unencodable(
            message_type,
            format!("{at}/{key} has no place in the native document"),
        ));
    }
    Ok(map)
}

/// An optional string field of a canonical object.
pub fn string(
    message_type: MessageType,
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, CodecError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(unencodable(message_type, format!("{key} is not a string"))),
    }
}

/// An optional time field of a canonical object, in native time.
pub fn native_time(
    message_type: MessageType,
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, CodecError> {
    string(message_type, map, key)?
        .map(|t| time::to_native(key, &t))
        .transpose()
}

/// The wire code of a canonical enum (its serde name), for hub codes carried verbatim.
pub fn code_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}
