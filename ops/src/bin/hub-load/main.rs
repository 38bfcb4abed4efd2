//! `hub-load` — end-to-end throughput of the embedded SQLite transport, reported as a ratio
//! against the raw SQLite insert-then-delete rate of the same machine, measured in the same
//! run, in the same directory, with the same connection settings (issue "Embedded default",
//! point 6; target ratio ≥ 0.5). Figures and their reading: `docs/dev/benchmarks.md`.
//!
//! # Usage
//!
//! ```text
//! cargo run --release -p ops --bin hub-load                  # the standard run (about a minute)
//! cargo run --release -p ops --bin hub-load -- --rounds 1    # quicker, noisier
//! cargo run --release -p ops --bin hub-load -- --setting 16,1,64,concurrent --setting 4,2,32,sequential,5000
//! cargo run --release -p ops --bin hub-load -- --dir /var/lib/hub   # measure another disk
//! cargo run --release -p ops --bin hub-load -- --transport-only --rounds 1   # for profiling
//! ```
//!
//! Options (`--help` for all): `--messages N` per transport setting, and at most per
//! batched baseline (default 20,000); `--single-messages N` for the one-at-a-time baseline,
//! and per message of a commit batch for the batched ones (default 2,000); `--body-bytes` (default 1,024); `--setting
//! P,C,PREFETCH,ACK[,MESSAGES]` (repeatable; ACK is `concurrent` or `sequential`; default: a
//! built-in table whose first row is the headline); `--rounds R` (default 3); `--dir`
//! (parent of the scratch directory, default the system temp dir; every measurement's
//! database is deleted once measured);
//! `--group-commit-max-wait-ms` / `--group-commit-max-batch` (override the transport's
//! defaults); `--transport-only` / `--raw-only` (no ratio).
//!
//! Output: Markdown, ready for `docs/dev/benchmarks.md`. Exit code 0 when the headline ratio
//! meets the target, 1 when it does not, 2 when a measurement failed (including a message
//! delivered or acked other than exactly once, or a queue left non-empty).
//!
//! # What is measured
//!
//! Every measurement uses a fresh database file opened with [`Store::open`] (WAL,
//! `synchronous=FULL`, the store's pool size, busy timeout and pragmas) in one scratch
//! directory, so both sides pay the same commits on the same file system, through sqlx, the
//! driver the hub uses.
//!
//! * **Raw baselines** on a table shaped like `queue_messages` (same columns, same
//!   `(queue, id)` index, same values bound): every message is inserted by its own
//!   `INSERT` and committed (durable) before its own `DELETE` is committed:
//!   * `single` — one message at a time: insert, commit, delete, commit;
//!   * `batched B` — B inserts, commit, then their B deletes, commit: a perfect group commit
//!     of B concurrent producers that each wait for durability, with no queue logic;
//!   * `pipelined B` — one transaction per B messages inserting the next B and deleting the
//!     previous B (each message is durable before its delete starts): one commit per B
//!     messages, the fewest any durable queue with that batching can pay.
//!
//!   B takes the values 16, 64, 256 and each setting's producer count P. Small batches
//!   measure fewer messages (`--single-messages` × B, at most `--messages`).
//! * **Transport end to end**: P producers [`Transport::publish`] 1 KiB messages (each
//!   waiting for its confirm, i.e. its commit) to one queue while C consumers
//!   [`Transport::consume`] it with the given prefetch and [`Delivery::ack`] every delivery,
//!   one after the other (`sequential`, like the hub's ingress workers) or each in its own
//!   task (`concurrent`, at most `prefetch` in flight per consumer). Rate = messages acked /
//!   time from the first publish to the last ack's commit. The run checks that every
//!   message was delivered and acked exactly once and that the queue is empty afterwards.
//!
//! Every measurement runs `--rounds` times, interleaved (all baselines, then all settings,
//! then again), and the best round counts: on a shared machine, the best of a few rounds
//! is the least disturbed one, for both sides alike.
//!
//! # The ratio
//!
//! The headline ratio is the first setting's rate over the fastest raw baseline **with the
//! same batching** (batched P or pipelined P; for P = 1, single or pipelined 1): P
//! producers that each wait for durability can share a commit at most P ways, so that is
//! what a queue with no overhead at all would reach under the same load. Each row also
//! shows the ratio to the fastest raw baseline of any batching (up to 256 messages per
//! commit: a harsher figure than the load allows) and to the one-at-a-time rate.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};
use clap::Parser;
use contracts::model::Actor;
use hub::store::Store;
use hub::transport::embedded::{EmbeddedConfig, EmbeddedTransport};
use hub::transport::{
    Address, Consumer, Delivery, HeaderValue, Headers, Outgoing, Transport, header,
};
use sqlx::sqlite::SqlitePool;
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// The ratio issue 4 asks for.
const TARGET_RATIO: f64 = 0.5;

