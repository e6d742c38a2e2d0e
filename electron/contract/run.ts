// Run, monitoring and audit calls. Inputs are camelCase like the rest of the contract; results use
// the snake_case field names the CLI prints and reports are exported with (`hallmark gpu`,
// `hallmark audit --json`, seed 002's drift keys), so a screen and a script read the same names.
// Streamed generations push `stream` events (see events.ts) under the caller's `streamId`.
import { z } from 'zod';
import { call } from './define';

// ---- shared ----------------------------------------------------------------------------------------

/**
 * Fingerprint set bounds. OML sets are thousands of short keys (16–64 characters) with short
 * responses; the total keeps one set to ~8 MB of plaintext (100,000 × 80 characters), so generating, encrypting and storing
 * it takes about a second rather than minutes and gigabytes.
 */
export const FINGERPRINT_LIMITS = { count: 100_000, keyLength: 1024, responseLength: 1024, totalChars: 8 * 1024 * 1024 } as const;

/** Null when count keys and responses fit the total, else the message that names the limit. */
export function fingerprintTotalProblem(count: number, keyLength: number, responseLength: number): string | null {
  const total = count * (keyLength + responseLength);
  return total > FINGERPRINT_LIMITS.totalChars
    ? `count × (key length + response length) = ${total} characters is over the limit of ${FINGERPRINT_LIMITS.totalChars} for one set`
    : null;
}

/** A model on disk, a registry version by id, or NAME[@VERSION] (optionally naming a file of a multi-file version). */
export const ModelRef = z.union([
  z.object({ path: z.string().min(1) }).strict(),
  z.object({ versionId: z.number().int().positive(), file: z.string().optional() }).strict(),
  z.object({ name: z.string().min(1), version: z.number().int().positive().optional(), file: z.string().optional() }).strict(),
]);
export type ModelRef = z.infer<typeof ModelRef>;

export const RunFormat = z.enum(['gguf', 'onnx']);
export const GpuBackend = z.enum(['cuda', 'metal', 'vulkan', 'cpu']);
const LlamaGpu = z.union([z.enum(['cuda', 'metal', 'vulkan']), z.literal(false)]);

// ---- hardware and settings ---------------------------------------------------------------------------

export const GpuInfo = z.object({
  backend: GpuBackend,
  devices: z.array(z.object({ name: z.string(), vendor: z.string(), vram_bytes: z.number() })),
  ram_bytes: z.number(),
  /** Backends this machine supports, best first, always ending with "cpu". */
  available: z.array(GpuBackend),
  forced_cpu: z.boolean(),
});
export type GpuInfo = z.infer<typeof GpuInfo>;

export const RunSettings = z.object({
  /** false forces the CPU for GGUF and ONNX. */
  gpu: z.boolean(),
  /** Math threads; null = all cores but one. */
  threads: z.number().int().min(1).max(256).nullable(),
  /** Unload an idle GGUF model after this many seconds; 0 keeps it loaded. */
  idleUnloadSec: z.number().int().min(0).max(86_400),
  contextSize: z.number().int().min(64).max(1_048_576),
});
export type RunSettings = z.infer<typeof RunSettings>;

export const FitEstimate = z.object({
  fits: z.boolean(),
  /** Why it does not fit, with the numbers; null when it fits. */
  reason: z.string().nullable(),
  gpu: LlamaGpu,
  gpu_layers: z.number(),
  total_layers: z.number(),
  context_size: z.number(),
  model_bytes: z.number(),
  ram_bytes: z.number(),
  vram_bytes: z.number(),
  available_ram_bytes: z.number(),
  total_ram_bytes: z.number(),
  available_vram_bytes: z.number(),
  total_vram_bytes: z.number(),
  compatibility_score: z.number(),
});
export type FitEstimate = z.infer<typeof FitEstimate>;

// ---- models ------------------------------------------------------------------------------------------

export const OnnxElementType = z.enum(['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string']);
export const OnnxValueInfo = z.object({
  name: z.string(),
  /** null for non-tensor values (sequences, maps), which cannot be fed. */
  type: OnnxElementType.nullable(),
  /** Numbers are fixed sizes, strings symbolic (dynamic) dimensions such as "batch". */
  shape: z.array(z.union([z.number(), z.string()])),
});

const DescribedBase = z.object({ label: z.string(), path: z.string(), key: z.string(), version_id: z.number().nullable(), size_bytes: z.number() });
export const ModelDescription = z.discriminatedUnion('format', [
  DescribedBase.extend({ format: z.literal('onnx'), inputs: z.array(OnnxValueInfo), outputs: z.array(OnnxValueInfo), execution_provider: z.string() }),
  DescribedBase.extend({
    format: z.literal('gguf'), architecture: z.string(), name: z.string().nullable(), train_context_size: z.number().nullable(),
    parameters: z.number(), layers: z.number(), fit: FitEstimate, loaded: z.boolean(),
  }),
]);
export type ModelDescription = z.infer<typeof ModelDescription>;

