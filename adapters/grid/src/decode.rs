//! Native → canonical: a grid event record (`eventReport`) of a 流浪乞讨 event type becomes a
//! REFERRAL v2; a document the hub sent (`header` + `body`) becomes the REFERRAL_OUTCOME,
//! STATION_INTAKE or HUB_REJECTED it was encoded from.
//!
//! Which events are referrals: those whose `eventType` is one of the configured referral
//! types (default `0306` 流浪乞讨人员发现); any other type is refused with an error naming it.
//! The platform pushes an event when it distributes (分拨) it to the rescue station; its
//! `eventState` and the 签收 records of the levels before are carried along but not
//! translated (the canonical referral has no place for them; their times are still checked).
//!
//! Invariants: total (any bytes give `Ok` or a [`CodecError`] naming the native field);
//! deterministic (message ids from [`adapter_core::ids::message_id`] over
//! `"<eventId>/<taskId>"`, time only from the document or [`DecodeContext`]); nothing
//! invented: a canonical field is set only from the native field the tables here name.

use std::collections::BTreeMap;

use adapter_core::ids::message_id;
use adapter_core::{CodecError, DecodeContext, Decoded, NativeRef};
use contracts::catalogue::MessageType;
use contracts::model::envelope::{LegalBasis, Purpose};
use contracts::model::referral::{
    ReferralGeo, ReferralGrid, ReferralLocation, ReferralSubjectV2, ReferralV2, Reporter,
    RequestedAction, SourceEventClass, SourceSystem, Urgency, Willingness,
};
use contracts::model::referral_outcome::ReferralOutcomeCode;
use contracts::model::{
    Actor, Attachment, Crs, Envelope, HealthState, PhysicalDescription, PlaceType, Sensitivity,
    SuspectedFlag,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::codes::{self, INTAKE_FIELDS, IntakeField};
use crate::native::{
    EventReport, HEADER_FIELDS, HubDocument, Person, RejectNotice, TaskFeedback, camel_to_snake,
    quote, snake_to_camel, snakify, time_from_native,
};

/// The schema version of the REFERRAL this codec produces.
pub const REFERRAL_SCHEMA_VERSION: &str = "2.0.0";

/// Native document kind of an event the platform pushes.
pub const KIND_EVENT: &str = "eventReport";
/// Native document kind of 任务反馈.
pub const KIND_FEEDBACK: &str = "taskFeedback";
/// Native document kind of 入站登记通报.
pub const KIND_INTAKE: &str = "intakeNotice";
/// Native document kind of 拒收通知.
pub const KIND_REJECTION: &str = "rejectNotice";

/// Decodes any native document of the grid interface; `referral_event_types` are the event
/// types that are referrals.
pub fn decode(
    native: &[u8],
    ctx: &DecodeContext,
    referral_event_types: &[String],
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
        decode_hub_document(bytes)
    } else {
        decode_event(bytes, ctx, referral_event_types)
    }
}

/// A serde error as [`CodecError::Malformed`], with its line and column.
pub(crate) fn malformed(error: serde_json::Error) -> CodecError {
    CodecError::Malformed {
        format: "JSON",
        location: format!("line {} column {}", error.line(), error.column()),
        detail: error.to_string(),
    }
}

