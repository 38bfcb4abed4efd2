//! The engine: the task that fires due deadlines, one transaction per step.
//!
//! A pass takes the deadline clock's "now" and, while an open step is due at or before it,
//! fires the earliest: in one write transaction it marks the step `FIRED`, builds the rule's
//! escalation, validates it against its contract, plans one delivery per recipient exactly
//! as the pipeline plans a routed message (authorization, casting to the version the
//! recipient reads, projection to what it may see, the (HUB → recipient) stream number),
//! writes them to the outbox, records what was sent, schedules the next follow-up and
//! commits; then it wakes the relay. Between passes the engine waits for the next due time
//! on the clock, for a wake-up from the pipeline (a deadline was armed or met), for
//! `poll_interval_ms`, or for shutdown.
//!
//! # Invariants
//!
//! * **Exactly once per step.** The mark and the outbox rows commit together, and the mark
//!   only applies to a step still open: a crash before the commit leaves the step open (the
//!   next start fires it), a crash after leaves it fired with its escalation in the outbox;
//!   two engines on one store (two hub processes) serialise on SQLite's write lock and the
//!   second finds nothing to fire.
//! * A rule without an escalation only records the breach (the step is marked fired, no
//!   message is written).
//! * **Never sends an invalid message.** When the escalation cannot be built (its rule is no
//!   longer configured, the rendered message breaks its contract, no recipient may receive
//!   it) the step is still marked fired — so the engine does not loop on it — with the
//!   reason in `escalation_error`, logged and shown on the board; nothing is written to the
//!   outbox for it.
//! * A store failure ends the pass; the step stays open and is fired by a later pass.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use contracts::model::{Actor, Sensitivity};
use serde_json::Value;
use tokio::sync::{Notify, watch};
use tracing::{error, info, warn};

use super::Deadlines;
use super::escalation::{self, Envelope, Facts};
use super::timers::{self, StepRow};
use crate::config::Recipient;
use crate::pipeline::{Pipeline, PipelineError};
use crate::store::{PlannedMessage, Store, StoreError};
use crate::transport::{HeaderValue, header};

/// First wait after a failed pass.
const BACKOFF_INITIAL: Duration = Duration::from_millis(100);
/// Longest wait after failed passes.
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Longest reason kept in `escalation_error`.
const MAX_ERROR_CHARS: usize = 2_000;

/// A pass failed; the steps concerned stay open and are fired by a later pass.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Planning a delivery failed (a bug, not a data problem).
    #[error("planning an escalation failed: {0}")]
    Planning(#[from] PipelineError),
}

impl EngineError {
    /// Whether a later pass can succeed without anyone repairing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            EngineError::Store(e) => e.is_transient(),
            EngineError::Planning(e) => e.is_transient(),
        }
    }
}

/// One step the engine fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    /// The rule.
    pub rule: String,
    /// The item's key.
    pub key: String,
    /// The step (1 = the first deadline).
    pub step: i64,
    /// The escalation's message id, when one was sent.
    pub message_id: Option<String>,
    /// The departments it was written to the outbox for.
    pub recipients: Vec<Actor>,
    /// Why nothing (or not everything) was sent.
    pub error: Option<String>,
}

/// The escalation of one step, ready to write.
#[derive(Debug, Default)]
struct Outcome {
    message_id: Option<String>,
    planned: Vec<PlannedMessage>,
    recipients: Vec<Actor>,
    errors: Vec<String>,
}

/// The deadline engine of one hub.
#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    pipeline: Pipeline,
    relay_wakeup: Arc<Notify>,
}

impl Engine {
    /// An engine over `store`, planning deliveries with `pipeline` (whose deadline rules and
    /// clock it fires), waking the relay with `relay_wakeup` after each commit.
    pub fn new(store: Store, pipeline: Pipeline, relay_wakeup: Arc<Notify>) -> Self {
        Engine {
            store,
            pipeline,
            relay_wakeup,
        }
    }

    fn deadlines(&self) -> &Deadlines {
        self.pipeline.deadlines()
    }

