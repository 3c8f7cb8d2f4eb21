#!/usr/bin/env bash
# Times quaver's encoders against the reference command-line tools at the same settings, in
# one run on the same machine, decode included on both sides:
#   MP3 320 CBR : quaver encode -b 320        vs  flac -dc SRC | lame -b 320 -
#   MP3 V2      : quaver encode -V 2          vs  flac -dc SRC | lame -V 2 -
#   Opus 160    : quaver encode -b 160        vs  opusenc --bitrate 160 SRC   (opusenc decodes FLAC itself)
#   FLAC -5     : quaver encode (level 5)     vs  flac -5 SRC                 (flac decodes FLAC itself)
# then a batch of 5 renditions from one decode (encode_many, parallel) vs the same 5 encoded one
# by one (codecs/examples/encode_batch.rs).
# Prints wall seconds per tool and the ratio peer/quaver (> 1 means quaver is faster).
#
# Usage: benches/compare_encoders.sh [SOURCE.flac ...]   (default: the real-music clips of
#        scripts/corpus/clips.py: $QUAVER_CORPUS_CLIPS, else target/corpus/clips)
set -euo pipefail
cd "$(dirname "$0")/.."
Q=${QUAVER:-target/release/quaver}
[ -x "$Q" ] || cargo build --release --quiet --bin quaver
for t in lame opusenc flac; do command -v $t >/dev/null || { echo "missing $t (scripts/setup.sh installs it)"; exit 1; }; done

srcs=("$@")
if [ ${#srcs[@]} = 0 ]; then srcs=("${QUAVER_CORPUS_CLIPS:-target/corpus/clips}"/*.flac); fi
[ -e "${srcs[0]}" ] || { echo "missing the real-music clips at ${QUAVER_CORPUS_CLIPS:-target/corpus/clips}: run ./scripts/setup.sh (or scripts/corpus/clips.py), or name SOURCE files"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
REPEAT=${REPEAT:-3}

# Best of $REPEAT wall times of a shell command, in seconds.
best() {
  local b=""
  for _ in $(seq "$REPEAT"); do
    local s e
    s=$(date +%s.%N); bash -c "$1" >/dev/null 2>&1; e=$(date +%s.%N)
    b=$(awk -v b="$b" -v t="$(awk -v s="$s" -v e="$e" 'BEGIN{print e-s}')" 'BEGIN{ if (b=="" || t<b) print t; else print b }')
  done
  echo "$b"
}

declare -A tq tp
cases="mp3_320 mp3_v2 opus_160 flac_5"
for c in $cases; do tq[$c]=0; tp[$c]=0; done
for src in "${srcs[@]}"; do
  s=$(printf %q "$src")
  q() { best "$Q encode $s -o $tmp/q.$1 ${2:-}"; }
  add() { tq[$1]=$(awk -v a="${tq[$1]}" -v b="$2" 'BEGIN{print a+b}'); tp[$1]=$(awk -v a="${tp[$1]}" -v b="$3" 'BEGIN{print a+b}'); }
  add mp3_320 "$(q mp3 '-b 320')" "$(best "flac -dcs $s | lame --quiet -b 320 - $tmp/p.mp3")"
  add mp3_v2 "$(q mp3 '-V 2')" "$(best "flac -dcs $s | lame --quiet -V 2 - $tmp/p.mp3")"
  add opus_160 "$(q opus '-b 160')" "$(best "opusenc --quiet --bitrate 160 $s $tmp/p.opus")"
  add flac_5 "$(q flac '--level 5')" "$(best "flac -5 -s -f $s -o $tmp/p.flac")"
done

echo "sources: ${#srcs[@]} file(s); best of $REPEAT runs each; wall seconds summed over sources"
printf '%-10s %10s %10s %8s\n' case quaver peer ratio
for c in $cases; do
  awk -v c="$c" -v q="${tq[$c]}" -v p="${tp[$c]}" 'BEGIN{printf "%-10s %10.3f %10.3f %7.2fx\n", c, q, p, p/q}'
done

echo
cargo run --release --quiet -p quaver-codecs --example encode_batch -- "${srcs[@]}"
