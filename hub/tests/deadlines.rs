//! The deadline engine (issue 6, item 6) end to end, in-process on the embedded transport with
//! a manual clock — no broker, no real waiting:
//!
//! * every rule of `hub/hub.example.toml` driven by its trigger, its deadline passing on the
//!   manual clock, its escalation delivered to the right departments — and, checked after the
//!   hub stopped, nothing else in any delivery queue (each escalation exactly once);
//! * meeting messages (on time and late), follow-ups, closing messages;
//! * a hub stopped before a deadline and started after it fires the escalation once;
//! * two engines racing on one store fire a step once;
//! * the board (`GET /v1/deadlines`) and its compliance figures, per viewer;
//! * configuration problems of deadline rules, with their paths; every example escalation is
//!   a valid message of its contract.
//!
//! Every wait is bounded ([`WAIT`]) and waits for an event (a delivery), never for time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use contracts::Registry;
use contracts::model::Actor;
use hub::app::{self, Running};
use hub::config::{ConfigProblem, HubConfig};
use hub::deadlines::calendar::{local_text, parse_instant};
use hub::deadlines::escalation::{self, Envelope, Facts};
use hub::deadlines::{Deadlines, Engine, ManualClock, board, timers};
use hub::pipeline::{HubIdentity, Pipeline, Publisher, Verdict};
use hub::store::Store;
use hub::transport::embedded::{EmbeddedConsumer, EmbeddedTransport};
use hub::transport::{
    Address, Consumer, Delivery, HeaderValue, Headers, Outgoing, Transport, header,
};
use serde_json::{Value, json};
use support::{fixture, with};
use tokio::sync::Notify;

/// Longest wait for one delivery.
const WAIT: Duration = Duration::from_secs(30);
/// The operators' development token of the example configuration.
const OPS_TOKEN: &str = "dev-token-ops";

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3_600);
const DAY: Duration = Duration::from_secs(86_400);

fn at(text: &str) -> SystemTime {
    parse_instant(text).unwrap_or_else(|| panic!("not a time: {text}"))
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("hub.example.toml")
}

fn example() -> HubConfig {
    HubConfig::load(Some(&example_path()), std::iter::empty()).unwrap()
}

fn text(headers: &Headers, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(HeaderValue::as_text)
        .map(str::to_owned)
}

/// One delivery taken from a department's queue (acked).
#[derive(Debug)]
struct Received {
    message: Value,
    headers: Headers,
}

impl Received {
    fn sender(&self) -> Option<String> {
        text(&self.headers, header::SENDER)
    }
}

/// A complete hub in this process: embedded transport on a store file, example configuration,
/// the deadline engine on a manual clock.
struct TestHub {
    config: Arc<HubConfig>,
    registry: Arc<Registry>,
    store: Store,
    transport: EmbeddedTransport,
    running: Option<Running>,
    consumers: HashMap<Actor, EmbeddedConsumer>,
}

impl TestHub {
    async fn start(path: &Path, clock: &ManualClock) -> TestHub {
        let mut config = example();
        config.transport.amqp = None;
        config.store.path = path.to_path_buf();
        config.http.listen = "127.0.0.1:0".to_owned();
        let registry = Arc::new(Registry::embedded().unwrap());
        if let Err(problems) = config.validate(&registry) {
            panic!("test configuration invalid: {problems:?}");
        }
        let config = Arc::new(config);
        let store = Store::open(path).await.unwrap();
        let transport = EmbeddedTransport::open(
            &store,
            config.transport.embedded.clone().unwrap_or_default(),
        )
        .await
        .unwrap();
        let running = app::start_with_clock(
            Arc::clone(&config),
            Arc::clone(&registry),
            store.clone(),
            Arc::new(transport.clone()),
            Arc::new(clock.clone()),
        )
        .await
        .unwrap();
        TestHub {
            config,
            registry,
            store,
            transport,
            running: Some(running),
            consumers: HashMap::new(),
        }
    }

    /// Publishes `message` to `ingress.<sender>` as the department's broker user (validated
    /// first, so a broken test message fails here and not as a refusal).
    async fn send(&self, sender: Actor, message: &Value) {
        if let Err(report) = self.registry.validate_value(message.clone()) {
            panic!("test message invalid:\n{report}");
        }
        let user = self.config.departments[&sender]
            .broker_user
            .clone()
            .unwrap();
        self.transport
            .as_publisher(&user)
            .publish(Outgoing {
                address: Address::Ingress(sender),
                message_type: message["message_type"].as_str().unwrap().to_owned(),
                message_id: message["message_id"].as_str().unwrap().to_owned(),
                body: serde_json::to_vec(message).unwrap(),
                headers: Headers::new(),
            })
            .await
            .unwrap();
    }

    /// The next delivery to `department` (acked), within [`WAIT`].
    async fn next(&mut self, department: Actor) -> Received {
        if !self.consumers.contains_key(&department) {
            let consumer = self
                .transport
                .consume(Address::Deliver(department), 1)
                .await
                .unwrap();
            self.consumers.insert(department, consumer);
        }
        let consumer = self.consumers.get_mut(&department).unwrap();
        let delivery = tokio::time::timeout(WAIT, consumer.next())
            .await
            .unwrap_or_else(|_| panic!("nothing delivered to {department:?} in time"))
            .unwrap();
        let received = Received {
            message: serde_json::from_slice(delivery.body()).unwrap(),
            headers: delivery.headers().clone(),
        };
        delivery.ack().await.unwrap();
        received
    }

    /// The next delivery to `department`, which must be `message_type` from `sender`.
    async fn expect(&mut self, department: Actor, message_type: &str, sender: Actor) -> Value {
        let received = self.next(department).await;
        assert_eq!(
            received.message["message_type"], message_type,
            "{department:?} received {}",
            received.message
        );
        assert_eq!(
            received.sender().as_deref(),
            Some(sender.as_str()),
            "sender of {}",
            received.message
        );
        received.message
    }

    /// The next delivery to `department`, which must be an escalation of `rule` for `key`,
    /// step `step`: the rule's message type (a DEADLINE_NOTICE naming the rule, the item and
    /// the step, or an INCIDENT_REPORT) from the hub, valid against its contract.
    async fn expect_escalation(
        &mut self,
        department: Actor,
        rule: &str,
        key: &str,
        step: i64,
    ) -> Value {
        let received = self.next(department).await;
        assert_eq!(
            received.sender().as_deref(),
            Some("HUB"),
            "{department:?} expected an escalation, got {}",
            received.message
        );
        assert_eq!(
            text(&received.headers, header::DEADLINE),
            Some(format!("{rule}/{key}/{step}"))
        );
        let expected_type = self
            .config
            .deadlines
            .rule(rule)
            .and_then(|r| r.escalation.as_ref())
            .map(|e| e.message_type.clone())
            .unwrap();
        assert_eq!(received.message["message_type"], expected_type.as_str());
        if expected_type == "DEADLINE_NOTICE" {
            let payload = &received.message["payload"];
            assert_eq!(payload["rule"], rule);
            assert_eq!(payload["item_key"], key);
            assert_eq!(payload["step"], step);
        }
        assert_eq!(received.message["sender_org_type"], "HUB");
        if let Err(report) = self.registry.validate_value(received.message.clone()) {
            panic!("the escalation is not a valid message:\n{report}");
        }
        received.message
    }

