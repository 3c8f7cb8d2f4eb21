#!/usr/bin/env bash
# Installs the quaver wheel users get (manylinux2014, release, LAME shared) into a fresh venv
# and runs the pytest suite, stubtest and mypy --strict there: the wheel scripts/test.d/install.sh
# built into $QUAVER_DIST_DIR (scripts/test.sh sets it), or, run alone, one built now with
# scripts/dist.d/python.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
whl=$(ls "${QUAVER_DIST_DIR:-/nonexistent}"/quaver-*manylinux*.whl 2>/dev/null | head -1 || true)
if [ -z "$whl" ]; then
  rm -rf target/wheels
  bash scripts/dist.d/python.sh target/wheels
  whl=$(ls target/wheels/quaver-*manylinux*.whl)
fi
echo "python: testing $whl"
venv=target/py-test-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "$whl" pytest mypy "dask[distributed]" pandas ${QUAVER_PY_EXTRA:-}
cd bindings/python/tests   # import quaver from the installed wheel, not the source tree
"$root/$venv/bin/python" -m pytest -q -p no:cacheprovider .
"$root/$venv/bin/python" -m mypy.stubtest quaver --ignore-missing-stub
"$root/$venv/bin/python" -m mypy --strict --no-incremental usage_typed.py
