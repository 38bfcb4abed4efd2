//! Every code table of the 数字城管 interface, in one place: the event classification
//! (GB/T 30428 事件大类/小类), the case lifecycle stages (环节), case sources (案件来源),
//! urgency (紧急程度), the handling result the 城管 system verifies (处理结果), and the
//! receipt and error codes of both directions (`code` in `{"code","msg","data"}`).
//!
//! Rule for what gets a table: code lists the 数字城管 system owns (event tree, stages,
//! sources, urgency, its receipt codes) are translated here; code lists the hub owns (CL-*:
//! willingness, health, requested action, suspected flags, place type, outcome, …) travel as
//! the hub's codes verbatim, because the 城管 system has no list of its own for them.
//!
//! Invariant: every table is a `const` slice searched linearly (they are short); a lookup
//! that finds nothing returns `None`, and the caller turns that into a [`CodecError`] that
//! names the native field and lists the accepted codes.
//!
//! [`CodecError`]: adapter_core::CodecError

use adapter_platform_json::codes::{code_for_value, value_for_code};
use contracts::model::referral::{ReporterKind, Urgency};
use contracts::model::referral_outcome::ReferralOutcomeCode;

pub use adapter_platform_json::codes::{SUBJECT_FIELDS, listing, lookup};

/// 大类 05 街面秩序: the only major class the hub takes.
pub const STREET_ORDER_MAJOR: &str = "05";
/// 小类 02 流浪乞讨 under 05: the only minor class the hub takes.
pub const VAGRANCY_BEGGING_MINOR: &str = "02";
/// 案件类型 2 事件 (event case); 1 is 部件 (component case), never a referral.
pub const CASE_TYPE_EVENT: &str = "2";

/// 事件大类 (GB/T 30428 event tree as mirrored in domain.md §4.1; verify against Taicang's
/// own 数字城管 code table, domain.md §9 q4).
pub const EVENT_MAJOR_CLASSES: &[(&str, &str)] = &[
    ("01", "市容环境"),
    ("02", "宣传广告"),
    ("03", "施工管理"),
    ("04", "突发事件"),
    ("05", "街面秩序"),
];

/// 小类 under 05 街面秩序 (domain.md §4.1), used to name a refused class in the error.
pub const STREET_ORDER_MINOR_CLASSES: &[(&str, &str)] = &[
    ("01", "无照经营游商"),
    ("02", "流浪乞讨"),
    ("03", "占道废品收购"),
    ("04", "店外经营"),
    ("05", "机动车乱停放"),
    ("06", "非机动车乱停放"),
    ("07", "乱堆物料"),
    ("08", "商业噪音"),
    ("09", "黑车拉客"),
    ("10", "露天烧烤"),
    ("11", "沿街晾挂"),
    ("12", "非法出版物销售"),
    ("13", "空调室外机低挂"),
    ("99", "其他街面秩序问题"),
];

/// The name of an event class for messages: `05-01 街面秩序/无照经营游商`, or the bare codes
/// when the table does not know them.
pub fn event_class_label(major: &str, minor: &str) -> String {
    let major_name = lookup(EVENT_MAJOR_CLASSES, major);
    let minor_name = if major == STREET_ORDER_MAJOR {
        lookup(STREET_ORDER_MINOR_CLASSES, minor)
    } else {
        None
    };
    match (major_name, minor_name) {
        (Some(a), Some(b)) => format!("{major}-{minor} {a}/{b}"),
        (Some(a), None) => format!("{major}-{minor} {a}/?"),
        _ => format!("{major}-{minor}"),
    }
}

/// A stage of the case lifecycle (案卷环节, GB/T 30428 / CJJ/T 106 "七个环节" steps 2–6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// 01 立案: the supervision centre filed the case.
    Register,
    /// 02 派遣: the command centre dispatched it to a handling unit (here: the station).
    Dispatch,
    /// 03 处置: the handling unit is working on it.
    Handle,
    /// 04 核查: the inspector re-checks on site.
    Verify,
    /// 05 结案: closed.
    Close,
}

/// 环节 code ↔ stage ↔ name.
pub const STAGES: &[(&str, Stage, &str)] = &[
    ("01", Stage::Register, "立案"),
    ("02", Stage::Dispatch, "派遣"),
    ("03", Stage::Handle, "处置"),
    ("04", Stage::Verify, "核查"),
    ("05", Stage::Close, "结案"),
];

