//! Child processes of the real `hub` binary for fault-injection tests (SIGKILL, restart),
//! and bounded polling. Shared by `faults.rs` (RabbitMQ) and `embedded_faults.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test harness

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;
use tokio::time::Instant;

use crate::repo_root;

/// Interval between polls of a store or an API.
pub const POLL: Duration = Duration::from_millis(50);

/// The `hub` binary of this build's target directory and profile, (re)built first: a binary
/// left by an earlier build may predate the hub's sources, and a build with nothing to do
/// takes about a second.
pub async fn hub_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test binary>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap().to_path_buf();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev".to_owned(),
        other => other.to_owned(),
    };
    let binary = profile_dir.join(format!("hub{}", std::env::consts::EXE_SUFFIX));
    let mut build = Command::new(env!("CARGO"));
    build
        .args([
            "build",
            "-q",
            "-p",
            "hub",
            "--bin",
            "hub",
            "--profile",
            &profile,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(repo_root())
        .kill_on_drop(true);
    let status = tokio::time::timeout(Duration::from_secs(900), build.status())
        .await
        .expect("building the hub binary took more than 15 minutes")
        .unwrap();
    assert!(status.success(), "cargo build -p hub --bin hub failed");
    assert!(
        binary.exists(),
        "{} missing after the build",
        binary.display()
    );
    binary
}
/// Polls `probe` until it returns true; panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if probe().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await; // polling a store or an API, not synchronising tasks
    }
}
