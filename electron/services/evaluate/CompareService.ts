// A/B comparison: two (or more) versions over the same dataset, each a batch (services/evaluate/BatchService),
// joined by entity: agreement, metrics per version against a label column (accuracy, macro-F1, ROC AUC for
// binary classifiers with probabilities; MAE and RMSE for regressors), deltas against the first version,
// chunk latency percentiles, and a winner the comparison view can promote. With weights, each row is routed to
// one version (seeded by entity id, as seed 003's predict_weighted) and each version is measured on its share.
import path from 'node:path';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { type BatchOptions, type BatchResult, runBatch } from './BatchService';
import type { OpenOptions } from './tabularRuntime';

export interface CompareOptions extends OpenOptions {
  /** NAME@VERSION of each version; the first is the baseline deltas are measured against. */
  models: string[];
  input: string;
  idColumn?: string;
  labelColumn?: string;
  /** Weighted traffic: weight per model (same keys as `models`). */
  weights?: Record<string, number>;
  seed?: string;
  chunkRows?: number;
}

export interface VersionMetrics {
  /** Labelled rows the metrics are computed on. */
  n: number;
  accuracy?: number;
  macro_f1?: number;
  roc_auc?: number | null;
  mae?: number;
  rmse?: number;
}

export interface CompareReport {
  comparison_id: number;
  mode: 'ab' | 'weighted';
  input: string;
  label_column: string | null;
  task: 'classification' | 'regression';
  versions: Array<{ model: string; batch_id: number; runtime: string; rows: number; failed: number; share: number | null; weight: number | null; metrics: VersionMetrics | null; latency: BatchResult['latency']; rows_per_sec: number | null }>;
  /** Fraction of entities both versions predicted where they agree (A/B only; regression: within 1e-6 relative). */
  agreement: { rate: number; compared: number; pairs: Array<{ a: string; b: string; rate: number; compared: number }> } | null;
  /** metric → value of each later version minus the baseline's. */
  deltas: Array<{ model: string; against: string; [metric: string]: number | string | null }>;
  winner: { model: string; by: string } | null;
  warnings: string[];
}

const num = (s: string | null): number | null => {
  if (s === null || s.trim() === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

/** Same class: numerically when both read as numbers ("1" and 1.0), else as strings. */
function sameLabel(pred: unknown, label: string): boolean {
  const a = typeof pred === 'number' ? pred : typeof pred === 'string' ? num(pred) : typeof pred === 'boolean' ? Number(pred) : null;
  const b = num(label);
  if (a !== null && b !== null) return a === b;
  return String(pred) === label;
}

const keyOf = (v: unknown): string => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? num(v) : null;
  return n !== null ? String(n) : String(v);
};

/** ROC AUC by the rank-sum (Mann–Whitney U) formula, ties averaged. */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<number>): number | null {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  for (let i = 0; i < n; i++) pos += positive[i]! ? 1 : 0;
  const neg = n - pos;
  if (!pos || !neg) return null;
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (positive[idx[k]!]) rankSum += avg;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Metrics of one batch against its stored labels, streamed from SQLite. */
export function batchMetrics(ctx: AppContext, batchId: number, task: 'classification' | 'regression'): VersionMetrics | null {
  const q = ctx.db.prepare(`SELECT prediction, probabilities, label FROM eval_results WHERE batch_id = ? AND error IS NULL AND label IS NOT NULL AND prediction IS NOT NULL`);
  if (task === 'regression') {
    let n = 0;
    let abs = 0;
    let sq = 0;
    for (const r of q.iterate(batchId) as Iterable<{ prediction: string; label: string }>) {
      const p = Number(JSON.parse(r.prediction));
      const y = num(r.label);
      if (y === null || !Number.isFinite(p)) continue;
      n++;
      abs += Math.abs(p - y);
      sq += (p - y) ** 2;
    }
    return n ? { n, mae: abs / n, rmse: Math.sqrt(sq / n) } : null;
  }
  let n = 0;
  let correct = 0;
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const labels = new Set<string>();
  let scores: number[] | null = [];
  const truth: string[] = [];
  for (const r of q.iterate(batchId) as Iterable<{ prediction: string; probabilities: string | null; label: string }>) {
    const pred: unknown = JSON.parse(r.prediction);
    const pk = keyOf(pred);
    const yk = keyOf(r.label);
    labels.add(yk);
    n++;
    if (sameLabel(pred, r.label)) {
      correct++;
      inc(tp, yk);
    } else {
      inc(fp, pk);
      inc(fn, yk);
    }
    if (scores) {
      const probs = r.probabilities ? (JSON.parse(r.probabilities) as number[]) : null;
      if (probs && probs.length === 2) {
        scores.push(probs[1]!);
        truth.push(yk);
      } else scores = null;
    }
  }
  if (!n) return null;
  const classes = [...new Set([...labels, ...tp.keys(), ...fp.keys()])];
  const f1s = [...labels].map((c) => {
    const t = tp.get(c) ?? 0;
    const denom = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    return denom ? (2 * t) / denom : 0;
  });
  let auc: number | null = null;
  if (scores && classes.length <= 2 && labels.size === 2) {
    // Probability column 1 is the larger class (scikit-learn, XGBoost and LightGBM order classes ascending).
    const sorted = [...labels].sort((a, b) => (num(a) !== null && num(b) !== null ? num(a)! - num(b)! : a < b ? -1 : 1));
    const positive = sorted[1]!;
    auc = rocAuc(scores, truth.map((t) => (t === positive ? 1 : 0)));
  }
  return { n, accuracy: correct / n, macro_f1: f1s.reduce((a, b) => a + b, 0) / Math.max(1, f1s.length), roc_auc: auc };
}

/** Agreement of two batches over the entities both predicted. */
function agreement(ctx: AppContext, a: number, b: number, task: 'classification' | 'regression'): { rate: number; compared: number } {
  const q = ctx.db.prepare(`SELECT x.prediction AS pa, y.prediction AS pb FROM eval_results x JOIN eval_results y ON y.batch_id = ? AND y.entity = x.entity
    WHERE x.batch_id = ? AND x.error IS NULL AND y.error IS NULL`);
  let n = 0;
  let same = 0;
  for (const r of q.iterate(b, a) as Iterable<{ pa: string; pb: string }>) {
    n++;
    const pa: unknown = JSON.parse(r.pa);
    const pb: unknown = JSON.parse(r.pb);
    if (task === 'regression') {
      const x = Number(pa);
      const y = Number(pb);
      if (Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x))) same++;
    } else if (keyOf(pa) === keyOf(pb)) same++;
  }
  return { rate: n ? same / n : 0, compared: n };
}

