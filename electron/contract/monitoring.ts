// Monitoring over the prediction log: rolling-window statistics, a captured baseline, drift against it.
// Results use snake_case names, as in inference.ts.
import { z } from 'zod';
import { call } from './define';
import { ModelRef, RunFormat } from './inference';

export const Summary = z.object({ count: z.number(), mean: z.number(), std: z.number(), min: z.number(), max: z.number(), p50: z.number(), p95: z.number() });
export type Summary = z.infer<typeof Summary>;

export const Baseline = z.object({
  id: z.number(),
  model_key: z.string(),
  created_at: z.string(),
  sample_count: z.number(),
  first_prediction_id: z.number().nullable(),
  last_prediction_id: z.number().nullable(),
  latency_mean: z.number(),
  latency_std: z.number(),
  tokens_per_sec_mean: z.number().nullable(),
  tokens_per_sec_std: z.number().nullable(),
  error_rate: z.number(),
});
export type Baseline = z.infer<typeof Baseline>;

export const MonitorStats = z.object({
  model_key: z.string(),
  total_predictions: z.number(),
  window_size: z.number(),
  sample_count: z.number(),
  error_count: z.number(),
  error_rate: z.number(),
  /** Over successful predictions in the window (failed calls often return early and would skew it). */
  latency_ms: Summary.nullable(),
  tokens_per_sec: Summary.nullable(),
  first_at: z.string().nullable(),
  last_at: z.string().nullable(),
  baseline: Baseline.nullable(),
});
export type MonitorStats = z.infer<typeof MonitorStats>;

export const MetricDrift = z.object({
  metric: z.enum(['latency_ms', 'tokens_per_sec']), drift_detected: z.boolean(), drift_score: z.number(),
  baseline_mean: z.number(), current_mean: z.number(), baseline_std: z.number(), current_std: z.number(),
});
export type MetricDrift = z.infer<typeof MetricDrift>;

export const DriftResult = z.object({
  model_key: z.string(),
  drift_detected: z.boolean(),
  /** The largest metric score (the seed reports one score). */
  drift_score: z.number().nullable(),
  threshold: z.number(),
  baseline_mean: z.number().nullable(),
  current_mean: z.number().nullable(),
  baseline_std: z.number().nullable(),
  current_std: z.number().nullable(),
  sample_count: z.number(),
  /** Why there is no verdict (no baseline, too few samples since it), else null. */
  note: z.string().nullable(),
  metrics: z.array(MetricDrift),
  error_rate: z.number().nullable(),
  baseline_error_rate: z.number().nullable(),
});
export type DriftResult = z.infer<typeof DriftResult>;

export const SeriesPoint = z.object({
  /** Bucket start (ISO). */
  t: z.string(), count: z.number(), errors: z.number(),
  latency_mean: z.number().nullable(), latency_p95: z.number().nullable(), tokens_per_sec_mean: z.number().nullable(),
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;

export const PredictionRow = z.object({
  id: z.number(), model_key: z.string(), version_id: z.number().nullable(), model_path: z.string(), format: RunFormat, method: z.string(),
  created_at: z.string(), latency_ms: z.number(), tokens: z.number().nullable(), tokens_per_sec: z.number().nullable(),
  batch_size: z.number().nullable(), inputs_hash: z.string(), error: z.string().nullable(),
  output_label: z.string().nullable(), output_value: z.number().nullable(),
});
export type PredictionRow = z.infer<typeof PredictionRow>;

export const DriftMetric = z.enum(['class', 'value', 'tokens_per_sec']);
export type DriftMetric = z.infer<typeof DriftMetric>;

/** One hour of predictions (hours without any inside the range are present with count 0 and nulls). */
export const HourPoint = z.object({
  /** Hour start (ISO, UTC). */
  t: z.string(),
  count: z.number(), errors: z.number(), error_rate: z.number().nullable(),
  latency_p50: z.number().nullable(), latency_p95: z.number().nullable(), latency_p99: z.number().nullable(),
  /** PSI of this hour's output distribution against the reference; null under MIN_DRIFT_SAMPLES outputs. */
  drift_psi: z.number().nullable(),
  drift_status: z.enum(['ok', 'warn', 'alert']).nullable(),
});
export type HourPoint = z.infer<typeof HourPoint>;

export const HourlyMonitor = z.object({
  model_key: z.string(),
  points: z.array(HourPoint),
  /** Which output the drift compares: class frequencies, a regressor's values, or generation speed. */
  drift_metric: DriftMetric.nullable(),
  /** The distribution each hour is compared with: the captured baseline's window, or the first hour shown. */
  reference: z.enum(['baseline', 'first_hour']).nullable(),
  reference_count: z.number(),
  /** PSI thresholds (0.1 / 0.25, raised for small hours, see quality/check.ts). */
  psi_warn: z.number(), psi_alert: z.number(),
});
export type HourlyMonitor = z.infer<typeof HourlyMonitor>;

const Window = z.number().int().min(1).max(100_000).default(1000);

export const monitoringCalls = {
  'monitor.stats': call(z.object({ model: ModelRef, window: Window }), MonitorStats, { readonly: true }),
  'monitor.predictions': call(z.object({ model: ModelRef, limit: z.number().int().min(1).max(10_000).default(100) }), z.array(PredictionRow), { readonly: true }),
  'monitor.series': call(z.object({ model: ModelRef, buckets: z.number().int().min(1).max(1000).default(60), limit: z.number().int().min(1).max(100_000).default(5000) }), z.array(SeriesPoint), { readonly: true }),
  'monitor.baseline': call(z.object({ model: ModelRef, window: Window }), Baseline),
  'monitor.hourly': call(z.object({ model: ModelRef, hours: z.number().int().min(1).max(24 * 90).default(48) }), HourlyMonitor, { readonly: true }),
  'monitor.drift': call(z.object({ model: ModelRef, threshold: z.number().positive().default(2.0), window: Window }), DriftResult, { readonly: true }),
};
