// What one prediction answered, for the hourly output-drift view: only when it is unambiguous. A model
// with an output named like a label (sklearn-onnx classifiers export `output_label`/`label`) holding one
// value gives a class; a model with a single one-element output gives a value. Anything else (a batch, a
// vector of scores) is left NULL: the batch runner records one row per input with its own label/value.
import type { OnnxRunResult } from '../../contract/inference';

export function predictionOutput(outputs: OnnxRunResult['outputs']): { outputLabel: string | null; outputValue: number | null } {
  const label = outputs.find((o) => /(^|_)(label|class)(s)?$/i.test(o.name) && o.data.length === 1);
  if (label) return { outputLabel: String(label.data[0]), outputValue: null };
  if (outputs.length === 1 && outputs[0]!.data.length === 1) {
    const v = outputs[0]!.data[0];
    if (typeof v === 'number' && Number.isFinite(v)) return { outputLabel: null, outputValue: v };
    if (typeof v === 'string' || typeof v === 'boolean') return { outputLabel: String(v), outputValue: null };
  }
  return { outputLabel: null, outputValue: null };
}