const HIGHER_BETTER = new Set(['accuracy', 'macro_f1', 'roc_auc']);

export function parseWeights(spec: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const w = eq > 0 ? Number(part.slice(eq + 1)) : NaN;
    if (eq <= 0 || !Number.isFinite(w) || w < 0) throw new HallmarkError('invalid_input', `--weights takes NAME@VERSION=WEIGHT,…; ${quote(part)} is not that`);
    out[part.slice(0, eq)] = w;
  }
  return out;
}

export async function runCompare(ctx: AppContext, o: CompareOptions, job: JobHandle): Promise<CompareReport> {
  if (o.models.length < 2) throw new HallmarkError('invalid_input', 'a comparison needs at least two versions');
  if (new Set(o.models).size !== o.models.length) throw new HallmarkError('invalid_input', 'the same version is named twice');
  const weighted = Boolean(o.weights);
  if (o.weights) {
    const unknown = Object.keys(o.weights).filter((k) => !o.models.includes(k));
    if (unknown.length) throw new HallmarkError('invalid_input', `weights name ${unknown.map((u) => quote(u)).join(', ')}, which is not among the compared versions`);
    const total = o.models.reduce((a, m) => a + (o.weights![m] ?? 0), 0);
    if (!(total > 0)) throw new HallmarkError('invalid_input', 'the weights add up to 0');
  }
  const seed = o.seed ?? 'hallmark';
  const results: BatchResult[] = [];
  const n = o.models.length;
  for (const [i, model] of o.models.entries()) {
    // Each version's batch reports into this job's progress as its share of the whole.
    const sub: JobHandle = {
      id: job.id, signal: job.signal, throwIfCancelled: () => job.throwIfCancelled(),
      progress: (done, total, message) => job.progress(i * 1000 + (total ? Math.round((done / total) * 1000) : 0), n * 1000, `${model}: ${message ?? ''}`),
    };
    const bo: BatchOptions = {
      ...o, model, input: o.input,
      ...(weighted ? { route: { seed, weights: o.models.map((m) => ({ key: m, weight: o.weights![m] ?? 0 })), self: model } } : {}),
    };
    delete (bo as { models?: unknown }).models;
    delete (bo as { weights?: unknown }).weights;
    results.push(await runBatch(ctx, bo, sub));
  }
  const types = new Set(results.map((r) => r.model_type));
  const task: 'classification' | 'regression' = types.has('regression') && !types.has('classification') ? 'regression' : 'classification';
  const warnings: string[] = [];
  if (types.size > 1) warnings.push(`the versions are of different types (${[...types].join(', ')}); compared as ${task}`);
  const metrics = o.labelColumn ? results.map((r) => batchMetrics(ctx, r.batch_id, task)) : results.map(() => null);
  const routed = results.map((r) => r.rows + r.failed);
  const totalRouted = routed.reduce((a, b) => a + b, 0);
  const versions = results.map((r, i) => ({
    model: r.model, batch_id: r.batch_id, runtime: r.runtime, rows: r.rows, failed: r.failed,
    share: weighted ? routed[i]! / Math.max(1, totalRouted) : null, weight: weighted ? o.weights![o.models[i]!] ?? 0 : null,
    metrics: metrics[i] ?? null, latency: r.latency, rows_per_sec: r.rows_per_sec,
  }));
  let agree: CompareReport['agreement'] = null;
  if (!weighted) {
    const pairs = results.slice(1).map((r) => ({ a: results[0]!.model, b: r.model, ...agreement(ctx, results[0]!.batch_id, r.batch_id, task) }));
    const compared = pairs.reduce((a, p) => a + p.compared, 0);
    agree = { rate: compared ? pairs.reduce((a, p) => a + p.rate * p.compared, 0) / compared : 0, compared, pairs };
  }
  const keys = task === 'regression' ? ['mae', 'rmse'] : ['accuracy', 'macro_f1', 'roc_auc'];
  const base = versions[0]!;
  const deltas = versions.slice(1).map((v) => {
    const d: CompareReport['deltas'][number] = { model: v.model, against: base.model };
    for (const k of keys) {
      const a = base.metrics?.[k as keyof VersionMetrics];
      const b = v.metrics?.[k as keyof VersionMetrics];
      d[k] = typeof a === 'number' && typeof b === 'number' ? b - a : null;
    }
    d.p50_ms = base.latency.p50_ms !== null && v.latency.p50_ms !== null ? v.latency.p50_ms - base.latency.p50_ms : null;
    return d;
  });
  let winner: CompareReport['winner'] = null;
  const by = task === 'regression' ? 'rmse' : versions.every((v) => typeof v.metrics?.roc_auc === 'number') ? 'roc_auc' : 'accuracy';
  const scored = versions.filter((v) => typeof v.metrics?.[by as keyof VersionMetrics] === 'number');
  if (scored.length === versions.length && scored.length) {
    const val = (v: typeof versions[number]) => v.metrics![by as keyof VersionMetrics] as number;
    const best = [...scored].sort((a, b) => (HIGHER_BETTER.has(by) ? val(b) - val(a) : val(a) - val(b)));
    if (best.length < 2 || val(best[0]!) !== val(best[1]!)) winner = { model: best[0]!.model, by };
    else warnings.push(`no winner: the best versions tie on ${by}`);
  } else if (o.labelColumn) warnings.push('no winner: not every version has labelled predictions');
  for (const r of results) for (const w of r.warnings) warnings.push(`${r.model}: ${w}`);
  const report: Omit<CompareReport, 'comparison_id'> = {
    mode: weighted ? 'weighted' : 'ab', input: path.resolve(o.input), label_column: o.labelColumn ?? null, task, versions, agreement: agree, deltas, winner, warnings,
  };
  const id = Number(ctx.db.prepare(`INSERT INTO eval_comparisons (created_at, input_path, label_column, mode, report) VALUES (?, ?, ?, ?, ?)`)
    .run(Date.now(), report.input, report.label_column, report.mode, JSON.stringify(report)).lastInsertRowid);
  return { comparison_id: id, ...report };
}

