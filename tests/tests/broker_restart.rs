//! Fault injection: the broker is stopped and restarted while GRID referrals flow through the
//! hub to STATION (issue "Hub core on RabbitMQ": "reconnects with back-off after a broker
//! restart … and resumes without losing or duplicating effects"; transport rule 8).
//!
//! The test runs its own RabbitMQ node ([`tests::own_broker::OwnBroker`]), never the shared
//! one. GRID publishes 300 referrals (fresh `message_id`s), republishing any publish that
//! errors with the same `message_id`, as a department would. After about a third were
//! accepted by the hub the node is stopped, left down for ~2 s (the fault), and started again
//! on the same ports and data directory, while GRID keeps publishing the rest. Then STATION
//! collects its queue and the test checks: every message arrived (none lost); duplicates in
//! the queue are counted, printed and at most one per restart (the relay's one unconfirmed
//! publish); after removing duplicates the stream sequence numbers are exactly 1..=300, in
//! order; the hub saw the outage and is ready again; its outbox is empty and nothing was
//! dead-lettered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use contracts::model::Actor;
use hub::store::DeadLetterFilter;
use hub::transport::Transport;
use hub::transport::amqp::AmqpTransport;
use hub::transport::header;
use serde_json::Value;
use tests::own_broker::OwnBroker;
use tests::{TestHub, collect, fixture, submit, with_new_id};
use tokio::sync::watch;
use tokio::time::{Instant, timeout};

/// Referrals GRID publishes.
const MESSAGES: usize = 300;
/// Accepted referrals before the broker is stopped (about a third).
const FAULT_AFTER_ACCEPTED: usize = 100;
/// GRID publishes this many at once; the rest only once the fault has begun, so they are
/// published into the outage and after the restart.
const BEFORE_FAULT_PUBLISHED: usize = 150;
/// How long the node stays down.
const DOWNTIME: Duration = Duration::from_secs(2);
/// Restarts in this test (duplicates in a queue are expected to be at most one per restart).
const RESTARTS: usize = 1;
/// Pace of GRID's publishes before the fault, so that messages are still flowing through
/// the hub when the broker stops (a rate, not a synchronisation).
const PACE_BEFORE_FAULT: Duration = Duration::from_millis(15);
/// Pace of GRID's publishes once the fault has begun, so that they straddle the stop, the
/// downtime and the restart (a rate, not a synchronisation).
const PACE_DURING_FAULT: Duration = Duration::from_millis(60);
/// Pause before republishing after a failed publish (a broker that is down; not a
/// synchronisation).
const REPUBLISH_PAUSE: Duration = Duration::from_millis(200);

/// Where the test is in the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// The broker runs; the fault has not begun.
    Before,
    /// The broker is being stopped, is down, or is booting again.
    Outage,
    /// The broker was restarted.
    Restarted,
}

/// What GRID's publishing saw.
#[derive(Debug, Default)]
struct PublishReport {
    /// Publishes that returned an error and were repeated with the same `message_id`.
    failed_publishes: usize,
    /// Messages confirmed during [`Phase::Outage`] (before the node closed the connections,
    /// or right after the restart but before the test noticed it had finished).
    confirmed_during_outage: usize,
    /// Messages confirmed in [`Phase::Restarted`].
    confirmed_after_restart: usize,
}

/// Publishes `messages` as GRID in order, at most one per `PACE_BEFORE_FAULT` and, once the
/// outage has begun, one per `PACE_DURING_FAULT`; from message `BEFORE_FAULT_PUBLISHED` on
/// only once the outage has begun. A failed publish is
/// repeated with the same `message_id` until it is confirmed (bounded by `deadline`).
async fn publish_all(
    grid: AmqpTransport,
    messages: Vec<Value>,
    mut phase: watch::Receiver<Phase>,
    deadline: Instant,
) -> PublishReport {
    let mut report = PublishReport::default();
    for (index, message) in messages.iter().enumerate() {
        if index == BEFORE_FAULT_PUBLISHED {
            tokio::time::timeout_at(deadline, phase.wait_for(|p| *p >= Phase::Outage))
                .await
                .expect("the fault never began")
                .expect("the test dropped the phase signal");
        }
        let pace = if *phase.borrow() == Phase::Before {
            PACE_BEFORE_FAULT
        } else {
            PACE_DURING_FAULT
        };
        tokio::time::sleep(pace).await;
        loop {
            match submit(&grid, Actor::Grid, message).await {
                Ok(()) => break,
                Err(error) => {
                    assert!(
                        error.is_transient(),
                        "message {index}: permanent error {error}"
                    );
                    assert!(
                        Instant::now() < deadline,
                        "message {index} still not published: {error}"
                    );
                    report.failed_publishes += 1;
                    tokio::time::sleep(REPUBLISH_PAUSE).await;
                }
            }
        }
        match *phase.borrow() {
            Phase::Before => {}
            Phase::Outage => report.confirmed_during_outage += 1,
            Phase::Restarted => report.confirmed_after_restart += 1,
        }
    }
    grid.shutdown().await;
    report
}

/// How many of `ids` the hub has accepted (its inbox has them).
async fn accepted(hub: &TestHub, ids: &[String]) -> usize {
    let mut count = 0;
    for id in ids {
        if hub.store.is_duplicate(id).await.unwrap() {
            count += 1;
        }
    }
    count
}

