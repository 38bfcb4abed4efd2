//! Identity versions and reconciliation at a department adapter, on the real RabbitMQ (one
//! vhost, cleaned up) with the POLICE adapter and a simulator of the police system:
//!
//! * **only newer versions reach the department** — hub `IDENTITY_UPDATE`s for one person
//!   with versions 2, 1 (older), 3 and 3 again (the hub's reconciliation re-send, new
//!   `message_id`) reach the police system as v2, v3, v3 and never v1; v1 is acknowledged
//!   and kept as settled-stale; the adapter's store holds v3 with the digest of its
//!   `changed_fields`;
//! * **the view is reported on demand** — `adapter identity-digest --config FILE` (the real
//!   binary) publishes one `IDENTITY_DIGEST` to `ingress.POLICE`, as the police broker user,
//!   naming the person at version 3 with that digest, valid against its contract;
//! * **and periodically** — an adapter started with `identity_digest_interval_s = 1`
//!   publishes its (empty) view by itself.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use contracts::model::{Actor, Envelope};
use contracts::registry::Registry;
use hub::identity::digest::view_digest;
use hub::pipeline::refusal::HubIdentity;
use hub::transport::amqp::{AmqpDelivery, AmqpTransport};
use hub::transport::{Address, Consumer, Delivery, Headers, Outgoing, Transport};
use serde_json::{Value, json};
use tests::TestBroker;
use tests::adapters::{ADAPTER_WAIT, AdapterRig, adapter_binary, declare_topology};
use tests::process::wait_until;

const PERSON: &str = "P-7F3K9Q2M";

/// A hub `IDENTITY_UPDATE` of [`PERSON`] at `version` under a fresh `message_id`, built
/// from the contract's fixture as the hub's registry sends it: sender HUB with the hub's
/// org code, `changed_fields` the whole record (here the fixture's, with the name of this
/// version).
fn identity_update(version: u64, name: &str) -> Envelope<Value> {
    let hub = HubIdentity::default();
    let mut message = tests::with_new_id(tests::fixture(
        "IDENTITY_UPDATE/v1/valid/verified_by_population_db.json",
    ));
    message["sender_org_type"] = json!("HUB");
    message["sender_org_code"] = json!(hub.org_code);
    message["sender_system"] = json!(hub.system);
    message["payload"]["person_id"] = json!(PERSON);
    message["payload"]["identity_version"] = json!(version);
    message["payload"]["changed_fields"]["name"] = json!(name);
    let registry = Registry::embedded().unwrap();
    assert!(
        registry.validate_value(message.clone()).is_ok(),
        "a valid update"
    );
    serde_json::from_value(message).unwrap()
}

/// Publishes `envelope` to `deliver.POLICE` as the hub.
async fn deliver(hub: &AmqpTransport, envelope: &Envelope<Value>) {
    hub.publish(Outgoing {
        address: Address::Deliver(Actor::Police),
        message_type: envelope.message_type.as_str().to_owned(),
        message_id: envelope.message_id.clone(),
        body: serde_json::to_vec(envelope).unwrap(),
        headers: Headers::new(),
    })
    .await
    .unwrap();
}

/// The next message of `ingress.POLICE`, consumed as the hub: body and publisher.
async fn next_ingress(hub: &AmqpTransport) -> (Value, Option<String>) {
    let mut consumer = hub
        .consume(Address::Ingress(Actor::Police), 1)
        .await
        .unwrap();
    let delivery: AmqpDelivery = tokio::time::timeout(ADAPTER_WAIT, consumer.next())
        .await
        .expect("an ingress message within the wait")
        .unwrap();
    let body = serde_json::from_slice(delivery.body()).unwrap();
    let publisher = delivery.authenticated_user().map(str::to_owned);
    delivery.ack().await.unwrap();
    (body, publisher)
}

