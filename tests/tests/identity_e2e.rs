//! The identity registry end to end (issue 6): three department systems converge on the
//! registry's identity version through the real hub and the real adapters, after the police
//! answered an identity check out of order while the hospital's system was offline.
//!
//! One hub (example configuration, deadline rules cleared) on one vhost of the shared
//! RabbitMQ; the STATION, POLICE and HEALTH adapters in-process, each talking to a simulator
//! of its department's system over the real protocol (REST JSON, police XML, HL7 over MLLP):
//!
//! 1. the station system posts, as its own native documents, the intake of an unidentified
//!    man, his admission to hospital (which links the hospital to him) and an identity-check
//!    request (face, population register, DNA sampling);
//! 2. the HIS goes down (its port refuses connections);
//! 3. the police system, having received the request as `<XCSQ>`, answers with `<HCJG>`
//!    documents in another order than asked: DNA sampled (pending), face matched, population
//!    register matched (stronger, more fields), DNA comparison matched — registry versions
//!    2, 3, 4, ending VERIFIED_DNA;
//! 4. the station and police systems hold version 4 while the HIS still holds nothing,
//!    although the hub has sent it everything; the HIS comes back and catches up;
//! 5. every system ends on the registry's version, each adapter's store holds it with the
//!    digest the hub recorded as sent to that department, no system ever received an older
//!    version after a newer one, and the HIS received its versions only after it came back;
//! 6. `adapter identity-digest` (the real binary) reports each adapter's view: no drift.
//!    Then the health adapter's store is restored from a backup that predates version 4
//!    (while the adapter is stopped): its report shows STALE drift, the hub re-sends
//!    version 4, the restarted adapter carries it to the HIS, and the next report is clean.
//!
//! A digest report that matches changes nothing at the hub, so to know the hub has read it
//! the test waits until the report's message ids (printed by `adapter identity-digest`) are
//! in the hub's inbox.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use adapter_runtime::store::{AdapterStore, AppliedIdentity};
use contracts::model::Actor;
use dept_sim::{FailureMode, Hl7View, Received, Sent, SentOutcome, Simulator, XmlView, json_view};
use hub::identity::digest::view_digest;
use hub::identity::read::{self, PersonView};
use hub::identity::sync::update_message_id;
use serde_json::{Value, json};
use tests::adapters::{ADAPTER_WAIT, AdapterRig, adapter_binary, golden};
use tests::process::wait_until;
use tests::{TestBroker, TestHub};

/// The case of the unidentified man.
const CASE: &str = "TCJZ-2026-001201";
/// The station's identity-check request (申请编号).
const REQUEST: &str = "TCJZ-HC-2026-0301";
/// The DNA sample the police take.
const DNA_SAMPLE: &str = "DNA-320585-2026-00218";
/// The registry's version once every result is in: registered (1), face (2), population
/// register (3), DNA (4).
const FINAL_VERSION: i64 = 4;
/// The versions announced to the departments (registration is not announced).
const ANNOUNCED: [i64; 3] = [2, 3, 4];
/// The police's organisation code (the police system's `fsdwdm`).
const POLICE_ORG: &str = "113205850141601233";

// ---- the department systems' documents ---------------------------------------------------

fn golden_json(department: Actor, rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(golden(department, rel)).unwrap()).unwrap()
}

/// The man as the station records him: no name of his own, no documents.
fn unknown_man() -> Value {
    json!({"identityStatus": "UNKNOWN", "name": "太无名1201", "nameIsAssigned": true,
           "sexCode": "1", "estimatedAge": 55, "dialectOrAccent": "苏北口音", "isMinor": false})
}

/// A station document from the golden file `rel`, under `doc_no`, for [`CASE`].
fn station_document(rel: &str, doc_no: &str) -> Value {
    let mut doc = golden_json(Actor::Station, rel);
    doc["head"]["docNo"] = json!(doc_no);
    doc["head"]["caseId"] = json!(CASE);
    doc["data"]["caseId"] = json!(CASE);
    doc
}

