//! Every SQL statement of the deadline engine, and its two tables.
//!
//! The tables live in the hub store's database file and are created idempotently
//! (`IF NOT EXISTS`) by [`super::timers::prepare`] when the hub starts (and by
//! `hubctl deadlines` on an older store), apart from the store's versioned migrations — like
//! the embedded transport's queue table: the timers belong to the deadline engine. A later
//! change of their shape is a versioned migration. The text is portable like the store's
//! (see `crate::store` `schema.rs`): `$N` placeholders, `ON CONFLICT … DO NOTHING`,
//! `RETURNING`, partial indexes, `SUM(CASE …)`; the exception is
//! `INTEGER PRIMARY KEY AUTOINCREMENT` (PostgreSQL:
//! `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY`).
//!
//! # Tables
//!
//! * `deadline_items` — one per (rule, key): what the trigger named, its case, who sent it,
//!   when the clock started, the trigger values its escalation needs (`context`, JSON), and
//!   when and by which message the item was closed.
//! * `deadline_steps` — the deadlines of an item (step 1 the first, 2… the follow-ups):
//!   due time and state `OPEN` → `MET` (a message met it) or `FIRED` (the hub escalated;
//!   `met_at` may still be set later, when the late message arrives).
//!
//! # Invariants
//!
//! * `UNIQUE (rule, item_key)`: a rule arms an item for a key once, ever.
//! * At most one `OPEN` step per item (`deadline_steps_one_open`).
//! * A step leaves `OPEN` by one conditional `UPDATE … WHERE state = 'OPEN'`, inside the
//!   transaction that writes its consequences (the meeting message's commit, or the
//!   escalation's outbox rows), so it fires at most once whatever crashes or races.
//! * Instants are RFC 3339 UTC text of fixed width: text order is time order.

/// The items.
pub(super) const CREATE_ITEMS: &str = "CREATE TABLE IF NOT EXISTS deadline_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    item_key TEXT NOT NULL,
    case_id TEXT NULL,
    trigger_message_id TEXT NOT NULL,
    trigger_type TEXT NOT NULL,
    trigger_sender TEXT NOT NULL,
    sensitivity TEXT NULL,
    context TEXT NOT NULL,
    clock_start TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT NULL,
    closed_by_message_id TEXT NULL,
    UNIQUE (rule, item_key),
    CHECK (rule <> ''),
    CHECK (item_key <> ''),
    CHECK ((closed_at IS NULL) = (closed_by_message_id IS NULL))
)";

/// Open items of a rule by case (matchers that name the case).
pub(super) const CREATE_ITEMS_CASE_INDEX: &str = "CREATE INDEX IF NOT EXISTS deadline_items_case
    ON deadline_items (rule, case_id) WHERE closed_at IS NULL";

/// The steps.
pub(super) const CREATE_STEPS: &str = "CREATE TABLE IF NOT EXISTS deadline_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL REFERENCES deadline_items (id),
    step INTEGER NOT NULL,
    due_at TEXT NOT NULL,
    state TEXT NOT NULL,
    met_at TEXT NULL,
    met_by_message_id TEXT NULL,
    fired_at TEXT NULL,
    escalation_message_id TEXT NULL,
    escalated_to TEXT NULL,
    escalation_error TEXT NULL,
    UNIQUE (item_id, step),
    CHECK (step >= 1),
    CHECK (state IN ('OPEN', 'MET', 'FIRED')),
    CHECK ((state = 'FIRED') = (fired_at IS NOT NULL)),
    CHECK ((met_at IS NULL) = (met_by_message_id IS NULL)),
    CHECK (state <> 'MET' OR met_at IS NOT NULL)
)";

/// What the engine looks for: open steps by due time.
pub(super) const CREATE_STEPS_DUE_INDEX: &str = "CREATE INDEX IF NOT EXISTS deadline_steps_due
    ON deadline_steps (due_at) WHERE state = 'OPEN'";

/// At most one open step per item.
pub(super) const CREATE_STEPS_ONE_OPEN_INDEX: &str =
    "CREATE UNIQUE INDEX IF NOT EXISTS deadline_steps_one_open
    ON deadline_steps (item_id) WHERE state = 'OPEN'";

