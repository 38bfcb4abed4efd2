//! Golden files of the 数字城管 interface (`tests/golden/citymgmt/`): every native document
//! decodes to its canonical file (which must validate against the contracts) or fails with
//! the text of its `.error` file, and every canonical delivery encodes byte for byte to its
//! native file. `UPDATE_GOLDEN=1` rewrites the expected files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use adapter_citymgmt::CitymgmtCodec;
use adapter_core::{DecodeContext, golden};

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let ctx = DecodeContext::fixed_for_tests("11320585MB19345675", "太仓市数字城管平台");
    let dir = golden::department_dir(env!("CARGO_MANIFEST_DIR"), "citymgmt");
    let trials = golden::trials(Arc::new(CitymgmtCodec), ctx, &dir, "json").unwrap();
    libtest_mimic::run(&args, trials).exit();
}