/// The queue every transport setting loads.
const QUEUE: Address = Address::Deliver(Actor::Station);

/// Settings measured when none is given; the first is the headline (the sensible default:
/// a moderately busy hub). Slow settings carry a smaller message count.
const DEFAULT_SETTINGS: &[&str] = &[
    "16,1,64,concurrent",
    "64,1,256,concurrent",
    "16,4,64,concurrent",
    "4,1,64,concurrent,5000",
    "1,1,64,concurrent,3000",
    "16,1,64,sequential,4000",
    "16,4,16,sequential,5000",
];

/// Batch sizes of the batched and pipelined raw baselines.
const RAW_BATCHES: &[usize] = &[16, 64, 256];

/// Throughput of the embedded SQLite transport against raw SQLite, as a ratio.
#[derive(Debug, Parser)]
#[command(name = "hub-load", version)]
struct Cli {
    /// Messages per transport setting that does not give its own count, and at most per
    /// batched or pipelined raw baseline.
    #[arg(long, default_value_t = 20_000)]
    messages: u64,
    /// Messages of the one-at-a-time raw baseline (two commits each), and per message of a
    /// commit batch for the batched and pipelined ones.
    #[arg(long, default_value_t = 2_000)]
    single_messages: u64,
    /// Size of every message body in bytes.
    #[arg(long, default_value_t = 1_024)]
    body_bytes: usize,
    /// A transport setting `PRODUCERS,CONSUMERS,PREFETCH,ACK[,MESSAGES]` (ACK: concurrent |
    /// sequential); repeatable; the first is the headline. Default: a built-in table.
    #[arg(long = "setting", value_name = "P,C,PREFETCH,ACK[,N]")]
    settings: Vec<Setting>,
    /// Times every measurement runs (interleaved); the best round counts.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Parent directory of the scratch directory (default: the system temp dir).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Upper bound of each measurement, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    /// Override `[transport.embedded] group_commit_max_wait_ms` (default: the hub's).
    #[arg(long, value_name = "MS")]
    group_commit_max_wait_ms: Option<u64>,
    /// Override `[transport.embedded] group_commit_max_batch` (default: the hub's).
    #[arg(long, value_name = "N")]
    group_commit_max_batch: Option<u32>,
    /// Measure the transport settings only (for profiling; no ratio, exit code 0).
    #[arg(long)]
    transport_only: bool,
    /// Measure the raw baselines only (no ratio, exit code 0).
    #[arg(long, conflicts_with = "transport_only")]
    raw_only: bool,
}

impl Cli {
    /// The transport configuration every setting runs with.
    fn transport_config(&self) -> EmbeddedConfig {
        let defaults = EmbeddedConfig::default();
        EmbeddedConfig {
            group_commit_max_wait_ms: self
                .group_commit_max_wait_ms
                .unwrap_or(defaults.group_commit_max_wait_ms),
            group_commit_max_batch: self
                .group_commit_max_batch
                .unwrap_or(defaults.group_commit_max_batch),
            ..defaults
        }
    }
}

/// How consumers settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AckMode {
    /// Each ack in its own task, so the acks of one consumer share commits.
    Concurrent,
    /// Ack, wait for its commit, then take the next delivery.
    Sequential,
}

/// One transport setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Setting {
    producers: u64,
    consumers: u64,
    prefetch: u16,
    ack: AckMode,
    /// Messages to send; `None`: `--messages`.
    messages: Option<u64>,
}

