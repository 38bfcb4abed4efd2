//! The embedded SQLite transport, without a broker: every test opens its own store file in
//! a temporary directory. Every wait is bounded by [`WAIT`]; timing assertions are lower
//! bounds only (a lease or retry delay cannot end early), never sleeps used to synchronise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use contracts::model::Actor;
use futures_util::future::join_all;
use hub::store::Store;
use hub::transport::embedded::{
    DELIVERY_LIMIT_STAGE, EmbeddedConfig, EmbeddedConsumer, EmbeddedDelivery, EmbeddedTransport,
};
use hub::transport::{
    Address, Consumer, DeadLetterReason, Delivery, HeaderValue, Headers, Outgoing, Transport,
    TransportError, header,
};
use tempfile::TempDir;

/// Upper bound of every single wait.
const WAIT: Duration = Duration::from_secs(20);

/// Test settings: fast polling, a short first retry step, a small delivery limit.
fn config() -> EmbeddedConfig {
    EmbeddedConfig {
        poll_interval_ms: 20,
        retry_delays_ms: vec![100, 60_000],
        delivery_limit: 3,
        ..EmbeddedConfig::default()
    }
}

fn with_lease(lease_ms: u64) -> EmbeddedConfig {
    EmbeddedConfig {
        lease_ms,
        ..config()
    }
}

async fn open_at(path: &Path, config: EmbeddedConfig) -> (Store, EmbeddedTransport) {
    let store = Store::open(path).await.unwrap();
    let transport = EmbeddedTransport::open(&store, config).await.unwrap();
    (store, transport)
}

async fn open(config: EmbeddedConfig) -> (TempDir, Store, EmbeddedTransport) {
    let dir = tempfile::tempdir().unwrap();
    let (store, transport) = open_at(&dir.path().join("data").join("hub.db"), config).await;
    (dir, store, transport)
}

fn message(address: Address, id: &str) -> Outgoing {
    let mut headers = Headers::new();
    headers.insert(
        header::MESSAGE_TYPE.to_owned(),
        HeaderValue::Text("REFERRAL".to_owned()),
    );
    headers.insert(header::STREAM_SEQ.to_owned(), HeaderValue::Int(7));
    Outgoing {
        address,
        message_type: "REFERRAL".to_owned(),
        message_id: id.to_owned(),
        body: format!("{{\"message_id\":\"{id}\"}}").into_bytes(),
        headers,
    }
}

async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

async fn next(consumer: &mut EmbeddedConsumer) -> EmbeddedDelivery {
    bounded("a delivery", consumer.next())
        .await
        .expect("the consumer ended")
}

/// Asserts that `consumer` yields nothing for `quiet`.
async fn assert_nothing_for(consumer: &mut EmbeddedConsumer, quiet: Duration) {
    if let Ok(delivery) = tokio::time::timeout(quiet, consumer.next()).await {
        panic!("expected no delivery, got {delivery:?}");
    }
}

fn text<'a>(delivery: &'a EmbeddedDelivery, name: &str) -> Option<&'a str> {
    delivery.headers().get(name).and_then(HeaderValue::as_text)
}

