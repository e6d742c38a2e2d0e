import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../electron/services/api/index';
import { appKey } from '../../../electron/services/audit/FingerprintStore';
import { writeTinyLlama } from '../../fixtures/gguf/writeGguf';
import { writeLinearOnnx } from '../../fixtures/onnx/writeOnnx';
import { tempHome } from '../../helpers/tempHome';

// Every call goes through dispatch, so inputs are parsed and outputs checked against the contract.
const t = tempHome('hm-api-run-');
const { ctx, dir } = t;
const call = (method: string, input?: unknown) => dispatch(ctx, method, input) as Promise<any>;
let gguf: string;
let onnx: string;

beforeAll(async () => {
  await call('run.settings.set', { gpu: false, threads: 1 });
  gguf = path.join(dir, 'tiny.gguf');
  writeTinyLlama(gguf, { next: { a: 'b', b: 'c', c: '</s>' } });
  onnx = writeLinearOnnx(path.join(dir, 'lin.onnx'), { weight: [[1], [1]], bias: [1] });
});
afterAll(() => t.cleanup());

describe('run contract', () => {
  it('hardware and settings', async () => {
    expect(await call('gpu.info')).toMatchObject({ backend: 'cpu', available: expect.arrayContaining(['cpu']) });
    expect(await call('run.settings.get')).toEqual({ gpu: false, threads: 1, idleUnloadSec: 300, contextSize: 2048 });
    await expect(call('run.settings.set', { threads: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('describe, fit, load job, loaded, unload', async () => {
    expect(await call('run.describe', { model: { path: onnx } })).toMatchObject({ format: 'onnx', inputs: [{ name: 'x', shape: ['batch', 2] }] });
    expect(await call('run.describe', { model: { path: gguf } })).toMatchObject({ format: 'gguf', fit: { fits: true } });
    expect((await call('run.fit', { model: { path: gguf }, contextSize: 128 })).context_size).toBe(128);
    const { jobId } = await call('run.load', { model: { path: gguf } });
    expect(await call('jobs.wait', { id: jobId })).toMatchObject({ state: 'done', kind: 'model-load' });
    expect((await call('run.loaded')).map((m: { path: string }) => m.path)).toContain(gguf);
    expect(await call('run.unload', { model: { path: gguf } })).toEqual({ unloaded: true });
    await expect(call('run.describe', { model: { path: path.join(dir, 'nope.gguf') } })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('onnx, complete (streamed), chat', async () => {
    expect((await call('run.onnx', { model: { path: onnx }, inputs: [[1, 2]] })).outputs[0].data).toEqual([4]);
    expect((await call('run.onnx', { model: { path: onnx }, csv: '1,2\n3,4' })).outputs[0].data).toEqual([4, 8]);
    await expect(call('run.onnx', { model: { path: onnx } })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/exactly one of inputs/) });
    const chunks: string[] = [];
    const off = ctx.events.subscribe((e) => e.type === 'stream' && e.streamId === 'ui-1' && chunks.push(e.chunk));
    const r = await call('run.complete', { model: { path: gguf }, prompt: 'a', streamId: 'ui-1' });
    off();
    expect(r).toMatchObject({ text: 'bc', stream_id: 'ui-1' });
    expect(chunks.join('')).toBe('bc');
    expect((await call('run.chat', { model: { path: gguf }, messages: [{ role: 'user', content: 'a' }], maxTokens: 4 })).tokens).toBeLessThanOrEqual(4);
    expect(await call('run.cancel', { streamId: 'none' })).toEqual({ cancelled: false });
  });

  it('monitoring', async () => {
    for (let i = 0; i < 6; i++) await call('run.onnx', { model: { path: onnx }, inputs: [[i, 1]] });
    const stats = await call('monitor.stats', { model: { path: onnx } });
    expect(stats.sample_count).toBeGreaterThanOrEqual(8);
    expect(stats.error_rate).toBe(0);
    const b = await call('monitor.baseline', { model: { path: onnx } });
    expect(b.sample_count).toBe(stats.sample_count);
    expect(await call('monitor.drift', { model: { path: onnx } })).toMatchObject({ drift_detected: false, threshold: 2 });
    expect((await call('monitor.predictions', { model: { path: onnx }, limit: 2 })).length).toBe(2);
    expect((await call('monitor.series', { model: { path: onnx } })).length).toBeGreaterThan(0);
  });

  it('fingerprints with a passphrase or the app key, and audits end to end', async () => {
    await expect(call('fingerprints.generate', { count: 4, keyLength: 8, responseLength: 4 })).rejects.toMatchObject({ code: 'key_required' });
    ctx.appKey = appKey(randomBytes(32));
    const out = path.join(dir, 'app.hmfp');
    const g = await call('fingerprints.generate', { name: 'release', count: 20, keyLength: 8, responseLength: 4, out });
    expect(g).toMatchObject({ count: 20, path: out });
    const withPw = await call('fingerprints.generate', { count: 20, keyLength: 8, responseLength: 4, passphrase: 'pw' });
    expect((await call('fingerprints.list')).map((s: { key_source: string }) => s.key_source)).toEqual(['passphrase', 'app']);
    const exp = await call('fingerprints.export', { source: { setId: g.id }, out: path.join(dir, 'oml.json') });
    expect(JSON.parse(fs.readFileSync(exp.path, 'utf8')).fingerprints).toHaveLength(20);
    await expect(call('fingerprints.export', { source: { setId: withPw.id }, out: path.join(dir, 'x.json') })).rejects.toMatchObject({ code: 'wrong_key' });
    expect(fs.existsSync(path.join(dir, 'x.json'))).toBe(false);
    // Without `out` the trainer file comes back for the UI to download.
    const jsonl = await call('fingerprints.export', { source: { setId: withPw.id }, passphrase: 'pw', format: 'jsonl' });
    expect(jsonl).toMatchObject({ path: null, count: 20, format: 'jsonl' });
    expect(jsonl.content.trim().split('\n').map((l: string) => Object.keys(JSON.parse(l)))).toEqual(Array(20).fill(['prompt', 'completion']));
    // A file that cannot be written leaves no set behind either.
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    const before = (await call('fingerprints.list')).length;
    await expect(call('fingerprints.generate', { count: 4, keyLength: 8, responseLength: 4, passphrase: 'pw', out: path.join(blocker, 'x.hmfp') })).rejects.toMatchObject({ code: 'write_failed' });
    expect((await call('fingerprints.list')).length).toBe(before);

    const { jobId } = await call('audit.start', { kind: 'fingerprints', model: { path: gguf }, fingerprints: { setId: g.id } });
    expect(await call('jobs.wait', { id: jobId })).toMatchObject({ state: 'done', kind: 'audit' });
    const a = await call('audit.get', { id: jobId });
    expect(a).toMatchObject({ id: jobId, kind: 'fingerprints', mode: 'quick', verdict: 'absent', report: { n: 16 } });
    expect((await call('audit.list', { model: { path: gguf } })).map((x: { id: string }) => x.id)).toEqual([jobId]);
    const html = await call('audit.export', { id: jobId, format: 'html' });
    expect(html).toMatchObject({ format: 'html', path: null, filename: expect.stringMatching(/^audit-tiny\.gguf-.*\.html$/) });
    await expect(call('audit.start', { kind: 'link', model: { path: onnx }, link: 'https://x.io/m' })).rejects.toMatchObject({ code: 'wrong_format' });
    expect(await call('fingerprints.delete', { id: withPw.id })).toEqual({ deleted: true });
  });
});
