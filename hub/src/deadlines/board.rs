//! The deadline board: what is open, what is due soon, what was breached, and how often each
//! rule's deadlines were met on time — `GET /v1/deadlines` and `hubctl deadlines`.
//!
//! * **open** — a deadline not due within its rule's "due soon" window;
//! * **due soon** — an open deadline due within the window
//!   (`due_soon_minutes` of the rule, else of `[deadlines]`);
//! * **breached** — an escalated deadline no message has met yet (of an item not closed),
//!   and an open deadline already past due that the engine is about to escalate;
//! * **compliance** per rule, over every deadline it ever armed: met on time (no later than
//!   due), late (escalated, or met after the due time), pending, escalated, and the on-time
//!   rate `on_time / (on_time + late)` (absent while nothing is decided).
//!
//! # Invariants
//!
//! * Read-only (the timer tables must exist: [`super::timers::prepare`], which the hub runs at
//!   start); [`build`] is pure (rows, rules and "now" in, board out), so the HTTP API and
//!   `hubctl` show the same figures.
//! * A department sees only the deadlines it is party to ([`Board::visible_to`]): those it
//!   triggered or whose escalation it receives; operators see everything.

use std::time::SystemTime;

use contracts::model::Actor;
use serde::Serialize;

use super::calendar::{local_text, unix_seconds};
use super::rules::DeadlinesConfig;
use super::timers::{self, ComplianceCounts, StepRow};
use crate::config::{HubConfig, Recipient};
use crate::store::{Store, StoreError};

/// One deadline on the board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The rule.
    pub rule: String,
    /// What the deadline is.
    pub description: String,
    /// The item's key (case id, incident id, handover number, …).
    pub key: String,
    /// The item's case.
    pub case_id: Option<String>,
    /// 1 for the first deadline, 2… for follow-ups.
    pub step: i64,
    /// When the clock started (`+08:00`).
    pub clock_start: String,
    /// When it is or was due (`+08:00`).
    pub due_at: String,
    /// Minutes until due; negative when overdue.
    pub minutes_to_due: i64,
    /// Whether the hub escalated it.
    pub escalated: bool,
    /// When it escalated (`+08:00`).
    pub fired_at: Option<String>,
    /// The escalation's message id.
    pub escalation_message_id: Option<String>,
    /// Departments the escalation went to.
    pub escalated_to: Vec<String>,
    /// Why the escalation could not be sent (in full), if so.
    pub escalation_error: Option<String>,
    /// The message that started the clock.
    pub trigger_message_id: String,
    /// Its type.
    pub trigger_type: String,
    /// Its sender.
    pub trigger_sender: String,
    /// The item's id in the store.
    pub item_id: i64,
}

/// On-time compliance of one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCompliance {
    /// The rule.
    pub rule: String,
    /// What its deadline is (`(no longer configured)` for a rule removed from the
    /// configuration that still has timers).
    pub description: String,
    /// Deadlines met no later than due.
    pub on_time: u64,
    /// Deadlines escalated, or met after the due time.
    pub late: u64,
    /// Deadlines still open.
    pub pending: u64,
    /// Escalations the hub sent (or tried to).
    pub escalated: u64,
    /// `on_time / (on_time + late)`, absent while both are 0.
    pub on_time_rate: Option<f64>,
}

/// The board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    /// The time the board shows (`+08:00`).
    pub generated_at: String,
    /// Deadlines not due soon.
    pub open: Vec<Entry>,
    /// Deadlines due within their window.
    pub due_soon: Vec<Entry>,
    /// Deadlines escalated and not met, or past due.
    pub breached: Vec<Entry>,
    /// Compliance per rule: configured rules in configuration order, then rules with timers
    /// that are no longer configured.
    pub compliance: Vec<RuleCompliance>,
}

/// Reads the board of `store` at `now` under `config`.
pub async fn read(
    store: &Store,
    config: &DeadlinesConfig,
    now: SystemTime,
) -> Result<Board, StoreError> {
    let steps = timers::board_steps(store).await?;
    let counts = timers::compliance(store).await?;
    Ok(build(steps, &counts, config, now))
}

