//! The identity registry (issue 6, items 1–4) through the real pipeline on an in-memory
//! store, with a manual clock — no broker, no waiting:
//!
//! * identity checks tracked from request to result (acknowledged, overdue), and refused
//!   when they lack a request, or repeat a request id;
//! * three departments converge on the same version after results arrive out of order and
//!   one department was offline during the changes (repaired by reconciliation);
//! * disagreeing results set CONFLICT and open a review instead of overwriting; the
//!   station's resolution closes it; a stale update is refused and changes nothing;
//! * merging two records of one person reaches everyone who knew either record.
//!
//! Departments are simulated by [`View`]: each holds, per person, the newest version it has
//! applied — the rule the adapter runtime keeps (apply a version only if it is at least as
//! new as the one held).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use contracts::model::Actor;
use hub::identity::digest::view_digest;
use hub::identity::read;
use hub::pipeline::{Publisher, Verdict};
use serde_json::{Value, json};
use support::{CASE, Hub, fixture, message};

const REQUEST: &str = "TCJZ-HC-2026-0301";

/// A department's view: per person, the newest version applied and its fields.
#[derive(Debug, Default)]
struct View {
    persons: BTreeMap<String, (i64, Value)>,
    skipped: usize,
}

impl View {
    /// Applies `update` if its version is at least as new as the one held.
    fn apply(&mut self, update: &Value) {
        assert_eq!(update["sender_org_type"], "HUB");
        let payload = &update["payload"];
        let person = payload["person_id"].as_str().unwrap().to_owned();
        let version = payload["identity_version"].as_i64().unwrap();
        let held = self.persons.get(&person).map_or(0, |(v, _)| *v);
        if version < held {
            self.skipped += 1;
            return;
        }
        self.persons
            .insert(person, (version, payload["changed_fields"].clone()));
    }

    fn version(&self, person: &str) -> i64 {
        self.persons.get(person).map_or(0, |(v, _)| *v)
    }

    fn digest(&self, person: &str) -> String {
        view_digest(&self.persons[person].1)
    }

    /// The IDENTITY_DIGEST this department would report.
    fn report(&self, department: Actor, org_code: &str) -> Value {
        let mut message = fixture("IDENTITY_DIGEST/v1/valid/police_complete.json");
        message["message_id"] = Value::from(uuid::Uuid::new_v4().to_string());
        message["sender_org_type"] = json!(department.as_str());
        message["sender_org_code"] = json!(org_code);
        message["payload"]["persons"] = Value::Array(
            self.persons
                .iter()
                .map(|(person, (version, fields))| {
                    json!({"person_id": person, "identity_version": version, "digest": view_digest(fields)})
                })
                .collect(),
        );
        message
    }
}

fn intake(case: &str, person: Value) -> Value {
    message(
        "STATION_INTAKE/v1/valid/unidentified_hospital_transfer.json",
        case,
        &[("/payload/person", Some(person))],
    )
}

fn unknown_man() -> Value {
    json!({"identity_status": "UNKNOWN", "name": "太无名1201", "name_is_assigned": true,
           "sex_code": "1", "estimated_age": 55, "dialect_or_accent": "苏北口音", "is_minor": false})
}

fn request(case: &str, request_id: &str, types: &[&str]) -> Value {
    let mut edits = vec![
        ("/payload/request_id", Some(json!(request_id))),
        ("/payload/request_types", Some(json!(types))),
        ("/payload/claimed_identity", Some(unknown_man())),
    ];
    if !types.contains(&"FACE") {
        edits.push(("/payload/face_image", None));
    }
    message(
        "IDENTITY_CHECK_REQUEST/v1/valid/face_and_dna_sampling.json",
        case,
        &edits,
    )
}

fn matched(case: &str, request_id: &str, method: &str, identity: Value) -> Value {
    let mut edits = vec![
        ("/payload/request_id", Some(json!(request_id))),
        ("/payload/method", Some(json!(method))),
        ("/payload/matched_identity", Some(identity)),
        ("/payload/family_contact", None),
    ];
    if !method.starts_with("DNA") {
        edits.push(("/payload/dna_sample_no", None));
        edits.push(("/payload/dna_sampled_at", None));
        edits.push(("/payload/dna_db_entered", None));
    }
    let base = if method.starts_with("DNA") {
        "IDENTITY_CHECK_RESULT/v1/valid/matched_dna_minor.json"
    } else {
        "IDENTITY_CHECK_RESULT/v1/valid/matched_population_db.json"
    };
    let mut m = message(base, case, &edits);
    m["sensitivity"] = json!("SENSITIVE");
    if let Some(p) = m["payload"].as_object_mut() {
        p.remove("certificate_ref");
        p.remove("missing_report_no");
    }
    m
}

