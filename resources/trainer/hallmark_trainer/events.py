"""JSON Lines events on stdout (one object per line, flushed); human logs on stderr."""
from __future__ import annotations

import json
import math
import sys
import time

T0 = time.monotonic()


class TrainerError(Exception):
    def __init__(self, code: str, message: str, detail: str = ""):
        super().__init__(message)
        self.code, self.message, self.detail = code, message, detail


class Cancelled(TrainerError):
    def __init__(self) -> None:
        super().__init__("CANCELLED", "training was cancelled (SIGTERM); nothing was kept")


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def emit(event: str, **fields) -> None:
    obj = {"event": event, "t": round(time.monotonic() - T0, 3), **fields}
    sys.stdout.write(json.dumps(_clean(obj), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    sys.stderr.write(f"[trainer {time.monotonic() - T0:7.1f}s] {msg}\n")
    sys.stderr.flush()


def stage(name: str, message: str) -> None:
    emit("stage", stage=name, message=message)
    log(f"{name}: {message}")


def warn(code: str, message: str) -> None:
    emit("warning", code=code, message=message)
    log(f"warning {code}: {message}")
