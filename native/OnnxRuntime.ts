// Thin adapter over onnxruntime-node: open sessions (cached per file), describe inputs/outputs,
// run with typed tensors, dispose. onnxruntime-node loads models and runs them synchronously on the
// calling thread, which would freeze Electron's main process for the length of every inference,
// so sessions live in one worker thread. Shapes are checked against the model's metadata before
// running so a wrong input gets an error naming the input and the expected shape.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export type OnnxElementType =
  | 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32'
  | 'int64' | 'uint64' | 'bool' | 'string';

export class OnnxRuntimeError extends Error {
  constructor(readonly code: 'invalid_model' | 'invalid_input' | 'run_failed' | 'disposed', message: string) {
    super(message);
    this.name = 'OnnxRuntimeError';
  }
}

export interface OnnxValueInfo {
  name: string;
  /** Null for non-tensor values (sequences, maps). */
  type: OnnxElementType | null;
  /** Numbers are fixed sizes; strings are symbolic (dynamic) dimensions. */
  shape: Array<number | string>;
}

/** A tensor crossing our API: plain JSON-able data, row-major. */
export interface OnnxTensorInput {
  type?: OnnxElementType;
  dims: number[];
  data: ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean> | ArrayLike<string>;
}

export interface OnnxTensorOutput {
  name: string;
  type: OnnxElementType;
  dims: number[];
  /** int64/uint64 come back as numbers when they fit a double exactly, else as decimal strings. */
  data: Array<number | string | boolean>;
}

export interface OnnxRuntimeOptions {
  /** `false` forces the CPU execution provider. */
  gpu?: boolean;
  /** Intra-op threads (default: all cores but one, keeping the UI responsive). */
  threads?: number;
}

type TypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** What goes to the worker: ready-made typed data the worker wraps in an ort.Tensor. */
interface WireTensor {
  type: OnnxElementType;
  dims: number[];
  data: TypedArray | string[];
}

const ARRAYS: Record<Exclude<OnnxElementType, 'string' | 'bool' | 'float16'>, new (data: number[] | bigint[]) => TypedArray> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array,
};

