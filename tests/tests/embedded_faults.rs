//! Fault injection on the embedded default (acceptance of issue "Embedded default"): "A test
//! kills the embedded hub with SIGKILL while messages flow and restarts it: none lost, none
//! delivered twice to a consumer that acked."
//!
//! The real `hub` binary runs with no configuration (the built-in example on the embedded
//! transport) in a temporary directory, so its queues live in `data/hub.sqlite` there. The
//! GRID department talks to it over HTTP (`POST /v1/messages` with its development token):
//! 1,000 referrals with fresh message ids, from a few concurrent senders; a POST whose
//! outcome is unknown (connection refused or reset, 503) is sent again with the same id. The
//! hub is killed with SIGKILL after 350 were answered 202 and restarted on the same data
//! directory and port while the senders keep going. The test is also the STATION consumer:
//! from the start, a second process on the hub's database, it consumes `deliver.STATION`
//! with the embedded transport and acks each delivery, across the kill and the restart.
//! After the last 202 and the pipeline has committed every message, the hub is stopped with
//! SIGINT (exit 0). Then: every message id arrived exactly once (the one-transaction relay
//! cannot duplicate, and an acked delivery never comes back), the (GRID → STATION) stream
//! numbers are 1..=1000 in arrival order, and no queue, outbox or dead-letter index holds
//! anything else. Every wait is bounded; the hub processes are killed if the test fails
//! first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use contracts::model::Actor;
use hub::store::{DeadLetterFilter, Store};
use hub::transport::embedded::{EmbeddedConfig, EmbeddedTransport};
use hub::transport::{Address, Consumer, Delivery, HeaderValue, Transport, header};
use serde_json::Value;
use tests::process::{hub_binary, wait_until};
use tests::{fixture, with_new_id};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// Referrals sent.
const COUNT: usize = 1_000;
/// The hub is killed once this many were answered 202.
const KILL_AFTER: usize = 350;
/// Concurrent HTTP senders.
const SENDERS: usize = 4;
/// Longest wait for one milestone (a process ready, a count reached, a queue drained).
const WAIT: Duration = Duration::from_secs(90);
/// How long one message may keep failing (hub down, restarting) before the test gives up.
const SEND_LIMIT: Duration = Duration::from_secs(120);
/// Lease of the embedded queues in the test: rows the killed hub had claimed come back
/// after it (the default 30 s would only make the test slower).
const LEASE_MS: &str = "3000";

/// A free loopback port (the OS's pick; the listener is closed again before the hub binds
/// it, so both hub processes can listen on the same address).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The hub binary running embedded as a child process (killed when dropped).
#[derive(Debug)]
struct HubProcess {
    child: Child,
    label: String,
}

impl HubProcess {
    /// Starts `hub` (no arguments, no configuration) in `dir`, listening on `address`, and
    /// waits (bounded) until it printed its start-up text and `/readyz` answers 200. Its
    /// stdout and stderr are forwarded to the test's stderr, prefixed with `label`.
    async fn start(binary: &Path, dir: &Path, address: SocketAddr, label: &str) -> HubProcess {
        let mut command = Command::new(binary);
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("HUB_")) {
            command.env_remove(name);
        }
        command
            .env("HUB_HTTP__LISTEN", address.to_string())
            .env("HUB_TRANSPORT__EMBEDDED__LEASE_MS", LEASE_MS)
            .env("HUB_LOG", "warn")
            .env("NO_COLOR", "1");
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (printed_tx, printed_rx) = tokio::sync::oneshot::channel::<Vec<String>>();
        let prefix = label.to_owned();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            let mut printed_tx = Some(printed_tx);
            let mut start_up = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[{prefix}] {line}");
                if printed_tx.is_some() {
                    start_up.push(line.clone());
                }
                if line.starts_with("hub: stop")
                    && let Some(tx) = printed_tx.take()
                {
                    tx.send(std::mem::take(&mut start_up)).ok();
                }
            }
        });
        let prefix = label.to_owned();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[{prefix} stderr] {line}");
            }
        });
        let start_up = tokio::time::timeout(WAIT, printed_rx)
            .await
            .unwrap_or_else(|_| panic!("{label} printed no start-up text within {WAIT:?}"))
            .unwrap_or_else(|_| panic!("{label} exited before printing its start-up text"));
        let url_line = format!("hub: HTTP API on http://{address}");
        assert!(
            start_up.iter().any(|l| l == &url_line),
            "{label} listens on {address}: {start_up:?}"
        );
        assert!(
            start_up
                .iter()
                .any(|l| l.starts_with("hub: transport      embedded")),
            "{label} runs embedded: {start_up:?}"
        );
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        wait_until(WAIT, &format!("{label} to be ready"), || async {
            client
                .get(format!("http://{address}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().as_u16() == 200)
        })
        .await;
        HubProcess {
            child,
            label: label.to_owned(),
        }
    }

    /// Kills the process with SIGKILL and reaps it.
    async fn kill(mut self) {
        self.child.start_kill().unwrap();
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not die", self.label))
            .unwrap();
        assert!(!status.success(), "{} was killed: {status}", self.label);
    }

    /// Stops the process like Ctrl-C does (SIGINT) and asserts it exits 0 in time.
    async fn interrupt(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let status = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .await
            .unwrap();
        assert!(status.success(), "kill -INT {pid}");
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not stop within {WAIT:?} of SIGINT", self.label))
            .unwrap();
        assert!(
            status.success(),
            "{} exits 0 after SIGINT: {status}",
            self.label
        );
    }
}

