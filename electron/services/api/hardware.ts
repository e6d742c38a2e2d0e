import type { hardwareCalls } from '../../contract/hardware';
import { runServices } from '../inference/RunServices';
import type { HandlersFor } from './types';

export const hardwareHandlers: HandlersFor<typeof hardwareCalls> = {
  'gpu.info': ({ refresh }, ctx) => runServices(ctx).gpu(refresh),
  'run.settings.get': (_i, ctx) => runServices(ctx).settings(),
  'run.settings.set': (patch, ctx) => runServices(ctx).setSettings(patch),
};
