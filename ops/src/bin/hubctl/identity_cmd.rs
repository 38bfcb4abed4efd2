//! `hubctl identity drift | checks | reviews | show PERSON_ID`: the identity registry read
//! straight from the hub's store — the same data as `GET /v1/identity/…` (both call
//! `hub::identity::read`).
//!
//! * `drift` — open drift per department (what digest reports found and whether the hub
//!   re-sent the current version);
//! * `checks [--all]` — tracked identity checks: state (REQUESTED, ACKNOWLEDGED, OVERDUE,
//!   COMPLETED, REJECTED), due dates and results per method;
//! * `reviews` — open CONFLICT reviews for the station, with the disagreeing claims;
//! * `show PERSON_ID --acting … --case … --purpose …` — a person's record, provenance,
//!   links, versions and what each department was last sent. Like every identity query it
//!   names who acts, for which case and why, and the reading is recorded in the access log.
//!
//! Invariants:
//! * Read-only apart from the access log of `show` (opening an older store migrates it, as the
//!   hub does).
//! * hubctl never creates a store: a store path that does not exist is an error (exit 2).
//! * `show` of an unknown person is exit 1; the lists exit 0, empty or not.

use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use hub::identity::read::{self, Access};

use crate::dead_letters_cmd::{StoreArgs, with_store};

/// `hubctl identity …`.
#[derive(Debug, Subcommand)]
pub(crate) enum IdentityCommand {
    /// Drift per department: persons whose view differs from what the hub sent.
    Drift(ListArgs),
    /// Tracked identity checks (open ones; --all for every one).
    Checks(ChecksArgs),
    /// Open CONFLICT reviews waiting for the station.
    Reviews(ListArgs),
    /// A person's identity record, versions, provenance and links (recorded in the access
    /// log: give who acts, for which case and why).
    Show(ShowArgs),
}

/// Options of the lists.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Print JSON (the same as the HTTP API).
    #[arg(long)]
    json: bool,
}

/// `hubctl identity checks`.
#[derive(Debug, Args)]
pub(crate) struct ChecksArgs {
    #[command(flatten)]
    list: ListArgs,
    /// Also completed and rejected checks.
    #[arg(long)]
    all: bool,
}

/// `hubctl identity show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The pseudonymous person id (人员标识).
    person_id: String,
    /// The acting officer or staff member (警号/工号 and name).
    #[arg(long)]
    acting: String,
    /// The case the reading is for.
    #[arg(long = "case")]
    case_id: String,
    /// Why the identity is read (查询事由).
    #[arg(long)]
    purpose: String,
    #[command(flatten)]
    list: ListArgs,
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(value).context("cannot encode JSON")?
    );
    Ok(())
}

