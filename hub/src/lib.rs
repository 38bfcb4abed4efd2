//! The hub: the router between the departments' systems.
//!
//! What will live here (issues "Hub core on RabbitMQ", "Embedded default", "Identity sync"):
//!
//! * `transport` — the `Transport` trait and its two implementations (RabbitMQ via lapin,
//!   and the embedded SQLite queues), held to one conformance suite in `tests/`;
//! * `pipeline` — per ingress message: authenticate the sender, validate against
//!   [`contracts`], authorize, deduplicate by `message_id`, apply effects, route, project
//!   per recipient, cast to the version each recipient reads, and commit all of it with the
//!   outgoing deliveries in one store transaction (transactional outbox);
//! * `recoverability` — the one pure function that decides retry versus dead letter;
//! * `store`, `identity`, `workflow`, `deadlines`, `http`, `telemetry`.
//!
//! Invariant the whole crate will keep: an ingress message is acknowledged only after its
//! effects and every outgoing delivery are durably committed.
//!
//! Today the crate only re-exports the contracts it will route, so that the workspace
//! builds and the dependency direction (hub → contracts, never the reverse) is fixed.

pub use contracts;
