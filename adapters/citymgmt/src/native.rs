//! The 数字城管 system's native documents (FORMAT.md has them with examples) and the
//! conventions they share:
//!
//! * times are Beijing time written `yyyy-MM-dd HH:mm:ss` (optionally with a fraction,
//!   `.SSS`), as the 城管 system's Java services write them; the canonical side is RFC 3339
//!   with `+08:00` ([`time_from_native`], [`time_to_native`]);
//! * keys are camelCase; blocks the 城管 system has no counterpart for (体貌特征, 健康状况,
//!   附件) carry the hub's structure with its keys spelled camelCase ([`camelize`],
//!   [`snakify`]) and the hub's code values verbatim;
//! * documents the hub sends carry a `header` (报文头) with every envelope field, so the
//!   城管 system can quote the `msgId` back and a simulator can rebuild the message.
//!
//! Invariants: every document type here is `deny_unknown_fields` with all fields optional,
//! so that a decode reports a missing field by its native name
//! ([`adapter_core::CodecError::MissingField`]) and an unknown field is an error rather than
//! silently dropped — except [`Receipt`], which reads the other side's answers leniently; every
//! helper is total (no panics on any input).

use adapter_core::CodecError;
use contracts::codes::datetime::{CivilDate, parse_offset_date_time};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How long a quoted value may be in an error message.
const MAX_QUOTED_CHARS: usize = 64;

/// Native time layout, for error messages.
pub const TIME_LAYOUT: &str = "yyyy-MM-dd HH:mm:ss (北京时间), e.g. 2025-03-02 14:12:35";

/// 派遣案卷: a 数字城管 event case, as the 城管 system pushes it when it dispatches the case
/// to the rescue station (城管 → hub).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseRecord {
    /// 案卷号 (→ `source_case_no`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_no: Option<String>,
    /// 案件类型: `1` 部件, `2` 事件 (only `2` is taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_type: Option<String>,
    /// 大类代码 (must be `05` 街面秩序).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_type_code: Option<String>,
    /// 大类名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_type_name: Option<String>,
    /// 小类代码 (must be `02` 流浪乞讨).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type_code: Option<String>,
    /// 小类名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type_name: Option<String>,
    /// 案件来源 (→ `reporter.kind`, table in [`crate::codes::CASE_SOURCES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_source: Option<String>,
    /// 当前环节 code (must be `02` 派遣).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// 当前环节名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_name: Option<String>,
    /// 环节记录: the lifecycle so far, one entry per stage with its time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_records: Option<Vec<StageRecord>>,
    /// 发现时间 (→ `discovered_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discover_time: Option<String>,
    /// 地址描述.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 行政区划 (GB/T 2260).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// 村居代码 (12 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_code: Option<String>,
    /// 单元网格编码 (GB/T 30428.1): the 城管 unit grid, not the social-governance grid; not
    /// translated (see FORMAT.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_grid_code: Option<String>,
    /// 经度.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// 纬度.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// 坐标系: `CGCS2000`, `WGS84` or `GCJ02`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinate_system: Option<String>,
    /// 场所类型 (hub code, e.g. `COMMERCIAL_STREET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_type: Option<String>,
    /// 信息监督员 or other reporter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<CaseReporter>,
    /// 问题描述 (→ `remarks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// 照片: hub attachment references, camelCase ({attachmentId, kind, mimeType, hash, uri,
    /// sensitivity}).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photos: Option<Vec<Value>>,
    /// 派遣信息.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<Dispatch>,
    /// 救助扩展信息: the persons found, agreed with the hub for class 05-02 cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescue_info: Option<RescueInfo>,
}

/// One entry of the case lifecycle (环节记录).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageRecord {
    /// 环节 code (`01` 立案 … `05` 结案).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// 环节名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_name: Option<String>,
    /// 办理时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// 办理人 (not translated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

/// The reporter of the case (上报人, usually the 信息监督员).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseReporter {
    /// 姓名.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 监督员编号 (→ `staff_no`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// 联系电话.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 单位代码 (GB 32100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_code: Option<String>,
    /// 单位名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
}

