#!/usr/bin/env bash
# The npm packages for linux-x64-gnu: usage `scripts/dist.d/node.sh DIST_DIR` ->
#   DIST_DIR/quaver-engine-0.1.0.tgz                 @quaver/engine (loader, ESM entry, types)
#   DIST_DIR/quaver-engine-linux-x64-gnu-0.1.0.tgz   @quaver/engine-linux-x64-gnu (the addon +
#                                                    libmp3lame.so.0 beside it)
# The addon is a release build with LAME linked as a shared library (`lame-shared`, the library
# from scripts/dist.d/lame.sh), found through the addon's RUNPATH $ORIGIN. Everything is staged
# in temporary directories: no committed file is written (the build's generated index.js and
# index.d.ts go to the staging area and must equal the committed ones). Other platforms' packages
# are built by .github/workflows/release.yml. tests/install/node.sh installs the two tarballs.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
dist=${1:?usage: scripts/dist.d/node.sh DIST_DIR}
mkdir -p "$dist"; dist=$(cd "$dist" && pwd)
die() { echo "dist node: $*" >&2; exit 1; }

command -v node >/dev/null || die "node missing (install Node >= 20: scripts/setup.sh)"
command -v npm >/dev/null || die "npm missing (install Node >= 20 with npm: scripts/setup.sh)"
[ -x bindings/node/node_modules/.bin/napi ] ||
  die "@napi-rs/cli missing in bindings/node/node_modules (run: bash scripts/setup.d/node.sh)"
command -v cargo >/dev/null || die "cargo missing (install Rust with rustup)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "node $(node --version) is too old: the package needs Node >= 20"

platform=linux-x64-gnu
triple=x86_64-unknown-linux-gnu
[ "$(node -p 'process.platform + "-" + process.arch')" = linux-x64 ] ||
  die "this script builds the $platform package and must run on linux x64"
version=$(node -p 'require("./bindings/node/package.json").version')
[ "$(node -p "require('./bindings/node/npm/$platform/package.json').version")" = "$version" ] ||
  die "bindings/node/npm/$platform/package.json's version differs from bindings/node/package.json's ($version)"

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# Every package ships the repository root's licence files. QUAVER_DIST_PLACEHOLDER_LICENCES=1
# (for trying the script before they exist) puts placeholder texts in the staging area instead;
# never for a release.
licences=(LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES)
licence_dir=$repo
for f in "${licences[@]}"; do
  [ -s "$f" ] && continue
  [ "${QUAVER_DIST_PLACEHOLDER_LICENCES:-}" = 1 ] || die "$f missing at the repository root (every package ships it)"
  licence_dir="$work/placeholder-licences"
done
if [ "$licence_dir" != "$repo" ]; then
  echo "dist node: WARNING: placeholder licence files (QUAVER_DIST_PLACEHOLDER_LICENCES=1): not for release" >&2
  mkdir -p "$licence_dir"
  for f in "${licences[@]}"; do
    if [ -s "$f" ]; then cp "$f" "$licence_dir/"; else echo "PLACEHOLDER $f - not for release" > "$licence_dir/$f"; fi
  done
fi

# LAME as a shared library (cached between runs, in the same place the Python and CLI parts use).
lame=${QUAVER_LAME_DIR:-$repo/target/dist-deps/lame}
bash scripts/dist.d/lame.sh "$lame"
[ -s "$lame/lib/libmp3lame.so.0" ] || die "scripts/dist.d/lame.sh did not produce $lame/lib/libmp3lame.so.0"

