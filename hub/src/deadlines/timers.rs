//! Durable timers: what an accepted message arms and meets ([`plan`], pure), how that is
//! written inside the message's own commit transaction ([`apply`]), and the statements the
//! engine and the board use on the `deadline_items` / `deadline_steps` tables (see
//! [`super::schema`]).
//!
//! # Order of effects of one message
//!
//! 1. **Arm:** every rule whose trigger matches opens an item for the key the message names
//!    (if the rule has none for it yet) with its first step, due one `due` span after the
//!    clock start.
//! 2. **Meet:** every matcher (`met_by`, `closed_by`) that matches brings the items it names
//!    (by key or case) up to date: each escalated step not met yet is met late by this
//!    message; if none was, the open step is met (and the next follow-up scheduled from the
//!    meeting time). A `closed_by` message does both and closes the item; an item left
//!    without an open step is closed as well.
//!
//! Arming first lets a rule's own trigger meet its deadline (a compliance-only rule, e.g.
//! "the first incident report arrives within 1 hour of discovery").
//!
//! # Invariants
//!
//! * [`plan`] is a pure function of the rules, the message, its sender and the accept time.
//! * [`apply`] runs inside the caller's write transaction (the pipeline's commit of the
//!   message): the timers change if and only if the message is committed.
//! * A step leaves `OPEN` only through a conditional update, so a step is met or fired once.

use std::time::SystemTime;

use contracts::model::Actor;
use serde_json::{Map, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use tracing::warn;

use super::calendar::{WorkingCalendar, parse_instant, store_text};
use super::escalation::capture;
use super::rules::{ClockStart, DeadlineRule, DeadlinesConfig};
use super::schema;
use crate::config::JsonPointerPattern;
use crate::store::{Store, StoreError};

/// Creates the deadline tables if they are missing (idempotent; safe with several
/// processes on one file).
pub async fn prepare(store: &Store) -> Result<(), StoreError> {
    let mut tx = store.begin_write_transaction().await?;
    for statement in [
        schema::CREATE_ITEMS,
        schema::CREATE_ITEMS_CASE_INDEX,
        schema::CREATE_STEPS,
        schema::CREATE_STEPS_DUE_INDEX,
        schema::CREATE_STEPS_ONE_OPEN_INDEX,
    ] {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An item to open.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// The rule.
    pub rule: String,
    /// The item's key.
    pub key: String,
    /// The item's case, if the trigger names one.
    pub case_id: Option<String>,
    /// The trigger's type.
    pub trigger_type: String,
    /// The trigger's sender.
    pub trigger_sender: Actor,
    /// The trigger's envelope sensitivity.
    pub sensitivity: Option<String>,
    /// When the clock starts.
    pub clock_start: SystemTime,
    /// When the first step is due.
    pub due_at: SystemTime,
    /// The trigger values the escalation needs.
    pub context: Map<String, Value>,
}

/// How a matcher names items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetBy {
    /// By the item's key.
    Key,
    /// By the item's case.
    Case,
}

/// Items to bring up to date.
#[derive(Debug, Clone, PartialEq)]
pub struct Meet {
    /// The rule.
    pub rule: String,
    /// How `values` name items.
    pub by: MeetBy,
    /// The keys or case ids the message names.
    pub values: Vec<String>,
    /// When the deadline counts as met.
    pub met_at: SystemTime,
    /// Whether the item ends (a `closed_by` matcher).
    pub closes: bool,
}

/// What one accepted message does to the deadlines.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The message.
    pub message_id: String,
    /// When the hub accepted it.
    pub accepted_at: SystemTime,
    /// Items to open.
    pub arms: Vec<Arm>,
    /// Items to meet or close.
    pub meets: Vec<Meet>,
}

impl Plan {
    /// Whether the message touches no deadline.
    pub fn is_empty(&self) -> bool {
        self.arms.is_empty() && self.meets.is_empty()
    }
}

