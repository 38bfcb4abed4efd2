//! Native → canonical: a 派遣案卷 (a class 05-02 case dispatched to the rescue station)
//! becomes a REFERRAL v2; a document the hub sent (`header` + `body`) becomes the
//! REFERRAL_OUTCOME or HUB_REJECTED it was encoded from.
//!
//! Which cases are referrals (FORMAT.md § "Which cases become a referral"): an event case
//! (案件类型 `2`) of 大类 `05` 街面秩序 / 小类 `02` 流浪乞讨 whose current stage (当前环节)
//! is `02` 派遣 — the command centre dispatched it to the rescue station. Any other class
//! is refused with an error naming the class; the stages before (立案) and after (处置, 核查,
//! 结案) are the 城管 system's own business and are refused too: the station's answer comes
//! back to 城管 as 处理反馈 (REFERRAL_OUTCOME), which feeds their 核查结案.
//!
//! The steps the grid platform's codec takes too (the hub's documents, subjects, suspected
//! flags, photos, the referral's envelope) are `adapter_platform_json`'s.
//!
//! Invariants: total (any bytes give `Ok` or a [`CodecError`] naming the native field);
//! deterministic (message ids from [`adapter_core::ids::message_id`] over
//! `"<caseNo>/<dispatchNo>"`, time only from the document or [`DecodeContext`]); nothing
//! invented: a canonical field is set only from the native field the tables here name.

use adapter_core::{CodecError, DecodeContext, Decoded};
use adapter_platform_json::read::{
    HubBody, NativeOutcome, attachments, body_error, decoded, hub_code, malformed, missing,
    required,
};
use adapter_platform_json::{Platform, referral};
use contracts::catalogue::MessageType;
use contracts::model::referral::{
    ReferralGeo, ReferralLocation, ReferralV2, Reporter, RequestedAction, SourceEventClass,
    SourceSystem,
};
use contracts::model::{Actor, Crs, PlaceType};
use serde_json::Value;

use crate::codes::{self, Stage};
use crate::native::{CaseFeedback, CaseRecord, PLATFORM, quote, time_from_native};

pub use adapter_platform_json::referral::{
    REFERRAL_SCHEMA_VERSION, legal_basis_of, sensitivity_of,
};

/// Native document kind of a case the 城管 system pushes.
pub const KIND_CASE: &str = "caseDispatch";
/// Native document kind of 处理反馈.
pub const KIND_FEEDBACK: &str = "caseFeedback";
/// Native document kind of 拒收通知.
pub const KIND_REJECTION: &str = "rejectNotice";

/// The hub's documents the 城管 system receives, read back.
const HUB_BODIES: &[HubBody] = &[
    HubBody {
        message_type: MessageType::ReferralOutcome,
        kind: KIND_FEEDBACK,
        name: "处理反馈",
        read: outcome_from_native,
    },
    HubBody {
        message_type: MessageType::HubRejected,
        kind: KIND_REJECTION,
        name: "拒收通知",
        read: Platform::rejection_from_native,
    },
];

/// Decodes any native document of the 城管 interface.
pub fn decode(native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
    PLATFORM.decode_document(native, HUB_BODIES, |bytes| decode_case(bytes, ctx))
}

