import type { registryCalls } from '../../contract/registry';
import { exportVersion } from '../registry/exportVersion';
import { importPath } from '../registry/Importer';
import { refuseNonModel } from '../registry/modelGuard';
import { verifyVersion } from '../registry/verifyVersion';
import type { AppContext } from '../AppContext';
import { changed, changedWhenDone } from './changed';
import type { HandlersFor } from './types';

const reg = (ctx: AppContext) => ctx.registry;

export const registryHandlers: HandlersFor<typeof registryCalls> = {
  'registry.import': async (input, ctx) => {
    // Refused before a job starts: the caller gets the reason at once, and nothing is copied.
    if (!input.allowUnknown) await refuseNonModel(input.path, input.uploadedAs);
    const name = input.uploadedAs ?? input.path;
    const { id, promise } = ctx.jobs.start({ kind: 'import', title: `Import ${name}` }, (job) => importPath(ctx, input, job));
    return changedWhenDone(ctx, id, promise);
  },
  'registry.models': (q, ctx) => reg(ctx).listModels(q),
  'registry.list': (q, ctx) => reg(ctx).listVersions(q),
  'registry.model': ({ name }, ctx) => reg(ctx).model(name),
  'registry.version': ({ name, version }, ctx) => reg(ctx).version(name, version),
  'registry.update': ({ name, ...patch }, ctx) => changed(ctx, reg(ctx).update(name, patch)),
  'registry.annotate': ({ name, version, ...patch }, ctx) => changed(ctx, reg(ctx).annotate(name, version, patch)),
  'registry.promote': ({ name, version, stage, force }, ctx) => changed(ctx, reg(ctx).promote(name, version, stage, { force })),
  'registry.danger': ({ name, version }, ctx) => reg(ctx).dangerousFindings(reg(ctx).versionRow(name, version).id),
  'registry.compare': ({ name, a, b, otherName }, ctx) => reg(ctx).compare(name, a, b, otherName),
  'registry.verify': ({ name, version }, ctx) => {
    // Integrity (ok, changed, missing) shows in the version lists.
    const { id, promise } = ctx.jobs.start({ kind: 'verify', title: `Verify ${name}${version ? '@' + version : ''}` }, (job) => verifyVersion(ctx, name, version, job));
    return changedWhenDone(ctx, id, promise);
  },
  'registry.export': ({ name, version, out }, ctx) => {
    const { id } = ctx.jobs.start({ kind: 'export', title: `Export ${name}@${version}` }, (job) => exportVersion(ctx, name, version, out, job));
    return { jobId: id };
  },
  'registry.delete': async ({ name, version, confirm }, ctx) => changed(ctx, await reg(ctx).delete(name, version, confirm)),
  'registry.facets': (_i, ctx) => reg(ctx).facets(),
};
