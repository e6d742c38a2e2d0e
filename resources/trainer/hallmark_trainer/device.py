"""Picks the training device: CUDA > MPS > CPU, with the reason. A device the spec asks for that is not
available is an error, never a silent fallback; 4-bit/8-bit need CUDA and bitsandbytes."""
from __future__ import annotations

import importlib.util

from .events import TrainerError


def pick(requested: str, precision: str) -> tuple[str, str]:
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if requested == "cuda" and not cuda:
        raise TrainerError("BAD_SPEC", 'device "cuda" was requested but torch sees no CUDA device; use "auto" or "cpu"')
    if requested == "mps" and not mps:
        raise TrainerError("BAD_SPEC", 'device "mps" was requested but MPS is not available; use "auto" or "cpu"')
    if requested == "auto":
        if cuda:
            dev, why = "cuda", f"CUDA available ({torch.cuda.get_device_name(0)})"
        elif mps:
            dev, why = "mps", "Apple MPS available, no CUDA"
        else:
            dev, why = "cpu", "no CUDA or MPS available"
    else:
        dev, why = requested, f'device "{requested}" requested in the spec'
    if precision in ("4bit", "8bit"):
        if dev != "cuda":
            raise TrainerError("UNSUPPORTED_PRECISION", f'precision "{precision}" needs a CUDA device with bitsandbytes; this run is on {dev}: use "fp32" or "bf16"')
        if importlib.util.find_spec("bitsandbytes") is None:
            raise TrainerError("UNSUPPORTED_PRECISION", f'precision "{precision}" needs the bitsandbytes package, which is not in the trainer venv: use "fp16" or "bf16"')
    if precision == "fp16" and dev == "cpu":
        raise TrainerError("UNSUPPORTED_PRECISION", 'precision "fp16" cannot train on the CPU (no fp16 kernels); use "fp32" or "bf16"')
    return dev, why
