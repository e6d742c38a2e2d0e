// Inspect and scan: formats and metadata of files/versions, static security scans, stored runs.
import { z } from 'zod';
import { call } from './define';

export const Severity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;

export const Finding = z.object({
  severity: Severity,
  rule: z.string(),
  /** Scanned path, `container!member` for archive members. */
  file: z.string(),
  /** `byte 123, opcode 7`, `tensor "w"`, `entry "../x"`… */
  location: z.string(),
  detail: z.string(),
});
export type Finding = z.infer<typeof Finding>;

/** One file of a report: its format, size and findings (archive members report under the file). */
export const ScannedFile = z.object({
  path: z.string(),
  format: z.string(),
  bytes: z.number(),
  findings: z.array(Finding),
  error: z.string().optional(),
});
export type ScannedFile = z.infer<typeof ScannedFile>;

export const SeverityCounts = z.object({ critical: z.number(), high: z.number(), medium: z.number(), low: z.number(), info: z.number() });

export const ScanReport = z.object({
  scanner: z.object({ name: z.string(), version: z.string() }),
  startedAt: z.string(),
  durationMs: z.number(),
  files: z.array(ScannedFile),
  summary: SeverityCounts.extend({ files: z.number(), bytes: z.number() }),
});
export type ScanReport = z.infer<typeof ScanReport>;

export const Verdict = z.enum(['clean', 'findings', 'error']);

/** One stored scan run (a row of the Scans view). */
export const ScanRun = z.object({
  id: z.number(),
  versionId: z.number().nullable(),
  model: z.string().nullable(),
  version: z.number().nullable(),
  target: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  verdict: Verdict.nullable(),
  worst: Severity.nullable(),
  counts: SeverityCounts,
  fileCount: z.number(),
  bytes: z.number(),
  scannerVersion: z.string(),
  jobId: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
});
export type ScanRun = z.infer<typeof ScanRun>;

/** `{format, …metadata}`: the keys depend on the format (see docs of each reader). */
export const Inspection = z.looseObject({ format: z.string() });
export type Inspection = z.infer<typeof Inspection>;

export const VersionInspection = z.object({
  versionId: z.number(),
  format: z.string(),
  /** The version as a whole: the single file's metadata, or the folder's summary. */
  inspection: Inspection,
  files: z.array(z.object({ path: z.string(), format: z.string(), metadata: Inspection, error: z.string().nullable() })),
  inspectorVersion: z.string(),
  inspectedAt: z.string(),
});
export type VersionInspection = z.infer<typeof VersionInspection>;

const VersionSelector = z.object({ name: z.string().min(1), version: z.number().int().positive().optional() });

export const ScanListQuery = z.object({
  /** A model's runs, all versions unless `version` is given. */
  name: z.string().optional(),
  version: z.number().int().positive().optional(),
  verdict: Verdict.optional(),
  /** Runs whose worst finding is at least this severe. */
  minSeverity: Severity.optional(),
  /** Runs with at least one finding of this rule. */
  rule: z.string().optional(),
  /** newest: newest first; severity: the worst findings first (critical, high, …, clean, failed), newest first within. */
  sort: z.enum(['newest', 'severity']).default('newest'),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
});

export const ScanDetailQuery = z.object({
  id: z.number().int().positive(),
  minSeverity: Severity.default('info'),
  rule: z.string().optional(),
  file: z.string().optional(),
});

export const RuleInfo = z.object({
  id: z.string(), title: z.string(), help: z.string(),
  /** What happens if the file is loaded anyway (scan.rules fills it; the scanners' catalog need not). */
  impact: z.string().optional(),
  /** How to fix it: convert, load safely, or get the file from a trusted source. */
  fix: z.string().optional(),
});
export type RuleInfo = z.infer<typeof RuleInfo>;

export const scanCalls = {
  /** Scans files/folders now and stores the run (version-less) for the Scans view. */
  'scan.paths': call(z.object({ paths: z.array(z.string().min(1)).min(1).max(10_000), store: z.boolean().default(true) }), ScanReport.extend({ scanId: z.number().nullable() })),
  /** Re-scans a registered version in a job (the job result is `{scanId, verdict}`). */
  'scan.version': call(VersionSelector, z.object({ jobId: z.string() })),
  'scan.list': call(ScanListQuery.prefault({}), z.object({ total: z.number(), runs: z.array(ScanRun) }), { readonly: true }),
  'scan.get': call(ScanDetailQuery, z.object({ run: ScanRun, files: z.array(ScannedFile) }), { readonly: true }),
  /** Latest finished scan of a version (null when never scanned). */
  'scan.latest': call(VersionSelector, ScanRun.nullable(), { readonly: true }),
  /** JSON or SARIF 2.1.0 report of a stored run, ready to save. */
  'scan.export': call(z.object({ id: z.number().int().positive(), format: z.enum(['json', 'sarif']) }), z.object({ filename: z.string(), mimeType: z.string(), content: z.string() }), { readonly: true }),
  'scan.rules': call(z.object({}).default({}), z.array(RuleInfo), { readonly: true }),
  'inspect.path': call(z.object({ path: z.string().min(1) }), Inspection, { readonly: true }),
  /** Stored metadata of a version; inspects it first when it never was. */
  'inspect.version': call(VersionSelector, VersionInspection),
};
