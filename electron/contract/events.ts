import { z } from 'zod';
import { JobSchema } from './jobs';

/** Pushed from services to the renderer (IPC `hallmark:event`, bridge WebSocket). */
export const EventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: JobSchema }),
  z.object({ type: z.literal('registry.changed'), modelId: z.number().optional() }),
  /** A training step of a running embed (the Training view's live loss curve). */
  z.object({
    type: z.literal('embed.step'), jobId: z.string(), step: z.number(), total: z.number().nullable(), loss: z.number().nullable(),
    samples_per_s: z.number().nullable(), eta_s: z.number().nullable(), t: z.number(),
  }),
  z.object({ type: z.literal('stream'), streamId: z.string(), chunk: z.string(), done: z.boolean().default(false) }),
]);
export type HallmarkEvent = z.infer<typeof EventSchema>;
