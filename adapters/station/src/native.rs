//! The station system's native document types: the JSON its REST API sends and accepts
//! (FORMAT.md has the same rules with examples).
//!
//! A document is `{"head": {…}, "data": {…}}` ([`Document`]): the [`Head`] says what the
//! document is (`docType`, the kind discriminator), which document it is (`docNo`), and
//! carries the envelope facts (case, correlation, sender, legal basis, purpose, sensitivity);
//! `data` is the resource itself, one struct below per message type.
//!
//! Naming and value rules, the same for every resource:
//! * every field name is the canonical contract's field name in lowerCamelCase
//!   (`intake_at` → `intakeAt`, `over_10_days_reason` → `over10DaysReason`); the few
//!   canonical fields that are already called `type` or `ref` keep those names;
//! * times (时间) are Beijing time without offset, `yyyy-MM-dd HH:mm:ss` with optional
//!   fractional seconds ([`BjTime`]); dates are `yyyy-MM-dd` ([`Day`]); partly known dates
//!   (birth dates, 流浪开始时间) are `yyyy`, `yyyy-MM` or `yyyy-MM-dd` ([`PartialDay`]);
//! * code values (enums) are the hub's code lists verbatim (`GRID_REFERRAL`, `TO_POLICE`);
//!   national codes (sex, region, ethnicity, relation, document type) are the GB/GA codes;
//! * optional fields are left out when they have no value (`null` is read as absent).
//!
//! Invariants: each native struct has exactly the fields of its canonical type (the
//! conversion in [`Native`] is an exhaustive struct literal, so a field added to a contract
//! does not compile here until it is mapped); converting canonical → native → canonical is
//! the identity; deserialization rejects unknown fields, so a misspelt field is an error and
//! never silently dropped.

use std::fmt;

use contracts::MessageType;
use contracts::codes::datetime::{
    CivilDate, PartialDate, parse_offset_date_time, parse_partial_date,
};
use contracts::model::admission_ack::AdmissionAck;
use contracts::model::deadline_notice::{DeadlineNotice, EscalationLevel, NoticeTrigger};
use contracts::model::envelope::{LegalBasis, Purpose, Signature, SignatureAlgorithm};
use contracts::model::follow_up_visit::{
    FollowUpVisit, GuardianshipAssessment, LivingCategory, LivingSituation, ReVagrancyRisk,
    Referral as SupportReferral, SchoolingStatus, VisitMode,
};
use contracts::model::handover_ack::{HandoverAck, HandoverDecision, RefusalReason};
use contracts::model::hospital_admission::{
    AdmissionReason, HospitalAdmission, Payer, TreatmentCategory,
};
use contracts::model::hospital_discharge::{
    DischargeType, HospitalDischarge, MentalStateAssessment, NoticeType,
};
use contracts::model::hub_rejected::{HubRejected, RejectionReason, RejectionStage};
use contracts::model::identity_check_ack::{AcceptanceDecision, IdentityCheckAck};
use contracts::model::identity_check_request::IdentityCheckRequest;
use contracts::model::identity_check_result::IdentityCheckResult;
use contracts::model::identity_digest::{IdentityDigest, PersonDigest};
use contracts::model::identity_update::{ChangeType, IdentityDelta, IdentityUpdate, SourceOfTruth};
use contracts::model::incident_report::{
    CertificateIssuer, DeathDetails, IncidentReport, IncidentType, InvolvementRole, Notification,
    PersonInvolved, ReportStage, Severity,
};
use contracts::model::missing_person_match::MissingPersonMatch;
use contracts::model::missing_person_notice::{AlertScope, MissingPersonNotice, NoticeStatus};
use contracts::model::police_escort_handover::{PoliceCheck, PoliceEscortHandover};
use contracts::model::referral::{
    ReferralSubjectV1, ReferralV1, Reporter, ReporterKind, RequestedAction, SourceEventClass,
    SourceSystem, Urgency, Willingness,
};
use contracts::model::referral_outcome::{ReferralOutcome, ReferralOutcomeCode};
use contracts::model::return_home_notice::{
    MinorInfo, ReceivingParty, ReceivingPartyType, ReturnHomeNotice, ReturnMethod, SchoolStatus,
};
use contracts::model::return_home_receipt::{Receiver, ReturnHomeReceipt};
use contracts::model::settlement_decision::{SettlementDecision, SettlementStage};
use contracts::model::settlement_request::{PlacementInstitution, SearchEffort, SettlementRequest};
use contracts::model::station_intake::{
    Eligibility, IntakeChannel, RelatedRef, RelatedRefType, SocialAssistanceStatus,
    SpecialCategory, StationIntake, VagrancyReason, VagrancyReasonCategory,
};
use contracts::model::station_leave::{
    Collector, Destination, LeaveMode, StationLeave, TravelMode, TravelVoucher,
};
use contracts::model::{
    Actor, Attachment, AttachmentKind, Belonging, Build, ContactPerson, Crs, Diagnosis,
    Disposition, HealthCategory, HealthState, IdentityStatus, IntellectualState, Location,
    MatchMethod, MatchResult, MentalState, Org, PersonIdentity, PhysicalDescription, PlaceType,
    Sensitivity, Staff, StaffRole, SuspectedFlag,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Separates the offending value from the explanation inside a deserialization error of
/// [`BjTime`], [`Day`] and [`PartialDay`], so that the decoder can report both
/// (`\u{1f}value\u{1f}detail`); never shown to anyone as such.
pub(crate) const VALUE_MARK: char = '\u{1f}';

/// The offset of Beijing time (China Standard Time, UTC+8) in minutes.
const BEIJING_OFFSET_MINUTES: i64 = 480;

// ------------------------------------------------------------------------------ conversion

/// A native type and the canonical type it stands for; converting one way and back is the
/// identity.
pub(crate) trait Native: Sized {
    /// The canonical (contracts) type.
    type Canon;
    /// The canonical value.
    fn into_canon(self) -> Self::Canon;
    /// The native value of a canonical value.
    fn from_canon(canon: Self::Canon) -> Self;
    /// Whether the field holding this value is left out of the document (optional fields
    /// without a value); used as serde's `skip_serializing_if` on every native field.
    fn absent(&self) -> bool {
        false
    }
}

impl<T: Native> Native for Option<T> {
    type Canon = Option<T::Canon>;
    fn into_canon(self) -> Self::Canon {
        self.map(Native::into_canon)
    }
    fn from_canon(canon: Self::Canon) -> Self {
        canon.map(Native::from_canon)
    }
    fn absent(&self) -> bool {
        self.is_none()
    }
}

impl<T: Native> Native for Vec<T> {
    type Canon = Vec<T::Canon>;
    fn into_canon(self) -> Self::Canon {
        self.into_iter().map(Native::into_canon).collect()
    }
    fn from_canon(canon: Self::Canon) -> Self {
        canon.into_iter().map(Native::from_canon).collect()
    }
}

/// Types written the same way in the native and the canonical format.
macro_rules! verbatim {
    ($($t:ty),* $(,)?) => {
        $(
            impl Native for $t {
                type Canon = $t;
                fn into_canon(self) -> $t {
                    self
                }
                fn from_canon(canon: $t) -> Self {
                    canon
                }
            }
        )*
    };
}

verbatim!(
    String,
    bool,
    u8,
    u16,
    u32,
    u64,
    f64,
    // Code lists: the station system uses the hub's code values verbatim.
    Actor,
    MessageType,
    Sensitivity,
    LegalBasis,
    Purpose,
    SignatureAlgorithm,
    IdentityStatus,
    SuspectedFlag,
    MatchMethod,
    MatchResult,
    HealthCategory,
    StaffRole,
    AttachmentKind,
    Build,
    IntellectualState,
    MentalState,
    Crs,
    PlaceType,
    Disposition,
    SourceSystem,
    ReporterKind,
    Willingness,
    Urgency,
    RequestedAction,
    ReferralOutcomeCode,
    HandoverDecision,
    RefusalReason,
    AcceptanceDecision,
    ChangeType,
    SourceOfTruth,
    TreatmentCategory,
    Payer,
    NoticeType,
    DischargeType,
    MentalStateAssessment,
    IntakeChannel,
    RelatedRefType,
    SocialAssistanceStatus,
    VagrancyReasonCategory,
    Eligibility,
    SpecialCategory,
    LeaveMode,
    TravelMode,
    ReceivingPartyType,
    ReturnMethod,
    SchoolStatus,
    AlertScope,
    NoticeStatus,
    SettlementStage,
    ReportStage,
    IncidentType,
    Severity,
    InvolvementRole,
    CertificateIssuer,
    VisitMode,
    LivingCategory,
    SchoolingStatus,
    GuardianshipAssessment,
    ReVagrancyRisk,
    SupportReferral,
    RejectionStage,
    EscalationLevel,
);

/// Defines a native struct (camelCase, unknown fields rejected, optional fields left out
/// when empty) for a canonical struct of the same fields, its [`Native`] conversion, and
/// its field table (Rust name, meaning) for error messages. Each field is written
/// `name: NativeType = "中文含义"`; the meaning is also the field's doc.
macro_rules! native_struct {
    (
        $(#[$meta:meta])*
        struct $name:ident => $canon:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $meaning:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $name {
            $(
                #[doc = $meaning]
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "Native::absent")]
                pub(crate) $field: $ty,
            )*
        }

        impl Native for $name {
            type Canon = $canon;
            fn into_canon(self) -> $canon {
                $canon { $( $field: Native::into_canon(self.$field), )* }
            }
            fn from_canon(canon: $canon) -> Self {
                Self { $( $field: Native::from_canon(canon.$field), )* }
            }
        }

        impl $name {
            /// Every field: (Rust name, meaning in the station's words).
            pub(crate) const FIELDS: &'static [(&'static str, &'static str)] =
                &[ $( (stringify!($field), $meaning) ),* ];
        }
    };
}

