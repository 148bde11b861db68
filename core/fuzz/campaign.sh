#!/usr/bin/env bash
# The longer fuzz campaign (README "Fuzzing"): every target of core/fuzz for
# SECONDS (default 600), JOBS targets at a time (default: one per CPU), each
# from its seed corpus. CI runs 20 s of each in tests/run.sh; run this before
# a release or after changing a parser. Ends with one line per target and
# exits non-zero if any target found a crash (its input is in
# core/fuzz/artifacts/TARGET/).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
JOBS=${2:-$(nproc)}
LOGS=$(mktemp -d)
targets=$(ls fuzz/fuzz_targets | sed 's/\.rs$//')
cargo +nightly fuzz build >/dev/null 2>&1 || { echo "cargo +nightly fuzz build failed"; exit 1; }
run() {
  local t=$1
  if cargo +nightly fuzz run "$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
      >"$LOGS/$t.log" 2>&1; then
    echo "clean  $t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$LOGS/$t.log" | tail -1)"
  else
    echo "CRASH  $t: see $LOGS/$t.log"; tail -30 "$LOGS/$t.log"; return 1
  fi
}
export -f run; export LOGS SECONDS_EACH
printf '%s\n' $targets | xargs -P "$JOBS" -I{} bash -c 'run {}'
