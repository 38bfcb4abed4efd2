//! The canonical language of the Taicang interagency rescue hub (太仓市流浪乞讨人员救助
//! 管理跨部门交换枢纽): versioned JSON contracts for every message between police (公安),
//! health (卫健), city management (城管), the grid (网格), civil affairs (民政) and the rescue
//! station (救助站).
//!
//! # Layout
//!
//! * [`catalogue`] — the message types, by wire name;
//! * [`registry`] — every schema embedded, compiled once; validates raw messages (envelope,
//!   then payload, then [`rules`]) into a [`report::ValidationReport`] that names every
//!   violation with its JSON pointer;
//! * [`codes`] — national code lists as custom formats: GB 11643 resident ID, GB/T 2260
//!   regions, GB/T 2261.1 sex, GB/T 3304 ethnicity, GB 32100 organisation codes, timestamps
//!   with an explicit offset;
//! * [`annotations`] — `x-pii` / `x-sensitivity` of every field, for minimisation;
//! * [`model`] — serde types for the envelope and every payload;
//! * [`casting`] — up- and down-casters between major versions of a contract;
//! * [`compat`] — the JSON-Schema-aware compatibility checker (backward / forward).
//!
//! # Invariants
//!
//! * No I/O: the schemas are compiled into the binary (`build.rs`); callers that load a
//!   catalogue from elsewhere pass its text in ([`registry::Registry::from_sources`]).
//! * Nothing here panics on input; every failure is an [`Error`] (catalogue problems) or a
//!   [`report::ValidationReport`] (message problems).
//! * The schemas are the contract; the Rust types follow them and the fixture tests prove it.

pub mod annotations;
pub mod casting;
pub mod catalogue;
pub mod codes;
pub mod compat;
mod describe;
mod embedded;
pub mod error;
pub mod evolution;
pub mod model;
pub mod registry;
pub mod report;
mod rules;
pub mod version;

pub use catalogue::MessageType;
pub use error::Error;
pub use registry::{Registry, ValidatedMessage};
pub use report::{ValidationReport, Violation};