/// The strings `pointer` selects in `message`, without repeats, in order.
fn strings(pointer: &JsonPointerPattern, message: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in pointer.select(message) {
        if let Some(text) = value.as_str().filter(|t| !t.is_empty())
            && !out.iter().any(|o| o == text)
        {
            out.push(text.to_owned());
        }
    }
    out
}

fn first_string(pointer: &JsonPointerPattern, message: &Value) -> Option<String> {
    strings(pointer, message).into_iter().next()
}

/// What `message` (accepted from `sender` at `accepted_at`) arms and meets under `config`.
pub fn plan(
    config: &DeadlinesConfig,
    calendar: &WorkingCalendar,
    message_type: &str,
    message: &Value,
    sender: Actor,
    accepted_at: SystemTime,
) -> Plan {
    let message_id = message
        .get("message_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut plan = Plan {
        message_id,
        accepted_at,
        arms: Vec::new(),
        meets: Vec::new(),
    };
    for rule in &config.rules {
        if rule.trigger.message_type == message_type
            && rule
                .trigger
                .when
                .as_ref()
                .is_none_or(|p| p.matches(message))
        {
            match arm(rule, calendar, message_type, message, sender, accepted_at) {
                Some(arm) => plan.arms.push(arm),
                None => warn!(
                    rule = %rule.name,
                    message_id = %plan.message_id,
                    key = %rule.key,
                    "The trigger names no key (or the rule's due span is invalid); no deadline armed."
                ),
            }
        }
        for (matcher, closes) in rule.matchers() {
            if matcher.message_type != message_type
                || !matcher.when.as_ref().is_none_or(|p| p.matches(message))
            {
                continue;
            }
            let (by, pointer) = match (&matcher.key, &matcher.case_id) {
                (Some(key), _) => (MeetBy::Key, key),
                (None, Some(case)) => (MeetBy::Case, case),
                (None, None) => continue,
            };
            let values = strings(pointer, message);
            if values.is_empty() {
                continue;
            }
            let met_at = matcher
                .at
                .as_ref()
                .and_then(|p| first_string(p, message))
                .and_then(|t| parse_instant(&t))
                .map_or(accepted_at, |t| t.min(accepted_at));
            plan.meets.push(Meet {
                rule: rule.name.clone(),
                by,
                values,
                met_at,
                closes,
            });
        }
    }
    plan
}

fn arm(
    rule: &DeadlineRule,
    calendar: &WorkingCalendar,
    message_type: &str,
    message: &Value,
    sender: Actor,
    accepted_at: SystemTime,
) -> Option<Arm> {
    let key = first_string(&rule.key, message)?;
    let span = rule.due.span().ok()?;
    let clock_start = match &rule.clock_start {
        ClockStart::Accepted => accepted_at,
        ClockStart::Field(pointer) => first_string(pointer, message)
            .and_then(|t| parse_instant(&t))
            .unwrap_or(accepted_at),
    };
    Some(Arm {
        rule: rule.name.clone(),
        key,
        case_id: first_string(&rule.case_id, message),
        trigger_type: message_type.to_owned(),
        trigger_sender: sender,
        sensitivity: message
            .get("sensitivity")
            .and_then(Value::as_str)
            .map(str::to_owned),
        clock_start,
        due_at: span.after(clock_start, calendar),
        context: rule
            .escalation
            .as_ref()
            .map(|e| capture(e, message))
            .unwrap_or_default(),
    })
}

/// What [`apply`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Items opened.
    pub armed: usize,
    /// Items met or closed.
    pub met: usize,
}

