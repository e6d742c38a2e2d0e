// The post-import step: every newly imported version is inspected (metadata stored per version and per
// file) and scanned (a stored run in the Scans view). Whoever opens a context for the app, the CLI or the
// bridge passes it as a version hook (AppContext.open({ versionHooks: [inspectAndScan] })).
import type { AppContext } from '../AppContext';
import type { JobHandle } from '../jobs/JobManager';
import { inspectVersion, scanVersion } from './versions';

export async function inspectAndScan(ctx: AppContext, versionId: number, job: JobHandle): Promise<void> {
  // Inspection failing must not skip the scan: each is reported on its own.
  try {
    await inspectVersion(ctx, versionId, job);
  } catch (e) {
    job.throwIfCancelled();
    job.progress(0, null, `inspect failed: ${(e as Error).message}`);
  }
  await scanVersion(ctx, versionId, job);
}
