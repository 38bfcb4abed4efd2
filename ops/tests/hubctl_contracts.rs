//! Drives the real `hubctl` binary: validation output and exit codes, and the catalogue
//! compatibility check on the real catalogue and on a test catalogue with an uncovered break.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn fixture(rel: &str) -> String {
    repo()
        .join("contracts/fixtures")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn validate_reports_every_independent_fault_and_fails() {
    let file = fixture("ENVELOPE/v1/invalid/three_independent_faults.json");
    let out = hubctl(&["contracts", "validate", &file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for pointer in [
        "/sent_at",
        "/payload/person/id_number",
        "/payload/arrived_at",
    ] {
        assert!(
            stdout.contains(&format!("  {pointer}: ")),
            "missing {pointer} in:\n{stdout}"
        );
    }
    assert!(stdout.contains("INVALID, 3 violations"), "{stdout}");
}

#[test]
fn validate_prints_ok_for_a_valid_message() {
    let file = fixture("POLICE_ESCORT_HANDOVER/v1/valid/typical.json");
    let out = hubctl(&["contracts", "validate", &file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(": OK (POLICE_ESCORT_HANDOVER v1)"),
        "{stdout}"
    );
}

#[test]
fn validate_fails_if_any_file_is_invalid() {
    let good = fixture("POLICE_ESCORT_HANDOVER/v1/valid/typical.json");
    let bad = fixture("ENVELOPE/v1/invalid/three_independent_faults.json");
    let out = hubctl(&["contracts", "validate", &good, &bad]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("OK") && stdout.contains("INVALID"),
        "{stdout}"
    );
}

#[test]
fn validate_json_output_is_machine_readable() {
    let bad = fixture("ENVELOPE/v1/invalid/three_independent_faults.json");
    let out = hubctl(&["contracts", "validate", "--json", &bad]);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["valid"], false);
    assert_eq!(line["report"]["violations"].as_array().unwrap().len(), 3);
}

#[test]
fn check_passes_on_the_catalogue() {
    let out = hubctl(&["contracts", "check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("REFERRAL v1 -> v2"), "{stdout}");
}

#[test]
fn check_fails_on_an_uncovered_breaking_change() {
    let dir = fixture("catalogues/uncovered-break");
    let out = hubctl(&["contracts", "check", "--schemas", &dir]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("NOT covered"), "{stdout}");
}

#[test]
fn check_passes_on_a_compatible_test_catalogue() {
    let dir = fixture("catalogues/annotation-only-change");
    let out = hubctl(&["contracts", "check", "--schemas", &dir]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn list_shows_every_type() {
    let out = hubctl(&["contracts", "list"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("REFERRAL") && stdout.contains("v1,v2"),
        "{stdout}"
    );
    assert!(stdout.contains("HUB_REJECTED"), "{stdout}");
    assert_eq!(
        stdout.lines().count(),
        1 + contracts::MessageType::ALL.len(),
        "{stdout}"
    );
}

#[test]
fn fields_lists_annotations_of_a_contract() {
    let out = hubctl(&["contracts", "fields", "POLICE_ESCORT_HANDOVER"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("/health_at_handover/notes "))
        .expect("notes listed");
    assert!(
        line.contains("health") && line.contains("SENSITIVE"),
        "{line}"
    );
    let unknown = hubctl(&["contracts", "fields", "NO_SUCH_TYPE"]);
    assert_eq!(unknown.status.code(), Some(2));
}
