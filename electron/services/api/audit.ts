import type { auditCalls } from '../../contract/audit';
import { exportAudit, getAudit, listAudits, startAudit } from '../audit/AuditService';
import { exportForTrainer, generateFingerprintsAsync } from '../audit/fingerprints';
import { deleteSet, keyProviderFor, listSets, loadSet, readFingerprintFile, saveSet, writeFileAtomic, writeFingerprintFile } from '../audit/FingerprintStore';
import { HallmarkError } from '../errors';
import { changedWhenDone } from './changed';
import type { HandlersFor } from './types';

export const auditHandlers: HandlersFor<typeof auditCalls> = {
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

  // The Models table and the version pages show the latest audit.
  'audit.start': async (input, ctx) => {
    const { jobId, promise } = await startAudit(ctx, input);
    return changedWhenDone(ctx, jobId, promise);
  },
  'audit.list': ({ model, limit }, ctx) => listAudits(ctx, { model, limit }),
  'audit.get': ({ id }, ctx) => getAudit(ctx, id),
  'audit.export': ({ id, format, out }, ctx) => exportAudit(ctx, id, format, out),
};