fn zhang(status: &str) -> Value {
    json!({"identity_status": status, "name": "张建军", "sex_code": "1", "birth_date": "1966-08-14",
           "id_doc_type": "111", "id_number": "411624196608140035", "household_region_code": "411624",
           "is_minor": false})
}

fn wang(status: &str) -> Value {
    json!({"identity_status": status, "name": "王建国", "sex_code": "1", "birth_date": "1958-01-01",
           "id_doc_type": "111", "id_number": "341221195801012314", "is_minor": false})
}

fn station_update(case: &str, person: &str, version: i64, change: &str, fields: Value) -> Value {
    message(
        "IDENTITY_UPDATE/v1/valid/verified_by_population_db.json",
        case,
        &[
            ("/payload/person_id", Some(json!(person))),
            ("/payload/identity_version", Some(json!(version))),
            ("/payload/change_type", Some(json!(change))),
            ("/payload/changed_fields", Some(fields)),
        ],
    )
}

#[tokio::test]
async fn identity_checks_are_tracked_from_request_to_result_and_answers_need_a_request() {
    let hub = Hub::start().await;
    hub.accept(Actor::Station, &intake(CASE, unknown_man()))
        .await;
    let person = hub.person_of_case(CASE).await;
    assert_eq!(hub.person(&person).await.version, 1, "registered at intake");

    // A request without its purpose (查询事由) or its requesting staff is refused.
    for missing in ["/payload/purpose_note", "/payload/requested_by"] {
        let bad = message(
            "IDENTITY_CHECK_REQUEST/v1/valid/face_and_dna_sampling.json",
            CASE,
            &[(missing, None)],
        );
        let verdict = hub
            .pipeline
            .process(
                &serde_json::to_vec(&bad).unwrap(),
                &Publisher::Department(Actor::Station),
            )
            .await
            .unwrap();
        let Verdict::Refused { reasons, .. } = verdict else {
            panic!("a request without {missing} was accepted");
        };
        assert!(
            reasons
                .iter()
                .any(|r| r.pointer == "/payload" || r.pointer == missing),
            "{reasons:?}"
        );
    }

    // An answer to a request the hub never saw is refused and changes nothing.
    let stray = matched(
        CASE,
        "TCJZ-HC-NEVER",
        "POPULATION_DB",
        zhang("VERIFIED_POLICE"),
    );
    let reasons = hub.refusal(Actor::Police, &stray).await;
    assert_eq!(reasons[0].0, "identity_check_unknown", "{reasons:?}");
    assert!(
        !hub.store
            .is_duplicate(stray["message_id"].as_str().unwrap())
            .await
            .unwrap()
    );
    assert_eq!(hub.person(&person).await.version, 1);

    hub.accept(
        Actor::Station,
        &request(CASE, REQUEST, &["POPULATION_DB", "DNA_SAMPLING"]),
    )
    .await;
    let again = request(CASE, REQUEST, &["POPULATION_DB"]);
    assert_eq!(
        hub.refusal(Actor::Station, &again).await[0].0,
        "identity_check_duplicate"
    );
    let check = |checks: Vec<read::CheckView>| {
        checks
            .into_iter()
            .find(|c| c.request_id == REQUEST)
            .unwrap()
    };
    let now = hub.clock_now();
    let requested = check(read::checks(&hub.store, false, now).await.unwrap());
    assert_eq!(requested.state, "REQUESTED");
    assert_eq!(
        requested.purpose,
        fixture("IDENTITY_CHECK_REQUEST/v1/valid/face_and_dna_sampling.json")["payload"]["purpose_note"]
    );
    // Monday 09:00 (+08:00); working days count from the next day and end at 24:00:
    // acknowledged within 1 working day → end of Tuesday; the population query within 5
    // working days → end of next Monday; the DNA sample within one month.
    assert_eq!(requested.ack_due_at, "2026-12-01T16:00:00.000000Z");
    let due = |method: &str| {
        requested
            .methods
            .iter()
            .find(|m| m.method == method)
            .unwrap()
            .due_at
            .clone()
            .unwrap()
    };
    assert_eq!(due("DNA_SAMPLING"), "2026-12-30T01:00:00.000000Z");
    assert_eq!(due("POPULATION_DB"), "2026-12-07T16:00:00.000000Z");

    // Not acknowledged by the end of Tuesday → overdue.
    hub.clock.advance(Duration::from_secs(40 * 3600));
    let late = check(
        read::checks(&hub.store, true, hub.clock_now())
            .await
            .unwrap(),
    );
    assert_eq!(late.state, "OVERDUE");

    let ack = message(
        "IDENTITY_CHECK_ACK/v1/valid/accepted_population_db.json",
        CASE,
        &[
            ("/payload/request_id", Some(json!(REQUEST))),
            (
                "/payload/accepted_methods",
                Some(json!(["POPULATION_DB", "DNA_SAMPLING"])),
            ),
        ],
    );
    hub.accept(Actor::Police, &ack).await;
    let acknowledged = check(
        read::checks(&hub.store, true, hub.clock_now())
            .await
            .unwrap(),
    );
    assert_eq!(acknowledged.state, "ACKNOWLEDGED");
    assert!(acknowledged.acknowledged_at.is_some());

    // An answer that names another case than its request is refused.
    let elsewhere = matched(
        "TCJZ-2026-009999",
        REQUEST,
        "POPULATION_DB",
        zhang("VERIFIED_POLICE"),
    );
    assert_eq!(
        hub.refusal(Actor::Police, &elsewhere).await[0].0,
        "identity_check_case"
    );

    // The population query matches: version 2, verified by the police, sent to the station,
    // the police and civil affairs; each field's provenance names the result.
    let result = matched(CASE, REQUEST, "POPULATION_DB", zhang("VERIFIED_POLICE"));
    hub.accept(Actor::Police, &result).await;
    let record = hub.person(&person).await;
    assert_eq!(
        (record.version, record.status.as_str()),
        (2, "VERIFIED_POLICE")
    );
    let name = record
        .provenance
        .iter()
        .find(|p| p.field == "name")
        .unwrap();
    assert_eq!(
        (
            name.message_id.as_str(),
            name.department.as_str(),
            name.method.as_str()
        ),
        (
            result["message_id"].as_str().unwrap(),
            "POLICE",
            "POPULATION_DB"
        )
    );
    let dialect = record
        .provenance
        .iter()
        .find(|p| p.field == "dialect_or_accent")
        .unwrap();
    assert_eq!(
        dialect.version, 1,
        "what only the station knew keeps its provenance"
    );
    for department in [Actor::Station, Actor::Police, Actor::Civil] {
        let updates = hub.updates_to(department).await;
        assert_eq!(updates.len(), 1, "{department:?}");
        assert_eq!(updates[0]["payload"]["identity_version"], 2);
        assert_eq!(updates[0]["payload"]["change_type"], "VERIFIED");
        assert_eq!(updates[0]["payload"]["changed_fields"]["name"], "张建军");
        assert_eq!(updates[0]["payload"]["evidence_ref"], REQUEST);
    }
    assert!(
        hub.updates_to(Actor::Health).await.is_empty(),
        "no hospital knows this person"
    );

    // A month later the DNA sample is still missing: the check is overdue again.
    hub.clock.advance(Duration::from_secs(31 * 86_400));
    let overdue = check(
        read::checks(&hub.store, true, hub.clock_now())
            .await
            .unwrap(),
    );
    assert_eq!(overdue.state, "OVERDUE");
    assert!(
        overdue
            .methods
            .iter()
            .any(|m| m.method == "DNA_SAMPLING" && m.overdue)
    );
    let mut sampled = message(
        "IDENTITY_CHECK_RESULT/v1/valid/dna_sampled_pending.json",
        CASE,
        &[("/payload/request_id", Some(json!(REQUEST)))],
    );
    sampled["sensitivity"] = json!("SENSITIVE");
    hub.accept(Actor::Police, &sampled).await;
    let done = check(
        read::checks(&hub.store, false, hub.clock_now())
            .await
            .unwrap(),
    );
    assert_eq!(done.state, "COMPLETED");
    assert_eq!(
        hub.person(&person).await.version,
        2,
        "a pending sample changes no identity"
    );
}