// The worker is plain CommonJS evaluated from a string: no separate build entry, and it works the
// same under tsx, vitest and the bundled Electron main process.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const sessions = new Map();
let nextId = 1;
const meta = (m) => (m.isTensor ? { name: m.name, type: m.type, shape: Array.from(m.shape) } : { name: m.name, type: null, shape: [] });
parentPort.on('message', async (msg) => {
  try {
    if (msg.op === 'open') {
      const s = await ort.InferenceSession.create(msg.file, msg.options);
      const id = nextId++;
      sessions.set(id, s);
      parentPort.postMessage({ id: msg.id, ok: true, session: id, inputs: s.inputMetadata.map(meta), outputs: s.outputMetadata.map(meta) });
    } else if (msg.op === 'run') {
      const s = sessions.get(msg.session);
      if (!s) throw new Error('the session was closed');
      const feeds = {};
      for (const [k, t] of Object.entries(msg.feeds)) feeds[k] = new ort.Tensor(t.type, t.data, t.dims);
      const out = await s.run(feeds, msg.outputNames);
      const outputs = Object.entries(out).map(([name, t]) => ({ name, type: t.type, dims: Array.from(t.dims), data: t.data }));
      parentPort.postMessage({ id: msg.id, ok: true, outputs });
    } else if (msg.op === 'close') {
      const s = sessions.get(msg.session);
      sessions.delete(msg.session);
      if (s) await s.release();
      parentPort.postMessage({ id: msg.id, ok: true });
    }
  } catch (e) {
    parentPort.postMessage({ id: msg.id, ok: false, error: String((e && e.message) || e) });
  }
});
`;

interface Reply { id: number; ok: boolean; error?: string; [k: string]: unknown }

/** One worker thread holding every session; restarted on the next call if it ever dies. */
class OnnxWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  /** Bumped when the worker dies, which invalidates every session opened in it. */
  generation = 0;

  call(msg: Record<string, unknown>): Promise<Reply> {
    const w = this.start();
    const id = this.nextId++;
    // Keep the process alive only while a call is in flight (the CLI must be able to exit).
    if (this.pending.size === 0) w.ref();
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ ...msg, id });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath } });
    w.unref();
    w.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) w.unref();
      p.resolve(r);
    });
    const fail = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.generation++;
      for (const p of this.pending.values()) p.reject(new OnnxRuntimeError('run_failed', `the ONNX worker stopped: ${why}`));
      this.pending.clear();
    };
    w.on('error', (e) => fail(e.message));
    w.on('exit', (code) => fail(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  async terminate(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** One loaded model. */
export class OnnxSession {
  private released = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly worker: OnnxWorker,
    private readonly id: number,
    private readonly generation: number,
    readonly inputs: OnnxValueInfo[],
    readonly outputs: OnnxValueInfo[],
    readonly executionProvider: string,
  ) {}

  /** False once released or when the worker holding it has died. */
  get alive(): boolean {
    return !this.released && this.worker.generation === this.generation;
  }

  /** Runs the model; `feeds` must name every input. Calls on one session are serialized. */
  async run(feeds: Record<string, OnnxTensorInput>, outputNames?: string[]): Promise<OnnxTensorOutput[]> {
    if (this.released) throw new OnnxRuntimeError('disposed', `session for ${path.basename(this.path)} was released`);
    if (!this.alive) throw new OnnxRuntimeError('disposed', `session for ${path.basename(this.path)} was lost when the ONNX worker stopped; open it again`);
    const wire: Record<string, WireTensor> = {};
    for (const meta of this.inputs) {
      const feed = feeds[meta.name];
      if (!feed) throw new OnnxRuntimeError('invalid_input', `missing input "${meta.name}" (expected ${describe(meta)}); the model's inputs are ${this.inputs.map((i) => `"${i.name}"`).join(', ')}`);
      wire[meta.name] = toWire(meta, feed);
    }
    const unknown = Object.keys(feeds).filter((k) => !this.inputs.some((i) => i.name === k));
    if (unknown.length) throw new OnnxRuntimeError('invalid_input', `unknown input ${unknown.map((u) => `"${u}"`).join(', ')}; the model's inputs are ${this.inputs.map((i) => `"${i.name}"`).join(', ')}`);
    const run = this.queue.then(() => this.worker.call({ op: 'run', session: this.id, feeds: wire, outputNames: outputNames ?? this.outputs.map((o) => o.name) }));
    this.queue = run.catch(() => undefined);
    const r = await run;
    if (!r.ok) throw new OnnxRuntimeError('run_failed', `${path.basename(this.path)}: ${(r.error ?? 'unknown error').trim()}`);
    return (r.outputs as Array<WireTensor & { name: string }>).map((t) => fromWire(t.name, t));
  }

  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue;
    if (this.worker.generation === this.generation) await this.worker.call({ op: 'close', session: this.id }).catch(() => undefined);
  }
}

export class OnnxRuntime {
  private readonly sessions = new Map<string, Promise<OnnxSession>>();
  private readonly worker = new OnnxWorker();
  private disposed = false;
  private readonly threads: number;

  constructor(private readonly opts: OnnxRuntimeOptions = {}) {
    const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    this.threads = opts.threads ?? Math.max(1, cores - 1);
  }

  /**
   * Execution providers usable here (e.g. ["cpu"], ["cpu", "cuda"]). Non-bundled providers (CUDA,
   * TensorRT) count only when their library was installed next to the binding; trying one that is
   * absent makes onnxruntime print a native error before we can fall back.
   */
  static supportedBackends(): string[] {
    return ort.listSupportedBackends().filter((b) => b.bundled || providerLibraryPresent(b.name)).map((b) => b.name);
  }

  /** Opens (or returns the cached) session for a file. */
  open(file: string): Promise<OnnxSession> {
    if (this.disposed) return Promise.reject(new OnnxRuntimeError('disposed', 'the ONNX runtime was disposed'));
    const key = path.resolve(file);
    let s = this.sessions.get(key);
    if (s) {
      // A session from a worker that has since died is useless: open it again.
      const cached = s;
      return cached.then((x) => {
        if (x.alive) return x;
        this.sessions.delete(key);
        return this.open(key);
      });
    }
    s = this.create(key);
    this.sessions.set(key, s);
    s.catch(() => this.sessions.delete(key));
    return s;
  }

  async close(file: string): Promise<boolean> {
    const key = path.resolve(file);
    const s = this.sessions.get(key);
    if (!s) return false;
    this.sessions.delete(key);
    await (await s.catch(() => null))?.dispose();
    return true;
  }

