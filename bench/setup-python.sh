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
# Real-world benign files: trained models that packages on PyPI ship inside their wheels (only the
# files are used, nothing is imported): Silero VAD (TorchScript zip, safetensors, several ONNX exports),
# lpips (legacy torch.save .pth weights), the onnx wheel's backend test models, and the test data that
# the numpy and joblib wheels ship (.npy/.npz written by many NumPy versions, joblib pickles from joblib
# 0.9 on, compressed every way joblib compresses: zlib, gzip, bz2, xz, lzma, lz4).
REAL="$VENV/real-models"
if [ ! -f "$REAL/.done-2" ]; then  # bumped when the list of wheels changes
  rm -rf "$REAL" && mkdir -p "$REAL/wheels"
  "$VENV/bin/python" -m pip download --quiet --no-deps --only-binary :all: -d "$REAL/wheels" silero-vad==6.2.3 lpips==0.1.4 onnx==1.23.2 numpy==2.4.6 joblib==1.6.0
  "$VENV/bin/python" - "$REAL" <<'PY'
import pathlib, sys, zipfile
real = pathlib.Path(sys.argv[1])
keep = (".onnx", ".pth", ".pt", ".jit", ".safetensors", ".npy", ".npz", ".pkl", ".joblib", ".pickle",
        ".gzip", ".gz", ".bz2", ".xz", ".lzma", ".lz4", ".z", ".zlib")
n = 0
for whl in sorted((real / "wheels").glob("*.whl")):
    with zipfile.ZipFile(whl) as z:
        for name in z.namelist():
            # member names come from the registry: keep only plain relative paths
            if name.endswith(keep) and not name.startswith("/") and ".." not in name.split("/"):
                dest = real / "files" / whl.name.split("-")[0] / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(z.read(name))
                n += 1
print(f"real models: {n} files")
PY
  touch "$REAL/.done-2"
fi
"$VENV/bin/python" - <<'PY'
import importlib.metadata as m
for p in ("picklescan", "modelscan", "fickling", "h5py"):
    print(f"{p}=={m.version(p)}")
PY
echo "venv: $VENV"
