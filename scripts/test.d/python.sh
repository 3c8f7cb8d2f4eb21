#!/usr/bin/env bash
# Builds the quaver wheel users get (scripts/dist.d/python.sh: manylinux2014, release, LAME
# shared; cargo's cache makes this a relink after scripts/test.d/install.sh), installs it into a
# fresh venv and runs the pytest suite, stubtest and mypy --strict there.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
rm -rf target/wheels
bash scripts/dist.d/python.sh target/wheels
venv=target/py-test-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check target/wheels/quaver-*manylinux*.whl pytest mypy "dask[distributed]" pandas ${QUAVER_PY_EXTRA:-}
cd bindings/python/tests   # import quaver from the installed wheel, not the source tree
"$root/$venv/bin/python" -m pytest -q -p no:cacheprovider .
"$root/$venv/bin/python" -m mypy.stubtest quaver --ignore-missing-stub
"$root/$venv/bin/python" -m mypy --strict --no-incremental usage_typed.py