// ------------------------------------------------------------------------- times and dates

/// A time (时间): canonical offset date-time inside, Beijing time `yyyy-MM-dd HH:mm:ss`
/// (fractional seconds kept as written) on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BjTime(pub(crate) String);

impl Native for BjTime {
    type Canon = String;
    fn into_canon(self) -> String {
        self.0
    }
    fn from_canon(canon: String) -> Self {
        BjTime(canon)
    }
}

impl Serialize for BjTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match beijing_time_of(&self.0) {
            Ok(text) => serializer.serialize_str(&text),
            Err(detail) => Err(serde::ser::Error::custom(format!(
                "{:?} is not a canonical timestamp: {detail}",
                self.0
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for BjTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        canonical_time_of(&text)
            .map(BjTime)
            .map_err(|detail| serde::de::Error::custom(value_error(&text, &detail)))
    }
}

/// A date (日期) `yyyy-MM-dd`, the same text in both formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Day(pub(crate) String);

impl Native for Day {
    type Canon = String;
    fn into_canon(self) -> String {
        self.0
    }
    fn from_canon(canon: String) -> Self {
        Day(canon)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match parse_partial_date(&text) {
            Ok(PartialDate::Date(_)) => Ok(Day(text)),
            Ok(_) => Err(serde::de::Error::custom(value_error(
                &text,
                "expected a full date yyyy-MM-dd, e.g. 2025-03-04",
            ))),
            Err(e) => Err(serde::de::Error::custom(value_error(
                &text,
                &format!("expected a date yyyy-MM-dd, e.g. 2025-03-04 ({e})"),
            ))),
        }
    }
}

/// A date known to the year, month or day (`yyyy`, `yyyy-MM`, `yyyy-MM-dd`), the same text
/// in both formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartialDay(pub(crate) String);

impl Native for PartialDay {
    type Canon = String;
    fn into_canon(self) -> String {
        self.0
    }
    fn from_canon(canon: String) -> Self {
        PartialDay(canon)
    }
}

impl Serialize for PartialDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PartialDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match parse_partial_date(&text) {
            Ok(_) => Ok(PartialDay(text)),
            Err(e) => Err(serde::de::Error::custom(value_error(
                &text,
                &format!("expected yyyy, yyyy-MM or yyyy-MM-dd, e.g. 1980 or 1980-05 ({e})"),
            ))),
        }
    }
}

/// The text of a value error: [`VALUE_MARK`], the value, [`VALUE_MARK`], the explanation.
fn value_error(value: &str, detail: &str) -> String {
    format!("{VALUE_MARK}{value}{VALUE_MARK}{detail}")
}

/// The canonical timestamp (`2025-03-04T22:48:10+08:00`) of a native Beijing time
/// (`2025-03-04 22:48:10`, fractional seconds allowed), or why the text is not one.
pub(crate) fn canonical_time_of(native: &str) -> Result<String, String> {
    const EXPECTED: &str = "expected Beijing time yyyy-MM-dd HH:mm:ss, e.g. 2025-03-04 22:48:10";
    let (Some(date), Some(b' '), Some(time)) = (
        native.get(..10),
        native.as_bytes().get(10),
        native.get(11..),
    ) else {
        return Err(format!(
            "{EXPECTED} (date and time separated by one space, no offset)"
        ));
    };
    let candidate = format!("{date}T{time}+08:00");
    match parse_offset_date_time(&candidate) {
        Ok(_) => Ok(candidate),
        Err(e) => Err(format!("{EXPECTED} ({e})")),
    }
}

/// The native Beijing time of a canonical timestamp: the same instant at UTC+8, seconds and
/// fractional digits as written; or why the canonical text is not a timestamp.
pub(crate) fn beijing_time_of(canonical: &str) -> Result<String, String> {
    let parsed = parse_offset_date_time(canonical).map_err(|e| e.to_string())?;
    // `.` and the digits after the seconds, as written (the parse above proved they are ASCII).
    let fraction = canonical
        .get(19..)
        .filter(|rest| rest.starts_with('.'))
        .and_then(|rest| {
            let digits = rest.bytes().skip(1).take_while(u8::is_ascii_digit).count();
            rest.get(..=digits)
        })
        .unwrap_or("");
    let (date, hour, minute) = to_beijing(
        parsed.date,
        parsed.hour,
        parsed.minute,
        parsed.offset_minutes,
    )
    .ok_or_else(|| "the timestamp is outside the years 0000–9999 in Beijing time".to_owned())?;
    Ok(format!(
        "{date} {hour:02}:{minute:02}:{second:02}{fraction}",
        second = parsed.second
    ))
}

