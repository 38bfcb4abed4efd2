//! `hub demo`: one realistic case played message by message through the real hub.
//!
//! [`run_demo`] starts a complete hub in this process — a scratch [`Store`], the
//! [`EmbeddedTransport`] on it, the built-in example configuration (`hub/hub.example.toml`)
//! and [`app::start`] with every ingress worker, the outbox relay and the HTTP API — and
//! plays the case of [`script`]: a grid worker's referral, the police escort handover, the
//! station's receipt and intake, the referral outcome back to the grid, the identity check and its result, the identity update
//! fan-out, hospital admission, acknowledgement and discharge, the return-home notice and
//! its receipt. It prints each delivery as it lands and ends with the case timeline.
//!
//! # Invariants
//!
//! * **No shortcut.** Each message is published by its department's own publishing handle
//!   ([`EmbeddedTransport::as_publisher`] with the department's broker user from the
//!   configuration) to `ingress.<SENDER>`, and observed only where the hub delivered it:
//!   the `deliver.<RECIPIENT>` queues. Validation, authorization, routing, projection,
//!   sequence numbers and delivery are the pipeline's, untouched.
//! * **Validated before sent.** Every message is built from a contract fixture and
//!   validated against the embedded catalogue before the hub starts; an invalid one stops
//!   the demo with its validation report.
//! * **Exact routing.** A step is complete when every recipient the script expects has its
//!   delivery *and* the hub is quiet again (outbox relayed, every delivery queue empty). A
//!   delivery to anyone else, a `HUB_REJECTED` notice, or a step that does not complete
//!   within [`STEP_TIMEOUT`] fails the demo ([`DemoError`]) — nothing is papered over.
//! * **Clean up.** Whatever happens, the hub is stopped ([`app::Running::stop`]), the
//!   transport shut down, the store closed and the scratch directory removed.

mod script;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use contracts::model::Actor;
use contracts::{Registry, ValidationReport};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::app::{self, Running, StartError};
use crate::config::HubConfig;
use crate::store::{Store, StoreError};
use crate::transport::embedded::{EmbeddedConfig, EmbeddedError, EmbeddedTransport};
use crate::transport::{
    Address, Consumer, Delivery, HeaderValue, Headers, Outgoing, Transport, TransportError, header,
};

/// The built-in configuration the demo runs with (its transport, store and HTTP address are
/// replaced by in-process, scratch and ephemeral ones).
const EXAMPLE_CONFIG: &str = include_str!("../hub.example.toml");

/// Longest a step may take, from publishing its message to the hub being quiet again.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The heading of the closing table (tests look for it).
pub const TIMELINE_HEADER: &str = "CASE TIMELINE";

/// How often the end-of-step check looks at the outbox and the queues while nothing arrives.
const QUIET_CHECK_INTERVAL: Duration = Duration::from_millis(20);

/// Unsettled deliveries each delivery-queue watcher holds.
const WATCH_PREFETCH: u16 = 16;

/// One delivery the demo saw land in a department's `deliver.<RECIPIENT>` queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The case message delivered (1-based position in the case).
    pub step: usize,
    /// Its `message_id`.
    pub message_id: String,
    /// Its message type.
    pub message_type: String,
    /// The sender named by the hub (`x-hub-sender`).
    pub sender: Actor,
    /// The department whose queue it landed in.
    pub recipient: Actor,
    /// Contract version delivered (`x-hub-schema-version`, after casting).
    pub schema_version: String,
    /// Sequence number of the (sender → recipient) stream (`x-hub-stream-seq`).
    pub stream_seq: Option<i64>,
    /// Pointer patterns the hub removed for this recipient (`x-hub-projected-away`); empty
    /// when the recipient received the full message.
    pub projected_away: Vec<String>,
    /// The case (`x-hub-case-id`), once the station opened it.
    pub case_id: Option<String>,
    /// When it landed, counted from the hub's start.
    pub after_start: Duration,
}

/// One message of the case, as the closing timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// 1-based position in the case.
    pub step: usize,
    /// Its `message_id`.
    pub message_id: String,
    /// Its message type.
    pub message_type: String,
    /// The department that sent it.
    pub sender: Actor,
    /// Where the hub delivered it, in arrival order.
    pub recipients: Vec<Actor>,
    /// Where the script expected it (the example configuration's routes).
    pub expected: Vec<Actor>,
    /// Who received the identity registry's IDENTITY_UPDATE it caused, in arrival order.
    pub identity_updates_to: Vec<Actor>,
    /// The envelope's `case_id`, if any (absent before the station opened the case).
    pub case_id: Option<String>,
    /// The envelope's `sent_at`: when it happened in the story.
    pub sent_at: String,
    /// When its last delivery landed, counted from the hub's start.
    pub delivered_after: Duration,
    /// What happens, in one line.
    pub story: String,
}

