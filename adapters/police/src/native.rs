//! The police native format (公安交换文档): the document kinds, their root elements, and the
//! element vocabulary — one table per canonical structure, mapping each canonical JSON field
//! to its pinyin-abbreviation element (`xm` 姓名, `xb` 性别, `csrq` 出生日期, …) and saying how
//! its value is written.
//!
//! The tables are the single source of truth of the format: [`crate::decode`] and
//! [`crate::encode`] both walk them, so a field can only be read the way it is written;
//! `FORMAT.md` lists them (a unit test keeps it in step), and another test checks them against
//! the contracts' JSON Schemas field for field (same names, kinds and required fields).
//!
//! Invariants:
//! * every table lists each canonical field exactly once, and each element name at most once
//!   per parent element (`sfzh`/`zjhm` are two spellings of one field, see [`Kind::IdNumber`]);
//! * element names are lowercase pinyin abbreviations, root and header elements uppercase;
//! * a value's written form depends only on its [`Kind`], never on the document kind.

use contracts::MessageType;

/// The root element of the common header (消息头) every document starts with.
pub(crate) const HEADER_TAG: &str = "XXT";

/// The root element of a receipt (回执), the answer to a document.
pub(crate) const RECEIPT_TAG: &str = "HZ";

/// How a value is written in the native document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Free text, written as is (escaped); an empty element means "not filled in".
    Text,
    /// A code-list value (the canonical code, e.g. `1` for 男性, `POPULATION_DB`), as is.
    Code,
    /// A JSON pointer (RFC 6901); the one text whose empty value (`""`, the whole message)
    /// is meaningful, so an empty element is the empty pointer, not "not filled in".
    Pointer,
    /// An identity document number: written `<sfzh>` (公民身份号码) when the sibling
    /// `id_doc_type` is 111/112 (居民身份证, 临时居民身份证), `<zjhm>` (证件号码) otherwise;
    /// both spellings are read.
    IdNumber,
    /// An integer, decimal digits.
    Int,
    /// A decimal number (`23.5`, `121.1198`), as JSON writes numbers.
    Dec,
    /// 是否: `1` 是 / `0` 否.
    Bool,
    /// A date-time in Beijing time, `YYYYMMDDHHMMSS` (police systems' 14 digits), with
    /// optional fractional seconds (`20250305101402.418`).
    DateTime,
    /// A date, `YYYYMMDD`.
    Date,
    /// A date known to the year, month or day: `YYYY`, `YYYYMM` or `YYYYMMDD` (出生日期).
    PartialDate,
    /// A structure: child elements per its table.
    Group(&'static [Field]),
    /// A list: a container element holding one element named `.0` per item.
    List(&'static str, &'static Kind),
}

/// One canonical field and its element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    /// The canonical (JSON) field name.
    pub(crate) json: &'static str,
    /// The element name.
    pub(crate) tag: &'static str,
    /// What the element means, in the police's words (also the `meaning` of a
    /// [`adapter_core::CodecError::MissingField`]).
    pub(crate) zh: &'static str,
    /// How the value is written.
    pub(crate) kind: Kind,
    /// Required by the contract: a document the police send must carry it.
    pub(crate) required: bool,
}

impl Field {
    /// The element names this field may be read from (two for [`Kind::IdNumber`]).
    pub(crate) fn accepts(&self, tag: &str) -> bool {
        self.tag == tag || (self.kind == Kind::IdNumber && tag == ID_NUMBER_OTHER_TAG)
    }
}

/// The spelling of [`Kind::IdNumber`] for documents other than resident ID cards.
pub(crate) const ID_NUMBER_OTHER_TAG: &str = "zjhm";

const fn req(json: &'static str, tag: &'static str, zh: &'static str, kind: Kind) -> Field {
    Field {
        json,
        tag,
        zh,
        kind,
        required: true,
    }
}

const fn opt(json: &'static str, tag: &'static str, zh: &'static str, kind: Kind) -> Field {
    Field {
        json,
        tag,
        zh,
        kind,
        required: false,
    }
}

use Kind::{Bool, Code, Date, DateTime, Dec, IdNumber, Int, PartialDate, Pointer, Text};

// ---------------------------------------------------------------------------------------------
// Shared structures (contracts/schemas/common/v1.json).
// ---------------------------------------------------------------------------------------------

/// 附件 (Attachment): a reference into the hub's object store.
pub(crate) const ATTACHMENT: &[Field] = &[
    req("attachment_id", "fjbh", "附件编号", Text),
    req("kind", "fjlx", "附件类型", Code),
    req("mime_type", "mtlx", "媒体类型", Text),
    req("hash", "zyz", "摘要值", Text),
    req("uri", "ccdz", "存储地址", Text),
    opt("sensitivity", "mgjb", "敏感级别", Code),
];
const ATTACHMENT_KIND: Kind = Kind::Group(ATTACHMENT);
const ATTACHMENTS: Kind = Kind::List("fj", &ATTACHMENT_KIND);

/// 单位 (Org).
pub(crate) const ORG: &[Field] = &[
    req("org_code", "dwdm", "单位代码", Code),
    req("org_name", "dwmc", "单位名称", Text),
];

/// 经办人员 (Staff).
pub(crate) const STAFF: &[Field] = &[
    req("name", "xm", "姓名", Text),
    opt("badge_or_staff_no", "jh", "警号/工号", Text),
    opt("org_code", "dwdm", "单位代码", Code),
    req("org_name", "dwmc", "单位名称", Text),
    opt("phone", "lxdh", "联系电话", Text),
    opt("role", "js", "角色", Code),
];
const STAFF_KIND: Kind = Kind::Group(STAFF);

/// 民警 (Officer): [`STAFF`] with the 警号 required.
pub(crate) const OFFICER: &[Field] = &[
    req("name", "xm", "姓名", Text),
    req("badge_or_staff_no", "jh", "警号/工号", Text),
    opt("org_code", "dwdm", "单位代码", Code),
    req("org_name", "dwmc", "单位名称", Text),
    opt("phone", "lxdh", "联系电话", Text),
    opt("role", "js", "角色", Code),
];
const OFFICER_KIND: Kind = Kind::Group(OFFICER);

/// 联系人/亲属 (ContactPerson).
pub(crate) const CONTACT: &[Field] = &[
    req("name", "xm", "姓名", Text),
    opt("relation_code", "ybrgx", "与本人关系", Code),
    opt("phone", "lxdh", "联系电话", Text),
    opt("address", "zz", "住址", Text),
];
const CONTACT_KIND: Kind = Kind::Group(CONTACT);

const NAMES: Kind = Kind::List("cym", &Text);

/// 人员身份 (PersonIdentity).
pub(crate) const PERSON: &[Field] = &[
    opt("person_id", "rybh", "人员编号", Text),
    req("identity_status", "sfzt", "身份状态", Code),
    opt("name", "xm", "姓名", Text),
    opt("name_is_assigned", "sfdc", "是否代称", Bool),
    opt("alias_names", "cymlb", "曾用名/自称", NAMES),
    req("sex_code", "xb", "性别", Code),
    opt("birth_date", "csrq", "出生日期", PartialDate),
    opt("estimated_age", "mcnl", "目测年龄", Int),
    opt("ethnicity_code", "mz", "民族", Code),
    opt("nationality_code", "gj", "国籍", Code),
    opt("id_doc_type", "zjlx", "证件类型", Code),
    opt("id_number", "sfzh", "公民身份号码/证件号码", IdNumber),
    opt("household_region_code", "hjdqh", "户籍地区划", Code),
    opt("household_address", "hjdz", "户籍地址", Text),
    opt("residence_address", "jtdz", "家庭住址", Text),
    opt("dialect_or_accent", "ky", "口音", Text),
    req("is_minor", "sfwcn", "是否未成年", Bool),
    opt(
        "national_rescue_record_no",
        "jzxtdjh",
        "全国救助管理信息系统登记号",
        Text,
    ),
];
const PERSON_KIND: Kind = Kind::Group(PERSON);

/// 落户人员 (PersonIdentity of a SETTLEMENT_REQUEST): [`PERSON`] with 姓名 and 出生日期
/// required, as the 常住人口登记表 needs them.
pub(crate) const PERSON_TO_REGISTER: &[Field] = &[
    opt("person_id", "rybh", "人员编号", Text),
    req("identity_status", "sfzt", "身份状态", Code),
    req("name", "xm", "姓名", Text),
    opt("name_is_assigned", "sfdc", "是否代称", Bool),
    opt("alias_names", "cymlb", "曾用名/自称", NAMES),
    req("sex_code", "xb", "性别", Code),
    req("birth_date", "csrq", "出生日期", PartialDate),
    opt("estimated_age", "mcnl", "目测年龄", Int),
    opt("ethnicity_code", "mz", "民族", Code),
    opt("nationality_code", "gj", "国籍", Code),
    opt("id_doc_type", "zjlx", "证件类型", Code),
    opt("id_number", "sfzh", "公民身份号码/证件号码", IdNumber),
    opt("household_region_code", "hjdqh", "户籍地区划", Code),
    opt("household_address", "hjdz", "户籍地址", Text),
    opt("residence_address", "jtdz", "家庭住址", Text),
    opt("dialect_or_accent", "ky", "口音", Text),
    req("is_minor", "sfwcn", "是否未成年", Bool),
    opt(
        "national_rescue_record_no",
        "jzxtdjh",
        "全国救助管理信息系统登记号",
        Text,
    ),
];

