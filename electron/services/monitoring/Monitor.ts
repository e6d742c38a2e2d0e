// Monitoring over the prediction log: rolling-window latency/throughput statistics,
// error rate, a captured baseline, and drift as a z-score against that baseline (threshold 2.0).
import type { Sqlite } from '../../../native/Database';
import type { Baseline, DriftResult, MetricDrift, MonitorStats, SeriesPoint } from '../../contract/monitoring';
import { HallmarkError } from '../errors';
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
  const t0 = Date.parse(rows[0]!.created_at);
  const t1 = Date.parse(rows.at(-1)!.created_at);
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
