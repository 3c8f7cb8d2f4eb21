#!/usr/bin/env bash
# Builds the Node addon, checks the committed index.d.ts is what the build generates, runs the
# node --test suites (the binding, with parity against the `quaver` CLI, so that is built too;
# then the upload-service example with its headless-Chromium page test) and type-checks a usage
# file with tsc --strict.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d examples/node/node_modules/playwright-core ] && [ -x /usr/bin/chromium ] || bash scripts/setup.d/node.sh
cargo build --quiet --bin quaver
cd bindings/node
committed=$(mktemp)   # a private copy: two runs side by side must not share it
trap 'rm -f "$committed"' EXIT
cp index.d.ts "$committed"
npm run -s build:debug >/dev/null
if ! diff -q "$committed" index.d.ts >/dev/null; then
  echo "bindings/node/index.d.ts is stale: run 'npm run build:debug' in bindings/node and commit it"
  diff "$committed" index.d.ts | head -20
  exit 1
fi
npx tsc --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 --types node __test__/types.ts
node --test __test__/ ../../examples/node/test/