/// 人员身份变更 (IdentityDelta): [`PERSON`] with every field optional.
pub(crate) const PERSON_DELTA: &[Field] = &[
    opt("person_id", "rybh", "人员编号", Text),
    opt("identity_status", "sfzt", "身份状态", Code),
    opt("name", "xm", "姓名", Text),
    opt("name_is_assigned", "sfdc", "是否代称", Bool),
    opt("alias_names", "cymlb", "曾用名/自称", NAMES),
    opt("sex_code", "xb", "性别", Code),
    opt("birth_date", "csrq", "出生日期", PartialDate),
    opt("estimated_age", "mcnl", "目测年龄", Int),
    opt("ethnicity_code", "mz", "民族", Code),
    opt("nationality_code", "gj", "国籍", Code),
    opt("id_doc_type", "zjlx", "证件类型", Code),
    opt("id_number", "sfzh", "公民身份号码/证件号码", IdNumber),
    opt("household_region_code", "hjdqh", "户籍地区划", Code),
    opt("household_address", "hjdz", "户籍地址", Text),
    opt("residence_address", "jtdz", "家庭住址", Text),
    opt("dialect_or_accent", "ky", "口音", Text),
    opt("is_minor", "sfwcn", "是否未成年", Bool),
    opt(
        "national_rescue_record_no",
        "jzxtdjh",
        "全国救助管理信息系统登记号",
        Text,
    ),
];

/// 体貌特征 (PhysicalDescription).
pub(crate) const PHYSICAL: &[Field] = &[
    opt("height_cm", "sg", "身高(厘米)", Int),
    opt("build", "tx", "体型", Code),
    opt("hair", "fx", "发型发色", Text),
    opt("distinguishing_marks", "tbtz", "体表特征", Text),
    opt("clothing_when_found", "yztz", "衣着特征", Text),
    opt("intellectual_state", "zlzk", "智力状况", Code),
    opt("mental_state", "jszt", "精神状态", Code),
    opt("photo_refs", "zplb", "照片", ATTACHMENTS),
];
const PHYSICAL_KIND: Kind = Kind::Group(PHYSICAL);

/// 地点 (Location).
pub(crate) const LOCATION: &[Field] = &[
    req("address_text", "dzms", "地址描述", Text),
    req("region_code", "xzqh", "行政区划", Code),
    opt("community_code", "cjdm", "村居代码", Code),
    opt("grid_code", "wgbm", "网格编码", Code),
    opt("longitude", "jd", "经度", Dec),
    opt("latitude", "wd", "纬度", Dec),
    opt("crs", "zbx", "坐标系", Code),
    opt("place_type", "cslx", "场所类型", Code),
];
const LOCATION_KIND: Kind = Kind::Group(LOCATION);

const HEALTH_CODES: Kind = Kind::List("zk", &Code);

/// 健康状况 (HealthState).
pub(crate) const HEALTH: &[Field] = &[
    req("overall", "jkzk", "健康状况", Code),
    opt("flags", "jsfx", "检视发现", HEALTH_CODES),
    req("needs_medical", "xsy", "需送医", Bool),
    opt("notes", "sm", "说明", Text),
];
const HEALTH_KIND: Kind = Kind::Group(HEALTH);

/// 随身物品 (Belonging).
pub(crate) const BELONGING: &[Field] = &[
    req("item", "wpmc", "物品名称", Text),
    req("quantity", "sl", "数量", Int),
    opt("description", "tz", "特征", Text),
    opt("cash_amount", "xjje", "现金金额(元)", Dec),
    opt("is_document", "sfzj", "是否证件", Bool),
    opt("is_prohibited", "sfwj", "是否违禁/危险品", Bool),
    req("disposition", "clfs", "处置方式", Code),
    opt("photo_ref", "zp", "照片", ATTACHMENT_KIND),
];
const BELONGING_KIND: Kind = Kind::Group(BELONGING);
const BELONGINGS: Kind = Kind::List("wp", &BELONGING_KIND);

/// 诊断 (Diagnosis).
pub(crate) const DIAGNOSIS: &[Field] = &[
    opt("code", "zddm", "诊断代码(ICD-10)", Code),
    req("text", "zdmc", "诊断名称", Text),
];
const DIAGNOSIS_KIND: Kind = Kind::Group(DIAGNOSIS);

const SUSPECTED: Kind = Kind::List("qx", &Code);

// ---------------------------------------------------------------------------------------------
// The common header (消息头) and the envelope.
// ---------------------------------------------------------------------------------------------

/// 签名 (Signature).
pub(crate) const SIGNATURE: &[Field] = &[
    req("algorithm", "qmsf", "签名算法", Code),
    req("key_id", "mybs", "密钥标识", Text),
    req("value", "qmz", "签名值", Text),
];

/// JSON name of the header's document number (文档编号); not an envelope field.
pub(crate) const DOCUMENT_ID: &str = "document_id";
/// JSON name of the header's document kind (文档类型); not an envelope field.
pub(crate) const DOCUMENT_KIND: &str = "document_kind";

const ORG_CODES: Kind = Kind::List("dwdm", &Code);
const LEGAL_BASES: Kind = Kind::List("yj", &Code);

/// The common header `<XXT>`: the document's number and kind, then every envelope field but
/// `message_type` (the root element says it) and `payload` (the root's other children).
/// Only `wdbh` and `wdlx` are required; [`crate::decode`] says where the others come from
/// when a police document leaves them out.
pub(crate) const HEADER: &[Field] = &[
    req(DOCUMENT_ID, "wdbh", "文档编号", Text),
    req(DOCUMENT_KIND, "wdlx", "文档类型", Code),
    opt("message_id", "xxbs", "消息标识", Text),
    opt("schema_version", "bbh", "结构版本号", Text),
    opt("case_id", "jzgah", "救助个案号", Text),
    opt("correlation_id", "glxxbs", "关联消息标识", Text),
    opt("sender_org_code", "fsdwdm", "发送单位代码", Code),
    opt("sender_org_type", "fsdwlb", "发送单位类别", Code),
    opt("sender_system", "fsxt", "发送系统", Text),
    opt("receiver_org_codes", "jsdw", "接收单位", ORG_CODES),
    opt("sent_at", "fssj", "发送时间", DateTime),
    opt("region_code", "xzqh", "行政区划", Code),
    opt("legal_basis", "fljj", "法律依据", LEGAL_BASES),
    opt("purpose_code", "clmd", "处理目的", Code),
    opt("sensitivity", "mgjb", "敏感级别", Code),
    opt("retention_until", "bcqx", "保存期限", Date),
    opt("signature", "qm", "签名", Kind::Group(SIGNATURE)),
    opt("attachments", "fjlb", "附件", ATTACHMENTS),
];

// ---------------------------------------------------------------------------------------------
// Document bodies, one per kind.
// ---------------------------------------------------------------------------------------------

const SOURCE_EVENT_CLASS: &[Field] = &[
    req("major", "dl", "大类代码", Code),
    opt("minor", "xl", "小类代码", Code),
    req("name", "flmc", "分类名称", Text),
];

const REPORTER: &[Field] = &[
    req("kind", "sbrlb", "上报人类别", Code),
    opt("name", "xm", "姓名", Text),
    opt("phone", "lxdh", "联系电话", Text),
    opt("staff_no", "jh", "警号/工号", Text),
    opt("org_code", "dwdm", "单位代码", Code),
    opt("org_name", "dwmc", "单位名称", Text),
];

const REFERRAL_SUBJECT: &[Field] = &[
    req("sex_code", "xb", "性别", Code),
    opt("estimated_age", "mcnl", "目测年龄", Int),
    req("is_minor_suspected", "yswcn", "疑似未成年", Bool),
    opt("physical_description", "tmtz", "体貌特征", PHYSICAL_KIND),
    req("health", "jkqk", "健康情况", HEALTH_KIND),
];
const REFERRAL_SUBJECT_KIND: Kind = Kind::Group(REFERRAL_SUBJECT);

/// `<ZJ>` 发现转介单 (REFERRAL v1).
pub(crate) const REFERRAL: &[Field] = &[
    req("referral_id", "zjdh", "转介单号", Text),
    req("source_system", "lyxt", "来源系统", Code),
    req("source_case_no", "lyajh", "来源案卷/警情号", Text),
    opt(
        "source_event_class",
        "sjfl",
        "来源事件分类",
        Kind::Group(SOURCE_EVENT_CLASS),
    ),
    req("discovered_at", "fxsj", "发现时间", DateTime),
    req("location", "fxdd", "发现地点", LOCATION_KIND),
    req("reporter", "sbr", "上报人", Kind::Group(REPORTER)),
    req("subject_count", "rs", "人数", Int),
    req(
        "subjects",
        "dxlb",
        "对象",
        Kind::List("dx", &REFERRAL_SUBJECT_KIND),
    ),
    req("willingness", "byyy", "本人意愿", Code),
    opt("suspected_flags", "ysqx", "疑似情形", SUSPECTED),
    req("urgency", "jjcd", "紧急程度", Code),
    req("requested_action", "qqcz", "请求处置", Code),
    opt("deadline_at", "czsx", "处置时限", DateTime),
    opt("photos", "zplb", "照片", ATTACHMENTS),
    opt("remarks", "bz", "备注", Text),
];

