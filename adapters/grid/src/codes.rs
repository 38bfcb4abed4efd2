//! Every code table of the grid platform's interface, in one place: report sources (上报来源),
//! urgency (`level`), the task states the platform shows after the station's feedback
//! (任务状态), the field map of STATION_INTAKE, the canonical↔native field names used to point
//! refusal reasons at native fields, and the receipt codes of both directions.
//!
//! Rule for what gets a table: code lists the platform owns (report source, level, task state,
//! receipt codes) are translated here; code lists the hub owns (CL-*: willingness, health,
//! requested action, place type, outcome, intake channel, …) travel as the hub's codes
//! verbatim, because the platform has no list of its own for them. The platform's event types
//! are local (domain.md §9 q5), so which ones are referrals is configuration
//! ([`crate::config::GridConfig::referral_event_types`]), not a table here.
//!
//! Invariant: every table is a `const` slice searched linearly; a lookup that finds nothing
//! returns `None` and the caller names the native field and the accepted codes.

use adapter_platform_json::codes::{code_for_value, value_for_code};
use contracts::model::referral::{ReporterKind, Urgency};
use contracts::model::referral_outcome::ReferralOutcomeCode;

pub use adapter_platform_json::codes::{SUBJECT_FIELDS, listing, lookup};

/// The default grid event type of a 流浪乞讨人员 sighting (`0306` 流浪乞讨人员发现).
pub const DEFAULT_REFERRAL_EVENT_TYPE: &str = "0306";

/// 上报来源 ↔ 上报人类别.
pub const REPORT_SOURCES: &[(&str, ReporterKind, &str)] = &[
    ("1", ReporterKind::GridWorker, "网格员上报"),
    ("2", ReporterKind::Citizen, "群众上报"),
    ("3", ReporterKind::HotlineOperator, "12345热线"),
];

/// The reporter kind of a 上报来源 code.
pub fn reporter_kind_of(code: &str) -> Option<ReporterKind> {
    value_for_code(REPORT_SOURCES, code)
}

/// The 上报来源 code of a reporter kind.
pub fn report_source_of(kind: ReporterKind) -> Option<&'static str> {
    code_for_value(REPORT_SOURCES, &kind)
}

/// `level` (紧急程度) ↔ urgency.
pub const LEVELS: &[(&str, Urgency, &str)] = &[
    ("1", Urgency::Immediate, "紧急"),
    ("2", Urgency::Normal, "一般"),
];

/// The urgency of a `level`.
pub fn urgency_of(code: &str) -> Option<Urgency> {
    value_for_code(LEVELS, code)
}

/// The `level` of an urgency.
pub fn level_of(urgency: Urgency) -> &'static str {
    code_for_value(LEVELS, &urgency).unwrap_or_default()
}

/// Outcome → its Chinese name and the platform's task state after the feedback: `05` 已办结
/// (the platform verifies and closes the event) or `06` 已退回 (not a rescue matter: the
/// platform re-distributes it). Written on encode, ignored on decode.
pub const OUTCOMES: &[(ReferralOutcomeCode, &str, &str, &str)] = &[
    (ReferralOutcomeCode::Admitted, "已入站", "05", "已办结"),
    (
        ReferralOutcomeCode::SentToHospital,
        "已送医",
        "05",
        "已办结",
    ),
    (
        ReferralOutcomeCode::RefusedSuppliesGiven,
        "拒绝入站已发放物资",
        "05",
        "已办结",
    ),
    (ReferralOutcomeCode::NotFound, "未找到", "05", "已办结"),
    (
        ReferralOutcomeCode::NotEligible,
        "不属救助对象",
        "06",
        "已退回",
    ),
    (
        ReferralOutcomeCode::TransferredPolice,
        "移交公安",
        "05",
        "已办结",
    ),
];

/// The Chinese name, task state code and task state of an outcome.
pub fn outcome_labels(outcome: ReferralOutcomeCode) -> (&'static str, &'static str, &'static str) {
    OUTCOMES
        .iter()
        .find(|(o, _, _, _)| *o == outcome)
        .map_or(("", "", ""), |(_, name, code, state)| {
            (*name, *code, *state)
        })
}

