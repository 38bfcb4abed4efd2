//! The deadline rules as configured (`[deadlines]`, `[[deadlines.rules]]`): typed, every
//! field documented, unknown keys refused. Validation lives with the rest of the
//! configuration's ([`crate::config::HubConfig::validate`]); this module owns the types, their
//! defaults and the pure checks that need no catalogue (spans, names, calendar entries,
//! escalation placeholders).
//!
//! A rule says: *when* a message of a type (and content) is accepted, a deadline starts for
//! the thing it names (its `key`, e.g. the case id or the incident id), counted from a
//! timestamp of that message or the hub's accept time; *which* later messages meet it (same
//! key, or same case); *what* the hub sends, to whom, when it passes unmet; and whether
//! further deadlines follow (follow-ups) until a closing message ends the item.
//!
//! # Invariants
//!
//! * Deserialization never fails on a well-typed value: shape problems (two units in one
//!   span, a matcher with both `key` and `case_id`, …) are validation problems with a config
//!   path, reported all at once.
//! * The types are plain data: nothing here reads a clock, a file or the store.

use std::collections::BTreeSet;

use contracts::model::Sensitivity;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::calendar::{Span, WorkingCalendar, parse_dates};
use crate::config::{JsonPointerPattern, Predicate, Recipient};

/// `[deadlines]`: the deadline engine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesConfig {
    /// How often the engine looks for due deadlines when nothing wakes it, in milliseconds
    /// (it also wakes at the next due time and whenever a deadline is armed). Default 1000.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// A deadline due within this many minutes is listed as "due soon" on the board, unless
    /// its rule sets its own `due_soon_minutes`. Default 1440 (one day).
    #[serde(default = "default_due_soon_minutes")]
    pub due_soon_minutes: u64,
    /// The working-day calendar of `working_days` spans.
    #[serde(default)]
    pub calendar: CalendarConfig,
    /// The rules, each with a unique name.
    #[serde(default)]
    pub rules: Vec<DeadlineRule>,
}

/// The default [`DeadlinesConfig::poll_interval_ms`].
pub fn default_poll_interval_ms() -> u64 {
    1_000
}

/// The default [`DeadlinesConfig::due_soon_minutes`].
pub fn default_due_soon_minutes() -> u64 {
    1_440
}

impl Default for DeadlinesConfig {
    fn default() -> Self {
        DeadlinesConfig {
            poll_interval_ms: default_poll_interval_ms(),
            due_soon_minutes: default_due_soon_minutes(),
            calendar: CalendarConfig::default(),
            rules: Vec::new(),
        }
    }
}

impl DeadlinesConfig {
    /// The rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&DeadlineRule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// The working-day calendar (entries that do not parse are left out; validation reports
    /// them).
    pub fn working_calendar(&self) -> WorkingCalendar {
        let dates = |entries: &[String]| -> Vec<_> {
            entries
                .iter()
                .filter_map(|e| parse_dates(e).ok())
                .flatten()
                .collect()
        };
        WorkingCalendar::new(
            dates(&self.calendar.holidays),
            dates(&self.calendar.extra_working_days),
        )
    }

    /// The "due soon" window of a rule, in minutes.
    pub fn due_soon_minutes_of(&self, rule: &str) -> u64 {
        self.rule(rule)
            .and_then(|r| r.due_soon_minutes)
            .unwrap_or(self.due_soon_minutes)
    }
}

/// `[deadlines.calendar]`: which days count for `working_days` spans. Monday to Friday are
/// working days unless listed in `holidays`; a weekend day in `extra_working_days` (调休上班)
/// is one. Dates are local (UTC+8).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// Public holidays: `YYYY-MM-DD` or inclusive ranges `YYYY-MM-DD..YYYY-MM-DD` (at most a
    /// year each), e.g. the State Council's yearly schedule.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Weekend days worked to make up for a holiday bridge, same forms.
    #[serde(default)]
    pub extra_working_days: Vec<String>,
}