/// `<ZJFK>` 转介处置反馈 (REFERRAL_OUTCOME).
pub(crate) const REFERRAL_OUTCOME: &[Field] = &[
    req("referral_id", "zjdh", "转介单号", Text),
    req("source_case_no", "lyajh", "来源案卷/警情号", Text),
    req("signed_at", "qssj", "签收时间", DateTime),
    opt("arrived_at", "dcsj", "到场时间", DateTime),
    req("outcome", "czjg", "处置结果", Code),
    opt("case_id", "jzgah", "救助个案号", Text),
    req("closed_at", "bjsj", "办结时间", DateTime),
    req("handler", "czr", "处置人", STAFF_KIND),
    opt("note", "sm", "说明", Text),
];

const POLICE_CHECK: &[Field] = &[
    req("check_type", "hcfs", "核查方式", Code),
    req("done", "sfhc", "是否已核查", Bool),
    opt("result", "hcjg", "核查结果", Code),
    opt("ref", "hcjlh", "核查记录号", Text),
];
const POLICE_CHECK_KIND: Kind = Kind::Group(POLICE_CHECK);

/// `<JJB>` 公安机关护送流浪乞讨人员交接表 (POLICE_ESCORT_HANDOVER), domain.md §2.
pub(crate) const POLICE_ESCORT_HANDOVER: &[Field] = &[
    req("handover_no", "jjbh", "交接编号", Text),
    req("escorting_unit", "hsdw", "护送单位", Kind::Group(ORG)),
    req(
        "escort_officers",
        "hsmj",
        "护送民警",
        Kind::List("mj", &OFFICER_KIND),
    ),
    opt("police_incident_no", "jqbh", "警情编号", Text),
    req("found_at", "fxsj", "发现时间", DateTime),
    req("found_location", "fxdd", "发现地点", LOCATION_KIND),
    req("found_circumstances", "fxjg", "发现经过", Text),
    req("person", "bhsry", "被护送人员", PERSON_KIND),
    req("physical_description", "tmtz", "体貌特征", PHYSICAL_KIND),
    opt("self_statement", "brcs", "本人陈述", Text),
    req(
        "police_checks",
        "yzhc",
        "已做核查",
        Kind::List("hc", &POLICE_CHECK_KIND),
    ),
    opt("suspected_flags", "ysqx", "疑似情形", SUSPECTED),
    req("health_at_handover", "jjsjk", "交接时身体状况", HEALTH_KIND),
    req("belongings", "sswp", "随身物品", BELONGINGS),
    opt(
        "items_retained_by_police",
        "galcwp",
        "公安留存物品",
        BELONGINGS,
    ),
    opt("escort_departed_at", "cfsj", "出发时间", DateTime),
    req("arrived_at", "dzsj", "到站时间", DateTime),
    req("paper_form_used", "sfzzb", "是否使用纸质交接表", Bool),
    opt(
        "signed_form_scan",
        "zzbsmj",
        "纸质交接表扫描件",
        ATTACHMENT_KIND,
    ),
];

/// `<QSHZ>` 交接签收回执 (HANDOVER_ACK).
pub(crate) const HANDOVER_ACK: &[Field] = &[
    req("handover_no", "jjbh", "交接编号", Text),
    req("decision", "jsjd", "接收决定", Code),
    opt("reason_code", "ly", "理由", Code),
    req("receiving_staff", "jsr", "接收人", STAFF_KIND),
    req("received_at", "jssj", "接收时间", DateTime),
    opt("condition_on_receipt", "jszk", "接收时状况", HEALTH_KIND),
    req("belongings_checked", "wpqdyz", "物品清点一致", Bool),
    opt("discrepancies", "byzsm", "不一致说明", Text),
    opt("case_id", "jzgah", "救助个案号", Text),
];

const MATCH_METHODS: Kind = Kind::List("sx", &Code);

/// `<XCSQ>` 身份核查协查申请 (IDENTITY_CHECK_REQUEST).
pub(crate) const IDENTITY_CHECK_REQUEST: &[Field] = &[
    req("request_id", "sqbh", "申请编号", Text),
    req("case_id", "jzgah", "救助个案号", Text),
    req("request_types", "sqsx", "申请事项", MATCH_METHODS),
    req("claimed_identity", "zssf", "自述身份", PERSON_KIND),
    req("physical_description", "tmtz", "体貌特征", PHYSICAL_KIND),
    opt("face_image", "rlzp", "人脸照片", ATTACHMENT_KIND),
    req("found_summary", "fxjg", "发现/入站经过", Text),
    opt("suspected_flags", "ysqx", "疑似情形", SUSPECTED),
    req("intake_at", "rzsj", "入站时间", DateTime),
    req("requested_by", "sqr", "申请人", STAFF_KIND),
    req("purpose_note", "cxsy", "查询事由", Text),
    opt("due_by", "qwwcrq", "期望完成日期", Date),
];

/// `<HCSL>` 核查受理回执 (IDENTITY_CHECK_ACK).
pub(crate) const IDENTITY_CHECK_ACK: &[Field] = &[
    req("request_id", "sqbh", "申请编号", Text),
    req("decision", "sljd", "受理决定", Code),
    opt("accepted_methods", "slsx", "受理事项", MATCH_METHODS),
    opt("rejection_reason", "byslyy", "不予受理原因", Text),
    opt("police_query_no", "gaslbh", "公安受理编号", Text),
    req("handled_by", "slmj", "受理民警", OFFICER_KIND),
    req("acknowledged_at", "slsj", "受理时间", DateTime),
    opt("expected_result_by", "yjfkrq", "预计反馈日期", Date),
];

/// `<HCJG>` 核查比对结果 (IDENTITY_CHECK_RESULT).
pub(crate) const IDENTITY_CHECK_RESULT: &[Field] = &[
    req("request_id", "sqbh", "申请编号", Text),
    req("method", "bdfs", "比对方式", Code),
    req("result", "jg", "结果", Code),
    opt("matched_identity", "hssf", "核实身份", PERSON_KIND),
    opt("dna_sample_no", "dnaybh", "DNA样本编号", Text),
    opt("dna_sampled_at", "cysj", "采样时间", DateTime),
    opt("dna_db_entered", "sflrdgk", "已录入打拐DNA库", Bool),
    opt("missing_report_no", "zsbabh", "关联走失报案号", Text),
    opt("family_contact", "qslxr", "亲属联系人", CONTACT_KIND),
    req("verified_by", "hcmj", "核查民警", OFFICER_KIND),
    req("verified_at", "hcsj", "核查时间", DateTime),
    opt("certificate_ref", "bdzm", "比对结果证明", ATTACHMENT_KIND),
];

/// `<SFGX>` 身份信息更新 (IDENTITY_UPDATE).
pub(crate) const IDENTITY_UPDATE: &[Field] = &[
    req("person_id", "rybh", "人员编号", Text),
    req("case_id", "jzgah", "救助个案号", Text),
    req("identity_version", "sfbbh", "身份版本号", Int),
    req("change_type", "bglx", "变更类型", Code),
    req(
        "changed_fields",
        "bgzd",
        "变更字段",
        Kind::Group(PERSON_DELTA),
    ),
    req("source_of_truth", "yj", "依据", Code),
    opt("evidence_ref", "yjyy", "依据引用", Text),
    req("effective_at", "sxsj", "生效时间", DateTime),
    opt("merged_into_person_id", "hbzrybh", "合并至人员编号", Text),
];

const ADMISSION_REASON: &[Field] = &[
    req("category", "yylb", "原因类别", Code),
    req("description", "yysm", "原因说明", Text),
];

/// `<SYQQ>` 送医 (HOSPITAL_ADMISSION).
pub(crate) const HOSPITAL_ADMISSION: &[Field] = &[
    req("transfer_id", "sydh", "送医单号", Text),
    opt("case_id", "jzgah", "救助个案号", Text),
    req("person", "ry", "人员", PERSON_KIND),
    opt("physical_description", "tmtz", "体貌特征", PHYSICAL_KIND),
    req("reason", "syyy", "送医原因", Kind::Group(ADMISSION_REASON)),
    req("category", "jzlb", "救治类别", Code),
    req("target_hospital", "ddyy", "定点医院", Kind::Group(ORG)),
    req("escort", "hsry", "护送人员", Kind::List("hsr", &STAFF_KIND)),
    req("departed_at", "cfsj", "出发时间", DateTime),
    req("arrived_at", "dysj", "到院时间", DateTime),
    opt("belongings", "sswp", "随身物品", BELONGINGS),
    req("payer", "fyqd", "费用渠道", Code),
    req("station_contact", "jzzlxr", "救助站联系人", STAFF_KIND),
];

