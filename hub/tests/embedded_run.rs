//! The embedded default end to end (issue "Embedded default", points 1 and 3):
//!
//! * the real `hub` binary started with no arguments and no configuration in an empty
//!   directory runs on the embedded transport, prints where to look, accepts a GRID REFERRAL
//!   over HTTP with the development token, routes it to `deliver.STATION`, and stops with
//!   exit code 0 on SIGINT, leaving the message in the inbox and the delivery in its queue;
//! * `hub check-config` with nothing configured passes, and refuses both transports at once;
//! * the one-transaction relay moves every outbox row into its queue exactly once, in order,
//!   with its stream number.
//!
//! Every wait is bounded; the child process is killed if the test fails first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use contracts::model::Actor;
use hub::relay::{Relay, RelayError};
use hub::store::{AcceptedMessage, PlannedMessage, Store};
use hub::transport::embedded::{EmbeddedConfig, EmbeddedTransport};
use hub::transport::{Address, Consumer, Delivery, HeaderValue, Transport, header};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Longest wait for one milestone (start-up, processing, exit).
const WAIT: Duration = Duration::from_secs(60);
/// Polling interval of store probes (reading state, not synchronising).
const POLL: Duration = Duration::from_millis(20);

fn fixture(relative: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/fixtures")
        .join(relative);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// `hub` with `args` in `dir`, with no `HUB_…` variable of this process but `env`.
fn hub_command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hub"));
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("HUB_")) {
        command.env_remove(name);
    }
    command.env("NO_COLOR", "1");
    command.envs(env.iter().copied());
    command
}

/// The hub's start-up text (stdout up to and including the `hub: stop …` line), and the
/// address of its `hub: HTTP API on http://…` line.
async fn read_start_up(child: &mut Child) -> (Vec<String>, String, tokio::task::JoinHandle<()>) {
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let address = tokio::time::timeout(WAIT, async {
        let mut address = None;
        while let Some(line) = lines.next_line().await.unwrap() {
            seen.push(line.clone());
            if let Some(found) = line.strip_prefix("hub: HTTP API on http://") {
                address = Some(found.trim().to_owned());
            }
            if line.starts_with("hub: stop") {
                return address.expect("the HTTP API line comes before the stop line");
            }
        }
        panic!("the hub exited before printing its start-up text: {seen:?}");
    })
    .await
    .expect("the hub printed its start-up text in time");
    // Keep draining stdout (echoed to the test's output) so the hub never blocks on it.
    let rest = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("[hub] {line}");
        }
    });
    (seen, address, rest)
}

/// Polls `probe` until it holds; panics with `what` after [`WAIT`].
async fn wait_until<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !probe().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await; // polling a store or an API, not synchronising
    }
}

/// `kill -INT pid` (only ever the pid of the child this test started).
async fn interrupt(child: &Child) {
    let pid = child.id().expect("the hub is still running").to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "kill -INT {pid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cargo_run_with_nothing_configured_routes_a_referral_and_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = hub_command(
        dir.path(),
        &[],
        &[("HUB_HTTP__LISTEN", "127.0.0.1:0"), ("HUB_LOG", "warn")],
    )
    .spawn()
    .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut all = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("[hub stderr] {line}");
            all.push(line);
        }
        all
    });
    let (start_up, address, rest) = read_start_up(&mut child).await;
    for line in &start_up {
        println!("{line}");
    }
    let data = std::fs::canonicalize(dir.path())
        .unwrap()
        .join("data/hub.sqlite");
    let printed = |needle: &str| start_up.iter().any(|l| l.contains(needle));
    assert!(
        printed(&format!("hub: data           {}", data.display())),
        "the absolute data path is printed: {start_up:?}"
    );
    assert!(printed("hub: transport      embedded"), "{start_up:?}");
    assert!(printed("built-in"), "{start_up:?}");
    assert!(printed("HUB_TRANSPORT__AMQP__URL="), "{start_up:?}");
    assert!(printed("Ctrl-C"), "{start_up:?}");
    let base = format!("http://{address}");

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200, "{:?}", ready.text().await);

    let mut referral = fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json");
    let message_id = uuid::Uuid::new_v4().to_string();
    referral["message_id"] = Value::from(message_id.clone());
    let answer = client
        .post(format!("{base}/v1/messages"))
        .bearer_auth("dev-token-grid")
        .json(&referral)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    assert_eq!(status, 202, "{:?}", answer.text().await);

    // A second reader of the hub's database watches the pipeline commit the message; the
    // ingress queue had it durably at the 202 already.
    let watcher = Store::open(&data).await.unwrap();
    wait_until("the referral to be committed by the pipeline", || async {
        watcher.is_duplicate(&message_id).await.unwrap()
    })
    .await;
    watcher.close().await;

    interrupt(&child).await;
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("the hub stopped within the limit after SIGINT")
        .unwrap();
    assert!(status.success(), "exit status after SIGINT: {status}");
    tokio::time::timeout(WAIT, rest).await.unwrap().unwrap();
    let log = tokio::time::timeout(WAIT, log).await.unwrap().unwrap();
    assert!(
        !log.iter().any(|l| l.contains("ERROR")),
        "no error logged: {log:?}"
    );

    // Everything is in the file: inbox, outbox settled, delivery in deliver.STATION.
    let store = Store::open(&data).await.unwrap();
    let transport = EmbeddedTransport::open(&store, EmbeddedConfig::default())
        .await
        .unwrap();
    assert!(
        store.is_duplicate(&message_id).await.unwrap(),
        "in the inbox"
    );
    assert_eq!(store.outbox_backlog().await.unwrap(), 0, "outbox drained");
    assert_eq!(
        transport
            .queue_depth(Address::Ingress(Actor::Grid))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        transport
            .queue_depth(Address::Deliver(Actor::Station))
            .await
            .unwrap(),
        1,
        "the referral waits in deliver.STATION"
    );
    let mut consumer = transport
        .consume(Address::Deliver(Actor::Station), 1)
        .await
        .unwrap();
    let delivery = tokio::time::timeout(WAIT, consumer.next())
        .await
        .unwrap()
        .unwrap();
    let delivered: Value = serde_json::from_slice(delivery.body()).unwrap();
    assert_eq!(delivered["message_id"], Value::from(message_id));
    assert_eq!(
        delivery.headers().get(header::SENDER),
        Some(&HeaderValue::Text("GRID".to_owned()))
    );
    assert_eq!(
        delivery.headers().get(header::STREAM_SEQ),
        Some(&HeaderValue::Int(1))
    );
    delivery.ack().await.unwrap();
    drop(consumer);
    transport.shutdown().await;
    store.close().await;
}

