//! The adapter conformance suite: every department adapter, on the real RabbitMQ (its own
//! vhost per test), against a simulator of its department's system speaking the real
//! protocol (HTTP, MLLP), passes the same cases:
//!
//! * **inbound accepted** — a native document from the department system is answered with
//!   the department's success receipt only after its canonical messages are in the hub's
//!   ingress queue (the answer comes after the confirm, so they are already there);
//! * **malformed refused** — undecodable input is answered with the department's error
//!   format, kept in the adapter's store, and nothing is published (checked by sending a
//!   valid document after it: the first message in the ingress queue is the valid one);
//! * **department down** — the system refuses connections for a while: the delivery waits
//!   and arrives once when it is back;
//! * **transient failures** — 5xx / HL7 `AE` answers are retried: the delivery arrives once;
//! * **duplicate delivery** — the same delivery twice makes one call;
//! * **permanent refusal** — a 4xx / HL7 `AR` dead-letters the delivery with the department's
//!   error, and the next delivery still flows.
//!
//! Golden decode/encode and the proptest round trips run per codec crate
//! (`cargo test -p adapter-<dept>`, same harness `adapter_core::golden` for all five); the
//! round trip of every golden delivery through encode → decode is checked here for all five.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use adapter_core::{Codec, DeliveryResponse};
use adapter_runtime::adapter::Adapter;
use adapter_runtime::outbound::stage;
use contracts::model::{Actor, Envelope};
use dept_sim::{FailureMode, Hl7View, Sent, SentOutcome};
use hub::transport::amqp::{AmqpDelivery, AmqpTransport};
use hub::transport::{Address, Consumer, Delivery, Headers, Outgoing, Transport, header};
use serde_json::Value;
use tests::TestBroker;
use tests::adapters::{ADAPTED, ADAPTER_WAIT, AdapterRig, declare_topology, golden, golden_dir};

/// The golden files each case uses, per department.
struct Sample {
    /// A document the department system sends (decodes to messages the department sends).
    inbound: &'static str,
    /// A document that does not decode.
    malformed: &'static str,
    /// A canonical message the department receives.
    delivery: &'static str,
    /// Content type the department system sends with.
    content_type: &'static str,
}

fn sample(department: Actor) -> Sample {
    match department {
        Actor::Police => Sample {
            inbound: "decode/jjb_typical_gb18030.xml",
            malformed: "decode/malformed_unclosed_element.xml",
            delivery: "encode/qshz_received.canonical.json",
            content_type: "application/xml",
        },
        Actor::Health => Sample {
            inbound: "decode/discharge_died.hl7",
            malformed: "decode/truncated_segment.hl7",
            delivery: "encode/hospital_admission_station_minor.canonical.json",
            content_type: "x-application/hl7-v2+er7",
        },
        Actor::Citymgmt => Sample {
            inbound: "decode/case_05_02_hotline_suspected_lost_minor.json",
            malformed: "decode/malformed_not_json.json",
            delivery: "encode/outcome_refused_supplies_given.canonical.json",
            content_type: "application/json",
        },
        Actor::Grid => Sample {
            inbound: "decode/event_0306_sighting_bus_stop.json",
            malformed: "decode/blank_event_id.json",
            delivery: "encode/outcome_not_found_on_site.canonical.json",
            content_type: "application/json",
        },
        _ => Sample {
            inbound: "decode/sent__handover_ack__received.json",
            malformed: "decode/malformed__not_json.json",
            delivery: "encode/referral__grid_sighting_chengxiang.canonical.json",
            content_type: "application/json",
        },
    }
}

fn read(department: Actor, rel: &str) -> Vec<u8> {
    std::fs::read(golden(department, rel)).unwrap()
}

