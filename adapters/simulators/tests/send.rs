//! Sending as a department system: single documents and script directories, over HTTP and
//! MLLP, answers recorded in order (another simulator stands in for the adapter's inbound
//! endpoint).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{ADT_A05, POLICE_XCSQ, STATION_HANDOVER, WAIT, XML};
use dept_sim::{
    Department, FailureMode, Hl7View, RecordFile, Sender, SentOutcome, SimConfig, Simulator,
    Target, XmlView,
};
use serde_json::Value;

#[tokio::test]
async fn post_records_status_and_body() {
    let inbound = Simulator::start(Department::Police, SimConfig::default())
        .await
        .unwrap();
    let sender = Sender::new(Department::Police, Duration::from_secs(5)).unwrap();
    let url = format!("{}/police/documents", inbound.base_url());
    let sent = sender
        .post(&url, XML, POLICE_XCSQ.as_bytes().to_vec())
        .await;
    let SentOutcome::Http {
        status,
        content_type,
        body,
    } = &sent.outcome
    else {
        panic!("{sent:?}");
    };
    assert_eq!(*status, 200);
    assert_eq!(
        content_type.as_deref(),
        Some("application/xml; charset=UTF-8")
    );
    assert_eq!(XmlView::parse(body).unwrap().get("HZ/jgdm"), Some("00"));
    assert_eq!(sender.sent(), [sent]);
    inbound.shutdown().await;
}

#[tokio::test]
async fn a_script_directory_is_sent_in_name_order_and_failures_do_not_stop_it() {
    let inbound = Simulator::start(Department::Station, SimConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let doc = |no: &str, kind: &str| {
        STATION_HANDOVER
            .replace("b1c2d3e4-0000-4000-8000-000000000001", no)
            .replace("escortHandover", kind)
    };
    std::fs::write(dir.path().join("02_leave.json"), doc("D-2", "leave")).unwrap();
    std::fs::write(dir.path().join("01_intake.json"), doc("D-1", "intake")).unwrap();
    std::fs::write(
        dir.path().join("03_match.json"),
        doc("D-3", "missingPersonMatch"),
    )
    .unwrap();
    std::fs::write(dir.path().join("README.txt"), "not a document").unwrap();
    std::fs::write(dir.path().join(".hidden.json"), "{}").unwrap();
    inbound
        .set_mode_for(FailureMode::Error5xx, 2)
        .await
        .unwrap();

    let record_path = dir.path().join("answers.jsonl");
    let record = RecordFile::create(&record_path).await.unwrap();
    let sender = Sender::new(Department::Station, Duration::from_secs(5))
        .unwrap()
        .with_record(record.clone());
    // No path in the URL: each document goes to its own resource path.
    let target: Target = inbound.base_url().parse().unwrap();
    let answers = sender.send_dir(dir.path(), &target).await.unwrap();
    record.close().await;

    let files: Vec<_> = answers
        .iter()
        .map(|s| {
            s.file
                .as_ref()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(files, ["01_intake.json", "02_leave.json", "03_match.json"]);
    let statuses: Vec<_> = answers
        .iter()
        .map(|s| match &s.outcome {
            SentOutcome::Http { status, .. } => *status,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(statuses, [503, 503, 201]);
    let paths: Vec<_> = inbound
        .wait_for(3, WAIT)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        paths,
        [
            "/api/v1/intakes",
            "/api/v1/leaves",
            "/api/v1/missing-person-matches"
        ]
    );

    let lines: Vec<Value> = std::fs::read_to_string(&record_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["kind"], "answer");
    assert_eq!(lines[2]["status"], 201);
    assert!(lines[2]["body_text"].as_str().unwrap().contains("ACCEPTED"));

    // The adapter is down: every file fails, none is skipped.
    inbound.set_mode(FailureMode::Down).await.unwrap();
    let answers = sender.send_dir(dir.path(), &target).await.unwrap();
    assert_eq!(answers.len(), 3);
    assert!(
        answers
            .iter()
            .all(|s| matches!(s.outcome, SentOutcome::Failed { .. }))
    );
    assert_eq!(sender.sent().len(), 6);
    assert_eq!(sender.sent()[5].seq, 6);
    inbound.shutdown().await;
}

#[tokio::test]
async fn hl7_script_files_go_over_mllp_with_cr_segment_ends() {
    let his = Simulator::start(Department::Health, SimConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let with_lf = ADT_A05.replace('\r', "\n");
    std::fs::write(dir.path().join("a.hl7"), &with_lf).unwrap();
    std::fs::write(
        dir.path().join("b.er7"),
        with_lf.replace("HUB-0001", "HUB-0002"),
    )
    .unwrap();
    let sender = Sender::new(Department::Health, Duration::from_secs(5)).unwrap();
    let target: Target = his.base_url().parse().unwrap();
    let answers = sender.send_dir(dir.path(), &target).await.unwrap();
    let acked: Vec<_> = answers
        .iter()
        .map(|s| {
            Hl7View::parse(s.answer_body())
                .unwrap()
                .field("MSA", 2, 1)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(acked, ["HUB-0001", "HUB-0002"]);
    let received = his.wait_for(2, WAIT).await.unwrap();
    assert_eq!(received[0].body, ADT_A05.as_bytes());
    his.shutdown().await;
}

#[tokio::test]
async fn an_unreadable_script_directory_is_an_error() {
    let sender = Sender::new(Department::Police, Duration::from_secs(1)).unwrap();
    let target: Target = "http://127.0.0.1:9".parse().unwrap();
    let missing = std::path::Path::new("/nonexistent/dept-sim-script");
    assert!(sender.send_dir(missing, &target).await.is_err());
}
