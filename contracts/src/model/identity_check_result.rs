//! Payload of `IDENTITY_CHECK_RESULT` (M04 核查/比对结果), POLICE → STATION via the hub;
//! schema `schemas/IDENTITY_CHECK_RESULT/v1.json`.
//!
//! The police answer to an [`super::identity_check_request::IdentityCheckRequest`], one per
//! method; the envelope's `correlation_id` is the request's `message_id`. A DNA profile never
//! passes through the hub, only the sample number and status.
//!
//! Invariants (checked by the schema): a `MATCHED` result carries `matched_identity` with
//! identity status `VERIFIED_POLICE`, `VERIFIED_DNA` or `VERIFIED_FACE`; methods
//! `DNA_SAMPLING` and `DNA` carry `dna_sample_no`, `dna_sampled_at` and `dna_db_entered`.

use serde::{Deserialize, Serialize};

use super::shared::{Attachment, ContactPerson, MatchMethod, MatchResult, Officer, PersonIdentity};

/// The result of one identity check (核查/比对结果).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityCheckResult {
    /// 申请编号 of the request answered.
    pub request_id: String,
    /// 比对方式.
    pub method: MatchMethod,
    /// 结果.
    pub result: MatchResult,
    /// 核实身份, when `MATCHED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_identity: Option<PersonIdentity>,
    /// DNA样本编号, for DNA methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dna_sample_no: Option<String>,
    /// 采样时间 (offset date-time), for DNA methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dna_sampled_at: Option<String>,
    /// 已录入打拐DNA库, for DNA methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dna_db_entered: Option<bool>,
    /// 关联走失报案号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_report_no: Option<String>,
    /// 亲属联系方式.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_contact: Option<ContactPerson>,
    /// 核查单位/民警.
    pub verified_by: Officer,
    /// 核查时间 (offset date-time).
    pub verified_at: String,
    /// 比对结果证明.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_ref: Option<Attachment>,
}
