//! The schema files, embedded at build time by `build.rs` (see there).

include!(concat!(env!("OUT_DIR"), "/embedded_schemas.rs"));
