#!/usr/bin/env bash
# Every crate a shipped artifact links has an allowed licence, and THIRD-PARTY-NOTICES is what
# scripts/licenses.py generates from Cargo.lock (fails on a new licence or a stale file).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 scripts/licenses.py --check
