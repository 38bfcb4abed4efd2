//! End to end through the department systems' own formats: simulators of the department
//! systems talk to their adapters over the real protocols (HTTP, MLLP), the adapters talk to
//! the hub over the real RabbitMQ (each as its department's own broker user), and the hub
//! routes, projects and casts in between. Each test asserts what each simulator received,
//! field by field, in the receiving department's native format.
//!
//! * a GRID sighting (grid event JSON) reaches the STATION system as a referral;
//! * a POLICE escort handover (XML, GB18030) reaches the station, and the station's
//!   HANDOVER_ACK reaches the police system as a 签收回执;
//! * a hospital admission runs through the HIS over MLLP (ADT^A05, answered AA), the HIS's
//!   admission (ADT^A01) and discharge (ADT^A03) come back over MLLP with ACKs and reach the
//!   station.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use contracts::model::Actor;
use dept_sim::{Hl7View, Received, Sent, SentOutcome, XmlView, json_view};
use serde_json::Value;
use tests::adapters::{ADAPTER_WAIT, AdapterRig, golden};
use tests::{TestBroker, TestHub};

fn read(department: Actor, rel: &str) -> Vec<u8> {
    std::fs::read(golden(department, rel)).unwrap()
}

fn http_status(sent: &Sent) -> u16 {
    match &sent.outcome {
        SentOutcome::Http { status, .. } => *status,
        other => panic!("expected an HTTP answer, got {other:?}"),
    }
}

fn ack_code(sent: &Sent) -> String {
    match &sent.outcome {
        SentOutcome::Mllp { ack } => Hl7View::parse(ack)
            .unwrap()
            .field("MSA", 1, 1)
            .unwrap_or_default()
            .to_owned(),
        other => panic!("expected an HL7 ACK, got {other:?}"),
    }
}

fn json(received: &Received) -> Value {
    json_view(&received.body).unwrap()
}

async fn start(
    name: &str,
    departments: &[Actor],
) -> Option<(TestBroker, TestHub, Vec<AdapterRig>)> {
    let broker = TestBroker::create(name).await?;
    let hub = TestHub::start(&broker).await;
    let mut rigs = Vec::new();
    for &department in departments {
        rigs.push(AdapterRig::start(&broker, department).await);
    }
    Some((broker, hub, rigs))
}

