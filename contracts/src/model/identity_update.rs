//! Payload of `IDENTITY_UPDATE` (M05 身份信息同步), STATION (owner of the identity record) or
//! HUB → subscribers (POLICE, HEALTH, CIVIL); schema `schemas/IDENTITY_UPDATE/v1.json`.
//!
//! Carries only the changed fields of a person's identity ([`IdentityDelta`]) and the
//! registry's `identity_version`.
//!
//! Invariants: `identity_version` is at least 1 and grows with every change of the person's
//! record, so a receiver applies an update only when its version is newer than the one it
//! holds (late or repeated deliveries never roll an identity back); `changed_fields` has at
//! least one field; `merged_into_person_id` is present when `change_type` is `MERGED` (the
//! last two are checked by the schema).

use serde::{Deserialize, Serialize};

use super::shared::IdentityStatus;

/// A change of a person's identity, sent to the subscribers (身份信息同步).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityUpdate {
    /// 人员标识.
    pub person_id: String,
    /// 救助个案号.
    pub case_id: String,
    /// 身份版本号 of the record after this change (≥ 1, increasing).
    pub identity_version: u64,
    /// 变更类型.
    pub change_type: ChangeType,
    /// 变更字段: the new values of the changed fields.
    pub changed_fields: IdentityDelta,
    /// 依据.
    pub source_of_truth: SourceOfTruth,
    /// 依据引用.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_ref: Option<String>,
    /// 生效时间 (offset date-time).
    pub effective_at: String,
    /// 合并至, when `MERGED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into_person_id: Option<String>,
}

impl IdentityUpdate {
    /// Whether a receiver holding version `held` (none if it holds no version) must apply
    /// this update: only strictly newer versions are applied.
    pub fn supersedes(&self, held: Option<u64>) -> bool {
        held.is_none_or(|v| self.identity_version > v)
    }
}

/// Kind of identity change (变更类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeType {
    /// 身份核实.
    Verified,
    /// 更正.
    Corrected,
    /// 合并 (duplicate records).
    Merged,
    /// 死亡.
    Deceased,
    /// 已落户.
    Settled,
}

/// What the change rests on (依据).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SourceOfTruth {
    /// 公安人口信息系统.
    PolicePopulationDb,
    /// DNA 比对.
    Dna,
    /// 人像比对.
    Face,
    /// 证件/证明.
    Document,
    /// 亲属确认.
    Family,
}

/// A delta of [`super::shared::PersonIdentity`] (人员身份变更): the changed fields with
/// their new values, every field optional; absent fields are unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityDelta {
    /// 人员标识.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// 身份状态.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_status: Option<IdentityStatus>,
    /// 姓名.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The name was given by the station (代称).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_is_assigned: Option<bool>,
    /// 曾用名/自称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_names: Option<Vec<String>>,
    /// GB/T 2261.1 sex code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex_code: Option<String>,
    /// Birth date, possibly partial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// 目测年龄.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_age: Option<u8>,
    /// GB/T 3304 ethnicity code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity_code: Option<String>,
    /// ISO 3166-1 alpha-3 nationality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality_code: Option<String>,
    /// GA/T 2000.156 document type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_doc_type: Option<String>,
    /// 证件号码.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// 户籍地区划 (6 or 12 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_region_code: Option<String>,
    /// 户口所在地详址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_address: Option<String>,
    /// 住所地.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence_address: Option<String>,
    /// 口音/方言.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect_or_accent: Option<String>,
    /// 是否未成年.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_minor: Option<bool>,
    /// 全国救助管理信息系统登记号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_rescue_record_no: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(version: u64) -> IdentityUpdate {
        IdentityUpdate {
            person_id: "P-320585-000123".to_owned(),
            case_id: "TC-2025-0312".to_owned(),
            identity_version: version,
            change_type: ChangeType::Corrected,
            changed_fields: IdentityDelta {
                name: Some("张三".to_owned()),
                ..IdentityDelta::default()
            },
            source_of_truth: SourceOfTruth::Document,
            evidence_ref: None,
            effective_at: "2025-03-02T10:00:00+08:00".to_owned(),
            merged_into_person_id: None,
        }
    }

    #[test]
    fn only_newer_versions_supersede() {
        assert!(update(1).supersedes(None));
        assert!(update(3).supersedes(Some(2)));
        assert!(!update(2).supersedes(Some(2)));
        assert!(!update(1).supersedes(Some(2)));
    }
}
