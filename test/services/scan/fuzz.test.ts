// Property-based fuzzing of every parser: random and mutated inputs never crash (only typed
// FormatErrors), never hang, and do not balloon memory.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectSource } from '../../../electron/services/formats/detect';
import * as gguf from '../../../electron/services/formats/gguf';
import * as hf from '../../../electron/services/formats/hf';
import { inspectSource } from '../../../electron/services/formats/inspect';
import { BufferSource, FormatError } from '../../../electron/services/formats/io';
import * as catboost from '../../../electron/services/formats/catboost';
import * as keras from '../../../electron/services/formats/keras';
import * as lightgbm from '../../../electron/services/formats/lightgbm';
import * as pytorch from '../../../electron/services/formats/pytorch';
import * as xgboost from '../../../electron/services/formats/xgboost';
import * as numpy from '../../../electron/services/formats/numpy';
import * as onnx from '../../../electron/services/formats/onnx';
import * as safetensors from '../../../electron/services/formats/safetensors';
import * as savedmodel from '../../../electron/services/formats/savedmodel';
import * as tar from '../../../electron/services/formats/tar';
import { ZipArchive } from '../../../electron/services/formats/zip';
import { analyzePickle } from '../../../electron/services/formats/pickle/analyze';
import { pickleFindings } from '../../../electron/services/formats/pickle/rules';
import { scanBuffer } from '../../../electron/services/scan/scanner';
import { scanTemplate } from '../../../electron/services/formats/jinja/template';
import { getCorpus, safetensorsBytes } from '../../fixtures/corpus/index';
import { LLAMA3_TEMPLATE, tinyLlama, writeGguf } from '../../fixtures/corpus/gguf';
import { BENIGN_TF_NODES, writeOnnx, writeSavedModel } from '../../fixtures/corpus/protos';

const RUNS = Number(process.env.HALLMARK_FUZZ_RUNS ?? 300);
let seeds: Record<string, Buffer[]>;

beforeAll(async () => {
  const { root } = await getCorpus();
  const f = (p: string): Buffer => fs.readFileSync(path.join(root, p));
  seeds = {
    gguf: [writeGguf(tinyLlama(LLAMA3_TEMPLATE))],
    safetensors: [safetensorsBytes({ a: { dtype: 'F32', shape: [2, 2], offsets: [0, 16] } }, { metadata: { k: 'v' } })],
    onnx: [writeOnnx({ nodes: [{ op_type: 'Relu', input: ['x'], output: ['y'] }], initializers: [{ name: 'w', dims: [2, 2] }] })],
    savedmodel: [writeSavedModel(BENIGN_TF_NODES)],
    pickle: ['malicious/os_system_p0.pkl', 'malicious/os_system_p4.pkl', 'benign/nested_p2.pkl', 'benign/datetime_p5.pkl', 'benign/torch_legacy.pt', 'benign/model.joblib', 'malicious/stack_global_memo.pkl'].map(f),
    zip: ['benign/torch_state_dict.pt', 'benign/arrays_compressed.npz', 'malicious/nested_zip.zip', 'benign/model.keras'].map(f),
    tar: ['benign/bundle.tar', 'malicious/tar_symlink.tar'].map(f),
    npy: ['benign/array.npy', 'malicious/object_array.npy'].map(f),
    h5: ['malicious/lambda.h5'].map(f),
    trees: ['benign/xgb.json', 'benign/lgbm.txt', 'benign/model.cbm'].map(f),
    torch: ['benign/torch_legacy.pt', 'benign/torch_state_dict.pt', 'benign/torch_state_dict_p4.pth'].map(f),
    any: ['benign/tiny-llama.gguf', 'benign/torch_state_dict.pt', 'benign/model.joblib.gz', 'benign/bundle.tar.gz', 'malicious/lambda.keras', 'benign/model.onnx', 'benign/xgb.json', 'malicious/zip_slip.zip'].map(f),
  };
});

type Op = { k: 'flip'; at: number; bit: number } | { k: 'set'; at: number; v: number } | { k: 'cut'; at: number } | { k: 'ins'; at: number; b: Uint8Array } | { k: 'u64'; at: number; v: bigint } | { k: 'u32'; at: number; v: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('ins' as const), at: fc.nat(), b: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ k: fc.constant('u64' as const), at: fc.nat(), v: fc.constantFrom(0n, 1n << 31n, 1n << 32n, 1n << 53n, 1n << 62n, (1n << 64n) - 1n) }),
  fc.record({ k: fc.constant('u32' as const), at: fc.nat(), v: fc.constantFrom(0, 0x7fffffff, 0xffffffff, 9, 12) }),
);

