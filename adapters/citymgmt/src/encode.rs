//! Canonical → native: REFERRAL_OUTCOME becomes 处理反馈 and HUB_REJECTED becomes 拒收通知
//! (both with the `header` 报文头), posted to the 城管 system; REFERRAL becomes the 派遣案卷
//! the 城管 system would push (for simulators and the round-trip property).
//!
//! Invariants: a field absent from the canonical message (e.g. projected away by the hub) is
//! absent from the native document, never filled in; a canonical field this format has no
//! place for is an [`CodecError::Unencodable`] rather than silently dropped; the output is
//! deterministic (struct field order, then sorted keys for maps).

use adapter_core::{CodecError, NativeDocument};
use contracts::casting;
use contracts::catalogue::MessageType;
use contracts::model::Envelope;
use contracts::model::referral::{ReferralV2, SourceSystem};
use contracts::model::referral_outcome::ReferralOutcomeCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::codes::{self, Stage};
use crate::native::{
    CaseFeedback, CaseRecord, CaseReporter, Dispatch, HEADER_FIELDS, Person, Reason, RejectNotice,
    RescueInfo, StageRecord, camelize, time_to_native,
};
use crate::service;

/// Media type of every document of this interface.
pub const CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// Encodes a canonical message as the native document for it.
pub fn encode(message: &Envelope<Value>) -> Result<NativeDocument, CodecError> {
    let (path, body) = match message.message_type {
        MessageType::Referral => (service::CASE_PUSH_PATH, to_json(&case_record(message)?)?),
        MessageType::ReferralOutcome => (
            service::FEEDBACK_PATH,
            hub_document(message, &feedback(&message.payload)?)?,
        ),
        MessageType::HubRejected => (
            service::REJECTION_PATH,
            hub_document(message, &reject_notice(&message.payload)?)?,
        ),
        other => {
            return Err(CodecError::Unencodable {
                message_type: other.as_str().to_owned(),
                detail: "the 城管 system sends REFERRAL and receives REFERRAL_OUTCOME and \
                         HUB_REJECTED; it has no document for this type"
                    .to_owned(),
            });
        }
    };
    Ok(NativeDocument {
        content_type: CONTENT_TYPE.to_owned(),
        path: path.to_owned(),
        http_status: 200,
        body,
    })
}