/// The Beijing date, hour and minute of a local date, hour and minute at `offset_minutes`
/// from UTC; `None` outside the years 0–9999.
pub(crate) fn to_beijing(
    date: CivilDate,
    hour: u8,
    minute: u8,
    offset_minutes: i16,
) -> Option<(CivilDate, u8, u8)> {
    let minutes = date.to_days_since_epoch() * 1_440 + i64::from(hour) * 60 + i64::from(minute)
        - i64::from(offset_minutes)
        + BEIJING_OFFSET_MINUTES;
    let date = CivilDate::from_days_since_epoch(minutes.div_euclid(1_440))?;
    if !(0..=9_999).contains(&date.year()) {
        return None;
    }
    let in_day = minutes.rem_euclid(1_440);
    let hour = u8::try_from(in_day / 60).ok()?;
    let minute = u8::try_from(in_day % 60).ok()?;
    Some((date, hour, minute))
}

// ------------------------------------------------------------------------------- document

/// One native document: what it is (`head`) and the resource (`data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Document<D> {
    /// 单据头.
    pub(crate) head: Head,
    /// 单据内容: the resource.
    pub(crate) data: D,
}

/// The document head (单据头): kind, number and the envelope facts.
///
/// Fields the station system may leave out when it sends a document are filled from the
/// adapter's configuration ([`adapter_core::DecodeContext`]): `senderOrgCode`,
/// `senderOrgType` (`STATION`), `senderSystem`, `receiverOrgCodes`, `sentAt` (the receive
/// time), `regionCode`, and `schemaVersion` (`1.0.0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Head {
    /// 单据类型: the kind discriminator, e.g. `intake` (see `service::RESOURCES`).
    pub(crate) doc_type: String,
    /// 单据号: the document's number, unique in the station system; the same number on every
    /// re-send of the same document. On documents the hub delivers, the hub's message id.
    pub(crate) doc_no: String,
    /// 结构版本 of the canonical contract (`1.0.0`).
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) schema_version: Option<String>,
    /// 救助个案号.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) case_id: Option<String>,
    /// 关联消息: the `docNo` of the delivered document this one answers.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) correlation_id: Option<String>,
    /// 发送单位代码 (GB 32100).
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) sender_org_code: Option<String>,
    /// 发送单位类别.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) sender_org_type: Option<Actor>,
    /// 发送系统.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) sender_system: Option<String>,
    /// 接收单位代码.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) receiver_org_codes: Option<Vec<String>>,
    /// 发送时间.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) sent_at: Option<BjTime>,
    /// 行政区划 (GB/T 2260).
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) region_code: Option<String>,
    /// 法律依据.
    pub(crate) legal_basis: Vec<LegalBasis>,
    /// 处理目的.
    pub(crate) purpose_code: Purpose,
    /// 敏感级别.
    pub(crate) sensitivity: Sensitivity,
    /// 保存期限.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) retention_until: Option<Day>,
    /// 签名.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) signature: Option<NSignature>,
    /// 附件.
    #[serde(skip_serializing_if = "Native::absent")]
    pub(crate) attachments: Option<Vec<NAttachment>>,
}

impl Head {
    /// Every field of the head: (Rust name, meaning).
    pub(crate) const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("doc_type", "单据类型"),
        ("doc_no", "单据号"),
        ("schema_version", "结构版本"),
        ("case_id", "救助个案号"),
        ("correlation_id", "关联消息"),
        ("sender_org_code", "发送单位代码"),
        ("sender_org_type", "发送单位类别"),
        ("sender_system", "发送系统"),
        ("receiver_org_codes", "接收单位代码"),
        ("sent_at", "发送时间"),
        ("region_code", "行政区划"),
        ("legal_basis", "法律依据"),
        ("purpose_code", "处理目的"),
        ("sensitivity", "敏感级别"),
        ("retention_until", "保存期限"),
        ("signature", "签名"),
        ("attachments", "附件"),
    ];
}

native_struct! {
    /// The sender's signature (签名), as in the envelope.
    struct NSignature => Signature {
        algorithm: SignatureAlgorithm = "签名算法",
        key_id: String = "密钥标识",
        value: String = "签名值 (base64)",
    }
}

// ---------------------------------------------------------------------------- shared types

native_struct! {
    /// 单位.
    struct NOrg => Org {
        org_code: String = "单位代码",
        org_name: String = "单位名称",
    }
}

native_struct! {
    /// 经办人员 (民警、工作人员).
    struct NStaff => Staff {
        name: String = "姓名",
        badge_or_staff_no: Option<String> = "警号/工号",
        org_code: Option<String> = "单位代码",
        org_name: String = "单位名称",
        phone: Option<String> = "联系电话",
        role: Option<StaffRole> = "角色",
    }
}

native_struct! {
    /// 亲属/联系人.
    struct NContactPerson => ContactPerson {
        name: String = "姓名",
        relation_code: Option<String> = "与本人关系 (GB/T 4761)",
        phone: Option<String> = "电话",
        address: Option<String> = "住址",
    }
}

native_struct! {
    /// 附件.
    struct NAttachment => Attachment {
        attachment_id: String = "附件标识",
        kind: AttachmentKind = "附件类别",
        mime_type: String = "文件类型",
        hash: String = "摘要 (sm3:/sha256:)",
        uri: String = "存储地址",
        sensitivity: Option<Sensitivity> = "敏感级别",
    }
}

native_struct! {
    /// 人员身份.
    struct NPersonIdentity => PersonIdentity {
        person_id: Option<String> = "人员标识",
        identity_status: IdentityStatus = "身份状态",
        name: Option<String> = "姓名",
        name_is_assigned: Option<bool> = "是否为代称",
        alias_names: Option<Vec<String>> = "曾用名/自称",
        sex_code: String = "性别 (GB/T 2261.1)",
        birth_date: Option<PartialDay> = "出生日期",
        estimated_age: Option<u8> = "目测年龄",
        ethnicity_code: Option<String> = "民族 (GB/T 3304)",
        nationality_code: Option<String> = "国籍",
        id_doc_type: Option<String> = "证件类型 (GA/T 2000.156)",
        id_number: Option<String> = "证件号码",
        household_region_code: Option<String> = "户籍地区划",
        household_address: Option<String> = "户口所在地详址",
        residence_address: Option<String> = "住所地",
        dialect_or_accent: Option<String> = "口音/方言",
        is_minor: bool = "是否未成年",
        national_rescue_record_no: Option<String> = "全国救助管理信息系统登记号",
    }
}

native_struct! {
    /// 体貌特征.
    struct NPhysicalDescription => PhysicalDescription {
        height_cm: Option<u16> = "身高 (cm)",
        build: Option<Build> = "体型",
        hair: Option<String> = "发型发色",
        distinguishing_marks: Option<String> = "体表特征",
        clothing_when_found: Option<String> = "发现时衣着特征",
        intellectual_state: Option<IntellectualState> = "智力状况",
        mental_state: Option<MentalState> = "精神状态",
        photo_refs: Option<Vec<NAttachment>> = "照片",
    }
}

native_struct! {
    /// 地点.
    struct NLocation => Location {
        address_text: String = "地址描述",
        region_code: String = "行政区划 (GB/T 2260)",
        community_code: Option<String> = "村居代码",
        grid_code: Option<String> = "网格编码",
        longitude: Option<f64> = "经度",
        latitude: Option<f64> = "纬度",
        crs: Option<Crs> = "坐标系",
        place_type: Option<PlaceType> = "场所类型",
    }
}

