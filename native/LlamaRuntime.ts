// Thin adapter over node-llama-cpp (pinned 3.21.1): load GGUF models with progress after a fit
// check, raw completion (greedy or seeded), streamed chat, unload on idle. Nothing here knows
// about the registry or the database; services wrap it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  getLlama, readGgufFileInfo, GgufInsights, LlamaCompletion, LlamaChat, LlamaLogLevel,
  type Llama, type LlamaModel, type LlamaContext, type LlamaContextSequence, type ChatHistoryItem, type Token,
} from 'node-llama-cpp';

export type LlamaGpu = 'cuda' | 'metal' | 'vulkan' | false;

/** A llama.cpp log line at warn level or above, numbered so a load can pick out the lines it caused. */
interface LogLine { seq: number; error: boolean; message: string }

export class LlamaRuntimeError extends Error {
  constructor(readonly code: 'invalid_model' | 'model_too_large' | 'load_failed' | 'generation_failed' | 'disposed' | 'aborted', message: string) {
    super(message);
    this.name = 'LlamaRuntimeError';
  }
}

export interface LlamaRuntimeOptions {
  /** `false` forces the CPU even when a GPU backend is available. */
  gpu?: boolean;
  /**
   * Math threads per context. Default: all cores but one, so the UI and the main process stay
   * responsive (and llama.cpp's spinning threads do not fight each other on small machines).
   */
  threads?: number;
  /** Unload a model after this long without use; 0 keeps models loaded (default 5 minutes). */
  idleUnloadMs?: number;
  /** Context size used when a call does not say (capped at the model's training context). */
  contextSize?: number;
}

export interface FitEstimate {
  fits: boolean;
  /** Why it does not fit, in words with the numbers (null when it fits). */
  reason: string | null;
  gpu: LlamaGpu;
  gpuLayers: number;
  totalLayers: number;
  contextSize: number;
  modelBytes: number;
  /** Estimated RAM / VRAM the model plus its context would use. */
  ramBytes: number;
  vramBytes: number;
  availableRamBytes: number;
  totalRamBytes: number;
  availableVramBytes: number;
  totalVramBytes: number;
  /** node-llama-cpp's resolver score in [0, 1]; 0 means it will not fit. */
  compatibilityScore: number;
}

export interface GgufSummary {
  architecture: string;
  name: string | null;
  trainContextSize: number | null;
  parameters: number;
  layers: number;
  modelBytes: number;
}

export interface LoadOptions {
  contextSize?: number;
  /**
   * GGUF LoRA adapters applied on top of the model (scale 1). A model with adapters is a separate
   * loaded entry, keyed by the model's path plus the adapters' paths in order.
   */
  adapters?: string[];
  /** 0..1 as llama.cpp reads the file. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface SamplingOptions {
  /** The LoRA adapters of the loaded entry to use (see LoadOptions.adapters); none by default. */
  adapters?: string[];
  maxTokens?: number;
  /** 0 (default) = greedy: always the most likely token, fully reproducible. */
  temperature?: number;
  /** Makes sampling with temperature > 0 reproducible. */
  seed?: number;
  topK?: number;
  topP?: number;
  /** Repeat penalty (e.g. 1.1); off by default so greedy runs stay pure argmax. */
  repeatPenalty?: number | false;
  signal?: AbortSignal;
  /** Streamed decoded text as it is generated. */
  onText?: (chunk: string) => void;
}

export interface GenerationResult {
  text: string;
  promptTokens: number;
  tokens: number;
  ms: number;
  /** Generated tokens per second over the whole call (prompt evaluation included). */
  tokensPerSec: number;
  stopReason: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LoadedModelInfo {
  path: string;
  adapters: string[];
  contextSize: number;
  gpuLayers: number;
  sizeBytes: number;
  loadedAt: number;
  lastUsedAt: number;
}

interface Entry {
  path: string;
  adapters: string[];
  model: LlamaModel;
  context: LlamaContext;
  /** Kept across calls so node-llama-cpp can reuse the evaluated prefix (BOS, chat history). */
  sequence: LlamaContextSequence;
  loadedAt: number;
  lastUsedAt: number;
  /** Calls on one model run one after another: there is one sequence per model. */
  queue: Promise<unknown>;
  busy: number;
  timer: NodeJS.Timeout | null;
}

const GB = 1e9;
/** A loaded entry's key: the model's path, then its LoRA adapters' paths in order. */
const entryKey = (file: string, adapters?: string[]) => [file, ...(adapters ?? []).map((a) => path.resolve(a))].join('\0');
const fmt = (n: number) => (n >= GB ? `${(n / GB).toFixed(1)} GB` : `${(n / 1e6).toFixed(n < 1e8 ? 1 : 0)} MB`);

export class LlamaRuntime {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  /** The last error lines llama.cpp logged, to explain its bare "Failed to load model". */
  private readonly recentErrors: LogLine[];
  private disposed = false;
  /** Native loads that failed after node-llama-cpp created its model object (see dispose). */
  private failedNativeLoads = 0;

