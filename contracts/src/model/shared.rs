//! Serde types for the shared definitions of `schemas/common/v1.json`.
//!
//! Invariant: each type mirrors its schema definition field for field, so a value that
//! validates against the schema deserializes, and serializing it back gives the same JSON
//! (optional fields absent stay absent). Code-list values (region, sex, ethnicity, …) stay
//! `String`s here: the schema's custom formats check them, and [`crate::codes`] interprets them.

use serde::{Deserialize, Serialize};

/// Party of the exchange (参与方).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Actor {
    /// 公安 police.
    Police,
    /// 卫健 health commission and designated hospitals.
    Health,
    /// 城管 digital city management.
    Citymgmt,
    /// 网格 social-governance grid platform.
    Grid,
    /// 民政局 civil affairs bureau.
    Civil,
    /// 救助管理站 rescue station.
    Station,
    /// 流出地 outflow-area station, civil affairs or township outside Taicang.
    Origin,
    /// The hub itself.
    Hub,
}

impl Actor {
    /// Every actor, in declaration order.
    pub const ALL: [Actor; 8] = [
        Actor::Police,
        Actor::Health,
        Actor::Citymgmt,
        Actor::Grid,
        Actor::Civil,
        Actor::Station,
        Actor::Origin,
        Actor::Hub,
    ];

    /// The departments: every actor but the hub itself (each has queues and a broker user).
    pub const DEPARTMENTS: [Actor; 7] = [
        Actor::Police,
        Actor::Health,
        Actor::Citymgmt,
        Actor::Grid,
        Actor::Civil,
        Actor::Station,
        Actor::Origin,
    ];

    /// The actor of a wire code (`"GRID"`), if it is one.
    pub fn from_code(code: &str) -> Option<Actor> {
        Actor::ALL.into_iter().find(|a| a.as_str() == code)
    }

    /// The wire code, e.g. `"POLICE"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Actor::Police => "POLICE",
            Actor::Health => "HEALTH",
            Actor::Citymgmt => "CITYMGMT",
            Actor::Grid => "GRID",
            Actor::Civil => "CIVIL",
            Actor::Station => "STATION",
            Actor::Origin => "ORIGIN",
            Actor::Hub => "HUB",
        }
    }
}

/// Sensitivity level (敏感级别), ordered from least to most sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Sensitivity {
    /// 一般.
    General,
    /// 敏感个人信息 (PIPL art. 28).
    Sensitive,
    /// 未成年人信息: all personal information of minors.
    SensitiveMinor,
}

/// How far a person's identity is established (身份状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentityStatus {
    /// 无法查明.
    Unknown,
    /// 自述.
    SelfReported,
    /// 证件.
    Document,
    /// 公安核实.
    VerifiedPolice,
    /// DNA 比中.
    VerifiedDna,
    /// 人像比中.
    VerifiedFace,
    /// 结果冲突待复核.
    Conflict,
    /// 已死亡.
    Deceased,
    /// 已落户.
    Settled,
}

/// Suspected situation (疑似情形).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SuspectedFlag {
    /// 走失.
    Lost,
    /// 被遗弃.
    Abandoned,
    /// 被拐卖.
    Trafficked,
    /// 无人监护未成年人.
    UnaccompaniedMinor,
}

/// Identity check method (核查/比对方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchMethod {
    /// 人口信息查询.
    PopulationDb,
    /// 走失人口库比对.
    MissingDb,
    /// 人像比对.
    Face,
    /// 采集DNA入打拐库.
    DnaSampling,
    /// DNA 比对.
    Dna,
    /// 户籍地核查.
    HouseholdCheck,
    /// 指纹比对.
    Fingerprint,
    /// 视频回溯.
    Cctv,
    /// 走访调查.
    Canvass,
    /// 协查通报.
    AlertNotice,
    /// 寻亲公告.
    PublicNotice,
}

/// Result of a check or comparison (结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchResult {
    /// 比中.
    Matched,
    /// 疑似.
    Candidates,
    /// 未比中.
    NoMatch,
    /// 已采样待比对.
    SampledPending,
    /// 不予受理.
    Rejected,
}

/// Health category (健康状况).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthCategory {
    /// 健康.
    Healthy,
    /// 危重.
    Critical,
    /// 精神病/疑似精神障碍.
    Mental,
    /// 智力障碍.
    Intellectual,
    /// 肢体残疾.
    PhysicalDisability,
    /// 疑似传染病.
    InfectiousSuspected,
    /// 明显外伤.
    Injured,
    /// 醉酒.
    Intoxicated,
    /// 疑似吸毒.
    DrugSuspected,
}

/// An organisation (单位).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// 统一社会信用代码 (GB 32100).
    pub org_code: String,
    /// 单位名称.
    pub org_name: String,
}

/// Role of a staff member in an exchange (角色).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StaffRole {
    /// 护送.
    Escort,
    /// 接收.
    Receiver,
    /// 经办/处置.
    Handler,
    /// 上报.
    Reporter,
    /// 申请.
    Requester,
    /// 核查.
    Verifier,
    /// 回访.
    Visitor,
    /// 联系人.
    Contact,
    /// 医生.
    Doctor,
}

