//! `hubctl deadlines`: the deadline board, read straight from the hub's store with the rules
//! of the hub's configuration — the same figures as the hub's `GET /v1/deadlines` (both call
//! `hub::deadlines::board`): breached, due-soon and open deadlines, then the on-time
//! compliance of every rule.
//!
//! Invariants:
//! * Read-only: nothing is fired, met or sent (only the timer tables are created if the store
//!   predates them). Deadlines fire in the running hub; this shows the state it committed.
//! * hubctl never creates a store: a store path that does not exist is an error (exit 2), so
//!   a wrong path cannot look like "no deadlines".
//! * The rules come from the configuration (`--config`, else `./hub.toml`, else the built-in
//!   example); `--store` only says where the store is. Deadlines of a rule that is no longer
//!   configured are still shown, marked as such.

use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use clap::Args;
use hub::deadlines::board::{self, Board, Entry};
use hub::deadlines::calendar::parse_instant;

use crate::dead_letters_cmd::{StoreArgs, truncate, width, with_store};

/// Widest key, case and note cells, in display columns.
const CELL_COLUMNS: usize = 36;
/// Widest description cell.
const DESCRIPTION_COLUMNS: usize = 48;

/// `hubctl deadlines [--store PATH | --config FILE] [--json] [--at TIME]`.
#[derive(Debug, Args)]
pub(crate) struct DeadlinesArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Print the board as one JSON document (the same as GET /v1/deadlines) instead of tables.
    #[arg(long)]
    json: bool,
    /// Show the board as of this time instead of now (RFC 3339 with offset, e.g.
    /// 2026-03-01T08:00:00+08:00): what will be due soon or breached by then.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

pub(crate) fn run(args: DeadlinesArgs) -> Result<ExitCode> {
    let now = match &args.at {
        Some(text) => match parse_instant(text) {
            Some(time) => time,
            None => bail!("--at {text:?} is not a time like 2026-03-01T08:00:00+08:00"),
        },
        None => SystemTime::now(),
    };
    let board = with_store(&args.store, |store, config| async move {
        // A store written by a hub older than the deadline engine has no timer tables yet.
        let board = match hub::deadlines::timers::prepare(&store).await {
            Ok(()) => board::read(&store, &config.deadlines, now).await,
            Err(error) => Err(error),
        };
        board.context("cannot read the deadlines")
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&board).context("cannot encode the board")?
        );
    } else {
        print!("{}", board_text(&board));
    }
    Ok(ExitCode::SUCCESS)
}

/// `95` → `1 h 35 min`, `-2900` → `2 d 0 h overdue`-style parts (sign handled by the caller).
fn span_text(minutes: i64) -> String {
    let minutes = minutes.unsigned_abs();
    let (days, hours, mins) = (minutes / 1_440, minutes % 1_440 / 60, minutes % 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {mins} min")
    } else {
        format!("{mins} min")
    }
}

fn when_text(entry: &Entry) -> String {
    if entry.minutes_to_due < 0 {
        format!("{} overdue", span_text(entry.minutes_to_due))
    } else {
        format!("in {}", span_text(entry.minutes_to_due))
    }
}

fn or_dash(value: Option<&str>) -> &str {
    value.filter(|v| !v.is_empty()).unwrap_or("-")
}

