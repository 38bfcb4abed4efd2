//! The grid platform's endpoints, as data: which native document goes where, in which
//! direction, and what answers it. The runtime that serves and calls them is written
//! elsewhere; it reads this table and the paths [`crate::encode`] puts on each
//! [`adapter_core::NativeDocument`].
//!
//! Transport: HTTP/1.1 on the 政务外网, JSON in UTF-8 (`application/json; charset=UTF-8`).
//! The hub's paths are served under the adapter's listen address; the platform's paths are
//! relative to its `base_url` ([`crate::config::GridConfig`]). [`Endpoint`] and
//! [`Direction`] are the 数字城管 interface's too (`adapter_platform_json::service`).

use contracts::catalogue::MessageType;

pub use adapter_platform_json::service::{Direction, Endpoint};

/// Hub path the platform POSTs an event record to (answered with a receipt).
pub const EVENT_PUSH_PATH: &str = "/grid/v1/events";
/// Platform path the hub POSTs 任务反馈 to (REFERRAL_OUTCOME).
pub const FEEDBACK_PATH: &str = "/api/event/task/feedback";
/// Platform path the hub POSTs 入站登记通报 to (STATION_INTAKE).
pub const INTAKE_NOTICE_PATH: &str = "/api/event/rescue/intake-notice";
/// Platform path the hub POSTs 拒收通知 to (HUB_REJECTED).
pub const REJECTION_PATH: &str = "/api/event/rescue/reject-notice";

/// Every endpoint of the grid interface.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        direction: Direction::ToHub,
        method: "POST",
        path: EVENT_PUSH_PATH,
        document: "事件上报 (eventReport)",
        message_types: &[MessageType::Referral],
        answer: "回执 {code, success, msg, data} with HTTP status = code: 200 with \
                 data.messageIds; 400 the document is wrong; 415 event type not taken; 422 \
                 refused with data.reasons; 503 resend later",
    },
    Endpoint {
        direction: Direction::FromHub,
        method: "POST",
        path: FEEDBACK_PATH,
        document: "任务反馈 (taskFeedback): header + body",
        message_types: &[MessageType::ReferralOutcome],
        answer: "回执 {code, success, msg}: 200 received; 500/503/504 busy (retried); others refused",
    },
    Endpoint {
        direction: Direction::FromHub,
        method: "POST",
        path: INTAKE_NOTICE_PATH,
        document: "入站登记通报 (intakeNotice): header + body",
        message_types: &[MessageType::StationIntake],
        answer: "回执 {code, success, msg}: 200 received; 500/503/504 busy (retried); others refused",
    },
    Endpoint {
        direction: Direction::FromHub,
        method: "POST",
        path: REJECTION_PATH,
        document: "拒收通知 (rejectNotice): header + body",
        message_types: &[MessageType::HubRejected],
        answer: "回执 {code, success, msg}: 200 received; 500/503/504 busy (retried); others refused",
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
            MessageType::StationIntake,
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
