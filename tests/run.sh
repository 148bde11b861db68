#!/usr/bin/env bash
# The one command that runs every test (README: "Run all the tests").
# It installs what the tests need when missing, then runs, in order:
#   format and lint, the core's no_std build for thumbv7m-none-eabi, the unit,
#   property and end-to-end tests (real ffmpeg, GStreamer, tshark, Xvfb, QEMU),
#   the firmware build, and a short smoke run of every fuzz target.
# It ends with one summary line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

log() { printf '\n==> %s\n' "$*"; }

# ---------------------------------------------------------------- installs
APT_PACKAGES=(ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi tshark tcpdump qemu-system-arm
  xvfb x11-apps imagemagick libjpeg-turbo-progs tmux iproute2 chromium python3-prometheus-client
  curl)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null || { echo "apt-get install failed"; exit 1; }
fi
rustup target list --installed | grep -q thumbv7m-none-eabi || rustup target add thumbv7m-none-eabi
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
command -v defmt-print >/dev/null || cargo install --locked defmt-print
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest

# ---------------------------------------------------------------- steps
declare -a NAMES=() RESULTS=()
step() { # step NAME CMD...
  local name=$1; shift
  log "$name"
  if "$@"; then RESULTS+=(pass); else RESULTS+=(FAIL); fi
  NAMES+=("$name")
}

step "rustfmt" cargo fmt --all -- --check
step "clippy (-D warnings)" cargo clippy --workspace --all-targets -- -D warnings
step "core builds no_std for thumbv7m-none-eabi" cargo build -p rtsp-core --target thumbv7m-none-eabi
step "core builds with defmt for thumbv7m-none-eabi" cargo build -p rtsp-core --features defmt --target thumbv7m-none-eabi
step "build binaries" cargo build --workspace --bins
step "unit, property and end-to-end tests" cargo nextest run --workspace --no-fail-fast --retries 0
if [ -f qemu-demo/Cargo.toml ]; then
  step "qemu-demo firmware builds" bash -c 'cd qemu-demo && cargo build --release'
fi
for t in $(ls core/fuzz/fuzz_targets | sed 's/\.rs$//'); do
  step "fuzz $t (${FUZZ_SECONDS}s)" bash -c "cd core && cargo +nightly fuzz run $t -- -max_total_time=$FUZZ_SECONDS -rss_limit_mb=2048 >/tmp/fuzz-$t.log 2>&1 || { tail -40 /tmp/fuzz-$t.log; exit 1; }"
done

# ---------------------------------------------------------------- summary
pass=0; fail=0
log "summary"
for i in "${!NAMES[@]}"; do
  printf '  %-4s %s\n' "${RESULTS[$i]}" "${NAMES[$i]}"
  [ "${RESULTS[$i]}" = pass ] && pass=$((pass+1)) || fail=$((fail+1))
done
echo "steps: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