#[tokio::test]
async fn three_departments_converge_after_out_of_order_results_with_one_offline() {
    let hub = Hub::start().await;
    hub.accept(Actor::Station, &intake(CASE, unknown_man()))
        .await;
    let person = hub.person_of_case(CASE).await;
    // The station sends the person to hospital: the hospital is linked to the person.
    let admission = message(
        "HOSPITAL_ADMISSION/v1/valid/station_injured_known_person.json",
        CASE,
        &[("/payload/person/person_id", None)],
    );
    hub.accept(Actor::Station, &admission).await;
    hub.accept(
        Actor::Station,
        &request(CASE, REQUEST, &["FACE", "POPULATION_DB", "DNA_SAMPLING"]),
    )
    .await;

    // Results arrive in another order than requested: DNA sampling first, then the face
    // comparison, the population query (stronger, with more fields), the DNA comparison.
    let mut sampled = message(
        "IDENTITY_CHECK_RESULT/v1/valid/dna_sampled_pending.json",
        CASE,
        &[("/payload/request_id", Some(json!(REQUEST)))],
    );
    sampled["sensitivity"] = json!("SENSITIVE");
    hub.accept(Actor::Police, &sampled).await;
    let mut face_identity = zhang("VERIFIED_FACE");
    face_identity
        .as_object_mut()
        .unwrap()
        .remove("household_region_code");
    hub.accept(
        Actor::Police,
        &matched(CASE, REQUEST, "FACE", face_identity),
    )
    .await;
    hub.accept(
        Actor::Police,
        &matched(CASE, REQUEST, "POPULATION_DB", zhang("VERIFIED_POLICE")),
    )
    .await;
    hub.accept(
        Actor::Police,
        &matched(CASE, REQUEST, "DNA", zhang("VERIFIED_DNA")),
    )
    .await;
    // The station corrects the household address on top (version 5).
    let correction = station_update(
        CASE,
        &person,
        5,
        "CORRECTED",
        json!({"household_address": "河南省周口市沈丘县槐店回族镇张庄村3组"}),
    );
    hub.accept(Actor::Station, &correction).await;
    let record = hub.person(&person).await;
    assert_eq!(
        (record.version, record.status.as_str()),
        (5, "VERIFIED_DNA")
    );
    assert!(
        record.record.get("name_is_assigned").is_none(),
        "his own name now"
    );
    assert_eq!(record.record["alias_names"], json!(["太无名1201"]));

    // STATION and POLICE receive their updates out of order (last first); the hospital was
    // offline during all of it and receives them later, in another order again.
    let mut views: BTreeMap<&str, View> = BTreeMap::new();
    for (department, name) in [(Actor::Station, "STATION"), (Actor::Police, "POLICE")] {
        let mut updates = hub.updates_to(department).await;
        assert_eq!(updates.len(), 4, "{name}: versions 2..=5");
        updates.reverse();
        let view = views.entry(name).or_default();
        for update in &updates {
            view.apply(update);
        }
        assert_eq!(
            view.skipped, 3,
            "{name}: older versions are not applied over newer"
        );
    }
    let health_updates = hub.updates_to(Actor::Health).await;
    assert_eq!(health_updates.len(), 4);
    let health = views.entry("HEALTH").or_default();
    for index in [2, 0, 3, 1] {
        health.apply(&health_updates[index]);
    }
    for (name, view) in &views {
        assert_eq!(view.version(&person), 5, "{name}");
        let sent = record.sent.iter().find(|s| s.department == *name).unwrap();
        assert_eq!(sent.version, 5);
        assert_eq!(
            view.digest(&person),
            sent.digest,
            "{name} holds exactly what the hub sent"
        );
    }
    assert_eq!(
        views["STATION"].persons[&person].1["household_address"],
        "河南省周口市沈丘县槐店回族镇张庄村3组"
    );
    // The hospital's summary ("S"): no household address.
    assert!(
        views["HEALTH"].persons[&person]
            .1
            .get("household_address")
            .is_none()
    );
    assert_eq!(views["HEALTH"].persons[&person].1["name"], "张建军");
    assert_eq!(
        views["POLICE"].persons[&person].1,
        views["STATION"].persons[&person].1
    );

    // The hospital's system is restored from a backup that predates version 5: its digest
    // report shows the drift, the hub re-sends version 5, and the next report is clean.
    let health_org = "123205854668903451";
    let mut restored = View::default();
    restored.apply(&health_updates[2]);
    assert_eq!(restored.version(&person), 4);
    let report = restored.report(Actor::Health, health_org);
    hub.accept(Actor::Health, &report).await;
    let drift = read::drift(&hub.store).await.unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        (
            drift[0].department.as_str(),
            drift[0].kind.as_str(),
            drift[0].reported_version,
            drift[0].expected_version
        ),
        ("HEALTH", "STALE", Some(4), Some(5))
    );
    let resent = hub.updates_to(Actor::Health).await;
    assert_eq!(resent.len(), 5);
    let resend = resent.last().unwrap();
    assert_eq!(
        resend["message_id"].as_str(),
        drift[0].resent_message_id.as_deref()
    );
    assert_ne!(
        resend["message_id"], health_updates[3]["message_id"],
        "a new id passes dedup"
    );
    restored.apply(resend);
    assert_eq!(restored.digest(&person), views["HEALTH"].digest(&person));
    hub.accept(Actor::Health, &restored.report(Actor::Health, health_org))
        .await;
    assert!(read::drift(&hub.store).await.unwrap().is_empty());
    assert_eq!(
        hub.updates_to(Actor::Health).await.len(),
        5,
        "no drift, nothing re-sent"
    );
}

