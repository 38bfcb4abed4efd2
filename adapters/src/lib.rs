//! Department adapters: each department system is met where it is.
//!
//! What will live here (issue "Department adapters"):
//!
//! * the `Adapter` trait, whose doc comments state when an inbound message is acknowledged
//!   (only after the hub confirmed it durably) and when a delivery is acknowledged (only
//!   after the department system answered success, or the failure was dead-lettered);
//! * one module per department with the same file split (`config`, `native`, `decode`,
//!   `encode`, `service`): POLICE (XML, pinyin field names), HEALTH (HL7 v2.5 over MLLP),
//!   CITYMGMT (GB/T 30428 case JSON), GRID (grid event JSON), STATION (REST JSON);
//! * a simulator of each department system speaking its native protocol.
//!
//! Adapters translate to and from [`contracts`]; they never route.

pub use contracts;
