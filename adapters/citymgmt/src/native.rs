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
//! These conventions, and the documents the grid platform has too ([`HubDocument`],
//! [`RejectNotice`], [`Reason`], [`Person`], [`HEADER_FIELDS`]), are `adapter_platform_json`'s,
//! re-exported here; this module declares the 城管 system's own documents.
//!
//! Invariants: every document type here is `deny_unknown_fields` with all fields optional,
//! so that a decode reports a missing field by its native name
//! ([`adapter_core::CodecError::MissingField`]) and an unknown field is an error rather than
//! silently dropped — except [`Receipt`], which reads the other side's answers leniently; every
//! helper is total (no panics on any input).

use adapter_core::CodecError;
use adapter_platform_json::{Platform, native_struct};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use adapter_platform_json::document::{
    HEADER_FIELDS, HubDocument, Person, Reason, RejectNotice,
};
pub use adapter_platform_json::text::{camel_to_snake, camelize, quote, snake_to_camel, snakify};
pub use adapter_platform_json::time::to_native as time_to_native;

/// Native time layout, for error messages.
pub const TIME_LAYOUT: &str = "yyyy-MM-dd HH:mm:ss (北京时间), e.g. 2025-03-02 14:12:35";

/// What the 城管 interface passes to the steps it shares with the grid platform's.
pub(crate) const PLATFORM: Platform = Platform {
    time_layout: TIME_LAYOUT,
    native_field_of: crate::codes::native_field_of,
};

native_struct! {
    /// 派遣案卷: a 数字城管 event case, as the 城管 system pushes it when it dispatches the case
    /// to the rescue station (城管 → hub).
    CaseRecord {
        /// 案卷号 (→ `source_case_no`).
        case_no: String,
        /// 案件类型: `1` 部件, `2` 事件 (only `2` is taken).
        case_type: String,
        /// 大类代码 (must be `05` 街面秩序).
        main_type_code: String,
        /// 大类名称.
        main_type_name: String,
        /// 小类代码 (must be `02` 流浪乞讨).
        sub_type_code: String,
        /// 小类名称.
        sub_type_name: String,
        /// 案件来源 (→ `reporter.kind`, table in [`crate::codes::CASE_SOURCES`]).
        case_source: String,
        /// 当前环节 code (must be `02` 派遣).
        stage: String,
        /// 当前环节名称.
        stage_name: String,
        /// 环节记录: the lifecycle so far, one entry per stage with its time.
        stage_records: Vec<StageRecord>,
        /// 发现时间 (→ `discovered_at`).
        discover_time: String,
        /// 地址描述.
        address: String,
        /// 行政区划 (GB/T 2260).
        region_code: String,
        /// 村居代码 (12 digits).
        community_code: String,
        /// 单元网格编码 (GB/T 30428.1): the 城管 unit grid, not the social-governance grid; not
        /// translated (see FORMAT.md).
        unit_grid_code: String,
        /// 经度.
        longitude: f64,
        /// 纬度.
        latitude: f64,
        /// 坐标系: `CGCS2000`, `WGS84` or `GCJ02`.
        coordinate_system: String,
        /// 场所类型 (hub code, e.g. `COMMERCIAL_STREET`).
        place_type: String,
        /// 信息监督员 or other reporter.
        reporter: CaseReporter,
        /// 问题描述 (→ `remarks`).
        description: String,
        /// 照片: hub attachment references, camelCase ({attachmentId, kind, mimeType, hash, uri,
        /// sensitivity}).
        photos: Vec<Value>,
        /// 派遣信息.
        dispatch: Dispatch,
        /// 救助扩展信息: the persons found, agreed with the hub for class 05-02 cases.
        rescue_info: RescueInfo,
    }
}

native_struct! {
    /// One entry of the case lifecycle (环节记录).
    StageRecord {
        /// 环节 code (`01` 立案 … `05` 结案).
        stage: String,
        /// 环节名称.
        stage_name: String,
        /// 办理时间.
        time: String,
        /// 办理人 (not translated).
        operator: String,
    }
}

native_struct! {
    /// The reporter of the case (上报人, usually the 信息监督员).
    CaseReporter {
        /// 姓名.
        name: String,
        /// 监督员编号 (→ `staff_no`).
        code: String,
        /// 联系电话.
        phone: String,
        /// 单位代码 (GB 32100).
        org_code: String,
        /// 单位名称.
        org_name: String,
    }
}

native_struct! {
    /// The dispatch to the rescue station (派遣信息).
    Dispatch {
        /// 派遣单号 (→ `referral_id`).
        dispatch_no: String,
        /// 处置单位代码 (GB 32100; → `receiver_org_codes`).
        unit_code: String,
        /// 处置单位名称 (not translated).
        unit_name: String,
        /// 处置时限 (→ `deadline_at`).
        deadline: String,
        /// 紧急程度: `1` 紧急, `2` 一般.
        urgency: String,
        /// 处置要求 (hub code: `STREET_OUTREACH`, `ESCORT_TO_STATION`, `SEND_TO_HOSPITAL`,
        /// `INFORM_ONLY`).
        requested_action: String,
        /// 派遣意见 (not translated: the dispatcher's note to the unit).
        opinion: String,
    }
}

native_struct! {
    /// 救助扩展信息 of a class 05-02 case.
    RescueInfo {
        /// 对象: one entry per person found.
        persons: Vec<Person>,
        /// 疑似情形 (hub codes: `LOST`, `ABANDONED`, `TRAFFICKED`, `UNACCOMPANIED_MINOR`).
        suspected_flags: Vec<String>,
    }
}

native_struct! {
    /// 处理反馈: the station's handling of a dispatched case, for 核查结案 (REFERRAL_OUTCOME).
    CaseFeedback {
        /// 案卷号 (← `source_case_no`).
        case_no: String,
        /// 派遣单号 (← `referral_id`).
        dispatch_no: String,
        /// 处置结果 (hub code, ← `outcome`).
        handle_result: String,
        /// 处置结果名称 (derived from `handleResult`; ignored on decode).
        handle_result_name: String,
        /// 处理结果 for 核查结案: `1` 已处置, `2` 无法处置, `3` 退回 (derived; ignored on decode).
        handle_state: String,
        /// 签收时间 (← `signed_at`).
        sign_time: String,
        /// 到场时间 (← `arrived_at`).
        arrive_time: String,
        /// 办结时间 (← `closed_at`).
        finish_time: String,
        /// 处置单位代码 (← `handler.org_code`).
        handle_unit_code: String,
        /// 处置单位名称 (← `handler.org_name`).
        handle_unit_name: String,
        /// 处置人 (← `handler.name`).
        handler_name: String,
        /// 处置人工号 (← `handler.badge_or_staff_no`).
        handler_no: String,
        /// 处置人电话 (← `handler.phone`).
        handler_phone: String,
        /// 处置人角色 (hub code, ← `handler.role`).
        handler_role: String,
        /// 救助个案号 (← `case_id`, when admitted).
        rescue_case_id: String,
        /// 处理说明 (← `note`).
        remarks: String,
    }
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

/// Converts a native Beijing time (`yyyy-MM-dd HH:mm:ss[.f…]`) into an RFC 3339 time with
/// `+08:00`; `field` names the native field in the error.
pub fn time_from_native(field: &str, text: &str) -> Result<String, CodecError> {
    PLATFORM.time_from_native(field, text)
}