fn decode_event(
    bytes: &[u8],
    ctx: &DecodeContext,
    referral_event_types: &[String],
) -> Result<Decoded, CodecError> {
    let event: EventReport = serde_json::from_slice(bytes).map_err(malformed)?;
    let event_id = required(&event.event_id, "eventId", "事件编号")?;
    let event_type = required(&event.event_type, "eventType", "事件类型")?;
    if !referral_event_types.iter().any(|t| t == event_type) {
        return Err(CodecError::UnsupportedKind {
            kind: format!(
                "eventType {} ({})",
                quote(event_type),
                quote(event.event_name.as_deref().unwrap_or("?"))
            ),
            detail: format!(
                "the hub takes grid events of type {} (流浪乞讨人员发现); other event types are \
                 not rescue referrals",
                referral_event_types.join(", ")
            ),
        });
    }
    let task_id = required(&event.task_id, "taskId", "任务编号")?;
    let event_name = required(&event.event_name, "eventName", "事件类型名称")?;
    let level = required(&event.level, "level", "紧急程度")?;
    let urgency = codes::urgency_of(level).ok_or_else(|| CodecError::InvalidField {
        field: "level".to_owned(),
        value: quote(level),
        detail: format!("expected one of {}", codes::listing(codes::LEVELS)),
    })?;
    let requested_action: RequestedAction = hub_code(
        "requestedAction",
        required(&event.requested_action, "requestedAction", "处置要求")?,
    )?;
    // Times carried but not translated are still checked: a wrong one is a wrong document.
    for (value, field) in [
        (&event.end_time, "endTime"),
        (&event.distribute_time, "distributeTime"),
    ] {
        optional_time(value, field)?;
    }
    for (i, record) in event.sign_records.iter().flatten().enumerate() {
        optional_time(&record.sign_time, &format!("signRecords[{i}].signTime"))?;
    }

    let persons = event
        .persons
        .as_ref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| missing("persons", "对象 (发现的人员)"))?;
    let subjects = persons
        .iter()
        .enumerate()
        .map(|(i, p)| subject(i, p))
        .collect::<Result<Vec<_>, _>>()?;
    let suspected_flags = event
        .suspected_flags
        .as_ref()
        .map(|flags| {
            flags
                .iter()
                .enumerate()
                .map(|(i, f)| hub_code::<SuspectedFlag>(&format!("suspectedFlags[{i}]"), f))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;

    let referral = ReferralV2 {
        referral_id: task_id.to_owned(),
        source_system: SourceSystem::Grid,
        source_case_no: event_id.to_owned(),
        source_event_class: Some(SourceEventClass {
            major: event_type.to_owned(),
            minor: event.event_sub_type.clone(),
            name: event_name.to_owned(),
        }),
        discovered_at: time_from_native(
            "happenTime",
            required(&event.happen_time, "happenTime", "发生时间")?,
        )?,
        location: location(&event)?,
        reporter: reporter(&event)?,
        subjects,
        suspected_flags,
        urgency,
        requested_action,
        deadline_at: optional_time(&event.deadline_time, "deadlineTime")?,
        photos: attachments("files", event.files.as_deref())?,
        remarks: event.desc.clone(),
    };

    let receiver_org_codes = match &event.deal_dept_id {
        Some(code) => vec![code.clone()],
        None => ctx.receiver_org_codes.clone(),
    };
    let payload = serde_json::to_value(&referral).map_err(|e| CodecError::InvalidField {
        field: "eventId".to_owned(),
        value: quote(event_id),
        detail: format!("the event cannot be written as a REFERRAL: {e}"),
    })?;
    let envelope = Envelope {
        message_id: message_id(
            Actor::Grid,
            &format!("{event_id}/{task_id}"),
            MessageType::Referral,
            0,
        ),
        message_type: MessageType::Referral,
        schema_version: REFERRAL_SCHEMA_VERSION.to_owned(),
        case_id: None,
        correlation_id: None,
        sender_org_code: ctx.sender_org_code.clone(),
        sender_org_type: Actor::Grid,
        sender_system: ctx.sender_system.clone(),
        receiver_org_codes,
        sent_at: optional_time(&event.sync_time, "syncTime")?
            .unwrap_or_else(|| ctx.received_at.clone()),
        region_code: ctx.region_code.clone(),
        legal_basis: legal_basis_of(&referral),
        purpose_code: Purpose::RescueReferral,
        sensitivity: sensitivity_of(&referral),
        retention_until: None,
        signature: None,
        attachments: None,
        payload,
    };
    let mut reply_to = BTreeMap::new();
    reply_to.insert("eventId".to_owned(), event_id.to_owned());
    reply_to.insert("taskId".to_owned(), task_id.to_owned());
    Ok(Decoded {
        native_ref: NativeRef {
            document_id: event_id.to_owned(),
            document_kind: KIND_EVENT.to_owned(),
            reply_to,
        },
        messages: vec![envelope],
    })
}

/// The legal bases of a referral from the grid (FORMAT.md § "Envelope of a referral"): PIPL
/// 13(1)(3) and 办法 art. 5 always; PIPL 13(1)(4) when life is in danger (`IMMEDIATE`);
/// 民发〔2006〕6号 when the person is to be sent to hospital; the 2015 MCA–MPS 意见 when the
/// person may be lost, abandoned or trafficked; 未成年人保护法 art. 92 for a suspected minor;
/// and the Taicang programme 太政办〔2020〕150号, which makes the grid a referring department.
/// In the contract's order.
pub fn legal_basis_of(referral: &ReferralV2) -> Vec<LegalBasis> {
    let flags = referral.suspected_flags.as_deref().unwrap_or_default();
    let minor = referral.subjects.iter().any(|s| s.is_minor_suspected)
        || flags.contains(&SuspectedFlag::UnaccompaniedMinor);
    let identity = flags.iter().any(|f| {
        matches!(
            f,
            SuspectedFlag::Lost | SuspectedFlag::Abandoned | SuspectedFlag::Trafficked
        )
    });
    let mut basis = vec![LegalBasis::Pipl13_1_3];
    if referral.urgency == Urgency::Immediate {
        basis.push(LegalBasis::Pipl13_1_4);
    }
    basis.push(LegalBasis::Rule381Art5);
    if identity {
        basis.push(LegalBasis::McaMps2015);
    }
    if referral.requested_action == RequestedAction::SendToHospital {
        basis.push(LegalBasis::Mca2006_6);
    }
    if minor {
        basis.push(LegalBasis::MinorLawArt92);
    }
    basis.push(LegalBasis::Taicang2020_150);
    basis
}

/// The sensitivity of a referral: `SENSITIVE_MINOR` when a subject may be a minor (PIPL
/// art. 28), otherwise `SENSITIVE` (it always carries whereabouts and health).
pub fn sensitivity_of(referral: &ReferralV2) -> Sensitivity {
    if referral.subjects.iter().any(|s| s.is_minor_suspected) {
        Sensitivity::SensitiveMinor
    } else {
        Sensitivity::Sensitive
    }
}

fn location(event: &EventReport) -> Result<ReferralLocation, CodecError> {
    let geo = match (&event.gpsx, &event.gpsy, &event.coord_type) {
        (None, None, None) => None,
        (Some(x), Some(y), Some(crs)) => Some(ReferralGeo {
            longitude: coordinate("gpsx", x)?,
            latitude: coordinate("gpsy", y)?,
            crs: hub_code::<Crs>("coordType", crs)?,
        }),
        (None, _, _) => return Err(missing("gpsx", "经度 (坐标须经纬度与坐标系齐全)")),
        (_, None, _) => return Err(missing("gpsy", "纬度 (坐标须经纬度与坐标系齐全)")),
        (_, _, None) => {
            return Err(missing("coordType", "坐标系 (CGCS2000, WGS84 或 GCJ02)"));
        }
    };
    let grid = match (&event.grid_id, &event.grid_name) {
        (Some(grid_code), grid_name) => Some(ReferralGrid {
            grid_code: grid_code.clone(),
            grid_name: grid_name.clone(),
            community_code: event.community_code.clone(),
        }),
        (None, Some(_)) => return Err(missing("gridId", "网格编码 (网格名称须有编码)")),
        (None, None) => None,
    };
    Ok(ReferralLocation {
        address_text: required(&event.address, "address", "地址")?.to_owned(),
        region_code: required(&event.region_code, "regionCode", "行政区划")?.to_owned(),
        community_code: if grid.is_some() {
            None
        } else {
            event.community_code.clone()
        },
        grid,
        geo,
        place_type: event
            .place_type
            .as_deref()
            .map(|p| hub_code::<PlaceType>("placeType", p))
            .transpose()?,
    })
}

/// A coordinate written as text (`"121.10952"`), as the platform writes `gpsx` / `gpsy`.
fn coordinate(field: &str, text: &str) -> Result<f64, CodecError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| CodecError::InvalidField {
            field: field.to_owned(),
            value: quote(text),
            detail: "expected decimal degrees, e.g. 121.10952".to_owned(),
        })
}

