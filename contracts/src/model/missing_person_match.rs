//! Payload of `MISSING_PERSON_MATCH` (M11R, 比对反馈), STATION → POLICE.
//!
//! Owns the typed view of `schemas/MISSING_PERSON_MATCH/v1.json`: the station's answer to a
//! [`super::missing_person_notice::MissingPersonNotice`] (envelope `correlation_id` = the
//! notice's `message_id`), saying whether someone in its care matches.
//!
//! Invariants (checked by the schema): `case_id` is present when `result` is `MATCHED` or
//! `CANDIDATES`; `candidate_description` is present when `result` is `CANDIDATES`.

use serde::{Deserialize, Serialize};

use super::shared::{MatchResult, Staff};

/// The comparison feedback (比对反馈).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingPersonMatch {
    /// 报案/警情编号 of the notice compared.
    pub report_no: String,
    /// 比对时间 (offset date-time).
    pub compared_at: String,
    /// 比对结果.
    pub result: MatchResult,
    /// 救助个案号 of the matched person or closest candidate (MATCHED / CANDIDATES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// 疑似人员情况 (CANDIDATES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_description: Option<String>,
    /// 救助站联系人.
    pub station_contact: Staff,
}
