//! The deadline engine (issue 6, item 6): time limits of the rescue programme declared as
//! data (`[[deadlines.rules]]`), tracked by durable timers in the hub's store, escalated by
//! messages that go out through the outbox like every other delivery, and shown on a board
//! (`GET /v1/deadlines`, `hubctl deadlines`).
//!
//! Owns: the rule types and their checks ([`rules`]), time arithmetic and the working-day
//! calendar ([`calendar`]), the [`Clock`] every decision reads ([`clock`]), the timer tables
//! and what a message arms and meets ([`timers`]), escalation messages ([`escalation`]), the
//! task that fires due timers ([`engine`]) and the board with its compliance figures
//! ([`board`]).
//!
//! # The life of a deadline
//!
//! ```text
//! trigger accepted ──(same transaction as its inbox row and deliveries)──▶ item + step 1 OPEN
//!   meeting message accepted ──(same transaction)──▶ step MET; next follow-up OPEN, or item closed
//!   due time passes, still OPEN ──engine, one transaction──▶ step FIRED + escalation in the outbox
//!                                                          (+ next follow-up OPEN)
//! ```
//!
//! # Invariants
//!
//! * **Atomic with the message.** A deadline is armed, met or closed in the very store
//!   transaction that commits the message causing it ([`crate::pipeline`]); a message that
//!   is refused or a duplicate changes no deadline.
//! * **Fires once.** A step is fired by one transaction that marks it and writes its
//!   escalation to the outbox; the mark is conditional on the step still being open, so a
//!   restart, a crash at any point or two engines on one store never send an escalation twice
//!   nor lose one. Delivery is then the relay's, with all its guarantees.
//! * **Nothing invalid is sent.** An escalation is validated against its contract and
//!   projected per recipient exactly like a routed message; one that cannot be built is not
//!   sent, and the step records why (shown on the board).
//! * **One clock.** Every time the engine uses comes from one [`Clock`]; tests use a
//!   [`ManualClock`] and never wait.

pub mod board;
pub mod calendar;
pub mod clock;
pub mod engine;
pub mod escalation;
pub mod rules;
mod schema;
pub mod timers;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use contracts::model::Actor;
use serde_json::Value;
use sqlx::SqliteConnection;
use tokio::sync::Notify;

pub use calendar::{Span, WorkingCalendar};
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::{Engine, EngineError, Fired};
pub use rules::{DeadlineRule, DeadlinesConfig};
pub use timers::{Applied, Plan};

use crate::config::HubConfig;
use crate::store::StoreError;

/// The deadline rules of a configuration with the clock they run on: what the pipeline
/// plans and applies with each accepted message, and what the engine and the board read.
/// Cheap to clone.
#[derive(Clone)]
pub struct Deadlines {
    /// The configuration (its `[deadlines]` section).
    config: Arc<HubConfig>,
    /// The working-day calendar, parsed once.
    calendar: Arc<WorkingCalendar>,
    /// Where time comes from.
    clock: Arc<dyn Clock>,
    /// Wakes the engine when a deadline was armed or met.
    wakeup: Arc<Notify>,
}

impl fmt::Debug for Deadlines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadlines")
            .field("rules", &self.config.deadlines.rules.len())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Deadlines {
    /// The rules of `config` on `clock`.
    pub fn new(config: Arc<HubConfig>, clock: Arc<dyn Clock>) -> Self {
        let calendar = Arc::new(config.deadlines.working_calendar());
        Deadlines {
            config,
            calendar,
            clock,
            wakeup: Arc::new(Notify::new()),
        }
    }

    /// The current time of the deadline clock.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The whole configuration.
    pub fn hub_config(&self) -> &Arc<HubConfig> {
        &self.config
    }

    /// The `[deadlines]` section.
    pub fn config(&self) -> &DeadlinesConfig {
        &self.config.deadlines
    }

    /// The working-day calendar.
    pub fn calendar(&self) -> &WorkingCalendar {
        &self.calendar
    }

    /// What a message accepted now would arm and meet ([`timers::plan`]).
    pub fn plan(
        &self,
        message_type: &str,
        message: &Value,
        sender: Actor,
        accepted_at: SystemTime,
    ) -> Plan {
        timers::plan(
            self.config(),
            &self.calendar,
            message_type,
            message,
            sender,
            accepted_at,
        )
    }

    /// Writes `plan` inside the caller's write transaction ([`timers::apply`]).
    pub async fn apply(
        &self,
        conn: &mut SqliteConnection,
        plan: &Plan,
    ) -> Result<Applied, StoreError> {
        if plan.is_empty() {
            return Ok(Applied::default());
        }
        timers::apply(conn, plan, self.config(), &self.calendar).await
    }

    /// Wakes the engine (after a commit that armed or met a deadline).
    pub fn wake_engine(&self) {
        self.wakeup.notify_one();
    }

    /// The engine's wake-up.
    pub(crate) fn wakeup(&self) -> Arc<Notify> {
        Arc::clone(&self.wakeup)
    }
}