/// What the demo did: every delivery and the case's timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    /// Every delivery, in the order it landed.
    pub hops: Vec<Hop>,
    /// Every message of the case, in the order it was sent.
    pub timeline: Vec<TimelineEntry>,
}

/// Why the demo did not complete.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The embedded contract catalogue does not compile.
    #[error("the built-in contract catalogue does not compile: {0}")]
    Catalogue(#[source] contracts::Error),
    /// The scratch directory could not be prepared.
    #[error("cannot prepare the demo's scratch directory {path}: {source}")]
    Scratch {
        /// The directory.
        path: PathBuf,
        /// Cause.
        #[source]
        source: io::Error,
    },
    /// The built-in example configuration does not load or validate.
    #[error("the built-in example configuration cannot be used: {0}")]
    Config(String),
    /// A fixture the case is built from is not JSON (a broken build).
    #[error("step {step}: fixture {fixture} is not JSON: {source}")]
    Fixture {
        /// 1-based step.
        step: usize,
        /// The fixture's path under `contracts/fixtures/`.
        fixture: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// A message of the case is not a valid contract message.
    #[error(
        "step {step}: the {message_type} built for the demo is not a valid contract message:\n{report}"
    )]
    InvalidMessage {
        /// 1-based step.
        step: usize,
        /// Its type.
        message_type: String,
        /// Every violation.
        report: ValidationReport,
    },
    /// The scratch store could not be opened.
    #[error("cannot open the demo store: {0}")]
    Store(#[from] StoreError),
    /// The embedded transport could not be opened.
    #[error("cannot open the embedded transport: {0}")]
    Transport(#[from] EmbeddedError),
    /// The hub did not start.
    #[error("cannot start the hub: {0}")]
    Start(#[from] StartError),
    /// Publishing a message to its sender's ingress queue failed.
    #[error("step {step}: {sender} could not publish {message_type}: {source}")]
    Publish {
        /// 1-based step.
        step: usize,
        /// Its type.
        message_type: String,
        /// The sender.
        sender: &'static str,
        /// Cause.
        #[source]
        source: TransportError,
    },
    /// The hub refused a message of the case (`HUB_REJECTED` reached its sender).
    #[error("step {step}: the hub refused {message_type} (HUB_REJECTED, stage {stage}): {reasons}")]
    Refused {
        /// 1-based step.
        step: usize,
        /// The refused message's type.
        message_type: String,
        /// The refusing stage.
        stage: String,
        /// Every reason, one per line.
        reasons: String,
    },
    /// A step did not complete in time.
    #[error("step {step}: {message_type} {what} within {} s", STEP_TIMEOUT.as_secs())]
    Timeout {
        /// 1-based step.
        step: usize,
        /// Its type.
        message_type: String,
        /// What did not happen.
        what: String,
    },
    /// The hub delivered something the case does not expect (the routing differs from the
    /// script).
    #[error("step {step}: unexpected delivery: {detail}")]
    Unexpected {
        /// 1-based step during which it landed.
        step: usize,
        /// What landed where.
        detail: String,
    },
    /// Watching a delivery queue failed.
    #[error("watching deliver.{department} failed: {detail}")]
    Watch {
        /// The queue's department.
        department: &'static str,
        /// What happened.
        detail: String,
    },
    /// The output could not be written.
    #[error("cannot write the demo output: {0}")]
    Output(#[from] io::Error),
}

/// A message of the case, built and validated.
#[derive(Debug)]
struct CaseMessage {
    step: usize,
    script: script::ScriptedMessage,
    message_id: String,
    major: u32,
    value: Value,
}

impl CaseMessage {
    fn envelope_text(&self, name: &str) -> Option<String> {
        self.value
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// A delivery seen by a queue watcher.
#[derive(Debug)]
struct Arrival {
    recipient: Actor,
    message_id: String,
    message_type: String,
    headers: Headers,
    body: Vec<u8>,
    at: Instant,
}

/// What the queue watchers report.
#[derive(Debug)]
enum Event {
    Arrived(Arrival),
    AckFailed {
        department: Actor,
        message_id: String,
        error: String,
    },
    WatchFailed {
        department: Actor,
        error: String,
    },
}

/// A scratch directory, removed when dropped.
#[derive(Debug)]
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn create() -> Result<Self, DemoError> {
        let path = std::env::temp_dir().join(format!("rescue-hub-demo-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).map_err(|source| DemoError::Scratch {
            path: path.clone(),
            source,
        })?;
        Ok(Self { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "Cannot remove the demo's scratch directory.");
        }
    }
}

/// Plays the demo case through a complete in-process hub, printing each delivery to `out`
/// as it lands and the case timeline at the end. Needs a Tokio runtime with timers.
pub async fn run_demo(out: &mut (dyn Write + Send)) -> Result<DemoReport, DemoError> {
    let registry = Arc::new(Registry::embedded().map_err(DemoError::Catalogue)?);
    let messages = build_case(&registry)?;
    run_case(out, registry, &messages).await
}

/// Runs a hub and plays `messages` through it (see [`run_demo`]).
async fn run_case(
    out: &mut (dyn Write + Send),
    registry: Arc<Registry>,
    messages: &[CaseMessage],
) -> Result<DemoReport, DemoError> {
    let scratch = Scratch::create()?;
    let config = Arc::new(demo_config(&scratch, &registry)?);
    let store = Store::open(&config.store.path).await?;
    let transport = match EmbeddedTransport::open(&store, embedded_config(&config)).await {
        Ok(t) => t,
        Err(error) => {
            store.close().await;
            return Err(error.into());
        }
    };
    let started = Instant::now();
    let running = match app::start(
        Arc::clone(&config),
        Arc::clone(&registry),
        store.clone(),
        Arc::new(transport.clone()),
    )
    .await
    {
        Ok(running) => running,
        Err(error) => {
            transport.shutdown().await;
            store.close().await;
            return Err(error.into());
        }
    };
    let (events_tx, events) = mpsc::unbounded_channel();
    let mut watchers = JoinSet::new();
    for department in Actor::DEPARTMENTS {
        watchers.spawn(watch_queue(
            transport.clone(),
            department,
            events_tx.clone(),
        ));
    }
    drop(events_tx);

    let mut demo = Demo {
        out,
        registry: &registry,
        config: &config,
        store: &store,
        transport: &transport,
        events,
        started,
        report: DemoReport::default(),
    };
    let result = demo.play(messages, &running, &scratch).await;
    let report = std::mem::take(&mut demo.report);
    drop(demo);

    stop(running, &transport, watchers, &store).await;
    drop(scratch);
    let report = result.map(|()| report)?;
    writeln!(
        out,
        "\nThe hub stopped cleanly (intake stopped, in-flight work finished, outbox flushed); \
         the scratch store was removed."
    )?;
    out.flush()?;
    Ok(report)
}

/// Stops the hub, the transport and the watchers, and closes the store.
async fn stop(
    running: Running,
    transport: &EmbeddedTransport,
    mut watchers: JoinSet<()>,
    store: &Store,
) {
    running.stop().await;
    transport.shutdown().await;
    while watchers.join_next().await.is_some() {}
    store.close().await;
}

/// The example configuration, on the embedded transport, a scratch store and an ephemeral
/// HTTP port, validated.
fn demo_config(scratch: &Scratch, registry: &Registry) -> Result<HubConfig, DemoError> {
    let file = scratch.path.join("hub.toml");
    std::fs::write(&file, EXAMPLE_CONFIG).map_err(|source| DemoError::Scratch {
        path: file.clone(),
        source,
    })?;
    // No `HUB_…` variables: the demo always runs in-process, whatever the shell sets.
    let mut config = HubConfig::load(Some(&file), std::iter::empty())
        .map_err(|error| DemoError::Config(error.to_string()))?;
    config.transport.amqp = None;
    config.store.path = scratch.path.join("hub.sqlite");
    config.http.listen = "127.0.0.1:0".to_owned();
    if let Err(problems) = config.validate(registry) {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(DemoError::Config(listed.join("; ")));
    }
    Ok(config)
}

/// The embedded transport's settings: the configuration's `[transport.embedded]`, or the
/// defaults.
fn embedded_config(config: &HubConfig) -> EmbeddedConfig {
    config.transport.embedded.clone().unwrap_or_default()
}

/// Builds every message of the case from its fixture, with fresh message ids, and
/// validates it against the catalogue.
fn build_case(registry: &Registry) -> Result<Vec<CaseMessage>, DemoError> {
    let mut built: Vec<CaseMessage> = Vec::new();
    for (index, scripted) in script::case().into_iter().enumerate() {
        let step = index + 1;
        let (fixture_path, fixture_text) = scripted.fixture;
        let mut value: Value =
            serde_json::from_str(fixture_text).map_err(|source| DemoError::Fixture {
                step,
                fixture: fixture_path.to_owned(),
                source,
            })?;
        script::apply_overlay(&mut value, &scripted.overlay);
        let message_id = uuid::Uuid::new_v4().to_string();
        value["message_id"] = Value::from(message_id.clone());
        let answered = scripted
            .answers
            .and_then(|i| built.get(i))
            .map(|m| Value::from(m.message_id.clone()));
        match (answered, value.as_object_mut()) {
            (Some(id), Some(object)) => {
                object.insert("correlation_id".to_owned(), id);
            }
            (None, Some(object)) => {
                object.remove("correlation_id");
            }
            (_, None) => {}
        }
        let validated =
            registry
                .validate_value(value)
                .map_err(|report| DemoError::InvalidMessage {
                    step,
                    message_type: scripted.message_type.to_owned(),
                    report,
                })?;
        built.push(CaseMessage {
            step,
            script: scripted,
            message_id,
            major: validated.major,
            value: validated.value,
        });
    }
    Ok(built)
}

/// Watches `deliver.<department>`: reports each delivery, then acknowledges it (reporting
/// first, so an empty queue means every delivery was reported).
async fn watch_queue(
    transport: EmbeddedTransport,
    department: Actor,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut consumer = match transport
        .consume(Address::Deliver(department), WATCH_PREFETCH)
        .await
    {
        Ok(consumer) => consumer,
        Err(error) => {
            // Err: the demo already stopped listening.
            events
                .send(Event::WatchFailed {
                    department,
                    error: error.to_string(),
                })
                .ok();
            return;
        }
    };
    while let Some(delivery) = consumer.next().await {
        let headers = delivery.headers().clone();
        let message_type = header_text(&headers, header::MESSAGE_TYPE).unwrap_or_default();
        let message_id = delivery.message_id().unwrap_or_default().to_owned();
        let arrival = Arrival {
            recipient: department,
            message_id: message_id.clone(),
            message_type,
            headers,
            body: delivery.body().to_vec(),
            at: Instant::now(),
        };
        if events.send(Event::Arrived(arrival)).is_err() {
            // The demo stopped listening; leave the delivery to its lease.
            return;
        }
        if let Err(error) = delivery.ack().await {
            events
                .send(Event::AckFailed {
                    department,
                    message_id,
                    error: error.to_string(),
                })
                .ok();
        }
    }
}

/// The state of one demo run.
struct Demo<'a> {
    out: &'a mut (dyn Write + Send),
    registry: &'a Registry,
    config: &'a HubConfig,
    store: &'a Store,
    transport: &'a EmbeddedTransport,
    events: mpsc::UnboundedReceiver<Event>,
    started: Instant,
    report: DemoReport,
}

impl Demo<'_> {
    /// Prints the introduction, plays every message, prints the timeline.
    async fn play(
        &mut self,
        messages: &[CaseMessage],
        running: &Running,
        scratch: &Scratch,
    ) -> Result<(), DemoError> {
        self.introduce(messages, running, scratch)?;
        let mut publishers: HashMap<Actor, EmbeddedTransport> = HashMap::new();
        let mut scene = "";
        for message in messages {
            if message.script.scene != scene {
                scene = message.script.scene;
                writeln!(self.out, "\n── {scene}")?;
            }
            let sender = message.script.sender;
            let handle = match publishers.get(&sender) {
                Some(handle) => handle.clone(),
                None => {
                    let user = self.broker_user(sender)?;
                    let handle = self.transport.as_publisher(&user);
                    publishers.insert(sender, handle.clone());
                    handle
                }
            };
            self.step(message, &handle).await?;
        }
        self.print_timeline(messages)?;
        Ok(())
    }

    /// The broker user the configuration gives `department`.
    fn broker_user(&self, department: Actor) -> Result<String, DemoError> {
        self.config
            .departments
            .get(&department)
            .and_then(|d| d.broker_user.clone())
            .ok_or_else(|| {
                DemoError::Config(format!(
                    "departments.{}.broker_user is not set",
                    department.as_str()
                ))
            })
    }

    fn introduce(
        &mut self,
        messages: &[CaseMessage],
        running: &Running,
        scratch: &Scratch,
    ) -> Result<(), DemoError> {
        let rule = "═".repeat(78);
        let out = &mut *self.out;
        writeln!(out, "{rule}")?;
        writeln!(
            out,
            " 太仓市流浪乞讨人员救助 · Taicang interagency rescue hub — demo"
        )?;
        writeln!(out, "{rule}")?;
        writeln!(
            out,
            "One realistic case, played message by message through the hub's real pipeline."
        )?;
        writeln!(out)?;
        writeln!(
            out,
            " · The hub runs inside this process on its embedded transport (durable SQLite"
        )?;
        writeln!(
            out,
            "   queues), so no RabbitMQ is needed. Its scratch store:"
        )?;
        writeln!(out, "   {} (removed at the end).", scratch.path.display())?;
        writeln!(
            out,
            "   Its HTTP API listens on http://{} while the demo runs.",
            running.http_address
        )?;
        writeln!(
            out,
            " · Each department publishes as its own broker user (dept-grid, dept-police, …)"
        )?;
        writeln!(
            out,
            "   to its ingress queue. For every message the hub checks who sent it, validates"
        )?;
        writeln!(
            out,
            "   it against its contract, checks the authorization matrix, drops duplicates,"
        )?;
        writeln!(
            out,
            "   routes it by the route table (hub/hub.example.toml), cuts it down to the fields"
        )?;
        writeln!(
            out,
            "   each recipient may see, and delivers it to that recipient's deliver.<DEPT> queue."
        )?;
        writeln!(
            out,
            " · All {} messages below passed contract validation before being published.",
            messages.len()
        )?;
        writeln!(out, " · Each delivery is printed as it lands:")?;
        writeln!(
            out,
            "     +0.012s  SENDER → RECIPIENT   MESSAGE_TYPE v1   seq N   what was removed"
        )?;
        writeln!(
            out,
            "   time since the hub started · who sent it to whom · the message type and the"
        )?;
        writeln!(
            out,
            "   contract version delivered · the number of this message in the SENDER → RECIPIENT"
        )?;
        writeln!(
            out,
            "   stream (a gap would show a loss) · the fields the hub removed because the"
        )?;
        writeln!(
            out,
            "   recipient may not see them (\"projected away\"), or \"full\" if none."
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "Departments: GRID 网格 · POLICE 公安 · STATION 救助管理站 · CIVIL 民政局"
        )?;
        writeln!(
            out,
            "             HEALTH 卫健 (designated hospital) · ORIGIN 流出地 (the person's home area)"
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "The case: 王根宝, 78, from 安徽省阜阳市临泉县, suspected dementia, found at dawn on"
        )?;
        writeln!(
            out,
            "2025-03-01 at 太仓站站前广场 (城厢镇) by the grid worker 陆建芳. Story times are the"
        )?;
        writeln!(
            out,
            "messages' sent_at; the hub handles them as fast as they come."
        )?;
        out.flush()?;
        Ok(())
    }

    /// Publishes one message and follows it until the hub is quiet again.
    async fn step(
        &mut self,
        message: &CaseMessage,
        handle: &EmbeddedTransport,
    ) -> Result<(), DemoError> {
        let step = message.step;
        let message_type = message.script.message_type;
        let sender = message.script.sender;
        writeln!(
            self.out,
            "\n {step:>2}. [{}] {}",
            story_time(&message.envelope_text("sent_at").unwrap_or_default()),
            message.script.story
        )?;
        writeln!(
            self.out,
            "     {} publishes {message_type} v{} as `{}` (message {})",
            sender.as_str(),
            message.major,
            handle.publisher(),
            short_id(&message.message_id)
        )?;
        self.out.flush()?;

        let body = serde_json::to_vec(&message.value).map_err(|source| DemoError::Fixture {
            step,
            fixture: message.script.fixture.0.to_owned(),
            source,
        })?;
        handle
            .publish(Outgoing {
                address: Address::Ingress(sender),
                message_type: message_type.to_owned(),
                message_id: message.message_id.clone(),
                body,
                headers: Headers::new(),
            })
            .await
            .map_err(|source| DemoError::Publish {
                step,
                message_type: message_type.to_owned(),
                sender: sender.as_str(),
                source,
            })?;

        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        let mut pending: Vec<Actor> = message.script.expected.to_vec();
        let mut pending_updates: Vec<Actor> = message.script.identity_updates_to.to_vec();
        let mut delivered: Vec<Actor> = Vec::new();
        let mut updated: Vec<Actor> = Vec::new();
        let mut last = self.started.elapsed();
        while !pending.is_empty() || !pending_updates.is_empty() {
            let event = match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) => return Err(watchers_gone()),
                Err(_) => {
                    let missing: Vec<&str> = pending
                        .iter()
                        .chain(&pending_updates)
                        .map(|a| a.as_str())
                        .collect();
                    return Err(DemoError::Timeout {
                        step,
                        message_type: message_type.to_owned(),
                        what: format!("did not reach {}", missing.join(", ")),
                    });
                }
            };
            let arrival = self.arrival(event, message)?;
            let from_registry = arrival.message_type == "IDENTITY_UPDATE"
                && header_text(&arrival.headers, header::SENDER).as_deref() == Some("HUB");
            let (waiting, arrived) = if from_registry {
                (&mut pending_updates, &mut updated)
            } else if arrival.message_id == message.message_id {
                (&mut pending, &mut delivered)
            } else {
                return Err(self.unexpected(step, &arrival));
            };
            match waiting.iter().position(|r| *r == arrival.recipient) {
                Some(at) => {
                    waiting.remove(at);
                    arrived.push(arrival.recipient);
                    let hop = self.record_hop(step, arrival)?;
                    last = hop.after_start;
                }
                None => return Err(self.unexpected(step, &arrival)),
            }
        }
        self.wait_until_quiet(message).await?;
        self.report.timeline.push(TimelineEntry {
            step,
            message_id: message.message_id.clone(),
            message_type: message_type.to_owned(),
            sender,
            recipients: delivered,
            expected: message.script.expected.to_vec(),
            identity_updates_to: updated,
            case_id: message.envelope_text("case_id"),
            sent_at: message.envelope_text("sent_at").unwrap_or_default(),
            delivered_after: last,
            story: message.script.story.to_owned(),
        });
        Ok(())
    }

    /// Unwraps a watcher event into an arrival; refusals and watcher failures end the demo.
    fn arrival(&mut self, event: Event, message: &CaseMessage) -> Result<Arrival, DemoError> {
        match event {
            Event::Arrived(arrival) if arrival.message_type == "HUB_REJECTED" => {
                Err(self.refused(message, &arrival))
            }
            Event::Arrived(arrival) => Ok(arrival),
            Event::AckFailed {
                department,
                message_id,
                error,
            } => Err(DemoError::Watch {
                department: department.as_str(),
                detail: format!("acknowledging {message_id} failed: {error}"),
            }),
            Event::WatchFailed { department, error } => Err(DemoError::Watch {
                department: department.as_str(),
                detail: error,
            }),
        }
    }

    /// After the expected deliveries: waits until the outbox is relayed and every delivery
    /// queue is empty, so any further delivery of this message shows up now, as unexpected.
    async fn wait_until_quiet(&mut self, message: &CaseMessage) -> Result<(), DemoError> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            if let Ok(event) = self.events.try_recv() {
                return Err(self.stray(event, message));
            }
            if self.is_quiet().await? {
                // Everything delivered was reported before being acknowledged.
                if let Ok(event) = self.events.try_recv() {
                    return Err(self.stray(event, message));
                }
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(DemoError::Timeout {
                    step: message.step,
                    message_type: message.script.message_type.to_owned(),
                    what: "left deliveries in flight".to_owned(),
                });
            }
            match tokio::time::timeout(QUIET_CHECK_INTERVAL, self.events.recv()).await {
                Ok(Some(event)) => return Err(self.stray(event, message)),
                Ok(None) => return Err(watchers_gone()),
                Err(_) => {}
            }
        }
    }

    /// The error for an event after a step's expected deliveries: a refusal, a watcher
    /// failure, or a delivery the script does not expect.
    fn stray(&mut self, event: Event, message: &CaseMessage) -> DemoError {
        match self.arrival(event, message) {
            Ok(arrival) => self.unexpected(message.step, &arrival),
            Err(error) => error,
        }
    }

    /// Whether the outbox is relayed and every delivery queue is empty.
    async fn is_quiet(&self) -> Result<bool, DemoError> {
        if self.store.outbox_backlog().await? > 0 {
            return Ok(false);
        }
        for department in Actor::DEPARTMENTS {
            if self
                .transport
                .queue_depth(Address::Deliver(department))
                .await?
                > 0
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Records and prints one expected delivery.
    fn record_hop(&mut self, step: usize, arrival: Arrival) -> Result<Hop, DemoError> {
        let sender = header_text(&arrival.headers, header::SENDER)
            .and_then(|s| Actor::from_code(&s))
            .ok_or_else(|| DemoError::Unexpected {
                step,
                detail: format!(
                    "the delivery of {} to {} names no sender",
                    arrival.message_type,
                    arrival.recipient.as_str()
                ),
            })?;
        let projected_away: Vec<String> = header_text(&arrival.headers, header::PROJECTED_AWAY)
            .map(|list| {
                list.split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let hop = Hop {
            step,
            message_id: arrival.message_id,
            message_type: arrival.message_type,
            sender,
            recipient: arrival.recipient,
            schema_version: header_text(&arrival.headers, header::SCHEMA_VERSION)
                .unwrap_or_default(),
            stream_seq: arrival
                .headers
                .get(header::STREAM_SEQ)
                .and_then(HeaderValue::as_int),
            projected_away,
            case_id: header_text(&arrival.headers, header::CASE_ID),
            after_start: arrival.at.saturating_duration_since(self.started),
        };
        let route = format!("{} → {}", hop.sender.as_str(), hop.recipient.as_str());
        let kind = format!("{} v{}", hop.message_type, major_of(&hop.schema_version));
        let seq = hop
            .stream_seq
            .map_or_else(|| "seq ?".to_owned(), |n| format!("seq {n}"));
        let projection = if hop.projected_away.is_empty() {
            "full".to_owned()
        } else {
            let annotations = self
                .registry
                .contract(
                    &hop.message_type,
                    major_of(&hop.schema_version).parse().unwrap_or(1),
                )
                .map(contracts::registry::Contract::annotations)
                .unwrap_or_default();
            let fields: Vec<String> = hop
                .projected_away
                .iter()
                .map(|pattern| {
                    let field = pattern.trim_start_matches('/');
                    match annotations
                        .iter()
                        .find(|a| a.pointer == *pattern)
                        .and_then(|a| a.pii.as_deref())
                    {
                        Some(kind) => format!("{field} ({kind})"),
                        None => field.to_owned(),
                    }
                })
                .collect();
            format!("projected away: {}", fields.join(", "))
        };
        writeln!(
            self.out,
            "     {:>8}  {route:<19} {kind:<27} {seq:<7} {projection}",
            elapsed(hop.after_start)
        )?;
        self.out.flush()?;
        self.report.hops.push(hop.clone());
        Ok(hop)
    }

    /// Prints and describes a delivery the case does not expect.
    fn unexpected(&mut self, step: usize, arrival: &Arrival) -> DemoError {
        let detail = format!(
            "{} (message {}) landed in deliver.{}, which the case does not expect — \
             hub/hub.example.toml routes differently from the demo script",
            arrival.message_type,
            short_id(&arrival.message_id),
            arrival.recipient.as_str()
        );
        // The error carries the same text; a failed write must not hide it.
        writeln!(self.out, "     !! {detail}").ok();
        DemoError::Unexpected { step, detail }
    }

    /// Prints and describes a refusal of `message`.
    fn refused(&mut self, message: &CaseMessage, arrival: &Arrival) -> DemoError {
        let notice: Value = serde_json::from_slice(&arrival.body).unwrap_or(Value::Null);
        let payload = notice.get("payload").unwrap_or(&Value::Null);
        let stage = payload
            .get("stage")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let refused_type = payload
            .get("rejected_message_type")
            .and_then(Value::as_str)
            .unwrap_or(message.script.message_type)
            .to_owned();
        let reasons: Vec<String> = payload
            .get("reasons")
            .and_then(Value::as_array)
            .map(|reasons| {
                reasons
                    .iter()
                    .map(|r| {
                        let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
                        format!("{} {}", text("pointer"), text("message"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The error carries the same text; a failed write must not hide it.
        writeln!(
            self.out,
            "     !! HUB → {}  HUB_REJECTED: the hub refused {refused_type} at stage {stage}",
            arrival.recipient.as_str()
        )
        .ok();
        for reason in &reasons {
            writeln!(self.out, "        {reason}").ok();
        }
        DemoError::Refused {
            step: message.step,
            message_type: refused_type,
            stage,
            reasons: reasons.join("\n"),
        }
    }

    /// The closing table: every message of the case with its sender, recipients and times.
    fn print_timeline(&mut self, messages: &[CaseMessage]) -> Result<(), DemoError> {
        let case_id = messages
            .iter()
            .find_map(|m| m.envelope_text("case_id"))
            .unwrap_or_default();
        let rule = "─".repeat(86);
        let out = &mut *self.out;
        writeln!(out)?;
        writeln!(out, "{TIMELINE_HEADER} — {case_id} · 王根宝")?;
        writeln!(out, "{rule}")?;
        writeln!(
            out,
            " {:>2}  {:<11}  {:<8}  {:<16}  {:<26}  {:>9}",
            "#", "story time", "sender", "→ recipients", "message", "delivered"
        )?;
        writeln!(out, "{rule}")?;
        for entry in &self.report.timeline {
            let recipients: Vec<&str> = entry.recipients.iter().map(|a| a.as_str()).collect();
            let major = messages
                .iter()
                .find(|m| m.step == entry.step)
                .map_or(1, |m| m.major);
            writeln!(
                out,
                " {:>2}  {:<11}  {:<8}  {:<16}  {:<26}  {:>9}",
                entry.step,
                story_time(&entry.sent_at),
                entry.sender.as_str(),
                if recipients.is_empty() {
                    "→ HUB (registry)".to_owned()
                } else {
                    format!("→ {}", recipients.join(", "))
                },
                format!("{} v{major}", entry.message_type),
                elapsed(entry.delivered_after)
            )?;
            if !entry.identity_updates_to.is_empty() {
                let updated: Vec<&str> = entry
                    .identity_updates_to
                    .iter()
                    .map(|a| a.as_str())
                    .collect();
                writeln!(
                    out,
                    " {:>2}  {:<11}  {:<8}  → {}: IDENTITY_UPDATE v1",
                    "",
                    "",
                    "↳ HUB",
                    updated.join(", ")
                )?;
            }
        }
        writeln!(out, "{rule}")?;
        let refused = self
            .report
            .hops
            .iter()
            .filter(|h| h.message_type == "HUB_REJECTED")
            .count();
        writeln!(
            out,
            "{} messages, {} deliveries, {refused} refused. \"story time\" is the message's sent_at \
             (2025, UTC+8);",
            self.report.timeline.len(),
            self.report.hops.len()
        )?;
        writeln!(
            out,
            "\"delivered\" is when its last delivery landed, counted from the hub's start."
        )?;
        out.flush()?;
        Ok(())
    }
}

fn watchers_gone() -> DemoError {
    DemoError::Watch {
        department: "*",
        detail: "every queue watcher stopped".to_owned(),
    }
}

fn header_text(headers: &Headers, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(HeaderValue::as_text)
        .map(str::to_owned)
}

/// `1.0.0` → `1`.
fn major_of(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// The first block of a UUID, enough to tell messages apart on screen.
fn short_id(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

/// `2025-03-01T06:02:10+08:00` → `03-01 06:02`.
fn story_time(sent_at: &str) -> String {
    match (sent_at.get(5..10), sent_at.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time}"),
        _ => sent_at.to_owned(),
    }
}

/// `+0.042s`.
fn elapsed(duration: Duration) -> String {
    format!("+{:.3}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_message_is_valid_and_answers_the_right_message() {
        let registry = Registry::embedded().unwrap();
        let messages = build_case(&registry).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(messages.len(), 13);
        for message in &messages {
            let correlation = message.envelope_text("correlation_id");
            let answered = message
                .script
                .answers
                .map(|i| messages[i].message_id.clone());
            assert_eq!(correlation, answered, "step {}", message.step);
        }
        let ids: std::collections::HashSet<_> = messages.iter().map(|m| &m.message_id).collect();
        assert_eq!(ids.len(), messages.len(), "message ids are fresh");
    }

    /// The case with `change` applied to its built messages, run through a real hub.
    async fn run_changed(
        change: impl FnOnce(&mut Vec<CaseMessage>),
    ) -> (Result<DemoReport, DemoError>, String) {
        let registry = Arc::new(Registry::embedded().unwrap());
        let mut messages = build_case(&registry).unwrap();
        change(&mut messages);
        let mut out = Vec::new();
        let result = tokio::time::timeout(
            Duration::from_secs(30),
            run_case(&mut out, registry, &messages),
        )
        .await
        .unwrap();
        (result, String::from_utf8(out).unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_message_fails_the_demo_with_the_hubs_reasons() {
        // Published by dept-grid, but claiming to come from the police: refused.
        let (result, out) = run_changed(|messages| {
            messages[0].value["sender_org_type"] = Value::from("POLICE");
        })
        .await;
        match result {
            Err(DemoError::Refused {
                step,
                message_type,
                stage,
                reasons,
            }) => {
                assert_eq!(step, 1);
                assert_eq!(message_type, "REFERRAL");
                assert_eq!(stage, "SENDER_MISMATCH");
                assert!(reasons.contains("/sender_org_type"), "{reasons}");
            }
            other => panic!("expected a refusal, got {other:?}\n{out}"),
        }
        assert!(out.contains("HUB_REJECTED"), "{out}");
        assert!(!out.contains(TIMELINE_HEADER));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_delivery_the_script_does_not_expect_fails_the_demo() {
        // The route table also sends the intake to the police (escorted): unexpected here.
        let (result, out) = run_changed(|messages| {
            messages[3].script.expected = &[Actor::Civil];
        })
        .await;
        match result {
            Err(DemoError::Unexpected { step, detail }) => {
                assert_eq!(step, 4);
                assert!(detail.contains("deliver.POLICE"), "{detail}");
            }
            other => panic!("expected an unexpected delivery, got {other:?}\n{out}"),
        }
    }

    #[test]
    fn formatting_helpers() {
        assert_eq!(story_time("2025-03-01T06:02:10+08:00"), "03-01 06:02");
        assert_eq!(story_time("bad"), "bad");
        assert_eq!(major_of("1.0.0"), "1");
        assert_eq!(short_id("ad20dfdb-7697-4678"), "ad20dfdb");
        assert_eq!(elapsed(Duration::from_millis(42)), "+0.042s");
    }
}