/// Left-aligned columns, two spaces apart, wide characters counted twice.
fn table(out: &mut String, headings: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headings.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            text.push_str(cell);
            if i + 1 < cells.len() {
                text.push_str(&" ".repeat(w - width(cell) + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(headings);
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
}

fn entries_section(out: &mut String, title: &str, entries: &[Entry], breached: bool) {
    out.push_str(&format!("\n{title} ({})\n", entries.len()));
    if entries.is_empty() {
        out.push_str("  none\n");
        return;
    }
    let headings = [
        "RULE",
        "KEY",
        "CASE",
        "STEP",
        "DUE AT",
        "WHEN",
        "ESCALATED",
        "NOTE",
    ];
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let escalated = if e.escalated {
                let to = if e.escalated_to.is_empty() {
                    "nothing sent".to_owned()
                } else {
                    e.escalated_to.join(",")
                };
                format!("{} → {to}", e.fired_at.as_deref().unwrap_or("?"))
            } else if breached {
                "not yet".to_owned()
            } else {
                "-".to_owned()
            };
            vec![
                e.rule.clone(),
                truncate(&e.key, CELL_COLUMNS),
                truncate(or_dash(e.case_id.as_deref()), CELL_COLUMNS),
                e.step.to_string(),
                e.due_at.clone(),
                when_text(e),
                escalated,
                truncate(or_dash(e.escalation_error.as_deref()), CELL_COLUMNS),
            ]
        })
        .collect();
    table(out, &headings, &rows);
}

/// The board as text: the sections, then the compliance table.
pub(crate) fn board_text(board: &Board) -> String {
    let mut out = format!("deadline board at {}\n", board.generated_at);
    entries_section(&mut out, "BREACHED", &board.breached, true);
    entries_section(&mut out, "DUE SOON", &board.due_soon, false);
    entries_section(&mut out, "OPEN", &board.open, false);
    out.push_str("\nON-TIME COMPLIANCE PER RULE\n");
    if board.compliance.is_empty() {
        out.push_str("  no rules configured\n");
        return out;
    }
    let headings = [
        "RULE",
        "ON TIME",
        "LATE",
        "PENDING",
        "ESCALATED",
        "RATE",
        "DEADLINE",
    ];
    let rows: Vec<Vec<String>> = board
        .compliance
        .iter()
        .map(|c| {
            vec![
                c.rule.clone(),
                c.on_time.to_string(),
                c.late.to_string(),
                c.pending.to_string(),
                c.escalated.to_string(),
                c.on_time_rate
                    .map_or_else(|| "-".to_owned(), |r| format!("{:.0}%", r * 100.0)),
                truncate(&c.description, DESCRIPTION_COLUMNS),
            ]
        })
        .collect();
    table(&mut out, &headings, &rows);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hub::config::HubConfig;
    use hub::contracts::model::Actor;
    use hub::deadlines::{Deadlines, ManualClock};
    use hub::store::Store;
    use serde_json::json;

    use super::*;

    fn example() -> HubConfig {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hub/hub.example.toml");
        HubConfig::load(Some(&path), std::iter::empty()).unwrap()
    }

    #[test]
    fn spans_read_as_days_hours_minutes() {
        assert_eq!(span_text(45), "45 min");
        assert_eq!(span_text(95), "1 h 35 min");
        assert_eq!(span_text(-2_900), "2 d 0 h");
    }

    /// A handover armed at 08:00: the board at 09:30 lists it as due soon, at 11:00 as
    /// breached (not yet escalated: only the running hub fires), with compliance pending.
    #[tokio::test]
    async fn the_board_of_a_real_store_reads_as_tables() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("hub.sqlite")).await.unwrap();
        hub::deadlines::timers::prepare(&store).await.unwrap();
        let config = Arc::new(example());
        let start = parse_instant("2026-03-02T08:00:00+08:00").unwrap();
        let deadlines = Deadlines::new(Arc::clone(&config), Arc::new(ManualClock::new(start)));
        let handover = json!({
            "message_id": "7d1f0f5e-3b0a-4a55-9d55-4a8e3f0b2c11",
            "message_type": "POLICE_ESCORT_HANDOVER",
            "sensitivity": "SENSITIVE",
            "payload": { "handover_no": "TCGA-HS-20260302-001" }
        });
        let plan = deadlines.plan("POLICE_ESCORT_HANDOVER", &handover, Actor::Police, start);
        let mut tx = store.begin_write_transaction().await.unwrap();
        let applied = deadlines.apply(&mut tx, &plan).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(applied.armed, 1);

        let at = |t: &str| parse_instant(t).unwrap();
        let soon = board::read(&store, &config.deadlines, at("2026-03-02T09:30:00+08:00"))
            .await
            .unwrap();
        let text = board_text(&soon);
        println!("{text}");
        assert!(text.starts_with("deadline board at 2026-03-02T09:30:00+08:00"));
        assert!(text.contains("DUE SOON (1)"), "{text}");
        assert!(text.contains("TCGA-HS-20260302-001"), "{text}");
        assert!(text.contains("in 30 min"), "{text}");
        assert!(text.contains("BREACHED (0)"), "{text}");

        let late = board::read(&store, &config.deadlines, at("2026-03-02T11:00:00+08:00"))
            .await
            .unwrap();
        let text = board_text(&late);
        assert!(text.contains("BREACHED (1)"), "{text}");
        assert!(text.contains("1 h 0 min overdue"), "{text}");
        assert!(text.contains("not yet"), "{text}");
        assert!(text.contains("ON-TIME COMPLIANCE PER RULE"), "{text}");
        let compliance = &late.compliance;
        let row = compliance
            .iter()
            .find(|c| c.rule == "handover_ack")
            .unwrap();
        assert_eq!((row.on_time, row.late, row.pending), (0, 0, 1));
        assert_eq!(row.on_time_rate, None);
        assert_eq!(compliance.len(), config.deadlines.rules.len());
        store.close().await;
    }
}
