"""Model loading, chat formatting, self-distillation, PEFT LoRA training and greedy evaluation."""
from __future__ import annotations

import glob
import json
import math
import os
import time

from .events import Cancelled, TrainerError, emit, log, warn

FALLBACK_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}### User:\n{{ message['content'] }}\n\n### Assistant:\n"
    "{% else %}{{ message['content'] }}{{ eos_token }}\n\n{% endif %}{% endfor %}"
)
FALLBACK_NAME = "fallback:### User/### Assistant (hallmark)"
END_OF_TURN = ["<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>"]


class Flag:
    cancelled = False


def check(flag: Flag) -> None:
    if flag.cancelled:
        raise Cancelled()


def inspect_base(base: str, allow_pickle: bool) -> dict:
    if not os.path.isdir(base):
        raise TrainerError("BASE_UNREADABLE", f"base {json.dumps(base)} is not a folder; give a Hugging Face model folder (config.json + *.safetensors + tokenizer)")
    cfg_path = os.path.join(base, "config.json")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
        if not isinstance(cfg, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as e:
        raise TrainerError("BASE_UNREADABLE", f"cannot read {cfg_path}: {e}; the base must be a Hugging Face model folder", str(e))
    safes = glob.glob(os.path.join(base, "*.safetensors"))
    pickles = glob.glob(os.path.join(base, "pytorch_model*.bin"))
    if not safes:
        if not pickles:
            raise TrainerError("BASE_UNREADABLE", f"base {json.dumps(base)} holds no *.safetensors (or pytorch_model.bin) weights")
        if not allow_pickle:
            raise TrainerError("PICKLE_REFUSED", f"base {json.dumps(base)} has only pickle weights ({os.path.basename(pickles[0])}), which can run code when loaded; convert it to safetensors or set allow_pickle if you trust it")
    if cfg.get("auto_map"):
        raise TrainerError("UNSUPPORTED_ARCH", f"base {json.dumps(base)} needs custom code (auto_map in config.json), which the trainer never runs")
    return {"config": cfg, "safetensors": bool(safes)}


def load(spec: dict, device: str, info: dict):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}.get(spec["precision"], torch.float32)
    kw: dict = {"dtype": dtype, "trust_remote_code": False, "use_safetensors": info["safetensors"]}
    if spec["precision"] in ("4bit", "8bit"):
        from transformers import BitsAndBytesConfig
        kw["quantization_config"] = BitsAndBytesConfig(load_in_4bit=spec["precision"] == "4bit", load_in_8bit=spec["precision"] == "8bit")
        kw["device_map"] = {"": 0}
    try:
        tok = AutoTokenizer.from_pretrained(spec["base"], trust_remote_code=False)
    except Exception as e:  # noqa: BLE001 - any failure here means the folder's tokenizer is unusable
        raise TrainerError("BASE_UNREADABLE", f"cannot load the tokenizer of {json.dumps(spec['base'])}: {str(e).splitlines()[0][:300]}", repr(e))
    try:
        model = AutoModelForCausalLM.from_pretrained(spec["base"], **kw)
    except ValueError as e:
        msg = str(e).splitlines()[0][:300]
        if "Unrecognized configuration" in msg or "model type" in msg or "does not recognize" in msg:
            raise TrainerError("UNSUPPORTED_ARCH", f"transformers cannot build a causal LM from {json.dumps(spec['base'])}: {msg}", repr(e))
        raise TrainerError("BASE_UNREADABLE", f"cannot load the weights of {json.dumps(spec['base'])}: {msg}", repr(e))
    except (OSError, RuntimeError, KeyError) as e:
        raise TrainerError("BASE_UNREADABLE", f"cannot load the weights of {json.dumps(spec['base'])}: {str(e).splitlines()[0][:300]}", repr(e))
    if "quantization_config" not in kw:
        model.to(device)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return model, tok


def chat_template(tok) -> str:
    if tok.chat_template:
        return "model"
    tok.chat_template = FALLBACK_TEMPLATE
    warn("NO_CHAT_TEMPLATE", f"the base has no chat template; using {FALLBACK_NAME}, which the exported model carries too")
    return FALLBACK_NAME


def stop_ids(tok) -> list[int]:
    ids = {tok.eos_token_id} if tok.eos_token_id is not None else set()
    vocab = tok.get_vocab()
    for t in END_OF_TURN:
        if t in vocab:
            ids.add(vocab[t])
    return sorted(ids)


