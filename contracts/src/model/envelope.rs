//! The message envelope (消息信封): one JSON object with the envelope fields at top level and
//! the body under `payload` (domain.md §7.2, `schemas/ENVELOPE/v1.json`).
//!
//! The payload stays generic: `Envelope<serde_json::Value>` is what the hub handles before it
//! knows the type; `Envelope<P>` with a payload type is what adapters build.

use serde::{Deserialize, Serialize};

use super::shared::{Actor, Attachment, Sensitivity};
use crate::catalogue::MessageType;

/// Legal basis of the processing (法律依据, CL-LEGAL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LegalBasis {
    /// PIPL art. 13(1)(3): necessary for statutory duties (履行法定职责).
    #[serde(rename = "PIPL13_1_3")]
    Pipl13_1_3,
    /// PIPL art. 13(1)(4): protecting life and health in an emergency.
    #[serde(rename = "PIPL13_1_4")]
    Pipl13_1_4,
    /// State Council Order 381 art. 5 (police guide and escort).
    #[serde(rename = "RULE381_ART5")]
    Rule381Art5,
    /// Order 381 art. 6 (registration, belongings).
    #[serde(rename = "RULE381_ART6")]
    Rule381Art6,
    /// Order 381 art. 7 (station duties incl. sending the ill to hospital).
    #[serde(rename = "RULE381_ART7")]
    Rule381Art7,
    /// Order 381 art. 11 (return home).
    #[serde(rename = "RULE381_ART11")]
    Rule381Art11,
    /// MCA Order 24 (实施细则).
    #[serde(rename = "MCA24")]
    Mca24,
    /// 民发〔2014〕132号 工作规程.
    #[serde(rename = "MCA_2014_132")]
    Mca2014_132,
    /// 2015 MCA–MPS 意见 on identity checks.
    #[serde(rename = "MCA_MPS_2015")]
    McaMps2015,
    /// 民发〔2020〕14号.
    #[serde(rename = "MCA_2020_14")]
    Mca2020_14,
    /// 民发〔2006〕6号 (critically and mentally ill).
    #[serde(rename = "MCA_2006_6")]
    Mca2006_6,
    /// Minors Protection Law art. 92.
    #[serde(rename = "MINOR_LAW_ART92")]
    MinorLawArt92,
    /// 太政办〔2020〕150号 (the Taicang programme).
    #[serde(rename = "TAICANG_2020_150")]
    Taicang2020_150,
}

/// Purpose of the processing (处理目的, CL-PURPOSE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Purpose {
    /// 救助转介.
    RescueReferral,
    /// 护送交接.
    EscortHandover,
    /// 身份查明.
    IdentityVerification,
    /// 医疗救治.
    MedicalTreatment,
    /// 站内照料.
    StationCare,
    /// 返乡.
    ReturnHome,
    /// 落户安置.
    Settlement,
    /// 走失查找.
    MissingPersonSearch,
    /// 突发事件报告.
    IncidentReporting,
    /// 回访.
    FollowUp,
    /// 结案反馈.
    CaseClosure,
    /// 枢纽通知.
    HubNotice,
}

/// Signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SignatureAlgorithm {
    /// Ed25519.
    Ed25519,
    /// SM2 with SM3 digest (national cryptography).
    #[serde(rename = "SM2_SM3")]
    Sm2Sm3,
}

/// The sender's signature over the canonical payload (签名).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Algorithm.
    pub algorithm: SignatureAlgorithm,
    /// Key id of the signing key.
    pub key_id: String,
    /// Base64 signature value.
    pub value: String,
}

/// The message envelope; `P` is the payload type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope<P = serde_json::Value> {
    /// 消息标识 (UUID), the deduplication key.
    pub message_id: String,
    /// 消息类型.
    pub message_type: MessageType,
    /// 结构版本 `MAJOR.MINOR.PATCH`.
    pub schema_version: String,
    /// 救助个案号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// 关联消息: the message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// 发送单位代码.
    pub sender_org_code: String,
    /// 发送单位类别.
    pub sender_org_type: Actor,
    /// 发送系统.
    pub sender_system: String,
    /// 接收单位.
    pub receiver_org_codes: Vec<String>,
    /// 发送时间.
    pub sent_at: String,
    /// 行政区划.
    pub region_code: String,
    /// 法律依据.
    pub legal_basis: Vec<LegalBasis>,
    /// 处理目的.
    pub purpose_code: Purpose,
    /// 敏感级别.
    pub sensitivity: Sensitivity,
    /// 保存期限.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_until: Option<String>,
    /// 签名.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
    /// 附件.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
    /// The message body.
    pub payload: P,
}

impl<P> Envelope<P> {
    /// The major part of `schema_version` (`"2.1.0"` → 2), if it parses.
    pub fn major_version(&self) -> Option<u32> {
        crate::version::major_of(&self.schema_version)
    }
}
