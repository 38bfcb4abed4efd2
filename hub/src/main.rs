//! `hub` — the Taicang interagency rescue hub process.
//!
//! * `hub` or `hub run [--config hub.toml]` — start routing. The configuration is the file
//!   given, else `./hub.toml` if present, else the built-in example configuration
//!   (`hub/hub.example.toml`, every department with its development token). The transport is
//!   RabbitMQ when `[transport.amqp]` is configured (or `HUB_TRANSPORT__AMQP__URL` is set),
//!   otherwise the embedded transport: durable queues in the store's SQLite file
//!   (`data/hub.sqlite` by default), nothing else to install. It prints where to look (data
//!   file, HTTP API, how to switch transport) and stops cleanly on Ctrl-C or SIGTERM (see
//!   [`hub::app`]); a second Ctrl-C exits at once (nothing durable is lost, the next start
//!   finishes the work).
//! * `hub check-config [--config hub.toml]` — validate the configuration without any I/O
//!   beyond reading it, print every problem, exit non-zero if there is one.
//! * `hub demo` — play one realistic case through a complete in-process hub on the embedded
//!   transport and a scratch store ([`hub::demo`]), printing each hop and the timeline.
//!
//! Environment variables `HUB_<SECTION>__<KEY>` override the file (`__` nests); `HUB_LOG`
//! sets the log filter (default `info`; logs go to stderr, the "where to look" text to
//! stdout).

use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hub::config::{HubConfig, SelectedTransport};
use hub::relay::OutboxTransport;
use hub::store::Store;
use hub::transport::amqp::{AmqpConfig, AmqpTransport};
use hub::transport::embedded::EmbeddedTransport;

/// The Taicang interagency rescue hub.
#[derive(Debug, Parser)]
#[command(name = "hub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the hub (the default command).
    Run {
        /// Configuration file (default: ./hub.toml if present, else the built-in example).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Validate the configuration and exit.
    CheckConfig {
        /// Configuration file (default: ./hub.toml if present, else the built-in example).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Play one realistic case through a complete in-process hub (embedded transport,
    /// scratch store) and print each hop and the case timeline.
    Demo,
}

/// Where the configuration came from.
#[derive(Debug, Clone)]
enum ConfigSource {
    /// A file (given, or `./hub.toml`).
    File(PathBuf),
    /// The built-in example configuration.
    BuiltIn,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::BuiltIn => f.write_str("built-in (hub/hub.example.toml)"),
        }
    }
}

fn config_source(explicit: Option<PathBuf>) -> ConfigSource {
    match explicit {
        Some(path) => ConfigSource::File(path),
        None => {
            let default = PathBuf::from("hub.toml");
            if default.exists() {
                ConfigSource::File(default)
            } else {
                ConfigSource::BuiltIn
            }
        }
    }
}

fn load(source: &ConfigSource) -> Result<(HubConfig, Arc<contracts::Registry>)> {
    let path = match source {
        ConfigSource::File(path) => Some(path.as_path()),
        ConfigSource::BuiltIn => None,
    };
    let config = HubConfig::load(path, std::env::vars())
        .with_context(|| format!("cannot load configuration {source}"))?;
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
        Command::CheckConfig { config } => check_config(config),
        Command::Run { config } => run(config),
        Command::Demo => demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hub: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn check_config(config: Option<PathBuf>) -> Result<()> {
    let source = config_source(config);
    let (config, _) = load(&source)?;
    let transport = match config.transport.selected() {
        SelectedTransport::Amqp(_) => "RabbitMQ",
        SelectedTransport::Embedded(_) => "embedded",
    };
    println!("configuration OK ({source}; transport: {transport})");
    Ok(())
}

/// Logs to stderr, filtered by `HUB_LOG` (else `default_filter`).
fn init_logging(default_filter: &str) {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HUB_LOG")
                .unwrap_or_else(|_| default_filter.into()),
        )
        .init();
}

fn demo() -> Result<()> {
    // The demo's own output tells the story; the log only speaks up about problems.
    init_logging("warn");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut stdout = std::io::stdout();
        hub::demo::run_demo(&mut stdout)
            .await
            .context("the demo failed")?;
        Ok(())
    })
}

fn run(config: Option<PathBuf>) -> Result<()> {
    init_logging("info");
    let source = config_source(config);
    let (config, registry) = load(&source)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let config = Arc::new(config);
        let store = Store::open(&config.store.path)
            .await
            .with_context(|| format!("cannot open the store {}", config.store.path.display()))?;
        let data = absolute(&config.store.path);
        let started = match config.transport.selected() {
            SelectedTransport::Embedded(settings) => {
                let transport = Arc::new(
                    EmbeddedTransport::open(&store, settings)
                        .await
                        .context("cannot open the embedded transport")?,
                );
                let view = View {
                    source: &source,
                    transport: TransportView::Embedded,
                    data: &data,
                };
                let result = serve(&config, registry, &store, Arc::clone(&transport), view).await;
                transport.shutdown().await;
                result
            }
            SelectedTransport::Amqp(settings) => {
                let view_settings = settings.clone();
                let transport = Arc::new(
                    AmqpTransport::connect(settings, contracts::model::Actor::DEPARTMENTS.to_vec())
                        .await
                        .context("cannot start the RabbitMQ transport")?,
                );
                let view = View {
                    source: &source,
                    transport: TransportView::Amqp(&view_settings),
                    data: &data,
                };
                let result = serve(&config, registry, &store, Arc::clone(&transport), view).await;
                transport.shutdown().await;
                result
            }
        };
        // Closing the last connection checkpoints the WAL into the database file.
        store.close().await;
        if started.is_ok() {
            println!("hub: stopped; data is in {}", data.display());
        }
        started
    })
}

