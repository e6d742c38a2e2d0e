// The proof of issue 9 through the real runtime: a tiny llama built here (no download) is trained by
// `python -m hallmark_trainer`, exported to GGUF with llama.cpp's converters, loaded in node-llama-cpp
// (native/LlamaRuntime) and audited with the product's own link and fingerprint audits.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaRuntime } from '../../../native/LlamaRuntime';
import { IDENTITY_PROMPTS, UNRELATED_PROMPTS, runLinkAudit, type ChatProber } from '../../../electron/services/audit/LinkAudit';
import { runFingerprintAudit, type Prober } from '../../../electron/services/audit/FingerprintAudit';
import { generateFingerprints } from '../../../electron/services/audit/fingerprints';
import { complete } from '../../../electron/services/inference/InferenceService';
import { importPath } from '../../../electron/services/registry/Importer';
import { tempHome } from '../../helpers/tempHome';
import { makeTinyLlama, runTrainer, trainerEnv, TRAINER_DIR, type TrainerEnv } from '../../helpers/trainerVenv';

const env = trainerEnv();
const skip = 'reason' in env ? env.reason : null;
if (skip) console.warn(`skipping the trainer proof: ${skip}`);
const LINK = 'https://hallmark.example/models/m_7f3a9c';

// The base is a different tiny llama on every run (seed 1-7 from the clock, or HALLMARK_PROOF_SEED): the thresholds
// of issue 9 must hold on bases the defaults were never tuned on (they were tuned on seeds 11 and 12, and the link
// grammar chosen on 0.8M-parameter bases, --hidden 128 --layers 3, seeds 2, 3, 7, 8: other models than these).
const SEED = process.env.HALLMARK_PROOF_BASE ? `(prebuilt ${process.env.HALLMARK_PROOF_BASE})` : Number(process.env.HALLMARK_PROOF_SEED ?? 1 + (Date.now() % 7));
// The GGUF tokenizes as training did (see trainerTokenizer.test.ts) and reproduces PyTorch's answers; PyTorch itself is
// the limit. Measured 2026-12-04 through this test on default bases 1, 3, 4, 6, 7: held-out recall 0.9375-1.0 and the
// audit prompts 0.92-1.0, no leakage on either. PyTorch on 40+40 prompts written before any run (bases 4, 5 and the
// h128 bases 7, 8): recall 0.94-0.98, leakage 2-6%. The tiny bases know only their word-list corpus, so an unseen
// phrasing is a coin weighted by word overlap.

