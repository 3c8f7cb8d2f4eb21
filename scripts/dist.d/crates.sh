#!/usr/bin/env bash
# The Rust crates: `scripts/dist.d/crates.sh DIST_DIR` -> DIST_DIR/<crate>-<v>.crate for
# quaver-core, quaver-codecs, quaver-fingerprint and quaver (what `cargo publish` would upload).
# --no-verify: the install test (tests/install/rust.sh) builds a new project against exactly
# these files, which is the verification that matters, once instead of four times.
set -euo pipefail
cd "$(dirname "$0")/../.."
dist=${1:?usage: scripts/dist.d/crates.sh DIST_DIR}
mkdir -p "$dist"; dist=$(cd "$dist" && pwd)
crates="quaver-core quaver-codecs quaver-fingerprint quaver"
echo "dist: crates ($crates)"
args=(); for c in $crates; do args+=(-p "$c"); done
# --allow-dirty: scripts/dist.sh has already refused a dirty tree unless asked not to.
cargo package --quiet --locked --no-verify --allow-dirty "${args[@]}" 2>&1 | grep -v '^warning: ignoring \(test\|benchmark\|example\)' || true
limit=$((10 * 1024 * 1024))
for c in $crates; do
  f=$(ls target/package/"$c"-[0-9]*.crate)
  size=$(stat -c %s "$f")
  [ "$size" -lt "$limit" ] || { echo "dist: $f is $size bytes, over crates.io's 10 MB"; exit 1; }
  list=$(tar -tzf "$f")
  for l in LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES README.md; do
    grep -q "/$l\$" <<<"$list" || { echo "dist: $l missing from $f"; exit 1; }
  done
  cp "$f" "$dist/"
done