/// One `[[deadlines.rules]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    /// Unique name: lower-case letters, digits and `_`, at most 64 characters. Kept with
    /// every timer the rule arms; renaming a rule orphans its open timers.
    pub name: String,
    /// What the deadline is, for people (board, `hubctl deadlines`, escalation text).
    pub description: String,
    /// Where the time limit comes from, e.g. `太政办〔2020〕150号 附件3 §四(一)`.
    #[serde(default)]
    pub basis: Option<String>,
    /// The message that starts the deadline.
    pub trigger: Trigger,
    /// JSON pointer into the trigger message of the value that identifies the item, e.g.
    /// `/case_id`, `/payload/incident_id`, `/payload/handover_no`. It must select a string;
    /// a trigger without one arms nothing. One item per (rule, key), ever: a repeated
    /// trigger is ignored.
    pub key: JsonPointerPattern,
    /// JSON pointer into the trigger message of the case id kept with the item (first
    /// string selected; `*` allowed). Default `/case_id`.
    #[serde(default = "default_case_id_pointer")]
    pub case_id: JsonPointerPattern,
    /// Where the clock starts: `ACCEPTED` (the hub's accept time of the trigger) or a JSON
    /// pointer to a timestamp of the trigger, e.g. `/payload/intake_at`. A missing or
    /// unreadable timestamp falls back to the accept time.
    pub clock_start: ClockStart,
    /// How long after the clock start the first deadline falls.
    pub due: SpanConfig,
    /// Further deadlines after the first (scheduled follow-ups, 续报).
    #[serde(default)]
    pub follow_ups: Option<FollowUps>,
    /// Messages that meet the current deadline of an item; the next follow-up (if any) is
    /// then scheduled from the meeting time. The trigger itself may meet its own deadline
    /// (matchers are applied after arming), which makes a compliance-only rule.
    #[serde(default)]
    pub met_by: Vec<Matcher>,
    /// Messages that meet the current deadline and end the item (no further follow-ups).
    #[serde(default)]
    pub closed_by: Vec<Matcher>,
    /// What the hub sends when a deadline passes unmet; absent → nothing is sent, the
    /// breach is only recorded (a compliance-only rule).
    #[serde(default)]
    pub escalation: Option<Escalation>,
    /// This rule's "due soon" window on the board, in minutes; default
    /// `deadlines.due_soon_minutes`.
    #[serde(default)]
    pub due_soon_minutes: Option<u64>,
}

/// The default [`DeadlineRule::case_id`].
pub fn default_case_id_pointer() -> JsonPointerPattern {
    JsonPointerPattern::from("/case_id")
}

impl DeadlineRule {
    /// Every matcher, with whether it closes the item.
    pub fn matchers(&self) -> impl Iterator<Item = (&Matcher, bool)> {
        self.met_by
            .iter()
            .map(|m| (m, false))
            .chain(self.closed_by.iter().map(|m| (m, true)))
    }

    /// How many deadlines one item can have in total (first + follow-ups); `None` when the
    /// follow-ups repeat until the item is closed.
    pub fn total_steps(&self) -> Option<u32> {
        match &self.follow_ups {
            None => Some(1),
            Some(f) => f.count.map(|c| c.saturating_add(1)),
        }
    }

    /// The gap before step `step` (2 = the first follow-up), if the rule has one.
    pub fn follow_up_span(&self, step: u32) -> Option<Span> {
        let follow_ups = self.follow_ups.as_ref()?;
        if self.total_steps().is_some_and(|total| step > total) || step < 2 {
            return None;
        }
        let index = usize::try_from(step - 2).unwrap_or(usize::MAX);
        let spec = follow_ups
            .every
            .get(index)
            .or_else(|| follow_ups.every.last())?;
        spec.span().ok()
    }
}

/// The message that starts a deadline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Its message type (wire name).
    pub message_type: String,
    /// A condition on its content (the route table's predicate forms); absent → always.
    #[serde(default)]
    pub when: Option<Predicate>,
}

/// A message that meets (or closes) an item: its type, an optional condition, and how it
/// names the item — by the item's `key` or by its case id (exactly one of the two).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// Its message type (wire name).
    pub message_type: String,
    /// A condition on its content; absent → always.
    #[serde(default)]
    pub when: Option<Predicate>,
    /// JSON pointer (`*` allowed) into the message selecting values compared with the
    /// item's key, e.g. `/payload/handover_no`.
    #[serde(default)]
    pub key: Option<JsonPointerPattern>,
    /// JSON pointer (`*` allowed) into the message selecting values compared with the
    /// item's case id, e.g. `/case_id` or `/payload/persons_involved/*/case_id`.
    #[serde(default)]
    pub case_id: Option<JsonPointerPattern>,
    /// JSON pointer to the timestamp at which the deadline counts as met (e.g.
    /// `/payload/visited_at`); absent, missing or later than the accept time → the accept
    /// time.
    #[serde(default)]
    pub at: Option<JsonPointerPattern>,
}