impl FromStr for Setting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let (producers, consumers, prefetch, ack, messages) = match parts.as_slice() {
            [p, c, f, a] => (*p, *c, *f, *a, None),
            [p, c, f, a, n] => (*p, *c, *f, *a, Some(*n)),
            _ => {
                return Err(format!(
                    "expected P,C,PREFETCH,ACK[,MESSAGES], got {text:?}"
                ));
            }
        };
        let number = |what: &str, value: &str| {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{what} must be a positive integer, got {value:?}"))
        };
        let prefetch = u16::try_from(number("PREFETCH", prefetch)?)
            .map_err(|_| format!("PREFETCH must be at most {}", u16::MAX))?;
        let ack = match ack {
            "concurrent" => AckMode::Concurrent,
            "sequential" => AckMode::Sequential,
            other => {
                return Err(format!(
                    "ACK must be concurrent or sequential, got {other:?}"
                ));
            }
        };
        Ok(Setting {
            producers: number("PRODUCERS", producers)?,
            consumers: number("CONSUMERS", consumers)?,
            prefetch,
            ack,
            messages: messages.map(|n| number("MESSAGES", n)).transpose()?,
        })
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ack = match self.ack {
            AckMode::Concurrent => "concurrent",
            AckMode::Sequential => "sequential",
        };
        write!(
            f,
            "P={} C={} prefetch={} acks {ack}",
            self.producers, self.consumers, self.prefetch
        )
    }
}

/// One measured rate.
#[derive(Debug, Clone)]
struct Measured {
    messages: u64,
    elapsed: Duration,
}

impl Measured {
    fn rate(&self) -> f64 {
        // Precision loss above 2^53 messages is irrelevant here.
        #[allow(clippy::cast_precision_loss)]
        let messages = self.messages as f64;
        messages / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// A raw baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Baseline {
    Single,
    Batched(usize),
    Pipelined(usize),
}

impl Baseline {
    /// Every baseline the run measures: one at a time, and batched and pipelined with the
    /// sizes of [`RAW_BATCHES`] and with each setting's producer count (its batching).
    fn all(settings: &[Setting]) -> Vec<Baseline> {
        let mut sizes: Vec<usize> = RAW_BATCHES.to_vec();
        sizes.extend(
            settings
                .iter()
                .map(|s| usize::try_from(s.producers).unwrap_or(usize::MAX)),
        );
        sizes.sort_unstable();
        sizes.dedup();
        let mut all = vec![Baseline::Single];
        all.extend(
            sizes
                .iter()
                .filter(|&&b| b > 1)
                .map(|&b| Baseline::Batched(b)),
        );
        all.extend(sizes.iter().map(|&b| Baseline::Pipelined(b)));
        all
    }

    /// The baselines with the same batching as `setting`: a group commit of its P
    /// producers at best (batched 1 is the one-at-a-time baseline).
    fn same_batching(self, setting: &Setting) -> bool {
        let producers = usize::try_from(setting.producers).unwrap_or(usize::MAX);
        match self {
            Baseline::Single => producers == 1,
            Baseline::Batched(b) | Baseline::Pipelined(b) => b == producers,
        }
    }

    fn commits_per_message(self) -> String {
        match self {
            Baseline::Single => "2".to_owned(),
            Baseline::Batched(b) => format!("2/{b}"),
            Baseline::Pipelined(1) => "1".to_owned(),
            Baseline::Pipelined(b) => format!("1/{b}"),
        }
    }

    /// Messages to measure: `--single-messages` per message of a commit batch, at most
    /// `--messages` (small batches are slow; their rate settles quickly anyway).
    fn messages(self, cli: &Cli) -> u64 {
        let batch = match self {
            Baseline::Single => 1,
            Baseline::Batched(b) | Baseline::Pipelined(b) => u64::try_from(b).unwrap_or(u64::MAX),
        };
        cli.single_messages
            .saturating_mul(batch)
            .min(cli.messages)
            .max(1)
    }

    async fn measure(self, cli: &Cli, scratch: &Path, body: &[u8]) -> Result<Measured> {
        let messages = self.messages(cli);
        match self {
            Baseline::Single => raw_single(scratch, messages, body).await,
            Baseline::Batched(b) => raw_batched(scratch, messages, b, body).await,
            Baseline::Pipelined(b) => raw_pipelined(scratch, messages, b, body).await,
        }
    }
}

impl std::fmt::Display for Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Baseline::Single => f.write_str("single"),
            Baseline::Batched(b) => write!(f, "batched {b}"),
            Baseline::Pipelined(b) => write!(f, "pipelined {b}"),
        }
    }
}

/// One transport measurement.
#[derive(Debug, Clone)]
struct TransportRun {
    total: Measured,
    /// Time until the last publish was confirmed.
    published_after: Duration,
    redelivered: u64,
}