    /// Fires every open step due at the clock's current time, earliest first; returns what
    /// it fired.
    pub async fn fire_due(&self) -> Result<Vec<Fired>, EngineError> {
        let now = self.deadlines().now();
        let mut fired = Vec::new();
        while let Some(one) = self.fire_one(now).await? {
            self.relay_wakeup.notify_one();
            fired.push(one);
        }
        Ok(fired)
    }

    /// Fires the earliest step due at `now`, if any, in one transaction.
    async fn fire_one(&self, now: SystemTime) -> Result<Option<Fired>, EngineError> {
        let mut tx = self.store.begin_write_transaction().await?;
        let Some(step) = timers::next_due_in(&mut tx, now).await? else {
            tx.rollback().await.map_err(StoreError::from)?;
            return Ok(None);
        };
        if !timers::mark_fired_in(&mut tx, step.step_id, now).await? {
            // Cannot happen under the write lock; leave the step to the next pass.
            tx.rollback().await.map_err(StoreError::from)?;
            return Ok(None);
        }
        let outcome = self.escalate(&step, now)?;
        let error = (!outcome.errors.is_empty()).then(|| {
            let joined = outcome.errors.join("; ");
            joined.chars().take(MAX_ERROR_CHARS).collect::<String>()
        });
        let recipients: Vec<&str> = outcome.recipients.iter().map(|a| a.as_str()).collect();
        let escalated_to = (!recipients.is_empty()).then(|| recipients.join(","));
        let sent_id = (!outcome.planned.is_empty())
            .then_some(outcome.message_id.as_deref())
            .flatten();
        Store::enqueue_in(&mut tx, Some(&step.trigger_message_id), outcome.planned).await?;
        timers::record_escalation_in(
            &mut tx,
            step.step_id,
            sent_id,
            escalated_to.as_deref(),
            error.as_deref(),
        )
        .await?;
        let next = u32::try_from(step.step + 1).unwrap_or(u32::MAX);
        if let Some(span) = self
            .deadlines()
            .config()
            .rule(&step.rule)
            .and_then(|r| r.follow_up_span(next))
        {
            let due = span.after(step.due_at, self.deadlines().calendar());
            timers::insert_step_in(&mut tx, step.item_id, i64::from(next), due).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        let fired = Fired {
            rule: step.rule.clone(),
            key: step.key.clone(),
            step: step.step,
            message_id: sent_id.map(str::to_owned),
            recipients: outcome.recipients,
            error,
        };
        match &fired.error {
            None => info!(
                rule = %fired.rule, key = %fired.key, step = fired.step,
                message_id = ?fired.message_id, recipients = ?recipients,
                "Deadline passed; escalation written to the outbox."
            ),
            Some(reason) => error!(
                rule = %fired.rule, key = %fired.key, step = fired.step, %reason,
                "Deadline passed; the escalation could not be sent in full."
            ),
        }
        Ok(Some(fired))
    }

    /// Builds, validates and plans the escalation of `step`, fired at `now`.
    fn escalate(&self, step: &StepRow, now: SystemTime) -> Result<Outcome, EngineError> {
        let mut outcome = Outcome::default();
        let deadlines = self.deadlines();
        let config = deadlines.hub_config();
        let Some(rule) = deadlines.config().rule(&step.rule) else {
            outcome.errors.push(format!(
                "rule `{}` is no longer configured; nothing was sent",
                step.rule
            ));
            return Ok(outcome);
        };
        let Some(escalation) = &rule.escalation else {
            // A compliance-only rule: the breach is recorded, nothing is sent.
            return Ok(outcome);
        };
        let trigger_sender = Actor::from_code(&step.trigger_sender);
        for recipient in &escalation.recipients {
            let department = match recipient {
                Recipient::Department(d) => Some(*d),
                Recipient::OriginalSender => trigger_sender,
            };
            let Some(department) = department.filter(|d| *d != Actor::Hub) else {
                outcome
                    .errors
                    .push(format!("recipient {recipient} names no department"));
                continue;
            };
            if outcome.recipients.contains(&department) {
                continue;
            }
            if config
                .authorization
                .may_receive(department, &escalation.message_type)
            {
                outcome.recipients.push(department);
            } else {
                outcome.errors.push(format!(
                    "{} may not receive {}",
                    department.as_str(),
                    escalation.message_type
                ));
            }
        }
        if outcome.recipients.is_empty() {
            outcome
                .errors
                .push("no recipient may receive the escalation; nothing was sent".to_owned());
            return Ok(outcome);
        }
        let message_id = uuid::Uuid::new_v4().to_string();
        let receiver_org_codes = outcome
            .recipients
            .iter()
            .filter_map(|d| config.departments.get(d))
            .filter_map(|d| d.org_codes.first().cloned())
            .collect();
        let trigger_sensitivity: Option<Sensitivity> = step
            .sensitivity
            .as_deref()
            .and_then(|s| serde_json::from_value(Value::from(s)).ok());
        let facts = Facts {
            rule,
            item_id: step.item_id,
            key: &step.key,
            case_id: step.case_id.as_deref(),
            step: step.step,
            trigger_message_id: &step.trigger_message_id,
            trigger_type: &step.trigger_type,
            trigger_sender: &step.trigger_sender,
            clock_start: step.clock_start,
            due_at: step.due_at,
            fired_at: now,
        };
        let envelope = Envelope {
            identity: self.pipeline.identity(),
            message_id: &message_id,
            receiver_org_codes,
            trigger_sensitivity,
        };
        let message = escalation::message(escalation, &envelope, &step.context, &facts);
        let validated = match self.pipeline.registry().validate_value(message) {
            Ok(validated) => validated,
            Err(report) => {
                outcome.errors.push(format!(
                    "the escalation breaks its contract, nothing was sent: {report}"
                ));
                outcome.recipients.clear();
                return Ok(outcome);
            }
        };
        let mut delivered = Vec::new();
        for department in std::mem::take(&mut outcome.recipients) {
            match self.pipeline.plan_hub_delivery(
                &validated.value,
                validated.message_type,
                validated.major,
                department,
            )? {
                Ok(mut planned) => {
                    planned.case_id = step.case_id.clone();
                    planned.headers.insert(
                        header::DEADLINE.to_owned(),
                        HeaderValue::Text(format!("{}/{}/{}", step.rule, step.key, step.step)),
                    );
                    outcome.planned.push(planned);
                    delivered.push(department);
                }
                Err(reason) => outcome
                    .errors
                    .push(format!("not sent to {}: {reason}", department.as_str())),
            }
        }
        outcome.recipients = delivered;
        outcome.message_id = Some(message_id);
        Ok(outcome)
    }

    /// Runs until `shutdown` turns true (or its sender is dropped): a pass, then a wait for
    /// the next due time, a wake-up, `poll_interval_ms` or shutdown (after a failed pass: a
    /// back-off of 100 ms doubling to 5 s).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.deadlines().config().poll_interval_ms.max(1));
        let wakeup = self.deadlines().wakeup();
        let clock = Arc::clone(self.deadlines().clock());
        let mut backoff = BACKOFF_INITIAL;
        info!(
            rules = self.deadlines().config().rules.len(),
            "Deadline engine started."
        );
        loop {
            if *shutdown.borrow() {
                break;
            }
            let (next_due, real_wait) = match self.fire_due().await {
                Ok(_) => {
                    backoff = BACKOFF_INITIAL;
                    match timers::earliest_open_due(&self.store).await {
                        Ok(next) => (next, poll),
                        Err(error) => {
                            warn!(%error, "Cannot read the next deadline; looking again soon.");
                            (None, BACKOFF_INITIAL)
                        }
                    }
                }
                Err(error) => {
                    warn!(%error, transient = error.is_transient(), "Deadline pass failed; retrying.");
                    let wait = backoff;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    (None, wait)
                }
            };
            let on_clock = async {
                match next_due {
                    Some(due) => clock.sleep_until(due).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                _ = wakeup.notified() => {}
                _ = on_clock => {}
                _ = tokio::time::sleep(real_wait) => {}
            }
        }
        info!("Deadline engine stopped.");
    }
}