#[tokio::test]
async fn disagreeing_results_set_conflict_and_open_a_review_instead_of_overwriting() {
    let hub = Hub::start().await;
    hub.accept(Actor::Station, &intake(CASE, unknown_man()))
        .await;
    let person = hub.person_of_case(CASE).await;
    hub.accept(
        Actor::Station,
        &request(CASE, REQUEST, &["FACE", "DNA_SAMPLING"]),
    )
    .await;
    // Face says 张建军 …
    hub.accept(
        Actor::Police,
        &matched(CASE, REQUEST, "FACE", zhang("VERIFIED_FACE")),
    )
    .await;
    // … DNA says 王建国.
    let dna = matched(CASE, REQUEST, "DNA", wang("VERIFIED_DNA"));
    hub.accept(Actor::Police, &dna).await;
    let record = hub.person(&person).await;
    assert_eq!((record.version, record.status.as_str()), (3, "CONFLICT"));
    assert_eq!(
        record.record["name"], "张建军",
        "the verified name is not overwritten"
    );
    assert_eq!(record.record["id_number"], "411624196608140035");
    let reviews = read::open_reviews(&hub.store).await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        (reviews[0].person_id.as_str(), reviews[0].field.as_str()),
        (person.as_str(), "id_number")
    );
    let claims = reviews[0].claims.as_array().unwrap();
    assert_eq!(claims[0]["identity"]["name"], "张建军");
    assert_eq!(claims[1]["identity"]["name"], "王建国");
    assert_eq!(claims[1]["message_id"], dna["message_id"]);
    let to_station = hub.updates_to(Actor::Station).await;
    assert_eq!(
        to_station.last().unwrap()["payload"]["changed_fields"]["identity_status"],
        "CONFLICT"
    );

    // A station update written against an old version is refused and changes nothing.
    let stale = station_update(
        CASE,
        &person,
        3,
        "CORRECTED",
        json!({"identity_status": "VERIFIED_DNA"}),
    );
    let reasons = hub.refusal(Actor::Station, &stale).await;
    assert_eq!(reasons[0].0, "identity_stale");
    assert!(
        reasons[0].1.contains("version 3 in the identity registry"),
        "{}",
        reasons[0].1
    );
    assert_eq!(hub.person(&person).await.version, 3);

    // The station reviews and decides for the DNA result (version 4): the review closes.
    let mut decided = wang("VERIFIED_DNA");
    decided["household_address"] = json!("安徽省阜阳市临泉县城关街道解放路12号");
    let resolution = station_update(CASE, &person, 4, "CORRECTED", decided);
    hub.accept(Actor::Station, &resolution).await;
    let record = hub.person(&person).await;
    assert_eq!(
        (record.version, record.status.as_str()),
        (4, "VERIFIED_DNA")
    );
    assert_eq!(record.record["name"], "王建国");
    assert!(read::open_reviews(&hub.store).await.unwrap().is_empty());
    assert_eq!(
        record.reviews[0].resolved_by_message_id.as_deref(),
        resolution["message_id"].as_str()
    );
}

