#!/usr/bin/env bash
# Installs everything quaver needs on a fresh Debian machine with Rust, builds it, and runs the
# main job on the sample track shipped in tests/data/. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# System packages: libopus (Opus decode/encode), pkg-config/cmake/make/gcc (native builds: libFLAC
# with cmake, LAME with autotools), and the peer tools the tests use as oracles and the
# benchmarks compare against.
PKGS="pkg-config cmake make gcc libopus-dev ffmpeg lame flac opus-tools sox libchromaprint-tools"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
# Node and npm: use the machine's own if present (Debian's npm conflicts with a NodeSource node).
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
command -v node >/dev/null || { echo "setup: node is missing"; exit 1; }
python3 -m venv --help >/dev/null 2>&1 || { $SUDO apt-get install -y -qq python3-venv >/dev/null; }

# Per-suite set-up hooks (Python venv, npm packages, ...) live beside their suites.
for hook in scripts/setup.d/*.sh; do
  [ -e "$hook" ] && bash "$hook"
done

echo "setup: building quaver (release)"
cargo build --release --quiet --bin quaver

if [ "${QUAVER_SETUP_NO_DEMO:-0}" != 1 ]; then
  bash scripts/demo.sh
fi