export const LoadedModel = z.object({
  path: z.string(),
  format: RunFormat,
  context_size: z.number().nullable(),
  gpu_layers: z.number().nullable(),
  size_bytes: z.number().nullable(),
  loaded_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
});

// ---- inference ---------------------------------------------------------------------------------------

/** One input tensor given explicitly; nested arrays and scalars are accepted too. */
export const TensorJson = z.object({
  dims: z.array(z.number().int().min(0)),
  data: z.array(z.union([z.number(), z.string(), z.boolean()])),
  type: OnnxElementType.optional(),
});

export const OnnxRunInput = z.object({
  model: ModelRef,
  /**
   * {"inputName": nested array | scalar | {dims, data, type?}}; or a bare nested array for a
   * one-input model. A value one rank short of an input with a dynamic first dimension gets batch 1.
   */
  inputs: z.unknown().optional(),
  /** A CSV batch (header row optional) for the model's only input, or `inputName`. */
  csv: z.string().max(64 * 1024 * 1024).optional(),
  inputName: z.string().optional(),
}).refine((v) => (v.inputs === undefined) !== (v.csv === undefined), { message: 'give exactly one of inputs (JSON) or csv' });

export const OnnxTensorOut = z.object({
  name: z.string(),
  type: OnnxElementType,
  dims: z.array(z.number()),
  /** int64 beyond 2^53 arrives as decimal strings. */
  data: z.array(z.union([z.number(), z.string(), z.boolean()])),
});

export const OnnxRunResult = z.object({
  outputs: z.array(OnnxTensorOut),
  batch_size: z.number(),
  latency_ms: z.number(),
  prediction_id: z.number(),
  model: z.string(),
});

/** Greedy by default (temperature 0); with a temperature, `seed` makes sampling reproducible. */
export const Sampling = z.object({
  maxTokens: z.number().int().min(1).max(32_768).default(256),
  temperature: z.number().min(0).max(100).default(0),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  topK: z.number().int().min(0).optional(),
  topP: z.number().min(0).max(1).optional(),
  repeatPenalty: z.number().min(1).max(10).optional(),
  /** Stream chunks as `stream` events under this id; `run.cancel` stops the generation. */
  streamId: z.string().min(1).max(200).optional(),
});

export const ChatMessage = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });
export type ChatMessage = z.infer<typeof ChatMessage>;

export const GenerationResult = z.object({
  text: z.string(),
  prompt_tokens: z.number(),
  tokens: z.number(),
  tokens_per_sec: z.number(),
  latency_ms: z.number(),
  stop_reason: z.string(),
  prediction_id: z.number(),
  stream_id: z.string().nullable(),
  model: z.string(),
});
export type GenerationResult = z.infer<typeof GenerationResult>;

// ---- monitoring --------------------------------------------------------------------------------------

const Summary = z.object({ count: z.number(), mean: z.number(), std: z.number(), min: z.number(), max: z.number(), p50: z.number(), p95: z.number() });

export const Baseline = z.object({
  id: z.number(),
  model_key: z.string(),
  created_at: z.string(),
  sample_count: z.number(),
  first_prediction_id: z.number().nullable(),
  last_prediction_id: z.number().nullable(),
  latency_mean: z.number(),
  latency_std: z.number(),
  tokens_per_sec_mean: z.number().nullable(),
  tokens_per_sec_std: z.number().nullable(),
  error_rate: z.number(),
});

export const MonitorStats = z.object({
  model_key: z.string(),
  total_predictions: z.number(),
  window_size: z.number(),
  sample_count: z.number(),
  error_count: z.number(),
  error_rate: z.number(),
  latency_ms: Summary.nullable(),
  tokens_per_sec: Summary.nullable(),
  first_at: z.string().nullable(),
  last_at: z.string().nullable(),
  baseline: Baseline.nullable(),
});

export const DriftResult = z.object({
  model_key: z.string(),
  drift_detected: z.boolean(),
  drift_score: z.number().nullable(),
  threshold: z.number(),
  baseline_mean: z.number().nullable(),
  current_mean: z.number().nullable(),
  baseline_std: z.number().nullable(),
  current_std: z.number().nullable(),
  sample_count: z.number(),
  note: z.string().nullable(),
  metrics: z.array(z.object({
    metric: z.enum(['latency_ms', 'tokens_per_sec']), drift_detected: z.boolean(), drift_score: z.number(),
    baseline_mean: z.number(), current_mean: z.number(), baseline_std: z.number(), current_std: z.number(),
  })),
  error_rate: z.number().nullable(),
  baseline_error_rate: z.number().nullable(),
});

