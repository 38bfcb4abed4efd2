//! Golden files of the grid platform interface (`tests/golden/grid/`): every native document
//! decodes to its canonical file (which must validate against the contracts) or fails with
//! the text of its `.error` file, and every canonical delivery encodes byte for byte to its
//! native file. `UPDATE_GOLDEN=1` rewrites the expected files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use adapter_core::{DecodeContext, golden};
use adapter_grid::GridCodec;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let ctx = DecodeContext::fixed_for_tests("12320585MB1A23456U", "太仓市网格化联动指挥平台");
    let dir = golden::department_dir(env!("CARGO_MANIFEST_DIR"), "grid");
    let trials = golden::trials(Arc::new(GridCodec::default()), ctx, &dir, "json").unwrap();
    libtest_mimic::run(&args, trials).exit();
}
