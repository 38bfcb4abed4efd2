//! The HTTP simulators (POLICE, STATION, CITYMGMT, GRID): recording, receipts, every
//! failure mode, down/up on the same port, and the control endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use common::{
    HEADER_BODY, JSON, MESSAGE_ID, POLICE_XCSQ, STATION_HANDOVER, WAIT, XML, client, post,
};
use dept_sim::{Department, FailureMode, SimConfig, SimError, Simulator, XmlView, json_view};
use serde_json::{Value, json};

async fn police() -> Simulator {
    Simulator::start(Department::Police, SimConfig::default())
        .await
        .unwrap()
}

fn url(sim: &Simulator, path: &str) -> String {
    format!("{}{path}", sim.base_url())
}

#[tokio::test]
async fn records_every_request_and_answers_the_police_receipt() {
    let sim = police().await;
    let (status, body) = post(&client(), &url(&sim, "/jzgl/jsxx/XCSQ"), XML, POLICE_XCSQ)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let receipt = XmlView::parse(&body).unwrap();
    assert_eq!(receipt.root(), "HZ");
    assert_eq!(receipt.get("HZ/jgdm"), Some("00"));
    assert_eq!(receipt.get("HZ/ywdbh"), Some(MESSAGE_ID));
    assert_eq!(receipt.get("HZ/ywdlx"), Some("XCSQ"));

    let received = sim.wait_for(1, WAIT).await.unwrap();
    let r = &received[0];
    assert_eq!(r.seq, 1);
    assert_eq!(r.path, "/jzgl/jsxx/XCSQ");
    assert_eq!(r.content_type.as_deref(), Some(XML));
    assert_eq!(r.message_id.as_deref(), Some(MESSAGE_ID));
    assert_eq!(r.body, POLICE_XCSQ.as_bytes());
    assert_eq!(r.answered.mode, "ok");
    assert_eq!(r.answered.status, Some(200));
    assert!(r.received_at.ends_with("+08:00"), "{}", r.received_at);
    // The native view, field by field.
    let view = r.view().unwrap();
    let xml = view.as_xml().unwrap();
    assert_eq!(xml.get("XCSQ/bhcry/xm"), Some("无名氏"));
    assert_eq!(xml.get("XCSQ/hcnr/xm[2]"), Some("FACE"));
    assert_eq!(xml.count("XCSQ/hcnr/xm"), 2);
    assert_eq!(r.text().as_deref(), Some(POLICE_XCSQ));
    sim.shutdown().await;
}

