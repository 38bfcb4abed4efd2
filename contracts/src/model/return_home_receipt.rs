//! Payload of `RETURN_HOME_RECEIPT` (M10A 返乡交接回执), ORIGIN → STATION (summary to CIVIL);
//! schema `schemas/RETURN_HOME_RECEIPT/v1.json`.
//!
//! Answers one [`super::return_home_notice::ReturnHomeNotice`] (same `notice_id`; the
//! envelope's `correlation_id` is the notice's `message_id`): who received the person, when
//! and where, the condition on arrival and any problems.
//!
//! Invariants (checked by the schema): the receiver has an `org` or a `relation_code`; the
//! receiver's `id_number`, when given, is a GB 11643 resident ID number.

use serde::{Deserialize, Serialize};

use super::shared::{HealthState, Org};

/// The origin's receipt for a returned person (返乡交接回执).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnHomeReceipt {
    /// 通知编号 of the notice answered.
    pub notice_id: String,
    /// 交接时间 (offset date-time).
    pub handed_over_at: String,
    /// 接收人.
    pub received_by: Receiver,
    /// 交接地点.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover_place: Option<String>,
    /// 到达时状况.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_on_arrival: Option<HealthState>,
    /// 交接问题/说明.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issues: Option<String>,
}

/// The person who took over the returned person (接收人).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    /// 姓名.
    pub name: String,
    /// 所在单位, when received by an organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Org>,
    /// GB/T 4761 relation code, when received by a relative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_code: Option<String>,
    /// 居民身份证号码 (GB 11643).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
}
