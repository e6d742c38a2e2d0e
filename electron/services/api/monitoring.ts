import type { ModelRef } from '../../contract/inference';
import type { monitoringCalls } from '../../contract/monitoring';
import type { AppContext } from '../AppContext';
import { resolveModel } from '../inference/modelRef';
import { listPredictions } from '../inference/PredictionLog';
import { captureBaseline, detectDrift, monitorHourly, monitorSeries, monitorStats } from '../monitoring/Monitor';
import type { HandlersFor } from './types';

const key = (ctx: AppContext, model: ModelRef) => resolveModel(ctx, model).key;

export const monitoringHandlers: HandlersFor<typeof monitoringCalls> = {
  'monitor.stats': ({ model, window }, ctx) => monitorStats(ctx.db, key(ctx, model), window),
  'monitor.predictions': ({ model, limit }, ctx) => listPredictions(ctx.db, key(ctx, model), { limit }),
  'monitor.series': ({ model, buckets, limit }, ctx) => monitorSeries(ctx.db, key(ctx, model), { buckets, limit }),
  'monitor.baseline': ({ model, window }, ctx) => {
    const m = resolveModel(ctx, model);
    return captureBaseline(ctx.db, m.key, m.versionId, window);
  },
  'monitor.hourly': ({ model, hours }, ctx) => monitorHourly(ctx.db, key(ctx, model), { hours }),
  'monitor.drift': ({ model, threshold, window }, ctx) => detectDrift(ctx.db, key(ctx, model), { threshold, window }),
};
