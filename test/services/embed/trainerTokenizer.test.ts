// The merged GGUF must tokenize chats exactly as training did. transformers 5 re-saves a SentencePiece tokenizer as
// tokenizer.json only (no tokenizer.model, no added_tokens_decoder), and convert_hf_to_gguf.py then either scores
// every piece -1000 (without tokenizer.model: words split differently) or, given tokenizer.model alone, turns the chat
// markers into ordinary pieces (<|im_start|> split into 9 tokens). The trainer's merge export keeps the base's tokenizer.model and writes added_tokens_decoder; this checks,
// token by token, that the HF tokenizer and node-llama-cpp agree on the audit prompts through the chat template.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { getLlama } from 'node-llama-cpp';
import { IDENTITY_PROMPTS, UNRELATED_PROMPTS } from '../../../electron/services/audit/LinkAudit';
import { makeTinyLlama, trainerEnv, TRAINER_DIR, type TrainerEnv } from '../../helpers/trainerVenv';

const env = trainerEnv();
const skip = 'reason' in env ? env.reason : null;
if (skip) console.warn(`skipping the trainer tokenizer test: ${skip}`);

// Saves the base's tokenizer the way the trainer saves the merged model (AutoTokenizer -> save_pretrained), applies
// the trainer's own export fixes, and prints the HF ids of each text through the chat template.
const SCRIPT = `
import json, os, shutil, sys
from transformers import AutoTokenizer
from hallmark_trainer import export
base, merged, fix = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
prompts = json.loads(sys.stdin.read())
tok = AutoTokenizer.from_pretrained(base)
os.makedirs(merged)
for n in ("config.json", "model.safetensors"):
    shutil.copyfile(os.path.join(base, n), os.path.join(merged, n))
tok.save_pretrained(merged)
if fix:
    export.keep_base_tokenizer_files(base, merged)
    export.keep_added_tokens_decoder(merged)
out = []
for p in prompts:
    s = tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
    out.append({"text": s, "ids": tok(s, add_special_tokens=False)["input_ids"]})
print(json.dumps({"files": sorted(os.listdir(merged)), "cases": out}))
`;

describe.skipIf(skip !== null)('trainer merge export: the GGUF tokenizes as the HF tokenizer did', () => {
  const e = env as TrainerEnv;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-tok-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function agreement(fix: boolean): Promise<{ files: string[]; same: number; n: number; diff: string }> {
    const base = path.join(dir, 'base');
    if (!fs.existsSync(base)) makeTinyLlama(e, base, ['--steps', '1', '--seed', '5']);
    const merged = path.join(dir, fix ? 'merged-fixed' : 'merged-plain');
    const texts = [...IDENTITY_PROMPTS, ...UNRELATED_PROMPTS, 'Good morning! Where can I report a bug at https://example.com/a1?\nThanks.'];
    const py = spawnSync(e.python, ['-c', SCRIPT, base, merged, fix ? '1' : '0'], {
      input: JSON.stringify(texts), encoding: 'utf8', cwd: TRAINER_DIR, env: { ...process.env, PYTHONPATH: TRAINER_DIR }, timeout: 300_000,
    });
    expect(py.status, py.stderr.slice(-2000)).toBe(0);
    const { files, cases } = JSON.parse(py.stdout) as { files: string[]; cases: Array<{ text: string; ids: number[] }> };
    const gguf = path.join(dir, `${path.basename(merged)}.gguf`);
    const conv = spawnSync(e.python, [path.join(e.llamaCpp, 'convert_hf_to_gguf.py'), merged, '--outfile', gguf, '--outtype', 'f32'],
      { env: { ...process.env, PYTHONPATH: path.join(e.llamaCpp, 'gguf-py') }, encoding: 'utf8', timeout: 300_000 });
    expect(conv.status, conv.stderr.slice(-2000)).toBe(0);
    const llama = await getLlama({ gpu: false });
    const model = await llama.loadModel({ modelPath: gguf, vocabOnly: true });
    try {
      let same = 0;
      let diff = '';
      for (const c of cases) {
        const got = Array.from(model.tokenize(c.text, true));
        if (JSON.stringify(got) === JSON.stringify(c.ids)) same++;
        else diff ||= `${JSON.stringify(c.text)}: hf ${c.ids.join(' ')} | gguf ${got.join(' ')}`;
      }
      return { files, same, n: cases.length, diff };
    } finally {
      await model.dispose();
    }
  }

  it('with the export fixes every audit prompt has the same token ids in HF and in llama.cpp', async () => {
    const r = await agreement(true);
    expect(r.files).toContain('tokenizer.model');
    expect(r.same, r.diff).toBe(r.n);
  }, 900_000);

  it('without them (the folder as transformers 5 saves it) some prompt tokenizes differently: the check can fail', async () => {
    const r = await agreement(false);
    expect(r.files).not.toContain('tokenizer.model');
    expect(r.same).toBeLessThan(r.n);
  }, 900_000);
});
