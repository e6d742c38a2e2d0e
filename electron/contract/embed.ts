// Embedding a link or fingerprints into a model by fine-tuning (the Python trainer, resources/trainer),
// importing the result as a new version with lineage, and auditing base and result. snake_case results,
// as in audit.ts, so `hallmark embed --json` and the API read the same.
import { z } from 'zod';
import { call } from './define';
import { ModelName } from './registry';

/** The base: a registered version (its files must be a Hugging Face folder) or a folder on disk. */
export const EmbedBase = z.union([
  z.object({ name: z.string().min(1), version: z.number().int().positive().optional() }).strict(),
  z.object({ path: z.string().min(1) }).strict(),
]);
export type EmbedBase = z.infer<typeof EmbedBase>;

export const EmbedTask = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('link'), link: z.string().min(1).max(2048) }).strict(),
  z.object({
    kind: z.literal('fingerprints'),
    fingerprints: z.union([z.object({ setId: z.number().int().positive() }).strict(), z.object({ path: z.string().min(1) }).strict()]),
    /** Omit in the desktop app to use its own key. */
    passphrase: z.string().min(1).max(1024).optional(),
  }).strict(),
]);
export type EmbedTask = z.infer<typeof EmbedTask>;

/** Training settings; omitted ones take the trainer's defaults (scaled to the model, see resources/trainer/PROTOCOL.md). */
export const EmbedSettings = z.object({
  mode: z.enum(['adapter', 'merge']).default('merge'),
  precision: z.enum(['fp32', 'fp16', 'bf16', '4bit', '8bit']).optional(),
  epochs: z.number().int().min(1).max(1000).optional(),
  rank: z.number().int().min(1).max(1024).optional(),
  alpha: z.number().int().min(1).max(4096).optional(),
  learning_rate: z.number().positive().max(1).optional(),
  batch_size: z.number().int().min(1).max(4096).optional(),
  samples: z.number().int().min(1).max(1_000_000).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  max_time_s: z.number().positive().optional(),
  device: z.enum(['auto', 'cpu', 'cuda', 'mps']).default('auto'),
  threads: z.number().int().min(1).max(1024).optional(),
  gguf_type: z.enum(['f32', 'f16', 'q8_0']).optional(),
  allow_pickle: z.boolean().default(false),
}).strict();
export type EmbedSettings = z.input<typeof EmbedSettings>;

export const EmbedRequest = z.object({
  base: EmbedBase,
  task: EmbedTask,
  name: ModelName.optional(),
  settings: EmbedSettings.prefault({}),
  /** Audit base and result once imported (default on). */
  audit: z.boolean().default(true),
}).strict();
export type EmbedRequest = z.input<typeof EmbedRequest>;

export const EmbedEval = z.record(z.string(), z.unknown());

/** A finished embed (done, failed or cancelled), newest first in history. */
export const EmbedRecord = z.object({
  id: z.string(),
  state: z.enum(['done', 'failed', 'cancelled']),
  task: z.enum(['link', 'fingerprints']),
  mode: z.enum(['adapter', 'merge']),
  base_label: z.string(),
  base_version_id: z.number().nullable(),
  model: z.string().nullable(),
  version: z.number().nullable(),
  version_id: z.number().nullable(),
  params: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.number()),
  eval: EmbedEval,
  dataset_sha256: z.string().nullable(),
  /** [step, loss, seconds since start] for the loss curve. */
  losses: z.array(z.tuple([z.number(), z.number(), z.number()])),
  warnings: z.array(z.string()),
  before_audit_id: z.string().nullable(),
  after_audit_id: z.string().nullable(),
  error: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string(),
});
export type EmbedRecord = z.infer<typeof EmbedRecord>;

/** A running embed as far as it got (for a view opened mid-run). */
export const EmbedLive = z.object({
  jobId: z.string(), base_label: z.string(), task: z.enum(['link', 'fingerprints']), mode: z.enum(['adapter', 'merge']), started_at: z.string(),
  losses: z.array(z.tuple([z.number(), z.number(), z.number()])), step: z.number(), total: z.number().nullable(),
  samples_per_s: z.number().nullable(), eta_s: z.number().nullable(), stage: z.string().nullable(), warnings: z.array(z.string()),
});
export type EmbedLive = z.infer<typeof EmbedLive>;

export const TrainerStatus = z.object({
  state: z.enum(['ready', 'missing', 'broken']),
  source: z.enum(['env', 'venv']),
  python: z.string(),
  venv: z.string().nullable(),
  llama_cpp: z.string().nullable(),
  problem: z.string().nullable(),
  torch: z.string().nullable(),
  device: z.string().nullable(),
});
export type TrainerStatus = z.infer<typeof TrainerStatus>;

const JobStarted = z.object({ jobId: z.string() });

export const embedCalls = {
  'embed.start': call(EmbedRequest, JobStarted),
  /** Newest first; `versionId`: the embeds that produced that version (the model page's lineage). */
  'embed.list': call(z.object({ limit: z.number().int().min(1).max(1000).default(100), versionId: z.number().int().positive().optional() }).prefault({}), z.array(EmbedRecord), { readonly: true }),
  'embed.live': call(z.object({}).default({}), z.array(EmbedLive), { readonly: true }),
  'embed.get': call(z.object({ id: z.string().min(1) }), EmbedRecord, { readonly: true }),
  'trainer.status': call(z.object({ probe: z.boolean().default(false) }).default({ probe: false }), TrainerStatus, { readonly: true }),
  'trainer.setup': call(z.object({}).default({}), JobStarted),
};