/// Polls (bounded) until `check` is true; panics with `what` otherwise.
async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await; // polling state, not synchronising tasks
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hub_survives_a_broker_restart_without_losing_or_duplicating_effects() {
    let started = Instant::now();
    let Some(broker) = OwnBroker::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = broker.hub_config(dir.path().join("hub.sqlite"));
    let hub = TestHub::start_with(config, dir).await;
    let grid = broker.department(Actor::Grid).await;

    let messages: Vec<Value> = (0..MESSAGES)
        .map(|_| with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json")))
        .collect();
    let ids: Vec<String> = messages
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();

    let (phase, phase_rx) = watch::channel(Phase::Before);
    let publisher = tokio::spawn(publish_all(
        grid,
        messages,
        phase_rx,
        Instant::now() + Duration::from_secs(60),
    ));

    // About a third accepted: the fault.
    let (hub_ref, ids_ref) = (&hub, &ids);
    wait_until(
        "a third of the referrals accepted",
        Duration::from_secs(30),
        || async move { accepted(hub_ref, ids_ref).await >= FAULT_AFTER_ACCEPTED },
    )
    .await;
    let accepted_before = accepted(&hub, &ids).await;
    phase.send_replace(Phase::Outage);
    let stop_began = Instant::now();
    broker.stop().await;
    eprintln!(
        "broker stopped after {accepted_before} accepted referrals ({:?} to stop)",
        stop_began.elapsed()
    );
    wait_until(
        "the hub notices the broker is gone",
        Duration::from_secs(5),
        || async move { !hub_ref.transport.is_ready() },
    )
    .await;
    tokio::time::sleep(DOWNTIME).await; // the fault itself: the broker stays down
    let restart_began = Instant::now();
    broker.restart().await;
    phase.send_replace(Phase::Restarted);
    eprintln!("broker restarted ({:?} to boot)", restart_began.elapsed());

    let report = timeout(Duration::from_secs(70), publisher)
        .await
        .expect("GRID did not finish publishing")
        .unwrap();
    eprintln!(
        "GRID published {MESSAGES} referrals: {} confirmed during the outage, {} after the restart; {} publishes failed and were repeated",
        report.confirmed_during_outage, report.confirmed_after_restart, report.failed_publishes
    );
    assert!(
        report.confirmed_after_restart > 0,
        "GRID finished before the restart; the test did not publish across it"
    );

    let station = broker.department(Actor::Station).await;
    let received = collect(
        &station,
        Actor::Station,
        MESSAGES,
        Duration::from_secs(45),
        Duration::from_secs(2),
    )
    .await;

    // None lost.
    let mut copies: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut first_seen_order: Vec<&str> = Vec::new();
    for delivery in &received {
        let id = delivery.message["message_id"].as_str().unwrap();
        let seq = delivery
            .int_header(header::STREAM_SEQ)
            .unwrap_or_else(|| panic!("{id} has no stream sequence number"));
        let entry = copies.entry(id).or_default();
        if entry.is_empty() {
            first_seen_order.push(id);
        }
        entry.push(seq);
    }
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !copies.contains_key(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {MESSAGES} referrals lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let unexpected: Vec<&&str> = copies
        .keys()
        .filter(|id| !ids.iter().any(|i| i == **id))
        .collect();
    assert!(
        unexpected.is_empty(),
        "deliveries nobody sent: {unexpected:?}"
    );

    // Duplicates: counted, printed, bounded.
    let duplicates = received.len() - copies.len();
    let duplicated: HashMap<&str, usize> = copies
        .iter()
        .filter(|(_, seqs)| seqs.len() > 1)
        .map(|(id, seqs)| (*id, seqs.len()))
        .collect();
    eprintln!(
        "STATION received {} deliveries: {} distinct referrals, {duplicates} duplicates {duplicated:?}",
        received.len(),
        copies.len()
    );
    assert!(
        duplicates <= RESTARTS,
        "{duplicates} duplicates after {RESTARTS} restart(s): {duplicated:?}"
    );
    for (id, seqs) in &copies {
        assert!(
            seqs.iter().all(|s| *s == seqs[0]),
            "copies of {id} carry different sequence numbers {seqs:?}"
        );
    }

    // After dedup the GRID → STATION stream is gap-free and in acceptance order.
    let seqs: Vec<i64> = first_seen_order.iter().map(|id| copies[id][0]).collect();
    let expected: Vec<i64> = (1..=i64::try_from(MESSAGES).unwrap()).collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted, expected,
        "stream sequence numbers have gaps or repeats"
    );
    assert_eq!(seqs, expected, "first deliveries out of stream order");

    // The hub recovered: ready, outbox empty, nothing dead-lettered.
    assert!(hub.transport.is_ready(), "hub not ready after the restart");
    wait_until("outbox backlog 0", Duration::from_secs(10), || async move {
        hub_ref.store.outbox_backlog().await.unwrap() == 0
    })
    .await;
    let dead = hub
        .store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(dead.is_empty(), "dead letters after a restart: {dead:?}");
    assert_eq!(accepted(&hub, &ids).await, MESSAGES);

    station.shutdown().await;
    hub.stop().await;
    broker.stop().await;
    assert!(!broker.is_running());
    eprintln!("broker restart test took {:?}", started.elapsed());
}

/// What a failing test leaves behind: a node still running when its [`OwnBroker`] is dropped
/// (during unwinding, `Drop` is the same code) is stopped and its directory deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_own_broker_left_running_is_stopped_and_deleted_on_drop() {
    let Some(broker) = OwnBroker::start().await else {
        return;
    };
    let (pid, dir) = (broker.pid().unwrap(), broker.dir().to_path_buf());
    assert!(broker.is_running());
    drop(broker);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "node process {pid} outlived its OwnBroker"
    );
    assert!(!dir.exists(), "{} outlived its OwnBroker", dir.display());
}
