// Native results (camelCase, native/'s own types) become the contract's wire types here, once.
import fs from 'node:fs';
import type { FitEstimate as NativeFit, GenerationResult as NativeGeneration, SamplingOptions } from '../../../native/LlamaRuntime';
import { LlamaRuntimeError } from '../../../native/LlamaRuntime';
import { OnnxRuntimeError, type OnnxValueInfo as NativeValueInfo } from '../../../native/OnnxRuntime';
import type {
  ChatMessage, FitEstimate, GenerationResult, LoadedModel, ModelDescription, ModelRef, OnnxRunInput, OnnxRunResult, SamplingInput,
} from '../../contract/inference';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import { batchSizeOf, hashInputs, onnxInputsFromCsv, onnxInputsFromJson, onnxInputsFromText, type OnnxFeeds } from './inputs';
import { resolveModel, type ResolvedModel } from './modelRef';
import { recordPrediction } from './PredictionLog';
import { runServices } from './RunServices';
import { assertInferenceAllowed } from '../mode/Mode';
import { predictionOutput } from '../monitoring/outputs';

/** Native adapters throw their own errors with stable codes; the API speaks HallmarkError. */
export function asHallmarkError(e: unknown): unknown {
  if (e instanceof LlamaRuntimeError || e instanceof OnnxRuntimeError) return new HallmarkError(e.code, e.message);
  return e;
}

function requireFormat<F extends ResolvedModel['format']>(m: ResolvedModel, format: F, what: string): ResolvedModel & { format: F } {
  if (m.format !== format) throw new HallmarkError('wrong_format', `${what} needs a ${format.toUpperCase()} model; ${quote(m.label)} is ${m.format.toUpperCase()}`);
  return m as ResolvedModel & { format: F };
}

const fitResult = (f: NativeFit): FitEstimate => ({
  fits: f.fits, reason: f.reason, gpu: f.gpu, gpu_layers: f.gpuLayers, total_layers: f.totalLayers, context_size: f.contextSize,
  model_bytes: f.modelBytes, ram_bytes: f.ramBytes, vram_bytes: f.vramBytes, available_ram_bytes: f.availableRamBytes,
  total_ram_bytes: f.totalRamBytes, available_vram_bytes: f.availableVramBytes, total_vram_bytes: f.totalVramBytes,
  compatibility_score: Number.isFinite(f.compatibilityScore) ? f.compatibilityScore : 0,
});

/** What a model takes and gives (ONNX) or what it is and whether it fits (GGUF); loads nothing big. */
export async function describeModel(ctx: AppContext, ref: ModelRef): Promise<ModelDescription> {
  const m = resolveModel(ctx, ref);
  const base = { label: m.label, path: m.path, key: m.key, version_id: m.versionId, size_bytes: fs.statSync(m.path).size, adapters: m.adapters };
  const rs = runServices(ctx);
  try {
    if (m.format === 'onnx') {
      const s = await rs.onnx().open(m.path);
      return { ...base, format: 'onnx', inputs: s.inputs, outputs: s.outputs, execution_provider: s.executionProvider };
    }
    const llama = await rs.llama();
    const [d, fit] = await Promise.all([llama.describe(m.path), llama.estimateFit(m.path)]);
    return {
      ...base, format: 'gguf', architecture: d.architecture, name: d.name, train_context_size: d.trainContextSize,
      parameters: d.parameters, layers: d.layers, fit: fitResult(fit),
      loaded: llama.loaded().some((l) => l.path === m.path && l.adapters.join('\0') === m.adapters.join('\0')),
    };
  } catch (e) {
    throw asHallmarkError(e);
  }
}

/** node-llama-cpp's resolver on this machine: would the model and a context fit, and why not. */
export async function estimateFit(ctx: AppContext, ref: ModelRef, contextSize?: number): Promise<FitEstimate> {
  const m = requireFormat(resolveModel(ctx, ref), 'gguf', 'a fit estimate');
  try {
    return fitResult(await (await runServices(ctx).llama()).estimateFit(m.path, contextSize));
  } catch (e) {
    throw asHallmarkError(e);
  }
}

/** Loads a GGUF model as a job (progress in thousandths); a model that does not fit fails the job with the reason. */
export function startLoad(ctx: AppContext, ref: ModelRef, contextSize?: number): { jobId: string; promise: Promise<unknown> } {
  const m = requireFormat(resolveModel(ctx, ref), 'gguf', 'loading');
  const { id, promise } = ctx.jobs.start({ kind: 'model-load', title: `Load ${m.label}`, total: 1000, queue: 'model-load' }, async (job) => {
    try {
      const llama = await runServices(ctx).llama();
      const info = await llama.load(m.path, {
        ...(contextSize ? { contextSize } : {}), ...(m.adapters.length ? { adapters: m.adapters } : {}), signal: job.signal, onProgress: (p) => job.progress(Math.round(p * 1000), 1000),
      });
      return { path: info.path, context_size: info.contextSize, gpu_layers: info.gpuLayers, size_bytes: info.sizeBytes };
    } catch (e) {
      throw asHallmarkError(e);
    }
  });
  promise.catch(() => undefined);
  return { jobId: id, promise };
}