/// Opens an item unless the rule already has one for the key (then no row is returned).
pub(super) const INSERT_ITEM: &str = "INSERT INTO deadline_items
    (rule, item_key, case_id, trigger_message_id, trigger_type, trigger_sender, sensitivity,
     context, clock_start, opened_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (rule, item_key) DO NOTHING
    RETURNING id";

/// Adds an open step.
pub(super) const INSERT_STEP: &str = "INSERT INTO deadline_steps (item_id, step, due_at, state)
    VALUES ($1, $2, $3, 'OPEN')";

/// Open items of a rule with a key.
pub(super) const SELECT_OPEN_ITEMS_BY_KEY: &str =
    "SELECT id FROM deadline_items WHERE rule = $1 AND item_key = $2 AND closed_at IS NULL";

/// Open items of a rule with a case.
pub(super) const SELECT_OPEN_ITEMS_BY_CASE: &str =
    "SELECT id FROM deadline_items WHERE rule = $1 AND case_id = $2 AND closed_at IS NULL";

/// The open step of an item.
pub(super) const SELECT_OPEN_STEP: &str =
    "SELECT id, step, due_at FROM deadline_steps WHERE item_id = $1 AND state = 'OPEN'";

/// The latest escalated step of an item that no message has met yet.
pub(super) const SELECT_LATEST_UNMET_FIRED: &str = "SELECT id, step FROM deadline_steps
    WHERE item_id = $1 AND state = 'FIRED' AND met_at IS NULL
    ORDER BY step DESC LIMIT 1";

/// Meets an open step (only while it is open).
pub(super) const MEET_OPEN_STEP: &str = "UPDATE deadline_steps
    SET state = 'MET', met_at = $1, met_by_message_id = $2
    WHERE id = $3 AND state = 'OPEN'";

/// Records the late message of an escalated step (only the first).
pub(super) const MEET_FIRED_STEP: &str = "UPDATE deadline_steps
    SET met_at = $1, met_by_message_id = $2
    WHERE id = $3 AND state = 'FIRED' AND met_at IS NULL";

/// Closes an item (only the first time).
pub(super) const CLOSE_ITEM: &str = "UPDATE deadline_items
    SET closed_at = $1, closed_by_message_id = $2
    WHERE id = $3 AND closed_at IS NULL";

/// The columns of a step joined with its item, in [`super::timers`]' decoding order (a macro,
/// so the statements below stay `&'static str`).
macro_rules! step_columns {
    () => {
        "s.id AS step_id, s.item_id, s.step, s.due_at, s.state, s.met_at, \
         s.met_by_message_id, s.fired_at, s.escalation_message_id, s.escalated_to, \
         s.escalation_error, i.rule, i.item_key, i.case_id, i.trigger_message_id, \
         i.trigger_type, i.trigger_sender, i.sensitivity, i.context, i.clock_start, \
         i.opened_at, i.closed_at"
    };
}

/// The earliest open step due at or before `$1`.
pub(super) const SELECT_NEXT_DUE: &str = concat!(
    "SELECT ",
    step_columns!(),
    " FROM deadline_steps s JOIN deadline_items i ON i.id = s.item_id
    WHERE s.state = 'OPEN' AND s.due_at <= $1
    ORDER BY s.due_at, s.id LIMIT 1"
);

/// What the board lists: open steps, and escalated steps not met of items not closed.
pub(super) const SELECT_BOARD_STEPS: &str = concat!(
    "SELECT ",
    step_columns!(),
    " FROM deadline_steps s JOIN deadline_items i ON i.id = s.item_id
    WHERE s.state = 'OPEN'
       OR (s.state = 'FIRED' AND s.met_at IS NULL AND i.closed_at IS NULL)
    ORDER BY s.due_at, s.id"
);

/// Every step of the item of rule `$1` and key `$2`, in order.
pub(super) const SELECT_ITEM_STEPS: &str = concat!(
    "SELECT ",
    step_columns!(),
    " FROM deadline_steps s JOIN deadline_items i ON i.id = s.item_id
    WHERE i.rule = $1 AND i.item_key = $2
    ORDER BY s.step"
);

/// Marks an open step escalated (only while it is open).
pub(super) const MARK_FIRED: &str =
    "UPDATE deadline_steps SET state = 'FIRED', fired_at = $1 WHERE id = $2 AND state = 'OPEN'";

/// Records what the escalation sent, or why it could not.
pub(super) const RECORD_ESCALATION: &str = "UPDATE deadline_steps
    SET escalation_message_id = $1, escalated_to = $2, escalation_error = $3
    WHERE id = $4";

/// The earliest due time of any open step.
pub(super) const SELECT_EARLIEST_OPEN_DUE: &str =
    "SELECT MIN(due_at) FROM deadline_steps WHERE state = 'OPEN'";

/// On-time compliance per rule: met in time, late (escalated, or met after the due time),
/// pending, escalated.
pub(super) const SELECT_COMPLIANCE: &str = "SELECT i.rule AS rule,
    SUM(CASE WHEN s.state = 'MET' AND s.met_at <= s.due_at THEN 1 ELSE 0 END) AS on_time,
    SUM(CASE WHEN s.state = 'FIRED' OR (s.state = 'MET' AND s.met_at > s.due_at)
        THEN 1 ELSE 0 END) AS late,
    SUM(CASE WHEN s.state = 'OPEN' THEN 1 ELSE 0 END) AS pending,
    SUM(CASE WHEN s.state = 'FIRED' THEN 1 ELSE 0 END) AS escalated
    FROM deadline_steps s JOIN deadline_items i ON i.id = s.item_id
    GROUP BY i.rule
    ORDER BY i.rule";
