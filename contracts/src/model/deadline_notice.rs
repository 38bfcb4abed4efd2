//! Payload of `DEADLINE_NOTICE` (时限提醒), HUB → the departments a time limit concerns;
//! schema `schemas/DEADLINE_NOTICE/v1.json`. Not in domain.md §7.4: it is the hub's own
//! notice (docs/adr/0003), written by its deadline engine (docs/adr/0010).
//!
//! Says which rule's deadline passed unmet, for which item (`item_key`: a handover number,
//! request, incident or case), at which step, when the clock started and the step was due,
//! the message that started the clock, and what the recipient must do now. The envelope
//! carries the item's `case_id` when there is one (optional: a handover may be unsigned
//! before any intake); its `correlation_id`, when given, is the trigger's `message_id`
//! (a cross-field rule, `contracts::rules`).
//!
//! Invariants (checked by the schema): `rule` is lower_snake_case; `step` is 1 to 1000; the
//! three instants carry an offset; the trigger names a catalogue type and an actor.

use serde::{Deserialize, Serialize};

use super::shared::Actor;
use crate::catalogue::MessageType;

/// The hub's notice that a time limit passed unmet (时限提醒).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineNotice {
    /// 提醒编号: one per deadline and step (e.g. `DL-12-1`).
    pub notice_id: String,
    /// 规则名 of the hub's deadline rule (lower_snake_case).
    pub rule: String,
    /// 时限: what the deadline is.
    pub description: String,
    /// 依据: where the time limit comes from.
    pub basis: String,
    /// 事项: the item the deadline is about (handover number, request, incident, case).
    pub item_key: String,
    /// 第几次: 1 for the first deadline, 2 and up for follow-ups.
    pub step: u32,
    /// 起算时间 (offset date-time).
    pub clock_start: String,
    /// 到期时间 (offset date-time).
    pub due_at: String,
    /// 提醒时间 (offset date-time).
    pub fired_at: String,
    /// 起因: the message that started the clock.
    pub trigger: NoticeTrigger,
    /// 需办理事项: what the recipient must do now.
    pub required_action: String,
    /// 提醒级别.
    pub escalation_level: EscalationLevel,
}

/// The message that started a deadline's clock (起因).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeTrigger {
    /// 触发消息标识 (UUID).
    pub message_id: String,
    /// 触发消息类型.
    pub message_type: MessageType,
    /// 触发消息发送方.
    pub sender: Actor,
}

/// How pressing a deadline notice is (提醒级别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EscalationLevel {
    /// 提醒: to the party that has to act.
    Reminder,
    /// 督办: to the supervising department, or a repeated breach.
    Escalation,
}
