// Batch predictions, materialized predictions and A/B comparisons of tabular models (services/evaluate).
import { z } from 'zod';
import { call } from './define';

const Ref = z.string().trim().min(3).max(200).regex(/^.+@\d+$/, 'use NAME@VERSION');
const Runtime = z.enum(['auto', 'onnx', 'python']);
const Prediction = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const LatencySummary = z.object({
  chunks: z.number(), chunk_rows: z.number(), p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), p99_ms: z.number().nullable(), mean_row_ms: z.number().nullable(),
});

export const BatchResult = z.object({
  batch_id: z.number(), model: z.string(), version_id: z.number(), runtime: z.enum(['onnx', 'python']), model_type: z.string().nullable(), file: z.string(), input: z.string(),
  rows: z.number(), failed: z.number(), skipped: z.number(), restarts: z.number(), warnings: z.array(z.string()),
  errors: z.array(z.object({ line: z.number(), entity: z.string(), error: z.string() })), latency: LatencySummary, rows_per_sec: z.number().nullable(), state: z.string(),
});
export type BatchResult = z.infer<typeof BatchResult>;

export const ResultRow = z.object({ entity: z.string(), line: z.number(), prediction: Prediction, probabilities: z.array(z.number()).nullable(), label: z.string().nullable(), error: z.string().nullable() });
export type ResultRow = z.infer<typeof ResultRow>;

const Metrics = z.object({ n: z.number(), accuracy: z.number().optional(), macro_f1: z.number().optional(), roc_auc: z.number().nullable().optional(), mae: z.number().optional(), rmse: z.number().optional() });

export const CompareReport = z.object({
  comparison_id: z.number(), mode: z.enum(['ab', 'weighted']), input: z.string(), label_column: z.string().nullable(), task: z.enum(['classification', 'regression']),
  versions: z.array(z.object({
    model: z.string(), batch_id: z.number(), runtime: z.string(), rows: z.number(), failed: z.number(), share: z.number().nullable(), weight: z.number().nullable(),
    metrics: Metrics.nullable(), latency: LatencySummary, rows_per_sec: z.number().nullable(),
  })),
  agreement: z.object({ rate: z.number(), compared: z.number(), pairs: z.array(z.object({ a: z.string(), b: z.string(), rate: z.number(), compared: z.number() })) }).nullable(),
  deltas: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.null()]))),
  winner: z.object({ model: z.string(), by: z.string() }).nullable(),
  warnings: z.array(z.string()),
});
export type CompareReport = z.infer<typeof CompareReport>;

export const TabularStatus = z.object({
  state: z.enum(['ready', 'missing', 'broken']), source: z.enum(['env', 'venv']), python: z.string(), venv: z.string().nullable(), problem: z.string().nullable(),
  versions: z.record(z.string(), z.string().nullable()).nullable(),
});
export type TabularStatus = z.infer<typeof TabularStatus>;

const common = {
  input: z.string().trim().min(1).max(4096),
  idColumn: z.string().min(1).max(256).optional(),
  labelColumn: z.string().min(1).max(256).optional(),
  runtime: Runtime.default('auto'),
  /** The user confirmed loading a pickle whose scan passed (the UI's dialog names the scan result). */
  allowPickle: z.boolean().default(false),
  chunkRows: z.number().int().min(1).max(100_000).optional(),
};

export const evaluateCalls = {
  'evaluate.tabularStatus': call(z.object({ probe: z.boolean().default(false) }).default({ probe: false }), TabularStatus, { readonly: true }),
  /** Creates (or reuses) the tabular worker's venv, as a job. */
  'evaluate.tabularSetup': call(z.object({}).default({}), z.object({ jobId: z.string() })),
  /** Starts a batch as a job (`batch-predict`); its result is a BatchResult. */
  'evaluate.batchStart': call(z.object({ model: Ref, ttlSeconds: z.number().positive().max(10 * 365 * 86400).optional(), ...common }), z.object({ jobId: z.string() })),
  'evaluate.batchResume': call(z.object({ batchId: z.number().int().positive(), allowPickle: z.boolean().default(false) }), z.object({ jobId: z.string() })),
  'evaluate.batchList': call(z.object({ limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }), z.array(BatchResult), { readonly: true }),
  'evaluate.batchResults': call(z.object({ batchId: z.number().int().positive(), limit: z.number().int().min(1).max(1000).default(100), offset: z.number().int().min(0).default(0) }), z.array(ResultRow), { readonly: true }),
  'evaluate.compareStart': call(z.object({ models: z.array(Ref).min(2).max(8), weights: z.record(z.string(), z.number().min(0)).optional(), seed: z.string().max(200).optional(), ...common }), z.object({ jobId: z.string() })),
  'evaluate.compareList': call(z.object({ limit: z.number().int().min(1).max(200).default(20) }).default({ limit: 20 }), z.array(CompareReport), { readonly: true }),
  'evaluate.materialized': call(z.object({ model: Ref, entity: z.string().min(1).max(1024), maxAgeSeconds: z.number().min(0).optional() }),
    z.object({ model: z.string(), entity: z.string(), prediction: Prediction, probabilities: z.array(z.number()).nullable(), created_at: z.string(), age_s: z.number(), expires_at: z.string().nullable(), batch_id: z.number().nullable() }).nullable(), { readonly: true }),
};