/// Checks an `IDENTITY_DIGEST` from the POLICE adapter: envelope, publisher, contract.
fn check_digest_envelope(message: &Value, publisher: Option<&str>, police_user: &str) {
    assert_eq!(message["message_type"], "IDENTITY_DIGEST");
    assert_eq!(message["schema_version"], "1.0.0");
    assert_eq!(message["sender_org_type"], "POLICE");
    assert_eq!(message["sender_org_code"], "113205850141601233");
    assert_eq!(message["receiver_org_codes"], json!([]));
    assert_eq!(message["legal_basis"], json!(["PIPL13_1_3"]));
    assert_eq!(message["purpose_code"], "IDENTITY_VERIFICATION");
    assert_eq!(message["sensitivity"], "GENERAL");
    assert!(
        message["sent_at"].as_str().unwrap().ends_with("+08:00"),
        "{message}"
    );
    assert!(
        message["payload"]["view_at"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    assert_eq!(publisher, Some(police_user), "published as the police user");
    let registry = Registry::embedded().unwrap();
    if let Err(report) = registry.validate_value(message.clone()) {
        panic!("the IDENTITY_DIGEST breaks its contract: {report:?}\n{message}");
    }
}

/// The POLICE adapter's configuration file for the binary: the example's department
/// settings, the test vhost's police user, the rig's store.
fn binary_config(
    broker: &TestBroker,
    rig: &AdapterRig,
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let example = std::fs::read_to_string(
        tests::repo_root().join("adapters/adapter/config/police.example.toml"),
    )
    .unwrap();
    let department = example.split("[runtime]").next().unwrap();
    let amqp = broker.amqp_config(&broker.users[&Actor::Police]);
    let text = format!(
        "{department}[runtime]\nstore_path = '{}'\nidentity_digest_interval_s = 0\n\n\
         [runtime.amqp]\nurl = '{}'\nconnection_name = 'test-identity-digest'\n",
        rig.store_path().display(),
        amqp.url
    );
    let path = dir.join("police.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn police_applies_only_newer_identity_versions_and_reports_its_view() {
    let Some(broker) = TestBroker::create("adapter-identity").await else {
        return;
    };
    let hub = declare_topology(&broker).await;
    let broker = Arc::new(broker);
    // The cases run in a task so that a failing one still lets the vhost be cleaned up.
    let outcome = tokio::spawn(cases(Arc::clone(&broker), hub.clone())).await;
    hub.shutdown().await;
    if let Ok(broker) = Arc::try_unwrap(broker) {
        broker.cleanup().await;
    }
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn cases(broker: Arc<TestBroker>, hub: AmqpTransport) {
    let police_user = broker.users[&Actor::Police].username.clone();
    // Built first, so that the build does not count against the waits below.
    let binary = adapter_binary().await;

    // Versions 2, 1 (older), 3, 3 again.
    let rig = AdapterRig::start(&broker, Actor::Police).await;
    let v2 = identity_update(2, "张二");
    let v1 = identity_update(1, "张一");
    let v3 = identity_update(3, "张建军");
    let v3_again = identity_update(3, "张建军");
    for update in [&v2, &v1, &v3, &v3_again] {
        deliver(&hub, update).await;
    }
    let received = rig.sim.wait_for(3, ADAPTER_WAIT).await.unwrap();
    let ids: Vec<&str> = received
        .iter()
        .map(|r| r.message_id.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(
        ids,
        [
            v2.message_id.as_str(),
            v3.message_id.as_str(),
            v3_again.message_id.as_str()
        ],
        "the police system receives v2, v3, v3 and never v1"
    );
    // The record of the last delivery follows the system's answer: wait for it.
    let store = rig.adapter.store.clone();
    let again_id = v3_again.message_id.clone();
    wait_until(ADAPTER_WAIT, "the re-sent v3 recorded", || {
        let store = store.clone();
        let again_id = again_id.clone();
        async move {
            store
                .identity_view(PERSON)
                .await
                .unwrap()
                .is_some_and(|v| v.applied_message_id == again_id)
        }
    })
    .await;
    let held = store.identity_view(PERSON).await.unwrap().unwrap();
    assert_eq!(held.identity_version, 3);
    let v3_digest = view_digest(&v3.payload["changed_fields"]);
    assert_eq!(held.digest, v3_digest);
    assert_eq!(held.view, v3.payload["changed_fields"]);
    assert_eq!(
        store.settled_stale_count().await.unwrap(),
        1,
        "v1 settled as stale"
    );
    assert!(!store.was_delivered(&v1.message_id).await.unwrap());
    assert_eq!(
        rig.sim.received().len(),
        3,
        "nothing else reached the system"
    );

    // On demand: the real binary reports the view once.
    let dir = tempfile::tempdir().unwrap();
    let config = binary_config(&broker, &rig, dir.path());
    let stdout = tests::adapters::run_identity_digest(&binary, &config).await;
    assert!(
        stdout.contains("reported 1 person(s) in 1 IDENTITY_DIGEST"),
        "{stdout}"
    );
    let (digest, publisher) = next_ingress(&hub).await;
    check_digest_envelope(&digest, publisher.as_deref(), &police_user);
    assert_eq!(digest["payload"]["complete"], true);
    assert_eq!(
        digest["payload"]["persons"],
        json!([{"person_id": PERSON, "identity_version": 3, "digest": v3_digest}])
    );
    rig.stop().await;

    // Periodically: an adapter reporting every second (a fresh store: an empty view).
    let rig = AdapterRig::start_with(&broker, Actor::Police, |runtime| {
        runtime.identity_digest_interval_s = 1;
    })
    .await;
    let (digest, publisher) = next_ingress(&hub).await;
    check_digest_envelope(&digest, publisher.as_deref(), &police_user);
    assert_eq!(digest["payload"]["complete"], true);
    assert_eq!(digest["payload"]["persons"], json!([]));
    rig.stop().await;
}