#[tokio::test]
async fn check_config_with_nothing_configured_passes_and_refuses_two_transports() {
    let dir = tempfile::tempdir().unwrap();
    let output = hub_command(dir.path(), &["check-config"], &[])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {output:?}");
    assert!(stdout.contains("configuration OK"), "{stdout}");
    assert!(stdout.contains("transport: embedded"), "{stdout}");

    let output = hub_command(
        dir.path(),
        &["check-config"],
        &[(
            "HUB_TRANSPORT__AMQP__URL",
            "amqp://hub:pw@127.0.0.1:5672/%2f",
        )],
    )
    .output()
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("transport: RabbitMQ"), "{stdout}");

    let output = hub_command(
        dir.path(),
        &["check-config"],
        &[
            (
                "HUB_TRANSPORT__AMQP__URL",
                "amqp://hub:pw@127.0.0.1:5672/%2f",
            ),
            ("HUB_TRANSPORT__EMBEDDED__LEASE_MS", "10000"),
        ],
    )
    .output()
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{output:?}");
    assert!(
        stderr.contains("config: transport: both [transport.amqp] and [transport.embedded]"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "check-config touches nothing"
    );
}

fn accepted(id: &str) -> AcceptedMessage {
    AcceptedMessage {
        message_id: id.to_owned(),
        sender: "GRID".to_owned(),
        message_type: "REFERRAL".to_owned(),
        case_id: Some("CASE-1".to_owned()),
        body_sha256: "0".repeat(64),
    }
}

fn planned(id: &str, recipient: &str) -> PlannedMessage {
    let mut headers = BTreeMap::new();
    headers.insert(
        header::SENDER.to_owned(),
        HeaderValue::Text("GRID".to_owned()),
    );
    PlannedMessage {
        message_id: id.to_owned(),
        address: format!("deliver.{recipient}"),
        message_type: "REFERRAL".to_owned(),
        case_id: Some("CASE-1".to_owned()),
        stream: Some(("GRID".to_owned(), recipient.to_owned())),
        body: format!("{{\"message_id\":\"{id}\"}}").into_bytes(),
        headers,
    }
}

async fn open_embedded(path: PathBuf) -> (Store, Arc<EmbeddedTransport>) {
    let store = Store::open(&path).await.unwrap();
    let transport = EmbeddedTransport::open(&store, EmbeddedConfig::default())
        .await
        .unwrap();
    (store, Arc::new(transport))
}

#[tokio::test]
async fn the_one_transaction_relay_moves_each_row_once_in_order() {
    const ROWS: usize = 600; // more than one batch of the relay
    let dir = tempfile::tempdir().unwrap();
    let (store, transport) = open_embedded(dir.path().join("hub.sqlite")).await;
    let recipients = ["STATION", "POLICE"];
    for i in 0..ROWS {
        store
            .commit_accepted(
                &accepted(&format!("m{i}")),
                vec![planned(&format!("o{i}"), recipients[i % 2])],
            )
            .await
            .unwrap();
    }
    // A row whose address names no queue waits; the others flow.
    store
        .commit_refusal(vec![PlannedMessage {
            address: "deliver.NOBODY".to_owned(),
            ..planned("stuck", "NOBODY")
        }])
        .await
        .unwrap();
    let relay = Relay::embedded(store.clone(), Arc::clone(&transport));
    let error = relay.drain_once().await.unwrap_err();
    assert!(!error.is_transient(), "{error}");
    assert_eq!(
        store.outbox_backlog().await.unwrap(),
        1,
        "only the stuck row"
    );
    let again = relay.drain_once().await.unwrap_err();
    assert!(
        matches!(&again, RelayError::UnknownAddress { address, .. } if address == "deliver.NOBODY"),
        "{again}"
    );
    for recipient in [Actor::Station, Actor::Police] {
        assert_eq!(
            transport
                .queue_depth(Address::Deliver(recipient))
                .await
                .unwrap(),
            u64::try_from(ROWS / 2).unwrap(),
            "each row enqueued exactly once"
        );
    }
    for (n, recipient) in [Actor::Station, Actor::Police].into_iter().enumerate() {
        let mut consumer = transport
            .consume(Address::Deliver(recipient), 50)
            .await
            .unwrap();
        for k in 0..ROWS / 2 {
            let delivery = tokio::time::timeout(WAIT, consumer.next())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                delivery.message_id(),
                Some(format!("o{}", 2 * k + n).as_str())
            );
            assert_eq!(
                delivery.headers().get(header::STREAM_SEQ),
                Some(&HeaderValue::Int(i64::try_from(k + 1).unwrap()))
            );
            delivery.ack().await.unwrap();
        }
    }
    transport.shutdown().await;
    store.close().await;
}