/// What the senders did.
#[derive(Debug, Default)]
struct SendReport {
    /// POSTs sent again after an unknown outcome (connection error, 503).
    retries: usize,
}

/// Sends `messages[i]` for every `i` taken from `next`, each until answered 202; counts the
/// 202s in `accepted`. A POST whose outcome is unknown is sent again with the same body
/// (same `message_id`): the hub deduplicates.
async fn send_all(
    address: SocketAddr,
    messages: Arc<Vec<Value>>,
    next: Arc<AtomicUsize>,
    accepted: watch::Sender<usize>,
) -> SendReport {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = format!("http://{address}/v1/messages");
    let mut report = SendReport::default();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(message) = messages.get(index) else {
            return report;
        };
        let started = Instant::now();
        loop {
            let outcome = client
                .post(&url)
                .bearer_auth("dev-token-grid")
                .json(message)
                .send()
                .await;
            match outcome {
                Ok(response) if response.status().as_u16() == 202 => break,
                Ok(response) if response.status().as_u16() == 503 => {}
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    panic!("message {index} refused with {status}: {body}");
                }
                // Refused (hub down), reset (killed mid-request), timed out: unknown outcome.
                Err(_) => {}
            }
            report.retries += 1;
            assert!(
                started.elapsed() < SEND_LIMIT,
                "message {index} not accepted within {SEND_LIMIT:?}"
            );
            // Back-off while the hub restarts, not synchronisation.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        accepted.send_modify(|n| *n += 1);
    }
}