/// How a top-level STATION_INTAKE field is written in the 入站登记通报: under another name
/// and/or as a native time; every other field keeps its value under its camelCase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeField {
    /// Renamed, value unchanged.
    Renamed(&'static str),
    /// Renamed, value an RFC 3339 time ↔ native Beijing time.
    Time(&'static str),
}

/// STATION_INTAKE fields that are not simply their camelCase spelling.
pub const INTAKE_FIELDS: &[(&str, IntakeField)] = &[
    ("case_id", IntakeField::Renamed("rescueCaseId")),
    ("intake_at", IntakeField::Time("intakeTime")),
    (
        "family_notice_due_at",
        IntakeField::Time("familyNoticeDueTime"),
    ),
    (
        "dna_request_due_at",
        IntakeField::Renamed("dnaRequestDueDate"),
    ),
];

/// The order of the fields of 入站登记通报: that of the STATION_INTAKE schema (a field not
/// listed comes last, in key order).
pub const INTAKE_ORDER: &[&str] = &[
    "case_id",
    "intake_at",
    "intake_channel",
    "related_refs",
    "person",
    "physical_description",
    "health_check",
    "security_check_done",
    "prohibited_items_to_police",
    "belongings_deposited",
    "social_assistance_status",
    "vagrancy_reason",
    "vagrancy_since",
    "relatives",
    "eligibility",
    "refusal_notice_ref",
    "fingerprint_captured",
    "photo_captured",
    "national_rescue_record_no",
    "special_categories",
    "guardian",
    "temporary_guardianship",
    "family_notice_due_at",
    "dna_request_due_at",
];

/// Canonical pointer of a REFERRAL field ↔ the native field of the event record, so that a
/// refusal reason also names the field the platform's staff know. Longest prefix wins; the
/// rest of the pointer is appended in camelCase (`[n]` for array positions).
pub const REFERRAL_FIELDS: &[(&str, &str)] = &[
    ("/payload/referral_id", "taskId"),
    ("/payload/source_case_no", "eventId"),
    ("/payload/source_event_class/major", "eventType"),
    ("/payload/source_event_class/minor", "eventSubType"),
    ("/payload/source_event_class/name", "eventName"),
    ("/payload/source_event_class", "eventType"),
    ("/payload/discovered_at", "happenTime"),
    ("/payload/location/address_text", "address"),
    ("/payload/location/region_code", "regionCode"),
    ("/payload/location/community_code", "communityCode"),
    ("/payload/location/grid/grid_code", "gridId"),
    ("/payload/location/grid/grid_name", "gridName"),
    ("/payload/location/grid/community_code", "communityCode"),
    ("/payload/location/grid", "gridId"),
    ("/payload/location/geo/longitude", "gpsx"),
    ("/payload/location/geo/latitude", "gpsy"),
    ("/payload/location/geo/crs", "coordType"),
    ("/payload/location/geo", "coordType"),
    ("/payload/location/place_type", "placeType"),
    ("/payload/reporter/kind", "reportSource"),
    ("/payload/reporter/name", "reportPerson"),
    ("/payload/reporter/phone", "reportPhone"),
    ("/payload/reporter/staff_no", "reportPersonId"),
    ("/payload/reporter/org_code", "reportDeptId"),
    ("/payload/reporter/org_name", "reportDeptName"),
    ("/payload/reporter", "reportPerson"),
    ("/payload/subjects", "persons"),
    ("/payload/suspected_flags", "suspectedFlags"),
    ("/payload/urgency", "level"),
    ("/payload/requested_action", "requestedAction"),
    ("/payload/deadline_at", "deadlineTime"),
    ("/payload/photos", "files"),
    ("/payload/remarks", "desc"),
];

/// The native field a canonical REFERRAL pointer is about (`/payload/subjects/0/health/overall`
/// → `persons[0].health.overall`), if it maps to one.
pub fn native_field_of(pointer: &str) -> Option<String> {
    adapter_platform_json::codes::native_field_of(pointer, REFERRAL_FIELDS)
}

/// `code` of a receipt, both directions (the platform's Spring-style integer codes, equal to
/// the HTTP status the hub answers with).
pub mod receipt {
    /// 操作成功.
    pub const OK: u16 = 200;
    /// 报文格式错误 / 缺少必填项 / 字段值错误: the document is wrong.
    pub const BAD_REQUEST: u16 = 400;
    /// 不受理的事件: an event type or document kind the hub does not take.
    pub const UNSUPPORTED: u16 = 415;
    /// 校验未通过: the hub's contract refused the translated message (reasons in `data`).
    pub const REFUSED: u16 = 422;
    /// 服务暂不可用: resend the same event later.
    pub const UNAVAILABLE: u16 = 503;

    /// Codes the platform answers a delivery with that mean "try again later" even with
    /// HTTP 200: 500 系统异常, 503 服务繁忙, 504 处理超时.
    pub const TRANSIENT_FROM_GRID: &[u16] = &[500, 503, 504];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_bijective_where_they_translate_both_ways() {
        for (code, kind, _) in REPORT_SOURCES {
            assert_eq!(report_source_of(*kind), Some(*code));
            assert_eq!(reporter_kind_of(code), Some(*kind));
        }
        for (code, urgency, _) in LEVELS {
            assert_eq!(level_of(*urgency), *code);
            assert_eq!(urgency_of(code), Some(*urgency));
        }
        assert_eq!(OUTCOMES.len(), 6);
        for (outcome, name, code, state) in OUTCOMES {
            assert_eq!(outcome_labels(*outcome), (*name, *code, *state));
        }
    }

    #[test]
    fn refusal_pointers_name_the_native_field() {
        let cases = [
            (
                "/payload/subjects/0/health/overall",
                Some("persons[0].health.overall"),
            ),
            (
                "/payload/subjects/1/is_minor_suspected",
                Some("persons[1].minorSuspected"),
            ),
            ("/payload/location/grid/grid_code", Some("gridId")),
            ("/payload/location/geo/crs", Some("coordType")),
            ("/payload/reporter/name", Some("reportPerson")),
            ("/payload/photos/0/uri", Some("files[0].uri")),
            ("/payload/urgency", Some("level")),
            ("/sensitivity", None),
            ("", None),
        ];
        for (pointer, native) in cases {
            assert_eq!(native_field_of(pointer).as_deref(), native, "{pointer}");
        }
    }
}