#[tokio::test]
async fn merging_two_records_of_one_person_reaches_everyone_who_knew_either() {
    let hub = Hub::start().await;
    const SECOND: &str = "TCJZ-2026-001377";
    hub.accept(Actor::Station, &intake(CASE, unknown_man()))
        .await;
    hub.accept(Actor::Station, &intake(SECOND, unknown_man()))
        .await;
    let survivor = hub.person_of_case(CASE).await;
    let duplicate = hub.person_of_case(SECOND).await;
    assert_ne!(survivor, duplicate);
    // Only the duplicate's case went to hospital.
    let admission = message(
        "HOSPITAL_ADMISSION/v1/valid/station_injured_known_person.json",
        SECOND,
        &[("/payload/person/person_id", None)],
    );
    hub.accept(Actor::Station, &admission).await;
    hub.accept(Actor::Station, &request(CASE, REQUEST, &["POPULATION_DB"]))
        .await;
    hub.accept(
        Actor::Police,
        &matched(CASE, REQUEST, "POPULATION_DB", zhang("VERIFIED_POLICE")),
    )
    .await;
    assert!(hub.updates_to(Actor::Health).await.is_empty());

    // Merging into a person the registry does not know is refused.
    let mut wrong = station_update(
        SECOND,
        &duplicate,
        2,
        "MERGED",
        json!({"name_is_assigned": true}),
    );
    wrong["payload"]["merged_into_person_id"] = json!("P-NOBODY");
    assert_eq!(
        hub.refusal(Actor::Station, &wrong).await[0].0,
        "identity_merge"
    );

    let mut merge = station_update(
        SECOND,
        &duplicate,
        2,
        "MERGED",
        json!({"name_is_assigned": true}),
    );
    merge["payload"]["merged_into_person_id"] = json!(survivor);
    hub.accept(Actor::Station, &merge).await;

    let gone = hub.person(&duplicate).await;
    assert_eq!(gone.merged_into.as_deref(), Some(survivor.as_str()));
    let kept = hub.person(&survivor).await;
    assert_eq!(kept.version, 3);
    assert_eq!(kept.record["name"], "张建军");
    assert!(
        kept.links.iter().any(|l| l.department == "HEALTH"),
        "the hospital's link moved"
    );
    assert_eq!(
        hub.person_of_case(SECOND).await,
        survivor,
        "the duplicate's case is the survivor's"
    );

    // The hospital knew only the duplicate: it hears of the merge and of the survivor.
    let health = hub.updates_to(Actor::Health).await;
    assert_eq!(health.len(), 2, "{health:#?}");
    assert_eq!(health[0]["payload"]["person_id"], json!(duplicate));
    assert_eq!(health[0]["payload"]["change_type"], "MERGED");
    assert_eq!(
        health[0]["payload"]["merged_into_person_id"],
        json!(survivor)
    );
    assert_eq!(health[1]["payload"]["person_id"], json!(survivor));
    assert_eq!(health[1]["payload"]["identity_version"], 3);
    assert_eq!(health[1]["payload"]["changed_fields"]["name"], "张建军");
    // The police knew both.
    let police = hub.updates_to(Actor::Police).await;
    assert_eq!(
        police
            .iter()
            .filter(|u| u["payload"]["change_type"] == "MERGED")
            .count(),
        1
    );

    // An update for the merged record is refused with the survivor's id in the reason.
    let late = station_update(
        SECOND,
        &duplicate,
        3,
        "CORRECTED",
        json!({"dialect_or_accent": "河南"}),
    );
    let reasons = hub.refusal(Actor::Station, &late).await;
    assert!(reasons[0].1.contains(&survivor), "{reasons:?}");
    // A new result on the duplicate's case changes the survivor.
    hub.accept(
        Actor::Station,
        &request(SECOND, "TCJZ-HC-2026-0302", &["DNA_SAMPLING"]),
    )
    .await;
    hub.accept(
        Actor::Police,
        &matched(SECOND, "TCJZ-HC-2026-0302", "DNA", zhang("VERIFIED_DNA")),
    )
    .await;
    let kept = hub.person(&survivor).await;
    assert_eq!((kept.version, kept.status.as_str()), (4, "VERIFIED_DNA"));
}

