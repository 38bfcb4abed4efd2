//! Cross-crate tests: end-to-end runs of the hub over the real RabbitMQ, and (with the
//! embedded transport) the transport conformance suite; fault injection (connection cuts,
//! SIGKILL); golden files.
//!
//! This library is the harness the test files share:
//! * [`TestBroker`] — a vhost of its own on the shared broker, with one fresh user per
//!   department and one for the hub (users are broker-global, so their names carry the
//!   test's unique id), deleted again by [`TestBroker::cleanup`];
//! * [`TestHub`] — the hub started in-process over that vhost, with `hub/hub.example.toml`
//!   as configuration, a temporary store and an ephemeral HTTP port;
//! * [`own_broker::OwnBroker`] — a RabbitMQ node of the test's own, on its own ports, for
//!   tests that stop, restart or cut off the broker (never the shared one);
//! * [`adapters::AdapterRig`] — a department's adapter in-process on the test vhost, talking
//!   to a simulator of the department's system over the real protocol;
//! * helpers to build messages from the contract fixtures and to collect deliveries with
//!   bounded waits.
//!
//! Rule for every test: isolate (own vhost, own users, own store), bound every wait, never
//! stop the shared broker or touch other tests' connections. Without a broker, tests skip
//! with a clear line; with `CI=true` a missing broker fails them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test harness: a failure here is a test failure

pub mod adapters;
pub mod conformance;
pub mod own_broker;
pub mod process;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use contracts::model::Actor;
use hub::config::HubConfig;
use hub::store::Store;
use hub::transport::amqp::{AmqpConfig, AmqpDelivery, AmqpTransport, BrokerUser, ManagementClient};
use hub::transport::{Address, Consumer, Delivery, HeaderValue, Headers, Outgoing, Transport};
use serde_json::Value;

/// Management API of the shared broker.
pub const MANAGEMENT_URL: &str = "http://127.0.0.1:15672";

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Whether broker tests are mandatory (CI).
pub fn broker_mandatory() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A vhost and users of one test.
#[derive(Debug)]
pub struct TestBroker {
    /// Management client (admin).
    pub management: ManagementClient,
    /// The vhost.
    pub vhost: String,
    /// Department users, by department.
    pub users: BTreeMap<Actor, BrokerUser>,
    /// The hub's user.
    pub hub_user: BrokerUser,
}

impl TestBroker {
    /// Creates a vhost and users for a test named `name`; `None` when no broker is reachable
    /// and broker tests are not mandatory (the caller returns, the test is skipped).
    pub async fn create(name: &str) -> Option<TestBroker> {
        let management = ManagementClient::new(MANAGEMENT_URL, "guest", "guest").unwrap();
        if let Err(error) = management.overview().await {
            if broker_mandatory() {
                panic!("CI=true and the RabbitMQ management API is unreachable: {error}");
            }
            eprintln!(
                "SKIP {name}: RabbitMQ management API unreachable ({error}); run ops/scripts/ensure-services.sh"
            );
            return None;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let id = &id[..10];
        let vhost = format!("t-{name}-{id}");
        management.create_vhost(&vhost).await.unwrap();
        let mut users = BTreeMap::new();
        for department in contracts::model::Actor::DEPARTMENTS {
            let user = BrokerUser {
                department,
                username: format!("t-{id}-{}", department.as_str().to_ascii_lowercase()),
                password: format!("pw-{id}-{}", department.as_str()),
            };
            management.apply_user(&vhost, &user).await.unwrap();
            users.insert(department, user);
        }
        let hub_user = BrokerUser {
            department: Actor::Hub,
            username: format!("t-{id}-hub"),
            password: format!("pw-{id}-hub"),
        };
        management.apply_user(&vhost, &hub_user).await.unwrap();
        Some(TestBroker {
            management,
            vhost,
            users,
            hub_user,
        })
    }

    /// AMQP settings for `user` in this vhost, with short retry steps for tests.
    pub fn amqp_config(&self, user: &BrokerUser) -> AmqpConfig {
        let vhost = self.vhost.replace('/', "%2f");
        AmqpConfig {
            url: format!(
                "amqp://{}:{}@127.0.0.1:5672/{vhost}",
                user.username, user.password
            ),
            retry_delays_ms: vec![200, 1_000],
            confirm_timeout_ms: 10_000,
            connection_name: format!("test-{}", user.username),
            ..AmqpConfig::default()
        }
    }

    /// A connection as `department` (declares nothing: departments may not).
    pub async fn department(&self, department: Actor) -> AmqpTransport {
        AmqpTransport::connect(self.amqp_config(&self.users[&department]), Vec::new())
            .await
            .unwrap()
    }

    /// Deletes the vhost and the users.
    pub async fn cleanup(self) {
        self.management.delete_vhost(&self.vhost).await.ok();
        for user in self.users.values().chain(std::iter::once(&self.hub_user)) {
            self.management.delete_user(&user.username).await.ok();
        }
    }
}

/// The hub running in-process over a [`TestBroker`].
#[derive(Debug)]
pub struct TestHub {
    /// Its configuration.
    pub config: Arc<HubConfig>,
    /// Its store.
    pub store: Store,
    /// Its transport.
    pub transport: Arc<AmqpTransport>,
    running: Option<hub::app::Running>,
    /// Temporary directory of the store (kept alive with the hub).
    pub dir: tempfile::TempDir,
}

/// The example configuration adapted to a test broker: test users, test vhost, temporary
/// store, ephemeral HTTP port, retry steps matching the test transport's.
pub fn test_config(broker: &TestBroker, store_path: PathBuf) -> HubConfig {
    let example = repo_root().join("hub/hub.example.toml");
    let mut config = HubConfig::load(Some(&example), std::iter::empty()).unwrap();
    let amqp = broker.amqp_config(&broker.hub_user);
    config.pipeline.retry_delays_ms = amqp.retry_delays_ms.clone();
    config.transport.amqp = Some(amqp);
    for (department, user) in &broker.users {
        if let Some(d) = config.departments.get_mut(department) {
            d.broker_user = Some(user.username.clone());
        }
    }
    config.store.path = store_path;
    // Routing, fault and adapter tests play contract fixtures dated 2025: every deadline
    // counted from them ran out long ago, and the escalations would join the deliveries
    // under test. The deadline engine is tested on its own clock in hub/tests/deadlines.rs.
    config.deadlines.rules.clear();
    config.http.listen = "127.0.0.1:0".to_owned();
    config
}

/// The example configuration over any broker: the hub connects with `amqp`, each
/// department's `broker_user` is taken from `users`, temporary store, ephemeral HTTP port,
/// pipeline retry steps matching the transport's. [`test_config`] does the same for a
/// [`TestBroker`]'s vhost.
pub fn hub_config(
    amqp: AmqpConfig,
    users: &BTreeMap<Actor, BrokerUser>,
    store_path: PathBuf,
) -> HubConfig {
    let example = repo_root().join("hub/hub.example.toml");
    let mut config = HubConfig::load(Some(&example), std::iter::empty()).unwrap();
    config.pipeline.retry_delays_ms = amqp.retry_delays_ms.clone();
    config.transport.amqp = Some(amqp);
    for (department, user) in users {
        if let Some(d) = config.departments.get_mut(department) {
            d.broker_user = Some(user.username.clone());
        }
    }
    config.store.path = store_path;
    config.http.listen = "127.0.0.1:0".to_owned();
    config
}

impl TestHub {
    /// Starts the hub over the broker's vhost.
    pub async fn start(broker: &TestBroker) -> TestHub {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(broker, dir.path().join("hub.sqlite"));
        Self::start_with(config, dir).await
    }

