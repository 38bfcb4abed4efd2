//! Golden files of the HEALTH adapter: `tests/golden/health/{decode,encode}/`, HL7 `.hl7`
//! files with segments separated by CR as on the wire (see `adapter_core::golden`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use adapter_core::{DecodeContext, golden};
use adapter_health::HealthCodec;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let dir = golden::department_dir(env!("CARGO_MANIFEST_DIR"), "health");
    let ctx = DecodeContext::fixed_for_tests("123205854668903451", "太仓市第一人民医院HIS");
    let trials = golden::trials(Arc::new(HealthCodec::default()), ctx, &dir, "hl7")
        .expect("golden folder readable");
    libtest_mimic::run(&args, trials).exit();
}
