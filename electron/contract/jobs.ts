import { z } from 'zod';
import { call } from './define';

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']);
/**
 * What a job's progress counts: bytes (imports, exports, hashing: shown as MB and MB/s), steps (training
 * steps, audit probes: shown as "120 of 960 steps", steps/s) or a bare fraction (a model load: a bar and a
 * percentage only). `doneBytes`/`totalBytes`/`bytesPerSec` keep their names for compatibility; they hold
 * the count in this unit.
 */
export const JobUnit = z.enum(['bytes', 'steps', 'fraction']);
export type JobUnit = z.infer<typeof JobUnit>;
/** The unit of the built-in job kinds that do not count bytes (a kind not listed counts bytes). */
export const JOB_KIND_UNITS: Readonly<Record<string, JobUnit>> = { embed: 'steps', audit: 'steps', 'model-load': 'fraction' };
export const jobUnitOf = (kind: string): JobUnit => JOB_KIND_UNITS[kind] ?? 'bytes';
export const JobSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  state: JobState,
  /** The unit of doneBytes/totalBytes/bytesPerSec (older bridges send none: bytes). */
  unit: JobUnit.default('bytes'),
  doneBytes: z.number(),
  totalBytes: z.number().nullable(),
  bytesPerSec: z.number().nullable(),
  etaSec: z.number().nullable(),
  /**
   * Overall progress 0..1 across the job's phases (an import hashes, then scans: the bytes restart at 0,
   * this never goes back). Null while unknown; absent from jobs recorded before it existed.
   */
  fraction: z.number().min(0).max(1).nullable().optional(),
  message: z.string().nullable(),
  error: z.string().nullable(),
  result: z.unknown().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type Job = z.infer<typeof JobSchema>;

export const jobsCalls = {
  'jobs.list': call(z.object({ limit: z.number().int().min(1).max(1000).default(100) }).default({ limit: 100 }), z.array(JobSchema), { readonly: true }),
  'jobs.get': call(z.object({ id: z.string() }), JobSchema, { readonly: true }),
  'jobs.cancel': call(z.object({ id: z.string() }), z.object({ cancelled: z.boolean() })),
  'jobs.wait': call(z.object({ id: z.string(), timeoutMs: z.number().int().min(0).max(3_600_000).default(600_000) }), JobSchema),
};
