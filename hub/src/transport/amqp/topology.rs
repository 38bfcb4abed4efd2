//! The broker topology: exchanges, quorum queues, retry queues and bindings, planned once
//! ([`plan`]) and either declared on a channel ([`declare_topology`]) or exported as
//! RabbitMQ definitions ([`definitions_json`]).
//!
//! Invariant: declaration and export read the same [`Topology`] value, so a broker loaded
//! from `ops/rabbitmq/definitions.json` accepts the hub's own declarations (RabbitMQ refuses
//! a re-declaration with different arguments with `PRECONDITION_FAILED`).
//!
//! | exchange | type | binding → queue |
//! |---|---|---|
//! | `hub.ingress` | topic | `D.*` → `ingress.D` |
//! | `hub.deliver` | direct | `D` → `deliver.D` |
//! | `hub.dead` | direct | `D` → `dead.D`, `ingress` → `dead.ingress` |
//! | `hub.dead.D` | direct | `D` → `dead.D` |
//! | `hub.retry` | direct | `retry.ingress.D.<ms>ms` → the retry queue of that name |
//! | `hub.retry.D` | direct | `retry.deliver.D.<ms>ms` → the retry queue of that name |
//! | `hub.deliver` | direct | `D` and `hub.fence` → `hub.delivery-log` (stream) |
//!
//! The delivery log `hub.delivery-log` is a stream bound to `hub.deliver` with the same keys
//! as the delivery queues: one publish is routed to `deliver.D` *and* the log, so the log
//! holds a copy of every delivery exactly when the delivery queue does. The publisher reads
//! it to settle a publish whose confirm was lost (see `in_doubt`); the fence key routes only
//! to the log. Because the keys are the same, a delivery to a department without a queue
//! is still unroutable (`mandatory` returns it) rather than kept only in the log.
//!
//! Work queues (`ingress.D`, `deliver.D`) dead-letter to `hub.dead` at least once
//! (`x-dead-letter-strategy=at-least-once` needs `x-overflow=reject-publish`) and after
//! `x-delivery-limit` unsettled deliveries. Retry queues hold a copy for their TTL and then
//! dead-letter it through the default exchange straight back to their work queue.
//!
//! Why a `hub.retry` exchange rather than publishing to the default exchange: publishing to
//! the default exchange needs `write` on `amq.default`, which reaches *every* queue of the
//! vhost; a dedicated exchange keeps that permission scoped to the retry queues.
//!
//! Why `hub.retry.D` and `hub.dead.D` per department: a department's adapter consumes
//! `deliver.D` and settles with retry copies and dead letters, so its broker user must write
//! to a retry and a dead-letter exchange — but only to its own. With one exchange per
//! department, its `write` permission names exactly `hub.ingress`, `hub.retry.D` and
//! `hub.dead.D`: it cannot put a message into another department's queues. (`hub.dead`
//! stays the queues' broker-side dead-letter exchange, which needs no user permission.)

use contracts::model::Actor;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};
use serde_json::{Value, json};

use super::AmqpConfig;
use super::config::DELIVERY_LOG_SEGMENT_BYTES;
use super::management::BrokerUser;
use crate::transport::{Address, TransportError};

/// Topic exchange departments publish to, key `<SENDER>.<MESSAGE_TYPE>`.
pub const INGRESS_EXCHANGE: &str = "hub.ingress";
/// Direct exchange of deliveries to departments, key `<RECIPIENT>`.
pub const DELIVER_EXCHANGE: &str = "hub.deliver";
/// Direct exchange of dead letters, key `<RECIPIENT>` or `ingress`.
pub const DEAD_EXCHANGE: &str = "hub.dead";
/// Direct exchange of retry copies, key = the retry queue's name.
pub const RETRY_EXCHANGE: &str = "hub.retry";
/// Dead-letter routing key of refused ingress messages.
pub const DEAD_INGRESS_KEY: &str = "ingress";
/// The stream holding a copy of every delivery, bound to [`DELIVER_EXCHANGE`].
pub const DELIVERY_LOG_QUEUE: &str = "hub.delivery-log";
/// Routing key on [`DELIVER_EXCHANGE`] that reaches only the delivery log (fences).
pub const FENCE_KEY: &str = "hub.fence";