/// `<SZQR>` 收治确认 (ADMISSION_ACK).
pub(crate) const ADMISSION_ACK: &[Field] = &[
    req("transfer_id", "sydh", "送医单号", Text),
    req("admitted", "sfsz", "是否收治", Bool),
    opt("admission_no", "zyh", "住院号", Text),
    opt("admitted_at", "rysj", "入院时间", DateTime),
    opt("department", "ks", "科室", Text),
    opt(
        "preliminary_diagnosis",
        "cbzd",
        "初步诊断",
        Kind::List("zd", &DIAGNOSIS_KIND),
    ),
    opt("not_admitted_reason", "wszyy", "未收治原因", Text),
    req("hospital_contact", "yylxr", "医院联系人", STAFF_KIND),
];

const RELATED_REF: &[Field] = &[
    req("type", "djlx", "单据类型", Code),
    req("id", "djbh", "单据编号", Text),
];
const RELATED_REF_KIND: Kind = Kind::Group(RELATED_REF);

const VAGRANCY_REASON: &[Field] = &[
    req("category", "yylb", "原因类别", Code),
    opt("description", "yysm", "原因及经过", Text),
];

/// `<RZDJ>` 入站登记 (STATION_INTAKE), the summary the police receive.
pub(crate) const STATION_INTAKE: &[Field] = &[
    req("case_id", "jzgah", "救助个案号", Text),
    req("intake_at", "rzsj", "入站时间", DateTime),
    req("intake_channel", "rzfs", "入站方式", Code),
    opt(
        "related_refs",
        "gldj",
        "关联单据",
        Kind::List("dj", &RELATED_REF_KIND),
    ),
    req("person", "ry", "人员", PERSON_KIND),
    req("physical_description", "tmtz", "体貌特征", PHYSICAL_KIND),
    req("health_check", "jsjg", "检视结果", HEALTH_KIND),
    req("security_check_done", "yajc", "已安全检查", Bool),
    opt(
        "prohibited_items_to_police",
        "wjwpyj",
        "违禁物品移交公安",
        BELONGINGS,
    ),
    req("belongings_deposited", "jcwp", "寄存物品", BELONGINGS),
    req(
        "social_assistance_status",
        "dbzk",
        "低保/特困供养状况",
        Code,
    ),
    req(
        "vagrancy_reason",
        "lqyy",
        "流浪乞讨原因",
        Kind::Group(VAGRANCY_REASON),
    ),
    opt("vagrancy_since", "lqkssj", "流浪开始时间", PartialDate),
    opt(
        "relatives",
        "jqs",
        "近亲属",
        Kind::List("qs", &CONTACT_KIND),
    ),
    req("eligibility", "zbjl", "甄别结论", Code),
    opt(
        "refusal_notice_ref",
        "byjztzs",
        "不予救助通知书",
        ATTACHMENT_KIND,
    ),
    req("fingerprint_captured", "ycjzw", "已采集指纹", Bool),
    req("photo_captured", "ycjzp", "已采集电子照片", Bool),
    opt(
        "national_rescue_record_no",
        "jzxtdjh",
        "全国救助管理信息系统登记号",
        Text,
    ),
    opt(
        "special_categories",
        "tsry",
        "特殊人员类别",
        Kind::List("lb", &Code),
    ),
    opt("guardian", "jhr", "监护人", CONTACT_KIND),
    opt("temporary_guardianship", "mzlsjh", "民政临时监护", Bool),
    opt("family_notice_due_at", "xqggsx", "寻亲公告时限", DateTime),
    opt("dna_request_due_at", "dnasx", "报请DNA采集时限", Date),
];

const DESTINATION: &[Field] = &[
    req("region_code", "xzqh", "去向区划", Code),
    req("address", "dz", "去向地址", Text),
    opt("org_code", "jsdwdm", "接收单位代码", Code),
];

const COLLECTOR: &[Field] = &[
    req("name", "xm", "姓名", Text),
    req("id_doc_type", "zjlx", "证件类型", Code),
    req("id_number", "sfzh", "公民身份号码/证件号码", IdNumber),
    req("relation_code", "ybrgx", "与本人关系", Code),
    req("phone", "lxdh", "联系电话", Text),
];

const TRAVEL_VOUCHER: &[Field] = &[
    req("mode", "jtfs", "交通方式", Code),
    req("from", "cfz", "出发站", Text),
    req("to", "ddz", "到达站", Text),
    opt("transfer_station", "zzz", "中转站", Text),
    opt("voucher_no", "pzh", "票号/凭证号", Text),
];

/// `<LZDJ>` 离站登记 (STATION_LEAVE), the summary the police receive.
pub(crate) const STATION_LEAVE: &[Field] = &[
    req("case_id", "jzgah", "救助个案号", Text),
    req("leave_at", "lzsj", "离站时间", DateTime),
    req("leave_mode", "lzfs", "离站方式", Code),
    opt("cross_province", "sfks", "是否跨省", Bool),
    opt("destination", "qx", "去向", Kind::Group(DESTINATION)),
    opt(
        "self_leave_declaration",
        "zxlzsms",
        "自行离站声明书",
        ATTACHMENT_KIND,
    ),
    opt("collector", "jlr", "接领人", Kind::Group(COLLECTOR)),
    opt(
        "travel_voucher",
        "ccpz",
        "乘车凭证",
        Kind::Group(TRAVEL_VOUCHER),
    ),
    opt("cash_given", "ffxj", "发放现金(元)", Dec),
    req("belongings_returned", "jcwpyth", "寄存物品已退还", Bool),
    req("days_in_station", "zzts", "在站天数", Int),
    req(
        "exempt_from_10_day_limit",
        "bsqxxz",
        "不受10天救助期限限制",
        Bool,
    ),
    opt("over_10_days_reason", "cqyy", "超期原因/备案号", Text),
    opt(
        "termination_notice_ref",
        "zzjztzs",
        "终止救助通知书",
        ATTACHMENT_KIND,
    ),
    opt(
        "leave_register_ref",
        "lzdjb",
        "在站服务及离站登记表",
        ATTACHMENT_KIND,
    ),
    opt("return_notice_id", "fxtzh", "返乡通知号", Text),
];

/// `<ZSTB>` 走失报案通报 (MISSING_PERSON_NOTICE).
pub(crate) const MISSING_PERSON_NOTICE: &[Field] = &[
    req("report_no", "babh", "报案编号", Text),
    req("reported_at", "basj", "报案时间", DateTime),
    req("missing_person", "zsry", "走失人员", PERSON_KIND),
    req("physical_description", "tmtz", "体貌特征", PHYSICAL_KIND),
    opt("health_flags", "jkzk", "健康状况", HEALTH_CODES),
    req("last_seen_at", "zhcxsj", "最后出现时间", DateTime),
    req(
        "last_seen_location",
        "zhcxdd",
        "最后出现地点",
        LOCATION_KIND,
    ),
    opt("photo", "zp", "照片", ATTACHMENT_KIND),
    opt("family_contact", "barlx", "报案人联系方式", CONTACT_KIND),
    opt("alert_scope", "tbfw", "通报范围", Code),
    req("valid_until", "yxq", "有效期", Date),
    req("status", "zt", "状态", Code),
];

/// `<BDFK>` 比对反馈 (MISSING_PERSON_MATCH).
pub(crate) const MISSING_PERSON_MATCH: &[Field] = &[
    req("report_no", "babh", "报案编号", Text),
    req("compared_at", "bdsj", "比对时间", DateTime),
    req("result", "bdjg", "比对结果", Code),
    opt("case_id", "jzgah", "救助个案号", Text),
    opt("candidate_description", "ysryqk", "疑似人员情况", Text),
    req("station_contact", "jzzlxr", "救助站联系人", STAFF_KIND),
];

const SEARCH_EFFORT: &[Field] = &[
    req("method", "xqfs", "寻亲方式", Code),
    req("done_at", "sj", "时间", DateTime),
    req("result", "jg", "结果", Code),
    opt("ref", "pzbh", "凭证编号", Text),
];
const SEARCH_EFFORT_KIND: Kind = Kind::Group(SEARCH_EFFORT);

const PLACEMENT_INSTITUTION: &[Field] = &[
    req("org_code", "dwdm", "单位代码", Code),
    req("org_name", "dwmc", "单位名称", Text),
    req("collective_household_no", "jthh", "集体户户号", Text),
];

/// `<LHSQ>` 落户安置申请 (SETTLEMENT_REQUEST).
pub(crate) const SETTLEMENT_REQUEST: &[Field] = &[
    req("application_no", "sqbh", "申请编号", Text),
    req("case_id", "jzgah", "救助个案号", Text),
    req("person", "ry", "人员", Kind::Group(PERSON_TO_REGISTER)),
    req("first_intake_at", "scrzsj", "首次入站时间", DateTime),
    req(
        "search_efforts",
        "xqjl",
        "寻亲记录",
        Kind::List("jl", &SEARCH_EFFORT_KIND),
    ),
    req(
        "placement_institution",
        "azjg",
        "安置机构",
        Kind::Group(PLACEMENT_INSTITUTION),
    ),
    req("first_application", "sfsc", "是否首次申请", Bool),
    opt(
        "institution_approval_cert",
        "jgszpzs",
        "机构设置批准证书",
        ATTACHMENT_KIND,
    ),
    req(
        "collective_household_register",
        "jthkb",
        "集体户口簿",
        ATTACHMENT_KIND,
    ),
    req(
        "escort_handover_form_or_intake_record",
        "jjbhslcl",
        "护送交接表或“三无”对象收留材料",
        ATTACHMENT_KIND,
    ),
    req(
        "dna_comparison_result",
        "dnabdjg",
        "打拐DNA库比对结果",
        ATTACHMENT_KIND,
    ),
    opt("placement_plan", "azfa", "民政安置方案", ATTACHMENT_KIND),
    req("photo", "zp", "照片", ATTACHMENT_KIND),
];

