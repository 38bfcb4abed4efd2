//! The adapter runtime: what every department adapter does the same way, whatever the
//! department's native format.
//!
//! * [`adapter`] — the [`Adapter`] trait (a department's codec, its decode context, how its
//!   system is reached) and the **delivery rules** every adapter keeps, as doc comments.
//! * [`inbound`] — department system → hub: decode, validate, publish with confirmation,
//!   answer in the department's own format; refused documents are kept ([`store`]).
//! * [`http_listener`] — the HTTP listener that feeds [`inbound`] (MLLP lives with HEALTH).
//! * [`outbound`] — hub → department system: consume the department's delivery queue,
//!   deduplicate by `message_id`, cast, encode, call the system, settle.
//! * [`link`] — how a native document reaches the department system ([`DepartmentLink`];
//!   HTTP with reqwest here, MLLP in the HEALTH adapter).
//! * [`breaker`] — the circuit breaker in front of every link; [`backoff`] — jittered
//!   exponential back-off.
//! * [`store`] — the adapter's own SQLite file: delivered `message_id`s, refused inbound
//!   documents, and the department's versioned view of each person's identity.
//! * [`identity`] — reconciliation: the identity view reported to the hub as
//!   `IDENTITY_DIGEST` messages (periodically and on demand).
//! * [`config`] — [`RuntimeConfig`], shared by all adapters.
//!
//! Adapters translate and carry; they never route (the hub does) and never answer a
//! department "accepted" before the hub has the message durably.

pub mod adapter;
pub mod backoff;
pub mod breaker;
pub mod config;
pub mod error;
pub mod http_listener;
pub mod identity;
pub mod inbound;
pub mod link;
pub mod outbound;
pub mod store;
#[cfg(test)]
mod testing;

pub use adapter::Adapter;
pub use config::RuntimeConfig;
pub use error::RuntimeError;
pub use link::DepartmentLink;
