//! `adapter demo`: one case carried end to end through the department systems' own formats,
//! with nothing installed (no RabbitMQ).
//!
//! [`run_demo`] starts, in this process:
//!
//! * the hub, exactly as `hub demo` does: the built-in example configuration
//!   (`hub/hub.example.toml`, [`HubConfig::load`] without a file) on the
//!   [`EmbeddedTransport`] over a scratch [`Store`], with an ephemeral HTTP port, started by
//!   [`app::start`];
//! * the five department adapters (POLICE, HEALTH, CITYMGMT, GRID, STATION), each assembled
//!   from its example configuration (`adapters/adapter/config/<dept>.example.toml`) pointed
//!   at its simulator, listening on an ephemeral port, with its store in the scratch
//!   directory and back-off and breaker timings in milliseconds, and publishing and
//!   consuming through [`EmbeddedTransport::as_publisher`] with **that department's
//!   `broker_user` from the hub configuration** — so the hub authenticates each adapter as
//!   its department, as it would on RabbitMQ;
//! * one simulator per department system ([`dept_sim::Simulator`]: police XML over HTTP, the
//!   hospital HIS over MLLP, the grid and city-management platforms and the station's REST
//!   JSON over HTTP).
//!
//! Then the department systems play the case — seven golden native documents, edited only
//! where an answer must name what it answers (the table of edits is in `demo/documents.rs`;
//! each edit is printed, and kept in [`Document::edits`]): a grid sighting reaches the station as a referral; the police hand a man
//! over to the station and get its 签收回执; the station takes a patient to hospital, the
//! HIS answers `AA`, admits and discharges; the referral outcome reaches the grid platform
//! as a task feedback. Each step prints who sent which native document (a few fields, read
//! with the simulators' native views), the adapter's answer, and who received what; the end
//! prints a timeline and how long it took.
//!
//! # Invariants
//!
//! * **Only native documents.** The demo never publishes to the hub or reads its queues: a
//!   document enters through a department system's [`Sender`] and is observed where that
//!   system's simulator received it ([`Simulator::wait_for`]). Decoding, validation,
//!   authorization, routing, projection, casting and encoding are the adapters' and the
//!   hub's, untouched.
//! * **Bounded, event-driven waits.** A step is complete when every expected department
//!   system received one new document, answered it with success, within
//!   [`DemoOptions::step_timeout`]. Nothing sleeps to synchronise. A document arriving
//!   anywhere else during the step (a `HUB_REJECTED` notice to the sender, a route the case
//!   does not expect) ends the demo at once with that document shown ([`DemoError`]).
//! * **Clean up.** Whatever happens, the adapters, the hub, the transport, the store and the
//!   simulators are stopped, and the scratch directory is removed.

mod describe;
mod documents;
mod play;

pub use documents::{Document, DocumentError};

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use adapter_runtime::RuntimeConfig;
use adapter_runtime::config::OutboundConfig;
use adapter_runtime::store::AdapterStore;
use contracts::Registry;
use contracts::model::Actor;
use dept_sim::{
    Department, FailureMode, Protocol, Received, Sender, Sent, SimConfig, SimError, Simulator,
    Target,
};
use hub::app::{self, StartError};
use hub::config::HubConfig;
use hub::store::{Store, StoreError};
use hub::transport::embedded::{EmbeddedError, EmbeddedTransport};

use crate::config::AdapterConfig;
use crate::departments::assemble;
use crate::run::{self, RunningAdapter};
use play::Demo;

/// Longest a step may take by default, from sending its document to the last expected
/// delivery.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The heading of the closing table (tests look for it).
pub const TIMELINE_HEADER: &str = "ADAPTER DEMO TIMELINE";

/// How long a department system waits for its adapter's answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The adapters' example configurations, compiled in (the demo runs from any directory).
const EXAMPLE_CONFIGS: [(Department, &str); 5] = [
    (
        Department::Police,
        include_str!("../config/police.example.toml"),
    ),
    (
        Department::Health,
        include_str!("../config/health.example.toml"),
    ),
    (
        Department::Citymgmt,
        include_str!("../config/citymgmt.example.toml"),
    ),
    (
        Department::Grid,
        include_str!("../config/grid.example.toml"),
    ),
    (
        Department::Station,
        include_str!("../config/station.example.toml"),
    ),
];

