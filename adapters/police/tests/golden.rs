//! Golden files of the POLICE adapter (`tests/golden/police/`): every native document in
//! `decode/` decodes to its `.canonical.json` (which must validate against the contracts) or
//! fails with its `.error`; every canonical message in `encode/` encodes to its `.xml` byte
//! for byte. `gb18030/encode/` holds the same check for a codec configured to write GB18030.
//! `UPDATE_GOLDEN=1` rewrites the expected files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use adapter_core::{DecodeContext, golden};
use adapter_police::{OutputEncoding, PoliceCodec};

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let dir = golden::department_dir(env!("CARGO_MANIFEST_DIR"), "police");
    let ctx = DecodeContext::fixed_for_tests("113205850141601233", "太仓市公安局警务综合平台");
    let mut trials = golden::trials(Arc::new(PoliceCodec::default()), ctx.clone(), &dir, "xml")
        .expect("golden folder readable");
    let gb18030 = PoliceCodec::with_output_encoding(OutputEncoding::Gb18030);
    trials.extend(
        golden::trials(Arc::new(gb18030), ctx, &dir.join("gb18030"), "xml")
            .expect("golden gb18030 folder readable")
            .into_iter()
            .map(|t| t.with_kind("gb18030")),
    );
    assert!(
        trials.len() >= 40,
        "expected the police golden files, found {} cases",
        trials.len()
    );
    libtest_mimic::run(&args, trials).exit();
}
