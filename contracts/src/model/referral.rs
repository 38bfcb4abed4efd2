//! Payload of REFERRAL (M01 发现转介): GRID / CITYMGMT / POLICE / HEALTH → STATION via the hub
//! (domain.md §7.5 M01; `schemas/REFERRAL/v1.json` and `v2.json`).
//!
//! A department that finds a person who may need rescue — a 数字城管 case of class 05-02
//! 街面秩序/流浪乞讨, a grid report, a 110 call or patrol, a hospital's unidentified patient —
//! refers them to the station; the station answers with REFERRAL_OUTCOME.
//!
//! Two major versions live side by side:
//! * [`ReferralV1`]: one `willingness` for all subjects, an explicit `subject_count`, the shared
//!   [`Location`];
//! * [`ReferralV2`]: `willingness` per subject ([`ReferralSubjectV2`]), no `subject_count`, and a
//!   structured [`ReferralLocation`] with the grid platform's own [`ReferralGrid`] and the
//!   coordinates grouped in [`ReferralGeo`].
//!
//! [`crate::casting::referral`] moves payloads between them.
//!
//! Invariants: each type mirrors its schema field for field (`deny_unknown_fields`, optional
//! fields absent stay absent), so every valid payload deserializes and serializes back to the
//! same JSON. One rule JSON Schema cannot express is exposed here instead:
//! [`ReferralV1::subject_count_matches`] (`subject_count` equals the number of subjects).

use serde::{Deserialize, Serialize};

use super::shared::{
    Attachment, Crs, HealthState, Location, PhysicalDescription, PlaceType, SuspectedFlag,
};

/// Source system of a referral (来源系统, CL-SOURCE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SourceSystem {
    /// 网格化联动指挥平台.
    #[serde(rename = "GRID")]
    Grid,
    /// 数字城管.
    #[serde(rename = "CITYMGMT")]
    Citymgmt,
    /// 110 接处警.
    #[serde(rename = "POLICE_110")]
    Police110,
    /// 巡逻民警.
    #[serde(rename = "POLICE_PATROL")]
    PolicePatrol,
    /// 医疗机构 (e.g. a hospital's unidentified patient).
    #[serde(rename = "HEALTH")]
    Health,
    /// 12345 热线.
    #[serde(rename = "HOTLINE_12345")]
    Hotline12345,
    /// 市民报告.
    #[serde(rename = "CITIZEN")]
    Citizen,
    /// 救助站街面巡查.
    #[serde(rename = "STATION_PATROL")]
    StationPatrol,
}

/// Class of the source case (来源事件分类): 数字城管 大类/小类 (05 街面秩序 / 02 流浪乞讨) or
/// the grid platform's eventType / eventName.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEventClass {
    /// 大类代码 (数字城管 `05`; grid eventType).
    pub major: String,
    /// 小类代码 (数字城管 `02`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor: Option<String>,
    /// 分类名称, e.g. 街面秩序/流浪乞讨.
    pub name: String,
}

/// Kind of reporter (上报人类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReporterKind {
    /// 网格员.
    GridWorker,
    /// 城管监督员.
    CityInspector,
    /// 民警.
    PoliceOfficer,
    /// 医护人员.
    HealthWorker,
    /// 救助站工作人员.
    StationStaff,
    /// 市民 (may stay anonymous).
    Citizen,
    /// 热线 operator.
    HotlineOperator,
}

/// Who reported the finding (上报人). Anyone but a citizen gives `name` and `org_name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reporter {
    /// 上报人类别.
    pub kind: ReporterKind,
    /// 姓名.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 联系电话.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 警号/工号/网格员编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_no: Option<String>,
    /// 单位代码 (GB 32100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_code: Option<String>,
    /// 单位名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
}

/// The person's own wish (本人意愿): help is voluntary (办法 art. 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Willingness {
    /// 愿意入站.
    Willing,
    /// 拒绝.
    Refused,
    /// 无法表达.
    CannotExpress,
}

impl Willingness {
    /// Every value, in declaration order.
    pub const ALL: [Willingness; 3] = [
        Willingness::Willing,
        Willingness::Refused,
        Willingness::CannotExpress,
    ];

    /// The Chinese term, e.g. `"愿意入站"`.
    pub const fn chinese(self) -> &'static str {
        match self {
            Willingness::Willing => "愿意入站",
            Willingness::Refused => "拒绝",
            Willingness::CannotExpress => "无法表达",
        }
    }
}

/// Urgency (紧急程度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Urgency {
    /// 紧急: life in danger (→ 120 / designated hospital).
    Immediate,
    /// 一般.
    Normal,
}

/// Requested action (请求处置).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RequestedAction {
    /// 街面劝导.
    StreetOutreach,
    /// 护送入站.
    EscortToStation,
    /// 送医.
    SendToHospital,
    /// 告知.
    InformOnly,
}