/// The dispatch to the rescue station (派遣信息).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dispatch {
    /// 派遣单号 (→ `referral_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_no: Option<String>,
    /// 处置单位代码 (GB 32100; → `receiver_org_codes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    /// 处置单位名称 (not translated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
    /// 处置时限 (→ `deadline_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// 紧急程度: `1` 紧急, `2` 一般.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<String>,
    /// 处置要求 (hub code: `STREET_OUTREACH`, `ESCORT_TO_STATION`, `SEND_TO_HOSPITAL`,
    /// `INFORM_ONLY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_action: Option<String>,
    /// 派遣意见 (not translated: the dispatcher's note to the unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opinion: Option<String>,
}

/// 救助扩展信息 of a class 05-02 case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RescueInfo {
    /// 对象: one entry per person found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persons: Option<Vec<Person>>,
    /// 疑似情形 (hub codes: `LOST`, `ABANDONED`, `TRAFFICKED`, `UNACCOMPANIED_MINOR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspected_flags: Option<Vec<String>>,
}

/// One person found (对象).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Person {
    /// 性别 (GB/T 2261.1: `0`, `1`, `2`, `9`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// 目测年龄.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_age: Option<u64>,
    /// 疑似未成年.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor_suspected: Option<bool>,
    /// 本人意愿 (hub code: `WILLING`, `REFUSED`, `CANNOT_EXPRESS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub willingness: Option<String>,
    /// 体貌特征 (hub structure, camelCase keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_description: Option<Value>,
    /// 健康状况 (hub structure, camelCase keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Value>,
}

/// A document the hub sends to the 城管 system: the header (报文头, every envelope field)
/// and the body, whose shape the header's `msgType` selects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HubDocument {
    /// 报文头.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Map<String, Value>>,
    /// 报文体.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// 处理反馈: the station's handling of a dispatched case, for 核查结案 (REFERRAL_OUTCOME).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseFeedback {
    /// 案卷号 (← `source_case_no`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_no: Option<String>,
    /// 派遣单号 (← `referral_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_no: Option<String>,
    /// 处置结果 (hub code, ← `outcome`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle_result: Option<String>,
    /// 处置结果名称 (derived from `handleResult`; ignored on decode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle_result_name: Option<String>,
    /// 处理结果 for 核查结案: `1` 已处置, `2` 无法处置, `3` 退回 (derived; ignored on decode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle_state: Option<String>,
    /// 签收时间 (← `signed_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_time: Option<String>,
    /// 到场时间 (← `arrived_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrive_time: Option<String>,
    /// 办结时间 (← `closed_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<String>,
    /// 处置单位代码 (← `handler.org_code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle_unit_code: Option<String>,
    /// 处置单位名称 (← `handler.org_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle_unit_name: Option<String>,
    /// 处置人 (← `handler.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler_name: Option<String>,
    /// 处置人工号 (← `handler.badge_or_staff_no`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler_no: Option<String>,
    /// 处置人电话 (← `handler.phone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler_phone: Option<String>,
    /// 处置人角色 (hub code, ← `handler.role`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler_role: Option<String>,
    /// 救助个案号 (← `case_id`, when admitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescue_case_id: Option<String>,
    /// 处理说明 (← `note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// 拒收通知: the hub refused a message the 城管 system sent (HUB_REJECTED).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RejectNotice {
    /// 被拒消息标识 (← `rejected_message_id`; the `messageIds` of the receipt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_msg_id: Option<String>,
    /// 被拒消息类型 (← `rejected_message_type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_msg_type: Option<String>,
    /// 接收时间 (← `received_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_time: Option<String>,
    /// 拒收环节 (hub code, ← `stage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// 拒收原因.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<Reason>>,
    /// 死信引用 (← `dead_letter_ref`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_ref: Option<String>,
    /// 可否重发 (← `retry_allowed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_allowed: Option<bool>,
}

/// One refusal reason, in receipts and rejection notices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reason {
    /// The native field the reason is about (`dispatch.urgency`), when the canonical pointer
    /// maps to one (derived; ignored on decode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// JSON pointer into the canonical message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Rule broken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// 说明.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The receipt of both directions: `{"code": "0", "msg": "…", "data": {…}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// 结果代码 ([`crate::codes::receipt`]); some 城管 builds send it as a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Value>,
    /// 结果说明.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    /// 数据.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// Envelope field ↔ header key, for the keys whose name is not simply the camelCase of the