/// `<LHSP>` 落户审批结果 (SETTLEMENT_DECISION).
pub(crate) const SETTLEMENT_DECISION: &[Field] = &[
    req("application_no", "sqbh", "申请编号", Text),
    req("stage", "spjd", "审批阶段", Code),
    req("decided_at", "blsj", "办理时间", DateTime),
    opt("reason", "ly", "理由", Text),
    opt("assigned_id_number", "sfzh", "公民身份号码", Text),
    opt("household_region_code", "hjdqh", "户籍地区划", Code),
    opt("registered_at", "lhsj", "落户时间", DateTime),
];

const PERSON_INVOLVED: &[Field] = &[
    opt("case_id", "jzgah", "救助个案号", Text),
    opt("person_id", "rybh", "人员编号", Text),
    req("role", "js", "角色", Code),
];
const PERSON_INVOLVED_KIND: Kind = Kind::Group(PERSON_INVOLVED);

const NOTIFICATION: &[Field] = &[
    req("org", "dwmc", "单位", Text),
    req("at", "tzsj", "通知时间", DateTime),
];
const NOTIFICATION_KIND: Kind = Kind::Group(NOTIFICATION);

const DEATH_DETAILS: &[Field] = &[
    req("died_at", "swsj", "死亡时间", DateTime),
    req("place", "swdd", "死亡地点", Text),
    req("certificate_issuer", "zmcjdw", "死亡证明出具单位类别", Code),
    opt("certificate_ref", "swzmbh", "死亡证明编号", Text),
    opt("cause_summary", "syzy", "死因摘要", Text),
    opt("body_location", "ytcfdd", "遗体存放地点", Text),
    opt("family_notified_at", "tzjssj", "通知家属时间", DateTime),
    opt("public_notice_until", "rlggjzrq", "认领公告截止日期", Date),
];

/// `<TFSJ>` 突发事件报告 (INCIDENT_REPORT).
pub(crate) const INCIDENT_REPORT: &[Field] = &[
    req("incident_id", "sjbh", "事件编号", Text),
    req("report_stage", "bgjd", "报告阶段", Code),
    req("occurred_at", "sjfssj", "事件发生时间", DateTime),
    req("discovered_at", "fxsj", "发现时间", DateTime),
    req("first_report_due_at", "sbsx", "首报时限", DateTime),
    req("incident_type", "sjlx", "事件类型", Code),
    req("severity", "dj", "等级", Code),
    req("location", "dd", "地点", LOCATION_KIND),
    req(
        "persons_involved",
        "sjry",
        "涉及人员",
        Kind::List("ry", &PERSON_INVOLVED_KIND),
    ),
    req("description", "jg", "经过", Text),
    req("actions_taken", "ycqcs", "已采取措施", Text),
    req(
        "notified",
        "ytzdw",
        "已通知单位",
        Kind::List("dw", &NOTIFICATION_KIND),
    ),
    opt("police_case_no", "gaajh", "公安案(警)情号", Text),
    opt(
        "death_details",
        "swxx",
        "死亡信息",
        Kind::Group(DEATH_DETAILS),
    ),
    opt("attachments", "fjlb", "附件", ATTACHMENTS),
];

const REJECTION_REASON: &[Field] = &[
    req("pointer", "zz", "指针(JSON pointer)", Pointer),
    req("code", "dm", "规则代码", Code),
    req("message", "sm", "说明", Text),
];
const REJECTION_REASON_KIND: Kind = Kind::Group(REJECTION_REASON);

/// `<JSTZ>` 枢纽拒收通知 (HUB_REJECTED).
pub(crate) const HUB_REJECTED: &[Field] = &[
    opt("rejected_message_id", "bjxxbs", "被拒消息标识", Text),
    opt("rejected_message_type", "bjxxlx", "被拒消息类型", Code),
    req("received_at", "jssj", "接收时间", DateTime),
    req("stage", "jshj", "拒收环节", Code),
    req(
        "reasons",
        "jsyy",
        "拒收原因",
        Kind::List("yy", &REJECTION_REASON_KIND),
    ),
    req("dead_letter_ref", "sxyy", "死信引用", Text),
    req("retry_allowed", "kfcf", "可否重发", Bool),
];

/// 起因 of a deadline notice: the message that started the clock.
const NOTICE_TRIGGER: &[Field] = &[
    req("message_id", "xxbs", "触发消息标识", Text),
    req("message_type", "xxlx", "触发消息类型", Code),
    req("sender", "fsdwlb", "触发消息发送方", Code),
];

/// `<SXTX>` 时限提醒 (DEADLINE_NOTICE).
pub(crate) const DEADLINE_NOTICE: &[Field] = &[
    req("notice_id", "txbh", "提醒编号", Text),
    req("rule", "gzmc", "规则名称", Text),
    req("description", "sxsm", "时限", Text),
    req("basis", "sxyj", "时限依据", Text),
    req("item_key", "sxbs", "事项标识", Text),
    req("step", "djc", "第几次", Int),
    req("clock_start", "qssj", "起算时间", DateTime),
    req("due_at", "dqsj", "到期时间", DateTime),
    req("fired_at", "txsj", "提醒时间", DateTime),
    req("trigger", "qy", "起因", Kind::Group(NOTICE_TRIGGER)),
    req("required_action", "xblsx", "需办理事项", Text),
    req("escalation_level", "txjb", "提醒级别", Code),
];

// ---------------------------------------------------------------------------------------------
// Document kinds.
// ---------------------------------------------------------------------------------------------

/// A kind of police exchange document, named by its root element. Each kind carries
/// exactly one canonical message type (version 1) and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// `<ZJ>` 发现转介单: a patrol's or 110's finding referred to the station (REFERRAL);
    /// also received when another department's referral concerns a possible minor or
    /// trafficking victim.
    Zj,
    /// `<ZJFK>` 转介处置反馈 (REFERRAL_OUTCOME), received.
    Zjfk,
    /// `<JJB>` 公安机关护送流浪乞讨人员交接表 (POLICE_ESCORT_HANDOVER), sent.
    Jjb,
    /// `<QSHZ>` 交接签收回执 (HANDOVER_ACK), received.
    Qshz,
    /// `<XCSQ>` 身份核查协查申请 (IDENTITY_CHECK_REQUEST), received.
    Xcsq,
    /// `<HCSL>` 核查受理回执 (IDENTITY_CHECK_ACK), sent when the police platform registers
    /// (受理) or refuses (不予受理) a `<XCSQ>`, before any result.
    Hcsl,
    /// `<HCJG>` 核查比对结果 (IDENTITY_CHECK_RESULT), sent.
    Hcjg,
    /// `<SFGX>` 身份信息更新 (IDENTITY_UPDATE), received.
    Sfgx,
    /// `<SYQQ>` 送医 (HOSPITAL_ADMISSION), sent when officers take a person straight to a
    /// designated hospital.
    Syqq,
    /// `<SZQR>` 收治确认 (ADMISSION_ACK), received.
    Szqr,
    /// `<RZDJ>` 入站登记 (STATION_INTAKE) of a person the police escorted, received.
    Rzdj,
    /// `<LZDJ>` 离站登记 (STATION_LEAVE), received (e.g. a person who absconded).
    Lzdj,
    /// `<ZSTB>` 走失报案通报 (MISSING_PERSON_NOTICE), sent.
    Zstb,
    /// `<BDFK>` 比对反馈 (MISSING_PERSON_MATCH), received.
    Bdfk,
    /// `<LHSQ>` 落户安置申请 (SETTLEMENT_REQUEST), received by 户政.
    Lhsq,
    /// `<LHSP>` 落户审批结果 (SETTLEMENT_DECISION), sent.
    Lhsp,
    /// `<TFSJ>` 突发事件报告 (INCIDENT_REPORT), received (deaths, violence, absconding).
    Tfsj,
    /// `<JSTZ>` 枢纽拒收通知 (HUB_REJECTED), received.
    Jstz,
    /// `<SXTX>` 时限提醒 (DEADLINE_NOTICE), received: the hub's notice that a time limit
    /// the police are party to passed unmet (e.g. a DNA sample not taken within a month).
    Sxtx,
}

/// What the envelope says when a police document's header leaves it out: the legal basis,
/// purpose and sensitivity of the kind (domain.md §6.3, §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EnvelopeDefaults {
    /// 法律依据 (CL-LEGAL codes).
    pub(crate) legal_basis: &'static [&'static str],
    /// 处理目的 (CL-PURPOSE code).
    pub(crate) purpose: &'static str,
    /// 敏感级别; raised to `SENSITIVE_MINOR` when the document concerns a minor.
    pub(crate) sensitivity: &'static str,
}