#[tokio::test]
async fn other_methods_are_refused_and_not_recorded() {
    let sim = police().await;
    let response = client().get(url(&sim, "/anything")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert!(sim.received().is_empty());
    let err = sim
        .wait_for(1, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SimError::WaitTimeout {
                wanted: 1,
                arrived: 0,
                ..
            }
        ),
        "{err}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn error_5xx_for_the_next_two_requests_then_ok() {
    let sim = police().await;
    sim.set_mode_for(FailureMode::Error5xx, 2).await.unwrap();
    assert_eq!(sim.mode().remaining, Some(2));
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (status, body) = post(&c, &url(&sim, "/jzgl/jsxx/XCSQ"), XML, POLICE_XCSQ)
            .await
            .unwrap();
        let receipt = XmlView::parse(&body).unwrap();
        statuses.push((status, receipt.get("HZ/jgdm").unwrap().to_owned()));
    }
    assert_eq!(
        statuses,
        [
            (503, "30".to_owned()),
            (503, "30".to_owned()),
            (200, "00".to_owned())
        ]
    );
    assert_eq!(sim.mode().mode, FailureMode::Ok);
    let modes: Vec<_> = sim.received().iter().map(|r| r.answered.mode).collect();
    assert_eq!(modes, ["error_5xx", "error_5xx", "ok"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn reject_4xx_answers_422_with_the_native_refusal() {
    let sim = police().await;
    sim.set_mode(FailureMode::Reject4xx).await.unwrap();
    let c = client();
    for _ in 0..2 {
        let (status, body) = post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ).await.unwrap();
        assert_eq!(status, 422);
        let receipt = XmlView::parse(&body).unwrap();
        assert_eq!(receipt.get("HZ/jgdm"), Some("10"));
        assert_eq!(receipt.get("HZ/yylb/yy/dm"), Some("SIMULATED_REJECT"));
    }
    // Until switched.
    assert_eq!(sim.mode().mode, FailureMode::Reject4xx);
    assert_eq!(sim.mode().remaining, None);
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_answers_200_with_a_body_that_cannot_be_parsed() {
    let sim = police().await;
    sim.set_mode_for(FailureMode::Malformed, 1).await.unwrap();
    let c = client();
    let (status, body) = post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ).await.unwrap();
    assert_eq!(status, 200);
    assert!(XmlView::parse(&body).is_err());
    let (status, body) = post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ).await.unwrap();
    assert_eq!(status, 200);
    assert!(XmlView::parse(&body).is_ok());
    sim.shutdown().await;
}

#[tokio::test]
async fn slow_records_on_arrival_and_answers_after_the_delay() {
    let sim = police().await;
    let delay = Duration::from_millis(800);
    sim.set_mode_for(FailureMode::Slow(delay), 1).await.unwrap();
    let target = url(&sim, "/x");
    let started = Instant::now();
    let request = tokio::spawn(async move { post(&client(), &target, XML, POLICE_XCSQ).await });
    let received = sim.wait_for(1, WAIT).await.unwrap();
    assert_eq!(received[0].answered.mode, "slow");
    assert!(
        !request.is_finished(),
        "recorded before the answer went out"
    );
    let (status, _) = request.await.unwrap().unwrap();
    assert_eq!(status, 200);
    assert!(started.elapsed() >= delay);
    sim.shutdown().await;
}

#[tokio::test]
async fn down_really_stops_listening_and_comes_back_on_the_same_port() {
    let sim = police().await;
    let addr = sim.local_addr();
    let c = client(); // keeps its connection alive across the switch
    assert_eq!(
        post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
            .await
            .unwrap()
            .0,
        200
    );

    sim.set_mode(FailureMode::Down).await.unwrap();
    let refused = tokio::net::TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    let err = post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
        .await
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");
    assert_eq!(sim.received().len(), 1);

    sim.set_mode(FailureMode::Ok).await.unwrap();
    assert_eq!(sim.local_addr(), addr);
    assert_eq!(
        post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
            .await
            .unwrap()
            .0,
        200
    );
    // Twice more, to be sure the port stays usable.
    sim.set_mode(FailureMode::Down).await.unwrap();
    sim.set_mode(FailureMode::Down).await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    sim.set_mode(FailureMode::Error5xx).await.unwrap();
    assert_eq!(
        post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
            .await
            .unwrap()
            .0,
        503
    );
    assert_eq!(sim.received().len(), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn counted_down_resets_the_next_connections_then_answers() {
    let sim = police().await;
    let c = client();
    assert_eq!(
        post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
            .await
            .unwrap()
            .0,
        200
    );
    sim.set_mode_for(FailureMode::Down, 2).await.unwrap();
    for _ in 0..2 {
        assert!(post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ).await.is_err());
    }
    assert_eq!(sim.mode().mode, FailureMode::Ok);
    assert_eq!(
        post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
            .await
            .unwrap()
            .0,
        200
    );
    assert_eq!(sim.received().len(), 2, "reset connections carry nothing");
    sim.shutdown().await;
}

#[tokio::test]
async fn station_citymgmt_and_grid_answer_their_own_receipts() {
    let station = Simulator::start(Department::Station, SimConfig::default())
        .await
        .unwrap();
    let (status, body) = post(
        &client(),
        &url(&station, "/api/v1/escort-handovers"),
        JSON,
        STATION_HANDOVER,
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    let receipt = json_view(&body).unwrap();
    assert_eq!(receipt["success"], true);
    assert_eq!(receipt["docNo"], "b1c2d3e4-0000-4000-8000-000000000001");
    assert_eq!(receipt["docType"], "escortHandover");
    assert_eq!(receipt["messageIds"][0], MESSAGE_ID);
    let view = station.received()[0].view().unwrap();
    assert_eq!(view.as_json().unwrap()["data"]["person"]["name"], "王根宝");
    station.set_mode(FailureMode::Reject4xx).await.unwrap();
    let (status, body) = post(&client(), &url(&station, "/x"), JSON, STATION_HANDOVER)
        .await
        .unwrap();
    assert_eq!(status, 422);
    assert_eq!(json_view(&body).unwrap()["success"], false);
    station.shutdown().await;

    let citymgmt = Simulator::start(Department::Citymgmt, SimConfig::default())
        .await
        .unwrap();
    let (status, body) = post(
        &client(),
        &url(&citymgmt, "/api/v1/rescue/case-feedback"),
        JSON,
        HEADER_BODY,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let receipt = json_view(&body).unwrap();
    assert_eq!(receipt["code"], "0");
    assert_eq!(
        receipt["data"]["docNo"],
        "c5d0a1e2-7f3b-4c8d-9e0f-1a2b3c4d5e6f"
    );
    citymgmt.set_mode(FailureMode::Error5xx).await.unwrap();
    let (status, body) = post(&client(), &url(&citymgmt, "/x"), JSON, HEADER_BODY)
        .await
        .unwrap();
    assert_eq!(
        (status, json_view(&body).unwrap()["code"].clone()),
        (503, json!("5001"))
    );
    citymgmt.shutdown().await;

    let grid = Simulator::start(Department::Grid, SimConfig::default())
        .await
        .unwrap();
    let (status, body) = post(
        &client(),
        &url(&grid, "/api/event/task/feedback"),
        JSON,
        HEADER_BODY,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let receipt = json_view(&body).unwrap();
    assert_eq!(
        (receipt["code"].clone(), receipt["success"].clone()),
        (json!(200), json!(true))
    );
    grid.set_mode(FailureMode::Malformed).await.unwrap();
    let (status, body) = post(&client(), &url(&grid, "/x"), JSON, HEADER_BODY)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(json_view(&body).is_err());
    grid.shutdown().await;
}

async fn control(c: &reqwest::Client, base: &str, request: Value) -> (u16, Value) {
    let response = c
        .post(format!("{base}/_sim/mode"))
        .json(&request)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_control_endpoint_switches_modes_out_of_process() {
    let config = SimConfig {
        control: Some("127.0.0.1:0".to_owned()),
        ..SimConfig::default()
    };
    let sim = Simulator::start(Department::Police, config).await.unwrap();
    let base = sim.base_url();
    let control_base = format!("http://{}", sim.control_addr().unwrap());
    let c = client();

    // On the simulator's own port.
    let (status, answer) = control(&c, &base, json!({"mode": "reject_4xx", "count": 1})).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"mode": "reject_4xx", "remaining": 1}));
    assert_eq!(
        post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
            .await
            .unwrap()
            .0,
        422
    );
    assert_eq!(
        post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
            .await
            .unwrap()
            .0,
        200
    );

    // Invalid requests.
    for bad in [
        json!({"mode": "sleepy"}),
        json!({"mode": "ok", "count": 3}),
        json!({"mode": "down", "count": 0}),
    ] {
        let (status, answer) = control(&c, &base, bad).await;
        assert_eq!(status, 400);
        assert!(answer["error"].is_string());
    }

    // Down via the control port; the simulator's port is closed, the control port is not.
    let (status, _) = control(&c, &control_base, json!({"mode": "down"})).await;
    assert_eq!(status, 200);
    assert!(
        tokio::net::TcpStream::connect(sim.local_addr())
            .await
            .is_err()
    );
    let health: Value = c
        .get(format!("{control_base}/_sim/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["department"], "POLICE");
    assert_eq!(health["mode"]["mode"], "down");
    let (status, answer) =
        control(&c, &control_base, json!({"mode": "slow", "delay_ms": 10})).await;
    assert_eq!(
        (status, answer),
        (200, json!({"mode": "slow", "delay_ms": 10}))
    );
    assert_eq!(
        post(&c, &url(&sim, "/x"), XML, POLICE_XCSQ)
            .await
            .unwrap()
            .0,
        200
    );

    // Records over HTTP; control calls are not recorded.
    let records: Value = c
        .get(format!("{control_base}/_sim/received"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["answer"]["status"], 422);
    assert_eq!(records[2]["answer"]["mode"], "slow");
    assert_eq!(records[2]["message_id"], MESSAGE_ID);
    assert_eq!(records[2]["body_text"], POLICE_XCSQ);

    let waited = c
        .get(format!("{control_base}/_sim/wait?count=3&timeout_ms=5000"))
        .send()
        .await
        .unwrap();
    assert_eq!(waited.status().as_u16(), 200);
    let timed_out = c
        .get(format!("{control_base}/_sim/wait?count=4&timeout_ms=30"))
        .send()
        .await
        .unwrap();
    assert_eq!(timed_out.status().as_u16(), 408);
    assert_eq!(timed_out.json::<Value>().await.unwrap()["arrived"], 3);
    let deleted = c
        .delete(format!("{base}/_sim/received"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert!(sim.received().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn the_record_file_has_one_json_line_per_document() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("police.jsonl");
    let config = SimConfig {
        record_file: Some(path.clone()),
        ..SimConfig::default()
    };
    let sim = Simulator::start(Department::Police, config).await.unwrap();
    let c = client();
    post(&c, &url(&sim, "/a"), XML, POLICE_XCSQ).await.unwrap();
    sim.set_mode(FailureMode::Error5xx).await.unwrap();
    post(&c, &url(&sim, "/b"), XML, POLICE_XCSQ).await.unwrap();
    sim.shutdown().await;
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "received");
    assert_eq!(lines[0]["path"], "/a");
    assert_eq!(lines[1]["answer"]["status"], 503);
    assert_eq!(lines[1]["seq"], 2);
}

#[tokio::test]
async fn dropping_the_simulator_closes_its_port() {
    let sim = police().await;
    let addr = sim.local_addr();
    drop(sim);
    // The supervisor closes the port on its own task: wait for the refusal, bounded.
    let deadline = Instant::now() + WAIT;
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => break,
            _ if Instant::now() > deadline => panic!("port {addr} still open"),
            _ => tokio::task::yield_now().await,
        }
    }
}