/// 入站登记: the intake of the unidentified man; the registry gives him a person id.
fn intake() -> Value {
    let mut doc = station_document(
        "decode/sent__station_intake__unidentified_hospital_transfer.json",
        "TCJZ-RZ-20260412-1201",
    );
    doc["data"]["person"] = unknown_man();
    doc
}

/// 送医: the station takes him to the designated hospital (links HEALTH to him).
fn admission() -> Value {
    let mut doc = station_document(
        "decode/sent__hospital_admission__station_injured_known_person.json",
        "TCJZ-SY-20260412-1201",
    );
    doc["head"]["sentAt"] = json!("2025-04-12 12:20:00");
    doc["data"]["transferId"] = json!("JZ-SY-2026-1201");
    doc["data"]["person"] = unknown_man();
    // A person of unknown identity travels with a description of how they look.
    doc["data"]["physicalDescription"] = intake()["data"]["physicalDescription"].clone();
    doc["data"]["departedAt"] = json!("2025-04-12 11:50:00");
    doc["data"]["arrivedAt"] = json!("2025-04-12 12:10:00");
    doc
}

/// 协查申请: face comparison, population register, DNA sampling.
fn check_request() -> Value {
    let mut doc = station_document(
        "decode/sent__identity_check_request__face_and_dna_sampling.json",
        "TCJZ-XC-20260412-1201",
    );
    doc["head"]["sentAt"] = json!("2025-04-12 13:00:00");
    let data = &mut doc["data"];
    data["requestId"] = json!(REQUEST);
    data["requestTypes"] = json!(["FACE", "POPULATION_DB", "DNA_SAMPLING"]);
    data["claimedIdentity"] = unknown_man();
    data["intakeAt"] = json!("2025-04-12 10:55:00");
    data["dueBy"] = json!("2025-05-12");
    doc
}

/// 核实身份 of the man (张建军) as a police document writes it, with `status`; the
/// population register adds his household region and ethnicity.
fn zhang_xml(status: &str, register_fields: bool) -> String {
    let register = if register_fields {
        "<mz>01</mz><hjdqh>411624</hjdqh>"
    } else {
        ""
    };
    format!(
        "<hssf><sfzt>{status}</sfzt><xm>张建军</xm><xb>1</xb><csrq>19660814</csrq>{register}\
         <zjlx>111</zjlx><sfzh>411624196608140035</sfzh><sfwcn>0</sfwcn></hssf>"
    )
}

/// 核查比对结果 (`<HCJG>`) from the police system: document `doc_no` answering the request
/// the police received as message `answered`, with the method-specific `body`.
fn check_result(doc_no: &str, answered: &str, at: &str, body: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<HCJG>
  <XXT>
    <wdbh>{doc_no}</wdbh>
    <wdlx>HCJG</wdlx>
    <jzgah>{CASE}</jzgah>
    <glxxbs>{answered}</glxxbs>
    <fsdwdm>{POLICE_ORG}</fsdwdm>
    <fssj>{at}</fssj>
  </XXT>
  <sqbh>{REQUEST}</sqbh>
  {body}
  <hcmj>
    <xm>王志刚</xm>
    <jh>093047</jh>
    <dwdm>{POLICE_ORG}</dwdm>
    <dwmc>太仓市公安局刑事侦查大队</dwmc>
    <js>VERIFIER</js>
  </hcmj>
  <hcsj>{at}</hcsj>
</HCJG>
"#
    )
    .into_bytes()
}

