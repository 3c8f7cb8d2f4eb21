#!/usr/bin/env bash
# A new cargo project that depends on the packaged crates from DIST_DIR (unpacked .crate files,
# patched in for crates.io) builds and runs a smoke program. Usage: tests/install/rust.sh DIST_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
dist=$(cd "${1:?usage: tests/install/rust.sh DIST_DIR}" && pwd)
command -v ffprobe >/dev/null || { echo "install-rust: ffprobe missing (scripts/setup.sh installs ffmpeg)"; exit 1; }
crate=$(ls "$dist"/quaver-[0-9]*.crate 2>/dev/null | head -1 || true)
[ -n "$crate" ] || { echo "install-rust: no quaver-<version>.crate in $dist"; exit 1; }
version=$(basename "$crate" .crate); version=${version#quaver-}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
proj=$work/proj
mkdir -p "$proj/vendor" "$proj/src"
for c in quaver quaver-core quaver-codecs quaver-fingerprint; do
  f="$dist/$c-$version.crate"
  [ -f "$f" ] || { echo "install-rust: $f missing"; exit 1; }
  tar -xzf "$f" -C "$proj/vendor"
done
sed "s/@VERSION@/$version/g" tests/install/rust-smoke/Cargo.toml.in > "$proj/Cargo.toml"
cp tests/install/rust-smoke/src/main.rs "$proj/src/"
# The repository's lock pins the same third-party versions the tests ran with, and
# CARGO_TARGET_DIR=target reuses the registry crates scripts/setup.sh's release build compiled
# (same profile and features); quaver's crates compile from the unpacked .crate files.
cp Cargo.lock "$proj/"
cp examples/data/calling_bogus_30s.flac "$work/sample.flac"
frames=$(ffprobe -v error -select_streams a:0 -show_entries stream=duration_ts -of csv=p=0 "$work/sample.flac")
echo "install-rust: a new project depending on quaver $version (packaged crates)"
(cd "$proj" && CARGO_TARGET_DIR="$root/target" cargo build --quiet --release)
mkdir -p "$work/w"
"$root/target/release/quaver-install-smoke" "$work/sample.flac" "$frames" "$work/w"