/// Follow-up deadlines: after each deadline (met or escalated) the next falls `every[i]`
/// later, counted from when the previous one was met, or from its due time when it was
/// escalated. The last span of `every` repeats.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUps {
    /// Gaps between consecutive deadlines: the first follow-up uses `every[0]`, the second
    /// `every[1]`, …, the last entry repeats.
    pub every: Vec<SpanConfig>,
    /// How many follow-ups after the first deadline; absent → until a `closed_by` message.
    #[serde(default)]
    pub count: Option<u32>,
}

/// Where a rule's clock starts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "String")]
pub enum ClockStart {
    /// `ACCEPTED`: when the hub accepted the trigger.
    Accepted,
    /// A JSON pointer to a timestamp of the trigger message.
    Field(JsonPointerPattern),
}

/// The configuration spelling of [`ClockStart::Accepted`].
pub const ACCEPTED: &str = "ACCEPTED";

impl From<String> for ClockStart {
    fn from(text: String) -> Self {
        if text == ACCEPTED {
            ClockStart::Accepted
        } else {
            ClockStart::Field(JsonPointerPattern::from(text))
        }
    }
}

/// A span as written: exactly one of the units, e.g. `{ hours = 1 }`,
/// `{ working_days = 7 }`, `{ months = 3 }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanConfig {
    /// Exact minutes.
    #[serde(default)]
    pub minutes: Option<u64>,
    /// Exact hours.
    #[serde(default)]
    pub hours: Option<u64>,
    /// Exact days of 24 hours.
    #[serde(default)]
    pub days: Option<u64>,
    /// Calendar months (same local time of day; the day clamped to the month's end).
    #[serde(default)]
    pub months: Option<u32>,
    /// Working days of `[deadlines.calendar]`, ending at 24:00 of the last one.
    #[serde(default)]
    pub working_days: Option<u32>,
}

/// Largest value of each unit (about ten years), so arithmetic never saturates in practice.
const SPAN_LIMITS: [(&str, u64); 5] = [
    ("minutes", 5_256_000),
    ("hours", 87_600),
    ("days", 3_650),
    ("months", 120),
    ("working_days", 2_500),
];

impl SpanConfig {
    /// The span, or why it is not one (no unit, several units, zero, too long).
    pub fn span(&self) -> Result<Span, String> {
        let set: Vec<(&str, u64)> = [
            ("minutes", self.minutes),
            ("hours", self.hours),
            ("days", self.days),
            ("months", self.months.map(u64::from)),
            ("working_days", self.working_days.map(u64::from)),
        ]
        .into_iter()
        .filter_map(|(unit, n)| n.map(|n| (unit, n)))
        .collect();
        let [(unit, n)] = set.as_slice() else {
            let units: Vec<&str> = set.iter().map(|(u, _)| *u).collect();
            return Err(format!(
                "give exactly one of minutes, hours, days, months, working_days (found {})",
                if units.is_empty() {
                    "none".to_owned()
                } else {
                    units.join(", ")
                }
            ));
        };
        let limit = SPAN_LIMITS
            .iter()
            .find(|(u, _)| u == unit)
            .map_or(0, |(_, l)| *l);
        if *n == 0 {
            return Err(format!("{unit} must be at least 1"));
        }
        if *n > limit {
            return Err(format!("{n} {unit} is more than the limit of {limit}"));
        }
        let small = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(match *unit {
            "minutes" => Span::Minutes(*n),
            "hours" => Span::Hours(*n),
            "days" => Span::Days(*n),
            "months" => Span::Months(small(*n)),
            _ => Span::WorkingDays(small(*n)),
        })
    }
}

