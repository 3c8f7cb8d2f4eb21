#!/usr/bin/env bash
# Node toolchain for the binding: @napi-rs/cli, typescript, @types/node from the committed lockfile,
# and the upload-service example's deps (hls.js for the page, playwright-core driving Debian's
# Chromium in its test; no browser download).
# (`npm ci` fails on this registry mirror: other platforms' optional packages 404; `npm install`
# with the committed lock works and leaves it unchanged.)
set -euo pipefail
cd "$(dirname "$0")/../.."
(cd bindings/node && npm install --no-audit --no-fund --loglevel=error)
(cd examples/node && npm install --no-audit --no-fund --loglevel=error)
if ! [ -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y --no-install-recommends chromium
fi
