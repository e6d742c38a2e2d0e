#!/usr/bin/env bash
# Creates (or reuses) one of Hallmark's Python venvs and prints its python on stdout. Profiles:
#   setup-venv.sh           the trainer: resources/trainer/requirements.txt → trainer-venv-<hash16>
#   setup-venv.sh tabular   the tabular model worker: resources/worker/requirements.txt → tabular-venv-<hash16>
# The venv's path is keyed by the requirements: ~/.cache/hallmark/<profile>-venv-<first 16 hex of
# sha256(requirements.txt)> (HALLMARK_CACHE overrides ~/.cache/hallmark). A finished venv holds a
# `.complete` file; one without it (interrupted build) is deleted and rebuilt. The TypeScript venv
# manager (electron/services/embed/trainerEnv.ts, venvDir) must produce the same path (see PROTOCOL.md).
# Env: PYTHON (default python3; must be 3.10+).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
profile="${1:-trainer}"
case "$profile" in
  trainer) req="$here/requirements.txt" ;;
  tabular) req="$here/../worker/requirements.txt" ;;
  *) echo "setup-venv: unknown profile $profile (trainer or tabular)" >&2; exit 2 ;;
esac
cache="${HALLMARK_CACHE:-$HOME/.cache/hallmark}"
hash="$(sha256sum "$req" | cut -c1-16)"
venv="$cache/$profile-venv-$hash"
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