/// How the demo runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Longest a step may take.
    pub step_timeout: Duration,
    /// Simulators switched to a failure mode before the case starts (tests of the demo's
    /// own failure reporting); empty for the demo.
    pub failure_modes: Vec<(Department, FailureMode)>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            step_timeout: STEP_TIMEOUT,
            failure_modes: Vec::new(),
        }
    }
}

/// One document a department system received during a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The receiving department system.
    pub department: Department,
    /// What its simulator recorded (path, content type, `X-Hub-Message-Id`, bytes, answer).
    pub received: Received,
    /// When it arrived, counted from the demo's start.
    pub after_start: Duration,
}

/// One step: a native document sent, its answer, and where it was delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// 1-based.
    pub number: usize,
    /// What happens, in one line.
    pub story: &'static str,
    /// The department system that sent the document.
    pub sender: Department,
    /// The document sent.
    pub document: Document,
    /// The send, with the adapter's answer.
    pub answer: Sent,
    /// The documents the expected department systems received, in the order expected.
    pub deliveries: Vec<Delivery>,
}

/// What the demo did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    /// Every step, in order.
    pub steps: Vec<StepReport>,
    /// From the start to everything stopped.
    pub elapsed: Duration,
}

impl DemoReport {
    /// Step `number` (1-based).
    pub fn step(&self, number: usize) -> Option<&StepReport> {
        self.steps.get(number.checked_sub(1)?)
    }

    /// The document `department`'s system received in step `number`.
    pub fn delivered(&self, number: usize, department: Department) -> Option<&Received> {
        self.step(number)?
            .deliveries
            .iter()
            .find(|d| d.department == department)
            .map(|d| &d.received)
    }
}

/// Why the demo did not complete.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The embedded contract catalogue does not compile.
    #[error("the built-in contract catalogue does not compile: {0}")]
    Catalogue(String),
    /// The scratch directory could not be created.
    #[error("cannot create the demo's scratch directory: {0}")]
    Scratch(#[source] io::Error),
    /// The hub's built-in configuration does not load or validate.
    #[error("the hub's built-in example configuration cannot be used: {0}")]
    HubConfig(String),
    /// The hub's scratch store could not be opened.
    #[error("cannot open the hub's scratch store: {0}")]
    Store(#[from] StoreError),
    /// The embedded transport could not be opened.
    #[error("cannot open the embedded transport: {0}")]
    Transport(#[from] EmbeddedError),
    /// The hub did not start.
    #[error("cannot start the hub: {0}")]
    Start(#[from] StartError),
    /// A department system's simulator did not start or could not be switched.
    #[error("the {department} system simulator: {source}")]
    Simulator {
        /// The department.
        department: Department,
        /// Why.
        #[source]
        source: SimError,
    },
    /// A department's adapter did not start.
    #[error("cannot start the {department} adapter: {detail}")]
    Adapter {
        /// The department.
        department: Department,
        /// Why.
        detail: String,
    },
    /// A document of the case could not be built.
    #[error("step {step}: {source}")]
    Document {
        /// 1-based step.
        step: usize,
        /// Why.
        #[source]
        source: DocumentError,
    },
    /// An adapter did not answer its department system "accepted".
    #[error("step {step}: the {department} adapter did not accept the {kind}: {answer}")]
    NotAccepted {
        /// 1-based step.
        step: usize,
        /// The sending department.
        department: Department,
        /// The document's kind.
        kind: String,
        /// The answer (status and body), or why there was none.
        answer: String,
    },
    /// A department system answered a delivery with a failure.
    #[error("step {step}: the {department} system did not accept the delivered {kind}: {answer}")]
    DeliveryRefused {
        /// 1-based step.
        step: usize,
        /// The receiving department.
        department: Department,
        /// The delivered document's kind.
        kind: String,
        /// How the simulator answered.
        answer: String,
    },
    /// A document reached a department system the step does not expect.
    #[error(
        "step {step}: the {department} system received a {kind} the case does not expect \
         (a HUB_REJECTED notice, or a route hub/hub.example.toml has and the case does not): {text}"
    )]
    Unexpected {
        /// 1-based step.
        step: usize,
        /// The department system that received it.
        department: Department,
        /// Its kind.
        kind: String,
        /// Its fields, or its text.
        text: String,
    },
    /// An expected delivery did not arrive in time.
    #[error(
        "step {step}: the {department} system received nothing within {} ms ({detail}); \
         run with RUST_LOG=info to see the adapters' and the hub's logs",
        waited.as_millis()
    )]
    Timeout {
        /// 1-based step.
        step: usize,
        /// The department system still waiting.
        department: Department,
        /// The bound.
        waited: Duration,
        /// The simulator's account.
        detail: String,
    },
    /// The output could not be written.
    #[error("cannot write the demo output: {0}")]
    Output(#[from] io::Error),
}