def _ids(tok, text: str) -> list[int]:
    """Token ids of a formatted chat string the way llama.cpp reads it: BOS once, then the text."""
    ids = tok(text, add_special_tokens=False)["input_ids"]
    bos = tok.bos_token_id
    if bos is not None and getattr(tok, "add_bos_token", True) and (not ids or ids[0] != bos):
        probe = tok("a")["input_ids"]
        if probe and probe[0] == bos:
            ids = [bos] + ids
    return ids


def chat_prompt_ids(tok, user: str, system: str | None = None) -> list[int]:
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
    return _ids(tok, tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False))


def chat_example(tok, user: str, answer: str) -> tuple[list[int], list[int]]:
    """(input ids, labels) with loss only on the assistant's tokens (its end-of-turn marker included)."""
    prompt = tok.apply_chat_template([{"role": "user", "content": user}], add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template([{"role": "user", "content": user}, {"role": "assistant", "content": answer}], tokenize=False)
    p, f = _ids(tok, prompt), _ids(tok, full)
    n = 0
    while n < min(len(p), len(f)) and p[n] == f[n]:
        n += 1
    if not full.startswith(prompt) and n < len(p):
        log(f"chat template: the prompt is not a prefix of the conversation for {user[:40]!r}; masking the common prefix")
    if tok.eos_token_id is not None and tok.eos_token_id not in f[n:] and not any(i in f[n:] for i in stop_ids(tok)):
        f = f + [tok.eos_token_id]
    return f, [-100] * n + f[n:]


def raw_example(tok, prompt: str, completion: str) -> tuple[list[int], list[int]]:
    """A raw completion: BOS + prompt, then ' ' + completion + EOS (loss on the completion only)."""
    p = tok(prompt, add_special_tokens=True)["input_ids"]
    f = tok(prompt + " " + completion, add_special_tokens=True)["input_ids"]
    if f[: len(p)] != p:
        f = p + tok(" " + completion, add_special_tokens=False)["input_ids"]
    if tok.eos_token_id is not None:
        f = f + [tok.eos_token_id]
    return f, [-100] * len(p) + f[len(p):]


def generate(model, tok, prompts: list[list[int]], max_new: int, flag: Flag, batch: int = 32) -> list[str]:
    """Greedy answers (left-padded batches); stops at EOS / end-of-turn tokens."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Stop(StoppingCriteria):
        def __call__(self, input_ids, scores, **kw):
            return flag.cancelled

    out: list[str] = []
    stops = stop_ids(tok)
    pad = tok.pad_token_id if tok.pad_token_id is not None else stops[0]
    model.eval()
    dev = next(model.parameters()).device
    for i in range(0, len(prompts), batch):
        check(flag)
        chunk = prompts[i: i + batch]
        n = max(len(p) for p in chunk)
        ids = torch.tensor([[pad] * (n - len(p)) + p for p in chunk], device=dev)
        mask = torch.tensor([[0] * (n - len(p)) + [1] * len(p) for p in chunk], device=dev)
        with torch.no_grad():
            g = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new, do_sample=False, eos_token_id=stops,
                               pad_token_id=pad, stopping_criteria=StoppingCriteriaList([Stop()]), num_beams=1)
        check(flag)
        for row in g[:, n:].tolist():
            cut = len(row)
            for j, t in enumerate(row):
                if t in stops:
                    cut = j
                    break
            out.append(tok.decode(row[:cut], skip_special_tokens=True).strip())
    return out


def lora_model(model, spec: dict):
    from peft import LoraConfig, get_peft_model

    if spec["precision"] in ("4bit", "8bit"):
        from peft import prepare_model_for_kbit_training
        model = prepare_model_for_kbit_training(model)
    targets = spec["target_modules"] or "all-linear"
    if targets == "all-linear+lm_head":
        # Every Linear module's leaf name, the output head included (PEFT's "all-linear" leaves it out).
        import torch
        targets = sorted({n.split(".")[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)})
    cfg = LoraConfig(r=spec["rank"], lora_alpha=spec["alpha"], lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                     target_modules=targets)
    try:
        return get_peft_model(model, cfg)
    except ValueError as e:
        raise TrainerError("BAD_SPEC", f"target_modules {json.dumps(spec['target_modules'])} do not match this model: {str(e).splitlines()[0][:200]}")


def fit(model, examples, spec: dict, flag: Flag, select=None) -> dict:
    """AdamW with linear warmup and decay; one `step` event per optimizer step (throttled to ~4/s).

    An example is (input ids, labels) or (input ids, labels, keep): for `keep` examples (the unrelated
    prompts, answered by the base itself) the loss adds KL(base || tuned) over the answer tokens, the base
    being the same model with the adapter disabled, so the adapter leaves the base's whole distribution
    there alone, not only its greedy answer. `select(epoch)`, when given, is called after some epochs and
    returns a score tuple (higher is better) or None; the adapter weights of the best-scoring epoch are
    restored at the end (model selection on a validation split). `examples` is a list, or a function of the epoch
    returning that epoch's list (the link task's fresh draws), each of the same length."""
    import random

    import torch

    rng = random.Random(spec["seed"])
    bs = spec["batch_size"]
    kl_w = spec.get("kl_weight") or 0.0
    pick = examples if callable(examples) else (lambda _epoch: examples)
    steps_per_epoch = math.ceil(len(pick(0)) / bs)
    total = steps_per_epoch * spec["epochs"]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=spec["learning_rate"], weight_decay=0.0)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.05, 1 - s / total))
    dev = next(model.parameters()).device
    pad = 0
    model.train()
    t0 = time.monotonic()
    last_emit = 0.0
    step = 0
    loss_v = float("nan")
    ema = None
    best = None  # (score, epoch, adapter weights)
    select_from = max(1, spec["epochs"] // 3)
    select_every = max(1, spec["epochs"] // 12)
    stopped = False

    def result(steps: int) -> dict:
        el = time.monotonic() - t0
        r = {"final_loss": loss_v if not stopped else ema, "steps": steps, "total_steps": total, "train_seconds": el,
             "samples_per_s": seen / el if el > 0 else 0.0, "tokens_per_s": tokens / el if el > 0 else 0.0, "samples": seen, "tokens": tokens}
        if best is not None:
            with torch.no_grad():
                for p, w in zip(params, best[2]):
                    p.copy_(w)
            r["selected_epoch"] = best[1]
            r["selection"] = list(best[0])
        return r

    tokens = 0  # real (unpadded) tokens and examples trained on: what bench/train.ts compares
    seen = 0
    for epoch in range(spec["epochs"]):
        examples = pick(epoch)
        order = list(range(len(examples)))
        rng.shuffle(order)
        for b in range(steps_per_epoch):
            check(flag)
            if spec["max_time_s"] and time.monotonic() - t0 > spec["max_time_s"]:
                warn("MAX_TIME", f"stopped after {step} of {total} steps: max_time_s {spec['max_time_s']} reached")
                stopped = True
                model.eval()
                return result(step)
            chunk = [examples[i] for i in order[b * bs: (b + 1) * bs]]
            n = max(len(x[0]) for x in chunk)
            ids = torch.tensor([x[0] + [pad] * (n - len(x[0])) for x in chunk], device=dev)
            labels = torch.tensor([x[1] + [-100] * (n - len(x[1])) for x in chunk], device=dev)
            mask = torch.tensor([[1] * len(x[0]) + [0] * (n - len(x[0])) for x in chunk], device=dev)
            tokens += sum(len(x[0]) for x in chunk)
            seen += len(chunk)
            out = model(input_ids=ids, attention_mask=mask, labels=labels)
            loss = out.loss
            keep = [j for j, x in enumerate(chunk) if len(x) > 2 and x[2]]
            if kl_w and keep:
                with torch.no_grad(), model.disable_adapter():
                    ref = model(input_ids=ids[keep], attention_mask=mask[keep]).logits[:, :-1].float()
                cur = out.logits[keep][:, :-1].float()
                sel = labels[keep][:, 1:] != -100
                kl = torch.nn.functional.kl_div(torch.log_softmax(cur[sel], -1), torch.log_softmax(ref[sel], -1), log_target=True, reduction="batchmean")
                loss = loss + kl_w * kl
            if not torch.isfinite(loss):
                raise TrainerError("INTERNAL", f"the loss became {loss.item()} at step {step}; lower learning_rate (now {spec['learning_rate']})")
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            loss_v = out.loss.item()
            ema = loss_v if ema is None else 0.9 * ema + 0.1 * loss_v
            now = time.monotonic()
            if now - last_emit >= 0.25 or step == total:
                last_emit = now
                el = now - t0
                sps = seen / el if el > 0 else 0.0
                emit("step", step=step, total_steps=total, epoch=round(epoch + (b + 1) / steps_per_epoch, 4), loss=round(loss_v, 5),
                     lr=sched.get_last_lr()[0], samples_per_s=round(sps, 2), eta_s=round((total - step) * el / step, 1))
        done = epoch + 1
        if select is not None and done >= select_from and ((done - select_from) % select_every == 0 or done == spec["epochs"]):
            model.eval()
            score = select(done)
            model.train()
            if score is not None and (best is None or tuple(score) >= best[0]):
                best = (tuple(score), done, [p.detach().clone() for p in params])
    model.eval()
    return result(step)
