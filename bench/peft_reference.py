#!/usr/bin/env python3
"""Reference for bench/train.ts: the trainer's training loop written the plain PEFT way, on the SAME data.

    peft_reference.py BASE_HF_DIR --dataset EXAMPLES.jsonl --epochs E --rank R --alpha A --lr LR --batch-size B
                      [--target-modules a,b,...] [--kl-weight W] [--seed S] [--device cpu|cuda] [--threads T]

EXAMPLES.jsonl is what the trainer wrote with `dataset_out` (token ids, labels with -100 outside the answer,
`keep` for the self-distilled examples that also carry a KL term to the base): the same examples, batch size,
epochs, shuffling seed, LoRA rank/alpha/targets and loss terms, so the two count the same thing. Prints one JSON
line: samples/s and tokens/s (unpadded tokens) over the training loop, steps, final loss, peak RSS.
"""
import argparse, json, random, resource, time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("base")
ap.add_argument("--dataset", required=True)
ap.add_argument("--epochs", type=int, required=True)
ap.add_argument("--rank", type=int, required=True)
ap.add_argument("--alpha", type=int, required=True)
ap.add_argument("--lr", type=float, required=True)
ap.add_argument("--batch-size", type=int, required=True)
ap.add_argument("--target-modules", default=None)
ap.add_argument("--kl-weight", type=float, default=0.0)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--device", default="cpu")
ap.add_argument("--threads", type=int, default=None)
args = ap.parse_args()
if args.threads:
    torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

with open(args.dataset, encoding="utf-8") as f:
    examples = [json.loads(line) for line in f if line.strip()]
model = AutoModelForCausalLM.from_pretrained(args.base, dtype=torch.float32).to(args.device)
targets = args.target_modules.split(",") if args.target_modules else None
model = get_peft_model(model, LoraConfig(r=args.rank, lora_alpha=args.alpha, target_modules=targets, lora_dropout=0.0, task_type="CAUSAL_LM"))

opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)
model.train()
rng = random.Random(args.seed)
steps, seen, tokens, loss_v = 0, 0, 0, None
t0 = time.time()
for _ in range(args.epochs):
    order = list(range(len(examples)))
    rng.shuffle(order)
    for b in range(0, len(order), args.batch_size):
        batch = [examples[i] for i in order[b:b + args.batch_size]]
        n = max(len(x["ids"]) for x in batch)
        ids = torch.tensor([x["ids"] + [0] * (n - len(x["ids"])) for x in batch], device=args.device)
        labels = torch.tensor([x["labels"] + [-100] * (n - len(x["labels"])) for x in batch], device=args.device)
        mask = torch.tensor([[1] * len(x["ids"]) + [0] * (n - len(x["ids"])) for x in batch], device=args.device)
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
        loss = out.loss
        keep = [j for j, x in enumerate(batch) if x["keep"]]
        if args.kl_weight and keep:
            with torch.no_grad(), model.disable_adapter():
                ref = model(input_ids=ids[keep], attention_mask=mask[keep]).logits[:, :-1]
            sel = labels[keep][:, 1:] != -100
            kl = torch.nn.functional.kl_div(torch.log_softmax(out.logits[keep][:, :-1][sel], -1), torch.log_softmax(ref[sel], -1), log_target=True, reduction="batchmean")
            loss = loss + args.kl_weight * kl
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        steps += 1
        seen += len(batch)
        tokens += sum(len(x["ids"]) for x in batch)
        loss_v = float(out.loss)
if args.device == "cuda":
    torch.cuda.synchronize()
dt = time.time() - t0
print(json.dumps({"samples_per_s": seen / dt, "tokens_per_s": tokens / dt, "samples": seen, "tokens": tokens, "steps": steps, "train_seconds": dt,
                  "final_loss": loss_v, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}), flush=True)
