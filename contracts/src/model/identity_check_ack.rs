//! Payload of `IDENTITY_CHECK_ACK` (M03A 核查受理回执), POLICE → STATION via the hub; schema
//! `schemas/IDENTITY_CHECK_ACK/v1.json`.
//!
//! The police platform's acknowledgement of an
//! [`super::identity_check_request::IdentityCheckRequest`] (same `request_id`), sent when the
//! request is registered and before any [`super::identity_check_result::IdentityCheckResult`].
//! The envelope carries the `case_id`; its `correlation_id`, when given, is the request's
//! `message_id`.
//!
//! Invariants (checked by the schema): an `ACCEPTED` acknowledgement lists the
//! `accepted_methods` (each at most once); a `REJECTED` one carries the `rejection_reason`
//! and no `accepted_methods`.

use serde::{Deserialize, Serialize};

use super::shared::{MatchMethod, Officer};

/// The police acknowledgement of an identity-check request (核查受理回执).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityCheckAck {
    /// 申请编号 of the request acknowledged.
    pub request_id: String,
    /// 受理决定.
    pub decision: AcceptanceDecision,
    /// 受理事项: the checks accepted, when `ACCEPTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_methods: Option<Vec<MatchMethod>>,
    /// 不予受理原因, when `REJECTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// 公安受理编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police_query_no: Option<String>,
    /// 受理民警/单位.
    pub handled_by: Officer,
    /// 受理时间 (offset date-time).
    pub acknowledged_at: String,
    /// 预计反馈日期 (date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_result_by: Option<String>,
}

/// Whether the police took the request on (受理决定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AcceptanceDecision {
    /// 受理.
    Accepted,
    /// 不予受理.
    Rejected,
}
