//! Department-system simulators: stand-ins for the POLICE, HEALTH, CITYMGMT, GRID and
//! STATION systems, speaking each one's native protocol for real, for end-to-end tests and
//! the demo.
//!
//! What it owns:
//! * [`Simulator`]: a department system's server — HTTP (axum; POLICE, CITYMGMT, GRID,
//!   STATION) or MLLP (HEALTH's HIS) — that records every document it receives and answers
//!   with the department's own receipt or HL7 ACK ([`tables`]), or fails as told
//!   ([`FailureMode`]: `ok`, `error_5xx`, `reject_4xx`, `slow`, `down`, `malformed`, each
//!   optionally for the next *N* requests), switchable in process and over the control
//!   endpoint ([`control`]).
//! * [`Sender`]: the same department system sending its native documents to an adapter's
//!   inbound endpoint (HTTP or MLLP), from a test or a script directory, keeping the
//!   answers.
//! * Native views for assertions that do not trust the codecs under test: XML path → text
//!   ([`XmlView`]), JSON ([`json_view`]), HL7 segment/field/component ([`Hl7View`]).
//! * MLLP framing of its own ([`mllp`]), independent of the HEALTH adapter's.
//!
//! Invariants: nothing here depends on the adapters or the hub (a simulator is the
//! department's system, not the hub's); waits are bounded and event-driven; `down` really
//! closes the port and comes back on the same one. The binary `dept-sim` wraps all of it
//! (see README.md).

pub mod control;
pub mod department;
pub mod error;
pub mod hl7;
pub mod mllp;
pub mod mode;
pub mod record;
pub mod send;
pub mod tables;
pub mod view;

mod clock;
mod listener;
mod sim;

pub use department::{Department, Protocol};
pub use error::{SimError, ViewError};
pub use hl7::{AckCode, Hl7Segment, Hl7View};
pub use mode::{FailureMode, ModeRequest, ModeStatus};
pub use record::{Answered, Received, RecordFile, Transport};
pub use send::{Sender, Sent, SentOutcome, Target};
pub use sim::{MESSAGE_ID_HEADER, SimConfig, Simulator};
pub use view::{NativeView, XmlView, json_view};
