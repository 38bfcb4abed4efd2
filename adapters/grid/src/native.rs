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
//! These conventions and the documents the 数字城管 system has too ([`HubDocument`],
//! [`RejectNotice`], [`Reason`], [`Person`], [`HEADER_FIELDS`]) are `adapter_platform_json`'s,
//! re-exported here; this module declares the platform's own documents (with the shared
//! [`native_struct!`]).
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
pub const TIME_LAYOUT: &str = "yyyy-MM-dd HH:mm:ss (北京时间), e.g. 2025-03-01 06:40:00";

/// What the grid interface passes to the steps it shares with the 数字城管 interface's.
pub(crate) const PLATFORM: Platform = Platform {
    time_layout: TIME_LAYOUT,
    native_field_of: crate::codes::native_field_of,
};

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

/// Converts a native Beijing time (`yyyy-MM-dd HH:mm:ss[.f…]`) into an RFC 3339 time with
/// `+08:00`; `field` names the native field in the error.
pub fn time_from_native(field: &str, text: &str) -> Result<String, CodecError> {
    PLATFORM.time_from_native(field, text)
}