#[tokio::test]
async fn a_digest_report_needs_no_route_and_a_department_that_holds_nothing_is_resent_all() {
    let hub = Hub::start().await;
    hub.accept(Actor::Station, &intake(CASE, unknown_man()))
        .await;
    let person = hub.person_of_case(CASE).await;
    hub.accept(Actor::Station, &request(CASE, REQUEST, &["POPULATION_DB"]))
        .await;
    hub.accept(
        Actor::Police,
        &matched(CASE, REQUEST, "POPULATION_DB", zhang("VERIFIED_POLICE")),
    )
    .await;
    assert_eq!(hub.updates_to(Actor::Civil).await.len(), 1);
    // Civil affairs lost everything: a complete, empty report.
    let report = View::default().report(Actor::Civil, "11320585014160456G");
    hub.accept(Actor::Civil, &report).await;
    let drift = read::drift(&hub.store).await.unwrap();
    assert_eq!(drift.len(), 1);
    assert_eq!(
        (drift[0].kind.as_str(), drift[0].person_id.as_str()),
        ("MISSING", person.as_str())
    );
    let updates = hub.updates_to(Actor::Civil).await;
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[1]["payload"]["identity_version"], 2);
    assert_eq!(
        updates[0]["payload"]["changed_fields"],
        updates[1]["payload"]["changed_fields"]
    );
}

