//! The grid platform's native documents (FORMAT.md has them with examples) and the
//! conventions they share:
//!
//! * the event record (`eventReport`) keeps the shape of the Jiangsu grid event record
//!   (domain.md §4.2: eventId, taskId, happenTime, gpsx, …), where every value is a string;
//!   the blocks agreed with the hub for 流浪乞讨 events (`persons`, `files`) use JSON types;
//! * times are Beijing time written `yyyy-MM-dd HH:mm:ss` (optionally `.SSS`); the canonical
//!   side is RFC 3339 with `+08:00` ([`time_from_native`], [`time_to_native`]);
//! * keys are camelCase; blocks the platform has no counterpart for (体貌特征, 健康状况, 人员身份,
//!   随身物品, 附件, …) carry the hub's structure with its keys spelled camelCase ([`camelize`],
//!   [`snakify`]) and the hub's code values verbatim;
//! * documents the hub sends carry a `header` (报文头) with every envelope field.
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
pub const TIME_LAYOUT: &str = "yyyy-MM-dd HH:mm:ss (北京时间), e.g. 2025-03-01 06:40:00";

macro_rules! native_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }
    };
}

native_struct! {
    /// 事件上报: a grid event as the platform pushes it when it distributes (分拨) a 流浪乞讨
    /// event to the rescue station (grid → hub). Fields of the Jiangsu record that the hub does
    /// not translate are accepted and listed as "not translated".
    EventReport {
        /// 事件编号 (→ `source_case_no`).
        event_id: String,
        /// 任务编号: the distribution to the station (→ `referral_id`).
        task_id: String,
        /// 记录编号 (not translated).
        record_id: String,
        /// 事件类型 (→ `source_event_class.major`; must be one of the configured types).
        event_type: String,
        /// 事件类型名称 (→ `source_event_class.name`).
        event_name: String,
        /// 事件子类型 (→ `source_event_class.minor`).
        event_sub_type: String,
        /// 事件状态代码 (not translated).
        event_state_id: String,
        /// 事件状态 (not translated).
        event_state: String,
        /// 发生时间 (→ `discovered_at`).
        happen_time: String,
        /// 同步时间: when the platform pushed the event (→ `sent_at`).
        sync_time: String,
        /// 处置时限 (→ `deadline_at`).
        deadline_time: String,
        /// 办结时间 (not translated; checked as a time).
        end_time: String,
        /// 紧急程度: `1` 紧急, `2` 一般 (→ `urgency`).
        level: String,
        /// 地址 (→ `location.address_text`).
        address: String,
        /// 行政区划 (→ `location.region_code`).
        region_code: String,
        /// 村居代码 (→ `location.grid.community_code`, or `location.community_code`).
        community_code: String,
        /// 网格编码 (→ `location.grid.grid_code`).
        grid_id: String,
        /// 网格名称 (→ `location.grid.grid_name`).
        grid_name: String,
        /// 经度, as text (→ `location.geo.longitude`).
        gpsx: String,
        /// 纬度, as text (→ `location.geo.latitude`).
        gpsy: String,
        /// 坐标系: `CGCS2000`, `WGS84` or `GCJ02` (→ `location.geo.crs`).
        coord_type: String,
        /// 场所类型 (hub code, → `location.place_type`).
        place_type: String,
        /// 事件描述 (→ `remarks`).
        desc: String,
        /// 上报渠道 (not translated).
        channel: String,
        /// 上报来源: `1` 网格员上报, `2` 群众上报, `3` 12345热线 (→ `reporter.kind`).
        report_source: String,
        /// 信息来源 (not translated).
        info_source: String,
        /// 上报人 (→ `reporter.name`).
        report_person: String,
        /// 上报人电话 (→ `reporter.phone`).
        report_phone: String,
        /// 网格员编号 (→ `reporter.staff_no`).
        report_person_id: String,
        /// 上报单位代码 (→ `reporter.org_code`).
        report_dept_id: String,
        /// 上报单位名称 (→ `reporter.org_name`).
        report_dept_name: String,
        /// 处置部门代码: the station's 统一社会信用代码 (→ `receiver_org_codes`).
        deal_dept_id: String,
        /// 处置部门名称 (not translated).
        deal_dept_name: String,
        /// 处置人编号 (not translated).
        deal_person_id: String,
        /// 处置人 (not translated).
        deal_person_name: String,
        /// 处置人电话 (not translated).
        deal_person_phone: String,
        /// 分拨时间 (not translated; checked as a time).
        distribute_time: String,
        /// 签收记录, one per level (not translated; times checked).
        sign_records: Vec<SignRecord>,
        /// 损害程度 (not translated).
        damage_degree: String,
        /// 专题 (not translated).
        topic_name: String,
        /// 事件标签 (not translated).
        event_tag: String,
        /// 事件标签代码 (not translated).
        event_tag_id: String,
        /// 超期状态代码 (not translated).
        overdue_state_id: String,
        /// 超期状态 (not translated).
        overdue_state: String,
        /// 已读用户 (not translated).
        read_user_ids: String,
        /// 是否痛点 (not translated).
        is_pain_spot: String,
        /// 处置要求 (hub code, → `requested_action`).
        requested_action: String,
        /// 照片: hub attachment references, camelCase (→ `photos`).
        files: Vec<Value>,
        /// 对象: one entry per person found (→ `subjects`).
        persons: Vec<Person>,
        /// 疑似情形 (hub codes, → `suspected_flags`).
        suspected_flags: Vec<String>,
    }
}

