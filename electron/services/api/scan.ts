import type { scanCalls } from '../../contract/scan';
import type { AppContext } from '../AppContext';
import { inspectPath } from '../formats/inspect';
import { ruleCatalog } from '../scan/guidance';
import { toSarif } from '../scan/sarif';
import { scanPaths } from '../scan/scanner';
import { getInspection, getRun, getScanFiles, latestRun, listScans, reportOf, saveScan } from '../scan/store';
import { inspectVersion, scanVersion } from '../scan/versions';
import { changed, changedWhenDone } from './changed';
import type { HandlersFor } from './types';

const versionId = (ctx: AppContext, name: string, version?: number): { id: number; label: string } => {
  const v = ctx.registry.versionRow(name, version);
  return { id: v.id, label: `${v.name}@${v.number}` };
};

export const scanHandlers: HandlersFor<typeof scanCalls> = {
  'scan.paths': async ({ paths, store }, ctx) => {
    const report = await scanPaths(paths);
    if (!store) return { ...report, scanId: null };
    // A stored run is a new row of the Scans view.
    return changed(ctx, { ...report, scanId: saveScan(ctx.db, report, { versionId: null, target: paths.join(', ').slice(0, 1000) }) });
  },
  'scan.version': ({ name, version }, ctx) => {
    const v = versionId(ctx, name, version);
    // The Models table shows each version's latest verdict.
    const { id, promise } = ctx.jobs.start({ kind: 'scan', title: `Scan ${v.label}` }, (job) => scanVersion(ctx, v.id, job));
    return changedWhenDone(ctx, id, promise);
  },
  'scan.list': ({ name, version, verdict, minSeverity, rule, sort, limit, offset }, ctx) => listScans(ctx.db, {
    // A name alone means every version of that model; with a version, that one.
    versionId: name && version ? versionId(ctx, name, version).id : undefined,
    modelId: name && !version ? ctx.registry.requireModel(name).id : undefined,
    verdict, minSeverity, rule, sort, limit, offset,
  }),
  'scan.get': ({ id, minSeverity, rule, file }, ctx) => ({ run: getRun(ctx.db, id), files: getScanFiles(ctx.db, id, { minSeverity, rule, file }) }),
  'scan.latest': ({ name, version }, ctx) => latestRun(ctx.db, versionId(ctx, name, version).id),
  'scan.export': ({ id, format }, ctx) => {
    const report = reportOf(ctx.db, id);
    const run = getRun(ctx.db, id);
    const base = `hallmark-scan-${(run.model ? `${run.model}-v${run.version}` : `run-${id}`).replace(/[^A-Za-z0-9._-]+/g, '_')}`;
    return format === 'sarif'
      ? { filename: `${base}.sarif`, mimeType: 'application/sarif+json', content: JSON.stringify(toSarif(report), null, 2) }
      : { filename: `${base}.json`, mimeType: 'application/json', content: JSON.stringify(report, null, 2) };
  },
  'scan.rules': () => ruleCatalog(),
  'inspect.path': ({ path }) => inspectPath(path),
  'inspect.version': async ({ name, version }, ctx) => {
    const v = versionId(ctx, name, version);
    const stored = getInspection(ctx.db, v.id);
    if (stored) return stored;
    // A first inspection counts the parameters the Models table shows.
    await inspectVersion(ctx, v.id);
    return changed(ctx, getInspection(ctx.db, v.id)!);
  },
};
