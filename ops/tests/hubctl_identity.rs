//! `hubctl identity drift | checks | reviews | show` on a store filled by the real pipeline:
//! a case whose face and DNA results disagree (an open CONFLICT review, a tracked check), and
//! a civil-affairs digest report that lost everything (drift).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use contracts::Registry;
use contracts::model::Actor;
use hub::config::HubConfig;
use hub::pipeline::{HubIdentity, Pipeline, Publisher, Verdict};
use hub::store::Store;
use serde_json::{Value, json};

const CASE: &str = "TCJZ-2026-002001";
const REQUEST: &str = "TCJZ-HC-2026-0901";

fn hubctl(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hubctl"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("HUB_") {
            command.env_remove(name);
        }
    }
    command.output().expect("hubctl runs")
}

fn fixture(relative: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/fixtures")
        .join(relative);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A fixture of the case with a fresh id and `payload` members replaced (`Null` removes).
fn of_case(relative: &str, payload: Value) -> Value {
    let mut message = fixture(relative);
    message["message_id"] = json!(uuid::Uuid::new_v4().to_string());
    message["case_id"] = json!(CASE);
    message["sensitivity"] = json!("SENSITIVE");
    let members = message["payload"].as_object_mut().unwrap();
    if members.contains_key("case_id") {
        members.insert("case_id".into(), json!(CASE));
    }
    for (key, value) in payload.as_object().unwrap() {
        if value.is_null() {
            members.remove(key);
        } else {
            members.insert(key.clone(), value.clone());
        }
    }
    message
}

fn identity(name: &str, id_number: &str, status: &str) -> Value {
    json!({"identity_status": status, "name": name, "sex_code": "1", "id_doc_type": "111",
           "id_number": id_number, "birth_date": format!("{}-{}-{}", &id_number[6..10], &id_number[10..12], &id_number[12..14]),
           "is_minor": false})
}

async fn fill(path: &Path) {
    let config = Arc::new(
        HubConfig::load(
            Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../hub/hub.example.toml")),
            std::iter::empty(),
        )
        .unwrap(),
    );
    let store = Store::open(path).await.unwrap();
    hub::deadlines::timers::prepare(&store).await.unwrap();
    hub::cases::prepare(&store).await.unwrap();
    let pipeline = Pipeline::new(
        Arc::new(Registry::embedded().unwrap()),
        config,
        store.clone(),
        HubIdentity::default(),
    );
    let unknown = json!({"identity_status": "UNKNOWN", "name": "太无名2001", "name_is_assigned": true,
                         "sex_code": "1", "estimated_age": 50, "is_minor": false});
    let no_dna = json!({"dna_sample_no": null, "dna_sampled_at": null, "dna_db_entered": null,
                        "family_contact": null, "certificate_ref": null, "missing_report_no": null});
    let mut face = of_case(
        "IDENTITY_CHECK_RESULT/v1/valid/matched_population_db.json",
        json!({"request_id": REQUEST, "method": "FACE",
               "matched_identity": identity("张建军", "411624196608140035", "VERIFIED_FACE")}),
    );
    for key in no_dna.as_object().unwrap().keys() {
        face["payload"].as_object_mut().unwrap().remove(key);
    }
    let dna = of_case(
        "IDENTITY_CHECK_RESULT/v1/valid/matched_dna_minor.json",
        json!({"request_id": REQUEST, "method": "DNA", "family_contact": null,
               "certificate_ref": null, "missing_report_no": null,
               "matched_identity": identity("王建国", "341221195801012314", "VERIFIED_DNA")}),
    );
    let mut empty_report = fixture("IDENTITY_DIGEST/v1/valid/civil_complete_empty.json");
    empty_report["message_id"] = json!(uuid::Uuid::new_v4().to_string());
    let messages = [
        (
            Actor::Station,
            of_case(
                "STATION_INTAKE/v1/valid/unidentified_hospital_transfer.json",
                json!({"person": unknown.clone()}),
            ),
        ),
        (
            Actor::Station,
            of_case(
                "IDENTITY_CHECK_REQUEST/v1/valid/face_and_dna_sampling.json",
                json!({"request_id": REQUEST, "claimed_identity": unknown}),
            ),
        ),
        (Actor::Police, face),
        (Actor::Police, dna),
        (Actor::Civil, empty_report),
    ];
    for (sender, message) in messages {
        let verdict = pipeline
            .process(
                &serde_json::to_vec(&message).unwrap(),
                &Publisher::Department(sender),
            )
            .await
            .unwrap();
        assert!(
            matches!(verdict, Verdict::Accepted { .. }),
            "{}: {verdict:?}",
            message["message_type"]
        );
    }
    store.close().await;
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn hubctl_shows_drift_checks_reviews_and_a_person_with_the_reading_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(fill(&path));
    let store = path.to_str().unwrap();

    let out = hubctl(&["identity", "reviews", "--store", store]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("disagreement on id_number"), "{text}");
    assert!(text.contains("张建军") && text.contains("王建国"), "{text}");

    let out = hubctl(&["identity", "checks", "--store", store]);
    let text = stdout(&out);
    assert!(text.contains(REQUEST), "{text}");
    assert!(
        text.contains("DNA_SAMPLING") && text.contains("no result"),
        "{text}"
    );

    let out = hubctl(&["identity", "drift", "--store", store, "--json"]);
    let drift: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(drift.as_array().unwrap().len(), 1, "{drift}");
    assert_eq!(drift[0]["department"], "CIVIL");
    assert_eq!(drift[0]["kind"], "MISSING");
    assert!(drift[0]["resent_message_id"].is_string());
    let text = stdout(&hubctl(&["identity", "drift", "--store", store]));
    assert!(text.contains("CIVIL") && text.contains("MISSING"), "{text}");

    // `show` needs who acts, for which case and why.
    let person = drift[0]["person_id"].as_str().unwrap();
    let out = hubctl(&["identity", "show", person, "--store", store]);
    assert_eq!(out.status.code(), Some(2), "clap refuses: {out:?}");
    let out = hubctl(&[
        "identity",
        "show",
        person,
        "--store",
        store,
        "--acting",
        "093047 王志刚",
        "--case",
        CASE,
        "--purpose",
        "复核身份冲突",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("status CONFLICT"), "{text}");
    assert!(
        text.contains("id_number") && text.contains("FACE"),
        "{text}"
    );
    let out = hubctl(&[
        "identity",
        "show",
        "P-NOBODY",
        "--store",
        store,
        "--acting",
        "x",
        "--case",
        CASE,
        "--purpose",
        "y",
    ]);
    assert_eq!(out.status.code(), Some(1));

    let logged = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = Store::open(&path).await.unwrap();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT acting, purpose FROM identity_access_log")
                .fetch_all(store.pool())
                .await
                .unwrap();
        store.close().await;
        rows
    });
    assert_eq!(
        logged,
        [("093047 王志刚".to_owned(), "复核身份冲突".to_owned())]
    );
}