pub(crate) fn run(command: IdentityCommand) -> Result<ExitCode> {
    match command {
        IdentityCommand::Drift(args) => {
            let drift = with_store(&args.store, |store, _| async move {
                read::drift(&store).await.context("cannot read drift")
            })?;
            if args.json {
                print_json(&drift)?;
            } else if drift.is_empty() {
                println!("no drift: every department's reported view matches what it was sent");
            } else {
                println!(
                    "{:<9} {:<38} {:<15} {:>8} {:>8}  {:<20}  re-sent",
                    "DEPT", "PERSON", "KIND", "REPORTED", "CURRENT", "FOUND"
                );
                for row in &drift {
                    println!(
                        "{:<9} {:<38} {:<15} {:>8} {:>8}  {:<20}  {}",
                        row.department,
                        row.person_id,
                        row.kind,
                        row.reported_version.map_or("-".into(), |v| v.to_string()),
                        row.expected_version.map_or("-".into(), |v| v.to_string()),
                        row.detected_at.get(..19).unwrap_or(&row.detected_at),
                        row.resent_message_id.as_deref().unwrap_or("no"),
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        IdentityCommand::Checks(args) => {
            let open_only = !args.all;
            let checks = with_store(&args.list.store, |store, _| async move {
                read::checks(&store, open_only, SystemTime::now())
                    .await
                    .context("cannot read identity checks")
            })?;
            if args.list.json {
                print_json(&checks)?;
            } else if checks.is_empty() {
                println!("no {}identity checks", if open_only { "open " } else { "" });
            } else {
                for check in &checks {
                    println!(
                        "{}  {}  case {}  requested {}  ack due {}{}",
                        check.request_id,
                        check.state,
                        check.case_id,
                        check.requested_at.get(..19).unwrap_or(&check.requested_at),
                        check.ack_due_at.get(..19).unwrap_or(&check.ack_due_at),
                        check
                            .acknowledged_at
                            .as_deref()
                            .map(|at| format!(", acknowledged {}", at.get(..19).unwrap_or(at)))
                            .unwrap_or_default(),
                    );
                    println!("    purpose: {}", check.purpose);
                    for method in &check.methods {
                        println!(
                            "    {:<16} due {:<20} {}{}",
                            method.method,
                            method
                                .due_at
                                .as_deref()
                                .map_or("-", |d| d.get(..19).unwrap_or(d)),
                            method.result.as_deref().unwrap_or("no result"),
                            if method.overdue { "  OVERDUE" } else { "" },
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        IdentityCommand::Reviews(args) => {
            let reviews = with_store(&args.store, |store, _| async move {
                read::open_reviews(&store)
                    .await
                    .context("cannot read reviews")
            })?;
            if args.json {
                print_json(&reviews)?;
            } else if reviews.is_empty() {
                println!("no open reviews");
            } else {
                for review in &reviews {
                    println!(
                        "review {}  person {}  case {}  disagreement on {}  opened {}",
                        review.id,
                        review.person_id,
                        review.case_id.as_deref().unwrap_or("-"),
                        review.field,
                        review.opened_at.get(..19).unwrap_or(&review.opened_at),
                    );
                    for claim in review.claims.as_array().into_iter().flatten() {
                        let identity = &claim["identity"];
                        println!(
                            "    {:<14} {} {} ({})",
                            claim["method"].as_str().unwrap_or("held"),
                            identity["name"].as_str().unwrap_or("?"),
                            identity["id_number"].as_str().unwrap_or("-"),
                            identity["identity_status"].as_str().unwrap_or("?"),
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        IdentityCommand::Show(args) => {
            let access = Access {
                reader: "OPS (hubctl)".to_owned(),
                acting: args.acting.clone(),
                case_id: args.case_id.clone(),
                purpose: args.purpose.clone(),
            };
            let person_id = args.person_id.clone();
            let view = with_store(&args.list.store, |store, _| async move {
                let view = read::person(&store, &person_id)
                    .await
                    .context("cannot read the person")?;
                if view.is_some() {
                    read::record_access(&store, &person_id, &access, SystemTime::now())
                        .await
                        .context("cannot record the access")?;
                }
                Ok(view)
            })?;
            let Some(view) = view else {
                eprintln!(
                    "hubctl: the identity registry knows no person {}",
                    args.person_id
                );
                return Ok(ExitCode::from(1));
            };
            if args.list.json {
                print_json(&view)?;
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "person {}  version {}  status {}{}",
                view.person_id,
                view.version,
                view.status,
                view.merged_into
                    .as_deref()
                    .map(|m| format!("  merged into {m}"))
                    .unwrap_or_default()
            );
            println!("cases: {}", view.cases.join(", "));
            println!("fields:");
            for p in &view.provenance {
                println!(
                    "    {:<26} {:<40} v{} {} {} ({})",
                    p.field,
                    view.record
                        .get(&p.field)
                        .map_or_else(String::new, |v| v.to_string()),
                    p.version,
                    p.department,
                    p.method,
                    p.message_id,
                );
            }
            println!("links:");
            for link in &view.links {
                println!(
                    "    {:<9} {:<26} {}",
                    link.department, link.kind, link.local_id
                );
            }
            println!("versions:");
            for v in &view.versions {
                println!(
                    "    v{:<3} {:<10} {:<22} {} {}",
                    v.version,
                    v.change_type,
                    v.source_of_truth.as_deref().unwrap_or("-"),
                    v.department,
                    v.at.get(..19).unwrap_or(&v.at),
                );
            }
            println!("sent:");
            for s in &view.sent {
                println!("    {:<9} v{:<3} {}", s.department, s.version, s.digest);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