/// envelope's; with the meaning (for [`CodecError::MissingField`]) and whether the envelope
/// requires it.
pub const HEADER_FIELDS: &[(&str, &str, &str, bool)] = &[
    ("message_id", "msgId", "消息标识", true),
    ("message_type", "msgType", "消息类型", true),
    ("schema_version", "version", "结构版本", true),
    ("case_id", "caseId", "救助个案号", false),
    ("correlation_id", "correlationId", "关联消息", false),
    ("sender_org_code", "senderOrgCode", "发送单位代码", true),
    ("sender_org_type", "senderOrgType", "发送单位类别", true),
    ("sender_system", "senderSystem", "发送系统", true),
    ("receiver_org_codes", "receiverOrgCodes", "接收单位", true),
    ("sent_at", "sendTime", "发送时间", true),
    ("region_code", "regionCode", "行政区划", true),
    ("legal_basis", "legalBasis", "法律依据", true),
    ("purpose_code", "purposeCode", "处理目的", true),
    ("sensitivity", "sensitivity", "敏感级别", true),
    ("retention_until", "retentionUntil", "保存期限", false),
    ("signature", "signature", "签名", false),
    ("attachments", "attachments", "附件", false),
];

/// Converts a native Beijing time (`yyyy-MM-dd HH:mm:ss[.f…]`) into an RFC 3339 time with
/// `+08:00`; `field` names the native field in the error.
pub fn time_from_native(field: &str, text: &str) -> Result<String, CodecError> {
    let bad = |detail: &str| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(text),
        detail: format!("{detail}; expected {TIME_LAYOUT}"),
    };
    let b = text.as_bytes();
    let shape_ok = b.len() >= 19
        && b.iter().take(19).enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(bad("not a time of the form yyyy-MM-dd HH:mm:ss"));
    }
    if let Some(rest) = b.get(19..)
        && !rest.is_empty()
    {
        let digits = rest.get(1..).unwrap_or_default();
        let fraction_ok = rest.first() == Some(&b'.')
            && (1..=9).contains(&digits.len())
            && digits.iter().all(u8::is_ascii_digit);
        if !fraction_ok {
            return Err(bad(
                "only a fraction of a second (.SSS) may follow the seconds",
            ));
        }
    }
    let number = |from: usize, to: usize| -> u32 {
        b.get(from..to)
            .unwrap_or_default()
            .iter()
            .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
    let (hour, minute, second) = (number(11, 13), number(14, 16), number(17, 19));
    let date = i32::try_from(year).ok().and_then(|y| {
        let m = u8::try_from(month).ok()?;
        let d = u8::try_from(day).ok()?;
        CivilDate::new(y, m, d)
    });
    if date.is_none() {
        return Err(bad("not a real calendar date"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad("time of day out of range"));
    }
    let (date_part, time_part) = (
        text.get(..10).unwrap_or_default(),
        text.get(11..).unwrap_or_default(),
    );
    Ok(format!("{date_part}T{time_part}+08:00"))
}

/// Converts an RFC 3339 time into native Beijing time, shifting it when its offset is not
/// `+08:00` (the fraction of a second is kept as written).
pub fn time_to_native(field: &str, text: &str) -> Result<String, CodecError> {
    let parsed = parse_offset_date_time(text).map_err(|e| CodecError::InvalidField {
        field: field.to_owned(),
        value: quote(text),
        detail: format!("not an RFC 3339 time: {e}"),
    })?;
    if parsed.second > 59 {
        return Err(CodecError::InvalidField {
            field: field.to_owned(),
            value: quote(text),
            detail: "a leap second has no native representation".to_owned(),
        });
    }
    // The fraction as written: the digits after the seconds, up to the offset.
    let fraction: String = text
        .get(19..)
        .unwrap_or_default()
        .chars()
        .take_while(|c| *c == '.' || c.is_ascii_digit())
        .collect();
    let local_seconds =
        i64::from(parsed.hour) * 3_600 + i64::from(parsed.minute) * 60 + i64::from(parsed.second);
    let shift = (8 * 60 - i64::from(parsed.offset_minutes)) * 60;
    let total = parsed.date.to_days_since_epoch() * 86_400 + local_seconds + shift;
    let date = CivilDate::from_days_since_epoch(total.div_euclid(86_400)).ok_or_else(|| {
        CodecError::InvalidField {
            field: field.to_owned(),
            value: quote(text),
            detail: "the time is out of range".to_owned(),
        }
    })?;
    let of_day = total.rem_euclid(86_400);
    Ok(format!(
        "{date} {:02}:{:02}:{:02}{fraction}",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60
    ))
}

/// `height_cm` → `heightCm`.
pub fn snake_to_camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `heightCm` → `height_cm`.
pub fn camel_to_snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The hub's structure with its keys spelled camelCase, recursively (values unchanged).
/// Fails on a key that would not come back unchanged ([`snakify`] of the result is the input).
pub fn camelize(path: &str, value: &Value) -> Result<Value, CodecError> {
    Ok(match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                let camel = snake_to_camel(key);
                if camel_to_snake(&camel) != *key {
                    return Err(CodecError::InvalidField {
                        field: format!("{path}/{key}"),
                        value: quote(key),
                        detail: "the key has no camelCase spelling in the native format".to_owned(),
                    });
                }
                out.insert(camel, camelize(&format!("{path}/{key}"), child)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| camelize(&format!("{path}/{i}"), item))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// The inverse of [`camelize`]: camelCase keys back to the hub's snake_case. `path` is the
/// native path for errors (`rescueInfo.persons[0].health`); a key not in camelCase is an
/// error.
pub fn snakify(path: &str, value: &Value) -> Result<Value, CodecError> {
    Ok(match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                let snake = camel_to_snake(key);
                if snake_to_camel(&snake) != *key || key.starts_with(|c: char| c.is_uppercase()) {
                    return Err(CodecError::InvalidField {
                        field: format!("{path}.{key}"),
                        value: quote(key),
                        detail: "keys are camelCase (e.g. needsMedical)".to_owned(),
                    });
                }
                out.insert(snake, snakify(&format!("{path}.{key}"), child)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| snakify(&format!("{path}[{i}]"), item))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// A value for an error message: at most 64 characters.
pub fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_QUOTED_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_times_become_rfc3339_with_the_beijing_offset() {
        assert_eq!(
            time_from_native("t", "2025-03-02 14:12:35").unwrap(),
            "2025-03-02T14:12:35+08:00"
        );
        assert_eq!(
            time_from_native("t", "2025-03-02 14:12:35.418").unwrap(),
            "2025-03-02T14:12:35.418+08:00"
        );
        for bad in [
            "2025-03-02T14:12:35",
            "2025-02-30 10:00:00",
            "2025-03-02 24:00:00",
            "2025-03-02 14:12",
            "2025/03/02 14:12:35",
            "2025-03-02 14:12:35+08:00",
            "2025-03-02 14:12:35.",
            "",
            "二〇二五年三月二日",
        ] {
            assert!(time_from_native("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn canonical_times_are_written_in_beijing_time() {
        assert_eq!(
            time_to_native("t", "2025-03-02T14:12:35+08:00").unwrap(),
            "2025-03-02 14:12:35"
        );
        assert_eq!(
            time_to_native("t", "2025-03-05T10:14:02.418+08:00").unwrap(),
            "2025-03-05 10:14:02.418"
        );
        assert_eq!(
            time_to_native("t", "2025-03-01T20:30:00Z").unwrap(),
            "2025-03-02 04:30:00"
        );
        assert_eq!(
            time_to_native("t", "2025-01-01T01:00:00+09:30").unwrap(),
            "2024-12-31 23:30:00"
        );
        assert!(time_to_native("t", "2025-03-01 20:30:00").is_err());
    }

    #[test]
    fn keys_round_trip_between_snake_and_camel_case() {
        let canonical = serde_json::json!({"needs_medical": true, "flags": ["MENTAL"],
            "photo_refs": [{"attachment_id": "a", "mime_type": "image/jpeg"}]});
        let native = camelize("", &canonical).unwrap();
        assert_eq!(
            native,
            serde_json::json!({"needsMedical": true, "flags": ["MENTAL"],
                "photoRefs": [{"attachmentId": "a", "mimeType": "image/jpeg"}]})
        );
        assert_eq!(snakify("x", &native).unwrap(), canonical);
        assert!(snakify("x", &serde_json::json!({"needs_medical": true})).is_err());
        assert!(snakify("x", &serde_json::json!({"NeedsMedical": true})).is_err());
    }
}
