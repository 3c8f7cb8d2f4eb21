#!/usr/bin/env bash
# Runs every cargo-fuzz target for N seconds each (default 60), seeded from the test data.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in
# fuzz/artifacts/<target>/; each one fixed becomes a unit test (core/tests/hostile.rs etc.).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode package index_load options_json)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export OPUS_NO_PKG=1
# Seed corpora: every fixture (decode), a few option documents (options_json).
mkdir -p fuzz/corpus/decode fuzz/corpus/options_json fuzz/corpus/index_load fuzz/corpus/package
i=0
for f in tests/data/*.* ; do
  case "$f" in *.md) continue;; esac
  # The first byte picks the extension hint; prefix each seed with each hint's index.
  for h in 0 1 2 3 4 5 6 7 8 9; do
    out=fuzz/corpus/decode/seed-$i-$h
    [ -e "$out" ] || { printf "\\x$(printf %02x $h)" > "$out"; head -c 65536 "$f" >> "$out"; }
  done
  i=$((i+1))
done
echo '{"ladder":{"renditions":[{"codec":"opus","bitrate_kbps":96}],"segment_seconds":4},"downloads":[{"file":"a.mp3","options":{"bitrate_kbps":320}}]}' > fuzz/corpus/options_json/ingest.json
echo '{"loudness":{"target_lufs":-16},"waveform":{"samples_per_pixel":256,"bits":8}}' > fuzz/corpus/options_json/analysis.json
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${secs}s"
  cargo +nightly fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -max_len=262144 2>&1 | tail -5
done
