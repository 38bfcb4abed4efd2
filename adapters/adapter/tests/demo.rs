//! `adapter demo` in process: every step of the case arrives where it should, in the
//! recipient system's native format, field by field (read with the simulators' native views,
//! not the codecs); and a step that cannot arrive fails the demo within its bound, naming
//! the step and the system, after a clean stop. No RabbitMQ: the hub runs on its embedded
//! transport.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use adapter::demo::{DemoError, DemoOptions, DemoReport, TIMELINE_HEADER, run_demo, run_demo_with};
use dept_sim::{Department, FailureMode, Hl7View, Received, XmlView, json_view};
use serde_json::{Value, json};

/// Far above what the demo needs (about two seconds); only a hang trips it.
const TEST_BOUND: Duration = Duration::from_secs(120);

fn json_of(received: &Received) -> Value {
    json_view(&received.body).unwrap()
}

fn delivered(report: &DemoReport, step: usize, department: Department) -> &Received {
    report
        .delivered(step, department)
        .unwrap_or_else(|| panic!("step {step}: nothing delivered to {department}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_step_arrives_in_the_recipients_native_format() {
    let mut out = Vec::new();
    let result = tokio::time::timeout(TEST_BOUND, run_demo(&mut out))
        .await
        .expect("the demo hung");
    let printed = String::from_utf8(out).unwrap();
    let report = result.unwrap_or_else(|e| panic!("the demo failed: {e}\n{printed}"));

    // Seven documents, each delivered to exactly the expected system.
    let route: Vec<(Department, Vec<Department>)> = report
        .steps
        .iter()
        .map(|s| {
            (
                s.sender,
                s.deliveries.iter().map(|d| d.department).collect(),
            )
        })
        .collect();
    use Department::{Grid, Health, Police, Station};
    assert_eq!(
        route,
        vec![
            (Grid, vec![Station]),
            (Police, vec![Station]),
            (Station, vec![Police]),
            (Station, vec![Health]),
            (Health, vec![Station]),
            (Health, vec![Station]),
            (Station, vec![Grid]),
        ]
    );
    for step in &report.steps {
        for delivery in &step.deliveries {
            // Every HTTP delivery names the hub's message id (MLLP has no headers: MSH-10).
            let http = delivery.department != Health;
            assert_eq!(
                delivery.received.message_id.is_some(),
                http,
                "step {}",
                step.number
            );
        }
    }

    // 1. The station's view of the grid referral: what was reported, where, by whom.
    let referral = delivered(&report, 1, Station);
    assert_eq!(referral.path, "/api/v1/referrals");
    let doc = json_of(referral);
    assert_eq!(doc["head"]["docType"], "referral");
    assert_eq!(
        doc["head"]["docNo"].as_str(),
        referral.message_id.as_deref()
    );
    assert_eq!(doc["head"]["senderOrgType"], "GRID");
    assert_eq!(doc["head"]["senderOrgCode"], "12320585MB1A23456U");
    let data = &doc["data"];
    assert_eq!(data["referralId"], "WG-20250301-000431");
    assert_eq!(data["sourceCaseNo"], "SJ3205852025030100431");
    assert_eq!(data["discoveredAt"], "2025-03-01 06:40:00");
    assert_eq!(
        data["location"],
        json!({
            "addressText": "太仓市城厢镇人民南路与县府街交叉口东北角公交站台",
            "regionCode": "320585",
            "communityCode": "320585100203",
            "gridCode": "320585100203-03",
            "longitude": 121.10952,
            "latitude": 31.44918,
            "crs": "GCJ02",
            "placeType": "RAILWAY_OR_BUS_STATION"
        })
    );
    assert_eq!(data["reporter"]["name"], "陆建芳");
    assert_eq!(data["reporter"]["staffNo"], "WGY-0317");
    assert_eq!(data["subjectCount"], 1);
    let person = &data["subjects"][0];
    assert_eq!(person["sexCode"], "1");
    assert_eq!(person["estimatedAge"], 55);
    assert_eq!(person["isMinorSuspected"], false);
    assert_eq!(
        person["physicalDescription"]["clothingWhenFound"],
        "深蓝色棉大衣，黑色运动裤，解放鞋"
    );
    // REFERRAL v2 from the grid, cast by the hub to the v1 the station reads.
    assert_eq!(data["willingness"], "WILLING");
    assert_eq!(data["requestedAction"], "ESCORT_TO_STATION");

    // 2. The handover as the station received it: its docNo is what the station answers.
    let handover = json_of(delivered(&report, 2, Station));
    assert_eq!(handover["head"]["docType"], "escortHandover");
    assert_eq!(handover["data"]["handoverNo"], "TCGA-HS-20250301-007");
    assert_eq!(handover["data"]["person"]["name"], "王根宝");
    let handover_doc_no = handover["head"]["docNo"].as_str().unwrap();

    // 3. The police's 签收回执 of the station's handover ack.
    let receipt = delivered(&report, 3, Police);
    assert_eq!(receipt.path, "/jzgl/jsxx/QSHZ");
    let xml = XmlView::parse(&receipt.body).unwrap();
    assert_eq!(xml.root(), "QSHZ");
    assert_eq!(xml.get("QSHZ/XXT/wdlx"), Some("QSHZ"));
    assert_eq!(xml.get("QSHZ/XXT/wdbh"), receipt.message_id.as_deref());
    assert_eq!(xml.get("QSHZ/XXT/glxxbs"), Some(handover_doc_no));
    assert_eq!(xml.get("QSHZ/XXT/fsdwlb"), Some("STATION"));
    assert_eq!(xml.get("QSHZ/XXT/jsdw/dwdm"), Some("113205850141601233"));
    assert_eq!(xml.get("QSHZ/jjbh"), Some("TCGA-HS-20250301-007"));
    assert_eq!(xml.get("QSHZ/jsjd"), Some("RECEIVED"));
    assert_eq!(xml.get("QSHZ/jsr/xm"), Some("周敏"));
    assert_eq!(xml.get("QSHZ/jsr/jh"), Some("JZ0107"));
    assert_eq!(xml.get("QSHZ/jssj"), Some("20250301073500"));
    assert_eq!(xml.get("QSHZ/wpqdyz"), Some("1"));
    assert_eq!(xml.get("QSHZ/jzgah"), Some("TCJZ-2025-000318"));

    // 4. The HIS's ADT^A05, answered AA.
    let a05 = delivered(&report, 4, Health);
    assert_eq!(a05.answered.ack_code, Some("AA"));
    let hl7 = Hl7View::parse(&a05.body).unwrap();
    assert_eq!(hl7.field_raw("MSH", 9), Some("ADT^A05^ADT_A05"));
    // MSH-10 is the hub's id of the station's message, as the station adapter answered it.
    let answered: Value =
        serde_json::from_slice(report.step(4).unwrap().answer.answer_body()).unwrap();
    let admission_id = answered["messageIds"][0].as_str().unwrap();
    assert_eq!(hl7.field_raw("MSH", 10), Some(admission_id));
    assert_eq!(hl7.field("MSH", 4, 1), Some("12320585466880789G"));
    assert_eq!(hl7.field("PID", 5, 1), Some("王建国"));
    assert_eq!(hl7.field("PID", 7, 1), Some("19580101"));
    assert_eq!(hl7.field("PID", 8, 1), Some("M"));
    assert!(
        hl7.field_raw("PID", 3)
            .is_some_and(|ids| ids.contains("341221195801012314")),
        "PID-3 carries the ID card number: {:?}",
        hl7.field_raw("PID", 3)
    );
    let pv1 = hl7.segment("PV1").unwrap();
    assert_eq!(pv1.component(3, 1, 4, 1), Some("太仓市第一人民医院"));
    assert_eq!(pv1.component(3, 1, 4, 2), Some("123205854668903451"));
    assert_eq!(hl7.field("PV1", 5, 1), Some("JZ-SY-2025-0019"));
    assert_eq!(
        hl7.field("PV2", 3, 2),
        Some("右小腿外伤感染红肿，伴发热38.6℃")
    );
    assert_eq!(hl7.field("ZHE", 1, 1), Some("HOSPITAL_ADMISSION"));
    assert_eq!(hl7.field("ZHE", 4, 1), Some("TCJZ-2025-0102"));

    // 5. The admission ack names that ADT^A05.
    let admission = json_of(delivered(&report, 5, Station));
    assert_eq!(admission["head"]["docType"], "admissionAck");
    assert_eq!(admission["head"]["correlationId"], admission_id);
    assert_eq!(admission["data"]["transferId"], "JZ-SY-2025-0019");
    assert_eq!(admission["data"]["admitted"], true);
    assert_eq!(admission["data"]["admissionNo"], "ZY2025030812");

    // 6. The station's discharge document.
    let discharge = delivered(&report, 6, Station);
    assert_eq!(discharge.path, "/api/v1/hospital-discharges");
    let doc = json_of(discharge);
    assert_eq!(doc["head"]["docType"], "hospitalDischarge");
    assert_eq!(
        doc["head"]["docNo"].as_str(),
        discharge.message_id.as_deref()
    );
    assert_eq!(doc["head"]["senderOrgType"], "HEALTH");
    assert_eq!(doc["head"]["senderOrgCode"], "123205854668903451");
    assert_eq!(
        doc["data"],
        json!({
            "admissionNo": "ZY2025030812",
            "noticeType": "DISCHARGED",
            "dischargeAt": "2025-05-03 05:52:00",
            "dischargeType": "DIED",
            "dischargeCertificate": {
                "attachmentId": "ATT-2E06873CD9D7",
                "kind": "CERTIFICATE",
                "mimeType": "application/pdf",
                "hash": "sha256:2e06873cd9d712b9d121503a7edb2f6a71b7d5c3e6a3d532737733a0efc4b845",
                "uri": "hub://attachments/2025/05/2e06873cd9d712b9.pdf",
                "sensitivity": "SENSITIVE"
            },
            "dischargeDiagnosis": [
                { "code": "I21.9", "text": "急性心肌梗死" },
                { "code": "J18.9", "text": "肺炎" }
            ]
        })
    );

    // 7. The grid platform's task feedback answers the referral it made.
    let feedback = delivered(&report, 7, Grid);
    assert_eq!(feedback.path, "/api/event/task/feedback");
    let doc = json_of(feedback);
    assert_eq!(doc["header"]["msgType"], "REFERRAL_OUTCOME");
    assert_eq!(
        doc["header"]["correlationId"].as_str(),
        referral.message_id.as_deref()
    );
    assert_eq!(doc["body"]["eventId"], "SJ3205852025030100431");
    assert_eq!(doc["body"]["taskId"], "WG-20250301-000431");
    assert_eq!(doc["body"]["dealResult"], "ADMITTED");

    // What it printed: every step, the timeline, the time it took.
    for number in 1..=7 {
        assert!(
            printed.contains(&format!("\n {number}. ")),
            "step {number}\n{printed}"
        );
    }
    assert!(printed.contains(TIMELINE_HEADER), "{printed}");
    assert!(printed.contains("7 documents sent"), "{printed}");
    assert!(printed.contains("The demo took"), "{printed}");
    assert!(report.elapsed > Duration::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_cannot_arrive_fails_the_demo_within_its_bound() {
    // The police system is down: the station's handover ack (step 3) cannot reach it.
    let options = DemoOptions {
        step_timeout: Duration::from_secs(2),
        failure_modes: vec![(Department::Police, FailureMode::Down)],
    };
    let mut out = Vec::new();
    let result = tokio::time::timeout(TEST_BOUND, run_demo_with(&mut out, options))
        .await
        .expect("the demo hung instead of failing");
    let printed = String::from_utf8(out).unwrap();
    let error = match result {
        Err(error) => error,
        Ok(_) => panic!("the demo succeeded with the police system down\n{printed}"),
    };
    match &error {
        DemoError::Timeout {
            step, department, ..
        } => {
            assert_eq!(*step, 3, "{printed}");
            assert_eq!(*department, Department::Police);
        }
        other => panic!("expected step 3 to time out, got {other:?}\n{printed}"),
    }
    // The message the binary exits with names the step, the system and the bound.
    let message = error.to_string();
    eprintln!("{message}");
    assert!(
        message.starts_with("step 3: the POLICE system received nothing within 2000 ms"),
        "{message}"
    );
    assert!(
        printed.contains("!! nothing reached the 公安 police system"),
        "{printed}"
    );
    assert!(!printed.contains(TIMELINE_HEADER), "{printed}");
}