/// The hub's HTTP API over `hub`'s store, on an ephemeral port.
async fn serve_api(hub: &Hub) -> String {
    let config = Arc::clone(hub.pipeline.deadlines().hub_config());
    let transport = hub::transport::embedded::EmbeddedTransport::open(
        &hub.store,
        config.transport.embedded.clone().unwrap_or_default(),
    )
    .await
    .unwrap();
    let state = Arc::new(hub::http::HttpState {
        registry: Arc::clone(&hub.registry),
        config,
        transport: Arc::new(transport),
        store: hub.store.clone(),
        deadlines: hub.pipeline.deadlines().clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, hub::http::router(state))
            .await
            .unwrap();
    });
    format!("http://{address}")
}

async fn get(base: &str, path: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_identity_api_names_who_reads_and_why_and_keeps_departments_to_their_part() {
    let hub = Hub::start().await;
    hub.accept(Actor::Station, &intake(CASE, unknown_man()))
        .await;
    let person = hub.person_of_case(CASE).await;
    hub.accept(Actor::Station, &request(CASE, REQUEST, &["POPULATION_DB"]))
        .await;
    hub.accept(
        Actor::Police,
        &matched(CASE, REQUEST, "POPULATION_DB", zhang("VERIFIED_POLICE")),
    )
    .await;
    let base = serve_api(&hub).await;

    // Without who, which case and why: 400 naming each missing parameter.
    let (status, body) = get(
        &base,
        &format!("/v1/identity/persons/{person}"),
        "dev-token-ops",
    )
    .await;
    assert_eq!(status, 400);
    let missing: Vec<&str> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["?acting", "?case_id", "?purpose"]);

    let query = format!(
        "/v1/identity/persons/{person}?acting=093047%20%E7%8E%8B%E5%BF%97%E5%88%9A&case_id={CASE}&purpose=%E8%BF%94%E4%B9%A1%E6%A0%B8%E5%AF%B9"
    );
    let (status, body) = get(&base, &query, "dev-token-ops").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["record"]["name"], "张建军");
    assert!(
        body["provenance"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["field"] == "id_number" && p["method"] == "POPULATION_DB")
    );

    // A department that receives the person's updates sees its version, not the record; one
    // that does not is refused; an unknown token is 401.
    let (status, body) = get(&base, &query, "dev-token-civil").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["version"].as_i64(), body["sent"]["version"].as_i64()),
        (Some(2), Some(2))
    );
    assert!(body.get("record").is_none());
    assert_eq!(get(&base, &query, "dev-token-grid").await.0, 403);
    assert_eq!(get(&base, &query, "no-such-token").await.0, 401);

    // Every reading is in the access log, with who, which case and why.
    let log: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT reader, acting, case_id, purpose FROM identity_access_log
         WHERE person_id = $1 AND acting <> '测试 093047' ORDER BY id",
    )
    .bind(&person)
    .fetch_all(hub.store.pool())
    .await
    .unwrap();
    assert_eq!(log.len(), 2, "only served readings are logged");
    assert_eq!(
        log[0],
        (
            "OPS".into(),
            "093047 王志刚".into(),
            CASE.into(),
            "返乡核对".into()
        )
    );
    assert_eq!(log[1].0, "CIVIL");

    // The person of a case, for a department that writes a change.
    let (status, of_case) = get(
        &base,
        &format!("/v1/identity/cases/{CASE}"),
        "dev-token-station",
    )
    .await;
    assert_eq!(status, 200, "{of_case}");
    assert_eq!(
        of_case,
        json!({"case_id": CASE, "person_id": person, "version": 2, "status": "VERIFIED_POLICE"})
    );
    assert_eq!(
        get(
            &base,
            &format!("/v1/identity/cases/{CASE}"),
            "dev-token-grid"
        )
        .await
        .0,
        403
    );
    assert_eq!(
        get(&base, "/v1/identity/cases/TCJZ-NONE", "dev-token-ops")
            .await
            .0,
        404
    );

    let (status, checks) = get(&base, "/v1/identity/checks", "dev-token-police").await;
    assert_eq!(status, 200);
    assert_eq!(checks[0]["request_id"], REQUEST);
    assert_eq!(checks[0]["state"], "COMPLETED");
    assert_eq!(
        get(&base, "/v1/identity/checks", "dev-token-health")
            .await
            .0,
        403
    );
    assert_eq!(
        get(&base, "/v1/identity/reviews", "dev-token-station").await,
        (200, json!([]))
    );
    assert_eq!(
        get(&base, "/v1/identity/drift", "dev-token-ops").await,
        (200, json!([]))
    );
}

