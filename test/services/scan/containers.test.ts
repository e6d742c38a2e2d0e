// Second-generation container rules that the corpus cannot show on its own: the per-file budget (a hostile
// file becomes one "unscannable" finding and the folder scan goes on) and linear time in the readers we own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Budget, BudgetExceededError } from '../../../electron/services/formats/budget';
import { readH5 } from '../../../electron/services/formats/keras';
import { analyzeConfig } from '../../../electron/services/formats/keras';
import { BufferSource } from '../../../electron/services/formats/io';
import { parseBytes, parseText } from '../../../electron/services/formats/json';
import { scanBuffer, scanPaths } from '../../../electron/services/scan/scanner';
import { writeH5 } from '../../fixtures/corpus/hdf5';
import { zipBytes } from '../../fixtures/corpus/index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-containers-'));
const fixtures = path.resolve('test/fixtures/hdf5');

/** Median wall time of `fn` over 3 runs (ms). */
function time(fn: () => unknown): number {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[1]!;
}
async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[1]!;
}

describe('per-file budget', () => {
  it('reports a file that runs past its time budget as unscannable and scans the rest of the folder', async () => {
    const folder = path.join(dir, 'budget');
    fs.mkdirSync(folder);
    // A pickle payload, then a 20 MB Keras-shaped config.json whose analysis outlives a 100 ms budget.
    const layers = Array.from({ length: 400_000 }, (_, i) => ({ class_name: 'Dense', config: { name: `d${i}` } }));
    const big = JSON.stringify({ class_name: 'Sequential', config: { layers } });
    fs.writeFileSync(path.join(folder, 'a_slow.zip'), await zipBytes([['evil.pkl', Buffer.from('\x80\x02cposix\nsystem\nX\x02\x00\x00\x00idq\x01\x85R.', 'latin1')], ['config.json', big]], false));
    fs.writeFileSync(path.join(folder, 'b_config.json'), JSON.stringify({ model_type: 'x', auto_map: { AutoModel: 'modeling_x.X' } }));
    const r = await scanPaths([folder], { maxFileMs: 100 });
    const [slow, cfg] = r.files;
    expect(slow!.findings).toContainEqual(expect.objectContaining({ rule: 'file.unscannable', severity: 'medium', detail: expect.stringMatching(/time budget of 0\.1 s/) }));
    // what was found before the budget ran out is kept
    expect(slow!.findings.map((f) => f.rule)).toContain('pickle.dangerous-import');
    expect(cfg!.findings.map((f) => f.rule)).toContain('hf.remote-code');
  }, 60_000);

  it('reports a memory budget overrun by name', async () => {
    const f = path.join(dir, 'config.json');
    fs.writeFileSync(f, JSON.stringify({ model_type: 'x', pad: 'x'.repeat(4096) }));
    const r = await scanPaths([f], { maxFileMemory: 1024 });
    expect(r.files[0]!.findings).toContainEqual(expect.objectContaining({ rule: 'file.unscannable', detail: expect.stringMatching(/per-file memory budget of 1024 bytes/) }));
    expect(() => new Budget(1000, 10).charge(11, 'JSON text')).toThrow(BudgetExceededError);
  });

  it('stops a synchronous reader loop at the deadline (a timer could not)', () => {
    const b = new Budget(0, 1e12, Date.now() - 10);
    const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000)) as unknown;
    expect(() => analyzeConfig(deep, b)).toThrow(/time budget/);
  });
});

describe('linear time', () => {
  // Growing the input 4x must grow the time about 4x: a quadratic path shows up as ~16x.
  const ratio = (small: number, big: number): number => big / Math.max(small, 0.5);

  it('reads HDF5 attributes full of unbalanced {"class_name" in linear time', async () => {
    const h5 = (n: number): Buffer => writeH5([{ name: 'model_config', value: JSON.stringify({ class_name: 'Sequential', config: { name: '{"class_name"'.repeat(n) } }), vlen: true }, { name: 'junk', value: '{"class_name"'.repeat(n), vlen: true }]);
    const a = h5(30_000);
    const b = h5(120_000);
    const ta = await timeAsync(() => readH5(new BufferSource('a.h5', a)));
    const tb = await timeAsync(() => readH5(new BufferSource('b.h5', b)));
    expect(ratio(ta, tb)).toBeLessThan(10);
    const t = await timeAsync(() => scanBuffer('b.h5', b));
    expect(t).toBeLessThan(5000);
  });

  it('parses Python JSON (NaN, Infinity) and walks deep Keras configs in linear time', () => {
    const text = (n: number): string => `{"class_name": "Sequential", "config": {"v": [${Array.from({ length: n }, () => 'NaN, -Infinity, "NaN"').join(', ')}]}}`;
    const [s, l] = [text(25_000), text(100_000)];
    expect(ratio(time(() => parseText(s)), time(() => parseText(l)))).toBeLessThan(10);
    const deep = (n: number): unknown => {
      let v: unknown = { class_name: 'Lambda', config: { name: 'l', function: 'x' } };
      for (let i = 0; i < n; i++) v = { class_name: 'Wrapper', config: { layer: v } };
      return v;
    };
    const [d1, d2] = [deep(20_000), deep(80_000)];
    expect(ratio(time(() => analyzeConfig(d1)), time(() => analyzeConfig(d2)))).toBeLessThan(10);
    expect(analyzeConfig(d2).lambdas).toHaveLength(1);
  });
});

describe('JSON as Python reads it', () => {
  it('accepts NaN/Infinity, keeps the last duplicate key, detects UTF-16/32', () => {
    expect(parseText('{"a": NaN, "b": [Infinity, -Infinity], "s": "NaN"}')).toEqual({ a: null, b: [null, null], s: 'NaN' });
    expect(parseText('{"k": 1, "k": 2}')).toEqual({ k: 2 });
    const v = { class_name: 'Lambda' };
    for (const enc of ['utf16le'] as const) expect(parseBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(v), enc)]))).toEqual(v);
    expect(parseBytes(Buffer.from(JSON.stringify(v), 'utf16le'))).toEqual(v); // no BOM: found by the NUL pattern
    const u32 = Buffer.alloc(JSON.stringify(v).length * 4);
    [...JSON.stringify(v)].forEach((c, i) => u32.writeUInt32LE(c.codePointAt(0)!, i * 4));
    expect(parseBytes(u32)).toEqual(v);
    expect(() => parseText('{"a": nan}')).toThrow(/not valid JSON/);
  });
});

describe('HDF5 files written by h5py', () => {
  it('reads model_config from dense attribute storage and from a variable-length string', async () => {
    for (const f of ['dense_lambda.h5', 'vlen_lambda.h5']) {
      const r = await scanBuffer(f, fs.readFileSync(path.join(fixtures, f)));
      expect(r.findings.map((x) => x.rule)).toContain('keras.lambda');
    }
    const big = await readH5(new BufferSource('big.h5', fs.readFileSync(path.join(fixtures, 'big_benign.h5'))));
    expect(big).toMatchObject({ kerasVersion: '2.15.0', backend: 'tensorflow', issues: [] });
    expect((big.modelConfig as { config: { layers: unknown[] } }).config.layers).toHaveLength(900);
  });
});
