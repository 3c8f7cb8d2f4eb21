#!/usr/bin/env bash
# Mobile binding toolchain: JNA (Debian libjna-java) and the Kotlin compiler (npm kotlin-compiler).
set -euo pipefail
cd "$(dirname "$0")/../.."
SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
if ! dpkg -s libjna-java >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq --no-install-recommends libjna-java >/dev/null
fi
command -v java >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null
cd bindings/mobile/tools && npm install --no-audit --no-fund --loglevel=error
# Dart: no Dart SDK is installable here, so the generated Dart is checked with the tree-sitter
# Dart grammar (PyPI wheels, pinned) — see bindings/mobile/tests/dart/check_dart.py.
cd ../../..
[ -x target/dart-check-venv/bin/python ] || python3 -m venv target/dart-check-venv
target/dart-check-venv/bin/pip install -q --disable-pip-version-check "tree-sitter==0.26.1" "tree-sitter-dart==0.1.0"
