//! The RabbitMQ transport against the real broker on loopback.
//!
//! Each test creates its own vhost (and, where needed, its own users) through the
//! management API and deletes them when it ends, even on failure. Every wait is bounded.
//! Gate: when the broker is unreachable the test prints a `SKIP` line and passes, unless
//! `CI=true`, where it fails. Broker location: `HUB_TEST_AMQP_URL` (default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`; its user must be an administrator) and
//! `HUB_TEST_RABBITMQ_MANAGEMENT` (default `http://127.0.0.1:15672`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use contracts::model::Actor;
use hub::transport::amqp::topology::{self, DELIVER_EXCHANGE};
use hub::transport::amqp::{
    AmqpConfig, AmqpConsumer, AmqpDelivery, AmqpTransport, BrokerUser, ManagementClient,
    ValidatedUrl,
};
use hub::transport::{
    Address, Consumer, DeadLetterReason, Delivery, HeaderValue, Headers, Outgoing, Transport,
    TransportError, header,
};

/// Upper bound of every single wait.
const WAIT: Duration = Duration::from_secs(20);

fn amqp_url() -> String {
    std::env::var("HUB_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

fn management_url() -> String {
    std::env::var("HUB_TEST_RABBITMQ_MANAGEMENT")
        .unwrap_or_else(|_| "http://127.0.0.1:15672".to_owned())
}

/// A private vhost on the shared broker, deleted (with the users made for it) on drop.
struct Broker {
    base: ValidatedUrl,
    admin: ManagementClient,
    vhost: String,
    users: Mutex<Vec<String>>,
}

impl Broker {
    /// The isolated broker, or `None` (after a SKIP line) when it is unreachable.
    async fn start(test: &str) -> Option<Broker> {
        init_logs();
        let base = ValidatedUrl::parse(&amqp_url()).expect("HUB_TEST_AMQP_URL");
        let admin =
            ManagementClient::new(&management_url(), base.username(), base.password()).unwrap();
        if let Err(reason) = reachable(&admin).await {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true and RabbitMQ is unreachable: {reason}");
            }
            eprintln!(
                "SKIP {test}: RabbitMQ unreachable ({reason}); run ops/scripts/ensure-services.sh"
            );
            return None;
        }
        let vhost = format!(
            "hub-test-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        admin.create_vhost(&vhost).await.unwrap();
        let all = BrokerUser {
            department: Actor::Hub,
            username: base.username().to_owned(),
            password: String::new(),
        };
        admin
            .set_permissions(&vhost, base.username(), &all.permissions())
            .await
            .unwrap();
        Some(Broker {
            base,
            admin,
            vhost,
            users: Mutex::new(Vec::new()),
        })
    }

    /// Transport settings for `username` in this vhost, short delays for tests.
    fn config_as(&self, username: &str, password: &str) -> AmqpConfig {
        AmqpConfig {
            url: self
                .base
                .with_login(username, password, &self.vhost)
                .to_url_string(),
            confirm_timeout_ms: 5_000,
            reconnect_initial_ms: 50,
            reconnect_max_ms: 1_000,
            retry_delays_ms: vec![200],
            delivery_limit: 2,
            management_url: management_url(),
            connection_name: format!("{}-{username}", self.vhost),
            ..AmqpConfig::default()
        }
    }

    /// Settings for the administrator (the "hub" of these tests).
    fn config(&self) -> AmqpConfig {
        self.config_as(self.base.username(), self.base.password())
    }

    /// A hub transport with the topology for `departments` declared.
    async fn hub(&self, departments: &[Actor]) -> AmqpTransport {
        AmqpTransport::connect(self.config(), departments.to_vec())
            .await
            .unwrap()
    }

    /// Creates a department user (with least privileges) for this vhost.
    async fn department_user(&self, department: Actor) -> BrokerUser {
        let user = BrokerUser {
            department,
            username: format!(
                "{}-{}",
                self.vhost,
                BrokerUser::default_username(department)
            ),
            password: uuid::Uuid::new_v4().to_string(),
        };
        self.users.lock().unwrap().push(user.username.clone());
        self.admin.apply_user(&self.vhost, &user).await.unwrap();
        user
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let (management, user, password) = (
            management_url(),
            self.base.username().to_owned(),
            self.base.password().to_owned(),
        );
        let vhost = self.vhost.clone();
        let users = std::mem::take(
            &mut *self
                .users
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        // A fresh runtime and client on a plain thread: Drop may run inside (or after) the
        // test's runtime.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let admin = ManagementClient::new(&management, &user, &password).unwrap();
                if let Err(error) = admin.delete_vhost(&vhost).await {
                    eprintln!("cleanup: cannot delete vhost {vhost}: {error}");
                }
                for name in users {
                    if let Err(error) = admin.delete_user(&name).await {
                        eprintln!("cleanup: cannot delete user {name}: {error}");
                    }
                }
            });
        });
        if cleanup.join().is_err() {
            eprintln!("cleanup of {} panicked", self.vhost);
        }
    }
}

