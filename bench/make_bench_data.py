#!/usr/bin/env python3
"""Benchmark data (stdlib only): a ~1 GiB torch.save-style checkpoint and a folder of many small model
files. Usage: make_bench_data.py OUTDIR [--gib 1] [--small 2000]. Existing files are kept."""
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

out = sys.argv[1]
gib = float(sys.argv[sys.argv.index("--gib") + 1]) if "--gib" in sys.argv else 1.0
n_small = int(sys.argv[sys.argv.index("--small") + 1]) if "--small" in sys.argv else 2000
os.makedirs(out, exist_ok=True)

torch = types.ModuleType("torch")
tu = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, tu


def _rebuild_tensor_v2(*a):
    raise RuntimeError("never called")


_rebuild_tensor_v2.__module__ = "torch._utils"
tu._rebuild_tensor_v2 = _rebuild_tensor_v2


class FloatStorage:
    pass


FloatStorage.__module__ = "torch"
torch.FloatStorage = FloatStorage


class Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce_ex__(self, proto):
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), (self.shape[1], 1), False, collections.OrderedDict()))


class P(pickle.Pickler):
    def persistent_id(self, obj):
        return ("storage", FloatStorage, obj.key, "cpu", obj.numel) if isinstance(obj, Storage) else None


def state(n_tensors, rows, cols):
    sd = collections.OrderedDict()
    st = []
    for i in range(n_tensors):
        s = Storage(str(i), rows * cols)
        st.append(s)
        sd[f"layers.{i // 4}.w{i % 4}"] = Tensor(s, [rows, cols])
    buf = io.BytesIO()
    P(buf, protocol=2).dump(sd)
    return buf.getvalue(), st


def torch_zip(path, n_tensors, rows, cols, fill):
    pkl, storages = state(n_tensors, rows, cols)
    chunk = (struct.pack("<f", fill) * (rows * cols))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for s in storages:
            z.writestr(f"archive/data/{s.key}", chunk)
        z.writestr("archive/version", "3\n")


# Sizes other than the defaults get their own names, so a reduced run never poisons the cached full data.
big = os.path.join(out, "torch-1gib.pt" if gib == 1.0 else f"torch-{gib:g}gib.pt")
if not os.path.exists(big):
    n = max(1, int(round(gib * 128)))  # 128 tensors of 1024x2048 float32 = 8 MiB each
    torch_zip(big + ".tmp", n, 1024, 2048, 0.5)
    os.replace(big + ".tmp", big)

small = os.path.join(out, "small-files" if n_small == 2000 else f"small-files-{n_small}")
if not os.path.isdir(small):
    tmp = small + ".tmp"
    os.makedirs(tmp, exist_ok=True)
    for i in range(n_small // 2):
        torch_zip(os.path.join(tmp, f"t{i:05d}.pt"), 4, 16, 64, i / 7)
        payload = {"weights": [float(j) for j in range(512)], "bias": bytes(8192), "meta": {"step": i, "name": f"m{i}"}}
        with open(os.path.join(tmp, f"m{i:05d}.pkl"), "wb") as f:
            pickle.dump(payload, f, protocol=4)
    os.replace(tmp, small)
print(out)
