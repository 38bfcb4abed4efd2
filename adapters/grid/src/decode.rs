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
//! The steps the 数字城管 codec takes too (the hub's documents, subjects, suspected flags,
//! photos, the referral's envelope) are `adapter_platform_json`'s.
//!
//! Invariants: total (any bytes give `Ok` or a [`CodecError`] naming the native field);
//! deterministic (message ids from [`adapter_core::ids::message_id`] over
//! `"<eventId>/<taskId>"`, time only from the document or [`DecodeContext`]); nothing
//! invented: a canonical field is set only from the native field the tables here name.

use adapter_core::{CodecError, DecodeContext, Decoded};
use adapter_platform_json::read::{
    HubBody, NativeOutcome, attachments, body_error, decoded, hub_code, malformed, missing,
    required, text,
};
use adapter_platform_json::{Platform, referral};
use contracts::catalogue::MessageType;
use contracts::model::referral::{
    ReferralGeo, ReferralGrid, ReferralLocation, ReferralV2, Reporter, RequestedAction,
    SourceEventClass, SourceSystem,
};
use contracts::model::{Actor, Crs, PlaceType};
use serde_json::{Map, Value};

use crate::codes::{self, INTAKE_FIELDS, IntakeField};
use crate::native::{
    EventReport, PLATFORM, TaskFeedback, camel_to_snake, quote, snake_to_camel, snakify,
    time_from_native,
};

pub use adapter_platform_json::referral::{
    REFERRAL_SCHEMA_VERSION, legal_basis_of, sensitivity_of,
};

/// Native document kind of an event the platform pushes.
pub const KIND_EVENT: &str = "eventReport";
/// Native document kind of 任务反馈.
pub const KIND_FEEDBACK: &str = "taskFeedback";
/// Native document kind of 入站登记通报.
pub const KIND_INTAKE: &str = "intakeNotice";
/// Native document kind of 拒收通知.
pub const KIND_REJECTION: &str = "rejectNotice";

/// The hub's documents the platform receives, read back.
const HUB_BODIES: &[HubBody] = &[
    HubBody {
        message_type: MessageType::ReferralOutcome,
        kind: KIND_FEEDBACK,
        name: "任务反馈",
        read: outcome_from_native,
    },
    HubBody {
        message_type: MessageType::StationIntake,
        kind: KIND_INTAKE,
        name: "入站登记通报",
        read: intake_from_native,
    },
    HubBody {
        message_type: MessageType::HubRejected,
        kind: KIND_REJECTION,
        name: "拒收通知",
        read: Platform::rejection_from_native,
    },
];

/// Decodes any native document of the grid interface; `referral_event_types` are the event
/// types that are referrals.
pub fn decode(
    native: &[u8],
    ctx: &DecodeContext,
    referral_event_types: &[String],
) -> Result<Decoded, CodecError> {
    PLATFORM.decode_document(native, HUB_BODIES, |bytes| {
        decode_event(bytes, ctx, referral_event_types)
    })
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
        PLATFORM.optional_time(value, field)?;
    }
    for (i, record) in event.sign_records.iter().flatten().enumerate() {
        PLATFORM.optional_time(&record.sign_time, &format!("signRecords[{i}].signTime"))?;
    }

    let subjects = referral::subjects("persons", event.persons.as_deref())?;
    let suspected_flags =
        referral::suspected_flags("suspectedFlags", event.suspected_flags.as_deref())?;

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
        deadline_at: PLATFORM.optional_time(&event.deadline_time, "deadlineTime")?,
        photos: attachments("files", event.files.as_deref())?,
        remarks: event.desc.clone(),
    };

    let payload = serde_json::to_value(&referral).map_err(|e| CodecError::InvalidField {
        field: "eventId".to_owned(),
        value: quote(event_id),
        detail: format!("the event cannot be written as a REFERRAL: {e}"),
    })?;
    let sent_at = PLATFORM
        .optional_time(&event.sync_time, "syncTime")?
        .unwrap_or_else(|| ctx.received_at.clone());
    let envelope = referral::referral_envelope(
        Actor::Grid,
        &format!("{event_id}/{task_id}"),
        ctx,
        event.deal_dept_id.as_ref(),
        sent_at,
        &referral,
        payload,
    );
    Ok(decoded(
        KIND_EVENT,
        event_id,
        &[("eventId", event_id), ("taskId", task_id)],
        envelope,
    ))
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

/// 任务反馈 → REFERRAL_OUTCOME payload.
fn outcome_from_native(platform: &Platform, body: &Value) -> Result<Value, CodecError> {
    let f: TaskFeedback = serde_json::from_value(body.clone()).map_err(body_error)?;
    platform.outcome_payload(NativeOutcome {
        referral_id: f.task_id,
        source_case_no: f.event_id,
        signed_at: f.sign_time,
        arrived_at: f.arrive_time,
        outcome: f.deal_result,
        outcome_field: "body.dealResult",
        case_id: f.rescue_case_id,
        closed_at: f.end_time,
        closed_at_field: "body.endTime",
        handler_name: f.deal_person_name,
        handler_no: f.deal_person_id,
        handler_org_code: f.deal_dept_id,
        handler_org_name: f.deal_dept_name,
        handler_phone: f.deal_person_phone,
        handler_role: f.deal_person_role,
        note: f.deal_desc,
    })
}

/// 入站登记通报 → STATION_INTAKE payload: the fields of [`INTAKE_FIELDS`] by their table
/// entry, every other field from its camelCase name, values' keys back to snake_case.
fn intake_from_native(platform: &Platform, body: &Value) -> Result<Value, CodecError> {
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
                Value::String(platform.time_from_native(&field, text(&field, value)?)?),
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