native_struct! {
    /// 签收记录: one level of the platform signed for the event (区 centre, 镇 sub-centre, …).
    SignRecord {
        /// 层级名称 (区级, 镇级, 村级).
        level_name: String,
        /// 签收单位.
        dept_name: String,
        /// 签收人.
        sign_person: String,
        /// 签收时间.
        sign_time: String,
    }
}

native_struct! {
    /// One person found (对象).
    Person {
        /// 性别 (GB/T 2261.1: `0`, `1`, `2`, `9`).
        sex: String,
        /// 目测年龄.
        estimated_age: u64,
        /// 疑似未成年.
        minor_suspected: bool,
        /// 本人意愿 (hub code: `WILLING`, `REFUSED`, `CANNOT_EXPRESS`).
        willingness: String,
        /// 体貌特征 (hub structure, camelCase keys).
        physical_description: Value,
        /// 健康状况 (hub structure, camelCase keys).
        health: Value,
    }
}

native_struct! {
    /// A document the hub sends to the platform: the header (报文头, every envelope field) and
    /// the body, whose shape the header's `msgType` selects.
    HubDocument {
        /// 报文头.
        header: Map<String, Value>,
        /// 报文体.
        body: Value,
    }
}

native_struct! {
    /// 任务反馈: the station's handling of a distributed event (REFERRAL_OUTCOME), so the
    /// platform can verify and close it.
    TaskFeedback {
        /// 事件编号 (← `source_case_no`).
        event_id: String,
        /// 任务编号 (← `referral_id`).
        task_id: String,
        /// 任务状态代码 (derived from `dealResult`; ignored on decode).
        event_state_id: String,
        /// 任务状态 (derived; ignored on decode).
        event_state: String,
        /// 处置结果 (hub code, ← `outcome`).
        deal_result: String,
        /// 处置结果名称 (derived; ignored on decode).
        deal_result_name: String,
        /// 签收时间 (← `signed_at`).
        sign_time: String,
        /// 到场时间 (← `arrived_at`).
        arrive_time: String,
        /// 办结时间 (← `closed_at`).
        end_time: String,
        /// 处置部门代码 (← `handler.org_code`).
        deal_dept_id: String,
        /// 处置部门名称 (← `handler.org_name`).
        deal_dept_name: String,
        /// 处置人编号 (← `handler.badge_or_staff_no`).
        deal_person_id: String,
        /// 处置人 (← `handler.name`).
        deal_person_name: String,
        /// 处置人电话 (← `handler.phone`).
        deal_person_phone: String,
        /// 处置人角色 (hub code, ← `handler.role`).
        deal_person_role: String,
        /// 救助个案号 (← `case_id`).
        rescue_case_id: String,
        /// 处置说明 (← `note`).
        deal_desc: String,
    }
}

native_struct! {
    /// 拒收通知: the hub refused a message the platform sent (HUB_REJECTED).
    RejectNotice {
        /// 被拒消息标识 (← `rejected_message_id`; the `messageIds` of the receipt).
        rejected_msg_id: String,
        /// 被拒消息类型 (← `rejected_message_type`).
        rejected_msg_type: String,
        /// 接收时间 (← `received_at`).
        receive_time: String,
        /// 拒收环节 (hub code, ← `stage`).
        stage: String,
        /// 拒收原因.
        reasons: Vec<Reason>,
        /// 死信引用 (← `dead_letter_ref`).
        dead_letter_ref: String,
        /// 可否重发 (← `retry_allowed`).
        retry_allowed: bool,
    }
}

native_struct! {
    /// One refusal reason, in receipts and rejection notices.
    Reason {
        /// The native field the reason is about (`level`), when the canonical pointer maps to
        /// one (derived; ignored on decode).
        field: String,
        /// JSON pointer into the canonical message.
        pointer: String,
        /// Rule broken.
        code: String,
        /// 说明.
        message: String,
    }
}

/// The receipt of both directions: `{"code": 200, "success": true, "msg": "…", "data": {…}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// 结果代码 ([`crate::codes::receipt`]); a number, some builds send it as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Value>,
    /// 是否成功.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
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
/// native path for errors (`persons[0].health`); a key not in camelCase is an
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
