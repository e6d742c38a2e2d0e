#!/usr/bin/env bash
# Creates (or reuses) the trainer's Python venv and prints its python on stdout. The venv's path is
# keyed by the requirements: ~/.cache/hallmark/trainer-venv-<first 16 hex of sha256(requirements.txt)>
# (HALLMARK_CACHE overrides ~/.cache/hallmark). A finished venv holds a `.complete` file; one
# without it (interrupted build) is deleted and rebuilt. The TypeScript venv manager
# (`hallmark trainer setup`) must produce the same path (see PROTOCOL.md).
# Env: PYTHON (default python3; must be 3.10+).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
cache="${HALLMARK_CACHE:-$HOME/.cache/hallmark}"
hash="$(sha256sum "$req" | cut -c1-16)"
venv="$cache/trainer-venv-$hash"
if [[ -f "$venv/.complete" ]]; then
  echo "$venv/bin/python"
  exit 0
fi
py="${PYTHON:-python3}"
"$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || { echo "setup-venv: $py is older than Python 3.10" >&2; exit 2; }
mkdir -p "$cache"
rm -rf "$venv"
"$py" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
date -u +%FT%TZ > "$venv/.complete"
echo "$venv/bin/python"
