import type { inferenceCalls } from '../../contract/inference';
import {
  cancelStream, chat, complete, describeModel, estimateFit, loadedModels, runOnnx, startLoad, unloadModel,
} from '../inference/InferenceService';
import type { HandlersFor } from './types';

export const inferenceHandlers: HandlersFor<typeof inferenceCalls> = {
  'run.describe': ({ model }, ctx) => describeModel(ctx, model),
  'run.fit': ({ model, contextSize }, ctx) => estimateFit(ctx, model, contextSize),
  'run.load': ({ model, contextSize }, ctx) => ({ jobId: startLoad(ctx, model, contextSize).jobId }),
  'run.unload': ({ model }, ctx) => unloadModel(ctx, model),
  'run.loaded': (_i, ctx) => loadedModels(ctx),

  'run.onnx': ({ model, ...input }, ctx) => runOnnx(ctx, model, input),
  'run.complete': ({ model, ...input }, ctx) => complete(ctx, model, input),
  'run.chat': ({ model, ...input }, ctx) => chat(ctx, model, input),
  'run.cancel': ({ streamId }, ctx) => cancelStream(ctx, streamId),
};
