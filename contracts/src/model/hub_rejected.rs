//! Payload of `HUB_REJECTED` (枢纽拒收通知), HUB → the sender of a refused message; schema
//! `schemas/HUB_REJECTED/v1.json`. Not in domain.md §7.4: it is the hub's own notice.
//!
//! Lists every reason for the refusal with the JSON pointer of the offending value, where the
//! original bytes are kept (dead-letter store) and whether the sender may correct and resend.
//! The envelope's `correlation_id` is the refused message's `message_id` when it had one.
//!
//! Invariants (checked by the schema): at least one reason; from stage `CONTRACT` on (the
//! envelope was read), `rejected_message_id` and `rejected_message_type` are present.

use serde::{Deserialize, Serialize};

/// The hub's refusal of a message (枢纽拒收通知).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubRejected {
    /// 被拒消息标识 (UUID), absent when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_message_id: Option<String>,
    /// 被拒消息类型 as written in the refused message, absent when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_message_type: Option<String>,
    /// 接收时间 (offset date-time).
    pub received_at: String,
    /// 拒收环节.
    pub stage: RejectionStage,
    /// 拒收原因, at least one.
    pub reasons: Vec<RejectionReason>,
    /// 死信引用: where the original bytes are kept.
    pub dead_letter_ref: String,
    /// 可否重发: may the sender correct and resend.
    pub retry_allowed: bool,
}

/// The processing stage at which the hub refused the message (拒收环节).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RejectionStage {
    /// 无法解析: not JSON.
    Parse,
    /// 信封不合规: the envelope breaks its schema.
    Envelope,
    /// 载荷不合规: the payload breaks its contract.
    Contract,
    /// 发送方与认证身份不符: the envelope's sender differs from the authenticated one.
    SenderMismatch,
    /// 无权发送: the sender may not send this type.
    Unauthorized,
    /// 无法路由: no recipient for the message.
    Unroutable,
    /// 重复消息内容不一致: a known message_id with different content.
    DuplicateConflict,
}

impl RejectionStage {
    /// The wire code, e.g. `"SENDER_MISMATCH"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectionStage::Parse => "PARSE",
            RejectionStage::Envelope => "ENVELOPE",
            RejectionStage::Contract => "CONTRACT",
            RejectionStage::SenderMismatch => "SENDER_MISMATCH",
            RejectionStage::Unauthorized => "UNAUTHORIZED",
            RejectionStage::Unroutable => "UNROUTABLE",
            RejectionStage::DuplicateConflict => "DUPLICATE_CONFLICT",
        }
    }

    /// Whether the sender can fix the message and send it again (the notice's
    /// `retry_allowed`): yes for what the sender wrote, no for who sent it or where to.
    pub const fn retry_allowed(self) -> bool {
        matches!(
            self,
            RejectionStage::Parse | RejectionStage::Envelope | RejectionStage::Contract
        )
    }
}

/// One reason for a refusal (拒收原因).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectionReason {
    /// JSON pointer (RFC 6901) of the offending value; `""` for the whole message.
    pub pointer: String,
    /// Rule broken: a JSON Schema keyword (`required`, `format`, …) or a hub rule.
    pub code: String,
    /// 说明: a sentence for people.
    pub message: String,
}
