//! The `adapter` binary's library: one process runs one department's adapter, chosen by its
//! configuration (a tagged enum, not a plugin registry).
//!
//! * [`config`] — the file: `[department]` (tagged by `department = "POLICE"` …, holding
//!   that department's own settings) and `[runtime]` (hub connection, store, outbound
//!   policy, identity report interval);
//! * [`departments`] — for each department, how its adapter is assembled: codec, decode
//!   context, link to its system, and which listener it needs (HTTP or MLLP);
//! * [`mllp`] — the MLLP listener and link of the HEALTH adapter (TCP, framing from
//!   `adapter_health::mllp`);
//! * [`run`] — starts the listener, the outbound loop and the periodic identity report on
//!   a transport and stops them;
//! * [`demo`] — `adapter demo`: the hub, the five adapters and the department systems'
//!   simulators in one process, one case carried through the systems' native formats.
//!
//! Invariant: everything department-specific is in [`departments`]; the delivery rules are
//! the runtime's ([`adapter_runtime::adapter`]) and the same for all.

pub mod config;
pub mod demo;
pub mod departments;
pub mod mllp;
pub mod run;
