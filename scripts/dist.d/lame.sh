#!/usr/bin/env bash
# Builds LAME 3.100 (LGPL-2.0-or-later) as a shared library for the distributed artifacts, so a
# user can replace it: usage `scripts/dist.d/lame.sh OUT_DIR` -> OUT_DIR/lib/libmp3lame.so.0.
# The source is the one mp3lame-sys bundles (the crate the source builds link statically), taken
# from cargo's registry; compiled with zig's cc for glibc 2.17 (manylinux2014), so the library
# does not raise the wheel's glibc floor. Cached: a second run with the library present is a no-op.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: scripts/dist.d/lame.sh OUT_DIR}
mkdir -p "$out"; out=$(cd "$out" && pwd)
lib="$out/lib/libmp3lame.so.0"
if [ -s "$lib" ] && [ -s "$out/LAME-COPYING" ]; then exit 0; fi
zpy=${QUAVER_ZIG_PYTHON:-$PWD/.venv/bin/python}
"$zpy" -m ziglang version >/dev/null 2>&1 || { echo "dist: zig missing: run scripts/setup.sh (pip package ziglang in .venv)"; exit 1; }
command -v make >/dev/null || { echo "dist: make missing: run scripts/setup.sh"; exit 1; }
cargo fetch --quiet
src=$(cargo metadata --format-version 1 --locked | python3 -c '
import json, os, sys
m = json.load(sys.stdin)
p = next(p for p in m["packages"] if p["name"] == "mp3lame-sys")
print(os.path.join(os.path.dirname(p["manifest_path"]), "lame-3.100"))')
[ -f "$src/configure" ] || { echo "dist: LAME source not found at $src"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/lame"
cat > "$work/zigcc" <<ZIG
#!/bin/sh
exec "$zpy" -m ziglang cc -target x86_64-linux-gnu.2.17 "\$@"
ZIG
chmod +x "$work/zigcc"
echo "dist: building libmp3lame.so.0 (LAME 3.100, glibc 2.17)"
(
  cd "$work/lame"
  # --undefined-version: lld rejects LAME's export list naming the decoder, which is left out.
  ./configure -q CC="$work/zigcc" CFLAGS="-O3 -fPIC" LDFLAGS="-Wl,--undefined-version" \
    --prefix="$work/inst" --enable-shared --disable-static --disable-frontend --disable-decoder \
    --disable-gtktest --disable-rpath >/dev/null
  make -j2 -s >/dev/null 2>&1 || { make 2>&1 | tail -20; exit 1; }
  make -s install >/dev/null
)
mkdir -p "$out/lib"
cp "$work/inst/lib/libmp3lame.so.0.0.0" "$out/lib/libmp3lame.so.0.tmp"
strip --strip-unneeded "$out/lib/libmp3lame.so.0.tmp"
mv "$out/lib/libmp3lame.so.0.tmp" "$lib"
ln -sf libmp3lame.so.0 "$out/lib/libmp3lame.so"
cp "$src/COPYING" "$out/LAME-COPYING"
echo "$src" > "$out/LAME-SOURCE"
