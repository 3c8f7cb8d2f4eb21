#!/usr/bin/env bash
# The main job on the sample track shipped in the repo: `quaver ingest` (analysis, waveform,
# catalog check, MP3 downloads, HLS + DASH ladder, report.json) and the tree it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
Q=./target/release/quaver
out=${1:-out/demo}
sample=examples/data/calling_bogus_30s.flac
# A small catalog with the fixture excerpt of the same track, so the copyright check finds it.
rm -rf out/demo-catalog
$Q fp index --db out/demo-catalog tests/data/master.wav >/dev/null
echo "== quaver ingest $sample $out --catalog out/demo-catalog"
$Q ingest "$sample" "$out" --catalog out/demo-catalog
echo "== $out"
(cd "$out" && find . -type f | sort | sed 's|^\./|  |')