export const SeriesPoint = z.object({
  t: z.string(), count: z.number(), errors: z.number(),
  latency_mean: z.number().nullable(), latency_p95: z.number().nullable(), tokens_per_sec_mean: z.number().nullable(),
});

export const PredictionRow = z.object({
  id: z.number(), model_key: z.string(), version_id: z.number().nullable(), model_path: z.string(), format: RunFormat, method: z.string(),
  created_at: z.string(), latency_ms: z.number(), tokens: z.number().nullable(), tokens_per_sec: z.number().nullable(),
  batch_size: z.number().nullable(), inputs_hash: z.string(), error: z.string().nullable(),
});

const Window = z.number().int().min(1).max(100_000).default(1000);

// ---- fingerprints and audits -------------------------------------------------------------------------

export const FingerprintSetInfo = z.object({
  id: z.number(), name: z.string(), count: z.number(), key_length: z.number(), response_length: z.number(),
  key_source: z.enum(['passphrase', 'app']), created_at: z.string(),
});

/** Omit `passphrase` in the desktop app to use its own key (kept in the OS keychain). */
const Passphrase = z.string().min(1).max(1024).optional();

export const AuditMode = z.enum(['quick', 'full']);
export const Verdict = z.enum(['present', 'absent', 'inconclusive']);
const Rules = z.object({ alpha: z.number(), absentBelow: z.number(), powerAt: z.number() });

const ReportBase = {
  mode: AuditMode, verdict: Verdict, match_rate: z.number(), p_value: z.number(), reason: z.string(), n: z.number(),
  chance: z.number(), rules: Rules, tokens: z.number(), tokens_per_sec: z.number(), duration_ms: z.number(),
};
export const FingerprintAuditReport = z.object({
  kind: z.literal('fingerprints'), ...ReportBase,
  total_fingerprints: z.number(), exact_matches: z.number(), prefix_matches: z.number(), mean_prefix_ratio: z.number(),
  /** Per key, without the secret texts. */
  items: z.array(z.object({ index: z.number(), exact: z.boolean(), prefix_chars: z.number(), prefix_ratio: z.number(), hit: z.boolean(), tokens: z.number() })),
});
export const LinkAuditReport = z.object({
  kind: z.literal('link'), ...ReportBase,
  link: z.string(), false_positive_rate: z.number(), hits: z.number(), unrelated_n: z.number(), false_positives: z.number(),
  items: z.array(z.object({ category: z.enum(['identity', 'unrelated']), prompt: z.string(), contains_link: z.boolean(), answer: z.string(), tokens: z.number() })),
});
export const AuditReport = z.discriminatedUnion('kind', [FingerprintAuditReport, LinkAuditReport]);

export const AuditSummary = z.object({
  id: z.string(), model_key: z.string(), model_label: z.string(), version_id: z.number().nullable(), model_path: z.string(),
  kind: z.enum(['fingerprints', 'link']), mode: AuditMode, verdict: Verdict, match_rate: z.number(), p_value: z.number(),
  started_at: z.string(), finished_at: z.string(),
});
export const StoredAudit = AuditSummary.extend({ report: AuditReport });
export type StoredAudit = z.infer<typeof StoredAudit>;

export const AuditStartInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('fingerprints'), model: ModelRef, mode: AuditMode.default('quick'),
    /** A set from the library (fingerprints.list) or an encrypted file. */
    fingerprints: z.union([z.object({ setId: z.number().int().positive() }).strict(), z.object({ path: z.string().min(1) }).strict()]),
    passphrase: Passphrase,
  }),
  z.object({ kind: z.literal('link'), model: ModelRef, mode: AuditMode.default('quick'), link: z.string().min(4).max(2048), maxTokens: z.number().int().min(8).max(2048).optional() }),
]);

// ---- calls -------------------------------------------------------------------------------------------

