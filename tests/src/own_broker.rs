//! A RabbitMQ node of the test's own, for tests that stop, restart or cut off the broker.
//!
//! The project rule: such tests never touch the shared broker on 127.0.0.1:5672. An
//! [`OwnBroker`] is a separate node (`hubtest-<id>@localhost`) of the machine's installed
//! `rabbitmq-server`, with its own AMQP and distribution ports (free ports in 20000–32000,
//! below Linux's ephemeral range so outgoing connections do not take them between a stop and
//! a restart), listening on 127.0.0.1 only, with its own mnesia, log, pid, configuration and
//! enabled-plugins files (no plugins: no management listener) in a temporary directory
//! owned by the `rabbitmq` user.
//!
//! How it runs on Debian (checked by hand on this machine): `/usr/sbin/rabbitmq-server` and
//! `/usr/sbin/rabbitmqctl` are wrappers that, run as root, `su` to `rabbitmq` (whose home is
//! `/var/lib/rabbitmq`), keeping the environment. Server and CLI therefore both read the one
//! cookie `/var/lib/rabbitmq/.erlang.cookie` and the `RABBITMQ_*` variables set here; nothing
//! needs copying. `/etc/rabbitmq/rabbitmq.conf` pins the shared node's listener to port
//! 5672, so `RABBITMQ_CONFIG_FILE` points at an empty file of the node's own;
//! `/etc/rabbitmq/rabbitmq-env.conf` is still read (its `NODENAME` is overridden by
//! `RABBITMQ_NODENAME`; its loopback-only distribution settings are kept). The wrapper joins
//! the arguments into a shell command in double quotes, so [`OwnBroker::rabbitmqctl`]
//! refuses arguments the shell would change (`` ` ``, `$` other than at the end, a `\`
//! before a character special in double quotes).
//!
//! Invariants:
//! * The node is stopped and its directory deleted when the [`OwnBroker`] is dropped, also
//!   when the test panics: `rabbitmqctl stop`, and if the node's OS process (its pid, read
//!   from the node's pid file) is still alive after that, `kill -KILL` of that pid only.
//! * [`OwnBroker::restart`] reuses the ports, the node name and the mnesia directory, so
//!   durable quorum queues, their messages, users and permissions survive it.
//! * Every command is bounded by a timeout.
//! * The node's beam process carries `-hubtest_node <node>` on its command line, so
//!   `ps aux | grep hubtest` finds a node left behind (RabbitMQ 3.10 passes its settings in
//!   the environment, not as arguments).
//!
//! Without `rabbitmq-server`, or when not running as root (the wrapper needs root to drop
//! to `rabbitmq`), [`OwnBroker::start`] prints `SKIP` and returns `None`; with `CI=true` it
//! panics instead.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use contracts::model::Actor;
use hub::config::HubConfig;
use hub::transport::amqp::{AmqpConfig, AmqpTransport, BrokerUser};
use serde_json::{Value, json};

use crate::broker_mandatory;

/// The server start script.
const RABBITMQ_SERVER: &str = "rabbitmq-server";
/// The control tool.
const RABBITMQCTL: &str = "rabbitmqctl";
/// Where Debian installs both when `PATH` lacks `/usr/sbin`.
const SBIN: &str = "/usr/sbin";
/// Longest a single `rabbitmqctl` command may take.
const CTL_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest a node may take to boot (`rabbitmqctl wait`).
const BOOT_TIMEOUT: Duration = Duration::from_secs(75);
/// Longest the node's OS process may take to exit after `rabbitmqctl stop` returned.
const EXIT_TIMEOUT: Duration = Duration::from_secs(15);
/// Fresh ports and directories tried before giving up (a port can be taken between the
/// check and the node's bind).
const START_ATTEMPTS: usize = 3;
/// The port range (below the ephemeral range 32768–60999).
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A RabbitMQ node of one test (see the module docs).
#[derive(Debug)]
pub struct OwnBroker {
    node: String,
    amqp_port: u16,
    dist_port: u16,
    dir: tempfile::TempDir,
    /// The OS pid of the running node, if it runs.
    pid: Mutex<Option<u32>>,
    /// Department users (conventional names `dept-<code>`, as in `hub.example.toml`).
    pub users: BTreeMap<Actor, BrokerUser>,
    /// The hub's user (`hub`).
    pub hub_user: BrokerUser,
}