fn decode_case(bytes: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
    let case: CaseRecord = serde_json::from_slice(bytes).map_err(malformed)?;
    let case_no = required(&case.case_no, "caseNo", "案卷号")?;
    check_case_class(&case)?;
    let sent_at = check_stage(&case)?;
    let dispatch = case
        .dispatch
        .as_ref()
        .ok_or_else(|| missing("dispatch", "派遣信息"))?;
    let dispatch_no = required(&dispatch.dispatch_no, "dispatch.dispatchNo", "派遣单号")?;
    let urgency_code = required(&dispatch.urgency, "dispatch.urgency", "紧急程度")?;
    let urgency = codes::urgency_of(urgency_code).ok_or_else(|| CodecError::InvalidField {
        field: "dispatch.urgency".to_owned(),
        value: quote(urgency_code),
        detail: format!("expected one of {}", codes::listing(codes::URGENCIES)),
    })?;
    let requested_action: RequestedAction = hub_code(
        "dispatch.requestedAction",
        required(
            &dispatch.requested_action,
            "dispatch.requestedAction",
            "处置要求",
        )?,
    )?;
    let deadline_at = PLATFORM.optional_time(&dispatch.deadline, "dispatch.deadline")?;

    let rescue = case
        .rescue_info
        .as_ref()
        .ok_or_else(|| missing("rescueInfo", "救助扩展信息"))?;
    let subjects = referral::subjects("rescueInfo.persons", rescue.persons.as_deref())?;
    let suspected_flags = referral::suspected_flags(
        "rescueInfo.suspectedFlags",
        rescue.suspected_flags.as_deref(),
    )?;

    let name = match (&case.main_type_name, &case.sub_type_name) {
        (Some(major), Some(minor)) => format!("{major}/{minor}"),
        _ => "街面秩序/流浪乞讨".to_owned(),
    };
    let referral = ReferralV2 {
        referral_id: dispatch_no.to_owned(),
        source_system: SourceSystem::Citymgmt,
        source_case_no: case_no.to_owned(),
        source_event_class: Some(SourceEventClass {
            major: codes::STREET_ORDER_MAJOR.to_owned(),
            minor: Some(codes::VAGRANCY_BEGGING_MINOR.to_owned()),
            name,
        }),
        discovered_at: time_from_native(
            "discoverTime",
            required(&case.discover_time, "discoverTime", "发现时间")?,
        )?,
        location: location(&case)?,
        reporter: reporter(&case)?,
        subjects,
        suspected_flags,
        urgency,
        requested_action,
        deadline_at,
        photos: attachments("photos", case.photos.as_deref())?,
        remarks: case.description.clone(),
    };

    let payload = serde_json::to_value(&referral).map_err(|e| CodecError::InvalidField {
        field: "caseNo".to_owned(),
        value: quote(case_no),
        detail: format!("the case cannot be written as a REFERRAL: {e}"),
    })?;
    let envelope = referral::referral_envelope(
        Actor::Citymgmt,
        &format!("{case_no}/{dispatch_no}"),
        ctx,
        dispatch.unit_code.as_ref(),
        sent_at.unwrap_or_else(|| ctx.received_at.clone()),
        &referral,
        payload,
    );
    Ok(decoded(
        KIND_CASE,
        case_no,
        &[("caseNo", case_no), ("dispatchNo", dispatch_no)],
        envelope,
    ))
}

/// Refuses anything but an event case of class 05-02, naming the class.
fn check_case_class(case: &CaseRecord) -> Result<(), CodecError> {
    if let Some(case_type) = &case.case_type
        && case_type != codes::CASE_TYPE_EVENT
    {
        return Err(CodecError::UnsupportedKind {
            kind: format!("案件类型 {} (部件案件)", quote(case_type)),
            detail: "only event cases (案件类型 2 事件) of class 05-02 街面秩序/流浪乞讨 are \
                     referred to the rescue station"
                .to_owned(),
        });
    }
    let major = required(&case.main_type_code, "mainTypeCode", "大类代码")?;
    let minor = required(&case.sub_type_code, "subTypeCode", "小类代码")?;
    if major != codes::STREET_ORDER_MAJOR || minor != codes::VAGRANCY_BEGGING_MINOR {
        return Err(CodecError::UnsupportedKind {
            kind: format!(
                "事件类别 {}",
                codes::event_class_label(&quote(major), &quote(minor))
            ),
            detail: "the hub takes only cases of 大类 05 街面秩序 / 小类 02 流浪乞讨 (GB/T 30428 \
                     event tree); a case of any other class is not a rescue referral"
                .to_owned(),
        });
    }
    Ok(())
}

