//! The `dept-sim` binary: serve mode (startup line, control endpoint, record file, clean
//! exit on SIGTERM) and script mode (`--send DIR --to URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Stdio;

use common::{POLICE_XCSQ, WAIT, XML, client, post};
use dept_sim::{Department, SimConfig, Simulator, XmlView};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_dept-sim");

#[tokio::test]
async fn serve_mode_prints_its_addresses_records_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("police.jsonl");
    let mut child = Command::new(BINARY)
        .args(["police", "--listen", "127.0.0.1:0", "--record"])
        .arg(&record)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let started: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(started["department"], "POLICE");
    assert_eq!(started["mode"], "ok");
    let base = started["base_url"].as_str().unwrap().to_owned();
    let control = started["control"].as_str().unwrap().to_owned();

    let c = client();
    let (status, body) = post(&c, &format!("{base}/jzgl/jsxx/XCSQ"), XML, POLICE_XCSQ)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(XmlView::parse(&body).unwrap().get("HZ/jgdm"), Some("00"));
    let down = c
        .post(format!("{control}/_sim/mode"))
        .json(&json!({"mode": "down"}))
        .send()
        .await
        .unwrap();
    assert_eq!(down.status().as_u16(), 200);
    assert!(
        post(&c, &format!("{base}/x"), XML, POLICE_XCSQ)
            .await
            .is_err()
    );

    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let exit = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let recorded: Vec<Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["path"], "/jzgl/jsxx/XCSQ");
}

#[tokio::test]
async fn script_mode_sends_a_directory_and_prints_the_answers() {
    let inbound = Simulator::start(Department::Police, SimConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script");
    std::fs::create_dir(&script).unwrap();
    std::fs::write(script.join("1.xml"), POLICE_XCSQ).unwrap();
    std::fs::write(script.join("2.xml"), POLICE_XCSQ.replace("XCSQ", "HCJG")).unwrap();
    let record = dir.path().join("answers.jsonl");
    let output = Command::new(BINARY)
        .args(["police", "--send"])
        .arg(&script)
        .args(["--to", &inbound.base_url(), "--record"])
        .arg(&record)
        .stderr(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let answers: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[1]["status"], 200);
    assert!(
        answers[1]["body_text"]
            .as_str()
            .unwrap()
            .contains("<ywdlx>HCJG</ywdlx>")
    );
    assert_eq!(std::fs::read_to_string(&record).unwrap().lines().count(), 2);
    let received = inbound.wait_for(2, WAIT).await.unwrap();
    assert_eq!(received[0].path, "/police/documents");

    // Nobody listening: exit status 1.
    let addr = inbound.local_addr();
    inbound.shutdown().await;
    let status = Command::new(BINARY)
        .args(["police", "--timeout-ms", "2000", "--send"])
        .arg(&script)
        .args(["--to", &format!("http://{addr}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

#[tokio::test]
async fn bad_arguments_are_refused() {
    for args in [
        &["fire"][..],
        &["police", "--send", "/tmp"],
        &["police", "--mode", "sleepy"],
    ] {
        let status = Command::new(BINARY)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .unwrap();
        assert!(!status.success(), "{args:?}");
    }
}
