//! Payload of `IDENTITY_CHECK_REQUEST` (M03 身份核查/协查申请), STATION → POLICE via the hub
//! and the police boundary platform; schema `schemas/IDENTITY_CHECK_REQUEST/v1.json`.
//!
//! The station asks the police to check a person's identity (population system, missing
//! persons database, face comparison, DNA sampling, household check); the police answer with
//! one [`super::identity_check_result::IdentityCheckResult`] per method.
//!
//! Invariants (checked by the schema): `request_types` is non-empty without repeats;
//! `face_image` (kind `PHOTO`) is present if and only if `FACE` is requested; the case, the
//! requesting staff member and the purpose (`purpose_note`) are always given.

use serde::{Deserialize, Serialize};

use super::shared::{
    Attachment, MatchMethod, PersonIdentity, PhysicalDescription, Staff, SuspectedFlag,
};

/// A request for help checking a person's identity (协助核查申请).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityCheckRequest {
    /// 申请编号.
    pub request_id: String,
    /// 救助个案号.
    pub case_id: String,
    /// 申请事项, each at most once.
    pub request_types: Vec<MatchMethod>,
    /// 自述身份.
    pub claimed_identity: PersonIdentity,
    /// 体貌特征.
    pub physical_description: PhysicalDescription,
    /// 人脸照片, only when `FACE` is requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_image: Option<Attachment>,
    /// 发现/入站经过.
    pub found_summary: String,
    /// 疑似情形.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspected_flags: Option<Vec<SuspectedFlag>>,
    /// 入站时间 (offset date-time).
    pub intake_at: String,
    /// 申请人.
    pub requested_by: Staff,
    /// 查询事由.
    pub purpose_note: String,
    /// 期望完成 (date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_by: Option<String>,
}