/// The message ids the golden canonical file of an inbound document lists.
fn expected_ids(department: Actor, inbound: &str) -> Vec<String> {
    let canonical = inbound.rsplit_once('.').unwrap().0.to_owned() + ".canonical.json";
    let messages: Vec<Value> = serde_json::from_slice(&read(department, &canonical)).unwrap();
    messages
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The department's answer as its own codec reads it (HTTP status and body, or the HL7 ACK):
/// accepted answers read as delivered, refusals as permanent.
fn judged(rig: &AdapterRig, sent: &Sent) -> DeliveryResponse {
    let codec = codec(rig.department);
    match &sent.outcome {
        SentOutcome::Http { status, body, .. } => codec.classify_response(*status, body),
        SentOutcome::Mllp { ack } => codec.classify_response(200, ack),
        SentOutcome::Failed { error } => DeliveryResponse::Transient {
            reason: error.clone(),
        },
    }
}

fn accepted(rig: &AdapterRig, sent: &Sent) -> bool {
    judged(rig, sent) == DeliveryResponse::Delivered
}

fn refused(rig: &AdapterRig, sent: &Sent) -> bool {
    matches!(judged(rig, sent), DeliveryResponse::Permanent { .. })
}

/// The next `n` messages of `ingress.<department>`, consumed as the hub.
async fn take_ingress(hub: &AmqpTransport, department: Actor, n: usize) -> Vec<Value> {
    let mut consumer = hub.consume(Address::Ingress(department), 50).await.unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        let delivery: AmqpDelivery = tokio::time::timeout(ADAPTER_WAIT, consumer.next())
            .await
            .expect("ingress message within the wait")
            .unwrap();
        out.push(serde_json::from_slice(delivery.body()).unwrap());
        delivery.ack().await.unwrap();
    }
    out
}

/// The department's sample delivery with a fresh message id.
fn delivery(department: Actor) -> Envelope<Value> {
    let mut envelope: Envelope<Value> =
        serde_json::from_slice(&read(department, sample(department).delivery)).unwrap();
    envelope.message_id = uuid::Uuid::new_v4().to_string();
    envelope
}

/// Publishes `envelope` to `deliver.<department>` as the hub.
async fn deliver(hub: &AmqpTransport, department: Actor, envelope: &Envelope<Value>) {
    hub.publish(Outgoing {
        address: Address::Deliver(department),
        message_type: envelope.message_type.as_str().to_owned(),
        message_id: envelope.message_id.clone(),
        body: serde_json::to_vec(envelope).unwrap(),
        headers: Headers::new(),
    })
    .await
    .unwrap();
}

/// The canonical message id a simulator's received document carries (HTTP header, or the
/// HL7 control id MSH-10).
fn received_ids(rig: &AdapterRig) -> Vec<String> {
    rig.sim
        .received()
        .iter()
        .map(|r| match &r.message_id {
            Some(id) => id.clone(),
            None => Hl7View::parse(&r.body)
                .ok()
                .and_then(|v| v.field("MSH", 10, 1).map(str::to_owned))
                .unwrap_or_default(),
        })
        .collect()
}

/// Runs every case against one department's adapter, in one vhost (cases are independent:
/// each starts with the simulator in `ok` mode and its record cleared).
async fn conformance(department: Actor) {
    let name = format!("adapter-{}", department.as_str().to_ascii_lowercase());
    let Some(broker) = TestBroker::create(&name).await else {
        return;
    };
    let hub = declare_topology(&broker).await;
    let rig = AdapterRig::start(&broker, department).await;
    // Cases run in a task so that a failing one still lets the vhost be cleaned up.
    let outcome = tokio::spawn(run_cases(hub.clone(), rig)).await;
    hub.shutdown().await;
    broker.cleanup().await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn run_cases(hub: AmqpTransport, rig: AdapterRig) {
    let department = rig.department;
    let cases: [(&str, Case); 6] = [
        (
            "inbound is answered after the hub has it",
            inbound_is_answered_after_the_hub_has_it,
        ),
        (
            "malformed input is refused, kept and not published",
            malformed_input_is_refused_kept_and_not_published,
        ),
        (
            "a down system gets the delivery once when back",
            a_down_system_gets_the_delivery_once_when_back,
        ),
        (
            "transient failures are retried and delivered once",
            transient_failures_are_retried_and_delivered_once,
        ),
        (
            "a duplicate delivery makes one call",
            a_duplicate_delivery_makes_one_call,
        ),
        (
            "a permanent refusal is dead-lettered with the department's error",
            a_permanent_refusal_is_dead_lettered_with_the_department_error,
        ),
    ];
    for (title, case) in cases {
        rig.sim.set_mode(FailureMode::Ok).await.unwrap();
        rig.sim.clear();
        case(&hub, &rig).await;
        println!("{}: {title}: ok", department.as_str());
    }
    rig.stop().await;
}

type Case = for<'a> fn(&'a AmqpTransport, &'a AdapterRig) -> BoxFuture<'a>;
type BoxFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

fn inbound_is_answered_after_the_hub_has_it<'a>(
    hub: &'a AmqpTransport,
    rig: &'a AdapterRig,
) -> BoxFuture<'a> {
    Box::pin(async move {
        let department = rig.department;
        let s = sample(department);
        let sent = rig
            .send_from_department(s.content_type, read(department, s.inbound))
            .await;
        assert!(
            accepted(rig, &sent),
            "{department:?}: not accepted: {:?}",
            sent.outcome
        );
        let expected = expected_ids(department, s.inbound);
        let published = take_ingress(hub, department, expected.len()).await;
        let ids: Vec<&str> = published
            .iter()
            .map(|m| m["message_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids, expected,
            "{department:?}: the decoded messages are in ingress"
        );
        for message in &published {
            assert_eq!(message["sender_org_type"], department.as_str());
        }
        // The same document again (a department's retry) carries the same ids: the hub dedups.
        let again = rig
            .send_from_department(s.content_type, read(department, s.inbound))
            .await;
        assert!(accepted(rig, &again));
        let republished = take_ingress(hub, department, expected.len()).await;
        assert_eq!(republished[0]["message_id"], published[0]["message_id"]);
    })
}

