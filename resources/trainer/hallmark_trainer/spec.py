"""Validation of the JSON spec read from stdin, with errors that quote the bad value."""
from __future__ import annotations

import json
import os

from .events import TrainerError

FIELDS = {
    "task", "base", "out", "link", "fingerprints", "mode", "precision", "rank", "alpha", "target_modules",
    "learning_rate", "epochs", "batch_size", "seed", "samples", "max_time_s", "device", "threads", "allow_pickle",
    "llama_cpp", "gguf_type", "base_gguf", "eval", "kl_weight", "dataset_out",
}


def bad(msg: str) -> TrainerError:
    return TrainerError("BAD_SPEC", msg)


def _int(spec, k, lo, hi):
    v = spec.get(k)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise bad(f"{k} must be an integer from {lo} to {hi}, got {json.dumps(v)}")
    return v


def _num(spec, k, lo, hi):
    v = spec.get(k)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo < v <= hi:
        raise bad(f"{k} must be a number in ({lo}, {hi}], got {json.dumps(v)}")
    return float(v)


def _enum(spec, k, choices, default):
    v = spec.get(k, default)
    if v is None:
        v = default
    if v not in choices:
        raise bad(f"{k} must be one of {', '.join(map(str, choices))}, got {json.dumps(v)}")
    return v


def _abs(spec, k, required):
    v = spec.get(k)
    if v is None:
        if required:
            raise bad(f"{k} is required (an absolute path)")
        return None
    if not isinstance(v, str) or not os.path.isabs(v):
        raise bad(f"{k} must be an absolute path, got {json.dumps(v)}")
    return os.path.normpath(v)