fn message_id(message: &Value) -> &str {
    message["message_id"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_hub_killed_with_sigkill_while_messages_flow_loses_and_duplicates_nothing() {
    let binary = hub_binary().await;
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let address: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let data = dir.path().join("data/hub.sqlite");

    let first = HubProcess::start(&binary, dir.path(), address, "hub#1").await;
    // The STATION consumer: a second process on the hub's database, consuming and acking
    // deliver.STATION while the hub runs, dies and restarts.
    let store = Store::open(&data).await.unwrap();
    let transport = EmbeddedTransport::open(&store, EmbeddedConfig::default())
        .await
        .unwrap();
    let acked = Arc::new(AtomicUsize::new(0));
    let consumer = tokio::spawn(consume_all(
        transport.clone(),
        Address::Deliver(Actor::Station),
        Arc::clone(&acked),
    ));

    let template = fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json");
    let messages: Arc<Vec<Value>> =
        Arc::new((0..COUNT).map(|_| with_new_id(template.clone())).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let (accepted_tx, mut accepted) = watch::channel(0usize);
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            tokio::spawn(send_all(
                address,
                Arc::clone(&messages),
                Arc::clone(&next),
                accepted_tx.clone(),
            ))
        })
        .collect();
    drop(accepted_tx);

    tokio::time::timeout(WAIT, accepted.wait_for(|n| *n >= KILL_AFTER))
        .await
        .expect("350 referrals accepted in time")
        .unwrap();
    first.kill().await;
    let at_kill = *accepted.borrow();
    assert!(
        at_kill < COUNT,
        "the kill came after every message was accepted: not mid-stream"
    );
    let committed_at_kill = count_committed(&store, &messages).await;
    println!(
        "embedded_faults: hub#1 killed (SIGKILL) at {:.1} s with {at_kill} accepted (202), \
         {committed_at_kill} committed by the pipeline, {} row(s) waiting in the outbox, {} \
         delivered to STATION and acked",
        started.elapsed().as_secs_f64(),
        store.outbox_backlog().await.unwrap(),
        acked.load(Ordering::Relaxed),
    );

    let second = HubProcess::start(&binary, dir.path(), address, "hub#2").await;
    let mut retries = 0;
    for sender in senders {
        let report = tokio::time::timeout(Duration::from_secs(300), sender)
            .await
            .expect("the senders finished within 300 s")
            .unwrap();
        retries += report.retries;
    }
    assert_eq!(*accepted.borrow(), COUNT, "every referral answered 202");
    wait_until(WAIT, "the pipeline to commit every referral", || async {
        count_committed(&store, &messages).await == COUNT
    })
    .await;
    second.interrupt().await;
    println!(
        "embedded_faults: {COUNT} accepted ({retries} POST(s) sent again), hub#2 stopped with \
         SIGINT at {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let received = tokio::time::timeout(Duration::from_secs(300), consumer)
        .await
        .expect("the consumer finished within 300 s")
        .unwrap();
    check_arrivals(&messages, &received);

    for address in [
        Address::Ingress(Actor::Grid),
        Address::Deliver(Actor::Station),
        Address::Deliver(Actor::Police),
        Address::DeadIngress,
        Address::Dead(Actor::Station),
    ] {
        assert_eq!(
            transport.queue_depth(address).await.unwrap(),
            0,
            "{address} holds nothing"
        );
    }
    assert_eq!(store.outbox_backlog().await.unwrap(), 0, "outbox empty");
    let dead = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(dead.is_empty(), "nothing dead-lettered: {dead:?}");
    println!(
        "embedded_faults: {COUNT} sent, {} delivered to deliver.STATION and acked, 0 \
         duplicates, stream 1..={COUNT} gap-free, nothing left; {:.1} s in all",
        received.len(),
        started.elapsed().as_secs_f64()
    );
    transport.shutdown().await;
    store.close().await;
}

/// How many of `messages` the pipeline committed (are in the inbox).
async fn count_committed(store: &Store, messages: &[Value]) -> usize {
    let mut count = 0;
    for message in messages {
        if store.is_duplicate(message_id(message)).await.unwrap() {
            count += 1;
        }
    }
    count
}

/// One delivery as the consumer saw it.
#[derive(Debug)]
struct Received {
    message_id: String,
    stream_seq: i64,
    sender: Option<String>,
}

/// Consumes `address`, acking each delivery (counted in `acked`), until [`COUNT`] arrived
/// and then nothing more for two seconds (to catch a late duplicate); bounded by five
/// minutes in all.
async fn consume_all(
    transport: EmbeddedTransport,
    address: Address,
    acked: Arc<AtomicUsize>,
) -> Vec<Received> {
    let mut consumer = transport.consume(address, 100).await.unwrap();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let wait = if out.len() >= COUNT {
            Duration::from_secs(2)
        } else {
            deadline.saturating_duration_since(tokio::time::Instant::now())
        };
        let Ok(next) = tokio::time::timeout(wait, consumer.next()).await else {
            break;
        };
        let delivery = next.expect("the transport is not shut down");
        let body: Value = serde_json::from_slice(delivery.body()).unwrap();
        let stream_seq = match delivery.headers().get(header::STREAM_SEQ) {
            Some(HeaderValue::Int(seq)) => *seq,
            other => panic!("delivery without a stream number: {other:?}"),
        };
        let sender = delivery
            .headers()
            .get(header::SENDER)
            .and_then(HeaderValue::as_text)
            .map(str::to_owned);
        assert_eq!(
            delivery.message_id(),
            body["message_id"].as_str(),
            "the delivery's id is the envelope's"
        );
        // The hub process may hold SQLite's write lock for a moment; the ack waits for it
        // (busy timeout) and must then succeed: this consumer's lease is alive.
        delivery.ack().await.unwrap();
        acked.fetch_add(1, Ordering::Relaxed);
        out.push(Received {
            message_id: body["message_id"].as_str().unwrap().to_owned(),
            stream_seq,
            sender,
        });
    }
    out
}

/// Every sent id arrived exactly once and nothing else did; the stream numbers are
/// 1..=COUNT in arrival order; every delivery names GRID as its sender.
fn check_arrivals(sent: &[Value], received: &[Received]) {
    let mut copies: BTreeMap<&str, usize> = BTreeMap::new();
    for delivery in received {
        *copies.entry(delivery.message_id.as_str()).or_default() += 1;
        assert_eq!(delivery.sender.as_deref(), Some("GRID"));
    }
    let duplicates: Vec<(&&str, &usize)> = copies.iter().filter(|(_, n)| **n > 1).collect();
    let sent_ids: BTreeSet<&str> = sent.iter().map(message_id).collect();
    let got: BTreeSet<&str> = copies.keys().copied().collect();
    let lost: Vec<&&str> = sent_ids.difference(&got).collect();
    let foreign: Vec<&&str> = got.difference(&sent_ids).collect();
    assert!(
        lost.is_empty(),
        "{} of {} messages lost, e.g. {:?}",
        lost.len(),
        sent.len(),
        &lost[..lost.len().min(5)]
    );
    assert!(foreign.is_empty(), "unexpected deliveries: {foreign:?}");
    assert!(
        duplicates.is_empty(),
        "{} message(s) delivered more than once: {:?}",
        duplicates.len(),
        &duplicates[..duplicates.len().min(5)]
    );
    assert_eq!(received.len(), sent.len());
    let seqs: Vec<i64> = received.iter().map(|r| r.stream_seq).collect();
    let expected: Vec<i64> = (1..=i64::try_from(sent.len()).unwrap()).collect();
    if seqs != expected {
        let first_bad = seqs
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(seqs.len().min(expected.len()));
        panic!(
            "stream sequence is not 1..={} in arrival order; first difference at position \
             {first_bad}: {:?}",
            sent.len(),
            &seqs[first_bad.saturating_sub(2)..(first_bad + 3).min(seqs.len())]
        );
    }
}