fn malformed_input_is_refused_kept_and_not_published<'a>(
    hub: &'a AmqpTransport,
    rig: &'a AdapterRig,
) -> BoxFuture<'a> {
    Box::pin(async move {
        let department = rig.department;
        let s = sample(department);
        let bad = read(department, s.malformed);
        let sent = rig.send_from_department(s.content_type, bad.clone()).await;
        assert!(
            refused(rig, &sent),
            "{department:?}: not refused: {:?}",
            sent.outcome
        );
        let kept = rig.adapter.store.refused(10).await.unwrap();
        assert_eq!(
            kept.len(),
            1,
            "{department:?}: the refused document is kept"
        );
        assert_eq!(kept[0].body, bad);
        assert_eq!(kept[0].kind, "MALFORMED");
        // Nothing was published: the first message in ingress is the valid one sent after it.
        let ok = rig
            .send_from_department(s.content_type, read(department, s.inbound))
            .await;
        assert!(accepted(rig, &ok));
        let first = take_ingress(hub, department, 1).await;
        assert_eq!(
            first[0]["message_id"].as_str().unwrap(),
            expected_ids(department, s.inbound)[0]
        );
    })
}

fn a_down_system_gets_the_delivery_once_when_back<'a>(
    hub: &'a AmqpTransport,
    rig: &'a AdapterRig,
) -> BoxFuture<'a> {
    Box::pin(async move {
        let department = rig.department;
        // The next three connections are refused (reset); then the system is back.
        rig.sim.set_mode_for(FailureMode::Down, 3).await.unwrap();
        let first = delivery(department);
        deliver(hub, department, &first).await;
        rig.sim.wait_for(1, ADAPTER_WAIT).await.unwrap();
        assert_eq!(
            rig.sim.mode().mode,
            FailureMode::Ok,
            "the system was down for three connections"
        );
        let fence = delivery(department);
        deliver(hub, department, &fence).await;
        rig.sim.wait_for(2, ADAPTER_WAIT).await.unwrap();
        assert_eq!(received_ids(rig), [first.message_id, fence.message_id]);
    })
}

fn transient_failures_are_retried_and_delivered_once<'a>(
    hub: &'a AmqpTransport,
    rig: &'a AdapterRig,
) -> BoxFuture<'a> {
    Box::pin(async move {
        let department = rig.department;
        rig.sim
            .set_mode_for(FailureMode::Error5xx, 2)
            .await
            .unwrap();
        let first = delivery(department);
        deliver(hub, department, &first).await;
        let fence = delivery(department);
        deliver(hub, department, &fence).await;
        let received = rig.sim.wait_for(4, ADAPTER_WAIT).await.unwrap();
        // Two failed attempts were answered 5xx / AE; the third succeeded; then the fence.
        let ids = received_ids(rig);
        assert_eq!(
            ids,
            [
                first.message_id.clone(),
                first.message_id.clone(),
                first.message_id,
                fence.message_id
            ]
        );
        assert_eq!(received.len(), 4);
    })
}

