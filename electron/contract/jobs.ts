import { z } from 'zod';
import { call } from './define';

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']);
export const JobSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  state: JobState,
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
