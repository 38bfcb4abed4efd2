//! End to end over the real RabbitMQ: departments publish as their own broker users, the hub
//! routes, and each test asserts exactly what arrived where (issue "Hub core on RabbitMQ").
//! Each test runs in its own vhost with its own users and store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use contracts::model::Actor;
use hub::pipeline::projection::project;
use hub::store::DeadLetterFilter;
use hub::transport::header;
use serde_json::Value;
use tests::{TestBroker, TestHub, collect, fixture, submit, with_new_id};

const WAIT: Duration = Duration::from_secs(20);
const QUIET: Duration = Duration::from_millis(1500);

/// Waits (bounded) until the dead-letter index holds at least `n` letters.
async fn wait_for_dead_letters(hub: &TestHub, n: usize) -> Vec<hub::store::DeadLetter> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let letters = hub
            .store
            .dead_letters(&DeadLetterFilter::default())
            .await
            .unwrap();
        if letters.len() >= n || tokio::time::Instant::now() > deadline {
            return letters;
        }
        tokio::time::sleep(Duration::from_millis(100)).await; // polling a database, not synchronising tasks
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grid_referral_reaches_station_once_projected_with_a_sequence_number() {
    let Some(broker) = TestBroker::create("grid-referral").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let grid = broker.department(Actor::Grid).await;
    let station = broker.department(Actor::Station).await;

    let referral = with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"));
    submit(&grid, Actor::Grid, &referral).await.unwrap();

    let received = collect(&station, Actor::Station, 1, WAIT, QUIET).await;
    assert_eq!(received.len(), 1, "exactly one delivery to STATION");
    let delivered = &received[0];
    assert_eq!(delivered.message["message_id"], referral["message_id"]);
    assert_eq!(delivered.header(header::SENDER), Some("GRID"));
    assert_eq!(delivered.int_header(header::STREAM_SEQ), Some(1));

    // The payload is the referral projected by STATION's policy.
    let registry = contracts::Registry::embedded().unwrap();
    let mut expected = referral["payload"].clone();
    project(
        &mut expected,
        registry.contract("REFERRAL", 1).unwrap().annotations(),
        &hub.config.field_policy(Actor::Station),
    );
    assert_eq!(delivered.message["payload"], expected);
    registry
        .validate_message(&serde_json::to_vec(&delivered.message).unwrap())
        .unwrap();

    // A plain sighting of an adult concerns nobody else.
    assert!(
        collect(
            &broker.department(Actor::Police).await,
            Actor::Police,
            0,
            QUIET,
            QUIET
        )
        .await
        .is_empty()
    );
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projection_removes_what_a_recipient_may_not_receive() {
    let Some(broker) = TestBroker::create("projection").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = tests::test_config(&broker, dir.path().join("hub.sqlite"));
    // This station may not receive health data.
    let station = config.departments.get_mut(&Actor::Station).unwrap();
    station.allowed_pii.retain(|k| k != "health");
    let hub = TestHub::start_with(config, dir).await;
    let grid = broker.department(Actor::Grid).await;
    let referral = with_new_id(fixture(
        "REFERRAL/v1/valid/hotline_12345_critical_send_to_hospital.json",
    ));
    submit(&grid, Actor::Grid, &referral).await.unwrap();

    let received = collect(
        &broker.department(Actor::Station).await,
        Actor::Station,
        1,
        WAIT,
        QUIET,
    )
    .await;
    assert_eq!(received.len(), 1);
    let subjects = received[0].message["payload"]["subjects"]
        .as_array()
        .unwrap();
    assert!(
        subjects.iter().all(|s| s.get("health").is_none()),
        "health withheld: {subjects:?}"
    );
    let away = received[0].header(header::PROJECTED_AWAY).unwrap();
    assert!(away.contains("/subjects/*/health"), "{away}");
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_check_request_reaches_police_and_the_result_reaches_station() {
    let Some(broker) = TestBroker::create("identity-check").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let station = broker.department(Actor::Station).await;
    let police = broker.department(Actor::Police).await;

    let request = with_new_id(fixture(
        "IDENTITY_CHECK_REQUEST/v1/valid/population_and_missing_db.json",
    ));
    submit(&station, Actor::Station, &request).await.unwrap();
    let at_police = collect(&police, Actor::Police, 1, WAIT, QUIET).await;
    assert_eq!(at_police.len(), 1);
    assert_eq!(at_police[0].message["message_id"], request["message_id"]);
    assert_eq!(
        at_police[0].message["message_type"],
        "IDENTITY_CHECK_REQUEST"
    );

    let mut result = with_new_id(fixture(
        "IDENTITY_CHECK_RESULT/v1/valid/no_match_missing_db.json",
    ));
    result["correlation_id"] = request["message_id"].clone();
    submit(&police, Actor::Police, &result).await.unwrap();
    let at_station = collect(&station, Actor::Station, 1, WAIT, QUIET).await;
    assert_eq!(at_station.len(), 1);
    assert_eq!(at_station[0].message["message_id"], result["message_id"]);
    assert_eq!(at_station[0].header(header::SENDER), Some("POLICE"));
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citymgmt_cannot_publish_as_police() {
    let Some(broker) = TestBroker::create("impersonation").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let citymgmt = broker.department(Actor::Citymgmt).await;

    // 1. The broker refuses the routing key of another department (topic permissions).
    let referral = with_new_id(fixture(
        "REFERRAL/v1/valid/citymgmt_case_05_02_refused.json",
    ));
    assert!(
        submit(&citymgmt, Actor::Police, &referral).await.is_err(),
        "POLICE.* must be refused for CITYMGMT"
    );

    // 2. Under its own key but claiming to be POLICE in the envelope: the hub refuses it.
    let mut forged = with_new_id(fixture(
        "REFERRAL/v1/valid/police_patrol_suspected_trafficked_minor.json",
    ));
    forged["sender_org_type"] = Value::from("POLICE");
    let citymgmt = broker.department(Actor::Citymgmt).await;
    submit(&citymgmt, Actor::Citymgmt, &forged).await.unwrap();
    let notices = collect(&citymgmt, Actor::Citymgmt, 1, WAIT, QUIET).await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].message["message_type"], "HUB_REJECTED");
    assert_eq!(notices[0].message["payload"]["stage"], "SENDER_MISMATCH");
    assert_eq!(notices[0].message["correlation_id"], forged["message_id"]);
    // Nothing reached the station or the police.
    for d in [Actor::Station, Actor::Police] {
        assert!(
            collect(&broker.department(d).await, d, 0, QUIET, QUIET)
                .await
                .is_empty(),
            "{d:?}"
        );
    }
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_message_is_dead_lettered_with_its_reasons_and_the_sender_is_told() {
    let Some(broker) = TestBroker::create("invalid").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let grid = broker.department(Actor::Grid).await;
    let invalid = with_new_id(fixture("REFERRAL/v1/invalid/missing_willingness.json"));
    submit(&grid, Actor::Grid, &invalid).await.unwrap();

    let notices = collect(&grid, Actor::Grid, 1, WAIT, QUIET).await;
    assert_eq!(notices.len(), 1);
    let notice = &notices[0].message;
    assert_eq!(notice["message_type"], "HUB_REJECTED");
    assert_eq!(notice["payload"]["stage"], "CONTRACT");
    assert_eq!(
        notice["payload"]["rejected_message_id"],
        invalid["message_id"]
    );
    let pointers: Vec<&str> = notice["payload"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["pointer"].as_str())
        .collect();
    assert!(pointers.contains(&"/payload/willingness"), "{pointers:?}");
    contracts::Registry::embedded()
        .unwrap()
        .validate_message(&serde_json::to_vec(notice).unwrap())
        .unwrap();

    let letters = wait_for_dead_letters(&hub, 1).await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].queue, "dead.ingress");
    assert_eq!(letters[0].stage, "CONTRACT");
    assert!(letters[0].reasons.contains("/payload/willingness"));
    assert_eq!(
        serde_json::from_slice::<Value>(&letters[0].body).unwrap(),
        invalid,
        "original bytes kept"
    );
    assert!(
        collect(
            &broker.department(Actor::Station).await,
            Actor::Station,
            0,
            QUIET,
            QUIET
        )
        .await
        .is_empty()
    );
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_message_id_published_three_times_is_delivered_once() {
    let Some(broker) = TestBroker::create("dedup").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let grid = broker.department(Actor::Grid).await;
    let referral = with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"));
    for _ in 0..3 {
        submit(&grid, Actor::Grid, &referral).await.unwrap();
    }
    let received = collect(
        &broker.department(Actor::Station).await,
        Actor::Station,
        1,
        WAIT,
        QUIET,
    )
    .await;
    assert_eq!(received.len(), 1, "three publishes, one delivery");
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_refused_for_a_fixable_reason_is_replayed_once_and_delivered_once() {
    let Some(broker) = TestBroker::create("replay").await else {
        return;
    };
    // First the hub runs with a configuration that forgot GRID's right to send referrals.
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("hub.sqlite");
    let mut config = tests::test_config(&broker, store_path.clone());
    config.authorization.send.remove(&Actor::Grid);
    let hub = TestHub::start_with(config, dir).await;
    let grid = broker.department(Actor::Grid).await;
    let referral = with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"));
    submit(&grid, Actor::Grid, &referral).await.unwrap();
    let notices = collect(&grid, Actor::Grid, 1, WAIT, QUIET).await;
    assert_eq!(notices[0].message["payload"]["stage"], "UNAUTHORIZED");
    let letters = wait_for_dead_letters(&hub, 1).await;
    let id = letters[0].id;
    let dir = hub.stop().await;

    // The operator fixes the configuration and restarts the hub on the same store.
    let hub = TestHub::start_with(tests::test_config(&broker, store_path), dir).await;
    let sender_of = |user: &str| hub.config.department_of_broker_user(user);
    hub::dead_letters::replay(
        &hub.store,
        id,
        sender_of,
        "ops:zhang.wei",
        "authorization fixed (GRID may send REFERRAL)",
    )
    .await
    .unwrap();
    let again =
        hub::dead_letters::replay(&hub.store, id, sender_of, "ops:zhang.wei", "again").await;
    assert!(
        matches!(
            again,
            Err(hub::dead_letters::ReplayError::AlreadyReplayed { .. })
        ),
        "{again:?}"
    );

    let received = collect(
        &broker.department(Actor::Station).await,
        Actor::Station,
        1,
        WAIT,
        QUIET,
    )
    .await;
    assert_eq!(received.len(), 1, "replayed once, delivered once");
    assert_eq!(received[0].message["message_id"], referral["message_id"]);
    let letter = hub.store.dead_letter(id).await.unwrap().unwrap();
    assert_eq!(letter.replayed_by.as_deref(), Some("ops:zhang.wei"));
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intake_of_a_taicang_resident_reaches_the_township_via_grid_minimised() {
    let Some(broker) = TestBroker::create("household").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let station = broker.department(Actor::Station).await;
    let mut intake = with_new_id(fixture(
        "STATION_INTAKE/v1/valid/police_escort_adult_document.json",
    ));
    intake["payload"]["person"]["household_region_code"] = Value::from("320585102210");
    submit(&station, Actor::Station, &intake).await.unwrap();

    let at_grid = collect(
        &broker.department(Actor::Grid).await,
        Actor::Grid,
        1,
        WAIT,
        QUIET,
    )
    .await;
    let at_civil = collect(
        &broker.department(Actor::Civil).await,
        Actor::Civil,
        1,
        WAIT,
        QUIET,
    )
    .await;
    let at_police = collect(
        &broker.department(Actor::Police).await,
        Actor::Police,
        1,
        WAIT,
        QUIET,
    )
    .await;
    assert_eq!(
        (at_grid.len(), at_civil.len(), at_police.len()),
        (1, 1, 1),
        "GRID (household), CIVIL, POLICE (escorted)"
    );

    let grid_payload = &at_grid[0].message["payload"];
    assert!(
        grid_payload.get("health_check").is_none(),
        "no health data for the grid"
    );
    assert!(
        grid_payload["person"].get("id_number").is_none(),
        "no ID number for the grid"
    );
    assert!(
        at_grid[0]
            .header(header::PROJECTED_AWAY)
            .is_some_and(|a| a.contains("/health_check"))
    );
    // Civil affairs receives the whole intake.
    assert_eq!(at_civil[0].message["payload"], intake["payload"]);
    hub.stop().await;
    broker.cleanup().await;
}
