//! Payload of `HOSPITAL_ADMISSION` (M06 送医/入院), STATION or POLICE → HEALTH (the
//! designated hospital), copy STATION; schema `schemas/HOSPITAL_ADMISSION/v1.json`.
//!
//! Sent when a person is taken to a designated hospital: taken ill in the station (办法
//! art. 7(3)), found at reception to need care (规程 art. 8), or taken straight to hospital by
//! the police (民发〔2006〕6号), in which case no `case_id` exists yet. The hospital answers
//! with [`super::admission_ack::AdmissionAck`] and later sends
//! [`super::hospital_discharge::HospitalDischarge`], both naming `transfer_id`.
//!
//! Invariants (checked by the schema): `physical_description` is present when
//! `person.identity_status` is `UNKNOWN`; `escort` lists at least one person.

use serde::{Deserialize, Serialize};

use super::shared::{Belonging, HealthCategory, Org, PersonIdentity, PhysicalDescription, Staff};

/// A transfer of a person to a designated hospital (送医).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HospitalAdmission {
    /// 送医单号, the sender's number of this transfer.
    pub transfer_id: String,
    /// 救助个案号, when the station has opened a case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// 人员.
    pub person: PersonIdentity,
    /// 体貌特征, present when the identity is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_description: Option<PhysicalDescription>,
    /// 送医原因.
    pub reason: AdmissionReason,
    /// 救治类别.
    pub category: TreatmentCategory,
    /// 定点医院.
    pub target_hospital: Org,
    /// 护送人员 (at least one).
    pub escort: Vec<Staff>,
    /// 出发时间 (offset date-time).
    pub departed_at: String,
    /// 到院时间 (offset date-time).
    pub arrived_at: String,
    /// 随身物品 taken along.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub belongings: Option<Vec<Belonging>>,
    /// 费用渠道.
    pub payer: Payer,
    /// 救助站联系人, whom the hospital notifies.
    pub station_contact: Staff,
}

/// Why the person is taken to hospital (送医原因): a CL-HEALTH category and an explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionReason {
    /// 送医原因类别 (CL-HEALTH).
    pub category: HealthCategory,
    /// 送医原因说明.
    pub description: String,
}

/// Treatment category (救治类别, 民发〔2006〕6号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TreatmentCategory {
    /// 危重病人.
    Critical,
    /// 精神病人.
    Psychiatric,
    /// 传染病人/疑似.
    Infectious,
    /// 其他.
    Other,
}

/// Who pays for the treatment (费用渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Payer {
    /// 救助站结算.
    Station,
    /// 疾病应急救助 (国办发〔2013〕15号).
    EmergencyFund,
    /// 医疗保险.
    MedicalInsurance,
    /// 本人/家属自付.
    SelfFamily,
}
