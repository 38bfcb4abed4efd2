//! Payload of `POLICE_ESCORT_HANDOVER` (M02 公安护送交接), POLICE → STATION via the hub
//! (summary copy to CIVIL); schema `schemas/POLICE_ESCORT_HANDOVER/v1.json`.
//!
//! The electronic form of 《公安机关护送流浪乞讨人员交接表》 (2015 MCA–MPS 意见, Annex 1):
//! who escorted whom, where and how the person was found, the checks the police made, the
//! person's health and belongings at the handover. The station answers with
//! [`super::handover_ack::HandoverAck`].
//!
//! Invariants (checked by the schema, not by these types): at least one escorting officer,
//! each with a 警号; a police check that was `done` carries its `result`; items retained by
//! the police have disposition `TO_POLICE`; `signed_form_scan` (kind `SIGNED_FORM_SCAN`) is
//! present when `paper_form_used` is true.

use serde::{Deserialize, Serialize};

use super::shared::{
    Attachment, Belonging, HealthState, Location, MatchMethod, MatchResult, Officer, Org,
    PersonIdentity, PhysicalDescription, SuspectedFlag,
};

/// The police escort handover form (公安护送交接表).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliceEscortHandover {
    /// 交接表编号.
    pub handover_no: String,
    /// 护送单位 (派出所, 巡特警大队).
    pub escorting_unit: Org,
    /// 护送民警, at least one, each with 警号.
    pub escort_officers: Vec<Officer>,
    /// 警情/接处警编号 (110 incident number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police_incident_no: Option<String>,
    /// 发现时间 (offset date-time).
    pub found_at: String,
    /// 发现地点.
    pub found_location: Location,
    /// 发现经过.
    pub found_circumstances: String,
    /// 被护送人员.
    pub person: PersonIdentity,
    /// 体貌特征.
    pub physical_description: PhysicalDescription,
    /// 本人陈述.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_statement: Option<String>,
    /// 已做核查 (may be empty).
    pub police_checks: Vec<PoliceCheck>,
    /// 疑似情形.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspected_flags: Option<Vec<SuspectedFlag>>,
    /// 交接时身体状况.
    pub health_at_handover: HealthState,
    /// 随身物品 (may be empty).
    pub belongings: Vec<Belonging>,
    /// 公安留存物品 (disposition `TO_POLICE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_retained_by_police: Option<Vec<Belonging>>,
    /// 出发时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escort_departed_at: Option<String>,
    /// 到站时间.
    pub arrived_at: String,
    /// 是否使用纸质交接表; when true, `signed_form_scan` is mandatory.
    pub paper_form_used: bool,
    /// 纸质交接表扫描件.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_form_scan: Option<Attachment>,
}

/// One check made (or not) by the police before the handover (核查项).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliceCheck {
    /// 核查方式.
    pub check_type: MatchMethod,
    /// 是否已核查.
    pub done: bool,
    /// 核查结果, present when `done` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<MatchResult>,
    /// 核查记录号 (wire name `ref`).
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub check_ref: Option<String>,
}