  private constructor(private readonly llama: Llama, private readonly opts: Required<LlamaRuntimeOptions>, recentErrors: LogLine[]) {
    this.recentErrors = recentErrors;
  }

  /** Loads the prebuilt llama.cpp binary (never builds or downloads one). */
  static async create(opts: LlamaRuntimeOptions = {}): Promise<LlamaRuntime> {
    const recentErrors: LogLine[] = [];
    let seq = 0;
    const llama = await getLlama({
      build: 'never',
      gpu: opts.gpu === false ? false : 'auto',
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal || level === LlamaLogLevel.warn) {
          recentErrors.push({ seq: ++seq, error: level !== LlamaLogLevel.warn, message: message.trim() });
          if (recentErrors.length > 40) recentErrors.shift();
        }
      },
    });
    const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    return new LlamaRuntime(llama, {
      gpu: opts.gpu !== false,
      threads: opts.threads ?? Math.max(1, Math.min(llama.cpuMathCores, cores) - 1),
      idleUnloadMs: opts.idleUnloadMs ?? 5 * 60_000,
      contextSize: opts.contextSize ?? 2048,
    }, recentErrors);
  }

  get gpu(): LlamaGpu {
    return this.llama.gpu;
  }

  get threads(): number {
    return this.opts.threads;
  }

  /** Device names the loaded binary sees (empty on CPU). */
  async gpuDeviceNames(): Promise<string[]> {
    return this.llama.gpu === false ? [] : this.llama.getGpuDeviceNames();
  }

  async vramState(): Promise<{ total: number; free: number }> {
    const v = await this.llama.getVramState();
    return { total: v.total, free: v.free };
  }

  loaded(): LoadedModelInfo[] {
    return [...this.entries.values()].map((e) => ({
      path: e.path, adapters: e.adapters, contextSize: e.context.contextSize, gpuLayers: e.model.gpuLayers, sizeBytes: e.model.size,
      loadedAt: e.loadedAt, lastUsedAt: e.lastUsedAt,
    }));
  }

  /**
   * Asks node-llama-cpp's configuration resolver whether the model plus a context of the given
   * size fits this machine's RAM/VRAM, from the GGUF header alone (no tensor is read).
   */
  async estimateFit(file: string, contextSize?: number): Promise<FitEstimate> {
    return (await this.analyze(file, contextSize)).fit;
  }

  /** What the GGUF header says, without loading tensors. */
  async describe(file: string): Promise<GgufSummary> {
    const info = await this.readInfo(file);
    const insights = await GgufInsights.from(info, this.llama);
    const general = info.metadata.general;
    return {
      architecture: String(general?.architecture ?? 'unknown'),
      name: general?.name ? String(general.name) : null,
      trainContextSize: insights.trainContextSize ?? null,
      parameters: insights.totalParameters,
      // Transformer blocks; the resolver's totalLayers also counts the output layer.
      layers: Number(info.architectureMetadata.block_count ?? insights.totalLayers - 1),
      modelBytes: insights.modelSize,
    };
  }

  private async analyze(file: string, contextSize?: number) {
    this.assertAlive();
    const info = await this.readInfo(file);
    const insights = await GgufInsights.from(info, this.llama);
    // A file shorter than its header's tensors would make llama.cpp fail late (or worse); say so now.
    const size = fs.statSync(file).size;
    if (info.splicedParts === 1 && info.infoEndOffset !== undefined && info.infoEndOffset + insights.modelSize > size) {
      throw new LlamaRuntimeError('invalid_model', `${path.basename(file)} is truncated or corrupt: its header describes ${fmt(insights.modelSize)} of tensors but the file holds only ${fmt(Math.max(0, size - info.infoEndOffset))} after the header`);
    }
    const ctx = this.resolveContextSize(contextSize, insights.trainContextSize);
    const r = await insights.configurationResolver.resolveAndScoreConfig({ targetContextSize: ctx });
    const ram = await this.ramState();
    const vram = await this.llama.getVramState();
    const v = r.resolvedValues;
    let reason: string | null = null;
    if (r.compatibilityScore <= 0 || v.totalRamUsage > ram.total) {
      const where = this.llama.gpu === false
        ? `${fmt(ram.total)} RAM (${fmt(ram.free)} free) and ${this.opts.gpu ? 'no usable GPU' : 'the GPU turned off (CPU forced)'}`
        : `${fmt(ram.total)} RAM (${fmt(ram.free)} free) and ${fmt(vram.total)} VRAM (${fmt(vram.free)} free) on ${this.llama.gpu}`;
      reason = `${path.basename(file)} needs about ${fmt(v.totalRamUsage)} RAM${v.totalVramUsage ? ` + ${fmt(v.totalVramUsage)} VRAM` : ''} `
        + `(model ${fmt(insights.modelSize)}, context of ${ctx} tokens ${fmt(v.contextRamUsage + v.contextVramUsage)}) but this machine has ${where}`;
    }
    const fit: FitEstimate = {
      fits: reason === null,
      reason,
      gpu: this.llama.gpu,
      gpuLayers: v.gpuLayers,
      totalLayers: insights.totalLayers,
      contextSize: ctx,
      modelBytes: insights.modelSize,
      ramBytes: v.totalRamUsage,
      vramBytes: v.totalVramUsage,
      availableRamBytes: ram.free,
      totalRamBytes: ram.total,
      availableVramBytes: vram.free,
      totalVramBytes: vram.total,
      compatibilityScore: r.compatibilityScore,
    };
    return { fit, info, insights };
  }

  /** Loads (or returns the already loaded) model; refuses, before reading tensors, one that does not fit. */
  async load(file: string, opts: LoadOptions = {}): Promise<LoadedModelInfo> {
    const e = await this.entry(path.resolve(file), opts);
    return this.loaded().find((x) => x.path === e.path && entryKey(x.path, x.adapters) === entryKey(e.path, e.adapters))!;
  }

  /** Raw completion of `prompt` (BOS added, no chat template). */
  async complete(file: string, prompt: string, opts: SamplingOptions = {}): Promise<GenerationResult> {
    return this.withModel(file, opts.adapters, async (e) => {
      const completion = new LlamaCompletion({ contextSequence: e.sequence });
      try {
        const promptTokens = e.model.tokenize(prompt, true).length;
        let tokens = 0;
        const t0 = performance.now();
        const r = await completion.generateCompletionWithMeta(prompt, {
          ...this.sampling(opts),
          onToken: (t: Token[]) => { tokens += t.length; },
          ...(opts.onText ? { onTextChunk: opts.onText } : {}),
        });
        return this.result(r.response, promptTokens, tokens, performance.now() - t0, r.metadata.stopReason);
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    });
  }

  /** One assistant turn for a conversation, formatted with the model's own chat template. */
  async chat(file: string, messages: ChatMessage[], opts: SamplingOptions = {}): Promise<GenerationResult> {
    if (!messages.some((m) => m.role === 'user')) throw new LlamaRuntimeError('generation_failed', 'a chat needs at least one user message');
    return this.withModel(file, opts.adapters, async (e) => {
      const chat = new LlamaChat({ contextSequence: e.sequence, autoDisposeSequence: false });
      try {
        const history: ChatHistoryItem[] = messages.map((m) =>
          m.role === 'system' ? { type: 'system', text: m.content } : m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] });
        history.push({ type: 'model', response: [] });
        let tokens = 0;
        const t0 = performance.now();
        const r = await chat.generateResponse(history, {
          ...this.sampling(opts),
          onToken: (t: Token[]) => { tokens += t.length; },
          ...(opts.onText ? { onTextChunk: opts.onText } : {}),
        });
        // What the sequence holds now is the formatted prompt plus what was generated.
        const promptTokens = Math.max(0, e.sequence.contextTokens.length - tokens);
        return this.result(r.response, promptTokens, tokens, performance.now() - t0, r.metadata.stopReason);
      } finally {
        chat.dispose({ disposeSequence: false });
      }
    });
  }

  /** Tokens of `text` without BOS (e.g. to size maxTokens for an expected response). */
  async countTokens(file: string, text: string, adapters?: string[]): Promise<number> {
    return this.withModel(file, adapters, async (e) => e.model.tokenize(text, false).length);
  }

  async unload(file: string, adapters?: string[]): Promise<boolean> {
    const key = entryKey(path.resolve(file), adapters);
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    if (e.timer) clearTimeout(e.timer);
    await e.queue.catch(() => undefined);
    await e.context.dispose();
    await e.model.dispose();
    return true;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.allSettled([...this.loading.values()]);
    for (const e of [...this.entries.values()]) await this.unload(e.path, e.adapters);
    // node-llama-cpp 3.21.1 leaks a dispose-prevention handle when llama.cpp refuses a model after
    // the JS model object exists (the handle is released only if that orphan is still alive, not
    // after it is garbage-collected), and llama.dispose() then waits forever. Bound the wait in
    // that case so shutdown and settings changes never hang; the process frees the rest on exit.
    const done = this.llama.dispose();
    if (this.failedNativeLoads === 0) return done;
    await Promise.race([done, new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  // ---- internals ---------------------------------------------------------------------------------

  private sampling(o: SamplingOptions) {
    const greedy = !o.temperature;
    return {
      maxTokens: o.maxTokens ?? 128,
      temperature: greedy ? 0 : o.temperature!,
      ...(!greedy && o.seed !== undefined ? { seed: o.seed } : {}),
      ...(!greedy && o.topK !== undefined ? { topK: o.topK } : {}),
      ...(!greedy && o.topP !== undefined ? { topP: o.topP } : {}),
      repeatPenalty: o.repeatPenalty ? { penalty: o.repeatPenalty } : (false as const),
      ...(o.signal ? { signal: o.signal, stopOnAbortSignal: true } : {}),
    };
  }

  private result(text: string, promptTokens: number, tokens: number, ms: number, stopReason: string): GenerationResult {
    return { text, promptTokens, tokens, ms, tokensPerSec: ms > 0 ? (tokens * 1000) / ms : 0, stopReason };
  }

  private async withModel<T>(file: string, adapters: string[] | undefined, fn: (e: Entry) => Promise<T>): Promise<T> {
    const e = await this.entry(path.resolve(file), adapters ? { adapters } : {});
    e.busy++;
    if (e.timer) clearTimeout(e.timer);
    const run = e.queue.then(() => fn(e));
    e.queue = run.catch(() => undefined);
    try {
      return await run;
    } catch (err) {
      if (err instanceof LlamaRuntimeError) throw err;
      throw new LlamaRuntimeError('generation_failed', `generation with ${path.basename(e.path)} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      e.busy--;
      e.lastUsedAt = Date.now();
      this.scheduleIdle(e);
    }
  }

  private scheduleIdle(e: Entry): void {
    if (!this.opts.idleUnloadMs || e.busy > 0) return;
    if (e.timer) clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      if (e.busy === 0 && this.entries.get(entryKey(e.path, e.adapters)) === e) void this.unload(e.path, e.adapters).catch(() => undefined);
    }, this.opts.idleUnloadMs);
    // An idle model must not keep the CLI process alive.
    e.timer.unref();
  }

  private async entry(file: string, opts: LoadOptions): Promise<Entry> {
    this.assertAlive();
    const key = entryKey(file, opts.adapters);
    const have = this.entries.get(key);
    if (have) return have;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const p = this.loadEntry(file, opts).finally(() => this.loading.delete(key));
    this.loading.set(key, p);
    return p;
  }

  private async loadEntry(key: string, opts: LoadOptions): Promise<Entry> {
    const adapters = (opts.adapters ?? []).map((a) => path.resolve(a));
    for (const a of adapters) {
      if (!fs.statSync(a, { throwIfNoEntry: false })?.isFile()) throw new LlamaRuntimeError('invalid_model', `no such LoRA adapter file: ${a}`);
    }
    const { fit } = await this.analyze(key, opts.contextSize);
    if (!fit.fits) throw new LlamaRuntimeError('model_too_large', `refusing to load: ${fit.reason}`);
    const seqBefore = this.recentErrors.at(-1)?.seq ?? 0;
    let model: LlamaModel;
    try {
      model = await this.llama.loadModel({
        modelPath: key,
        // Off-GPU when forced to CPU; otherwise what the resolver found to fit.
        gpuLayers: this.llama.gpu === false ? 0 : fit.gpuLayers,
        ...(opts.onProgress ? { onLoadProgress: opts.onProgress } : {}),
        ...(opts.signal ? { loadSignal: opts.signal } : {}),
      });
    } catch (e) {
      this.failedNativeLoads++;
      if (opts.signal?.aborted) throw new LlamaRuntimeError('aborted', `loading ${path.basename(key)} was cancelled`);
      // llama.cpp's log lines reach the JS thread after the rejection, later still on a busy machine:
      // wait (bounded) for an error-level line, which names the cause (e.g. the missing tensor).
      const since = () => this.recentErrors.filter((l) => l.seq > seqBefore);
      for (let waited = 0; waited < 1000 && !since().some((l) => l.error); waited += 20) await new Promise((r) => setTimeout(r, 20));
      const lines = since();
      // Warnings such as "Failed simulating model resource usage" match /fail/ but are not the cause.
      const detail = lines.find((l) => l.error && /error|fail|invalid|corrupt|missing/i.test(l.message))?.message
        ?? lines.find((l) => l.error)?.message
        ?? lines.find((l) => /error|invalid|corrupt|missing/i.test(l.message))?.message;
      throw new LlamaRuntimeError('load_failed', `could not load ${path.basename(key)}: ${detail ?? (e instanceof Error ? e.message : String(e))}`);
    }
    try {
      const context = await model.createContext({
        contextSize: fit.contextSize, threads: this.opts.threads, sequences: 1,
        ...(adapters.length ? { lora: { adapters: adapters.map((filePath) => ({ filePath })) } } : {}),
      });
      if (this.disposed) throw new LlamaRuntimeError('disposed', 'the llama runtime was disposed while loading');
      const now = Date.now();
      const e: Entry = { path: key, adapters, model, context, sequence: context.getSequence(), loadedAt: now, lastUsedAt: now, queue: Promise.resolve(), busy: 0, timer: null };
      this.entries.set(entryKey(key, adapters), e);
      this.scheduleIdle(e);
      return e;
    } catch (err) {
      await model.dispose();
      if (err instanceof LlamaRuntimeError) throw err;
      throw new LlamaRuntimeError('load_failed', `could not create a context for ${path.basename(key)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async readInfo(file: string) {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new LlamaRuntimeError('invalid_model', `no such model file: ${file}`);
    }
    if (!st.isFile()) throw new LlamaRuntimeError('invalid_model', `not a file: ${file}`);
    const fd = fs.openSync(file, 'r');
    const magic = Buffer.alloc(4);
    try {
      fs.readSync(fd, magic, 0, 4, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (magic.toString('latin1') !== 'GGUF') throw new LlamaRuntimeError('invalid_model', `${path.basename(file)} is not a GGUF file (no GGUF magic)`);
    try {
      return await readGgufFileInfo(file, { logWarnings: false });
    } catch (e) {
      throw new LlamaRuntimeError('invalid_model', `${path.basename(file)} is not a valid GGUF file: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private resolveContextSize(requested: number | undefined, train: number | undefined): number {
    const want = requested ?? this.opts.contextSize;
    return Math.max(16, train ? Math.min(want, train) : want);
  }

  private async ramState(): Promise<{ total: number; free: number }> {
    // The same numbers node-llama-cpp's resolver uses, so the reason quotes what it compared.
    const total = os.totalmem();
    return { total, free: Math.min(total, os.freemem()) };
  }

  private assertAlive(): void {
    if (this.disposed) throw new LlamaRuntimeError('disposed', 'the llama runtime was disposed');
  }
}
