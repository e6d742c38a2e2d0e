// The post-import step for signatures: a version that arrives with a model.sig (among its files, or beside
// an in-place folder) has it checked and the outcome stored. The signing code (and @sigstore) loads only
// when a signature is actually there, so importing unsigned models costs one query.
import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../AppContext';
import type { JobHandle } from '../jobs/JobManager';

export async function checkSignatureOnImport(ctx: AppContext, versionId: number, job: JobHandle): Promise<void> {
  const v = ctx.db.prepare(`SELECT storage, source_path FROM versions WHERE id = ?`).get(versionId) as { storage: string; source_path: string | null } | undefined;
  if (!v) return;
  const inFiles = ctx.db.prepare(`SELECT 1 FROM version_files WHERE version_id = ? AND path = 'model.sig'`).get(versionId) !== undefined;
  const beside = v.storage === 'in_place' && v.source_path !== null && fs.existsSync(path.join(v.source_path, 'model.sig'));
  const attached = ctx.db.prepare(`SELECT 1 FROM signature_attachments WHERE version_id = ?`).get(versionId) !== undefined;
  if (!inFiles && !beside && !attached) return;
  const { checkImportedSignature } = await import('./versions');
  await checkImportedSignature(ctx, versionId, job);
}
