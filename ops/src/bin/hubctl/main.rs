//! `hubctl` — what an operator or a department's IT staff does by hand with the hub.
//!
//! Today: the contract catalogue (`hubctl contracts list | validate | fields | check`), the
//! broker (`hubctl rabbitmq setup | definitions`), the dead letters in the hub's store
//! (`hubctl dead-letters list | show | replay`), the deadline board (`hubctl deadlines`) and
//! case timelines (`hubctl case timeline CASE_ID`), the identity registry (`hubctl identity
//! drift | checks | reviews | show`). Queues and traces join as the hub grows. Operator guide:
//! `ops/README.md`.
//!
//! Exit codes: 0 success; 1 the checked thing is bad (an invalid message, an uncovered
//! breaking change, a dead letter that is unknown or could not be replayed); 2 hubctl could
//! not do its job (unreadable file, broken catalogue, missing store).

mod case_cmd;
mod contracts_cmd;
mod dead_letters_cmd;
mod deadlines_cmd;
mod identity_cmd;
mod rabbitmq_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Operator tool of the Taicang interagency rescue hub.
#[derive(Debug, Parser)]
#[command(name = "hubctl", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with the message contracts (schemas, validation, compatibility).
    #[command(subcommand)]
    Contracts(contracts_cmd::ContractsCommand),
    /// Prepare the RabbitMQ broker (vhost, users, topology) and export its definitions.
    #[command(subcommand)]
    Rabbitmq(rabbitmq_cmd::RabbitmqCommand),
    /// List, show and replay the dead letters recorded in the hub's store.
    #[command(subcommand)]
    DeadLetters(dead_letters_cmd::DeadLettersCommand),
    /// Show the deadline board: open, due-soon and breached deadlines, and the on-time
    /// compliance of each rule.
    Deadlines(deadlines_cmd::DeadlinesArgs),
    /// Show a case: its timeline across departments and its state history.
    #[command(subcommand)]
    Case(case_cmd::CaseCommand),
    /// The identity registry: drift per department, tracked identity checks, CONFLICT
    /// reviews, one person's record.
    #[command(subcommand)]
    Identity(identity_cmd::IdentityCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Contracts(command) => contracts_cmd::run(command),
        Command::Rabbitmq(command) => rabbitmq_cmd::run(command),
        Command::DeadLetters(command) => dead_letters_cmd::run(command),
        Command::Deadlines(args) => deadlines_cmd::run(args),
        Command::Case(command) => case_cmd::run(command),
        Command::Identity(command) => identity_cmd::run(command),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("hubctl: {error:#}");
            ExitCode::from(2)
        }
    }
}
