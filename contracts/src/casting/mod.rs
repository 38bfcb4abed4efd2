//! casting: moves a payload between major versions of its contract, so that a sender and a
//! receiver that read different majors of one message type can still talk (the hub casts each
//! delivery to the version its recipient reads; adapters may cast too).
//!
//! Owns: the table [`CASTERS`] of single steps between *adjacent* major versions of one message
//! type (an upcast n→n+1 and a downcast n+1→n per pair), [`find`] to look one up, and [`cast`],
//! which chains steps (1→2→3 or 3→2→1).
//!
//! Invariants:
//! * a step takes a payload valid against its `from` schema and returns one valid against its
//!   `to` schema, or an error; it never panics and does no I/O;
//! * a step is implemented on the typed structs of [`crate::model`] (deserialize `from`, map,
//!   serialize `to`), so a field the mapping forgets is a compile error, not a silent drop;
//! * `lossless: true` means `to` can hold every value of `from` and casting back gives the
//!   original JSON; a lossy step (`lossless: false`) keeps what it cannot represent in a
//!   human-readable note (e.g. the v1 `remarks`) and says so in [`Caster::note`];
//! * a step that meets a payload it cannot cast without inventing or silently losing meaning
//!   returns [`CastError::Unrepresentable`] with the JSON pointer of the offending value.

pub mod referral;

use serde_json::Value;

use crate::catalogue::MessageType;

/// A single cast step: takes the `from` payload, returns the `to` payload.
pub type CastFn = fn(&Value) -> Result<Value, CastError>;

/// One step between adjacent major versions of one message type.
#[derive(Debug, Clone, Copy)]
pub struct Caster {
    /// The message type.
    pub message_type: MessageType,
    /// Major version read.
    pub from: u32,
    /// Major version written (`from ± 1`).
    pub to: u32,
    /// The cast itself.
    pub cast: CastFn,
    /// False if some values of `from` cannot be represented in `to` (they are then kept in a
    /// note, or the cast fails).
    pub lossless: bool,
    /// What the step does with fields that changed, for the compatibility report.
    pub note: &'static str,
}

/// Every cast step the contracts know, one upcast and one downcast per adjacent pair.
pub static CASTERS: &[Caster] = &[
    Caster {
        message_type: MessageType::Referral,
        from: 1,
        to: 2,
        cast: referral::upcast_v1_to_v2,
        lossless: true,
        note: referral::UPCAST_NOTE,
    },
    Caster {
        message_type: MessageType::Referral,
        from: 2,
        to: 1,
        cast: referral::downcast_v2_to_v1,
        lossless: false,
        note: referral::DOWNCAST_NOTE,
    },
];

/// The step from major `from` to major `to` of `message_type`, if one exists (only adjacent
/// majors have steps; [`cast`] chains them).
pub fn find(message_type: MessageType, from: u32, to: u32) -> Option<&'static Caster> {
    CASTERS
        .iter()
        .find(|c| c.message_type == message_type && c.from == from && c.to == to)
}

/// Casts a payload from one major version to another, chaining adjacent steps (1→2→3 or
/// 3→2→1); `from == to` returns a clone.
pub fn cast(
    message_type: MessageType,
    from: u32,
    to: u32,
    payload: &Value,
) -> Result<Value, CastError> {
    let mut current = payload.clone();
    let mut version = from;
    while version != to {
        let next = if to > version {
            version + 1
        } else {
            version - 1
        };
        let step = find(message_type, version, next).ok_or(CastError::NoPath {
            message_type,
            from,
            to,
        })?;
        current = (step.cast)(&current)?;
        version = next;
    }
    Ok(current)
}

/// Why a payload could not be cast.
#[derive(Debug, thiserror::Error)]
pub enum CastError {
    /// No chain of steps leads from `from` to `to`.
    #[error("no caster for {message_type} from v{from} to v{to}")]
    NoPath {
        /// The message type.
        message_type: MessageType,
        /// Major version asked from.
        from: u32,
        /// Major version asked to.
        to: u32,
    },
    /// The input does not fit the Rust type of its `from` version (it is not a valid payload of
    /// that version), or the result does not fit JSON.
    #[error(
        "{message_type} payload cannot be cast from v{from} to v{to}: it does not fit v{from}: {source}"
    )]
    Shape {
        /// The message type.
        message_type: MessageType,
        /// Major version of the step that failed.
        from: u32,
        /// Target major version of the step that failed.
        to: u32,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A value of the input has no faithful representation in the target version.
    #[error("value at {pointer} cannot be represented: {reason}")]
    Unrepresentable {
        /// JSON pointer into the input payload.
        pointer: String,
        /// Why, in words meant for department IT staff.
        reason: String,
    },
}
