//! `hubctl dead-letters …`: list, show and replay the hub's dead letters, read straight from
//! the hub's store (the dead-letter index the hub keeps of `dead.ingress` and every
//! `dead.<DEPT>` queue, see `hub::dead_letters`).
//!
//! Invariants:
//! * `list` and `show` only read. A list never prints message bodies unless asked
//!   (`--with-body`), and a body is printed as text only when it is UTF-8.
//! * `replay` only writes to the store: [`hub::dead_letters::replay`] records who replayed
//!   and why and puts the original bytes in the outbox in one transaction; the running
//!   hub's relay then publishes them to the original sender's ingress queue, where the
//!   pipeline deduplicates by `message_id`. A dead letter is replayed at most once.
//! * hubctl never creates a store: a store path that does not exist is an error (exit 2),
//!   so a wrong path cannot look like "no dead letters".

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use contracts::model::Actor;
use hub::config::HubConfig;
use hub::dead_letters::{self, ReplayError};
use hub::store::{DeadLetter, DeadLetterFilter, Store};
use hub::transport::{HeaderValue, Headers, header};
use serde_json::{Map, Value, json};

/// Longest first-reason text in the list table, in display columns.
const REASON_COLUMNS: usize = 60;
/// Longest value of the other list columns, in display columns.
const CELL_COLUMNS: usize = 36;

/// The `dead-letters` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum DeadLettersCommand {
    /// List dead letters (oldest first); replayed ones only with --all.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this dead-letter queue: `dead.ingress`, `dead.STATION`, or just `ingress`,
        /// `STATION`.
        #[arg(long, value_name = "Q")]
        queue: Option<String>,
        /// Only letters whose stage or reasons contain this text (case-insensitive).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// Include dead letters that were already replayed.
        #[arg(long)]
        all: bool,
        /// Print one JSON object per line with every field instead of a table.
        #[arg(long)]
        json: bool,
        /// With --json: include the body (`body`, as text when it is UTF-8, else null).
        #[arg(long, requires = "json")]
        with_body: bool,
    },
    /// Show every field of one dead letter: reasons one per line, headers, the body
    /// (pretty-printed when it is JSON).
    Show {
        #[command(flatten)]
        store: StoreArgs,
        /// The dead letter's id (first column of `list`).
        id: i64,
        /// Print one JSON object with every field, body included.
        #[arg(long)]
        json: bool,
    },
    /// Replay dead letters into the pipeline, once each, recording who and why.
    ///
    /// Each replay is committed to the hub's store only: the replay record and the original
    /// bytes (headed for the original sender's ingress queue, marked x-hub-replay-of,
    /// x-hub-replayed-by and x-hub-original-publisher) are written in one transaction. The
    /// RUNNING HUB's relay publishes them; without a running hub they wait in the outbox.
    /// The pipeline then handles the message like a new one: it is validated, authorized and
    /// routed again, and deduplicated by message_id, so replaying a message that was already
    /// accepted creates no duplicate effects. A dead letter can be replayed only once; if
    /// the replay fails again, it comes back as a new dead letter.
    ///
    /// Exit code 0 when every id was replayed, 1 when any was not (unknown id, already
    /// replayed, no known sender), 2 when the store cannot be used.
    Replay {
        #[command(flatten)]
        store: StoreArgs,
        /// Dead-letter ids (first column of `list`).
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        /// Why it is replayed (recorded), e.g. "authorization fixed in hub.toml".
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Who replays it (recorded). Default: $SUDO_USER, else $USER, else `unknown`.
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
}

/// Where the hub's store is.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The hub's configuration file (default: ./hub.toml if present); `HUB_…` environment
    /// variables apply as they do for the hub.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The hub's SQLite store (default: `[store] path` of the configuration, whose own
    /// default is data/hub.sqlite).
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,
}

impl StoreArgs {
    /// The hub configuration: the file (explicit or ./hub.toml) and the environment.
    pub(crate) fn load_config(&self) -> Result<HubConfig> {
        let path = self.config.clone().or_else(|| {
            let default = PathBuf::from("hub.toml");
            default.exists().then_some(default)
        });
        HubConfig::load(path.as_deref(), std::env::vars()).with_context(|| {
            format!(
                "cannot load the hub configuration {}",
                path.as_deref()
                    .map_or_else(|| "(defaults)".to_owned(), |p| p.display().to_string())
            )
        })
    }

    /// The store path: `--store`, else the configuration's (loaded only when needed).
    pub(crate) fn store_path(&self, config: Option<&HubConfig>) -> Result<PathBuf> {
        if let Some(path) = &self.store {
            return Ok(path.clone());
        }
        match config {
            Some(config) => Ok(config.store.path.clone()),
            None => Ok(self.load_config()?.store.path),
        }
    }
}

