//! Payload of REFERRAL_OUTCOME (M01R 转介处置反馈): STATION → the source of a REFERRAL (GRID,
//! CITYMGMT, POLICE, HEALTH; summary copy to CIVIL), domain.md §7.5 M01R,
//! `schemas/REFERRAL_OUTCOME/v1.json`.
//!
//! Lets 城管 and the grid platform close their case (核查结案) and records the station's sign-for
//! time. The envelope's `correlation_id` is the `message_id` of the REFERRAL answered.
//!
//! Invariants: the type mirrors the schema field for field (`deny_unknown_fields`); `case_id` is
//! present when the outcome is [`ReferralOutcomeCode::Admitted`]; `note` is a short free text that
//! carries no health or identity detail (minimum necessary: every receiver gets a summary only).

use serde::{Deserialize, Serialize};

use super::shared::Staff;

/// What the station did with a referral (处置结果, CL-REFERRAL-OUTCOME).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReferralOutcomeCode {
    /// 已入站 (a case is opened: `case_id` required).
    Admitted,
    /// 已送医.
    SentToHospital,
    /// 拒绝入站已发放物资.
    RefusedSuppliesGiven,
    /// 未找到.
    NotFound,
    /// 不属救助对象.
    NotEligible,
    /// 移交公安.
    TransferredPolice,
}

/// Payload of REFERRAL_OUTCOME v1 (转介处置反馈).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralOutcome {
    /// 转介单号 of the referral answered.
    pub referral_id: String,
    /// 来源案卷号 of the referral answered.
    pub source_case_no: String,
    /// 签收时间.
    pub signed_at: String,
    /// 到场时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<String>,
    /// 处置结果.
    pub outcome: ReferralOutcomeCode,
    /// 救助个案号 (required when admitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// 办结时间.
    pub closed_at: String,
    /// 处置人.
    pub handler: Staff,
    /// 说明 (no health or identity detail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
