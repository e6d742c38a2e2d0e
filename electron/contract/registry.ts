import { z } from 'zod';
import { call } from './define';

export const Stage = z.enum(['none', 'staging', 'production', 'archived']);
export type Stage = z.infer<typeof Stage>;
export const Framework = z.enum(['pytorch', 'tensorflow', 'keras', 'sklearn', 'onnx', 'huggingface', 'gguf', 'safetensors', 'xgboost', 'lightgbm', 'catboost', 'pickle', 'other']);
export const ModelType = z.enum(['classification', 'regression', 'clustering', 'nlp', 'llm', 'computer_vision', 'recommendation', 'time_series', 'reinforcement_learning', 'embedding', 'other']);

/** Model names: what a user can type on a command line without quoting surprises. */
export const ModelName = z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._ +-]*$/, 'use letters, digits, space and . _ + - (starting with a letter or digit)');
export const Tag = z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9._:/-]{0,63}$/, 'tags are 1-64 chars of a-z 0-9 . _ : / -');
const MetricKey = z.string().min(1).max(128);
const MetricValue = z.number().refine(Number.isFinite, 'metric values must be finite numbers');

/** Keys that are not data: JSON.parse makes "__proto__" an own key that z.record then drops without a word, and "constructor"/"prototype" shadow built-ins when the record is read back. */
const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

function reservedKeyIssues(v: unknown, ctx: { addIssue: (i: { code: 'custom'; message: string; path: PropertyKey[] }) => void }, nestedProto: boolean): void {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return;
  for (const k of RESERVED_KEYS) {
    if (Object.hasOwn(v, k)) ctx.addIssue({ code: 'custom', message: `the key ${JSON.stringify(k)} is not allowed (reserved: ${RESERVED_KEYS.join(', ')})`, path: [k] });
  }
  if (!nestedProto) return;
  // Deeper down only "__proto__" is refused: it is the key that rewires an object when merged or copied.
  const walk = (x: unknown, at: PropertyKey[], depth: number): void => {
    if (!x || typeof x !== 'object' || depth > 64) return;
    for (const [k, child] of Object.entries(x)) {
      if (k === '__proto__') ctx.addIssue({ code: 'custom', message: `the key "__proto__" is not allowed`, path: [...at, k] });
      walk(child, [...at, k], depth + 1);
    }
  };
  for (const [k, child] of Object.entries(v)) walk(child, [k], 1);
}

/** A record that refuses reserved keys, checked on the raw input (the record's own parse never sees "__proto__"). */
function dataRecord<R extends z.ZodType>(record: R, nestedProto: boolean) {
  return z.preprocess<unknown, R, z.input<R>>((v, ctx) => {
    reservedKeyIssues(v, ctx, nestedProto);
    return v;
  }, record);
}

/** Metrics and config as accepted from callers (IPC, bridge, CLI). */
export const Metrics = dataRecord(z.record(MetricKey, MetricValue), false);
export const JsonObject = dataRecord(z.record(z.string(), z.unknown()), true);
/** As read back from the database: records stored before reserved keys were refused must still load. */
const StoredMetrics = z.record(MetricKey, MetricValue);
const StoredJsonObject = z.record(z.string(), z.unknown());

export const FileEntry = z.object({ path: z.string(), size: z.number(), sha256: z.string() });
export type FileEntry = z.infer<typeof FileEntry>;

