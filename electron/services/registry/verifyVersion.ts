import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { VerifyResult } from '../../contract/registry';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { fileError, hashFile } from './BlobStore';
import { planImport } from './Importer';

export interface VerifyOptions {
  /** A file or folder holding intact copies: vault blobs that do not match are replaced from it. */
  repairFrom?: string | undefined;
}

/** Re-hashes every file of a version and reports each mismatch; in-place versions are flagged changed or missing. */
export async function verifyVersion(ctx: AppContext, name: string, version: number | undefined, job: JobHandle, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const registry = ctx.registry;
  const v = registry.version(name, version);
  job.progress(0, v.totalSize, `verifying ${v.files.length} file(s)`);
  let done = 0;
  let mismatches: VerifyResult['mismatches'] = [];
  for (const f of v.files) {
    job.throwIfCancelled();
    const p = registry.filePath(v.id, f.path, `${v.model}@${v.version}`);
    if (!fs.existsSync(p)) {
      mismatches.push({ path: f.path, expected: f.sha256, actual: 'missing' });
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
  let repaired: NonNullable<VerifyResult['repaired']> | undefined;
  if (opts.repairFrom !== undefined) {
    if (v.storage !== 'vault') throw new HallmarkError('in_place_repair', `${v.model}@${v.version} is registered in place: its files are yours to restore at ${quote(v.sourcePath)}`);
    repaired = await repair(ctx, v.files, mismatches, opts.repairFrom, job);
    const healed = new Set(repaired.map((r) => r.path));
    mismatches = mismatches.filter((m) => !healed.has(m.path));
  }
  const missing = mismatches.some((m) => m.actual === 'missing');
  registry.setIntegrity(v.id, mismatches.length === 0 ? 'ok' : missing ? 'missing' : 'changed');
  const hint = mismatches.length === 0 ? undefined : v.storage === 'vault'
    ? `the vault copy of ${mismatches.length} file(s) is corrupted or missing: re-import the original (hallmark import PATH --name ${v.model}), or repair it with hallmark verify ${v.model}@${v.version} --repair-from PATH`
    : `the file(s) at ${v.sourcePath} changed or were removed since they were registered in place`;
  return { ok: mismatches.length === 0, model: v.model, version: v.version, mismatches, ...(hint ? { hint } : {}), ...(repaired ? { repaired } : {}) };
}

/**
 * Looks in `from` (a file or a folder) for files whose size and then SHA-256 match a mismatched blob,
 * and ingests them: the store replaces the bad blob atomically. Nothing unverified is ever written.
 */
async function repair(ctx: AppContext, files: Array<{ path: string; size: number; sha256: string }>, mismatches: VerifyResult['mismatches'], from: string, job: JobHandle) {
  const bad = new Set(mismatches.map((m) => m.path));
  const wanted = new Map<string, { size: number; paths: string[] }>();
  for (const f of files) {
    if (!bad.has(f.path)) continue;
    const w = wanted.get(f.sha256) ?? { size: f.size, paths: [] };
    w.paths.push(f.path);
    wanted.set(f.sha256, w);
  }
  const repaired: NonNullable<VerifyResult['repaired']> = [];
  if (!wanted.size) return repaired;
  let st: fs.Stats;
  try {
    st = await fsp.stat(from);
  } catch (e) {
    throw fileError(e, from);
  }
  // A folder is walked with the importer's rules (no symlinks out of it, regular files only).
  const candidates = st.isDirectory() ? (await planImport(from)).sources.map((s) => ({ abs: s.abs!, size: s.size })) : [{ abs: from, size: st.size }];
  const sizes = new Set([...wanted.values()].map((w) => w.size));
  for (const c of candidates) {
    if (!wanted.size) break;
    if (!sizes.has(c.size)) continue;
    job.throwIfCancelled();
    const h = await hashFile(c.abs, job.signal);
    const w = wanted.get(h.sha256);
    if (!w) continue;
    const r = await ctx.blobs.ingestFile(c.abs, job.signal);
    if (r.sha256 !== h.sha256) continue; // changed between the two reads: the store now holds an unused blob, gc's business
    for (const p of w.paths) repaired.push({ path: p, sha256: r.sha256, from: c.abs });
    wanted.delete(h.sha256);
  }
  return repaired;
}