impl DocumentKind {
    /// Every kind, in catalogue order of its message type.
    pub const ALL: [DocumentKind; 19] = [
        DocumentKind::Zj,
        DocumentKind::Zjfk,
        DocumentKind::Jjb,
        DocumentKind::Qshz,
        DocumentKind::Xcsq,
        DocumentKind::Hcsl,
        DocumentKind::Hcjg,
        DocumentKind::Sfgx,
        DocumentKind::Syqq,
        DocumentKind::Szqr,
        DocumentKind::Rzdj,
        DocumentKind::Lzdj,
        DocumentKind::Zstb,
        DocumentKind::Bdfk,
        DocumentKind::Lhsq,
        DocumentKind::Lhsp,
        DocumentKind::Tfsj,
        DocumentKind::Jstz,
        DocumentKind::Sxtx,
    ];

    /// The root element name, e.g. `"JJB"`.
    pub const fn root(self) -> &'static str {
        match self {
            DocumentKind::Zj => "ZJ",
            DocumentKind::Zjfk => "ZJFK",
            DocumentKind::Jjb => "JJB",
            DocumentKind::Qshz => "QSHZ",
            DocumentKind::Xcsq => "XCSQ",
            DocumentKind::Hcsl => "HCSL",
            DocumentKind::Hcjg => "HCJG",
            DocumentKind::Sfgx => "SFGX",
            DocumentKind::Syqq => "SYQQ",
            DocumentKind::Szqr => "SZQR",
            DocumentKind::Rzdj => "RZDJ",
            DocumentKind::Lzdj => "LZDJ",
            DocumentKind::Zstb => "ZSTB",
            DocumentKind::Bdfk => "BDFK",
            DocumentKind::Lhsq => "LHSQ",
            DocumentKind::Lhsp => "LHSP",
            DocumentKind::Tfsj => "TFSJ",
            DocumentKind::Jstz => "JSTZ",
            DocumentKind::Sxtx => "SXTX",
        }
    }

    /// The document's name in the police's words.
    pub const fn name_zh(self) -> &'static str {
        match self {
            DocumentKind::Zj => "发现转介单",
            DocumentKind::Zjfk => "转介处置反馈",
            DocumentKind::Jjb => "公安机关护送流浪乞讨人员交接表",
            DocumentKind::Qshz => "交接签收回执",
            DocumentKind::Xcsq => "身份核查协查申请",
            DocumentKind::Hcsl => "核查受理回执",
            DocumentKind::Hcjg => "核查比对结果",
            DocumentKind::Sfgx => "身份信息更新",
            DocumentKind::Syqq => "送医单",
            DocumentKind::Szqr => "收治确认",
            DocumentKind::Rzdj => "入站登记",
            DocumentKind::Lzdj => "离站登记",
            DocumentKind::Zstb => "走失报案通报",
            DocumentKind::Bdfk => "比对反馈",
            DocumentKind::Lhsq => "落户安置申请",
            DocumentKind::Lhsp => "落户审批结果",
            DocumentKind::Tfsj => "突发事件报告",
            DocumentKind::Jstz => "枢纽拒收通知",
            DocumentKind::Sxtx => "时限提醒",
        }
    }

    /// The canonical message type the document carries.
    pub const fn message_type(self) -> MessageType {
        match self {
            DocumentKind::Zj => MessageType::Referral,
            DocumentKind::Zjfk => MessageType::ReferralOutcome,
            DocumentKind::Jjb => MessageType::PoliceEscortHandover,
            DocumentKind::Qshz => MessageType::HandoverAck,
            DocumentKind::Xcsq => MessageType::IdentityCheckRequest,
            DocumentKind::Hcsl => MessageType::IdentityCheckAck,
            DocumentKind::Hcjg => MessageType::IdentityCheckResult,
            DocumentKind::Sfgx => MessageType::IdentityUpdate,
            DocumentKind::Syqq => MessageType::HospitalAdmission,
            DocumentKind::Szqr => MessageType::AdmissionAck,
            DocumentKind::Rzdj => MessageType::StationIntake,
            DocumentKind::Lzdj => MessageType::StationLeave,
            DocumentKind::Zstb => MessageType::MissingPersonNotice,
            DocumentKind::Bdfk => MessageType::MissingPersonMatch,
            DocumentKind::Lhsq => MessageType::SettlementRequest,
            DocumentKind::Lhsp => MessageType::SettlementDecision,
            DocumentKind::Tfsj => MessageType::IncidentReport,
            DocumentKind::Jstz => MessageType::HubRejected,
            DocumentKind::Sxtx => MessageType::DeadlineNotice,
        }
    }

    /// The kind carrying `message_type`, if the police exchange it.
    pub fn of_message_type(message_type: MessageType) -> Option<DocumentKind> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.message_type() == message_type)
    }

    /// The kind whose root element is `root`.
    pub fn of_root(root: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.root() == root)
    }

    /// Whether the police system originates this kind (`send.POLICE` in
    /// `hub/hub.example.toml`). Such documents are decoded strictly: every field the contract
    /// requires must be there. Kinds the police only receive are written by the hub, possibly
    /// with fields projected away (minimum necessary), and are read as they are.
    pub const fn police_sends(self) -> bool {
        matches!(
            self,
            DocumentKind::Zj
                | DocumentKind::Jjb
                | DocumentKind::Hcsl
                | DocumentKind::Hcjg
                | DocumentKind::Syqq
                | DocumentKind::Zstb
                | DocumentKind::Lhsp
        )
    }

    /// Whether the kind answers another message and must name it (the envelope in
    /// `correlation_id`, the header in `glxxbs`). `<HCSL>` is not one: it names the request
    /// by its 申请编号 `<sqbh>`, and `glxxbs` is optional (the contract's `correlation_id` of
    /// IDENTITY_CHECK_ACK is).
    pub const fn is_answer(self) -> bool {
        matches!(
            self,
            DocumentKind::Zjfk
                | DocumentKind::Qshz
                | DocumentKind::Hcjg
                | DocumentKind::Szqr
                | DocumentKind::Bdfk
                | DocumentKind::Lhsp
        )
    }

    /// Whether the police system receives this kind (`receive.POLICE`).
    pub const fn police_receives(self) -> bool {
        !matches!(
            self,
            DocumentKind::Jjb
                | DocumentKind::Hcsl
                | DocumentKind::Hcjg
                | DocumentKind::Syqq
                | DocumentKind::Zstb
                | DocumentKind::Lhsp
        )
    }

    /// The body's vocabulary.
    pub(crate) const fn body(self) -> &'static [Field] {
        match self {
            DocumentKind::Zj => REFERRAL,
            DocumentKind::Zjfk => REFERRAL_OUTCOME,
            DocumentKind::Jjb => POLICE_ESCORT_HANDOVER,
            DocumentKind::Qshz => HANDOVER_ACK,
            DocumentKind::Xcsq => IDENTITY_CHECK_REQUEST,
            DocumentKind::Hcsl => IDENTITY_CHECK_ACK,
            DocumentKind::Hcjg => IDENTITY_CHECK_RESULT,
            DocumentKind::Sfgx => IDENTITY_UPDATE,
            DocumentKind::Syqq => HOSPITAL_ADMISSION,
            DocumentKind::Szqr => ADMISSION_ACK,
            DocumentKind::Rzdj => STATION_INTAKE,
            DocumentKind::Lzdj => STATION_LEAVE,
            DocumentKind::Zstb => MISSING_PERSON_NOTICE,
            DocumentKind::Bdfk => MISSING_PERSON_MATCH,
            DocumentKind::Lhsq => SETTLEMENT_REQUEST,
            DocumentKind::Lhsp => SETTLEMENT_DECISION,
            DocumentKind::Tfsj => INCIDENT_REPORT,
            DocumentKind::Jstz => HUB_REJECTED,
            DocumentKind::Sxtx => DEADLINE_NOTICE,
        }
    }

    /// Legal basis, purpose and sensitivity of the kind, for headers that leave them out.
    pub(crate) const fn defaults(self) -> EnvelopeDefaults {
        const fn d(
            legal_basis: &'static [&'static str],
            purpose: &'static str,
            sensitivity: &'static str,
        ) -> EnvelopeDefaults {
            EnvelopeDefaults {
                legal_basis,
                purpose,
                sensitivity,
            }
        }
        match self {
            DocumentKind::Zj => d(
                &["PIPL13_1_3", "RULE381_ART5"],
                "RESCUE_REFERRAL",
                "SENSITIVE",
            ),
            DocumentKind::Zjfk => d(&["PIPL13_1_3", "MCA_2014_132"], "CASE_CLOSURE", "GENERAL"),
            DocumentKind::Jjb => d(
                &["PIPL13_1_3", "RULE381_ART5", "MCA_MPS_2015"],
                "ESCORT_HANDOVER",
                "SENSITIVE",
            ),
            DocumentKind::Qshz => d(
                &["PIPL13_1_3", "RULE381_ART5"],
                "ESCORT_HANDOVER",
                "SENSITIVE",
            ),
            DocumentKind::Xcsq | DocumentKind::Hcsl | DocumentKind::Hcjg | DocumentKind::Sfgx => d(
                &["PIPL13_1_3", "MCA_MPS_2015"],
                "IDENTITY_VERIFICATION",
                "SENSITIVE",
            ),
            DocumentKind::Syqq => d(
                &["PIPL13_1_4", "RULE381_ART5", "MCA_2006_6"],
                "MEDICAL_TREATMENT",
                "SENSITIVE",
            ),
            DocumentKind::Szqr => d(&["PIPL13_1_4"], "MEDICAL_TREATMENT", "SENSITIVE"),
            DocumentKind::Rzdj => d(
                &["PIPL13_1_3", "RULE381_ART6", "MCA24", "MCA_2014_132"],
                "STATION_CARE",
                "SENSITIVE",
            ),
            DocumentKind::Lzdj => d(&["PIPL13_1_3", "MCA_2014_132"], "STATION_CARE", "SENSITIVE"),
            DocumentKind::Zstb | DocumentKind::Bdfk => d(
                &["PIPL13_1_3", "MCA_MPS_2015"],
                "MISSING_PERSON_SEARCH",
                "SENSITIVE",
            ),
            DocumentKind::Lhsq | DocumentKind::Lhsp => {
                d(&["PIPL13_1_3", "MCA_2020_14"], "SETTLEMENT", "SENSITIVE")
            }
            DocumentKind::Tfsj => d(
                &["PIPL13_1_3", "MCA_2014_132"],
                "INCIDENT_REPORTING",
                "SENSITIVE",
            ),
            DocumentKind::Jstz | DocumentKind::Sxtx => d(&["PIPL13_1_3"], "HUB_NOTICE", "GENERAL"),
        }
    }
}

