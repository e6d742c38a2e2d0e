import type { healthCalls } from '../../contract/health';
import { detailedHealth } from '../health/Health';
import type { HandlersFor } from './types';

export const healthHandlers: HandlersFor<typeof healthCalls> = {
  'health.detailed': (_i, ctx) => detailedHealth(ctx),
};
