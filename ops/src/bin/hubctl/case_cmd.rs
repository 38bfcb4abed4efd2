//! `hubctl case timeline CASE_ID [--store PATH | --config FILE] [--json]`: the timeline of one
//! case read straight from the hub's store — the same data as the hub's
//! `GET /v1/cases/{id}/timeline` (both call `hub::cases::timeline`): the case's state and
//! state history, then every message of the case in accepted order with, for each recipient,
//! what it received (message id, type, sender, stream number, fields projected away).
//!
//! Invariants:
//! * Read-only (only the case tables are created if the store predates them).
//! * hubctl never creates a store: a store path that does not exist is an error (exit 2).
//! * A case the store does not know is exit 1 with a message, not an empty timeline.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use hub::cases::Timeline;

use crate::dead_letters_cmd::{StoreArgs, with_store};

/// `hubctl case …`.
#[derive(Debug, Subcommand)]
pub(crate) enum CaseCommand {
    /// Every message of a case across departments, in accepted order, with what each
    /// recipient received, and the case's state history.
    Timeline(TimelineArgs),
}

/// `hubctl case timeline CASE_ID [--store PATH | --config FILE] [--json]`.
#[derive(Debug, Args)]
pub(crate) struct TimelineArgs {
    /// The case (`case_id`, 救助个案号).
    case_id: String,
    #[command(flatten)]
    store: StoreArgs,
    /// Print the timeline as one JSON document (the same as GET /v1/cases/{id}/timeline).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(command: CaseCommand) -> Result<ExitCode> {
    let CaseCommand::Timeline(args) = command;
    let case_id = args.case_id.clone();
    let timeline = with_store(&args.store, |store, _| async move {
        hub::cases::timeline(&store, &case_id)
            .await
            .context("cannot read the case timeline")
    })?;
    if timeline.is_empty() {
        eprintln!("hubctl: the store knows no case {}", args.case_id);
        return Ok(ExitCode::from(1));
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&timeline).context("cannot encode the timeline")?
        );
    } else {
        print!("{}", timeline_text(&timeline));
    }
    Ok(ExitCode::SUCCESS)
}

/// Appends `text` and a line break.
fn line(out: &mut String, text: String) {
    out.push_str(&text);
    out.push('\n');
}

