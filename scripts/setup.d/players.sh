#!/usr/bin/env bash
# Real-player test deps: Debian's Chromium (no browser download) and playwright-core, hls.js,
# dash.js, shaka-player for codecs/tests/players from the committed lockfile (`npm install`,
# not `npm ci`: ci fails on this registry mirror, see scripts/setup.d/node.sh).
set -euo pipefail
if ! command -v /usr/bin/chromium >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y --no-install-recommends chromium
fi
cd "$(dirname "$0")/../../codecs/tests/players"
npm install --no-audit --no-fund --loglevel=error
