//! End to end over the real RabbitMQ through the hub's HTTP API (issue "Hub core on
//! RabbitMQ", point 7): `POST /v1/messages` with a department's bearer token answers 202
//! only for a message that then reaches its recipient once, and a 4xx with the violations as
//! JSON for everything else, which reaches nobody; `/healthz` and `/readyz`.
//!
//! The tokens are the development tokens of `hub/hub.example.toml` (`dev-token-<code in
//! lower case>`). The client is a minimal HTTP/1.1 client over a `TcpStream`
//! (`Connection: close`, read to the end), so the test sees exactly what went over the wire.
//! Each test runs in its own vhost with its own users and store; every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use contracts::model::Actor;
use hub::transport::header;
use serde_json::Value;
use tests::{TestBroker, TestHub, collect, fixture, with_new_id};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(20);
const QUIET: Duration = Duration::from_millis(1500);
const GRID_TOKEN: &str = "dev-token-grid";

/// An HTTP response as received.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The pointers of the `violations` of a problem body.
    fn pointers(&self) -> Vec<String> {
        self.json()["violations"]
            .as_array()
            .unwrap_or_else(|| panic!("no violations in {}", self.json()))
            .iter()
            .filter_map(|v| v["pointer"].as_str().map(str::to_owned))
            .collect()
    }
}