/// Transport logs on stderr with `RUST_LOG=hub=debug` (shown for failing tests).
fn init_logs() {
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer();
    if subscriber.try_init().is_err() {
        // Another test of this binary installed it already.
    }
}

async fn reachable(admin: &ManagementClient) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(5), admin.overview()).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => return Err(error.to_string()),
        Err(_) => return Err("management API did not answer within 5 s".to_owned()),
    }
    let base = ValidatedUrl::parse(&amqp_url()).map_err(|e| e.to_string())?;
    let address = reqwest::Url::parse(&base.to_url_string()).map_err(|e| e.to_string())?;
    let host = address.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = address.port().unwrap_or(5672);
    match tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("AMQP port {host}:{port}: {error}")),
        Err(_) => Err(format!("AMQP port {host}:{port} did not answer within 5 s")),
    }
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?}: {what}"))
}

async fn next(consumer: &mut AmqpConsumer, what: &str) -> AmqpDelivery {
    within(what, consumer.next())
        .await
        .unwrap_or_else(|| panic!("consumer ended: {what}"))
}

fn message(address: Address, message_type: &str) -> Outgoing {
    let mut headers = Headers::new();
    headers.insert(
        header::CASE_ID.to_owned(),
        HeaderValue::Text("CASE-1".to_owned()),
    );
    headers.insert(header::STREAM_SEQ.to_owned(), HeaderValue::Int(7));
    let message_id = uuid::Uuid::new_v4().to_string();
    Outgoing {
        address,
        message_type: message_type.to_owned(),
        body: format!(r#"{{"message_id":"{message_id}"}}"#).into_bytes(),
        message_id,
        headers,
    }
}

async fn wait_for_depth(broker: &Broker, queue: &str, messages: u64) {
    // Management statistics are refreshed every few seconds: poll within the bound.
    within(&format!("{queue} to hold {messages} messages"), async {
        loop {
            let depth = broker
                .admin
                .queue_depth(&broker.vhost, queue)
                .await
                .unwrap();
            if depth.messages == messages {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_is_confirmed_and_delivered_intact_and_ack_removes() {
    let Some(broker) =
        Broker::start("publish_is_confirmed_and_delivered_intact_and_ack_removes").await
    else {
        return;
    };
    let hub = broker.hub(&[Actor::Station]).await;
    assert!(hub.is_ready());
    let sent = message(Address::Deliver(Actor::Station), "REFERRAL");
    within("publish", hub.publish(sent.clone())).await.unwrap();

    let mut consumer = within("consume", hub.consume(Address::Deliver(Actor::Station), 10))
        .await
        .unwrap();
    let delivery = next(&mut consumer, "the published message").await;
    assert_eq!(delivery.body(), sent.body.as_slice());
    assert_eq!(delivery.message_id(), Some(sent.message_id.as_str()));
    assert_eq!(
        delivery.headers().get(header::CASE_ID),
        Some(&HeaderValue::Text("CASE-1".into()))
    );
    assert_eq!(
        delivery.headers().get(header::STREAM_SEQ),
        Some(&HeaderValue::Int(7))
    );
    assert_eq!(delivery.authenticated_user(), Some(broker.base.username()));
    assert!(!delivery.redelivered());
    assert_eq!(delivery.attempt(), 0);
    within("ack", delivery.ack()).await.unwrap();

    drop(consumer);
    wait_for_depth(&broker, "deliver.STATION", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unroutable_publishes_are_errors_not_successes() {
    let Some(broker) = Broker::start("unroutable_publishes_are_errors_not_successes").await else {
        return;
    };
    // Nothing declared: the exchange itself is missing.
    let bare = AmqpTransport::connect(broker.config(), Vec::new())
        .await
        .unwrap();
    let outcome = within(
        "publish without topology",
        bare.publish(message(Address::Deliver(Actor::Station), "X")),
    )
    .await;
    assert!(
        matches!(outcome, Err(TransportError::Unroutable { .. })),
        "{outcome:?}"
    );
    drop(bare);

    // Topology for GRID only: hub.deliver exists but nothing is bound to STATION.
    let hub = broker.hub(&[Actor::Grid]).await;
    let outcome = within(
        "publish without binding",
        hub.publish(message(Address::Deliver(Actor::Station), "X")),
    )
    .await;
    match outcome {
        Err(TransportError::Unroutable { detail, .. }) => {
            assert!(detail.contains("NO_ROUTE"), "{detail}")
        }
        other => panic!("expected Unroutable, got {other:?}"),
    }
    // The publisher channel is still usable for routable messages.
    within(
        "routable publish",
        hub.publish(message(Address::Deliver(Actor::Grid), "X")),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsettled_delivery_comes_back_redelivered() {
    let Some(broker) = Broker::start("an_unsettled_delivery_comes_back_redelivered").await else {
        return;
    };
    let hub = broker.hub(&[Actor::Station]).await;
    let sent = message(Address::Deliver(Actor::Station), "REFERRAL");
    within("publish", hub.publish(sent.clone())).await.unwrap();

    let mut consumer = hub
        .consume(Address::Deliver(Actor::Station), 1)
        .await
        .unwrap();
    let first = next(&mut consumer, "first delivery").await;
    assert!(!first.redelivered());
    drop(first);
    drop(consumer); // closes the channel without settling

    let mut consumer = hub
        .consume(Address::Deliver(Actor::Station), 1)
        .await
        .unwrap();
    let again = next(&mut consumer, "redelivery").await;
    assert_eq!(again.message_id(), Some(sent.message_id.as_str()));
    assert!(again.redelivered());
    within("ack", again.ack()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_later_comes_back_through_the_retry_queue_with_attempt_one() {
    let Some(broker) =
        Broker::start("retry_later_comes_back_through_the_retry_queue_with_attempt_one").await
    else {
        return;
    };
    let hub = broker.hub(&[Actor::Station]).await;
    let sent = message(Address::Deliver(Actor::Station), "REFERRAL");
    within("publish", hub.publish(sent.clone())).await.unwrap();

    let mut consumer = hub
        .consume(Address::Deliver(Actor::Station), 5)
        .await
        .unwrap();
    let first = next(&mut consumer, "first delivery").await;
    within("retry_later", first.retry_later(Duration::from_millis(100)))
        .await
        .unwrap();

    let retried = next(&mut consumer, "the retried copy").await;
    assert_eq!(retried.message_id(), Some(sent.message_id.as_str()));
    assert_eq!(retried.body(), sent.body.as_slice());
    assert_eq!(retried.attempt(), 1);
    assert_eq!(
        retried.headers().get(header::CASE_ID),
        Some(&HeaderValue::Text("CASE-1".into()))
    );
    assert_eq!(retried.authenticated_user(), Some(broker.base.username()));
    within("ack", retried.ack()).await.unwrap();
    drop(consumer);
    wait_for_depth(&broker, "retry.deliver.STATION.200ms", 0).await;
    wait_for_depth(&broker, "deliver.STATION", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letter_keeps_the_bytes_and_the_reasons() {
    let Some(broker) = Broker::start("dead_letter_keeps_the_bytes_and_the_reasons").await else {
        return;
    };
    let hub = broker.hub(&[Actor::Station, Actor::Grid]).await;
    let reason = DeadLetterReason {
        stage: "DEPARTMENT_4XX".to_owned(),
        reasons_json: r#"[{"pointer":"/body","code":"rejected","message":"422"}]"#.to_owned(),
    };
    for (work, dead) in [
        (
            Address::Deliver(Actor::Station),
            Address::Dead(Actor::Station),
        ),
        (Address::Ingress(Actor::Grid), Address::DeadIngress),
    ] {
        let sent = message(work, "REFERRAL");
        within("publish", hub.publish(sent.clone())).await.unwrap();
        let mut consumer = hub.consume(work, 5).await.unwrap();
        let delivery = next(&mut consumer, "delivery to dead-letter").await;
        within("dead_letter", delivery.dead_letter(reason.clone()))
            .await
            .unwrap();

        let mut dead_consumer = hub.consume(dead, 5).await.unwrap();
        let dead_letter = next(&mut dead_consumer, "the dead letter").await;
        assert_eq!(dead_letter.body(), sent.body.as_slice());
        assert_eq!(dead_letter.message_id(), Some(sent.message_id.as_str()));
        let text = |name: &str| {
            dead_letter
                .headers()
                .get(name)
                .and_then(HeaderValue::as_text)
                .map(str::to_owned)
        };
        assert_eq!(text(header::DEAD_STAGE).as_deref(), Some("DEPARTMENT_4XX"));
        assert_eq!(
            text(header::DEAD_REASONS).as_deref(),
            Some(reason.reasons_json.as_str())
        );
        assert_eq!(
            text(header::DEAD_PUBLISHER).as_deref(),
            Some(broker.base.username())
        );
        assert_eq!(text(header::CASE_ID).as_deref(), Some("CASE-1"));
        within("ack dead letter", dead_letter.ack()).await.unwrap();
        drop(consumer);
        wait_for_depth(&broker, &work.queue_name(), 0).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_limit_dead_letters_a_poison_message() {
    let Some(broker) = Broker::start("the_delivery_limit_dead_letters_a_poison_message").await
    else {
        return;
    };
    let hub = broker.hub(&[Actor::Station]).await;
    let sent = message(Address::Deliver(Actor::Station), "REFERRAL");
    within("publish", hub.publish(sent.clone())).await.unwrap();

    let mut dead = hub.consume(Address::Dead(Actor::Station), 5).await.unwrap();
    let mut work = hub
        .consume(Address::Deliver(Actor::Station), 1)
        .await
        .unwrap();
    let mut deliveries = 0;
    let poisoned = within("the poison message to reach dead.STATION", async {
        loop {
            tokio::select! {
                delivery = work.next() => {
                    let delivery = delivery.expect("work consumer ended");
                    assert_eq!(delivery.message_id(), Some(sent.message_id.as_str()));
                    deliveries += 1;
                    delivery.requeue().await.unwrap();
                }
                dead_letter = dead.next() => break dead_letter.expect("dead consumer ended"),
            }
        }
    })
    .await;
    assert_eq!(poisoned.message_id(), Some(sent.message_id.as_str()));
    let limit = broker.config().delivery_limit;
    assert!(
        deliveries > limit,
        "dead-lettered after {deliveries} deliveries, limit {limit}"
    );
    assert!(
        deliveries <= limit + 1,
        "{deliveries} deliveries exceed limit {limit} + 1"
    );
    within("ack", poisoned.ack()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_users_publish_only_their_own_keys_and_read_only_their_queue() {
    let Some(broker) =
        Broker::start("department_users_publish_only_their_own_keys_and_read_only_their_queue")
            .await
    else {
        return;
    };
    let hub = broker.hub(&Actor::DEPARTMENTS).await;
    let grid = broker.department_user(Actor::Grid).await;
    let as_grid =
        AmqpTransport::connect(broker.config_as(&grid.username, &grid.password), Vec::new())
            .await
            .unwrap();

    let own = message(Address::Ingress(Actor::Grid), "REFERRAL");
    within("GRID.REFERRAL", as_grid.publish(own.clone()))
        .await
        .unwrap();
    let forged = within(
        "POLICE.REFERRAL",
        as_grid.publish(message(Address::Ingress(Actor::Police), "REFERRAL")),
    )
    .await;
    assert!(
        matches!(forged, Err(TransportError::Refused(_))),
        "{forged:?}"
    );
    let direct = within(
        "hub.deliver",
        as_grid.publish(message(Address::Deliver(Actor::Police), "REFERRAL")),
    )
    .await;
    assert!(
        matches!(direct, Err(TransportError::Refused(_))),
        "{direct:?}"
    );
    // The refusals closed the publisher channel; the next publish reopens it.
    let second = message(Address::Ingress(Actor::Grid), "SIGHTING");
    within("second GRID publish", as_grid.publish(second.clone()))
        .await
        .unwrap();

    let refused = within(
        "consume deliver.POLICE",
        as_grid.consume(Address::Deliver(Actor::Police), 1),
    )
    .await;
    assert!(
        matches!(refused, Err(TransportError::Refused(_))),
        "{refused:?}"
    );
    within(
        "consume deliver.GRID",
        as_grid.consume(Address::Deliver(Actor::Grid), 1),
    )
    .await
    .unwrap();

    // The hub sees the broker-validated publisher, also on a retried copy.
    let mut ingress = hub
        .consume(Address::Ingress(Actor::Grid), 10)
        .await
        .unwrap();
    let first = next(&mut ingress, "GRID.REFERRAL at the hub").await;
    assert_eq!(first.message_id(), Some(own.message_id.as_str()));
    assert_eq!(first.authenticated_user(), Some(grid.username.as_str()));
    within("retry_later", first.retry_later(Duration::ZERO))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let delivery = next(&mut ingress, "GRID messages at the hub").await;
        assert_eq!(delivery.authenticated_user(), Some(grid.username.as_str()));
        seen.push((delivery.message_id().map(str::to_owned), delivery.attempt()));
        within("ack", delivery.ack()).await.unwrap();
    }
    seen.sort();
    let mut expected = vec![
        (Some(own.message_id.clone()), 1),
        (Some(second.message_id.clone()), 0),
    ];
    expected.sort();
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_refuses_a_forged_user_id() {
    let Some(broker) = Broker::start("the_broker_refuses_a_forged_user_id").await else {
        return;
    };
    let _hub = broker.hub(&[Actor::Station]).await;
    let url = broker.base.with_login(
        broker.base.username(),
        broker.base.password(),
        &broker.vhost,
    );
    let connection =
        lapin::Connection::connect(&url.to_url_string(), lapin::ConnectionProperties::default())
            .await
            .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(lapin::options::ConfirmSelectOptions::default())
        .await
        .unwrap();
    let properties = lapin::BasicProperties::default()
        .with_user_id("somebody-else".into())
        .with_delivery_mode(2);
    let options = lapin::options::BasicPublishOptions {
        mandatory: true,
        immediate: false,
    };
    let outcome = within("forged publish", async {
        let confirm = channel
            .basic_publish(
                DELIVER_EXCHANGE.into(),
                "STATION".into(),
                options,
                b"{}",
                properties,
            )
            .await?;
        confirm.await
    })
    .await;
    match outcome {
        Err(error) => assert!(
            error.to_string().contains("PRECONDITION") || error.is_amqp_soft_error(),
            "{error}"
        ),
        Ok(confirmation) => panic!("forged user_id was accepted: {confirmation:?}"),
    }
    wait_for_depth(&broker, "deliver.STATION", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_survives_closed_connections() {
    let Some(broker) = Broker::start("a_consumer_survives_closed_connections").await else {
        return;
    };
    let hub = broker.hub(&[Actor::Station]).await;
    let mut consumer = hub
        .consume(Address::Deliver(Actor::Station), 10)
        .await
        .unwrap();
    let before = message(Address::Deliver(Actor::Station), "REFERRAL");
    within("publish before", hub.publish(before.clone()))
        .await
        .unwrap();
    let delivery = next(&mut consumer, "message before the cut").await;
    within("ack", delivery.ack()).await.unwrap();

    // The management API lists a connection once its first statistics are in.
    within("the connection to be listed", async {
        while broker
            .admin
            .connections_of_vhost(&broker.vhost)
            .await
            .unwrap()
            .is_empty()
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let closed = within(
        "close connections",
        broker.admin.close_connections_of_vhost(&broker.vhost),
    )
    .await
    .unwrap();
    assert!(
        closed >= 1,
        "no connection of {} was found to close",
        broker.vhost
    );

    // Publishing may fail while the supervisor notices the cut; the outcome is then unknown
    // and the caller republishes (rule 1). Duplicates are allowed, loss is not.
    let after = message(Address::Deliver(Actor::Station), "REFERRAL");
    within("publish after the cut", async {
        while let Err(error) = hub.publish(after.clone()).await {
            assert!(error.is_transient(), "{error}");
        }
    })
    .await;
    let resumed = next(&mut consumer, "message after the cut").await;
    assert_eq!(resumed.message_id(), Some(after.message_id.as_str()));
    within("ack after", resumed.ack()).await.unwrap();
    assert!(hub.is_ready());

    hub.shutdown().await;
    assert!(
        within("next after shutdown", consumer.next())
            .await
            .is_none()
    );
    assert!(!hub.is_ready());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_definitions_match_the_declared_topology() {
    let Some(broker) = Broker::start("exported_definitions_match_the_declared_topology").await
    else {
        return;
    };
    let config = broker.config();
    let departments = Actor::DEPARTMENTS.to_vec();
    let users: Vec<BrokerUser> = departments
        .iter()
        .chain([Actor::Hub].iter())
        .map(|&department| BrokerUser {
            department,
            username: format!(
                "{}-{}",
                broker.vhost,
                BrokerUser::default_username(department)
            ),
            password: String::new(),
        })
        .collect();
    broker
        .users
        .lock()
        .unwrap()
        .extend(users.iter().map(|u| u.username.clone()));
    let definitions = topology::definitions_json(&broker.vhost, &departments, &users, &config);
    within("import", broker.admin.import_definitions(&definitions))
        .await
        .unwrap();

    // Same arguments, so re-declaring is accepted (a difference is PRECONDITION_FAILED).
    let hub = broker.hub(&departments).await;
    hub.declare_topology(&departments).await.unwrap();
    for queue in [
        "ingress.GRID",
        "deliver.POLICE",
        "dead.ingress",
        "retry.ingress.ORIGIN.200ms",
    ] {
        within(queue, broker.admin.queue_depth(&broker.vhost, queue))
            .await
            .unwrap();
    }

    // Imported users have no password until `hubctl rabbitmq setup` sets one.
    let mut grid = users
        .iter()
        .find(|u| u.department == Actor::Grid)
        .unwrap()
        .clone();
    let no_password = AmqpTransport::start(broker.config_as(&grid.username, "")).unwrap();
    assert!(
        no_password
            .wait_ready(Duration::from_millis(1_500))
            .await
            .is_err()
    );
    drop(no_password);
    grid.password = "set-by-setup".to_owned();
    broker.admin.apply_user(&broker.vhost, &grid).await.unwrap();
    let as_grid =
        AmqpTransport::connect(broker.config_as(&grid.username, &grid.password), Vec::new())
            .await
            .unwrap();
    within(
        "GRID publish",
        as_grid.publish(message(Address::Ingress(Actor::Grid), "REFERRAL")),
    )
    .await
    .unwrap();
}