/// Every round of one measurement.
#[derive(Debug)]
struct Series<K, R> {
    kind: K,
    rounds: Vec<R>,
}

impl<K, R> Series<K, R> {
    fn new(kind: K) -> Self {
        Series {
            kind,
            rounds: Vec::new(),
        }
    }

    /// The fastest round (the least disturbed).
    fn best(&self, rate: impl Fn(&R) -> f64) -> Option<&R> {
        self.rounds
            .iter()
            .max_by(|a, b| rate(a).total_cmp(&rate(b)))
    }

    fn rates(&self, rate: impl Fn(&R) -> f64) -> String {
        self.rounds
            .iter()
            .map(|r| format!("{:.0}", rate(r)))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("hub-load: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(ratio)) if ratio >= TARGET_RATIO => ExitCode::SUCCESS,
        Ok(Some(_)) => ExitCode::from(1),
        Err(error) => {
            eprintln!("hub-load: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The whole run; returns the headline ratio (`None` with `--transport-only` or
/// `--raw-only`).
async fn run(cli: Cli) -> Result<Option<f64>> {
    ensure!(cli.messages > 0, "--messages must be positive");
    ensure!(
        cli.single_messages > 0,
        "--single-messages must be positive"
    );
    ensure!(cli.rounds > 0, "--rounds must be positive");
    let settings = if cli.settings.is_empty() {
        DEFAULT_SETTINGS
            .iter()
            .map(|text| Setting::from_str(text).map_err(|e| anyhow!(e)))
            .collect::<Result<Vec<_>>>()?
    } else {
        cli.settings.clone()
    };
    let parent = cli.dir.clone().unwrap_or_else(std::env::temp_dir);
    let scratch = parent.join(format!("hub-load-{}-{}", std::process::id(), unique()));
    tokio::fs::create_dir_all(&scratch)
        .await
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let outcome = measure_all(&cli, &settings, &scratch).await;
    if let Err(error) = tokio::fs::remove_dir_all(&scratch).await {
        eprintln!("hub-load: cannot remove {}: {error}", scratch.display());
    }
    outcome
}

/// The machine, as far as it matters here.
async fn describe_machine(scratch: &Path) -> Result<String> {
    let store = Store::open(&scratch.join("version.db")).await?;
    let sqlite: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(store.pool())
        .await?;
    store.close().await;
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    Ok(format!(
        "{cores} cores (nproc), {cpu}; SQLite {sqlite} via sqlx; load average at start {}",
        load_average()
    ))
}

/// The 1-minute load average (other work on the machine disturbs the figures).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

async fn measure_all(cli: &Cli, settings: &[Setting], scratch: &Path) -> Result<Option<f64>> {
    let body = body(cli.body_bytes);
    let limit = Duration::from_secs(cli.timeout_secs);
    let config = cli.transport_config();
    println!("# hub-load: embedded transport vs raw SQLite\n");
    println!("* machine: {}", describe_machine(scratch).await?);
    println!(
        "* database: fresh file per measurement in {}, opened by Store::open (WAL, \
         synchronous=FULL)",
        scratch.display()
    );
    println!(
        "* messages: {} per transport setting unless it says otherwise; {} one at a time, and \
         {} per message of a commit batch for the batched and pipelined baselines (at most \
         {}); body {} bytes; best of {} rounds",
        cli.messages,
        cli.single_messages,
        cli.single_messages,
        cli.messages,
        body.len(),
        cli.rounds
    );
    println!(
        "* transport: group_commit_max_wait_ms={} group_commit_max_batch={}, other \
         [transport.embedded] settings at their defaults\n",
        config.group_commit_max_wait_ms, config.group_commit_max_batch
    );

    let baselines = if cli.transport_only {
        Vec::new()
    } else {
        Baseline::all(settings)
    };
    let settings = if cli.raw_only { &[][..] } else { settings };
    let mut raw: Vec<Series<Baseline, Measured>> =
        baselines.iter().map(|b| Series::new(*b)).collect();
    let mut runs: Vec<Series<Setting, TransportRun>> =
        settings.iter().map(|s| Series::new(*s)).collect();
    for round in 1..=cli.rounds {
        for series in &mut raw {
            let what = format!("raw {} (round {round})", series.kind);
            let measured = bounded(limit, &what, series.kind.measure(cli, scratch, &body)).await?;
            eprintln!("{what}: {:.0} msg/s", measured.rate());
            series.rounds.push(measured);
        }
        for (index, series) in runs.iter_mut().enumerate() {
            let setting = series.kind;
            let what = format!("transport {setting} (round {round})");
            let path = fresh_database(scratch, &format!("transport-{index}"));
            let messages = setting.messages.unwrap_or(cli.messages);
            let run = bounded(
                limit,
                &what,
                transport_run(&path, &config, setting, messages, &body, limit),
            )
            .await?;
            eprintln!("{what}: {:.0} msg/s", run.total.rate());
            series.rounds.push(run);
        }
    }

    let best_of = |series: &Series<Baseline, Measured>| {
        series.best(Measured::rate).map(|m| (series.kind, m.rate()))
    };
    let fastest =
        |found: Option<(Baseline, f64)>, next: Option<(Baseline, f64)>| match (found, next) {
            (Some(a), Some(b)) => Some(if b.1 > a.1 { b } else { a }),
            (a, b) => a.or(b),
        };
    // The fastest raw rate of any batching: the harshest comparison.
    let best_raw = raw
        .iter()
        .filter(|s| s.kind != Baseline::Single)
        .map(best_of)
        .fold(None, fastest);
    let single = raw
        .iter()
        .find(|s| s.kind == Baseline::Single)
        .and_then(best_of);
    // The fastest raw rate with the batching of `setting`: the fair comparison.
    let same_batching = |setting: &Setting| {
        raw.iter()
            .filter(|s| s.kind.same_batching(setting))
            .map(best_of)
            .fold(None, fastest)
    };

    let mut out = String::new();
    if !raw.is_empty() {
        writeln!(
            out,
            "## Raw SQLite: one INSERT per message committed, then one DELETE committed\n"
        )?;
        writeln!(
            out,
            "| baseline | commits/message | messages | best msg/s | every round msg/s |"
        )?;
        writeln!(out, "|---|---|---|---|---|")?;
        for series in &raw {
            let best = series.best(Measured::rate);
            writeln!(
                out,
                "| {} | {} | {} | {:.0} | {} |",
                series.kind,
                series.kind.commits_per_message(),
                best.map_or(0, |m| m.messages),
                best.map_or(0.0, Measured::rate),
                series.rates(Measured::rate)
            )?;
        }
    }
    let ratio_to = |rate: f64, base: Option<(Baseline, f64)>| {
        base.map_or_else(
            || "–".to_owned(),
            |(kind, base)| format!("{:.2} ({kind})", rate / base),
        )
    };
    if !runs.is_empty() {
        writeln!(out, "\n## Embedded transport end to end\n")?;
        writeln!(
            out,
            "| setting | messages | best msg/s | every round msg/s | publishes done / last ack (s) | ratio to raw, same batching | ratio to fastest raw | ratio to single | redelivered |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
        for series in &runs {
            let Some(best) = series.best(|r| r.total.rate()) else {
                continue;
            };
            let rate = best.total.rate();
            writeln!(
                out,
                "| {} | {} | {rate:.0} | {} | {:.2} / {:.2} | {} | {} | {} | {} |",
                series.kind,
                best.total.messages,
                series.rates(|r| r.total.rate()),
                best.published_after.as_secs_f64(),
                best.total.elapsed.as_secs_f64(),
                ratio_to(rate, same_batching(&series.kind)),
                ratio_to(rate, best_raw),
                ratio_to(rate, single),
                series.rounds.iter().map(|r| r.redelivered).sum::<u64>()
            )?;
        }
    }
    writeln!(out, "\nLoad average at the end: {}", load_average())?;
    let headline = runs
        .first()
        .and_then(|s| s.best(|r| r.total.rate()).map(|r| (s.kind, r.total.rate())));
    let ratio = match headline {
        Some((setting, rate)) => match same_batching(&setting) {
            Some((kind, base)) => {
                let ratio = rate / base;
                writeln!(
                    out,
                    "\n**Headline** ({setting}): {rate:.0} msg/s end to end vs {base:.0} msg/s \
                     raw with the same batching ({kind}) = **ratio {ratio:.2}** (target ≥ \
                     {TARGET_RATIO}: {}). Against the fastest raw baseline of any batching: \
                     {}; against one at a time: {}.",
                    if ratio >= TARGET_RATIO {
                        "met"
                    } else {
                        "NOT met"
                    },
                    ratio_to(rate, best_raw),
                    ratio_to(rate, single)
                )?;
                Some(ratio)
            }
            None => None,
        },
        None => None,
    };
    print!("{out}");
    Ok(ratio)
}

async fn bounded<T>(
    limit: Duration,
    what: &str,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| anyhow!("{what} took longer than {} s", limit.as_secs()))?
        .with_context(|| what.to_owned())
}

/// A JSON-looking body of exactly `bytes` bytes.
fn body(bytes: usize) -> Vec<u8> {
    let mut text = String::from("{\"message_type\":\"IDENTITY_UPDATE\",\"payload\":\"");
    while text.len() + 2 < bytes {
        text.push(char::from(
            b'a' + u8::try_from(text.len() % 26).unwrap_or(0),
        ));
    }
    text.push_str("\"}");
    let mut body = text.into_bytes();
    body.truncate(bytes);
    body
}

/// Nanoseconds since the epoch, to name the scratch directory.
fn unique() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos())
}

/// A message id shaped like the hub's (a UUID).
fn message_id(producer: u64, index: u64) -> String {
    format!("{producer:08x}-0000-4000-8000-{index:012x}")
}

/// Headers like the hub's deliveries carry.
fn headers(index: u64) -> Headers {
    let mut headers = Headers::new();
    headers.insert(
        header::MESSAGE_TYPE.to_owned(),
        HeaderValue::Text("IDENTITY_UPDATE".to_owned()),
    );
    headers.insert(
        header::SENDER.to_owned(),
        HeaderValue::Text("POLICE".to_owned()),
    );
    headers.insert(
        header::CASE_ID.to_owned(),
        HeaderValue::Text(format!("TC-2026-{:06}", index % 1_000)),
    );
    headers.insert(
        header::STREAM_SEQ.to_owned(),
        HeaderValue::Int(i64::try_from(index).unwrap_or(i64::MAX)),
    );
    headers.insert(header::SCHEMA_VERSION.to_owned(), HeaderValue::Int(1));
    headers
}

// ---------------------------------------------------------------------------------------
// Raw baselines
// ---------------------------------------------------------------------------------------

const CREATE_RAW: &str = "CREATE TABLE raw_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NULL,
    message_type TEXT NULL,
    publisher TEXT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    visible_at_ms INTEGER NOT NULL,
    lease_owner TEXT NULL,
    lease_until_ms INTEGER NULL,
    enqueued_at TEXT NOT NULL,
    CHECK (queue <> ''),
    CHECK ((lease_owner IS NULL) = (lease_until_ms IS NULL))
)";
const CREATE_RAW_INDEX: &str = "CREATE INDEX raw_messages_claim ON raw_messages (queue, id)";
const INSERT_RAW: &str = "INSERT INTO raw_messages
    (queue, message_id, message_type, publisher, body, headers, attempt, delivery_count,
     visible_at_ms, enqueued_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)";
const DELETE_RAW: &str = "DELETE FROM raw_messages WHERE id = $1";

/// A path for a fresh database: its own directory under `scratch`.
fn fresh_database(scratch: &Path, name: &str) -> PathBuf {
    scratch.join(format!("{name}-{}", unique())).join("hub.db")
}

/// Closes `store` and deletes its directory (database, WAL and shared-memory files).
async fn discard(store: Store, path: &Path) -> Result<()> {
    store.close().await;
    if let Some(dir) = path.parent() {
        tokio::fs::remove_dir_all(dir)
            .await
            .with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    Ok(())
}

/// A fresh store with the raw table, and its path.
async fn raw_store(scratch: &Path, name: &str) -> Result<(Store, PathBuf)> {
    let path = fresh_database(scratch, &format!("raw-{name}"));
    let store = Store::open(&path).await?;
    sqlx::query(CREATE_RAW).execute(store.pool()).await?;
    sqlx::query(CREATE_RAW_INDEX).execute(store.pool()).await?;
    Ok((store, path))
}

/// The values the transport would bind for message `index`.
struct RawRow {
    message_id: String,
    headers_json: String,
    enqueued_at: String,
}

fn raw_row(index: u64) -> RawRow {
    let headers = headers(index);
    let object: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(name, value)| {
            let value = match value {
                HeaderValue::Text(text) => serde_json::Value::String(text.clone()),
                HeaderValue::Int(int) => serde_json::Value::from(*int),
            };
            (name.clone(), value)
        })
        .collect();
    RawRow {
        message_id: message_id(0, index),
        headers_json: serde_json::Value::Object(object).to_string(),
        enqueued_at: hub::store::now_rfc3339(),
    }
}

async fn insert_raw(conn: &mut sqlx::SqliteConnection, index: u64, body: &[u8]) -> Result<i64> {
    let row = raw_row(index);
    let now = i64::try_from(unique() / 1_000_000).unwrap_or(i64::MAX);
    let done = sqlx::query(INSERT_RAW)
        .bind(QUEUE.queue_name())
        .bind(&row.message_id)
        .bind("IDENTITY_UPDATE")
        .bind("hub")
        .bind(body)
        .bind(&row.headers_json)
        .bind(0i64)
        .bind(now)
        .bind(&row.enqueued_at)
        .execute(conn)
        .await?;
    Ok(done.last_insert_rowid())
}

async fn delete_raw(conn: &mut sqlx::SqliteConnection, id: i64) -> Result<()> {
    let done = sqlx::query(DELETE_RAW).bind(id).execute(conn).await?;
    ensure!(done.rows_affected() == 1, "raw row {id} was not deleted");
    Ok(())
}

async fn begin(pool: &SqlitePool) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

async fn check_empty(store: &Store) -> Result<()> {
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM raw_messages")
        .fetch_one(store.pool())
        .await?;
    ensure!(left == 0, "{left} raw rows left behind");
    Ok(())
}

/// One message at a time: insert + commit, delete + commit.
async fn raw_single(scratch: &Path, messages: u64, body: &[u8]) -> Result<Measured> {
    let (store, path) = raw_store(scratch, "single").await?;
    let pool = store.pool().clone();
    let started = Instant::now();
    for index in 0..messages {
        let mut tx = begin(&pool).await?;
        let id = insert_raw(&mut tx, index, body).await?;
        tx.commit().await?;
        let mut tx = begin(&pool).await?;
        delete_raw(&mut tx, id).await?;
        tx.commit().await?;
    }
    let elapsed = started.elapsed();
    check_empty(&store).await?;
    discard(store, &path).await?;
    Ok(Measured { messages, elapsed })
}

/// `batch` inserts, commit; their deletes, commit.
async fn raw_batched(scratch: &Path, messages: u64, batch: usize, body: &[u8]) -> Result<Measured> {
    let (store, path) = raw_store(scratch, &format!("batched-{batch}")).await?;
    let pool = store.pool().clone();
    let started = Instant::now();
    let mut index = 0;
    let mut ids = Vec::with_capacity(batch);
    while index < messages {
        let mut tx = begin(&pool).await?;
        while ids.len() < batch && index < messages {
            ids.push(insert_raw(&mut tx, index, body).await?);
            index += 1;
        }
        tx.commit().await?;
        let mut tx = begin(&pool).await?;
        for id in ids.drain(..) {
            delete_raw(&mut tx, id).await?;
        }
        tx.commit().await?;
    }
    let elapsed = started.elapsed();
    check_empty(&store).await?;
    discard(store, &path).await?;
    Ok(Measured { messages, elapsed })
}

/// One transaction per `batch` messages: insert the next `batch`, delete the previous
/// `batch` (committed by an earlier transaction).
async fn raw_pipelined(
    scratch: &Path,
    messages: u64,
    batch: usize,
    body: &[u8],
) -> Result<Measured> {
    let (store, path) = raw_store(scratch, &format!("pipelined-{batch}")).await?;
    let pool = store.pool().clone();
    let started = Instant::now();
    let mut index = 0;
    let mut previous: Vec<i64> = Vec::new();
    while index < messages || !previous.is_empty() {
        let mut tx = begin(&pool).await?;
        let mut inserted = Vec::with_capacity(batch);
        while inserted.len() < batch && index < messages {
            inserted.push(insert_raw(&mut tx, index, body).await?);
            index += 1;
        }
        for id in previous.drain(..) {
            delete_raw(&mut tx, id).await?;
        }
        tx.commit().await?;
        previous = inserted;
    }
    let elapsed = started.elapsed();
    check_empty(&store).await?;
    discard(store, &path).await?;
    Ok(Measured { messages, elapsed })
}

// ---------------------------------------------------------------------------------------
// Transport end to end
// ---------------------------------------------------------------------------------------

/// Progress shared by the consumers.
#[derive(Debug, Default)]
struct Progress {
    delivered: AtomicU64,
    acked: AtomicU64,
    redelivered: AtomicU64,
    all_acked: Notify,
    last_ack: OnceLock<Instant>,
}

impl Progress {
    fn acked_one(&self, target: u64) {
        if self.acked.fetch_add(1, Ordering::AcqRel) + 1 == target {
            // The count reaches `target` once, so this is the only initialisation.
            self.last_ack.get_or_init(Instant::now);
            self.all_acked.notify_one();
        }
    }
}

async fn transport_run(
    path: &Path,
    config: &EmbeddedConfig,
    setting: Setting,
    messages: u64,
    body: &[u8],
    limit: Duration,
) -> Result<TransportRun> {
    let store = Store::open(path).await?;
    let transport = EmbeddedTransport::open(&store, config.clone()).await?;
    let progress = Arc::new(Progress::default());

    let mut consumers = JoinSet::new();
    for _ in 0..setting.consumers {
        let consumer = transport.consume(QUEUE, setting.prefetch).await?;
        consumers.spawn(consume(
            consumer,
            setting.ack,
            messages,
            Arc::clone(&progress),
        ));
    }

    let started = Instant::now();
    let mut producers = JoinSet::new();
    let share = messages / setting.producers;
    let extra = messages % setting.producers;
    for producer in 0..setting.producers {
        let count = share + u64::from(producer < extra);
        let transport = transport.clone();
        let body = body.to_vec();
        producers.spawn(async move {
            for index in 0..count {
                transport
                    .publish(Outgoing {
                        address: QUEUE,
                        message_type: "IDENTITY_UPDATE".to_owned(),
                        message_id: message_id(producer, index),
                        body: body.clone(),
                        headers: headers(index),
                    })
                    .await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(joined) = producers.join_next().await {
        joined.context("a producer task failed")??;
    }
    let published_after = started.elapsed();
    tokio::time::timeout(limit, progress.all_acked.notified())
        .await
        .map_err(|_| {
            anyhow!(
                "only {} of {messages} messages acked in {} s",
                progress.acked.load(Ordering::Acquire),
                limit.as_secs()
            )
        })?;
    let finished = *progress
        .last_ack
        .get()
        .ok_or_else(|| anyhow!("all acked but no time recorded"))?;
    let elapsed = finished.duration_since(started);

    transport.shutdown().await;
    while let Some(joined) = consumers.join_next().await {
        joined.context("a consumer task failed")??;
    }
    let delivered = progress.delivered.load(Ordering::Acquire);
    let acked = progress.acked.load(Ordering::Acquire);
    ensure!(
        delivered == messages && acked == messages,
        "{delivered} delivered and {acked} acked, expected {messages} each"
    );
    let depth = transport.queue_depth(QUEUE).await?;
    ensure!(depth == 0, "{depth} messages left in {QUEUE}");
    drop(transport);
    discard(store, path).await?;
    Ok(TransportRun {
        total: Measured { messages, elapsed },
        published_after,
        redelivered: progress.redelivered.load(Ordering::Acquire),
    })
}

/// Takes deliveries until the transport shuts down, acking each one.
async fn consume<C: Consumer>(
    mut consumer: C,
    mode: AckMode,
    target: u64,
    progress: Arc<Progress>,
) -> Result<()> {
    let mut acks = JoinSet::new();
    while let Some(delivery) = consumer.next().await {
        progress.delivered.fetch_add(1, Ordering::AcqRel);
        if delivery.redelivered() {
            progress.redelivered.fetch_add(1, Ordering::AcqRel);
        }
        match mode {
            AckMode::Sequential => {
                delivery.ack().await?;
                progress.acked_one(target);
            }
            AckMode::Concurrent => {
                let progress = Arc::clone(&progress);
                acks.spawn(async move {
                    delivery.ack().await?;
                    progress.acked_one(target);
                    anyhow::Ok(())
                });
                while let Some(joined) = acks.try_join_next() {
                    joined.context("an ack task failed")??;
                }
            }
        }
    }
    while let Some(joined) = acks.join_next().await {
        joined.context("an ack task failed")??;
    }
    if progress.acked.load(Ordering::Acquire) > target {
        bail!("more acks than messages");
    }
    Ok(())
}
