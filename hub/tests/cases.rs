//! The case workflow (issue 6, item 5) end to end, in-process on the embedded transport with
//! the example configuration — no broker:
//!
//! * a case driven through its life with contract fixtures (handover → intake → hospital →
//!   back → leave → follow-up), the timeline (`GET /v1/cases/{id}/timeline`) showing every
//!   step with its recipients, what each received and the state history;
//! * an illegal transition (a second leave) refused with its reason to the sender, changing
//!   nothing (no inbox row, no delivery, no case update);
//! * a message without `case_id` still flows as before.
//!
//! Every wait is bounded ([`WAIT`]) and waits for an event, never for time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use contracts::Registry;
use contracts::model::Actor;
use hub::app::{self, Running};
use hub::config::HubConfig;
use hub::store::Store;
use hub::transport::embedded::{EmbeddedConsumer, EmbeddedTransport};
use hub::transport::{Address, Consumer, Delivery, Headers, Outgoing, Transport};
use serde_json::{Value, json};
use support::{fixture, with};

const WAIT: Duration = Duration::from_secs(30);
const OPS_TOKEN: &str = "dev-token-ops";
const CASE: &str = "TCJZ-2026-000999";

/// A fixture of the case: `case_id` set in the envelope and, where the payload has one, there.
fn of_case(relative: &str, edits: &[(&str, Value)]) -> Value {
    let mut message = with(fixture(relative), edits);
    message["case_id"] = json!(CASE);
    if message["payload"].get("case_id").is_some() {
        message["payload"]["case_id"] = json!(CASE);
    }
    message
}

struct TestHub {
    config: Arc<HubConfig>,
    registry: Arc<Registry>,
    store: Store,
    transport: EmbeddedTransport,
    running: Option<Running>,
}

