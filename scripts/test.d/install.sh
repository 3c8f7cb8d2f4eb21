#!/usr/bin/env bash
# Users install artifacts, not the repository: builds every artifact with scripts/dist.sh (from
# the working tree: --allow-dirty) into target/install-dist, then installs each into a fresh
# environment with nothing of the build tree and runs a smoke test there — the wheel and the
# sdist (tests/install/python.sh), the npm tarballs (tests/install/node.sh), the packaged crates
# (tests/install/rust.sh) and the CLI tarball (tests/install/cli.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
dist=${QUAVER_DIST_DIR:-target/install-dist}
rm -rf "$dist"   # never leave an older build for the Python suite to pick up
./scripts/dist.sh --allow-dirty --out "$dist"
ok=0; bad=()
for t in python node rust cli; do
  echo "::: install-$t"
  if bash "tests/install/$t.sh" "$dist"; then ok=$((ok+1)); else bad+=("$t"); fi
done
echo "install: $ok passed, ${#bad[@]} failed${bad:+ (${bad[*]})}"
[ ${#bad[@]} = 0 ]
