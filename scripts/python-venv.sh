#!/usr/bin/env bash
# Creates (or reuses) a test virtualenv of real Python tools, cached under ~/.cache/hallmark/ keyed by a hash
# of its pinned requirements, so a changed pin builds a fresh one and an unchanged one costs nothing.
# Prints the venv's python on the last line.
#   python-venv.sh          test/python/requirements.txt: the real loaders the scan corpus is proven against
#   python-venv.sh NAME     test/python/requirements-NAME.txt (legacy: older loader releases; others: one
#                           reference tool each, kept apart so their pins never fight the loaders')
set -euo pipefail
cd "$(dirname "$0")/.."
NAME="${1:-}"
if [ -n "$NAME" ]; then
  REQ="test/python/requirements-$NAME.txt"
  [ -f "$REQ" ] || { echo "no $REQ" >&2; exit 2; }
  KEY=$(sha256sum "$REQ" | cut -c1-16)
  VENV="$HOME/.cache/hallmark/test-$NAME-venv-$KEY"
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
