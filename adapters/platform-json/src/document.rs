//! The native documents both JSON platforms share, and how every native document type is
//! declared ([`native_struct!`](crate::native_struct)):
//!
//! * [`HubDocument`]: a document the hub sends — the `header` (报文头) with every envelope
//!   field ([`HEADER_FIELDS`]), so the platform can quote the `msgId` back and a simulator can
//!   rebuild the message, and the `body`, whose shape the header's `msgType` selects;
//! * [`RejectNotice`] and [`Reason`]: 拒收通知 (HUB_REJECTED) and its refusal reasons;
//! * [`Person`]: one person found, the block both platforms agreed with the hub for the
//!   流浪乞讨 documents they push.
//!
//! Invariant: every document type is `deny_unknown_fields` with all fields optional, so that
//! a decode reports a missing field by its native name
//! ([`adapter_core::CodecError::MissingField`]) and an unknown field is an error rather than
//! silently dropped.

use serde_json::{Map, Value};

/// Declares a native document type: camelCase keys, unknown keys refused, every field
/// optional (`Option<T>`, absent when `None`). Each field keeps its doc comment. The calling
/// crate must depend on `serde` (the derives name it).
#[macro_export]
macro_rules! native_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }
    };
}

crate::native_struct! {
    /// One person found (对象).
    Person {
        /// 性别 (GB/T 2261.1: `0`, `1`, `2`, `9`).
        sex: String,
        /// 目测年龄.
        estimated_age: u64,
        /// 疑似未成年.
        minor_suspected: bool,
        /// 本人意愿 (hub code: `WILLING`, `REFUSED`, `CANNOT_EXPRESS`).
        willingness: String,
        /// 体貌特征 (hub structure, camelCase keys).
        physical_description: Value,
        /// 健康状况 (hub structure, camelCase keys).
        health: Value,
    }
}

crate::native_struct! {
    /// A document the hub sends to the platform: the header (报文头, every envelope field) and
    /// the body, whose shape the header's `msgType` selects.
    HubDocument {
        /// 报文头.
        header: Map<String, Value>,
        /// 报文体.
        body: Value,
    }
}

crate::native_struct! {
    /// 拒收通知: the hub refused a message the platform sent (HUB_REJECTED).
    RejectNotice {
        /// 被拒消息标识 (← `rejected_message_id`; the `messageIds` of the receipt).
        rejected_msg_id: String,
        /// 被拒消息类型 (← `rejected_message_type`).
        rejected_msg_type: String,
        /// 接收时间 (← `received_at`).
        receive_time: String,
        /// 拒收环节 (hub code, ← `stage`).
        stage: String,
        /// 拒收原因.
        reasons: Vec<Reason>,
        /// 死信引用 (← `dead_letter_ref`).
        dead_letter_ref: String,
        /// 可否重发 (← `retry_allowed`).
        retry_allowed: bool,
    }
}

crate::native_struct! {
    /// One refusal reason, in receipts and rejection notices.
    Reason {
        /// The native field the reason is about (`dispatch.urgency` for 数字城管, `level` for
        /// the grid), when the canonical pointer maps to one (derived; ignored on decode).
        field: String,
        /// JSON pointer into the canonical message.
        pointer: String,
        /// Rule broken.
        code: String,
        /// 说明.
        message: String,
    }
}

/// Envelope field ↔ header key, for the keys whose name is not simply the camelCase of the
/// envelope's; with the meaning (for [`adapter_core::CodecError::MissingField`]) and whether
/// the envelope requires it.
pub const HEADER_FIELDS: &[(&str, &str, &str, bool)] = &[
    ("message_id", "msgId", "消息标识", true),
    ("message_type", "msgType", "消息类型", true),
    ("schema_version", "version", "结构版本", true),
    ("case_id", "caseId", "救助个案号", false),
    ("correlation_id", "correlationId", "关联消息", false),
    ("sender_org_code", "senderOrgCode", "发送单位代码", true),
    ("sender_org_type", "senderOrgType", "发送单位类别", true),
    ("sender_system", "senderSystem", "发送系统", true),
    ("receiver_org_codes", "receiverOrgCodes", "接收单位", true),
    ("sent_at", "sendTime", "发送时间", true),
    ("region_code", "regionCode", "行政区划", true),
    ("legal_basis", "legalBasis", "法律依据", true),
    ("purpose_code", "purposeCode", "处理目的", true),
    ("sensitivity", "sensitivity", "敏感级别", true),
    ("retention_until", "retentionUntil", "保存期限", false),
    ("signature", "signature", "签名", false),
    ("attachments", "attachments", "附件", false),
];
