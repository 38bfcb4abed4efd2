//! The contract between a department system's native format and the hub's canonical
//! messages (`contracts`), shared by the five department adapters.
//!
//! * [`codec`]: the [`Codec`] trait each department implements: native bytes → canonical
//!   envelopes, canonical envelope → native bytes, the department's own answer format, and
//!   how to read the department system's answer to a delivery.
//! * [`context`]: what a decode needs to know that the native document does not say.
//! * [`error`]: [`CodecError`], the one error type of every codec: specific enough to be
//!   shown to the department's IT staff as it is.
//! * [`ids`]: deterministic `message_id`s, so that a department system re-sending the same
//!   native document produces the same canonical message and the hub deduplicates it.
//! * [`golden`]: the golden-file check every department crate runs over `tests/golden/<dept>/`.
//! * [`settings`]: checks of the settings every adapter's configuration has.
//!
//! Invariant: codecs are pure (no I/O, no clock, no randomness); everything time- or
//! identity-dependent comes in through [`DecodeContext`].

pub mod codec;
pub mod context;
pub mod error;
pub mod golden;
pub mod ids;
pub mod settings;

pub use codec::{
    Codec, Decoded, DeliveryResponse, InboundAnswer, NativeDocument, NativeRef, Verdict,
};
pub use context::DecodeContext;
pub use contracts;
pub use error::CodecError;
