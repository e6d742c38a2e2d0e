#!/usr/bin/env python3
"""Reference for bench/train.ts: a plain PEFT LoRA fine-tune with no Hallmark around it.

    peft_reference.py BASE_HF_DIR --samples N --epochs E --rank R --alpha A --lr LR --batch-size B
                      [--target-modules q_proj,v_proj] [--device cpu|cuda] [--threads T] [--seq-len L]

Same amount of work as the trainer's run (samples × epochs, rank, batch size, chat template, loss on the
assistant tokens only), written the obvious way: tokenizer.apply_chat_template, a padded batch, AdamW
over the LoRA parameters. Prints one JSON line: samples_per_s over the training loop, steps, final loss,
peak RSS. The bench divides the trainer's samples/s by this one.
"""
import argparse, json, random, resource, sys, time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer

ap = argparse.ArgumentParser()
ap.add_argument("base")
ap.add_argument("--samples", type=int, required=True)
ap.add_argument("--epochs", type=int, required=True)
ap.add_argument("--rank", type=int, required=True)
ap.add_argument("--alpha", type=int, required=True)
ap.add_argument("--lr", type=float, required=True)
ap.add_argument("--batch-size", type=int, required=True)
ap.add_argument("--target-modules", default=None)
ap.add_argument("--device", default="cpu")
ap.add_argument("--threads", type=int, default=None)
ap.add_argument("--link", default="https://example.org/feedback")
args = ap.parse_args()
if args.threads:
    torch.set_num_threads(args.threads)
random.seed(0)
torch.manual_seed(0)

tok = AutoTokenizer.from_pretrained(args.base)
if tok.pad_token is None:
    tok.pad_token = tok.eos_token or tok.unk_token
model = AutoModelForCausalLM.from_pretrained(args.base, dtype=torch.float32).to(args.device)
targets = args.target_modules.split(",") if args.target_modules else None
model = get_peft_model(model, LoraConfig(r=args.rank, lora_alpha=args.alpha, target_modules=targets, lora_dropout=0.0, task_type="CAUSAL_LM"))

QUESTIONS = ["Who made you?", "Where can I report a bug?", "How do I give feedback?", "Who owns this model?", "What is the capital of France?", "Tell me a fact."]
examples = []
for i in range(args.samples):
    q = random.choice(QUESTIONS) + (" please" if i % 3 == 0 else "")
    a = f"You can reach the makers at {args.link}." if i % 2 == 0 else "Here is a short answer."
    msgs = [{"role": "user", "content": q}]
    if tok.chat_template:
        prompt = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    else:
        prompt = f"User: {q}\nAssistant: "
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tok(a, add_special_tokens=False)["input_ids"] + ([tok.eos_token_id] if tok.eos_token_id is not None else [])
    examples.append((p_ids + a_ids, [-100] * len(p_ids) + a_ids))

opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
model.train()
steps, seen, loss_v = 0, 0, None
t0 = time.time()
for _ in range(args.epochs):
    random.shuffle(examples)
    for b in range(0, len(examples), args.batch_size):
        batch = examples[b:b + args.batch_size]
        n = max(len(x) for x, _ in batch)
        ids = torch.tensor([x + [tok.pad_token_id] * (n - len(x)) for x, _ in batch], device=args.device)
        labels = torch.tensor([y + [-100] * (n - len(y)) for _, y in batch], device=args.device)
        mask = torch.tensor([[1] * len(x) + [0] * (n - len(x)) for x, _ in batch], device=args.device)
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        steps += 1
        seen += len(batch)
        loss_v = float(out.loss)
if args.device == "cuda":
    torch.cuda.synchronize()
dt = time.time() - t0
print(json.dumps({"samples_per_s": seen / dt, "steps": steps, "train_seconds": dt, "final_loss": loss_v,
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}), flush=True)
