//! The HEALTH native format: HL7 v2.5 as the hospital HIS (医院信息系统) speaks it, in the
//! words of this interface (FORMAT.md is the same, written for the HIS vendor).
//!
//! Owns: which HL7 document ([`DocumentKind`], MSH-9) carries which canonical message type,
//! the interface's local code system ([`LOCAL_CODES`], `99TCH`) and its code lists with their
//! Chinese display texts ([`CodeList`]), the Z-segments, and the conversions between HL7 data
//! types and the contracts' ([`datatypes`]), the OBX observation table ([`obx`]) and the
//! segment-level mappers shared by several message types ([`parts`]).
//!
//! Invariants:
//! * One canonical message per HL7 message; each kind maps to exactly one message type
//!   (`ORU^R01` is told apart by OBR-4, `ADT^A08` needs the `ZID` segment).
//! * Every local code written is the canonical code itself (`CRITICAL`, `DIED`), so code
//!   lists never need a translation table; the Chinese text rides along in CE component 2
//!   for people and is ignored when reading.
//! * Reading never invents: a canonical field is set only from the HL7 field that carries
//!   it; the few envelope fields a HIS cannot know come from `ZHE` or from the documented
//!   per-type defaults (see `decode`).

pub mod datatypes;
pub mod obx;
pub mod parts;

use contracts::MessageType;
use serde_json::Value;

/// The interface's local coding system (HL7 convention: local systems are named `99zzz`).
pub const LOCAL_CODES: &str = "99TCH";
/// Coding system of GB/T 2261.1 sex codes in OBX values.
pub const SEX_CODES: &str = "GB2261.1";
/// Coding system of GB/T 3304 ethnicity codes (PID-22).
pub const ETHNICITY_CODES: &str = "GB3304";
/// Coding system of ISO 3166-1 alpha-3 nationality codes (PID-28).
pub const COUNTRY_CODES: &str = "ISO3166";
/// Coding system of ICD-10 diagnosis codes (DG1-3; HL7 table 0396 `I10`).
pub const ICD10: &str = "I10";
/// HL7 table 0136, yes/no.
pub const YES_NO: &str = "HL70136";
/// The HL7 version the hub writes (MSH-12).
pub const HL7_VERSION: &str = "2.5";
/// Assigning authority of the hub's pseudonymous person id in PID-3 (CX-4), type `PT`.
pub const HUB_AUTHORITY: &str = "HUB";
/// Assigning authority of the national rescue record number in PID-3 (CX-4), type `RRI`.
pub const MCA_AUTHORITY: &str = "MCA";
/// Media type of the documents this codec writes.
pub const CONTENT_TYPE_UTF8: &str = "x-application/hl7-v2+er7; charset=UTF-8";
/// Media type of the documents this codec writes in GB 18030.
pub const CONTENT_TYPE_GB18030: &str = "x-application/hl7-v2+er7; charset=GB18030";

/// An HL7 document kind this interface exchanges (MSH-9 message type and trigger event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// `REF^I12` patient referral: a hospital refers a patient it found (REFERRAL).
    RefI12,
    /// `RRI^I12` return referral information: the station's outcome (REFERRAL_OUTCOME).
    RriI12,
    /// `ADT^A05` pre-admit: the hospital-transfer request (HOSPITAL_ADMISSION).
    AdtA05,
    /// `ADT^A01` admit: the hospital admitted the person (ADMISSION_ACK, admitted).
    AdtA01,
    /// `ADT^A38` cancel pre-admit: the hospital did not admit (ADMISSION_ACK, not admitted).
    AdtA38,
    /// `ADT^A16` pending discharge (HOSPITAL_DISCHARGE, notice type PLANNED).
    AdtA16,
    /// `ADT^A03` discharge (HOSPITAL_DISCHARGE, notice type DISCHARGED).
    AdtA03,
    /// `ADT^A08` update patient information (IDENTITY_UPDATE, with `ZID`).
    AdtA08,
    /// `ORU^R01` observation report: INCIDENT_REPORT or STATION_LEAVE (by OBR-4).
    OruR01,
    /// `ACK` application acknowledgement with `ZHR`: the hub's refusal (HUB_REJECTED).
    Ack,
}

impl DocumentKind {
    /// Every kind.
    pub const ALL: [DocumentKind; 10] = [
        DocumentKind::RefI12,
        DocumentKind::RriI12,
        DocumentKind::AdtA05,
        DocumentKind::AdtA01,
        DocumentKind::AdtA38,
        DocumentKind::AdtA16,
        DocumentKind::AdtA03,
        DocumentKind::AdtA08,
        DocumentKind::OruR01,
        DocumentKind::Ack,
    ];

