//! The HIS simulator (HEALTH, MLLP): framing over real sockets (split and coalesced), ACKs,
//! every failure mode, down/up on the same port, the control endpoint and the sender.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use common::{ADT_A05, WAIT, adt, client};
use dept_sim::mllp::{Deframer, frame};
use dept_sim::{
    Department, FailureMode, Hl7View, Sender, SentOutcome, SimConfig, Simulator, Transport,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn his() -> Simulator {
    Simulator::start(Department::Health, SimConfig::default())
        .await
        .unwrap()
}

/// Reads until `n` whole frames came back on `stream`.
async fn read_frames(stream: &mut TcpStream, n: usize) -> Vec<Vec<u8>> {
    let mut deframer = Deframer::default();
    let mut frames = Vec::new();
    let mut buffer = [0_u8; 4096];
    while frames.len() < n {
        let read = tokio::time::timeout(WAIT, stream.read(&mut buffer))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(
            read > 0,
            "connection closed after {} frame(s)",
            frames.len()
        );
        deframer.push(&buffer[..read]);
        while let Some(next) = deframer.next_frame() {
            frames.push(next.unwrap());
        }
    }
    frames
}

fn ack_of(bytes: &[u8]) -> Hl7View {
    Hl7View::parse(bytes).unwrap()
}

#[tokio::test]
async fn a_frame_split_over_many_writes_is_one_message_and_one_ack() {
    let sim = his().await;
    assert!(sim.base_url().starts_with("mllp://"));
    let mut stream = TcpStream::connect(sim.local_addr()).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let framed = frame(ADT_A05.as_bytes());
    for piece in framed.chunks(7) {
        stream.write_all(piece).await.unwrap();
        stream.flush().await.unwrap();
        tokio::task::yield_now().await;
    }
    let acks = read_frames(&mut stream, 1).await;
    let ack = ack_of(&acks[0]);
    assert_eq!(ack.field("MSA", 1, 1), Some("AA"));
    assert_eq!(ack.field("MSA", 2, 1), Some("HUB-0001"));
    // Sending and receiving application and facility swapped.
    assert_eq!(ack.field("MSH", 3, 1), Some("HIS"));
    assert_eq!(ack.field("MSH", 4, 1), Some("TCDYRMYY"));
    assert_eq!(ack.field("MSH", 5, 1), Some("RESCUE-HUB"));
    assert_eq!(ack.field("MSH", 6, 1), Some("TAICANG"));
    assert_eq!(ack.field_raw("MSH", 9), Some("ACK^A05^ACK"));
    assert!(ack.field("MSH", 7, 1).unwrap().ends_with("+0800"));

    let received = sim.wait_for(1, WAIT).await.unwrap();
    let r = &received[0];
    assert_eq!(r.transport, Transport::Mllp);
    assert_eq!(r.body, ADT_A05.as_bytes());
    assert_eq!(r.answered.ack_code, Some("AA"));
    let view = r.view().unwrap();
    let hl7 = view.as_hl7().unwrap();
    assert_eq!(hl7.field("PID", 5, 1), Some("王根宝"));
    assert_eq!(hl7.field("PID", 3, 1), Some("TCJZ-2025-0152"));
    assert_eq!(hl7.field("PV1", 3, 1), Some("精神心理科"));
    sim.shutdown().await;
}

#[tokio::test]
async fn coalesced_frames_are_answered_in_order_on_one_connection() {
    let sim = his().await;
    let mut stream = TcpStream::connect(sim.local_addr()).await.unwrap();
    let mut bytes = Vec::new();
    for id in ["C-1", "C-2", "C-3"] {
        bytes.extend(frame(adt(id).as_bytes()));
    }
    stream.write_all(&bytes).await.unwrap();
    let acks = read_frames(&mut stream, 3).await;
    let ids: Vec<_> = acks
        .iter()
        .map(|a| ack_of(a).field("MSA", 2, 1).unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["C-1", "C-2", "C-3"]);
    // The connection stays open for more.
    stream
        .write_all(&frame(adt("C-4").as_bytes()))
        .await
        .unwrap();
    let acks = read_frames(&mut stream, 1).await;
    assert_eq!(ack_of(&acks[0]).field("MSA", 2, 1), Some("C-4"));
    assert_eq!(sim.wait_for(4, WAIT).await.unwrap().len(), 4);
    sim.shutdown().await;
}

#[tokio::test]
async fn failure_modes_answer_ae_ar_and_garbage() {
    let sim = his().await;
    let mut stream = TcpStream::connect(sim.local_addr()).await.unwrap();
    let mut exchange = async |id: &str| {
        stream.write_all(&frame(adt(id).as_bytes())).await.unwrap();
        read_frames(&mut stream, 1).await.remove(0)
    };
    sim.set_mode_for(FailureMode::Error5xx, 1).await.unwrap();
    let ae = ack_of(&exchange("E-1").await);
    assert_eq!(ae.field("MSA", 1, 1), Some("AE"));
    assert_eq!(ae.field("MSA", 2, 1), Some("E-1"));
    assert_eq!(ae.field("ERR", 3, 1), Some("207"));

    sim.set_mode_for(FailureMode::Reject4xx, 1).await.unwrap();
    let ar = ack_of(&exchange("R-1").await);
    assert_eq!(ar.field("MSA", 1, 1), Some("AR"));
    assert!(ar.field("ERR", 8, 1).unwrap().contains("reject_4xx"));

    sim.set_mode_for(FailureMode::Malformed, 1).await.unwrap();
    let garbage = exchange("M-1").await;
    assert!(Hl7View::parse(&garbage).is_err());

    let aa = ack_of(&exchange("OK-1").await);
    assert_eq!(aa.field("MSA", 1, 1), Some("AA"));

    let codes: Vec<_> = sim.received().iter().map(|r| r.answered.ack_code).collect();
    assert_eq!(codes, [Some("AE"), Some("AR"), None, Some("AA")]);
    sim.shutdown().await;
}

#[tokio::test]
async fn what_is_not_hl7_is_refused_with_ar() {
    let sim = his().await;
    let mut stream = TcpStream::connect(sim.local_addr()).await.unwrap();
    stream.write_all(&frame(b"hello")).await.unwrap();
    let ack = ack_of(&read_frames(&mut stream, 1).await[0]);
    assert_eq!(ack.field("MSA", 1, 1), Some("AR"));
    assert!(sim.received()[0].view().is_err());
    sim.shutdown().await;
}

#[tokio::test]
async fn slow_acks_after_the_delay() {
    let sim = his().await;
    let delay = Duration::from_millis(500);
    sim.set_mode_for(FailureMode::Slow(delay), 1).await.unwrap();
    let mut stream = TcpStream::connect(sim.local_addr()).await.unwrap();
    let started = Instant::now();
    stream.write_all(&frame(ADT_A05.as_bytes())).await.unwrap();
    let ack = ack_of(&read_frames(&mut stream, 1).await[0]);
    assert!(started.elapsed() >= delay);
    assert_eq!(ack.field("MSA", 1, 1), Some("AA"));
    sim.shutdown().await;
}

#[tokio::test]
async fn down_closes_the_port_and_open_connections_and_up_reopens_the_same_port() {
    let sim = his().await;
    let addr = sim.local_addr();
    let mut open = TcpStream::connect(addr).await.unwrap();
    open.write_all(&frame(ADT_A05.as_bytes())).await.unwrap();
    read_frames(&mut open, 1).await;

    sim.set_mode(FailureMode::Down).await.unwrap();
    assert_eq!(
        TcpStream::connect(addr).await.unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    // The open connection was closed by the simulator.
    let mut buffer = [0_u8; 16];
    let read = tokio::time::timeout(WAIT, open.read(&mut buffer))
        .await
        .unwrap();
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");

    sim.set_mode(FailureMode::Ok).await.unwrap();
    assert_eq!(sim.local_addr(), addr);
    let mut again = TcpStream::connect(addr).await.unwrap();
    again
        .write_all(&frame(adt("AGAIN").as_bytes()))
        .await
        .unwrap();
    let ack = ack_of(&read_frames(&mut again, 1).await[0]);
    assert_eq!(ack.field("MSA", 2, 1), Some("AGAIN"));
    sim.shutdown().await;
}

#[tokio::test]
async fn counted_down_resets_connections() {
    let sim = his().await;
    sim.set_mode_for(FailureMode::Down, 1).await.unwrap();
    let sender = Sender::new(Department::Police, Duration::from_secs(5)).unwrap();
    let addr = sim.local_addr().to_string();
    let first = sender.send_mllp(&addr, ADT_A05.as_bytes().to_vec()).await;
    assert!(
        matches!(first.outcome, SentOutcome::Failed { .. }),
        "{first:?}"
    );
    let second = sender.send_mllp(&addr, ADT_A05.as_bytes().to_vec()).await;
    let SentOutcome::Mllp { ack } = &second.outcome else {
        panic!("{second:?}");
    };
    assert_eq!(ack_of(ack).field("MSA", 1, 1), Some("AA"));
    assert_eq!(sim.received().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn gb18030_messages_get_gb18030_acks() {
    let sim = his().await;
    let text = adt("GB-1").replace("UNICODE UTF-8", "GB 18030-2000");
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    let sender = Sender::new(Department::Health, Duration::from_secs(5)).unwrap();
    let sent = sender
        .send_mllp(&sim.local_addr().to_string(), bytes.to_vec())
        .await;
    let SentOutcome::Mllp { ack } = &sent.outcome else {
        panic!("{sent:?}");
    };
    let ack = ack_of(ack);
    assert_eq!(ack.field("MSH", 18, 1), Some("GB 18030-2000"));
    assert_eq!(ack.field("MSA", 2, 1), Some("GB-1"));
    let received = sim.wait_for(1, WAIT).await.unwrap();
    assert_eq!(
        received[0]
            .view()
            .unwrap()
            .as_hl7()
            .unwrap()
            .field("PID", 5, 1),
        Some("王根宝")
    );
    assert_eq!(received[0].text().unwrap(), text);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_control_port_brings_the_his_back_up() {
    let config = SimConfig {
        control: Some("127.0.0.1:0".to_owned()),
        ..SimConfig::default()
    };
    let sim = Simulator::start(Department::Health, config).await.unwrap();
    let control = format!("http://{}/_sim/mode", sim.control_addr().unwrap());
    let c = client();
    let set = async |request: Value| {
        let response = c.post(&control).json(&request).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
    };
    set(json!({"mode": "down"})).await;
    assert!(TcpStream::connect(sim.local_addr()).await.is_err());
    set(json!({"mode": "error_5xx", "count": 1})).await;
    let sender = Sender::new(Department::Health, Duration::from_secs(5)).unwrap();
    let sent = sender
        .send_mllp(&sim.local_addr().to_string(), ADT_A05.as_bytes().to_vec())
        .await;
    assert_eq!(ack_of(sent.answer_body()).field("MSA", 1, 1), Some("AE"));
    sim.shutdown().await;
}
