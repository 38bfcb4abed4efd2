//! Department adapters running in this process against a [`TestBroker`], each talking to a
//! simulator of its department's system ([`dept_sim::Simulator`]) over the real protocol.
//!
//! [`AdapterRig::start`] assembles the adapter from its example configuration
//! (`adapters/adapter/config/<dept>.example.toml`) with the simulator's address, an
//! ephemeral listen port, the department's own broker user of the test vhost, a temporary
//! store, and short back-off and breaker timings so failures resolve in milliseconds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use adapter::config::{AdapterConfig, DepartmentConfig};
use adapter::departments::assemble;
use adapter::run::{RunningAdapter, start};
use adapter_runtime::RuntimeConfig;
use adapter_runtime::config::OutboundConfig;
use adapter_runtime::store::AdapterStore;
use contracts::model::Actor;
use dept_sim::{Department, SimConfig, Simulator};
use hub::transport::amqp::AmqpTransport;

use crate::{TestBroker, repo_root};

/// The simulator department standing for `department`.
pub fn sim_department(department: Actor) -> Department {
    match department {
        Actor::Police => Department::Police,
        Actor::Health => Department::Health,
        Actor::Citymgmt => Department::Citymgmt,
        Actor::Grid => Department::Grid,
        _ => Department::Station,
    }
}

/// The five departments that have adapters.
pub const ADAPTED: [Actor; 5] = [
    Actor::Police,
    Actor::Health,
    Actor::Citymgmt,
    Actor::Grid,
    Actor::Station,
];

/// The golden folder of `department` (`tests/golden/<dept>`).
pub fn golden_dir(department: Actor) -> PathBuf {
    repo_root()
        .join("tests/golden")
        .join(department.as_str().to_ascii_lowercase())
}

/// A golden file of `department`, relative to its folder.
pub fn golden(department: Actor, rel: &str) -> PathBuf {
    golden_dir(department).join(rel)
}

/// The department's example configuration (`adapters/adapter/config/<dept>.example.toml`).
pub fn example_department_config(department: Actor) -> DepartmentConfig {
    let file = repo_root().join(format!(
        "adapters/adapter/config/{}.example.toml",
        department.as_str().to_ascii_lowercase()
    ));
    AdapterConfig::load(&file).unwrap().department
}

/// The department's example configuration pointed at `sim` and an ephemeral listen port.
pub fn department_config(department: Actor, sim: &Simulator) -> DepartmentConfig {
    let mut config = example_department_config(department).pointed_at(
        &sim.base_url(),
        &sim.local_addr().to_string(),
        "127.0.0.1:0",
    );
    if let DepartmentConfig::Health(c) = &mut config {
        c.ack_timeout_ms = 5_000;
    }
    config
}

/// Runtime settings for tests: the department's broker user, `store_path`, and back-off
/// and breaker timings in milliseconds; retry steps match the test broker's retry queues.
pub fn runtime_config(broker: &TestBroker, department: Actor, store_path: &Path) -> RuntimeConfig {
    let amqp = broker.amqp_config(&broker.users[&department]);
    RuntimeConfig {
        outbound: OutboundConfig {
            backoff_base_ms: 10,
            backoff_max_ms: 100,
            retry_delays_ms: amqp.retry_delays_ms.clone(),
            breaker_open_ms: 100,
            ..OutboundConfig::default()
        },
        amqp: Some(amqp),
        store_path: store_path.to_owned(),
        // Identity reports only where a test asks for them (`AdapterRig::start_with`).
        identity_digest_interval_s: 0,
    }
}

