import type { modeCalls } from '../../contract/mode';
import { getMode, setMode } from '../mode/Mode';
import type { HandlersFor } from './types';

export const modeHandlers: HandlersFor<typeof modeCalls> = {
  'mode.get': (_i, ctx) => getMode(ctx.db),
  'mode.set': ({ mode }, ctx) => {
    const state = setMode(ctx.db, mode);
    // Work a maintenance window held back (scans owed by interrupted imports) starts when it ends.
    if (mode !== 'maintenance') ctx.resumePostImport();
    return state;
  },
};
