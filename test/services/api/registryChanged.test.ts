// The page learns of registry changes only from `registry.changed` (it no longer bumps by hand), so every
// call that changes what the registry views show must emit it, through the real dispatch on a real home,
// and calls that only read or fail before changing anything must not.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../../electron/services/api/index';
import { writeTinyLlama } from '../../fixtures/gguf/writeGguf';
import { bytes, tempHome, writeAt } from '../../helpers/tempHome';

const t = tempHome('hm-api-changed-');
const { ctx, dir } = t;
const call = (method: string, input?: unknown) => dispatch(ctx, method, input) as Promise<any>;

let changes = 0;
let off: () => void;

/** Runs `fn` and returns how many `registry.changed` events it caused once its job (if any) ended. */
async function changesOf(fn: () => Promise<unknown>, expected: number): Promise<number> {
  const before = changes;
  const r = await fn();
  const jobId = (r as { jobId?: unknown } | null)?.jobId;
  if (typeof jobId === 'string') await call('jobs.wait', { id: jobId });
  // A job's change is announced when its promise settles, a tick after the job's own event.
  await vi.waitFor(() => expect(changes - before).toBeGreaterThanOrEqual(expected));
  await new Promise((r) => setTimeout(r, 20));
  return changes - before;
}

const importFile = async (name: string, seed: number) => {
  const { jobId } = await call('registry.import', { path: writeAt(dir, `src/${name}.bin`, bytes(4096, seed)), name, allowUnknown: true });
  return call('jobs.wait', { id: jobId });
};

beforeAll(async () => {
  off = ctx.events.subscribe((e) => {
    if (e.type === 'registry.changed') changes++;
  });
  await call('run.settings.set', { gpu: false, threads: 1 });
});
afterAll(async () => {
  off();
  await t.cleanup();
});

describe('registry.changed', () => {
  it('import emits once when its job ends, also when it fails', async () => {
    const file = writeAt(dir, 'src/a.bin', bytes(4096, 1));
    expect(await changesOf(() => call('registry.import', { path: file, name: 'alpha', allowUnknown: true }), 1)).toBe(1);
    expect(await call('registry.model', { name: 'alpha' })).toMatchObject({ versionCount: 1 });
    const failed = await changesOf(async () => {
      const r = await call('registry.import', { path: path.join(dir, 'missing.bin'), name: 'gone', allowUnknown: true });
      expect(await call('jobs.wait', { id: r.jobId })).toMatchObject({ state: 'failed' });
      return r;
    }, 1);
    expect(failed).toBe(1);
  });

  it('metadata, metrics, stage and integrity changes each emit once', async () => {
    expect(await changesOf(() => call('registry.update', { name: 'alpha', tags: ['llm'] }), 1)).toBe(1);
    expect(await changesOf(() => call('registry.update', { name: 'alpha', framework: 'onnx', description: 'x' }), 1)).toBe(1);
    expect(await changesOf(() => call('registry.annotate', { name: 'alpha', version: 1, metrics: { acc: 0.9 } }), 1)).toBe(1);
    expect(await changesOf(() => call('registry.promote', { name: 'alpha', version: 1, stage: 'production' }), 1)).toBe(1);
    expect(await changesOf(() => call('registry.verify', { name: 'alpha', version: 1 }), 1)).toBe(1);
  });

  it('a rescan of a version and a stored path scan emit; an unstored path scan does not', async () => {
    expect(await changesOf(() => call('scan.version', { name: 'alpha', version: 1 }), 1)).toBe(1);
    const file = writeAt(dir, 'loose/x.bin', bytes(512, 7));
    expect(await changesOf(() => call('scan.paths', { paths: [file] }), 1)).toBe(1);
    expect(await changesOf(() => call('scan.paths', { paths: [file], store: false }), 0)).toBe(0);
  });

  it('a first inspection emits (it counts parameters); reading a stored one does not', async () => {
    const v = await call('registry.version', { name: 'alpha', version: 1 });
    for (const table of ['version_inspections', 'version_file_inspections']) ctx.db.prepare(`DELETE FROM ${table} WHERE version_id = ?`).run(v.id);
    expect(await changesOf(() => call('inspect.version', { name: 'alpha', version: 1 }), 1)).toBe(1);
    expect(await changesOf(() => call('inspect.version', { name: 'alpha', version: 1 }), 0)).toBe(0);
  });

  it('an audit emits when it ends', async () => {
    const gguf = path.join(dir, 'tiny.gguf');
    writeTinyLlama(gguf, { next: { a: 'b', b: 'c', c: '</s>' } });
    expect(await changesOf(() => call('audit.start', { kind: 'link', model: { path: gguf }, link: 'https://example.com/m', maxTokens: 8 }), 1)).toBe(1);
  });

  it('delete emits; reads, exports and refused calls do not', async () => {
    await importFile('beta', 2);
    const reads: Array<[string, unknown]> = [
      ['registry.models', {}], ['registry.list', {}], ['registry.model', { name: 'beta' }], ['registry.version', { name: 'beta' }],
      ['registry.facets', {}], ['scan.list', {}], ['scan.latest', { name: 'beta' }],
      ['registry.export', { name: 'beta', version: 1, out: path.join(dir, 'beta.zip') }],
    ];
    for (const [m, input] of reads) expect(await changesOf(() => call(m, input), 0), m).toBe(0);
    // Refused before anything changed: a wrong confirmation, an unknown model.
    expect(await changesOf(() => call('registry.delete', { name: 'beta', confirm: 'nope' }).catch(() => null), 0)).toBe(0);
    expect(await changesOf(() => call('registry.promote', { name: 'nobody', version: 1, stage: 'staging' }).catch(() => null), 0)).toBe(0);
    expect(await changesOf(() => call('registry.delete', { name: 'beta', version: 1, confirm: 'beta@1' }), 1)).toBe(1);
  });
});