/// The retry exchange of a department's delivery queue (`hub.retry.<D>`).
pub fn department_retry_exchange(department: Actor) -> String {
    format!("{RETRY_EXCHANGE}.{}", department.as_str())
}

/// The dead-letter exchange a department's adapter publishes to (`hub.dead.<D>`).
pub fn department_dead_exchange(department: Actor) -> String {
    format!("{DEAD_EXCHANGE}.{}", department.as_str())
}

/// The exchange that carries retry copies of messages from the queue behind `address`.
pub fn retry_exchange(address: Address) -> String {
    match address {
        Address::Deliver(department) => department_retry_exchange(department),
        Address::Ingress(_) | Address::DeadIngress | Address::Dead(_) => RETRY_EXCHANGE.to_owned(),
    }
}

/// Where a publish goes: exchange and routing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Exchange name.
    pub exchange: String,
    /// Routing key.
    pub routing_key: String,
}

impl Route {
    fn new(exchange: &str, routing_key: impl Into<String>) -> Self {
        Self {
            exchange: exchange.to_owned(),
            routing_key: routing_key.into(),
        }
    }
}

/// The route of a publish to `address` (message type only matters for ingress).
pub fn route(address: Address, message_type: &str) -> Route {
    match address {
        Address::Ingress(sender) => Route::new(
            INGRESS_EXCHANGE,
            format!("{}.{message_type}", sender.as_str()),
        ),
        Address::Deliver(recipient) => Route::new(DELIVER_EXCHANGE, recipient.as_str()),
        Address::DeadIngress => Route::new(DEAD_EXCHANGE, DEAD_INGRESS_KEY),
        Address::Dead(recipient) => {
            Route::new(&department_dead_exchange(recipient), recipient.as_str())
        }
    }
}

/// The dead-letter address of the queue behind `address` (a dead queue is its own).
pub fn dead_address(address: Address) -> Address {
    match address {
        Address::Ingress(_) | Address::DeadIngress => Address::DeadIngress,
        Address::Deliver(recipient) | Address::Dead(recipient) => Address::Dead(recipient),
    }
}

/// Whether `address` is a work queue (has retry queues, delivery limit, dead-lettering).
pub fn is_work_queue(address: Address) -> bool {
    matches!(address, Address::Ingress(_) | Address::Deliver(_))
}

/// Name of the retry queue of `queue` for a delay step, e.g. `retry.deliver.GRID.5000ms`.
pub fn retry_queue_name(queue: &str, step_ms: u64) -> String {
    format!("retry.{queue}.{step_ms}ms")
}

/// A queue or exchange argument value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    /// A string argument.
    Text(String),
    /// An integer argument.
    Int(i64),
}

impl ArgValue {
    fn to_amqp(&self) -> AMQPValue {
        match self {
            ArgValue::Text(s) => AMQPValue::LongString(LongString::from(s.as_str())),
            ArgValue::Int(i) => AMQPValue::LongLongInt(*i),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            ArgValue::Text(s) => json!(s),
            ArgValue::Int(i) => json!(i),
        }
    }
}

/// A durable exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeSpec {
    /// Name.
    pub name: String,
    /// `topic` or `direct`.
    pub kind: &'static str,
}

/// A durable quorum queue with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// Name.
    pub name: String,
    /// Arguments (`x-queue-type`, dead-lettering, TTL, …), in a stable order.
    pub arguments: Vec<(&'static str, ArgValue)>,
}

/// A queue binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingSpec {
    /// Source exchange.
    pub exchange: String,
    /// Destination queue.
    pub queue: String,
    /// Binding key.
    pub routing_key: String,
}

/// Everything the hub declares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    /// Exchanges.
    pub exchanges: Vec<ExchangeSpec>,
    /// Queues.
    pub queues: Vec<QueueSpec>,
    /// Bindings.
    pub bindings: Vec<BindingSpec>,
}

