import type { qualityCalls } from '../../contract/quality';
import { checkInput, getBaseline, lastCheck, saveBaseline } from '../quality/QualityService';
import type { HandlersFor } from './types';

// Profiling and checking stream the whole file: they run as jobs (visible, cancellable, refused in maintenance mode).
export const qualityHandlers: HandlersFor<typeof qualityCalls> = {
  'quality.baseline': ({ name, version, input }, ctx) =>
    ctx.jobs.run({ kind: 'quality-baseline', title: `Data-quality baseline for ${name}@${version}`, queue: 'quality' }, (job) => saveBaseline(ctx, name, version, input, { job })),
  'quality.getBaseline': ({ name, version }, ctx) => getBaseline(ctx, name, version),
  'quality.check': ({ name, version, input, max_rows }, ctx) =>
    ctx.jobs.run({ kind: 'quality-check', title: `Data-quality check for ${name}@${version}`, queue: 'quality' }, (job) => checkInput(ctx, name, version, input, { job, ...(max_rows ? { maxRows: max_rows } : {}) })),
  'quality.lastCheck': ({ name, version }, ctx) => lastCheck(ctx, name, version),
};
