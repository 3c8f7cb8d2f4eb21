#!/usr/bin/env bash
# Node toolchain for the binding: @napi-rs/cli, typescript, @types/node from the committed lockfile.
# (`npm ci` fails on this registry mirror: other platforms' optional packages 404; `npm install`
# with the committed lock works and leaves it unchanged.)
set -euo pipefail
cd "$(dirname "$0")/../../bindings/node"
npm install --no-audit --no-fund --loglevel=error
