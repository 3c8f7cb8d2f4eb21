#!/usr/bin/env bash
# npm packages for tests/js (waveform-data) from the committed lockfile. `npm install`, not
# `npm ci`: ci fails on this registry mirror (see scripts/setup.d/node.sh).
set -euo pipefail
cd "$(dirname "$0")/../../tests/js"
npm install --no-audit --no-fund --loglevel=error
