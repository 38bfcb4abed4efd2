//! Failure modes: how the simulated department system answers, switchable at run time.
//!
//! | mode | HTTP | MLLP (HL7) |
//! |---|---|---|
//! | `ok` | the department's success receipt | ACK `AA` |
//! | `error_5xx` | 503 with the department's "try later" body | ACK `AE` |
//! | `reject_4xx` | 422 with the department's refusal body | ACK `AR` |
//! | `slow` | the success receipt after the delay | ACK `AA` after the delay |
//! | `down` | connections refused (see below) | the same |
//! | `malformed` | 200 with a body that cannot be parsed | a frame whose payload is not HL7 |
//!
//! Each mode may be limited to the next *N* requests, after which the simulator is back to
//! `ok` by itself. A request is one HTTP request or one HL7 message (frame).
//!
//! `down` is about connections, not requests:
//! * without a count the simulator **really stops listening** (the port refuses
//!   connections: `ECONNREFUSED`), and closes its open connections; switching to any other
//!   mode listens again **on the same port**;
//! * with a count *N* the port stays bound but the next *N* connections are accepted and
//!   reset at once (`ECONNRESET`, nothing read or answered); open keep-alive connections
//!   are closed when the mode is set, so every following request needs a new connection.
//!
//! Invariant: the mode in force is decided once per request (or connection) under one
//! lock, so counted modes apply to exactly *N* requests however many arrive at once.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// How the simulator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureMode {
    /// The department's success receipt (HL7 `AA`).
    #[default]
    Ok,
    /// HTTP 503 with the department's "try later" body (HL7 `AE`).
    Error5xx,
    /// HTTP 422 with the department's refusal body (HL7 `AR`).
    Reject4xx,
    /// The success receipt after this delay.
    Slow(Duration),
    /// Connections refused; see the module docs.
    Down,
    /// A 200 answer (HL7 frame) whose body cannot be parsed.
    Malformed,
}

impl FailureMode {
    /// The mode's name on the control endpoint (`error_5xx`).
    pub const fn name(self) -> &'static str {
        match self {
            FailureMode::Ok => "ok",
            FailureMode::Error5xx => "error_5xx",
            FailureMode::Reject4xx => "reject_4xx",
            FailureMode::Slow(_) => "slow",
            FailureMode::Down => "down",
            FailureMode::Malformed => "malformed",
        }
    }
}

/// The mode in force and how many more requests it applies to (`None`: until switched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModeStatus {
    /// The mode.
    pub mode: FailureMode,
    /// Requests (connections, for `down`) left before the simulator returns to `ok` by
    /// itself; `None` when the mode stays until switched.
    pub remaining: Option<u32>,
}

/// The control endpoint's JSON, both ways: `{"mode": "error_5xx", "count": 3}`,
/// `{"mode": "slow", "delay_ms": 2000}`; answers add `remaining`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeRequest {
    /// `ok`, `error_5xx`, `reject_4xx`, `slow`, `down` or `malformed`.
    pub mode: String,
    /// Only for the next `count` requests (connections, for `down`), then back to `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The delay of `slow`, in milliseconds (the simulator's `slow_delay` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// In answers only: requests left in the mode (absent: until switched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
}

impl ModeRequest {
    /// The mode and count asked for; `slow` without `delay_ms` takes `default_slow`.
    pub fn parse(&self, default_slow: Duration) -> Result<(FailureMode, Option<u32>), SimError> {
        let mode = match self.mode.trim().to_ascii_lowercase().as_str() {
            "ok" => FailureMode::Ok,
            "error_5xx" | "error5xx" | "5xx" => FailureMode::Error5xx,
            "reject_4xx" | "reject4xx" | "4xx" => FailureMode::Reject4xx,
            "slow" => FailureMode::Slow(self.delay_ms.map_or(default_slow, Duration::from_millis)),
            "down" => FailureMode::Down,
            "malformed" => FailureMode::Malformed,
            other => {
                return Err(SimError::Mode(format!(
                    "unknown mode {other:?}: expected ok, error_5xx, reject_4xx, slow, down or malformed"
                )));
            }
        };
        if self.delay_ms.is_some() && !matches!(mode, FailureMode::Slow(_)) {
            return Err(SimError::Mode(
                "delay_ms applies to mode slow only".to_owned(),
            ));
        }
        if self.remaining.is_some() {
            return Err(SimError::Mode(
                "remaining is an answer field; ask with count".to_owned(),
            ));
        }
        check_count(mode, self.count)?;
        Ok((mode, self.count))
    }

    /// The JSON form of a status.
    pub fn of_status(status: ModeStatus) -> ModeRequest {
        ModeRequest {
            mode: status.mode.name().to_owned(),
            count: None,
            delay_ms: match status.mode {
                FailureMode::Slow(delay) => {
                    Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX))
                }
                _ => None,
            },
            remaining: status.remaining,
        }
    }
}

