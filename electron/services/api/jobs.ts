import type { jobsCalls } from '../../contract/jobs';
import type { HandlersFor } from './types';

export const jobsHandlers: HandlersFor<typeof jobsCalls> = {
  'jobs.list': ({ limit }, ctx) => ctx.jobs.list(limit),
  'jobs.get': ({ id }, ctx) => ctx.jobs.get(id),
  'jobs.cancel': ({ id }, ctx) => ({ cancelled: ctx.jobs.cancel(id) }),
  'jobs.wait': ({ id, timeoutMs }, ctx) => ctx.jobs.wait(id, timeoutMs),
};