impl TestHub {
    async fn start(path: &Path) -> TestHub {
        let mut config = HubConfig::load(
            Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("hub.example.toml")),
            std::iter::empty(),
        )
        .unwrap();
        config.transport.amqp = None;
        config.store.path = path.to_path_buf();
        config.http.listen = "127.0.0.1:0".to_owned();
        let registry = Arc::new(Registry::embedded().unwrap());
        let config = Arc::new(config);
        let store = Store::open(path).await.unwrap();
        let transport = EmbeddedTransport::open(
            &store,
            config.transport.embedded.clone().unwrap_or_default(),
        )
        .await
        .unwrap();
        let running = app::start(
            Arc::clone(&config),
            Arc::clone(&registry),
            store.clone(),
            Arc::new(transport.clone()),
        )
        .await
        .unwrap();
        TestHub {
            config,
            registry,
            store,
            transport,
            running: Some(running),
        }
    }

    /// Publishes `message` as `sender`'s broker user (validated first).
    async fn publish(&self, sender: Actor, message: &Value) {
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

    /// Publishes and waits until the hub accepted it (it is in the inbox).
    async fn send(&self, sender: Actor, message: &Value) {
        self.publish(sender, message).await;
        let id = message["message_id"].as_str().unwrap();
        tokio::time::timeout(WAIT, async {
            while !self.store.is_duplicate(id).await.unwrap() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{} was not accepted in time", message["message_type"]));
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let address = self.running.as_ref().unwrap().http_address;
        let client = reqwest::Client::builder().timeout(WAIT).build().unwrap();
        let response = client
            .get(format!("http://{address}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn timeline(&self) -> Value {
        let (status, body) = self
            .get(&format!("/v1/cases/{CASE}/timeline"), OPS_TOKEN)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        self.transport.shutdown().await;
        self.store.close().await;
    }
}

async fn next(consumer: &mut EmbeddedConsumer) -> Value {
    let delivery = tokio::time::timeout(WAIT, consumer.next())
        .await
        .unwrap_or_else(|_| panic!("nothing delivered in time"))
        .unwrap();
    let message = serde_json::from_slice(delivery.body()).unwrap();
    delivery.ack().await.unwrap();
    message
}

fn recipients(step: &Value) -> Vec<&str> {
    step["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_through_its_life_and_an_illegal_transition() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(&dir.path().join("hub.db")).await;

    // A grid referral without case_id flows as before and opens no case.
    let referral = with(
        fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"),
        &[],
    );
    hub.send(Actor::Grid, &referral).await;
    let (status, _) = hub
        .get(&format!("/v1/cases/{CASE}/timeline"), OPS_TOKEN)
        .await;
    assert_eq!(status, 404);

    let handover = of_case("POLICE_ESCORT_HANDOVER/v1/valid/typical.json", &[]);
    let ack = of_case(
        "HANDOVER_ACK/v1/valid/received.json",
        &[
            ("/correlation_id", handover["message_id"].clone()),
            (
                "/payload/handover_no",
                handover["payload"]["handover_no"].clone(),
            ),
        ],
    );
    let intake = of_case(
        "STATION_INTAKE/v1/valid/police_escort_adult_document.json",
        &[],
    );
    let outcome = of_case(
        "REFERRAL_OUTCOME/v1/valid/admitted_after_grid_referral.json",
        &[("/correlation_id", referral["message_id"].clone())],
    );
    let admission = of_case(
        "HOSPITAL_ADMISSION/v1/valid/station_injured_known_person.json",
        &[],
    );
    let discharge = of_case(
        "HOSPITAL_DISCHARGE/v1/valid/planned_discharge_improved.json",
        &[("/payload/notice_type", json!("DISCHARGED"))],
    );
    let leave = of_case(
        "STATION_LEAVE/v1/valid/escorted_home_cross_province.json",
        &[],
    );
    let visit = of_case(
        "FOLLOW_UP_VISIT/v1/valid/adult_phone_visit_stable.json",
        &[],
    );
    let steps = [
        (Actor::Police, &handover, Some("FOUND")),
        (Actor::Station, &ack, Some("HANDED_OVER")),
        (Actor::Station, &intake, Some("IN_STATION")),
        (Actor::Station, &outcome, None),
        (Actor::Station, &admission, Some("IN_HOSPITAL")),
        (Actor::Health, &discharge, Some("IN_STATION")),
        (Actor::Station, &leave, Some("LEFT")),
        (Actor::Station, &visit, Some("FOLLOWED_UP")),
    ];
    for (sender, message, _) in &steps {
        hub.send(*sender, message).await;
    }

    let timeline = hub.timeline().await;
    assert_eq!(timeline["case_id"], CASE);
    assert_eq!(timeline["state"], "FOLLOWED_UP");
    let messages = timeline["messages"].as_array().unwrap();
    assert_eq!(messages.len(), steps.len(), "{timeline:#}");
    for ((sender, message, _), step) in steps.iter().zip(messages) {
        assert_eq!(step["message_id"], message["message_id"]);
        assert_eq!(step["message_type"], message["message_type"]);
        assert_eq!(step["sender"], sender.as_str());
        assert!(!recipients(step).is_empty(), "{step:#}");
        for delivery in step["deliveries"].as_array().unwrap() {
            assert!(delivery["projected_away"].is_array());
            assert!(delivery["stream_seq"].as_i64().unwrap() >= 1);
            if delivery["sender"] == "HUB" {
                continue; // a deadline escalation the message caused
            }
            assert_eq!(delivery["sender"], sender.as_str());
            assert_eq!(delivery["message_id"], message["message_id"], "{step:#}");
        }
    }
    assert_eq!(recipients(&messages[0]), ["STATION"]);
    assert_eq!(recipients(&messages[1]), ["POLICE"]);
    assert_eq!(recipients(&messages[3]), ["GRID"]);
    assert!(recipients(&messages[2]).contains(&"CIVIL"));
    assert!(recipients(&messages[5]).contains(&"STATION"));
    let history: Vec<(Value, Value, Value)> = timeline["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["from"].clone(), t["to"].clone(), t["message_id"].clone()))
        .collect();
    let mut expected = Vec::new();
    let mut from = Value::Null;
    for (_, message, to) in &steps {
        if let Some(to) = to {
            expected.push((from.clone(), json!(to), message["message_id"].clone()));
            from = json!(to);
        }
    }
    assert_eq!(history, expected);

    // A department sees the part it is party to; an unknown token nothing.
    let (status, grid) = hub
        .get(&format!("/v1/cases/{CASE}/timeline"), "dev-token-grid")
        .await;
    assert_eq!(status, 200, "{grid}");
    assert!(!grid["messages"].as_array().unwrap().is_empty());
    for m in grid["messages"].as_array().unwrap() {
        assert!(m["sender"] == "GRID" || recipients(m) == ["GRID"], "{m:#}");
    }
    let (status, _) = hub
        .get(&format!("/v1/cases/{CASE}/timeline"), "wrong")
        .await;
    assert_eq!(status, 401);

    // Illegal: the person already left; a second leave is refused and changes nothing.
    let mut station = hub
        .transport
        .consume(Address::Deliver(Actor::Station), 1)
        .await
        .unwrap();
    let again = of_case("STATION_LEAVE/v1/valid/collected_by_daughter.json", &[]);
    hub.publish(Actor::Station, &again).await;
    let notice = loop {
        let message = next(&mut station).await;
        if message["message_type"] == "HUB_REJECTED" {
            break message;
        }
    };
    assert_eq!(notice["correlation_id"], again["message_id"]);
    assert_eq!(notice["payload"]["stage"], "CONTRACT");
    assert_eq!(notice["payload"]["retry_allowed"], true);
    let reason = &notice["payload"]["reasons"][0];
    assert_eq!(reason["code"], "case_transition");
    assert_eq!(reason["pointer"], "/case_id");
    let text = reason["message"].as_str().unwrap();
    assert!(text.contains("FOLLOWED_UP"), "{text}");
    assert!(text.contains("already left"), "{text}");
    assert!(
        !hub.store
            .is_duplicate(again["message_id"].as_str().unwrap())
            .await
            .unwrap()
    );
    let after = hub.timeline().await;
    assert_eq!(after["state"], timeline["state"]);
    assert_eq!(
        after["history"], timeline["history"],
        "the refusal changed the case"
    );
    let ids = |t: &Value| -> Vec<Value> {
        t["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["message_id"].clone())
            .collect()
    };
    assert_eq!(ids(&after), ids(&timeline));
    // … but the timeline shows what was refused and why, once the dead letter is indexed.
    let refused = tokio::time::timeout(WAIT, async {
        loop {
            let now = hub.timeline().await;
            if let Some(refused) = now["refused"].as_array().filter(|r| !r.is_empty()) {
                break refused.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the refusal reaches the case timeline");
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(refused[0]["message_id"], again["message_id"]);
    assert_eq!(refused[0]["sender"], "STATION");
    assert_eq!(refused[0]["queue"], "dead.ingress");
    assert_eq!(refused[0]["stage"], "CONTRACT");
    assert!(
        refused[0]["reasons"]
            .to_string()
            .contains("case_transition"),
        "{refused:#?}"
    );
    drop(station);
    hub.stop().await;
}
