//! The hub: the router between the departments' systems.
//!
//! # Layout
//!
//! * [`transport`] — the `Transport` trait with its delivery rules, and its two
//!   implementations: RabbitMQ ([`transport::amqp`]) and the embedded SQLite queues
//!   ([`transport::embedded`], the default when no broker is configured);
//! * [`config`] — typed configuration (`hub.toml` + `HUB_…` environment), validated without
//!   I/O before anything starts; the authorization matrix and the route table;
//! * [`recoverability`] — the one pure function deciding retry versus dead letter;
//! * [`store`] — the hub's SQLite store: inbox (deduplication), outbox, per-stream sequence
//!   numbers, dead-letter index; [`relay`] moves the outbox into the queues (RabbitMQ:
//!   publish with confirms, then mark; embedded: enqueue and mark in one transaction);
//! * [`pipeline`] — per ingress message: authenticate, validate, authorize, deduplicate,
//!   route, project, cast, commit; [`ingress`] runs it per department queue;
//! * [`dead_letters`] — the dead-letter index and replay;
//! * [`deadlines`] — the deadline engine: rules from the configuration, durable timers armed
//!   and met in the commits of the messages that cause them, escalations fired through the
//!   outbox, the deadline board;
//! * [`http`] — HTTP ingress (`POST /v1/messages`), the deadline board (`GET /v1/deadlines`),
//!   `/healthz`, `/readyz`;
//! * [`app`] — wiring and graceful shutdown (intake, then in-flight work, then the outbox);
//! * [`demo`] — `hub demo`: one realistic case played through a complete in-process hub.
//!
//! The binary (`src/main.rs`) runs with no configuration at all: the built-in example
//! configuration on the embedded transport, data in `./data/hub.sqlite`.
//!
//! # Invariants
//!
//! * An ingress message is acknowledged only after its effects and every outgoing message
//!   (deliveries, or the refusal notice and the dead-letter copy) are committed in one store
//!   transaction (transactional outbox). With the embedded transport the outbox rows reach
//!   their queues in one further transaction that also marks them, so a crash never
//!   duplicates a delivery.
//! * A message reaches a department only through the pipeline's authorization and
//!   projection; nothing is delivered that the department may not receive.

pub mod app;
pub mod cases;
pub mod config;
pub mod dead_letters;
pub mod deadlines;
pub mod demo;
pub mod http;
pub mod identity;
pub mod ingress;
pub mod pipeline;
pub mod recoverability;
pub mod relay;
pub mod store;
pub mod transport;

pub use contracts;
