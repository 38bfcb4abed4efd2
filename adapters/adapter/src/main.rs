//! `adapter`: runs one department's adapter from its configuration file.
//!
//! * `adapter run --config adapter.toml` — connect to the hub's RabbitMQ as the department's
//!   own user, listen for the department system, deliver to it; Ctrl-C stops cleanly.
//! * `adapter check-config --config adapter.toml` — validate without I/O.
//! * `adapter refused --config adapter.toml [--limit N]` — the inbound documents this
//!   adapter refused, with the reasons given to the department.
//! * `adapter identity-digest --config adapter.toml` — report the adapter's identity view
//!   to the hub once (`IDENTITY_DIGEST` to the department's ingress, as its broker user),
//!   print how many persons were reported, exit 0 (non-zero when the hub did not confirm).
//! * `adapter demo` — no configuration, nothing installed: the hub (embedded transport), the
//!   five adapters and a simulator of each department system in this process, one case
//!   carried through the systems' native formats ([`adapter::demo`]); exits non-zero with
//!   the reason when a step does not arrive in time.

use std::path::{Path, PathBuf};

use adapter::config::AdapterConfig;
use adapter::departments::assemble;
use adapter_runtime::identity::{ReportingDepartment, report_identity_digest};
use adapter_runtime::store::AdapterStore;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use hub::transport::amqp::{AmqpConfig, AmqpTransport};

#[derive(Debug, Parser)]
#[command(
    name = "adapter",
    about = "Runs one department's adapter of the Taicang rescue hub"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the adapter until Ctrl-C.
    Run {
        /// The adapter's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Validate a configuration file without connecting anywhere.
    CheckConfig {
        /// The adapter's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// List the inbound documents the adapter refused (newest first).
    Refused {
        /// The adapter's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Report the adapter's identity view to the hub once (IDENTITY_DIGEST) and exit.
    IdentityDigest {
        /// The adapter's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Play one case through the hub and all five adapters in this process, as the
    /// department systems see it (no RabbitMQ, no configuration).
    Demo,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = |default: &str| {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default))
    };
    if matches!(cli.command, Command::Demo) {
        // The demo's own output tells the story; the log only speaks up about problems,
        // on stderr.
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter("warn"))
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter("info"))
            .init();
    }
    match cli.command {
        Command::CheckConfig { config } => {
            let loaded = AdapterConfig::load(&config)?;
            println!(
                "{}: OK ({} adapter)",
                config.display(),
                loaded.department.department().as_str()
            );
            Ok(())
        }
        Command::Refused { config, limit } => {
            let loaded = AdapterConfig::load(&config)?;
            let store = AdapterStore::open(&loaded.runtime.store_path).await?;
            for kept in store.refused(limit).await? {
                println!(
                    "#{} {} {} ({} bytes): {}",
                    kept.id,
                    kept.received_at,
                    kept.kind,
                    kept.body.len(),
                    kept.detail
                );
            }
            Ok(())
        }
        Command::Run { config } => run(config).await,
        Command::IdentityDigest { config } => identity_digest(config).await,
        Command::Demo => {
            let mut stdout = std::io::stdout();
            adapter::demo::run_demo(&mut stdout)
                .await
                .context("the demo failed")?;
            Ok(())
        }
    }
}

/// The `[runtime.amqp]` settings an adapter on its own needs.
fn amqp_of(config: &AdapterConfig, path: &Path) -> anyhow::Result<AmqpConfig> {
    let Some(amqp) = config.runtime.amqp.clone() else {
        bail!(
            "{}: [runtime.amqp] is required to run an adapter on its own (the hub's RabbitMQ, \
             with this department's broker user)",
            path.display()
        );
    };
    Ok(amqp)
}

async fn identity_digest(path: PathBuf) -> anyhow::Result<()> {
    let config = AdapterConfig::load(&path)?;
    let amqp = amqp_of(&config, &path)?;
    let assembled = assemble(&config.department)?;
    let reporting = ReportingDepartment::of(&*assembled.adapter);
    let store = AdapterStore::open(&config.runtime.store_path)
        .await
        .with_context(|| format!("opening {}", config.runtime.store_path.display()))?;
    let transport = AmqpTransport::connect(amqp, Vec::new())
        .await
        .context("connecting to the hub's RabbitMQ")?;
    let reported = report_identity_digest(&transport, &store, &reporting).await;
    transport.shutdown().await;
    store.close().await;
    let report = reported.context("reporting the identity view to the hub")?;
    println!(
        "{} adapter: reported {} person(s) in {} IDENTITY_DIGEST message(s) to ingress.{} \
         (view at {}).",
        reporting.department.as_str(),
        report.persons,
        report.messages,
        reporting.department.as_str(),
        report.view_at
    );
    for message_id in &report.message_ids {
        println!("  message {message_id}");
    }
    Ok(())
}

async fn run(path: PathBuf) -> anyhow::Result<()> {
    let config = AdapterConfig::load(&path)?;
    let amqp = amqp_of(&config, &path)?;
    let assembled = assemble(&config.department)?;
    let transport = AmqpTransport::connect(amqp, Vec::new())
        .await
        .context("connecting to the hub's RabbitMQ")?;
    let store = AdapterStore::open(&config.runtime.store_path)
        .await
        .with_context(|| format!("opening {}", config.runtime.store_path.display()))?;
    let running = adapter::run::start(assembled, transport.clone(), store, &config.runtime).await?;
    println!(
        "{} adapter: listening on {}; delivering from deliver.{}. Ctrl-C stops.",
        running.department.as_str(),
        running.inbound_addr,
        running.department.as_str()
    );
    tokio::signal::ctrl_c().await?;
    running.stop().await;
    transport.shutdown().await;
    Ok(())
}
