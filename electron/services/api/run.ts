import type { runCalls } from '../../contract/run';
import { exportAudit, getAudit, listAudits, startAudit } from '../audit/AuditService';
import { exportForTrainer, generateFingerprintsAsync } from '../audit/fingerprints';
import { deleteSet, keyProviderFor, listSets, loadSet, readFingerprintFile, saveSet, writeFileAtomic, writeFingerprintFile } from '../audit/FingerprintStore';
import type { AppContext } from '../AppContext';
import { HallmarkError } from '../errors';
import {
  cancelStream, chat, complete, describeModel, estimateFit, loadedModels, runOnnx, startLoad, unloadModel,
} from '../inference/InferenceService';
import { resolveModel, type ModelRef } from '../inference/modelRef';
import { listPredictions } from '../inference/PredictionLog';
import { runServices } from '../inference/RunServices';
import { captureBaseline, detectDrift, monitorSeries, monitorStats } from '../monitoring/Monitor';
import type { HandlersFor } from './types';

const key = (ctx: AppContext, model: ModelRef) => resolveModel(ctx, model).key;

export const runHandlers: HandlersFor<typeof runCalls> = {
  'gpu.info': ({ refresh }, ctx) => runServices(ctx).gpu(refresh),
  'run.settings.get': (_i, ctx) => runServices(ctx).settings(),
  'run.settings.set': (patch, ctx) => runServices(ctx).setSettings(patch),

  'run.describe': ({ model }, ctx) => describeModel(ctx, model),
  'run.fit': ({ model, contextSize }, ctx) => estimateFit(ctx, model, contextSize),
  'run.load': ({ model, contextSize }, ctx) => ({ jobId: startLoad(ctx, model, contextSize).jobId }),
  'run.unload': ({ model }, ctx) => unloadModel(ctx, model),
  'run.loaded': (_i, ctx) => loadedModels(ctx),

  'run.onnx': ({ model, ...input }, ctx) => runOnnx(ctx, model, input),
  'run.complete': ({ model, ...input }, ctx) => complete(ctx, model, input),
  'run.chat': ({ model, ...input }, ctx) => chat(ctx, model, input),
  'run.cancel': ({ streamId }, ctx) => cancelStream(ctx, streamId),

  'monitor.stats': ({ model, window }, ctx) => monitorStats(ctx.db, key(ctx, model), window),
  'monitor.predictions': ({ model, limit }, ctx) => listPredictions(ctx.db, key(ctx, model), { limit }),
  'monitor.series': ({ model, buckets, limit }, ctx) => monitorSeries(ctx.db, key(ctx, model), { buckets, limit }),
  'monitor.baseline': ({ model, window }, ctx) => {
    const m = resolveModel(ctx, model);
    return captureBaseline(ctx.db, m.key, m.versionId, window);
  },
  'monitor.drift': ({ model, threshold, window }, ctx) => detectDrift(ctx.db, key(ctx, model), { threshold, window }),

  'fingerprints.generate': async ({ name, count, keyLength, responseLength, alphabet, seed, passphrase, out, force }, ctx) => {
    const keys = keyProviderFor(ctx, passphrase);
    const set = await generateFingerprintsAsync({ count, keyLength, responseLength, ...(alphabet ? { alphabet } : {}), ...(seed ? { seed } : {}) });
    const stored = await saveSet(ctx.db, name, set, keys);
    let file: string | null = null;
    try {
      file = out ? (await writeFingerprintFile(out, set, keys, force)).path : null;
    } catch (e) {
      // All or nothing: a set whose requested file could not be written is not kept either.
      deleteSet(ctx.db, stored.id);
      throw new HallmarkError('write_failed', `cannot write the fingerprint file ${JSON.stringify(out)}: ${(e as Error).message}`);
    }
    return { id: stored.id, count: stored.count, path: file };
  },
  'fingerprints.list': (_i, ctx) => listSets(ctx.db),
  'fingerprints.export': async ({ source, passphrase, format, out, force }, ctx) => {
    const keys = keyProviderFor(ctx, passphrase);
    const set = 'setId' in source ? await loadSet(ctx.db, source.setId, keys) : await readFingerprintFile(source.path, keys);
    const text = exportForTrainer(set, format);
    if (!out) return { path: null, count: set.fingerprints.length, format, content: text };
    writeFileAtomic(out, text, 0o600, force);
    return { path: out, count: set.fingerprints.length, format, content: null };
  },
  'fingerprints.delete': ({ id }, ctx) => ({ deleted: deleteSet(ctx.db, id) }),

  'audit.start': async (input, ctx) => ({ jobId: (await startAudit(ctx, input)).jobId }),
  'audit.list': ({ model, limit }, ctx) => listAudits(ctx, { model, limit }),
  'audit.get': ({ id }, ctx) => getAudit(ctx, id),
  'audit.export': ({ id, format, out }, ctx) => exportAudit(ctx, id, format, out),
};
