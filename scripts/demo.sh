#!/usr/bin/env bash
# The main job on the sample track shipped in the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
Q=./target/release/quaver
out=${1:-out/demo}
mkdir -p "$out"
echo "== quaver info tests/data/flac_s16.flac"
$Q info tests/data/flac_s16.flac
echo "== quaver decode tests/data/mp3_vbr_v2.mp3 --rate 48000 -o $out/decoded.wav"
$Q decode tests/data/mp3_vbr_v2.mp3 --rate 48000 -o "$out/decoded.wav"
$Q info "$out/decoded.wav"