native_struct! {
    /// 健康状况.
    struct NHealthState => HealthState {
        overall: HealthCategory = "健康状况",
        flags: Option<Vec<HealthCategory>> = "检视发现",
        needs_medical: bool = "需送医",
        notes: Option<String> = "说明",
    }
}

native_struct! {
    /// 随身物品.
    struct NBelonging => Belonging {
        item: String = "物品名称",
        quantity: u32 = "数量",
        description: Option<String> = "特征",
        cash_amount: Option<f64> = "现金 (元)",
        is_document: Option<bool> = "是否证件",
        is_prohibited: Option<bool> = "是否违禁/危险品",
        disposition: Disposition = "处置",
        photo_ref: Option<NAttachment> = "物品照片",
    }
}

native_struct! {
    /// 诊断.
    struct NDiagnosis => Diagnosis {
        code: Option<String> = "诊断代码 (ICD-10)",
        text: String = "诊断名称",
    }
}

// --------------------------------------------------------------- M01 referral (received)

native_struct! {
    /// 来源事件分类.
    struct NSourceEventClass => SourceEventClass {
        major: String = "大类代码",
        minor: Option<String> = "小类代码",
        name: String = "分类名称",
    }
}

native_struct! {
    /// 上报人.
    struct NReporter => Reporter {
        kind: ReporterKind = "上报人类别",
        name: Option<String> = "姓名",
        phone: Option<String> = "联系电话",
        staff_no: Option<String> = "警号/工号/网格员编号",
        org_code: Option<String> = "单位代码",
        org_name: Option<String> = "单位名称",
    }
}

native_struct! {
    /// 转介对象.
    struct NReferralSubject => ReferralSubjectV1 {
        sex_code: String = "性别",
        estimated_age: Option<u8> = "目测年龄",
        is_minor_suspected: bool = "疑似未成年",
        physical_description: Option<NPhysicalDescription> = "体貌特征",
        health: NHealthState = "健康状况",
    }
}

native_struct! {
    /// 发现转介单 (`docType` `referral`), REFERRAL v1.
    struct NReferral => ReferralV1 {
        referral_id: String = "转介单号",
        source_system: SourceSystem = "来源系统",
        source_case_no: String = "来源案卷/事件/警情号",
        source_event_class: Option<NSourceEventClass> = "来源事件分类",
        discovered_at: BjTime = "发现时间",
        location: NLocation = "发现地点",
        reporter: NReporter = "上报人",
        subject_count: u32 = "人数",
        subjects: Vec<NReferralSubject> = "对象",
        willingness: Willingness = "本人意愿",
        suspected_flags: Option<Vec<SuspectedFlag>> = "疑似情形",
        urgency: Urgency = "紧急程度",
        requested_action: RequestedAction = "请求处置",
        deadline_at: Option<BjTime> = "处置时限",
        photos: Option<Vec<NAttachment>> = "照片",
        remarks: Option<String> = "备注",
    }
}

native_struct! {
    /// 转介处置反馈 (`referralOutcome`).
    struct NReferralOutcome => ReferralOutcome {
        referral_id: String = "转介单号",
        source_case_no: String = "来源案卷号",
        signed_at: BjTime = "签收时间",
        arrived_at: Option<BjTime> = "到场时间",
        outcome: ReferralOutcomeCode = "处置结果",
        case_id: Option<String> = "救助个案号",
        closed_at: BjTime = "办结时间",
        handler: NStaff = "处置人",
        note: Option<String> = "说明",
    }
}

// ---------------------------------------------------------------- M02 escort handover

native_struct! {
    /// 核查项.
    struct NPoliceCheck => PoliceCheck {
        check_type: MatchMethod = "核查方式",
        done: bool = "是否已核查",
        result: Option<MatchResult> = "核查结果",
        #[serde(rename = "ref")]
        check_ref: Option<String> = "核查记录号",
    }
}

native_struct! {
    /// 公安机关护送流浪乞讨人员交接表 (`escortHandover`).
    struct NEscortHandover => PoliceEscortHandover {
        handover_no: String = "交接表编号",
        escorting_unit: NOrg = "护送单位",
        escort_officers: Vec<NStaff> = "护送民警",
        police_incident_no: Option<String> = "警情/接处警编号",
        found_at: BjTime = "发现时间",
        found_location: NLocation = "发现地点",
        found_circumstances: String = "发现经过",
        person: NPersonIdentity = "被护送人员",
        physical_description: NPhysicalDescription = "体貌特征",
        self_statement: Option<String> = "本人陈述",
        police_checks: Vec<NPoliceCheck> = "已做核查",
        suspected_flags: Option<Vec<SuspectedFlag>> = "疑似情形",
        health_at_handover: NHealthState = "交接时身体状况",
        belongings: Vec<NBelonging> = "随身物品",
        items_retained_by_police: Option<Vec<NBelonging>> = "公安留存物品",
        escort_departed_at: Option<BjTime> = "出发时间",
        arrived_at: BjTime = "到站时间",
        paper_form_used: bool = "是否使用纸质交接表",
        signed_form_scan: Option<NAttachment> = "纸质交接表扫描件",
    }
}

native_struct! {
    /// 交接签收 (`handoverAck`).
    struct NHandoverAck => HandoverAck {
        handover_no: String = "交接表编号",
        decision: HandoverDecision = "接收决定",
        reason_code: Option<RefusalReason> = "理由",
        receiving_staff: NStaff = "接收人",
        received_at: BjTime = "接收时间",
        condition_on_receipt: Option<NHealthState> = "接收时状况",
        belongings_checked: bool = "物品清点一致",
        discrepancies: Option<String> = "不一致说明",
        case_id: Option<String> = "救助个案号",
    }
}

// ---------------------------------------------------------------- M03–M05D identity

native_struct! {
    /// 协查申请 (`identityCheckRequest`).
    struct NIdentityCheckRequest => IdentityCheckRequest {
        request_id: String = "申请编号",
        case_id: String = "救助个案号",
        request_types: Vec<MatchMethod> = "申请事项",
        claimed_identity: NPersonIdentity = "自述身份",
        physical_description: NPhysicalDescription = "体貌特征",
        face_image: Option<NAttachment> = "人脸照片",
        found_summary: String = "发现/入站经过",
        suspected_flags: Option<Vec<SuspectedFlag>> = "疑似情形",
        intake_at: BjTime = "入站时间",
        requested_by: NStaff = "申请人",
        purpose_note: String = "查询事由",
        due_by: Option<Day> = "期望完成日期",
    }
}

native_struct! {
    /// 核查受理回执 (`identityCheckAck`).
    struct NIdentityCheckAck => IdentityCheckAck {
        request_id: String = "申请编号",
        decision: AcceptanceDecision = "受理决定",
        accepted_methods: Option<Vec<MatchMethod>> = "受理事项",
        rejection_reason: Option<String> = "不予受理原因",
        police_query_no: Option<String> = "公安受理编号",
        handled_by: NStaff = "受理民警/单位",
        acknowledged_at: BjTime = "受理时间",
        expected_result_by: Option<Day> = "预计反馈日期",
    }
}

