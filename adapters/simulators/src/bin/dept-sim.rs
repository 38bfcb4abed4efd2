//! `dept-sim`: one department system's simulator, out of process (the demo, shell-driven
//! end-to-end runs). See README.md.
//!
//! * Serve mode (default): listen as the department's system, print one JSON line with the
//!   bound addresses on stdout, answer until SIGINT/SIGTERM.
//! * Script mode (`--send DIR --to URL`): send every document file of DIR, in name order,
//!   print each answer as a JSON line on stdout; exit status 1 when a document got no
//!   answer at all.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use dept_sim::{
    Department, FailureMode, RecordFile, Sender, SentOutcome, SimConfig, Simulator, Target,
};
use serde_json::json;

/// Simulates a Taicang department system (POLICE, HEALTH, CITYMGMT, GRID, STATION) in its
/// native protocol.
#[derive(Debug, Parser)]
#[command(name = "dept-sim", version)]
struct Cli {
    /// The department system: police, health, citymgmt, grid or station.
    department: Department,
    /// Where to listen (serve mode); port 0 picks a free one, printed on stdout.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// The separate control endpoint (up even while the simulator is `down`).
    #[arg(long, default_value = "127.0.0.1:0")]
    control: String,
    /// Failure mode to start in: ok, error_5xx, reject_4xx, slow, down, malformed.
    #[arg(long, default_value = "ok")]
    mode: String,
    /// With --mode: only for the next N requests (connections, for down).
    #[arg(long)]
    count: Option<u32>,
    /// Delay of the slow mode, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    slow_delay_ms: u64,
    /// Write a JSON-lines record of everything received (and, in script mode, every answer).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Script mode: send every document file of this directory, in file-name order.
    #[arg(long, requires = "to")]
    send: Option<PathBuf>,
    /// Script mode: http://host:port[/path] or mllp://host:port.
    #[arg(long, requires = "send")]
    to: Option<String>,
    /// Script mode: how long to wait for each answer, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    timeout_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match (&cli.send, &cli.to) {
        (Some(dir), Some(to)) => script(&cli, dir, to).await,
        _ => serve(&cli).await,
    }
}

async fn serve(cli: &Cli) -> anyhow::Result<()> {
    let config = SimConfig {
        listen: cli.listen.clone(),
        control: Some(cli.control.clone()),
        slow_delay: Duration::from_millis(cli.slow_delay_ms),
        record_file: cli.record.clone(),
        ..SimConfig::default()
    };
    let (mode, count) = dept_sim::ModeRequest {
        mode: cli.mode.clone(),
        count: cli.count,
        delay_ms: None,
        remaining: None,
    }
    .parse(config.slow_delay)?;
    let simulator = Simulator::start(cli.department, config)
        .await
        .with_context(|| format!("starting the {} simulator", cli.department))?;
    if mode != FailureMode::Ok {
        match count {
            Some(n) => simulator.set_mode_for(mode, n).await?,
            None => simulator.set_mode(mode).await?,
        }
    }
    let started = json!({
        "department": simulator.department().as_str(),
        "listen": simulator.local_addr().to_string(),
        "base_url": simulator.base_url(),
        "control": simulator.control_addr().map(|a| format!("http://{a}")),
        "mode": mode.name(),
    });
    println!("{started}");
    wait_for_signal().await?;
    simulator.shutdown().await;
    Ok(())
}

async fn script(cli: &Cli, dir: &std::path::Path, to: &str) -> anyhow::Result<()> {
    let target: Target = to.parse()?;
    let mut sender = Sender::new(cli.department, Duration::from_millis(cli.timeout_ms))?;
    let record = match &cli.record {
        Some(path) => Some(RecordFile::create(path).await?),
        None => None,
    };
    if let Some(record) = &record {
        sender = sender.with_record(record.clone());
    }
    let answers = sender.send_dir(dir, &target).await?;
    if let Some(record) = &record {
        record.close().await;
    }
    let mut failed = 0_usize;
    for sent in &answers {
        if matches!(sent.outcome, SentOutcome::Failed { .. }) {
            failed += 1;
        }
        println!("{}", sent.to_json());
    }
    if answers.is_empty() {
        bail!(
            "no document files (*.xml, *.json, *.hl7, *.er7) in {}",
            dir.display()
        );
    }
    if failed > 0 {
        bail!("{failed} of {} document(s) got no answer", answers.len());
    }
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("installing the SIGTERM handler")?;
        tokio::select! {
            signal = tokio::signal::ctrl_c() => signal.context("waiting for Ctrl-C")?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
