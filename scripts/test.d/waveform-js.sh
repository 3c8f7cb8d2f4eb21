#!/usr/bin/env bash
# Waveform interoperability: quaver writes audiowaveform .dat/.json from tests/data/master.wav
# and node's test runner reads them with waveform-data (tests/js), comparing every min/max
# with peaks computed independently in JS from the WAV's PCM.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d tests/js/node_modules/waveform-data ] || bash scripts/setup.d/node-tests.sh
cargo build --quiet --bin quaver
Q="${CARGO_TARGET_DIR:-$PWD/target}/debug/quaver"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
wav=tests/data/master.wav
$Q waveform "$wav" -o "$out/m16_v1.dat" --samples-per-pixel 256 --data-version 1 2>/dev/null
$Q waveform "$wav" -o "$out/s16_v2.dat" --samples-per-pixel 256 --split-channels 2>/dev/null
$Q waveform "$wav" -o "$out/m8_v1.dat" --samples-per-pixel 512 --bits 8 --data-version 1 2>/dev/null
$Q waveform "$wav" -o "$out/s8_v2.dat" --samples-per-pixel 300 --bits 8 --split-channels 2>/dev/null
$Q waveform "$wav" -o "$out/m16_v2.json" --samples-per-pixel 256 2>/dev/null
$Q waveform "$wav" -o "$out/m16_v1.json" --samples-per-pixel 1024 --data-version 1 2>/dev/null
$Q waveform "$wav" -o "$out/s8_v2.json" --samples-per-pixel 256 --bits 8 --split-channels 2>/dev/null
cd tests/js
QUAVER_WAVEFORM_DIR="$out" QUAVER_WAV="$PWD/../data/master.wav" node --test