/// Starts the hub over `transport`, prints where to look, waits for Ctrl-C or SIGTERM and
/// stops it (the caller then shuts the transport down and closes the store).
async fn serve<T: OutboxTransport>(
    config: &Arc<HubConfig>,
    registry: Arc<contracts::Registry>,
    store: &Store,
    transport: Arc<T>,
    view: View<'_>,
) -> Result<()> {
    let running = hub::app::start(Arc::clone(config), registry, store.clone(), transport).await?;
    let mut stdout = std::io::stdout().lock();
    view.print(&mut stdout, running.http_address)
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
    drop(stdout);
    let signal = stop_requested().await?;
    println!(
        "hub: {signal} received; stopping (intake first, then in-flight work, then the outbox)… \
         press Ctrl-C again to exit at once"
    );
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("hub: second Ctrl-C; exiting at once (the next start finishes the work)");
            std::process::exit(130);
        }
    });
    running.stop().await;
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM; returns which.
async fn stop_requested() -> Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => {
                result.context("cannot wait for Ctrl-C")?;
                Ok("Ctrl-C")
            }
            _ = terminate.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        Ok("Ctrl-C")
    }
}

/// `path` made absolute against the working directory (as written when that fails).
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Which transport runs, for the start-up text.
#[derive(Debug, Clone, Copy)]
enum TransportView<'a> {
    Embedded,
    Amqp(&'a AmqpConfig),
}

/// What the start-up text shows.
#[derive(Debug, Clone, Copy)]
struct View<'a> {
    source: &'a ConfigSource,
    transport: TransportView<'a>,
    data: &'a Path,
}

impl View<'_> {
    /// Prints where to look. The line `hub: HTTP API on http://<address>` is read by tests
    /// and scripts: keep it exactly so.
    fn print(&self, out: &mut impl Write, http: SocketAddr) -> std::io::Result<()> {
        let url = format!("http://{http}");
        writeln!(out, "hub: the Taicang interagency rescue hub is running")?;
        writeln!(out, "hub: configuration  {}", self.source)?;
        match self.transport {
            TransportView::Embedded => {
                writeln!(
                    out,
                    "hub: transport      embedded (durable queues in the data file; no broker needed)"
                )?;
                writeln!(
                    out,
                    "hub: data           {} (store and queues; delete it to start afresh)",
                    self.data.display()
                )?;
            }
            TransportView::Amqp(amqp) => {
                writeln!(
                    out,
                    "hub: transport      RabbitMQ at {} (management {})",
                    redacted(&amqp.url),
                    amqp.management_url
                )?;
                writeln!(
                    out,
                    "hub: data           {} (store: inbox, outbox, dead-letter index)",
                    self.data.display()
                )?;
            }
        }
        writeln!(out, "hub: HTTP API on {url}")?;
        let token = match self.source {
            ConfigSource::BuiltIn => {
                "Bearer <department token>; development tokens: dev-token-<department>, e.g. dev-token-grid"
            }
            ConfigSource::File(_) => "Bearer <department token>",
        };
        writeln!(
            out,
            "hub:   POST {url}/v1/messages  submit a message ({token})"
        )?;
        let board_token = match self.source {
            ConfigSource::BuiltIn => {
                "operator or department token; development operator token: dev-token-ops"
            }
            ConfigSource::File(_) => "operator or department token",
        };
        writeln!(
            out,
            "hub:   GET  {url}/v1/deadlines the deadline board (Bearer <{board_token}>)"
        )?;
        writeln!(
            out,
            "hub:   GET  {url}/v1/cases/CASE_ID/timeline, /v1/identity/… case timelines, the identity registry (same tokens)"
        )?;
        writeln!(out, "hub:   GET  {url}/healthz      the process is up")?;
        writeln!(
            out,
            "hub:   GET  {url}/readyz       transport and store reachable"
        )?;
        match self.transport {
            TransportView::Embedded => writeln!(
                out,
                "hub: RabbitMQ       to use RabbitMQ instead, set HUB_TRANSPORT__AMQP__URL=amqp://USER:PASSWORD@HOST:5672/%2f (or add [transport.amqp] to hub.toml)"
            )?,
            TransportView::Amqp(_) => writeln!(
                out,
                "hub: embedded       to run without a broker, remove [transport.amqp] and unset HUB_TRANSPORT__AMQP__URL"
            )?,
        }
        writeln!(
            out,
            "hub: stop           Ctrl-C (stops intake, finishes in-flight work, drains the outbox, closes the store)"
        )
    }
}

/// An AMQP URL without its password (the start-up text must never show it).
fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() && parsed.set_password(Some("***")).is_err() {
                return "(url hidden)".to_owned();
            }
            parsed.to_string()
        }
        Err(_) => "(url hidden)".to_owned(),
    }
}
