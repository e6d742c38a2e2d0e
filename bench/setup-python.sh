#!/usr/bin/env bash
# Test-only virtualenv with the reference scanners the benchmark compares against (never used at run
# time by Hallmark). Usage: bench/setup-python.sh   (HALLMARK_BENCH_VENV overrides the location)
set -euo pipefail
VENV="${HALLMARK_BENCH_VENV:-$HOME/.cache/hallmark/bench-venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# modelscan pulls only its core (numpy, h5py-free) without extras; TensorFlow/h5py scanners report "skipped".
# fickling 0.1.x imports typing_extensions without declaring it; h5py lets modelscan read .h5 files.
"$VENV/bin/python" -m pip install --quiet picklescan modelscan fickling typing_extensions h5py
"$VENV/bin/python" - <<'PY'
import importlib.metadata as m
for p in ("picklescan", "modelscan", "fickling", "h5py"):
    print(f"{p}=={m.version(p)}")
PY
echo "venv: $VENV"
