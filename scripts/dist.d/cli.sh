#!/usr/bin/env bash
# The CLI release tarball: `scripts/dist.d/cli.sh DIST_DIR` ->
#   DIST_DIR/quaver-<v>-x86_64-unknown-linux-gnu.tar.gz with
#   quaver-<v>-x86_64-unknown-linux-gnu/{bin/quaver, lib/libmp3lame.so.0, README.md,
#   CHANGELOG.md, LICENSE-MIT, LICENSE-APACHE, THIRD-PARTY-NOTICES, LAME-COPYING,
#   completions/{quaver.bash,_quaver,quaver.fish}, man/man1/quaver.1}
# Built with features cli, aac and lame-shared: LAME is the replaceable lib/libmp3lame.so.0
# (the binary's RUNPATH is $ORIGIN/../lib).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
dist=${1:?usage: scripts/dist.d/cli.sh DIST_DIR}
mkdir -p "$dist"; dist=$(cd "$dist" && pwd)
bash scripts/dist.d/lame.sh target/dist-deps/lame
lamedir=$root/target/dist-deps/lame/lib
version=$(cargo metadata --format-version 1 --no-deps --locked | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="quaver"))')
triple=x86_64-unknown-linux-gnu
name=quaver-$version-$triple
echo "dist: CLI tarball ($name)"
# target/dist-native, shared with the npm addon's build (scripts/dist.d/node.sh: same target
# triple and features, so the crates compile once for both). Not target/release: the features
# differ from the development build's (lame-shared), and its `quaver` binary would be replaced.
QUAVER_LAME_LIB_DIR="$lamedir" CARGO_TARGET_DIR="$root/target/dist-native" \
  cargo build --quiet --release --locked --target "$triple" --bin quaver --no-default-features --features cli,aac,lame-shared
bin=$root/target/dist-native/$triple/release/quaver
readelf -d "$bin" | grep -q 'RUNPATH.*\$ORIGIN/../lib' || { echo "dist: the CLI has no \$ORIGIN/../lib RUNPATH"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
stage=$work/$name
mkdir -p "$stage/bin" "$stage/lib" "$stage/completions" "$stage/man/man1"
cp "$bin" "$stage/bin/quaver"
strip --strip-unneeded "$stage/bin/quaver"
cp "$lamedir/libmp3lame.so.0" "$stage/lib/"
cp README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES "$stage/"
cp target/dist-deps/lame/LAME-COPYING "$stage/"
"$stage/bin/quaver" completions bash > "$stage/completions/quaver.bash"
"$stage/bin/quaver" completions zsh > "$stage/completions/_quaver"
"$stage/bin/quaver" completions fish > "$stage/completions/quaver.fish"
"$stage/bin/quaver" man > "$stage/man/man1/quaver.1"
for f in completions/quaver.bash completions/_quaver completions/quaver.fish man/man1/quaver.1; do
  [ -s "$stage/$f" ] || { echo "dist: $f is empty"; exit 1; }
done
tar -C "$work" --owner=0 --group=0 --sort=name -czf "$work/$name.tar.gz" "$name"
mv "$work/$name.tar.gz" "$dist/"