def parse(text: str) -> dict:
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as e:
        raise bad(f"the spec on stdin is not JSON ({e.msg} at line {e.lineno} column {e.colno})")
    if not isinstance(spec, dict):
        raise bad("the spec on stdin must be one JSON object")
    unknown = sorted(set(spec) - FIELDS)
    if unknown:
        raise bad(f"unknown field(s) {', '.join(map(json.dumps, unknown))}; known: {', '.join(sorted(FIELDS))}")
    s: dict = {}
    s["task"] = _enum(spec, "task", ["link", "fingerprints"], None)
    s["base"] = _abs(spec, "base", True)
    s["out"] = _abs(spec, "out", True)
    if os.path.lexists(s["out"]):
        raise bad(f"out {json.dumps(s['out'])} already exists; give a path that does not exist yet")
    if not os.path.isdir(os.path.dirname(s["out"])):
        raise bad(f"the parent folder of out {json.dumps(s['out'])} does not exist")
    if s["task"] == "link":
        link = spec.get("link")
        if not isinstance(link, str) or len(link.strip()) < 4 or any(c.isspace() for c in link.strip()) or len(link) > 500:
            raise bad(f"link must be a URL without spaces (4 to 500 characters), got {json.dumps(link)}")
        s["link"] = link.strip()
        if spec.get("fingerprints") not in (None, []):
            raise bad("fingerprints belong to task fingerprints, not task link")
    else:
        fps = spec.get("fingerprints")
        if not isinstance(fps, list) or not fps:
            raise bad("task fingerprints needs fingerprints: a non-empty list of {key, response}")
        if len(fps) > 100_000:
            raise bad(f"at most 100000 fingerprints, got {len(fps)}")
        seen = set()
        for i, f in enumerate(fps):
            if not isinstance(f, dict) or set(f) - {"key", "response"} or not all(isinstance(f.get(k), str) and f.get(k) for k in ("key", "response")):
                raise bad(f"fingerprints[{i}] must be {{\"key\": non-empty string, \"response\": non-empty string}}")
            if f["key"] in seen:
                raise bad(f"fingerprints[{i}] repeats a key (keys must be distinct)")
            seen.add(f["key"])
        s["fingerprints"] = [{"key": f["key"], "response": f["response"]} for f in fps]
        if spec.get("link") is not None:
            raise bad("link belongs to task link, not task fingerprints")
    s["mode"] = _enum(spec, "mode", ["adapter", "merge"], "merge")
    s["precision"] = _enum(spec, "precision", ["fp32", "fp16", "bf16", "4bit", "8bit"], "fp32")
    s["rank"] = _int(spec, "rank", 1, 1024)
    s["alpha"] = _int(spec, "alpha", 1, 4096)
    tm = spec.get("target_modules")
    if tm is not None and (not isinstance(tm, list) or not tm or not all(isinstance(x, str) and x for x in tm)):
        raise bad(f"target_modules must be null or a non-empty list of module names, got {json.dumps(tm)}")
    s["target_modules"] = tm
    s["learning_rate"] = _num(spec, "learning_rate", 0, 1.0)
    s["epochs"] = _int(spec, "epochs", 1, 1000)
    s["batch_size"] = _int(spec, "batch_size", 1, 4096)
    s["seed"] = _int(spec, "seed", 0, 2**31 - 1)
    s["samples"] = _int(spec, "samples", 1, 1_000_000)
    s["max_time_s"] = _num(spec, "max_time_s", 0, 1e7)
    kw = spec.get("kl_weight")
    if kw is not None and (isinstance(kw, bool) or not isinstance(kw, (int, float)) or not 0 <= kw <= 100):
        raise bad(f"kl_weight must be a number from 0 to 100, got {json.dumps(kw)}")
    s["kl_weight"] = None if kw is None else float(kw)
    s["device"] = _enum(spec, "device", ["auto", "cpu", "cuda", "mps"], "auto")
    s["threads"] = _int(spec, "threads", 1, 1024)
    ap = spec.get("allow_pickle", False)
    if not isinstance(ap, bool):
        raise bad(f"allow_pickle must be true or false, got {json.dumps(ap)}")
    s["allow_pickle"] = ap
    s["llama_cpp"] = _abs(spec, "llama_cpp", False)
    s["gguf_type"] = _enum(spec, "gguf_type", ["f32", "f16", "q8_0"], "f16")
    s["base_gguf"] = _abs(spec, "base_gguf", False)
    # For bench/train.ts: the tokenized training examples, so a reference loop trains on exactly the same data.
    s["dataset_out"] = _abs(spec, "dataset_out", False)
    if s["dataset_out"] and os.path.lexists(s["dataset_out"]):
        raise bad(f"dataset_out {json.dumps(s['dataset_out'])} already exists")
    if s["base_gguf"] and not os.path.isfile(s["base_gguf"]):
        raise bad(f"base_gguf {json.dumps(s['base_gguf'])} is not a file")
    ev = spec.get("eval", True)
    if not isinstance(ev, bool):
        raise bad(f"eval must be true or false, got {json.dumps(ev)}")
    s["eval"] = ev
    if s["llama_cpp"] and not os.path.isfile(os.path.join(s["llama_cpp"], "convert_hf_to_gguf.py")):
        raise bad(f"llama_cpp {json.dumps(s['llama_cpp'])} is not a llama.cpp checkout (no convert_hf_to_gguf.py); run resources/trainer/llama-source.sh")
    return s


def resolve_defaults(s: dict, n_params: int) -> dict:
    """Seed 000's SDK defaults (LoRA rank 32, alpha 2*rank... lr 2e-4, 10 epochs, 500 samples), scaled for
    tiny models: under 50M parameters the LoRA must also reach the output head (a tiny model cannot spell a
    new link through its attention/MLP adapters alone) and converges only with a much higher learning rate
    and more passes: rank 32, lr 6e-3, 30 epochs, batch 16, 600 samples (measured on the tiny llama fixtures; see PROTOCOL.md)."""
    tiny = n_params < 50_000_000
    r = dict(s)
    if r["rank"] is None:
        r["rank"] = 32
    if r["alpha"] is None:
        r["alpha"] = 2 * r["rank"]
    if r["learning_rate"] is None:
        r["learning_rate"] = 6e-3 if tiny else 2e-4
    if r["epochs"] is None:
        r["epochs"] = 30 if tiny else 10
    if r["batch_size"] is None:
        r["batch_size"] = 16 if tiny else 4
    if r["target_modules"] is None and tiny:
        r["target_modules"] = "all-linear+lm_head"
    if r["seed"] is None:
        r["seed"] = 0
    if r["samples"] is None:
        r["samples"] = 600 if tiny else 500
    if r.get("kl_weight") is None:
        r["kl_weight"] = 1.0
    return r