fn reporter(event: &EventReport) -> Result<Reporter, CodecError> {
    let source = required(&event.report_source, "reportSource", "上报来源")?;
    let kind = codes::reporter_kind_of(source).ok_or_else(|| CodecError::InvalidField {
        field: "reportSource".to_owned(),
        value: quote(source),
        detail: format!("expected one of {}", codes::listing(codes::REPORT_SOURCES)),
    })?;
    Ok(Reporter {
        kind,
        name: event.report_person.clone(),
        phone: event.report_phone.clone(),
        staff_no: event.report_person_id.clone(),
        org_code: event.report_dept_id.clone(),
        org_name: event.report_dept_name.clone(),
    })
}

fn subject(i: usize, person: &Person) -> Result<ReferralSubjectV2, CodecError> {
    let at = format!("persons[{i}]");
    let estimated_age = person
        .estimated_age
        .map(|age| {
            u8::try_from(age)
                .ok()
                .filter(|a| *a <= 120)
                .ok_or_else(|| CodecError::InvalidField {
                    field: format!("{at}.estimatedAge"),
                    value: age.to_string(),
                    detail: "目测年龄 is 0–120 years".to_owned(),
                })
        })
        .transpose()?;
    Ok(ReferralSubjectV2 {
        sex_code: required(&person.sex, &format!("{at}.sex"), "性别")?.to_owned(),
        estimated_age,
        is_minor_suspected: person
            .minor_suspected
            .ok_or_else(|| missing(&format!("{at}.minorSuspected"), "疑似未成年"))?,
        physical_description: person
            .physical_description
            .as_ref()
            .map(|v| hub_block::<PhysicalDescription>(&format!("{at}.physicalDescription"), v))
            .transpose()?,
        health: hub_block::<HealthState>(
            &format!("{at}.health"),
            person
                .health
                .as_ref()
                .ok_or_else(|| missing(&format!("{at}.health"), "健康状况"))?,
        )?,
        willingness: hub_code::<Willingness>(
            &format!("{at}.willingness"),
            required(
                &person.willingness,
                &format!("{at}.willingness"),
                "本人意愿",
            )?,
        )?,
    })
}