#[tokio::test]
async fn publish_consume_ack() {
    let (_dir, _store, transport) = open(config()).await;
    assert!(transport.is_ready());
    let address = Address::Deliver(Actor::Station);
    transport.publish(message(address, "m-1")).await.unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 1);

    let mut consumer = transport.consume(address, 10).await.unwrap();
    let delivery = next(&mut consumer).await;
    assert_eq!(delivery.body(), br#"{"message_id":"m-1"}"#);
    assert_eq!(delivery.message_id(), Some("m-1"));
    assert_eq!(delivery.message_type(), Some("REFERRAL"));
    assert_eq!(delivery.authenticated_user(), Some("hub"));
    assert_eq!(delivery.headers(), &message(address, "m-1").headers);
    assert!(!delivery.redelivered());
    assert_eq!(delivery.attempt(), 0);
    assert_eq!(delivery.delivery_count(), 1);
    assert_eq!(delivery.address(), address);

    // Held: invisible to another consumer.
    let mut other = transport.consume(address, 10).await.unwrap();
    assert_nothing_for(&mut other, Duration::from_millis(200)).await;

    delivery.ack().await.unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);
    assert_nothing_for(&mut other, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_department_handle_is_the_authenticated_publisher() {
    let (_dir, _store, transport) = open(config()).await;
    let grid = transport.as_publisher("grid");
    assert_eq!(grid.publisher(), "grid");
    let address = Address::Ingress(Actor::Grid);
    grid.publish(message(address, "g-1")).await.unwrap();
    transport.publish(message(address, "h-1")).await.unwrap();

    let mut consumer = transport.consume(address, 10).await.unwrap();
    let first = next(&mut consumer).await;
    let second = next(&mut consumer).await;
    assert_eq!(
        (first.message_id(), first.authenticated_user()),
        (Some("g-1"), Some("grid"))
    );
    assert_eq!(
        (second.message_id(), second.authenticated_user()),
        (Some("h-1"), Some("hub"))
    );
    first.ack().await.unwrap();
    second.ack().await.unwrap();
}

#[tokio::test]
async fn a_consumer_wakes_on_publish() {
    let (_dir, _store, transport) = open(EmbeddedConfig {
        poll_interval_ms: 60_000,
        ..config()
    })
    .await;
    let address = Address::Deliver(Actor::Police);
    let mut consumer = transport.consume(address, 1).await.unwrap();
    let waiting = tokio::spawn(async move {
        let delivery = next(&mut consumer).await;
        let id = delivery.message_id().unwrap().to_owned();
        delivery.ack().await.unwrap();
        id
    });
    // The consumer polls only every minute: the publish's wake-up must reach it (or its
    // first claim finds the message, if the publish came first).
    tokio::task::yield_now().await;
    transport.publish(message(address, "w-1")).await.unwrap();
    assert_eq!(bounded("the woken consumer", waiting).await.unwrap(), "w-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_consumers_never_get_the_same_row() {
    const COUNT: usize = 1_000;
    let (_dir, _store, transport) = open(config()).await;
    let address = Address::Deliver(Actor::Grid);
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let mut consumer = transport.consume(address, 10).await.unwrap();
        let acked = acked_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(delivery) = consumer.next().await {
                let id = delivery.message_id().unwrap().to_owned();
                delivery.ack().await.unwrap();
                seen.push(id.clone());
                acked.send(id).unwrap();
            }
            seen
        }));
    }
    let publishes = (0..COUNT).map(|i| {
        let transport = transport.clone();
        async move { transport.publish(message(address, &format!("m-{i}"))).await }
    });
    for outcome in join_all(publishes).await {
        outcome.unwrap();
    }
    for _ in 0..COUNT {
        bounded("an ack", acked_rx.recv()).await.unwrap();
    }
    transport.shutdown().await;
    let mut per_consumer = Vec::new();
    for task in tasks {
        per_consumer.push(bounded("a consumer to end", task).await.unwrap());
    }
    let sets: Vec<HashSet<&String>> = per_consumer.iter().map(|s| s.iter().collect()).collect();
    for (seen, set) in per_consumer.iter().zip(&sets) {
        assert_eq!(seen.len(), set.len(), "a consumer got a row twice");
    }
    assert!(
        sets[0].is_disjoint(&sets[1]),
        "both consumers got {:?}",
        sets[0].intersection(&sets[1]).take(5).collect::<Vec<_>>()
    );
    let union: HashSet<&String> = sets[0].union(&sets[1]).copied().collect();
    let expected: Vec<String> = (0..COUNT).map(|i| format!("m-{i}")).collect();
    assert_eq!(union, expected.iter().collect());
    assert!(
        !sets[0].is_empty() && !sets[1].is_empty(),
        "both consumers took part ({} / {})",
        sets[0].len(),
        sets[1].len()
    );
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);
}

#[tokio::test]
async fn a_dropped_consumers_delivery_comes_back_after_the_lease() {
    let (_dir, _store, transport) = open(with_lease(300)).await;
    let address = Address::Deliver(Actor::Health);
    transport.publish(message(address, "d-1")).await.unwrap();

    let start = Instant::now();
    let mut first = transport.consume(address, 1).await.unwrap();
    let delivery = next(&mut first).await;
    assert!(!delivery.redelivered());
    drop(delivery);
    drop(first);

    let mut second = transport.consume(address, 1).await.unwrap();
    let again = next(&mut second).await;
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "came back before its lease ended ({:?})",
        start.elapsed()
    );
    assert_eq!(again.message_id(), Some("d-1"));
    assert!(again.redelivered());
    assert_eq!(again.delivery_count(), 2);
    assert_eq!(again.attempt(), 0);
    again.ack().await.unwrap();
}