export function startCompare(ctx: AppContext, o: CompareOptions): { jobId: string; promise: Promise<CompareReport> } {
  const { id, promise } = ctx.jobs.start({ kind: 'compare-predictions', title: `Compare ${o.models.join(' vs ')} on ${path.basename(o.input)}`, queue: 'batch-predict' }, (job) => runCompare(ctx, o, job));
  promise.catch(() => undefined);
  return { jobId: id, promise };
}

export function getComparison(ctx: AppContext, id: number): CompareReport {
  const r = ctx.db.prepare(`SELECT id, report FROM eval_comparisons WHERE id = ?`).get(id) as { id: number; report: string } | undefined;
  if (!r) throw new HallmarkError('not_found', `no comparison ${id}`);
  return { comparison_id: r.id, ...(JSON.parse(r.report) as Omit<CompareReport, 'comparison_id'>) };
}

export function listComparisons(ctx: AppContext, limit = 20): CompareReport[] {
  return (ctx.db.prepare(`SELECT id, report FROM eval_comparisons ORDER BY id DESC LIMIT ?`).all(limit) as Array<{ id: number; report: string }>)
    .map((r) => ({ comparison_id: r.id, ...(JSON.parse(r.report) as Omit<CompareReport, 'comparison_id'>) }));
}
