#!/usr/bin/env bash
# Python toolchain for the binding: a venv with maturin (builds the wheel) and the test tools.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check "maturin>=1.16,<2" "numpy>=1.24" pytest mypy