/// Where an executable is: on `PATH`, or in `/usr/sbin`.
fn find_executable(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(std::iter::once(PathBuf::from(SBIN)))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Why this machine cannot run an own node, if it cannot.
fn unavailable() -> Option<String> {
    if find_executable(RABBITMQ_SERVER).is_none() || find_executable(RABBITMQCTL).is_none() {
        return Some("rabbitmq-server is not installed".to_owned());
    }
    match std::fs::metadata("/proc/self") {
        Ok(meta) if meta.uid() == 0 => None,
        Ok(meta) => Some(format!(
            "running as uid {}, but starting a RabbitMQ node as user rabbitmq needs root",
            meta.uid()
        )),
        Err(error) => Some(format!("cannot tell the user id: {error}")),
    }
}

/// A port nobody listens on now (on any address), not in `avoid`.
fn free_port(avoid: &[u16]) -> u16 {
    for _ in 0..1_000 {
        let random = uuid::Uuid::new_v4();
        let bytes = random.as_bytes();
        let offset = u16::from_le_bytes([bytes[0], bytes[1]]) % (PORTS.end - PORTS.start);
        let port = PORTS.start + offset;
        if avoid.contains(&port) {
            continue;
        }
        let free = std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
        if free {
            return port;
        }
    }
    panic!("no free port in {PORTS:?}");
}

/// A password of letters and digits (safe in the wrapper's shell quoting).
fn password() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Refuses arguments the `rabbitmqctl` wrapper's `sh -c "..."` would change: inside double
/// quotes `$` (except one at the very end, before the closing quote), `` ` `` and a `\`
/// before `$`, `` ` ``, `"`, `\` or the closing quote are special; `\.` is not.
fn check_shell_safe(arg: &str) {
    let dollar_inside = arg.strip_suffix('$').unwrap_or(arg).contains('$');
    let special_backslash = ["\\$", "\\`", "\\\"", "\\\\"]
        .iter()
        .any(|s| arg.contains(s))
        || arg.ends_with('\\');
    assert!(
        !dollar_inside && !arg.contains('`') && !special_backslash,
        "argument {arg:?} would be changed by the rabbitmqctl wrapper's shell quoting"
    );
}

/// Whether the process `pid` exists.
fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

impl OwnBroker {
    /// Starts a fresh node and creates a user per department plus the hub's user, with the
    /// permissions of [`BrokerUser::permissions`] and [`BrokerUser::topic_permissions`] on
    /// the vhost `/`. `None` (after printing `SKIP`) when this machine cannot run a node and
    /// `CI` is not `true`; panics when it should but cannot.
    pub async fn start() -> Option<OwnBroker> {
        if let Some(reason) = unavailable() {
            if broker_mandatory() {
                panic!("CI=true but no own RabbitMQ node can be started: {reason}");
            }
            eprintln!("SKIP: no own RabbitMQ node ({reason})");
            return None;
        }
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            let broker = OwnBroker::prepare();
            match broker.boot().await {
                Ok(()) => {
                    broker.add_users_batch().await;
                    eprintln!(
                        "own RabbitMQ node {} on 127.0.0.1:{} (distribution port {}, dir {})",
                        broker.node,
                        broker.amqp_port,
                        broker.dist_port,
                        broker.dir.path().display()
                    );
                    return Some(broker);
                }
                Err(error) => {
                    eprintln!("own RabbitMQ node, attempt {attempt}: {error}");
                    failures.push(error);
                    // Dropping it stops whatever started and deletes its directory.
                }
            }
        }
        panic!("cannot start an own RabbitMQ node: {failures:?}");
    }

    /// Names, ports and directory of a node that is not started yet.
    fn prepare() -> OwnBroker {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let node = format!("hubtest-{}@localhost", &id[..10]);
        let amqp_port = free_port(&[]);
        let dist_port = free_port(&[amqp_port]);
        let dir = tempfile::Builder::new()
            .prefix("hubtest-")
            .tempdir()
            .unwrap();
        for sub in ["mnesia", "log"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("enabled_plugins"), "[].\n").unwrap();
        std::fs::write(dir.path().join("rabbitmq.conf"), "").unwrap();
        let status = std::process::Command::new("chown")
            .arg("-R")
            .arg("rabbitmq:rabbitmq")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "chown of {} failed", dir.path().display());
        let users = contracts::model::Actor::DEPARTMENTS
            .into_iter()
            .map(|department| {
                let user = BrokerUser {
                    department,
                    username: BrokerUser::default_username(department),
                    password: password(),
                };
                (department, user)
            })
            .collect();
        let hub_user = BrokerUser {
            department: Actor::Hub,
            username: BrokerUser::default_username(Actor::Hub),
            password: password(),
        };
        OwnBroker {
            node,
            amqp_port,
            dist_port,
            dir,
            pid: Mutex::new(None),
            users,
            hub_user,
        }
    }

    /// The node name (`hubtest-<id>@localhost`).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The AMQP port on 127.0.0.1.
    pub fn amqp_port(&self) -> u16 {
        self.amqp_port
    }

    /// The node's directory (mnesia, log, pid file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn pid_file(&self) -> String {
        self.path("pid")
    }

    /// The environment of every `rabbitmq-server` and `rabbitmqctl` call for this node.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RABBITMQ_NODENAME", self.node.clone()),
            ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".to_owned()),
            ("RABBITMQ_NODE_PORT", self.amqp_port.to_string()),
            ("RABBITMQ_DIST_PORT", self.dist_port.to_string()),
            ("RABBITMQ_MNESIA_BASE", self.path("mnesia")),
            ("RABBITMQ_LOG_BASE", self.path("log")),
            ("RABBITMQ_PID_FILE", self.pid_file()),
            (
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.path("enabled_plugins"),
            ),
            ("RABBITMQ_CONFIG_FILE", self.path("rabbitmq.conf")),
            (
                "RABBITMQ_ADVANCED_CONFIG_FILE",
                self.path("advanced.config"),
            ),
            (
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                format!("-hubtest_node {}", self.node),
            ),
        ]
    }

    fn command(&self, program: &str) -> tokio::process::Command {
        let program = find_executable(program).unwrap();
        let mut command = tokio::process::Command::new(program);
        command
            .envs(self.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs `rabbitmqctl -n <node> <args>` (bounded); its stdout, or what went wrong.
    pub async fn rabbitmqctl(&self, args: &[&str]) -> Result<String, String> {
        for arg in args {
            check_shell_safe(arg);
        }
        let mut command = self.command(RABBITMQCTL);
        command.arg("-n").arg(&self.node).args(args);
        let output = match tokio::time::timeout(CTL_TIMEOUT, command.output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(error)) => return Err(format!("rabbitmqctl {args:?}: {error}")),
            Err(_) => {
                return Err(format!(
                    "rabbitmqctl {args:?}: no answer within {} s",
                    CTL_TIMEOUT.as_secs()
                ));
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "rabbitmqctl {args:?} failed ({}): {stdout}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Starts the node and waits until it runs (bounded).
    async fn boot(&self) -> Result<(), String> {
        let mut command = self.command(RABBITMQ_SERVER);
        command.arg("-detached");
        match tokio::time::timeout(CTL_TIMEOUT, command.output()).await {
            Ok(Ok(output)) if output.status.success() => {}
            Ok(Ok(output)) => {
                return Err(format!(
                    "rabbitmq-server -detached failed ({}): {}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
            Ok(Err(error)) => return Err(format!("rabbitmq-server -detached: {error}")),
            Err(_) => return Err("rabbitmq-server -detached did not return".to_owned()),
        }
        let pid_file = self.pid_file();
        let timeout = BOOT_TIMEOUT.as_secs().to_string();
        let waited = tokio::time::timeout(
            BOOT_TIMEOUT + Duration::from_secs(5),
            self.rabbitmqctl(&["wait", &pid_file, "--timeout", &timeout]),
        )
        .await;
        // Whatever happened, remember the node's pid so it can be stopped.
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
        {
            *self.pid.lock().unwrap() = Some(pid);
        }
        match waited {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(format!("{error}\n{}", self.log_tail())),
            Err(_) => Err(format!(
                "node {} not up within {} s\n{}",
                self.node,
                BOOT_TIMEOUT.as_secs(),
                self.log_tail()
            )),
        }
    }

    /// The last error lines of the node's log, for diagnostics.
    fn log_tail(&self) -> String {
        let log = self
            .dir
            .path()
            .join("log")
            .join(format!("{}.log", self.node));
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let errors: Vec<&str> = text.lines().filter(|l| l.contains("[error]")).collect();
        let start = errors.len().saturating_sub(8);
        errors[start..].join("\n")
    }

    /// The OS pid of the node while it runs.
    pub fn pid(&self) -> Option<u32> {
        *self.pid.lock().unwrap()
    }

    /// Whether the node's OS process is running.
    pub fn is_running(&self) -> bool {
        self.pid.lock().unwrap().is_some_and(alive)
    }

    /// Stops the node (`rabbitmqctl stop`, which waits for the OS process to exit); kills
    /// its process if it is still there afterwards. Panics if it cannot be stopped.
    pub async fn stop(&self) {
        let Some(pid) = *self.pid.lock().unwrap() else {
            return;
        };
        let pid_file = self.pid_file();
        if let Err(error) = self.rabbitmqctl(&["stop", &pid_file]).await {
            eprintln!("own RabbitMQ node {}: stop failed: {error}", self.node);
        }
        let deadline = Instant::now() + EXIT_TIMEOUT;
        while alive(pid) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await; // polling an OS process
        }
        if alive(pid) {
            kill(pid);
        }
        assert!(
            !alive(pid),
            "own RabbitMQ node {} (pid {pid}) still runs",
            self.node
        );
        *self.pid.lock().unwrap() = None;
    }

    /// Starts the stopped node again on the same ports and mnesia directory (queues,
    /// messages, users survive). Panics if it does not come up.
    pub async fn restart(&self) {
        assert!(
            !self.is_running(),
            "restart of a running node; stop it first"
        );
        if let Err(error) = self.boot().await {
            panic!("own RabbitMQ node {} did not restart: {error}", self.node);
        }
    }

    /// Creates `user` with its vhost and topic permissions (from [`BrokerUser`]) on `/`.
    pub async fn add_user(&self, user: &BrokerUser) {
        self.rabbitmqctl(&["add_user", &user.username, &user.password])
            .await
            .unwrap();
        let p = user.permissions();
        self.rabbitmqctl(&[
            "set_permissions",
            "-p",
            "/",
            &user.username,
            &p.configure,
            &p.write,
            &p.read,
        ])
        .await
        .unwrap();
        if let Some(t) = user.topic_permissions() {
            self.rabbitmqctl(&[
                "set_topic_permissions",
                "-p",
                "/",
                &user.username,
                &t.exchange,
                &t.write,
                &t.read,
            ])
            .await
            .unwrap();
        }
    }

    /// Creates every user of [`OwnBroker::users`] and [`OwnBroker::hub_user`] in one
    /// `rabbitmqctl import_definitions` (one CLI start instead of three per user), then
    /// checks that each user and its permissions are there.
    async fn add_users_batch(&self) {
        let all: Vec<&BrokerUser> = self
            .users
            .values()
            .chain(std::iter::once(&self.hub_user))
            .collect();
        let users: Vec<Value> = all
            .iter()
            .map(|u| json!({ "name": u.username, "password": u.password, "tags": [] }))
            .collect();
        let permissions: Vec<Value> = all
            .iter()
            .map(|u| {
                let p = u.permissions();
                json!({ "user": u.username, "vhost": "/", "configure": p.configure, "write": p.write, "read": p.read })
            })
            .collect();
        let topic_permissions: Vec<Value> = all
            .iter()
            .filter_map(|u| {
                u.topic_permissions().map(|t| {
                    json!({ "user": u.username, "vhost": "/", "exchange": t.exchange, "write": t.write, "read": t.read })
                })
            })
            .collect();
        let definitions = json!({
            "users": users,
            "permissions": permissions,
            "topic_permissions": topic_permissions,
        });
        let file = self.path("users.json");
        std::fs::write(&file, serde_json::to_vec(&definitions).unwrap()).unwrap();
        let imported = self.rabbitmqctl(&["import_definitions", &file]).await;
        // The file holds passwords; it is not needed any more.
        std::fs::remove_file(&file).ok();
        imported.unwrap();
        let listed = self
            .rabbitmqctl(&["list_topic_permissions", "-p", "/", "-q"])
            .await
            .unwrap();
        let permitted = self
            .rabbitmqctl(&["list_permissions", "-p", "/", "-q"])
            .await
            .unwrap();
        for user in &all {
            assert!(
                permitted
                    .lines()
                    .any(|l| l.split('\t').next() == Some(&user.username)),
                "user {} has no permissions after the import:\n{permitted}",
                user.username
            );
            if user.topic_permissions().is_some() {
                assert!(
                    listed
                        .lines()
                        .any(|l| l.split('\t').next() == Some(&user.username)),
                    "user {} has no topic permissions after the import:\n{listed}",
                    user.username
                );
            }
        }
    }

    /// AMQP settings for `user` on this node (vhost `/`), with short retry steps for tests.
    pub fn amqp_config(&self, user: &BrokerUser) -> AmqpConfig {
        AmqpConfig {
            url: format!(
                "amqp://{}:{}@127.0.0.1:{}/%2f",
                user.username, user.password, self.amqp_port
            ),
            retry_delays_ms: vec![200, 1_000],
            confirm_timeout_ms: 10_000,
            connection_name: format!("test-{}", user.username),
            // This node has no management plugin; nothing the hub runs uses the API.
            management_url: "http://127.0.0.1:1".to_owned(),
            ..AmqpConfig::default()
        }
    }

    /// A connection as `department` (declares nothing).
    pub async fn department(&self, department: Actor) -> AmqpTransport {
        AmqpTransport::connect(self.amqp_config(&self.users[&department]), Vec::new())
            .await
            .unwrap()
    }

    /// The example configuration over this node (see [`crate::hub_config`]).
    pub fn hub_config(&self, store_path: PathBuf) -> HubConfig {
        crate::hub_config(self.amqp_config(&self.hub_user), &self.users, store_path)
    }
}

/// `kill -KILL pid` (only ever the pid of a node this harness started).
fn kill(pid: u32) {
    let killed = std::process::Command::new("kill")
        .arg("-KILL")
        .arg(pid.to_string())
        .status();
    eprintln!("own RabbitMQ node pid {pid} killed: {killed:?}");
    let deadline = Instant::now() + EXIT_TIMEOUT;
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50)); // polling an OS process
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        let pid = *self.pid.get_mut().unwrap_or_else(PoisonError::into_inner);
        let Some(pid) = pid.filter(|p| alive(*p)) else {
            return; // the TempDir field deletes the directory
        };
        // Synchronous on purpose: Drop cannot await, and the node must not outlive the test.
        let program = find_executable(RABBITMQCTL).unwrap_or_else(|| PathBuf::from(RABBITMQCTL));
        let child = std::process::Command::new(program)
            .envs(self.env())
            .arg("-n")
            .arg(&self.node)
            .arg("stop")
            .arg(self.pid_file())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = child {
            let deadline = Instant::now() + CTL_TIMEOUT;
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100)); // polling a child process
            }
            if matches!(child.try_wait(), Ok(None)) {
                child.kill().ok();
                child.wait().ok();
            }
        }
        let deadline = Instant::now() + EXIT_TIMEOUT;
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100)); // polling an OS process
        }
        if alive(pid) {
            kill(pid);
        }
        if alive(pid) {
            eprintln!(
                "own RabbitMQ node {} (pid {pid}) could not be stopped; remove it by hand",
                self.node
            );
        }
    }
}
