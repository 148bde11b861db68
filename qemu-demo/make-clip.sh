#!/usr/bin/env bash
# Regenerates clip.mjpeg, the clip the firmware streams from flash: raw
# concatenated baseline JPEG (ffmpeg's -f mjpeg), 320x240, 4:2:0 (yuvj420p,
# RFC 2435 type 1), standard Huffman tables (-huffman default: RFC 2435 can
# only carry those), 10 frames/s. Duration and quality are chosen so clip and
# code fit the LM3S6965's 256 KiB of flash; the frame rate is read from
# CLIP_FPS in src/clip.rs, keep both in step.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_=${1:-3.1}
Q=${2:-19}
ffmpeg -v error -y -f lavfi -i "testsrc=size=320x240:rate=10" -t "$SECONDS_" \
  -pix_fmt yuvj420p -c:v mjpeg -huffman default -q:v "$Q" -f mjpeg clip.mjpeg
echo "clip.mjpeg: $(stat -c %s clip.mjpeg) bytes"
