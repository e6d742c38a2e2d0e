// One interface over the two ways a tabular model runs: ONNX (native/OnnxRuntime, in-process worker thread)
// and the Python worker (native/TabularWorker, a child process). Both take rows of feature values in the
// model's order and give per-row predictions (+ class probabilities for classifiers), so batches, A/B
// comparisons and the bench treat them alike.
import type { OnnxRuntime, OnnxSession, OnnxTensorOutput, OnnxValueInfo } from '../../../native/OnnxRuntime';
import type { TabularModel, TabularWorker } from '../../../native/TabularWorker';
import { HallmarkError } from '../errors';

export type Prediction = string | number | boolean | null;

export interface RunnerOutput {
  predictions: Prediction[];
  probabilities: number[][] | null;
}

export interface TabularRunner {
  readonly runtime: 'onnx' | 'python';
  /** Feature names the model knows (in its order), or null when it only knows a count (positional). */
  readonly features: string[] | null;
  readonly nFeatures: number | null;
  readonly modelType: string | null;
  readonly classes: Array<string | number> | null;
  predict(rows: Array<Array<number | null>>): Promise<RunnerOutput>;
}

/**
 * Names libraries invent when a model was fitted on a bare array (LightGBM's Column_0, CatBoost's "0"): they
 * say nothing about the input's columns. (XGBoost reports no names at all then.)
 */
export function autoFeatureNames(names: string[]): boolean {
  return names.every((n, i) => n === `Column_${i}` || n === String(i));
}

export function pythonRunner(worker: TabularWorker, model: TabularModel): TabularRunner {
  const i = model.info;
  return {
    runtime: 'python',
    features: i.features,
    nFeatures: i.n_features ?? i.features?.length ?? null,
    modelType: i.model_type,
    classes: i.classes,
    predict: (rows) => worker.predict(model, rows),
  };
}

const isFloat = (t: string | null) => t === 'float32' || t === 'float64';
const isLabelType = (t: string | null) => t === 'int64' || t === 'int32' || t === 'string' || t === 'bool';

/**
 * An ONNX tabular model: one input [N, F] (skl2onnx / onnxmltools default), or one [N, 1] input per named
 * feature. Outputs: a label tensor plus a probability tensor [N, C] for classifiers (a ZipMap output, a
 * sequence of maps, is skipped: onnxruntime-node cannot return it), or one float tensor for regressors.
 */
export function onnxRunner(session: OnnxSession): TabularRunner {
  const inputs = session.inputs;
  const tensorOuts = session.outputs.filter((o) => o.type !== null);
  if (!inputs.length || inputs.some((x) => x.type === null)) throw new HallmarkError('unsupported_model', `${session.path}: only models with tensor inputs can run on tabular data`);
  const perFeature = inputs.length > 1;
  if (perFeature && inputs.some((x) => x.shape.length !== 2 || (typeof x.shape[1] === 'number' && x.shape[1] !== 1))) {
    throw new HallmarkError('unsupported_model', `${session.path}: a model with several inputs runs on tabular data only when each input is one column [N, 1]`);
  }
  const single = inputs[0]!;
  const width = perFeature ? inputs.length : typeof single.shape[1] === 'number' && single.shape[1] > 0 ? single.shape[1] : null;
  const labelOut = tensorOuts.find((o) => /label/i.test(o.name) && isLabelType(o.type)) ?? tensorOuts.find((o) => isLabelType(o.type));
  const probOut = tensorOuts.find((o) => o !== labelOut && /prob/i.test(o.name) && isFloat(o.type))
    ?? (labelOut ? tensorOuts.find((o) => o !== labelOut && isFloat(o.type)) : undefined);
  const valueOut = labelOut ? undefined : tensorOuts.find((o) => isFloat(o.type));
  if (!labelOut && !valueOut) throw new HallmarkError('unsupported_model', `${session.path}: no label or value tensor among its outputs (${session.outputs.map((o) => o.name).join(', ')})`);
  const wanted = [labelOut, probOut, valueOut].filter((o): o is OnnxValueInfo => Boolean(o)).map((o) => o.name);
  return {
    runtime: 'onnx',
    features: perFeature ? inputs.map((x) => x.name) : null,
    nFeatures: width,
    modelType: labelOut ? 'classification' : 'regression',
    classes: null,
    async predict(rows) {
      const n = rows.length;
      const feeds: Parameters<OnnxSession['run']>[0] = {};
      if (perFeature) {
        inputs.forEach((inp, j) => (feeds[inp.name] = { dims: [n, 1], data: rows.map((r) => r[j] ?? Number.NaN) }));
      } else {
        const f = rows[0]?.length ?? 0;
        const data = new Array<number>(n * f);
        for (let r = 0; r < n; r++) for (let c = 0; c < f; c++) data[r * f + c] = rows[r]![c] ?? Number.NaN;
        feeds[single.name] = { dims: [n, f], data };
      }
      const out = await session.run(feeds, wanted);
      const by = new Map<string, OnnxTensorOutput>(out.map((o) => [o.name, o]));
      if (valueOut) {
        const v = by.get(valueOut.name)!;
        return { predictions: v.data.slice(0, n), probabilities: null };
      }
      const labels = by.get(labelOut!.name)!;
      const probs = probOut ? by.get(probOut.name) : undefined;
      let probabilities: number[][] | null = null;
      if (probs && probs.dims.length === 2 && probs.dims[0] === n) {
        const c = probs.dims[1]!;
        probabilities = [];
        for (let r = 0; r < n; r++) probabilities.push((probs.data.slice(r * c, r * c + c) as number[]));
      }
      return { predictions: labels.data.slice(0, n), probabilities };
    },
  };
}

export async function openOnnxRunner(rt: OnnxRuntime, file: string): Promise<TabularRunner> {
  return onnxRunner(await rt.open(file));
}