fn unencodable(message_type: MessageType, detail: impl Into<String>) -> CodecError {
    CodecError::Unencodable {
        message_type: message_type.as_str().to_owned(),
        detail: detail.into(),
    }
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, CodecError> {
    serde_json::to_value(value).map_err(|e| CodecError::Unencodable {
        message_type: String::new(),
        detail: e.to_string(),
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    serde_json::to_vec_pretty(value).map_err(|e| CodecError::Unencodable {
        message_type: String::new(),
        detail: e.to_string(),
    })
}

/// `{"header": {…}, "body": {…}}` (the shape of [`crate::native::HubDocument`], with the
/// body's fields in their declared order).
fn hub_document<B: Serialize>(message: &Envelope<Value>, body: &B) -> Result<Vec<u8>, CodecError> {
    #[derive(Serialize)]
    struct Outgoing<'a, B> {
        header: OrderedHeader,
        body: &'a B,
    }
    to_json(&Outgoing {
        header: header_to_native(message)?,
        body,
    })
}

/// Header fields in the order of [`HEADER_FIELDS`] (a JSON map would sort them).
struct OrderedHeader(Vec<(&'static str, Value)>);

impl Serialize for OrderedHeader {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// The 报文头 of a document the hub sends: every envelope field but the payload.
fn header_to_native(message: &Envelope<Value>) -> Result<OrderedHeader, CodecError> {
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
            Value::String(time_to_native(
                "sent_at",
                value.as_str().unwrap_or_default(),
            )?)
        } else {
            camelize(&format!("/{key}"), &value)?
        };
        header.push((*native, value));
    }
    header.sort_by_key(|(native, _)| HEADER_FIELDS.iter().position(|(_, n, _, _)| n == native));
    Ok(OrderedHeader(header))
}

/// The keys of a canonical object, checked against the ones the native format carries.
fn fields<'a>(
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
fn string(
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

/// An optional time field, in native time.
fn time(
    message_type: MessageType,
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, CodecError> {
    string(message_type, map, key)?
        .map(|t| time_to_native(key, &t))
        .transpose()
}

/// 处理反馈 from a REFERRAL_OUTCOME payload (possibly projected).
fn feedback(payload: &Value) -> Result<CaseFeedback, CodecError> {
    const T: MessageType = MessageType::ReferralOutcome;
    let p = fields(
        T,
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
    let empty = Value::Object(Map::new());
    let h = fields(
        T,
        p.get("handler").unwrap_or(&empty),
        "/payload/handler",
        &[
            "name",
            "badge_or_staff_no",
            "org_code",
            "org_name",
            "phone",
            "role",
        ],
    )?;
    let outcome = string(T, p, "outcome")?;
    let labels = outcome
        .as_deref()
        .map(|o| {
            serde_json::from_value::<ReferralOutcomeCode>(Value::String(o.to_owned()))
                .map(codes::outcome_labels)
                .map_err(|_| {
                    unencodable(
                        T,
                        format!("outcome {o} is not a code of CL-REFERRAL-OUTCOME"),
                    )
                })
        })
        .transpose()?;
    Ok(CaseFeedback {
        case_no: string(T, p, "source_case_no")?,
        dispatch_no: string(T, p, "referral_id")?,
        handle_result: outcome,
        handle_result_name: labels.map(|(name, _)| name.to_owned()),
        handle_state: labels.map(|(_, state)| state.to_owned()),
        sign_time: time(T, p, "signed_at")?,
        arrive_time: time(T, p, "arrived_at")?,
        finish_time: time(T, p, "closed_at")?,
        handle_unit_code: string(T, h, "org_code")?,
        handle_unit_name: string(T, h, "org_name")?,
        handler_name: string(T, h, "name")?,
        handler_no: string(T, h, "badge_or_staff_no")?,
        handler_phone: string(T, h, "phone")?,
        handler_role: string(T, h, "role")?,
        rescue_case_id: string(T, p, "case_id")?,
        remarks: string(T, p, "note")?,
    })
}

/// 拒收通知 from a HUB_REJECTED payload.
fn reject_notice(payload: &Value) -> Result<RejectNotice, CodecError> {
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
                        field: pointer.as_deref().and_then(codes::native_field_of),
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
        receive_time: time(T, p, "received_at")?,
        stage: string(T, p, "stage")?,
        reasons,
        dead_letter_ref: string(T, p, "dead_letter_ref")?,
        retry_allowed,
    })
}

/// The 派遣案卷 a 城管 system would push for a REFERRAL (v2, or v1 cast up to v2).
fn case_record(message: &Envelope<Value>) -> Result<CaseRecord, CodecError> {
    const T: MessageType = MessageType::Referral;
    let payload = match message.major_version() {
        Some(2) => message.payload.clone(),
        Some(1) => casting::cast(T, 1, 2, &message.payload)
            .map_err(|e| unencodable(T, format!("v1 payload cannot be cast to v2: {e}")))?,
        _ => {
            return Err(unencodable(
                T,
                format!(
                    "schema_version {} is not 1.x or 2.x",
                    message.schema_version
                ),
            ));
        }
    };
    let r: ReferralV2 = serde_json::from_value(payload)
        .map_err(|e| unencodable(T, format!("not a REFERRAL v2 payload: {e}")))?;
    if r.source_system != SourceSystem::Citymgmt {
        return Err(unencodable(
            T,
            "a 数字城管 case is a referral with source_system CITYMGMT",
        ));
    }
    let class = r
        .source_event_class
        .as_ref()
        .filter(|c| {
            c.major == codes::STREET_ORDER_MAJOR
                && c.minor.as_deref() == Some(codes::VAGRANCY_BEGGING_MINOR)
        })
        .ok_or_else(|| unencodable(T, "a 数字城管 referral is of class 05-02 街面秩序/流浪乞讨"))?;
    // Decode joins 大类名称 and 小类名称 with '/': split at the first one.
    let (main_name, sub_name) = match class.name.split_once('/') {
        Some((a, b)) => (a.to_owned(), b.to_owned()),
        None => ("街面秩序".to_owned(), "流浪乞讨".to_owned()),
    };
    if r.location.grid.is_some() {
        return Err(unencodable(
            T,
            "location.grid is the social-governance grid; a 数字城管 case has none",
        ));
    }
    let case_source = codes::case_source_of(r.reporter.kind).ok_or_else(|| {
        unencodable(
            T,
            format!(
                "reporter kind {:?} has no 案件来源 (expected {})",
                r.reporter.kind,
                codes::listing(codes::CASE_SOURCES)
            ),
        )
    })?;
    let (dispatch_code, dispatch_name) = codes::stage_code(Stage::Dispatch);
    let geo = r.location.geo.as_ref();
    let persons = r
        .subjects
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(Person {
                sex: Some(s.sex_code.clone()),
                estimated_age: s.estimated_age.map(u64::from),
                minor_suspected: Some(s.is_minor_suspected),
                willingness: Some(code_of(&s.willingness)),
                physical_description: s
                    .physical_description
                    .as_ref()
                    .map(|d| {
                        camelize(
                            &format!("/payload/subjects/{i}/physical_description"),
                            &to_value(d)?,
                        )
                    })
                    .transpose()?,
                health: Some(camelize(
                    &format!("/payload/subjects/{i}/health"),
                    &to_value(&s.health)?,
                )?),
            })
        })
        .collect::<Result<Vec<_>, CodecError>>()?;
    Ok(CaseRecord {
        case_no: Some(r.source_case_no.clone()),
        case_type: Some(codes::CASE_TYPE_EVENT.to_owned()),
        main_type_code: Some(class.major.clone()),
        main_type_name: Some(main_name),
        sub_type_code: class.minor.clone(),
        sub_type_name: Some(sub_name),
        case_source: Some(case_source.to_owned()),
        stage: Some(dispatch_code.to_owned()),
        stage_name: Some(dispatch_name.to_owned()),
        stage_records: Some(vec![StageRecord {
            stage: Some(dispatch_code.to_owned()),
            stage_name: Some(dispatch_name.to_owned()),
            time: Some(time_to_native("sent_at", &message.sent_at)?),
            operator: None,
        }]),
        discover_time: Some(time_to_native("discovered_at", &r.discovered_at)?),
        address: Some(r.location.address_text.clone()),
        region_code: Some(r.location.region_code.clone()),
        community_code: r.location.community_code.clone(),
        unit_grid_code: None,
        longitude: geo.map(|g| g.longitude),
        latitude: geo.map(|g| g.latitude),
        coordinate_system: geo.map(|g| code_of(&g.crs)),
        place_type: r.location.place_type.as_ref().map(code_of),
        reporter: Some(CaseReporter {
            name: r.reporter.name.clone(),
            code: r.reporter.staff_no.clone(),
            phone: r.reporter.phone.clone(),
            org_code: r.reporter.org_code.clone(),
            org_name: r.reporter.org_name.clone(),
        }),
        description: r.remarks.clone(),
        photos: r
            .photos
            .as_ref()
            .map(|photos| {
                photos
                    .iter()
                    .enumerate()
                    .map(|(i, p)| camelize(&format!("/payload/photos/{i}"), &to_value(p)?))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?,
        dispatch: Some(Dispatch {
            dispatch_no: Some(r.referral_id.clone()),
            unit_code: match message.receiver_org_codes.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            },
            unit_name: None,
            deadline: r
                .deadline_at
                .as_deref()
                .map(|d| time_to_native("deadline_at", d))
                .transpose()?,
            urgency: Some(codes::urgency_code(r.urgency).to_owned()),
            requested_action: Some(code_of(&r.requested_action)),
            opinion: None,
        }),
        rescue_info: Some(RescueInfo {
            persons: Some(persons),
            suspected_flags: r
                .suspected_flags
                .as_ref()
                .map(|flags| flags.iter().map(code_of).collect()),
        }),
    })
}

/// The wire code of a canonical enum (its serde name), for hub codes carried verbatim.
fn code_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}
