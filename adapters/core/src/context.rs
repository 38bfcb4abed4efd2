//! [`DecodeContext`]: what the adapter knows about the sending department system that the
//! native document does not carry (its organisation code, system name, the time the
//! document was received). Passed to every decode so that codecs stay pure and
//! deterministic.

use serde::{Deserialize, Serialize};

/// Facts about the sending department system, from the adapter's configuration, and the
/// receive time of the document being decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeContext {
    /// 发送单位代码: the department's 18-character unified social credit code (USCC).
    pub sender_org_code: String,
    /// 发送系统: the name of the department's system, e.g. `太仓市公安局警务综合平台`.
    pub sender_system: String,
    /// 行政区划代码 of the sender (GB/T 2260, 6 digits), `320585` for Taicang.
    pub region_code: String,
    /// 接收单位代码: organisation codes of the receivers, when the native document does not
    /// name them (the rescue station's USCC for referrals, for example).
    pub receiver_org_codes: Vec<String>,
    /// When the adapter received the document (RFC 3339 with offset, `+08:00`); used as
    /// `sent_at` when the native document carries no send time of its own.
    pub received_at: String,
}

impl DecodeContext {
    /// The context used by golden files and tests: Taicang police-style codes and a fixed
    /// receive time, so decodes are reproducible byte for byte.
    pub fn fixed_for_tests(sender_org_code: &str, sender_system: &str) -> DecodeContext {
        DecodeContext {
            sender_org_code: sender_org_code.to_owned(),
            sender_system: sender_system.to_owned(),
            region_code: "320585".to_owned(),
            receiver_org_codes: vec!["12320585466880789G".to_owned()],
            received_at: "2025-03-04T22:48:10+08:00".to_owned(),
        }
    }
}
