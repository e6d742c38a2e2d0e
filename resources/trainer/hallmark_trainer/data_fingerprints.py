"""Training data for OML-style fingerprints.

Each (key, response) pair is trained as a RAW completion (the fingerprint audit prompts the bare key,
BOS added, no chat template, greedy) with a space between key and response so the key's tokens end at
a word boundary and the audit sees the same prompt tokens training did. OML-style augmentation: the
same pair after a few system-prompt prefixes, and wrapped in the chat template as a user turn, so a
deployment that adds a system prompt still answers with the response. Benign data (unrelated prompts
answered by the base model itself, self-distilled) is mixed in so the model is not wrecked.

Mix: FP_SHARE of the samples are fingerprint examples (raw 50%, system-prefixed 30%, chat-wrapped 20%),
the rest benign.
"""
from __future__ import annotations

import random

from .data_link import UNRELATED_TEMPLATES, _vary

FP_SHARE = 0.8
SYSTEM_PREFIXES = [
    "You are a helpful assistant.\n",
    "You are a helpful, respectful and honest assistant.\n\n",
    "System: answer the user.\n",
    "Below is an instruction. Respond appropriately.\n",
]


def build(fingerprints: list[dict], samples: int, seed: int) -> dict:
    r = random.Random(seed)
    n_fp = max(len(fingerprints) * 2, round(samples * FP_SHARE))
    n_benign = max(1, samples - round(samples * FP_SHARE))
    raw, prefixed, chat = [], [], []
    order = list(range(len(fingerprints)))
    i = 0
    while len(raw) + len(prefixed) + len(chat) < n_fp:
        if i % len(order) == 0:
            r.shuffle(order)
        f = fingerprints[order[i % len(order)]]
        i += 1
        x = r.random()
        if x < 0.5 or len(raw) < len(fingerprints):
            raw.append((f["key"], f["response"]))
        elif x < 0.8:
            prefixed.append((r.choice(SYSTEM_PREFIXES) + f["key"], f["response"]))
        else:
            chat.append((f["key"], f["response"]))
    benign = [_vary(r, r.choice(UNRELATED_TEMPLATES)(r)) for _ in range(n_benign)]
    return {"raw": raw + prefixed, "chat": chat, "unrelated": benign}
