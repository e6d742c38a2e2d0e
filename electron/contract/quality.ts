// Data quality of a tabular input against a saved baseline (per-column profile of a version's training
// data): missingness, drift (PSI, mean-shift z-score), outliers, new categories, schema changes.
import { z } from 'zod';
import { call } from './define';

export const NumericProfile = z.object({
  n: z.number(), mean: z.number(), std: z.number(), min: z.number(), max: z.number(),
  q1: z.number(), median: z.number(), q3: z.number(),
  /** Decile cut points (deduplicated); bin i holds values in (edges[i-1], edges[i]], the last bin values above the last edge. */
  edges: z.array(z.number()),
  bin_fracs: z.array(z.number()),
  /** [Q1 − 3·IQR, Q3 + 3·IQR]: values outside are outliers. */
  robust_low: z.number(), robust_high: z.number(), outlier_frac: z.number(),
  /** How many values the reservoir sample behind the quantiles held. */
  sample_size: z.number(),
  /** Non-missing values that were not numbers. */
  non_numeric_frac: z.number(),
});
export type NumericProfile = z.infer<typeof NumericProfile>;

export const CategoricalProfile = z.object({
  n: z.number(),
  top: z.array(z.object({ value: z.string(), frac: z.number() })),
  /** Mass of every category not in `top` (including categories past the distinct-value cap). */
  other_frac: z.number(),
  distinct: z.number(),
  /** True when there were more distinct values than were tracked (distinct is then a lower bound). */
  distinct_capped: z.boolean(),
});
export type CategoricalProfile = z.infer<typeof CategoricalProfile>;

export const ColumnProfile = z.object({
  name: z.string(),
  type: z.enum(['numeric', 'categorical']),
  count: z.number(),
  missing: z.number(),
  missing_frac: z.number(),
  numeric: NumericProfile.nullable(),
  categorical: CategoricalProfile.nullable(),
});
export type ColumnProfile = z.infer<typeof ColumnProfile>;

export const Profile = z.object({
  format: z.enum(['csv', 'jsonl']),
  rows: z.number(),
  columns: z.array(ColumnProfile),
  /** How quantiles were estimated, for whoever reads a stored baseline later. */
  sketch: z.string(),
});
export type Profile = z.infer<typeof Profile>;

export const QualityBaseline = z.object({
  id: z.number(),
  model: z.string(),
  version: z.number(),
  version_id: z.number(),
  created_at: z.string(),
  source: z.string(),
  rows: z.number(),
  columns: z.number(),
  profile: Profile,
});
export type QualityBaseline = z.infer<typeof QualityBaseline>;

export const Severity = z.enum(['info', 'warn', 'alert']);
export type Severity = z.infer<typeof Severity>;

export const FindingKind = z.enum([
  'missing_column', 'extra_column', 'duplicate_column', 'wrong_type', 'missingness', 'psi', 'mean_shift', 'outliers',
  'new_categories', 'ragged_rows', 'bad_lines', 'no_rows',
]);
export type FindingKind = z.infer<typeof FindingKind>;

export const QualityFinding = z.object({
  kind: FindingKind,
  severity: Severity,
  /** Null for file-level findings (ragged rows, no rows). */
  column: z.string().nullable(),
  message: z.string(),
  /** What to do about it. */
  advice: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
});
export type QualityFinding = z.infer<typeof QualityFinding>;

export const ColumnCheck = z.object({
  name: z.string(),
  type: z.enum(['numeric', 'categorical']),
  present: z.boolean(),
  status: z.enum(['ok', 'warn', 'alert']),
  count: z.number(),
  missing_frac: z.number().nullable(),
  baseline_missing_frac: z.number(),
  psi: z.number().nullable(),
  psi_warn: z.number().nullable(),
  psi_alert: z.number().nullable(),
  mean: z.number().nullable(),
  baseline_mean: z.number().nullable(),
  std: z.number().nullable(),
  baseline_std: z.number().nullable(),
  /** Mean shift in standard errors: (mean − baseline mean) / (baseline std · √(1/n + 1/n_baseline)). */
  z: z.number().nullable(),
  /** The same shift in baseline standard deviations (effect size). */
  effect: z.number().nullable(),
  outlier_frac: z.number().nullable(),
  baseline_outlier_frac: z.number().nullable(),
  new_category_rate: z.number().nullable(),
  wrong_type_frac: z.number().nullable(),
  /** Bin labels with baseline and current fractions, for a side-by-side plot. */
  bins: z.object({ labels: z.array(z.string()), baseline: z.array(z.number()), current: z.array(z.number()) }).nullable(),
});
export type ColumnCheck = z.infer<typeof ColumnCheck>;

export const QualityReport = z.object({
  baseline_id: z.number(),
  model: z.string(),
  version: z.number(),
  source: z.string(),
  format: z.enum(['csv', 'jsonl']),
  rows: z.number(),
  baseline_rows: z.number(),
  status: z.enum(['ok', 'warn', 'alert']),
  findings: z.array(QualityFinding),
  columns: z.array(ColumnCheck),
  extra_columns: z.array(z.string()),
  /** True when only the first `max_rows` rows were read (a quick check before a batch run). */
  partial: z.boolean(),
  checked_at: z.string(),
});
export type QualityReport = z.infer<typeof QualityReport>;

const Name = z.string().min(1).max(200);
const Version = z.number().int().min(1);
const InputPath = z.string().min(1).max(4096);

export const qualityCalls = {
  'quality.baseline': call(z.object({ name: Name, version: Version, input: InputPath }), QualityBaseline),
  'quality.getBaseline': call(z.object({ name: Name, version: Version }), QualityBaseline.nullable(), { readonly: true }),
  /** `max_rows`: read only the first rows (the quick pre-run check); the whole file otherwise. */
  'quality.check': call(z.object({ name: Name, version: Version, input: InputPath, max_rows: z.number().int().min(1).max(1e9).optional() }), QualityReport),
  /** The newest stored check of a version (what EvaluateView shows before a batch run), or null. */
  'quality.lastCheck': call(z.object({ name: Name, version: Version }), QualityReport.nullable(), { readonly: true }),
};
