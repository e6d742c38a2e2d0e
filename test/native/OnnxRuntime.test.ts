import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRuntime, OnnxRuntimeError } from '../../native/OnnxRuntime';
import { writeClassifierOnnx, writeLinearOnnx, writeOnnx, DataType } from '../fixtures/onnx/writeOnnx';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-onnx-'));
const linear = path.join(dir, 'linear.onnx');
const fixed = path.join(dir, 'fixed.onnx');
const cls = path.join(dir, 'cls.onnx');
const rt = new OnnxRuntime({ gpu: false, threads: 1 });

beforeAll(() => {
  writeLinearOnnx(linear, { weight: [[1, 2], [3, 4], [5, 6]], bias: [0.5, -0.5] });
  writeLinearOnnx(fixed, { weight: [[1], [1]], bias: [0], batch: 1 });
  writeClassifierOnnx(cls, { weight: [[1, 0], [0, 1]], bias: [0, 0] });
});
afterAll(async () => {
  await rt.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const fail = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(OnnxRuntimeError);
  return e as OnnxRuntimeError;
};

describe('OnnxRuntime on real tiny ONNX files', () => {
  it('describes inputs and outputs, with dynamic dimensions as names', async () => {
    const s = await rt.open(linear);
    expect(s.executionProvider).toBe('cpu');
    expect(s.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['batch', 3] }]);
    expect(s.outputs).toEqual([{ name: 'y', type: 'float32', shape: ['batch', 2] }]);
    expect(await rt.open(linear)).toBe(s); // cached per file
  });

  it('runs a dynamic batch with the right numbers', async () => {
    const s = await rt.open(linear);
    const [y] = await s.run({ x: { dims: [2, 3], data: [1, 1, 1, 0, 0, 1] } });
    expect(y).toEqual({ name: 'y', type: 'float32', dims: [2, 2], data: [9.5, 11.5, 5.5, 5.5] });
    const [one] = await s.run({ x: { dims: [1, 3], data: [1, 0, 0] } });
    expect(one!.data).toEqual([1.5, 1.5]);
  });

  it('runs a two-input, two-output model', async () => {
    const s = await rt.open(cls);
    const out = await s.run({ features: { dims: [1, 2], data: [2, 0] }, scale: { dims: [1], data: [1] } });
    expect(out.map((o) => o.name)).toEqual(['logits', 'probs']);
    const probs = out[1]!.data as number[];
    expect(probs[0]).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1), 5);
    expect(probs[0]! + probs[1]!).toBeCloseTo(1, 6);
  });

  it('rejects wrong shapes, types and names with the expected shape in the message', async () => {
    const s = await rt.open(linear);
    expect((await fail(s.run({ x: { dims: [1, 2], data: [1, 2] } }))).message).toBe('input "x" expects float32[batch, 3], got shape [1, 2] (dimension 1 must be 3)');
    expect((await fail(s.run({ x: { dims: [3], data: [1, 2, 3] } }))).message).toMatch(/expects rank 2/);
    expect((await fail(s.run({ x: { dims: [1, 3], data: [1, 2] } }))).message).toMatch(/needs 3 values, got 2/);
    expect((await fail(s.run({ x: { dims: [1, 3], data: [1, 'a', 3] as unknown as number[] } }))).message).toMatch(/value #1 .* is not a number/);
    expect((await fail(s.run({ y: { dims: [1, 3], data: [1, 2, 3] } }))).message).toMatch(/missing input "x"/);
    expect((await fail(s.run({ x: { dims: [1, 3], data: [1, 2, 3] }, z: { dims: [1], data: [1] } }))).message).toMatch(/unknown input "z"/);
    expect((await fail(s.run({ x: { type: 'int64', dims: [1, 3], data: [1, 2, 3] } }))).message).toMatch(/expects float32, got int64/);
    const f = await rt.open(fixed);
    expect((await fail(f.run({ x: { dims: [2, 2], data: [1, 2, 3, 4] } }))).message).toMatch(/dimension 0 must be 1/);
    // Still usable after the errors.
    expect((await f.run({ x: { dims: [1, 2], data: [1, 2] } }))[0]!.data).toEqual([3]);
  });

  it('reports an onnxruntime failure that shape checks cannot catch', async () => {
    // MatMul of [n, 3] by a [4, 2] weight: the declared shapes pass, the kernel refuses.
    const bad = writeOnnx(path.join(dir, 'bad-matmul.onnx'), {
      name: 'bad', inputs: [{ name: 'x', shape: ['n', 3] }], outputs: [{ name: 'y', shape: ['n', 2] }],
      initializers: [{ name: 'W', dims: [4, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
    });
    const e = await rt.open(bad).then((s) => s.run({ x: { dims: [1, 3], data: [1, 2, 3] } }), (x: unknown) => { throw x; }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(OnnxRuntimeError);
    expect((e as OnnxRuntimeError).message).toMatch(/bad-matmul\.onnx/);
  });

  it('handles int64 tensors', async () => {
    const add = writeOnnx(path.join(dir, 'add64.onnx'), {
      name: 'add64', inputs: [{ name: 'a', elemType: DataType.INT64, shape: [2] }], outputs: [{ name: 'b', elemType: DataType.INT64, shape: [2] }],
      nodes: [{ op: 'Add', inputs: ['a', 'a'], outputs: ['b'] }],
    });
    const [b] = await (await rt.open(add)).run({ a: { dims: [2], data: [21, 2 ** 40] } });
    expect(b).toEqual({ name: 'b', type: 'int64', dims: [2], data: [42, 2 ** 41] });
  });

  it('refuses files that are not ONNX models, and closes sessions', async () => {
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'definitely not protobuf \x00\x01\x02');
    expect((await fail(rt.open(junk))).code).toBe('invalid_model');
    fs.writeFileSync(path.join(dir, 'empty.onnx'), '');
    expect((await fail(rt.open(path.join(dir, 'empty.onnx')))).message).toMatch(/is empty/);
    expect((await fail(rt.open(path.join(dir, 'nope.onnx')))).message).toMatch(/no such model file/);
    const s = await rt.open(fixed);
    expect(await rt.close(fixed)).toBe(true);
    expect((await fail(s.run({ x: { dims: [1, 2], data: [1, 2] } }))).code).toBe('disposed');
    expect(rt.loaded()).not.toContain(fixed);
  });

  it('runs off the main thread: the event loop keeps ticking during a long inference', async () => {
    const n = 768;
    const heavy = writeOnnx(path.join(dir, 'heavy.onnx'), {
      name: 'heavy', inputs: [{ name: 'x', shape: ['b', n] }], outputs: [{ name: 'y', shape: ['b', n] }],
      initializers: [{ name: 'W', dims: [n, n], data: Array.from({ length: n * n }, (_, i) => ((i % 7) - 3) / 1000) }],
      nodes: Array.from({ length: 8 }, (_, i) => ({ op: 'MatMul', inputs: [i ? `h${i}` : 'x', 'W'], outputs: [i === 7 ? 'y' : `h${i + 1}`] })),
    });
    const s = await rt.open(heavy);
    const rows = 512;
    const feed = { x: { dims: [rows, n], data: new Float32Array(rows * n).fill(0.5) as unknown as number[] } };
    let maxGap = 0;
    let ticks = 0;
    let last = performance.now();
    const tick = () => {
      const t = performance.now();
      maxGap = Math.max(maxGap, t - last);
      last = t;
    };
    const timer = setInterval(() => {
      ticks++;
      tick();
    }, 5);
    const t0 = performance.now();
    const before = ticks;
    const [y] = await s.run(feed);
    const during = ticks - before;
    tick();
    const took = performance.now() - t0;
    clearInterval(timer);
    expect(y!.dims).toEqual([rows, n]);
    // Eight 512×768×768 matmuls take far longer than a 5 ms tick. Were the run on this thread, no
    // timer could fire until it ended (during = 0) and one gap would span the whole run. The bound
    // is loose because other processes may starve this one for a while on a busy 2-core machine.
    expect(took).toBeGreaterThan(40);
    expect(during).toBeGreaterThan(2);
    expect(maxGap).toBeLessThan(took * 0.8);
  });

  it('lists the CPU backend', () => {
    expect(OnnxRuntime.supportedBackends()).toContain('cpu');
  });
});
