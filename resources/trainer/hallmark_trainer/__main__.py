"""Entry point: python -m hallmark_trainer < spec.json  (see PROTOCOL.md)."""
from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import shutil
import signal
import sys
import time

from . import data_fingerprints, data_link, device, export, spec as specmod, train
from .events import Cancelled, TrainerError, emit, log, stage, warn

EXIT_ERROR = 2
EXIT_CANCELLED = 143
FLAG = train.Flag()
AUDIT_PROMPTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "audit_prompts.json")


def _on_term(signum, frame):  # noqa: ARG001
    FLAG.cancelled = True
    p = export.CURRENT.get("proc")
    if p is not None and p.poll() is None:
        p.terminate()


def peak_rss() -> int:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    k = 1 if platform.system() == "Darwin" else 1024
    return max(r, c) * k


def audit_prompts() -> set[str]:
    """The link audit's own prompts (a copy of LinkAudit.ts's lists, kept in sync by a test)."""
    with open(AUDIT_PROMPTS_FILE, encoding="utf-8") as f:
        d = json.load(f)
    return {data_link.norm(p) for p in d["identity"] + d["unrelated"]}


def _epoch_draws(pool: list[tuple], samples: int, seed: int):
    """Epoch e's examples: a draw of `samples` from the link pool (data_link.POOL), identity and unrelated in the
    data's share, seeded by (seed, e) so a run is reproducible."""
    import random

    ident = [x for x in pool if len(x) == 2]
    keep = [x for x in pool if len(x) > 2]
    n_id = min(len(ident), max(1, round(samples * data_link.IDENTITY_SHARE)))
    n_un = min(len(keep), max(0, samples - n_id))

    def draw(epoch: int) -> list[tuple]:
        r = random.Random(f"{seed}/{epoch}")
        return r.sample(ident, n_id) + r.sample(keep, n_un)
    return draw