function mutate(seed: Buffer, ops: Op[]): Buffer {
  let b = Buffer.from(seed);
  for (const o of ops) {
    if (b.length === 0) break;
    const at = o.at % b.length;
    if (o.k === 'flip') b[at] = b[at]! ^ (1 << o.bit);
    else if (o.k === 'set') b[at] = o.v;
    else if (o.k === 'cut') b = b.subarray(0, at);
    else if (o.k === 'ins') b = Buffer.concat([b.subarray(0, at), Buffer.from(o.b), b.subarray(at)]);
    else if (o.k === 'u64' && at + 8 <= b.length) b.writeBigUInt64LE(o.v, at);
    else if (o.k === 'u32' && at + 4 <= b.length) b.writeUInt32LE(o.v, at);
  }
  return b;
}

const input = (kind: string): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((u) => Buffer.from(u)) },
    { weight: 4, arbitrary: fc.tuple(fc.nat(), fc.array(op, { minLength: 1, maxLength: 6 })).map(([i, ops]) => mutate(seeds[kind]![i % seeds[kind]!.length]!, ops)) },
  );

/** Runs `fn`; only FormatErrors may escape, and it must finish quickly. */
async function survives(fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`untyped ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
  const ms = performance.now() - t0;
  if (ms > 3000) throw new Error(`took ${ms.toFixed(0)} ms`);
}

const prop = (kind: string, fn: (b: Buffer) => Promise<unknown>) => fc.assert(fc.asyncProperty(input(kind), (b) => survives(() => fn(b))), { numRuns: RUNS });
const src = (b: Buffer): BufferSource => new BufferSource('fuzz', b);

describe('fuzzing', () => {
  const heap0 = process.memoryUsage().heapUsed;

  it('gguf', () => prop('gguf', (b) => gguf.read(src(b))));
  it('safetensors', () => prop('safetensors', (b) => safetensors.read(src(b))));
  it('onnx', () => prop('onnx', (b) => onnx.read(src(b))));
  it('savedmodel', () => prop('savedmodel', (b) => savedmodel.read(src(b), new Set(['ReadFile']))));
  it('pickle analyser (never throws at all: damage is data)', () =>
    fc.assert(fc.asyncProperty(input('pickle'), async (b) => {
      const a = await analyzePickle(src(b));
      pickleFindings(a, 'fuzz');
    }), { numRuns: RUNS * 2 }));
  it('zip', () => prop('zip', async (b) => {
    const z = await ZipArchive.open(src(b));
    try {
      for (const e of z.entries.slice(0, 20)) await (await z.source(e, 1 << 20, 'm')).read(0, 64);
    } finally {
      z.close();
    }
  }));
  it('tar', () => prop('tar', (b) => tar.listTar(src(b))));
  it('npy', () => prop('npy', (b) => numpy.read(src(b))));
  it('hdf5/keras', () => prop('h5', async (b) => {
    const h = await keras.readH5(src(b));
    keras.analyzeConfig(h.modelConfig);
  }));
  it('xgboost, lightgbm, catboost', () => prop('trees', async (b) => {
    for (const read of [xgboost.read, lightgbm.read, catboost.read]) await survives(() => read(src(b)));
  }));
  it('pytorch (zip and legacy)', () => prop('torch', async (b) => {
    await survives(() => pytorch.readLegacy(src(b)));
    const z = await ZipArchive.open(src(b));
    try {
      await pytorch.readZip(z);
    } finally {
      z.close();
    }
  }));
  it('json/hf and templates', () =>
    fc.assert(fc.asyncProperty(fc.oneof(fc.json(), fc.string({ maxLength: 400 })), async (s) => {
      await survives(async () => hf.classifyJson(await hf.readJson(src(Buffer.from(s))), 'x.json'));
      scanTemplate(s, 'f', 'kv');
      keras.analyzeConfig((() => { try { return JSON.parse(s) as unknown; } catch { return null; } })());
    }), { numRuns: RUNS }));
  it('detect + inspect + scan pipeline on any input', () =>
    fc.assert(fc.asyncProperty(input('any'), async (b) => {
      await survives(() => detectSource(src(b)));
      await survives(() => inspectSource(src(b)));
      await survives(() => scanBuffer('fuzz.bin', b));
    }), { numRuns: RUNS }));

  it('kept memory bounded', () => {
    global.gc?.();
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(512 * 2 ** 20);
  });
});
