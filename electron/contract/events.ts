import { z } from 'zod';
import { JobSchema } from './jobs';

/** Pushed from services to the renderer (IPC `hallmark:event`, bridge WebSocket). */
export const EventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: JobSchema }),
  z.object({ type: z.literal('registry.changed'), modelId: z.number().optional() }),
  z.object({ type: z.literal('stream'), streamId: z.string(), chunk: z.string(), done: z.boolean().default(false) }),
]);
export type HallmarkEvent = z.infer<typeof EventSchema>;