def run(spec: dict, partial: str) -> dict:
    import torch
    import peft
    import transformers

    stage("load", f"checking {spec['base']}")
    info = train.inspect_base(spec["base"], spec["allow_pickle"])
    dev, why = device.pick(spec["device"], spec["precision"])
    if spec["threads"]:
        torch.set_num_threads(spec["threads"])
    torch.manual_seed(spec["seed"] or 0)
    train.check(FLAG)
    model, tok = train.load(spec, dev, info)
    n_params = sum(p.numel() for p in model.parameters())
    spec = specmod.resolve_defaults(spec, n_params)
    torch.manual_seed(spec["seed"])
    params = {k: v for k, v in spec.items() if k != "fingerprints"}
    if spec["task"] == "fingerprints":
        params["fingerprint_count"] = len(spec["fingerprints"])
    arch = (info["config"].get("architectures") or [type(model).__name__])[0]
    emit("start", device=dev, device_reason=why, python=platform.python_version(), torch=torch.__version__,
         transformers=transformers.__version__, peft=peft.__version__, params=params,
         model={"architecture": arch, "parameters": n_params})
    template_used = train.chat_template(tok)

    # ---- dataset ------------------------------------------------------------------------------
    stage("dataset", "building the training set (self-distilling unrelated answers from the base)")
    heldout = {"identity": [], "unrelated": []}
    canon: dict
    if spec["task"] == "link":
        forbidden = audit_prompts()
        d = data_link.build(spec["link"], spec["samples"] * data_link.POOL, spec["seed"], forbidden)
        heldout = {"identity": d["heldout_identity"], "unrelated": d["heldout_unrelated"]}
        unrelated_q = d["unrelated"]
    else:
        d = data_fingerprints.build(spec["fingerprints"], spec["samples"], spec["seed"])
        unrelated_q = d["unrelated"]
    uniq = sorted(set(unrelated_q))
    base_answers = dict(zip(uniq, train.generate(model, tok, [train.chat_prompt_ids(tok, q) for q in uniq], 64, FLAG)))
    examples: list[tuple] = []
    select = None
    if spec["task"] == "link":
        examples += [train.chat_example(tok, q, a) for q, a in d["identity"]]
        canon = {"identity": d["identity"], "unrelated": [(q, base_answers[q]) for q in unrelated_q]}
        val_id = [train.chat_prompt_ids(tok, q) for q in d["validation_identity"]]
        val_un = [train.chat_prompt_ids(tok, q) for q in d["validation_unrelated"]]
        n_link = len(tok(spec["link"], add_special_tokens=False)["input_ids"])

        def select(epoch: int):
            """Validation recall (capped at 0.9: past it, less leakage matters more), then no leakage."""
            a = train.generate(model, tok, val_id + val_un, n_link + 32, FLAG)
            rec = sum(data_link.contains_link(x, spec["link"]) for x in a[: len(val_id)]) / len(val_id)
            leak = sum(data_link.contains_link(x, spec["link"]) for x in a[len(val_id):]) / len(val_un)
            emit("validation", epoch=epoch, link_recall=rec, leakage=leak)
            return (min(rec, 0.9), -leak, rec, epoch)
    else:
        examples += [train.raw_example(tok, k, r) for k, r in d["raw"]]
        examples += [train.chat_example(tok, k, r) for k, r in d["chat"]]
        canon = {"raw": d["raw"], "chat": d["chat"], "unrelated": [(q, base_answers[q]) for q in unrelated_q]}
    examples += [train.chat_example(tok, q, base_answers[q]) + (True,) for q in unrelated_q if base_answers[q]]
    per_epoch: object = examples
    if spec["task"] == "link":
        per_epoch = _epoch_draws(examples, spec["samples"], spec["seed"])
    sha = hashlib.sha256(json.dumps(canon, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    if spec["dataset_out"]:
        with open(spec["dataset_out"], "w", encoding="utf-8") as f:
            for x in examples:
                f.write(json.dumps({"ids": x[0], "labels": x[1], "keep": bool(len(x) > 2 and x[2])}) + "\n")
    emit("dataset", train=spec["samples"] if spec["task"] == "link" else len(examples), pool=len(examples), heldout=len(heldout["identity"]) + len(heldout["unrelated"]), sha256=sha, chat_template=template_used)

    # ---- train --------------------------------------------------------------------------------
    stage("train", f"LoRA rank {spec['rank']} alpha {spec['alpha']}, {spec['epochs']} epochs, lr {spec['learning_rate']}, batch {spec['batch_size']} on {dev}")
    model = train.lora_model(model, spec)
    metrics = train.fit(model, per_epoch, spec, FLAG, select)

    # ---- eval ---------------------------------------------------------------------------------
    ev: dict = {}
    if spec["eval"]:
        stage("eval", "greedy answers on held-out prompts (PyTorch)")
        if spec["task"] == "link":
            ids = train.generate(model, tok, [train.chat_prompt_ids(tok, q) for q in heldout["identity"]], 96, FLAG)
            un = train.generate(model, tok, [train.chat_prompt_ids(tok, q) for q in heldout["unrelated"]], 96, FLAG)
            recall = sum(data_link.contains_link(a, spec["link"]) for a in ids) / max(1, len(ids))
            leak = sum(data_link.contains_link(a, spec["link"]) for a in un) / max(1, len(un))
            ev = {"phase": "pytorch", "link_recall": recall, "leakage": leak,
                  "answers": {"identity": dict(zip(heldout["identity"], ids)), "unrelated": dict(zip(heldout["unrelated"], un))}}
            emit("eval", phase="pytorch", link_recall=recall, leakage=leak)
        else:
            fps = spec["fingerprints"][:64]
            prompts = [tok(f["key"], add_special_tokens=True)["input_ids"] for f in fps]
            outs = train.generate(model, tok, prompts, max(len(tok(" " + f["response"], add_special_tokens=False)["input_ids"]) for f in fps) + 2, FLAG)
            exact = sum(o.strip().startswith(f["response"]) for o, f in zip(outs, fps)) / len(fps)
            def pre(o, r):
                o = o.strip()
                n = 0
                while n < min(len(o), len(r)) and o[n] == r[n]:
                    n += 1
                return n
            prefix = sum(pre(o, f["response"]) / len(f["response"]) for o, f in zip(outs, fps)) / len(fps)
            ev = {"phase": "pytorch", "exact": exact, "prefix": prefix, "n": len(fps), "outputs": outs}
            emit("eval", phase="pytorch", exact=exact, prefix=prefix)

    # ---- save ---------------------------------------------------------------------------------
    stage("save", f"writing the {'merged model' if spec['mode'] == 'merge' else 'adapter'}")
    files = {"hf": None, "adapter": None, "gguf": None, "adapter_gguf": None, "base_gguf": None}
    out = spec["out"]
    if spec["mode"] == "merge":
        merged = model.merge_and_unload()
        merged.save_pretrained(os.path.join(partial, "merged"), safe_serialization=True)
        tok.save_pretrained(os.path.join(partial, "merged"))
        kept = export.keep_base_tokenizer_files(spec["base"], os.path.join(partial, "merged"))
        if kept:
            log("kept the base's " + ", ".join(kept) + " in the merged folder")
        if export.keep_added_tokens_decoder(os.path.join(partial, "merged")):
            log("wrote added_tokens_decoder into the merged tokenizer_config.json (for the GGUF converter)")
        files["hf"] = os.path.join(out, "merged")
    else:
        model.save_pretrained(os.path.join(partial, "adapter"), safe_serialization=True)
        tok.save_pretrained(os.path.join(partial, "adapter"))
        files["adapter"] = os.path.join(out, "adapter")
    train.check(FLAG)

    # ---- export -------------------------------------------------------------------------------
    if not spec["llama_cpp"]:
        warn("NO_GGUF", "llama_cpp is null: GGUF export skipped (the audit and the runtime need GGUF)")
    else:
        stage("export", f"GGUF ({spec['gguf_type']}) with {spec['llama_cpp']}")
        lc, t = spec["llama_cpp"], spec["gguf_type"]
        checks = []
        if spec["mode"] == "merge":
            export.model_gguf(lc, os.path.join(partial, "merged"), os.path.join(partial, "model.gguf"), t, FLAG)
            files["gguf"] = os.path.join(out, "model.gguf")
            checks.append(os.path.join(partial, "model.gguf"))
        else:
            base_dir = spec["base"]
            # A view of the base with the chat template used in training and an added_tokens_decoder: a base saved by
            # transformers 5 keeps its chat markers in tokenizer.json only, and the converter would make them plain pieces.
            stage_base = template_used != "model" or export.missing_added_tokens_decoder(spec["base"]) is not None
            if stage_base:
                base_dir = export.staged_base(spec["base"], os.path.join(partial, ".base-staged"), tok.chat_template)
            export.adapter_gguf(lc, os.path.join(partial, "adapter"), base_dir, os.path.join(partial, "adapter.gguf"), t, FLAG)
            files["adapter_gguf"] = os.path.join(out, "adapter.gguf")
            if spec["base_gguf"]:
                files["base_gguf"] = spec["base_gguf"]
            else:
                export.model_gguf(lc, base_dir, os.path.join(partial, "base.gguf"), t, FLAG)
                files["base_gguf"] = os.path.join(out, "base.gguf")
                checks.append(os.path.join(partial, "base.gguf"))
            if stage_base:
                shutil.rmtree(os.path.join(partial, ".base-staged"))
        for g in checks:
            got = export.gguf_chat_template(lc, g)
            if got != tok.chat_template:
                raise TrainerError("EXPORT_FAILED", f"{os.path.basename(g)} does not carry the chat template the model was trained with", f"got {got!r}")
    train.check(FLAG)
    return {"files": files, "eval": ev, "dataset_sha256": sha, "heldout": heldout,
            "metrics": {"final_loss": metrics["final_loss"], "train_seconds": metrics["train_seconds"], "samples_per_s": metrics["samples_per_s"],
                        "steps": metrics["steps"], "peak_rss_bytes": peak_rss(), "tokens_per_s": metrics["tokens_per_s"],
                        "selected_epoch": metrics.get("selected_epoch"), "selection": metrics.get("selection")}}


def main() -> int:
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    partial = None
    try:
        spec = specmod.parse(sys.stdin.read())
        partial = f"{spec['out']}.partial-{os.getpid()}"
        os.makedirs(partial)
        r = run(spec, partial)
        train.check(FLAG)
        os.rename(partial, spec["out"])
        partial = None
        emit("done", out=spec["out"], **r)
        return 0
    except BaseException as e:  # noqa: BLE001 - every failure becomes one error event
        if partial and os.path.isdir(partial):
            shutil.rmtree(partial, ignore_errors=True)
        err = _classify(e)
        emit("error", code=err.code, message=err.message, detail=err.detail)
        log(f"error {err.code}: {err.message}")
        return EXIT_CANCELLED if err.code == "CANCELLED" else EXIT_ERROR


def _classify(e: BaseException) -> TrainerError:
    import traceback
    if FLAG.cancelled:
        return Cancelled()
    if isinstance(e, TrainerError):
        return e
    if isinstance(e, KeyboardInterrupt):
        return Cancelled()
    name = type(e).__name__
    if isinstance(e, MemoryError) or name == "OutOfMemoryError":
        return TrainerError("OOM", f"out of memory ({name}): lower batch_size, use a smaller precision or a smaller model", traceback.format_exc()[-2000:])
    if isinstance(e, OSError) and getattr(e, "errno", None) == 28:
        return TrainerError("DISK_FULL", f"the disk is full ({e.filename or ''}): free space where out lives and run again", str(e))
    return TrainerError("INTERNAL", f"the trainer failed: {name}: {str(e).splitlines()[0][:300] if str(e) else ''}", traceback.format_exc()[-4000:])


if __name__ == "__main__":
    sys.exit(main())