/// `count` must be at least 1 (0 would mean "never"), and makes no sense with `ok`.
pub(crate) fn check_count(mode: FailureMode, count: Option<u32>) -> Result<(), SimError> {
    match (mode, count) {
        (_, Some(0)) => Err(SimError::Mode("count must be at least 1".to_owned())),
        (FailureMode::Ok, Some(_)) => Err(SimError::Mode(
            "count makes no sense with ok (ok is what the simulator returns to)".to_owned(),
        )),
        _ => Ok(()),
    }
}

/// The mode in force, shared by the listener, the request handlers and the controls.
#[derive(Debug, Default)]
pub(crate) struct ModeControl {
    status: Mutex<ModeStatus>,
}

impl ModeControl {
    /// The mode in force.
    pub(crate) fn status(&self) -> ModeStatus {
        *self.lock()
    }

    /// Switches the mode.
    pub(crate) fn set(&self, mode: FailureMode, count: Option<u32>) {
        *self.lock() = ModeStatus {
            mode,
            remaining: count,
        };
    }

    /// The mode for one request, counting it. `down` does not apply to requests (a request
    /// that still arrives, on a connection opened before, is answered `ok`) and is not
    /// counted here.
    pub(crate) fn for_request(&self) -> FailureMode {
        let mut status = self.lock();
        if status.mode == FailureMode::Down {
            return FailureMode::Ok;
        }
        let mode = status.mode;
        count_down(&mut status);
        mode
    }

    /// Whether a new connection is to be reset (counted `down`), counting it.
    pub(crate) fn reset_connection(&self) -> bool {
        let mut status = self.lock();
        if status.mode == FailureMode::Down && status.remaining.is_some() {
            count_down(&mut status);
            true
        } else {
            false
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ModeStatus> {
        // A poisoned lock only means a panic elsewhere; the status itself is always whole.
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn count_down(status: &mut ModeStatus) {
    if let Some(left) = status.remaining {
        if left <= 1 {
            *status = ModeStatus::default();
        } else {
            status.remaining = Some(left - 1);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn request(json: &str) -> Result<(FailureMode, Option<u32>), SimError> {
        serde_json::from_str::<ModeRequest>(json)
            .map_err(|e| SimError::Mode(e.to_string()))?
            .parse(Duration::from_millis(777))
    }

    #[test]
    fn requests_parse() {
        assert_eq!(
            request(r#"{"mode":"ok"}"#).unwrap(),
            (FailureMode::Ok, None)
        );
        assert_eq!(
            request(r#"{"mode":"error_5xx","count":3}"#).unwrap(),
            (FailureMode::Error5xx, Some(3))
        );
        assert_eq!(
            request(r#"{"mode":"slow"}"#).unwrap(),
            (FailureMode::Slow(Duration::from_millis(777)), None)
        );
        assert_eq!(
            request(r#"{"mode":"slow","delay_ms":20}"#).unwrap(),
            (FailureMode::Slow(Duration::from_millis(20)), None)
        );
        assert!(request(r#"{"mode":"down","count":0}"#).is_err());
        assert!(request(r#"{"mode":"ok","count":2}"#).is_err());
        assert!(request(r#"{"mode":"sleepy"}"#).is_err());
        assert!(request(r#"{"mode":"down","delay_ms":3}"#).is_err());
        assert!(request(r#"{"mode":"down","colour":3}"#).is_err());
    }

    #[test]
    fn counted_modes_return_to_ok() {
        let control = ModeControl::default();
        control.set(FailureMode::Reject4xx, Some(2));
        assert_eq!(control.for_request(), FailureMode::Reject4xx);
        assert_eq!(control.status().remaining, Some(1));
        assert_eq!(control.for_request(), FailureMode::Reject4xx);
        assert_eq!(control.status(), ModeStatus::default());
        assert_eq!(control.for_request(), FailureMode::Ok);
    }

    #[test]
    fn down_counts_connections_not_requests() {
        let control = ModeControl::default();
        control.set(FailureMode::Down, Some(1));
        assert_eq!(control.for_request(), FailureMode::Ok);
        assert!(control.reset_connection());
        assert!(!control.reset_connection());
        control.set(FailureMode::Down, None);
        assert!(!control.reset_connection());
        assert_eq!(control.status().mode, FailureMode::Down);
    }

    #[test]
    fn status_round_trips_through_json() {
        let status = ModeStatus {
            mode: FailureMode::Slow(Duration::from_millis(1500)),
            remaining: Some(2),
        };
        let json = serde_json::to_value(ModeRequest::of_status(status)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"mode": "slow", "delay_ms": 1500, "remaining": 2})
        );
    }
}
