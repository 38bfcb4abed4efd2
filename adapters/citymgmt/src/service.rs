//! The 数字城管 interface's endpoints, as data: which native document goes where, in which
//! direction, and what answers it. The runtime that serves and calls them is written
//! elsewhere; it reads this table and the paths [`crate::encode`] puts on each
//! [`adapter_core::NativeDocument`].
//!
//! Transport: HTTP/1.1 on the 政务外网, JSON in UTF-8 (`application/json; charset=UTF-8`).
//! The hub's paths are served under the adapter's listen address; the 城管 system's paths are
//! relative to its `base_url` ([`crate::config::CitymgmtConfig`]). [`Endpoint`] and
//! [`Direction`] are the grid platform's too (`adapter_platform_json::service`).

use contracts::catalogue::MessageType;

pub use adapter_platform_json::service::{Direction, Endpoint};

/// Hub path the 城管 system POSTs a 派遣案卷 to (answered with a receipt).
pub const CASE_PUSH_PATH: &str = "/citymgmt/v1/cases";
/// 城管 path the hub POSTs 处理反馈 to (REFERRAL_OUTCOME).
pub const FEEDBACK_PATH: &str = "/api/v1/rescue/case-feedback";
/// 城管 path the hub POSTs 拒收通知 to (HUB_REJECTED).
pub const REJECTION_PATH: &str = "/api/v1/rescue/reject-notices";

/// Every endpoint of the 城管 interface.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        direction: Direction::ToHub,
        method: "POST",
        path: CASE_PUSH_PATH,
        document: "派遣案卷 (caseDispatch)",
        message_types: &[MessageType::Referral],
        answer: "回执 {code, msg, data}: 0 接收成功 with data.messageIds; 1001–1004 the \
                 document is wrong; 2001 refused with data.reasons; 5001 (HTTP 503) resend later",
    },
    Endpoint {
        direction: Direction::FromHub,
        method: "POST",
        path: FEEDBACK_PATH,
        document: "处理反馈 (caseFeedback): header + body",
        message_types: &[MessageType::ReferralOutcome],
        answer: "回执 {code, msg}: 0 received; 5001–5003 busy (retried); others refused",
    },
    Endpoint {
        direction: Direction::FromHub,
        method: "POST",
        path: REJECTION_PATH,
        document: "拒收通知 (rejectNotice): header + body",
        message_types: &[MessageType::HubRejected],
        answer: "回执 {code, msg}: 0 received; 5001–5003 busy (retried); others refused",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_type_has_exactly_one_endpoint() {
        for t in [
            MessageType::Referral,
            MessageType::ReferralOutcome,
            MessageType::HubRejected,
        ] {
            let n = ENDPOINTS
                .iter()
                .filter(|e| e.message_types.contains(&t))
                .count();
            assert_eq!(n, 1, "{t}");
        }
    }
}