native_struct! {
    /// 核查/比对结果 (`identityCheckResult`).
    struct NIdentityCheckResult => IdentityCheckResult {
        request_id: String = "申请编号",
        method: MatchMethod = "比对方式",
        result: MatchResult = "结果",
        matched_identity: Option<NPersonIdentity> = "核实身份",
        dna_sample_no: Option<String> = "DNA样本编号",
        dna_sampled_at: Option<BjTime> = "采样时间",
        dna_db_entered: Option<bool> = "已录入打拐DNA库",
        missing_report_no: Option<String> = "关联走失报案号",
        family_contact: Option<NContactPerson> = "亲属联系方式",
        verified_by: NStaff = "核查单位/民警",
        verified_at: BjTime = "核查时间",
        certificate_ref: Option<NAttachment> = "比对结果证明",
    }
}

native_struct! {
    /// 人员身份变更字段.
    struct NIdentityDelta => IdentityDelta {
        person_id: Option<String> = "人员标识",
        identity_status: Option<IdentityStatus> = "身份状态",
        name: Option<String> = "姓名",
        name_is_assigned: Option<bool> = "是否为代称",
        alias_names: Option<Vec<String>> = "曾用名/自称",
        sex_code: Option<String> = "性别",
        birth_date: Option<PartialDay> = "出生日期",
        estimated_age: Option<u8> = "目测年龄",
        ethnicity_code: Option<String> = "民族",
        nationality_code: Option<String> = "国籍",
        id_doc_type: Option<String> = "证件类型",
        id_number: Option<String> = "证件号码",
        household_region_code: Option<String> = "户籍地区划",
        household_address: Option<String> = "户口所在地详址",
        residence_address: Option<String> = "住所地",
        dialect_or_accent: Option<String> = "口音/方言",
        is_minor: Option<bool> = "是否未成年",
        national_rescue_record_no: Option<String> = "全国救助管理信息系统登记号",
    }
}

native_struct! {
    /// 身份信息同步 (`identityUpdate`).
    struct NIdentityUpdate => IdentityUpdate {
        person_id: String = "人员标识",
        case_id: String = "救助个案号",
        identity_version: u64 = "身份版本号",
        change_type: ChangeType = "变更类型",
        changed_fields: NIdentityDelta = "变更字段",
        source_of_truth: SourceOfTruth = "依据",
        evidence_ref: Option<String> = "依据引用",
        effective_at: BjTime = "生效时间",
        merged_into_person_id: Option<String> = "合并至",
    }
}

native_struct! {
    /// 人员摘要.
    struct NPersonDigest => PersonDigest {
        person_id: String = "人员标识",
        identity_version: u64 = "身份版本号",
        digest: String = "视图摘要",
    }
}

native_struct! {
    /// 身份视图摘要 (`identityDigest`).
    struct NIdentityDigest => IdentityDigest {
        view_at: BjTime = "摘要时间",
        complete: bool = "是否全量",
        persons: Vec<NPersonDigest> = "人员摘要",
    }
}

// ---------------------------------------------------------------- M06–M07 hospital

native_struct! {
    /// 送医原因.
    struct NAdmissionReason => AdmissionReason {
        category: HealthCategory = "送医原因类别",
        description: String = "送医原因说明",
    }
}

native_struct! {
    /// 送医单 (`hospitalAdmission`).
    struct NHospitalAdmission => HospitalAdmission {
        transfer_id: String = "送医单号",
        case_id: Option<String> = "救助个案号",
        person: NPersonIdentity = "人员",
        physical_description: Option<NPhysicalDescription> = "体貌特征",
        reason: NAdmissionReason = "送医原因",
        category: TreatmentCategory = "救治类别",
        target_hospital: NOrg = "定点医院",
        escort: Vec<NStaff> = "护送人员",
        departed_at: BjTime = "出发时间",
        arrived_at: BjTime = "到院时间",
        belongings: Option<Vec<NBelonging>> = "随身物品",
        payer: Payer = "费用渠道",
        station_contact: NStaff = "救助站联系人",
    }
}

native_struct! {
    /// 收治确认 (`admissionAck`).
    struct NAdmissionAck => AdmissionAck {
        transfer_id: String = "送医单号",
        admitted: bool = "是否收治",
        admission_no: Option<String> = "住院号",
        admitted_at: Option<BjTime> = "入院时间",
        department: Option<String> = "科室",
        preliminary_diagnosis: Option<Vec<NDiagnosis>> = "初步诊断",
        not_admitted_reason: Option<String> = "未收治原因",
        hospital_contact: NStaff = "医院联系人",
    }
}

native_struct! {
    /// 出院通知 (`hospitalDischarge`).
    struct NHospitalDischarge => HospitalDischarge {
        transfer_id: Option<String> = "送医单号",
        admission_no: Option<String> = "住院号",
        notice_type: NoticeType = "通知类型",
        discharge_at: BjTime = "出院时间",
        discharge_type: DischargeType = "出院方式",
        discharge_certificate: NAttachment = "出院证明",
        discharge_diagnosis: Option<Vec<NDiagnosis>> = "出院诊断",
        care_instructions: Option<String> = "医嘱/用药",
        mental_state_assessment: Option<MentalStateAssessment> = "精神状态评估",
        identity_info_gathered: Option<String> = "住院期间获取的身份线索",
        pickup_required_by: Option<BjTime> = "需接回时间",
    }
}

// ---------------------------------------------------------------- M08–M09 intake and leave

native_struct! {
    /// 关联单据.
    struct NRelatedRef => RelatedRef {
        #[serde(rename = "type")]
        ref_type: RelatedRefType = "单据类型",
        id: String = "单据编号",
    }
}

native_struct! {
    /// 流浪乞讨原因.
    struct NVagrancyReason => VagrancyReason {
        category: VagrancyReasonCategory = "原因类别",
        description: Option<String> = "原因及经过",
    }
}

native_struct! {
    /// 入站登记 (`intake`).
    struct NIntake => StationIntake {
        case_id: String = "救助个案号",
        intake_at: BjTime = "入站时间",
        intake_channel: IntakeChannel = "入站方式",
        related_refs: Option<Vec<NRelatedRef>> = "关联单据",
        person: NPersonIdentity = "人员",
        physical_description: NPhysicalDescription = "体貌特征",
        health_check: NHealthState = "检视结果",
        security_check_done: bool = "已安全检查",
        prohibited_items_to_police: Option<Vec<NBelonging>> = "违禁物品移交公安",
        belongings_deposited: Vec<NBelonging> = "寄存物品",
        social_assistance_status: SocialAssistanceStatus = "是否享受低保/特困供养",
        vagrancy_reason: NVagrancyReason = "流浪乞讨原因",
        vagrancy_since: Option<PartialDay> = "流浪开始时间",
        relatives: Option<Vec<NContactPerson>> = "近亲属及关系密切亲戚",
        eligibility: Eligibility = "甄别结论",
        refusal_notice_ref: Option<NAttachment> = "不予救助通知书",
        fingerprint_captured: bool = "已采集指纹",
        photo_captured: bool = "已采集电子照片",
        national_rescue_record_no: Option<String> = "全国救助管理信息系统登记号",
        special_categories: Option<Vec<SpecialCategory>> = "特殊人员类别",
        guardian: Option<NContactPerson> = "监护人",
        temporary_guardianship: Option<bool> = "民政临时监护",
        family_notice_due_at: Option<BjTime> = "寻亲公告时限",
        dna_request_due_at: Option<Day> = "报请DNA采集时限",
    }
}

native_struct! {
    /// 去向.
    struct NDestination => Destination {
        region_code: String = "去向区划",
        address: String = "去向地址",
        org_code: Option<String> = "接收单位代码",
    }
}

