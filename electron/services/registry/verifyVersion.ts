import fs from 'node:fs';
import type { VerifyResult } from '../../contract/registry';
import type { AppContext } from '../AppContext';
import { HallmarkError } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { hashFile } from './BlobStore';
import { Registry } from './Registry';

/** Re-hashes every file of a version and reports each mismatch; in-place versions are flagged changed or missing. */
export async function verifyVersion(ctx: AppContext, name: string, version: number | undefined, job: JobHandle): Promise<VerifyResult> {
  const registry = new Registry(ctx.db, ctx.blobs);
  const v = registry.version(name, version);
  job.progress(0, v.totalSize, `verifying ${v.files.length} file(s)`);
  let done = 0;
  const mismatches: VerifyResult['mismatches'] = [];
  let missing = false;
  for (const f of v.files) {
    job.throwIfCancelled();
    const p = registry.filePath(v.id, f.path);
    if (!fs.existsSync(p)) {
      mismatches.push({ path: f.path, expected: f.sha256, actual: 'missing' });
      missing = true;
      done += f.size;
      continue;
    }
    try {
      const r = await hashFile(p, job.signal, (n) => job.progress((done += n), v.totalSize));
      if (r.sha256 !== f.sha256) mismatches.push({ path: f.path, expected: f.sha256, actual: r.sha256 });
    } catch (e) {
      if (job.signal.aborted) throw e;
      mismatches.push({ path: f.path, expected: f.sha256, actual: e instanceof HallmarkError ? `unreadable: ${e.message}` : 'unreadable' });
    }
  }
  registry.setIntegrity(v.id, mismatches.length === 0 ? 'ok' : missing ? 'missing' : 'changed');
  return { ok: mismatches.length === 0, model: v.model, version: v.version, mismatches };
}