/// A person acting for an organisation (经办人员). The schema's `Officer` is the same shape
/// with `badge_or_staff_no` required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// 姓名.
    pub name: String,
    /// 警号/工号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge_or_staff_no: Option<String>,
    /// 单位代码.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_code: Option<String>,
    /// 单位名称.
    pub org_name: String,
    /// 联系电话.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 角色.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<StaffRole>,
}

/// A police officer or staff member identified by number; same shape as [`Staff`].
pub type Officer = Staff;

/// A relative or other contact of the person (亲属/联系人).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPerson {
    /// 姓名.
    pub name: String,
    /// GB/T 4761 relation code (与本人关系).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_code: Option<String>,
    /// 电话.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 住址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// Kind of attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttachmentKind {
    /// 照片.
    Photo,
    /// 纸质表单扫描件.
    SignedFormScan,
    /// 证明.
    Certificate,
    /// 其他.
    Other,
}

/// A reference to a document or image in the hub's object store (附件).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// Attachment id.
    pub attachment_id: String,
    /// Kind.
    pub kind: AttachmentKind,
    /// Media type.
    pub mime_type: String,
    /// `sm3:<hex>` or `sha256:<hex>`.
    pub hash: String,
    /// `hub://` object-store reference.
    pub uri: String,
    /// Sensitivity of the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
}

/// Who a person is, as far as it is known (人员身份).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonIdentity {
    /// 人员标识, assigned by the hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// 身份状态.
    pub identity_status: IdentityStatus,
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
    pub sex_code: String,
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
    pub is_minor: bool,
    /// 全国救助管理信息系统登记号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_rescue_record_no: Option<String>,
}

/// Body build (体型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Build {
    /// 偏瘦.
    Thin,
    /// 中等.
    Medium,
    /// 偏胖.
    Stout,
    /// 不详.
    Unknown,
}

/// Intellectual state (智力状况).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IntellectualState {
    /// 正常.
    Normal,
    /// 智力障碍/疑似.
    Impaired,
    /// 不详.
    Unknown,
}

/// Mental state (精神状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MentalState {
    /// 正常.
    Normal,
    /// 异常/疑似精神障碍.
    Abnormal,
    /// 不详.
    Unknown,
}

/// Physical description (体貌特征).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhysicalDescription {
    /// 身高 (cm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<u16>,
    /// 体型.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    /// 发型发色.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair: Option<String>,
    /// 体表特征.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinguishing_marks: Option<String>,
    /// 发现时衣着特征.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clothing_when_found: Option<String>,
    /// 智力状况.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intellectual_state: Option<IntellectualState>,
    /// 精神状态.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mental_state: Option<MentalState>,
    /// 照片引用.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_refs: Option<Vec<Attachment>>,
}

/// Coordinate reference system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Crs {
    /// China Geodetic Coordinate System 2000.
    #[serde(rename = "CGCS2000")]
    Cgcs2000,
    /// WGS 84 (GPS).
    #[serde(rename = "WGS84")]
    Wgs84,
    /// GCJ-02 (国测局坐标).
    #[serde(rename = "GCJ02")]
    Gcj02,
}

/// Kind of place (场所类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlaceType {
    /// 车站.
    RailwayOrBusStation,
    /// 桥洞.
    UnderBridge,
    /// 商业街.
    CommercialStreet,
    /// 医院.
    Hospital,
    /// 银行自助区.
    BankSelfService,
    /// 在建工地.
    ConstructionSite,
    /// 公园.
    Park,
    /// 地下通道.
    Underpass,
    /// 救助站.
    RescueStation,
    /// 其他.
    Other,
}

/// A place (地点).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// 地址描述.
    pub address_text: String,
    /// GB/T 2260 county code.
    pub region_code: String,
    /// 12-digit community code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_code: Option<String>,
    /// 网格编码.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_code: Option<String>,
    /// 经度.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// 纬度.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Coordinate reference system of the coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<Crs>,
    /// 场所类型.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_type: Option<PlaceType>,
}

/// Health state observed (健康状况).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthState {
    /// Overall category.
    pub overall: HealthCategory,
    /// 检视发现.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<HealthCategory>>,
    /// 需送医.
    pub needs_medical: bool,
    /// 说明.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// What happened to a belonging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Disposition {
    /// 寄存.
    Deposited,
    /// 随身.
    WithPerson,
    /// 移交公安.
    ToPolice,
    /// 已退还.
    Returned,
}

/// An item the person carries (随身物品).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Belonging {
    /// 物品名称.
    pub item: String,
    /// 数量.
    pub quantity: u32,
    /// 特征.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// 现金 (CNY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_amount: Option<f64>,
    /// 是否证件.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_document: Option<bool>,
    /// 是否违禁/危险品.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_prohibited: Option<bool>,
    /// Disposition.
    pub disposition: Disposition,
    /// Photo of the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_ref: Option<Attachment>,
}

/// A diagnosis (诊断).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diagnosis {
    /// ICD-10 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Text.
    pub text: String,
}
