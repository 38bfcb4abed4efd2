//! Payload of `HOSPITAL_DISCHARGE` (M07 出院通知), HEALTH (the designated hospital) → STATION;
//! schema `schemas/HOSPITAL_DISCHARGE/v1.json`.
//!
//! Announces a planned discharge (the station must pick the person up) or reports that a
//! patient left hospital: discharged, transferred, left without leave (giving up help) or died
//! (an `INCIDENT_REPORT` follows). The station arranges the leave on the 出院证明 (规程).
//!
//! Invariants (checked by the schema): at least one of `transfer_id` and `admission_no` is
//! present; `pickup_required_by` is present for a `PLANNED` notice; a `DIED` or `SELF_LEFT`
//! discharge is always notice type `DISCHARGED`.

use serde::{Deserialize, Serialize};

use super::shared::{Attachment, Diagnosis};

/// A discharge notice (出院通知).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HospitalDischarge {
    /// 送医单号 of the admission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<String>,
    /// 住院号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admission_no: Option<String>,
    /// 通知类型.
    pub notice_type: NoticeType,
    /// 出院时间 (offset date-time): planned for `PLANNED`, actual for `DISCHARGED`.
    pub discharge_at: String,
    /// 出院方式.
    pub discharge_type: DischargeType,
    /// 出院证明.
    pub discharge_certificate: Attachment,
    /// 出院诊断 (ICD-10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discharge_diagnosis: Option<Vec<Diagnosis>>,
    /// 医嘱/用药.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_instructions: Option<String>,
    /// 精神状态评估.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mental_state_assessment: Option<MentalStateAssessment>,
    /// 住院期间获取的身份线索.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_info_gathered: Option<String>,
    /// 需接回时间 (offset date-time), for `PLANNED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_required_by: Option<String>,
}

/// Kind of discharge notice (通知类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoticeType {
    /// 拟出院: the station must pick the person up.
    Planned,
    /// 已出院.
    Discharged,
}

/// How the patient left hospital (出院方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DischargeType {
    /// 治愈.
    Cured,
    /// 好转.
    Improved,
    /// 转院.
    Transferred,
    /// 擅自离院 (= giving up help).
    SelfLeft,
    /// 死亡.
    Died,
}

/// Mental state assessed at discharge (精神状态评估).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MentalStateAssessment {
    /// 精神状态正常.
    Normal,
    /// 病情稳定.
    Stable,
    /// 病情不稳定需监护.
    Unstable,
    /// 有伤害自身或他人危险.
    Dangerous,
    /// 未评估.
    NotAssessed,
}