/// Writes `plan` inside the caller's write transaction (see the module docs for the order).
pub async fn apply(
    conn: &mut SqliteConnection,
    plan: &Plan,
    config: &DeadlinesConfig,
    calendar: &WorkingCalendar,
) -> Result<Applied, StoreError> {
    let mut applied = Applied::default();
    let accepted_at = store_text(plan.accepted_at);
    for arm in &plan.arms {
        let context = Value::Object(arm.context.clone()).to_string();
        let id: Option<i64> = sqlx::query_scalar(schema::INSERT_ITEM)
            .bind(&arm.rule)
            .bind(&arm.key)
            .bind(&arm.case_id)
            .bind(&plan.message_id)
            .bind(&arm.trigger_type)
            .bind(arm.trigger_sender.as_str())
            .bind(&arm.sensitivity)
            .bind(context)
            .bind(store_text(arm.clock_start))
            .bind(&accepted_at)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(id) = id {
            insert_step_in(conn, id, 1, arm.due_at).await?;
            applied.armed += 1;
        }
    }
    for meet in &plan.meets {
        let Some(rule) = config.rule(&meet.rule) else {
            continue;
        };
        let select = match meet.by {
            MeetBy::Key => schema::SELECT_OPEN_ITEMS_BY_KEY,
            MeetBy::Case => schema::SELECT_OPEN_ITEMS_BY_CASE,
        };
        for value in &meet.values {
            let items: Vec<i64> = sqlx::query_scalar(select)
                .bind(&rule.name)
                .bind(value)
                .fetch_all(&mut *conn)
                .await?;
            for item in items {
                if meet_item(conn, rule, calendar, item, meet, &plan.message_id).await? {
                    applied.met += 1;
                }
            }
        }
    }
    Ok(applied)
}

/// Brings one open item up to date with a meeting message; whether anything changed.
async fn meet_item(
    conn: &mut SqliteConnection,
    rule: &DeadlineRule,
    calendar: &WorkingCalendar,
    item: i64,
    meet: &Meet,
    message_id: &str,
) -> Result<bool, StoreError> {
    let met_at = store_text(meet.met_at);
    let mut changed = false;
    let mut late_met = false;
    loop {
        let fired: Option<(i64, i64)> = sqlx::query_as(schema::SELECT_LATEST_UNMET_FIRED)
            .bind(item)
            .fetch_optional(&mut *conn)
            .await?;
        let Some((step_id, _)) = fired else { break };
        sqlx::query(schema::MEET_FIRED_STEP)
            .bind(&met_at)
            .bind(message_id)
            .bind(step_id)
            .execute(&mut *conn)
            .await?;
        late_met = true;
        changed = true;
    }
    let mut open_remains = false;
    let open: Option<(i64, i64, String)> = sqlx::query_as(schema::SELECT_OPEN_STEP)
        .bind(item)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some((step_id, step, _)) = open {
        if late_met && !meet.closes {
            // The message made up for escalated deadlines; the open one still waits.
            open_remains = true;
        } else {
            sqlx::query(schema::MEET_OPEN_STEP)
                .bind(&met_at)
                .bind(message_id)
                .bind(step_id)
                .execute(&mut *conn)
                .await?;
            changed = true;
            let next = u32::try_from(step + 1).unwrap_or(u32::MAX);
            if !meet.closes
                && let Some(span) = rule.follow_up_span(next)
            {
                insert_step_in(
                    conn,
                    item,
                    i64::from(next),
                    span.after(meet.met_at, calendar),
                )
                .await?;
                open_remains = true;
            }
        }
    }
    if meet.closes || !open_remains {
        let closed = sqlx::query(schema::CLOSE_ITEM)
            .bind(&met_at)
            .bind(message_id)
            .bind(item)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        changed |= closed > 0;
    }
    Ok(changed)
}

