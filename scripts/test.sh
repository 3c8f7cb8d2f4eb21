#!/usr/bin/env bash
# Runs every test suite: Rust (fmt, clippy, unit + integration tests), then each suite in
# scripts/test.d/ (Python, Node, Kotlin as they land). Prints one summary line per suite and a
# final "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0; failed=0; names=()
suite() {
  local name=$1; shift
  local t0=$SECONDS
  echo "::: suite $name"
  if "$@"; then passed=$((passed+1)); names+=("$name: ok ($((SECONDS-t0)) s)"); else failed=$((failed+1)); names+=("$name: FAILED ($((SECONDS-t0)) s)"); fi
}
# The artifacts scripts/test.d/install.sh builds (scripts/dist.sh) and installs; the Python suite
# tests the same wheel instead of building another.
export QUAVER_DIST_DIR=$PWD/target/install-dist
suite rust-fmt cargo fmt --all -- --check
# default-members: everything but the UniFFI generator CLI (scripts/test.d/mobile.sh builds it).
suite rust-clippy cargo clippy --all-targets --quiet -- -D warnings
suite rust-tests cargo test --quiet
for t in scripts/test.d/*.sh; do
  [ -e "$t" ] && suite "$(basename "$t" .sh)" bash "$t"
done
echo "::: summary"
printf '  %s\n' "${names[@]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