native_struct! {
    /// 接领人.
    struct NCollector => Collector {
        name: String = "接领人姓名",
        id_doc_type: String = "证件类型",
        id_number: String = "证件号码",
        relation_code: String = "与受助人关系",
        phone: String = "联系电话",
    }
}

native_struct! {
    /// 乘车凭证.
    struct NTravelVoucher => TravelVoucher {
        mode: TravelMode = "交通方式",
        from: String = "出发站",
        to: String = "到达站",
        transfer_station: Option<String> = "中转站",
        voucher_no: Option<String> = "票号/凭证号",
    }
}

native_struct! {
    /// 离站登记 (`leave`).
    struct NLeave => StationLeave {
        case_id: String = "救助个案号",
        leave_at: BjTime = "离站时间",
        leave_mode: LeaveMode = "离站方式",
        cross_province: Option<bool> = "是否跨省",
        destination: Option<NDestination> = "去向",
        self_leave_declaration: Option<NAttachment> = "自行离站声明书",
        collector: Option<NCollector> = "接领人",
        travel_voucher: Option<NTravelVoucher> = "乘车凭证",
        cash_given: Option<f64> = "发放现金 (元)",
        belongings_returned: bool = "寄存物品已退还",
        days_in_station: u32 = "在站天数",
        exempt_from_10_day_limit: bool = "不受10天救助期限限制",
        over_10_days_reason: Option<String> = "超期原因/备案号",
        termination_notice_ref: Option<NAttachment> = "终止救助通知书",
        leave_register_ref: Option<NAttachment> = "在站服务及离站登记表",
        return_notice_id: Option<String> = "返乡通知号",
    }
}

// ---------------------------------------------------------------- M10 return home

native_struct! {
    /// 接收方.
    struct NReceivingParty => ReceivingParty {
        #[serde(rename = "type")]
        party_type: ReceivingPartyType = "接收方类型",
        name: String = "接收方名称",
        org_code: Option<String> = "接收单位代码",
        contact: Option<NContactPerson> = "联系人",
    }
}

native_struct! {
    /// 未成年人信息.
    struct NMinorInfo => MinorInfo {
        guardian: Option<NContactPerson> = "监护人",
        guardianship_assessment_summary: String = "家庭监护评估摘要",
        school_status: SchoolStatus = "就学状况",
    }
}

native_struct! {
    /// 返乡通知 (`returnHomeNotice`).
    struct NReturnHomeNotice => ReturnHomeNotice {
        notice_id: String = "通知编号",
        case_id: String = "救助个案号",
        person: NPersonIdentity = "人员",
        origin_region_code: String = "流出地区划",
        origin_address: String = "家庭/户籍详址",
        receiving_party: NReceivingParty = "接收方",
        method: ReturnMethod = "返乡方式",
        planned_departure_at: BjTime = "计划出发时间",
        planned_arrival_at: BjTime = "计划到达时间",
        transport: Option<String> = "交通方式/车次",
        escort_staff: Option<Vec<NStaff>> = "护送人员",
        handover_place: Option<String> = "交接地点",
        special_needs: Option<String> = "特殊照护需求",
        minor_info: Option<NMinorInfo> = "未成年人信息",
        follow_up_required: bool = "需回访",
    }
}

native_struct! {
    /// 接收人.
    struct NReceiver => Receiver {
        name: String = "接收人姓名",
        org: Option<NOrg> = "所在单位",
        relation_code: Option<String> = "与受助人关系",
        id_number: Option<String> = "居民身份证号码",
    }
}

native_struct! {
    /// 返乡交接回执 (`returnHomeReceipt`).
    struct NReturnHomeReceipt => ReturnHomeReceipt {
        notice_id: String = "通知编号",
        handed_over_at: BjTime = "交接时间",
        received_by: NReceiver = "接收人",
        handover_place: Option<String> = "交接地点",
        condition_on_arrival: Option<NHealthState> = "到达时状况",
        issues: Option<String> = "交接问题/说明",
    }
}

// ---------------------------------------------------------------- M11 missing persons

native_struct! {
    /// 走失报案通报 (`missingPersonNotice`).
    struct NMissingPersonNotice => MissingPersonNotice {
        report_no: String = "报案/警情编号",
        reported_at: BjTime = "报案时间",
        missing_person: NPersonIdentity = "走失人员",
        physical_description: NPhysicalDescription = "体貌特征/衣着",
        health_flags: Option<Vec<HealthCategory>> = "健康状况",
        last_seen_at: BjTime = "最后出现时间",
        last_seen_location: NLocation = "最后出现地点",
        photo: Option<NAttachment> = "照片",
        family_contact: Option<NContactPerson> = "报案人联系方式",
        alert_scope: Option<AlertScope> = "通报范围",
        valid_until: Day = "有效期",
        status: NoticeStatus = "状态",
    }
}

native_struct! {
    /// 比对反馈 (`missingPersonMatch`).
    struct NMissingPersonMatch => MissingPersonMatch {
        report_no: String = "报案/警情编号",
        compared_at: BjTime = "比对时间",
        result: MatchResult = "比对结果",
        case_id: Option<String> = "救助个案号",
        candidate_description: Option<String> = "疑似人员情况",
        station_contact: NStaff = "救助站联系人",
    }
}

// ---------------------------------------------------------------- M12 settlement

native_struct! {
    /// 寻亲记录.
    struct NSearchEffort => SearchEffort {
        method: MatchMethod = "寻亲方式",
        done_at: BjTime = "时间",
        result: MatchResult = "结果",
        #[serde(rename = "ref")]
        reference: Option<String> = "凭证编号",
    }
}

native_struct! {
    /// 安置机构.
    struct NPlacementInstitution => PlacementInstitution {
        org_code: String = "统一社会信用代码",
        org_name: String = "机构名称",
        collective_household_no: String = "集体户户号",
    }
}

native_struct! {
    /// 落户安置申请 (`settlementRequest`).
    struct NSettlementRequest => SettlementRequest {
        application_no: String = "申请编号",
        case_id: String = "救助个案号",
        person: NPersonIdentity = "人员",
        first_intake_at: BjTime = "首次入站时间",
        search_efforts: Vec<NSearchEffort> = "寻亲记录",
        placement_institution: NPlacementInstitution = "安置机构",
        first_application: bool = "首次申请",
        institution_approval_cert: Option<NAttachment> = "机构设置批准证书",
        collective_household_register: NAttachment = "集体户口簿",
        escort_handover_form_or_intake_record: NAttachment = "护送交接表或“三无”对象收留材料",
        dna_comparison_result: NAttachment = "打拐DNA库比对结果",
        placement_plan: Option<NAttachment> = "民政安置方案",
        photo: NAttachment = "照片",
    }
}

native_struct! {
    /// 落户审批结果 (`settlementDecision`).
    struct NSettlementDecision => SettlementDecision {
        application_no: String = "申请编号",
        stage: SettlementStage = "审批阶段",
        decided_at: BjTime = "办理时间",
        reason: Option<String> = "理由",
        assigned_id_number: Option<String> = "落户后公民身份号码",
        household_region_code: Option<String> = "户籍地区划",
        registered_at: Option<BjTime> = "落户时间",
    }
}

// ---------------------------------------------------------------- M13 incidents

