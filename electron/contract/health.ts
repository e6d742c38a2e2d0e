// Detailed health (seed 002 `/api/health/detailed`): database, disk, memory, jobs, GPU, each with a state
// and a sentence saying what to do when it is not ok.
import { z } from 'zod';
import { call } from './define';
import { OperatingMode } from './mode';

export const CheckState = z.enum(['ok', 'warn', 'fail']);
export type CheckState = z.infer<typeof CheckState>;

const Base = { status: CheckState, message: z.string() };

export const HealthReport = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  checked_at: z.string(),
  home: z.string(),
  mode: OperatingMode,
  database: z.object({ ...Base, open: z.boolean(), journal_mode: z.string(), quick_check: z.string(), size_bytes: z.number(), wal_bytes: z.number() }),
  disk: z.object({ ...Base, path: z.string(), free_bytes: z.number(), total_bytes: z.number(), warn_below_bytes: z.number() }),
  memory: z.object({ ...Base, rss_bytes: z.number(), heap_used_bytes: z.number(), system_free_bytes: z.number(), system_total_bytes: z.number() }),
  jobs: z.object({ ...Base, running: z.number(), queued: z.number(), failed_24h: z.number(), interrupted_24h: z.number(), last_failure: z.string().nullable() }),
  gpu: z.object({ ...Base, backend: z.string(), devices: z.array(z.object({ name: z.string(), vram_bytes: z.number() })) }),
});
export type HealthReport = z.infer<typeof HealthReport>;

export const healthCalls = {
  'health.detailed': call(z.object({}).default({}), HealthReport, { readonly: true }),
};