#[tokio::test]
async fn a_slow_handler_keeps_its_lease() {
    let (_dir, _store, transport) = open(with_lease(150)).await;
    let address = Address::Deliver(Actor::Civil);
    transport.publish(message(address, "s-1")).await.unwrap();
    let mut slow = transport.consume(address, 1).await.unwrap();
    let delivery = next(&mut slow).await;
    // Five leases long: renewal keeps it away from the other consumer.
    let mut other = transport.consume(address, 1).await.unwrap();
    assert_nothing_for(&mut other, Duration::from_millis(750)).await;
    delivery.ack().await.unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);
}

#[tokio::test]
async fn unhanded_prefetched_rows_are_given_back_at_once() {
    let (_dir, _store, transport) = open(config()).await;
    let address = Address::Deliver(Actor::Citymgmt);
    for i in 0..3 {
        transport
            .publish(message(address, &format!("p-{i}")))
            .await
            .unwrap();
    }
    let mut greedy = transport.consume(address, 3).await.unwrap();
    let first = next(&mut greedy).await; // claims all three, hands out one
    drop(greedy); // gives back the two it never handed out

    // The default lease is 30 s: only the release lets these through in time.
    let mut other = transport.consume(address, 3).await.unwrap();
    let a = next(&mut other).await;
    let b = next(&mut other).await;
    assert_eq!((a.message_id(), b.message_id()), (Some("p-1"), Some("p-2")));
    assert!(
        !a.redelivered() && !b.redelivered(),
        "a claim never handed out does not count"
    );
    for delivery in [first, a, b] {
        delivery.ack().await.unwrap();
    }
}

#[tokio::test]
async fn retry_later_comes_back_after_the_step_with_the_next_attempt() {
    let (_dir, _store, transport) = open(config()).await;
    let address = Address::Ingress(Actor::Police);
    transport
        .as_publisher("police")
        .publish(message(address, "r-1"))
        .await
        .unwrap();
    let mut consumer = transport.consume(address, 5).await.unwrap();
    let delivery = next(&mut consumer).await;
    let start = Instant::now();
    delivery
        .retry_later(Duration::from_millis(50))
        .await
        .unwrap();

    let retried = next(&mut consumer).await;
    assert!(
        start.elapsed() >= Duration::from_millis(90),
        "the 100 ms step ended early ({:?})",
        start.elapsed()
    );
    assert_eq!(retried.message_id(), Some("r-1"));
    assert_eq!(retried.attempt(), 1);
    assert_eq!(
        retried.headers().get(header::ATTEMPT),
        Some(&HeaderValue::Int(1))
    );
    assert_eq!(
        retried.headers().get(header::STREAM_SEQ),
        Some(&HeaderValue::Int(7)),
        "other headers are kept"
    );
    assert!(!retried.redelivered(), "a retry is a fresh delivery");
    assert_eq!(retried.authenticated_user(), Some("police"));

    retried.retry_later(Duration::ZERO).await.unwrap();
    let twice = next(&mut consumer).await;
    assert_eq!(twice.attempt(), 2);
    twice.ack().await.unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);
}

#[tokio::test]
async fn a_retried_message_is_overtaken_meanwhile() {
    let (_dir, _store, transport) = open(config()).await;
    let address = Address::Deliver(Actor::Origin);
    for id in ["o-1", "o-2"] {
        transport.publish(message(address, id)).await.unwrap();
    }
    let mut consumer = transport.consume(address, 1).await.unwrap();
    next(&mut consumer)
        .await
        .retry_later(Duration::from_millis(100))
        .await
        .unwrap();
    let second = next(&mut consumer).await;
    assert_eq!(second.message_id(), Some("o-2"));
    second.ack().await.unwrap();
    let first = next(&mut consumer).await;
    assert_eq!((first.message_id(), first.attempt()), (Some("o-1"), 1));
    first.ack().await.unwrap();
}