impl Topology {
    fn bind(&mut self, exchange: &str, queue: &str, routing_key: &str) {
        self.bindings.push(BindingSpec {
            exchange: exchange.to_owned(),
            queue: queue.to_owned(),
            routing_key: routing_key.to_owned(),
        });
    }

    /// A work queue, its binding, and one retry queue (with binding) per delay step.
    fn add_work_queue(&mut self, address: Address, exchange: &str, key: &str, config: &AmqpConfig) {
        let retry_exchange = retry_exchange(address);
        let queue = address.queue_name();
        let dead_key = route(dead_address(address), "").routing_key;
        self.queues.push(QueueSpec {
            name: queue.clone(),
            arguments: work_queue_arguments(&dead_key, config),
        });
        self.bind(exchange, &queue, key);
        for &step in &config.retry_delays_ms {
            let name = retry_queue_name(&queue, step);
            self.queues.push(QueueSpec {
                name: name.clone(),
                arguments: retry_queue_arguments(&queue, step),
            });
            self.bind(&retry_exchange, &name, &name);
        }
    }

    fn add_dead_queue(&mut self, address: Address) {
        let queue = address.queue_name();
        let dead = route(address, "");
        self.queues.push(QueueSpec {
            name: queue.clone(),
            arguments: vec![quorum()],
        });
        // The broker's dead-lettering (x-dead-letter-exchange) comes through `hub.dead`; an
        // adapter's explicit dead letters through its own `hub.dead.<D>`.
        self.bind(DEAD_EXCHANGE, &queue, &dead.routing_key);
        if dead.exchange != DEAD_EXCHANGE {
            self.bind(&dead.exchange, &queue, &dead.routing_key);
        }
    }

    fn add_exchange(&mut self, name: String, kind: &'static str) {
        self.exchanges.push(ExchangeSpec { name, kind });
    }
}

fn quorum() -> (&'static str, ArgValue) {
    ("x-queue-type", ArgValue::Text("quorum".to_owned()))
}

fn work_queue_arguments(dead_key: &str, config: &AmqpConfig) -> Vec<(&'static str, ArgValue)> {
    vec![
        quorum(),
        (
            "x-dead-letter-exchange",
            ArgValue::Text(DEAD_EXCHANGE.to_owned()),
        ),
        (
            "x-dead-letter-routing-key",
            ArgValue::Text(dead_key.to_owned()),
        ),
        (
            "x-dead-letter-strategy",
            ArgValue::Text("at-least-once".to_owned()),
        ),
        ("x-overflow", ArgValue::Text("reject-publish".to_owned())),
        (
            "x-delivery-limit",
            ArgValue::Int(i64::from(config.delivery_limit)),
        ),
    ]
}

fn retry_queue_arguments(work_queue: &str, step_ms: u64) -> Vec<(&'static str, ArgValue)> {
    vec![
        quorum(),
        // Validation keeps steps within 32 bits, so this conversion is exact.
        (
            "x-message-ttl",
            ArgValue::Int(i64::try_from(step_ms).unwrap_or(i64::MAX)),
        ),
        ("x-dead-letter-exchange", ArgValue::Text(String::new())),
        (
            "x-dead-letter-routing-key",
            ArgValue::Text(work_queue.to_owned()),
        ),
        (
            "x-dead-letter-strategy",
            ArgValue::Text("at-least-once".to_owned()),
        ),
        ("x-overflow", ArgValue::Text("reject-publish".to_owned())),
    ]
}

fn delivery_log_arguments(config: &AmqpConfig) -> Vec<(&'static str, ArgValue)> {
    vec![
        ("x-queue-type", ArgValue::Text("stream".to_owned())),
        (
            "x-max-age",
            ArgValue::Text(format!("{}s", config.delivery_log_max_age_s)),
        ),
        // Validation keeps the size within 63 bits, so this conversion is exact.
        (
            "x-max-length-bytes",
            ArgValue::Int(i64::try_from(config.delivery_log_max_bytes).unwrap_or(i64::MAX)),
        ),
        (
            "x-stream-max-segment-size-bytes",
            ArgValue::Int(i64::try_from(DELIVERY_LOG_SEGMENT_BYTES).unwrap_or(i64::MAX)),
        ),
    ]
}

