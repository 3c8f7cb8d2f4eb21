#!/usr/bin/env bash
# The mobile library's size and speed per release profile: builds libquaver_mobile.so (host
# triple; Android/iOS builds use the same profile per target) with `--profile mobile`
# (opt-level "s", fat LTO, stripped) and `--profile mobile-o3` (the same at opt-level 3), and
# times what a phone does with a local track through the mobile API (examples/mobile_bench.rs).
#
# Usage: benches/mobile_size.sh [FILE]   (default: the first real-music clip of
#        scripts/corpus/clips.py: $QUAVER_CORPUS_CLIPS, else target/corpus/clips)
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-$(ls "${QUAVER_CORPUS_CLIPS:-target/corpus/clips}"/*.flac 2>/dev/null | head -1)}
[ -n "$src" ] || { echo "missing the real-music clips at ${QUAVER_CORPUS_CLIPS:-target/corpus/clips}: run ./scripts/setup.sh (or scripts/corpus/clips.py), or name a FILE"; exit 1; }
printf '%-10s %10s %10s %12s %12s %12s\n' profile "so bytes" "gzip" "analyze ms" "waveform ms" "snippet ms"
for p in ${PROFILES:-mobile mobile-o3}; do
  cargo build --quiet --profile "$p" -p quaver-mobile --lib --example mobile_bench
  so=target/$p/libquaver_mobile.so
  size=$(stat -c %s "$so")
  gz=$(gzip -9 -c "$so" | wc -c)
  read -r _ a _ w _ s < <("target/$p/examples/mobile_bench" "$src" "${RUNS:-5}")
  printf '%-10s %10d %10d %12s %12s %12s\n' "$p" "$size" "$gz" "$a" "$w" "$s"
done
echo "source: $src"