export const VersionSummary = z.object({
  id: z.number(),
  model: z.string(),
  version: z.number(),
  stage: Stage,
  storage: z.enum(['vault', 'in_place']),
  sourcePath: z.string().nullable(),
  contentHash: z.string(),
  totalSize: z.number(),
  fileCount: z.number(),
  format: z.string().nullable(),
  framework: z.string(),
  modelType: z.string(),
  tags: z.array(z.string()),
  metrics: StoredMetrics,
  parent: z.number().nullable(),
  /** The parent's model when lineage crosses models (a fine-tune of another model's version). */
  parentModel: z.string().nullable().optional(),
  integrity: z.enum(['unknown', 'ok', 'changed', 'missing']),
  verifiedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type VersionSummary = z.infer<typeof VersionSummary>;

export const VersionDetail = VersionSummary.extend({
  files: z.array(FileEntry),
  config: StoredJsonObject,
  notes: z.string(),
  description: z.string(),
});
export type VersionDetail = z.infer<typeof VersionDetail>;

/** The latest finished static scan of a version, as the Models table shows it. */
export const ScanSummary = z.object({
  id: z.number(),
  verdict: z.enum(['clean', 'findings', 'error']),
  worst: z.enum(['critical', 'high', 'medium', 'low', 'info']).nullable(),
  findings: z.number(),
  finishedAt: z.string().nullable(),
});
export type ScanSummary = z.infer<typeof ScanSummary>;

/** The latest audit of a version (fingerprint or link audit). */
export const AuditSummary = z.object({
  id: z.string(),
  kind: z.enum(['fingerprints', 'link']),
  verdict: z.enum(['present', 'absent', 'inconclusive']),
  matchRate: z.number(),
  finishedAt: z.string(),
});
export type AuditSummary = z.infer<typeof AuditSummary>;

/** Scan verdict of a model's latest version, for filtering; `not_scanned` when it never finished a scan. */
export const ScanVerdictFilter = z.enum(['clean', 'findings', 'error', 'not_scanned']);

/** Signature status of a model's latest version, for filtering (unsigned also when never checked). */
export const SignatureFilter = z.enum(['valid', 'invalid', 'unverified', 'unsigned']);

/** The last signature check of a version, as the Models table shows it (the full report: signature.get). */
export const SignatureBrief = z.object({
  status: SignatureFilter,
  method: z.enum(['key', 'certificate', 'sigstore']).nullable(),
  signer: z.string().nullable(),
  reason: z.string().nullable(),
  checkedAt: z.string(),
});
export type SignatureBrief = z.infer<typeof SignatureBrief>;

export const ModelRow = z.object({
  id: z.number(),
  name: z.string(),
  description: z.string(),
  framework: z.string(),
  modelType: z.string(),
  tags: z.array(z.string()),
  latestVersion: z.number().nullable(),
  productionVersion: z.number().nullable(),
  stage: Stage.nullable(),
  format: z.string().nullable(),
  totalSize: z.number().nullable(),
  versionCount: z.number(),
  updatedAt: z.string(),
  /** Parameters of the latest version, summed over its inspected weight files; null until inspected or when no tensors were counted. */
  parameters: z.number().nullable(),
  scan: ScanSummary.nullable(),
  audit: AuditSummary.nullable(),
  /** The latest version's last signature check; null when it was never checked (unsigned as far as is known). */
  signature: SignatureBrief.nullable().default(null),
});
export type ModelRow = z.infer<typeof ModelRow>;

export const ModelDetail = ModelRow.extend({
  createdAt: z.string(),
  versions: z.array(VersionSummary),
});
export type ModelDetail = z.infer<typeof ModelDetail>;

export const ImportOptions = z.object({
  path: z.string().min(1),
  name: ModelName.optional(),
  newVersion: z.boolean().default(false),
  inPlace: z.boolean().default(false),
  tags: z.array(Tag).max(64).default([]),
  description: z.string().max(10_000).optional(),
  framework: Framework.optional(),
  modelType: ModelType.optional(),
  metrics: Metrics.optional(),
  config: JsonObject.optional(),
  notes: z.string().max(100_000).optional(),
  /** The name the user gave a browser upload (the bridge's temp path means nothing to them). Display only: importing never deletes anything. */
  uploadedAs: z.string().max(1024).optional(),
  /** Register a single file whose bytes match no model format Hallmark knows (refused as "not a model" otherwise). */
  allowUnknown: z.boolean().default(false),
});
export type ImportOptions = z.input<typeof ImportOptions>;

/**
 * Browser mode: import what was uploaded to the bridge (PUT /api/upload) under an upload id the
 * bridge issued. The bridge resolves the id to its own temp folder and removes it when the import
 * job ends, so no caller ever names a path to delete. `folder`: import the upload as a folder
 * (its files keep their relative paths) rather than as its single file.
 */
export const UploadImportOptions = ImportOptions.omit({ path: true, inPlace: true }).extend({
  folder: z.boolean().default(false),
});
export type UploadImportOptions = z.input<typeof UploadImportOptions>;
export const UploadResult = z.object({ upload: z.string(), path: z.string(), bytes: z.number() });
export type UploadResult = z.infer<typeof UploadResult>;

/** High and critical findings of a version's latest scan, by rule: what promote and export must name. */
export const DangerousFindings = z.object({
  scanId: z.number(),
  critical: z.number(),
  high: z.number(),
  rules: z.array(z.object({ severity: z.enum(['critical', 'high']), rule: z.string(), count: z.number(), file: z.string(), detail: z.string() })),
});
export type DangerousFindings = z.infer<typeof DangerousFindings>;

/** "1 critical finding (pickle.dangerous-global in model.pkl)": one phrase for the CLI, errors and dialogs alike. */
export function describeDanger(d: DangerousFindings): string {
  const parts = [d.critical ? `${d.critical} critical` : '', d.high ? `${d.high} high` : ''].filter(Boolean).join(' and ');
  const n = d.critical + d.high;
  const rules = d.rules.slice(0, 3).map((r) => `${r.rule} in ${r.file}`).join('; ');
  return `${parts} finding${n === 1 ? '' : 's'} (${rules}${d.rules.length > 3 ? `; ${d.rules.length - 3} more rule(s)` : ''})`;
}

export const ImportResult = z.object({
  model: z.string(),
  version: z.number(),
  files: z.array(FileEntry),
  created: z.boolean(),
  /** The scan that ran as part of the import (or the latest one when the content was already registered). */
  scan: ScanSummary.nullable().optional(),
  danger: DangerousFindings.nullable().optional(),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const ListQuery = z.object({
  query: z.string().max(500).optional(),
  framework: z.string().optional(),
  modelType: z.string().optional(),
  tag: z.string().optional(),
  stage: Stage.optional(),
  /** Scan verdict of the latest version (Models table only). */
  scanVerdict: ScanVerdictFilter.optional(),
  /** Signature status of the latest version (Models table only). */
  signature: SignatureFilter.optional(),
  sort: z.enum(['name', 'updated', 'size', 'version', 'stage', 'format', 'params', 'scan', 'signature', 'audit']).default('updated'),
  dir: z.enum(['asc', 'desc']).default('desc'),
  limit: z.number().int().min(1).max(5000).default(200),
  offset: z.number().int().min(0).default(0),
});
export type ListQuery = z.input<typeof ListQuery>;

export const VersionRef = z.object({ name: z.string().min(1), version: z.number().int().positive().optional() });

export const VerifyResult = z.object({
  ok: z.boolean(),
  model: z.string(),
  version: z.number(),
  mismatches: z.array(z.object({ path: z.string(), expected: z.string(), actual: z.string() })),
  /** What to do about the mismatches (re-import the original, or repair from a copy). */
  hint: z.string().optional(),
  /** Files healed by --repair-from: the vault blob was replaced by a copy with the right hash. */
  repaired: z.array(z.object({ path: z.string(), sha256: z.string(), from: z.string() })).optional(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

export const CompareFinding = z.object({ severity: z.string(), rule: z.string(), file: z.string(), location: z.string(), detail: z.string() });
export type CompareFinding = z.infer<typeof CompareFinding>;

export const CompareResult = z.object({
  a: z.number(),
  b: z.number(),
  metrics: z.array(z.object({ key: z.string(), a: z.number().nullable(), b: z.number().nullable(), delta: z.number().nullable() })),
  files: z.object({
    added: z.array(FileEntry),
    removed: z.array(FileEntry),
    changed: z.array(z.object({ path: z.string(), a: FileEntry, b: FileEntry })),
    unchanged: z.number(),
  }),
  /** Latest scan of each side and which findings (rule + file + location) appeared or went away. */
  scan: z.object({
    a: ScanSummary.nullable(),
    b: ScanSummary.nullable(),
    added: z.array(CompareFinding),
    resolved: z.array(CompareFinding),
  }),
  /** Latest audit of each side. */
  audit: z.object({ a: AuditSummary.nullable(), b: AuditSummary.nullable() }),
});
export type CompareResult = z.infer<typeof CompareResult>;

const JobStarted = z.object({ jobId: z.string() });

export const registryCalls = {
  'registry.import': call(ImportOptions, JobStarted),
  'registry.models': call(ListQuery.prefault({}), z.object({ total: z.number(), rows: z.array(ModelRow) }), { readonly: true }),
  'registry.list': call(ListQuery.prefault({}), z.object({ total: z.number(), rows: z.array(VersionSummary) }), { readonly: true }),
  'registry.model': call(z.object({ name: z.string().min(1) }), ModelDetail, { readonly: true }),
  'registry.version': call(VersionRef, VersionDetail, { readonly: true }),
  'registry.update': call(z.object({
    name: z.string().min(1),
    rename: ModelName.optional(),
    description: z.string().max(10_000).optional(),
    framework: Framework.optional(),
    modelType: ModelType.optional(),
    tags: z.array(Tag).max(64).optional(),
  }), ModelRow),
  'registry.annotate': call(z.object({ name: z.string().min(1), version: z.number().int().positive(), metrics: Metrics.optional(), notes: z.string().max(100_000).optional() }), VersionSummary),
  /** Staging or production with high/critical scan findings is refused (code dangerous_findings) unless `force`. */
  'registry.promote': call(z.object({ name: z.string().min(1), version: z.number().int().positive(), stage: Stage, force: z.boolean().default(false) }), z.object({ model: z.string(), version: z.number(), stage: Stage, demoted: z.array(z.number()) })),
  /** High/critical findings of the version's latest scan; null when it has none (or was never scanned). */
  'registry.danger': call(VersionRef, DangerousFindings.nullable(), { readonly: true }),
  'registry.compare': call(z.object({ name: z.string().min(1), a: z.number().int().positive(), b: z.number().int().positive(), otherName: z.string().optional() }), CompareResult, { readonly: true }),
  'registry.verify': call(VersionRef, JobStarted),
  'registry.export': call(z.object({ name: z.string().min(1), version: z.number().int().positive(), out: z.string().min(1) }), JobStarted),
  'registry.delete': call(z.object({ name: z.string().min(1), version: z.number().int().positive().optional(), confirm: z.string() }), z.object({ deletedVersions: z.number(), freedBytes: z.number() })),
  'registry.facets': call(z.object({}).default({}), z.object({
    frameworks: z.array(z.object({ value: z.string(), count: z.number() })),
    modelTypes: z.array(z.object({ value: z.string(), count: z.number() })),
    tags: z.array(z.object({ value: z.string(), count: z.number() })),
    stages: z.array(z.object({ value: z.string(), count: z.number() })),
    /** Models by the scan verdict of their latest version (not_scanned included). */
    scanVerdicts: z.array(z.object({ value: z.string(), count: z.number() })),
    signatures: z.array(z.object({ value: z.string(), count: z.number() })).default([]),
    models: z.number(),
    versions: z.number(),
  }), { readonly: true }),
};
