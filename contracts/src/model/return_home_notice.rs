//! Payload of `RETURN_HOME_NOTICE` (M10 返乡通知), STATION → ORIGIN (outflow-area station,
//! civil affairs, township or village committee; summary to CIVIL); schema
//! `schemas/RETURN_HOME_NOTICE/v1.json`.
//!
//! Announces a person's return home by escort, collection or self-return, to relatives or the
//! employer, else the outflow civil-affairs department (办法 art. 11; 规程 接送返回). The ORIGIN
//! answers with [`super::return_home_receipt::ReturnHomeReceipt`] naming `notice_id`.
//!
//! Invariants (checked by the schema): the person's identity is established (not `UNKNOWN`,
//! `CONFLICT` or `DECEASED`); `ESCORT` has `escort_staff` (at least one); `ESCORT` and
//! `COLLECTION` have `handover_place`; a receiving outflow station or civil-affairs department
//! has `org_code`; for a minor `minor_info` is present and `follow_up_required` is true. The
//! payload's `case_id` equals the envelope's.

use serde::{Deserialize, Serialize};

use super::shared::{ContactPerson, PersonIdentity, Staff};

/// A notice of a person's return home (返乡通知).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnHomeNotice {
    /// 通知编号.
    pub notice_id: String,
    /// 救助个案号.
    pub case_id: String,
    /// 人员 (identity established).
    pub person: PersonIdentity,
    /// 流出地区划 (6 or 12 digits).
    pub origin_region_code: String,
    /// 家庭/户籍详址.
    pub origin_address: String,
    /// 接收方.
    pub receiving_party: ReceivingParty,
    /// 返乡方式.
    pub method: ReturnMethod,
    /// 计划出发时间 (offset date-time).
    pub planned_departure_at: String,
    /// 计划到达时间 (offset date-time).
    pub planned_arrival_at: String,
    /// 交通方式/车次.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// 护送人员, for `ESCORT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escort_staff: Option<Vec<Staff>>,
    /// 交接地点, for `ESCORT` and `COLLECTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover_place: Option<String>,
    /// 特殊照护需求.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_needs: Option<String>,
    /// 未成年人信息, for a minor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor_info: Option<MinorInfo>,
    /// 需回访 (always true for minors).
    pub follow_up_required: bool,
}

/// Who receives the person at the origin (接收方).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivingParty {
    /// 接收方类型.
    #[serde(rename = "type")]
    pub party_type: ReceivingPartyType,
    /// 接收方名称 (the relative's name for `FAMILY`).
    pub name: String,
    /// 接收单位代码 (GB 32100), required for outflow stations and civil affairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_code: Option<String>,
    /// 联系人.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactPerson>,
}

/// Kind of receiving party (接收方类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReceivingPartyType {
    /// 家属.
    Family,
    /// 流出地救助管理站.
    OriginStation,
    /// 流出地民政部门.
    OriginCivilAffairs,
    /// 乡镇(街道).
    Township,
    /// 村(居)委会.
    VillageCommittee,
    /// 所在单位.
    Employer,
}

/// How the person returns home (返乡方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReturnMethod {
    /// 护送.
    Escort,
    /// 接领.
    Collection,
    /// 自返.
    SelfReturn,
}

/// Information on a returning minor (未成年人信息).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinorInfo {
    /// 监护人, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian: Option<ContactPerson>,
    /// 家庭监护评估摘要.
    pub guardianship_assessment_summary: String,
    /// 就学状况.
    pub school_status: SchoolStatus,
}

/// School status of a minor (就学状况).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SchoolStatus {
    /// 学龄前.
    Preschool,
    /// 在校.
    InSchool,
    /// 辍学.
    DroppedOut,
    /// 适龄未入学.
    NotEnrolled,
    /// 已完成义务教育.
    CompletedCompulsory,
    /// 职业培训.
    Vocational,
    /// 不详.
    Unknown,
}
