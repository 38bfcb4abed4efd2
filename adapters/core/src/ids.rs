//! Deterministic message ids (UUID v5).
//!
//! Invariant: the same (department, native document id, message type, position) always gives
//! the same `message_id`. A department system that re-sends a document after a timeout
//! therefore re-sends the same canonical message, and the hub's deduplication by
//! `message_id` makes the re-send harmless. Different departments can never collide, even
//! when their native ids coincide.

use contracts::catalogue::MessageType;
use contracts::model::Actor;
use uuid::Uuid;

/// Namespace of all adapter-derived message ids (a fixed random UUID; never change it, or
/// re-sent documents would stop deduplicating across an upgrade).
const NAMESPACE: Uuid = Uuid::from_u128(0x5f0c_2a8e_93d1_4c57_b2a4_6e1f_0d9b_7c31);

/// The `message_id` of the `index`-th canonical message of type `message_type` decoded from
/// the native document `native_id` of `department`.
pub fn message_id(
    department: Actor,
    native_id: &str,
    message_type: MessageType,
    index: usize,
) -> String {
    let name = format!(
        "{}\u{1f}{native_id}\u{1f}{}\u{1f}{index}",
        department.as_str(),
        message_type.as_str()
    );
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_id_and_departments_never_collide() {
        let a = message_id(Actor::Police, "HS-1", MessageType::PoliceEscortHandover, 0);
        let b = message_id(Actor::Police, "HS-1", MessageType::PoliceEscortHandover, 0);
        let c = message_id(Actor::Grid, "HS-1", MessageType::PoliceEscortHandover, 0);
        let d = message_id(Actor::Police, "HS-1", MessageType::PoliceEscortHandover, 1);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.len(), 36);
    }
}