/// The police's answers, in the order they send them (not the order asked).
fn police_answers(answered: &str) -> Vec<(&'static str, Vec<u8>)> {
    let sampling = format!(
        "<bdfs>DNA_SAMPLING</bdfs><jg>SAMPLED_PENDING</jg><dnaybh>{DNA_SAMPLE}</dnaybh>\
         <cysj>20250413103000</cysj><sflrdgk>1</sflrdgk>"
    );
    let face = format!(
        "<bdfs>FACE</bdfs><jg>MATCHED</jg>{}",
        zhang_xml("VERIFIED_FACE", false)
    );
    let register = format!(
        "<bdfs>POPULATION_DB</bdfs><jg>MATCHED</jg>{}",
        zhang_xml("VERIFIED_POLICE", true)
    );
    let dna = format!(
        "<bdfs>DNA</bdfs><jg>MATCHED</jg>{}<dnaybh>{DNA_SAMPLE}</dnaybh>\
         <cysj>20250413103000</cysj><sflrdgk>1</sflrdgk>",
        zhang_xml("VERIFIED_DNA", true)
    );
    vec![
        (
            "DNA sampled, pending",
            check_result(
                "TCGA-HCJG-20250413-1201",
                answered,
                "20250413163000",
                &sampling,
            ),
        ),
        (
            "face matched",
            check_result("TCGA-HCJG-20250414-1202", answered, "20250414091500", &face),
        ),
        (
            "population register matched",
            check_result(
                "TCGA-HCJG-20250414-1203",
                answered,
                "20250414153000",
                &register,
            ),
        ),
        (
            "DNA comparison matched",
            check_result("TCGA-HCJG-20250502-1204", answered, "20250502110000", &dna),
        ),
    ]
}

// ---- talking to the adapters and reading the systems ---------------------------------------

fn assert_accepted(what: &str, sent: &Sent) {
    match &sent.outcome {
        SentOutcome::Http { status, .. } if (200..300).contains(status) => {}
        SentOutcome::Http { status, body, .. } => panic!(
            "{what}: the adapter answered {status}: {}",
            String::from_utf8_lossy(body)
        ),
        other => panic!("{what}: the adapter did not take it: {other:?}"),
    }
}

async fn post_station(rig: &AdapterRig, what: &str, document: &Value) {
    let sent = rig
        .send_from_department("application/json", serde_json::to_vec(document).unwrap())
        .await;
    assert_accepted(what, &sent);
}

/// Waits until `sim` holds at least `count` documents that `matches`; returns those.
async fn wait_for_documents(
    sim: &Simulator,
    what: &str,
    count: usize,
    matches: impl Fn(&Received) -> bool,
) -> Vec<Received> {
    let deadline = tokio::time::Instant::now() + ADAPTER_WAIT;
    let mut wanted_total = 1;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let all = match sim.wait_for(wanted_total, left).await {
            Ok(all) => all,
            Err(error) => panic!(
                "waiting for {what}: {error}; the system holds {}",
                summary(&sim.received())
            ),
        };
        let found: Vec<Received> = all.iter().filter(|r| matches(r)).cloned().collect();
        if found.len() >= count {
            return found;
        }
        wanted_total = all.len() + 1;
    }
}