/// The topology for `departments` (the hub actor is skipped if present).
pub fn plan(departments: &[Actor], config: &AmqpConfig) -> Topology {
    let mut topology = Topology {
        exchanges: vec![
            ExchangeSpec {
                name: INGRESS_EXCHANGE.to_owned(),
                kind: "topic",
            },
            ExchangeSpec {
                name: DELIVER_EXCHANGE.to_owned(),
                kind: "direct",
            },
            ExchangeSpec {
                name: DEAD_EXCHANGE.to_owned(),
                kind: "direct",
            },
            ExchangeSpec {
                name: RETRY_EXCHANGE.to_owned(),
                kind: "direct",
            },
        ],
        ..Topology::default()
    };
    topology.add_dead_queue(Address::DeadIngress);
    topology.queues.push(QueueSpec {
        name: DELIVERY_LOG_QUEUE.to_owned(),
        arguments: delivery_log_arguments(config),
    });
    topology.bind(DELIVER_EXCHANGE, DELIVERY_LOG_QUEUE, FENCE_KEY);
    for &department in departments.iter().filter(|a| **a != Actor::Hub) {
        let code = department.as_str();
        topology.add_work_queue(
            Address::Ingress(department),
            INGRESS_EXCHANGE,
            &format!("{code}.*"),
            config,
        );
        topology.add_exchange(department_retry_exchange(department), "direct");
        topology.add_exchange(department_dead_exchange(department), "direct");
        topology.add_work_queue(Address::Deliver(department), DELIVER_EXCHANGE, code, config);
        topology.bind(DELIVER_EXCHANGE, DELIVERY_LOG_QUEUE, code);
        topology.add_dead_queue(Address::Dead(department));
    }
    topology
}

/// Declares the topology idempotently on `channel` (exchanges, then queues, then
/// bindings). A queue that exists with other arguments fails with `Refused`.
pub async fn declare_topology(
    channel: &Channel,
    departments: &[Actor],
    config: &AmqpConfig,
) -> Result<(), TransportError> {
    let topology = plan(departments, config);
    for exchange in &topology.exchanges {
        let kind = if exchange.kind == "topic" {
            ExchangeKind::Topic
        } else {
            ExchangeKind::Direct
        };
        let options = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        channel
            .exchange_declare(short(&exchange.name)?, kind, options, FieldTable::default())
            .await
            .map_err(|e| declare_error("exchange", &exchange.name, &e))?;
    }
    for queue in &topology.queues {
        let options = QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        };
        channel
            .queue_declare(short(&queue.name)?, options, field_table(&queue.arguments)?)
            .await
            .map_err(|e| declare_error("queue", &queue.name, &e))?;
    }
    for binding in &topology.bindings {
        channel
            .queue_bind(
                short(&binding.queue)?,
                short(&binding.exchange)?,
                short(&binding.routing_key)?,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| declare_error("binding to", &binding.queue, &e))?;
    }
    Ok(())
}

fn short(name: &str) -> Result<ShortString, TransportError> {
    ShortString::try_new(name)
        .map_err(|_| TransportError::Refused(format!("name longer than 255 bytes: {name}")))
}

