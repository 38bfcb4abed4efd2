//! Payload of `SETTLEMENT_REQUEST` (M12, 落户安置申请), STATION or CIVIL → POLICE 户政.
//!
//! Owns the typed view of `schemas/SETTLEMENT_REQUEST/v1.json`: the application to register a
//! person unidentified after more than 3 months in care in the collective household of a public
//! institution, with the materials the police service item requires. Answered by
//! [`super::settlement_decision::SettlementDecision`].
//!
//! Invariants (checked by the schema): `person` carries a name and a birth date;
//! `search_efforts` is non-empty and contains at least one `DNA` or `DNA_SAMPLING` entry;
//! `institution_approval_cert` is present when `first_application` is true. Checked by the hub,
//! not here: `first_intake_at` lies more than 3 months back, and a police-escorted person has a
//! `POLICE_ESCORT_HANDOVER` on file.

use serde::{Deserialize, Serialize};

use super::shared::{Attachment, MatchMethod, MatchResult, PersonIdentity};

/// One identity search done for the person (寻亲记录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchEffort {
    /// 寻亲方式.
    pub method: MatchMethod,
    /// 时间 (offset date-time).
    pub done_at: String,
    /// 结果.
    pub result: MatchResult,
    /// 凭证编号 (result, DNA comparison or notice number).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub reference: Option<String>,
}

/// The institution that takes the person into its collective household (安置机构).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementInstitution {
    /// 统一社会信用代码.
    pub org_code: String,
    /// 机构名称.
    pub org_name: String,
    /// 集体户户号.
    pub collective_household_no: String,
}

/// The settlement application (落户安置申请).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementRequest {
    /// 申请编号.
    pub application_no: String,
    /// 救助个案号.
    pub case_id: String,
    /// 人员 (assigned name, estimated birth date, sex).
    pub person: PersonIdentity,
    /// 首次入站时间 (offset date-time).
    pub first_intake_at: String,
    /// 寻亲记录.
    pub search_efforts: Vec<SearchEffort>,
    /// 安置机构.
    pub placement_institution: PlacementInstitution,
    /// 首次申请: the institution applies for the first time.
    pub first_application: bool,
    /// 机构设置批准证书 (first application only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution_approval_cert: Option<Attachment>,
    /// 集体户口簿.
    pub collective_household_register: Attachment,
    /// 公安机关护送交接表 或 "三无"对象收留材料.
    pub escort_handover_form_or_intake_record: Attachment,
    /// 打拐DNA库比对结果.
    pub dna_comparison_result: Attachment,
    /// 民政安置方案.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_plan: Option<Attachment>,
    /// 照片.
    pub photo: Attachment,
}
