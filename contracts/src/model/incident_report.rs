//! Payload of `INCIDENT_REPORT` (M13, 突发事件报告), STATION (or HEALTH for inpatients) → CIVIL,
//! copied to POLICE / HEALTH by incident type.
//!
//! Owns the typed view of `schemas/INCIDENT_REPORT/v1.json`: first report (within 1 hour of
//! `discovered_at`), updates and final report of one incident, all sharing `incident_id`.
//!
//! Invariants (checked by the schema): `death_details` is present for `DEATH_NORMAL` and
//! `DEATH_ABNORMAL`; `police_case_no` is present for `DEATH_ABNORMAL` and `VIOLENCE`; the death
//! certificate of a `DEATH_ABNORMAL` is issued by the police. Checked by the hub, not here:
//! `first_report_due_at` = `discovered_at` + 1 h, and the first report arrives before it.

use serde::{Deserialize, Serialize};

use super::shared::{Attachment, Location};

/// Stage of the report (报告阶段).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportStage {
    /// 首报.
    First,
    /// 续报.
    Update,
    /// 终报.
    Final,
}

/// Type of incident (事件类型, CL-INCIDENT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IncidentType {
    /// 正常死亡.
    DeathNormal,
    /// 非正常死亡.
    DeathAbnormal,
    /// 高风险人员擅自离站/走失.
    AbscondedHighRisk,
    /// 自伤自杀.
    SelfHarm,
    /// 伤人/被伤害.
    Violence,
    /// 传染病.
    InfectiousOutbreak,
    /// 火灾等安全事故.
    SafetyAccident,
    /// 虐待/侵害投诉.
    AbuseAllegation,
    /// 舆情.
    PublicOpinion,
    /// 其他.
    Other,
}

/// Severity tier (等级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// 一般.
    General,
    /// 较大.
    Large,
    /// 重大.
    Major,
    /// 特别重大.
    EspeciallyMajor,
}

/// Role of a person in the incident (角色).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvolvementRole {
    /// 当事人.
    Subject,
    /// 受害人.
    Victim,
    /// 加害人.
    Perpetrator,
    /// 证人.
    Witness,
    /// 工作人员.
    Staff,
}

/// A person concerned by the incident (涉及人员).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInvolved {
    /// 救助个案号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// 人员标识 (hub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// 角色.
    pub role: InvolvementRole,
}

/// Who was notified and when (已通知单位).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// 单位, e.g. 110, 120, 太仓市民政局.
    pub org: String,
    /// 通知时间 (offset date-time).
    pub at: String,
}

/// Who issued the death certificate (死亡证明出具).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertificateIssuer {
    /// 医疗机构 (normal death).
    Medical,
    /// 公安机关 (abnormal death).
    Police,
}

/// Death details (死亡信息).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeathDetails {
    /// 死亡时间 (offset date-time).
    pub died_at: String,
    /// 死亡地点.
    pub place: String,
    /// 死亡证明出具.
    pub certificate_issuer: CertificateIssuer,
    /// 死亡证明编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_ref: Option<String>,
    /// 死因摘要.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause_summary: Option<String>,
    /// 遗体存放地点 (殡仪馆).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_location: Option<String>,
    /// 通知家属时间 (offset date-time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_notified_at: Option<String>,
    /// 认领公告截止日期 (date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_notice_until: Option<String>,
}

/// The incident report (突发事件报告).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentReport {
    /// 事件编号.
    pub incident_id: String,
    /// 报告阶段.
    pub report_stage: ReportStage,
    /// 发生时间 (offset date-time).
    pub occurred_at: String,
    /// 发现时间 (offset date-time).
    pub discovered_at: String,
    /// 首报时限 (offset date-time).
    pub first_report_due_at: String,
    /// 事件类型.
    pub incident_type: IncidentType,
    /// 等级.
    pub severity: Severity,
    /// 地点.
    pub location: Location,
    /// 涉及人员.
    pub persons_involved: Vec<PersonInvolved>,
    /// 经过.
    pub description: String,
    /// 已采取措施.
    pub actions_taken: String,
    /// 已通知单位.
    pub notified: Vec<Notification>,
    /// 公安案(警)情号 (DEATH_ABNORMAL, VIOLENCE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police_case_no: Option<String>,
    /// 死亡信息 (DEATH_NORMAL, DEATH_ABNORMAL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub death_details: Option<DeathDetails>,
    /// 附件.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}