fn field_table(arguments: &[(&'static str, ArgValue)]) -> Result<FieldTable, TransportError> {
    let mut table = FieldTable::default();
    for (name, value) in arguments {
        table.insert(short(name)?, value.to_amqp());
    }
    Ok(table)
}

fn declare_error(what: &str, name: &str, error: &lapin::Error) -> TransportError {
    if error.is_amqp_soft_error() {
        TransportError::Refused(format!("declaring {what} {name}: {error}"))
    } else {
        TransportError::Connection(format!("declaring {what} {name}: {error}"))
    }
}

/// RabbitMQ definitions (the format of `rabbitmqctl import_definitions` and
/// `POST /api/definitions`) for `vhost`: the same topology as [`declare_topology`], the
/// users with their permissions and topic permissions, and no passwords (`password_hash`
/// is empty: such a user cannot log in until `hubctl rabbitmq setup` sets its password).
pub fn definitions_json(
    vhost: &str,
    departments: &[Actor],
    users: &[BrokerUser],
    config: &AmqpConfig,
) -> Value {
    let topology = plan(departments, config);
    let exchanges: Vec<Value> = topology
        .exchanges
        .iter()
        .map(|e| {
            json!({"name": e.name, "vhost": vhost, "type": e.kind, "durable": true,
                   "auto_delete": false, "internal": false, "arguments": {}})
        })
        .collect();
    let queues: Vec<Value> = topology
        .queues
        .iter()
        .map(|q| {
            let arguments: serde_json::Map<String, Value> =
                q.arguments.iter().map(|(k, v)| ((*k).to_owned(), v.to_json())).collect();
            json!({"name": q.name, "vhost": vhost, "durable": true, "auto_delete": false, "arguments": arguments})
        })
        .collect();
    let bindings: Vec<Value> = topology
        .bindings
        .iter()
        .map(|b| {
            json!({"source": b.exchange, "vhost": vhost, "destination": b.queue, "destination_type": "queue",
                   "routing_key": b.routing_key, "arguments": {}})
        })
        .collect();
    json!({
        "rabbit_version": "3.10.8",
        "rabbitmq_version": "3.10.8",
        "users": users.iter().map(|u| json!({
            "name": u.username, "password_hash": "",
            "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": [], "limits": {}
        })).collect::<Vec<_>>(),
        "vhosts": [{"name": vhost}],
        "permissions": users.iter().map(|u| {
            let p = u.permissions();
            json!({"user": u.username, "vhost": vhost, "configure": p.configure, "write": p.write, "read": p.read})
        }).collect::<Vec<_>>(),
        "topic_permissions": users.iter().filter_map(|u| u.topic_permissions().map(|t| json!({
            "user": u.username, "vhost": vhost, "exchange": t.exchange, "write": t.write, "read": t.read
        }))).collect::<Vec<_>>(),
        "parameters": [],
        "global_parameters": [],
        "policies": [],
        "queues": queues,
        "exchanges": exchanges,
        "bindings": bindings,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn arg<'a>(queue: &'a QueueSpec, name: &str) -> &'a ArgValue {
        &queue.arguments.iter().find(|(k, _)| *k == name).unwrap().1
    }

    #[test]
    fn routes_follow_the_logical_topology() {
        assert_eq!(
            route(Address::Ingress(Actor::Grid), "REFERRAL"),
            Route::new("hub.ingress", "GRID.REFERRAL")
        );
        assert_eq!(
            route(Address::Deliver(Actor::Station), "X"),
            Route::new("hub.deliver", "STATION")
        );
        assert_eq!(
            route(Address::DeadIngress, "X"),
            Route::new("hub.dead", "ingress")
        );
        assert_eq!(
            route(Address::Dead(Actor::Police), "X"),
            Route::new("hub.dead.POLICE", "POLICE")
        );
        assert_eq!(
            retry_exchange(Address::Deliver(Actor::Grid)),
            "hub.retry.GRID"
        );
        assert_eq!(retry_exchange(Address::Ingress(Actor::Grid)), "hub.retry");
        assert_eq!(
            dead_address(Address::Ingress(Actor::Grid)),
            Address::DeadIngress
        );
        assert_eq!(
            dead_address(Address::Deliver(Actor::Grid)),
            Address::Dead(Actor::Grid)
        );
    }

    #[test]
    fn plan_has_every_queue_with_its_arguments() {
        let config = AmqpConfig::default();
        let topology = plan(&Actor::DEPARTMENTS, &config);
        // dead.ingress, the delivery log, and per department: ingress, deliver, dead, and 3
        // retry queues for each work queue.
        assert_eq!(topology.queues.len(), 2 + 7 * (3 + 2 * 3));
        let log = topology
            .queues
            .iter()
            .find(|q| q.name == DELIVERY_LOG_QUEUE)
            .unwrap();
        assert_eq!(arg(log, "x-queue-type"), &ArgValue::Text("stream".into()));
        assert_eq!(arg(log, "x-max-age"), &ArgValue::Text("3600s".into()));
        let log_keys: Vec<&str> = topology
            .bindings
            .iter()
            .filter(|b| b.queue == DELIVERY_LOG_QUEUE)
            .map(|b| b.routing_key.as_str())
            .collect();
        let deliver_keys: Vec<&str> = topology
            .bindings
            .iter()
            .filter(|b| b.exchange == DELIVER_EXCHANGE && b.queue.starts_with("deliver."))
            .map(|b| b.routing_key.as_str())
            .collect();
        assert_eq!(log_keys[0], FENCE_KEY);
        assert_eq!(
            &log_keys[1..],
            deliver_keys.as_slice(),
            "same keys as the delivery queues"
        );
        let work = topology
            .queues
            .iter()
            .find(|q| q.name == "deliver.GRID")
            .unwrap();
        assert_eq!(arg(work, "x-queue-type"), &ArgValue::Text("quorum".into()));
        assert_eq!(
            arg(work, "x-dead-letter-exchange"),
            &ArgValue::Text("hub.dead".into())
        );
        assert_eq!(
            arg(work, "x-dead-letter-routing-key"),
            &ArgValue::Text("GRID".into())
        );
        assert_eq!(
            arg(work, "x-dead-letter-strategy"),
            &ArgValue::Text("at-least-once".into())
        );
        assert_eq!(
            arg(work, "x-overflow"),
            &ArgValue::Text("reject-publish".into())
        );
        assert_eq!(arg(work, "x-delivery-limit"), &ArgValue::Int(10));
        let ingress = topology
            .queues
            .iter()
            .find(|q| q.name == "ingress.GRID")
            .unwrap();
        assert_eq!(
            arg(ingress, "x-dead-letter-routing-key"),
            &ArgValue::Text("ingress".into())
        );
        let retry = topology
            .queues
            .iter()
            .find(|q| q.name == "retry.ingress.GRID.60000ms")
            .unwrap();
        assert_eq!(arg(retry, "x-message-ttl"), &ArgValue::Int(60_000));
        assert_eq!(
            arg(retry, "x-dead-letter-exchange"),
            &ArgValue::Text(String::new())
        );
        assert_eq!(
            arg(retry, "x-dead-letter-routing-key"),
            &ArgValue::Text("ingress.GRID".into())
        );
        assert!(topology.queues.iter().all(|q| !q.name.contains("HUB")));
        let binding = |queue: &str| {
            topology
                .bindings
                .iter()
                .find(|b| b.queue == queue)
                .unwrap()
                .clone()
        };
        assert_eq!(binding("ingress.GRID").routing_key, "GRID.*");
        assert_eq!(binding("dead.ingress").routing_key, "ingress");
        assert_eq!(
            binding("retry.deliver.POLICE.5000ms").exchange,
            "hub.retry.POLICE"
        );
        assert_eq!(binding("retry.ingress.POLICE.5000ms").exchange, "hub.retry");
        let dead_police: Vec<&str> = topology
            .bindings
            .iter()
            .filter(|b| b.queue == "dead.POLICE")
            .map(|b| b.exchange.as_str())
            .collect();
        assert_eq!(dead_police, ["hub.dead", "hub.dead.POLICE"]);
        assert_eq!(topology.exchanges.len(), 4 + 2 * 7);
    }

    #[test]
    fn definitions_mirror_the_plan() {
        let config = AmqpConfig::default();
        let users = vec![BrokerUser {
            department: Actor::Grid,
            username: "grid".into(),
            password: "x".into(),
        }];
        let defs = definitions_json("/", &Actor::DEPARTMENTS, &users, &config);
        let topology = plan(&Actor::DEPARTMENTS, &config);
        assert_eq!(
            defs["queues"].as_array().unwrap().len(),
            topology.queues.len()
        );
        assert_eq!(
            defs["bindings"].as_array().unwrap().len(),
            topology.bindings.len()
        );
        assert_eq!(defs["users"][0]["password_hash"], "");
        assert_eq!(defs["topic_permissions"][0]["write"], "^GRID\\.");
        assert!(
            !defs.to_string().contains("\"x\""),
            "passwords never reach the definitions"
        );
    }
}
