#!/usr/bin/env bash
# Loudness speed, side by side in one run: `quaver analyze` vs `ffmpeg -af ebur128=peak=true`
# on the same file, decode included on both sides (best of 3 wall-clock runs each).
#   bash benches/compare_loudness.sh [FILE]
# Without FILE: a 5-minute 16-bit 44.1 kHz stereo FLAC looped from tests/data/master.wav.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin quaver
Q=target/release/quaver
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
file=${1:-}
if [ -z "$file" ]; then
  file=$tmp/five_minutes.flac
  ffmpeg -nostdin -v error -stream_loop 74 -i tests/data/master.wav -c:a flac "$file"
fi
best() { # best wall time in seconds of "$@" over 3 runs
  local b=""
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    b=$(python3 -c "t=$t1-$t0; b='$b'; print(t if not b or t<float(b) else b)")
  done
  echo "$b"
}
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$file")
tq=$(best "$Q" analyze "$file")
tq1=$(best env QUAVER_NUM_THREADS=1 "$Q" analyze "$file")
tf=$(best ffmpeg -nostdin -nostats -i "$file" -af ebur128=peak=true -f null -)
python3 - "$file" "$dur" "$tq" "$tq1" "$tf" <<'PY'
import sys
f, dur, tq, tq1, tf = sys.argv[1], *map(float, sys.argv[2:])
print(f"file: {f} ({dur:.1f} s)")
print(f"quaver analyze (all threads)   {tq:7.3f} s  {dur/tq:7.0f}x realtime")
print(f"quaver analyze (1 thread)      {tq1:7.3f} s  {dur/tq1:7.0f}x realtime")
print(f"ffmpeg -af ebur128=peak=true   {tf:7.3f} s  {dur/tf:7.0f}x realtime")
print(f"ratio ffmpeg/quaver: {tf/tq:.2f}x (1 thread: {tf/tq1:.2f}x)")
PY
