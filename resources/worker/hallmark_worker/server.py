"""JSON Lines server: one request object per stdin line, one reply object per stdout line (flushed).

Requests carry `id` and `op` (ping | load | predict | unload | exit). Replies echo `id` with
`event: "result"` (and the op's fields) or `event: "error"` (`code`, `message`). Anything a library
prints goes to stderr, never to the protocol stream."""
import json
import os
import sys
import traceback

from .models import WorkerError, load

_out = sys.stdout


def send(obj):
    _out.write(json.dumps(obj, allow_nan=False, default=str) + "\n")
    _out.flush()


def _rows(req, loaded):
    rows = req.get("rows")
    if not isinstance(rows, list) or not rows:
        raise WorkerError("BAD_REQUEST", "predict needs a non-empty list of rows")
    width = len(rows[0]) if isinstance(rows[0], list) else -1
    for i, r in enumerate(rows):
        if not isinstance(r, list) or len(r) != width:
            raise WorkerError("BAD_REQUEST", f"row {i} is not a list of {width} values")
    if loaded.n_features is not None and width != loaded.n_features:
        raise WorkerError("BAD_REQUEST", f"the model takes {loaded.n_features} features, rows have {width}")
    import numpy as np

    try:
        # null → NaN: a missing value, which models either take (trees) or reject with their own message.
        return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise WorkerError("BAD_REQUEST", f"rows must hold numbers or null: {e}") from e


def main():
    # Protocol output only on the real stdout; stray prints from libraries go to stderr.
    sys.stdout = sys.stderr
    models = {}
    next_handle = 1
    import platform

    send({"event": "ready", "pid": os.getpid(), "python": platform.python_version()})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        rid = None
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise WorkerError("BAD_REQUEST", "a request must be a JSON object")
            rid = req.get("id")
            op = req.get("op")
            if op == "ping":
                versions = {}
                for mod in ("numpy", "sklearn", "xgboost", "lightgbm", "catboost"):
                    try:
                        versions[mod] = __import__(mod).__version__
                    except Exception:  # noqa: BLE001 - absence is reported, not fatal
                        versions[mod] = None
                send({"event": "result", "id": rid, "pong": True, "versions": versions})
            elif op == "load":
                m = load(str(req.get("path", "")), req.get("format"), bool(req.get("allow_pickle")))
                h = next_handle
                next_handle += 1
                models[h] = m
                send({"event": "result", "id": rid, "handle": h, **m.describe()})
            elif op == "predict":
                m = models.get(req.get("handle"))
                if m is None:
                    raise WorkerError("NO_MODEL", f"no loaded model with handle {req.get('handle')}")
                rows = _rows(req, m)
                try:
                    preds, proba = m.predict(rows)
                except WorkerError:
                    raise
                except Exception as e:  # noqa: BLE001 - the model's own error, quoted to the user
                    raise WorkerError("MODEL_ERROR", f"{type(e).__name__}: {e}") from e
                send({"event": "result", "id": rid, "predictions": preds, "probabilities": proba})
            elif op == "unload":
                send({"event": "result", "id": rid, "unloaded": models.pop(req.get("handle"), None) is not None})
            elif op == "exit":
                send({"event": "result", "id": rid, "bye": True})
                return 0
            else:
                raise WorkerError("BAD_REQUEST", f"unknown op {op!r}")
        except WorkerError as e:
            send({"event": "error", "id": rid, "code": e.code, "message": e.message})
        except json.JSONDecodeError as e:
            send({"event": "error", "id": rid, "code": "BAD_REQUEST", "message": f"not JSON: {e}"})
        except Exception as e:  # noqa: BLE001 - a bug in a loader must not kill the worker
            traceback.print_exc()
            send({"event": "error", "id": rid, "code": "INTERNAL", "message": f"{type(e).__name__}: {e}"})
    return 0