/// Adds open step `step` of `item`, due at `due_at`.
pub(super) async fn insert_step_in(
    conn: &mut SqliteConnection,
    item: i64,
    step: i64,
    due_at: SystemTime,
) -> Result<(), StoreError> {
    sqlx::query(schema::INSERT_STEP)
        .bind(item)
        .bind(step)
        .bind(store_text(due_at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One step with its item, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    /// Step row id.
    pub step_id: i64,
    /// Item id.
    pub item_id: i64,
    /// Step number (1 = the first deadline).
    pub step: i64,
    /// Due time.
    pub due_at: SystemTime,
    /// `OPEN`, `MET` or `FIRED`.
    pub state: String,
    /// When a message met it.
    pub met_at: Option<SystemTime>,
    /// Which message met it.
    pub met_by_message_id: Option<String>,
    /// When the hub escalated it.
    pub fired_at: Option<SystemTime>,
    /// The escalation's message id.
    pub escalation_message_id: Option<String>,
    /// Departments the escalation went to, comma-separated.
    pub escalated_to: Option<String>,
    /// Why the escalation could not be sent, if it could not.
    pub escalation_error: Option<String>,
    /// The rule.
    pub rule: String,
    /// The item's key.
    pub key: String,
    /// The item's case.
    pub case_id: Option<String>,
    /// The trigger's message id.
    pub trigger_message_id: String,
    /// The trigger's type.
    pub trigger_type: String,
    /// The trigger's sender.
    pub trigger_sender: String,
    /// The trigger's envelope sensitivity.
    pub sensitivity: Option<String>,
    /// The captured trigger values.
    pub context: Map<String, Value>,
    /// When the clock started.
    pub clock_start: SystemTime,
    /// When the item was opened.
    pub opened_at: SystemTime,
    /// When the item was closed.
    pub closed_at: Option<SystemTime>,
}

fn instant(row: &SqliteRow, column: &str) -> Result<SystemTime, StoreError> {
    let text: String = row.try_get(column)?;
    parse_instant(&text)
        .ok_or_else(|| StoreError::Corrupt(format!("deadline {column} `{text}` is not a time")))
}

fn optional_instant(row: &SqliteRow, column: &str) -> Result<Option<SystemTime>, StoreError> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| {
        parse_instant(&t)
            .ok_or_else(|| StoreError::Corrupt(format!("deadline {column} `{t}` is not a time")))
    })
    .transpose()
}

fn decode_step(row: &SqliteRow) -> Result<StepRow, StoreError> {
    let context: String = row.try_get("context")?;
    let context = match serde_json::from_str(&context) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(StoreError::Corrupt(
                "deadline context is not a JSON object".to_owned(),
            ));
        }
    };
    Ok(StepRow {
        step_id: row.try_get("step_id")?,
        item_id: row.try_get("item_id")?,
        step: row.try_get("step")?,
        due_at: instant(row, "due_at")?,
        state: row.try_get("state")?,
        met_at: optional_instant(row, "met_at")?,
        met_by_message_id: row.try_get("met_by_message_id")?,
        fired_at: optional_instant(row, "fired_at")?,
        escalation_message_id: row.try_get("escalation_message_id")?,
        escalated_to: row.try_get("escalated_to")?,
        escalation_error: row.try_get("escalation_error")?,
        rule: row.try_get("rule")?,
        key: row.try_get("item_key")?,
        case_id: row.try_get("case_id")?,
        trigger_message_id: row.try_get("trigger_message_id")?,
        trigger_type: row.try_get("trigger_type")?,
        trigger_sender: row.try_get("trigger_sender")?,
        sensitivity: row.try_get("sensitivity")?,
        context,
        clock_start: instant(row, "clock_start")?,
        opened_at: instant(row, "opened_at")?,
        closed_at: optional_instant(row, "closed_at")?,
    })
}

/// The earliest open step due at or before `now`, inside the caller's transaction.
pub(super) async fn next_due_in(
    conn: &mut SqliteConnection,
    now: SystemTime,
) -> Result<Option<StepRow>, StoreError> {
    let row = sqlx::query(schema::SELECT_NEXT_DUE)
        .bind(store_text(now))
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(decode_step).transpose()
}

