import type { evaluateCalls } from '../../contract/evaluate';
import { batchResults, getMaterialized, listBatches, resumeBatch, startBatch } from '../evaluate/BatchService';
import { listComparisons, startCompare } from '../evaluate/CompareService';
import { setupTabular, tabularStatus } from '../evaluate/tabularEnv';
import { chooseTabular } from '../evaluate/tabularRuntime';
import type { HandlersFor } from './types';

const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));

export const evaluateHandlers: HandlersFor<typeof evaluateCalls> = {
  'evaluate.tabularStatus': ({ probe }) => tabularStatus({ probe }),
  'evaluate.tabularSetup': (_i, ctx) => {
    const { id, promise } = ctx.jobs.start({ kind: 'tabular-setup', title: 'Set up the tabular model runtime', queue: 'trainer-setup' }, async (job) => {
      const r = await setupTabular({ signal: job.signal, onLine: (l) => job.progress(0, null, l.slice(0, 300)) });
      return { python: r.python, reused: r.reused };
    });
    promise.catch(() => undefined);
    return { jobId: id };
  },
  // The pickle gate (and unknown versions, missing files) answer the call itself, before a job starts, so the
  // UI can ask for the confirmation with the scan result in hand (error code pickle_confirmation_required).
  'evaluate.batchStart': async (i, ctx) => {
    await chooseTabular(ctx, i.model, { runtime: i.runtime, allowPickle: i.allowPickle });
    return {
      jobId: startBatch(ctx, {
        model: i.model, input: i.input, runtime: i.runtime, allowPickle: i.allowPickle, ...opt('idColumn', i.idColumn), ...opt('labelColumn', i.labelColumn),
        ...opt('ttlSeconds', i.ttlSeconds), ...opt('chunkRows', i.chunkRows),
      }).jobId,
    };
  },
  'evaluate.batchResume': ({ batchId, allowPickle }, ctx) => ({ jobId: resumeBatch(ctx, batchId, { allowPickle }).jobId }),
  'evaluate.batchList': ({ limit }, ctx) => listBatches(ctx, limit),
  'evaluate.batchResults': ({ batchId, limit, offset }, ctx) => [...batchResults(ctx, batchId, { limit, offset })],
  'evaluate.compareStart': async (i, ctx) => {
    for (const m of i.models) await chooseTabular(ctx, m, { runtime: i.runtime, allowPickle: i.allowPickle });
    return { jobId: startCompare(ctx, {
      models: i.models, input: i.input, runtime: i.runtime, allowPickle: i.allowPickle, ...opt('idColumn', i.idColumn), ...opt('labelColumn', i.labelColumn),
      ...opt('weights', i.weights), ...opt('seed', i.seed), ...opt('chunkRows', i.chunkRows),
    }).jobId };
  },
  'evaluate.compareList': ({ limit }, ctx) => listComparisons(ctx, limit),
  'evaluate.materialized': ({ model, entity, maxAgeSeconds }, ctx) => getMaterialized(ctx, model, entity, maxAgeSeconds),
};
