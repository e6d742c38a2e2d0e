// Models and inference: describe, fit, load, run. Inputs are camelCase like the rest of the contract;
// results use the snake_case field names the CLI prints and reports are exported with (`hallmark run
// --json`, `hallmark audit --json`, the drift keys monitoring tools report), so a screen and a script read
// the same names. Streamed generations push `stream` events (see events.ts) under the caller's `streamId`.
import { z } from 'zod';
import { call } from './define';

/** A model on disk, a registry version by id, or NAME[@VERSION] (optionally naming a file of a multi-file version). */
/**
 * GGUF LoRA adapters to apply on top of the model (in order, scale 1): a path to an adapter .gguf, or a
 * registered NAME@VERSION holding one (an embed adapter version). A registered adapter-mode embed version
 * needs none: it names its base GGUF and adapter itself.
 */
export const AdapterRefs = z.array(z.string().min(1).max(4096)).max(8);
export const ModelRef = z.union([
  z.object({ path: z.string().min(1), adapters: AdapterRefs.optional() }).strict(),
  z.object({ versionId: z.number().int().positive(), file: z.string().optional(), adapters: AdapterRefs.optional() }).strict(),
  z.object({ name: z.string().min(1), version: z.number().int().positive().optional(), file: z.string().optional(), adapters: AdapterRefs.optional() }).strict(),
]);
export type ModelRef = z.infer<typeof ModelRef>;

export const RunFormat = z.enum(['gguf', 'onnx']);
export type RunFormat = z.infer<typeof RunFormat>;
export const LlamaGpu = z.union([z.enum(['cuda', 'metal', 'vulkan']), z.literal(false)]);

// ---- fit ---------------------------------------------------------------------------------------------

export const FitEstimate = z.object({
  fits: z.boolean(),
  /** Why it does not fit, with the numbers; null when it fits. */
  reason: z.string().nullable(),
  gpu: LlamaGpu,
  gpu_layers: z.number(),
  total_layers: z.number(),
  context_size: z.number(),
  model_bytes: z.number(),
  /** Estimated RAM / VRAM the model plus its context would use. */
  ram_bytes: z.number(),
  vram_bytes: z.number(),
  available_ram_bytes: z.number(),
  total_ram_bytes: z.number(),
  available_vram_bytes: z.number(),
  total_vram_bytes: z.number(),
  /** node-llama-cpp's resolver score in [0, 1]; 0 means it will not fit. */
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

const DescribedBase = z.object({
  label: z.string(), path: z.string(), key: z.string(), version_id: z.number().nullable(), size_bytes: z.number(),
  /** GGUF LoRA adapters applied on top of `path` (absolute paths); empty for a plain model. */
  adapters: z.array(z.string()).default([]),
});
/** What a model takes and gives (ONNX) or what it is and whether it fits (GGUF). */
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
export type LoadedModel = z.infer<typeof LoadedModel>;

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
export type OnnxRunInput = z.infer<typeof OnnxRunInput>;

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
export type OnnxRunResult = z.infer<typeof OnnxRunResult>;

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
/** Sampling before defaults: every field optional, as `hallmark run` passes it (the API applies the defaults above). */
export type SamplingInput = z.input<typeof Sampling>;

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

// ---- calls -------------------------------------------------------------------------------------------

export const inferenceCalls = {
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
};