    /// Starts the hub with a prepared configuration and store directory.
    pub async fn start_with(config: HubConfig, dir: tempfile::TempDir) -> TestHub {
        let registry = Arc::new(contracts::Registry::embedded().unwrap());
        if let Err(problems) = config.validate(&registry) {
            panic!("test config invalid: {problems:?}");
        }
        let config = Arc::new(config);
        let store = Store::open(&config.store.path).await.unwrap();
        let amqp = config.transport.amqp.clone().unwrap();
        let transport = Arc::new(
            AmqpTransport::connect(amqp, Actor::DEPARTMENTS.to_vec())
                .await
                .unwrap(),
        );
        let running = hub::app::start(
            Arc::clone(&config),
            registry,
            store.clone(),
            Arc::clone(&transport),
        )
        .await
        .unwrap();
        TestHub {
            config,
            store,
            transport,
            running: Some(running),
            dir,
        }
    }

    /// The HTTP API's address.
    pub fn http_address(&self) -> std::net::SocketAddr {
        self.running.as_ref().unwrap().http_address
    }

    /// Stops the hub; returns its store directory, so a restart can reuse the store.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        self.transport.shutdown().await;
        self.store.close().await;
        self.dir
    }
}

/// A valid fixture message (`contracts/fixtures/<rel>`), parsed.
pub fn fixture(rel: &str) -> Value {
    let path = repo_root().join("contracts/fixtures").join(rel);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// The message with a fresh `message_id` (and optionally a case id).
pub fn with_new_id(mut message: Value) -> Value {
    message["message_id"] = Value::from(uuid::Uuid::new_v4().to_string());
    message
}

/// Publishes `message` to the ingress of `department` over `transport` (as its user).
pub async fn submit(
    transport: &AmqpTransport,
    department: Actor,
    message: &Value,
) -> Result<(), hub::transport::TransportError> {
    transport
        .publish(Outgoing {
            address: Address::Ingress(department),
            message_type: message["message_type"]
                .as_str()
                .unwrap_or("UNKNOWN")
                .to_owned(),
            message_id: message["message_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            body: serde_json::to_vec(message).unwrap(),
            headers: Headers::new(),
        })
        .await
}

/// One received delivery, settled (acked) on receipt.
#[derive(Debug, Clone)]
pub struct Received {
    /// The message.
    pub message: Value,
    /// Its headers.
    pub headers: Headers,
}

impl Received {
    /// A text header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(HeaderValue::as_text)
    }

    /// An integer header.
    pub fn int_header(&self, name: &str) -> Option<i64> {
        self.headers.get(name).and_then(HeaderValue::as_int)
    }
}

/// Consumes `deliver.<department>` as that department until `count` messages arrived or
/// `timeout` passed; then keeps listening for `quiet` to catch extra (duplicate) deliveries.
pub async fn collect(
    transport: &AmqpTransport,
    department: Actor,
    count: usize,
    timeout: Duration,
    quiet: Duration,
) -> Vec<Received> {
    let mut consumer = transport
        .consume(Address::Deliver(department), 100)
        .await
        .unwrap();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let wait = if out.len() >= count {
            quiet
        } else {
            deadline.saturating_duration_since(tokio::time::Instant::now())
        };
        let next: Option<AmqpDelivery> = match tokio::time::timeout(wait, consumer.next()).await {
            Ok(d) => d,
            Err(_) => break,
        };
        let Some(delivery) = next else { break };
        let message = serde_json::from_slice(delivery.body()).unwrap();
        let headers = delivery.headers().clone();
        delivery.ack().await.unwrap();
        out.push(Received { message, headers });
    }
    out
}