#[tokio::test]
async fn dead_letter_keeps_everything_in_the_dead_queue() {
    let (_dir, _store, transport) = open(config()).await;
    // A delivery queue dead-letters into dead.<RECIPIENT>.
    let address = Address::Deliver(Actor::Health);
    let original = message(address, "x-1");
    transport.publish(original.clone()).await.unwrap();
    let mut consumer = transport.consume(address, 5).await.unwrap();
    let reason = DeadLetterReason {
        stage: "DEPARTMENT_4XX".to_owned(),
        reasons_json: r#"[{"pointer":"/payload","code":"HTTP_422","message":"refused"}]"#
            .to_owned(),
    };
    next(&mut consumer)
        .await
        .dead_letter(reason.clone())
        .await
        .unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);

    let mut dead = transport
        .consume(Address::Dead(Actor::Health), 5)
        .await
        .unwrap();
    let letter = next(&mut dead).await;
    assert_eq!(letter.body(), original.body.as_slice());
    assert_eq!(letter.message_id(), Some("x-1"));
    assert_eq!(text(&letter, header::DEAD_STAGE), Some("DEPARTMENT_4XX"));
    assert_eq!(
        text(&letter, header::DEAD_REASONS),
        Some(reason.reasons_json.as_str())
    );
    assert_eq!(text(&letter, header::DEAD_PUBLISHER), Some("hub"));
    for (name, value) in &original.headers {
        assert_eq!(
            letter.headers().get(name),
            Some(value),
            "header {name} kept"
        );
    }
    letter.ack().await.unwrap();

    // An ingress queue dead-letters into dead.ingress, naming its publisher.
    let ingress = Address::Ingress(Actor::Grid);
    transport
        .as_publisher("grid")
        .publish(message(ingress, "x-2"))
        .await
        .unwrap();
    let mut consumer = transport.consume(ingress, 5).await.unwrap();
    next(&mut consumer)
        .await
        .dead_letter(DeadLetterReason {
            stage: "CONTRACT".to_owned(),
            reasons_json: "[]".to_owned(),
        })
        .await
        .unwrap();
    let mut dead = transport.consume(Address::DeadIngress, 5).await.unwrap();
    let letter = next(&mut dead).await;
    assert_eq!(letter.message_id(), Some("x-2"));
    assert_eq!(text(&letter, header::DEAD_STAGE), Some("CONTRACT"));
    assert_eq!(text(&letter, header::DEAD_PUBLISHER), Some("grid"));
    assert_eq!(letter.authenticated_user(), Some("grid"));
    letter.ack().await.unwrap();
}

#[tokio::test]
async fn the_delivery_limit_moves_a_poison_message_to_the_dead_queue() {
    let (_dir, _store, transport) = open(with_lease(100)).await;
    let limit = transport.config().delivery_limit;
    let address = Address::Deliver(Actor::Grid);
    transport.publish(message(address, "poison")).await.unwrap();
    for delivery_count in 1..=limit {
        let mut consumer = transport.consume(address, 1).await.unwrap();
        let delivery = next(&mut consumer).await;
        assert_eq!(delivery.message_id(), Some("poison"));
        assert_eq!(delivery.delivery_count(), delivery_count);
        // The consumer "dies" with the delivery unsettled.
        drop(delivery);
        drop(consumer);
    }
    let mut last = transport.consume(address, 1).await.unwrap();
    let mut dead = transport
        .consume(Address::Dead(Actor::Grid), 1)
        .await
        .unwrap();
    let letter = tokio::select! {
        delivery = last.next() => panic!("delivered beyond the limit: {delivery:?}"),
        letter = bounded("the dead letter", dead.next()) => letter.unwrap(),
    };
    assert_eq!(letter.message_id(), Some("poison"));
    assert_eq!(
        text(&letter, header::DEAD_STAGE),
        Some(DELIVERY_LIMIT_STAGE)
    );
    assert!(
        text(&letter, header::DEAD_REASONS)
            .unwrap()
            .contains("delivered 4 times"),
        "{:?}",
        text(&letter, header::DEAD_REASONS)
    );
    assert_eq!(text(&letter, header::DEAD_PUBLISHER), Some("hub"));
    assert_eq!(text(&letter, header::MESSAGE_TYPE), Some("REFERRAL"));
    letter.ack().await.unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);
}

