import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HallmarkEvent } from '../../../electron/contract/events';
import { HallmarkError } from '../../../electron/services/errors';
import {
  cancelStream, chat, complete, describeModel, estimateFit, loadedModels, runFromFile, runOnnx, startLoad, unloadModel,
} from '../../../electron/services/inference/InferenceService';
import { hashInputs } from '../../../electron/services/inference/inputs';
import { listPredictions } from '../../../electron/services/inference/PredictionLog';
import { runServices } from '../../../electron/services/inference/RunServices';
import { importPath } from '../../../electron/services/registry/Importer';
import { writeHugeLlamaHeader, writeTinyLlama } from '../../fixtures/gguf/writeGguf';
import { writeClassifierOnnx, writeLinearOnnx } from '../../fixtures/onnx/writeOnnx';
import { tempHome } from '../../helpers/tempHome';

const t = tempHome('hm-infer-');
const { ctx, dir } = t;
let gguf: string;
let onnx: string;
let cls: string;

beforeAll(async () => {
  await runServices(ctx).setSettings({ gpu: false, threads: 1 });
  gguf = path.join(dir, 'tiny.gguf');
  writeTinyLlama(gguf, { next: { a: 'b', b: 'c', c: ' ', ' ': 'd', d: 'e', e: '</s>', z: 'z' }, fallback: 'z' });
  onnx = writeLinearOnnx(path.join(dir, 'linear.onnx'), { weight: [[1, 2], [3, 4], [5, 6]], bias: [0.5, -0.5] });
  cls = writeClassifierOnnx(path.join(dir, 'cls.onnx'), { weight: [[1, 0], [0, 1]], bias: [0, 0] });
});
afterAll(() => t.cleanup());

const rejected = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(HallmarkError);
  return e as HallmarkError;
};
const key = (p: string) => `path:${p}`;

describe('ONNX runs', () => {
  it('describes inputs and outputs', async () => {
    const d = await describeModel(ctx, { path: onnx });
    expect(d).toMatchObject({ format: 'onnx', label: 'linear.onnx', version_id: null, execution_provider: 'cpu', inputs: [{ name: 'x', type: 'float32', shape: ['batch', 3] }] });
  });

  it('runs JSON inputs (a single sample gets a batch of 1) and logs each prediction', async () => {
    const r = await runOnnx(ctx, { path: onnx }, { inputs: { x: [1, 0, 0] } });
    expect(r.outputs).toEqual([{ name: 'y', type: 'float32', dims: [1, 2], data: [1.5, 1.5] }]);
    expect(r.batch_size).toBe(1);
    const [row] = listPredictions(ctx.db, key(onnx), { limit: 1 });
    expect(row).toMatchObject({ id: r.prediction_id, format: 'onnx', method: 'onnx', batch_size: 1, error: null, version_id: null, model_path: onnx });
    expect(row!.inputs_hash).toBe(hashInputs({ inputs: { x: [1, 0, 0] } }));
    expect(row!.latency_ms).toBeGreaterThan(0);
  });

  it('runs a CSV batch (header optional) and explicit {dims, data} tensors', async () => {
    const r = await runOnnx(ctx, { path: onnx }, { csv: 'a,b,c\n1,1,1\n0,0,1\n' });
    expect(r.outputs[0]).toMatchObject({ dims: [2, 2], data: [9.5, 11.5, 5.5, 5.5] });
    expect(r.batch_size).toBe(2);
    const two = await runOnnx(ctx, { path: cls }, { inputs: { features: { dims: [1, 2], data: [0, 0] }, scale: [1] } });
    expect(two.outputs.map((o) => o.name)).toEqual(['logits', 'probs']);
    expect(two.outputs[1]!.data).toEqual([0.5, 0.5]);
  });

  it('logs bad inputs as errors with a message naming the input and shape', async () => {
    const e = await rejected(runOnnx(ctx, { path: onnx }, { inputs: { x: [[1, 2]] } }));
    expect(e.message).toBe('input "x" expects float32[batch, 3], got shape [1, 2] (dimension 1 must be 3)');
    expect((await rejected(runOnnx(ctx, { path: onnx }, { inputs: { x: [[1, 2, 3], [4, 5]] } }))).message).toMatch(/not rectangular/);
    expect((await rejected(runOnnx(ctx, { path: onnx }, { csv: '1,2,3\n4,x,6' }))).message).toMatch(/row 2, column 2: "x" is not a number/);
    expect((await rejected(runOnnx(ctx, { path: cls }, { csv: '1,2' }))).message).toMatch(/feeds one input, but the model has 2/);
    expect((await rejected(runOnnx(ctx, { path: gguf }, { inputs: [1] }))).code).toBe('wrong_format');
    const rows = listPredictions(ctx.db, key(onnx), { limit: 3 });
    expect(rows.every((r) => r.error !== null)).toBe(true);
    expect(rows[2]!.error).toMatch(/dimension 1 must be 3/);
  });

  it('reads `hallmark run` input files: JSON and CSV', async () => {
    const j = path.join(dir, 'x.json');
    fs.writeFileSync(j, JSON.stringify({ x: [[0, 1, 0]] }));
    expect(await runFromFile(ctx, { path: onnx }, j)).toMatchObject({ outputs: [{ data: [3.5, 3.5] }] });
    const c = path.join(dir, 'x.csv');
    fs.writeFileSync(c, '0,0,1\n1,0,0\n0,1,0\n');
    expect(await runFromFile(ctx, { path: onnx }, c)).toMatchObject({ batch_size: 3, outputs: [{ dims: [3, 2] }] });
    expect((await rejected(runFromFile(ctx, { path: onnx }, path.join(dir, 'missing.json')))).message).toMatch(/cannot read input file/);
  });
});