export async function unloadModel(ctx: AppContext, ref: ModelRef): Promise<{ unloaded: boolean }> {
  const m = resolveModel(ctx, ref);
  const rs = runServices(ctx);
  if (m.format === 'onnx') return { unloaded: await rs.onnx().close(m.path) };
  return { unloaded: await (await rs.llama()).unload(m.path, m.adapters.length ? m.adapters : undefined) };
}

export async function loadedModels(ctx: AppContext): Promise<LoadedModel[]> {
  const rs = runServices(ctx);
  const llama = await rs.llama();
  return [
    ...llama.loaded().map((l) => ({
      path: l.path, format: 'gguf' as const, context_size: l.contextSize, gpu_layers: l.gpuLayers, size_bytes: l.sizeBytes,
      loaded_at: new Date(l.loadedAt).toISOString(), last_used_at: new Date(l.lastUsedAt).toISOString(),
    })),
    ...rs.onnx().loaded().map((p) => ({ path: p, format: 'onnx' as const, context_size: null, gpu_layers: null, size_bytes: null, loaded_at: null, last_used_at: null })),
  ];
}

/** Runs `fn`, logging one prediction row whether it succeeds or fails. */
async function logged<T>(ctx: AppContext, m: ResolvedModel, method: 'onnx' | 'complete' | 'chat', inputsHash: string,
  fn: () => Promise<T>, metrics: (r: T) => { tokens?: number; tokensPerSec?: number; batchSize?: number; outputLabel?: string | null; outputValue?: number | null }, batchSize?: number): Promise<T & { prediction_id: number; latency_ms: number }> {
  assertInferenceAllowed(ctx.db); // the operating mode's one gate for runs (training and maintenance refuse them)
  const t0 = performance.now();
  try {
    const r = await fn();
    const latencyMs = performance.now() - t0;
    const id = recordPrediction(ctx.db, { model: m, method, latencyMs, inputsHash, ...metrics(r) });
    return { ...r, prediction_id: id, latency_ms: latencyMs };
  } catch (e) {
    const err = asHallmarkError(e);
    recordPrediction(ctx.db, { model: m, method, latencyMs: performance.now() - t0, inputsHash, batchSize: batchSize ?? null, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

export async function runOnnx(ctx: AppContext, ref: ModelRef, input: Omit<OnnxRunInput, 'model'>): Promise<OnnxRunResult> {
  const m = requireFormat(resolveModel(ctx, ref), 'onnx', 'an ONNX run');
  const raw = input.csv !== undefined ? { csv: input.csv, inputName: input.inputName ?? null } : { inputs: input.inputs ?? null };
  return runOnnxWith(ctx, m, hashInputs(raw), (inputs) => {
    if (input.csv !== undefined) return onnxInputsFromCsv(input.csv, inputs, input.inputName);
    if (input.inputs === undefined) throw new HallmarkError('invalid_input', 'give the inputs as JSON (inputs) or a CSV batch (csv)');
    return onnxInputsFromJson(input.inputName && Array.isArray(input.inputs) ? { [input.inputName]: input.inputs } : input.inputs, inputs);
  });
}

/** Opens the session, builds the feeds against its inputs, runs, and logs (a bad input is logged as an error too). */
async function runOnnxWith(ctx: AppContext, m: ResolvedModel, inputsHash: string, feedsFor: (inputs: NativeValueInfo[]) => OnnxFeeds): Promise<OnnxRunResult> {
  assertInferenceAllowed(ctx.db); // before the session opens (logged() checks again for every run)
  let session;
  try {
    session = await runServices(ctx).onnx().open(m.path);
  } catch (e) {
    throw asHallmarkError(e);
  }
  let feeds: OnnxFeeds;
  try {
    feeds = feedsFor(session.inputs);
  } catch (e) {
    recordPrediction(ctx.db, { model: m, method: 'onnx', latencyMs: 0, inputsHash, error: (e as Error).message });
    throw e;
  }
  const batch = batchSizeOf(feeds);
  const s = session;
  const r = await logged(ctx, m, 'onnx', inputsHash, async () => ({ outputs: await s.run(feeds) }), (res) => ({ batchSize: batch, ...predictionOutput(res.outputs) }), batch);
  return { outputs: r.outputs, batch_size: batch, latency_ms: r.latency_ms, prediction_id: r.prediction_id, model: m.label };
}

/** `hallmark run` reads inputs from a file: JSON or CSV for ONNX; JSON ({prompt…}/{messages…}) or text for GGUF. */
export async function runFromFile(ctx: AppContext, ref: ModelRef, file: string, opts: SamplingInput = {}): Promise<OnnxRunResult | GenerationResult> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new HallmarkError('not_found', `cannot read input file ${quote(file)}: ${(e as Error).message}`);
  }
  const m = resolveModel(ctx, ref);
  if (m.format === 'onnx') return runOnnxWith(ctx, m, hashInputs({ file: text }), (inputs) => onnxInputsFromText(text, file, inputs));
  let req: { prompt?: unknown; messages?: unknown } & Record<string, unknown> = {};
  if (/^\s*\{/.test(text)) {
    try {
      req = JSON.parse(text) as typeof req;
    } catch (e) {
      throw new HallmarkError('invalid_input', `${quote(file)} is not valid JSON: ${(e as Error).message}`);
    }
  } else {
    req = { prompt: text };
  }
  const sampling = { ...pickSampling(req), ...opts };
  if (Array.isArray(req.messages)) return chat(ctx, ref, { messages: req.messages as ChatMessage[], ...sampling });
  if (typeof req.prompt !== 'string') throw new HallmarkError('invalid_input', `${quote(file)}: give {"prompt": "..."} or {"messages": [{"role": "user", "content": "..."}]}`);
  return complete(ctx, ref, { prompt: req.prompt, ...sampling });
}

function pickSampling(o: Record<string, unknown>): SamplingInput {
  const out: SamplingInput = {};
  for (const k of ['maxTokens', 'temperature', 'seed', 'topK', 'topP', 'repeatPenalty'] as const) if (typeof o[k] === 'number') out[k] = o[k];
  return out;
}

async function generate(ctx: AppContext, ref: ModelRef, method: 'complete' | 'chat', payload: unknown, s: SamplingInput,
  run: (opts: SamplingOptions, path: string) => Promise<NativeGeneration>): Promise<GenerationResult> {
  const m = requireFormat(resolveModel(ctx, ref), 'gguf', method === 'chat' ? 'chat' : 'a completion');
  const rs = runServices(ctx);
  const streamId = s.streamId ?? null;
  const controller = new AbortController();
  if (streamId) {
    if (rs.streams.has(streamId)) throw new HallmarkError('invalid_input', `stream id ${quote(streamId)} is already in use`);
    rs.streams.set(streamId, controller);
  }
  const events = ctx.events;
  const opts: SamplingOptions = {
    ...(s.maxTokens !== undefined ? { maxTokens: s.maxTokens } : {}),
    ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    ...(s.topK !== undefined ? { topK: s.topK } : {}),
    ...(s.topP !== undefined ? { topP: s.topP } : {}),
    ...(s.repeatPenalty !== undefined ? { repeatPenalty: s.repeatPenalty } : {}),
    signal: controller.signal,
    ...(m.adapters.length ? { adapters: m.adapters } : {}),
    ...(streamId ? { onText: (chunk: string) => events.emit({ type: 'stream', streamId, chunk, done: false }) } : {}),
  };
  const { temperature, seed, maxTokens, topK, topP } = s;
  const inputsHash = hashInputs({ method, payload, sampling: { temperature: temperature ?? 0, seed: seed ?? null, maxTokens: maxTokens ?? null, topK: topK ?? null, topP: topP ?? null } });
  try {
    const r = await logged(ctx, m, method, inputsHash, () => run(opts, m.path), (x) => ({ tokens: x.tokens, tokensPerSec: x.tokensPerSec }));
    return {
      text: r.text, prompt_tokens: r.promptTokens, tokens: r.tokens, tokens_per_sec: r.tokensPerSec, latency_ms: r.latency_ms,
      stop_reason: r.stopReason, prediction_id: r.prediction_id, stream_id: streamId, model: m.label,
    };
  } finally {
    if (streamId) {
      rs.streams.delete(streamId);
      events.emit({ type: 'stream', streamId, chunk: '', done: true });
    }
  }
}

/** Raw completion; greedy unless a temperature is given (then `seed` makes it reproducible). */
export async function complete(ctx: AppContext, ref: ModelRef, input: { prompt: string } & SamplingInput): Promise<GenerationResult> {
  const { prompt, ...s } = input;
  return generate(ctx, ref, 'complete', prompt, s, async (opts, p) => (await runServices(ctx).llama()).complete(p, prompt, opts));
}

/** One assistant turn with the model's chat template, streamed when `streamId` is given. */
export async function chat(ctx: AppContext, ref: ModelRef, input: { messages: ChatMessage[] } & SamplingInput): Promise<GenerationResult> {
  const { messages, ...s } = input;
  return generate(ctx, ref, 'chat', messages, s, async (opts, p) => (await runServices(ctx).llama()).chat(p, messages, opts));
}

/** Stops a streamed generation; what was generated so far is returned to its caller. */
export function cancelStream(ctx: AppContext, streamId: string): { cancelled: boolean } {
  const c = runServices(ctx).streams.get(streamId);
  c?.abort();
  return { cancelled: Boolean(c) };
}