/// One department's adapter and the simulator of its system.
#[derive(Debug)]
pub struct AdapterRig {
    /// The department.
    pub department: Actor,
    /// The simulator of its system.
    pub sim: Simulator,
    /// The running adapter.
    pub adapter: RunningAdapter,
    /// The adapter's broker connection (as the department's user).
    pub transport: AmqpTransport,
    store_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl AdapterRig {
    /// Starts the simulator and the adapter. The broker topology must already be declared
    /// (by the hub, or by [`declare_topology`]): a department's user may not declare it.
    pub async fn start(broker: &TestBroker, department: Actor) -> AdapterRig {
        Self::start_with(broker, department, |_| {}).await
    }

    /// [`AdapterRig::start`] with the runtime settings of [`runtime_config`] changed by
    /// `change` first.
    pub async fn start_with(
        broker: &TestBroker,
        department: Actor,
        change: impl FnOnce(&mut RuntimeConfig),
    ) -> AdapterRig {
        let sim = Simulator::start(sim_department(department), SimConfig::default())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut runtime = runtime_config(broker, department, &dir.path().join("adapter.sqlite"));
        change(&mut runtime);
        let assembled = assemble(&department_config(department, &sim)).unwrap();
        let transport = broker.department(department).await;
        let store = AdapterStore::open(&runtime.store_path).await.unwrap();
        let adapter = start(assembled, transport.clone(), store, &runtime)
            .await
            .unwrap();
        AdapterRig {
            department,
            sim,
            adapter,
            transport,
            store_path: runtime.store_path,
            _dir: dir,
        }
    }

    /// The adapter's SQLite file (open while it runs; other processes may read it).
    pub fn store_path(&self) -> &Path {
        &self.store_path
    }

    /// Where the department system sends to: an HTTP URL, or `host:port` for MLLP.
    pub fn inbound_target(&self) -> String {
        if self.department == Actor::Health {
            self.adapter.inbound_addr.to_string()
        } else {
            self.adapter.inbound_url()
        }
    }

    /// Sends `body` from the department system (its simulator's sender) to the adapter's
    /// inbound side: MLLP for the hospital, HTTP for the others.
    pub async fn send_from_department(&self, content_type: &str, body: Vec<u8>) -> dept_sim::Sent {
        let sender = dept_sim::Sender::new(sim_department(self.department), ADAPTER_WAIT)
            .expect("a simulator sender");
        let target = if self.department == Actor::Health {
            dept_sim::Target::Mllp(self.inbound_target())
        } else {
            dept_sim::Target::Http(self.inbound_target())
        };
        sender.send(&target, content_type, body).await
    }

    /// Stops the adapter, its connection and the simulator.
    pub async fn stop(self) {
        self.adapter.stop().await;
        self.transport.shutdown().await;
        self.sim.shutdown().await;
    }
}

impl AdapterRig {
    /// Stops the adapter and its broker connection but keeps the simulator running and the
    /// store file in place: what a restart of the adapter, or a restore of its store from a
    /// backup, starts from ([`StoppedAdapter::restart`]).
    pub async fn stop_adapter(self) -> StoppedAdapter {
        self.adapter.stop().await;
        self.transport.shutdown().await;
        StoppedAdapter {
            department: self.department,
            sim: self.sim,
            store_path: self.store_path,
            _dir: self._dir,
        }
    }
}

/// An [`AdapterRig`] whose adapter is stopped: the simulator of the department's system
/// runs on (deliveries wait in the department's queue), the store file stays.
#[derive(Debug)]
pub struct StoppedAdapter {
    /// The department.
    pub department: Actor,
    /// The simulator of its system, still running.
    pub sim: Simulator,
    store_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl StoppedAdapter {
    /// The adapter's SQLite file (closed: the test may replace or rewrite it).
    pub fn store_path(&self) -> &Path {
        &self.store_path
    }

    /// Starts the adapter again, with the runtime settings of [`runtime_config`], on the same
    /// store file and simulator and a new broker connection.
    pub async fn restart(self, broker: &TestBroker) -> AdapterRig {
        let runtime = runtime_config(broker, self.department, &self.store_path);
        let assembled = assemble(&department_config(self.department, &self.sim)).unwrap();
        let transport = broker.department(self.department).await;
        let store = AdapterStore::open(&runtime.store_path).await.unwrap();
        let adapter = start(assembled, transport.clone(), store, &runtime)
            .await
            .unwrap();
        AdapterRig {
            department: self.department,
            sim: self.sim,
            adapter,
            transport,
            store_path: self.store_path,
            _dir: self._dir,
        }
    }

    /// Stops the simulator.
    pub async fn stop(self) {
        self.sim.shutdown().await;
    }
}

/// Declares the hub's topology in the test vhost (as the hub user) and returns that
/// connection, for tests that run adapters without a hub.
pub async fn declare_topology(broker: &TestBroker) -> AmqpTransport {
    AmqpTransport::connect(
        broker.amqp_config(&broker.hub_user),
        Actor::DEPARTMENTS.to_vec(),
    )
    .await
    .unwrap()
}

/// A bound for every wait in adapter tests.
pub const ADAPTER_WAIT: Duration = Duration::from_secs(30);

/// The `adapter` binary of this build's target directory and profile, (re)built first (as
/// [`crate::process::hub_binary`] does for the hub).
pub async fn adapter_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test binary>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap().to_path_buf();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev".to_owned(),
        other => other.to_owned(),
    };
    let binary = profile_dir.join(format!("adapter{}", std::env::consts::EXE_SUFFIX));
    let mut build = tokio::process::Command::new(env!("CARGO"));
    build
        .args([
            "build",
            "-q",
            "-p",
            "adapter",
            "--bin",
            "adapter",
            "--profile",
            &profile,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(repo_root())
        .kill_on_drop(true);
    let status = tokio::time::timeout(Duration::from_secs(900), build.status())
        .await
        .expect("building the adapter binary took more than 15 minutes")
        .unwrap();
    assert!(
        status.success(),
        "cargo build -p adapter --bin adapter failed"
    );
    assert!(
        binary.exists(),
        "{} missing after the build",
        binary.display()
    );
    binary
}

/// Runs `adapter identity-digest --config <config>` (the real binary) within
/// [`ADAPTER_WAIT`], asserts it succeeded and returns what it printed.
pub async fn run_identity_digest(binary: &Path, config: &Path) -> String {
    let run = tokio::process::Command::new(binary)
        .args(["identity-digest", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(ADAPTER_WAIT, run)
        .await
        .expect("adapter identity-digest ends within the wait")
        .expect("adapter identity-digest runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "adapter identity-digest --config {} failed: {stdout}\n{}",
        config.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
