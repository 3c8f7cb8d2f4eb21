#!/usr/bin/env bash
# The shared corpus's 72 hostile inputs through `quaver decode` (needs the release build from setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x target/release/quaver ] || cargo build --release --quiet --bin quaver
python3 tests/robustness/broken_corpus.py
