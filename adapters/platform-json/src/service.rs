//! How a JSON platform adapter writes down its endpoints, as data: which native document
//! goes where, in which direction, and what answers it. Each adapter's `service` module
//! holds its paths and its table of [`Endpoint`]s; the runtime that serves and calls them is
//! written elsewhere.
//!
//! Invariant: declarative data only.

use contracts::catalogue::MessageType;

/// Who calls whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The platform calls the hub.
    ToHub,
    /// The hub calls the platform.
    FromHub,
}

/// One endpoint of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Who calls.
    pub direction: Direction,
    /// HTTP method.
    pub method: &'static str,
    /// Path (on the hub for [`Direction::ToHub`], under `base_url` otherwise).
    pub path: &'static str,
    /// The native document sent (FORMAT.md names).
    pub document: &'static str,
    /// The canonical message types it carries.
    pub message_types: &'static [MessageType],
    /// What the callee answers.
    pub answer: &'static str,
}