/// An XML element as read or to be written: its name, its text (leaf elements) and its
/// children (structures and lists). Attributes are not part of the format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    /// The element name.
    pub(crate) name: String,
    /// The text content (unescaped), empty for structures.
    pub(crate) text: String,
    /// The child elements, in document order.
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// A leaf element with text.
    pub(crate) fn leaf(name: &str, text: impl Into<String>) -> Element {
        Element {
            name: name.to_owned(),
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// A structure element with children.
    pub(crate) fn group(name: &str, children: Vec<Element>) -> Element {
        Element {
            name: name.to_owned(),
            text: String::new(),
            children,
        }
    }

    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Whether XML 1.0 can carry `c` (its `Char` production).
pub(crate) const fn is_xml_char(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}'
    )
}

/// Receipt result codes (回执结果代码), the same both ways: the adapter's answers to the
/// police system and the police system's answers to the adapter's deliveries.
pub(crate) mod result_code {
    /// 接收成功.
    pub(crate) const ACCEPTED: &str = "00";
    /// 拒收: the document was read but refused; correct it before sending again.
    pub(crate) const REFUSED: &str = "10";
    /// 文档无法解析: not a well-formed document of this format; nothing was taken.
    pub(crate) const MALFORMED: &str = "20";
    /// 暂不可用: nothing was taken; send the same document again later.
    pub(crate) const UNAVAILABLE: &str = "30";
}

