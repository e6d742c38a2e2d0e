#!/usr/bin/env bash
# Creates (or reuses) the test virtualenv of real Python loaders: torch, numpy, joblib, onnx, keras, h5py,
# jinja2. Cached under ~/.cache/hallmark/ keyed by a hash of test/python/requirements.txt, so a changed pin
# builds a fresh one and an unchanged one costs nothing. Prints the venv's python on the last line.
# `python-venv.sh legacy` does the same for test/python/requirements-legacy.txt (older loader releases).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = legacy ]; then
  REQ=test/python/requirements-legacy.txt
  KEY=$(sha256sum "$REQ" | cut -c1-16)
  VENV="$HOME/.cache/hallmark/test-legacy-venv-$KEY"
else
  REQ=test/python/requirements.txt
  KEY=$(sha256sum "$REQ" | cut -c1-16)
  VENV="${HALLMARK_TEST_VENV:-$HOME/.cache/hallmark/test-venv-$KEY}"
fi
PY="${PYTHON:-python3}"
if [ ! -f "$VENV/.complete" ]; then
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2
  touch "$VENV/.complete"
fi
echo "$VENV/bin/python"