/// The stage of a 环节 code.
pub fn stage_of(code: &str) -> Option<Stage> {
    value_for_code(STAGES, code)
}

/// The 环节 code and name of a stage.
pub fn stage_code(stage: Stage) -> (&'static str, &'static str) {
    STAGES
        .iter()
        .find(|(_, s, _)| *s == stage)
        .map_or(("", ""), |(c, _, n)| (*c, *n))
}

/// 案件来源 ↔ 上报人类别. Sources without a person who reported (视频采集, 领导交办) have no
/// reporter kind in the canonical model and are not translated.
pub const CASE_SOURCES: &[(&str, ReporterKind, &str)] = &[
    ("1", ReporterKind::CityInspector, "监督员上报"),
    ("2", ReporterKind::Citizen, "公众举报"),
    ("3", ReporterKind::HotlineOperator, "12345热线"),
];

/// The reporter kind of a 案件来源 code.
pub fn reporter_kind_of(code: &str) -> Option<ReporterKind> {
    value_for_code(CASE_SOURCES, code)
}

/// The 案件来源 code of a reporter kind.
pub fn case_source_of(kind: ReporterKind) -> Option<&'static str> {
    code_for_value(CASE_SOURCES, &kind)
}

/// 紧急程度 of a dispatch ↔ urgency.
pub const URGENCIES: &[(&str, Urgency, &str)] = &[
    ("1", Urgency::Immediate, "紧急"),
    ("2", Urgency::Normal, "一般"),
];

/// The urgency of a 紧急程度 code.
pub fn urgency_of(code: &str) -> Option<Urgency> {
    value_for_code(URGENCIES, code)
}

/// The 紧急程度 code of an urgency.
pub fn urgency_code(urgency: Urgency) -> &'static str {
    code_for_value(URGENCIES, &urgency).unwrap_or_default()
}

/// 处理结果 the 城管 system records for 核查结案, derived from the station's outcome:
/// `1` 已处置 (the inspector verifies and closes), `2` 无法处置 (nobody found on site; the
/// inspector verifies the spot), `3` 退回 (not a rescue matter: the command centre
/// re-dispatches to another unit). Written on encode as `handleState`, ignored on decode
/// (the outcome itself is carried as `handleResult`).
pub const OUTCOMES: &[(ReferralOutcomeCode, &str, &str)] = &[
    (ReferralOutcomeCode::Admitted, "已入站", "1"),
    (ReferralOutcomeCode::SentToHospital, "已送医", "1"),
    (
        ReferralOutcomeCode::RefusedSuppliesGiven,
        "拒绝入站已发放物资",
        "1",
    ),
    (ReferralOutcomeCode::NotFound, "未找到", "2"),
    (ReferralOutcomeCode::NotEligible, "不属救助对象", "3"),
    (ReferralOutcomeCode::TransferredPolice, "移交公安", "1"),
];

/// The Chinese name and 处理结果 code of an outcome.
pub fn outcome_labels(outcome: ReferralOutcomeCode) -> (&'static str, &'static str) {
    OUTCOMES
        .iter()
        .find(|(o, _, _)| *o == outcome)
        .map_or(("", ""), |(_, name, state)| (*name, *state))
}

/// `code` of a receipt: what the hub answers the 城管 system, and what the 城管 system
/// answers the hub. `0` is success; `1xxx` the document is wrong (do not resend as is);
/// `2xxx` the hub refused the content (correct and resend); `5xxx` try again later.
pub mod receipt {
    /// 接收成功.
    pub const OK: &str = "0";
    /// 报文格式错误: not JSON, or JSON of the wrong shape.
    pub const MALFORMED: &str = "1001";
    /// 不受理的案卷: a class, case type or stage the hub does not take.
    pub const UNSUPPORTED: &str = "1002";
    /// 缺少必填项.
    pub const MISSING_FIELD: &str = "1003";
    /// 字段值错误.
    pub const INVALID_FIELD: &str = "1004";
    /// 校验未通过: the hub's contract refused the translated message (reasons in `data`).
    pub const REFUSED: &str = "2001";
    /// 服务暂不可用: the hub could not confirm; resend the same case later.
    pub const UNAVAILABLE: &str = "5001";

