//! Payload of `FOLLOW_UP_VISIT` (M14, 回访记录), STATION or ORIGIN → STATION / CIVIL.
//!
//! Owns the typed view of `schemas/FOLLOW_UP_VISIT/v1.json`: the record of one follow-up visit
//! to a person who returned home (full coverage for minors).
//!
//! Invariants (checked by the schema): `visit_no` ≥ 1; `visitor` carries an org code; when
//! `subject_is_minor` is true, `guardian_present`, `schooling_status`,
//! `guardianship_assessment` and `next_visit_due` are present (and the envelope sensitivity is
//! `SENSITIVE_MINOR`); `next_visit_due` is present when `re_vagrancy_risk` is `MEDIUM` or
//! `HIGH`.

use serde::{Deserialize, Serialize};

use super::shared::Staff;

/// How the visit was made (方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VisitMode {
    /// 实地.
    OnSite,
    /// 电话.
    Phone,
    /// 视频.
    Video,
    /// 委托流出地.
    DelegatedOrigin,
}

/// Category of the living situation (生活状况).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LivingCategory {
    /// 稳定.
    Stable,
    /// 困难.
    Difficult,
    /// 再次流浪.
    ReVagrant,
    /// 不详.
    Unknown,
}

/// The living situation found (生活状况).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivingSituation {
    /// Category.
    pub category: LivingCategory,
    /// 情况说明.
    pub description: String,
}

/// Schooling status of a minor (就学状况).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SchoolingStatus {
    /// 在校就读.
    Enrolled,
    /// 辍学.
    DroppedOut,
    /// 职业教育/培训.
    Vocational,
    /// 不适用.
    #[serde(rename = "NA")]
    Na,
}

/// Guardianship assessment (监护评估).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GuardianshipAssessment {
    /// 监护良好.
    Adequate,
    /// 监护缺失.
    Lacking,
    /// 监护侵害.
    Harmful,
}

/// Risk of returning to vagrancy (再流浪风险).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReVagrancyRisk {
    /// 低.
    Low,
    /// 中.
    Medium,
    /// 高.
    High,
}

/// Support the person was referred to (转介帮扶).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Referral {
    /// 教育.
    Education,
    /// 低保/特困.
    Subsistence,
    /// 残联.
    DisabilityFederation,
    /// 未保工作站.
    MinorProtectionStation,
    /// 心理.
    Psychological,
}

/// The follow-up visit record (回访记录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpVisit {
    /// 回访编号.
    pub visit_id: String,
    /// 原救助个案号.
    pub case_id: String,
    /// 第几次回访 (≥ 1).
    pub visit_no: u32,
    /// 回访时间 (offset date-time).
    pub visited_at: String,
    /// 方式.
    pub mode: VisitMode,
    /// 回访人.
    pub visitor: Staff,
    /// 回访对象是否未成年.
    pub subject_is_minor: bool,
    /// 监护人在场 (minors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_present: Option<bool>,
    /// 生活状况.
    pub living_situation: LivingSituation,
    /// 就学状况 (minors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schooling_status: Option<SchoolingStatus>,
    /// 监护评估 (minors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardianship_assessment: Option<GuardianshipAssessment>,
    /// 再流浪风险.
    pub re_vagrancy_risk: ReVagrancyRisk,
    /// 转介帮扶.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrals: Option<Vec<Referral>>,
    /// 下次回访日期 (date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_visit_due: Option<String>,
}
