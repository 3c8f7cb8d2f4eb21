#!/usr/bin/env bash
# Builds the UniFFI library, generates the Kotlin, Swift and Dart bindings, compiles the Kotlin
# tests against the generated code and runs them on the JVM (parity with the Rust API's results),
# and checks the Dart binding against the library (syntax, symbols, checksums: no Dart SDK here).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
cargo build --quiet -p quaver-mobile -p quaver-uniffi-bindgen --bin uniffi-bindgen --bin uniffi-bindgen-dart --lib
cargo build --quiet --bin quaver
gen=target/mobile-gen
rm -rf "$gen"
for lang in kotlin swift; do
  target/debug/uniffi-bindgen generate --no-format --library target/debug/libquaver_mobile.so \
    --language "$lang" --out-dir "$gen/$lang" >/dev/null
done
test -s "$gen/swift/Quaver.swift" && test -s "$gen/swift/QuaverFFI.h"
target/debug/uniffi-bindgen-dart generate target/debug/libquaver_mobile.so \
  --config bindings/mobile/uniffi.toml --out-dir "$gen/dart" --no-format
target/dart-check-venv/bin/python bindings/mobile/tests/dart/check_dart.py \
  "$gen/dart/quaver_mobile.dart" target/debug/libquaver_mobile.so
# What the Rust API says about the shared fixtures.
parity=$gen/parity; mkdir -p "$parity"
for f in tagged.mp3 flac_s24_96k.flac aac_lc.m4a opus_stereo.opus; do
  target/debug/quaver info --json "tests/data/$f" > "$parity/$f.json"
done
target/debug/quaver analyze --json tests/data/flac_s16.flac > "$parity/analyze.json"
target/debug/quaver analyze --json --no-music --target-lufs -16 tests/data/mp3_cbr128.mp3 > "$parity/analyze_nomusic.json"
target/debug/quaver waveform tests/data/flac_s16.flac -o "$parity/waveform.dat" 2>/dev/null
target/debug/quaver waveform tests/data/flac_s16.flac --split-channels --bits 8 --samples-per-pixel 512 -o "$parity/waveform_split8.dat" 2>/dev/null
target/debug/quaver chromaprint --json tests/data/flac_s16.flac > "$parity/chromaprint.json"
target/debug/quaver decode tests/data/mp3_vbr_v2.mp3 --rate 48000 --quality balanced -o "$parity/mp3_vbr_v2.f32.wav"
kotlinc=bindings/mobile/tools/node_modules/kotlin-compiler/bin/kotlinc
libdir=bindings/mobile/tools/node_modules/kotlin-compiler/lib
"$kotlinc" -nowarn -cp /usr/share/java/jna.jar -d "$gen/kotlin-test.jar" \
  bindings/mobile/tests/kotlin/QuaverTest.kt "$gen/kotlin/dev/quaver/quaver_mobile.kt" 2>&1 | grep -v '^info:' || true
test -s "$gen/kotlin-test.jar"
PARITY_DIR="$parity" QUAVER_DATA="$root/tests/data" java -Djna.library.path=target/debug \
  -cp "$gen/kotlin-test.jar:/usr/share/java/jna.jar:$libdir/kotlin-stdlib.jar" QuaverTestKt