fn a_duplicate_delivery_makes_one_call<'a>(
    hub: &'a AmqpTransport,
    rig: &'a AdapterRig,
) -> BoxFuture<'a> {
    Box::pin(async move {
        let department = rig.department;
        let first = delivery(department);
        deliver(hub, department, &first).await;
        deliver(hub, department, &first).await;
        let fence = delivery(department);
        deliver(hub, department, &fence).await;
        rig.sim.wait_for(2, ADAPTER_WAIT).await.unwrap();
        assert_eq!(received_ids(rig), [first.message_id, fence.message_id]);
    })
}

fn a_permanent_refusal_is_dead_lettered_with_the_department_error<'a>(
    hub: &'a AmqpTransport,
    rig: &'a AdapterRig,
) -> BoxFuture<'a> {
    Box::pin(async move {
        let department = rig.department;
        rig.sim
            .set_mode_for(FailureMode::Reject4xx, 1)
            .await
            .unwrap();
        let first = delivery(department);
        deliver(hub, department, &first).await;
        let mut dead = hub.consume(Address::Dead(department), 10).await.unwrap();
        let letter: AmqpDelivery = tokio::time::timeout(ADAPTER_WAIT, dead.next())
            .await
            .expect("a dead letter within the wait")
            .unwrap();
        assert_eq!(letter.message_id(), Some(first.message_id.as_str()));
        let stage_header = letter
            .headers()
            .get(header::DEAD_STAGE)
            .and_then(|v| v.as_text());
        assert_eq!(stage_header, Some(stage::DEPARTMENT_REFUSED));
        let reasons = letter
            .headers()
            .get(header::DEAD_REASONS)
            .and_then(|v| v.as_text())
            .unwrap()
            .to_owned();
        assert!(reasons.contains("refused"), "{reasons}");
        letter.ack().await.unwrap();
        let fence = delivery(department);
        deliver(hub, department, &fence).await;
        rig.sim.wait_for(2, ADAPTER_WAIT).await.unwrap();
        assert_eq!(received_ids(rig), [first.message_id, fence.message_id]);
    })
}

/// Every golden delivery of every department that is a complete contract message survives
/// encode → decode (apart from the message id, which decoding derives from the native
/// document). Projected deliveries — fields removed for the recipient, so no longer valid
/// against the contract — are encode-only: the department receives them, it never sends
/// them back.
#[test]
fn every_golden_delivery_round_trips_through_its_codec() {
    let registry = contracts::registry::Registry::embedded().unwrap();
    for department in ADAPTED {
        let codec = codec(department);
        let dir = golden_dir(department).join("encode");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path: PathBuf = entry.unwrap().path();
            if !path.to_string_lossy().ends_with(".canonical.json") {
                continue;
            }
            let raw: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            if registry.validate_value(raw.clone()).is_err() {
                continue;
            }
            let original: Envelope<Value> = serde_json::from_value(raw).unwrap();
            let native = codec.encode(&original).unwrap();
            let ctx = adapter_core::DecodeContext::fixed_for_tests(
                &original.sender_org_code,
                &original.sender_system,
            );
            let decoded = codec
                .decode(&native.body, &ctx)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(decoded.messages.len(), 1, "{}", path.display());
            let mut back = serde_json::to_value(&decoded.messages[0]).unwrap();
            let mut want = serde_json::to_value(&original).unwrap();
            back["message_id"] = Value::Null;
            want["message_id"] = Value::Null;
            assert_eq!(back, want, "{}", path.display());
            checked += 1;
        }
        assert!(checked >= 2, "{department:?}: {checked} golden deliveries");
    }
}

fn codec(department: Actor) -> Arc<dyn Codec> {
    let config = tests::adapters::example_department_config(department);
    adapter::departments::assemble(&config)
        .unwrap()
        .adapter
        .codec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn police_adapter_conforms() {
    conformance(Actor::Police).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_adapter_conforms() {
    conformance(Actor::Health).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citymgmt_adapter_conforms() {
    conformance(Actor::Citymgmt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grid_adapter_conforms() {
    conformance(Actor::Grid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn station_adapter_conforms() {
    conformance(Actor::Station).await;
}