/// Sends one request and reads the whole response (bounded by [`WAIT`]). The request is
/// written while the response is read, and a failed write is tolerated, because the server
/// may answer (413) and close before it has read the whole body.
async fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(authorization) = authorization {
        head.push_str(&format!("Authorization: {authorization}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());

    let exchange = async {
        let stream = TcpStream::connect(address).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let write = async {
            // Ignored: see above; a missing response fails the parse below instead.
            writer.write_all(&bytes).await.ok();
            writer.flush().await.ok();
        };
        let read = async {
            let mut raw = Vec::new();
            let mut chunk = [0_u8; 8192];
            loop {
                match reader.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => raw.extend_from_slice(&chunk[..n]),
                }
            }
            raw
        };
        // The write half stays open until the response is read: closing it early would
        // look like an aborted request to the server.
        let ((), raw) = tokio::join!(write, read);
        drop(writer);
        raw
    };
    let raw = tokio::time::timeout(WAIT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no response within {WAIT:?}"));
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response: {}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = std::str::from_utf8(&data[..end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// `POST /v1/messages` with `Authorization: Bearer <token>` when a token is given.
async fn post(hub: &TestHub, token: Option<&str>, body: &[u8]) -> Reply {
    let authorization = token.map(|t| format!("Bearer {t}"));
    request(
        hub.http_address(),
        "POST",
        "/v1/messages",
        authorization.as_deref(),
        Some(body),
    )
    .await
}

async fn post_json(hub: &TestHub, token: Option<&str>, message: &Value) -> Reply {
    post(hub, token, &serde_json::to_vec(message).unwrap()).await
}

/// Asserts that nothing arrives at `department` within [`QUIET`].
async fn assert_nothing_delivered(broker: &TestBroker, department: Actor) {
    let received = collect(
        &broker.department(department).await,
        department,
        0,
        QUIET,
        QUIET,
    )
    .await;
    assert!(
        received.is_empty(),
        "{department:?} received {:?}",
        received.iter().map(|r| &r.message).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_referral_with_grids_token_is_accepted_and_delivered_once() {
    let Some(broker) = TestBroker::create("http-accept").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let referral = with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"));

    let reply = post_json(&hub, Some(GRID_TOKEN), &referral).await;
    assert_eq!(
        reply.status,
        202,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["message_id"], referral["message_id"]);
    assert_eq!(reply.json()["status"], "accepted");
    // The department's system resends (it lost our answer): accepted again, delivered once.
    let again = post_json(&hub, Some(GRID_TOKEN), &referral).await;
    assert_eq!(again.status, 202);

    let station = broker.department(Actor::Station).await;
    let received = collect(&station, Actor::Station, 1, WAIT, QUIET).await;
    assert_eq!(received.len(), 1, "exactly one delivery to STATION");
    assert_eq!(received[0].message["message_id"], referral["message_id"]);
    assert_eq!(received[0].header(header::SENDER), Some("GRID"));
    // GRID is told nothing (no HUB_REJECTED): the referral was accepted.
    assert_nothing_delivered(&broker, Actor::Grid).await;
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_get_4xx_with_their_violations_and_reach_nobody() {
    let Some(broker) = TestBroker::create("http-refuse").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let referral = with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"));

    // No token, a wrong or empty token, GRID's token in another scheme: 401, with the
    // scheme to use.
    let body = serde_json::to_vec(&referral).unwrap();
    for authorization in [
        None,
        Some("Bearer dev-token-nope"),
        Some("Bearer "),
        Some("Basic dev-token-grid"),
    ] {
        let reply = request(
            hub.http_address(),
            "POST",
            "/v1/messages",
            authorization,
            Some(&body),
        )
        .await;
        assert_eq!(reply.status, 401, "{authorization:?}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert_eq!(reply.json()["status"], 401);
        assert_eq!(reply.pointers(), [""]);
    }

    // GRID's token on a police referral: 403, the envelope's sender is not the token's.
    let police = with_new_id(fixture(
        "REFERRAL/v1/valid/police_patrol_suspected_trafficked_minor.json",
    ));
    let reply = post_json(&hub, Some(GRID_TOKEN), &police).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.pointers(), ["/sender_org_type"]);

    // GRID's token and GRID's envelope, but another department's organisation code: 403.
    let mut foreign_code = with_new_id(referral.clone());
    foreign_code["sender_org_code"] = Value::from("12320585466880789G");
    let reply = post_json(&hub, Some(GRID_TOKEN), &foreign_code).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.pointers(), ["/sender_org_code"]);

    // A type GRID may not send (a handover ack, rewritten as from GRID): 403.
    let mut ack = with_new_id(fixture("HANDOVER_ACK/v1/valid/received.json"));
    ack["sender_org_type"] = Value::from("GRID");
    ack["sender_org_code"] = referral["sender_org_code"].clone();
    let reply = post_json(&hub, Some(GRID_TOKEN), &ack).await;
    assert_eq!(reply.status, 403, "{}", reply.json());
    assert_eq!(reply.pointers(), ["/message_type"]);
    assert_eq!(reply.json()["title"], "not authorized");

    // A message that breaks its contract: 422 naming the violation.
    let invalid = with_new_id(fixture("REFERRAL/v1/invalid/missing_willingness.json"));
    let reply = post_json(&hub, Some(GRID_TOKEN), &invalid).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["status"], 422);
    assert!(
        reply.pointers().iter().any(|p| p == "/payload/willingness"),
        "{}",
        reply.json()
    );
    // Not JSON at all: 422 as well.
    let reply = post(&hub, Some(GRID_TOKEN), b"not json").await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["violations"][0]["rule"], "json");

    // None of it reached a recipient, and no refusal notice was queued for GRID (the HTTP
    // answer is the refusal).
    for department in [Actor::Station, Actor::Police, Actor::Grid] {
        assert_nothing_delivered(&broker, department).await;
    }
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413() {
    let Some(broker) = TestBroker::create("http-limit").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = tests::test_config(&broker, dir.path().join("hub.sqlite"));
    config.http.max_body_bytes = 4096;
    let hub = TestHub::start_with(config, dir).await;

    let mut oversized = with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"));
    oversized["payload"]["notes"] = Value::from("x".repeat(8 * 1024));
    let body = serde_json::to_vec(&oversized).unwrap();
    assert!(body.len() > 8 * 1024);
    let reply = post(&hub, Some(GRID_TOKEN), &body).await;
    assert_eq!(
        reply.status,
        413,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["status"], 413);
    assert!(
        reply.json()["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("4096 bytes"),
        "{}",
        reply.json()
    );

    // Under the limit the same hub accepts.
    let referral = with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"));
    let small = serde_json::to_vec(&referral).unwrap();
    assert!(small.len() < 4096);
    assert_eq!(post(&hub, Some(GRID_TOKEN), &small).await.status, 202);
    let received = collect(
        &broker.department(Actor::Station).await,
        Actor::Station,
        1,
        WAIT,
        QUIET,
    )
    .await;
    assert_eq!(received.len(), 1, "only the small referral arrives");
    assert_eq!(received[0].message["message_id"], referral["message_id"]);
    hub.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_follow_the_broker() {
    let Some(broker) = TestBroker::create("http-health").await else {
        return;
    };
    let hub = TestHub::start(&broker).await;
    let address = hub.http_address();

    let health = request(address, "GET", "/healthz", None, None).await;
    assert_eq!(health.status, 200);

    // Ready once the hub's broker session is up (it connected before start returned).
    let ready = request(address, "GET", "/readyz", None, None).await;
    assert_eq!(
        ready.status,
        200,
        "{}",
        String::from_utf8_lossy(&ready.body)
    );
    assert_eq!(
        ready.json(),
        serde_json::json!({ "broker": true, "store": true })
    );

    // Without its broker connection the hub is alive but not ready, and accepts nothing.
    hub.transport.shutdown().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let not_ready = loop {
        let reply = request(address, "GET", "/readyz", None, None).await;
        if reply.status == 503 || tokio::time::Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await; // polling an endpoint, not synchronising tasks
    };
    assert_eq!(not_ready.status, 503);
    assert_eq!(
        not_ready.json(),
        serde_json::json!({ "broker": false, "store": true })
    );
    assert_eq!(
        request(address, "GET", "/healthz", None, None).await.status,
        200
    );
    let referral = with_new_id(fixture("REFERRAL/v1/valid/grid_sighting_chengxiang.json"));
    let reply = post_json(&hub, Some(GRID_TOKEN), &referral).await;
    assert_eq!(
        reply.status,
        503,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["violations"][0]["rule"], "broker");
    hub.stop().await;
    broker.cleanup().await;
}
