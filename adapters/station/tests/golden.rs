//! Golden files of the STATION codec: `tests/golden/station/{decode,encode}/` (native
//! documents `<name>.json`, canonical messages `<name>.canonical.json`, decode errors
//! `<name>.error`); see `adapter_core::golden`. `UPDATE_GOLDEN=1` rewrites expected files.

use std::sync::Arc;

use adapter_core::{DecodeContext, golden};
use adapter_station::StationCodec;

fn main() -> std::process::ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let ctx = DecodeContext::fixed_for_tests("12320585466880789G", "太仓市救助管理站信息系统");
    let dir = golden::department_dir(env!("CARGO_MANIFEST_DIR"), "station");
    match golden::trials(Arc::new(StationCodec::new()), ctx, &dir, "json") {
        Ok(trials) => libtest_mimic::run(&args, trials).exit_code(),
        Err(error) => {
            eprintln!("cannot list the golden files in {}: {error}", dir.display());
            std::process::ExitCode::FAILURE
        }
    }
}