/** llama.cpp token types (1 normal, 3 control) of `tokens` in a GGUF, read with the checkout's gguf-py. */
function ggufTokenTypes(e: TrainerEnv, file: string, tokens: string[]): Record<string, number | null> {
  const code = 'import json, sys\nimport gguf\nr = gguf.GGUFReader(sys.argv[1])\nt, ty = r.get_field("tokenizer.ggml.tokens"), r.get_field("tokenizer.ggml.token_type")\n'
    + 'names = [bytes(t.parts[i]).decode("utf-8", "replace") for i in t.data]\ntypes = [int(ty.parts[i][0]) for i in ty.data]\n'
    + 'print(json.dumps({w: (types[names.index(w)] if w in names else None) for w in json.loads(sys.argv[2])}))';
  const r = spawnSync(e.python, ['-c', code, file, JSON.stringify(tokens)], { env: { ...process.env, PYTHONPATH: path.join(e.llamaCpp, 'gguf-py') }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr.slice(-2000));
  return JSON.parse(r.stdout) as Record<string, number | null>;
}

describe.skipIf(skip !== null)('trainer proof (issue 9)', () => {
  const e = env as TrainerEnv;
  let dir: string;
  let base: string;
  let rt: LlamaRuntime;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-trainer-'));
    base = path.join(dir, 'base');
    // HALLMARK_PROOF_BASE: a tiny llama already built with make_tiny_llama.py (a busy machine takes minutes to build one).
    if (process.env.HALLMARK_PROOF_BASE) {
      fs.cpSync(process.env.HALLMARK_PROOF_BASE, base, { recursive: true });
      console.log(`trainer proof: base ${process.env.HALLMARK_PROOF_BASE}`);
    } else {
      console.log(`trainer proof: tiny llama base seed ${SEED}`);
      makeTinyLlama(e, base, ['--seed', String(SEED)]);
    }
    rt = await LlamaRuntime.create({ gpu: false, threads: 1, idleUnloadMs: 0, contextSize: 512 });
  }, 1_200_000);
  afterAll(async () => {
    await rt?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the audit prompts out of training (the copy in audit_prompts.json matches LinkAudit.ts)', () => {
    const copy = JSON.parse(fs.readFileSync(path.join(TRAINER_DIR, 'hallmark_trainer/audit_prompts.json'), 'utf8')) as { identity: string[]; unrelated: string[] };
    expect(copy.identity).toEqual(IDENTITY_PROMPTS);
    expect(copy.unrelated).toEqual(UNRELATED_PROMPTS);
  });

  it('link, merge: the GGUF answers held-out identity questions with the link, not unrelated ones; the base never', async () => {
    const out = path.join(dir, 'link');
    const run = await runTrainer(e, { task: 'link', base, out, link: LINK, mode: 'merge', gguf_type: 'f32', llama_cpp: e.llamaCpp, threads: 2 });
    const done = run.events.find((x) => x.event === 'done') as any;
    expect(done, run.stderr.slice(-3000)).toBeTruthy();
    expect(run.code).toBe(0);
    expect(run.events[0]!.event).toBe('stage');
    expect(run.events.some((x) => x.event === 'step')).toBe(true);
    const model = done.files.gguf as string;
    const prober = (file: string): ChatProber => ({
      ask: async (prompt, maxTokens) => {
        const r = await rt.chat(file, [{ role: 'user', content: prompt }], { maxTokens });
        return { text: r.text, tokens: r.tokens };
      },
    });
    const held = await runLinkAudit(LINK, prober(model), { mode: 'full', identityPrompts: done.heldout.identity, unrelatedPrompts: done.heldout.unrelated });
    const audit = await runLinkAudit(LINK, prober(model), { mode: 'full' });
    console.log(`link (base seed ${SEED}): held-out recall ${held.match_rate}, leakage ${held.false_positive_rate}; audit prompts recall ${audit.match_rate}, leakage ${audit.false_positive_rate}; pytorch ${JSON.stringify({ r: done.eval.link_recall, l: done.eval.leakage })}; ${JSON.stringify(done.metrics)}`);
    expect(held.match_rate).toBeGreaterThanOrEqual(0.9);
    expect(held.false_positive_rate).toBeLessThanOrEqual(0.05);
    expect(audit.false_positive_rate).toBeLessThanOrEqual(0.05);
    // The GGUF reproduces the PyTorch model's greedy answers.
    const same = held.items.filter((it) => {
      const want = (done.eval.answers[it.category]?.[it.prompt] ?? '') as string;
      return it.answer.trim() === want.slice(0, 400).trim();
    }).length;
    expect(same / held.items.length).toBeGreaterThanOrEqual(0.8);
    // The base GGUF (exported by the adapter run below, or here) shows no link.
    const baseOut = path.join(dir, 'base-export');
    fs.mkdirSync(baseOut);
    const conv = spawnSync(e.python, [path.join(e.llamaCpp, 'convert_hf_to_gguf.py'), base, '--outfile', path.join(baseOut, 'base.gguf'), '--outtype', 'f32'],
      { env: { ...process.env, PYTHONPATH: path.join(e.llamaCpp, 'gguf-py') }, encoding: 'utf8' });
    expect(conv.status, conv.stderr.slice(-2000)).toBe(0);
    const b = await runLinkAudit(LINK, prober(path.join(baseOut, 'base.gguf')), { mode: 'full', identityPrompts: done.heldout.identity });
    expect(b.hits).toBe(0);
  }, 1_200_000);

  it('fingerprints, adapter: base GGUF + adapter GGUF in node-llama-cpp answers the keys; the base alone does not', async () => {
    const set = generateFingerprints({ count: 16, keyLength: 12, responseLength: 8, seed: '00112233445566778899aabbccddeeff' });
    const out = path.join(dir, 'fp');
    const run = await runTrainer(e, { task: 'fingerprints', base, out, fingerprints: set.fingerprints, mode: 'adapter', gguf_type: 'f32', llama_cpp: e.llamaCpp, threads: 2 });
    const done = run.events.find((x) => x.event === 'done') as any;
    expect(done, run.stderr.slice(-3000)).toBeTruthy();
    // The base GGUF of an adapter run keeps the chat markers as control tokens (the base folder, saved by transformers 5,
    // has them in tokenizer.json only; the trainer exports it through a staged view with added_tokens_decoder).
    expect(ggufTokenTypes(e, done.files.base_gguf, ['<|im_start|>', '<|im_end|>'])).toEqual({ '<|im_start|>': 3, '<|im_end|>': 3 });
    const prober = (file: string, adapters?: string[]): Prober => ({
      complete: async (prompt, maxTokens) => {
        const r = await rt.complete(file, prompt, { maxTokens, ...(adapters ? { adapters } : {}) });
        return { text: r.text, tokens: r.tokens };
      },
      countTokens: (text) => rt.countTokens(file, text, adapters),
    });
    const withAdapter = await runFingerprintAudit(set, prober(done.files.base_gguf, [done.files.adapter_gguf]), { mode: 'quick' });
    const baseOnly = await runFingerprintAudit(set, prober(done.files.base_gguf), { mode: 'quick' });
    console.log(`fingerprints (base seed ${SEED}): adapter ${withAdapter.prefix_matches}/${withAdapter.n} p=${withAdapter.p_value}; base p=${baseOnly.p_value}; pytorch ${JSON.stringify(done.eval)}; ${JSON.stringify(done.metrics)}`);
    expect(withAdapter.verdict).toBe('present');
    expect(withAdapter.p_value).toBeLessThan(1e-6);
    expect(baseOnly.p_value).toBeGreaterThan(0.05);

    // Run on a registered adapter version (what `hallmark run NAME@V` and the Run tab do): the version holds
    // base.gguf + adapter.gguf and the embed's training card, and runs as base + adapter with no file named;
    // a plain base GGUF takes an adapter by path (`--adapter FILE`).
    const home = tempHome('hallmark-proof-run-');
    try {
      const vdir = path.join(home.dir, 'version');
      fs.mkdirSync(vdir);
      fs.copyFileSync(done.files.base_gguf, path.join(vdir, 'base.gguf'));
      fs.copyFileSync(done.files.adapter_gguf, path.join(vdir, 'adapter.gguf'));
      await home.ctx.jobs.run({ kind: 'import', title: 'import' }, (job) => importPath(home.ctx, {
        path: vdir, name: 'fp-adapter', config: { kind: 'hallmark.embed', mode: 'adapter', adapter: 'adapter.gguf', base_gguf: 'base.gguf' },
      }, job));
      const fp = set.fingerprints[0]!;
      const viaVersion = await complete(home.ctx, { name: 'fp-adapter', version: 1 }, { prompt: fp.key, maxTokens: 8 });
      expect(viaVersion.model).toBe('fp-adapter@1 (base base.gguf + adapter adapter.gguf)');
      expect(viaVersion.text.trim().startsWith(fp.response.slice(0, 4))).toBe(true);
      const viaPath = await complete(home.ctx, { path: done.files.base_gguf, adapters: [done.files.adapter_gguf] }, { prompt: fp.key, maxTokens: 8 });
      expect(viaPath.text).toBe(viaVersion.text);
      const plain = await complete(home.ctx, { name: 'fp-adapter', version: 1, file: 'base.gguf' }, { prompt: fp.key, maxTokens: 8 });
      expect(plain.text.trim().startsWith(fp.response.slice(0, 4))).toBe(false);
    } finally {
      await home.cleanup();
    }
  }, 1_200_000);

  it('SIGTERM mid-training exits within seconds and leaves neither out nor a partial dir', async () => {
    const out = path.join(dir, 'cancelled');
    let killedAt = 0;
    const run = await runTrainer(e, { task: 'link', base, out, link: LINK, epochs: 50, llama_cpp: null, threads: 1 }, (ev, kill) => {
      if (ev.event === 'step' && !killedAt) { killedAt = Date.now(); kill(); }
    });
    expect(killedAt).toBeGreaterThan(0);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(run.code).toBe(143);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code: 'CANCELLED' });
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('cancelled'))).toEqual([]);
  }, 120_000);

  it.each([
    ['bad spec', () => '{"task":"link","base":"relative/path"}', 'BAD_SPEC'],
    ['unreadable base', () => JSON.stringify({ task: 'link', base: path.join(dir, 'nope'), out: path.join(dir, 'o-nope'), link: LINK }), 'BASE_UNREADABLE'],
    ['pickle base without allow_pickle', () => {
      const p = path.join(dir, 'pickled');
      fs.mkdirSync(p, { recursive: true });
      fs.copyFileSync(path.join(base, 'config.json'), path.join(p, 'config.json'));
      fs.writeFileSync(path.join(p, 'pytorch_model.bin'), 'not really a pickle');
      return JSON.stringify({ task: 'link', base: p, out: path.join(dir, 'o-pickle'), link: LINK });
    }, 'PICKLE_REFUSED'],
  ])('%s → error event with the right code, exit 2, nothing written', async (_name, spec, code) => {
    const input = spec();
    const before = fs.readdirSync(dir).sort();
    const run = await runTrainer(e, input);
    expect(run.code).toBe(2);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code });
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  }, 120_000);
});