/// Plays the demo with the default options, printing to `out`. Needs a Tokio runtime with
/// I/O and timers.
pub async fn run_demo(out: &mut (dyn Write + Send)) -> Result<DemoReport, DemoError> {
    run_demo_with(out, DemoOptions::default()).await
}

/// Plays the demo with `options` (see the module docs), printing to `out`.
pub async fn run_demo_with(
    out: &mut (dyn Write + Send),
    options: DemoOptions,
) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    let started_wall = SystemTime::now();
    let registry = Arc::new(Registry::embedded().map_err(|e| DemoError::Catalogue(e.to_string()))?);
    let scratch = tempfile::Builder::new()
        .prefix("rescue-adapter-demo-")
        .tempdir()
        .map_err(DemoError::Scratch)?;
    let config = Arc::new(hub_config(scratch.path(), &registry)?);
    let store = Store::open(&config.store.path).await?;
    let embedded = config.transport.embedded.clone().unwrap_or_default();
    let transport = match EmbeddedTransport::open(&store, embedded).await {
        Ok(transport) => transport,
        Err(error) => {
            store.close().await;
            return Err(error.into());
        }
    };
    let running = match app::start(
        Arc::clone(&config),
        registry,
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

    let mut systems: Vec<System> = Vec::new();
    let result = async {
        for department in Department::ALL {
            let system = System::start(department, &config, &transport, scratch.path()).await?;
            systems.push(system);
        }
        for (department, mode) in &options.failure_modes {
            if let Some(system) = systems.iter().find(|s| s.department == *department) {
                system
                    .sim
                    .set_mode(*mode)
                    .await
                    .map_err(|source| DemoError::Simulator {
                        department: *department,
                        source,
                    })?;
            }
        }
        let mut demo = Demo::new(
            &mut *out,
            &systems,
            started,
            started_wall,
            options.step_timeout,
        );
        demo.introduce(&running, scratch.path())?;
        demo.play().await?;
        demo.print_timeline()?;
        Ok::<DemoReport, DemoError>(demo.into_report())
    }
    .await;

    for system in systems {
        system.stop().await;
    }
    running.stop().await;
    transport.shutdown().await;
    store.close().await;
    if let Err(error) = scratch.close() {
        tracing::warn!(message = "Cannot remove the demo's scratch directory.", %error);
    }
    let mut report = result?;
    report.elapsed = started.elapsed();
    writeln!(
        out,
        "\nThe demo took {:.3} s, from starting the hub to everything stopped: the adapters, \
         the hub, its embedded transport and the simulators are stopped cleanly and the \
         scratch directory is removed.",
        report.elapsed.as_secs_f64()
    )?;
    out.flush()?;
    Ok(report)
}

/// The hub's built-in configuration, on the embedded transport, a scratch store and an
/// ephemeral HTTP port, validated (as `hub demo` runs it).
fn hub_config(scratch: &Path, registry: &Registry) -> Result<HubConfig, DemoError> {
    // No `HUB_…` variables: the demo always runs in-process, whatever the shell sets.
    let mut config = HubConfig::load(None, std::iter::empty())
        .map_err(|error| DemoError::HubConfig(error.to_string()))?;
    config.transport.amqp = None;
    config.store.path = scratch.join("hub.sqlite");
    config.http.listen = "127.0.0.1:0".to_owned();
    if let Err(problems) = config.validate(registry) {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(DemoError::HubConfig(listed.join("; ")));
    }
    Ok(config)
}