/// The timeline as text: state, history, then each message with its deliveries.
pub(crate) fn timeline_text(timeline: &Timeline) -> String {
    let mut out = String::new();
    line(
        &mut out,
        format!(
            "case {}  state {}",
            timeline.case_id,
            timeline.state.as_deref().unwrap_or("(not yet known)")
        ),
    );
    line(
        &mut out,
        format!("\nSTATE HISTORY ({})", timeline.history.len()),
    );
    for t in &timeline.history {
        line(
            &mut out,
            format!(
                "  {}  {} -> {}  by {} {} from {}",
                t.at,
                t.from.as_deref().unwrap_or("(new)"),
                t.to,
                t.message_type,
                t.message_id,
                t.sender
            ),
        );
    }
    line(
        &mut out,
        format!("\nMESSAGES ({})", timeline.messages.len()),
    );
    for (n, m) in timeline.messages.iter().enumerate() {
        line(
            &mut out,
            format!(
                "  {}. {}  {} {} from {} to {}",
                n + 1,
                m.accepted_at,
                m.message_type,
                m.message_id,
                m.sender,
                if m.recipients.is_empty() {
                    "-".to_owned()
                } else {
                    m.recipients.join(", ")
                }
            ),
        );
        for d in &m.deliveries {
            let away = if d.projected_away.is_empty() {
                "nothing projected away".to_owned()
            } else {
                format!("projected away: {}", d.projected_away.join(", "))
            };
            line(
                &mut out,
                format!(
                    "     -> {}: {} {} from {} (v{}, #{}{}) {}",
                    d.recipient,
                    d.message_type,
                    d.message_id,
                    d.sender,
                    d.schema_version.as_deref().unwrap_or("?"),
                    d.stream_seq
                        .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                    if d.published {
                        ""
                    } else {
                        ", not yet published"
                    },
                    away
                ),
            );
        }
    }
    if !timeline.refused.is_empty() {
        line(&mut out, "refused:".to_owned());
        for r in &timeline.refused {
            let reasons: Vec<String> = r
                .reasons
                .as_array()
                .into_iter()
                .flatten()
                .map(|reason| {
                    let text = |k: &str| reason.get(k).and_then(|v| v.as_str()).unwrap_or("");
                    format!("{} {}", text("pointer"), text("message"))
                })
                .collect();
            line(
                &mut out,
                format!(
                    "  {}  {} {} from {} — {} at {}{}",
                    r.dead_at,
                    r.message_type.as_deref().unwrap_or("?"),
                    r.message_id.as_deref().unwrap_or("(no id)"),
                    r.sender.as_deref().unwrap_or("?"),
                    r.queue,
                    r.stage,
                    r.replayed_at
                        .as_deref()
                        .map(|at| format!(", replayed {at}"))
                        .unwrap_or_default()
                ),
            );
            for reason in reasons {
                line(&mut out, format!("     {reason}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use hub::config::HubConfig;
    use hub::contracts::Registry;
    use hub::contracts::model::Actor;
    use hub::pipeline::{HubIdentity, Pipeline, Publisher, Verdict};
    use hub::store::Store;
    use serde_json::{Value, json};

    use super::*;

    const CASE: &str = "TCJZ-2026-000777";

    fn fixture(relative: &str, id: &str) -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../contracts/fixtures")
            .join(relative);
        let mut message: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        message["message_id"] = json!(id);
        message["case_id"] = json!(CASE);
        if message["payload"].get("case_id").is_some() {
            message["payload"]["case_id"] = json!(CASE);
        }
        message
    }

    /// A case on a real store file (intake, leave, then a refused second leave) reads as text
    /// with its history and recipients.
    #[tokio::test]
    async fn the_timeline_of_a_real_store_reads_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("hub.sqlite")).await.unwrap();
        hub::deadlines::timers::prepare(&store).await.unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hub/hub.example.toml");
        let config = Arc::new(HubConfig::load(Some(&path), std::iter::empty()).unwrap());
        let pipeline = Pipeline::new(
            Arc::new(Registry::embedded().unwrap()),
            config,
            store.clone(),
            HubIdentity::default(),
        );
        let intake = fixture(
            "STATION_INTAKE/v1/valid/police_escort_adult_document.json",
            "6c1d3f0a-1b2c-4d5e-8f90-a1b2c3d4e501",
        );
        let leave = fixture(
            "STATION_LEAVE/v1/valid/escorted_home_cross_province.json",
            "6c1d3f0a-1b2c-4d5e-8f90-a1b2c3d4e502",
        );
        let again = fixture(
            "STATION_LEAVE/v1/valid/collected_by_daughter.json",
            "6c1d3f0a-1b2c-4d5e-8f90-a1b2c3d4e503",
        );
        for (message, accepted) in [(&intake, true), (&leave, true), (&again, false)] {
            let verdict = pipeline
                .process(
                    &serde_json::to_vec(message).unwrap(),
                    &Publisher::Department(Actor::Station),
                )
                .await
                .unwrap();
            assert_eq!(
                matches!(verdict, Verdict::Accepted { .. }),
                accepted,
                "{verdict:?}"
            );
        }
        let timeline = hub::cases::timeline(&store, CASE).await.unwrap();
        let text = timeline_text(&timeline);
        println!("{text}");
        assert!(
            text.starts_with(&format!("case {CASE}  state LEFT")),
            "{text}"
        );
        assert!(text.contains("STATE HISTORY (2)"), "{text}");
        assert!(
            text.contains("(new) -> IN_STATION  by STATION_INTAKE"),
            "{text}"
        );
        assert!(
            text.contains("IN_STATION -> LEFT  by STATION_LEAVE"),
            "{text}"
        );
        assert!(text.contains("MESSAGES (2)"), "{text}");
        assert!(text.contains("-> CIVIL: STATION_INTAKE"), "{text}");
        assert!(
            !text.contains(again["message_id"].as_str().unwrap()),
            "{text}"
        );
        assert!(
            hub::cases::timeline(&store, "TCJZ-NONE")
                .await
                .unwrap()
                .is_empty()
        );
        store.close().await;
    }
}
