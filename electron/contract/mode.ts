// Operating modes (seed 002): inference (default), training, maintenance.
import { z } from 'zod';
import { call } from './define';

export const OperatingMode = z.enum(['inference', 'training', 'maintenance']);
export type OperatingMode = z.infer<typeof OperatingMode>;

export const ModeState = z.object({ mode: OperatingMode, changed_at: z.string().nullable() });
export type ModeState = z.infer<typeof ModeState>;

export const modeCalls = {
  'mode.get': call(z.object({}).default({}), ModeState, { readonly: true }),
  'mode.set': call(z.object({ mode: OperatingMode }), ModeState),
};
