//! Payload of `HANDOVER_ACK` (M02A 交接签收), STATION → POLICE via the hub (summary copy to
//! CIVIL); schema `schemas/HANDOVER_ACK/v1.json`.
//!
//! The station's answer to a [`super::police_escort_handover::PoliceEscortHandover`]; the
//! envelope's `correlation_id` is the handover's `message_id`.
//!
//! Invariants (checked by the schema): `reason_code` is present when the decision is
//! `TO_HOSPITAL` or `NOT_RECEIVED`; `case_id` is present when it is `RECEIVED`;
//! `discrepancies` is present when `belongings_checked` is false.

use serde::{Deserialize, Serialize};

use super::shared::{HealthState, Staff};

/// The station's signature for an escorted person (交接签收).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverAck {
    /// 交接表编号 of the handover answered.
    pub handover_no: String,
    /// 接收决定.
    pub decision: HandoverDecision,
    /// 理由 (CL-REFUSAL), for `TO_HOSPITAL` and `NOT_RECEIVED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<RefusalReason>,
    /// 接收人.
    pub receiving_staff: Staff,
    /// 接收时间 (offset date-time).
    pub received_at: String,
    /// 接收时状况.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_on_receipt: Option<HealthState>,
    /// 物品清点一致.
    pub belongings_checked: bool,
    /// 不一致说明, when `belongings_checked` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discrepancies: Option<String>,
    /// 救助个案号, when the person was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
}

/// The station's decision on an escorted person (接收决定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HandoverDecision {
    /// 接收.
    Received,
    /// 转送医院.
    ToHospital,
    /// 不予接收.
    NotReceived,
}

/// Why a person was not received or sent on (理由, CL-REFUSAL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefusalReason {
    /// 不属救助对象.
    NotEligible,
    /// 拒不提供个人情况.
    RefusesInfo,
    /// 需先行送医.
    NeedsMedicalFirst,
    /// 属公安处置事项 (drugs, wanted person; 规程 art. 10).
    PoliceMatter,
    /// 其他.
    Other,
}
