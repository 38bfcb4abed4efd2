//! `hubctl` — what an operator or a department's IT staff does by hand with the hub.
//!
//! Today: the contract catalogue (`hubctl contracts list | validate | check`) and the broker
//! (`hubctl rabbitmq setup | definitions`). Queues, dead letters, replay, traces and case
//! timelines join as the hub grows.
//!
//! Exit codes: 0 success; 1 the checked thing is bad (an invalid message, an uncovered
//! breaking change); 2 hubctl could not do its job (unreadable file, broken catalogue).

mod contracts_cmd;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Contracts(command) => contracts_cmd::run(command),
        Command::Rabbitmq(command) => rabbitmq_cmd::run(command),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("hubctl: {error:#}");
            ExitCode::from(2)
        }
    }
}
