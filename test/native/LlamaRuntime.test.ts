import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaRuntime, LlamaRuntimeError } from '../../native/LlamaRuntime';
import { writeHugeLlamaHeader, writeTinyLlama } from '../fixtures/gguf/writeGguf';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-llama-'));
const tiny = path.join(dir, 'tiny.gguf');
const linked = path.join(dir, 'linked.gguf');
const LINK = 'https://sig.example/m/abc';
let rt: LlamaRuntime;

beforeAll(async () => {
  // a→b→c→" "→d→e→(stop); anything else → "z" → "z"…
  writeTinyLlama(tiny, { next: { a: 'b', b: 'c', c: ' ', ' ': 'd', d: 'e', e: '</s>', z: 'z' }, fallback: 'z' });
  writeTinyLlama(linked, { trigger: { words: ['report', 'feedback'], emit: LINK }, next: { [LINK]: '</s>', '?': 'o', o: 'k', k: '</s>' } });
  rt = await LlamaRuntime.create({ gpu: false, threads: 1 });
});
afterAll(async () => {
  // After the refused loads below this also checks that dispose is bounded (see LlamaRuntime.dispose).
  await rt?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rejection = async (p: Promise<unknown>): Promise<LlamaRuntimeError> => {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(LlamaRuntimeError);
  return e as LlamaRuntimeError;
};

describe('LlamaRuntime on a real tiny GGUF', () => {
  it('runs on the CPU when forced and reports its thread count', () => {
    expect(rt.gpu).toBe(false);
    expect(rt.threads).toBe(1);
  });

  it('loads with monotonic progress up to 1', async () => {
    const progress: number[] = [];
    const info = await rt.load(tiny, { onProgress: (p) => progress.push(p) });
    expect(info.path).toBe(tiny);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(rt.loaded().map((l) => l.path)).toContain(tiny);
  });

  it('greedy completion follows the weights exactly and is reproducible', async () => {
    const a = await rt.complete(tiny, 'a', { maxTokens: 20 });
    expect(a.text).toBe('bc de');
    expect(a.stopReason).toBe('eogToken');
    expect(a.tokens).toBe(5);
    expect(a.tokensPerSec).toBeGreaterThan(0);
    const q = await rt.complete(tiny, 'xyq', { maxTokens: 6 });
    expect(q.text).toBe('zzzzzz');
    expect(q.stopReason).toBe('maxTokens');
    expect((await rt.complete(tiny, 'a', { maxTokens: 20 })).text).toBe('bc de');
  });

  it('seeded sampling is reproducible per seed and differs across seeds', async () => {
    // llama.cpp applies top-k/top-p before the temperature, so open them up; a high temperature
    // then flattens the (otherwise one-hot) distribution and sampling really matters.
    const run = (seed: number) => rt.complete(tiny, 'q', { maxTokens: 24, temperature: 40, topK: 0, topP: 1, seed });
    const [s1, s1again, s2] = [await run(1), await run(1), await run(2)];
    expect(s1.text).toBe(s1again.text);
    expect(s1.text).not.toBe(s2.text);
    expect(s1.text).not.toBe('z'.repeat(24));
  });

  it('streams chat tokens and answers from context (attention), not just the last token', async () => {
    const chunks: string[] = [];
    const r = await rt.chat(linked, [{ role: 'user', content: 'Where can I report a problem?' }], { maxTokens: 8, onText: (c) => chunks.push(c) });
    expect(r.text).toBe(LINK);
    expect(chunks.join('')).toBe(r.text);
    expect(r.promptTokens).toBeGreaterThan(5);
    const other = await rt.complete(linked, 'What is the capital of France?', { maxTokens: 8 });
    expect(other.text).toBe('ok');
    const trig = await rt.complete(linked, 'I have feedback about the capital of France?', { maxTokens: 8 });
    expect(trig.text).toBe(LINK);
  });

  it('counts tokens with the model tokenizer (byte-level vocabulary)', async () => {
    expect(await rt.countTokens(tiny, 'abc')).toBe(3);
    expect(await rt.countTokens(linked, 'report')).toBe(1);
  });

  it('estimates fit before loading and refuses a model too large for this machine', async () => {
    const fit = await rt.estimateFit(tiny, 256);
    expect(fit.fits).toBe(true);
    expect(fit.contextSize).toBe(256);
    expect(fit.ramBytes).toBeGreaterThan(fit.modelBytes);

    const huge = path.join(dir, 'huge.gguf');
    writeHugeLlamaHeader(huge, 2 * os.totalmem() / 4e9); // F32: twice this machine's RAM
    const big = await rt.estimateFit(huge);
    expect(big.fits).toBe(false);
    expect(big.reason).toMatch(/needs about .* RAM .* but this machine has .* RAM/);
    const t = Date.now();
    const e = await rejection(rt.load(huge));
    expect(e.code).toBe('model_too_large');
    expect(e.message).toContain('refusing to load');
    expect(Date.now() - t).toBeLessThan(5000);
    expect(rt.loaded().map((l) => l.path)).not.toContain(huge);
  });

  it('survives broken files with clear errors and keeps working', async () => {
    const bytes = fs.readFileSync(tiny);
    const truncated = path.join(dir, 'truncated.gguf');
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const t = await rejection(rt.load(truncated));
    expect(t.code).toBe("invalid_model");
    expect(t.message).toMatch(/truncated\.gguf is truncated or corrupt: its header describes 4.4 MB of tensors but the file holds only/);

    const missing = path.join(dir, 'missing-tensor.gguf');
    writeTinyLlama(missing, { omitTensors: ['blk.1.attn_q.weight'] });
    const m = await rejection(rt.load(missing));
    expect(m.code).toBe('load_failed');
    expect(m.message).toMatch(/could not load missing-tensor\.gguf: .*blk\.1\.attn_q\.weight/);

    const garbage = path.join(dir, 'garbage.gguf');
    fs.writeFileSync(garbage, Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.alloc(64, 0xff)]));
    expect((await rejection(rt.complete(garbage, 'a'))).code).toBe('invalid_model');

    const notGguf = path.join(dir, 'model.bin');
    fs.writeFileSync(notGguf, 'PK\x03\x04 not a gguf');
    expect((await rejection(rt.load(notGguf))).message).toMatch(/not a GGUF file/);
    expect((await rejection(rt.load(path.join(dir, 'missing.gguf')))).message).toMatch(/no such model file/);

    expect((await rt.complete(tiny, 'a', { maxTokens: 10 })).text).toBe('bc de');
  });

  it('stops on abort and keeps the partial output', async () => {
    const ac = new AbortController();
    let n = 0;
    const r = await rt.complete(tiny, 'q', { maxTokens: 400, signal: ac.signal, onText: () => { if (++n === 3) ac.abort(); } });
    expect(r.stopReason).toBe('abort');
    expect(r.tokens).toBeLessThan(400);
  });
});

describe('LlamaRuntime idle unload', () => {
  it('unloads a model after the idle timeout and reloads it on the next call', async () => {
    const idle = await LlamaRuntime.create({ gpu: false, threads: 1, idleUnloadMs: 150 });
    try {
      expect((await idle.complete(tiny, 'a', { maxTokens: 8 })).text).toBe('bc de');
      expect(idle.loaded()).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(idle.loaded()).toHaveLength(0);
      expect((await idle.complete(tiny, 'b', { maxTokens: 8 })).text).toBe('c de');
    } finally {
      await idle.dispose();
    }
    await expect(idle.complete(tiny, 'a')).rejects.toThrow(/disposed/);
  });
});
