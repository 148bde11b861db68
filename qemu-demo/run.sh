#!/usr/bin/env bash
# Cargo runner (.cargo/config.toml): boots the firmware ELF ($1) on QEMU's
# lm3s6965evb with its Stellaris Ethernet MAC on user networking (slirp),
# forwards 127.0.0.1:$QEMU_DEMO_PORT (default 5554) to the guest's RTSP port
# 554, and decodes the defmt log (semihosting, on QEMU's stdout) with
# defmt-print. QEMU_DEMO_ARGS (e.g. "timeout=5 pace=fast", see src/config.rs)
# reaches the firmware as its semihosting command line.
#
# `exec` makes this process QEMU itself: its PID is QEMU's (stop it by PID)
# and its exit status is the firmware's (semihosting exit: 0 ok, 1 panic or
# fault). defmt-print reads QEMU's stdout through a process substitution and
# ends when QEMU does.
set -euo pipefail
ELF=${1:?usage: run.sh FIRMWARE.elf}
PORT=${QEMU_DEMO_PORT:-5554}
for tool in qemu-system-arm defmt-print; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (the README test command installs it)" >&2; exit 2; }
done
SEMIHOSTING="enable=on,target=native,arg=qemu-demo"
for a in ${QEMU_DEMO_ARGS:-}; do SEMIHOSTING+=",arg=$a"; done
echo "qemu-demo: rtsp://127.0.0.1:${PORT}/movie.Mjpeg"
exec qemu-system-arm -M lm3s6965evb -nographic \
  -semihosting-config "$SEMIHOSTING" \
  -nic "user,model=stellaris,hostfwd=tcp:127.0.0.1:${PORT}-:554" \
  -kernel "$ELF" \
  > >(exec defmt-print -e "$ELF")