/// The vocabulary as Markdown tables, the generated part of `FORMAT.md`.
#[cfg(test)]
pub(crate) fn vocabulary_markdown() -> String {
    /// The shared structures, documented once and referred to by name.
    const SHARED: &[(&str, &str, &[Field])] = &[
        ("PERSON", "人员身份 (PersonIdentity)", PERSON),
        (
            "PERSON_DELTA",
            "人员身份变更 (IdentityDelta): PERSON, every element optional",
            PERSON_DELTA,
        ),
        (
            "PERSON_TO_REGISTER",
            "落户人员: PERSON with `xm` and `csrq` required",
            PERSON_TO_REGISTER,
        ),
        ("PHYSICAL", "体貌特征 (PhysicalDescription)", PHYSICAL),
        ("LOCATION", "地点 (Location)", LOCATION),
        ("HEALTH", "健康状况 (HealthState)", HEALTH),
        ("BELONGING", "随身物品 (Belonging)", BELONGING),
        ("ORG", "单位 (Org)", ORG),
        ("STAFF", "经办人员 (Staff)", STAFF),
        (
            "OFFICER",
            "民警 (Officer): STAFF with `jh` required",
            OFFICER,
        ),
        ("CONTACT", "联系人/亲属 (ContactPerson)", CONTACT),
        ("ATTACHMENT", "附件 (Attachment)", ATTACHMENT),
        ("DIAGNOSIS", "诊断 (Diagnosis)", DIAGNOSIS),
        ("SIGNATURE", "签名 (Signature)", SIGNATURE),
    ];

    fn shared_name(fields: &[Field]) -> Option<&'static str> {
        SHARED
            .iter()
            .find(|(_, _, table)| *table == fields)
            .map(|(name, _, _)| *name)
    }

    fn value(kind: Kind) -> String {
        match kind {
            Kind::Text => "text".to_owned(),
            Kind::Code => "code".to_owned(),
            Kind::Pointer => "JSON pointer (empty = whole message)".to_owned(),
            Kind::IdNumber => "ID number; `sfzh` when `zjlx` is 111/112, else `zjhm`".to_owned(),
            Kind::Int => "integer".to_owned(),
            Kind::Dec => "decimal".to_owned(),
            Kind::Bool => "`1` 是 / `0` 否".to_owned(),
            Kind::DateTime => "`YYYYMMDDHHMMSS[.f]` 北京时间".to_owned(),
            Kind::Date => "`YYYYMMDD`".to_owned(),
            Kind::PartialDate => "`YYYY`, `YYYYMM` or `YYYYMMDD`".to_owned(),
            Kind::Group(fields) => match shared_name(fields) {
                Some(name) => format!("structure {name}"),
                None => "structure (rows below)".to_owned(),
            },
            Kind::List(item, of) => format!("list of `<{item}>`: {}", value(*of)),
        }
    }

    fn rows(out: &mut String, fields: &[Field], prefix: &str) {
        for f in fields {
            let path = format!("{prefix}{}", f.tag);
            let canonical = match f.json {
                DOCUMENT_ID => "— (the sender's number of the document)".to_owned(),
                DOCUMENT_KIND => "— (equals the root element)".to_owned(),
                json => format!("`{json}`"),
            };
            out.push_str(&format!(
                "| `{path}` | {} | {} | {canonical} | {} |\n",
                f.zh,
                value(f.kind),
                if f.required { "yes" } else { "" }
            ));
            let nested = match f.kind {
                Kind::Group(inner) if shared_name(inner).is_none() => Some((inner, path.clone())),
                Kind::List(item, Kind::Group(inner)) if shared_name(inner).is_none() => {
                    Some((*inner, format!("{path}/{item}")))
                }
                _ => None,
            };
            if let Some((inner, path)) = nested {
                rows(out, inner, &format!("{path}/"));
            }
        }
    }

    fn table(out: &mut String, fields: &[Field]) {
        out.push_str("| element | 含义 | value | canonical field | required |\n");
        out.push_str("|---|---|---|---|---|\n");
        rows(out, fields, "");
        out.push('\n');
    }

    let mut out = String::new();
    out.push_str("### Header `<XXT>` 消息头\n\n");
    table(&mut out, HEADER);
    for kind in DocumentKind::ALL {
        let direction = match (kind.police_sends(), kind.police_receives()) {
            (true, true) => "sent and received",
            (true, false) => "sent by the police",
            _ => "received by the police",
        };
        out.push_str(&format!(
            "### `<{}>` {} — {} ({direction})\n\n",
            kind.root(),
            kind.name_zh(),
            kind.message_type()
        ));
        table(&mut out, kind.body());
    }
    out.push_str("### Shared structures\n\n");
    for (name, title, fields) in SHARED {
        out.push_str(&format!("#### {name} — {title}\n\n"));
        table(&mut out, fields);
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::collections::{BTreeMap, BTreeSet};

    use contracts::registry::{Registry, SCHEMA_BASE_URI};
    use serde_json::Value;

    use super::*;

    /// What the tests need of a schema node once `$ref` and `allOf` are resolved.
    #[derive(Debug, Default)]
    struct Shape {
        ty: Option<String>,
        format: Option<String>,
        properties: Option<Vec<(String, Value, String)>>,
        required: BTreeSet<String>,
        items: Option<(Value, String)>,
    }

    fn resolve_ref<'a>(
        docs: &'a BTreeMap<String, Value>,
        base: &str,
        reference: &str,
    ) -> (&'a Value, String) {
        let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let doc_id = if file.is_empty() {
            base.to_owned()
        } else {
            let mut dir: Vec<&str> = base.trim_end_matches(|c| c != '/').split('/').collect();
            dir.pop(); // the empty segment after the trailing '/'
            let mut rest = file;
            while let Some(r) = rest.strip_prefix("../") {
                dir.pop();
                rest = r;
            }
            format!("{}/{rest}", dir.join("/"))
        };
        let doc = docs
            .get(&doc_id)
            .unwrap_or_else(|| panic!("no schema {doc_id}"));
        let node = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no {pointer} in {doc_id}"));
        (node, doc_id)
    }

    fn shape(docs: &BTreeMap<String, Value>, node: &Value, base: &str) -> Shape {
        let mut s = Shape::default();
        let merge = |other: Shape, s: &mut Shape| {
            s.ty = s.ty.take().or(other.ty);
            s.format = s.format.take().or(other.format);
            s.properties = s.properties.take().or(other.properties);
            s.items = s.items.take().or(other.items);
            s.required.extend(other.required);
        };
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            let (target, target_base) = resolve_ref(docs, base, reference);
            let inner = shape(docs, target, &target_base);
            merge(inner, &mut s);
        }
        if let Some(all) = node.get("allOf").and_then(Value::as_array) {
            for sub in all {
                let inner = shape(docs, sub, base);
                merge(inner, &mut s);
            }
        }
        if let Some(ty) = node.get("type").and_then(Value::as_str) {
            s.ty = Some(ty.to_owned());
        } else if s.ty.is_none() && node.get("enum").is_some() {
            s.ty = Some("string".to_owned());
        }
        if let Some(format) = node.get("format").and_then(Value::as_str) {
            s.format = Some(format.to_owned());
        }
        if node.get("$ref").is_none()
            && let Some(props) = node.get("properties").and_then(Value::as_object)
        {
            s.properties = Some(
                props
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone(), base.to_owned()))
                    .collect(),
            );
        }
        if let Some(required) = node.get("required").and_then(Value::as_array) {
            s.required
                .extend(required.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        if let Some(items) = node.get("items") {
            s.items = Some((items.clone(), base.to_owned()));
        }
        s
    }

    fn check_kind(
        docs: &BTreeMap<String, Value>,
        kind: Kind,
        node: &Value,
        base: &str,
        path: &str,
    ) {
        let s = shape(docs, node, base);
        let ty = s.ty.as_deref().unwrap_or("?");
        match kind {
            Kind::Text | Kind::Code | Kind::Pointer | Kind::IdNumber => {
                assert_eq!(ty, "string", "{path}");
                assert!(
                    !matches!(
                        s.format.as_deref(),
                        Some("offset-date-time" | "date" | "partial-date")
                    ),
                    "{path} is a date but written as text"
                );
            }
            Kind::DateTime => assert_eq!(s.format.as_deref(), Some("offset-date-time"), "{path}"),
            Kind::Date => assert_eq!(s.format.as_deref(), Some("date"), "{path}"),
            Kind::PartialDate => assert_eq!(s.format.as_deref(), Some("partial-date"), "{path}"),
            Kind::Int => assert_eq!(ty, "integer", "{path}"),
            Kind::Dec => assert_eq!(ty, "number", "{path}"),
            Kind::Bool => assert_eq!(ty, "boolean", "{path}"),
            Kind::Group(fields) => {
                assert_eq!(ty, "object", "{path}");
                check_group(docs, fields, &s, path, &[]);
            }
            Kind::List(_, of) => {
                assert_eq!(ty, "array", "{path}");
                let (items, items_base) = s.items.as_ref().unwrap_or_else(|| panic!("{path}"));
                check_kind(docs, *of, items, items_base, &format!("{path}[]"));
            }
        }
    }

    fn check_group(
        docs: &BTreeMap<String, Value>,
        fields: &[Field],
        s: &Shape,
        path: &str,
        ignored: &[&str],
    ) {
        let properties = s
            .properties
            .as_ref()
            .unwrap_or_else(|| panic!("{path}: no properties"));
        let schema_names: BTreeSet<&str> = properties
            .iter()
            .map(|(k, _, _)| k.as_str())
            .filter(|k| !ignored.contains(k))
            .collect();
        let table_names: BTreeSet<&str> = fields.iter().map(|f| f.json).collect();
        assert_eq!(
            table_names, schema_names,
            "{path}: fields differ from the schema"
        );
        let tags: BTreeSet<&str> = fields.iter().map(|f| f.tag).collect();
        assert_eq!(
            tags.len(),
            fields.len(),
            "{path}: an element name is used twice"
        );
        for field in fields {
            let (_, node, base) = properties
                .iter()
                .find(|(k, _, _)| k == field.json)
                .unwrap_or_else(|| panic!("{path}/{}", field.json));
            assert_eq!(
                field.required,
                s.required.contains(field.json),
                "{path}/{}: required differs from the schema",
                field.json
            );
            check_kind(
                docs,
                field.kind,
                node,
                base,
                &format!("{path}/{}", field.json),
            );
        }
    }

    #[test]
    fn every_body_table_mirrors_its_schema() {
        let registry = Registry::embedded().unwrap();
        let docs = registry.documents();
        for kind in DocumentKind::ALL {
            let id = format!("{SCHEMA_BASE_URI}{}/v1.json", kind.message_type());
            let schema = docs.get(&id).unwrap();
            let s = shape(docs, schema, &id);
            check_group(docs, kind.body(), &s, kind.root(), &[]);
        }
    }

    #[test]
    fn the_header_mirrors_the_envelope_schema() {
        let registry = Registry::embedded().unwrap();
        let docs = registry.documents();
        let id = format!("{SCHEMA_BASE_URI}ENVELOPE/v1.json");
        let s = shape(docs, docs.get(&id).unwrap(), &id);
        let envelope_fields: Vec<Field> = HEADER
            .iter()
            .copied()
            .filter(|f| f.json != DOCUMENT_ID && f.json != DOCUMENT_KIND)
            .map(|f| Field {
                // The header reads leniently; the envelope requires what the context supplies.
                required: s.required.contains(f.json),
                ..f
            })
            .collect();
        check_group(
            docs,
            &envelope_fields,
            &s,
            HEADER_TAG,
            &["message_type", "payload"],
        );
        // Only the document number and kind are required of a header.
        let required: Vec<&str> = HEADER
            .iter()
            .filter(|f| f.required)
            .map(|f| f.json)
            .collect();
        assert_eq!(required, [DOCUMENT_ID, DOCUMENT_KIND]);
    }

    #[test]
    fn kinds_map_one_to_one_to_the_police_message_types() {
        let mut roots = BTreeSet::new();
        for kind in DocumentKind::ALL {
            assert!(roots.insert(kind.root()));
            assert_eq!(DocumentKind::of_root(kind.root()), Some(kind));
            assert_eq!(
                DocumentKind::of_message_type(kind.message_type()),
                Some(kind)
            );
            assert!(kind.police_sends() || kind.police_receives(), "{kind:?}");
            assert_ne!(kind.root(), HEADER_TAG);
            assert_ne!(kind.root(), RECEIPT_TAG);
        }
        // send.POLICE and receive.POLICE of hub/hub.example.toml.
        let sends: BTreeSet<&str> = DocumentKind::ALL
            .iter()
            .filter(|k| k.police_sends())
            .map(|k| k.message_type().as_str())
            .collect();
        assert_eq!(
            sends,
            BTreeSet::from([
                "REFERRAL",
                "POLICE_ESCORT_HANDOVER",
                "IDENTITY_CHECK_ACK",
                "IDENTITY_CHECK_RESULT",
                "HOSPITAL_ADMISSION",
                "MISSING_PERSON_NOTICE",
                "SETTLEMENT_DECISION"
            ])
        );
        let receives: BTreeSet<&str> = DocumentKind::ALL
            .iter()
            .filter(|k| k.police_receives())
            .map(|k| k.message_type().as_str())
            .collect();
        assert_eq!(
            receives,
            BTreeSet::from([
                "REFERRAL",
                "REFERRAL_OUTCOME",
                "HANDOVER_ACK",
                "IDENTITY_CHECK_REQUEST",
                "IDENTITY_UPDATE",
                "ADMISSION_ACK",
                "STATION_INTAKE",
                "STATION_LEAVE",
                "MISSING_PERSON_MATCH",
                "SETTLEMENT_REQUEST",
                "INCIDENT_REPORT",
                "HUB_REJECTED",
                "DEADLINE_NOTICE"
            ])
        );
    }

    #[test]
    fn defaults_are_codes_of_the_envelope() {
        use contracts::model::Sensitivity;
        use contracts::model::envelope::{LegalBasis, Purpose};
        for kind in DocumentKind::ALL {
            let d = kind.defaults();
            for code in d.legal_basis {
                serde_json::from_value::<LegalBasis>(Value::String((*code).to_owned())).unwrap();
            }
            serde_json::from_value::<Purpose>(Value::String(d.purpose.to_owned())).unwrap();
            serde_json::from_value::<Sensitivity>(Value::String(d.sensitivity.to_owned())).unwrap();
        }
    }

    /// `FORMAT.md` carries the vocabulary between two markers; `UPDATE_GOLDEN=1` rewrites it.
    #[test]
    fn format_md_lists_the_vocabulary() {
        const BEGIN: &str = "<!-- vocabulary:begin (generated from src/native.rs; UPDATE_GOLDEN=1 cargo test -p adapter-police rewrites it) -->\n";
        const END: &str = "<!-- vocabulary:end -->";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md");
        let text = std::fs::read_to_string(path).unwrap();
        let start = text.find(BEGIN).expect("FORMAT.md has the begin marker") + BEGIN.len();
        let end = text.find(END).expect("FORMAT.md has the end marker");
        let expected = vocabulary_markdown();
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            let updated = format!("{}{expected}{}", &text[..start], &text[end..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert!(
            text[start..end] == expected,
            "FORMAT.md's vocabulary is out of date: run UPDATE_GOLDEN=1 cargo test -p adapter-police"
        );
    }
}
