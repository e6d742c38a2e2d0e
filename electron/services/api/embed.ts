import type { embedCalls } from '../../contract/embed';
import { getEmbed, listEmbeds, liveEmbeds, startEmbed } from '../embed/EmbedService';
import { setupTrainer, trainerStatus } from '../embed/trainerEnv';
import { changedWhenDone } from './changed';
import type { HandlersFor } from './types';

export const embedHandlers: HandlersFor<typeof embedCalls> = {
  // The result is a new version: the registry views refresh when the job ends.
  'embed.start': async (input, ctx) => {
    const { jobId, promise } = await startEmbed(ctx, input);
    return changedWhenDone(ctx, jobId, promise);
  },
  'embed.list': ({ limit, versionId }, ctx) => listEmbeds(ctx, limit, versionId),
  'embed.live': () => liveEmbeds(),
  'embed.get': ({ id }, ctx) => getEmbed(ctx, id),
  'trainer.status': ({ probe }) => trainerStatus({ probe }),
  'trainer.setup': (_i, ctx) => {
    // pip prints one line per package; the job shows the latest as its message.
    const { id, promise } = ctx.jobs.start({ kind: 'trainer-setup', title: 'Set up the trainer (Python venv + llama.cpp converters)', queue: 'trainer-setup' }, (job) =>
      setupTrainer({ signal: job.signal, onLine: (l) => job.progress(0, null, l.slice(0, 300)) }));
    promise.catch(() => undefined);
    return { jobId: id };
  },
};