/// Refuses a case not at stage 派遣; returns the time of the 派遣 record (the send time).
fn check_stage(case: &CaseRecord) -> Result<Option<String>, CodecError> {
    let code = required(&case.stage, "stage", "当前环节")?;
    let stage = codes::stage_of(code).ok_or_else(|| CodecError::InvalidField {
        field: "stage".to_owned(),
        value: quote(code),
        detail: format!("expected one of {}", codes::listing(codes::STAGES)),
    })?;
    if stage != Stage::Dispatch {
        let (code, name) = codes::stage_code(stage);
        return Err(CodecError::UnsupportedKind {
            kind: format!("环节 {code} {name}"),
            detail: "a case is referred when it reaches 02 派遣 (dispatched to the rescue \
                     station); the station's 处理反馈 comes back for 核查结案, so later stages \
                     are not sent again"
                .to_owned(),
        });
    }
    let mut sent_at = None;
    for (i, record) in case.stage_records.iter().flatten().enumerate() {
        let field = format!("stageRecords[{i}].stage");
        let code = required(&record.stage, &field, "环节")?;
        let stage = codes::stage_of(code).ok_or_else(|| CodecError::InvalidField {
            field: field.clone(),
            value: quote(code),
            detail: format!("expected one of {}", codes::listing(codes::STAGES)),
        })?;
        let field = format!("stageRecords[{i}].time");
        let time = time_from_native(&field, required(&record.time, &field, "办理时间")?)?;
        if stage == Stage::Dispatch {
            sent_at = Some(time);
        }
    }
    Ok(sent_at)
}

fn location(case: &CaseRecord) -> Result<ReferralLocation, CodecError> {
    let geo = match (&case.longitude, &case.latitude, &case.coordinate_system) {
        (None, None, None) => None,
        (Some(longitude), Some(latitude), Some(crs)) => Some(ReferralGeo {
            longitude: *longitude,
            latitude: *latitude,
            crs: hub_code::<Crs>("coordinateSystem", crs)?,
        }),
        (None, _, _) => return Err(missing("longitude", "经度 (坐标须经纬度与坐标系齐全)")),
        (_, None, _) => return Err(missing("latitude", "纬度 (坐标须经纬度与坐标系齐全)")),
        (_, _, None) => {
            return Err(missing(
                "coordinateSystem",
                "坐标系 (CGCS2000, WGS84 或 GCJ02)",
            ));
        }
    };
    Ok(ReferralLocation {
        address_text: required(&case.address, "address", "地址描述")?.to_owned(),
        region_code: required(&case.region_code, "regionCode", "行政区划")?.to_owned(),
        community_code: case.community_code.clone(),
        grid: None,
        geo,
        place_type: case
            .place_type
            .as_deref()
            .map(|p| hub_code::<PlaceType>("placeType", p))
            .transpose()?,
    })
}

fn reporter(case: &CaseRecord) -> Result<Reporter, CodecError> {
    let source = required(&case.case_source, "caseSource", "案件来源")?;
    let kind = codes::reporter_kind_of(source).ok_or_else(|| CodecError::InvalidField {
        field: "caseSource".to_owned(),
        value: quote(source),
        detail: format!(
            "a referral needs a person who reported it; expected one of {}",
            codes::listing(codes::CASE_SOURCES)
        ),
    })?;
    let r = case.reporter.clone().unwrap_or_default();
    Ok(Reporter {
        kind,
        name: r.name,
        phone: r.phone,
        staff_no: r.code,
        org_code: r.org_code,
        org_name: r.org_name,
    })
}

/// 处理反馈 → REFERRAL_OUTCOME payload.
fn outcome_from_native(platform: &Platform, body: &Value) -> Result<Value, CodecError> {
    let f: CaseFeedback = serde_json::from_value(body.clone()).map_err(body_error)?;
    platform.outcome_payload(NativeOutcome {
        referral_id: f.dispatch_no,
        source_case_no: f.case_no,
        signed_at: f.sign_time,
        arrived_at: f.arrive_time,
        outcome: f.handle_result,
        outcome_field: "body.handleResult",
        case_id: f.rescue_case_id,
        closed_at: f.finish_time,
        closed_at_field: "body.finishTime",
        handler_name: f.handler_name,
        handler_no: f.handler_no,
        handler_org_code: f.handle_unit_code,
        handler_org_name: f.handle_unit_name,
        handler_phone: f.handler_phone,
        handler_role: f.handler_role,
        note: f.remarks,
    })
}
