#!/usr/bin/env bash
# Installs the wheel, then the sdist, each into a fresh venv with nothing of the build tree,
# and runs smoke.py there. Usage: tests/install/python.sh DIST_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
dist=$(cd "${1:?usage: tests/install/python.sh DIST_DIR}" && pwd)
whl=$(ls "$dist"/quaver-*-manylinux*_x86_64.whl 2>/dev/null | head -1 || true)
# The sdist is quaver-<version>.tar.gz; the CLI tarball, quaver-<version>-<target>.tar.gz, is not.
sdist=$(ls "$dist"/quaver-*.tar.gz 2>/dev/null | grep -E '/quaver-[0-9][^-/]*\.tar\.gz$' | head -1 || true)
[ -n "$whl" ] || { echo "install-python: no wheel in $dist"; exit 1; }
[ -n "$sdist" ] || { echo "install-python: no sdist in $dist"; exit 1; }
command -v ffprobe >/dev/null || { echo "install-python: ffprobe missing (scripts/setup.sh installs ffmpeg)"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp examples/data/calling_bogus_30s.flac "$work/sample.flac"
frames=$(ffprobe -v error -select_streams a:0 -show_entries stream=duration_ts -of csv=p=0 "$work/sample.flac")
pip_q=(-q --disable-pip-version-check --no-input)

echo "install-python: wheel $(basename "$whl")"
python3 -m venv "$work/venv-wheel"
"$work/venv-wheel/bin/pip" install "${pip_q[@]}" "$whl"
# Nothing but numpy comes with it.
extra=$("$work/venv-wheel/bin/pip" list --format=freeze --exclude-editable | grep -v -i '^\(quaver\|numpy\|pip\|setuptools\)==' || true)
[ -z "$extra" ] || { echo "install-python: the wheel pulled in more than numpy: $extra"; exit 1; }
# LAME is the shared library the wheel carries (replaceable), not linked in.
so=$(ls "$work"/venv-wheel/lib/python3*/site-packages/quaver/_quaver*.so)
ldd "$so" | grep -q 'libmp3lame.*quaver.libs' || { echo "install-python: libmp3lame does not resolve to quaver.libs:"; ldd "$so"; exit 1; }
mkdir -p "$work/w1" && (cd "$work" && QUAVER_REPO="$root" "$work/venv-wheel/bin/python" "$root/tests/install/smoke.py" sample.flac "$frames" "$work/w1")

echo "install-python: sdist $(basename "$sdist") (builds from source)"
python3 -m venv "$work/venv-sdist"
# CARGO_TARGET_DIR: the registry crates compiled by scripts/setup.sh's release build (same
# profile and features) are reused; quaver's own crates are compiled from the sdist's sources.
CARGO_TARGET_DIR="$root/target" "$work/venv-sdist/bin/pip" install "${pip_q[@]}" "$sdist"
mkdir -p "$work/w2" && (cd "$work" && QUAVER_REPO="$root" "$work/venv-sdist/bin/python" "$root/tests/install/smoke.py" sample.flac "$frames" "$work/w2")
