//! Payload of `SETTLEMENT_DECISION` (M12R, 落户审批结果), POLICE 户政 → STATION / CIVIL.
//!
//! Owns the typed view of `schemas/SETTLEMENT_DECISION/v1.json`: one message per stage of the
//! police service item (pre-review, report to the county bureau, decision), answering a
//! [`super::settlement_request::SettlementRequest`] (envelope `correlation_id`).
//!
//! Invariants (checked by the schema): `reason` is present when `stage` is `REJECTED`;
//! `assigned_id_number` (GB 11643 valid), `household_region_code` and `registered_at` are
//! present when `stage` is `APPROVED`.

use serde::{Deserialize, Serialize};

/// Stage of the settlement procedure (审批阶段).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SettlementStage {
    /// 预审通过.
    PreReviewPassed,
    /// 上报分县局.
    SubmittedToCounty,
    /// 准予落户.
    Approved,
    /// 不予落户.
    Rejected,
}

/// The settlement decision (落户审批结果).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementDecision {
    /// 申请编号.
    pub application_no: String,
    /// 审批阶段.
    pub stage: SettlementStage,
    /// 办理时间 (offset date-time).
    pub decided_at: String,
    /// 理由 (REJECTED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// 公民身份号码 assigned on registration (APPROVED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_id_number: Option<String>,
    /// 户籍地区划 (APPROVED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_region_code: Option<String>,
    /// 落户时间 (APPROVED; offset date-time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
}
