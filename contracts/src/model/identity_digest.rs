//! Payload of `IDENTITY_DIGEST` (M05D 身份视图摘要), a department's adapter (POLICE, HEALTH,
//! CIVIL, STATION) → the hub only; schema `schemas/IDENTITY_DIGEST/v1.json`.
//!
//! A department's view of persons' identities, for reconciliation: the hub compares each
//! entry with what it last sent the department and sends the current
//! [`super::identity_update::IdentityUpdate`] again when they differ. Only pseudonymous ids
//! and hashes travel, never personal information; the envelope carries no `case_id`.
//!
//! Invariants (checked by the schema): at most 5000 persons; every `identity_version` is
//! at least 1; every `digest` is 64 lower-case hex digits (SHA-256 of the canonical JSON of
//! the view, as `hub::identity::digest` computes it).

use serde::{Deserialize, Serialize};

/// A department's report of its view of persons' identities (身份视图摘要).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityDigest {
    /// 摘要时间 (offset date-time): when the view was read.
    pub view_at: String,
    /// 是否全量: `persons` is the department's whole view, so a person the hub linked to the
    /// department but missing here counts as drift.
    pub complete: bool,
    /// 人员摘要, one per person (may be empty).
    pub persons: Vec<PersonDigest>,
}

/// The department's view of one person's identity, as a version and a digest (人员摘要).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDigest {
    /// 人员标识: the hub's pseudonymous id.
    pub person_id: String,
    /// 身份版本号 of the last identity update the department applied (≥ 1).
    pub identity_version: u64,
    /// 视图摘要: lower-case hex SHA-256 of the canonical JSON of the view.
    pub digest: String,
}
