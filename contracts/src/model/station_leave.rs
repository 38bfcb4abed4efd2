//! Payload of `STATION_LEAVE` (M09 离站登记), STATION → HUB (full to CIVIL, summary to POLICE,
//! to HEALTH for inpatients and to ORIGIN for returns); schema `schemas/STATION_LEAVE/v1.json`.
//!
//! The end of a stay: leave mode (CL-LEAVE), destination, the documents the 规程 requires
//! (自行离站声明书, 终止救助通知书, the collector's identity), travel voucher and cash
//! (≤ ¥20), return of deposited belongings, and the days in station. The 10-day rescue period
//! applies to persons aged 16+ without signs of mental disorder or intellectual disability;
//! `exempt_from_10_day_limit` says whether the person is outside it.
//!
//! Invariants (checked by the schema): `SELF_LEAVE_DECLARED` has `self_leave_declaration` and
//! `exempt_from_10_day_limit` false; `COLLECTED_BY_RELATIVE` has `collector` (GB 11643-checked
//! for document types 111/112); `TICKET_SELF_RETURN`, `COLLECTED_BY_RELATIVE`, `ESCORTED_HOME`,
//! `TRANSFERRED_STATION` and `PLACED_CARE` have `destination`; `TICKET_SELF_RETURN` has
//! `travel_voucher`; `ESCORTED_HOME` and `COLLECTED_BY_RELATIVE` have `cross_province`;
//! `TERMINATED` has `termination_notice_ref`; `ESCORTED_HOME` has `return_notice_id`;
//! `over_10_days_reason` is present when `days_in_station` > 10 and the person is not exempt;
//! `cash_given` ≤ 20. The payload's `case_id` equals the envelope's.

use serde::{Deserialize, Serialize};

use super::shared::Attachment;

/// The registration of a person's leave from the station (离站登记).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationLeave {
    /// 救助个案号.
    pub case_id: String,
    /// 离站时间 (offset date-time).
    pub leave_at: String,
    /// 离站方式 (CL-LEAVE).
    pub leave_mode: LeaveMode,
    /// 是否跨省, for escorts and collections home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_province: Option<bool>,
    /// 去向.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Destination>,
    /// 自行离站声明书, for `SELF_LEAVE_DECLARED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_leave_declaration: Option<Attachment>,
    /// 接领人, for `COLLECTED_BY_RELATIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<Collector>,
    /// 乘车凭证, for `TICKET_SELF_RETURN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub travel_voucher: Option<TravelVoucher>,
    /// 发放现金 (CNY, at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_given: Option<f64>,
    /// 寄存物品已退还.
    pub belongings_returned: bool,
    /// 在站天数.
    pub days_in_station: u32,
    /// 不受10天救助期限限制 (under 16, or signs of mental disorder or intellectual disability).
    pub exempt_from_10_day_limit: bool,
    /// 超期原因/备案号, for stays over 10 days of non-exempt persons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_10_days_reason: Option<String>,
    /// 终止救助通知书, for `TERMINATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_notice_ref: Option<Attachment>,
    /// 在站服务及离站登记表.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_register_ref: Option<Attachment>,
    /// 返乡通知号 (`RETURN_HOME_NOTICE` notice_id), for `ESCORTED_HOME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_notice_id: Option<String>,
}

/// How the person left the station (离站方式, CL-LEAVE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeaveMode {
    /// 提供乘车凭证自返.
    TicketSelfReturn,
    /// 自行离站 (声明书).
    SelfLeaveDeclared,
    /// 接领返乡.
    CollectedByRelative,
    /// 护送返乡.
    EscortedHome,
    /// 移交外站.
    TransferredStation,
    /// 送医 (站外救治).
    ToHospital,
    /// 托养/福利机构安置.
    PlacedCare,
    /// 落户安置.
    SettledHukou,
    /// 终止救助.
    Terminated,
    /// 擅自离站.
    Absconded,
    /// 死亡.
    Deceased,
    /// 其他.
    Other,
}

/// Where the person goes (去向).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// GB/T 2260 county code or 12-digit community code.
    pub region_code: String,
    /// 去向地址.
    pub address: String,
    /// 接收单位代码 (GB 32100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_code: Option<String>,
}

/// The relative who collects the person (接领人).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collector {
    /// 姓名.
    pub name: String,
    /// GA/T 2000.156 document type.
    pub id_doc_type: String,
    /// 证件号码.
    pub id_number: String,
    /// GB/T 4761 relation code.
    pub relation_code: String,
    /// 联系电话.
    pub phone: String,
}

/// A travel voucher (乘车凭证).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TravelVoucher {
    /// 交通方式.
    pub mode: TravelMode,
    /// 出发站.
    pub from: String,
    /// 到达站.
    pub to: String,
    /// 中转站 and the rescue station there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_station: Option<String>,
    /// 票号/凭证号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher_no: Option<String>,
}

/// Means of transport (交通方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TravelMode {
    /// 火车.
    Train,
    /// 长途汽车.
    Coach,
    /// 轮船.
    Ship,
    /// 其他.
    Other,
}