    /// Codes the 城管 system answers a delivery with that mean "try again later" even with
    /// HTTP 200: 5001 系统繁忙, 5002 数据库不可用, 5003 处理超时.
    pub const TRANSIENT_FROM_CITYMGMT: &[&str] = &["5001", "5002", "5003"];
}

/// Canonical pointer of a REFERRAL field ↔ the native field it comes from, so that a
/// refusal reason (which points into the canonical message) also names the field the 城管
/// system's staff know. Longest prefix wins; the rest of the pointer is appended in
/// camelCase (`[n]` for array positions).
pub const REFERRAL_FIELDS: &[(&str, &str)] = &[
    ("/payload/referral_id", "dispatch.dispatchNo"),
    ("/payload/source_case_no", "caseNo"),
    ("/payload/source_event_class/major", "mainTypeCode"),
    ("/payload/source_event_class/minor", "subTypeCode"),
    ("/payload/source_event_class/name", "mainTypeName"),
    ("/payload/source_event_class", "mainTypeCode"),
    ("/payload/discovered_at", "discoverTime"),
    ("/payload/location/address_text", "address"),
    ("/payload/location/region_code", "regionCode"),
    ("/payload/location/community_code", "communityCode"),
    ("/payload/location/geo/longitude", "longitude"),
    ("/payload/location/geo/latitude", "latitude"),
    ("/payload/location/geo/crs", "coordinateSystem"),
    ("/payload/location/geo", "coordinateSystem"),
    ("/payload/location/place_type", "placeType"),
    ("/payload/reporter/kind", "caseSource"),
    ("/payload/reporter/staff_no", "reporter.code"),
    ("/payload/reporter", "reporter"),
    ("/payload/subjects", "rescueInfo.persons"),
    ("/payload/suspected_flags", "rescueInfo.suspectedFlags"),
    ("/payload/urgency", "dispatch.urgency"),
    ("/payload/requested_action", "dispatch.requestedAction"),
    ("/payload/deadline_at", "dispatch.deadline"),
    ("/payload/photos", "photos"),
    ("/payload/remarks", "description"),
];

/// The native field a canonical REFERRAL pointer is about (`/payload/subjects/0/health/overall`
/// → `rescueInfo.persons[0].health.overall`), if it maps to one.
pub fn native_field_of(pointer: &str) -> Option<String> {
    adapter_platform_json::codes::native_field_of(pointer, REFERRAL_FIELDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_bijective_where_they_translate_both_ways() {
        for (code, kind, _) in CASE_SOURCES {
            assert_eq!(case_source_of(*kind), Some(*code));
            assert_eq!(reporter_kind_of(code), Some(*kind));
        }
        for (code, urgency, _) in URGENCIES {
            assert_eq!(urgency_code(*urgency), *code);
            assert_eq!(urgency_of(code), Some(*urgency));
        }
        for (code, stage, name) in STAGES {
            assert_eq!(stage_code(*stage), (*code, *name));
            assert_eq!(stage_of(code), Some(*stage));
        }
    }

    #[test]
    fn event_class_labels_name_the_class() {
        assert_eq!(event_class_label("05", "02"), "05-02 街面秩序/流浪乞讨");
        assert_eq!(event_class_label("05", "01"), "05-01 街面秩序/无照经营游商");
        assert_eq!(event_class_label("01", "07"), "01-07 市容环境/?");
        assert_eq!(event_class_label("88", "01"), "88-01");
    }

    #[test]
    fn every_outcome_has_labels() {
        for (outcome, name, state) in OUTCOMES {
            assert_eq!(outcome_labels(*outcome), (*name, *state));
        }
        assert_eq!(OUTCOMES.len(), 6);
    }

    #[test]
    fn refusal_pointers_name_the_native_field() {
        let cases = [
            (
                "/payload/subjects/0/health/overall",
                Some("rescueInfo.persons[0].health.overall"),
            ),
            (
                "/payload/subjects/1/sex_code",
                Some("rescueInfo.persons[1].sex"),
            ),
            ("/payload/location/region_code", Some("regionCode")),
            ("/payload/reporter/org_code", Some("reporter.orgCode")),
            ("/payload/photos/0/mime_type", Some("photos[0].mimeType")),
            ("/payload/urgency", Some("dispatch.urgency")),
            ("/sensitivity", None),
            ("", None),
        ];
        for (pointer, native) in cases {
            assert_eq!(native_field_of(pointer).as_deref(), native, "{pointer}");
        }
    }
}