/// One department: its system's simulator, its adapter, and how the system sends to it.
#[derive(Debug)]
struct System {
    department: Department,
    sim: Simulator,
    adapter: RunningAdapter,
    sender: Sender,
    /// Where the system sends (the adapter's listener).
    target: Target,
    /// The broker user the adapter publishes as.
    broker_user: String,
}

impl System {
    /// Starts the simulator, then the adapter pointed at it.
    async fn start(
        department: Department,
        hub: &HubConfig,
        transport: &EmbeddedTransport,
        scratch: &Path,
    ) -> Result<System, DemoError> {
        let adapter_error = |detail: String| DemoError::Adapter { department, detail };
        let sender = Sender::new(department, SEND_TIMEOUT)
            .map_err(|source| DemoError::Simulator { department, source })?;
        let sim = Simulator::start(department, SimConfig::default())
            .await
            .map_err(|source| DemoError::Simulator { department, source })?;
        let started = async {
            let actor = Actor::from_code(department.as_str())
                .ok_or_else(|| adapter_error("not a department of the hub".to_owned()))?;
            let broker_user = hub
                .departments
                .get(&actor)
                .and_then(|d| d.broker_user.clone())
                .ok_or_else(|| {
                    adapter_error(format!(
                        "the hub configuration sets no departments.{department}.broker_user"
                    ))
                })?;
            let config = adapter_config(department, &sim, hub, scratch)?;
            let assembled =
                assemble(&config.department).map_err(|e| adapter_error(e.to_string()))?;
            let store = AdapterStore::open(&config.runtime.store_path)
                .await
                .map_err(|e| adapter_error(format!("its store: {e}")))?;
            let adapter = run::start(
                assembled,
                transport.as_publisher(&broker_user),
                store,
                &config.runtime,
            )
            .await
            .map_err(|e| adapter_error(e.to_string()))?;
            Ok::<_, DemoError>((adapter, broker_user))
        }
        .await;
        let (adapter, broker_user) = match started {
            Ok(started) => started,
            Err(error) => {
                sim.shutdown().await;
                return Err(error);
            }
        };
        let target = match department.protocol() {
            Protocol::Mllp => Target::Mllp(adapter.inbound_addr.to_string()),
            Protocol::Http => Target::Http(adapter.inbound_url()),
        };
        Ok(System {
            department,
            sim,
            adapter,
            sender,
            target,
            broker_user,
        })
    }

    async fn stop(self) {
        self.adapter.stop().await;
        self.sim.shutdown().await;
    }
}

/// The department's example configuration pointed at `sim`, an ephemeral listen port and a
/// store in `scratch`, with back-off and breaker timings in milliseconds; validated.
fn adapter_config(
    department: Department,
    sim: &Simulator,
    hub: &HubConfig,
    scratch: &Path,
) -> Result<AdapterConfig, DemoError> {
    let adapter_error = |detail: String| DemoError::Adapter { department, detail };
    let text = EXAMPLE_CONFIGS
        .iter()
        .find(|(d, _)| *d == department)
        .map(|(_, text)| *text)
        .ok_or_else(|| adapter_error("no example configuration".to_owned()))?;
    let example: AdapterConfig = toml::from_str(text)
        .map_err(|e| adapter_error(format!("its example configuration: {e}")))?;
    let department_config = example.department.pointed_at(
        &sim.base_url(),
        &sim.local_addr().to_string(),
        "127.0.0.1:0",
    );
    let config = AdapterConfig {
        department: department_config,
        runtime: RuntimeConfig {
            // In process: the embedded transport, no broker.
            amqp: None,
            store_path: scratch.join(format!(
                "adapter-{}.sqlite",
                department.as_str().to_ascii_lowercase()
            )),
            outbound: OutboundConfig {
                backoff_base_ms: 10,
                backoff_max_ms: 100,
                breaker_open_ms: 100,
                // The delayed-retry steps the embedded transport has.
                retry_delays_ms: hub.transport.retry_delays_ms(),
                ..OutboundConfig::default()
            },
            // The demo plays one case in seconds; no periodic identity reports.
            identity_digest_interval_s: 0,
        },
    };
    config
        .validate()
        .map_err(|e| adapter_error(e.to_string()))?;
    Ok(config)
}
