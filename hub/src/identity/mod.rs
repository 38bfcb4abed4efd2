//! The identity registry (身份登记): one pseudonymous `person_id` per person, the links to
//! each department's local identifiers, the current identity record with a version that
//! only grows, its status and each field's provenance; identity checks as tracked requests;
//! the IDENTITY_UPDATE sync to every department linked to the person; reconciliation of the
//! departments' views by digest. Design: ADR 0012.
//!
//! # Layout
//!
//! * [`record`] — the record and the pure decisions on it (verify, corroborate, conflict,
//!   a department's update, merge);
//! * [`config`] — `[identity]`: subscribers and the due dates of checks;
//! * [`links`] — which accepted message links which department to a person, by which local
//!   identifier;
//! * [`digest`] — the digest of a department's view, shared with the adapter runtime;
//! * [`store`] — the registry's tables and the per-message update, inside the accepted
//!   message's transaction;
//! * [`sync`] — the hub's IDENTITY_UPDATE: envelope, message ids, recipients, projection;
//! * [`http`] — `GET /v1/identity/…` (persons, checks, reviews, drift);
//! * [`read`] — read models for the API and `hubctl identity` (person, checks, reviews, drift).
//!
//! # Invariants
//!
//! * Every registry change commits in the same store transaction as the message that caused
//!   it and as the IDENTITY_UPDATEs it produces (transactional outbox): a change is never
//!   visible without its updates, nor an update without its change.
//! * A person's version increases by exactly 1 per change; each version is kept.
//! * The hub's IDENTITY_UPDATE carries the whole record the recipient may see, so a
//!   department that applies only versions at least as new as the one it holds converges
//!   whatever the delivery order.
//! * A refused message (unknown request, stale version, bad merge) changes nothing.

pub mod config;
pub mod digest;
pub mod http;
pub mod links;
pub mod read;
pub mod record;
pub mod store;
pub mod sync;

pub use config::IdentityConfig;
pub use read::{Access, CheckView, DriftView, PersonView, ReviewView};
pub use store::{IdentityEffects, IdentityMessage, IdentityRefusal, owns};