  loaded(): string[] {
    return [...this.sessions.keys()];
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const key of [...this.sessions.keys()]) await this.close(key);
    await this.worker.terminate();
  }

  private async create(file: string): Promise<OnnxSession> {
    let size: number;
    try {
      const st = await fs.promises.stat(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      throw new OnnxRuntimeError('invalid_model', `no such model file: ${file}`);
    }
    if (size === 0) throw new OnnxRuntimeError('invalid_model', `${path.basename(file)} is empty`);
    const options = { intraOpNumThreads: this.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
    let lastError = 'unknown error';
    // Try the GPU provider first when allowed; any failure there falls back to the CPU.
    for (const ep of this.providers()) {
      const generation = this.worker.generation;
      const r = await this.worker.call({ op: 'open', file, options: { ...options, executionProviders: [ep] } });
      if (r.ok) return new OnnxSession(file, this.worker, r.session as number, generation, r.inputs as OnnxValueInfo[], r.outputs as OnnxValueInfo[], ep);
      lastError = (r.error ?? lastError).trim();
    }
    throw new OnnxRuntimeError('invalid_model', `${path.basename(file)} is not a loadable ONNX model: ${lastError}`);
  }

  private providers(): string[] {
    if (this.opts.gpu === false) return ['cpu'];
    const have = new Set(OnnxRuntime.supportedBackends());
    const gpu = ['cuda', 'dml', 'coreml'].filter((p) => have.has(p));
    return [...gpu, 'cpu'];
  }
}

function providerLibraryPresent(name: string): boolean {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    const dir = path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? `onnxruntime_providers_${name}.dll` : `libonnxruntime_providers_${name}.so`;
    return fs.existsSync(path.join(dir, lib));
  } catch {
    return false;
  }
}

function describe(m: OnnxValueInfo): string {
  return `${m.type ?? 'non-tensor'}[${m.shape.map((d) => (typeof d === 'string' ? d || '?' : d < 0 ? '?' : d)).join(', ')}]`;
}

function toWire(meta: OnnxValueInfo, feed: OnnxTensorInput): WireTensor {
  if (meta.type === null) throw new OnnxRuntimeError('invalid_input', `input "${meta.name}" is not a tensor; only tensor inputs are supported`);
  const type = feed.type ?? meta.type;
  if (type !== meta.type) throw new OnnxRuntimeError('invalid_input', `input "${meta.name}" expects ${meta.type}, got ${type}`);
  const dims = feed.dims;
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new OnnxRuntimeError('invalid_input', `input "${meta.name}": dims must be non-negative integers, got ${JSON.stringify(dims)}`);
  }
  if (meta.shape.length && dims.length !== meta.shape.length) {
    throw new OnnxRuntimeError('invalid_input', `input "${meta.name}" expects rank ${meta.shape.length} ${describe(meta)}, got shape [${dims.join(', ')}]`);
  }
  meta.shape.forEach((d, i) => {
    if (typeof d === 'number' && d >= 0 && dims[i] !== d) {
      throw new OnnxRuntimeError('invalid_input', `input "${meta.name}" expects ${describe(meta)}, got shape [${dims.join(', ')}] (dimension ${i} must be ${d})`);
    }
  });
  const count = dims.reduce((a, b) => a * b, 1);
  if (feed.data.length !== count) {
    throw new OnnxRuntimeError('invalid_input', `input "${meta.name}": shape [${dims.join(', ')}] needs ${count} values, got ${feed.data.length}`);
  }
  const values = Array.from(feed.data as ArrayLike<unknown>);
  if (type === 'string') return { type, dims, data: values.map(String) };
  if (type === 'bool') return { type, dims, data: Uint8Array.from(values.map((v) => (v ? 1 : 0))) };
  if (type === 'float16') throw new OnnxRuntimeError('invalid_input', `input "${meta.name}": float16 inputs are not supported yet`);
  const bad = values.findIndex((v) => (typeof v !== 'number' && typeof v !== 'bigint') || (typeof v === 'number' && !Number.isFinite(v) && !type.startsWith('float')));
  if (bad >= 0) throw new OnnxRuntimeError('invalid_input', `input "${meta.name}": value #${bad} (${JSON.stringify(String(values[bad]))}) is not a number`);
  const Ctor = ARRAYS[type];
  const data = type === 'int64' || type === 'uint64'
    ? new Ctor(values.map((v) => BigInt(typeof v === 'number' ? Math.trunc(v) : (v as bigint))))
    : new Ctor(values.map(Number));
  return { type, dims, data };
}

function fromWire(name: string, t: WireTensor): OnnxTensorOutput {
  const data = Array.from(t.data as ArrayLike<number | bigint | string | boolean>, (v) => {
    if (typeof v !== 'bigint') return t.type === 'bool' ? Boolean(v) : v;
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v.toString();
  });
  return { name, type: t.type, dims: [...t.dims], data };
}
