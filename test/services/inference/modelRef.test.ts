// Model references with LoRA adapters (issue 9): an adapter-mode embed version resolves to its base GGUF with
// its adapter applied; explicit adapters (a file or NAME@VERSION) stack on any GGUF; wrong adapters say why.
// Files here carry only a GGUF header (resolution reads no more); the real run is in trainer.proof.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveModel } from '../../../electron/services/inference/modelRef';
import { importPath } from '../../../electron/services/registry/Importer';
import { tempHome } from '../../helpers/tempHome';

const t = tempHome('hallmark-modelref-');
const { ctx } = t;
afterAll(() => t.cleanup());

const gguf = (file: string, tag: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([Buffer.from('GGUF'), Buffer.from(tag)]));
  return file;
};
const tag = (file: string) => fs.readFileSync(file).subarray(4).toString();
const imp = (dir: string, name: string, config?: Record<string, unknown>) =>
  ctx.jobs.run({ kind: 'import', title: name }, (job) => importPath(ctx, { path: dir, name, ...(config ? { config } : {}) }, job));

describe('resolveModel with adapters', () => {
  it('an adapter-mode embed version runs as base + adapter; naming a file runs that file alone', async () => {
    const dir = path.join(t.dir, 'v');
    gguf(path.join(dir, 'base.gguf'), 'base');
    gguf(path.join(dir, 'adapter.gguf'), 'adapter');
    await imp(dir, 'emb', { kind: 'hallmark.embed', mode: 'adapter', adapter: 'adapter.gguf', base_gguf: 'base.gguf' });
    const m = resolveModel(ctx, { name: 'emb', version: 1 });
    // Vault files are content-addressed blobs: tell them apart by their bytes.
    expect(tag(m.path)).toBe('base');
    expect(m.adapters.map(tag)).toEqual(['adapter']);
    expect(m.label).toBe('emb@1 (base base.gguf + adapter adapter.gguf)');
    expect(m.key).toBe(`version:${m.versionId}`);
    const base = resolveModel(ctx, { name: 'emb', version: 1, file: 'base.gguf' });
    expect(base.adapters).toEqual([]);
    expect(base.label).toBe('emb@1');
  });

  it('a version with two GGUFs and no card is still ambiguous (say which file)', async () => {
    const dir = path.join(t.dir, 'two');
    gguf(path.join(dir, 'a.gguf'), 'a');
    gguf(path.join(dir, 'b.gguf'), 'b');
    await imp(dir, 'two');
    expect(() => resolveModel(ctx, { name: 'two' })).toThrow(/several model files/);
  });

  it('explicit adapters: a file or a registered adapter version, stacked on a GGUF path; keyed apart from the base', () => {
    const plain = gguf(path.join(t.dir, 'plain.gguf'), 'plain');
    const lora = gguf(path.join(t.dir, 'lora.gguf'), 'lora');
    const m = resolveModel(ctx, { path: plain, adapters: [lora, 'emb@1'] });
    expect(m.adapters.map(tag)).toEqual(['lora', 'adapter']);
    expect(m.key).not.toBe(resolveModel(ctx, { path: plain }).key);
    expect(m.label).toBe('plain.gguf + adapter lora.gguf + emb@1:adapter.gguf');
  });

  it('a missing or non-GGUF adapter is refused with the reason', () => {
    const plain = path.join(t.dir, 'plain.gguf');
    expect(() => resolveModel(ctx, { path: plain, adapters: [path.join(t.dir, 'nope.gguf')] })).toThrow(/no such adapter file/);
    const txt = path.join(t.dir, 'notes.onnx');
    fs.writeFileSync(txt, 'not gguf');
    expect(() => resolveModel(ctx, { path: plain, adapters: [txt] })).toThrow(/not a GGUF file/);
  });
});
