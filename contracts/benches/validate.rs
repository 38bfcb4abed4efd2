//! Validation throughput of a typical ~2 KiB POLICE_ESCORT_HANDOVER on one core.
//!
//! Three figures from the same run, so the validation cost can be read as a ratio against
//! its own baseline on whatever machine runs it:
//! * `parse_only` — serde_json parsing of the bytes (the floor any validator pays);
//! * `validate_message` — what the hub does per ingress message: parse, envelope schema,
//!   payload schema, cross-field rules;
//! * `validate_value` — the same on an already parsed value.
//!
//! Run: `cargo bench -p contracts --bench validate`. Target: ≥ 50,000 validations/s.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::Path;

use contracts::Registry;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn typical_handover() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/POLICE_ESCORT_HANDOVER/v1/valid/typical.json");
    std::fs::read(path).expect("the typical handover fixture exists")
}

fn bench_validation(c: &mut Criterion) {
    let registry = Registry::embedded().unwrap();
    let raw = typical_handover();
    registry
        .validate_message(&raw)
        .expect("the benchmark input is valid");
    let value: serde_json::Value = serde_json::from_slice(&raw).unwrap();

    let mut group = c.benchmark_group(format!("police_escort_handover_{}B", raw.len()));
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_only", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&raw)).unwrap()))
    });
    group.bench_function("validate_message", |b| {
        b.iter(|| black_box(registry.validate_message(black_box(&raw)).is_ok()))
    });
    group.bench_function("validate_value", |b| {
        b.iter(|| black_box(registry.validate_value(black_box(value.clone())).is_ok()))
    });
    group.finish();
}

criterion_group!(benches, bench_validation);
criterion_main!(benches);
