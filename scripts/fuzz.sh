#!/usr/bin/env bash
# Runs every libFuzzer target of build-fuzz/ for SECONDS each (default: FUZZ_SECONDS or 60) and
# prints its executions and crashes; exits non-zero when a target crashed. Build first with
# `make fuzz-build`. The seed corpus (tests/fuzz/corpus/NAME) is copied, never written to.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
dir=build-fuzz
targets=(template csv form multipart json time mime bounce tracking)
status=0
for t in "${targets[@]}"; do
  bin=$dir/fuzz_$t
  if [[ ! -x $bin ]]; then
    echo "fuzz: $bin is missing; run 'make fuzz-build'" >&2
    exit 2
  fi
  work=$dir/corpus-work/$t
  mkdir -p "$work" "$dir/crashes/$t"
  cp -n tests/fuzz/corpus/$t/* "$work"/ 2>/dev/null || true
  log=$dir/fuzz_$t.log
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$bin" -max_total_time="$seconds" -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/crashes/$t/" \
    "$work" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "$dir/crashes/$t" -type f | wc -l)
  echo "fuzz_$t: ${execs:-0} execs in ${seconds}s, $crashes crash file(s), exit $rc"
  if [[ $rc -ne 0 ]]; then
    status=1
    tail -40 "$log"
  fi
done
exit $status