    /// MSH-9.1 message type, MSH-9.2 trigger event, MSH-9.3 message structure.
    pub const fn msh9(self) -> (&'static str, &'static str, &'static str) {
        match self {
            DocumentKind::RefI12 => ("REF", "I12", "REF_I12"),
            DocumentKind::RriI12 => ("RRI", "I12", "RRI_I12"),
            DocumentKind::AdtA05 => ("ADT", "A05", "ADT_A05"),
            DocumentKind::AdtA01 => ("ADT", "A01", "ADT_A01"),
            DocumentKind::AdtA38 => ("ADT", "A38", "ADT_A38"),
            DocumentKind::AdtA16 => ("ADT", "A16", "ADT_A16"),
            DocumentKind::AdtA03 => ("ADT", "A03", "ADT_A03"),
            DocumentKind::AdtA08 => ("ADT", "A08", "ADT_A01"),
            DocumentKind::OruR01 => ("ORU", "R01", "ORU_R01"),
            DocumentKind::Ack => ("ACK", "", "ACK"),
        }
    }

    /// The kind of an MSH-9 type and trigger (the structure, MSH-9.3, is not checked:
    /// many HIS leave it empty).
    pub fn from_msh9(message_type: &str, trigger: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| {
            let (t, e, _) = k.msh9();
            t == message_type && (e == trigger || *k == DocumentKind::Ack)
        })
    }

    /// `TYPE^TRIGGER`, as NativeRef and errors name the kind.
    pub fn name(self) -> String {
        match self.msh9() {
            (t, "", _) => t.to_owned(),
            (t, e, _) => format!("{t}^{e}"),
        }
    }

    /// The canonical message types this kind can carry.
    pub const fn message_types(self) -> &'static [MessageType] {
        match self {
            DocumentKind::RefI12 => &[MessageType::Referral],
            DocumentKind::RriI12 => &[MessageType::ReferralOutcome],
            DocumentKind::AdtA05 => &[MessageType::HospitalAdmission],
            DocumentKind::AdtA01 | DocumentKind::AdtA38 => &[MessageType::AdmissionAck],
            DocumentKind::AdtA16 | DocumentKind::AdtA03 => &[MessageType::HospitalDischarge],
            DocumentKind::AdtA08 => &[MessageType::IdentityUpdate],
            DocumentKind::OruR01 => &[MessageType::IncidentReport, MessageType::StationLeave],
            DocumentKind::Ack => &[MessageType::HubRejected],
        }
    }
}

/// The message types HEALTH sends (hub.example.toml `send.HEALTH`).
pub const SENT: [MessageType; 4] = [
    MessageType::Referral,
    MessageType::AdmissionAck,
    MessageType::HospitalDischarge,
    MessageType::IncidentReport,
];

/// The message types HEALTH receives (hub.example.toml `receive.HEALTH`).
pub const RECEIVED: [MessageType; 6] = [
    MessageType::HospitalAdmission,
    MessageType::IdentityUpdate,
    MessageType::ReferralOutcome,
    MessageType::StationLeave,
    MessageType::IncidentReport,
    MessageType::HubRejected,
];

/// Every message type this codec translates (both ways).
pub const TRANSLATED: [MessageType; 9] = [
    MessageType::Referral,
    MessageType::AdmissionAck,
    MessageType::HospitalDischarge,
    MessageType::IncidentReport,
    MessageType::HospitalAdmission,
    MessageType::IdentityUpdate,
    MessageType::ReferralOutcome,
    MessageType::StationLeave,
    MessageType::HubRejected,
];

/// OBR-4 universal service identifier of the two reports carried by `ORU^R01`.
pub const OBR_INCIDENT: (&str, &str) = ("INCIDENT_REPORT", "突发事件报告");
/// OBR-4 of STATION_LEAVE.
pub const OBR_STATION_LEAVE: (&str, &str) = ("STATION_LEAVE", "离站登记");
/// OBR-4 of the REFERRAL observations in `REF^I12`.
pub const OBR_REFERRAL: (&str, &str) = ("REFERRAL", "发现转介");
/// OBR-4 of the REFERRAL_OUTCOME observations in `RRI^I12`.
pub const OBR_REFERRAL_OUTCOME: (&str, &str) = ("REFERRAL_OUTCOME", "转介处置反馈");

/// A code list of the interface: its name (for errors) and its codes with Chinese texts.
#[derive(Debug, Clone, Copy)]
pub struct CodeList {
    /// Name, e.g. `出院方式`.
    pub name: &'static str,
    /// `(code, Chinese text)`.
    pub codes: &'static [(&'static str, &'static str)],
}

impl CodeList {
    /// The Chinese text of a code, `""` for codes not in the list.
    pub fn text(&self, code: &str) -> &'static str {
        self.codes
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("", |(_, t)| t)
    }

    /// Whether the list has the code.
    pub fn has(&self, code: &str) -> bool {
        self.codes.iter().any(|(c, _)| *c == code)
    }

    /// `name: CODE1, CODE2, …`, for errors.
    pub fn describe(&self) -> String {
        let codes: Vec<&str> = self.codes.iter().map(|(c, _)| *c).collect();
        format!("one of {} ({})", codes.join(", "), self.name)
    }
}

