//! Fault injection over the real RabbitMQ (acceptance of issue "Hub core on RabbitMQ"):
//!
//! * the broker connections of the test's vhost are closed three times while 5,000
//!   identity-check requests flow from STATION to POLICE through the in-process hub;
//! * the real `hub` binary is killed with SIGKILL while 2,000 requests flow, and restarted on
//!   the same store.
//!
//! Each test counts what reached the recipient queue `deliver.POLICE` by `message_id` and
//! checks the guarantees of ARCHITECTURE.md: nothing lost, per-case order, a gap-free
//! (STATION → POLICE) stream sequence, nothing left in flight. After connection cuts each
//! message is in the recipient queue exactly once (publishes in doubt are settled from the
//! delivery log); after SIGKILL, duplicates are copies of one committed delivery (same
//! sequence number), counted, and removed by the recipient's dedup. Each test
//! runs in its own vhost with its own users and store; every wait is bounded.

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
use hub::transport::amqp::{AmqpDelivery, AmqpTransport};
use hub::transport::{Address, Consumer, Delivery, Transport, header};
use serde_json::Value;
use tests::process::{hub_binary, wait_until};
use tests::{
    MANAGEMENT_URL, Received, TestBroker, TestHub, fixture, repo_root, submit, with_new_id,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// Cases the requests are spread over.
const CASES: usize = 50;
/// Longest wait for one milestone (a count reached, a process ready, a queue drained).
const WAIT: Duration = Duration::from_secs(60);
/// After the last expected delivery, how long to keep listening for late duplicates.
const QUIET: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

fn case_id(case: usize) -> String {
    format!("TCJZ-2025-1{case:05}")
}

/// `count` identity-check requests from STATION, interleaved over [`CASES`] cases: message
/// `i` belongs to case `i % CASES` and is that case's request number `i / CASES + 1`, written
/// into `payload.request_id` as `REQ-<case>-<n>` so the recipient can check the order.
fn requests(count: usize) -> Vec<Value> {
    let template = fixture("IDENTITY_CHECK_REQUEST/v1/valid/population_and_missing_db.json");
    (0..count)
        .map(|i| {
            let (case, n) = (i % CASES, i / CASES + 1);
            let mut message = with_new_id(template.clone());
            message["case_id"] = Value::from(case_id(case));
            message["payload"]["case_id"] = Value::from(case_id(case));
            message["payload"]["request_id"] = Value::from(format!("REQ-{case}-{n}"));
            message
        })
        .collect()
}

fn message_id(message: &Value) -> &str {
    message["message_id"].as_str().unwrap()
}

/// The per-case request number `n` of a delivered request.
fn request_number(message: &Value) -> usize {
    let request_id = message["payload"]["request_id"].as_str().unwrap();
    request_id.rsplit_once('-').unwrap().1.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Publishing, waiting, collecting
// ---------------------------------------------------------------------------------------------

/// What the publisher did.
#[derive(Debug, Default)]
struct PublishReport {
    /// Publishes that failed (outcome unknown) and were sent again with the same id.
    retries: usize,
    /// Wall time of the whole run.
    elapsed: Duration,
}

/// Publishes `messages` one after the other as `department`, each until confirmed: a publish
/// whose outcome is unknown (connection closed, confirm lost) is sent again with the same
/// `message_id` — the hub deduplicates. `published` counts confirmed messages.
async fn publish_all(
    transport: AmqpTransport,
    department: Actor,
    messages: Arc<Vec<Value>>,
    published: Arc<AtomicUsize>,
) -> PublishReport {
    let started = Instant::now();
    let mut report = PublishReport::default();
    for message in messages.iter() {
        let mut attempts = 0;
        loop {
            attempts += 1;
            // Bounded inside: the transport gives up after its confirm timeout (10 s).
            match submit(&transport, department, message).await {
                Ok(()) => break,
                Err(error) if error.is_transient() && attempts < 30 => {
                    report.retries += 1;
                    // Back-off while the transport reconnects, not synchronisation.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!(
                    "publish of {} failed for good after {attempts} attempt(s): {error}",
                    message_id(message)
                ),
            }
        }
        published.fetch_add(1, Ordering::Relaxed);
    }
    report.elapsed = started.elapsed();
    report
}

/// Waits until the message with `id` is committed in the inbox of `store`.
async fn wait_committed(store: &Store, id: &str, what: &str) {
    wait_until(WAIT, what, || async {
        store.is_duplicate(id).await.unwrap()
    })
    .await;
}

/// Consumes `deliver.<department>` as that department (acking each delivery) until
/// `distinct` different message ids arrived or `timeout` passed, then keeps listening for
/// `quiet` to catch late duplicates. Returns every delivery in arrival order.
async fn collect_distinct(
    transport: &AmqpTransport,
    department: Actor,
    distinct: usize,
    timeout: Duration,
    quiet: Duration,
) -> Vec<Received> {
    let mut consumer = transport
        .consume(Address::Deliver(department), 250)
        .await
        .unwrap();
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let wait = if ids.len() >= distinct {
            quiet
        } else {
            deadline.saturating_duration_since(tokio::time::Instant::now())
        };
        let next: Option<AmqpDelivery> = match tokio::time::timeout(wait, consumer.next()).await {
            Ok(d) => d,
            Err(_) => break,
        };
        let Some(delivery) = next else { break };
        let message: Value = serde_json::from_slice(delivery.body()).unwrap();
        let headers = delivery.headers().clone();
        // Nothing cuts this connection, so an ack cannot fail.
        delivery.ack().await.unwrap();
        ids.insert(message_id(&message).to_owned());
        out.push(Received { message, headers });
    }
    out
}

/// Waits (bounded; the management API's statistics lag a few seconds) until every queue in
/// `queues` holds no message, ready or unacknowledged.
async fn wait_drained(broker: &TestBroker, queues: &[&str]) {
    let mut last = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        last.clear();
        for queue in queues {
            let depth = broker
                .management
                .queue_depth(&broker.vhost, queue)
                .await
                .unwrap();
            last.insert(*queue, (depth.messages, depth.messages_unacknowledged));
        }
        if last.values().all(|&(m, u)| m == 0 && u == 0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "queues not drained after 30 s: (messages, unacked) = {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await; // polling the management API
    }
}

/// The open connections of the test's vhost as `(name, user)`. The management API lists a
/// new connection only after its next statistics round (up to ~5 s).
async fn vhost_connections(broker: &TestBroker) -> Vec<(String, String)> {
    let url = format!(
        "{MANAGEMENT_URL}/api/vhosts/{}/connections",
        broker.vhost.replace('/', "%2F")
    );
    let response = reqwest::Client::new()
        .get(url)
        .basic_auth("guest", Some("guest"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let list: Vec<Value> = response.json().await.unwrap();
    list.iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap_or_default().to_owned();
            (text("name"), text("user"))
        })
        .collect()
}

/// Closes every connection of the test's vhost (the hub's, and the departments' test
/// connections), once the hub's current connection is listed — one not closed before (kept in
/// `cut_before`) — so the cut really hits the hub, not only the lagging list. Returns how many
/// connections were closed.
async fn cut_connections(broker: &TestBroker, cut_before: &mut BTreeSet<String>) -> usize {
    let hub_user = broker.hub_user.username.as_str();
    let deadline = Instant::now() + WAIT;
    loop {
        let listed = vhost_connections(broker).await;
        let hub_connections: Vec<String> = listed
            .iter()
            .filter(|(name, user)| user == hub_user && !cut_before.contains(name))
            .map(|(name, _)| name.clone())
            .collect();
        if !hub_connections.is_empty() {
            let closed = broker
                .management
                .close_connections_of_vhost(&broker.vhost)
                .await
                .unwrap();
            cut_before.extend(hub_connections);
            return closed;
        }
        assert!(
            Instant::now() < deadline,
            "the hub's connection was not listed within {WAIT:?}: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await; // polling the management API
    }
}

// ---------------------------------------------------------------------------------------------
// Checking what arrived
// ---------------------------------------------------------------------------------------------

/// What reached the recipient, checked against what was sent.
#[derive(Debug)]
struct Arrivals {
    /// Deliveries received, duplicates included.
    delivered: usize,
    /// Different message ids received.
    distinct: usize,
    /// Deliveries of a message id received before.
    duplicates: usize,
}

/// Checks `received` (arrival order) against `sent`: every sent id arrived and nothing else;
/// a duplicate carries the same stream sequence number as its first copy (the hub committed
/// the message once; only the publish was repeated); after removing duplicates (keeping the
/// first) each case's requests arrive in order and the (STATION → POLICE) sequence numbers
/// are exactly 1..=N in arrival order.
fn check_arrivals(sent: &[Value], received: &[Received]) -> Arrivals {
    let mut first_seq: BTreeMap<&str, i64> = BTreeMap::new();
    let mut applied: Vec<&Received> = Vec::with_capacity(sent.len());
    let mut duplicates = 0;
    for delivery in received {
        let id = message_id(&delivery.message);
        let seq = delivery
            .int_header(header::STREAM_SEQ)
            .unwrap_or_else(|| panic!("{id} has no {}", header::STREAM_SEQ));
        assert_eq!(delivery.header(header::SENDER), Some("STATION"), "{id}");
        match first_seq.get(id) {
            Some(&first) => {
                assert_eq!(
                    first, seq,
                    "duplicate of {id} with another sequence number: the hub committed it twice"
                );
                duplicates += 1;
            }
            None => {
                first_seq.insert(id, seq);
                applied.push(delivery);
            }
        }
    }

    let sent_ids: BTreeSet<&str> = sent.iter().map(message_id).collect();
    let got: BTreeSet<&str> = first_seq.keys().copied().collect();
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

    let mut last_of_case: BTreeMap<String, usize> = BTreeMap::new();
    for delivery in &applied {
        let case = delivery.message["payload"]["case_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(delivery.message["case_id"], Value::from(case.clone()));
        let n = request_number(&delivery.message);
        let last = last_of_case.entry(case.clone()).or_insert(0);
        assert!(
            n > *last,
            "case {case}: request {n} arrived after request {last}"
        );
        *last = n;
    }

    let seqs: Vec<i64> = applied
        .iter()
        .map(|d| d.int_header(header::STREAM_SEQ).unwrap())
        .collect();
    let expected: Vec<i64> = (1..=i64::try_from(sent.len()).unwrap()).collect();
    if seqs != expected {
        let first_bad = seqs
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(seqs.len().min(expected.len()));
        panic!(
            "stream sequence after dedup is not 1..={} in arrival order; first difference at \
             position {first_bad}: {:?}",
            sent.len(),
            &seqs[first_bad.saturating_sub(2)..(first_bad + 3).min(seqs.len())]
        );
    }
    Arrivals {
        delivered: received.len(),
        distinct: applied.len(),
        duplicates,
    }
}

// ---------------------------------------------------------------------------------------------
// Test 1: connections closed while 5,000 messages flow
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_closed_while_5000_messages_flow_lose_nothing_and_keep_order() {
    const COUNT: usize = 5_000;
    const CUT_AFTER: [usize; 3] = [1_000, 2_500, 4_000];
    let Some(broker) = TestBroker::create("faults-cuts").await else {
        return;
    };
    let started = Instant::now();
    let hub = TestHub::start(&broker).await;
    let messages = Arc::new(requests(COUNT));
    let published = Arc::new(AtomicUsize::new(0));
    let publisher = tokio::spawn(publish_all(
        broker.department(Actor::Station).await,
        Actor::Station,
        Arc::clone(&messages),
        Arc::clone(&published),
    ));

    let mut cuts = 0;
    let mut cut_before = BTreeSet::new();
    let last_id = message_id(&messages[COUNT - 1]).to_owned();
    for after in CUT_AFTER {
        let marker = message_id(&messages[after - 1]).to_owned();
        wait_committed(
            &hub.store,
            &marker,
            &format!("message {after} to be committed"),
        )
        .await;
        let closed = cut_connections(&broker, &mut cut_before).await;
        cuts += 1;
        let backlog = hub.store.outbox_backlog().await.unwrap();
        assert!(
            backlog > 0 || !hub.store.is_duplicate(&last_id).await.unwrap(),
            "the cut came after the hub had committed and relayed everything: not mid-stream"
        );
        println!(
            "faults: cut {cuts} after {after} committed at {:.1} s: {closed} connection(s) \
             closed; {} confirmed by the publisher, {backlog} row(s) waiting in the outbox",
            started.elapsed().as_secs_f64(),
            published.load(Ordering::Relaxed),
        );
    }

    let report = tokio::time::timeout(Duration::from_secs(120), publisher)
        .await
        .expect("the publisher finished within 120 s")
        .unwrap();
    println!(
        "faults: publisher confirmed {COUNT} in {:.1} s with {} retried publish(es)",
        report.elapsed.as_secs_f64(),
        report.retries
    );
    wait_committed(&hub.store, &last_id, "the last message to be committed").await;
    let committed_at = started.elapsed();

    let police = broker.department(Actor::Police).await;
    let received = collect_distinct(
        &police,
        Actor::Police,
        COUNT,
        Duration::from_secs(120),
        QUIET,
    )
    .await;
    let collected_at = started.elapsed();
    let arrivals = check_arrivals(&messages, &received);

    wait_until(WAIT, "the outbox to be empty", || async {
        hub.store.outbox_backlog().await.unwrap() == 0
    })
    .await;
    wait_drained(&broker, &["ingress.STATION", "deliver.POLICE"]).await;
    let dead = hub
        .store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(dead.is_empty(), "nothing may be dead-lettered: {dead:?}");

    let (stored, not_stored, given_up) = hub.transport.in_doubt_settled();
    println!(
        "faults: {COUNT} published, {} distinct delivered, {} duplicate(s) after {cuts} \
         connection cut(s) ({} deliveries; all committed at {:.1} s, all collected at {:.1} s); \
         delivery publishes left in doubt by a lost confirm: {stored} found stored (not \
         republished), {not_stored} not stored (republished), {given_up} given up",
        arrivals.distinct,
        arrivals.duplicates,
        arrivals.delivered,
        committed_at.as_secs_f64(),
        collected_at.as_secs_f64(),
    );
    assert_eq!(given_up, 0, "the delivery log was readable after every cut");
    assert_eq!(
        arrivals.duplicates, 0,
        "each message is delivered exactly once to deliver.POLICE: a publish whose confirm \
         was lost with its connection is settled from the delivery log, not republished blindly"
    );
    hub.stop().await;
    broker.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// Test 2: SIGKILL mid-stream and restart
// ---------------------------------------------------------------------------------------------

/// The `HUB_…` environment that points `hub/hub.example.toml` at the test broker and store.
fn hub_environment(broker: &TestBroker, store_path: &Path) -> Vec<(String, String)> {
    let amqp = broker.amqp_config(&broker.hub_user);
    let delays = amqp
        .retry_delays_ms
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut env = vec![
        ("HUB_TRANSPORT__AMQP__URL".to_owned(), amqp.url),
        (
            "HUB_TRANSPORT__AMQP__RETRY_DELAYS_MS".to_owned(),
            delays.clone(),
        ),
        (
            "HUB_TRANSPORT__AMQP__CONNECTION_NAME".to_owned(),
            "test-hub-process".to_owned(),
        ),
        ("HUB_PIPELINE__RETRY_DELAYS_MS".to_owned(), delays),
        (
            "HUB_STORE__PATH".to_owned(),
            store_path.to_str().unwrap().to_owned(),
        ),
        ("HUB_HTTP__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        ("HUB_LOG".to_owned(), "warn".to_owned()),
        ("NO_COLOR".to_owned(), "1".to_owned()),
    ];
    for (department, user) in &broker.users {
        env.push((
            format!("HUB_DEPARTMENTS__{}__BROKER_USER", department.as_str()),
            user.username.clone(),
        ));
    }
    env
}

/// The hub binary running as a child process.
#[derive(Debug)]
struct HubProcess {
    child: Child,
    label: String,
}

impl HubProcess {
    /// Starts `hub run --config hub/hub.example.toml` with `env` and waits (bounded) until it
    /// printed its HTTP address and `/readyz` answers 200. Its stdout (the line with the
    /// address, and its log) is forwarded to the test's stderr, prefixed with `label`.
    async fn start(binary: &Path, env: &[(String, String)], label: &str) -> HubProcess {
        let mut command = Command::new(binary);
        command
            .arg("run")
            .arg("--config")
            .arg(repo_root().join("hub/hub.example.toml"))
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("HUB_")) {
            command.env_remove(name);
        }
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (address_tx, address_rx) = tokio::sync::oneshot::channel::<String>();
        let prefix = label.to_owned();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            let mut address_tx = Some(address_tx);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(address) = line.strip_prefix("hub: HTTP API on http://")
                    && let Some(tx) = address_tx.take()
                {
                    tx.send(address.trim().to_owned()).ok();
                }
                eprintln!("[{prefix}] {line}");
            }
        });
        let address: SocketAddr = tokio::time::timeout(WAIT, address_rx)
            .await
            .unwrap_or_else(|_| panic!("{label} printed no HTTP address within {WAIT:?}"))
            .unwrap_or_else(|_| panic!("{label} exited before printing its HTTP address"))
            .parse()
            .unwrap();
        wait_until(WAIT, &format!("{label} to be ready"), || readyz(address)).await;
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

    /// Stops the process like Ctrl-C does (SIGINT), bounded; kills it if it hangs.
    async fn stop(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let signalled = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .await
            .is_ok_and(|s| s.success());
        let stopped = signalled
            && tokio::time::timeout(Duration::from_secs(20), self.child.wait())
                .await
                .is_ok();
        if !stopped {
            eprintln!("{} did not stop on SIGINT; killing it", self.label);
            self.child.start_kill().ok();
            tokio::time::timeout(WAIT, self.child.wait()).await.ok();
        }
    }
}

/// Whether `GET /readyz` answers 200 (plain HTTP/1.0 over a TCP stream; the tests crate has
/// no HTTP client).
async fn readyz(address: SocketAddr) -> bool {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    match tokio::time::timeout(Duration::from_secs(5), exchange).await {
        Ok(Ok(response)) => {
            let text = String::from_utf8_lossy(&response);
            text.lines()
                .next()
                .is_some_and(|status| status.split_whitespace().nth(1) == Some("200"))
        }
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_killed_with_sigkill_mid_stream_and_restarted_loses_nothing() {
    const COUNT: usize = 2_000;
    const KILL_AFTER: usize = 700;
    let Some(broker) = TestBroker::create("faults-sigkill").await else {
        return;
    };
    let binary = hub_binary().await;
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("hub.sqlite");
    let env = hub_environment(&broker, &store_path);

    let first = HubProcess::start(&binary, &env, "hub#1").await;
    // A second reader of the hub's SQLite file (WAL), to watch progress and the outbox.
    let store = Store::open(&store_path).await.unwrap();
    let messages = Arc::new(requests(COUNT));
    let published = Arc::new(AtomicUsize::new(0));
    let publisher = tokio::spawn(publish_all(
        broker.department(Actor::Station).await,
        Actor::Station,
        Arc::clone(&messages),
        Arc::clone(&published),
    ));

    wait_committed(
        &store,
        message_id(&messages[KILL_AFTER - 1]),
        &format!("message {KILL_AFTER} to be committed by hub#1"),
    )
    .await;
    first.kill().await;
    let backlog = store.outbox_backlog().await.unwrap();
    let last_id = message_id(&messages[COUNT - 1]).to_owned();
    assert!(
        !store.is_duplicate(&last_id).await.unwrap(),
        "the kill came after everything was committed: not mid-stream"
    );
    println!(
        "faults/sigkill: hub#1 killed (SIGKILL) at {:.1} s after message {KILL_AFTER} was \
         committed; {} confirmed by the publisher, {backlog} row(s) waiting in the outbox",
        started.elapsed().as_secs_f64(),
        published.load(Ordering::Relaxed),
    );

    let second = HubProcess::start(&binary, &env, "hub#2").await;
    let report = tokio::time::timeout(Duration::from_secs(120), publisher)
        .await
        .expect("the publisher finished within 120 s")
        .unwrap();
    let police = broker.department(Actor::Police).await;
    let received = collect_distinct(
        &police,
        Actor::Police,
        COUNT,
        Duration::from_secs(120),
        QUIET,
    )
    .await;
    let arrivals = check_arrivals(&messages, &received);

    // The recipient's dedup (what every adapter does): apply a message id once.
    let mut seen = BTreeSet::new();
    let applied = received
        .iter()
        .filter(|r| seen.insert(message_id(&r.message).to_owned()))
        .count();
    assert_eq!(applied, COUNT, "after dedup every message is applied once");

    wait_until(WAIT, "the outbox to be empty", || async {
        store.outbox_backlog().await.unwrap() == 0
    })
    .await;
    wait_drained(&broker, &["ingress.STATION", "deliver.POLICE"]).await;
    let dead = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(dead.is_empty(), "nothing may be dead-lettered: {dead:?}");

    println!(
        "faults/sigkill: {COUNT} published ({} retried publish(es)), {} delivered, {} \
         duplicate(s) at deliver.POLICE after one SIGKILL, removed by recipient dedup: {applied} \
         applied once ({} distinct); {:.1} s in all",
        report.retries,
        arrivals.delivered,
        arrivals.duplicates,
        arrivals.distinct,
        started.elapsed().as_secs_f64(),
    );
    // The relay confirms one row at a time and marks it right after its confirm, so only the
    // row in flight at the kill (unconfirmed, or confirmed but not yet marked) is sent again.
    assert!(
        arrivals.duplicates <= 1,
        "{} duplicates after one SIGKILL: sequential confirms allow at most one",
        arrivals.duplicates
    );
    second.stop().await;
    store.close().await;
    broker.cleanup().await;
}
