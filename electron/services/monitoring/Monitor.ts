// Monitoring over the prediction log: rolling-window latency/throughput statistics,
// error rate, a captured baseline, and drift as a z-score against that baseline (threshold 2.0).
import type { Sqlite } from '../../../native/Database';
import type { Baseline, DriftMetric, DriftResult, HourlyMonitor, HourPoint, MetricDrift, MonitorStats, SeriesPoint } from '../../contract/monitoring';
import { HallmarkError } from '../errors';
import { psi, PSI_ALERT, PSI_WARN, psiThresholds } from '../quality/check';
import { binOf, quantileSorted } from '../quality/profile';
import { summarize, zScore } from './stats';

export const DEFAULT_WINDOW = 1000;
export const DEFAULT_DRIFT_THRESHOLD = 2.0;
/** Fewer samples than this since the baseline and we do not call drift either way. */
export const MIN_DRIFT_SAMPLES = 5;

interface Row {
  id: number;
  created_at: string;
  latency_ms: number;
  tokens_per_sec: number | null;
  error: string | null;
}

function windowRows(db: Sqlite, key: string, window: number, afterId = 0): Row[] {
  return db.prepare(`SELECT id, created_at, latency_ms, tokens_per_sec, error FROM predictions WHERE model_key = ? AND id > ? ORDER BY id DESC LIMIT ?`)
    .all(key, afterId, window) as Row[];
}

const ok = (rows: Row[]) => rows.filter((r) => r.error === null);
const tps = (rows: Row[]) => ok(rows).map((r) => r.tokens_per_sec).filter((x): x is number => x !== null);

export function latestBaseline(db: Sqlite, key: string): Baseline | null {
  return (db.prepare(`SELECT * FROM monitor_baselines WHERE model_key = ? ORDER BY id DESC LIMIT 1`).get(key) as Baseline | undefined) ?? null;
}

export function monitorStats(db: Sqlite, key: string, window = DEFAULT_WINDOW): MonitorStats {
  const rows = windowRows(db, key, window);
  const total = (db.prepare(`SELECT count(*) AS n FROM predictions WHERE model_key = ?`).get(key) as { n: number }).n;
  const errors = rows.length - ok(rows).length;
  return {
    model_key: key,
    total_predictions: total,
    window_size: window,
    sample_count: rows.length,
    error_count: errors,
    error_rate: rows.length ? errors / rows.length : 0,
    latency_ms: summarize(ok(rows).map((r) => r.latency_ms)),
    tokens_per_sec: summarize(tps(rows)),
    first_at: rows.at(-1)?.created_at ?? null,
    last_at: rows[0]?.created_at ?? null,
    baseline: latestBaseline(db, key),
  };
}