macro_rules! code_list {
    ($(#[$doc:meta])* $id:ident, $name:literal, [$(($code:literal, $text:literal)),* $(,)?]) => {
        $(#[$doc])*
        pub const $id: CodeList = CodeList { name: $name, codes: &[$(($code, $text)),*] };
    };
}

code_list!(
    /// CL-HEALTH (PV2-3, OBX `HEALTH`, `HEALTH_FLAG`).
    HEALTH_CATEGORY, "健康状况 CL-HEALTH", [
    ("HEALTHY", "健康"), ("CRITICAL", "危重"), ("MENTAL", "精神病/疑似精神障碍"),
    ("INTELLECTUAL", "智力障碍"), ("PHYSICAL_DISABILITY", "肢体残疾"),
    ("INFECTIOUS_SUSPECTED", "疑似传染病"), ("INJURED", "明显外伤"), ("INTOXICATED", "醉酒"),
    ("DRUG_SUSPECTED", "疑似吸毒"),
]);
code_list!(
    /// 体型 (OBX `BUILD`).
    BUILD, "体型", [("THIN", "偏瘦"), ("MEDIUM", "中等"), ("STOUT", "偏胖"), ("UNKNOWN", "不详")]);
code_list!(
    /// 智力状况 (OBX `INTELLECT`).
    INTELLECTUAL_STATE, "智力状况", [("NORMAL", "正常"), ("IMPAIRED", "智力障碍/疑似"), ("UNKNOWN", "不详")]);
code_list!(
    /// 精神状态 (OBX `MENTAL`).
    MENTAL_STATE, "精神状态", [("NORMAL", "正常"), ("ABNORMAL", "异常/疑似精神障碍"), ("UNKNOWN", "不详")]);
code_list!(
    /// 本人意愿 (OBX `WILLINGNESS`).
    WILLINGNESS, "本人意愿", [("WILLING", "愿意入站"), ("REFUSED", "拒绝"), ("CANNOT_EXPRESS", "无法表达")]);
code_list!(
    /// 请求处置 (RF1-3).
    REQUESTED_ACTION, "请求处置", [
    ("STREET_OUTREACH", "街面劝导"), ("ESCORT_TO_STATION", "护送入站"),
    ("SEND_TO_HOSPITAL", "送医"), ("INFORM_ONLY", "告知"),
]);
code_list!(
    /// 来源系统 CL-SOURCE (RF1-11 namespace).
    SOURCE_SYSTEM, "来源系统 CL-SOURCE", [
    ("GRID", "网格化联动指挥平台"), ("CITYMGMT", "数字城管"), ("POLICE_110", "110接处警"),
    ("POLICE_PATROL", "巡逻民警"), ("HEALTH", "医疗机构"), ("HOTLINE_12345", "12345热线"),
    ("CITIZEN", "市民报告"), ("STATION_PATROL", "救助站街面巡查"),
]);
code_list!(
    /// 上报人类别 (PRD-1, second repetition).
    REPORTER_KIND, "上报人类别", [
    ("GRID_WORKER", "网格员"), ("CITY_INSPECTOR", "城管监督员"), ("POLICE_OFFICER", "民警"),
    ("HEALTH_WORKER", "医护人员"), ("STATION_STAFF", "救助站工作人员"), ("CITIZEN", "市民"),
    ("HOTLINE_OPERATOR", "热线话务员"),
]);
code_list!(
    /// 疑似情形 (OBX `SUSPECTED_FLAG`).
    SUSPECTED_FLAG, "疑似情形", [
    ("LOST", "走失"), ("ABANDONED", "被遗弃"), ("TRAFFICKED", "被拐卖"),
    ("UNACCOMPANIED_MINOR", "无人监护未成年人"),
]);
code_list!(
    /// 场所类型 (ZLO-10).
    PLACE_TYPE, "场所类型", [
    ("RAILWAY_OR_BUS_STATION", "车站"), ("UNDER_BRIDGE", "桥洞"), ("COMMERCIAL_STREET", "商业街"),
    ("HOSPITAL", "医院"), ("BANK_SELF_SERVICE", "银行自助区"), ("CONSTRUCTION_SITE", "在建工地"),
    ("PARK", "公园"), ("UNDERPASS", "地下通道"), ("RESCUE_STATION", "救助站"), ("OTHER", "其他"),
]);
code_list!(
    /// Coordinate reference system (ZLO-9).
    CRS, "坐标系", [("CGCS2000", "2000国家大地坐标系"), ("WGS84", "WGS 84"), ("GCJ02", "国测局坐标")]);
code_list!(
    /// 事件类型 CL-INCIDENT (OBX `INCIDENT_TYPE`).
    INCIDENT_TYPE, "事件类型 CL-INCIDENT", [
    ("DEATH_NORMAL", "正常死亡"), ("DEATH_ABNORMAL", "非正常死亡"),
    ("ABSCONDED_HIGH_RISK", "高风险人员擅自离站/走失"), ("SELF_HARM", "自伤自杀"),
    ("VIOLENCE", "伤人/被伤害"), ("INFECTIOUS_OUTBREAK", "传染病"),
    ("SAFETY_ACCIDENT", "火灾等安全事故"), ("ABUSE_ALLEGATION", "虐待/侵害投诉"),
    ("PUBLIC_OPINION", "舆情"), ("OTHER", "其他"),
]);
code_list!(
    /// 等级 (OBX `SEVERITY`).
    SEVERITY, "事件等级", [("GENERAL", "一般"), ("LARGE", "较大"), ("MAJOR", "重大"), ("ESPECIALLY_MAJOR", "特别重大")]);
code_list!(
    /// 涉及人员角色 (OBX `PERSON_ROLE`).
    INVOLVEMENT_ROLE, "涉及人员角色", [
    ("SUBJECT", "当事人"), ("VICTIM", "受害人"), ("PERPETRATOR", "加害人"), ("WITNESS", "证人"),
    ("STAFF", "工作人员"),
]);
code_list!(
    /// 死亡证明出具 (OBX `DEATH_CERT_ISSUER`).
    CERTIFICATE_ISSUER, "死亡证明出具", [("MEDICAL", "医疗机构"), ("POLICE", "公安机关")]);
code_list!(
    /// 离站方式 CL-LEAVE (OBX `LEAVE_MODE`).
    LEAVE_MODE, "离站方式 CL-LEAVE", [
    ("TICKET_SELF_RETURN", "提供乘车凭证自返"), ("SELF_LEAVE_DECLARED", "自行离站"),
    ("COLLECTED_BY_RELATIVE", "接领返乡"), ("ESCORTED_HOME", "护送返乡"),
    ("TRANSFERRED_STATION", "移交外站"), ("TO_HOSPITAL", "送医"), ("PLACED_CARE", "托养/福利机构安置"),
    ("SETTLED_HUKOU", "落户安置"), ("TERMINATED", "终止救助"), ("ABSCONDED", "擅自离站"),
    ("DECEASED", "死亡"), ("OTHER", "其他"),
]);
code_list!(
    /// 交通方式 (OBX `VOUCHER_MODE`).
    TRAVEL_MODE, "交通方式", [("TRAIN", "火车"), ("COACH", "长途汽车"), ("SHIP", "轮船"), ("OTHER", "其他")]);
code_list!(
    /// 变更类型 (EVN-4 of ADT^A08).
    CHANGE_TYPE, "变更类型", [
    ("VERIFIED", "身份核实"), ("CORRECTED", "更正"), ("MERGED", "合并"), ("DECEASED", "死亡"),
    ("SETTLED", "已落户"),
]);
code_list!(
    /// 依据 (ZID-2).
    SOURCE_OF_TRUTH, "身份变更依据", [
    ("POLICE_POPULATION_DB", "公安人口信息系统"), ("DNA", "DNA比对"), ("FACE", "人像比对"),
    ("DOCUMENT", "证件/证明"), ("FAMILY", "亲属确认"),
]);
code_list!(
    /// 身份状态 (PID-32, HL7 user table 0445 extended).
    IDENTITY_STATUS, "身份状态", [
    ("UNKNOWN", "无法查明"), ("SELF_REPORTED", "自述"), ("DOCUMENT", "证件"),
    ("VERIFIED_POLICE", "公安核实"), ("VERIFIED_DNA", "DNA比中"), ("VERIFIED_FACE", "人像比中"),
    ("CONFLICT", "结果冲突待复核"), ("DECEASED", "已死亡"), ("SETTLED", "已落户"),
]);
code_list!(
    /// 角色 of a staff member (ROL-9, PRD-1 second repetition).
    STAFF_ROLE, "人员角色", [
    ("ESCORT", "护送"), ("RECEIVER", "接收"), ("HANDLER", "经办/处置"), ("REPORTER", "上报"),
    ("REQUESTER", "申请"), ("VERIFIER", "核查"), ("VISITOR", "回访"), ("CONTACT", "联系人"),
    ("DOCTOR", "医生"),
]);
code_list!(
    /// What the ROL segment stands for (ROL-3, HL7 user table 0443 extended).
    ROL_SLOT, "ROL 角色", [
    ("HOSPITAL_CONTACT", "医院联系人"), ("ESCORT", "护送人员"), ("STATION_CONTACT", "救助站联系人"),
]);
code_list!(
    /// 物品处置 (ZBL-8).
    DISPOSITION, "物品处置", [("DEPOSITED", "寄存"), ("WITH_PERSON", "随身"), ("TO_POLICE", "移交公安"), ("RETURNED", "已退还")]);
code_list!(
    /// Kind of attachment (ZAT-4).
    ATTACHMENT_KIND, "附件类别", [("PHOTO", "照片"), ("SIGNED_FORM_SCAN", "纸质表单扫描件"), ("CERTIFICATE", "证明"), ("OTHER", "其他")]);
code_list!(
    /// 敏感级别 (ZAT-8, ZHE-9).
    SENSITIVITY, "敏感级别", [("GENERAL", "一般"), ("SENSITIVE", "敏感个人信息"), ("SENSITIVE_MINOR", "未成年人信息")]);
code_list!(
    /// 救治类别 (PV1-18).
    TREATMENT_CATEGORY, "救治类别", [("CRITICAL", "危重病人"), ("PSYCHIATRIC", "精神病人"), ("INFECTIOUS", "传染病人/疑似"), ("OTHER", "其他")]);
code_list!(
    /// 费用渠道 (PV1-20).
    PAYER, "费用渠道", [
    ("STATION", "救助站结算"), ("EMERGENCY_FUND", "疾病应急救助"), ("MEDICAL_INSURANCE", "医疗保险"),
    ("SELF_FAMILY", "本人/家属自付"),
]);
code_list!(
    /// 出院方式 (PV1-36, HL7 user table 0112 extended).
    DISCHARGE_TYPE, "出院方式", [("CURED", "治愈"), ("IMPROVED", "好转"), ("TRANSFERRED", "转院"), ("SELF_LEFT", "擅自离院"), ("DIED", "死亡")]);
code_list!(
    /// 精神状态评估 (OBX `MENTAL_ASSESSMENT`).
    MENTAL_STATE_ASSESSMENT, "精神状态评估", [
    ("NORMAL", "精神状态正常"), ("STABLE", "病情稳定"), ("UNSTABLE", "病情不稳定需监护"),
    ("DANGEROUS", "有伤害自身或他人危险"), ("NOT_ASSESSED", "未评估"),
]);
code_list!(
    /// 处置结果 CL-REFERRAL-OUTCOME (RF1-4 of RRI^I12).
    REFERRAL_OUTCOME, "处置结果", [
    ("ADMITTED", "已入站"), ("SENT_TO_HOSPITAL", "已送医"), ("REFUSED_SUPPLIES_GIVEN", "拒绝入站已发放物资"),
    ("NOT_FOUND", "未找到"), ("NOT_ELIGIBLE", "不属救助对象"), ("TRANSFERRED_POLICE", "移交公安"),
]);
code_list!(
    /// 拒收环节 (ZHR-3).
    REJECTION_STAGE, "拒收环节", [
    ("PARSE", "无法解析"), ("ENVELOPE", "信封不合规"), ("CONTRACT", "载荷不合规"),
    ("SENDER_MISMATCH", "发送方与认证身份不符"), ("UNAUTHORIZED", "无权发送"), ("UNROUTABLE", "无法路由"),
    ("DUPLICATE_CONFLICT", "重复消息内容不一致"),
]);
code_list!(
    /// 参与方 (ZHE-3).
    ACTOR, "参与方", [
    ("POLICE", "公安"), ("HEALTH", "卫健"), ("CITYMGMT", "城管"), ("GRID", "网格"), ("CIVIL", "民政局"),
    ("STATION", "救助管理站"), ("ORIGIN", "流出地"), ("HUB", "交换枢纽"),
]);
code_list!(
    /// 法律依据 CL-LEGAL (ZHE-7).
    LEGAL_BASIS, "法律依据 CL-LEGAL", [
    ("PIPL13_1_3", "履行法定职责"), ("PIPL13_1_4", "紧急情况下保护生命健康"), ("RULE381_ART5", "办法第五条"),
    ("RULE381_ART6", "办法第六条"), ("RULE381_ART7", "办法第七条"), ("RULE381_ART11", "办法第十一条"),
    ("MCA24", "实施细则"), ("MCA_2014_132", "工作规程"), ("MCA_MPS_2015", "身份查询意见"),
    ("MCA_2020_14", "大提升专项行动"), ("MCA_2006_6", "危重病人精神病人救治"),
    ("MINOR_LAW_ART92", "未成年人保护法第九十二条"), ("TAICANG_2020_150", "太政办〔2020〕150号"),
]);
code_list!(
    /// 处理目的 CL-PURPOSE (ZHE-8).
    PURPOSE, "处理目的 CL-PURPOSE", [
    ("RESCUE_REFERRAL", "救助转介"), ("ESCORT_HANDOVER", "护送交接"), ("IDENTITY_VERIFICATION", "身份查明"),
    ("MEDICAL_TREATMENT", "医疗救治"), ("STATION_CARE", "站内照料"), ("RETURN_HOME", "返乡"),
    ("SETTLEMENT", "落户安置"), ("MISSING_PERSON_SEARCH", "走失查找"), ("INCIDENT_REPORTING", "突发事件报告"),
    ("FOLLOW_UP", "回访"), ("CASE_CLOSURE", "结案反馈"), ("HUB_NOTICE", "枢纽通知"),
]);
code_list!(
    /// 证件类型 GA/T 2000.156 (OBX `COLLECTOR_ID_TYPE`).
    ID_DOC_TYPE, "证件类型 GA/T 2000.156", [
    ("111", "居民身份证"), ("112", "临时居民身份证"), ("113", "户口簿"), ("114", "军官证"),
    ("414", "普通护照"), ("990", "其他"),
]);
code_list!(
    /// 家庭关系 GB/T 4761 (OBX `COLLECTOR_RELATION`).
    RELATION, "家庭关系 GB/T 4761", [
    ("01", "本人"), ("10", "配偶"), ("20", "子"), ("30", "女"), ("50", "父母"), ("51", "父亲"),
    ("52", "母亲"), ("71", "兄"), ("73", "弟"), ("75", "姐姐"), ("77", "妹妹"), ("97", "其他亲属"),
    ("99", "非亲属"),
]);
code_list!(
    /// 性别 GB/T 2261.1 (OBX `SUBJECT_SEX`).
    SEX, "性别 GB/T 2261.1", [("0", "未知的性别"), ("1", "男性"), ("2", "女性"), ("9", "未说明的性别")]);
code_list!(
    /// Signature algorithm (ZHE-11.1).
    SIGNATURE_ALGORITHM, "签名算法", [("ED25519", "Ed25519"), ("SM2_SM3", "SM2/SM3")]);

/// Roles of attachments in `ZAT-1`: which canonical field an attachment fills.
pub mod attachment_role {
    /// The envelope's `attachments`.
    pub const ENVELOPE: &str = "ENVELOPE";
    /// `photo_refs` of a physical description (ZAT-2 = the OBX sub-ID of its group).
    pub const PHOTO: &str = "PHOTO";
    /// REFERRAL `photos`.
    pub const REFERRAL_PHOTO: &str = "REFERRAL_PHOTO";
    /// `photo_ref` of a belonging (ZAT-2 = ZBL-1).
    pub const BELONGING_PHOTO: &str = "BELONGING_PHOTO";
    /// HOSPITAL_DISCHARGE `discharge_certificate`.
    pub const DISCHARGE_CERTIFICATE: &str = "DISCHARGE_CERTIFICATE";
    /// INCIDENT_REPORT `attachments`.
    pub const INCIDENT: &str = "INCIDENT";
    /// STATION_LEAVE `self_leave_declaration`.
    pub const SELF_LEAVE_DECLARATION: &str = "SELF_LEAVE_DECLARATION";
    /// STATION_LEAVE `termination_notice_ref`.
    pub const TERMINATION_NOTICE: &str = "TERMINATION_NOTICE";
    /// STATION_LEAVE `leave_register_ref`.
    pub const LEAVE_REGISTER: &str = "LEAVE_REGISTER";
}

/// The OBX observation identifiers (OBX-3.1) of the interface, with their Chinese names
/// (OBX-3.2). Height uses LOINC (`LN`), everything else [`LOCAL_CODES`].
pub mod code {
    /// 身高 (LOINC 8302-2, NM, cm).
    pub const HEIGHT: &str = "8302-2";
    /// 体型 (CE).
    pub const BUILD: &str = "BUILD";
    /// 发型发色 (ST).
    pub const HAIR: &str = "HAIR";
    /// 体表特征 (ST).
    pub const MARKS: &str = "MARKS";
    /// 发现时衣着特征 (ST).
    pub const CLOTHING: &str = "CLOTHING";
    /// 智力状况 (CE).
    pub const INTELLECT: &str = "INTELLECT";
    /// 精神状态 (CE).
    pub const MENTAL: &str = "MENTAL";
    /// 健康状况 (CE).
    pub const HEALTH: &str = "HEALTH";
    /// 检视发现 (CE, repeating).
    pub const HEALTH_FLAG: &str = "HEALTH_FLAG";
    /// 需送医 (CE Y/N).
    pub const NEEDS_MEDICAL: &str = "NEEDS_MEDICAL";
    /// 健康说明 (TX).
    pub const HEALTH_NOTES: &str = "HEALTH_NOTES";
    /// 性别 of a referral subject (CE, GB/T 2261.1).
    pub const SUBJECT_SEX: &str = "SUBJECT_SEX";
    /// 目测年龄 (NM, a).
    pub const ESTIMATED_AGE: &str = "ESTIMATED_AGE";
    /// 疑似未成年 (CE Y/N).
    pub const MINOR_SUSPECTED: &str = "MINOR_SUSPECTED";
    /// 本人意愿 (CE).
    pub const WILLINGNESS: &str = "WILLINGNESS";
    /// 来源事件分类 (CE: major^name^99TCH^minor).
    pub const SOURCE_EVENT_CLASS: &str = "SOURCE_EVENT_CLASS";
    /// 疑似情形 (CE, repeating).
    pub const SUSPECTED_FLAG: &str = "SUSPECTED_FLAG";
    /// 出发时间 (TS).
    pub const DEPARTED_AT: &str = "DEPARTED_AT";
    /// 未收治原因 (TX).
    pub const NOT_ADMITTED_REASON: &str = "NOT_ADMITTED_REASON";
    /// 医嘱/用药 (TX).
    pub const CARE_INSTRUCTIONS: &str = "CARE_INSTRUCTIONS";
    /// 精神状态评估 (CE).
    pub const MENTAL_ASSESSMENT: &str = "MENTAL_ASSESSMENT";
    /// 住院期间获取的身份线索 (TX).
    pub const IDENTITY_CLUES: &str = "IDENTITY_CLUES";
    /// 需接回时间 (TS).
    pub const PICKUP_BY: &str = "PICKUP_BY";
    /// 发现时间 (TS).
    pub const DISCOVERED_AT: &str = "DISCOVERED_AT";
    /// 首报时限 (TS).
    pub const FIRST_REPORT_DUE_AT: &str = "FIRST_REPORT_DUE_AT";
    /// 事件类型 (CE).
    pub const INCIDENT_TYPE: &str = "INCIDENT_TYPE";
    /// 等级 (CE).
    pub const SEVERITY: &str = "SEVERITY";
    /// 经过 (TX).
    pub const DESCRIPTION: &str = "DESCRIPTION";
    /// 已采取措施 (TX).
    pub const ACTIONS_TAKEN: &str = "ACTIONS_TAKEN";
    /// 公安案(警)情号 (ST).
    pub const POLICE_CASE_NO: &str = "POLICE_CASE_NO";
    /// 涉及人员角色 (CE; sub-ID per person).
    pub const PERSON_ROLE: &str = "PERSON_ROLE";
    /// 涉及人员救助个案号 (ST; sub-ID per person).
    pub const PERSON_CASE_ID: &str = "PERSON_CASE_ID";
    /// 涉及人员标识 (ST; sub-ID per person).
    pub const PERSON_ID: &str = "PERSON_ID";
    /// 已通知单位 (ST; sub-ID per notification).
    pub const NOTIFIED_ORG: &str = "NOTIFIED_ORG";
    /// 通知时间 (TS; sub-ID per notification).
    pub const NOTIFIED_AT: &str = "NOTIFIED_AT";
    /// 死亡时间 (TS).
    pub const DIED_AT: &str = "DIED_AT";
    /// 死亡地点 (ST).
    pub const DEATH_PLACE: &str = "DEATH_PLACE";
    /// 死亡证明出具 (CE).
    pub const DEATH_CERT_ISSUER: &str = "DEATH_CERT_ISSUER";
    /// 死亡证明编号 (ST).
    pub const DEATH_CERT_REF: &str = "DEATH_CERT_REF";
    /// 死因摘要 (TX).
    pub const DEATH_CAUSE: &str = "DEATH_CAUSE";
    /// 遗体存放地点 (ST).
    pub const BODY_LOCATION: &str = "BODY_LOCATION";
    /// 通知家属时间 (TS).
    pub const FAMILY_NOTIFIED_AT: &str = "FAMILY_NOTIFIED_AT";
    /// 认领公告截止日期 (DT).
    pub const PUBLIC_NOTICE_UNTIL: &str = "PUBLIC_NOTICE_UNTIL";
    /// 离站方式 (CE).
    pub const LEAVE_MODE: &str = "LEAVE_MODE";
    /// 是否跨省 (CE Y/N).
    pub const CROSS_PROVINCE: &str = "CROSS_PROVINCE";
    /// 去向区划 (ST).
    pub const DEST_REGION: &str = "DEST_REGION";
    /// 去向地址 (ST).
    pub const DEST_ADDRESS: &str = "DEST_ADDRESS";
    /// 去向接收单位代码 (ST).
    pub const DEST_ORG: &str = "DEST_ORG";
    /// 接领人姓名 (ST).
    pub const COLLECTOR_NAME: &str = "COLLECTOR_NAME";
    /// 接领人证件类型 (CE, GA/T 2000.156).
    pub const COLLECTOR_ID_TYPE: &str = "COLLECTOR_ID_TYPE";
    /// 接领人证件号码 (ST).
    pub const COLLECTOR_ID_NUMBER: &str = "COLLECTOR_ID_NUMBER";
    /// 接领人与本人关系 (CE, GB/T 4761).
    pub const COLLECTOR_RELATION: &str = "COLLECTOR_RELATION";
    /// 接领人电话 (ST).
    pub const COLLECTOR_PHONE: &str = "COLLECTOR_PHONE";
    /// 乘车凭证交通方式 (CE).
    pub const VOUCHER_MODE: &str = "VOUCHER_MODE";
    /// 乘车凭证出发站 (ST).
    pub const VOUCHER_FROM: &str = "VOUCHER_FROM";
    /// 乘车凭证到达站 (ST).
    pub const VOUCHER_TO: &str = "VOUCHER_TO";
    /// 乘车凭证中转站 (ST).
    pub const VOUCHER_TRANSFER: &str = "VOUCHER_TRANSFER";
    /// 票号/凭证号 (ST).
    pub const VOUCHER_NO: &str = "VOUCHER_NO";
    /// 发放现金 (NM, CNY).
    pub const CASH_GIVEN: &str = "CASH_GIVEN";
    /// 寄存物品已退还 (CE Y/N).
    pub const BELONGINGS_RETURNED: &str = "BELONGINGS_RETURNED";
    /// 在站天数 (NM, d).
    pub const DAYS_IN_STATION: &str = "DAYS_IN_STATION";
    /// 不受10天救助期限限制 (CE Y/N).
    pub const EXEMPT_10_DAY: &str = "EXEMPT_10_DAY";
    /// 超期原因/备案号 (TX).
    pub const OVER_10_DAYS_REASON: &str = "OVER_10_DAYS_REASON";
    /// 返乡通知号 (ST).
    pub const RETURN_NOTICE_ID: &str = "RETURN_NOTICE_ID";
    /// 到场时间 (TS).
    pub const ARRIVED_AT: &str = "ARRIVED_AT";
    /// 办结时间 (TS).
    pub const CLOSED_AT: &str = "CLOSED_AT";
    /// 救助个案号 (ST).
    pub const CASE_ID: &str = "CASE_ID";

    /// Chinese name of an observation identifier (OBX-3.2).
    pub fn name(code: &str) -> &'static str {
        NAMES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("", |(_, n)| n)
    }

    const NAMES: &[(&str, &str)] = &[
        (HEIGHT, "身高"),
        (BUILD, "体型"),
        (HAIR, "发型发色"),
        (MARKS, "体表特征"),
        (CLOTHING, "发现时衣着特征"),
        (INTELLECT, "智力状况"),
        (MENTAL, "精神状态"),
        (HEALTH, "健康状况"),
        (HEALTH_FLAG, "检视发现"),
        (NEEDS_MEDICAL, "需送医"),
        (HEALTH_NOTES, "健康说明"),
        (SUBJECT_SEX, "性别"),
        (ESTIMATED_AGE, "目测年龄"),
        (MINOR_SUSPECTED, "疑似未成年"),
        (WILLINGNESS, "本人意愿"),
        (SOURCE_EVENT_CLASS, "来源事件分类"),
        (SUSPECTED_FLAG, "疑似情形"),
        (DEPARTED_AT, "出发时间"),
        (NOT_ADMITTED_REASON, "未收治原因"),
        (CARE_INSTRUCTIONS, "医嘱/用药"),
        (MENTAL_ASSESSMENT, "精神状态评估"),
        (IDENTITY_CLUES, "住院期间获取的身份线索"),
        (PICKUP_BY, "需接回时间"),
        (DISCOVERED_AT, "发现时间"),
        (FIRST_REPORT_DUE_AT, "首报时限"),
        (INCIDENT_TYPE, "事件类型"),
        (SEVERITY, "等级"),
        (DESCRIPTION, "经过"),
        (ACTIONS_TAKEN, "已采取措施"),
        (POLICE_CASE_NO, "公安案(警)情号"),
        (PERSON_ROLE, "涉及人员角色"),
        (PERSON_CASE_ID, "涉及人员救助个案号"),
        (PERSON_ID, "涉及人员标识"),
        (NOTIFIED_ORG, "已通知单位"),
        (NOTIFIED_AT, "通知时间"),
        (DIED_AT, "死亡时间"),
        (DEATH_PLACE, "死亡地点"),
        (DEATH_CERT_ISSUER, "死亡证明出具"),
        (DEATH_CERT_REF, "死亡证明编号"),
        (DEATH_CAUSE, "死因摘要"),
        (BODY_LOCATION, "遗体存放地点"),
        (FAMILY_NOTIFIED_AT, "通知家属时间"),
        (PUBLIC_NOTICE_UNTIL, "认领公告截止日期"),
        (LEAVE_MODE, "离站方式"),
        (CROSS_PROVINCE, "是否跨省"),
        (DEST_REGION, "去向区划"),
        (DEST_ADDRESS, "去向地址"),
        (DEST_ORG, "去向接收单位代码"),
        (COLLECTOR_NAME, "接领人姓名"),
        (COLLECTOR_ID_TYPE, "接领人证件类型"),
        (COLLECTOR_ID_NUMBER, "接领人证件号码"),
        (COLLECTOR_RELATION, "接领人与本人关系"),
        (COLLECTOR_PHONE, "接领人电话"),
        (VOUCHER_MODE, "交通方式"),
        (VOUCHER_FROM, "出发站"),
        (VOUCHER_TO, "到达站"),
        (VOUCHER_TRANSFER, "中转站"),
        (VOUCHER_NO, "票号/凭证号"),
        (CASH_GIVEN, "发放现金"),
        (BELONGINGS_RETURNED, "寄存物品已退还"),
        (DAYS_IN_STATION, "在站天数"),
        (EXEMPT_10_DAY, "不受10天救助期限限制"),
        (OVER_10_DAYS_REASON, "超期原因/备案号"),
        (RETURN_NOTICE_ID, "返乡通知号"),
        (ARRIVED_AT, "到场时间"),
        (CLOSED_AT, "办结时间"),
        (CASE_ID, "救助个案号"),
    ];
}

/// A lenient read-only view of canonical JSON, for encoding: a delivery may arrive with
/// fields projected away by the hub, so every accessor answers `None` rather than failing.
#[derive(Debug, Clone, Copy)]
pub struct J<'a>(Option<&'a Value>);