    /// `GET /v1/deadlines` with `token`: status and body.
    async fn board(&self, token: Option<&str>) -> (u16, Value) {
        let address = self.running.as_ref().unwrap().http_address;
        let client = reqwest::Client::builder().timeout(WAIT).build().unwrap();
        let mut request = client.get(format!("http://{address}/v1/deadlines"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// The operator's board.
    async fn ops_board(&self) -> Value {
        let (status, body) = self.board(Some(OPS_TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Stops the hub (its relay's last pass included) and closes everything.
    async fn stop(mut self) {
        self.consumers.clear();
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        self.transport.shutdown().await;
        self.store.close().await;
    }

    /// Stops the hub, then checks that every delivery queue is empty: every message the
    /// hub delivered was taken by the test, so no escalation came twice or unexpected.
    async fn stop_and_assert_nothing_else_delivered(mut self) {
        self.consumers.clear();
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        assert_eq!(self.store.outbox_backlog().await.unwrap(), 0);
        for department in Actor::DEPARTMENTS {
            assert_eq!(
                self.transport
                    .queue_depth(Address::Deliver(department))
                    .await
                    .unwrap(),
                0,
                "deliver.{} holds a message the test did not expect",
                department.as_str()
            );
        }
        self.transport.shutdown().await;
        self.store.close().await;
    }
}

/// The entries of a board list (`open`, `due_soon`, `breached`) for `rule`.
fn entries<'a>(board: &'a Value, list: &str, rule: &str) -> Vec<&'a Value> {
    board[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule"] == rule)
        .collect()
}

/// `[on_time, late, pending, escalated]` of `rule` on a board.
fn compliance(board: &Value, rule: &str) -> [u64; 4] {
    let row = board["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no compliance row for {rule}: {board}"));
    ["on_time", "late", "pending", "escalated"].map(|k| row[k].as_u64().unwrap())
}

fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    (dir, path)
}

// ---------------------------------------------------------------------------------------
// Messages of the tests, from the contract fixtures
// ---------------------------------------------------------------------------------------

fn absconded_report(stage: &str, incident: &str, case: &str, discovered: SystemTime) -> Value {
    with(
        fixture("INCIDENT_REPORT/v1/valid/final_absconded_high_risk_person_found.json"),
        &[
            ("/case_id", json!(case)),
            ("/payload/report_stage", json!(stage)),
            ("/payload/incident_id", json!(incident)),
            (
                "/payload/occurred_at",
                json!(local_text(discovered - 15 * MINUTE)),
            ),
            ("/payload/discovered_at", json!(local_text(discovered))),
            (
                "/payload/first_report_due_at",
                json!(local_text(discovered + HOUR)),
            ),
            ("/payload/persons_involved/0/case_id", json!(case)),
        ],
    )
}

fn death_report(stage: &str, incident: &str, case: &str, discovered: SystemTime) -> Value {
    let base = if stage == "FIRST" {
        "INCIDENT_REPORT/v1/valid/first_report_abnormal_death.json"
    } else {
        "INCIDENT_REPORT/v1/valid/update_abnormal_death_forensic_result.json"
    };
    with(
        fixture(base),
        &[
            ("/case_id", json!(case)),
            ("/payload/report_stage", json!(stage)),
            ("/payload/incident_id", json!(incident)),
            ("/payload/severity", json!("MAJOR")),
            (
                "/payload/occurred_at",
                json!(local_text(discovered - 30 * MINUTE)),
            ),
            ("/payload/discovered_at", json!(local_text(discovered))),
            (
                "/payload/first_report_due_at",
                json!(local_text(discovered + HOUR)),
            ),
            ("/payload/persons_involved/0/case_id", json!(case)),
        ],
    )
}

fn handover(number: &str) -> Value {
    with(
        fixture("POLICE_ESCORT_HANDOVER/v1/valid/typical.json"),
        &[("/payload/handover_no", json!(number))],
    )
}

fn handover_ack(handover: &Value, case: &str) -> Value {
    with(
        fixture("HANDOVER_ACK/v1/valid/received.json"),
        &[
            ("/correlation_id", handover["message_id"].clone()),
            ("/case_id", json!(case)),
            ("/payload/case_id", json!(case)),
            (
                "/payload/handover_no",
                handover["payload"]["handover_no"].clone(),
            ),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// Each rule of the example configuration
// ---------------------------------------------------------------------------------------

/// 附件3 §四(一): missing, searched for an hour, not found → the hub reports to the police,
/// continuing the station's incident; the final report later closes it (late).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_missing_for_an_hour_is_reported_to_the_police_once() {
    let (_dir, path) = scratch();
    let start = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(start);
    let mut hub = TestHub::start(&path, &clock).await;
    let (incident, case) = ("TCJZ-SJ-2026-0031", "TC-2026-000501");

    // Discovered 10 minutes ago; the station's first report arrives now.
    let first = absconded_report("FIRST", incident, case, start - 10 * MINUTE);
    hub.send(Actor::Station, &first).await;
    hub.expect(Actor::Civil, "INCIDENT_REPORT", Actor::Station)
        .await;
    hub.expect(Actor::Police, "INCIDENT_REPORT", Actor::Station)
        .await;

    let board = hub.ops_board().await;
    let open = entries(&board, "open", "missing_from_station");
    assert_eq!(open.len(), 1, "{board}");
    assert_eq!(open[0]["key"], incident);
    assert_eq!(open[0]["case_id"], case);
    assert_eq!(open[0]["due_at"], local_text(start + 50 * MINUTE));
    assert_eq!(open[0]["minutes_to_due"], 50);
    // The first report itself was on time (compliance-only rule).
    assert_eq!(compliance(&board, "incident_first_report"), [1, 0, 0, 0]);

    clock.advance(25 * MINUTE);
    let board = hub.ops_board().await;
    assert_eq!(entries(&board, "due_soon", "missing_from_station").len(), 1);
    assert!(entries(&board, "breached", "missing_from_station").is_empty());

    clock.advance(26 * MINUTE);
    let report = hub
        .expect_escalation(Actor::Police, "missing_from_station", incident, 1)
        .await;
    assert_eq!(report["payload"]["incident_id"], incident);
    assert_eq!(report["payload"]["report_stage"], "UPDATE");
    assert_eq!(report["payload"]["incident_type"], "ABSCONDED_HIGH_RISK");
    assert_eq!(report["payload"]["persons_involved"][0]["case_id"], case);
    assert_eq!(report["correlation_id"], first["message_id"]);
    assert_eq!(report["purpose_code"], "MISSING_PERSON_SEARCH");
    assert!(
        report["payload"]["description"]
            .as_str()
            .unwrap()
            .contains(&local_text(start + 50 * MINUTE)),
        "{report}"
    );

    let board = hub.ops_board().await;
    let breached = entries(&board, "breached", "missing_from_station");
    assert_eq!(breached.len(), 1, "{board}");
    assert_eq!(breached[0]["escalated"], true);
    assert_eq!(breached[0]["escalated_to"], json!(["POLICE"]));
    assert_eq!(breached[0]["escalation_message_id"], report["message_id"]);
    assert_eq!(compliance(&board, "missing_from_station"), [0, 1, 0, 1]);

    // Found the next morning: the final report closes the incident.
    clock.advance(20 * HOUR);
    let last = absconded_report("FINAL", incident, case, start - 10 * MINUTE);
    hub.send(Actor::Station, &last).await;
    hub.expect(Actor::Civil, "INCIDENT_REPORT", Actor::Station)
        .await;
    hub.expect(Actor::Police, "INCIDENT_REPORT", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    assert!(entries(&board, "breached", "missing_from_station").is_empty());
    assert_eq!(compliance(&board, "missing_from_station"), [0, 1, 0, 1]);

    clock.advance(30 * DAY);
    hub.stop_and_assert_nothing_else_delivered().await;
}

/// Found within the hour: the final report meets the deadline, nothing goes to the police.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_person_found_within_the_hour_is_not_reported() {
    let (_dir, path) = scratch();
    let start = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(start);
    let mut hub = TestHub::start(&path, &clock).await;
    let (incident, case) = ("TCJZ-SJ-2026-0032", "TC-2026-000502");
    hub.send(
        Actor::Station,
        &absconded_report("FIRST", incident, case, start),
    )
    .await;
    hub.expect(Actor::Civil, "INCIDENT_REPORT", Actor::Station)
        .await;
    hub.expect(Actor::Police, "INCIDENT_REPORT", Actor::Station)
        .await;
    clock.advance(40 * MINUTE);
    hub.send(
        Actor::Station,
        &absconded_report("FINAL", incident, case, start),
    )
    .await;
    hub.expect(Actor::Civil, "INCIDENT_REPORT", Actor::Station)
        .await;
    hub.expect(Actor::Police, "INCIDENT_REPORT", Actor::Station)
        .await;
    clock.advance(3 * HOUR);
    let board = hub.ops_board().await;
    assert_eq!(compliance(&board, "missing_from_station"), [1, 0, 0, 0]);
    assert!(board["breached"].as_array().unwrap().is_empty(), "{board}");
    hub.stop_and_assert_nothing_else_delivered().await;
}

/// 附件3 §五: a major incident's first report is checked against the 1-hour limit, follow-up
/// reports are due every 24 hours while it is open (a missing one is escalated to civil
/// affairs and the reporter), and the final report ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_major_incident_needs_a_timely_first_report_follow_ups_and_a_final_report() {
    let (_dir, path) = scratch();
    let start = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(start);
    let mut hub = TestHub::start(&path, &clock).await;
    let (incident, case) = ("TCJZ-SJ-2026-0040", "TC-2026-000640");

    // Discovered two hours ago: the first report is an hour late.
    let first = death_report("FIRST", incident, case, start - 2 * HOUR);
    hub.send(Actor::Station, &first).await;
    hub.expect(Actor::Civil, "INCIDENT_REPORT", Actor::Station)
        .await;
    hub.expect(Actor::Police, "INCIDENT_REPORT", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    assert_eq!(compliance(&board, "incident_first_report"), [0, 1, 0, 0]);
    assert!(
        entries(&board, "breached", "incident_first_report").is_empty(),
        "a late first report is counted, not escalated: {board}"
    );

    // 23 hours on, the first follow-up is due within the rule's 2-hour window.
    clock.advance(23 * HOUR);
    let board = hub.ops_board().await;
    let soon = entries(&board, "due_soon", "major_incident_follow_up");
    assert_eq!(soon.len(), 1, "{board}");
    assert_eq!(soon[0]["step"], 1);
    let update = death_report("UPDATE", incident, case, start - 2 * HOUR);
    hub.send(Actor::Station, &update).await;
    hub.expect(Actor::Civil, "INCIDENT_REPORT", Actor::Station)
        .await;
    hub.expect(Actor::Police, "INCIDENT_REPORT", Actor::Station)
        .await;

    // The next one is due 24 hours after that update; none comes.
    let board = hub.ops_board().await;
    let open = entries(&board, "open", "major_incident_follow_up");
    assert_eq!(open.len(), 1, "{board}");
    assert_eq!(open[0]["step"], 2);
    assert_eq!(open[0]["due_at"], local_text(start + 47 * HOUR));
    clock.advance(24 * HOUR);
    for department in [Actor::Civil, Actor::Station] {
        let notice = hub
            .expect_escalation(department, "major_incident_follow_up", incident, 2)
            .await;
        assert_eq!(notice["payload"]["incident_type"], "OTHER");
        let id = notice["payload"]["incident_id"].as_str().unwrap();
        assert!(id.starts_with("DL-") && id.ends_with("-2"), "{id}");
        assert!(
            notice["payload"]["description"]
                .as_str()
                .unwrap()
                .contains(incident)
        );
        assert_eq!(notice["payload"]["persons_involved"][0]["case_id"], case);
    }
    let board = hub.ops_board().await;
    assert_eq!(
        entries(&board, "breached", "major_incident_follow_up").len(),
        1
    );
    assert_eq!(entries(&board, "open", "major_incident_follow_up").len(), 1);

    // The final report: the missed update is made up for late, the item ends.
    clock.advance(HOUR);
    let last = death_report("FINAL", incident, case, start - 2 * HOUR);
    hub.send(Actor::Station, &last).await;
    hub.expect(Actor::Civil, "INCIDENT_REPORT", Actor::Station)
        .await;
    hub.expect(Actor::Police, "INCIDENT_REPORT", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    assert!(entries(&board, "breached", "major_incident_follow_up").is_empty());
    assert!(entries(&board, "open", "major_incident_follow_up").is_empty());
    assert_eq!(compliance(&board, "major_incident_follow_up"), [2, 1, 0, 1]);

    clock.advance(10 * DAY);
    hub.stop_and_assert_nothing_else_delivered().await;
}

/// A death in the station (leave registered as DECEASED) must be reported as an incident
/// within the hour; without a report, civil affairs and the station are told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_death_in_the_station_without_an_incident_report_is_escalated() {
    let (_dir, path) = scratch();
    let start = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(start);
    let mut hub = TestHub::start(&path, &clock).await;
    let case = "TCJZ-2026-0150";
    let leave = with(
        fixture("STATION_LEAVE/v1/valid/terminated_over_10_days.json"),
        &[
            ("/case_id", json!(case)),
            ("/payload/case_id", json!(case)),
            ("/payload/leave_mode", json!("DECEASED")),
            ("/payload/leave_at", json!(local_text(start - 20 * MINUTE))),
        ],
    );
    let leave = {
        let mut leave = leave;
        leave["payload"]
            .as_object_mut()
            .unwrap()
            .remove("termination_notice_ref");
        leave
    };
    hub.send(Actor::Station, &leave).await;
    hub.expect(Actor::Civil, "STATION_LEAVE", Actor::Station)
        .await;
    clock.advance(41 * MINUTE);
    for department in [Actor::Civil, Actor::Station] {
        let notice = hub
            .expect_escalation(department, "death_in_station_report", case, 1)
            .await;
        assert_eq!(notice["case_id"], case);
        assert_eq!(notice["payload"]["escalation_level"], "ESCALATION");
    }
    // The report arrives late and resolves it.
    let report = death_report("FIRST", "TCJZ-SJ-2026-0050", case, start - 20 * MINUTE);
    let report = with(report, &[("/payload/severity", json!("GENERAL"))]);
    hub.send(Actor::Station, &report).await;
    hub.expect(Actor::Civil, "INCIDENT_REPORT", Actor::Station)
        .await;
    hub.expect(Actor::Police, "INCIDENT_REPORT", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    assert_eq!(compliance(&board, "death_in_station_report"), [0, 1, 0, 1]);
    assert!(entries(&board, "breached", "death_in_station_report").is_empty());
    hub.stop_and_assert_nothing_else_delivered().await;
}

/// The rescue period: a stay over 10 days gets a review notice to the station and civil
/// affairs; leaving later resolves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stay_over_10_days_gets_a_review_notice() {
    let (_dir, path) = scratch();
    let start = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(start);
    let mut hub = TestHub::start(&path, &clock).await;
    let case = "TCJZ-2026-0102";
    let intake = with(
        fixture("STATION_INTAKE/v1/valid/police_escort_adult_document.json"),
        &[
            ("/case_id", json!(case)),
            ("/payload/case_id", json!(case)),
            ("/payload/intake_at", json!(local_text(start))),
        ],
    );
    hub.send(Actor::Station, &intake).await;
    hub.expect(Actor::Civil, "STATION_INTAKE", Actor::Station)
        .await;
    hub.expect(Actor::Police, "STATION_INTAKE", Actor::Station)
        .await;

    clock.advance(9 * DAY);
    let board = hub.ops_board().await;
    assert_eq!(
        entries(&board, "due_soon", "stay_over_10_days").len(),
        1,
        "{board}"
    );
    // The person's identity is documented: no DNA or settlement deadline.
    assert_eq!(
        compliance(&board, "dna_request_7_working_days"),
        [0, 0, 0, 0]
    );
    assert_eq!(
        compliance(&board, "settlement_after_3_months"),
        [0, 0, 0, 0]
    );

    clock.advance(DAY);
    for department in [Actor::Station, Actor::Civil] {
        let notice = hub
            .expect_escalation(department, "stay_over_10_days", case, 1)
            .await;
        assert!(
            notice["payload"]["required_action"]
                .as_str()
                .unwrap()
                .contains("10天")
        );
    }
    clock.advance(2 * DAY);
    let leave = with(
        fixture("STATION_LEAVE/v1/valid/terminated_over_10_days.json"),
        &[
            ("/case_id", json!(case)),
            ("/payload/case_id", json!(case)),
            ("/payload/leave_at", json!(local_text(start + 12 * DAY))),
            ("/payload/days_in_station", json!(12)),
        ],
    );
    hub.send(Actor::Station, &leave).await;
    hub.expect(Actor::Civil, "STATION_LEAVE", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    assert!(entries(&board, "breached", "stay_over_10_days").is_empty());
    assert_eq!(compliance(&board, "stay_over_10_days"), [0, 1, 0, 1]);
    hub.stop_and_assert_nothing_else_delivered().await;
}

/// An unidentified person: the DNA request is due within 7 working days of intake (the 2026
/// Spring Festival holidays and make-up days counted), the settlement prompt after 3 months.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unidentified_person_gets_a_dna_reminder_and_a_settlement_prompt() {
    let (_dir, path) = scratch();
    // Friday before the Spring Festival.
    let intake_at = at("2026-02-13T16:00:00+08:00");
    let clock = ManualClock::new(intake_at);
    let mut hub = TestHub::start(&path, &clock).await;
    let case = "TCJZ-2026-0145";
    let intake = with(
        fixture("STATION_INTAKE/v1/valid/unidentified_hospital_transfer.json"),
        &[
            ("/case_id", json!(case)),
            ("/payload/case_id", json!(case)),
            ("/payload/intake_at", json!(local_text(intake_at))),
        ],
    );
    hub.send(Actor::Station, &intake).await;
    hub.expect(Actor::Civil, "STATION_INTAKE", Actor::Station)
        .await;

    // 14 Feb (Saturday, worked), 24–28 Feb (28 is a worked Saturday), 2 March: the 7th
    // working day ends at midnight after Monday 2 March.
    let board = hub.ops_board().await;
    let open = entries(&board, "open", "dna_request_7_working_days");
    assert_eq!(open.len(), 1, "{board}");
    assert_eq!(open[0]["due_at"], "2026-03-03T00:00:00+08:00");
    // Mental disorder: the 10-day limit does not apply.
    assert_eq!(compliance(&board, "stay_over_10_days"), [0, 0, 0, 0]);

    clock.set(at("2026-03-02T23:59:00+08:00"));
    let board = hub.ops_board().await;
    assert_eq!(
        entries(&board, "due_soon", "dna_request_7_working_days").len(),
        1
    );
    clock.advance(2 * MINUTE);
    for department in [Actor::Station, Actor::Civil] {
        let notice = hub
            .expect_escalation(department, "dna_request_7_working_days", case, 1)
            .await;
        assert_eq!(notice["purpose_code"], "IDENTITY_VERIFICATION");
    }
    let request = with(
        fixture("IDENTITY_CHECK_REQUEST/v1/valid/face_and_dna_sampling.json"),
        &[
            ("/case_id", json!(case)),
            ("/payload/case_id", json!(case)),
            ("/payload/intake_at", json!(local_text(intake_at))),
        ],
    );
    hub.send(Actor::Station, &request).await;
    hub.expect(Actor::Police, "IDENTITY_CHECK_REQUEST", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    assert_eq!(
        compliance(&board, "dna_request_7_working_days"),
        [0, 1, 0, 1]
    );

    // Three months after intake, still unidentified — and the police never reported the
    // DNA sample they had one month to take: the police and the station are told.
    clock.set(at("2026-05-13T15:59:00+08:00"));
    for department in [Actor::Police, Actor::Station] {
        let notice = hub
            .expect_escalation(department, "dna_sampling_1_month", "TCJZ-HC-2025-0150", 1)
            .await;
        assert!(
            notice["payload"]["required_action"]
                .as_str()
                .unwrap()
                .contains("DNA_SAMPLING")
        );
    }
    let board = hub.ops_board().await;
    assert_eq!(
        entries(&board, "due_soon", "settlement_after_3_months").len(),
        1
    );
    clock.advance(2 * MINUTE);
    for department in [Actor::Station, Actor::Civil] {
        let notice = hub
            .expect_escalation(department, "settlement_after_3_months", case, 1)
            .await;
        assert!(
            notice["payload"]["required_action"]
                .as_str()
                .unwrap()
                .contains("SETTLEMENT_REQUEST")
        );
        assert_eq!(notice["purpose_code"], "SETTLEMENT");
    }
    let settlement = with(
        fixture("SETTLEMENT_REQUEST/v1/valid/first_application_by_station.json"),
        &[
            ("/case_id", json!(case)),
            ("/payload/case_id", json!(case)),
            ("/payload/first_intake_at", json!(local_text(intake_at))),
        ],
    );
    hub.send(Actor::Station, &settlement).await;
    hub.expect(Actor::Police, "SETTLEMENT_REQUEST", Actor::Station)
        .await;
    hub.expect(Actor::Civil, "SETTLEMENT_REQUEST", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    assert_eq!(
        compliance(&board, "settlement_after_3_months"),
        [0, 1, 0, 1]
    );
    // Only the DNA sample stays breached: the police never reported it.
    let breached = board["breached"].as_array().unwrap();
    assert_eq!(breached.len(), 1, "{board}");
    assert_eq!(breached[0]["rule"], "dna_sampling_1_month");
    hub.stop_and_assert_nothing_else_delivered().await;
}

/// A police handover not signed for within 2 hours is escalated to the station and the
/// police; one signed in time is not. The board shows both and the rule's on-time rate, to
/// operators in full, to each department its part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unacknowledged_police_handover_is_escalated_and_the_board_shows_it() {
    let (_dir, path) = scratch();
    let start = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(start);
    let mut hub = TestHub::start(&path, &clock).await;

    let late = handover("TCGA-HS-20260302-011");
    hub.send(Actor::Police, &late).await;
    hub.expect(Actor::Station, "POLICE_ESCORT_HANDOVER", Actor::Police)
        .await;
    clock.advance(30 * MINUTE);
    let prompt = handover("TCGA-HS-20260302-012");
    hub.send(Actor::Police, &prompt).await;
    hub.expect(Actor::Station, "POLICE_ESCORT_HANDOVER", Actor::Police)
        .await;
    clock.advance(30 * MINUTE);
    let ack = handover_ack(&prompt, "TCJZ-2026-000320");
    hub.send(Actor::Station, &ack).await;
    hub.expect(Actor::Police, "HANDOVER_ACK", Actor::Station)
        .await;

    // 09:00: the first handover is due at 10:00, within the rule's 60-minute window.
    let board = hub.ops_board().await;
    let soon = entries(&board, "due_soon", "handover_ack");
    assert_eq!(soon.len(), 1, "{board}");
    assert_eq!(soon[0]["key"], "TCGA-HS-20260302-011");
    assert_eq!(soon[0]["trigger_sender"], "POLICE");
    assert_eq!(soon[0]["trigger_message_id"], late["message_id"]);
    assert_eq!(compliance(&board, "handover_ack"), [1, 0, 1, 0]);

    // Who sees what.
    let (status, body) = hub.board(None).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = hub.board(Some("not-a-token")).await;
    assert_eq!(status, 401);
    for (token, sees) in [
        ("dev-token-station", true),
        ("dev-token-police", true),
        ("dev-token-grid", false),
    ] {
        let (status, part) = hub.board(Some(token)).await;
        assert_eq!(status, 200, "{part}");
        assert_eq!(
            entries(&part, "due_soon", "handover_ack").len(),
            usize::from(sees),
            "{token}: {part}"
        );
        let rows: Vec<&str> = part["compliance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rows.contains(&"handover_ack"), sees, "{token}: {rows:?}");
    }

    clock.advance(HOUR);
    let mut ids = Vec::new();
    for department in [Actor::Station, Actor::Police] {
        let notice = hub
            .expect_escalation(department, "handover_ack", "TCGA-HS-20260302-011", 1)
            .await;
        assert!(
            notice["payload"]["required_action"]
                .as_str()
                .unwrap()
                .contains("TCGA-HS-20260302-011")
        );
        ids.push(notice["message_id"].clone());
    }
    assert_eq!(
        ids[0], ids[1],
        "one escalation, delivered to each recipient"
    );
    let board = hub.ops_board().await;
    let breached = entries(&board, "breached", "handover_ack");
    assert_eq!(breached.len(), 1, "{board}");
    assert_eq!(breached[0]["escalated_to"], json!(["STATION", "POLICE"]));
    assert_eq!(breached[0]["minutes_to_due"], 0);

    clock.advance(15 * MINUTE);
    hub.send(Actor::Station, &handover_ack(&late, "TCJZ-2026-000321"))
        .await;
    hub.expect(Actor::Police, "HANDOVER_ACK", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    assert!(entries(&board, "breached", "handover_ack").is_empty());
    let row = board["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "handover_ack")
        .unwrap();
    assert_eq!(row["on_time"], 1);
    assert_eq!(row["late"], 1);
    assert_eq!(row["on_time_rate"], 0.5);
    hub.stop_and_assert_nothing_else_delivered().await;
}

/// A minor returned home: visits are scheduled (1 month after arrival, then 2, 3 and 6 months
/// after each visit); an overdue visit is escalated to the station and civil affairs, the
/// late visit resolves it, and the next one stays scheduled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minor_returned_home_gets_follow_up_visits_and_an_overdue_one_is_escalated() {
    let (_dir, path) = scratch();
    let arrival = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(arrival - DAY);
    let mut hub = TestHub::start(&path, &clock).await;
    let case = "TCJZ-2026-0131";
    let notice = with(
        fixture("RETURN_HOME_NOTICE/v1/valid/minor_escort_to_origin_station.json"),
        &[
            ("/case_id", json!(case)),
            ("/payload/case_id", json!(case)),
            (
                "/payload/planned_departure_at",
                json!(local_text(arrival - 8 * HOUR)),
            ),
            ("/payload/planned_arrival_at", json!(local_text(arrival))),
        ],
    );
    hub.send(Actor::Station, &notice).await;
    hub.expect(Actor::Origin, "RETURN_HOME_NOTICE", Actor::Station)
        .await;
    let board = hub.ops_board().await;
    let open = entries(&board, "open", "minor_follow_up_visits");
    assert_eq!(open.len(), 1, "{board}");
    assert_eq!(open[0]["due_at"], "2026-04-02T08:00:00+08:00");

    let visit = |no: i64, visited: SystemTime| {
        with(
            fixture("FOLLOW_UP_VISIT/v1/valid/minor_visit_delegated_to_origin.json"),
            &[
                ("/case_id", json!(case)),
                ("/payload/case_id", json!(case)),
                ("/payload/visit_no", json!(no)),
                ("/payload/visited_at", json!(local_text(visited))),
            ],
        )
    };
    // Visit 1 on 21 March, reported a day later: on time.
    clock.set(at("2026-03-22T18:00:00+08:00"));
    hub.send(Actor::Origin, &visit(1, at("2026-03-21T10:00:00+08:00")))
        .await;
    hub.expect(Actor::Civil, "FOLLOW_UP_VISIT", Actor::Origin)
        .await;
    hub.expect(Actor::Station, "FOLLOW_UP_VISIT", Actor::Origin)
        .await;
    let board = hub.ops_board().await;
    let open = entries(&board, "open", "minor_follow_up_visits");
    assert_eq!(open.len(), 1, "{board}");
    assert_eq!(open[0]["step"], 2);
    assert_eq!(open[0]["due_at"], "2026-05-21T10:00:00+08:00");

    // Visit 2 is missed.
    clock.set(at("2026-05-21T10:00:01+08:00"));
    for department in [Actor::Station, Actor::Civil] {
        let escalation = hub
            .expect_escalation(department, "minor_follow_up_visits", case, 2)
            .await;
        assert_eq!(escalation["sensitivity"], "SENSITIVE_MINOR");
        assert_eq!(escalation["purpose_code"], "FOLLOW_UP");
    }
    clock.set(at("2026-05-26T09:00:00+08:00"));
    hub.send(Actor::Origin, &visit(2, at("2026-05-25T15:00:00+08:00")))
        .await;
    hub.expect(Actor::Civil, "FOLLOW_UP_VISIT", Actor::Origin)
        .await;
    hub.expect(Actor::Station, "FOLLOW_UP_VISIT", Actor::Origin)
        .await;
    let board = hub.ops_board().await;
    assert!(entries(&board, "breached", "minor_follow_up_visits").is_empty());
    let open = entries(&board, "open", "minor_follow_up_visits");
    assert_eq!(open.len(), 1, "{board}");
    assert_eq!(open[0]["step"], 3);
    assert_eq!(open[0]["due_at"], "2026-08-21T10:00:00+08:00");
    assert_eq!(compliance(&board, "minor_follow_up_visits"), [1, 1, 1, 1]);
    hub.stop_and_assert_nothing_else_delivered().await;
}

// ---------------------------------------------------------------------------------------
// Durability and exactly-once
// ---------------------------------------------------------------------------------------

/// The hub stops before the handover's deadline and starts again after it, on the same store:
/// the escalation is sent once, on start-up; further restarts send nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_restarted_mid_timer_fires_the_escalation_once() {
    let (_dir, path) = scratch();
    let start = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(start);
    let number = "TCGA-HS-20260302-021";

    let mut hub = TestHub::start(&path, &clock).await;
    hub.send(Actor::Police, &handover(number)).await;
    hub.expect(Actor::Station, "POLICE_ESCORT_HANDOVER", Actor::Police)
        .await;
    clock.advance(HOUR);
    hub.stop().await;

    // Down across the deadline.
    clock.advance(2 * HOUR);
    let mut hub = TestHub::start(&path, &clock).await;
    let station = hub
        .expect_escalation(Actor::Station, "handover_ack", number, 1)
        .await;
    let police = hub
        .expect_escalation(Actor::Police, "handover_ack", number, 1)
        .await;
    assert_eq!(station["message_id"], police["message_id"]);
    // Fired at start-up, at the clock's time then (not at the due time).
    assert_eq!(station["sent_at"], local_text(start + 3 * HOUR));
    hub.stop_and_assert_nothing_else_delivered().await;

    clock.advance(DAY);
    let hub = TestHub::start(&path, &clock).await;
    let board = hub.ops_board().await;
    assert_eq!(compliance(&board, "handover_ack"), [0, 1, 0, 1]);
    let steps = timers::item_steps(&hub.store, "handover_ack", number)
        .await
        .unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].state, "FIRED");
    assert_eq!(
        steps[0].escalation_message_id.as_deref(),
        station["message_id"].as_str()
    );
    hub.stop_and_assert_nothing_else_delivered().await;
}

/// Two engines (two hub processes on one store) fire a due step once; a refused or duplicate
/// trigger arms nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_engines_on_one_store_fire_a_step_once() {
    let (_dir, path) = scratch();
    let store = Store::open(&path).await.unwrap();
    timers::prepare(&store).await.unwrap();
    let registry = Arc::new(Registry::embedded().unwrap());
    let config = Arc::new(example());
    let start = at("2026-03-02T08:00:00+08:00");
    let clock = ManualClock::new(start);
    let pipeline = Pipeline::new(
        Arc::clone(&registry),
        Arc::clone(&config),
        store.clone(),
        HubIdentity::default(),
    )
    .with_deadlines(Deadlines::new(Arc::clone(&config), Arc::new(clock.clone())));

    let message = handover("TCGA-HS-20260302-031");
    let raw = serde_json::to_vec(&message).unwrap();
    let verdict = pipeline
        .process(&raw, &Publisher::Department(Actor::Police))
        .await
        .unwrap();
    assert!(matches!(verdict, Verdict::Accepted { .. }), "{verdict:?}");
    let again = pipeline
        .process(&raw, &Publisher::Department(Actor::Police))
        .await
        .unwrap();
    assert!(matches!(again, Verdict::Duplicate { .. }), "{again:?}");
    // The same handover sent by the wrong department is refused and arms nothing.
    let forged = with(
        handover("TCGA-HS-20260302-032"),
        &[("/sender_org_type", json!("GRID"))],
    );
    let refused = pipeline
        .process(
            &serde_json::to_vec(&forged).unwrap(),
            &Publisher::Department(Actor::Grid),
        )
        .await
        .unwrap();
    assert!(matches!(refused, Verdict::Refused { .. }), "{refused:?}");
    assert!(
        timers::item_steps(&store, "handover_ack", "TCGA-HS-20260302-032")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        timers::item_steps(&store, "handover_ack", "TCGA-HS-20260302-031")
            .await
            .unwrap()
            .len(),
        1
    );

    let engines: Vec<Engine> = (0..2)
        .map(|_| Engine::new(store.clone(), pipeline.clone(), Arc::new(Notify::new())))
        .collect();
    // Not due yet.
    assert!(engines[0].fire_due().await.unwrap().is_empty());
    clock.advance(2 * HOUR);
    let (a, b) = tokio::join!(engines[0].fire_due(), engines[1].fire_due());
    let fired: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0].recipients, vec![Actor::Station, Actor::Police]);
    assert_eq!(fired[0].error, None);
    assert!(engines[1].fire_due().await.unwrap().is_empty());

    let pending = store.pending_outbox(100).await.unwrap();
    let escalations: Vec<_> = pending
        .iter()
        .filter(|r| r.headers.contains_key(header::DEADLINE))
        .collect();
    assert_eq!(escalations.len(), 2, "one row per recipient");
    assert_eq!(
        escalations
            .iter()
            .map(|r| r.address.as_str())
            .collect::<Vec<_>>(),
        ["deliver.STATION", "deliver.POLICE"]
    );
    assert!(
        escalations
            .iter()
            .all(|r| Some(r.message_id.as_str()) == fired[0].message_id.as_deref())
    );
    store.close().await;
}

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

#[test]
fn the_example_declares_every_rule_of_the_issue() {
    let config = example();
    let names: Vec<&str> = config
        .deadlines
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "missing_from_station",
            "incident_first_report",
            "death_in_station_report",
            "major_incident_follow_up",
            "stay_over_10_days",
            "settlement_after_3_months",
            "dna_request_7_working_days",
            "dna_sampling_1_month",
            "handover_ack",
            "minor_follow_up_visits",
        ]
    );
    let calendar = config.deadlines.working_calendar();
    let spring_festival = contracts::codes::datetime::CivilDate::new(2026, 2, 16).unwrap();
    assert!(!calendar.is_working_day(spring_festival.to_days_since_epoch()));
    config.validate(&Registry::embedded().unwrap()).unwrap();
}

/// A trigger for each rule of the example, built from the fixtures.
fn example_trigger(rule: &str) -> (Value, Actor) {
    let start = at("2026-03-02T08:00:00+08:00");
    let intake = |name: &str| {
        with(
            fixture(&format!("STATION_INTAKE/v1/valid/{name}.json")),
            &[("/payload/intake_at", json!(local_text(start)))],
        )
    };
    match rule {
        "missing_from_station" => (
            absconded_report("FIRST", "TCJZ-SJ-1", "TC-1", start),
            Actor::Station,
        ),
        "incident_first_report" | "major_incident_follow_up" => (
            death_report("FIRST", "TCJZ-SJ-2", "TC-2", start),
            Actor::Station,
        ),
        "death_in_station_report" => {
            let mut leave = fixture("STATION_LEAVE/v1/valid/terminated_over_10_days.json");
            leave["payload"]["leave_mode"] = json!("DECEASED");
            (leave, Actor::Station)
        }
        "stay_over_10_days" => (intake("police_escort_adult_document"), Actor::Station),
        "settlement_after_3_months" | "dna_request_7_working_days" => {
            (intake("unidentified_hospital_transfer"), Actor::Station)
        }
        "dna_sampling_1_month" => (
            fixture("IDENTITY_CHECK_REQUEST/v1/valid/face_and_dna_sampling.json"),
            Actor::Station,
        ),
        "handover_ack" => (handover("TCGA-HS-1"), Actor::Police),
        "minor_follow_up_visits" => (
            fixture("RETURN_HOME_NOTICE/v1/valid/minor_escort_to_origin_station.json"),
            Actor::Station,
        ),
        other => panic!("no trigger for {other}"),
    }
}

/// Every escalation the example declares renders, for a realistic trigger, into a message
/// that passes its contract (envelope, payload, cross-field rules).
#[test]
fn every_example_escalation_is_a_valid_message() {
    let config = example();
    let registry = Registry::embedded().unwrap();
    let calendar = config.deadlines.working_calendar();
    let identity = HubIdentity::default();
    let start = at("2026-03-02T08:00:00+08:00");
    for rule in &config.deadlines.rules {
        let (trigger, sender) = example_trigger(&rule.name);
        let message_type = trigger["message_type"].as_str().unwrap().to_owned();
        let plan = timers::plan(
            &config.deadlines,
            &calendar,
            &message_type,
            &trigger,
            sender,
            start,
        );
        let arm = plan
            .arms
            .iter()
            .find(|a| a.rule == rule.name)
            .unwrap_or_else(|| panic!("{} is not armed by its example trigger", rule.name));
        let Some(escalation) = &rule.escalation else {
            continue;
        };
        let facts = Facts {
            rule,
            item_id: 1,
            key: &arm.key,
            case_id: arm.case_id.as_deref(),
            step: 1,
            trigger_message_id: trigger["message_id"].as_str().unwrap(),
            trigger_type: &message_type,
            trigger_sender: sender.as_str(),
            clock_start: arm.clock_start,
            due_at: arm.due_at,
            fired_at: arm.due_at,
        };
        let envelope = Envelope {
            identity: &identity,
            message_id: "0f0a599d-4783-43c2-bf68-25d9e8779d9f",
            receiver_org_codes: vec!["11320585014160456G".to_owned()],
            trigger_sensitivity: None,
        };
        let message = escalation::message(escalation, &envelope, &arm.context, &facts);
        if let Err(report) = registry.validate_value(message.clone()) {
            panic!(
                "{}'s escalation is invalid:\n{report}\n{message:#}",
                rule.name
            );
        }
    }
}

fn problems_of(extra: &str) -> Vec<ConfigProblem> {
    let text = std::fs::read_to_string(example_path()).unwrap() + extra;
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    let config = HubConfig::load(Some(file.path()), std::iter::empty()).unwrap();
    config.validate(&Registry::embedded().unwrap()).unwrap_err()
}

fn assert_problem(problems: &[ConfigProblem], path: &str, fragment: &str) {
    assert!(
        problems
            .iter()
            .any(|p| p.path == path && p.message.contains(fragment)),
        "no problem at {path} containing {fragment:?} in:\n{}",
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn deadline_rule_problems_are_reported_with_their_paths() {
    // The example has 10 rules: the bad ones are deadlines.rules[10] and [11].
    let problems = problems_of(
        r#"
[[deadlines.rules]]
name = "Handover ack"
description = " "
trigger = { message_type = "NO_SUCH_TYPE" }
key = ""
clock_start = "payload/intake_at"
due = { hours = 1, days = 2 }
follow_ups = { every = [], count = 0 }
met_by = [{ message_type = "HANDOVER_ACK", key = "/payload/handover_no", case_id = "/case_id" }]
escalation = { message_type = "INCIDENT_REPORT", version = 2, recipients = ["CIVIL"], purpose_code = "FOLLOW_UP", legal_basis = [], payload = {} }

[[deadlines.rules]]
name = "handover_ack"
description = "duplicate name, bad escalation"
trigger = { message_type = "POLICE_ESCORT_HANDOVER", when = { pointer = "/payload/no_such_field", equals = 1 } }
key = "/payload/handover_no"
clock_start = "ACCEPTED"
due = { working_days = 0 }
follow_ups = { every = [{ hours = 24 }] }
met_by = [{ message_type = "HUB_REJECTED", key = "/payload/handover_no" }]

[deadlines.rules.escalation]
message_type = "INCIDENT_REPORT"
recipients = ["GRID", "HUB", "ORIGINAL_SENDER"]
purpose_code = "GOSSIP"
legal_basis = ["NO_LAW"]
[deadlines.rules.escalation.payload]
incident_id = "${deadline:nope}"
description = "${trigger:/payload/no_such_field}"
not_a_field = "x"
"#,
    );
    let a = "deadlines.rules[10]";
    assert_problem(&problems, &format!("{a}.name"), "not a rule name");
    assert_problem(&problems, &format!("{a}.description"), "must say");
    assert_problem(
        &problems,
        &format!("{a}.trigger.message_type"),
        "NO_SUCH_TYPE",
    );
    assert_problem(&problems, &format!("{a}.key"), "must name a field");
    assert_problem(&problems, &format!("{a}.clock_start"), "malformed");
    assert_problem(&problems, &format!("{a}.due"), "hours, days");
    assert_problem(
        &problems,
        &format!("{a}.follow_ups.every"),
        "at least one span",
    );
    assert_problem(&problems, &format!("{a}.follow_ups.count"), "at least 1");
    assert_problem(&problems, &format!("{a}.met_by[0]"), "exactly one of key");
    assert_problem(
        &problems,
        &format!("{a}.escalation.version"),
        "no contract version 2",
    );
    assert_problem(
        &problems,
        &format!("{a}.escalation.legal_basis"),
        "at least one",
    );
    let b = "deadlines.rules[11]";
    assert_problem(&problems, &format!("{b}.name"), "already named");
    assert_problem(&problems, &format!("{b}.trigger.when.pointer"), "no field");
    assert_problem(&problems, &format!("{b}.due"), "at least 1");
    assert_problem(&problems, &format!("{b}.follow_ups"), "closed_by");
    assert_problem(
        &problems,
        &format!("{b}.met_by[0].message_type"),
        "only the hub",
    );
    assert_problem(
        &problems,
        &format!("{b}.escalation.recipients[0]"),
        "GRID may not receive",
    );
    assert_problem(
        &problems,
        &format!("{b}.escalation.recipients[1]"),
        "HUB is the hub",
    );
    assert_problem(&problems, &format!("{b}.escalation.purpose_code"), "GOSSIP");
    assert_problem(
        &problems,
        &format!("{b}.escalation.legal_basis[0]"),
        "NO_LAW",
    );
    assert_problem(
        &problems,
        &format!("{b}.escalation.payload.incident_id"),
        "unknown deadline fact",
    );
    assert_problem(
        &problems,
        &format!("{b}.escalation.payload.description"),
        "names no field of POLICE_ESCORT_HANDOVER",
    );
    assert_problem(
        &problems,
        &format!("{b}.escalation.payload.not_a_field"),
        "no field `not_a_field`",
    );
}

#[test]
fn calendar_and_engine_settings_are_validated_and_rules_stay_out_of_the_environment() {
    let problems = problems_of(
        r#"
[[deadlines.rules]]
name = "no_matcher"
description = "never met"
trigger = { message_type = "POLICE_ESCORT_HANDOVER" }
key = "/payload/handover_no"
clock_start = "ACCEPTED"
due = { hours = 1 }
"#,
    );
    assert_problem(&problems, "deadlines.rules[10]", "met_by or closed_by");

    let text = std::fs::read_to_string(example_path())
        .unwrap()
        .replace("poll_interval_ms = 1000", "poll_interval_ms = 0")
        .replace(
            "extra_working_days = [\"2026-01-04\"",
            "extra_working_days = [\"2026-01-02\", \"2026-02-30\"",
        );
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    let config = HubConfig::load(Some(file.path()), std::iter::empty()).unwrap();
    let problems = config.validate(&Registry::embedded().unwrap()).unwrap_err();
    assert_problem(&problems, "deadlines.poll_interval_ms", "greater than 0");
    assert_problem(
        &problems,
        "deadlines.calendar.extra_working_days[0]",
        "also listed as a holiday",
    );
    assert_problem(
        &problems,
        "deadlines.calendar.extra_working_days[1]",
        "not a real date",
    );

    // Unknown keys in a rule are refused when loading, naming the key.
    let text = std::fs::read_to_string(example_path()).unwrap()
        + "\n[[deadlines.rules]]\nname = \"x\"\ndeadline_hours = 3\n";
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    let error = HubConfig::load(Some(file.path()), std::iter::empty())
        .unwrap_err()
        .to_string();
    assert!(error.contains("deadline_hours"), "{error}");

    // Settings from the environment, rules not.
    let config = HubConfig::load(
        Some(&example_path()),
        [
            (
                "HUB_DEADLINES__DUE_SOON_MINUTES".to_owned(),
                "90".to_owned(),
            ),
            (
                "HUB_DEADLINES__CALENDAR__HOLIDAYS".to_owned(),
                "2027-01-01, 2027-02-05..2027-02-11".to_owned(),
            ),
        ]
        .into_iter(),
    )
    .unwrap();
    assert_eq!(config.deadlines.due_soon_minutes, 90);
    assert_eq!(
        config.deadlines.calendar.holidays,
        ["2027-01-01", "2027-02-05..2027-02-11"]
    );
    let error = HubConfig::load(
        Some(&example_path()),
        [("HUB_DEADLINES__RULES__0__NAME".to_owned(), "x".to_owned())].into_iter(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("HUB_DEADLINES__RULES__0__NAME"), "{error}");
}

/// The board's pure part: a due step past its time but not fired yet counts as breached;
/// compliance rows follow the configuration; a rule no longer configured is still shown.
#[tokio::test]
async fn the_board_classifies_steps_by_the_clock_and_keeps_orphaned_rules() {
    let (_dir, path) = scratch();
    let store = Store::open(&path).await.unwrap();
    timers::prepare(&store).await.unwrap();
    let config = Arc::new(example());
    let start = at("2026-03-02T08:00:00+08:00");
    let deadlines = Deadlines::new(Arc::clone(&config), Arc::new(ManualClock::new(start)));
    for (number, sender) in [("TCGA-1", Actor::Police), ("TCGA-2", Actor::Police)] {
        let message = handover(number);
        let plan = deadlines.plan("POLICE_ESCORT_HANDOVER", &message, sender, start);
        let mut tx = store.begin_write_transaction().await.unwrap();
        deadlines.apply(&mut tx, &plan).await.unwrap();
        tx.commit().await.unwrap();
    }
    let board_at = |minutes: u32| {
        let store = store.clone();
        let config = Arc::clone(&config);
        async move {
            board::read(&store, &config.deadlines, start + minutes * MINUTE)
                .await
                .unwrap()
        }
    };
    let early = board_at(10).await;
    assert_eq!(
        (early.open.len(), early.due_soon.len(), early.breached.len()),
        (2, 0, 0)
    );
    let soon = board_at(61).await;
    assert_eq!(
        (soon.open.len(), soon.due_soon.len(), soon.breached.len()),
        (0, 2, 0)
    );
    let late = board_at(121).await;
    assert_eq!(
        (late.open.len(), late.due_soon.len(), late.breached.len()),
        (0, 0, 2)
    );
    assert!(
        late.breached
            .iter()
            .all(|e| !e.escalated && e.minutes_to_due == -1)
    );

    let mut renamed = example();
    renamed.deadlines.rules.retain(|r| r.name != "handover_ack");
    let orphaned = board::read(&store, &renamed.deadlines, start)
        .await
        .unwrap();
    let row = orphaned.compliance.last().unwrap();
    assert_eq!(row.rule, "handover_ack");
    assert_eq!(row.description, "(no longer configured)");
    assert_eq!(row.pending, 2);
    assert_eq!(orphaned.compliance.len(), renamed.deadlines.rules.len() + 1);
    store.close().await;
}