native_struct! {
    /// 涉及人员.
    struct NPersonInvolved => PersonInvolved {
        case_id: Option<String> = "救助个案号",
        person_id: Option<String> = "人员标识",
        role: InvolvementRole = "角色",
    }
}

native_struct! {
    /// 已通知单位.
    struct NNotification => Notification {
        org: String = "通知单位",
        at: BjTime = "通知时间",
    }
}

native_struct! {
    /// 死亡信息.
    struct NDeathDetails => DeathDetails {
        died_at: BjTime = "死亡时间",
        place: String = "死亡地点",
        certificate_issuer: CertificateIssuer = "死亡证明出具",
        certificate_ref: Option<String> = "死亡证明编号",
        cause_summary: Option<String> = "死因摘要",
        body_location: Option<String> = "遗体存放地点",
        family_notified_at: Option<BjTime> = "通知家属时间",
        public_notice_until: Option<Day> = "认领公告截止日期",
    }
}

native_struct! {
    /// 突发事件报告 (`incidentReport`).
    struct NIncidentReport => IncidentReport {
        incident_id: String = "事件编号",
        report_stage: ReportStage = "报告阶段",
        occurred_at: BjTime = "发生时间",
        discovered_at: BjTime = "发现时间",
        first_report_due_at: BjTime = "首报时限",
        incident_type: IncidentType = "事件类型",
        severity: Severity = "等级",
        location: NLocation = "地点",
        persons_involved: Vec<NPersonInvolved> = "涉及人员",
        description: String = "经过",
        actions_taken: String = "已采取措施",
        notified: Vec<NNotification> = "已通知单位",
        police_case_no: Option<String> = "公安案(警)情号",
        death_details: Option<NDeathDetails> = "死亡信息",
        attachments: Option<Vec<NAttachment>> = "附件",
    }
}

// ---------------------------------------------------------------- M14 follow-up

native_struct! {
    /// 生活状况.
    struct NLivingSituation => LivingSituation {
        category: LivingCategory = "生活状况类别",
        description: String = "情况说明",
    }
}

native_struct! {
    /// 回访记录 (`followUpVisit`).
    struct NFollowUpVisit => FollowUpVisit {
        visit_id: String = "回访编号",
        case_id: String = "原救助个案号",
        visit_no: u32 = "第几次回访",
        visited_at: BjTime = "回访时间",
        mode: VisitMode = "回访方式",
        visitor: NStaff = "回访人",
        subject_is_minor: bool = "回访对象是否未成年",
        guardian_present: Option<bool> = "监护人在场",
        living_situation: NLivingSituation = "生活状况",
        schooling_status: Option<SchoolingStatus> = "就学状况",
        guardianship_assessment: Option<GuardianshipAssessment> = "监护评估",
        re_vagrancy_risk: ReVagrancyRisk = "再流浪风险",
        referrals: Option<Vec<SupportReferral>> = "转介帮扶",
        next_visit_due: Option<Day> = "下次回访日期",
    }
}

// ---------------------------------------------------------------- hub rejection notice

native_struct! {
    /// 拒收原因.
    struct NRejectionReason => RejectionReason {
        pointer: String = "出错位置 (JSON pointer)",
        code: String = "规则",
        message: String = "说明",
    }
}

native_struct! {
    /// 枢纽拒收通知 (`hubRejection`).
    struct NHubRejection => HubRejected {
        rejected_message_id: Option<String> = "被拒消息标识",
        rejected_message_type: Option<String> = "被拒消息类型",
        received_at: BjTime = "接收时间",
        stage: RejectionStage = "拒收环节",
        reasons: Vec<NRejectionReason> = "拒收原因",
        dead_letter_ref: String = "死信引用",
        retry_allowed: bool = "可否重发",
    }
}

// ---------------------------------------------------------------- hub deadline notice

native_struct! {
    /// 起因: the message that started the clock.
    struct NNoticeTrigger => NoticeTrigger {
        message_id: String = "触发消息标识",
        message_type: MessageType = "触发消息类型",
        sender: Actor = "触发消息发送方",
    }
}

native_struct! {
    /// 时限提醒 (`deadlineNotice`).
    struct NDeadlineNotice => DeadlineNotice {
        notice_id: String = "提醒编号",
        rule: String = "规则名",
        description: String = "时限",
        basis: String = "依据",
        item_key: String = "事项",
        step: u32 = "第几次",
        clock_start: BjTime = "起算时间",
        due_at: BjTime = "到期时间",
        fired_at: BjTime = "提醒时间",
        trigger: NNoticeTrigger = "起因",
        required_action: String = "需办理事项",
        escalation_level: EscalationLevel = "提醒级别",
    }
}

/// Runs `$f::<N>(args…)` with `N` the native type of `$message_type` (one arm per message
/// type: a type added to the catalogue does not compile here until it has a native type).
macro_rules! with_native_type {
    ($message_type:expr, $f:ident ( $($arg:expr),* )) => {{
        use contracts::MessageType as T;
        use $crate::native as n;
        match $message_type {
            T::Referral => $f::<n::NReferral>($($arg),*),
            T::ReferralOutcome => $f::<n::NReferralOutcome>($($arg),*),
            T::PoliceEscortHandover => $f::<n::NEscortHandover>($($arg),*),
            T::HandoverAck => $f::<n::NHandoverAck>($($arg),*),
            T::IdentityCheckRequest => $f::<n::NIdentityCheckRequest>($($arg),*),
            T::IdentityCheckAck => $f::<n::NIdentityCheckAck>($($arg),*),
            T::IdentityCheckResult => $f::<n::NIdentityCheckResult>($($arg),*),
            T::IdentityUpdate => $f::<n::NIdentityUpdate>($($arg),*),
            T::IdentityDigest => $f::<n::NIdentityDigest>($($arg),*),
            T::HospitalAdmission => $f::<n::NHospitalAdmission>($($arg),*),
            T::AdmissionAck => $f::<n::NAdmissionAck>($($arg),*),
            T::HospitalDischarge => $f::<n::NHospitalDischarge>($($arg),*),
            T::StationIntake => $f::<n::NIntake>($($arg),*),
            T::StationLeave => $f::<n::NLeave>($($arg),*),
            T::ReturnHomeNotice => $f::<n::NReturnHomeNotice>($($arg),*),
            T::ReturnHomeReceipt => $f::<n::NReturnHomeReceipt>($($arg),*),
            T::MissingPersonNotice => $f::<n::NMissingPersonNotice>($($arg),*),
            T::MissingPersonMatch => $f::<n::NMissingPersonMatch>($($arg),*),
            T::SettlementRequest => $f::<n::NSettlementRequest>($($arg),*),
            T::SettlementDecision => $f::<n::NSettlementDecision>($($arg),*),
            T::IncidentReport => $f::<n::NIncidentReport>($($arg),*),
            T::FollowUpVisit => $f::<n::NFollowUpVisit>($($arg),*),
            T::HubRejected => $f::<n::NHubRejection>($($arg),*),
            T::DeadlineNotice => $f::<n::NDeadlineNotice>($($arg),*),
        }
    }};
}
pub(crate) use with_native_type;

