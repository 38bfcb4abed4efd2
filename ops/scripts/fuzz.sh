#!/usr/bin/env bash
# Runs the cargo-fuzz targets of the department decoders (adapters/fuzz) for a fixed time
# each and prints one summary line per target. Exits non-zero when any target crashes (a
# panic, an ASan report, a timeout or an out-of-memory) or fails to build.
#
#   ops/scripts/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=600 ops/scripts/fuzz.sh police_decode health_decode
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#
# Nothing it writes lands in the repository: the committed seed corpus
# (adapters/fuzz/corpus/<target>/) is copied to a scratch corpus under FUZZ_WORK_DIR, which is
# the one libFuzzer grows; crash inputs and logs go there too; the build goes to its own
# CARGO_TARGET_DIR so it never invalidates the main build (fuzz builds use other RUSTFLAGS).
# cargo-fuzz itself still creates the empty adapters/fuzz/artifacts/<target>/ (git-ignored).
#
# Environment:
#   FUZZ_SECONDS      time per target, seconds (default 60)
#   FUZZ_TIMEOUT      one input taking longer than this many seconds is a crash (default 10)
#   FUZZ_WORK_DIR     scratch dir: corpus/<target>, artifacts/<target>, logs (default
#                     /tmp/rescue-hub-fuzz)
#   FUZZ_KEEP_CORPUS  1 = keep the scratch corpus of an earlier run and add the seeds to it;
#                     default: start each target from the committed seeds only
#   FUZZ_NICE         niceness of the build and of the fuzzer (default 10; the CI box has 2 cores)
#   FUZZ_TOOLCHAIN    rustup toolchain (default nightly)
#   FUZZ_ARGS         extra libFuzzer flags, space-separated (e.g. "-dict=x.dict -max_len=8192")
#   CARGO_TARGET_DIR  default /root/.cache/rescue-hub/fuzz-target
#
# To reproduce or minimise a crash it reports:
#   cargo +nightly fuzz run  --fuzz-dir adapters/fuzz --target-dir "$CARGO_TARGET_DIR" <target> <crash-file>
#   cargo +nightly fuzz tmin --fuzz-dir adapters/fuzz --target-dir "$CARGO_TARGET_DIR" <target> <crash-file>
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 2

fuzz_dir=adapters/fuzz
seconds="${FUZZ_SECONDS:-60}"
timeout_s="${FUZZ_TIMEOUT:-10}"
work="${FUZZ_WORK_DIR:-/tmp/rescue-hub-fuzz}"
niceness="${FUZZ_NICE:-10}"
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/rescue-hub/fuzz-target}"

all_targets=(police_decode health_decode citymgmt_decode grid_decode station_decode)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

for target in "${targets[@]}"; do
  if [ ! -f "$fuzz_dir/fuzz_targets/$target.rs" ]; then
    echo "unknown fuzz target: $target (known: ${all_targets[*]})" >&2
    exit 2
  fi
done

if ! cargo "+$toolchain" fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz with the $toolchain toolchain is required: cargo install cargo-fuzz" >&2
  exit 2
fi

mkdir -p "$work/logs" || exit 2

# One build of every requested target first, so that a compile error is reported as such
# and the timed runs measure fuzzing only.
echo "building ${targets[*]} (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
for target in "${targets[@]}"; do
  if ! nice -n "$niceness" cargo "+$toolchain" fuzz build --fuzz-dir "$fuzz_dir" \
      --target-dir "$CARGO_TARGET_DIR" "$target"; then
    echo "fuzz build of $target failed" >&2
    exit 2
  fi
done

failed=0
summaries=()
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  artifacts="$work/artifacts/$target"
  log="$work/logs/$target.log"
  if [ "${FUZZ_KEEP_CORPUS:-0}" != 1 ]; then rm -rf "$corpus"; fi
  mkdir -p "$corpus" "$artifacts"
  cp -n "$fuzz_dir/corpus/$target/"* "$corpus/" 2>/dev/null || true
  seeds=$(find "$fuzz_dir/corpus/$target" -maxdepth 1 -type f | wc -l)
  # libFuzzer's default -max_len is 4096 and it truncates longer seeds: never below the
  # largest seed.
  largest=$(find "$fuzz_dir/corpus/$target" -maxdepth 1 -type f -printf '%s\n' | sort -n | tail -n 1)
  max_len=$(( ${largest:-0} > 4096 ? ${largest:-0} : 4096 ))

  echo "== $target: ${seconds}s, corpus $corpus ($seeds seeds), log $log"
  # The later -artifact_prefix wins over the one cargo-fuzz passes (adapters/fuzz/artifacts).
  nice -n "$niceness" cargo "+$toolchain" fuzz run --fuzz-dir "$fuzz_dir" \
    --target-dir "$CARGO_TARGET_DIR" "$target" "$corpus" -- \
    -max_total_time="$seconds" -timeout="$timeout_s" -max_len="$max_len" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1
  status=$?
  # cargo-fuzz creates adapters/fuzz/artifacts/<target>/ even though nothing is written there.
  rmdir "$fuzz_dir/artifacts/$target" "$fuzz_dir/artifacts" 2>/dev/null

  # libFuzzer's last status line, e.g. "#123456 DONE cov: 1234 ft: 5678 corp: 321/45Kb ...".
  last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED|RELOAD)' "$log" | tail -n 1)
  runs=$(grep -oE '^stat::number_of_executed_units:[[:space:]]*[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
  [ -n "$runs" ] || runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<<"$last")
  files=$(find "$corpus" -maxdepth 1 -type f | wc -l)

  if [ "$status" -eq 0 ]; then
    verdict="ok"
  else
    failed=1
    crash=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
    kind=$(grep -oE 'ERROR: (libFuzzer|AddressSanitizer): [a-z-]+' "$log" | head -n 1)
    panic=$(grep -m1 -A1 -E "panicked at" "$log" | tr '\n' ' ')
    verdict="CRASH (exit $status) ${kind:-} ${crash:+input $crash}${panic:+ | $panic}"
  fi
  line=$(printf '%-16s runs=%-10s cov=%-6s ft=%-6s corpus=%s (%s files, %s seeds) %s' \
    "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$files" "$seeds" "$verdict")
  echo "$line"
  summaries+=("$line")
done

echo
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summaries[@]}"
if [ "$failed" -ne 0 ]; then
  echo "at least one target crashed; inputs and logs are under $work" >&2
  exit 1
fi