/// What the hub sends when a deadline passes unmet: a message of an existing contract type,
/// from the hub (`sender_org_type = HUB`), to the configured departments, through the outbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Message type of the escalation (wire name).
    pub message_type: String,
    /// Contract major version the payload is written in. Default 1.
    #[serde(default = "default_version")]
    pub version: u32,
    /// Recipients: department codes, or `ORIGINAL_SENDER` for the department that sent the
    /// trigger. Each must be allowed to receive the type (`authorization.receive`).
    pub recipients: Vec<Recipient>,
    /// Envelope `purpose_code` (CL-PURPOSE), e.g. `INCIDENT_REPORTING`.
    pub purpose_code: String,
    /// Envelope `legal_basis` (CL-LEGAL), at least one.
    pub legal_basis: Vec<String>,
    /// Lowest envelope sensitivity; the trigger's is used when higher (a minor's case stays
    /// SENSITIVE_MINOR). Default `GENERAL`.
    #[serde(default = "default_sensitivity")]
    pub sensitivity: Sensitivity,
    /// The payload, as a table in the escalation's contract shape. Strings may hold
    /// placeholders: `${trigger:/payload/…}` (a value of the trigger message, captured when
    /// the deadline is armed) and `${deadline:NAME}` (see [`super::escalation`]). A string
    /// that is exactly one placeholder becomes the value itself (any JSON type), and is
    /// left out when the value is missing.
    pub payload: Map<String, Value>,
}

/// The default [`Escalation::version`].
pub fn default_version() -> u32 {
    1
}

/// The default [`Escalation::sensitivity`].
pub fn default_sensitivity() -> Sensitivity {
    Sensitivity::General
}

/// Whether a rule name has the allowed form.
pub fn is_rule_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Problems of the calendar: (config path, sentence).
pub fn calendar_problems(calendar: &CalendarConfig) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut holidays = BTreeSet::new();
    for (index, entry) in calendar.holidays.iter().enumerate() {
        match parse_dates(entry) {
            Ok(dates) => holidays.extend(dates),
            Err(error) => problems.push((format!("deadlines.calendar.holidays[{index}]"), error)),
        }
    }
    for (index, entry) in calendar.extra_working_days.iter().enumerate() {
        let path = format!("deadlines.calendar.extra_working_days[{index}]");
        match parse_dates(entry) {
            Ok(dates) => {
                if let Some(both) = dates.iter().find(|d| holidays.contains(*d)) {
                    problems.push((
                        path,
                        format!("{both} is also listed as a holiday; a day is one or the other"),
                    ));
                }
            }
            Err(error) => problems.push((path, error)),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_need_exactly_one_positive_unit() {
        let hours = SpanConfig {
            hours: Some(1),
            ..SpanConfig::default()
        };
        assert_eq!(hours.span(), Ok(Span::Hours(1)));
        assert!(SpanConfig::default().span().unwrap_err().contains("none"));
        let two = SpanConfig {
            hours: Some(1),
            days: Some(1),
            ..SpanConfig::default()
        };
        assert!(two.span().unwrap_err().contains("hours, days"));
        let zero = SpanConfig {
            months: Some(0),
            ..SpanConfig::default()
        };
        assert!(zero.span().unwrap_err().contains("at least 1"));
        let long = SpanConfig {
            days: Some(100_000),
            ..SpanConfig::default()
        };
        assert!(long.span().unwrap_err().contains("limit"));
    }

    #[test]
    fn rule_names_are_snake_case() {
        assert!(is_rule_name("stay_over_10_days"));
        for bad in ["", "Stay", "stay-over", "a b", &"x".repeat(65)] {
            assert!(!is_rule_name(bad), "{bad}");
        }
    }

    #[test]
    fn clock_start_reads_accepted_or_a_pointer() {
        assert_eq!(
            ClockStart::from("ACCEPTED".to_owned()),
            ClockStart::Accepted
        );
        assert_eq!(
            ClockStart::from("/payload/intake_at".to_owned()),
            ClockStart::Field(JsonPointerPattern::from("/payload/intake_at"))
        );
    }

    #[test]
    fn a_day_cannot_be_holiday_and_working_day() {
        let calendar = CalendarConfig {
            holidays: vec!["2026-10-01..2026-10-07".into(), "2026-13-01".into()],
            extra_working_days: vec!["2026-10-03".into(), "2026-10-10".into()],
        };
        let problems = calendar_problems(&calendar);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].0, "deadlines.calendar.holidays[1]");
        assert_eq!(problems[1].0, "deadlines.calendar.extra_working_days[0]");
    }
}
