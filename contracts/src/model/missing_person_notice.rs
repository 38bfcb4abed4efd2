//! Payload of `MISSING_PERSON_NOTICE` (M11, 走失报案通报), POLICE → STATION.
//!
//! Owns the typed view of `schemas/MISSING_PERSON_NOTICE/v1.json`: the police circulate a
//! missing-person report so that the station compares it with the people in its care; the
//! station answers with [`super::missing_person_match::MissingPersonMatch`].
//!
//! Invariants (checked by the schema, not by this type): all timestamps carry an explicit
//! offset; `health_flags` holds each category at most once; `report_no` stays the same on every
//! update of the notice (the update changes `status` or `valid_until`).

use serde::{Deserialize, Serialize};

use super::shared::{
    Attachment, ContactPerson, HealthCategory, Location, PersonIdentity, PhysicalDescription,
};

/// How widely the police circulated the notice (通报范围).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertScope {
    /// 本市 (太仓市).
    Taicang,
    /// 苏州市.
    Suzhou,
    /// 江苏省.
    Jiangsu,
    /// 全国.
    National,
}

/// State of the notice (状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoticeStatus {
    /// 查找中.
    Open,
    /// 已找到.
    Found,
    /// 已撤销.
    Cancelled,
}

/// The missing-person notice (走失报案通报).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingPersonNotice {
    /// 报案/警情编号.
    pub report_no: String,
    /// 报案时间 (offset date-time).
    pub reported_at: String,
    /// 走失人员.
    pub missing_person: PersonIdentity,
    /// 体貌特征/衣着.
    pub physical_description: PhysicalDescription,
    /// 健康状况 (dementia, intellectual disability, psychiatric illness, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_flags: Option<Vec<HealthCategory>>,
    /// 最后出现时间 (offset date-time).
    pub last_seen_at: String,
    /// 最后出现地点.
    pub last_seen_location: Location,
    /// 照片.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<Attachment>,
    /// 报案人联系方式, only when the station may contact the family directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_contact: Option<ContactPerson>,
    /// 通报范围.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_scope: Option<AlertScope>,
    /// 有效期 (date `YYYY-MM-DD`).
    pub valid_until: String,
    /// 状态.
    pub status: NoticeStatus,
}
