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
//! Invariants: total (any bytes give `Ok` or a [`CodecError`] naming the native field);
//! deterministic (message ids from [`adapter_core::ids::message_id`] over
//! `"<caseNo>/<dispatchNo>"`, time only from the document or [`DecodeContext`]); nothing
//! invented: a canonical field is set only from the native field the tables here name.

use std::collections::BTreeMap;

use adapter_core::ids::message_id;
use adapter_core::{CodecError, DecodeContext, Decoded, NativeRef};
use contracts::catalogue::MessageType;
use contracts::model::envelope::{LegalBasis, Purpose};
use contracts::model::referral::{
    ReferralGeo, ReferralLocation, ReferralSubjectV2, ReferralV2, Reporter, RequestedAction,
    SourceEventClass, SourceSystem, Willingness,
};
use contracts::model::referral_outcome::ReferralOutcomeCode;
use contracts::model::{
    Actor, Attachment, Crs, Envelope, HealthState, PhysicalDescription, PlaceType, Sensitivity,
    SuspectedFlag,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::codes::{self, Stage};
use crate::native::{
    CaseFeedback, CaseRecord, HEADER_FIELDS, HubDocument, Person, RejectNotice, quote, snakify,
    time_from_native,
};

/// The schema version of the REFERRAL this codec produces.
pub const REFERRAL_SCHEMA_VERSION: &str = "2.0.0";

/// Native document kind of a case the 城管 system pushes.
pub const KIND_CASE: &str = "caseDispatch";
/// Native document kind of 处理反馈.
pub const KIND_FEEDBACK: &str = "caseFeedback";
/// Native document kind of 拒收通知.
pub const KIND_REJECTION: &str = "rejectNotice";

/// Decodes any native document of the 城管 interface.
pub fn decode(native: &[u8], ctx: &DecodeContext) -> Result<Decoded, CodecError> {
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
        decode_case(bytes, ctx)
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
    let deadline_at = optional_time(&dispatch.deadline, "dispatch.deadline")?;

    let rescue = case
        .rescue_info
        .as_ref()
        .ok_or_else(|| missing("rescueInfo", "救助扩展信息"))?;
    let persons = rescue
        .persons
        .as_ref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| missing("rescueInfo.persons", "对象 (发现的人员)"))?;
    let subjects = persons
        .iter()
        .enumerate()
        .map(|(i, p)| subject(i, p))
        .collect::<Result<Vec<_>, _>>()?;
    let suspected_flags = rescue
        .suspected_flags
        .as_ref()
        .map(|flags| {
            flags
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    hub_code::<SuspectedFlag>(&format!("rescueInfo.suspectedFlags[{i}]"), f)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;

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

    let receiver_org_codes = match &dispatch.unit_code {
        Some(code) => vec![code.clone()],
        None => ctx.receiver_org_codes.clone(),
    };
    let payload = serde_json::to_value(&referral).map_err(|e| CodecError::InvalidField {
        field: "caseNo".to_owned(),
        value: quote(case_no),
        detail: format!("the case cannot be written as a REFERRAL: {e}"),
    })?;
    let envelope = Envelope {
        message_id: message_id(
            Actor::Citymgmt,
            &format!("{case_no}/{dispatch_no}"),
            MessageType::Referral,
            0,
        ),
        message_type: MessageType::Referral,
        schema_version: REFERRAL_SCHEMA_VERSION.to_owned(),
        case_id: None,
        correlation_id: None,
        sender_org_code: ctx.sender_org_code.clone(),
        sender_org_type: Actor::Citymgmt,
        sender_system: ctx.sender_system.clone(),
        receiver_org_codes,
        sent_at: sent_at.unwrap_or_else(|| ctx.received_at.clone()),
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
    reply_to.insert("caseNo".to_owned(), case_no.to_owned());
    reply_to.insert("dispatchNo".to_owned(), dispatch_no.to_owned());
    Ok(Decoded {
        native_ref: NativeRef {
            document_id: case_no.to_owned(),
            document_kind: KIND_CASE.to_owned(),
            reply_to,
        },
        messages: vec![envelope],
    })
}

/// The legal bases of a referral from 城管 (FORMAT.md § "Envelope of a referral"): PIPL
/// 13(1)(3) and 办法 art. 5 always; PIPL 13(1)(4) when life is in danger (`IMMEDIATE`);
/// 民发〔2006〕6号 when the person is to be sent to hospital; the 2015 MCA–MPS 意见 when the
/// person may be lost, abandoned or trafficked; 未成年人保护法 art. 92 for a suspected minor;
/// and the Taicang programme 太政办〔2020〕150号, which makes 城管 a referring department.
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
    if referral.urgency == contracts::model::referral::Urgency::Immediate {
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

fn subject(i: usize, person: &Person) -> Result<ReferralSubjectV2, CodecError> {
    let at = format!("rescueInfo.persons[{i}]");
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
pub(crate) fn attachments(
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
        Ok(MessageType::HubRejected) => (KIND_REJECTION, rejection_from_native(body)?),
        _ => {
            return Err(CodecError::UnsupportedKind {
                kind: quote(type_name),
                detail: "documents with a header are the hub's: REFERRAL_OUTCOME (处理反馈) and \
                         HUB_REJECTED (拒收通知)"
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
pub(crate) fn header_from_native(
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
    let f: CaseFeedback = serde_json::from_value(body.clone()).map_err(body_error)?;
    let mut out = Map::new();
    put(&mut out, "referral_id", f.dispatch_no);
    put(&mut out, "source_case_no", f.case_no);
    put_time(&mut out, "signed_at", f.sign_time, "body.signTime")?;
    put_time(&mut out, "arrived_at", f.arrive_time, "body.arriveTime")?;
    if let Some(result) = &f.handle_result {
        hub_code::<ReferralOutcomeCode>("body.handleResult", result)?;
    }
    put(&mut out, "outcome", f.handle_result);
    put(&mut out, "case_id", f.rescue_case_id);
    put_time(&mut out, "closed_at", f.finish_time, "body.finishTime")?;
    let mut handler = Map::new();
    put(&mut handler, "name", f.handler_name);
    put(&mut handler, "badge_or_staff_no", f.handler_no);
    put(&mut handler, "org_code", f.handle_unit_code);
    put(&mut handler, "org_name", f.handle_unit_name);
    put(&mut handler, "phone", f.handler_phone);
    put(&mut handler, "role", f.handler_role);
    if !handler.is_empty() {
        out.insert("handler".to_owned(), Value::Object(handler));
    }
    put(&mut out, "note", f.remarks);
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
pub(crate) fn required<'a>(
    value: &'a Option<String>,
    field: &str,
    meaning: &str,
) -> Result<&'a str, CodecError> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| missing(field, meaning))
}

pub(crate) fn missing(field: &str, meaning: &str) -> CodecError {
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
pub(crate) fn hub_code<T: DeserializeOwned>(field: &str, code: &str) -> Result<T, CodecError> {
    serde_json::from_value(Value::String(code.to_owned())).map_err(|e| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(code),
        detail: format!("not a code of the hub's code list: {e}"),
    })
}

/// A block in the hub's structure (camelCase keys), read into its canonical type.
pub(crate) fn hub_block<T: DeserializeOwned>(field: &str, value: &Value) -> Result<T, CodecError> {
    let snake = snakify(field, value)?;
    serde_json::from_value(snake).map_err(|e| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(&value.to_string()),
        detail: e.to_string(),
    })
}