/// Attachments in the hub's structure (camelCase keys).
fn attachments(
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

fn decode_hub_document(bytes: &[u8]) -> Result<Decoded, CodecError> {
    let document: HubDocument = serde_json::from_slice(bytes).map_err(malformed)?;
    let header = document
        .header
        .as_ref()
        .ok_or_else(|| missing("header", "报文头"))?;
    let body = document
        .body
        .as_ref()
        .ok_or_else(|| missing("body", "报文体"))?;
    let mut fields = header_from_native(header)?;
    let type_name = fields
        .get("message_type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (kind, payload) = match type_name.parse::<MessageType>() {
        Ok(MessageType::ReferralOutcome) => (KIND_FEEDBACK, outcome_from_native(body)?),
        Ok(MessageType::StationIntake) => (KIND_INTAKE, intake_from_native(body)?),
        Ok(MessageType::HubRejected) => (KIND_REJECTION, rejection_from_native(body)?),
        _ => {
            return Err(CodecError::UnsupportedKind {
                kind: quote(type_name),
                detail: "documents with a header are the hub's: REFERRAL_OUTCOME (任务反馈), \
                         STATION_INTAKE (入站登记通报) and HUB_REJECTED (拒收通知)"
                    .to_owned(),
            });
        }
    };
    fields.insert("payload".to_owned(), payload);
    let envelope: Envelope<Value> =
        serde_json::from_value(Value::Object(fields)).map_err(|e| CodecError::InvalidField {
            field: "header".to_owned(),
            value: String::new(),
            detail: e.to_string(),
        })?;
    Ok(Decoded {
        native_ref: NativeRef {
            document_id: envelope.message_id.clone(),
            document_kind: kind.to_owned(),
            reply_to: BTreeMap::new(),
        },
        messages: vec![envelope],
    })
}

/// The envelope fields (snake_case, without `payload`) of a native header.
fn header_from_native(header: &Map<String, Value>) -> Result<Map<String, Value>, CodecError> {
    for (_, native, meaning, required) in HEADER_FIELDS {
        if *required && !header.contains_key(*native) {
            return Err(missing(&format!("header.{native}"), meaning));
        }
    }
    let mut out = Map::new();
    for (key, value) in header {
        let field = format!("header.{key}");
        let Some((canonical, _, _, _)) = HEADER_FIELDS.iter().find(|(_, n, _, _)| n == key) else {
            return Err(CodecError::InvalidField {
                field,
                value: String::new(),
                detail: "not a header field of the hub's documents".to_owned(),
            });
        };
        let value = if *canonical == "sent_at" {
            Value::String(time_from_native(&field, text(&field, value)?)?)
        } else {
            snakify(&field, value)?
        };
        out.insert((*canonical).to_owned(), value);
    }
    Ok(out)
}

fn outcome_from_native(body: &Value) -> Result<Value, CodecError> {
    let f: TaskFeedback = serde_json::from_value(body.clone()).map_err(body_error)?;
    let mut out = Map::new();
    put(&mut out, "referral_id", f.task_id);
    put(&mut out, "source_case_no", f.event_id);
    put_time(&mut out, "signed_at", f.sign_time, "body.signTime")?;
    put_time(&mut out, "arrived_at", f.arrive_time, "body.arriveTime")?;
    if let Some(result) = &f.deal_result {
        hub_code::<ReferralOutcomeCode>("body.dealResult", result)?;
    }
    put(&mut out, "outcome", f.deal_result);
    put(&mut out, "case_id", f.rescue_case_id);
    put_time(&mut out, "closed_at", f.end_time, "body.endTime")?;
    let mut handler = Map::new();
    put(&mut handler, "name", f.deal_person_name);
    put(&mut handler, "badge_or_staff_no", f.deal_person_id);
    put(&mut handler, "org_code", f.deal_dept_id);
    put(&mut handler, "org_name", f.deal_dept_name);
    put(&mut handler, "phone", f.deal_person_phone);
    put(&mut handler, "role", f.deal_person_role);
    if !handler.is_empty() {
        out.insert("handler".to_owned(), Value::Object(handler));
    }
    put(&mut out, "note", f.deal_desc);
    Ok(Value::Object(out))
}

/// 入站登记通报 → STATION_INTAKE payload: the fields of [`INTAKE_FIELDS`] by their table
/// entry, every other field from its camelCase name, values' keys back to snake_case.
fn intake_from_native(body: &Value) -> Result<Value, CodecError> {
    let map = body.as_object().ok_or_else(|| CodecError::Malformed {
        format: "JSON",
        location: "body".to_owned(),
        detail: "the body of 入站登记通报 is not an object".to_owned(),
    })?;
    let mut out = Map::new();
    for (key, value) in map {
        let field = format!("body.{key}");
        let entry = INTAKE_FIELDS.iter().find(|(_, f)| match f {
            IntakeField::Renamed(n) | IntakeField::Time(n) => n == key,
        });
        let (canonical, value) = match entry {
            Some((canonical, IntakeField::Time(_))) => (
                (*canonical).to_owned(),
                Value::String(time_from_native(&field, text(&field, value)?)?),
            ),
            Some((canonical, IntakeField::Renamed(_))) => ((*canonical).to_owned(), value.clone()),
            None => {
                let snake = camel_to_snake(key);
                if snake_to_camel(&snake) != *key || key.starts_with(char::is_uppercase) {
                    return Err(CodecError::InvalidField {
                        field,
                        value: quote(key),
                        detail: "keys are camelCase (e.g. intakeChannel)".to_owned(),
                    });
                }
                // A field of the table has exactly one native name (`rescueCaseId`, not
                // `caseId`).
                if INTAKE_FIELDS.iter().any(|(c, _)| *c == snake) {
                    return Err(CodecError::InvalidField {
                        field,
                        value: quote(key),
                        detail: "this field is written under its native name (FORMAT.md)"
                            .to_owned(),
                    });
                }
                (snake, snakify(&field, value)?)
            }
        };
        out.insert(canonical, value);
    }
    Ok(Value::Object(out))
}

fn rejection_from_native(body: &Value) -> Result<Value, CodecError> {
    let r: RejectNotice = serde_json::from_value(body.clone()).map_err(body_error)?;
    let mut out = Map::new();
    put(&mut out, "rejected_message_id", r.rejected_msg_id);
    put(&mut out, "rejected_message_type", r.rejected_msg_type);
    put_time(&mut out, "received_at", r.receive_time, "body.receiveTime")?;
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

fn body_error(error: serde_json::Error) -> CodecError {
    CodecError::Malformed {
        format: "JSON",
        location: "body".to_owned(),
        detail: error.to_string(),
    }
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), Value::String(value));
    }
}