pub(crate) fn run(command: DeadLettersCommand) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(command))
}

async fn run_async(command: DeadLettersCommand) -> Result<ExitCode> {
    match command {
        DeadLettersCommand::List {
            store,
            queue,
            reason,
            all,
            json,
            with_body,
        } => {
            let store = open(&store.store_path(None)?).await?;
            let filter = DeadLetterFilter {
                queue: queue.as_deref().map(queue_name),
                reason,
                include_replayed: all,
                limit: None,
            };
            let letters = store.dead_letters(&filter).await;
            store.close().await;
            let letters = letters.context("cannot read the dead letters")?;
            if json {
                for letter in &letters {
                    println!("{}", letter_json(letter, with_body));
                }
            } else {
                print_table(&letters, all);
            }
            Ok(ExitCode::SUCCESS)
        }
        DeadLettersCommand::Show { store, id, json } => {
            let store = open(&store.store_path(None)?).await?;
            let letter = store.dead_letter(id).await;
            store.close().await;
            match letter.context("cannot read the dead letter")? {
                Some(letter) if json => println!("{}", letter_json(&letter, true)),
                Some(letter) => print_letter(&letter),
                None => {
                    eprintln!("hubctl: no dead letter #{id}");
                    return Ok(ExitCode::FAILURE);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DeadLettersCommand::Replay {
            store,
            ids,
            reason,
            by,
        } => {
            let reason = reason.trim();
            if reason.is_empty() {
                bail!("--reason must say why the dead letters are replayed");
            }
            let by = by.unwrap_or_else(default_operator);
            let by = by.trim();
            if by.is_empty() {
                bail!("--by must name who replays");
            }
            let config = store.load_config()?;
            let store = open(&store.store_path(Some(&config))?).await?;
            let all_replayed = replay(&store, &config, &ids, by, reason).await;
            store.close().await;
            Ok(if all_replayed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// Runs `work` on the store `args` name (the configuration loaded, the existing store opened
/// on a one-thread runtime, closed afterwards whatever `work` returned).
pub(crate) fn with_store<F, Fut, R>(args: &StoreArgs, work: F) -> Result<R>
where
    F: FnOnce(Store, HubConfig) -> Fut,
    Fut: std::future::Future<Output = Result<R>>,
{
    let config = args.load_config()?;
    let path = args.store_path(Some(&config))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = open(&path).await?;
        let result = work(store.clone(), config).await;
        store.close().await;
        result
    })
}

/// Opens an existing store (never creates one).
pub(crate) async fn open(path: &Path) -> Result<Store> {
    if !path.is_file() {
        bail!(
            "no hub store at {} (give --store PATH, or --config with the hub's [store] path)",
            path.display()
        );
    }
    Store::open(path)
        .await
        .with_context(|| format!("cannot open the hub store {}", path.display()))
}

/// `ingress` → `dead.ingress`, `station` → `dead.STATION`; full names stay as they are.
fn queue_name(queue: &str) -> String {
    if queue.starts_with("dead.") {
        queue.to_owned()
    } else if queue.eq_ignore_ascii_case("ingress") {
        "dead.ingress".to_owned()
    } else {
        format!("dead.{}", queue.to_ascii_uppercase())
    }
}

/// `$SUDO_USER` (the person behind sudo), else `$USER`, else `unknown`.
fn default_operator() -> String {
    ["SUDO_USER", "USER"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Replays each id, printing one line per id; whether all succeeded.
async fn replay(store: &Store, config: &HubConfig, ids: &[i64], by: &str, reason: &str) -> bool {
    let mut all_replayed = true;
    let mut replayed = 0_usize;
    for &id in ids {
        let outcome = dead_letters::replay(
            store,
            id,
            |user| config.department_of_broker_user(user),
            by,
            reason,
        )
        .await;
        match outcome {
            Ok(outbox_id) => {
                replayed += 1;
                let route = replay_route(store, config, id, outbox_id).await;
                println!("replayed #{id} as outbox #{outbox_id} ({route})");
            }
            Err(error) => {
                all_replayed = false;
                let hint = match &error {
                    ReplayError::NoSender(_) => {
                        " (is the publisher's broker_user in the configuration? give --config)"
                    }
                    _ => "",
                };
                eprintln!("hubctl: dead letter #{id} not replayed: {error}{hint}");
            }
        }
    }
    if replayed > 0 {
        println!(
            "{replayed} replay(s) committed to the store; the running hub's relay publishes them."
        );
    }
    all_replayed
}

/// `GRID → ingress.GRID` for a committed replay: from its outbox row while that is still
/// pending, else from the dead letter by the rule `hub::dead_letters::replay` applies
/// (the `x-hub-sender` header, else the publisher's department).
async fn replay_route(store: &Store, config: &HubConfig, id: i64, outbox_id: i64) -> String {
    if let Ok(rows) = store.pending_outbox_after(outbox_id - 1, 1).await
        && let Some(row) = rows.into_iter().find(|r| r.id == outbox_id)
    {
        let sender = text_header(&row.headers, header::ORIGINAL_PUBLISHER).unwrap_or("?");
        return format!("{sender} → {}", row.address);
    }
    let sender = match store.dead_letter(id).await {
        Ok(Some(letter)) => text_header(&letter.headers, header::SENDER)
            .and_then(Actor::from_code)
            .or_else(|| {
                letter
                    .publisher
                    .as_deref()
                    .and_then(|p| config.department_of_broker_user(p))
            }),
        _ => None,
    };
    match sender {
        Some(sender) => format!("{} → ingress.{}", sender.as_str(), sender.as_str()),
        None => "already published by the hub".to_owned(),
    }
}

fn text_header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(HeaderValue::as_text)
}

/// The reasons as JSON (an array of `{pointer, code, message}`), or the text when it is not
/// JSON.
fn parsed_reasons(letter: &DeadLetter) -> Value {
    serde_json::from_str(&letter.reasons).unwrap_or_else(|_| Value::String(letter.reasons.clone()))
}

/// One reason as `pointer: message` (`(root)` for the empty pointer).
fn reason_line(reason: &Value) -> String {
    match reason {
        Value::Object(fields) => {
            let text = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or("");
            let pointer = match text("pointer") {
                "" => "(root)",
                pointer => pointer,
            };
            let code = match text("code") {
                "" => String::new(),
                code => format!(" [{code}]"),
            };
            format!("{pointer}{code}: {}", text("message"))
        }
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The first reason cut to `columns`, followed by how many more there are.
fn first_reason(letter: &DeadLetter, columns: usize) -> String {
    match parsed_reasons(letter) {
        Value::Array(reasons) => match reasons.split_first() {
            None => "(no reason given)".to_owned(),
            Some((first, [])) => truncate(&reason_line(first), columns),
            Some((first, rest)) => {
                let more = format!(" (+{} more)", rest.len());
                let first = truncate(&reason_line(first), columns.saturating_sub(width(&more)));
                format!("{first}{more}")
            }
        },
        other => truncate(&reason_line(&other), columns),
    }
}

fn headers_json(headers: &Headers) -> Value {
    let object: Map<String, Value> = headers
        .iter()
        .map(|(name, value)| {
            let value = match value {
                HeaderValue::Text(text) => Value::String(text.clone()),
                HeaderValue::Int(int) => Value::from(*int),
            };
            (name.clone(), value)
        })
        .collect();
    Value::Object(object)
}

/// Every field of a letter as one JSON object; the body only with `with_body`.
fn letter_json(letter: &DeadLetter, with_body: bool) -> Value {
    let mut object = json!({
        "id": letter.id,
        "queue": letter.queue,
        "dead_at": letter.dead_at,
        "stage": letter.stage,
        "message_type": letter.message_type,
        "message_id": letter.message_id,
        "publisher": letter.publisher,
        "reasons": parsed_reasons(letter),
        "headers": headers_json(&letter.headers),
        "body_bytes": letter.body.len(),
        "replayed_at": letter.replayed_at,
        "replayed_by": letter.replayed_by,
        "replay_reason": letter.replay_reason,
    });
    if with_body && let Value::Object(fields) = &mut object {
        let text = std::str::from_utf8(&letter.body).ok();
        fields.insert("body_utf8".to_owned(), Value::Bool(text.is_some()));
        fields.insert(
            "body".to_owned(),
            text.map_or(Value::Null, |t| Value::String(t.to_owned())),
        );
    }
    object
}

fn or_dash(value: Option<&str>) -> &str {
    value.filter(|v| !v.is_empty()).unwrap_or("-")
}

/// `2026-05-06T08:09:10.123456Z` → `2026-05-06T08:09:10Z` (whole seconds, for tables).
fn short_time(time: &str) -> String {
    match (time.get(..19), time.ends_with('Z')) {
        (Some(seconds), true) => format!("{seconds}Z"),
        _ => time.to_owned(),
    }
}

fn print_table(letters: &[DeadLetter], all: bool) {
    if letters.is_empty() {
        let hidden = if all {
            ""
        } else {
            " (replayed ones are hidden; --all shows them)"
        };
        println!("no dead letters{hidden}");
        return;
    }
    let headings = [
        "ID",
        "DEAD AT",
        "QUEUE",
        "STAGE",
        "TYPE",
        "MESSAGE ID",
        "PUBLISHER",
        "REASON",
        "REPLAYED",
    ];
    let rows: Vec<[String; 9]> = letters
        .iter()
        .map(|l| {
            let replayed = match (&l.replayed_by, &l.replayed_at) {
                (Some(by), Some(at)) => format!("{by} {}", short_time(at)),
                _ => "-".to_owned(),
            };
            [
                l.id.to_string(),
                short_time(&l.dead_at),
                truncate(&l.queue, CELL_COLUMNS),
                truncate(&l.stage, CELL_COLUMNS),
                truncate(or_dash(l.message_type.as_deref()), CELL_COLUMNS),
                truncate(or_dash(l.message_id.as_deref()), CELL_COLUMNS),
                truncate(or_dash(l.publisher.as_deref()), CELL_COLUMNS),
                first_reason(l, REASON_COLUMNS),
                replayed,
            ]
        })
        .collect();
    let mut widths = headings.map(width);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(w - width(cell) + 2));
            }
        }
        out
    };
    println!("{}", line(&headings));
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        println!("{}", line(&cells));
    }
    println!("total: {} dead letter(s)", letters.len());
}

fn print_letter(letter: &DeadLetter) {
    println!("dead letter #{}", letter.id);
    let field = |name: &str, value: &str| println!("  {name:<14} {value}");
    field("queue", &letter.queue);
    field("dead at", &letter.dead_at);
    field("stage", &letter.stage);
    field("message type", or_dash(letter.message_type.as_deref()));
    field("message id", or_dash(letter.message_id.as_deref()));
    field("publisher", or_dash(letter.publisher.as_deref()));
    match (&letter.replayed_at, &letter.replayed_by) {
        (Some(at), Some(by)) => {
            field("replayed", &format!("at {at} by {by}"));
            field("replay reason", or_dash(letter.replay_reason.as_deref()));
        }
        _ => field("replayed", "no"),
    }
    match parsed_reasons(letter) {
        Value::Array(reasons) => {
            println!("reasons ({}):", reasons.len());
            for reason in &reasons {
                println!("  {}", reason_line(reason));
            }
        }
        other => println!("reasons (not JSON):\n  {}", reason_line(&other)),
    }
    println!("headers ({}):", letter.headers.len());
    for (name, value) in &letter.headers {
        match value {
            HeaderValue::Text(text) => println!("  {name}: {text}"),
            HeaderValue::Int(int) => println!("  {name}: {int}"),
        }
    }
    let bytes = letter.body.len();
    match std::str::from_utf8(&letter.body) {
        Ok(text) => match serde_json::from_str::<Value>(text) {
            Ok(value) => {
                let pretty = serde_json::to_string_pretty(&value).unwrap_or_else(|_| text.into());
                println!("body ({bytes} bytes, JSON):\n{pretty}");
            }
            Err(_) => println!("body ({bytes} bytes, text, not JSON):\n{text}"),
        },
        Err(_) => println!("body ({bytes} bytes, not UTF-8; not shown)"),
    }
}

/// Display columns of a character: 2 for East Asian wide and full-width characters (the
/// ranges of Unicode's `W`/`F` classes that occur in this domain's text), else 1.
fn char_width(c: char) -> usize {
    match u32::from(c) {
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

pub(crate) fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// `text` cut to at most `columns` display columns, ending in `…` when cut; control
/// characters (newlines in reasons) become spaces.
pub(crate) fn truncate(text: &str, columns: usize) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if width(&text) <= columns {
        return text;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > columns.saturating_sub(1) {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_are_completed() {
        assert_eq!(queue_name("dead.ingress"), "dead.ingress");
        assert_eq!(queue_name("ingress"), "dead.ingress");
        assert_eq!(queue_name("station"), "dead.STATION");
        assert_eq!(queue_name("dead.STATION"), "dead.STATION");
    }

    #[test]
    fn truncation_counts_wide_characters() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdefg", 6), "abcde…");
        assert_eq!(truncate("救助管理站", 6), "救助…");
        assert_eq!(width(&truncate("救助管理站", 6)), 5);
        assert_eq!(truncate("a\nb", 6), "a b");
    }

    #[test]
    fn reasons_read_as_pointer_code_message() {
        let reason =
            json!({"pointer": "/payload/willingness", "code": "required", "message": "missing"});
        assert_eq!(
            reason_line(&reason),
            "/payload/willingness [required]: missing"
        );
        assert_eq!(
            reason_line(&json!({"pointer": "", "message": "x"})),
            "(root): x"
        );
    }

    #[test]
    fn short_times_drop_the_fraction() {
        assert_eq!(
            short_time("2026-05-06T08:09:10.123456Z"),
            "2026-05-06T08:09:10Z"
        );
        assert_eq!(short_time("garbage"), "garbage");
    }
}
