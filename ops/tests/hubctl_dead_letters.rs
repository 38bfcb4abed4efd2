//! Drives the real `hubctl dead-letters` against a hub store in a temporary directory (no
//! broker needed): listing with filters, JSON lines, show, replay once with its record and
//! outbox row, refusal of a second replay and of unknown ids, store path from the hub
//! configuration, and no store created by a wrong path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use hub::store::{NewDeadLetter, Store};
use hub::transport::{HeaderValue, header};
use serde_json::{Value, json};

fn hubctl(args: &[&str]) -> Output {
    hubctl_with_env(args, &[])
}

/// Runs hubctl with `HUB_…`, `SUDO_USER` and `USER` cleared, then `env` set.
fn hubctl_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hubctl"));
    command
        .args(args)
        .env_remove("SUDO_USER")
        .env_remove("USER");
    for (name, _) in std::env::vars() {
        if name.starts_with("HUB_") {
            command.env_remove(name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("hubctl runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn text(value: &str) -> HeaderValue {
    HeaderValue::Text(value.to_owned())
}

/// The three dead letters of every test.
struct Letters {
    /// A GRID referral refused by the contract (missing willingness), sender header GRID.
    contract: i64,
    /// A CITYMGMT referral refused as unauthorized; no sender header, only the publisher.
    unauthorized: i64,
    /// A delivery STATION's system refused (409), sender header GRID.
    delivery: i64,
}

fn referral_body(message_id: &str) -> Vec<u8> {
    let mut body = json!({
        "message_id": message_id,
        "message_type": "REFERRAL",
        "sender_org_type": "GRID",
        "payload": { "note": "流浪人员 sighting near 城厢镇" }
    });
    body["payload"]["padding"] = Value::from("x".repeat(200));
    serde_json::to_vec(&body).unwrap()
}

async fn seed(store: &Store) -> Letters {
    let mut grid_headers = BTreeMap::new();
    grid_headers.insert(header::SENDER.to_owned(), text("GRID"));
    grid_headers.insert(header::DEAD_STAGE.to_owned(), text("CONTRACT"));
    let contract = store
        .record_dead_letter(NewDeadLetter {
            queue: "dead.ingress".to_owned(),
            message_id: Some("11111111-1111-4111-8111-111111111111".to_owned()),
            message_type: Some("REFERRAL".to_owned()),
            stage: "CONTRACT".to_owned(),
            reasons: json!([
                {"pointer": "/payload/willingness", "code": "required", "message": "\"willingness\" is a required property"},
                {"pointer": "/payload/subjects/0/sex", "code": "enum", "message": "not a GB/T 2261.1 code"}
            ])
            .to_string(),
            publisher: Some("dept-grid".to_owned()),
            body: referral_body("11111111-1111-4111-8111-111111111111"),
            headers: grid_headers.clone(),
        })
        .await
        .unwrap();
    let unauthorized = store
        .record_dead_letter(NewDeadLetter {
            queue: "dead.ingress".to_owned(),
            message_id: Some("22222222-2222-4222-8222-222222222222".to_owned()),
            message_type: Some("REFERRAL".to_owned()),
            stage: "UNAUTHORIZED".to_owned(),
            reasons: json!([{"pointer": "/message_type", "code": "authorization", "message": "CITYMGMT may not send REFERRAL."}]).to_string(),
            publisher: Some("dept-citymgmt".to_owned()),
            body: b"{\"message_id\":\"22222222-2222-4222-8222-222222222222\"}".to_vec(),
            headers: BTreeMap::new(),
        })
        .await
        .unwrap();
    let delivery = store
        .record_dead_letter(NewDeadLetter {
            queue: "dead.STATION".to_owned(),
            message_id: Some("33333333-3333-4333-8333-333333333333".to_owned()),
            message_type: Some("REFERRAL".to_owned()),
            stage: "DEPARTMENT_4XX".to_owned(),
            reasons: json!([{"pointer": "", "code": "http", "message": "station system answered 409 Conflict"}]).to_string(),
            publisher: None,
            body: vec![0xff, 0xfe, 0x00, 0x01],
            headers: grid_headers,
        })
        .await
        .unwrap();
    Letters {
        contract,
        unauthorized,
        delivery,
    }
}

/// A temporary directory with a seeded store at `hub.sqlite`.
async fn seeded() -> (tempfile::TempDir, Store, Letters, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let store = Store::open(&path).await.unwrap();
    let letters = seed(&store).await;
    let path = path.display().to_string();
    (dir, store, letters, path)
}

/// The ids in the first column of a table.
fn listed_ids(table: &str) -> Vec<i64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn list_shows_every_unreplayed_letter_and_filters_by_queue_and_reason() {
    let (_dir, store, letters, path) = seeded().await;

    let out = hubctl(&["dead-letters", "list", "--store", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    assert_eq!(
        listed_ids(&table),
        vec![letters.contract, letters.unauthorized, letters.delivery],
        "{table}"
    );
    for expected in [
        "ID",
        "REASON",
        "dead.ingress",
        "dead.STATION",
        "CONTRACT",
        "dept-grid",
        "/payload/willingness [required]: \"willingness\" is… (+1 more)",
        "(root) [http]: station system answered 409 Conflict",
        "total: 3 dead letter(s)",
    ] {
        assert!(
            table.contains(expected),
            "{expected:?} missing in:\n{table}"
        );
    }

    for queue in ["dead.STATION", "STATION", "station"] {
        let out = hubctl(&["dead-letters", "list", "--store", &path, "--queue", queue]);
        assert_eq!(listed_ids(&stdout(&out)), vec![letters.delivery], "{queue}");
    }
    let out = hubctl(&[
        "dead-letters",
        "list",
        "--store",
        &path,
        "--queue",
        "ingress",
    ]);
    assert_eq!(
        listed_ids(&stdout(&out)),
        vec![letters.contract, letters.unauthorized]
    );

    // Reason text matches reasons and stages, case-insensitively.
    let out = hubctl(&[
        "dead-letters",
        "list",
        "--store",
        &path,
        "--reason",
        "WILLINGNESS",
    ]);
    assert_eq!(listed_ids(&stdout(&out)), vec![letters.contract]);
    let out = hubctl(&[
        "dead-letters",
        "list",
        "--store",
        &path,
        "--reason",
        "unauthorized",
    ]);
    assert_eq!(listed_ids(&stdout(&out)), vec![letters.unauthorized]);
    let out = hubctl(&[
        "dead-letters",
        "list",
        "--store",
        &path,
        "--queue",
        "dead.STATION",
        "--reason",
        "willingness",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("no dead letters"),
        "{}",
        stdout(&out)
    );
    store.close().await;
}

#[tokio::test]
async fn list_json_prints_one_object_per_line_with_every_field() {
    let (_dir, store, letters, path) = seeded().await;

    let out = hubctl(&["dead-letters", "list", "--store", &path, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let first = &lines[0];
    assert_eq!(first["id"], letters.contract);
    assert_eq!(first["queue"], "dead.ingress");
    assert_eq!(first["stage"], "CONTRACT");
    assert_eq!(first["message_type"], "REFERRAL");
    assert_eq!(first["message_id"], "11111111-1111-4111-8111-111111111111");
    assert_eq!(first["publisher"], "dept-grid");
    assert_eq!(first["reasons"][0]["pointer"], "/payload/willingness");
    assert_eq!(first["reasons"].as_array().unwrap().len(), 2);
    assert_eq!(first["headers"][header::SENDER], "GRID");
    assert_eq!(
        first["body_bytes"],
        referral_body("11111111-1111-4111-8111-111111111111").len()
    );
    assert!(first["dead_at"].as_str().unwrap().ends_with('Z'));
    assert!(first["replayed_at"].is_null());
    assert!(first.get("body").is_none(), "no body unless --with-body");
    assert_eq!(lines[2]["publisher"], Value::Null);

    let out = hubctl(&[
        "dead-letters",
        "list",
        "--store",
        &path,
        "--json",
        "--with-body",
    ]);
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let body: Value = serde_json::from_str(lines[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["message_id"], "11111111-1111-4111-8111-111111111111");
    assert_eq!(lines[0]["body_utf8"], true);
    assert_eq!(
        lines[2]["body"],
        Value::Null,
        "binary bodies are not printed"
    );
    assert_eq!(lines[2]["body_utf8"], false);
    assert_eq!(lines[2]["body_bytes"], 4);
    store.close().await;
}

#[tokio::test]
async fn show_prints_every_field_reasons_per_line_and_the_body_pretty() {
    let (_dir, store, letters, path) = seeded().await;

    let id = letters.contract.to_string();
    let out = hubctl(&["dead-letters", "show", "--store", &path, &id]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    for expected in [
        format!("dead letter #{id}"),
        "dead.ingress".to_owned(),
        "11111111-1111-4111-8111-111111111111".to_owned(),
        "dept-grid".to_owned(),
        "replayed       no".to_owned(),
        "reasons (2):".to_owned(),
        "\n  /payload/willingness [required]: \"willingness\" is a required property\n".to_owned(),
        "\n  /payload/subjects/0/sex [enum]: not a GB/T 2261.1 code\n".to_owned(),
        "  x-hub-sender: GRID".to_owned(),
        "bytes, JSON):\n{\n  \"message_id\": ".to_owned(),
        "城厢镇".to_owned(),
    ] {
        assert!(
            shown.contains(&expected),
            "{expected:?} missing in:\n{shown}"
        );
    }

    let out = hubctl(&[
        "dead-letters",
        "show",
        "--store",
        &path,
        &letters.delivery.to_string(),
    ]);
    assert!(
        stdout(&out).contains("body (4 bytes, not UTF-8; not shown)"),
        "{}",
        stdout(&out)
    );

    let out = hubctl(&["dead-letters", "show", "--store", &path, &id, "--json"]);
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["id"], letters.contract);
    assert!(value["body"].as_str().unwrap().contains("城厢镇"));

    let out = hubctl(&["dead-letters", "show", "--store", &path, "9999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no dead letter #9999"),
        "{}",
        stderr(&out)
    );
    store.close().await;
}

#[tokio::test]
async fn replay_happens_once_with_its_record_and_outbox_row() {
    let (_dir, store, letters, path) = seeded().await;
    let id = letters.contract.to_string();

    let out = hubctl_with_env(
        &[
            "dead-letters",
            "replay",
            "--store",
            &path,
            &id,
            "--reason",
            "contract fixed upstream",
        ],
        &[("USER", "ops-wang")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let pending = store.pending_outbox(100).await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let row = &pending[0];
    assert!(
        stdout(&out).contains(&format!(
            "replayed #{id} as outbox #{} (GRID → ingress.GRID)",
            row.id
        )),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("the running hub's relay publishes them"));
    assert_eq!(row.address, "ingress.GRID");
    assert_eq!(row.message_id, "11111111-1111-4111-8111-111111111111");
    assert_eq!(row.message_type, "REFERRAL");
    assert_eq!(
        row.body,
        referral_body("11111111-1111-4111-8111-111111111111")
    );
    assert_eq!(
        row.headers.get(header::REPLAY_OF),
        Some(&HeaderValue::Int(letters.contract))
    );
    assert_eq!(
        row.headers.get(header::REPLAYED_BY),
        Some(&text("ops-wang"))
    );
    assert_eq!(
        row.headers.get(header::ORIGINAL_PUBLISHER),
        Some(&text("GRID"))
    );
    let letter = store.dead_letter(letters.contract).await.unwrap().unwrap();
    assert_eq!(letter.replayed_by.as_deref(), Some("ops-wang"));
    assert_eq!(
        letter.replay_reason.as_deref(),
        Some("contract fixed upstream")
    );

    // Replayed letters leave the default list and show up with --all.
    let out = hubctl(&["dead-letters", "list", "--store", &path]);
    assert!(!listed_ids(&stdout(&out)).contains(&letters.contract));
    let out = hubctl(&["dead-letters", "list", "--store", &path, "--all"]);
    let table = stdout(&out);
    assert!(listed_ids(&table).contains(&letters.contract));
    assert!(table.contains("ops-wang 20"), "{table}");

    // A second replay is refused and writes nothing.
    let out = hubctl(&[
        "dead-letters",
        "replay",
        "--store",
        &path,
        &id,
        "--reason",
        "again",
        "--by",
        "ops-li",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already replayed"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("ops-wang"), "{}", stderr(&out));
    assert_eq!(store.pending_outbox(100).await.unwrap().len(), 1);

    // Unknown ids fail; the known ones of the same call are still replayed.
    let out = hubctl(&[
        "dead-letters",
        "replay",
        "--store",
        &path,
        "9999",
        &letters.delivery.to_string(),
        "--reason",
        "station fixed its system",
        "--by",
        "ops-li",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no dead letter #9999"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(&format!("replayed #{} as outbox #", letters.delivery)),
        "{}",
        stdout(&out)
    );
    assert_eq!(store.pending_outbox(100).await.unwrap().len(), 2);
    store.close().await;
}

#[tokio::test]
async fn replay_without_the_publishers_department_fails_and_the_configuration_resolves_it() {
    let (dir, store, letters, path) = seeded().await;
    let id = letters.unauthorized.to_string();

    // With a configuration that has no departments, the broker user `dept-citymgmt` names
    // no department. (Without any file hubctl, like the hub, uses the built-in example
    // configuration, which has every department.)
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.display().to_string();
    let out = hubctl(&[
        "dead-letters",
        "replay",
        "--config",
        &empty,
        "--store",
        &path,
        &id,
        "--reason",
        "authorization fixed",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("has no known sender department"),
        "{}",
        stderr(&out)
    );
    assert!(store.pending_outbox(100).await.unwrap().is_empty());

    // The hub's configuration names both the store and the department of the user.
    let config = dir.path().join("hub.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\npath = {:?}\n\n[departments.CITYMGMT]\nbroker_user = \"dept-citymgmt\"\n",
            path
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let out = hubctl(&[
        "dead-letters",
        "replay",
        "--config",
        &config,
        &id,
        "--reason",
        "authorization fixed",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("(CITYMGMT → ingress.CITYMGMT)"),
        "{}",
        stdout(&out)
    );
    let row = &store.pending_outbox(100).await.unwrap()[0];
    assert_eq!(row.address, "ingress.CITYMGMT");
    assert_eq!(row.headers.get(header::REPLAYED_BY), Some(&text("unknown")));

    // The configuration's store path serves listing too.
    let out = hubctl(&["dead-letters", "list", "--config", &config, "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(listed_ids(&stdout(&out)).len(), 3);
    // So does HUB_STORE__PATH.
    let out = hubctl_with_env(
        &["dead-letters", "list", "--all"],
        &[("HUB_STORE__PATH", &path)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(listed_ids(&stdout(&out)).len(), 3);
    store.close().await;
}

#[test]
fn a_missing_store_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere/hub.sqlite");
    let path = missing.display().to_string();
    for args in [
        vec!["dead-letters", "list", "--store", &path],
        vec!["dead-letters", "show", "--store", &path, "1"],
        vec![
            "dead-letters",
            "replay",
            "--store",
            &path,
            "1",
            "--reason",
            "x",
        ],
    ] {
        let out = hubctl(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("no hub store at"), "{}", stderr(&out));
    }
    assert!(!Path::new(&missing).exists());
    assert!(!dir.path().join("nowhere").exists());
}

#[test]
fn replay_needs_a_reason() {
    let out = hubctl(&["dead-letters", "replay", "--store", "x.sqlite", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--reason"), "{}", stderr(&out));
    let out = hubctl(&["dead-letters", "replay", "--help"]);
    assert!(
        stdout(&out).contains("RUNNING HUB's relay publishes them"),
        "{}",
        stdout(&out)
    );
}
