//! Payload of `ADMISSION_ACK` (M06A 收治确认), HEALTH (the designated hospital) → the sender
//! of the admission (STATION or POLICE), copy STATION; schema `schemas/ADMISSION_ACK/v1.json`.
//!
//! Answers one [`super::hospital_admission::HospitalAdmission`] (same `transfer_id`; the
//! envelope's `correlation_id` is the admission's `message_id`).
//!
//! Invariants (checked by the schema): when `admitted` is true, `admission_no` and
//! `admitted_at` are present and `not_admitted_reason` is absent; when false,
//! `not_admitted_reason` is present and `admission_no` and `admitted_at` are absent.

use serde::{Deserialize, Serialize};

use super::shared::{Diagnosis, Staff};

/// The hospital's confirmation that it admitted, or did not admit, a person (收治确认).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionAck {
    /// 送医单号 of the admission answered.
    pub transfer_id: String,
    /// 是否收治.
    pub admitted: bool,
    /// 住院号, when admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admission_no: Option<String>,
    /// 入院时间 (offset date-time), when admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admitted_at: Option<String>,
    /// 科室.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// 初步诊断 (ICD-10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preliminary_diagnosis: Option<Vec<Diagnosis>>,
    /// 未收治原因, when not admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_admitted_reason: Option<String>,
    /// 医院联系人.
    pub hospital_contact: Staff,
}