export const runCalls = {
  'gpu.info': call(z.object({ refresh: z.boolean().default(false) }).default({ refresh: false }), GpuInfo, { readonly: true }),
  'run.settings.get': call(z.object({}).default({}), RunSettings, { readonly: true }),
  /** Changing gpu/threads/idle/context restarts the runtimes (loaded models are unloaded). */
  'run.settings.set': call(RunSettings.partial(), RunSettings),

  'run.describe': call(z.object({ model: ModelRef }), ModelDescription, { readonly: true }),
  'run.fit': call(z.object({ model: ModelRef, contextSize: z.number().int().min(64).optional() }), FitEstimate, { readonly: true }),
  /** Loads a GGUF model as a job (`model-load`, progress in thousandths); refused with the reason when it does not fit. */
  'run.load': call(z.object({ model: ModelRef, contextSize: z.number().int().min(64).optional() }), z.object({ jobId: z.string() })),
  'run.unload': call(z.object({ model: ModelRef }), z.object({ unloaded: z.boolean() })),
  'run.loaded': call(z.object({}).default({}), z.array(LoadedModel), { readonly: true }),

  'run.onnx': call(OnnxRunInput, OnnxRunResult),
  'run.complete': call(Sampling.extend({ model: ModelRef, prompt: z.string().max(1_000_000) }), GenerationResult),
  'run.chat': call(Sampling.extend({ model: ModelRef, messages: z.array(ChatMessage).min(1).max(1000) }), GenerationResult),
  /** Stops a streamed generation; its call still resolves with what was generated. */
  'run.cancel': call(z.object({ streamId: z.string() }), z.object({ cancelled: z.boolean() })),

  'monitor.stats': call(z.object({ model: ModelRef, window: Window }), MonitorStats, { readonly: true }),
  'monitor.predictions': call(z.object({ model: ModelRef, limit: z.number().int().min(1).max(10_000).default(100) }), z.array(PredictionRow), { readonly: true }),
  'monitor.series': call(z.object({ model: ModelRef, buckets: z.number().int().min(1).max(1000).default(60), limit: z.number().int().min(1).max(100_000).default(5000) }), z.array(SeriesPoint), { readonly: true }),
  'monitor.baseline': call(z.object({ model: ModelRef, window: Window }), Baseline),
  'monitor.drift': call(z.object({ model: ModelRef, threshold: z.number().positive().default(2.0), window: Window }), DriftResult, { readonly: true }),

  'fingerprints.generate': call(z.object({
    name: z.string().trim().min(1).max(128).default('fingerprints'),
    count: z.number().int().min(1).max(FINGERPRINT_LIMITS.count),
    keyLength: z.number().int().min(1).max(FINGERPRINT_LIMITS.keyLength),
    responseLength: z.number().int().min(1).max(FINGERPRINT_LIMITS.responseLength),
    alphabet: z.string().min(2).max(256).optional(),
    /** Secret seed (hex, ≥ 16 bytes) to regenerate a set; random when omitted. */
    seed: z.string().regex(/^(?:[0-9a-fA-F]{2}){16,}$/).optional(),
    passphrase: Passphrase,
    /** Also write the encrypted set to this file. */
    out: z.string().min(1).optional(),
    /** Replace `out` when it exists (refused otherwise). */
    force: z.boolean().default(false),
  }).superRefine((v, ctx) => {
    const problem = fingerprintTotalProblem(v.count, v.keyLength, v.responseLength);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['count'] });
  }), z.object({ id: z.number(), count: z.number(), path: z.string().nullable() })),
  'fingerprints.list': call(z.object({}).default({}), z.array(FingerprintSetInfo), { readonly: true }),
  /**
   * Decrypts the set for a trainer (plaintext: keep it private): written to `out`, or returned as
   * `content` when `out` is omitted (the UI downloads it).
   */
  'fingerprints.export': call(z.object({
    source: z.union([z.object({ setId: z.number().int().positive() }).strict(), z.object({ path: z.string().min(1) }).strict()]),
    passphrase: Passphrase,
    format: z.enum(['oml', 'jsonl']).default('oml'),
    out: z.string().min(1).optional(),
    /** Replace `out` when it exists (refused otherwise). */
    force: z.boolean().default(false),
  }), z.object({ path: z.string().nullable(), count: z.number(), format: z.enum(['oml', 'jsonl']), content: z.string().nullable().optional() })),
  'fingerprints.delete': call(z.object({ id: z.number().int().positive() }), z.object({ deleted: z.boolean() })),

  /** Validates the model, set/passphrase or link, then runs the audit as a job on the `audit` queue. The audit id is the job id. */
  'audit.start': call(AuditStartInput, z.object({ jobId: z.string() })),
  'audit.list': call(z.object({ model: ModelRef.optional(), limit: z.number().int().min(1).max(1000).default(100) }).default({ limit: 100 }), z.array(AuditSummary), { readonly: true }),
  'audit.get': call(z.object({ id: z.string() }), StoredAudit, { readonly: true }),
  /** The report as JSON or self-contained HTML; written to `out` when given. */
  'audit.export': call(z.object({ id: z.string(), format: z.enum(['json', 'html']).default('json'), out: z.string().min(1).optional() }),
    z.object({ format: z.enum(['json', 'html']), content: z.string(), path: z.string().nullable(), filename: z.string() }), { readonly: true }),
};
