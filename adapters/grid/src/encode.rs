//! Canonical → native: REFERRAL_OUTCOME becomes 任务反馈, STATION_INTAKE becomes 入站登记通报
//! and HUB_REJECTED becomes 拒收通知 (all with the `header` 报文头), posted to the grid
//! platform; REFERRAL becomes the event record the platform would push (for simulators and the
//! round-trip property).
//!
//! Invariants: a field absent from the canonical message (projected away by the hub: the
//! platform's policy is GENERAL with name, phone and free text only, so a STATION_INTAKE
//! arrives without health, identity-document or whereabouts details) is absent from the native
//! document, never filled in; a canonical field this format has no place for is an
//! [`CodecError::Unencodable`] rather than silently dropped; the output is deterministic.
//!
//! The steps the 数字城管 codec takes too (the header, 拒收通知, the outcome's fields,
//! persons and photos of a referral) are `adapter_platform_json`'s.

use adapter_core::{CodecError, NativeDocument};
use adapter_platform_json::referral;
use adapter_platform_json::write::{
    OrderedMap, OutcomeFields, code_of, document, hub_document, to_json, unencodable,
};
use contracts::catalogue::MessageType;
use contracts::model::Envelope;
use contracts::model::referral::SourceSystem;
use serde_json::Value;

use crate::codes::{self, INTAKE_FIELDS, IntakeField};
use crate::native::{
    EventReport, PLATFORM, TaskFeedback, camel_to_snake, camelize, snake_to_camel, time_to_native,
};
use crate::service;

pub use adapter_platform_json::write::CONTENT_TYPE;

/// Encodes a canonical message as the native document for it.
pub fn encode(message: &Envelope<Value>) -> Result<NativeDocument, CodecError> {
    let (path, body) = match message.message_type {
        MessageType::Referral => (service::EVENT_PUSH_PATH, to_json(&event_report(message)?)?),
        MessageType::ReferralOutcome => (
            service::FEEDBACK_PATH,
            hub_document(message, &feedback(&message.payload)?)?,
        ),
        MessageType::StationIntake => (
            service::INTAKE_NOTICE_PATH,
            hub_document(message, &intake_notice(&message.payload)?)?,
        ),
        MessageType::HubRejected => (
            service::REJECTION_PATH,
            hub_document(message, &PLATFORM.reject_notice(&message.payload)?)?,
        ),
        other => {
            return Err(CodecError::Unencodable {
                message_type: other.as_str().to_owned(),
                detail: "the grid platform sends REFERRAL and receives REFERRAL_OUTCOME, \
                         STATION_INTAKE and HUB_REJECTED; it has no document for this type"
                    .to_owned(),
            });
        }
    };
    Ok(document(path, body))
}

/// 任务反馈 from a REFERRAL_OUTCOME payload (possibly projected).
fn feedback(payload: &Value) -> Result<TaskFeedback, CodecError> {
    let o = OutcomeFields::of(payload)?;
    let labels = o.code.map(codes::outcome_labels);
    Ok(TaskFeedback {
        event_id: o.string("source_case_no")?,
        task_id: o.string("referral_id")?,
        event_state_id: labels.map(|(_, code, _)| code.to_owned()),
        event_state: labels.map(|(_, _, state)| state.to_owned()),
        deal_result: o.outcome.map(str::to_owned),
        deal_result_name: labels.map(|(name, _, _)| name.to_owned()),
        sign_time: o.time("signed_at")?,
        arrive_time: o.time("arrived_at")?,
        end_time: o.time("closed_at")?,
        deal_dept_id: o.handler("org_code")?,
        deal_dept_name: o.handler("org_name")?,
        deal_person_id: o.handler("badge_or_staff_no")?,
        deal_person_name: o.handler("name")?,
        deal_person_phone: o.handler("phone")?,
        deal_person_role: o.handler("role")?,
        rescue_case_id: o.string("case_id")?,
        deal_desc: o.string("note")?,
    })
}

