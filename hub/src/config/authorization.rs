//! The authorization matrix: department × message type × send/receive.
//!
//! Invariant: deny by default — a (department, type) pair not listed is refused, a
//! department not listed may do nothing, and nothing here widens a list (no wildcards).

use std::collections::BTreeMap;

use contracts::model::Actor;
use serde::Deserialize;

/// `[authorization]`: the message types each department may send and receive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// Per department, the message types (wire names) it may send (`send.GRID = ["REFERRAL"]`).
    #[serde(default)]
    pub send: BTreeMap<Actor, Vec<String>>,
    /// Per department, the message types it may receive (`receive.STATION = ["REFERRAL"]`).
    #[serde(default)]
    pub receive: BTreeMap<Actor, Vec<String>>,
}

impl Authorization {
    /// Whether `department` may send `message_type`.
    pub fn may_send(&self, department: Actor, message_type: &str) -> bool {
        listed(&self.send, department, message_type)
    }

    /// Whether `department` may receive `message_type`.
    pub fn may_receive(&self, department: Actor, message_type: &str) -> bool {
        listed(&self.receive, department, message_type)
    }

    /// The departments that may send `message_type`, in code order.
    pub fn senders_of(&self, message_type: &str) -> Vec<Actor> {
        self.send
            .iter()
            .filter(|(_, types)| types.iter().any(|t| t == message_type))
            .map(|(actor, _)| *actor)
            .collect()
    }

    /// The departments that may receive `message_type`, in code order.
    pub fn receivers_of(&self, message_type: &str) -> Vec<Actor> {
        self.receive
            .iter()
            .filter(|(_, types)| types.iter().any(|t| t == message_type))
            .map(|(actor, _)| *actor)
            .collect()
    }
}

fn listed(matrix: &BTreeMap<Actor, Vec<String>>, department: Actor, message_type: &str) -> bool {
    matrix
        .get(&department)
        .is_some_and(|types| types.iter().any(|t| t == message_type))
}
