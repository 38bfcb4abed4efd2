//! Per-department settings: how a department authenticates (broker user, hashed HTTP
//! tokens, the organisation codes it may send as), which contract version it reads, and
//! which fields it may receive.
//!
//! Invariants: tokens are never stored, only their SHA-256 (64 lowercase hex digits); a
//! token lookup hashes the presented token once and compares it with *every* configured
//! hash in constant time, so the time taken says nothing about which hash nearly matched.

use std::collections::BTreeMap;

use contracts::annotations::FieldPolicy;
use contracts::model::{Actor, Sensitivity};
use serde::Deserialize;

/// One department's settings (`[departments.<CODE>]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentConfig {
    /// Its RabbitMQ user: messages published by this user (validated `user_id`) are from
    /// this department. Absent → the department cannot publish over AMQP.
    #[serde(default)]
    pub broker_user: Option<String>,
    /// SHA-256 hashes (64 lowercase hex digits) of its HTTP bearer tokens; several allow
    /// rotation. Never the tokens themselves.
    #[serde(default)]
    pub http_token_sha256: Vec<String>,
    /// GB 32100 unified social credit codes it may send as (`sender_org_code`).
    #[serde(default)]
    pub org_codes: Vec<String>,
    /// The contract major version it reads, per message type; types not listed: 1.
    #[serde(default)]
    pub reads: BTreeMap<String, u32>,
    /// The highest sensitivity it may receive (`GENERAL`, `SENSITIVE`, `SENSITIVE_MINOR`).
    /// Default `GENERAL`.
    #[serde(default = "default_max_sensitivity")]
    pub max_sensitivity: Sensitivity,
    /// The `x-pii` kinds it may receive (`name`, `id_number`, `health`, …). Default none.
    #[serde(default)]
    pub allowed_pii: Vec<String>,
    /// Narrower policies for some message types (`[departments.<CODE>.narrow.<TYPE>]`): the
    /// "S" (summary) entries of the distribution matrix (domain.md §7.4) where the
    /// department-wide policy is the "F" of other types. A narrower policy can only remove:
    /// its kinds must be among `allowed_pii`, its sensitivity at most `max_sensitivity`.
    #[serde(default)]
    pub narrow: BTreeMap<String, NarrowPolicy>,
}

/// A narrower policy for one message type (see [`DepartmentConfig::narrow`]); an absent key
/// keeps the department-wide value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrowPolicy {
    /// The highest sensitivity of a field it receives in messages of this type.
    #[serde(default)]
    pub max_sensitivity: Option<Sensitivity>,
    /// The `x-pii` kinds it receives in messages of this type (a subset of the
    /// department's `allowed_pii`).
    #[serde(default)]
    pub allowed_pii: Option<Vec<String>>,
}

/// The default [`DepartmentConfig::max_sensitivity`]: least privilege.
pub fn default_max_sensitivity() -> Sensitivity {
    Sensitivity::General
}

impl Default for DepartmentConfig {
    fn default() -> Self {
        DepartmentConfig {
            broker_user: None,
            http_token_sha256: Vec::new(),
            org_codes: Vec::new(),
            reads: BTreeMap::new(),
            max_sensitivity: default_max_sensitivity(),
            allowed_pii: Vec::new(),
            narrow: BTreeMap::new(),
        }
    }
}

impl DepartmentConfig {
    /// The department-wide field policy for projection.
    pub fn field_policy(&self) -> FieldPolicy {
        FieldPolicy {
            max_sensitivity: Some(self.max_sensitivity),
            allowed_pii: self.allowed_pii.iter().cloned().collect(),
        }
    }

    /// The field policy for messages of `message_type`: the department-wide one, narrowed by
    /// [`DepartmentConfig::narrow`] (never widened, even by a configuration validation would
    /// refuse).
    pub fn field_policy_for(&self, message_type: &str) -> FieldPolicy {
        let mut policy = self.field_policy();
        if let Some(narrow) = self.narrow.get(message_type) {
            if let Some(max) = narrow.max_sensitivity {
                policy.max_sensitivity = Some(max.min(self.max_sensitivity));
            }
            if let Some(kinds) = &narrow.allowed_pii {
                policy.allowed_pii.retain(|kind| kinds.contains(kind));
            }
        }
        policy
    }
}

/// The SHA-256 of a token as 64 lowercase hex digits, the form `http_token_sha256` holds
/// (`printf %s TOKEN | sha256sum`).
pub fn token_sha256(token: &str) -> String {
    crate::store::sha256_hex(token.as_bytes())
}

/// Whether two byte strings are equal, in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// The department whose configured hashes include the token's hash.
pub(super) fn department_of_token(
    departments: &BTreeMap<Actor, DepartmentConfig>,
    token: &str,
) -> Option<Actor> {
    if token.is_empty() {
        return None;
    }
    let presented = token_sha256(token);
    let mut found = None;
    for (actor, department) in departments {
        for hash in &department.http_token_sha256 {
            // Compare every hash (no early exit); configured hashes are compared in lower
            // case, which is the only form validation accepts.
            if constant_time_eq(presented.as_bytes(), hash.as_bytes()) && found.is_none() {
                found = Some(*actor);
            }
        }
    }
    found
}

/// Whether the token's hash is one of `hashes` (every hash compared, in constant time).
pub(super) fn is_one_of(hashes: &[String], token: &str) -> bool {
    if token.is_empty() {
        return false;
    }
    let presented = token_sha256(token);
    let mut found = false;
    for hash in hashes {
        found |= constant_time_eq(presented.as_bytes(), hash.as_bytes());
    }
    found
}

/// Whether a configured hash has the required form.
pub(super) fn is_token_hash(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_matches_sha256sum() {
        // printf %s abc | sha256sum
        assert_eq!(
            token_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_token_hash(&token_sha256("anything")));
        assert!(!is_token_hash(&token_sha256("x").to_uppercase()));
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
