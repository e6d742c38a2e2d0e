import fs from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportOptions } from '../../../electron/contract/registry';
import { exportVersion } from '../../../electron/services/registry/exportVersion';
import { ftsQuery, parseRef, Registry } from '../../../electron/services/registry/Registry';
import { bytes, importInto, tempHome, writeAt } from '../../helpers/tempHome';

let t: ReturnType<typeof tempHome>;
let reg: Registry;
const imp = (o: ImportOptions) => importInto(t.ctx, o);
const file = (name: string, data: Buffer | string) => writeAt(t.dir, name, data);

beforeEach(() => {
  t = tempHome();
  reg = new Registry(t.ctx.db, t.ctx.blobs);
});
afterEach(async () => t.cleanup());

describe('Registry', () => {
  it('promoting to production archives the previous production version', async () => {
    await imp({ path: file('a/clf.onnx', bytes(100, 1)), name: 'clf' });
    await imp({ path: file('b/clf.onnx', bytes(100, 2)), name: 'clf' });
    await imp({ path: file('c/clf.onnx', bytes(100, 3)), name: 'clf' });
    expect(reg.promote('clf', 1, 'production').demoted).toEqual([]);
    expect(reg.promote('clf', 3, 'production').demoted).toEqual([1]);
    const m = reg.model('clf');
    expect(m.versions.map((v) => [v.version, v.stage])).toEqual([[3, 'production'], [2, 'none'], [1, 'archived']]);
    expect(m.productionVersion).toBe(3);
    expect(() => reg.promote('clf', 9, 'staging')).toThrow(/no version 9/);
  });

  it('compares metrics and files of two versions', async () => {
    const d1 = path.join(t.dir, 'v1');
    file('v1/config.json', '{"a":1}');
    file('v1/weights.bin', bytes(64, 1));
    file('v1/old.txt', 'bye');
    await imp({ path: d1, name: 'cmp', metrics: { acc: 0.8, loss: 0.5 } });
    const d2 = path.join(t.dir, 'v2');
    file('v2/config.json', '{"a":1}');
    file('v2/weights.bin', bytes(64, 2));
    file('v2/new.txt', 'hi');
    await imp({ path: d2, name: 'cmp', metrics: { acc: 0.9, f1: 0.7 } });
    const c = reg.compare('cmp', 1, 2);
    expect(c.metrics).toEqual([
      { key: 'acc', a: 0.8, b: 0.9, delta: expect.closeTo(0.1, 9) as number },
      { key: 'f1', a: null, b: 0.7, delta: null },
      { key: 'loss', a: 0.5, b: null, delta: null },
    ]);
    expect(c.files.added.map((f) => f.path)).toEqual(['new.txt']);
    expect(c.files.removed.map((f) => f.path)).toEqual(['old.txt']);
    expect(c.files.changed.map((f) => f.path)).toEqual(['weights.bin']);
    expect(c.files.unchanged).toBe(1);
  });

  it('compares metrics stored under prototype names (before the contract refused them) as plain keys', async () => {
    await imp({ path: file('p1/w.bin', bytes(10, 1)), name: 'proto' });
    await imp({ path: file('p2/w.bin', bytes(10, 2)), name: 'proto' });
    // Older versions may hold such keys in the database: write one directly, as those did.
    t.ctx.db.prepare(`UPDATE versions SET metrics = ? WHERE number = 1`).run(JSON.stringify({ constructor: 1, toString: 2 }));
    expect(reg.compare('proto', 1, 2).metrics).toEqual([
      { key: 'constructor', a: 1, b: null, delta: null },
      { key: 'toString', a: 2, b: null, delta: null },
    ]);
  });

  it('searches with FTS5 and filters by framework, tag and stage', async () => {
    await imp({ path: file('x/sentiment-bert.safetensors', bytes(10, 1)), tags: ['nlp', 'prod-candidate'], description: 'Movie review sentiment classifier' });
    await imp({ path: file('x/resnet50.onnx', bytes(10, 2)), tags: ['vision'] });
    await imp({ path: file('x/llama-3-8b.gguf', bytes(10, 3)), tags: ['llm'] });
    reg.promote('resnet50', 1, 'production');
    const names = (q: Parameters<Registry['listModels']>[0]) => reg.listModels(q).rows.map((r) => r.name).sort();
    expect(names({ query: 'sentiment' })).toEqual(['sentiment-bert']);
    expect(names({ query: 'review classif' })).toEqual(['sentiment-bert']);
    expect(names({ query: 'llama' })).toEqual(['llama-3-8b']);
    expect(names({ framework: 'onnx' })).toEqual(['resnet50']);
    expect(names({ tag: 'LLM' })).toEqual(['llama-3-8b']);
    expect(names({ stage: 'production' })).toEqual(['resnet50']);
    expect(names({ query: '"; DROP TABLE models; --' })).toEqual([]);
    expect(reg.listVersions({ query: 'resnet50.onnx' }).rows[0]?.model).toBe('resnet50');
    expect(ftsQuery('  ')).toBeNull();
    // Renames and tag edits are searchable at once.
    reg.update('resnet50', { rename: 'resnet-imagenet', tags: ['cv'] });
    expect(names({ query: 'imagenet' })).toEqual(['resnet-imagenet']);
    expect(names({ tag: 'cv' })).toEqual(['resnet-imagenet']);
    expect(() => reg.update('resnet-imagenet', { rename: 'LLAMA-3-8B' })).toThrow(/already exists/);
  });

  it('exports a version as a zip that re-imports to the same content, and deletes with confirmation', async () => {
    file('m/config.json', '{"x":1}');
    file('m/sub/w.bin', bytes(3000, 4));
    const r = await imp({ path: path.join(t.dir, 'm'), name: 'exp' });
    const out = path.join(t.dir, 'out.zip');
    const e = await t.ctx.jobs.run({ kind: 'export', title: 'e' }, (job) => exportVersion(t.ctx, 'exp', 1, out, job));
    expect(e.bytes).toBe(fs.statSync(out).size);
    const names = await new Promise<string[]>((res, rej) => yauzl.open(out, { lazyEntries: false }, (err, z) => {
      if (err) return rej(err);
      const n: string[] = [];
      z.on('entry', (en: yauzl.Entry) => n.push(en.fileName));
      z.on('end', () => res(n.sort()));
    }));
    expect(names).toEqual(['config.json', 'sub/w.bin']);
    expect(await imp({ path: out, name: 'exp' })).toMatchObject({ version: 1, created: false });
    await expect(t.ctx.jobs.run({ kind: 'export', title: 'e' }, (job) => exportVersion(t.ctx, 'exp', 1, out, job))).rejects.toMatchObject({ code: 'exists' });

    await expect(reg.delete('exp', undefined, 'nope')).rejects.toMatchObject({ code: 'confirmation_required' });
    const blob = t.ctx.blobs.pathOf(r.files.find((f) => f.path === 'sub/w.bin')!.sha256);
    expect(fs.existsSync(blob)).toBe(true);
    const d = await reg.delete('exp', undefined, 'exp');
    expect(d).toEqual({ deletedVersions: 1, freedBytes: 3000 + 7 });
    expect(fs.existsSync(blob)).toBe(false);
    expect(reg.listModels({}).total).toBe(0);
  });

  it('keeps blobs still used by another version when one is deleted', async () => {
    const f = file('s/shared.bin', bytes(500, 8));
    await imp({ path: f, name: 'one' });
    const r = await imp({ path: f, name: 'two' });
    await reg.delete('one', 1, 'one@1');
    expect(fs.existsSync(t.ctx.blobs.pathOf(r.files[0]!.sha256))).toBe(true);
    expect(reg.model('one').versions).toEqual([]);
  });

  it('parses NAME@VERSION references', () => {
    expect(parseRef('m@3')).toEqual({ name: 'm', version: 3 });
    expect(parseRef('m@v12')).toEqual({ name: 'm', version: 12 });
    expect(parseRef('my model')).toEqual({ name: 'my model' });
    expect(() => parseRef('m@latest')).toThrow(/NAME@VERSION/);
  });
});