describe('GGUF runs', () => {
  it('completes greedily, logs tokens/s, and is reproducible', async () => {
    const r = await complete(ctx, { path: gguf }, { prompt: 'a', maxTokens: 16 });
    expect(r).toMatchObject({ text: 'bc de', tokens: 5, stop_reason: 'eogToken', stream_id: null, model: 'tiny.gguf' });
    expect(r.tokens_per_sec).toBeGreaterThan(0);
    const [row] = listPredictions(ctx.db, key(gguf), { limit: 1 });
    expect(row).toMatchObject({ id: r.prediction_id, method: 'complete', tokens: 5, format: 'gguf', error: null });
    expect(row!.tokens_per_sec).toBeCloseTo(r.tokens_per_sec, 6);
    expect((await complete(ctx, { path: gguf }, { prompt: 'a', maxTokens: 16 })).text).toBe('bc de');
  });

  it('streams chunks as events and can be cancelled mid-way', async () => {
    const events: HallmarkEvent[] = [];
    const off = ctx.events.subscribe((e) => events.push(e));
    try {
      const r = await complete(ctx, { path: gguf }, { prompt: 'b', maxTokens: 16, streamId: 's1' });
      const mine = events.filter((e): e is Extract<HallmarkEvent, { type: 'stream' }> => e.type === 'stream' && e.streamId === 's1');
      expect(mine.filter((e) => !e.done).map((e) => e.chunk).join('')).toBe(r.text);
      expect(mine.at(-1)).toMatchObject({ done: true, chunk: '' });

      let n = 0;
      const off2 = ctx.events.subscribe((e) => {
        if (e.type === 'stream' && e.streamId === 's2' && !e.done && ++n === 3) cancelStream(ctx, 's2');
      });
      const long = await complete(ctx, { path: gguf }, { prompt: 'q', maxTokens: 500, streamId: 's2' });
      off2();
      expect(long.stop_reason).toBe('abort');
      expect(long.tokens).toBeLessThan(500);
      expect(cancelStream(ctx, 's2')).toEqual({ cancelled: false });
    } finally {
      off();
    }
  });

  it('chats through the template and logs the call', async () => {
    const r = await chat(ctx, { path: gguf }, { messages: [{ role: 'user', content: 'hi' }], maxTokens: 8 });
    expect(r.prompt_tokens).toBeGreaterThan(2);
    expect(listPredictions(ctx.db, key(gguf), { limit: 1 })[0]).toMatchObject({ method: 'chat', id: r.prediction_id });
    expect((await rejected(chat(ctx, { path: gguf }, { messages: [{ role: 'system', content: 'x' }] }))).message).toMatch(/at least one user message/);
  });

  it('describes, estimates fit, loads as a job with progress, and unloads', async () => {
    await unloadModel(ctx, { path: gguf });
    const d = await describeModel(ctx, { path: gguf });
    expect(d).toMatchObject({ format: 'gguf', architecture: 'llama', name: 'hallmark-tiny-llama', layers: 2, loaded: false, fit: { fits: true, gpu: false } });
    expect((await estimateFit(ctx, { path: gguf }, 128)).context_size).toBe(128);
    const progress: number[] = [];
    const { jobId, promise } = startLoad(ctx, { path: gguf });
    ctx.jobs.on('job', (j) => j.id === jobId && progress.push(j.doneBytes));
    await promise;
    expect(ctx.jobs.get(jobId)).toMatchObject({ state: 'done', kind: 'model-load', doneBytes: 1000, totalBytes: 1000, result: { path: gguf } });
    expect(progress.at(-1)).toBe(1000);
    expect((await loadedModels(ctx)).map((m) => m.path)).toContain(gguf);
    expect(await unloadModel(ctx, { path: gguf })).toEqual({ unloaded: true });
    expect((await loadedModels(ctx)).map((m) => m.path)).not.toContain(gguf);
  });

  it('refuses a model too large for this machine before loading, and logs failed calls', async () => {
    const huge = path.join(dir, 'huge.gguf');
    writeHugeLlamaHeader(huge, (2 * os.totalmem()) / 4e9);
    const fit = await estimateFit(ctx, { path: huge });
    expect(fit.fits).toBe(false);
    expect(fit.reason).toMatch(/huge\.gguf needs about/);
    const { jobId, promise } = startLoad(ctx, { path: huge });
    await expect(promise).rejects.toThrow(/refusing to load: huge\.gguf needs about/);
    expect(ctx.jobs.get(jobId)).toMatchObject({ state: 'failed', error: expect.stringMatching(/but this machine has/) });
    const e = await rejected(complete(ctx, { path: huge }, { prompt: 'a' }));
    expect(e.code).toBe('model_too_large');
    expect(listPredictions(ctx.db, key(huge), { limit: 1 })[0]!.error).toMatch(/refusing to load/);
  });
});