fn put_time(
    map: &mut Map<String, Value>,
    key: &str,
    value: Option<String>,
    field: &str,
) -> Result<(), CodecError> {
    if let Some(value) = value {
        map.insert(
            key.to_owned(),
            Value::String(time_from_native(field, &value)?),
        );
    }
    Ok(())
}

fn optional_time(value: &Option<String>, field: &str) -> Result<Option<String>, CodecError> {
    value
        .as_deref()
        .map(|v| time_from_native(field, v))
        .transpose()
}

/// A required, non-empty native text field.
fn required<'a>(
    value: &'a Option<String>,
    field: &str,
    meaning: &str,
) -> Result<&'a str, CodecError> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| missing(field, meaning))
}

fn missing(field: &str, meaning: &str) -> CodecError {
    CodecError::MissingField {
        field: field.to_owned(),
        meaning: meaning.to_owned(),
    }
}

fn text<'a>(field: &str, value: &'a Value) -> Result<&'a str, CodecError> {
    value.as_str().ok_or_else(|| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(&value.to_string()),
        detail: "expected a string".to_owned(),
    })
}

/// A hub code carried verbatim (`WILLING`, `GCJ02`, …), read into its canonical type.
fn hub_code<T: DeserializeOwned>(field: &str, code: &str) -> Result<T, CodecError> {
    serde_json::from_value(Value::String(code.to_owned())).map_err(|e| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(code),
        detail: format!("not a code of the hub's code list: {e}"),
    })
}

/// A block in the hub's structure (camelCase keys), read into its canonical type.
fn hub_block<T: DeserializeOwned>(field: &str, value: &Value) -> Result<T, CodecError> {
    let snake = snakify(field, value)?;
    serde_json::from_value(snake).map_err(|e| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(&value.to_string()),
        detail: e.to_string(),
    })
}