#[tokio::test]
async fn a_queue_delivers_in_publish_order() {
    const COUNT: usize = 500;
    let (_dir, _store, transport) = open(config()).await;
    let address = Address::Deliver(Actor::Station);
    for i in 0..COUNT {
        transport
            .publish(message(address, &format!("{i:04}")))
            .await
            .unwrap();
    }
    let mut consumer = transport.consume(address, 50).await.unwrap();
    let mut order = Vec::with_capacity(COUNT);
    for _ in 0..COUNT {
        let delivery = next(&mut consumer).await;
        order.push(delivery.message_id().unwrap().to_owned());
        delivery.ack().await.unwrap();
    }
    let expected: Vec<String> = (0..COUNT).map(|i| format!("{i:04}")).collect();
    assert_eq!(order, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishes_are_group_committed() {
    const COUNT: usize = 200;
    // Small batches: 200 concurrent publishes need several commits.
    let (_dir, _store, transport) = open(EmbeddedConfig {
        group_commit_max_batch: 16,
        ..config()
    })
    .await;
    let address = Address::Deliver(Actor::Police);
    let publishes = (0..COUNT).map(|i| {
        let transport = transport.clone();
        tokio::spawn(async move { transport.publish(message(address, &format!("c-{i}"))).await })
    });
    for outcome in bounded("the publishes", join_all(publishes)).await {
        outcome.unwrap().unwrap();
    }
    assert_eq!(transport.queue_depth(address).await.unwrap(), 200);
    let mut consumer = transport.consume(address, 100).await.unwrap();
    let mut seen = BTreeSet::new();
    for _ in 0..COUNT {
        let delivery = next(&mut consumer).await;
        assert!(seen.insert(delivery.message_id().unwrap().to_owned()));
        delivery.ack().await.unwrap();
    }
    let expected: BTreeSet<String> = (0..COUNT).map(|i| format!("c-{i}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn unacked_messages_survive_closing_and_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let address = Address::Deliver(Actor::Station);
    {
        let (store, transport) = open_at(&path, with_lease(300)).await;
        for i in 0..10 {
            transport
                .publish(message(address, &format!("k-{i}")))
                .await
                .unwrap();
        }
        let mut consumer = transport.consume(address, 2).await.unwrap();
        let acked = next(&mut consumer).await;
        let held = next(&mut consumer).await;
        assert_eq!(
            (acked.message_id(), held.message_id()),
            (Some("k-0"), Some("k-1"))
        );
        acked.ack().await.unwrap();
        // Everything goes away without settling `held` (as in a crash).
        drop(held);
        drop(consumer);
        drop(transport);
        store.close().await;
    }
    let (_store, transport) = open_at(&path, with_lease(300)).await;
    assert_eq!(transport.queue_depth(address).await.unwrap(), 9);
    let mut consumer = transport.consume(address, 20).await.unwrap();
    let mut seen = BTreeSet::new();
    for _ in 0..9 {
        let delivery = next(&mut consumer).await;
        let id = delivery.message_id().unwrap().to_owned();
        assert_eq!(delivery.redelivered(), id == "k-1", "{id}");
        assert!(seen.insert(id));
        delivery.ack().await.unwrap();
    }
    let expected: BTreeSet<String> = (1..10).map(|i| format!("k-{i}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);
}

#[tokio::test]
async fn settling_a_lost_lease_fails_and_changes_nothing() {
    let (_dir, store, transport) = open(config()).await;
    let address = Address::Deliver(Actor::Grid);
    transport.publish(message(address, "l-1")).await.unwrap();
    let mut consumer = transport.consume(address, 1).await.unwrap();
    let delivery = next(&mut consumer).await;
    // What an expired lease taken over by another consumer looks like in the table.
    sqlx::query("UPDATE queue_messages SET lease_owner = 'someone-else'")
        .execute(store.pool())
        .await
        .unwrap();
    let error = delivery.ack().await.unwrap_err();
    assert!(matches!(error, TransportError::Settle(_)), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(transport.queue_depth(address).await.unwrap(), 1);
}

#[tokio::test]
async fn enqueue_in_is_part_of_the_callers_transaction() {
    let (_dir, store, transport) = open(config()).await;
    let address = Address::Deliver(Actor::Civil);

    let mut tx = store.pool().begin().await.unwrap();
    transport
        .enqueue_in(&mut tx, &message(address, "rolled-back"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);

    let mut consumer = transport.consume(address, 1).await.unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    transport
        .enqueue_in(&mut tx, &message(address, "committed"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    transport.wake(address);
    let delivery = next(&mut consumer).await;
    assert_eq!(delivery.message_id(), Some("committed"));
    delivery.ack().await.unwrap();
}

#[tokio::test]
async fn shutdown_ends_consumers_and_publishes_but_lets_in_flight_work_settle() {
    let (_dir, _store, transport) = open(config()).await;
    let address = Address::Ingress(Actor::Health);
    transport.publish(message(address, "f-1")).await.unwrap();
    let mut consumer = transport.consume(address, 1).await.unwrap();
    let in_flight = next(&mut consumer).await;

    let mut idle = transport.consume(address, 1).await.unwrap();
    let waiting = tokio::spawn(async move { idle.next().await.is_none() });
    tokio::task::yield_now().await;
    transport.shutdown().await;
    assert!(
        bounded("the idle consumer to end", waiting).await.unwrap(),
        "next() must return None after shutdown"
    );
    assert!(
        bounded("the consumer to end", consumer.next())
            .await
            .is_none()
    );
    assert!(!transport.is_ready());
    assert!(matches!(
        transport.publish(message(address, "f-2")).await,
        Err(TransportError::Shutdown)
    ));
    assert!(matches!(
        transport.consume(address, 1).await,
        Err(TransportError::Shutdown)
    ));
    in_flight.ack().await.unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);
}

#[tokio::test]
async fn works_on_the_in_memory_store() {
    let store = Store::open_in_memory().await.unwrap();
    let transport = EmbeddedTransport::open(&store, config()).await.unwrap();
    let address = Address::Deliver(Actor::Police);
    transport.publish(message(address, "mem-1")).await.unwrap();
    let mut consumer = transport.consume(address, 1).await.unwrap();
    let delivery = next(&mut consumer).await;
    assert_eq!(delivery.message_id(), Some("mem-1"));
    delivery.ack().await.unwrap();
    assert_eq!(transport.queue_depth(address).await.unwrap(), 0);
}

#[tokio::test]
async fn opening_twice_is_idempotent_and_bad_config_is_refused() {
    let (_dir, store, transport) = open(config()).await;
    let address = Address::Deliver(Actor::Grid);
    transport.publish(message(address, "i-1")).await.unwrap();
    let again = EmbeddedTransport::open(&store, config()).await.unwrap();
    assert_eq!(again.queue_depth(address).await.unwrap(), 1);
    let bad = EmbeddedConfig {
        lease_ms: 0,
        ..config()
    };
    assert!(EmbeddedTransport::open(&store, bad).await.is_err());
}

#[tokio::test]
async fn a_cancelled_next_gives_its_claim_back() {
    let (_dir, _store, transport) = open(config()).await;
    let address = Address::Deliver(Actor::Station);
    let mut consumer = transport.consume(address, 5).await.unwrap();
    // One poll: the claim is sent to the writer, then the future is dropped before the
    // answer. The writer runs on its own, so now and then it answers within that one poll:
    // then the message is simply delivered (acked here) and the experiment is repeated.
    let mut cancelled = None;
    for attempt in 0..50 {
        let id = format!("c-{attempt}");
        transport.publish(message(address, &id)).await.unwrap();
        match tokio::time::timeout(Duration::ZERO, consumer.next()).await {
            Err(_) => {
                cancelled = Some(id);
                break;
            }
            Ok(Some(delivery)) => delivery.ack().await.unwrap(),
            Ok(None) => panic!("the consumer ended"),
        }
    }
    let cancelled = cancelled.expect("one of 50 polls was cancelled before its answer");
    // The default lease is 30 s: only the writer's give-back lets this through in time.
    let mut other = transport.consume(address, 5).await.unwrap();
    let delivery = next(&mut other).await;
    assert_eq!(delivery.message_id(), Some(cancelled.as_str()));
    assert!(
        !delivery.redelivered(),
        "the abandoned claim does not count"
    );
    delivery.ack().await.unwrap();
}