/** Freezes the current window as the reference that later predictions are compared with. */
export function captureBaseline(db: Sqlite, key: string, versionId: number | null, window = DEFAULT_WINDOW): Baseline {
  const rows = windowRows(db, key, window);
  const lat = summarize(ok(rows).map((r) => r.latency_ms));
  if (!lat) throw new HallmarkError('no_data', `no successful predictions for ${key} yet: run the model before capturing a baseline`);
  const t = summarize(tps(rows));
  const errors = rows.length - ok(rows).length;
  const r = db.prepare(`INSERT INTO monitor_baselines (model_key, version_id, created_at, sample_count, first_prediction_id, last_prediction_id,
      latency_mean, latency_std, tokens_per_sec_mean, tokens_per_sec_std, error_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(key, versionId, new Date().toISOString(), rows.length, rows.at(-1)?.id ?? null, rows[0]?.id ?? null, lat.mean, lat.std, t?.mean ?? null, t?.std ?? null, errors / rows.length);
  return db.prepare(`SELECT * FROM monitor_baselines WHERE id = ?`).get(Number(r.lastInsertRowid)) as Baseline;
}

/** Compares predictions made after the baseline with it; drift when a metric's z-score exceeds the threshold. */
export function detectDrift(db: Sqlite, key: string, opts: { threshold?: number; window?: number } = {}): DriftResult {
  const threshold = opts.threshold ?? DEFAULT_DRIFT_THRESHOLD;
  const base = latestBaseline(db, key);
  const empty = (note: string, n = 0): DriftResult => ({
    model_key: key, drift_detected: false, drift_score: null, threshold, baseline_mean: base?.latency_mean ?? null, current_mean: null,
    baseline_std: base?.latency_std ?? null, current_std: null, sample_count: n, note, metrics: [], error_rate: null, baseline_error_rate: base?.error_rate ?? null,
  });
  if (!base) return empty('no baseline captured yet');
  const rows = windowRows(db, key, opts.window ?? DEFAULT_WINDOW, base.last_prediction_id ?? 0);
  const good = ok(rows);
  if (good.length < MIN_DRIFT_SAMPLES) return empty(`${good.length} successful prediction(s) since the baseline; need at least ${MIN_DRIFT_SAMPLES}`, rows.length);
  const metrics: MetricDrift[] = [];
  const lat = summarize(good.map((r) => r.latency_ms))!;
  const latScore = zScore(lat.mean, base.latency_mean, base.latency_std);
  metrics.push({ metric: 'latency_ms', drift_detected: latScore > threshold, drift_score: latScore, baseline_mean: base.latency_mean, current_mean: lat.mean, baseline_std: base.latency_std, current_std: lat.std });
  const t = summarize(tps(rows));
  if (t && base.tokens_per_sec_mean !== null && base.tokens_per_sec_std !== null) {
    const s = zScore(t.mean, base.tokens_per_sec_mean, base.tokens_per_sec_std);
    metrics.push({ metric: 'tokens_per_sec', drift_detected: s > threshold, drift_score: s, baseline_mean: base.tokens_per_sec_mean, current_mean: t.mean, baseline_std: base.tokens_per_sec_std, current_std: t.std });
  }
  const worst = metrics.reduce((a, b) => (b.drift_score > a.drift_score ? b : a));
  return {
    model_key: key,
    drift_detected: metrics.some((m) => m.drift_detected),
    drift_score: worst.drift_score,
    threshold,
    baseline_mean: worst.baseline_mean,
    current_mean: worst.current_mean,
    baseline_std: worst.baseline_std,
    current_std: worst.current_std,
    sample_count: rows.length,
    note: null,
    metrics,
    error_rate: (rows.length - good.length) / rows.length,
    baseline_error_rate: base.error_rate,
  };
}

/** Predictions bucketed over time for the model page's plot (the newest `limit` predictions). */
export function monitorSeries(db: Sqlite, key: string, opts: { buckets?: number; limit?: number } = {}): SeriesPoint[] {
  const rows = windowRows(db, key, opts.limit ?? 5000).reverse();
  if (!rows.length) return [];
  const buckets = Math.max(1, Math.min(opts.buckets ?? 60, rows.length));
  // Id order is not time order when history is recorded after the fact (PredictionInput.at): use the extremes.
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const r of rows) {
    const t = Date.parse(r.created_at);
    if (t < t0) t0 = t;
    if (t > t1) t1 = t;
  }
  const span = Math.max(1, t1 - t0 + 1);
  const groups: Row[][] = Array.from({ length: buckets }, () => []);
  for (const r of rows) groups[Math.min(buckets - 1, Math.floor(((Date.parse(r.created_at) - t0) / span) * buckets))]!.push(r);
  return groups.flatMap((g, i) => {
    if (!g.length) return [];
    const lat = summarize(ok(g).map((r) => r.latency_ms));
    const t = summarize(tps(g));
    return [{
      t: new Date(t0 + (span * i) / buckets).toISOString(), count: g.length, errors: g.length - ok(g).length,
      latency_mean: lat?.mean ?? null, latency_p95: lat?.p95 ?? null, tokens_per_sec_mean: t?.mean ?? null,
    }];
  });
}

interface HourRow { id: number; created_at: string; latency_ms: number; tokens_per_sec: number | null; error: string | null; output_label: string | null; output_value: number | null }

/** Rows read for the hourly view at most (about a week of one prediction per 1.2 s). */
export const HOURLY_ROW_CAP = 500_000;
/** Categories compared by class-frequency PSI; the rest is one "other" bucket. */
const MAX_CLASSES = 20;
const HOUR = 3600_000;

/** Picks the output the drift compares, and turns a row into its bin against reference bins. */
function driftModel(ref: HourRow[]): { metric: DriftMetric; bins: number; binOf: (r: HourRow) => number | null; expected: number[] } | null {
  const ok = ref.filter((r) => r.error === null);
  const labels = ok.map((r) => r.output_label).filter((x): x is string => x !== null);
  if (labels.length) {
    const freq = new Map<string, number>();
    for (const l of labels) freq.set(l, (freq.get(l) ?? 0) + 1);
    const top = [...freq].sort((a, b) => b[1] - a[1]).slice(0, MAX_CLASSES).map(([l]) => l);
    const index = new Map(top.map((l, i) => [l, i]));
    const bin = (r: HourRow) => (r.error !== null || r.output_label === null ? null : index.get(r.output_label) ?? top.length);
    return { metric: 'class', bins: top.length + 1, binOf: bin, expected: fractions(ok.map(bin), top.length + 1) };
  }
  const numeric = (pick: (r: HourRow) => number | null, metric: DriftMetric) => {
    const xs = ok.map(pick).filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
    if (!xs.length) return null;
    const edges = [...new Set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((p) => quantileSorted(xs, p)))];
    const bin = (r: HourRow) => {
      const x = r.error === null ? pick(r) : null;
      return x === null || !Number.isFinite(x) ? null : binOf(edges, x);
    };
    return { metric, bins: edges.length + 1, binOf: bin, expected: fractions(ok.map(bin), edges.length + 1) };
  };
  return numeric((r) => r.output_value, 'value') ?? numeric((r) => r.tokens_per_sec, 'tokens_per_sec');
}

function fractions(bins: Array<number | null>, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  let n = 0;
  for (const b of bins) {
    if (b === null) continue;
    c[b]!++;
    n++;
  }
  return c.map((x) => (n ? x / n : 0));
}

/**
 * Hour-by-hour latency percentiles, error rate and output drift, ending at the hour of the newest
 * prediction (so a model last run a week ago still shows its last `hours`). Drift is the PSI of each hour's
 * outputs against the captured baseline's window, or against the first hour shown when there is none.
 */
export function monitorHourly(db: Sqlite, key: string, opts: { hours?: number } = {}): HourlyMonitor {
  const hours = opts.hours ?? 48;
  const last = db.prepare(`SELECT max(created_at) AS t FROM predictions WHERE model_key = ?`).get(key) as { t: string | null };
  const empty: HourlyMonitor = { model_key: key, points: [], drift_metric: null, reference: null, reference_count: 0, psi_warn: PSI_WARN, psi_alert: PSI_ALERT };
  if (!last.t) return empty;
  const endHour = Math.floor(Date.parse(last.t) / HOUR) * HOUR;
  const from = new Date(endHour - (hours - 1) * HOUR).toISOString();
  const cols = `p.id, p.created_at, p.latency_ms, p.tokens_per_sec, p.error, o.output_label, o.output_value`;
  const from_ = `predictions p LEFT JOIN prediction_outputs o ON o.prediction_id = p.id`;
  // Newest rows win when the cap bites: the recent hours are the ones people look at.
  const rows = (db.prepare(`SELECT ${cols} FROM ${from_} WHERE p.model_key = ? AND p.created_at >= ? ORDER BY p.created_at DESC LIMIT ?`)
    .all(key, from, HOURLY_ROW_CAP) as HourRow[]).reverse();
  if (!rows.length) return empty;
  const groups = new Map<number, HourRow[]>();
  for (const r of rows) {
    const h = Math.floor(Date.parse(r.created_at) / HOUR) * HOUR;
    const g = groups.get(h);
    if (g) g.push(r);
    else groups.set(h, [r]);
  }
  const firstHour = Math.min(...groups.keys());
  const base = latestBaseline(db, key);
  let ref: HourRow[] = [];
  let reference: HourlyMonitor['reference'] = null;
  if (base && base.first_prediction_id !== null && base.last_prediction_id !== null) {
    ref = db.prepare(`SELECT ${cols} FROM ${from_} WHERE p.model_key = ? AND p.id BETWEEN ? AND ? LIMIT ?`).all(key, base.first_prediction_id, base.last_prediction_id, HOURLY_ROW_CAP) as HourRow[];
    reference = 'baseline';
  }
  if (!ref.length) {
    ref = groups.get(firstHour)!;
    reference = 'first_hour';
  }
  const model = driftModel(ref);
  const refCount = model ? ref.filter((r) => model.binOf(r) !== null).length : 0;
  const points: HourPoint[] = [];
  for (let h = firstHour; h <= endHour; h += HOUR) {
    const g = groups.get(h) ?? [];
    const good = ok(g).map((r) => r.latency_ms).sort((a, b) => a - b);
    const errors = g.length - ok(g).length;
    let drift: number | null = null;
    let status: HourPoint['drift_status'] = null;
    if (model) {
      const bins = g.map(model.binOf);
      const n = bins.filter((b) => b !== null).length;
      if (n >= MIN_DRIFT_SAMPLES) {
        drift = psi(model.expected, fractions(bins, model.bins));
        const th = psiThresholds(model.bins, n, refCount);
        status = drift >= th.alert ? 'alert' : drift >= th.warn ? 'warn' : 'ok';
      }
    }
    points.push({
      t: new Date(h).toISOString(), count: g.length, errors, error_rate: g.length ? errors / g.length : null,
      latency_p50: good.length ? quantileSorted(good, 0.5) : null, latency_p95: good.length ? quantileSorted(good, 0.95) : null,
      latency_p99: good.length ? quantileSorted(good, 0.99) : null, drift_psi: drift, drift_status: status,
    });
  }
  return { model_key: key, points, drift_metric: model?.metric ?? null, reference: model ? reference : null, reference_count: refCount, psi_warn: PSI_WARN, psi_alert: PSI_ALERT };
}