/// The board of these steps and counts at `now` (pure).
pub fn build(
    steps: Vec<StepRow>,
    counts: &[(String, ComplianceCounts)],
    config: &DeadlinesConfig,
    now: SystemTime,
) -> Board {
    let mut board = Board {
        generated_at: local_text(now),
        open: Vec::new(),
        due_soon: Vec::new(),
        breached: Vec::new(),
        compliance: Vec::new(),
    };
    let now_seconds = unix_seconds(now);
    for step in steps {
        let seconds_left = unix_seconds(step.due_at) - now_seconds;
        let window = i64::try_from(config.due_soon_minutes_of(&step.rule))
            .unwrap_or(i64::MAX)
            .saturating_mul(60);
        let escalated = step.state == "FIRED";
        let entry = Entry {
            description: config.rule(&step.rule).map_or_else(
                || "(no longer configured)".to_owned(),
                |r| r.description.clone(),
            ),
            rule: step.rule,
            key: step.key,
            case_id: step.case_id,
            step: step.step,
            clock_start: local_text(step.clock_start),
            due_at: local_text(step.due_at),
            minutes_to_due: seconds_left.div_euclid(60),
            escalated,
            fired_at: step.fired_at.map(local_text),
            escalation_message_id: step.escalation_message_id,
            escalated_to: step
                .escalated_to
                .map(|t| t.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            escalation_error: step.escalation_error,
            trigger_message_id: step.trigger_message_id,
            trigger_type: step.trigger_type,
            trigger_sender: step.trigger_sender,
            item_id: step.item_id,
        };
        if escalated || seconds_left <= 0 {
            board.breached.push(entry);
        } else if seconds_left <= window {
            board.due_soon.push(entry);
        } else {
            board.open.push(entry);
        }
    }
    let row = |rule: &str, description: String| {
        let c = counts
            .iter()
            .find(|(name, _)| name == rule)
            .map(|(_, c)| *c)
            .unwrap_or_default();
        let decided = c.on_time + c.late;
        RuleCompliance {
            rule: rule.to_owned(),
            description,
            on_time: c.on_time,
            late: c.late,
            pending: c.pending,
            escalated: c.escalated,
            on_time_rate: (decided > 0).then(|| c.on_time as f64 / decided as f64),
        }
    };
    for rule in &config.rules {
        board
            .compliance
            .push(row(&rule.name, rule.description.clone()));
    }
    for (name, _) in counts {
        if config.rule(name).is_none() {
            board
                .compliance
                .push(row(name, "(no longer configured)".to_owned()));
        }
    }
    board
}

impl Board {
    /// The part of the board `department` is party to: deadlines it triggered or whose
    /// escalation it receives, and the compliance of rules it may trigger or is escalated to.
    pub fn visible_to(&self, department: Actor, config: &HubConfig) -> Board {
        let code = department.as_str();
        let receives = |rule: &str, trigger_sender: Option<&str>| {
            config
                .deadlines
                .rule(rule)
                .and_then(|r| r.escalation.as_ref())
                .is_some_and(|e| {
                    e.recipients.iter().any(|recipient| match recipient {
                        Recipient::Department(d) => *d == department,
                        Recipient::OriginalSender => trigger_sender == Some(code),
                    })
                })
        };
        let party =
            |e: &Entry| e.trigger_sender == code || receives(&e.rule, Some(&e.trigger_sender));
        let keep = |entries: &[Entry]| entries.iter().filter(|e| party(e)).cloned().collect();
        Board {
            generated_at: self.generated_at.clone(),
            open: keep(&self.open),
            due_soon: keep(&self.due_soon),
            breached: keep(&self.breached),
            compliance: self
                .compliance
                .iter()
                .filter(|c| {
                    receives(&c.rule, None)
                        || config.deadlines.rule(&c.rule).is_some_and(|r| {
                            config
                                .authorization
                                .may_send(department, &r.trigger.message_type)
                        })
                })
                .cloned()
                .collect(),
        }
    }
}
