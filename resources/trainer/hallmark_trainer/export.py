"""GGUF export with llama.cpp's own converters (from the checkout node-llama-cpp was built from), run
as subprocesses with this venv's python and the checkout's gguf-py; the chat template the model was
trained with is verified to be in the GGUF."""
from __future__ import annotations

import os
import subprocess
import sys

from .events import Cancelled, TrainerError, log

CURRENT: dict = {"proc": None}


def _run(args: list[str], llama_cpp: str, flag) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(llama_cpp, "gguf-py")] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["NO_LOCAL_GGUF"] = ""
    log("running " + " ".join(os.path.basename(a) if i < 2 else a for i, a in enumerate(args)))
    proc = subprocess.Popen([sys.executable, *args], cwd=llama_cpp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    CURRENT["proc"] = proc
    try:
        out, _ = proc.communicate()
    finally:
        CURRENT["proc"] = None
    if flag.cancelled:
        raise Cancelled()
    if proc.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-15:])
        last = tail.splitlines()[-1] if tail else "no output"
        code = "DISK_FULL" if "No space left" in out else "EXPORT_FAILED"
        raise TrainerError(code, f"{os.path.basename(args[0])} failed (exit {proc.returncode}): {last[:300]}", tail)
    sys.stderr.write("".join(l + "\n" for l in out.strip().splitlines()[-3:]))


def model_gguf(llama_cpp: str, hf_dir: str, outfile: str, gguf_type: str, flag) -> None:
    _run([os.path.join(llama_cpp, "convert_hf_to_gguf.py"), hf_dir, "--outfile", outfile, "--outtype", gguf_type], llama_cpp, flag)


def adapter_gguf(llama_cpp: str, adapter_dir: str, base_dir: str, outfile: str, gguf_type: str, flag) -> None:
    # The LoRA converter knows f32/f16/bf16/q8_0; q8_0 adapters are poor, keep f16 for them.
    t = "f16" if gguf_type == "q8_0" else gguf_type
    _run([os.path.join(llama_cpp, "convert_lora_to_gguf.py"), adapter_dir, "--base", base_dir, "--outfile", outfile, "--outtype", t], llama_cpp, flag)


def gguf_chat_template(llama_cpp: str, path: str) -> str | None:
    sys.path.insert(0, os.path.join(llama_cpp, "gguf-py"))
    try:
        import gguf  # noqa: PLC0415 - from the checkout, only once export runs
    finally:
        sys.path.pop(0)
    r = gguf.GGUFReader(path)
    f = r.get_field("tokenizer.chat_template")
    if f is None:
        return None
    return bytes(f.parts[f.data[0]]).decode("utf-8")


# Tokenizer files a converter reads that transformers 5 does not re-save (it writes tokenizer.json
# only): without tokenizer.model, convert_hf_to_gguf.py scores every SentencePiece piece -1000 and
# llama.cpp then splits words differently from training (Llama 2, Mistral, every SentencePiece base).
TOKENIZER_SIDE_FILES = ("tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "added_tokens.json",
                        "special_tokens_map.json", "vocab.json", "merges.txt")


def keep_base_tokenizer_files(base: str, dest: str) -> list[str]:
    """Copies the base's tokenizer files that `dest` (a saved merged model) lacks; never overwrites."""
    import shutil
    kept = []
    for name in TOKENIZER_SIDE_FILES:
        src, dst = os.path.join(base, name), os.path.join(dest, name)
        if os.path.isfile(src) and not os.path.exists(dst):
            shutil.copyfile(src, dst)
            kept.append(name)
    return kept


def missing_added_tokens_decoder(folder: str) -> dict | None:
    """The added_tokens_decoder `folder`'s tokenizer_config.json lacks (built from tokenizer.json), or None."""
    import json
    cfg_path, tj_path = os.path.join(folder, "tokenizer_config.json"), os.path.join(folder, "tokenizer.json")
    if not (os.path.isfile(cfg_path) and os.path.isfile(tj_path)):
        return None
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    if not isinstance(cfg, dict) or cfg.get("added_tokens_decoder"):
        return None
    with open(tj_path, encoding="utf-8") as f:
        tj = json.load(f)
    added = tj.get("added_tokens") if isinstance(tj, dict) else None
    dec = {}
    for t in added if isinstance(added, list) else []:
        if isinstance(t, dict) and isinstance(t.get("id"), int) and isinstance(t.get("content"), str):
            dec[str(t["id"])] = {k: t.get(k, d) for k, d in (("content", ""), ("lstrip", False), ("normalized", False),
                                                              ("rstrip", False), ("single_word", False), ("special", False))}
    return dec or None


def keep_added_tokens_decoder(dest: str) -> bool:
    """transformers 5 keeps added tokens (chat markers, special tokens) only in tokenizer.json, but
    convert_hf_to_gguf.py's SentencePiece path reads them from tokenizer_config.json's
    added_tokens_decoder; without it a marker such as <|im_start|> becomes an ordinary piece that
    llama.cpp splits into several tokens. Writes the v4-style entry from tokenizer.json when absent."""
    import json
    dec = missing_added_tokens_decoder(dest)
    if not dec:
        return False
    cfg_path = os.path.join(dest, "tokenizer_config.json")
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    cfg["added_tokens_decoder"] = dec
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, ensure_ascii=False)
    return True


def staged_base(base: str, dest: str, template: str) -> str:
    """A view of the base folder (symlinks) whose tokenizer carries `template` (the fallback chat
    template used in training) and an added_tokens_decoder, so the exported base GGUF formats and
    tokenizes chats as training did."""
    import json
    os.makedirs(dest)
    for name in os.listdir(base):
        if name in ("tokenizer_config.json", "chat_template.jinja", "chat_template.json"):
            continue
        os.symlink(os.path.join(base, name), os.path.join(dest, name))
    cfg = {}
    p = os.path.join(base, "tokenizer_config.json")
    if os.path.exists(p):
        with open(p, encoding="utf-8") as f:
            cfg = json.load(f)
    cfg["chat_template"] = template
    with open(os.path.join(dest, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f)
    keep_added_tokens_decoder(dest)
    return dest
