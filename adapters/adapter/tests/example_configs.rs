//! Every example configuration under `adapters/adapter/config/` loads, validates and
//! assembles into the adapter of the department it names; a broken one is refused with the
//! field named.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use adapter::config::AdapterConfig;
use adapter::departments::{Listener, assemble};
use contracts::model::Actor;

#[test]
fn every_example_configuration_assembles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut seen = Vec::new();
    for (file, department) in [
        ("police.example.toml", Actor::Police),
        ("health.example.toml", Actor::Health),
        ("citymgmt.example.toml", Actor::Citymgmt),
        ("grid.example.toml", Actor::Grid),
        ("station.example.toml", Actor::Station),
    ] {
        let config = AdapterConfig::load(&dir.join(file)).unwrap();
        assert_eq!(config.department.department(), department, "{file}");
        let assembled = assemble(&config.department).unwrap();
        let mllp = matches!(assembled.listener, Listener::Mllp { .. });
        assert_eq!(mllp, department == Actor::Health, "{file}");
        // Identity views are reported where IDENTITY_UPDATE is received.
        let receives_identity_updates =
            matches!(department, Actor::Police | Actor::Health | Actor::Station);
        assert_eq!(
            config.runtime.identity_digest_interval().is_some(),
            receives_identity_updates,
            "{file}"
        );
        seen.push(department);
    }
    assert_eq!(seen.len(), 5);
}

#[test]
fn a_bad_field_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/grid.example.toml"),
    )
    .unwrap()
    .replace("127.0.0.1:9084", "not-an-address");
    std::fs::write(&path, text).unwrap();
    let error = AdapterConfig::load(&path).unwrap_err().to_string();
    assert!(error.contains("listen_address"), "{error}");

    std::fs::write(&path, "[department]\ndepartment = \"PIGEON\"\n").unwrap();
    let error = AdapterConfig::load(&path).unwrap_err().to_string();
    assert!(
        error.contains("PIGEON") || error.contains("variant"),
        "{error}"
    );
}