async fn stop(broker: TestBroker, hub: TestHub, rigs: Vec<AdapterRig>) {
    for rig in rigs {
        rig.stop().await;
    }
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_sighting_reaches_the_station_system_as_a_referral() {
    let Some((broker, hub, rigs)) = start("e2e-grid", &[Actor::Grid, Actor::Station]).await else {
        return;
    };
    let (grid, station) = (&rigs[0], &rigs[1]);
    let event_bytes = read(Actor::Grid, "decode/event_0306_sighting_bus_stop.json");
    let event: Value = serde_json::from_slice(&event_bytes).unwrap();
    let sent = grid
        .send_from_department("application/json", event_bytes)
        .await;
    assert_eq!(http_status(&sent), 200, "{sent:?}");

    let received = station.sim.wait_for(1, ADAPTER_WAIT).await.unwrap();
    let referral = json(&received[0]);
    let (head, data) = (&referral["head"], &referral["data"]);
    assert_eq!(head["docType"], "referral");
    assert_eq!(head["senderOrgType"], "GRID");
    assert_eq!(head["senderOrgCode"], event["reportDeptId"]);
    assert_eq!(
        head["schemaVersion"], "1.0.0",
        "cast to the version the station reads"
    );
    assert_eq!(data["sourceCaseNo"], event["eventId"]);
    assert_eq!(data["location"]["addressText"], event["address"]);
    assert_eq!(data["location"]["gridCode"], event["gridId"]);
    assert_eq!(data["discoveredAt"], event["happenTime"]);
    assert_eq!(data["reporter"]["name"], event["reportPerson"]);
    assert_eq!(data["reporter"]["phone"], event["reportPhone"]);
    // The grid sends REFERRAL v2; the station reads v1, and the downcast keeps what v1 has
    // no field for in the remarks.
    assert!(
        data["remarks"]
            .as_str()
            .unwrap()
            .starts_with(event["desc"].as_str().unwrap()),
        "{}",
        data["remarks"]
    );
    assert_eq!(received[0].path, "/api/v1/referrals");
    assert_eq!(station.sim.received().len(), 1, "delivered once");
    stop(broker, hub, rigs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_police_handover_reaches_the_station_and_its_ack_reaches_the_police() {
    let Some((broker, hub, rigs)) = start("e2e-police", &[Actor::Police, Actor::Station]).await
    else {
        return;
    };
    let (police, station) = (&rigs[0], &rigs[1]);
    let form_bytes = read(Actor::Police, "decode/jjb_typical_gb18030.xml");
    let sent = police
        .send_from_department("application/xml; charset=GB18030", form_bytes.clone())
        .await;
    assert_eq!(http_status(&sent), 200, "{sent:?}");
    let form = XmlView::parse(&form_bytes).unwrap();

    let received = station.sim.wait_for(1, ADAPTER_WAIT).await.unwrap();
    let handover = json(&received[0]);
    let (head, data) = (&handover["head"], &handover["data"]);
    assert_eq!(head["senderOrgType"], "POLICE");
    assert_eq!(data["handoverNo"].as_str(), form.get("JJB/jjbh"));
    assert_eq!(data["person"]["name"].as_str(), form.get("JJB/bhsry/xm"));
    assert_eq!(
        data["person"]["identityStatus"].as_str(),
        form.get("JJB/bhsry/sfzt")
    );
    assert_eq!(
        data["escortOfficers"][1]["name"].as_str(),
        form.get("JJB/hsmj/mj[2]/xm")
    );
    let handover_id = head["docNo"].as_str().unwrap().to_owned();

    // The station signs for it: its own HANDOVER_ACK document, answering the handover.
    let mut ack: Value = serde_json::from_slice(&read(
        Actor::Station,
        "decode/sent__handover_ack__received.json",
    ))
    .unwrap();
    ack["head"]["correlationId"] = Value::from(handover_id.clone());
    ack["head"]["docNo"] = Value::from(format!("QS-{}", uuid::Uuid::new_v4().simple()));
    if let Some(case_id) = head["caseId"].as_str() {
        ack["head"]["caseId"] = Value::from(case_id);
        ack["data"]["caseId"] = Value::from(case_id);
    }
    ack["data"]["handoverNo"] = data["handoverNo"].clone();
    let sent = station
        .send_from_department("application/json", serde_json::to_vec(&ack).unwrap())
        .await;
    assert!((200..300).contains(&http_status(&sent)), "{sent:?}");

    let received = police.sim.wait_for(1, ADAPTER_WAIT).await.unwrap();
    let receipt = XmlView::parse(&received[0].body).unwrap();
    assert_eq!(receipt.root(), "QSHZ");
    assert_eq!(receipt.get("QSHZ/XXT/glxxbs"), Some(handover_id.as_str()));
    assert_eq!(receipt.get("QSHZ/XXT/fsdwlb"), Some("STATION"));
    assert_eq!(receipt.get("QSHZ/jjbh"), data["handoverNo"].as_str());
    assert_eq!(receipt.get("QSHZ/jsjd"), Some("RECEIVED"));
    assert_eq!(
        receipt.get("QSHZ/jsr/xm"),
        ack["data"]["receivingStaff"]["name"].as_str()
    );
    assert_eq!(police.sim.received().len(), 1, "delivered once");
    stop(broker, hub, rigs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hospital_admission_and_discharge_run_through_the_his_over_mllp() {
    let Some((broker, hub, rigs)) = start("e2e-health", &[Actor::Station, Actor::Health]).await
    else {
        return;
    };
    let (station, health) = (&rigs[0], &rigs[1]);
    let admission: Value = serde_json::from_slice(&read(
        Actor::Station,
        "decode/sent__hospital_admission__station_injured_known_person.json",
    ))
    .unwrap();
    let sent = station
        .send_from_department("application/json", serde_json::to_vec(&admission).unwrap())
        .await;
    assert!((200..300).contains(&http_status(&sent)), "{sent:?}");

    // The HIS receives a pre-admit (ADT^A05) over MLLP and answers AA.
    let received = health.sim.wait_for(1, ADAPTER_WAIT).await.unwrap();
    let a05 = Hl7View::parse(&received[0].body).unwrap();
    assert_eq!(a05.field("MSH", 9, 1), Some("ADT"));
    assert_eq!(a05.field("MSH", 9, 2), Some("A05"));
    let person = &admission["data"]["person"];
    let name = person["name"].as_str().unwrap();
    let pid5: String = [a05.field("PID", 5, 1), a05.field("PID", 5, 2)]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(pid5, name, "PID-5 is the patient's name");
    assert_eq!(
        a05.field("PID", 7, 1)
            .map(|d| d.get(..8).unwrap_or(d).to_owned()),
        person["birthDate"].as_str().map(|d| d.replace('-', ""))
    );
    assert!(a05.segment("PV1").is_some());
    assert_eq!(received[0].answered.ack_code, Some("AA"));
    let admission_id = a05.field("MSH", 10, 1).unwrap().to_owned();

    // The HIS admits the patient (ADT^A01 answering the A05) and later discharges them.
    let a01 = read(Actor::Health, "decode/admission_ack_admitted.hl7");
    let a01 = dept_sim::hl7::set_field(
        &a01,
        "MSH",
        10,
        &format!("HIS{}", uuid::Uuid::new_v4().simple()),
    )
    .unwrap();
    let a01 = dept_sim::hl7::set_field(&a01, "ZHE", 5, &admission_id).unwrap();
    let sent = health
        .send_from_department("x-application/hl7-v2+er7", a01)
        .await;
    assert_eq!(ack_code(&sent), "AA", "{sent:?}");
    let a03 = read(Actor::Health, "decode/discharge_died.hl7");
    let a03 = dept_sim::hl7::set_field(
        &a03,
        "MSH",
        10,
        &format!("HIS{}", uuid::Uuid::new_v4().simple()),
    )
    .unwrap();
    let sent = health
        .send_from_department("x-application/hl7-v2+er7", a03.clone())
        .await;
    assert_eq!(ack_code(&sent), "AA", "{sent:?}");

    let received = station.sim.wait_for(2, ADAPTER_WAIT).await.unwrap();
    let docs: Vec<Value> = received.iter().map(json).collect();
    let ack = docs
        .iter()
        .find(|d| d["head"]["docType"] == "admissionAck")
        .expect("the station received the admission ack");
    assert_eq!(ack["head"]["senderOrgType"], "HEALTH");
    assert_eq!(
        ack["head"]["correlationId"].as_str(),
        Some(admission_id.as_str())
    );
    let discharge = docs
        .iter()
        .find(|d| d["head"]["docType"] == "hospitalDischarge")
        .expect("the station received the discharge");
    let a03_view = Hl7View::parse(&a03).unwrap();
    assert_eq!(discharge["head"]["senderOrgType"], "HEALTH");
    assert_eq!(
        discharge["data"]["admissionNo"].as_str(),
        a03_view.field("PV1", 19, 1)
    );
    assert_eq!(station.sim.received().len(), 2, "each delivered once");
    stop(broker, hub, rigs).await;
}

/// What each department system sends, through its adapter, is accepted by the hub itself:
/// validated, authorized for that department, deduplicated and routed (committed to the
/// hub's inbox), with no refusal. One hub, all five adapters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_department_system_s_documents_are_accepted_by_the_hub() {
    let departments = [
        (
            Actor::Police,
            "decode/jjb_typical_gb18030.xml",
            "application/xml",
        ),
        (
            Actor::Health,
            "decode/discharge_died.hl7",
            "x-application/hl7-v2+er7",
        ),
        (
            Actor::Citymgmt,
            "decode/case_05_02_hotline_suspected_lost_minor.json",
            "application/json",
        ),
        (
            Actor::Grid,
            "decode/event_0306_sighting_bus_stop.json",
            "application/json",
        ),
        (
            Actor::Station,
            "decode/sent__identity_check_request__population_and_missing_db.json",
            "application/json",
        ),
    ];
    let all: Vec<Actor> = departments.iter().map(|(d, _, _)| *d).collect();
    let Some((broker, hub, rigs)) = start("e2e-accepted", &all).await else {
        return;
    };
    for ((department, document, content_type), rig) in departments.iter().zip(&rigs) {
        let sent = rig
            .send_from_department(content_type, read(*department, document))
            .await;
        let canonical = document.rsplit_once('.').unwrap().0.to_owned() + ".canonical.json";
        let messages: Vec<Value> = serde_json::from_slice(&read(*department, &canonical)).unwrap();
        for message in &messages {
            let id = message["message_id"].as_str().unwrap().to_owned();
            let store = hub.store.clone();
            tests::process::wait_until(
                ADAPTER_WAIT,
                &format!("{department:?}'s {id} to be committed by the hub"),
                || {
                    let store = store.clone();
                    let id = id.clone();
                    async move { store.is_duplicate(&id).await.unwrap() }
                },
            )
            .await;
            assert_eq!(
                hub.store.sender_of(&id).await.unwrap().as_deref(),
                Some(department.as_str())
            );
        }
        println!(
            "{}: {} message(s) accepted by the hub ({sent:?})",
            department.as_str(),
            messages.len()
        );
    }
    let refused = hub
        .store
        .dead_letters(&hub::store::DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(refused.is_empty(), "nothing refused: {refused:?}");
    stop(broker, hub, rigs).await;
}

/// A 数字城管 case of class 05-02 reaches the station as a referral, and the station's
/// outcome goes back to the city-management system as case feedback (处理反馈) answering
/// that case, so the city can verify and close it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_management_case_gets_the_station_s_outcome_back_as_case_feedback() {
    let Some((broker, hub, rigs)) = start("e2e-citymgmt", &[Actor::Citymgmt, Actor::Station]).await
    else {
        return;
    };
    let (city, station) = (&rigs[0], &rigs[1]);
    let case_bytes = read(
        Actor::Citymgmt,
        "decode/case_05_02_hotline_suspected_lost_minor.json",
    );
    let case: Value = serde_json::from_slice(&case_bytes).unwrap();
    let sent = city
        .send_from_department("application/json", case_bytes)
        .await;
    assert_eq!(http_status(&sent), 200, "{sent:?}");

    let received = station.sim.wait_for(1, ADAPTER_WAIT).await.unwrap();
    let referral = json(&received[0]);
    assert_eq!(referral["head"]["senderOrgType"], "CITYMGMT");
    assert_eq!(referral["data"]["sourceCaseNo"], case["caseNo"]);
    let referral_id = referral["head"]["docNo"].as_str().unwrap().to_owned();

    let mut outcome: Value = serde_json::from_slice(&read(
        Actor::Station,
        "decode/sent__referral_outcome__refused_supplies_given_citymgmt.json",
    ))
    .unwrap();
    outcome["head"]["correlationId"] = Value::from(referral_id.clone());
    outcome["data"]["referralId"] = referral["data"]["referralId"].clone();
    outcome["data"]["sourceCaseNo"] = referral["data"]["sourceCaseNo"].clone();
    let sent = station
        .send_from_department("application/json", serde_json::to_vec(&outcome).unwrap())
        .await;
    assert!((200..300).contains(&http_status(&sent)), "{sent:?}");

    let received = city.sim.wait_for(1, ADAPTER_WAIT).await.unwrap();
    let feedback = json(&received[0]);
    assert_eq!(feedback["header"]["msgType"], "REFERRAL_OUTCOME");
    assert_eq!(
        feedback["header"]["correlationId"].as_str(),
        Some(referral_id.as_str())
    );
    assert_eq!(feedback["header"]["senderOrgType"], "STATION");
    let body = feedback["body"].to_string();
    assert!(
        body.contains(case["caseNo"].as_str().unwrap()),
        "the feedback names the city's case: {body}"
    );
    assert_eq!(city.sim.received().len(), 1, "delivered once");
    stop(broker, hub, rigs).await;
}
