//! Drives the real `hubctl rabbitmq …`: the committed definitions are fresh, and `setup`
//! prepares a broker (users with least privileges, topology declared as the hub user),
//! idempotently.
//!
//! The `setup` test uses its own vhost and user names on the shared broker and removes them
//! at the end. When the broker is unreachable it prints a `SKIP` line, unless `CI=true`,
//! where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hub::transport::amqp::ManagementClient;

const MANAGEMENT: &str = "http://127.0.0.1:15672";

fn hubctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hubctl"))
        .args(args)
        .output()
        .expect("hubctl runs")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn committed_definitions_are_fresh() {
    let out = hubctl(&["rabbitmq", "definitions", "--vhost", "/"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read_to_string(repo().join("ops/rabbitmq/definitions.json")).unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "ops/rabbitmq/definitions.json is stale: run \
         `hubctl rabbitmq definitions --vhost / --out ops/rabbitmq/definitions.json`"
    );
}

#[test]
fn the_example_users_file_is_accepted() {
    let file = repo().join("ops/rabbitmq/users.example.toml");
    let out = hubctl(&["rabbitmq", "definitions", "--users", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let definitions: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let users = definitions["users"].as_array().unwrap();
    assert_eq!(users.len(), 8);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("change-me"),
        "no password in the definitions"
    );
}

#[test]
fn a_users_file_without_a_hub_user_is_refused() {
    let file = scratch_file("no-hub.toml");
    std::fs::write(
        &file,
        "[[user]]\ndepartment = \"GRID\"\nusername = \"g\"\npassword = \"p\"\n",
    )
    .unwrap();
    let out = hubctl(&["rabbitmq", "definitions", "--users", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HUB"));
    std::fs::remove_file(file).unwrap();
}

/// A name no other run uses: process id and clock.
fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

fn scratch_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("hubctl-{}-{name}", unique()))
}

/// Deletes the vhost and users of the setup test, even when it fails.
struct Cleanup {
    vhost: String,
    users: Vec<String>,
    file: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let admin = ManagementClient::new(MANAGEMENT, "guest", "guest").unwrap();
            if let Err(error) = admin.delete_vhost(&self.vhost).await {
                eprintln!("cleanup: {error}");
            }
            for user in &self.users {
                if let Err(error) = admin.delete_user(user).await {
                    eprintln!("cleanup: {error}");
                }
            }
        });
        if std::fs::remove_file(&self.file).is_err() {
            eprintln!("cleanup: {} was not created", self.file.display());
        }
    }
}

#[test]
fn setup_creates_least_privilege_users_and_the_topology_idempotently() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let admin = ManagementClient::new(MANAGEMENT, "guest", "guest").unwrap();
    let reachable = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), admin.overview()).await });
    if !matches!(reachable, Ok(Ok(_))) {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true and the RabbitMQ management API is unreachable: {reachable:?}");
        }
        eprintln!("SKIP setup test: RabbitMQ management API unreachable at {MANAGEMENT}");
        return;
    }

    let vhost = format!("hubctl-test-{}", unique());
    let (hub_user, grid_user) = (format!("{vhost}-hub"), format!("{vhost}-grid"));
    let cleanup = Cleanup {
        vhost: vhost.clone(),
        users: vec![hub_user.clone(), grid_user.clone()],
        file: scratch_file("users.toml"),
    };
    let users = format!(
        "[[user]]\ndepartment = \"HUB\"\nusername = \"{hub_user}\"\npassword = \"hub-pw\"\n\n\
         [[user]]\ndepartment = \"GRID\"\nusername = \"{grid_user}\"\npassword = \"grid-pw\"\n"
    );
    std::fs::write(&cleanup.file, users).unwrap();
    let args = [
        "rabbitmq",
        "setup",
        "--management-url",
        MANAGEMENT,
        "--vhost",
        &vhost,
        "--users",
        cleanup.file.to_str().unwrap(),
    ];

    let first = hubctl(&args);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout.contains(&format!("user {grid_user} (GRID): created")),
        "{stdout}"
    );
    assert!(stdout.contains("topology: declared"), "{stdout}");

    let second = hubctl(&args);
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(
        stdout.contains(&format!("user {grid_user} (GRID): updated")),
        "{stdout}"
    );

    runtime.block_on(async {
        for queue in [
            "ingress.GRID",
            "deliver.STATION",
            "dead.ingress",
            "retry.deliver.GRID.5000ms",
        ] {
            admin.queue_depth(&vhost, queue).await.unwrap();
        }
        assert!(admin.user_exists(&grid_user).await.unwrap());
    });
    drop(cleanup);
}
