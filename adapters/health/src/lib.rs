//! The HEALTH adapter (卫健 / designated hospitals): the hospital HIS's HL7 v2.5 messages
//! (ER7 "pipe" encoding over MLLP) ↔ the hub's canonical contracts.
//!
//! Owns, for the HIS of the designated hospital:
//! * [`hl7`]: an ER7 parser and writer honouring the delimiters a message declares, with
//!   escape sequences, repetitions, components and subcomponents;
//! * [`mllp`]: MLLP framing as pure functions (frame, streaming deframer with a size limit);
//! * [`native`]: which HL7 message carries which canonical type, the interface's local codes
//!   (`99TCH`) and Z-segments, the data-type conversions and the shared segment mappers;
//! * [`HealthCodec`] ([`codec`]): decode, encode, the ACK answer and reading the HIS's ACK;
//! * [`config`], [`service`]: the adapter's settings and its MLLP endpoints (declarative).
//!
//! Message types (both ways each; `FORMAT.md` has the field-by-field specification):
//!
//! | canonical | HL7 | direction |
//! |---|---|---|
//! | REFERRAL | `REF^I12` | HIS → hub |
//! | ADMISSION_ACK | `ADT^A01` admitted / `ADT^A38` not admitted | HIS → hub |
//! | HOSPITAL_DISCHARGE | `ADT^A16` planned / `ADT^A03` discharged | HIS → hub |
//! | INCIDENT_REPORT | `ORU^R01`, OBR-4 `INCIDENT_REPORT` | both |
//! | HOSPITAL_ADMISSION | `ADT^A05` pre-admit (the hospital-transfer request) | hub → HIS |
//! | IDENTITY_UPDATE | `ADT^A08` + `ZID` | hub → HIS |
//! | REFERRAL_OUTCOME | `RRI^I12` | hub → HIS |
//! | STATION_LEAVE | `ORU^R01`, OBR-4 `STATION_LEAVE` | hub → HIS |
//! | HUB_REJECTED | `ACK` with MSA-1 `AR` + `ZHR` | hub → HIS |
//!
//! Invariants: pure, deterministic and total (any bytes decode to envelopes or a
//! [`adapter_core::CodecError`] naming segment and field, never a panic; fuzzed);
//! `decode(encode(m)) == m` for every type above, apart from the `message_id` a decode
//! derives from MSH-10 and the sender identity a decode takes from its context
//! (property-tested); written messages never contain the MLLP block bytes.

pub mod codec;
pub mod config;
pub mod hl7;
pub mod mllp;
pub mod native;
pub mod service;

mod ack;
mod decode;
mod encode;

pub use codec::HealthCodec;
pub use config::HealthConfig;
