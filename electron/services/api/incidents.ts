import type { incidentsCalls } from '../../contract/incidents';
import { incidents } from '../incidents/IncidentService';
import type { HandlersFor } from './types';

export const incidentsHandlers: HandlersFor<typeof incidentsCalls> = {
  'incidents.list': (f, ctx) => incidents(ctx).store.list(f),
  'incidents.get': ({ localId }, ctx) => incidents(ctx).store.get(localId),
  'incidents.create': (input, ctx) => incidents(ctx).store.create(input),
  'incidents.update': ({ localId, ...change }, ctx) => incidents(ctx).store.update(localId, change),
  'incidents.link': ({ localId, versionId }, ctx) => incidents(ctx).store.setVersion(localId, versionId),
  'incidents.retry': ({ localId }, ctx) => ({ requeued: incidents(ctx).store.retry(localId) }),
  'hub.status': (_i, ctx) => incidents(ctx).status(),
  'hub.configure': (input, ctx) => incidents(ctx).configure(input),
  'hub.test': (input, ctx) => incidents(ctx).test(input),
  'hub.sync': async ({ passphrase }, ctx) => ({ jobId: (await incidents(ctx).startSync({ passphrase })).jobId }),
  'hub.register': ({ versionId, passphrase }, ctx) => incidents(ctx).register(versionId, { passphrase }),
  'hub.links': ({ versionId }, ctx) => incidents(ctx).store.links(versionId),
};
