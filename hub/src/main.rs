//! `hub` — the Taicang interagency rescue hub process.
//!
//! * `hub run [--config hub.toml]` — start routing (RabbitMQ when `[transport.amqp]` is
//!   configured; the embedded no-broker default follows in the next issue);
//! * `hub check-config [--config hub.toml]` — validate the configuration without any I/O
//!   beyond reading it, print every problem, exit non-zero if there is one.
//!
//! Environment variables `HUB_<SECTION>__<KEY>` override the file (`__` nests).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hub::config::HubConfig;

/// The Taicang interagency rescue hub.
#[derive(Debug, Parser)]
#[command(name = "hub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the hub.
    Run {
        /// Configuration file (default: ./hub.toml if present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Validate the configuration and exit.
    CheckConfig {
        /// Configuration file (default: ./hub.toml if present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

fn config_path(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit.or_else(|| {
        let default = PathBuf::from("hub.toml");
        default.exists().then_some(default)
    })
}

fn load(path: Option<PathBuf>) -> Result<(HubConfig, Arc<contracts::Registry>)> {
    let path = config_path(path);
    let config = HubConfig::load(path.as_deref(), std::env::vars()).with_context(|| {
        format!(
            "cannot load configuration {}",
            path.as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(defaults)".into())
        )
    })?;
    let registry = Arc::new(
        contracts::Registry::embedded()
            .context("the built-in contract catalogue does not compile")?,
    );
    if let Err(problems) = config.validate(&registry) {
        for problem in &problems {
            eprintln!("config: {problem}");
        }
        bail!("{} configuration problem(s)", problems.len());
    }
    Ok((config, registry))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Run { config: None }) {
        Command::CheckConfig { config } => load(config).map(|_| println!("configuration OK")),
        Command::Run { config } => run(config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hub: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Option<PathBuf>) -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HUB_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let (config, registry) = load(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let config = Arc::new(config);
        let store = hub::store::Store::open(&config.store.path)
            .await
            .with_context(|| format!("cannot open the store {}", config.store.path.display()))?;
        let Some(amqp) = config.transport.amqp.clone() else {
            bail!(
                "no [transport.amqp] configured; the embedded transport arrives with the next issue"
            );
        };
        let transport = Arc::new(
            hub::transport::amqp::AmqpTransport::connect(amqp, hub::http::departments().collect())
                .await
                .context("cannot start the RabbitMQ transport")?,
        );
        let running = hub::app::start(Arc::clone(&config), registry, store, transport).await?;
        println!("hub: HTTP API on http://{}", running.http_address);
        println!("hub: store {}", config.store.path.display());
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        println!("hub: stopping (finishing in-flight work)…");
        running.stop().await;
        Ok(())
    })
}