/// One person found, v1 (对象): the willingness is the referral's, not the subject's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralSubjectV1 {
    /// 性别 (GB/T 2261.1).
    pub sex_code: String,
    /// 目测年龄 (years, 0–120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_age: Option<u8>,
    /// 疑似未成年 (true whenever `estimated_age` is under 18).
    pub is_minor_suspected: bool,
    /// 体貌特征.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_description: Option<PhysicalDescription>,
    /// 健康状况 as observed.
    pub health: HealthState,
}

/// Payload of REFERRAL v1 (发现转介).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralV1 {
    /// 转介单号.
    pub referral_id: String,
    /// 来源系统.
    pub source_system: SourceSystem,
    /// 来源案卷/事件/警情号.
    pub source_case_no: String,
    /// 来源事件分类 (required for CITYMGMT and GRID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_event_class: Option<SourceEventClass>,
    /// 发现时间.
    pub discovered_at: String,
    /// 发现地点.
    pub location: Location,
    /// 上报人.
    pub reporter: Reporter,
    /// 人数: must equal `subjects.len()` (see [`ReferralV1::subject_count_matches`]).
    pub subject_count: u32,
    /// 对象.
    pub subjects: Vec<ReferralSubjectV1>,
    /// 本人意愿, for all subjects.
    pub willingness: Willingness,
    /// 疑似情形.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspected_flags: Option<Vec<SuspectedFlag>>,
    /// 紧急程度.
    pub urgency: Urgency,
    /// 请求处置.
    pub requested_action: RequestedAction,
    /// 处置时限.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_at: Option<String>,
    /// 照片.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photos: Option<Vec<Attachment>>,
    /// 备注.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

impl ReferralV1 {
    /// Whether `subject_count` equals the number of subjects: the one v1 rule JSON Schema cannot
    /// express. The v1→v2 caster refuses a payload that breaks it.
    pub fn subject_count_matches(&self) -> bool {
        usize::try_from(self.subject_count).is_ok_and(|n| n == self.subjects.len())
    }
}

/// One person found, v2 (对象), with the person's own willingness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralSubjectV2 {
    /// 性别 (GB/T 2261.1).
    pub sex_code: String,
    /// 目测年龄 (years, 0–120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_age: Option<u8>,
    /// 疑似未成年 (true whenever `estimated_age` is under 18).
    pub is_minor_suspected: bool,
    /// 体貌特征.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_description: Option<PhysicalDescription>,
    /// 健康状况 as observed.
    pub health: HealthState,
    /// 本人意愿 of this person.
    pub willingness: Willingness,
}

/// The grid cell of the grid platform (网格), v2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralGrid {
    /// 网格编码 (gridId).
    pub grid_code: String,
    /// 网格名称 (gridName); v1 has no place for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_name: Option<String>,
    /// 村居代码 of the community the grid belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_code: Option<String>,
}

/// A point with its coordinate reference system (经纬度), v2: all three parts present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralGeo {
    /// 经度.
    pub longitude: f64,
    /// 纬度.
    pub latitude: f64,
    /// Coordinate reference system.
    pub crs: Crs,
}

/// Where the persons were found (发现地点), v2. The community code sits in
/// `grid.community_code` when `grid` is present, else in `community_code` (never both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralLocation {
    /// 地址描述.
    pub address_text: String,
    /// GB/T 2260 county code.
    pub region_code: String,
    /// 村居代码, only when `grid` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_code: Option<String>,
    /// 网格.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<ReferralGrid>,
    /// 经纬度.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<ReferralGeo>,
    /// 场所类型.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_type: Option<PlaceType>,
}

/// Payload of REFERRAL v2 (发现转介): willingness per subject, no subject count, structured
/// location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralV2 {
    /// 转介单号.
    pub referral_id: String,
    /// 来源系统.
    pub source_system: SourceSystem,
    /// 来源案卷/事件/警情号.
    pub source_case_no: String,
    /// 来源事件分类 (required for CITYMGMT and GRID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_event_class: Option<SourceEventClass>,
    /// 发现时间.
    pub discovered_at: String,
    /// 发现地点.
    pub location: ReferralLocation,
    /// 上报人.
    pub reporter: Reporter,
    /// 对象, each with its own willingness.
    pub subjects: Vec<ReferralSubjectV2>,
    /// 疑似情形.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspected_flags: Option<Vec<SuspectedFlag>>,
    /// 紧急程度.
    pub urgency: Urgency,
    /// 请求处置.
    pub requested_action: RequestedAction,
    /// 处置时限.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_at: Option<String>,
    /// 照片.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photos: Option<Vec<Attachment>>,
    /// 备注.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}
