//! Canonical → native: REFERRAL_OUTCOME becomes 处理反馈 and HUB_REJECTED becomes 拒收通知
//! (both with the `header` 报文头), posted to the 城管 system; REFERRAL becomes the 派遣案卷
//! the 城管 system would push (for simulators and the round-trip property).
//!
//! The steps the grid platform's codec takes too (the header, 拒收通知, the outcome's fields,
//! persons and photos of a referral) are `adapter_platform_json`'s.
//!
//! Invariants: a field absent from the canonical message (e.g. projected away by the hub) is
//! absent from the native document, never filled in; a canonical field this format has no
//! place for is an [`CodecError::Unencodable`] rather than silently dropped; the output is
//! deterministic (struct field order, then sorted keys for maps).

use adapter_core::{CodecError, NativeDocument};
use adapter_platform_json::referral;
use adapter_platform_json::write::{
    OutcomeFields, code_of, document, hub_document, to_json, unencodable,
};
use contracts::catalogue::MessageType;
use contracts::model::Envelope;
use contracts::model::referral::SourceSystem;
use serde_json::Value;

use crate::codes::{self, Stage};
use crate::native::{
    CaseFeedback, CaseRecord, CaseReporter, Dispatch, PLATFORM, RescueInfo, StageRecord,
    time_to_native,
};
use crate::service;

pub use adapter_platform_json::write::CONTENT_TYPE;

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
            hub_document(message, &PLATFORM.reject_notice(&message.payload)?)?,
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
    Ok(document(path, body))
}

/// 处理反馈 from a REFERRAL_OUTCOME payload (possibly projected).
fn feedback(payload: &Value) -> Result<CaseFeedback, CodecError> {
    let o = OutcomeFields::of(payload)?;
    let labels = o.code.map(codes::outcome_labels);
    Ok(CaseFeedback {
        case_no: o.string("source_case_no")?,
        dispatch_no: o.string("referral_id")?,
        handle_result: o.outcome.map(str::to_owned),
        handle_result_name: labels.map(|(name, _)| name.to_owned()),
        handle_state: labels.map(|(_, state)| state.to_owned()),
        sign_time: o.time("signed_at")?,
        arrive_time: o.time("arrived_at")?,
        finish_time: o.time("closed_at")?,
        handle_unit_code: o.handler("org_code")?,
        handle_unit_name: o.handler("org_name")?,
        handler_name: o.handler("name")?,
        handler_no: o.handler("badge_or_staff_no")?,
        handler_phone: o.handler("phone")?,
        handler_role: o.handler("role")?,
        rescue_case_id: o.string("case_id")?,
        remarks: o.string("note")?,
    })
}

/// The 派遣案卷 a 城管 system would push for a REFERRAL (v2, or v1 cast up to v2).
fn case_record(message: &Envelope<Value>) -> Result<CaseRecord, CodecError> {
    const T: MessageType = MessageType::Referral;
    let r = referral::referral_v2(message)?;
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
    let persons = referral::persons(&r.subjects)?;
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
        photos: referral::photos(r.photos.as_deref())?,
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
            suspected_flags: referral::suspected_flag_codes(r.suspected_flags.as_deref()),
        }),
    })
}