/// The field tables of every native struct, for the meaning of a field named in an error.
const FIELD_TABLES: &[&[(&str, &str)]] = &[
    Head::FIELDS,
    NSignature::FIELDS,
    NOrg::FIELDS,
    NStaff::FIELDS,
    NContactPerson::FIELDS,
    NAttachment::FIELDS,
    NPersonIdentity::FIELDS,
    NPhysicalDescription::FIELDS,
    NLocation::FIELDS,
    NHealthState::FIELDS,
    NBelonging::FIELDS,
    NDiagnosis::FIELDS,
    NSourceEventClass::FIELDS,
    NReporter::FIELDS,
    NReferralSubject::FIELDS,
    NReferral::FIELDS,
    NReferralOutcome::FIELDS,
    NPoliceCheck::FIELDS,
    NEscortHandover::FIELDS,
    NHandoverAck::FIELDS,
    NIdentityCheckRequest::FIELDS,
    NIdentityCheckAck::FIELDS,
    NIdentityCheckResult::FIELDS,
    NIdentityDelta::FIELDS,
    NIdentityUpdate::FIELDS,
    NPersonDigest::FIELDS,
    NIdentityDigest::FIELDS,
    NAdmissionReason::FIELDS,
    NHospitalAdmission::FIELDS,
    NAdmissionAck::FIELDS,
    NHospitalDischarge::FIELDS,
    NRelatedRef::FIELDS,
    NVagrancyReason::FIELDS,
    NIntake::FIELDS,
    NDestination::FIELDS,
    NCollector::FIELDS,
    NTravelVoucher::FIELDS,
    NLeave::FIELDS,
    NReceivingParty::FIELDS,
    NMinorInfo::FIELDS,
    NReturnHomeNotice::FIELDS,
    NReceiver::FIELDS,
    NReturnHomeReceipt::FIELDS,
    NMissingPersonNotice::FIELDS,
    NMissingPersonMatch::FIELDS,
    NSearchEffort::FIELDS,
    NPlacementInstitution::FIELDS,
    NSettlementRequest::FIELDS,
    NSettlementDecision::FIELDS,
    NPersonInvolved::FIELDS,
    NNotification::FIELDS,
    NDeathDetails::FIELDS,
    NIncidentReport::FIELDS,
    NLivingSituation::FIELDS,
    NFollowUpVisit::FIELDS,
    NRejectionReason::FIELDS,
    NHubRejection::FIELDS,
    NNoticeTrigger::FIELDS,
    NDeadlineNotice::FIELDS,
];

/// What a native field means, in the station's words (`idNumber` → `证件号码`); the first
/// struct that has a field of that name decides.
pub(crate) fn meaning_of(native_name: &str) -> &'static str {
    match native_name {
        "head" => return "单据头",
        "data" => return "单据内容",
        "type" => return "类型",
        "ref" => return "引用编号",
        _ => {}
    }
    FIELD_TABLES
        .iter()
        .flat_map(|table| table.iter())
        .find(|(rust, _)| camel_case(rust) == native_name)
        .map_or("必填项", |(_, meaning)| meaning)
}

/// A canonical (snake_case) field name in the station's lowerCamelCase, by serde's rule:
/// `over_10_days_reason` → `over10DaysReason`.
pub(crate) fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.push(ch.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

// ---------------------------------------------------------------------------- receipts

/// The station system's receipt (回执), the body of every answer the adapter gives it and of
/// every answer it gives to a delivery:
/// `{"success": true, "code": "ACCEPTED", "message": "…", "docNo": "…", "messageIds": […]}`
/// or `{"success": false, "code": "…", "message": "…", "errors": [{pointer, code, message}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Receipt {
    /// 是否成功.
    pub(crate) success: bool,
    /// 结果代码: `ACCEPTED`, `REFUSED`, `MALFORMED`, `UNSUPPORTED_KIND`, `MISSING_FIELD`,
    /// `INVALID_FIELD`, `HUB_UNAVAILABLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<String>,
    /// 说明, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
    /// 单据号 of the answered document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) doc_no: Option<String>,
    /// 单据类型 of the answered document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) doc_type: Option<String>,
    /// The hub's message ids of an accepted document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message_ids: Option<Vec<String>>,
    /// 可否重发: whether sending the same document again later may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retryable: Option<bool>,
    /// 错误明细.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) errors: Option<Vec<ReceiptError>>,
}

/// One reason a document was not accepted (错误明细).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReceiptError {
    /// JSON pointer into the station's document (`/data/person/idNumber`); `""` for the
    /// whole document.
    #[serde(default)]
    pub(crate) pointer: String,
    /// The same place in the hub's canonical message (`/payload/person/id_number`), for
    /// refusals by the hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) canonical_pointer: Option<String>,
    /// Rule broken.
    #[serde(default)]
    pub(crate) code: String,
    /// 说明.
    #[serde(default)]
    pub(crate) message: String,
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "[{}] {}", self.code, self.message)
        } else {
            write!(f, "{} [{}] {}", self.pointer, self.code, self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn beijing_time_both_ways() {
        assert_eq!(
            canonical_time_of("2025-03-04 22:48:10").unwrap(),
            "2025-03-04T22:48:10+08:00"
        );
        assert_eq!(
            canonical_time_of("2025-03-04 22:48:10.418").unwrap(),
            "2025-03-04T22:48:10.418+08:00"
        );
        assert_eq!(
            beijing_time_of("2025-03-04T22:48:10.418+08:00").unwrap(),
            "2025-03-04 22:48:10.418"
        );
        // Another offset: the same instant in Beijing time.
        assert_eq!(
            beijing_time_of("2025-03-04T18:30:05Z").unwrap(),
            "2025-03-05 02:30:05"
        );
        assert_eq!(
            beijing_time_of("2025-01-01T01:00:00+09:30").unwrap(),
            "2024-12-31 23:30:00"
        );
    }

    #[test]
    fn bad_native_times_are_refused() {
        for bad in [
            "2025-03-04T22:48:10",
            "2025-03-04 22:48:10+08:00",
            "2025/03/04 22:48:10",
            "2025-02-30 10:00:00",
            "2025-03-04 24:00:00",
            "2025-03-04 22:48",
            "2025-03-04",
            "",
            "２０２５-03-04 22:48:10",
            "2025-03-04 22:48:10.",
        ] {
            assert!(canonical_time_of(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn camel_case_follows_serde() {
        assert_eq!(camel_case("over_10_days_reason"), "over10DaysReason");
        assert_eq!(
            camel_case("exempt_from_10_day_limit"),
            "exemptFrom10DayLimit"
        );
        assert_eq!(camel_case("id_number"), "idNumber");
        assert_eq!(camel_case("ref"), "ref");
    }

    #[test]
    fn meanings_are_found_by_native_name() {
        assert_eq!(meaning_of("idNumber"), "证件号码");
        assert_eq!(meaning_of("docNo"), "单据号");
        assert_eq!(meaning_of("sexCode"), "性别 (GB/T 2261.1)");
        assert_eq!(meaning_of("noSuchField"), "必填项");
    }

    #[test]
    fn optional_fields_are_left_out_and_null_is_absent() {
        let org: NStaff = serde_json::from_str(r#"{"name":"王","orgName":"站","phone":null}"#)
            .expect("null reads as absent");
        assert_eq!(org.phone, None);
        assert_eq!(
            serde_json::to_string(&org).unwrap(),
            r#"{"name":"王","orgName":"站"}"#
        );
        let missing = serde_json::from_str::<NStaff>(r#"{"name":"王"}"#).unwrap_err();
        assert!(missing.to_string().contains("missing field `orgName`"));
    }
}
