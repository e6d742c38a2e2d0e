import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferSource } from '../../../electron/services/formats/io';
import { inspectPath } from '../../../electron/services/formats/inspect';
import { firstDuplicateKey, match, read, SafetensorsError } from '../../../electron/services/formats/safetensors';
import { safetensorsBytes } from '../../fixtures/corpus/index';

const st = { 'a.weight': { dtype: 'F32', shape: [2, 3], offsets: [0, 24] as [number, number] }, 'a.bias': { dtype: 'BF16', shape: [3], offsets: [24, 30] as [number, number] } };
const src = (b: Buffer): BufferSource => new BufferSource('m.safetensors', b);

describe('safetensors', () => {
  it('reads dtypes, shapes, parameter count and __metadata__', async () => {
    const b = safetensorsBytes(st, { metadata: { format: 'pt' } });
    expect(match(b)).toBe(true);
    const r = await read(src(b));
    expect(r).toMatchObject({ dtypes: { F32: 1, BF16: 1 }, parameterCount: 9, metadata: { format: 'pt' }, issues: [] });
    expect(r.tensors.map((t) => t.name).sort()).toEqual(['a.bias', 'a.weight']);
  });

  it('rejects headers that lie about their length or are not JSON', async () => {
    await expect(read(src(safetensorsBytes(st, { headerLen: 1n << 20n })))).rejects.toThrow(/header length 1048576 at offset 0 runs past the end/);
    await expect(read(src(safetensorsBytes(st, { headerLen: 1n << 40n })))).rejects.toThrow(/exceeds the 100000000-byte limit/);
    await expect(read(src(safetensorsBytes({}, { rawHeader: '[1,2]' })))).rejects.toBeInstanceOf(SafetensorsError);
  });

  it('flags overlaps, gaps, past-EOF ranges and dtype/shape/byte mismatches', async () => {
    const issues = async (t: Parameters<typeof safetensorsBytes>[0], dataBytes?: number): Promise<string> =>
      (await read(src(safetensorsBytes(t, dataBytes === undefined ? {} : { dataBytes })))).issues.map((i) => i.message).join('\n');
    expect(await issues({ a: { dtype: 'F32', shape: [4], offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], offsets: [8, 24] } })).toMatch(/overlap/);
    expect(await issues({ a: { dtype: 'F32', shape: [4], offsets: [8, 24] } })).toMatch(/gap of 8/);
    expect(await issues({ a: { dtype: 'F32', shape: [4], offsets: [0, 16] } }, 8)).toMatch(/past the end of the data/);
    expect(await issues({ a: { dtype: 'F32', shape: [5], offsets: [0, 16] } })).toMatch(/needs 20 bytes/);
    expect(await issues({ a: { dtype: 'Q9', shape: [4], offsets: [0, 16] } })).toMatch(/unknown dtype "Q9"/);
    expect(await issues({ a: { dtype: 'F32', shape: [-1], offsets: [0, 16] } })).toMatch(/invalid shape/);
  });

  it('costs O(header) on a 10 GB sparse file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-st-'));
    try {
      const n = 10 * 2 ** 30;
      const file = path.join(dir, 'big.safetensors');
      const b = safetensorsBytes({ w: { dtype: 'U8', shape: [n], offsets: [0, n] } }, { dataBytes: 0 });
      fs.writeFileSync(file, b);
      fs.truncateSync(file, b.length + n);
      const t0 = performance.now();
      const r = await inspectPath(file);
      expect(performance.now() - t0).toBeLessThan(500);
      expect(r).toMatchObject({ format: 'safetensors', parameterCount: n, issues: [] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('firstDuplicateKey', () => {
  it('finds a key declared twice at the top level only', () => {
    expect(firstDuplicateKey('{"a": 1, "b": {"a": 2}}')).toBeNull();
    expect(firstDuplicateKey('{"a": {"x": 1, "x": 2}}')).toBeNull(); // nested: not a tensor name
    expect(firstDuplicateKey('{"a": 1, "b": [1, {"c": "}"}], "a" : 3}')).toBe('a');
    expect(firstDuplicateKey('{"k\\"x": "v", "k\\u0022x": 1}')).toBe('k"x'); // the same key, spelled with two escapes
    expect(firstDuplicateKey('{"a": "a", "b": "a"}')).toBeNull(); // values are not keys
  });
});