#[tokio::test]
async fn a_death_or_a_settlement_reported_by_any_department_changes_the_record_once() {
    let hub = Hub::start().await;
    // A death in hospital, reported by the hospital: the record becomes DECEASED (v2).
    hub.accept(Actor::Station, &intake(CASE, unknown_man()))
        .await;
    let person = hub.person_of_case(CASE).await;
    let mut death = message(
        "INCIDENT_REPORT/v1/valid/first_report_normal_death_in_hospital.json",
        CASE,
        &[],
    );
    death["payload"]["persons_involved"][0]["case_id"] = json!(CASE);
    hub.accept(Actor::Health, &death).await;
    let record = hub.person(&person).await;
    assert_eq!((record.version, record.status.as_str()), (2, "DECEASED"));
    let updates = hub.updates_to(Actor::Station).await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["payload"]["change_type"], "DECEASED");
    assert_eq!(updates[0]["payload"]["evidence_ref"], death["message_id"]);
    // The station's own update saying the same is accepted and changes nothing, although it
    // assumed version 2 was still to be made.
    let same = station_update(CASE, &person, 2, "DECEASED", json!({"is_minor": false}));
    hub.accept(Actor::Station, &same).await;
    assert_eq!(hub.person(&person).await.version, 2);
    assert_eq!(hub.updates_to(Actor::Station).await.len(), 1);

    // 落户: the police approve the settlement of another person; the record is SETTLED with
    // the assigned ID number and household.
    const SETTLED_CASE: &str = "TCJZ-2026-000873";
    hub.accept(Actor::Station, &intake(SETTLED_CASE, unknown_man()))
        .await;
    let settled = hub.person_of_case(SETTLED_CASE).await;
    let decision = message(
        "SETTLEMENT_DECISION/v1/valid/approved_and_registered.json",
        SETTLED_CASE,
        &[],
    );
    hub.accept(Actor::Police, &decision).await;
    let record = hub.person(&settled).await;
    assert_eq!((record.version, record.status.as_str()), (2, "SETTLED"));
    assert_eq!(record.record["id_number"], "32058519650701013X");
    assert_eq!(record.record["household_region_code"], "320585102001");
    let provenance = record
        .provenance
        .iter()
        .find(|p| p.field == "id_number")
        .unwrap();
    assert_eq!(
        (provenance.department.as_str(), provenance.method.as_str()),
        ("POLICE", "SETTLEMENT_DECISION")
    );
    // A decision that is not an approval changes nothing.
    let review = message(
        "SETTLEMENT_DECISION/v1/valid/pre_review_passed.json",
        SETTLED_CASE,
        &[],
    );
    hub.accept(Actor::Police, &review).await;
    assert_eq!(hub.person(&settled).await.version, 2);
}