describe('models from the registry (NAME@VERSION)', () => {
  it('resolves name@version to the vault file and logs the version', async () => {
    const src = path.join(dir, 'reg');
    fs.mkdirSync(src);
    fs.copyFileSync(onnx, path.join(src, 'model.onnx'));
    fs.writeFileSync(path.join(src, 'README.md'), 'a linear layer');
    await ctx.jobs.run({ kind: 'import', title: 't' }, (job) => importPath(ctx, { path: src, name: 'lin' }, job));
    const r = await runOnnx(ctx, { name: 'lin', version: 1 }, { inputs: [[1, 1, 1]] });
    expect(r.model).toBe('lin@1');
    const versionId = (ctx.db.prepare(`SELECT id FROM versions`).get() as { id: number }).id;
    const [row] = listPredictions(ctx.db, `version:${versionId}`, { limit: 1 });
    expect(row).toMatchObject({ version_id: versionId, id: r.prediction_id });
    expect((await runOnnx(ctx, { versionId }, { inputs: [[1, 1, 1]] })).model).toBe('lin@1');
    expect((await rejected(runOnnx(ctx, { name: 'lin', version: 7 }, { inputs: [[1, 1, 1]] }))).code).toBe('not_found');
  });
});

describe('run settings', () => {
  it('persists a forced CPU and restarts the runtimes', async () => {
    const rs = runServices(ctx);
    const before = await rs.llama();
    expect(rs.settings()).toMatchObject({ gpu: false, threads: 1 });
    await rs.setSettings({ idleUnloadSec: 60 });
    const after = await rs.llama();
    expect(after).not.toBe(before);
    expect(after.gpu).toBe(false);
    expect((await rs.gpu()).backend).toBe('cpu');
  });
});