/// 入站登记通报 from a STATION_INTAKE payload (as projected for the platform): the fields of
/// [`INTAKE_FIELDS`] by their table entry, every other field under its camelCase name with the
/// keys of its value camelCase too, in the order of [`codes::INTAKE_ORDER`].
fn intake_notice(payload: &Value) -> Result<OrderedMap<String>, CodecError> {
    const T: MessageType = MessageType::StationIntake;
    let p = payload
        .as_object()
        .ok_or_else(|| unencodable(T, "/payload is not an object"))?;
    let mut keys: Vec<&String> = p.keys().collect();
    keys.sort_by_key(|k| {
        codes::INTAKE_ORDER
            .iter()
            .position(|o| o == k)
            .unwrap_or(codes::INTAKE_ORDER.len())
    });
    let mut out = Vec::new();
    for key in keys {
        let Some(value) = p.get(key) else { continue };
        let entry = INTAKE_FIELDS
            .iter()
            .find(|(c, _)| c == key)
            .map(|(_, f)| *f);
        let (native, value) = match entry {
            Some(IntakeField::Time(native)) => {
                let text = value
                    .as_str()
                    .ok_or_else(|| unencodable(T, format!("{key} is not a string")))?;
                (native.to_owned(), Value::String(time_to_native(key, text)?))
            }
            Some(IntakeField::Renamed(native)) => (native.to_owned(), value.clone()),
            None => (
                camel_key(T, key)?,
                camelize(&format!("/payload/{key}"), value)?,
            ),
        };
        out.push((native, value));
    }
    Ok(OrderedMap(out))
}

/// The camelCase spelling of a canonical key, if it round-trips.
fn camel_key(message_type: MessageType, key: &str) -> Result<String, CodecError> {
    let camel = snake_to_camel(key);
    if camel_to_snake(&camel) == key {
        Ok(camel)
    } else {
        Err(unencodable(
            message_type,
            format!("{key} has no camelCase spelling in the native format"),
        ))
    }
}

/// The event record a grid platform would push for a REFERRAL (v2, or v1 cast up to v2).
fn event_report(message: &Envelope<Value>) -> Result<EventReport, CodecError> {
    const T: MessageType = MessageType::Referral;
    let r = referral::referral_v2(message)?;
    if r.source_system != SourceSystem::Grid {
        return Err(unencodable(
            T,
            "a grid event is a referral with source_system GRID",
        ));
    }
    let class = r.source_event_class.as_ref().ok_or_else(|| {
        unencodable(
            T,
            "a grid referral carries its event type (source_event_class)",
        )
    })?;
    let report_source = codes::report_source_of(r.reporter.kind).ok_or_else(|| {
        unencodable(
            T,
            format!(
                "reporter kind {} has no 上报来源 (expected {})",
                code_of(&r.reporter.kind),
                codes::listing(codes::REPORT_SOURCES)
            ),
        )
    })?;
    let location = &r.location;
    let grid = location.grid.as_ref();
    let geo = location.geo.as_ref();
    let persons = referral::persons(&r.subjects)?;
    Ok(EventReport {
        event_id: Some(r.source_case_no.clone()),
        task_id: Some(r.referral_id.clone()),
        event_type: Some(class.major.clone()),
        event_name: Some(class.name.clone()),
        event_sub_type: class.minor.clone(),
        happen_time: Some(time_to_native("discovered_at", &r.discovered_at)?),
        sync_time: Some(time_to_native("sent_at", &message.sent_at)?),
        deadline_time: r
            .deadline_at
            .as_deref()
            .map(|d| time_to_native("deadline_at", d))
            .transpose()?,
        level: Some(codes::level_of(r.urgency).to_owned()),
        address: Some(location.address_text.clone()),
        region_code: Some(location.region_code.clone()),
        community_code: match grid {
            Some(g) => g.community_code.clone(),
            None => location.community_code.clone(),
        },
        grid_id: grid.map(|g| g.grid_code.clone()),
        grid_name: grid.and_then(|g| g.grid_name.clone()),
        gpsx: geo.map(|g| g.longitude.to_string()),
        gpsy: geo.map(|g| g.latitude.to_string()),
        coord_type: geo.map(|g| code_of(&g.crs)),
        place_type: location.place_type.as_ref().map(code_of),
        desc: r.remarks.clone(),
        report_source: Some(report_source.to_owned()),
        report_person: r.reporter.name.clone(),
        report_phone: r.reporter.phone.clone(),
        report_person_id: r.reporter.staff_no.clone(),
        report_dept_id: r.reporter.org_code.clone(),
        report_dept_name: r.reporter.org_name.clone(),
        deal_dept_id: match message.receiver_org_codes.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        },
        requested_action: Some(code_of(&r.requested_action)),
        files: referral::photos(r.photos.as_deref())?,
        persons: Some(persons),
        suspected_flags: referral::suspected_flag_codes(r.suspected_flags.as_deref()),
        ..EventReport::default()
    })
}