/// Marks an open step fired at `now`; `false` when it was no longer open (someone else
/// fired or met it first).
pub(super) async fn mark_fired_in(
    conn: &mut SqliteConnection,
    step_id: i64,
    now: SystemTime,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(schema::MARK_FIRED)
        .bind(store_text(now))
        .bind(step_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(updated == 1)
}

/// Records what a fired step's escalation sent (message id, recipients) or why it could
/// not be sent.
pub(super) async fn record_escalation_in(
    conn: &mut SqliteConnection,
    step_id: i64,
    message_id: Option<&str>,
    escalated_to: Option<&str>,
    error: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(schema::RECORD_ESCALATION)
        .bind(message_id)
        .bind(escalated_to)
        .bind(error)
        .bind(step_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The earliest due time of any open step.
pub async fn earliest_open_due(store: &Store) -> Result<Option<SystemTime>, StoreError> {
    let text: Option<String> = sqlx::query_scalar(schema::SELECT_EARLIEST_OPEN_DUE)
        .fetch_one(store.pool())
        .await?;
    Ok(text.as_deref().and_then(parse_instant))
}

/// The steps the board lists: every open step, and every escalated step not met yet of an
/// item not closed; by due time.
pub async fn board_steps(store: &Store) -> Result<Vec<StepRow>, StoreError> {
    let rows = sqlx::query(schema::SELECT_BOARD_STEPS)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(decode_step).collect()
}

/// Every step of the item `rule` armed for `key`, in order (empty when there is none).
pub async fn item_steps(store: &Store, rule: &str, key: &str) -> Result<Vec<StepRow>, StoreError> {
    let rows = sqlx::query(schema::SELECT_ITEM_STEPS)
        .bind(rule)
        .bind(key)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(decode_step).collect()
}

/// On-time compliance counts of one rule, over every step it ever armed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComplianceCounts {
    /// Met no later than due.
    pub on_time: u64,
    /// Escalated, or met after the due time.
    pub late: u64,
    /// Still open.
    pub pending: u64,
    /// Escalated by the hub.
    pub escalated: u64,
}

/// Compliance counts per rule name, for every rule with at least one step.
pub async fn compliance(store: &Store) -> Result<Vec<(String, ComplianceCounts)>, StoreError> {
    let rows = sqlx::query(schema::SELECT_COMPLIANCE)
        .fetch_all(store.pool())
        .await?;
    let count = |row: &SqliteRow, column: &str| -> Result<u64, StoreError> {
        let n: Option<i64> = row.try_get(column)?;
        Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
    };
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("rule")?,
                ComplianceCounts {
                    on_time: count(row, "on_time")?,
                    late: count(row, "late")?,
                    pending: count(row, "pending")?,
                    escalated: count(row, "escalated")?,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> DeadlinesConfig {
        toml::from_str(
            r#"
[[rules]]
name = "first_report"
description = "首报1小时"
trigger = { message_type = "INCIDENT_REPORT", when = { pointer = "/payload/report_stage", equals = "FIRST" } }
key = "/payload/incident_id"
case_id = "/payload/persons_involved/*/case_id"
clock_start = "/payload/discovered_at"
due = { hours = 1 }
met_by = [{ message_type = "INCIDENT_REPORT", key = "/payload/incident_id" }]

[[rules]]
name = "visits"
description = "回访"
trigger = { message_type = "RETURN_HOME_NOTICE" }
key = "/case_id"
clock_start = "ACCEPTED"
due = { months = 1 }
follow_ups = { every = [{ months = 2 }, { months = 3 }], count = 3 }
met_by = [{ message_type = "FOLLOW_UP_VISIT", case_id = "/case_id", at = "/payload/visited_at" }]
"#,
        )
        .unwrap()
    }

    fn at(text: &str) -> SystemTime {
        parse_instant(text).unwrap()
    }

    #[test]
    fn a_trigger_arms_and_may_meet_its_own_deadline() {
        let config = config();
        let report = json!({
            "message_id": "m1",
            "sensitivity": "SENSITIVE",
            "payload": {
                "report_stage": "FIRST",
                "incident_id": "SJ-1",
                "discovered_at": "2026-03-02T07:00:00+08:00",
                "persons_involved": [{ "case_id": "TC-9", "role": "SUBJECT" }]
            }
        });
        let accepted = at("2026-03-02T08:30:00+08:00");
        let plan = plan(
            &config,
            &WorkingCalendar::default(),
            "INCIDENT_REPORT",
            &report,
            Actor::Station,
            accepted,
        );
        assert_eq!(plan.arms.len(), 1);
        let arm = &plan.arms[0];
        assert_eq!(
            (arm.key.as_str(), arm.case_id.as_deref()),
            ("SJ-1", Some("TC-9"))
        );
        assert_eq!(arm.clock_start, at("2026-03-02T07:00:00+08:00"));
        assert_eq!(arm.due_at, at("2026-03-02T08:00:00+08:00"));
        assert_eq!(arm.sensitivity.as_deref(), Some("SENSITIVE"));
        assert_eq!(plan.meets.len(), 1, "the report meets its own deadline");
        assert_eq!(plan.meets[0].values, ["SJ-1"]);
        assert_eq!(plan.meets[0].met_at, accepted);
        assert!(!plan.meets[0].closes);

        // An update arms nothing and meets by key.
        let mut update = report.clone();
        update["payload"]["report_stage"] = json!("UPDATE");
        let plan = plan_of(&config, "INCIDENT_REPORT", &update, accepted);
        assert!(plan.arms.is_empty());
        assert_eq!(plan.meets.len(), 1);
        // A report without an incident id arms nothing.
        let mut anonymous = report;
        anonymous["payload"]
            .as_object_mut()
            .unwrap()
            .remove("incident_id");
        assert!(plan_of(&config, "INCIDENT_REPORT", &anonymous, accepted).is_empty());
    }

    fn plan_of(
        config: &DeadlinesConfig,
        message_type: &str,
        message: &Value,
        t: SystemTime,
    ) -> Plan {
        plan(
            config,
            &WorkingCalendar::default(),
            message_type,
            message,
            Actor::Origin,
            t,
        )
    }

    #[test]
    fn a_meeting_time_comes_from_the_message_but_never_after_its_acceptance() {
        let config = config();
        let accepted = at("2026-04-01T09:00:00+08:00");
        let visit =
            |visited: &str| json!({ "case_id": "TC-1", "payload": { "visited_at": visited } });
        let plan = plan_of(
            &config,
            "FOLLOW_UP_VISIT",
            &visit("2026-03-30T10:00:00+08:00"),
            accepted,
        );
        assert_eq!(plan.meets[0].by, MeetBy::Case);
        assert_eq!(plan.meets[0].met_at, at("2026-03-30T10:00:00+08:00"));
        let plan = plan_of(
            &config,
            "FOLLOW_UP_VISIT",
            &visit("2026-05-01T10:00:00+08:00"),
            accepted,
        );
        assert_eq!(
            plan.meets[0].met_at, accepted,
            "a future visit counts as now"
        );
        let plan = plan_of(&config, "FOLLOW_UP_VISIT", &visit("garbage"), accepted);
        assert_eq!(plan.meets[0].met_at, accepted);
    }

    #[test]
    fn follow_up_spans_follow_the_list_and_its_last_entry_up_to_the_count() {
        let config = config();
        let rule = config.rule("visits").unwrap();
        assert_eq!(rule.total_steps(), Some(4));
        assert_eq!(rule.follow_up_span(1), None);
        assert_eq!(
            rule.follow_up_span(2),
            Some(crate::deadlines::Span::Months(2))
        );
        assert_eq!(
            rule.follow_up_span(3),
            Some(crate::deadlines::Span::Months(3))
        );
        assert_eq!(
            rule.follow_up_span(4),
            Some(crate::deadlines::Span::Months(3))
        );
        assert_eq!(rule.follow_up_span(5), None);
        assert_eq!(config.rule("first_report").unwrap().follow_up_span(2), None);
    }
}
