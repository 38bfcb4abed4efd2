//! Runs every fixture under `contracts/fixtures/` as its own test case.
//!
//! Layout: `fixtures/<MESSAGE_TYPE>/v<N>/valid/<name>.json` must validate, carry
//! `message_type` MESSAGE_TYPE and major version N, and its payload must deserialize into the
//! Rust model type and serialize back to the same JSON. `.../invalid/<name>.json` must fail,
//! and every pointer listed in `<name>.expect` (one per line, `#` comments allowed) must be
//! among the reported violations. Test names are `<TYPE>/v<N>/<valid|invalid>/<name>`, so
//! `cargo test -p contracts --test fixtures -- REFERRAL` runs one type.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use contracts::model::Payload;
use contracts::{MessageType, Registry};
use libtest_mimic::{Arguments, Failed, Trial};

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

fn check_valid(
    registry: &Registry,
    path: &Path,
    message_type: &str,
    major: u32,
) -> Result<(), Failed> {
    let raw = fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let validated = registry
        .validate_message(&raw)
        .map_err(|report| format!("expected valid, got:\n{report}"))?;
    if validated.message_type.as_str() != message_type || validated.major != major {
        return Err(format!(
            "fixture sits under {message_type}/v{major} but declares {} v{}",
            validated.message_type, validated.major
        )
        .into());
    }
    let payload = validated.value["payload"].clone();
    let decoded = Payload::decode(validated.message_type, major, payload.clone())
        .map_err(|e| format!("payload does not fit the Rust type: {e}"))?;
    let encoded = decoded
        .encode()
        .map_err(|e| format!("cannot encode back: {e}"))?;
    if encoded != payload {
        return Err(format!(
            "Rust round trip changed the payload.\n  before: {payload}\n  after:  {encoded}"
        )
        .into());
    }
    let envelope: contracts::model::Envelope = serde_json::from_value(validated.value.clone())
        .map_err(|e| format!("envelope does not fit the Rust type: {e}"))?;
    if serde_json::to_value(&envelope).map_err(|e| e.to_string())? != validated.value {
        return Err("Rust round trip changed the envelope".into());
    }
    Ok(())
}

fn check_invalid(registry: &Registry, path: &Path) -> Result<(), Failed> {
    let raw = fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let expect_path = path.with_extension("expect");
    let expected: Vec<String> = fs::read_to_string(&expect_path)
        .map_err(|e| format!("missing {}: {e}", expect_path.display()))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if expected.is_empty() {
        return Err(format!("{} lists no pointer", expect_path.display()).into());
    }
    let report = match registry.validate_message(&raw) {
        Ok(_) => return Err("expected invalid, but it validated".into()),
        Err(report) => report,
    };
    for pointer in &expected {
        if !report.pointers().any(|p| p == pointer) {
            return Err(format!("expected a violation at `{pointer}`, got:\n{report}").into());
        }
    }
    for v in &report.violations {
        if v.message.trim().is_empty() || v.message == "invalid" {
            return Err(format!("violation at {} has no explanation", v.pointer).into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let registry = Arc::new(Registry::embedded().expect("the embedded catalogue compiles"));
    let mut trials = Vec::new();
    let root = fixture_root();
    let mut types: Vec<PathBuf> = fs::read_dir(&root)
        .expect("contracts/fixtures exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    types.sort();
    for type_dir in types {
        let type_name = type_dir.file_name().unwrap().to_string_lossy().into_owned();
        if type_name.parse::<MessageType>().is_err() && type_name != "ENVELOPE" {
            continue; // e.g. `catalogues/`: test catalogues for hubctl, not messages
        }
        let mut versions: Vec<PathBuf> = fs::read_dir(&type_dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        versions.sort();
        for version_dir in versions {
            let version_name = version_dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let major: u32 = version_name.trim_start_matches('v').parse().unwrap_or(0);
            for kind in ["valid", "invalid"] {
                for file in json_files(&version_dir.join(kind)) {
                    let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
                    let name = format!("{type_name}/{version_name}/{kind}/{stem}");
                    let registry = Arc::clone(&registry);
                    let type_name = type_name.clone();
                    trials.push(Trial::test(name, move || {
                        if kind == "valid" {
                            check_valid(&registry, &file, &type_name, major)
                        } else {
                            check_invalid(&registry, &file)
                        }
                    }));
                }
            }
        }
    }
    assert!(
        !trials.is_empty(),
        "no fixtures found under {}",
        root.display()
    );
    libtest_mimic::run(&args, trials).exit();
}