impl<'a> J<'a> {
    /// A view of a value.
    pub fn new(value: &'a Value) -> J<'a> {
        J(Some(value))
    }

    /// The member `key` (absent if this is not an object or has no such member).
    pub fn get(self, key: &str) -> J<'a> {
        J(self.0.and_then(|v| v.get(key)))
    }

    /// Whether the value is present (and not JSON null).
    pub fn exists(self) -> bool {
        self.0.is_some_and(|v| !v.is_null())
    }

    /// The string, if this is one.
    pub fn str(self) -> Option<&'a str> {
        self.0?.as_str()
    }

    /// The boolean, if this is one.
    pub fn bool(self) -> Option<bool> {
        self.0?.as_bool()
    }

    /// The unsigned integer, if this is one.
    pub fn u64(self) -> Option<u64> {
        self.0?.as_u64()
    }

    /// The number, if this is one.
    pub fn f64(self) -> Option<f64> {
        self.0?.as_f64()
    }

    /// The items, if this is an array (none otherwise).
    pub fn items(self) -> impl Iterator<Item = J<'a>> {
        self.0
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|v| J(Some(v)))
    }

    /// The string items of an array.
    pub fn strs(self) -> Vec<&'a str> {
        self.items().filter_map(J::str).collect()
    }
}
