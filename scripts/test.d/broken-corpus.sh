#!/usr/bin/env bash
# The 72 hostile inputs of scripts/corpus/gen_broken.py (seeded from two clips in
# target/corpus/clips) through `quaver decode` (needs the release build and the clips from setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x target/release/quaver ] || cargo build --release --quiet --bin quaver
python3 tests/robustness/broken_corpus.py