fn summary(received: &[Received]) -> String {
    received
        .iter()
        .map(|r| format!("#{} {} {:?}", r.seq, r.path, r.message_id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An `IDENTITY_UPDATE` as one department system received it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ReceivedUpdate {
    /// The hub's message id (`X-Hub-Message-Id`, HL7 MSH-10).
    message_id: String,
    person_id: String,
    version: i64,
    /// The identity status the system was told.
    status: String,
    at: SystemTime,
}

/// The identity update in `received`, if it is one, read in the system's own format.
fn identity_update(department: Actor, received: &Received) -> Option<ReceivedUpdate> {
    let (message_id, person_id, version, status) = match department {
        Actor::Station => {
            let doc = json_view(&received.body).ok()?;
            if doc["head"]["docType"] != "identityUpdate" {
                return None;
            }
            let data = &doc["data"];
            (
                received.message_id.clone()?,
                data["personId"].as_str()?.to_owned(),
                data["identityVersion"].as_i64()?,
                data["changedFields"]["identityStatus"].as_str()?.to_owned(),
            )
        }
        Actor::Police => {
            let doc = XmlView::parse(&received.body).ok()?;
            if doc.root() != "SFGX" {
                return None;
            }
            (
                received.message_id.clone()?,
                doc.get("SFGX/rybh")?.to_owned(),
                doc.get("SFGX/sfbbh")?.parse().ok()?,
                doc.get("SFGX/bgzd/sfzt")?.to_owned(),
            )
        }
        Actor::Health => {
            let doc = Hl7View::parse(&received.body).ok()?;
            if doc.field("MSH", 9, 2) != Some("A08") || doc.segment("ZID").is_none() {
                return None;
            }
            let pid = doc.segment("PID")?;
            (
                doc.field("MSH", 10, 1)?.to_owned(),
                doc.field("PID", 3, 1)?.to_owned(),
                doc.field("ZID", 1, 1)?.parse().ok()?,
                pid.field_raw(32).unwrap_or_default().to_owned(),
            )
        }
        other => panic!("no system simulated for {other:?}"),
    };
    Some(ReceivedUpdate {
        message_id,
        person_id,
        version,
        status,
        at: received.at,
    })
}

/// Every identity update of `person` the department's system received, in arrival order.
fn updates_received(department: Actor, sim: &Simulator, person: &str) -> Vec<ReceivedUpdate> {
    sim.received()
        .iter()
        .filter_map(|r| identity_update(department, r))
        .filter(|u| u.person_id == person)
        .collect()
}

/// Waits until the department's system received version `version` of `person` under
/// `message_id`, and its adapter recorded that delivery in its store.
async fn wait_until_held(rig: &AdapterRig, person: &str, version: i64, message_id: &str) {
    let department = rig.department;
    wait_for_documents(
        &rig.sim,
        &format!("{department:?}'s system to receive version {version} ({message_id})"),
        1,
        |r| {
            identity_update(department, r)
                .is_some_and(|u| u.person_id == person && u.message_id == message_id)
        },
    )
    .await;
    let store = rig.adapter.store.clone();
    let (person, message_id) = (person.to_owned(), message_id.to_owned());
    wait_until(
        ADAPTER_WAIT,
        &format!("{department:?}'s adapter to record version {version} ({message_id})"),
        || {
            let (store, person, message_id) = (store.clone(), person.clone(), message_id.clone());
            async move {
                store
                    .identity_view(&person)
                    .await
                    .unwrap()
                    .is_some_and(|v| v.applied_message_id == message_id)
            }
        },
    )
    .await;
}

// ---- the hub's side ------------------------------------------------------------------------

async fn registry_person(hub: &TestHub, person: &str) -> PersonView {
    read::person(&hub.store, person)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("the registry does not know {person}"))
}

async fn wait_for_registry_version(hub: &TestHub, person: &str, version: i64) {
    let store = hub.store.clone();
    let person = person.to_owned();
    wait_until(
        ADAPTER_WAIT,
        &format!("the registry to reach version {version}"),
        || {
            let (store, person) = (store.clone(), person.clone());
            async move {
                read::person(&store, &person)
                    .await
                    .unwrap()
                    .is_some_and(|p| p.version >= version)
            }
        },
    )
    .await;
}

/// What the hub recorded as last sent to `department` for the person.
fn sent_to(record: &PersonView, department: Actor) -> read::Sent {
    record
        .sent
        .iter()
        .find(|s| s.department == department.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the hub sent {department:?} nothing: {:?}", record.sent))
}

// ---- the adapter binary's identity report ---------------------------------------------------

/// A configuration file for the `adapter` binary of `department`: the example's department
/// settings, the test vhost's user of the department, the adapter's store.
fn binary_config(broker: &TestBroker, department: Actor, store: &Path, dir: &Path) -> PathBuf {
    let name = department.as_str().to_ascii_lowercase();
    let example = std::fs::read_to_string(
        tests::repo_root().join(format!("adapters/adapter/config/{name}.example.toml")),
    )
    .unwrap();
    let settings = example.split("[runtime]").next().unwrap();
    let amqp = broker.amqp_config(&broker.users[&department]);
    let text = format!(
        "{settings}[runtime]\nstore_path = '{}'\nidentity_digest_interval_s = 0\n\n\
         [runtime.amqp]\nurl = '{}'\nconnection_name = 'test-identity-e2e-{name}'\n",
        store.display(),
        amqp.url
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `adapter identity-digest --config <config>`; checks it reported `persons` persons.
async fn report_identity_digest(binary: &Path, config: &Path, persons: usize) -> String {
    let stdout = tests::adapters::run_identity_digest(binary, config).await;
    assert!(
        stdout.contains(&format!(
            "reported {persons} person(s) in 1 IDENTITY_DIGEST"
        )),
        "{stdout}"
    );
    stdout
}

/// Waits until the hub committed every IDENTITY_DIGEST `adapter identity-digest` reported
/// (the ids it printed): the hub has then compared them.
async fn wait_for_reports_read(hub: &TestHub, printed: &str) {
    let ids: Vec<String> = printed
        .lines()
        .filter_map(|line| line.trim().strip_prefix("message "))
        .map(str::to_owned)
        .collect();
    assert!(
        !ids.is_empty(),
        "adapter identity-digest printed no message id: {printed}"
    );
    let store = hub.store.clone();
    wait_until(ADAPTER_WAIT, "the hub to read the digest reports", || {
        let (store, ids) = (store.clone(), ids.clone());
        async move {
            for id in &ids {
                if !store.is_duplicate(id).await.unwrap() {
                    return false;
                }
            }
            true
        }
    })
    .await;
}

// ---- the test ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_department_systems_converge_on_the_registry_s_identity_version() {
    let Some(broker) = TestBroker::create("e2e-identity").await else {
        return;
    };
    let broker = Arc::new(broker);
    // The scenario runs in a task so that a failing one still lets the vhost be cleaned up.
    let outcome = tokio::spawn(scenario(Arc::clone(&broker))).await;
    if let Ok(broker) = Arc::try_unwrap(broker) {
        broker.cleanup().await;
    }
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn scenario(broker: Arc<TestBroker>) {
    // Built first, so that the build does not count against the waits below.
    let binary = adapter_binary().await;
    let hub = TestHub::start(&broker).await;
    let station = AdapterRig::start(&broker, Actor::Station).await;
    let police = AdapterRig::start(&broker, Actor::Police).await;
    let health = AdapterRig::start(&broker, Actor::Health).await;

    // 1. The station system: intake, admission to hospital, identity-check request.
    post_station(&station, "the intake", &intake()).await;
    post_station(&station, "the admission", &admission()).await;
    post_station(&station, "the identity-check request", &check_request()).await;
    let pre_admit = wait_for_documents(&health.sim, "the HIS to receive the admission", 1, |r| {
        Hl7View::parse(&r.body).is_ok_and(|v| v.field("MSH", 9, 2) == Some("A05"))
    })
    .await;
    assert_eq!(pre_admit[0].answered.ack_code, Some("AA"));
    // The HIS goes down only once the adapter has its answer (taking the port down closes
    // the connection the answer travels on).
    let store = health.adapter.store.clone();
    wait_until(
        ADAPTER_WAIT,
        "the admission to be recorded as delivered",
        || {
            let store = store.clone();
            async move { store.delivered_count().await.unwrap() == 1 }
        },
    )
    .await;
    let person = hub::identity::read::person_of_case(&hub.store, CASE)
        .await
        .unwrap()
        .expect("the intake registered the man");
    assert_eq!(
        person,
        hub::identity::store::derived_person_id(CASE),
        "the intake names no person id: the registry derives it from the case"
    );
    let registered = registry_person(&hub, &person).await;
    assert_eq!(
        (registered.version, registered.status.as_str()),
        (1, "UNKNOWN")
    );
    assert!(
        registered.links.iter().any(|l| l.department == "HEALTH"),
        "the admission links the hospital: {:?}",
        registered.links
    );

    // 2. The HIS goes offline.
    health.sim.set_mode(FailureMode::Down).await.unwrap();
    let his_before_outage = health.sim.received().len();

    // 3. The police system answers the request it received, out of order.
    let request = wait_for_documents(&police.sim, "the police to receive the request", 1, |r| {
        XmlView::parse(&r.body).is_ok_and(|v| v.root() == "XCSQ")
    })
    .await;
    let request_view = XmlView::parse(&request[0].body).unwrap();
    assert_eq!(request_view.get("XCSQ/sqbh"), Some(REQUEST));
    assert_eq!(request_view.count("XCSQ/sqsx/sx"), 3, "face, register, DNA");
    let answered = request[0].message_id.clone().unwrap();
    for (what, document) in police_answers(&answered) {
        let sent = police
            .send_from_department("application/xml; charset=UTF-8", document)
            .await;
        assert_accepted(what, &sent);
    }
    wait_for_registry_version(&hub, &person, FINAL_VERSION).await;
    let record = registry_person(&hub, &person).await;
    assert_eq!(
        (record.version, record.status.as_str()),
        (FINAL_VERSION, "VERIFIED_DNA")
    );
    let by_version: Vec<(i64, &str, Option<&str>)> = record
        .versions
        .iter()
        .map(|v| {
            (
                v.version,
                v.change_type.as_str(),
                v.source_of_truth.as_deref(),
            )
        })
        .collect();
    // Whatever the order of the answers, each stronger method raised the status once; the
    // pending DNA sampling changed nothing.
    assert_eq!(
        by_version,
        [
            (1, "REGISTERED", None),
            (2, "VERIFIED", Some("FACE")),
            (3, "VERIFIED", Some("POLICE_POPULATION_DB")),
            (4, "VERIFIED", Some("DNA")),
        ]
    );
    assert_eq!(record.record["name"], "张建军");
    assert_eq!(
        record.record["household_region_code"], "411624",
        "the register's extra fields fill the record"
    );
    let check = read::checks(&hub.store, false, SystemTime::now())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.request_id == REQUEST)
        .expect("the request is tracked");
    assert_eq!(check.state, "COMPLETED", "{check:?}");

    // 4. The station and police systems get every version; the HIS, still down, nothing —
    // although the hub has already published all of it.
    let final_id = update_message_id(&person, FINAL_VERSION);
    wait_until_held(&station, &person, FINAL_VERSION, &final_id).await;
    wait_until_held(&police, &person, FINAL_VERSION, &final_id).await;
    let store = hub.store.clone();
    wait_until(ADAPTER_WAIT, "the hub's outbox to be published", || {
        let store = store.clone();
        async move { store.outbox_backlog().await.unwrap() == 0 }
    })
    .await;
    let record = registry_person(&hub, &person).await;
    assert_eq!(sent_to(&record, Actor::Health).version, FINAL_VERSION);
    assert_eq!(
        health.sim.received().len(),
        his_before_outage,
        "nothing reached the HIS while it was down"
    );
    assert_eq!(
        health
            .adapter
            .store
            .held_identity_version(&person)
            .await
            .unwrap(),
        None,
        "the health adapter applied nothing while the HIS was down"
    );
    let came_back = SystemTime::now();
    health.sim.set_mode(FailureMode::Ok).await.unwrap();
    wait_until_held(&health, &person, FINAL_VERSION, &final_id).await;

    // 5. Everyone converged on the registry's version, in order, holding what the hub sent.
    let record = registry_person(&hub, &person).await;
    assert_eq!(record.version, FINAL_VERSION);
    let announced: BTreeSet<String> = ANNOUNCED
        .iter()
        .map(|v| update_message_id(&person, *v))
        .collect();
    for rig in [&station, &police, &health] {
        let department = rig.department;
        let updates = updates_received(department, &rig.sim, &person);
        let versions: Vec<i64> = updates.iter().map(|u| u.version).collect();
        assert!(
            versions.windows(2).all(|w| w[0] <= w[1]),
            "{department:?}'s system received an older version after a newer one: {versions:?}"
        );
        let last = updates.last().unwrap();
        assert_eq!(last.version, record.version, "{department:?}");
        assert_eq!(
            last.status, "VERIFIED_DNA",
            "{department:?}'s system was told"
        );
        let ids: BTreeSet<String> = updates.iter().map(|u| u.message_id.clone()).collect();
        assert!(
            ids.is_subset(&announced),
            "{department:?}: {ids:?} not all announced {announced:?}"
        );
        // Every announced version either reached the system or was skipped as stale.
        let stale = rig.adapter.store.settled_stale_count().await.unwrap();
        assert_eq!(
            ids.len() + usize::try_from(stale).unwrap(),
            ANNOUNCED.len(),
            "{department:?}: received {versions:?}, {stale} skipped as older than held"
        );
        let held = rig
            .adapter
            .store
            .identity_view(&person)
            .await
            .unwrap()
            .unwrap();
        let sent = sent_to(&record, department);
        assert_eq!(
            (held.identity_version, sent.version),
            (record.version, record.version),
            "{department:?}"
        );
        assert_eq!(
            held.digest, sent.digest,
            "{department:?} holds exactly what the hub sent it"
        );
        assert_eq!(held.digest, view_digest(&held.view));
        assert_eq!(held.applied_message_id, sent.message_id);
        assert_eq!(
            held.view["identity_status"], "VERIFIED_DNA",
            "{department:?}"
        );
        println!(
            "{}: received versions {versions:?}, {stale} skipped as stale, holds v{} ({})",
            department.as_str(),
            held.identity_version,
            &held.digest[..12]
        );
    }
    let his_updates = updates_received(Actor::Health, &health.sim, &person);
    assert!(
        his_updates.iter().all(|u| u.at >= came_back),
        "the HIS received versions before it came back: {his_updates:?}"
    );

    // 6. Reconciliation with the real binary: every view matches what the hub sent.
    let dir = tempfile::tempdir().unwrap();
    for rig in [&station, &police, &health] {
        let config = binary_config(&broker, rig.department, rig.store_path(), dir.path());
        let printed = report_identity_digest(&binary, &config, 1).await;
        wait_for_reports_read(&hub, &printed).await;
    }
    let drift = read::drift(&hub.store).await.unwrap();
    assert!(drift.is_empty(), "no drift after convergence: {drift:?}");

    // The health adapter's store is restored from a backup that predates version 4 (while
    // the adapter is stopped): it holds version 3 again, whose view is the registry's record
    // at version 3 (hub updates carry the whole record).
    let health = health.stop_adapter().await;
    let store_path = health.store_path().to_owned();
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", store_path.display()));
        if file.exists() {
            std::fs::remove_file(&file).unwrap();
        }
    }
    let version_3 = record
        .versions
        .iter()
        .find(|v| v.version == 3)
        .expect("version 3 is kept");
    let backup = AdapterStore::open(&store_path).await.unwrap();
    backup
        .record_delivered_identity(
            "IDENTITY_UPDATE",
            200,
            &AppliedIdentity {
                person_id: person.clone(),
                identity_version: 3,
                view: version_3.record.clone(),
                merged_into: None,
                message_id: update_message_id(&person, 3),
            },
        )
        .await
        .unwrap();
    backup.close().await;
    let config = binary_config(&broker, Actor::Health, &store_path, dir.path());
    let printed = report_identity_digest(&binary, &config, 1).await;
    wait_for_reports_read(&hub, &printed).await;
    let drift = read::drift(&hub.store).await.unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        (
            drift[0].department.as_str(),
            drift[0].person_id.as_str(),
            drift[0].kind.as_str(),
            drift[0].reported_version,
            drift[0].expected_version
        ),
        (
            "HEALTH",
            person.as_str(),
            "STALE",
            Some(3),
            Some(FINAL_VERSION)
        )
    );
    let resent_id = drift[0]
        .resent_message_id
        .clone()
        .expect("the hub re-sends the current version");
    assert_ne!(resent_id, final_id, "a new id passes the adapter's dedup");
    let record = registry_person(&hub, &person).await;
    let sent = sent_to(&record, Actor::Health);
    assert_eq!(
        (sent.version, sent.message_id.as_str()),
        (FINAL_VERSION, resent_id.as_str())
    );

    // The adapter comes back on the restored store: the re-send reaches the HIS.
    let health = health.restart(&broker).await;
    wait_until_held(&health, &person, FINAL_VERSION, &resent_id).await;
    let held = health
        .adapter
        .store
        .identity_view(&person)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.identity_version, FINAL_VERSION);
    assert_eq!(
        held.digest, sent.digest,
        "HEALTH holds what the hub re-sent"
    );
    let printed = report_identity_digest(&binary, &config, 1).await;
    wait_for_reports_read(&hub, &printed).await;
    let drift = read::drift(&hub.store).await.unwrap();
    assert!(drift.is_empty(), "the drift is repaired: {drift:?}");

    let refused = hub
        .store
        .dead_letters(&hub::store::DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(refused.is_empty(), "nothing refused: {refused:?}");
    for rig in [station, police, health] {
        rig.stop().await;
    }
    hub.stop().await;
}