echo "dist node: building the release addon for $triple (napi build, lame-shared)"
build="$work/build"; mkdir -p "$build"
(
  cd bindings/node
  # QUAVER_NAPI_BUILD_FLAGS: extra napi build flags; release CI passes --use-napi-cross (glibc
  # 2.17 floor instead of this machine's).
  # shellcheck disable=SC2086
  # target/dist-native: shared with the CLI tarball's build (scripts/dist.d/cli.sh: same triple
  # and features), away from the development builds' target/.
  CARGO_TARGET_DIR="$repo/target/dist-native" QUAVER_LAME_LIB_DIR="$lame/lib" ./node_modules/.bin/napi build --platform --release \
    --target "$triple" ${QUAVER_NAPI_BUILD_FLAGS:-} --output-dir "$build" --no-default-features --features aac,lame-shared \
    --dts-header "$(cat dts-header.d.ts)" >"$work/build.log" 2>&1
) || { tail -30 "$work/build.log"; die "napi build failed"; }
node_file="quaver.$platform.node"
[ -s "$build/$node_file" ] || die "napi build wrote no $node_file (see its output above)"
for f in index.js index.d.ts; do
  cmp -s "$build/$f" "bindings/node/$f" ||
    die "bindings/node/$f differs from what the build generates: run 'npm run build:debug' in bindings/node and commit it"
done
ldd "$build/$node_file" | grep -q 'libmp3lame.so.0' || die "$node_file does not link libmp3lame.so.0 (lame-shared not in effect)"
readelf -d "$build/$node_file" | grep -q 'R.*PATH.*\$ORIGIN' || die "$node_file has no \$ORIGIN RUNPATH: libmp3lame beside it would not be found"

# @quaver/engine: the loader, ESM entry, types, README, licences. scripts and devDependencies are
# dropped from the published package.json (they only serve the repository's build).
main="$work/engine"; mkdir -p "$main"
cp bindings/node/{index.js,index.mjs,index.d.ts,README.md} "$main/"
for f in "${licences[@]}"; do cp "$licence_dir/$f" "$main/"; done
node -e '
  const fs = require("fs"); const p = JSON.parse(fs.readFileSync(process.argv[1]));
  delete p.scripts; delete p.devDependencies;
  fs.writeFileSync(process.argv[2], JSON.stringify(p, null, 2) + "\n")' bindings/node/package.json "$main/package.json"

# @quaver/engine-linux-x64-gnu: the addon (stripped) and libmp3lame.so.0.
plat="$work/$platform"; mkdir -p "$plat"
cp bindings/node/npm/$platform/{package.json,README.md} "$plat/"
for f in "${licences[@]}"; do cp "$licence_dir/$f" "$plat/"; done
cp "$build/$node_file" "$plat/"
strip --strip-unneeded "$plat/$node_file"
cp "$lame/lib/libmp3lame.so.0" "$plat/"
[ -s "$lame/LAME-COPYING" ] && cp "$lame/LAME-COPYING" "$plat/"

# The addon loads from its package directory with nothing else there (the RUNPATH finds LAME).
node -e 'const b = require(process.argv[1]); if (typeof b.infoSync !== "function") process.exit(1)' "$plat/$node_file" ||
  die "the staged $node_file does not load"
glibc=$(objdump -T "$plat/$node_file" "$plat/libmp3lame.so.0" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)

rm -f "$dist/quaver-engine-$version.tgz" "$dist/quaver-engine-$platform-$version.tgz"
for d in "$main" "$plat"; do
  (cd "$d" && npm pack --silent --ignore-scripts --pack-destination "$dist" >/dev/null)
done
for t in "$dist/quaver-engine-$version.tgz" "$dist/quaver-engine-$platform-$version.tgz"; do
  [ -s "$t" ] || die "npm pack did not write $t"
  if tar tzf "$t" | grep -Eq '(^|/)(node_modules|__test__|npm)/'; then die "$t holds test files or node_modules"; fi
  echo "dist node: $t ($(du -h "$t" | cut -f1)): $(tar tzf "$t" | sed 's|^package/||' | sort | tr '\n' ' ')"
done
echo "dist node: $platform addon needs ${glibc:-no versioned glibc symbol} (built on this machine's toolchain)"
