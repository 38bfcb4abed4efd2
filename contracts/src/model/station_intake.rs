//! Payload of `STATION_INTAKE` (M08 入站登记), STATION → HUB (full to CIVIL, summary to POLICE
//! and the referring source); schema `schemas/STATION_INTAKE/v1.json`.
//!
//! The registration of a person at the rescue station: the items of 实施细则 art. 3, the
//! reception and security checks of the 2014 规程, the eligibility decision, and for minors
//! the guardianship situation (未成年人保护法 art. 92). `intake_at` starts the 10-day,
//! 24-hour, 7-working-day and 3-month clocks.
//!
//! Invariants (checked by the schema): `refusal_notice_ref` is present when `eligibility` is
//! `NOT_ELIGIBLE`; `related_refs` is present for `POLICE_ESCORT`, `CITYMGMT_ESCORT`,
//! `GRID_REFERRAL` and `HOSPITAL_TRANSFER`; for a minor `temporary_guardianship` is present,
//! and `guardian` too when it is false; for an `UNKNOWN` identity `family_notice_due_at` and
//! `dna_request_due_at` are present; a vagrancy reason `OTHER` has a description; items in
//! `prohibited_items_to_police` have disposition `TO_POLICE`. The payload's `case_id` equals
//! the envelope's.

use serde::{Deserialize, Serialize};

use super::shared::{
    Attachment, Belonging, ContactPerson, HealthState, PersonIdentity, PhysicalDescription,
};

/// The registration of a person at the station (入站登记).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationIntake {
    /// 救助个案号 opened by this intake.
    pub case_id: String,
    /// 入站时间 (offset date-time).
    pub intake_at: String,
    /// 入站方式 (CL-INTAKE).
    pub intake_channel: IntakeChannel,
    /// 关联单据, for escorted, referred and hospital-transferred intakes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_refs: Option<Vec<RelatedRef>>,
    /// 人员.
    pub person: PersonIdentity,
    /// 体貌特征.
    pub physical_description: PhysicalDescription,
    /// 检视结果.
    pub health_check: HealthState,
    /// 已安全检查.
    pub security_check_done: bool,
    /// 违禁物品移交公安.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prohibited_items_to_police: Option<Vec<Belonging>>,
    /// 寄存物品 (may be empty).
    pub belongings_deposited: Vec<Belonging>,
    /// 是否享受低保/特困供养.
    pub social_assistance_status: SocialAssistanceStatus,
    /// 流浪乞讨原因.
    pub vagrancy_reason: VagrancyReason,
    /// 流浪开始时间 (partial date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vagrancy_since: Option<String>,
    /// 近亲属及关系密切亲戚.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relatives: Option<Vec<ContactPerson>>,
    /// 甄别结论.
    pub eligibility: Eligibility,
    /// 不予救助通知书, for `NOT_ELIGIBLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal_notice_ref: Option<Attachment>,
    /// 已采集指纹 (flag only).
    pub fingerprint_captured: bool,
    /// 已采集电子照片.
    pub photo_captured: bool,
    /// 全国救助管理信息系统登记号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_rescue_record_no: Option<String>,
    /// 特殊人员类别 (CL-SPECIAL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_categories: Option<Vec<SpecialCategory>>,
    /// 监护人 of a minor, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian: Option<ContactPerson>,
    /// 民政临时监护, for a minor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_guardianship: Option<bool>,
    /// 寻亲公告时限 (offset date-time), for an unidentified person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_notice_due_at: Option<String>,
    /// 报请DNA采集时限 (date), for an unidentified person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dna_request_due_at: Option<String>,
}

/// How the person came to the station (入站方式, CL-INTAKE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IntakeChannel {
    /// 主动求助.
    #[serde(rename = "SELF")]
    SelfRequest,
    /// 公安护送.
    PoliceEscort,
    /// 城管护送.
    CitymgmtEscort,
    /// 网格转介.
    GridReferral,
    /// 医院转入.
    HospitalTransfer,
    /// 外站转入.
    OtherStation,
    /// 街面巡查.
    Outreach,
}

/// A document of another department behind the intake (关联单据).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedRef {
    /// 单据类型.
    #[serde(rename = "type")]
    pub ref_type: RelatedRefType,
    /// 单据编号.
    pub id: String,
}

/// Kind of related document (单据类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RelatedRefType {
    /// 公安护送交接单 (`POLICE_ESCORT_HANDOVER` handover_no).
    Handover,
    /// 发现转介单 (`REFERRAL` referral_id).
    Referral,
    /// 出院通知 (`HOSPITAL_DISCHARGE` transfer_id or admission_no).
    Discharge,
    /// 其他.
    Other,
}

/// Minimum-living or extreme-poverty support status (是否享受低保/特困供养).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SocialAssistanceStatus {
    /// 未享受.
    #[serde(rename = "NONE")]
    NoAssistance,
    /// 城市低保.
    UrbanDibao,
    /// 农村低保.
    RuralDibao,
    /// 特困人员供养 (原五保).
    Tekun,
    /// 不详.
    Unknown,
}

/// Reason for vagrancy (流浪乞讨原因).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VagrancyReason {
    /// 原因类别.
    pub category: VagrancyReasonCategory,
    /// 原因及经过, required for `OTHER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Category of the reason for vagrancy (原因类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VagrancyReasonCategory {
    /// 务工不着.
    WorkNotFound,
    /// 被盗被抢.
    Robbed,
    /// 寻亲不遇.
    RelativesNotFound,
    /// 家庭矛盾.
    FamilyConflict,
    /// 精神/智力障碍走失.
    LostMentalOrIntellectual,
    /// 其他.
    Other,
}

/// Eligibility decision (甄别结论).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Eligibility {
    /// 符合救助条件.
    Eligible,
    /// 先行救助后查明 (实施细则 art. 5 ¶2).
    HelpFirst,
    /// 不予救助.
    NotEligible,
}

/// Special category of person (特殊人员类别, CL-SPECIAL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SpecialCategory {
    /// 打拐解救.
    TraffickingVictim,
    /// 家暴受害.
    DomesticViolenceVictim,
    /// 服刑人员子女.
    PrisonerChild,
    /// 留守儿童.
    LeftBehindChild,
    /// 港澳台.
    HkMacaoTaiwan,
    /// 外籍.
    Foreigner,
    /// 老年人.
    Elderly,
    /// 残疾人.
    Disabled,
    /// 未成年人.
    Minor,
}
